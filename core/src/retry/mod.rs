//! When a failed request is sent again, and how soon.
//!
//! Every request of the plugin follows one set of rules, kept by
//! [`Retries`] (a state machine without I/O, which says in which order they
//! apply): [`send_with_retries`] drives it blocking (discovery, the control
//! plane, the credential sources), a ConverseStream call without blocking
//! ([`ConverseStream`](crate::converse::ConverseStream)). The decisions
//! themselves are here:
//!
//! * **Transient failures** ([`RetryPolicy::decide`]): throttling, 5xx,
//!   model-not-ready, network failures and connect timeouts are retried
//!   with capped exponential backoff and full jitter (the AWS SDKs'
//!   "standard" mode: up to 3 attempts, delays of `random × min(20 s, 1 s ×
//!   2^(attempt-1))`). Never the host's refusal of a destination.
//! * **Clock skew** ([`is_clock_skew_error`], [`skew`]): a signature refused
//!   because the local clock is off is re-signed once with the clock
//!   corrected by the server's `Date` header, as the AWS SDK for JavaScript
//!   does (`systemClockOffset`), and the correction is kept for later calls.
//! * **Expired credentials** ([`is_expired_credentials`]): the credential
//!   source is read again once, so a rotated credentials file needs no restart.
//!
//! Decisions look at the typed [`Error`] (its kind, the AWS error code);
//! only the service's own wording of a skewed or expired signature, which
//! has no code of its own, is read from its message.

mod attempts;
pub mod skew;
mod state;

pub use attempts::{Attempt, Failure, send_with_retries};
pub use skew::{ClockSkew, SKEW_CACHE_KEY, retry_after_ms, skew_correction, skew_from_date};
pub use state::{Recovery, Retries};

use crate::error::{Error, NetworkKind, TimeoutPhase};
use crate::types::{ErrorDetail, ProviderConfig};
use std::time::Duration;

/// How many times, and how patiently, a request is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included; 1 never retries.
    pub max_attempts: u32,
    /// Ceiling of the first retry's delay; it doubles with each attempt.
    pub base_delay: Duration,
    /// Ceiling of any delay, `Retry-After` included.
    pub max_delay: Duration,
    /// Whether a request that got no answer (refused, reset, connect
    /// timeout) is sent again. The host's refusal never is.
    pub transport: bool,
}

impl RetryPolicy {
    /// The AWS SDKs' standard retry mode.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(20),
        transport: true,
    };

    /// The call's `max-attempts` (0 counts as 1: the request is sent once),
    /// defaults for the rest.
    pub fn from_config(config: &ProviderConfig) -> RetryPolicy {
        RetryPolicy {
            max_attempts: config
                .max_attempts
                .map_or(Self::DEFAULT.max_attempts, |n| n.max(1)),
            ..Self::DEFAULT
        }
    }

    /// What to do after attempt number `attempt` (1 for the first) failed
    /// with `error`. `rng_value`: a uniform random number in `[0, 1)`
    /// (values outside are clamped, NaN counts as 1).
    ///
    /// The delay is `rng_value × min(max_delay, base_delay × 2^(attempt-1))`
    /// ("full jitter": concurrent callers throttled together spread out). A
    /// server's `Retry-After` is a floor under it: waiting less would only
    /// be throttled again. It is still capped at `max_delay`, so one answer
    /// cannot stall a call for minutes; the attempt limit bounds the rest.
    pub fn decide(&self, attempt: u32, error: &Error, rng_value: f64) -> Decision {
        let transport = matches!(error, Error::Network(_) | Error::Timeout(_));
        if attempt >= self.max_attempts || !is_retryable(error) || (transport && !self.transport) {
            return Decision::GiveUp;
        }
        let jittered = self.backoff_ceiling(attempt).mul_f64(unit(rng_value));
        let floor = error
            .detail()
            .and_then(|d| d.retry_after_ms)
            .map_or(Duration::ZERO, Duration::from_millis);
        Decision::Retry(jittered.max(floor).min(self.max_delay))
    }

    /// `min(max_delay, base_delay × 2^(attempt-1))`.
    fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What to do about a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send the request again after this long.
    Retry(Duration),
    /// Return the error.
    GiveUp,
}

