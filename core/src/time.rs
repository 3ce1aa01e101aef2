//! RFC 3339 timestamps, as AWS writes credential expiries.
//!
//! STS (`<Expiration>2021-08-05T19:58:02Z</Expiration>`), IMDS, the container
//! endpoint and the SSO token cache all write UTC timestamps in RFC 3339,
//! sometimes with fractional seconds or a `+00:00` offset. They are read and
//! written with `aws-smithy-types`' [`DateTime`], the SDKs' own; a malformed
//! timestamp is the caller's error to report, never a panic.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use std::time::{SystemTime, UNIX_EPOCH};

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (surrounding blanks
/// allowed); `None` when malformed or before 1970 (no credential expires then).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let parsed = DateTime::from_str(text.trim(), Format::DateTimeWithOffset).ok()?;
    if parsed.secs() < 0 {
        return None;
    }
    SystemTime::try_from(parsed).ok()
}

/// `2021-08-05T19:58:02Z`: for messages ("expired at ...") and nothing that
/// needs sub-second precision.
pub fn format_rfc3339(time: SystemTime) -> String {
    DateTime::from_secs(unix_seconds(time) as i64)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "an unrepresentable time".to_string())
}

/// Seconds since the epoch, for the contract's `expires-at` and the cache.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Option<u64> {
        parse_rfc3339(text).map(unix_seconds)
    }

    #[test]
    fn reads_what_aws_writes() {
        assert_eq!(secs("2009-02-13T23:31:30Z"), Some(1_234_567_890));
        assert_eq!(secs("2021-09-21T04:16:53Z"), Some(1_632_197_813));
        assert_eq!(secs("2021-09-21T04:16:53.123Z"), Some(1_632_197_813));
        assert_eq!(secs("2022-05-02T18:36:00+00:00"), Some(1_651_516_560));
        assert_eq!(secs("2022-05-02T20:36:00+02:00"), Some(1_651_516_560));
        assert_eq!(secs("2022-05-02T16:36:00-02:00"), Some(1_651_516_560));
        assert_eq!(secs(" 1970-01-01T00:00:00Z\n"), Some(0));
        assert_eq!(secs("2000-02-29T00:00:00Z"), Some(951_782_400));
        let fraction = parse_rfc3339("2021-09-21T04:16:53.5Z").unwrap();
        assert_eq!(
            fraction.duration_since(UNIX_EPOCH).unwrap().subsec_millis(),
            500
        );
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for bad in [
            "",
            "2021-09-21",
            "2021-09-21T04:16:53",
            "2021-13-01T00:00:00Z",
            "2021-02-29T00:00:00Z",
            "2021-09-21T24:00:00Z",
            "2021-09-21T04:16:53.Z",
            "2021-09-21T04:16:53+0000",
            "1969-12-31T23:59:59Z",
            "２０21-09-21T04:16:53Z",
            "1632197813",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in [
            "2009-02-13T23:31:30Z",
            "2000-02-29T12:00:01Z",
            "2199-11-14T04:05:45Z",
            "1970-01-01T00:00:00Z",
        ] {
            assert_eq!(format_rfc3339(parse_rfc3339(text).unwrap()), text);
        }
    }
}
