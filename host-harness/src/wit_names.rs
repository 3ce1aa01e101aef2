//! The WIT names of the contract's enum cases and variants, and the
//! accessors every caller of a [`ProviderError`] needs. The CLI's JSON lines
//! and `serve` both name events and errors by these, so they live with the
//! contract's types rather than with either front end.

use crate::types::*;

/// The WIT name of an enum case (`assistant`, `tool-use`, `foundation-model`...).
pub trait WitName {
    fn wit_name(&self) -> &'static str;
}

macro_rules! wit_names {
    ($($ty:ident { $($case:ident => $name:literal),* $(,)? })*) => {$(
        impl WitName for $ty {
            fn wit_name(&self) -> &'static str {
                match self { $($ty::$case => $name),* }
            }
        }
    )*};
}

wit_names! {
    Role { User => "user", Assistant => "assistant" }
    StopReason {
        Stop => "stop", Length => "length", ToolUse => "tool-use",
        ContentFiltered => "content-filtered", Error => "error",
    }
    CredentialKind {
        BearerToken => "bearer-token", Environment => "environment", Profile => "profile",
        AssumeRole => "assume-role", WebIdentity => "web-identity", Sso => "sso",
        Container => "container", InstanceRole => "instance-role",
    }
    InputModality { Text => "text", Image => "image", Document => "document", Video => "video", Audio => "audio" }
    ModelKind {
        FoundationModel => "foundation-model", SystemProfile => "system-profile",
        ApplicationProfile => "application-profile",
    }
    DiscoveryStatus { Fresh => "fresh", Cached => "cached", Stale => "stale", Disabled => "disabled" }
    CitationLocationKind {
        DocumentChar => "document-char", DocumentPage => "document-page",
        DocumentChunk => "document-chunk",
    }
    ImageFormat { Jpeg => "jpeg", Png => "png", Gif => "gif", Webp => "webp" }
}

impl WitName for ProviderError {
    fn wit_name(&self) -> &'static str {
        match self {
            ProviderError::NotImplemented(_) => "not-implemented",
            ProviderError::NoCredentials(_) => "no-credentials",
            ProviderError::CredentialSource(_) => "credential-source",
            ProviderError::InvalidRequest(_) => "invalid-request",
            ProviderError::Auth(_) => "auth",
            ProviderError::AccessDenied(_) => "access-denied",
            ProviderError::Throttled(_) => "throttled",
            ProviderError::Validation(_) => "validation",
            ProviderError::ModelNotFound(_) => "model-not-found",
            ProviderError::ModelNotReady(_) => "model-not-ready",
            ProviderError::ContextWindowExceeded(_) => "context-window-exceeded",
            ProviderError::ServiceUnavailable(_) => "service-unavailable",
            ProviderError::InternalServer(_) => "internal-server",
            ProviderError::ModelStreamError(_) => "model-stream-error",
            ProviderError::Http(_) => "http",
            ProviderError::Timeout(_) => "timeout",
            ProviderError::Network(_) => "network",
            ProviderError::Protocol(_) => "protocol",
            ProviderError::Cancelled => "cancelled",
        }
    }
}

impl WitName for StreamEvent {
    fn wit_name(&self) -> &'static str {
        match self {
            StreamEvent::MessageStart(_) => "message-start",
            StreamEvent::ToolUseStart(_) => "tool-use-start",
            StreamEvent::ToolResultStart(_) => "tool-result-start",
            StreamEvent::ToolResultDelta(_) => "tool-result-delta",
            StreamEvent::ImageStart(_) => "image-start",
            StreamEvent::ImageDelta(_) => "image-delta",
            StreamEvent::TextDelta(_) => "text-delta",
            StreamEvent::ToolInputDelta(_) => "tool-input-delta",
            StreamEvent::ReasoningDelta(_) => "reasoning-delta",
            StreamEvent::ReasoningSignature(_) => "reasoning-signature",
            StreamEvent::ReasoningRedacted(_) => "reasoning-redacted",
            StreamEvent::Citation(_) => "citation",
            StreamEvent::BlockStop(_) => "block-stop",
            StreamEvent::MessageStop(_) => "message-stop",
            StreamEvent::Metadata(_) => "metadata",
        }
    }
}

impl ProviderError {
    /// The error's detail, for the cases that carry one.
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            ProviderError::Auth(d)
            | ProviderError::AccessDenied(d)
            | ProviderError::Throttled(d)
            | ProviderError::Validation(d)
            | ProviderError::ModelNotFound(d)
            | ProviderError::ModelNotReady(d)
            | ProviderError::ContextWindowExceeded(d)
            | ProviderError::ServiceUnavailable(d)
            | ProviderError::InternalServer(d)
            | ProviderError::ModelStreamError(d)
            | ProviderError::Http(d) => Some(d),
            _ => None,
        }
    }

    /// The message the guest gave (`cancelled` for [`ProviderError::Cancelled`]).
    pub fn message(&self) -> &str {
        match self {
            ProviderError::NotImplemented(m)
            | ProviderError::NoCredentials(m)
            | ProviderError::CredentialSource(m)
            | ProviderError::InvalidRequest(m)
            | ProviderError::Timeout(m)
            | ProviderError::Network(m)
            | ProviderError::Protocol(m) => m,
            ProviderError::Cancelled => "cancelled",
            other => other.detail().map(|d| d.message.as_str()).unwrap_or(""),
        }
    }
}
