//! RFC 3339 timestamps, as AWS writes credential expiries, and the calendar
//! arithmetic behind them (shared with the HTTP `Date` parser in `retry`).
//!
//! STS (`<Expiration>2021-08-05T19:58:02Z</Expiration>`), IMDS, the container
//! endpoint and the SSO token cache all write UTC timestamps in RFC 3339,
//! sometimes with fractional seconds or a `+00:00` offset. This reads exactly
//! that, without a date-time dependency: civil-date arithmetic is a dozen
//! lines (Howard Hinnant's `days_from_civil`), and a malformed timestamp is
//! the caller's error to report, never a panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `None` when malformed
/// or before 1970 (no credential expires then).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let s = text.trim().as_bytes();
    if s.len() < 20
        || s[4] != b'-'
        || s[7] != b'-'
        || !matches!(s[10], b'T' | b't' | b' ')
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = s.get(range)?;
        if digits.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(digits).ok()?.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &s[19..];
    let mut nanos: u32 = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for (i, d) in fraction[..digits].iter().take(9).enumerate() {
            nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &fraction[digits..];
    }
    let offset_secs: i64 = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let field = |a: &u8, b: &u8| -> Option<i64> {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from((a - b'0') * 10 + (b - b'0')))
            };
            let (h, m) = (field(h1, h2)?, field(m1, m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// `2021-08-05T19:58:02Z`: for messages ("expired at ...") and nothing that
/// needs sub-second precision.
pub fn format_rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds since the epoch, for the contract's `expires-at` and the cache.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
