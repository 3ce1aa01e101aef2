//! When a failed request is sent again, and how soon, without any I/O: the
//! caller owns the clock, the random numbers and the sleeping.
//!
//! Three rules, each checked by the caller in this order after a failed
//! attempt:
//!
//! 1. **Clock skew** ([`skew_correction`]): a signature refused because the
//!    local clock is off (`Signature expired`, `RequestTimeTooSkewed`, ...)
//!    is re-signed once with the clock corrected by the server's `Date`
//!    header, as the AWS SDK for JavaScript does (`systemClockOffset`). The
//!    correction is kept in the host's cache ([`SKEW_CACHE_KEY`]), so later
//!    calls sign with it from the start.
//! 2. **Expired credentials** ([`is_expired_credentials`]): an
//!    `ExpiredToken(Exception)` answer re-reads the credential source once
//!    and re-signs, so a rotated credentials file needs no restart.
//! 3. **Transient failures** ([`RetryPolicy::decide`]): throttling, 5xx,
//!    model-not-ready, network failures and connect timeouts are retried
//!    with capped exponential backoff and full jitter (the AWS SDKs'
//!    "standard" mode: up to 3 attempts, delays of `random × min(20 s, 1 s ×
//!    2^(attempt-1))`), never once an event has reached the host, which
//!    would duplicate it.
//!
//! The first two are one-off corrections of this request, not retries of a
//! transient failure, so they do not use up attempts. A sketch of the
//! caller's loop (the guest's, over `wasi:http`):
//!
//! ```text
//! let policy = RetryPolicy::from_config(&config);
//! let mut skew = cache.get(SKEW_CACHE_KEY).and_then(ClockSkew::decode);
//! let (mut attempt, mut corrected, mut refreshed) = (1, false, false);
//! loop {
//!     let now = skew.map_or(now(), |s: ClockSkew| s.apply(now()));
//!     let signed = converse::prepare(&config, &request, &env, &credentials, now)?;
//!     // A 200 whose first frame is an exception fails here too (`EventPump::start`).
//!     let (error, date_header) = match send(&signed) { Ok(stream) => return Ok(stream), Err(e) => e };
//!     if !corrected {
//!         if let Some(found) = retry::skew_correction(&error, date_header, now()) {
//!             (skew, corrected) = (Some(found), true);
//!             cache.set(SKEW_CACHE_KEY, &found.encode());
//!             continue;
//!         }
//!     }
//!     if !refreshed && retry::is_expired_credentials(&error) { drop_cached_credentials(); refreshed = true; continue; }
//!     match policy.decide(attempt, &error, events_delivered, random_f64()) {
//!         Decision::Retry(delay) => { sleep(delay); attempt += 1; }
//!         Decision::GiveUp => return Err(error),
//!     }
//! }
//! ```

use crate::error;
use crate::types::{ErrorDetail, ProviderConfig, ProviderError};
use std::time::{Duration, SystemTime};

