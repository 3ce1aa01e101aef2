//! [`ApiError`]: every failure `serve` answers, in OpenAI's error shape.
//!
//! What a client reads is chosen for a client: a host-side failure is named
//! by its kind and a reference, never by its chain (which holds the
//! component's path and the guest's backtrace), and an AWS message has the
//! principal, account and credential parts redacted. The whole error goes to
//! the server's log (stderr) under the same reference.

use super::mapping::InvalidRequest;
use super::{openai, redact};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bedrock_host::HostError;
use bedrock_host::types::ProviderError;
use bedrock_host::types::WitName as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// An OpenAI-shaped failure.
#[derive(Debug)]
pub(super) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<String>,
    pub param: Option<&'static str>,
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        code: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            code: Some(code.into()),
            param: None,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// A host-side failure (a trap, a limit, an instance that would not
    /// start): logged whole, answered by kind.
    pub fn host(error: anyhow::Error) -> Self {
        match error.downcast_ref::<HostError>() {
            Some(HostError::Busy { .. }) => {
                let mut api = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "host_busy",
                    "The plugin host is running as many calls as it allows; retry shortly",
                );
                api.retry_after_ms = Some(1000);
                api
            }
            Some(HostError::DeadlineExceeded { .. }) => {
                let reference = log(&format!("{error:#}"));
                Self::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "server_error",
                    "host_deadline_exceeded",
                    format!("The plugin did not finish in time (reference {reference})"),
                )
            }
            _ => {
                let reference = log(&format!("{error:#}"));
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "host_error",
                    format!(
                        "The plugin host failed this call (reference {reference}; the server's log has the details)"
                    ),
                )
            }
        }
    }

    /// `serve`'s own cap on requests in flight.
    pub fn busy(limit: usize) -> Self {
        let mut api = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "server_busy",
            format!("The server is answering {limit} requests, its limit; retry shortly"),
        );
        api.retry_after_ms = Some(1000);
        api
    }

    pub fn body(&self) -> openai::ErrorBody {
        openai::ErrorBody {
            error: openai::ErrorObject {
                message: self.message.clone(),
                kind: self.kind,
                param: self.param,
                code: self.code.clone(),
            },
        }
    }

    /// `retry-after` in whole seconds for everyone, and the exact
    /// `retry-after-ms` that OpenAI's and Anthropic's SDKs read first.
    pub fn add_retry_after(&self, headers: &mut HeaderMap) {
        if let Some(ms) = self.retry_after_ms {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(ms.div_ceil(1000)));
            headers.insert("retry-after-ms", HeaderValue::from(ms));
        }
    }

    /// The body as JSON text. Serialising it cannot fail (strings only).
    pub fn json(&self) -> String {
        serde_json::to_string(&self.body()).unwrap_or_default()
    }
}

/// Writes `detail` to the server's log under a fresh reference, which the
/// client's message repeats. Control characters are escaped: the detail may
/// hold the guest's text, which must not drive the terminal.
fn log(detail: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let reference = format!("E{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let printable: String = detail
        .chars()
        .flat_map(|c| match c {
            '\n' | '\t' => vec![c],
            c if c.is_control() => c.escape_default().collect(),
            c => vec![c],
        })
        .collect();
    eprintln!("serve: {reference}: {printable}");
    reference
}

impl From<InvalidRequest> for ApiError {
    fn from(error: InvalidRequest) -> Self {
        let mut api = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_request",
            error.message,
        );
        api.param = error.param;
        api
    }
}