fn unit(value: f64) -> f64 {
    if value.is_nan() {
        1.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

/// The failure may pass if the same request is sent again.
///
/// * Throttling, except `ServiceQuotaExceededException`: a quota (tokens per
///   day, say) does not pass in seconds, and the AWS SDKs do not retry it.
/// * 5xx (`internal-server`, `service-unavailable`) and `ModelNotReadyException`
///   (Bedrock's own advice is to retry it).
/// * Network failures, except the host's refusal of a destination not on
///   its allow-list, which no retry changes.
/// * Timeouts while connecting only. A first-byte or between-bytes timeout
///   means the model stalled after the request was taken: each costs the
///   whole timeout again, and the gateway can resend if it wants to.
///
/// Never: validation, authentication, access denied, model not found,
/// context window exceeded, in-stream model errors, protocol errors,
/// cancellation, and everything the plugin refused before sending.
pub fn is_retryable(error: &Error) -> bool {
    match error {
        Error::Throttled(d) => !code_is(d, &["ServiceQuotaExceededException"]),
        Error::ServiceUnavailable(_) | Error::InternalServer(_) | Error::ModelNotReady(_) => true,
        Error::Network(network) => network.kind != NetworkKind::Denied,
        Error::Timeout(timeout) => timeout.phase == TimeoutPhase::Connect,
        _ => false,
    }
}

/// The signature was refused because the local clock is off.
///
/// `RequestTimeTooSkewed`, `RequestExpired` and `RequestInTheFuture` say so
/// by their code alone. `InvalidSignatureException`, `SignatureDoesNotMatch`
/// and `AuthFailure` also mean wrong keys, so for them (and for any other
/// error) it takes the service's skew wording: Bedrock answers
/// `Signature expired: 20240101T000000Z is now earlier than ... (... - 5 min.)`
/// or `Signature not yet current: ... is still later than ...`.
pub fn is_clock_skew_error(error: &Error) -> bool {
    let Some(d) = error.detail() else {
        return false;
    };
    if code_is(
        d,
        &[
            "RequestTimeTooSkewed",
            "RequestExpired",
            "RequestInTheFuture",
        ],
    ) {
        return true;
    }
    mentions_skew(&d.message)
}

fn mentions_skew(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "signature expired",
        "signature not yet current",
        "too skewed",
        "clock skew",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

/// The service refused the credentials as expired or unknown: the source
/// should be read again once (a rotated credentials file, refreshed role
/// credentials), as the issue and the SDKs' refresh-on-expiry rule want.
///
/// `ExpiredToken` / `ExpiredTokenException` and `UnrecognizedClientException`
/// (which Bedrock answers for a key it does not know, e.g. one rotated away)
/// by code; `InvalidClientTokenId` (and answers with no code) when the message
/// says the token expired. An expired *signature* is a clock problem
/// ([`is_clock_skew_error`]), not this.
pub fn is_expired_credentials(error: &Error) -> bool {
    let Some(d) = error.detail() else {
        return false;
    };
    if code_is(
        d,
        &[
            "ExpiredToken",
            "ExpiredTokenException",
            "UnrecognizedClientException",
        ],
    ) {
        return true;
    }
    let token_code = d.code.is_none() || code_is(d, &["InvalidClientTokenId"]);
    let message = d.message.to_ascii_lowercase();
    token_code && message.contains("expired") && !mentions_skew(&message)
}

fn code_is(detail: &ErrorDetail, codes: &[&str]) -> bool {
    detail
        .code
        .as_deref()
        .is_some_and(|code| codes.iter().any(|c| c.eq_ignore_ascii_case(code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: Option<&str>, message: &str, retry_after_ms: Option<u64>) -> ErrorDetail {
        ErrorDetail {
            message: message.into(),
            status: None,
            code: code.map(Into::into),
            request_id: None,
            retry_after_ms,
        }
    }

    fn throttled(retry_after_ms: Option<u64>) -> Error {
        Error::Throttled(d(Some("ThrottlingException"), "slow down", retry_after_ms))
    }

    const POLICY: RetryPolicy = RetryPolicy::DEFAULT;

    #[test]
    fn defaults_and_config() {
        assert_eq!(RetryPolicy::default(), POLICY);
        assert_eq!(
            (POLICY.max_attempts, POLICY.base_delay, POLICY.max_delay),
            (3, Duration::from_secs(1), Duration::from_secs(20))
        );
        let config = |max_attempts| ProviderConfig {
            max_attempts,
            ..Default::default()
        };
        assert_eq!(RetryPolicy::from_config(&config(None)), POLICY);
        assert_eq!(RetryPolicy::from_config(&config(Some(5))).max_attempts, 5);
        assert_eq!(
            RetryPolicy::from_config(&config(Some(0))).max_attempts,
            1,
            "0 still sends once"
        );
        let once = RetryPolicy::from_config(&config(Some(1)));
        assert_eq!(once.decide(1, &throttled(None), 0.5), Decision::GiveUp);
    }

    #[test]
    fn what_is_retried() {
        let retried = [
            throttled(None),
            Error::Throttled(d(Some("TooManyRequestsException"), "x", None)),
            Error::ServiceUnavailable(d(None, "x", None)),
            Error::InternalServer(d(Some("InternalServerException"), "x", None)),
            Error::ModelNotReady(d(Some("ModelNotReadyException"), "x", None)),
            Error::network(NetworkKind::Reset, "connection reset"),
            Error::network(NetworkKind::Refused, ""),
            Error::network(NetworkKind::Other, "DNS-timeout"),
            Error::timeout(TimeoutPhase::Connect, Some(Duration::from_secs(10))),
        ];
        for e in &retried {
            assert!(is_retryable(e), "{e:?}");
            assert!(
                matches!(POLICY.decide(1, e, 0.5), Decision::Retry(_)),
                "{e:?}"
            );
        }
        let never = [
            Error::Throttled(d(Some("ServiceQuotaExceededException"), "quota", None)),
            Error::Validation(d(Some("ValidationException"), "x", None)),
            Error::Auth(d(Some("UnrecognizedClientException"), "x", None)),
            Error::AccessDenied(d(Some("AccessDeniedException"), "x", None)),
            Error::ModelNotFound(d(None, "x", None)),
            Error::ContextWindowExceeded(d(None, "x", None)),
            Error::ModelStreamError(d(None, "x", None)),
            Error::Http(d(None, "teapot", None)),
            Error::network(NetworkKind::Denied, "not on the allow-list"),
            Error::timeout(TimeoutPhase::FirstByte, None),
            Error::timeout(TimeoutPhase::BetweenBytes, Some(Duration::from_secs(60))),
            Error::timeout(TimeoutPhase::Response, None),
            Error::ModelTimeout(d(Some("ModelTimeoutException"), "slow", None)),
            Error::Frame(crate::eventstream::FrameError::Truncated { buffered: 1 }),
            Error::Protocol("bad frame".into()),
            Error::InvalidRequest("x".into()),
            Error::NotImplemented("x".into()),
            Error::NoCredentials("x".into()),
            Error::CredentialSource("x".into()),
            Error::Cancelled,
        ];
        for e in &never {
            assert!(!is_retryable(e), "{e:?}");
            assert_eq!(POLICY.decide(1, e, 0.5), Decision::GiveUp, "{e:?}");
        }
    }

    #[test]
    fn attempts_are_limited() {
        assert!(matches!(
            POLICY.decide(1, &throttled(None), 0.5),
            Decision::Retry(_)
        ));
        assert!(matches!(
            POLICY.decide(2, &throttled(None), 0.5),
            Decision::Retry(_)
        ));
        assert_eq!(POLICY.decide(3, &throttled(None), 0.5), Decision::GiveUp);
        assert_eq!(
            POLICY.decide(u32::MAX, &throttled(None), 0.5),
            Decision::GiveUp
        );
    }

    #[test]
    fn backoff_is_capped_exponential_with_full_jitter() {
        let policy = RetryPolicy {
            max_attempts: 100,
            ..POLICY
        };
        let delay = |attempt, rng| match policy.decide(attempt, &throttled(None), rng) {
            Decision::Retry(delay) => delay,
            Decision::GiveUp => panic!("gave up"),
        };
        for (attempt, ceiling) in [
            (1, 1),
            (2, 2),
            (3, 4),
            (4, 8),
            (5, 16),
            (6, 20),
            (40, 20),
            (99, 20),
        ] {
            let ceiling = Duration::from_secs(ceiling);
            assert_eq!(delay(attempt, 0.0), Duration::ZERO, "attempt {attempt}");
            assert_eq!(delay(attempt, 1.0), ceiling, "attempt {attempt}");
            assert_eq!(delay(attempt, 0.5), ceiling / 2, "attempt {attempt}");
            // Jitter bounds over a sweep of random values.
            for i in 0..100 {
                let d = delay(attempt, f64::from(i) / 100.0);
                assert!(d <= ceiling, "attempt {attempt}: {d:?} > {ceiling:?}");
            }
        }
        // Out-of-range random values are clamped, NaN counts as 1.
        assert_eq!(delay(1, -3.0), Duration::ZERO);
        assert_eq!(delay(1, 7.0), Duration::from_secs(1));
        assert_eq!(delay(1, f64::NAN), Duration::from_secs(1));
        assert_eq!(delay(1, f64::INFINITY), Duration::from_secs(1));
    }

    #[test]
    fn retry_after_is_a_floor_capped_at_max_delay() {
        let delay = |retry_after_ms, rng| match POLICY.decide(1, &throttled(retry_after_ms), rng) {
            Decision::Retry(delay) => delay,
            Decision::GiveUp => panic!("gave up"),
        };
        assert_eq!(
            delay(Some(3_000), 0.0),
            Duration::from_secs(3),
            "floor over a small jitter"
        );
        assert_eq!(
            delay(Some(100), 0.5),
            Duration::from_millis(500),
            "jitter above the floor wins"
        );
        assert_eq!(delay(Some(600_000), 0.5), Duration::from_secs(20), "capped");
        assert_eq!(delay(Some(u64::MAX), 0.5), Duration::from_secs(20));
        let unavailable = Error::ServiceUnavailable(d(None, "busy", Some(2_000)));
        assert_eq!(
            POLICY.decide(1, &unavailable, 0.0),
            Decision::Retry(Duration::from_secs(2))
        );
    }

    #[test]
    fn clock_skew_errors() {
        let skewed = [
            Error::Auth(d(
                Some("InvalidSignatureException"),
                "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)",
                None,
            )),
            Error::Auth(d(
                Some("InvalidSignatureException"),
                "Signature not yet current: 20240101T002000Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)",
                None,
            )),
            Error::AccessDenied(d(
                Some("RequestTimeTooSkewed"),
                "The difference is too large.",
                None,
            )),
            Error::Http(d(Some("RequestExpired"), "Request has expired.", None)),
            Error::AccessDenied(d(Some("RequestInTheFuture"), "x", None)),
            Error::Auth(d(
                Some("SignatureDoesNotMatch"),
                "Signature expired: ...",
                None,
            )),
        ];
        for e in &skewed {
            assert!(is_clock_skew_error(e), "{e:?}");
            assert!(!is_expired_credentials(e), "{e:?}");
            assert!(!is_retryable(e), "a skew is corrected, not retried: {e:?}");
        }
        let not_skewed = [
            Error::Auth(d(
                Some("InvalidSignatureException"),
                "The request signature we calculated does not match the signature you provided.",
                None,
            )),
            Error::Auth(d(
                Some("ExpiredTokenException"),
                "The security token included in the request is expired",
                None,
            )),
            Error::timeout(TimeoutPhase::Connect, None),
            throttled(None),
        ];
        for e in &not_skewed {
            assert!(!is_clock_skew_error(e), "{e:?}");
        }
    }

    #[test]
    fn expired_credentials() {
        let expired = [
            Error::Auth(d(
                Some("ExpiredTokenException"),
                "The security token included in the request is expired",
                None,
            )),
            Error::Auth(d(Some("ExpiredToken"), "x", None)),
            Error::Auth(d(Some("expiredTokenException"), "x", None)),
            Error::Auth(d(
                Some("UnrecognizedClientException"),
                "The security token included in the request is expired",
                None,
            )),
            Error::Auth(d(
                Some("InvalidClientTokenId"),
                "The security token has expired.",
                None,
            )),
            Error::Auth(d(None, "Bearer token expired", None)),
            Error::Auth(d(
                Some("UnrecognizedClientException"),
                "The security token included in the request is invalid.",
                None,
            )),
        ];
        for e in &expired {
            assert!(is_expired_credentials(e), "{e:?}");
            assert!(!is_retryable(e), "{e:?}");
        }
        let not_expired = [
            Error::Auth(d(
                Some("InvalidClientTokenId"),
                "The security token included in the request is invalid.",
                None,
            )),
            Error::AccessDenied(d(
                Some("AccessDeniedException"),
                "Your subscription has expired",
                None,
            )),
            Error::Auth(d(
                None,
                "Signature expired: 20240101T000000Z is now earlier than ...",
                None,
            )),
            Error::CredentialSource("the SSO token expired".into()),
        ];
        for e in &not_expired {
            assert!(!is_expired_credentials(e), "{e:?}");
        }
    }
}