/// How many times, and how patiently, a request is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included; 1 never retries.
    pub max_attempts: u32,
    /// Ceiling of the first retry's delay; it doubles with each attempt.
    pub base_delay: Duration,
    /// Ceiling of any delay, `Retry-After` included.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The AWS SDKs' standard retry mode.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(20),
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
    /// with `error`. `events_delivered`: some event of this reply already
    /// reached the host. `rng_value`: a uniform random number in `[0, 1)`
    /// (values outside are clamped, NaN counts as 1).
    ///
    /// The delay is `rng_value × min(max_delay, base_delay × 2^(attempt-1))`
    /// ("full jitter": concurrent callers throttled together spread out). A
    /// server's `Retry-After` is a floor under it: waiting less would only
    /// be throttled again. It is still capped at `max_delay`, so one answer
    /// cannot stall a call for minutes; the attempt limit bounds the rest.
    pub fn decide(
        &self,
        attempt: u32,
        error: &ProviderError,
        events_delivered: bool,
        rng_value: f64,
    ) -> Decision {
        if events_delivered || attempt >= self.max_attempts || !is_retryable(error) {
            return Decision::GiveUp;
        }
        let jittered = self.backoff_ceiling(attempt).mul_f64(unit(rng_value));
        let floor = detail(error)
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
pub fn is_retryable(error: &ProviderError) -> bool {
    match error {
        ProviderError::Throttled(d) => !code_is(d, &["ServiceQuotaExceededException"]),
        ProviderError::ServiceUnavailable(_)
        | ProviderError::InternalServer(_)
        | ProviderError::ModelNotReady(_) => true,
        ProviderError::Network(message) => !message.starts_with(error::HOST_DENIED),
        ProviderError::Timeout(message) => message.starts_with(error::CONNECT_TIMEOUT),
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
pub fn is_clock_skew_error(error: &ProviderError) -> bool {
    let Some(d) = detail(error) else { return false };
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
pub fn is_expired_credentials(error: &ProviderError) -> bool {
    let Some(d) = detail(error) else { return false };
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

fn detail(error: &ProviderError) -> Option<&ErrorDetail> {
    match error {
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

fn code_is(detail: &ErrorDetail, codes: &[&str]) -> bool {
    detail
        .code
        .as_deref()
        .is_some_and(|code| codes.iter().any(|c| c.eq_ignore_ascii_case(code)))
}

/// How far the server's clock is from the local one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockSkew {
    /// The server's clock reads later than the local one by this much.
    ServerAhead(Duration),
    /// The server's clock reads earlier than the local one by this much.
    ServerBehind(Duration),
}

impl ClockSkew {
    /// The local time `local` as the server's clock would read it: the time
    /// to sign with.
    pub fn apply(self, local: SystemTime) -> SystemTime {
        match self {
            ClockSkew::ServerAhead(by) => local.checked_add(by).unwrap_or(local),
            ClockSkew::ServerBehind(by) => local.checked_sub(by).unwrap_or(local),
        }
    }

    /// The size of the difference, whatever its direction.
    pub fn magnitude(self) -> Duration {
        match self {
            ClockSkew::ServerAhead(by) | ClockSkew::ServerBehind(by) => by,
        }
    }

    /// The form kept in the host's cache ([`SKEW_CACHE_KEY`]): signed
    /// milliseconds, `+1200000` for a server 20 minutes ahead.
    pub fn encode(self) -> Vec<u8> {
        let (sign, by) = match self {
            ClockSkew::ServerAhead(by) => ('+', by),
            ClockSkew::ServerBehind(by) => ('-', by),
        };
        format!("{sign}{}", by.as_millis()).into_bytes()
    }

    /// Reads [`encode`](Self::encode)'s form; `None` for anything else (a
    /// cache entry that does not parse is a miss).
    pub fn decode(bytes: &[u8]) -> Option<ClockSkew> {
        let text = std::str::from_utf8(bytes).ok()?;
        let (ahead, digits) = match text.as_bytes().first()? {
            b'+' => (true, &text[1..]),
            b'-' => (false, &text[1..]),
            _ => return None,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let by = Duration::from_millis(digits.parse().ok()?);
        Some(if ahead {
            ClockSkew::ServerAhead(by)
        } else {
            ClockSkew::ServerBehind(by)
        })
    }
}

/// The host-cache key of the last clock correction. A skewed local clock is
/// skewed for every call: keeping the correction across calls (and across
/// instances, which the host may create per call) spares each call the
/// refused first attempt. One key serves every endpoint, as AWS keeps one
/// time; a correction that no longer fits is replaced by the next refusal's.
pub const SKEW_CACHE_KEY: &str = "clock-skew/v1";

/// The skew between `now` and an HTTP `Date` header (RFC 7231: IMF-fixdate,
/// or the obsolete RFC 850 and asctime forms); `None` if it does not parse.
/// The header has one-second resolution, and the answer's travel time is
/// counted as skew: both are far below the five minutes AWS tolerates.
pub fn skew_from_date(date_header: &str, now: SystemTime) -> Option<ClockSkew> {
    let server = http_date::parse(date_header)?;
    Some(match server.duration_since(now) {
        Ok(ahead) => ClockSkew::ServerAhead(ahead),
        Err(behind) => ClockSkew::ServerBehind(behind.duration()),
    })
}

/// The clock correction to re-sign with, when `error` is a clock-skew
/// refusal and the answer's `Date` header tells the server's time.
pub fn skew_correction(
    error: &ProviderError,
    date_header: Option<&str>,
    now: SystemTime,
) -> Option<ClockSkew> {
    if !is_clock_skew_error(error) {
        return None;
    }
    skew_from_date(date_header?, now)
}

/// The wait a `Retry-After` header asks for, in milliseconds: delay-seconds
/// (`120`) or an HTTP date (RFC 7231 §7.1.3). A date is measured from the
/// answer's own `Date` header when it has one, so a skewed local clock does
/// not distort the wait (both times are the server's), else from `now`; a
/// date already past asks for no wait. `None` when the value is neither.
pub fn retry_after_ms(value: &str, date_header: Option<&str>, now: SystemTime) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still "a very long wait".
        return Some(
            value
                .parse::<u64>()
                .unwrap_or(u64::MAX)
                .saturating_mul(1000),
        );
    }
    let at = http_date::parse(value)?;
    let reference = date_header.and_then(http_date::parse).unwrap_or(now);
    let wait = at.duration_since(reference).unwrap_or(Duration::ZERO);
    Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX))
}

/// HTTP dates (RFC 7231 §7.1.1.1), which a recipient must accept in all
/// three historical forms.
mod http_date {
    use std::time::{Duration, SystemTime};

    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const LONG_DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];

    use crate::time::{days_from_civil, days_in_month};

    /// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` or
    /// `Sun Nov  6 08:49:37 1994`.
    pub fn parse(text: &str) -> Option<SystemTime> {
        let parts: Vec<&str> = text.split_ascii_whitespace().collect();
        let (day, month, year, time) = match parts[..] {
            [weekday, day, month, year, time, "GMT"]
                if DAYS.contains(&weekday.strip_suffix(',')?) =>
            {
                (day, month, four_digits(year)?, time)
            }
            [weekday, date, time, "GMT"] if LONG_DAYS.contains(&weekday.strip_suffix(',')?) => {
                let mut fields = date.split('-');
                let (day, month, year) = (fields.next()?, fields.next()?, fields.next()?);
                if fields.next().is_some() || year.len() != 2 {
                    return None;
                }
                // Two-digit years: 70-99 are 19xx, the rest 20xx.
                let yy: i64 = digits(year)?;
                (
                    day,
                    month,
                    if yy >= 70 { 1900 + yy } else { 2000 + yy },
                    time,
                )
            }
            [weekday, month, day, time, year] if DAYS.contains(&weekday) => {
                (day, month, four_digits(year)?, time)
            }
            _ => return None,
        };
        let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
        let day: i64 = digits(day).filter(|_| day.len() <= 2)?;
        if year < 1970 || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let mut hms = time.split(':');
        let mut field = |max: u32| -> Option<u64> {
            let f = hms.next().filter(|f| f.len() == 2)?;
            digits::<u32>(f).filter(|v| *v <= max).map(u64::from)
        };
        // 60 seconds: a leap second.
        let (h, m, s) = (field(23)?, field(59)?, field(60)?);
        if hms.next().is_some() {
            return None;
        }
        let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
        let secs = days.checked_mul(86_400)? + h * 3600 + m * 60 + s;
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
    }

    fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }

    fn four_digits(s: &str) -> Option<i64> {
        digits(s).filter(|_| s.len() == 4)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn secs(text: &str) -> Option<u64> {
            parse(text).map(|t| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs())
        }

        #[test]
        fn the_three_forms() {
            // RFC 7231's example instant.
            for text in [
                "Sun, 06 Nov 1994 08:49:37 GMT",
                "Sunday, 06-Nov-94 08:49:37 GMT",
                "Sun Nov  6 08:49:37 1994",
            ] {
                assert_eq!(secs(text), Some(784_111_777), "{text}");
            }
            assert_eq!(secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
            assert_eq!(secs("Tue, 29 Feb 2028 23:59:60 GMT"), Some(1_835_481_600));
            assert_eq!(
                secs("Wednesday, 01-Jan-25 00:00:00 GMT"),
                Some(1_735_689_600)
            );
            assert_eq!(
                secs("  Wed, 01 Jan 2025 00:00:00 GMT  "),
                Some(1_735_689_600)
            );
        }

        #[test]
        fn malformed_dates() {
            for text in [
                "",
                "yesterday",
                "Sun, 06 Nov 1994 08:49:37 UTC",
                "Sun, 06 Nov 1994 08:49:37",
                "Sun 06 Nov 1994 08:49:37 GMT",
                "Xyz, 06 Nov 1994 08:49:37 GMT",
                "Sun, 06 Foo 1994 08:49:37 GMT",
                "Sun, 31 Nov 1994 08:49:37 GMT",
                "Sun, 29 Feb 2027 08:49:37 GMT",
                "Sun, 00 Nov 1994 08:49:37 GMT",
                "Sun, 006 Nov 1994 08:49:37 GMT",
                "Sun, 06 Nov 94 08:49:37 GMT",
                "Sun, 06 Nov 1969 08:49:37 GMT",
                "Sun, 06 Nov 1994 24:00:00 GMT",
                "Sun, 06 Nov 1994 08:60:00 GMT",
                "Sun, 06 Nov 1994 8:49:37 GMT",
                "Sun, 06 Nov 1994 08:49:37:00 GMT",
                "Sun, +6 Nov 1994 08:49:37 GMT",
                "Sunday, 06-Nov-1994 08:49:37 GMT",
                "Sunday, 06-Nov 08:49:37 GMT",
                "Sun Nov  6 08:49:37 94",
                "1994-11-06T08:49:37Z",
            ] {
                assert_eq!(parse(text), None, "{text:?}");
            }
        }
    }
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

    fn throttled(retry_after_ms: Option<u64>) -> ProviderError {
        ProviderError::Throttled(d(Some("ThrottlingException"), "slow down", retry_after_ms))
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
            region: None,
            base_url: None,
            max_attempts,
            connect_timeout_ms: None,
            first_byte_timeout_ms: None,
            between_bytes_timeout_ms: None,
        };
        assert_eq!(RetryPolicy::from_config(&config(None)), POLICY);
        assert_eq!(RetryPolicy::from_config(&config(Some(5))).max_attempts, 5);
        assert_eq!(
            RetryPolicy::from_config(&config(Some(0))).max_attempts,
            1,
            "0 still sends once"
        );
        let once = RetryPolicy::from_config(&config(Some(1)));
        assert_eq!(
            once.decide(1, &throttled(None), false, 0.5),
            Decision::GiveUp
        );
    }

    #[test]
    fn what_is_retried() {
        let retried = [
            throttled(None),
            ProviderError::Throttled(d(Some("TooManyRequestsException"), "x", None)),
            ProviderError::ServiceUnavailable(d(None, "x", None)),
            ProviderError::InternalServer(d(Some("InternalServerException"), "x", None)),
            ProviderError::ModelNotReady(d(Some("ModelNotReadyException"), "x", None)),
            ProviderError::Network("connection reset".into()),
            ProviderError::Timeout(format!("{} after 10000 ms", error::CONNECT_TIMEOUT)),
        ];
        for e in &retried {
            assert!(is_retryable(e), "{e:?}");
            assert!(
                matches!(POLICY.decide(1, e, false, 0.5), Decision::Retry(_)),
                "{e:?}"
            );
        }
        let never = [
            ProviderError::Throttled(d(Some("ServiceQuotaExceededException"), "quota", None)),
            ProviderError::Validation(d(Some("ValidationException"), "x", None)),
            ProviderError::Auth(d(Some("UnrecognizedClientException"), "x", None)),
            ProviderError::AccessDenied(d(Some("AccessDeniedException"), "x", None)),
            ProviderError::ModelNotFound(d(None, "x", None)),
            ProviderError::ContextWindowExceeded(d(None, "x", None)),
            ProviderError::ModelStreamError(d(None, "x", None)),
            ProviderError::Http(d(None, "teapot", None)),
            ProviderError::Network(format!(
                "{} (destination not on its allow-list)",
                error::HOST_DENIED
            )),
            ProviderError::Timeout(
                "the response stalled past the between-bytes or first-byte timeout".into(),
            ),
            ProviderError::Protocol("bad frame".into()),
            ProviderError::InvalidRequest("x".into()),
            ProviderError::NotImplemented("x".into()),
            ProviderError::NoCredentials("x".into()),
            ProviderError::CredentialSource("x".into()),
            ProviderError::Cancelled,
        ];
        for e in &never {
            assert!(!is_retryable(e), "{e:?}");
            assert_eq!(POLICY.decide(1, e, false, 0.5), Decision::GiveUp, "{e:?}");
        }
    }

    #[test]
    fn never_after_an_event() {
        for attempt in 1..=2 {
            assert_eq!(
                POLICY.decide(attempt, &throttled(None), true, 0.5),
                Decision::GiveUp
            );
        }
        assert!(matches!(
            POLICY.decide(1, &throttled(None), false, 0.5),
            Decision::Retry(_)
        ));
    }

    #[test]
    fn attempts_are_limited() {
        assert!(matches!(
            POLICY.decide(1, &throttled(None), false, 0.5),
            Decision::Retry(_)
        ));
        assert!(matches!(
            POLICY.decide(2, &throttled(None), false, 0.5),
            Decision::Retry(_)
        ));
        assert_eq!(
            POLICY.decide(3, &throttled(None), false, 0.5),
            Decision::GiveUp
        );
        assert_eq!(
            POLICY.decide(u32::MAX, &throttled(None), false, 0.5),
            Decision::GiveUp
        );
    }

    #[test]
    fn backoff_is_capped_exponential_with_full_jitter() {
        let policy = RetryPolicy {
            max_attempts: 100,
            ..POLICY
        };
        let delay = |attempt, rng| match policy.decide(attempt, &throttled(None), false, rng) {
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
        let delay =
            |retry_after_ms, rng| match POLICY.decide(1, &throttled(retry_after_ms), false, rng) {
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
        let unavailable = ProviderError::ServiceUnavailable(d(None, "busy", Some(2_000)));
        assert_eq!(
            POLICY.decide(1, &unavailable, false, 0.0),
            Decision::Retry(Duration::from_secs(2))
        );
    }

    #[test]
    fn clock_skew_errors() {
        let skewed = [
            ProviderError::Auth(d(
                Some("InvalidSignatureException"),
                "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)",
                None,
            )),
            ProviderError::Auth(d(
                Some("InvalidSignatureException"),
                "Signature not yet current: 20240101T002000Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)",
                None,
            )),
            ProviderError::AccessDenied(d(
                Some("RequestTimeTooSkewed"),
                "The difference is too large.",
                None,
            )),
            ProviderError::Http(d(Some("RequestExpired"), "Request has expired.", None)),
            ProviderError::AccessDenied(d(Some("RequestInTheFuture"), "x", None)),
            ProviderError::Auth(d(
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
            ProviderError::Auth(d(
                Some("InvalidSignatureException"),
                "The request signature we calculated does not match the signature you provided.",
                None,
            )),
            ProviderError::Auth(d(
                Some("ExpiredTokenException"),
                "The security token included in the request is expired",
                None,
            )),
            ProviderError::Timeout("Signature expired".into()),
            throttled(None),
        ];
        for e in &not_skewed {
            assert!(!is_clock_skew_error(e), "{e:?}");
        }
    }

    #[test]
    fn expired_credentials() {
        let expired = [
            ProviderError::Auth(d(
                Some("ExpiredTokenException"),
                "The security token included in the request is expired",
                None,
            )),
            ProviderError::Auth(d(Some("ExpiredToken"), "x", None)),
            ProviderError::Auth(d(Some("expiredTokenException"), "x", None)),
            ProviderError::Auth(d(
                Some("UnrecognizedClientException"),
                "The security token included in the request is expired",
                None,
            )),
            ProviderError::Auth(d(
                Some("InvalidClientTokenId"),
                "The security token has expired.",
                None,
            )),
            ProviderError::Auth(d(None, "Bearer token expired", None)),
            ProviderError::Auth(d(
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
            ProviderError::Auth(d(
                Some("InvalidClientTokenId"),
                "The security token included in the request is invalid.",
                None,
            )),
            ProviderError::AccessDenied(d(
                Some("AccessDeniedException"),
                "Your subscription has expired",
                None,
            )),
            ProviderError::Auth(d(
                None,
                "Signature expired: 20240101T000000Z is now earlier than ...",
                None,
            )),
            ProviderError::CredentialSource("the SSO token expired".into()),
        ];
        for e in &not_expired {
            assert!(!is_expired_credentials(e), "{e:?}");
        }
    }

    #[test]
    fn skew_from_the_date_header() {
        let server = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        let behind_local = server + Duration::from_secs(600);
        assert_eq!(
            skew_from_date(date, behind_local),
            Some(ClockSkew::ServerBehind(Duration::from_secs(600)))
        );
        let ahead_local = server - Duration::from_secs(90);
        let skew = skew_from_date(date, ahead_local).unwrap();
        assert_eq!(skew, ClockSkew::ServerAhead(Duration::from_secs(90)));
        assert_eq!(skew.magnitude(), Duration::from_secs(90));
        assert_eq!(
            skew.apply(ahead_local),
            server,
            "corrected clock reads the server's time"
        );
        assert_eq!(
            ClockSkew::ServerBehind(Duration::from_secs(600)).apply(behind_local),
            server
        );
        assert_eq!(
            skew_from_date(date, server),
            Some(ClockSkew::ServerAhead(Duration::ZERO))
        );
        assert_eq!(skew_from_date("not a date", server), None);
        // Far out of range: the clock is left as it is rather than wrapped.
        assert_eq!(ClockSkew::ServerBehind(Duration::MAX).apply(server), server);
        assert_eq!(ClockSkew::ServerAhead(Duration::MAX).apply(server), server);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry_after_ms("2", None, now), Some(2_000));
        assert_eq!(retry_after_ms(" 0 ", None, now), Some(0));
        assert_eq!(
            retry_after_ms("99999999999999999999999", None, now),
            Some(u64::MAX)
        );
        // IMF-fixdate 30 s after `now`, and the obsolete forms.
        for date in [
            "Sun, 06 Nov 1994 08:50:07 GMT",
            "Sunday, 06-Nov-94 08:50:07 GMT",
            "Sun Nov  6 08:50:07 1994",
        ] {
            assert_eq!(retry_after_ms(date, None, now), Some(30_000), "{date}");
        }
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:00 GMT", None, now),
            Some(0),
            "already past"
        );
        // The answer's Date wins over a skewed local clock: the server says
        // "retry at 08:50:07" and "it is 08:50:02", whatever `now` reads.
        let skewed_now = now + Duration::from_secs(3600);
        assert_eq!(
            retry_after_ms(
                "Sun, 06 Nov 1994 08:50:07 GMT",
                Some("Sun, 06 Nov 1994 08:50:02 GMT"),
                skewed_now
            ),
            Some(5_000)
        );
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:50:07 GMT", Some("garbage"), now),
            Some(30_000),
            "bad Date: local clock"
        );
        for bad in ["", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:50:07 UTC"] {
            assert_eq!(retry_after_ms(bad, None, now), None, "{bad:?}");
        }
    }

    #[test]
    fn a_skew_round_trips_through_the_cache_form() {
        for skew in [
            ClockSkew::ServerAhead(Duration::from_secs(1200)),
            ClockSkew::ServerBehind(Duration::from_millis(90_500)),
            ClockSkew::ServerAhead(Duration::ZERO),
        ] {
            assert_eq!(ClockSkew::decode(&skew.encode()), Some(skew), "{skew:?}");
        }
        assert_eq!(
            ClockSkew::ServerAhead(Duration::from_secs(1200)).encode(),
            b"+1200000"
        );
        assert_eq!(
            ClockSkew::ServerBehind(Duration::from_secs(2)).encode(),
            b"-2000"
        );
        for bad in [
            &b""[..],
            b"+",
            b"1200",
            b"+12a",
            b"++1",
            b"- 1",
            b"\xff",
            b"+99999999999999999999999",
        ] {
            assert_eq!(ClockSkew::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn skew_correction_needs_both_the_error_and_the_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777 + 900);
        let date = Some("Sun, 06 Nov 1994 08:49:37 GMT");
        let skew_error = ProviderError::Auth(d(
            Some("InvalidSignatureException"),
            "Signature expired: ...",
            None,
        ));
        assert_eq!(
            skew_correction(&skew_error, date, now),
            Some(ClockSkew::ServerBehind(Duration::from_secs(900)))
        );
        assert_eq!(skew_correction(&skew_error, None, now), None);
        assert_eq!(skew_correction(&skew_error, Some("garbage"), now), None);
        assert_eq!(skew_correction(&throttled(None), date, now), None);
    }
}
