//! The core's one error type, and its single conversion to the contract's.
//!
//! Everything below the export speaks [`Error`]: a transport failure keeps
//! its phase ([`Timeout`]) or its kind ([`Network`]), a broken event stream
//! keeps its [`FrameError`], a service answer keeps its status, AWS error
//! code and message ([`ErrorDetail`]), and an unusable region is
//! [`Error::InvalidRegion`]. Decisions (retry, clock-skew correction,
//! credential refresh, discovery's fallbacks) match on these kinds, never on
//! the text of a message. The component converts an [`Error`] to the WIT
//! `provider-error` once, when it returns from an export
//! (`From<Error> for ProviderError`).
//!
//! [`http`] classifies Bedrock's HTTP error answers and in-stream exceptions.

pub mod http;

pub use http::{HttpErrorResponse, from_exception, from_http};

use crate::eventstream::FrameError;
use crate::types::{ErrorDetail, ProviderError};
use std::fmt;
use std::time::Duration;

/// A failure anywhere in the core, typed. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A feature this build does not have.
    NotImplemented(String),
    /// No source of the credential chain applies.
    NoCredentials(String),
    /// A configured credential source failed (the message names it, never a secret).
    CredentialSource(String),
    /// The request cannot be sent as given.
    InvalidRequest(String),
    /// The region in force is not an AWS region name.
    InvalidRegion(InvalidRegion),
    /// A standard regional `base-url` names another region than the one
    /// configured: every signature would be refused.
    RegionConflict(RegionConflict),
    Auth(ErrorDetail),
    AccessDenied(ErrorDetail),
    Throttled(ErrorDetail),
    Validation(ErrorDetail),
    ModelNotFound(ErrorDetail),
    ModelNotReady(ErrorDetail),
    ContextWindowExceeded(ErrorDetail),
    ServiceUnavailable(ErrorDetail),
    InternalServer(ErrorDetail),
    ModelStreamError(ErrorDetail),
    /// `ModelTimeoutException`: the model took too long, on the service's side.
    ModelTimeout(ErrorDetail),
    /// Any other HTTP error answer.
    Http(ErrorDetail),
    /// A transport deadline passed.
    Timeout(Timeout),
    /// The transport failed before or while exchanging bytes.
    Network(Network),
    /// The response body is not a valid event stream.
    Frame(FrameError),
    /// The service's answer broke the protocol (a malformed event, a cut stream).
    Protocol(String),
    /// The caller dropped the call.
    Cancelled,
}

/// Which deadline passed (see [`Timeouts`](crate::timeouts::Timeouts)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Opening the connection: nothing was sent, so a retry is safe.
    Connect,
    /// Waiting for the response head: the request was taken.
    FirstByte,
    /// Waiting for the next body chunk.
    BetweenBytes,
    /// The host reported a read timeout without saying which one.
    Response,
}

/// A transport deadline that passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout {
    pub phase: TimeoutPhase,
    /// The limit, when the side that saw it knows it.
    pub after: Option<Duration>,
}

/// How the transport failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    /// The host refused the destination (not on its allow-list): no retry changes that.
    Denied,
    /// Nothing listens there (or DNS has no such name).
    Refused,
    /// The connection broke during the exchange.
    Reset,
    /// Anything else the transport reported.
    Other,
}

/// A transport failure: its kind, and what the transport said about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    pub kind: NetworkKind,
    /// The transport's own words (a WASI error code, the host's reason).
    pub detail: String,
}

/// A region that is not an AWS region name, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRegion {
    pub region: String,
}

/// A regional `base-url` and a region configured elsewhere that disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionConflict {
    pub base_url: String,
    /// The region the base URL's host names.
    pub base_url_region: String,
    /// The region configured elsewhere.
    pub region: String,
    /// Where `region` came from (`the region option`, `AWS_REGION`, ...).
    pub source: String,
}

