//! The emulator's notion of "now", and the date formats its answers carry.
//!
//! One clock drives everything time-dependent the emulator decides: the SigV4 skew window,
//! the expiry of the credentials and IMDS tokens it issues, and the `Date` header on every
//! answer. A test that asks for clock skew therefore gets a server whose clock is wrong
//! consistently, as a real host with a drifting clock would be, and clients that correct
//! their own clock from `Date` (as the AWS SDKs do) see the same time the verifier uses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// Real time shifted by the configured skew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// Seconds added to the real time; negative puts the emulator behind.
    skew_seconds: i64,
}

impl Clock {
    pub fn new(skew_seconds: Option<i64>) -> Self {
        Self {
            skew_seconds: skew_seconds.unwrap_or(0),
        }
    }

    pub fn now(&self) -> SystemTime {
        shift(SystemTime::now(), self.skew_seconds)
    }
}

fn shift(at: SystemTime, seconds: i64) -> SystemTime {
    let by = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 { at + by } else { at - by }
}

/// `at` without its fraction of a second. Expiry times are cut to whole seconds before they
/// are handed out, so the instant a client reads in an `Expiration` is the one enforced.
pub fn whole_seconds(at: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(epoch_seconds(at))
}

pub fn epoch_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// Milliseconds since the epoch, as the SSO portal sends `expiration`.
pub fn epoch_millis(at: SystemTime) -> u128 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

/// `2021-09-21T04:16:53Z`: the `Expiration` of IMDS, container and STS credentials.
pub fn iso8601(at: SystemTime) -> String {
    let at = OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `Mon, 20 Sep 2021 21:43:31 GMT`: the IMF-fixdate of RFC 9110 that `Date` carries.
pub fn http_date(at: SystemTime) -> String {
    let at = OffsetDateTime::from(at);
    // The English names are what `Display` gives; the format wants their first three letters.
    let weekday = at.weekday().to_string();
    let month = at.month().to_string();
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        &weekday[..3],
        at.day(),
        &month[..3],
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2021-09-20T21:43:31.250Z, a Monday.
    fn sample() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_632_174_211_250)
    }

    #[test]
    fn formats() {
        assert_eq!(http_date(sample()), "Mon, 20 Sep 2021 21:43:31 GMT");
        assert_eq!(iso8601(sample()), "2021-09-20T21:43:31Z");
        assert_eq!(epoch_millis(sample()), 1_632_174_211_250);
        assert_eq!(epoch_millis(whole_seconds(sample())), 1_632_174_211_000);
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn skew_moves_now_both_ways() {
        let ahead = Clock::new(Some(3600)).now();
        let behind = Clock::new(Some(-3600)).now();
        let real = Clock::new(None).now();
        let hour = Duration::from_secs(3600);
        let close = |a: SystemTime, b: SystemTime| {
            a.duration_since(b)
                .or_else(|e| Ok::<_, ()>(e.duration()))
                .unwrap()
                < Duration::from_secs(5)
        };
        assert!(close(ahead, real + hour));
        assert!(close(behind, real - hour));
    }
}