impl From<ProviderError> for ApiError {
    fn from(error: ProviderError) -> Self {
        use StatusCode as S;
        let (status, kind) = match &error {
            ProviderError::InvalidRequest(_)
            | ProviderError::NotImplemented(_)
            | ProviderError::Validation(_)
            | ProviderError::ContextWindowExceeded(_) => (S::BAD_REQUEST, "invalid_request_error"),
            // The plugin's own AWS credentials are missing or refused.
            ProviderError::NoCredentials(_)
            | ProviderError::CredentialSource(_)
            | ProviderError::Auth(_) => (S::UNAUTHORIZED, "authentication_error"),
            ProviderError::AccessDenied(_) => (S::FORBIDDEN, "permission_error"),
            ProviderError::ModelNotFound(_) => (S::NOT_FOUND, "not_found_error"),
            ProviderError::Throttled(_) => (S::TOO_MANY_REQUESTS, "rate_limit_error"),
            ProviderError::ModelNotReady(_) | ProviderError::ServiceUnavailable(_) => {
                (S::SERVICE_UNAVAILABLE, "server_error")
            }
            ProviderError::Timeout(_) => (S::GATEWAY_TIMEOUT, "server_error"),
            ProviderError::Http(_)
            | ProviderError::Network(_)
            | ProviderError::Protocol(_)
            | ProviderError::ModelStreamError(_) => (S::BAD_GATEWAY, "server_error"),
            ProviderError::InternalServer(_) | ProviderError::Cancelled => {
                (S::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        let code = match &error {
            // The code OpenAI clients look for.
            ProviderError::ContextWindowExceeded(_) => "context_length_exceeded".to_string(),
            other => other.wit_name().replace('-', "_"),
        };
        let message = error.message();
        let redacted = redact::aws_message(message);
        if redacted != message {
            log(&format!("{code} (answered redacted): {message}"));
        }
        let mut api = Self::new(status, kind, &code, redacted);
        api.retry_after_ms = error.detail().and_then(|d| d.retry_after_ms);
        api
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            self.json(),
        )
            .into_response();
        self.add_retry_after(response.headers_mut());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_host::types::ErrorDetail;
    use serde_json::json;

    fn detail(retry_after_ms: Option<u64>) -> ErrorDetail {
        ErrorDetail {
            message: "Too many requests".into(),
            status: Some(429),
            code: Some("ThrottlingException".into()),
            request_id: None,
            retry_after_ms,
        }
    }

    #[test]
    fn serve_maps_provider_errors_to_openai_statuses() {
        let cases = [
            (
                ProviderError::Throttled(detail(Some(1500))),
                429,
                "rate_limit_error",
            ),
            (
                ProviderError::Validation(detail(None)),
                400,
                "invalid_request_error",
            ),
            (
                ProviderError::Auth(detail(None)),
                401,
                "authentication_error",
            ),
            (
                ProviderError::AccessDenied(detail(None)),
                403,
                "permission_error",
            ),
            (
                ProviderError::ModelNotFound(detail(None)),
                404,
                "not_found_error",
            ),
            (ProviderError::Timeout("slow".into()), 504, "server_error"),
            (
                ProviderError::ServiceUnavailable(detail(None)),
                503,
                "server_error",
            ),
            (
                ProviderError::ModelStreamError(detail(None)),
                502,
                "server_error",
            ),
        ];
        for (error, status, kind) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status.as_u16(), api.kind), (status, kind), "{api:?}");
        }
        let throttled =
            ApiError::from(ProviderError::Throttled(detail(Some(1500)))).into_response();
        assert_eq!(throttled.headers()[header::RETRY_AFTER], "2");
        assert_eq!(throttled.headers()["retry-after-ms"], "1500");
        let window = ApiError::from(ProviderError::ContextWindowExceeded(detail(None)));
        assert_eq!(window.code.as_deref(), Some("context_length_exceeded"));
        let body =
            serde_json::to_value(ApiError::from(ProviderError::ModelNotFound(detail(None))).body())
                .unwrap();
        assert_eq!(
            body,
            json!({"error": {"message": "Too many requests", "type": "not_found_error",
                                         "param": null, "code": "model_not_found"}})
        );
    }

    #[test]
    fn serve_redacts_aws_messages_for_clients() {
        let mut denied = detail(None);
        denied.message =
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: bedrock:InvokeModel".into();
        let api = ApiError::from(ProviderError::AccessDenied(denied));
        assert_eq!(
            api.message,
            "User: [redacted] is not authorized to perform: bedrock:InvokeModel"
        );
    }

    #[test]
    fn serve_answers_host_failures_without_their_chain() {
        let error = anyhow::Error::from(HostError::Trapped {
            function: "converse-stream",
            detail: "wasm backtrace:\n    0: 0x1234 - guest::f".into(),
        })
        .context("instantiating /home/alice/plugin.wasm");
        let api = ApiError::host(error);
        assert_eq!(
            (api.status.as_u16(), api.code.as_deref()),
            (500, Some("host_error"))
        );
        for leak in ["alice", "backtrace", "0x1234", "converse-stream"] {
            assert!(!api.message.contains(leak), "{}", api.message);
        }
        let busy = ApiError::host(HostError::Busy { limit: 3 }.into());
        assert_eq!(
            (busy.status.as_u16(), busy.retry_after_ms),
            (429, Some(1000))
        );
    }
}