impl Error {
    /// A connect / first-byte / between-bytes deadline.
    pub fn timeout(phase: TimeoutPhase, after: Option<Duration>) -> Error {
        Error::Timeout(Timeout { phase, after })
    }

    /// A transport failure of `kind`.
    pub fn network(kind: NetworkKind, detail: impl Into<String>) -> Error {
        Error::Network(Network {
            kind,
            detail: detail.into(),
        })
    }

    /// The service's detail (status, AWS code, message, request id), for
    /// errors that come from an answer.
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            Error::Auth(d)
            | Error::AccessDenied(d)
            | Error::Throttled(d)
            | Error::Validation(d)
            | Error::ModelNotFound(d)
            | Error::ModelNotReady(d)
            | Error::ContextWindowExceeded(d)
            | Error::ServiceUnavailable(d)
            | Error::InternalServer(d)
            | Error::ModelStreamError(d)
            | Error::ModelTimeout(d)
            | Error::Http(d) => Some(d),
            _ => None,
        }
    }
}

impl From<FrameError> for Error {
    fn from(e: FrameError) -> Self {
        Error::Frame(e)
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.phase {
            TimeoutPhase::Connect => "connecting timed out",
            TimeoutPhase::FirstByte => "no response head before the first-byte timeout",
            TimeoutPhase::BetweenBytes => {
                "no data from the server within the between-bytes timeout"
            }
            TimeoutPhase::Response => {
                "the response stalled past the between-bytes or first-byte timeout"
            }
        };
        f.write_str(what)?;
        match self.after {
            Some(after) => write!(f, " ({} ms)", after.as_millis()),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            NetworkKind::Denied => {
                "the host denied this outbound request (destination not on its allow-list)"
            }
            NetworkKind::Refused => "connection refused",
            NetworkKind::Reset => "connection reset",
            NetworkKind::Other => "transport failure",
        };
        if self.detail.is_empty() {
            f.write_str(what)
        } else {
            write!(f, "{what}: {}", self.detail)
        }
    }
}

impl fmt::Display for InvalidRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a valid AWS region name (expected the AWS syntax, e.g. us-east-1, \
             eu-central-2, us-gov-west-1, cn-north-1); check the region option, AWS_REGION, \
             AWS_DEFAULT_REGION and the profile's region",
            self.region
        )
    }
}

impl fmt::Display for RegionConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "base-url {} is in {} but the region is {} (from {}); requests signed for {} \
             would be refused there: set the region to {}, or leave it unset to follow the \
             base-url, or use the {} endpoint",
            self.base_url,
            self.base_url_region,
            self.region,
            self.source,
            self.region,
            self.base_url_region,
            self.region,
        )
    }
}

/// The contract's error: the only place core errors become WIT values.
impl From<Error> for ProviderError {
    fn from(error: Error) -> Self {
        match error {
            Error::NotImplemented(m) => ProviderError::NotImplemented(m),
            Error::NoCredentials(m) => ProviderError::NoCredentials(m),
            Error::CredentialSource(m) => ProviderError::CredentialSource(m),
            Error::InvalidRequest(m) => ProviderError::InvalidRequest(m),
            Error::InvalidRegion(r) => ProviderError::InvalidRequest(r.to_string()),
            Error::RegionConflict(c) => ProviderError::InvalidRequest(c.to_string()),
            Error::Auth(d) => ProviderError::Auth(d),
            Error::AccessDenied(d) => ProviderError::AccessDenied(d),
            Error::Throttled(d) => ProviderError::Throttled(d),
            Error::Validation(d) => ProviderError::Validation(d),
            Error::ModelNotFound(d) => ProviderError::ModelNotFound(d),
            Error::ModelNotReady(d) => ProviderError::ModelNotReady(d),
            Error::ContextWindowExceeded(d) => ProviderError::ContextWindowExceeded(d),
            Error::ServiceUnavailable(d) => ProviderError::ServiceUnavailable(d),
            Error::InternalServer(d) => ProviderError::InternalServer(d),
            Error::ModelStreamError(d) => ProviderError::ModelStreamError(d),
            Error::ModelTimeout(d) => ProviderError::Timeout(d.message),
            Error::Http(d) => ProviderError::Http(d),
            Error::Timeout(t) => ProviderError::Timeout(t.to_string()),
            Error::Network(n) => ProviderError::Network(n.to_string()),
            Error::Frame(e) => ProviderError::Protocol(e.to_string()),
            Error::Protocol(m) => ProviderError::Protocol(m),
            Error::Cancelled => ProviderError::Cancelled,
        }
    }
}

