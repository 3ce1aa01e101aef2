//! Bedrock's error answers, HTTP and in-stream, as typed errors.
//!
//! AWS names an error three ways: the `x-amzn-ErrorType` header
//! (`ThrottlingException:http://internal.amazon.com/...`), a `__type` field in
//! the JSON body, and the HTTP status. The code is taken from the first one
//! present; the status decides when no code is known.

use crate::retry;
use crate::types::{ErrorDetail, ProviderError};
use serde::Deserialize;
use std::time::SystemTime;

/// Longest service message kept in an error; the rest is cut (an error body
/// is the server's to size, not ours to carry around).
const MAX_MESSAGE_LEN: usize = 1024;

/// How a connect timeout is worded. The contract's `timeout` and `network`
/// errors carry text only, and [`retry`](crate::retry) retries a connect
/// timeout but no other: transports build these errors with
/// [`connect_timeout`] and [`host_denied`] so the two stay told apart.
pub const CONNECT_TIMEOUT: &str = "connecting timed out";
/// How the host's refusal of a destination is worded (never retried: the
/// allow-list does not change between attempts).
pub const HOST_DENIED: &str = "the host denied this outbound request";

/// The connection could not be opened in time.
pub fn connect_timeout() -> ProviderError {
    ProviderError::Timeout(CONNECT_TIMEOUT.to_string())
}

/// The host refused the destination (it is not on the host's allow-list).
pub fn host_denied() -> ProviderError {
    ProviderError::Network(format!("{HOST_DENIED} (destination not on its allow-list)"))
}

/// What is needed from an HTTP error answer.
#[derive(Debug)]
pub struct HttpErrorResponse<'a> {
    pub status: u16,
    /// `x-amzn-ErrorType`.
    pub error_type: Option<&'a str>,
    /// `x-amzn-RequestId`.
    pub request_id: Option<&'a str>,
    /// `Retry-After`: delay-seconds or an HTTP date.
    pub retry_after: Option<&'a str>,
    /// `Date`, what a `Retry-After` date is measured from.
    pub date: Option<&'a str>,
    /// When the answer arrived, for a `Retry-After` date without a `Date`.
    pub received_at: SystemTime,
    /// The body (or its first bytes).
    pub body: &'a [u8],
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(alias = "Message")]
    message: Option<String>,
    #[serde(rename = "__type")]
    error_type: Option<String>,
    #[serde(rename = "originalStatusCode")]
    original_status_code: Option<u16>,
    #[serde(rename = "originalMessage")]
    original_message: Option<String>,
}

/// Classifies an HTTP error answer (status >= 300).
pub fn from_http(response: &HttpErrorResponse<'_>) -> ProviderError {
    let body: ErrorBody = serde_json::from_slice(response.body).unwrap_or_default();
    let code = response
        .error_type
        .or(body.error_type.as_deref())
        .map(short_code)
        .filter(|c| !c.is_empty());
    let message = body
        .message
        .clone()
        .or_else(|| non_json_message(response.body))
        .unwrap_or_else(|| format!("HTTP {} with no error message", response.status));
    let detail = ErrorDetail {
        message: clip(message),
        status: Some(response.status),
        code: code.map(str::to_string),
        request_id: response.request_id.map(str::to_string),
        retry_after_ms: response
            .retry_after
            .and_then(|value| retry::retry_after_ms(value, response.date, response.received_at)),
    };
    classify(code, Some(response.status), detail)
}

/// Classifies an in-stream exception frame (`:exception-type` and its JSON
/// payload) or error frame (`:error-code`, `:error-message`).
pub fn from_exception(exception_type: &str, payload: &[u8]) -> ProviderError {
    let body: ErrorBody = serde_json::from_slice(payload).unwrap_or_default();
    let mut message = body
        .message
        .or_else(|| non_json_message(payload))
        .unwrap_or_else(|| format!("{exception_type} with no message"));
    if let Some(original) = body.original_message {
        message = format!("{message} (model said: {original})");
    }
    let detail = ErrorDetail {
        message: clip(message),
        status: body.original_status_code,
        code: Some(upper_first(exception_type)),
        request_id: None,
        retry_after_ms: None,
    };
    classify(Some(exception_type), None, detail)
}

