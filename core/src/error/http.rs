//! Bedrock's error answers, HTTP and in-stream, as typed errors.
//!
//! AWS names an error three ways: the `x-amzn-ErrorType` header
//! (`ThrottlingException:http://internal.amazon.com/...`), a `__type` field in
//! the JSON body, and the HTTP status. The code is taken from the first one
//! present; the status decides when no code is known.

use super::Error;
use crate::retry;
use crate::types::ErrorDetail;
use serde::Deserialize;
use std::time::SystemTime;

/// Longest service message kept in an error; the rest is cut (an error body
/// is the server's to size, not ours to carry around).
const MAX_MESSAGE_LEN: usize = 1024;

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
pub fn from_http(response: &HttpErrorResponse<'_>) -> Error {
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
pub fn from_exception(exception_type: &str, payload: &[u8]) -> Error {
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
fn classify(code: Option<&str>, status: Option<u16>, detail: ErrorDetail) -> Error {
    let code = code.map(|c| c.to_ascii_lowercase());
    match code.as_deref() {
        Some("accessdeniedexception") => Error::AccessDenied(detail),
        Some(
            "unrecognizedclientexception"
            | "invalidsignatureexception"
            | "incompletesignatureexception"
            | "missingauthenticationtokenexception"
            | "expiredtokenexception"
            | "expiredtoken"
            | "invalidclienttokenid"
            | "signaturedoesnotmatch",
        ) => Error::Auth(detail),
        Some(
            "throttlingexception" | "toomanyrequestsexception" | "servicequotaexceededexception",
        ) => Error::Throttled(detail),
        Some("validationexception") if is_context_overflow(&detail.message) => {
            Error::ContextWindowExceeded(detail)
        }
        Some("validationexception") => Error::Validation(detail),
        Some("resourcenotfoundexception") => Error::ModelNotFound(detail),
        Some("modelnotreadyexception") => Error::ModelNotReady(detail),
        Some("serviceunavailableexception") => Error::ServiceUnavailable(detail),
        Some("internalserverexception") => Error::InternalServer(detail),
        Some("modelstreamerrorexception") => Error::ModelStreamError(detail),
        Some("modeltimeoutexception") => Error::ModelTimeout(detail),
        _ => match status {
            Some(401) => Error::Auth(detail),
            Some(403) => Error::AccessDenied(detail),
            Some(404) => Error::ModelNotFound(detail),
            Some(429) => Error::Throttled(detail),
            Some(503) => Error::ServiceUnavailable(detail),
            Some(500..=599) => Error::InternalServer(detail),
            Some(_) => Error::Http(detail),
            // An exception type this build does not know: the stream failed
            // on the service's side, which is what this variant says.
            None => Error::ModelStreamError(detail),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, error_type: Option<&str>, body: &str) -> Error {
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
            matches!(e, Error::ServiceUnavailable(d) if d.retry_after_ms == Some(10_000)),
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
        let Error::Auth(d) = e else { panic!("{e:?}") };
        assert_eq!(d.code.as_deref(), Some("InvalidSignatureException"));
        assert_eq!(d.status, Some(403));
        assert_eq!(d.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn status_decides_without_a_code() {
        assert!(
            matches!(http(429, None, "{}"), Error::Throttled(d) if d.retry_after_ms == Some(2000))
        );
        assert!(
            matches!(http(500, None, "<html>\n<h1>oops</h1>"), Error::InternalServer(d) if d.message == "<html>")
        );
        assert!(
            matches!(http(403, None, r#"{"Message":"no"}"#), Error::AccessDenied(d) if d.message == "no")
        );
        assert!(matches!(http(418, None, ""), Error::Http(_)));
    }

    #[test]
    fn body_type_is_used_when_no_header() {
        let e = http(
            400,
            None,
            r#"{"__type":"com.amazon.coral#ResourceNotFoundException","message":"x"}"#,
        );
        assert!(matches!(e, Error::ModelNotFound(_)));
    }

    #[test]
    fn context_overflow_is_told_apart() {
        let e = http(
            400,
            Some("ValidationException"),
            r#"{"message":"Input is too long for requested model."}"#,
        );
        assert!(matches!(e, Error::ContextWindowExceeded(_)));
    }

    #[test]
    fn in_stream_exceptions() {
        let e = from_exception("throttlingException", br#"{"message":"slow down"}"#);
        assert!(
            matches!(e, Error::Throttled(ref d) if d.code.as_deref() == Some("ThrottlingException"))
        );
        let e = from_exception(
            "modelStreamErrorException",
            br#"{"message":"boom","originalStatusCode":424,"originalMessage":"bad"}"#,
        );
        let Error::ModelStreamError(d) = e else {
            panic!()
        };
        assert_eq!(d.status, Some(424));
        assert!(d.message.contains("bad"));
        for (name, ok) in [
            (
                "internalServerException",
                matches!(
                    from_exception("internalServerException", b"{}"),
                    Error::InternalServer(_)
                ),
            ),
            (
                "validationException",
                matches!(
                    from_exception("validationException", b"{}"),
                    Error::Validation(_)
                ),
            ),
            (
                "serviceUnavailableException",
                matches!(
                    from_exception("serviceUnavailableException", b"{}"),
                    Error::ServiceUnavailable(_)
                ),
            ),
        ] {
            assert!(ok, "{name}");
        }
    }

    #[test]
    fn long_messages_are_clipped() {
        let body = format!(r#"{{"message":"{}"}}"#, "é".repeat(2000));
        let Error::Validation(d) = http(400, Some("ValidationException"), &body) else {
            panic!()
        };
        assert!(d.message.len() <= MAX_MESSAGE_LEN + '…'.len_utf8());
    }
}
