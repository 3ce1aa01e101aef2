//! The server's clock and the waits it asks for: clock-skew corrections and
//! `Retry-After`, from HTTP dates (read with `httpdate`, which accepts the
//! three forms RFC 7231 makes a recipient accept).

use super::is_clock_skew_error;
use crate::error::Error;
use std::time::{Duration, SystemTime};

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
    let server = parse_http_date(date_header)?;
    Some(match server.duration_since(now) {
        Ok(ahead) => ClockSkew::ServerAhead(ahead),
        Err(behind) => ClockSkew::ServerBehind(behind.duration()),
    })
}

/// The clock correction to re-sign with, when `error` is a clock-skew
/// refusal and the answer's `Date` header tells the server's time.
pub fn skew_correction(
    error: &Error,
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
    let at = parse_http_date(value)?;
    let reference = date_header.and_then(parse_http_date).unwrap_or(now);
    let wait = at.duration_since(reference).unwrap_or(Duration::ZERO);
    Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX))
}

/// An HTTP date (IMF-fixdate, RFC 850 or asctime), surrounding blanks allowed.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ErrorDetail;

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
        let skew_error = Error::Auth(d(
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

    #[test]
    fn http_dates_in_the_three_forms_and_nothing_else() {
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT  ",
        ] {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
            assert_eq!(parse_http_date(text), Some(at), "{text}");
        }
        for text in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 2027 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "1994-11-06T08:49:37Z",
        ] {
            assert_eq!(parse_http_date(text), None, "{text:?}");
        }
    }
}