/// Maps an AWS error code (either casing of the first letter) or, failing
/// that, a status to the contract's error kinds.
fn classify(code: Option<&str>, status: Option<u16>, detail: ErrorDetail) -> ProviderError {
    let code = code.map(|c| c.to_ascii_lowercase());
    match code.as_deref() {
        Some("accessdeniedexception") => ProviderError::AccessDenied(detail),
        Some(
            "unrecognizedclientexception"
            | "invalidsignatureexception"
            | "incompletesignatureexception"
            | "missingauthenticationtokenexception"
            | "expiredtokenexception"
            | "expiredtoken"
            | "invalidclienttokenid"
            | "signaturedoesnotmatch",
        ) => ProviderError::Auth(detail),
        Some(
            "throttlingexception" | "toomanyrequestsexception" | "servicequotaexceededexception",
        ) => ProviderError::Throttled(detail),
        Some("validationexception") if is_context_overflow(&detail.message) => {
            ProviderError::ContextWindowExceeded(detail)
        }
        Some("validationexception") => ProviderError::Validation(detail),
        Some("resourcenotfoundexception") => ProviderError::ModelNotFound(detail),
        Some("modelnotreadyexception") => ProviderError::ModelNotReady(detail),
        Some("serviceunavailableexception") => ProviderError::ServiceUnavailable(detail),
        Some("internalserverexception") => ProviderError::InternalServer(detail),
        Some("modelstreamerrorexception") => ProviderError::ModelStreamError(detail),
        Some("modeltimeoutexception") => ProviderError::Timeout(detail.message),
        _ => match status {
            Some(401) => ProviderError::Auth(detail),
            Some(403) => ProviderError::AccessDenied(detail),
            Some(404) => ProviderError::ModelNotFound(detail),
            Some(429) => ProviderError::Throttled(detail),
            Some(503) => ProviderError::ServiceUnavailable(detail),
            Some(500..=599) => ProviderError::InternalServer(detail),
            Some(_) => ProviderError::Http(detail),
            // An exception type this build does not know: the stream failed
            // on the service's side, which is what this variant says.
            None => ProviderError::ModelStreamError(detail),
        },
    }
}