/// One line a person can act on; never a secret (errors carry only the
/// service's message and identifiers).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detailed = |f: &mut fmt::Formatter<'_>, kind: &str, d: &ErrorDetail| {
            write!(f, "{kind}: {}", d.message)?;
            if let Some(code) = &d.code {
                write!(f, " [{code}]")?;
            }
            if let Some(status) = d.status {
                write!(f, " (HTTP {status})")?;
            }
            if let Some(id) = &d.request_id {
                write!(f, " request id {id}")?;
            }
            Ok(())
        };
        match self {
            Error::NotImplemented(m) => write!(f, "not implemented: {m}"),
            Error::NoCredentials(m) => write!(f, "no credentials: {m}"),
            Error::CredentialSource(m) => write!(f, "credential source failed: {m}"),
            Error::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            Error::InvalidRegion(r) => write!(f, "invalid request: {r}"),
            Error::RegionConflict(c) => write!(f, "invalid request: {c}"),
            Error::Auth(d) => detailed(f, "authentication failed", d),
            Error::AccessDenied(d) => detailed(f, "access denied", d),
            Error::Throttled(d) => detailed(f, "throttled", d),
            Error::Validation(d) => detailed(f, "validation error", d),
            Error::ModelNotFound(d) => detailed(f, "model not found", d),
            Error::ModelNotReady(d) => detailed(f, "model not ready", d),
            Error::ContextWindowExceeded(d) => detailed(f, "context window exceeded", d),
            Error::ServiceUnavailable(d) => detailed(f, "service unavailable", d),
            Error::InternalServer(d) => detailed(f, "internal server error", d),
            Error::ModelStreamError(d) => detailed(f, "model stream error", d),
            Error::ModelTimeout(d) => write!(f, "timeout: {}", d.message),
            Error::Http(d) => detailed(f, "HTTP error", d),
            Error::Timeout(t) => write!(f, "timeout: {t}"),
            Error::Network(n) => write!(f, "network error: {n}"),
            Error::Frame(e) => write!(f, "protocol error: {e}"),
            Error::Protocol(m) => write!(f, "protocol error: {m}"),
            Error::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_keep_their_kind_up_to_the_export() {
        let denied = Error::network(NetworkKind::Denied, "");
        assert!(
            matches!(ProviderError::from(denied.clone()), ProviderError::Network(m) if m.contains("denied"))
        );
        assert_eq!(
            denied.to_string(),
            "network error: the host denied this outbound request (destination not on its allow-list)"
        );
        let connect = Error::timeout(TimeoutPhase::Connect, Some(Duration::from_millis(1500)));
        assert_eq!(
            ProviderError::from(connect),
            ProviderError::Timeout("connecting timed out (1500 ms)".into())
        );
        let frame = Error::from(FrameError::Truncated { buffered: 3 });
        assert!(
            matches!(ProviderError::from(frame), ProviderError::Protocol(m) if m.contains("3 bytes"))
        );
    }

    #[test]
    fn an_invalid_region_says_so() {
        let e = Error::InvalidRegion(InvalidRegion {
            region: "us-east1".into(),
        });
        let ProviderError::InvalidRequest(m) = ProviderError::from(e) else {
            panic!()
        };
        assert!(m.contains("`us-east1` is not a valid AWS region"), "{m}");
    }
}