/// Bedrock reports an oversized prompt as a ValidationException; callers
/// need to tell it apart (they compact the conversation, not fix a field).
fn is_context_overflow(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "input is too long",
        "too many input tokens",
        "context window",
        "context length",
        "prompt is too long",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

/// `ThrottlingException:http://internal.amazon.com/...` → `ThrottlingException`;
/// `com.amazon.coral#Foo` → `Foo`.
fn short_code(raw: &str) -> &str {
    let code = raw.split(':').next().unwrap_or(raw);
    code.rsplit('#').next().unwrap_or(code).trim()
}

/// A body that is not JSON (a proxy's HTML page, say): keep its first line.
fn non_json_message(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(first.to_string())
}

fn clip(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_LEN {
        let mut cut = MAX_MESSAGE_LEN;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    message
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// A one-line, human-readable description of an error (no secrets: errors
/// only ever carry the service's message and identifiers).
pub fn describe(error: &ProviderError) -> String {
    let detailed = |kind: &str, d: &ErrorDetail| {
        let mut s = format!("{kind}: {}", d.message);
        if let Some(code) = &d.code {
            s += &format!(" [{code}]");
        }
        if let Some(status) = d.status {
            s += &format!(" (HTTP {status})");
        }
        if let Some(id) = &d.request_id {
            s += &format!(" request id {id}");
        }
        s
    };
    match error {
        ProviderError::NotImplemented(m) => format!("not implemented: {m}"),
        ProviderError::NoCredentials(m) => format!("no credentials: {m}"),
        ProviderError::CredentialSource(m) => format!("credential source failed: {m}"),
        ProviderError::InvalidRequest(m) => format!("invalid request: {m}"),
        ProviderError::Auth(d) => detailed("authentication failed", d),
        ProviderError::AccessDenied(d) => detailed("access denied", d),
        ProviderError::Throttled(d) => detailed("throttled", d),
        ProviderError::Validation(d) => detailed("validation error", d),
        ProviderError::ModelNotFound(d) => detailed("model not found", d),
        ProviderError::ModelNotReady(d) => detailed("model not ready", d),
        ProviderError::ContextWindowExceeded(d) => detailed("context window exceeded", d),
        ProviderError::ServiceUnavailable(d) => detailed("service unavailable", d),
        ProviderError::InternalServer(d) => detailed("internal server error", d),
        ProviderError::ModelStreamError(d) => detailed("model stream error", d),
        ProviderError::Http(d) => detailed("HTTP error", d),
        ProviderError::Timeout(m) => format!("timeout: {m}"),
        ProviderError::Network(m) => format!("network error: {m}"),
        ProviderError::Protocol(m) => format!("protocol error: {m}"),
        ProviderError::Cancelled => "cancelled".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, error_type: Option<&str>, body: &str) -> ProviderError {
        from_http(&HttpErrorResponse {
            status,
            error_type,
            request_id: Some("req-1"),
            retry_after: Some("2"),
            date: None,
            received_at: SystemTime::UNIX_EPOCH,
            body: body.as_bytes(),
        })
    }

    #[test]
    fn retry_after_may_be_a_date() {
        let e = from_http(&HttpErrorResponse {
            status: 503,
            error_type: None,
            request_id: None,
            retry_after: Some("Sun, 06 Nov 1994 08:49:47 GMT"),
            date: Some("Sun, 06 Nov 1994 08:49:37 GMT"),
            received_at: SystemTime::UNIX_EPOCH,
            body: b"{}",
        });
        assert!(
            matches!(e, ProviderError::ServiceUnavailable(d) if d.retry_after_ms == Some(10_000)),
            "measured from Date"
        );
    }

    #[test]
    fn header_code_wins() {
        let e = http(
            403,
            Some(
                "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/",
            ),
            r#"{"message":"The request signature we calculated does not match"}"#,
        );
        let ProviderError::Auth(d) = e else {
            panic!("{e:?}")
        };
        assert_eq!(d.code.as_deref(), Some("InvalidSignatureException"));
        assert_eq!(d.status, Some(403));
        assert_eq!(d.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn status_decides_without_a_code() {
        assert!(
            matches!(http(429, None, "{}"), ProviderError::Throttled(d) if d.retry_after_ms == Some(2000))
        );
        assert!(
            matches!(http(500, None, "<html>\n<h1>oops</h1>"), ProviderError::InternalServer(d) if d.message == "<html>")
        );
        assert!(
            matches!(http(403, None, r#"{"Message":"no"}"#), ProviderError::AccessDenied(d) if d.message == "no")
        );
        assert!(matches!(http(418, None, ""), ProviderError::Http(_)));
    }

    #[test]
    fn body_type_is_used_when_no_header() {
        let e = http(
            400,
            None,
            r#"{"__type":"com.amazon.coral#ResourceNotFoundException","message":"x"}"#,
        );
        assert!(matches!(e, ProviderError::ModelNotFound(_)));
    }

    #[test]
    fn context_overflow_is_told_apart() {
        let e = http(
            400,
            Some("ValidationException"),
            r#"{"message":"Input is too long for requested model."}"#,
        );
        assert!(matches!(e, ProviderError::ContextWindowExceeded(_)));
    }

    #[test]
    fn in_stream_exceptions() {
        let e = from_exception("throttlingException", br#"{"message":"slow down"}"#);
        assert!(
            matches!(e, ProviderError::Throttled(ref d) if d.code.as_deref() == Some("ThrottlingException"))
        );
        let e = from_exception(
            "modelStreamErrorException",
            br#"{"message":"boom","originalStatusCode":424,"originalMessage":"bad"}"#,
        );
        let ProviderError::ModelStreamError(d) = e else {
            panic!()
        };
        assert_eq!(d.status, Some(424));
        assert!(d.message.contains("bad"));
        for (name, ok) in [
            (
                "internalServerException",
                matches!(
                    from_exception("internalServerException", b"{}"),
                    ProviderError::InternalServer(_)
                ),
            ),
            (
                "validationException",
                matches!(
                    from_exception("validationException", b"{}"),
                    ProviderError::Validation(_)
                ),
            ),
            (
                "serviceUnavailableException",
                matches!(
                    from_exception("serviceUnavailableException", b"{}"),
                    ProviderError::ServiceUnavailable(_)
                ),
            ),
        ] {
            assert!(ok, "{name}");
        }
    }

    #[test]
    fn transport_wordings_are_stable() {
        assert_eq!(
            connect_timeout(),
            ProviderError::Timeout(CONNECT_TIMEOUT.into())
        );
        assert!(matches!(host_denied(), ProviderError::Network(m) if m.starts_with(HOST_DENIED)));
    }

    #[test]
    fn long_messages_are_clipped() {
        let body = format!(r#"{{"message":"{}"}}"#, "é".repeat(2000));
        let ProviderError::Validation(d) = http(400, Some("ValidationException"), &body) else {
            panic!()
        };
        assert!(d.message.len() <= MAX_MESSAGE_LEN + '…'.len_utf8());
    }
}
