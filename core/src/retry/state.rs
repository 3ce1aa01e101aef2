//! The rules of one request's attempts as a state machine without I/O.
//!
//! [`Retries`] remembers what a request has used up (its attempts, its one
//! clock correction, its one credential refresh) and answers, after each
//! failed attempt, what comes next ([`Recovery`]). It neither sends, sleeps
//! nor reads the clock: the blocking loop
//! ([`send_with_retries`](super::send_with_retries)) and the non-blocking
//! start of a stream ([`ConverseStream`](crate::converse::ConverseStream))
//! drive the same rules, each doing its waiting its own way.
//! [`Retries::recover`] carries out what both do alike (the cache, the
//! credential refresh); only the send and the wait are the driver's.

use super::{ClockSkew, Decision, Failure, RetryPolicy, SKEW_CACHE_KEY, is_expired_credentials};
use crate::error::Error;
use crate::platform::Platform;
use std::time::{Duration, SystemTime};

/// What one request has used up of its retries and corrections.
#[derive(Clone, Debug)]
pub struct Retries {
    policy: RetryPolicy,
    /// The clock correction in force: an earlier call's, or this one's.
    skew: Option<ClockSkew>,
    /// The attempt being made, 1 for the first.
    number: u32,
    corrected: bool,
    refreshed: bool,
}

/// What to do after a failed attempt, in the order the rules are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// The signature was refused for a skewed clock: keep this correction
    /// (in the host's cache, [`SKEW_CACHE_KEY`]) and sign again at once.
    /// Once per request; it does not use up an attempt.
    CorrectClock(ClockSkew),
    /// The credentials were refused as expired: read them again, bypassing
    /// any cache, then send again at once, or, when nothing could change,
    /// ask [`Retries::after_refresh_failed`]. Once per request; it does not
    /// use up an attempt.
    RefreshCredentials,
    /// Send again once this much time has passed.
    Backoff(Duration),
    /// Return the failure.
    GiveUp,
}

impl Retries {
    /// A request's first attempt; `cached_skew` is the host cache's entry
    /// under [`SKEW_CACHE_KEY`], if any (one that does not parse is ignored).
    pub fn new(policy: RetryPolicy, cached_skew: Option<&[u8]>) -> Retries {
        Retries {
            policy,
            skew: cached_skew.and_then(ClockSkew::decode),
            number: 1,
            corrected: false,
            refreshed: false,
        }
    }

    /// The time to sign the next attempt with: the local clock `now`,
    /// corrected for a known skew.
    pub fn signing_time(&self, now: SystemTime) -> SystemTime {
        self.skew.map_or(now, |skew| skew.apply(now))
    }

    /// What to do after the current attempt failed with `failure`, at local
    /// time `now`; `random` is a uniform number in `[0, 1)` for the jitter.
    pub fn after_failure(&mut self, failure: &Failure, now: SystemTime, random: f64) -> Recovery {
        if !self.corrected {
            let found = super::skew_correction(&failure.error, failure.server_date.as_deref(), now);
            if let Some(found) = found {
                self.skew = Some(found);
                self.corrected = true;
                return Recovery::CorrectClock(found);
            }
        }
        if !self.refreshed && is_expired_credentials(&failure.error) {
            self.refreshed = true;
            return Recovery::RefreshCredentials;
        }
        self.decide(&failure.error, random)
    }

    /// After [`Recovery::RefreshCredentials`] found no credentials that
    /// could change: the policy decides about `error` as for any failure.
    pub fn after_refresh_failed(&mut self, error: &Error, random: f64) -> Recovery {
        self.decide(error, random)
    }

    fn decide(&mut self, error: &Error, random: f64) -> Recovery {
        match self.policy.decide(self.number, error, random) {
            Decision::Retry(delay) => {
                self.number += 1;
                Recovery::Backoff(delay)
            }
            Decision::GiveUp => Recovery::GiveUp,
        }
    }

    /// Carries out the rules after `failure` over `platform`: keeps a clock
    /// correction in the cache, re-reads credentials with `refresh` (which
    /// answers whether any could change; it may block, as credential
    /// sources do). Returns when to send again: `None` at once, `Some`
    /// after that backoff; or the failure to return (the refresh's own
    /// error if re-reading failed).
    #[allow(clippy::result_large_err)] // see `Failure`
    pub fn recover<P: Platform>(
        &mut self,
        platform: &mut P,
        failure: Failure,
        refresh: impl FnOnce(&mut P) -> Result<bool, Error>,
    ) -> Result<Option<Duration>, Failure> {
        let now = platform.now();
        let random = platform.random();
        let mut recovery = self.after_failure(&failure, now, random);
        if recovery == Recovery::RefreshCredentials {
            match refresh(platform) {
                Ok(true) => return Ok(None),
                Ok(false) => recovery = self.after_refresh_failed(&failure.error, random),
                Err(error) => return Err(error.into()),
            }
        }
        match recovery {
            Recovery::CorrectClock(skew) => {
                platform.cache_set(SKEW_CACHE_KEY, &skew.encode());
                Ok(None)
            }
            Recovery::Backoff(delay) => Ok(Some(delay)),
            Recovery::RefreshCredentials | Recovery::GiveUp => Err(failure),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{NetworkKind, TimeoutPhase};
    use crate::platform::fake::now;
    use crate::types::ErrorDetail;

    fn failure(code: &str, message: &str, date: Option<SystemTime>) -> Failure {
        Failure {
            error: Error::Auth(ErrorDetail {
                message: message.into(),
                status: Some(403),
                code: Some(code.into()),
                request_id: None,
                retry_after_ms: None,
            }),
            server_date: date.map(httpdate::fmt_http_date),
            answer: None,
        }
    }

    fn skewed(server: SystemTime) -> Failure {
        failure(
            "InvalidSignatureException",
            "Signature expired: 20210101T000000Z is now earlier than ...",
            Some(server),
        )
    }

    fn expired() -> Failure {
        failure("ExpiredTokenException", "expired", None)
    }

    fn unavailable() -> Failure {
        Error::ServiceUnavailable(ErrorDetail {
            message: "busy".into(),
            status: Some(503),
            code: None,
            request_id: None,
            retry_after_ms: None,
        })
        .into()
    }

    #[test]
    fn signs_with_the_cached_correction_and_ignores_a_bad_entry() {
        let policy = RetryPolicy::DEFAULT;
        assert_eq!(Retries::new(policy, None).signing_time(now()), now());
        let ahead = Retries::new(policy, Some(b"+900000"));
        assert_eq!(ahead.signing_time(now()), now() + Duration::from_secs(900));
        let garbage = Retries::new(policy, Some(b"soon"));
        assert_eq!(garbage.signing_time(now()), now());
    }

    #[test]
    fn the_rules_apply_in_order_each_correction_once() {
        let server = now() - Duration::from_secs(600);
        let mut retries = Retries::new(RetryPolicy::DEFAULT, None);
        let correction = ClockSkew::ServerBehind(Duration::from_secs(600));
        assert_eq!(
            retries.after_failure(&skewed(server), now(), 0.5),
            Recovery::CorrectClock(correction)
        );
        assert_eq!(retries.signing_time(now()), server);
        // A second skew refusal is not corrected again, and a skew is never
        // retried as a transient failure.
        assert_eq!(
            retries.after_failure(&skewed(server), now(), 0.5),
            Recovery::GiveUp
        );

        let mut retries = Retries::new(RetryPolicy::DEFAULT, None);
        assert_eq!(
            retries.after_failure(&expired(), now(), 0.5),
            Recovery::RefreshCredentials
        );
        assert_eq!(
            retries.after_failure(&expired(), now(), 0.5),
            Recovery::GiveUp,
            "refreshed once"
        );
        let mut retries = Retries::new(RetryPolicy::DEFAULT, None);
        retries.after_failure(&expired(), now(), 0.5);
        assert_eq!(
            retries.after_refresh_failed(&expired().error, 0.5),
            Recovery::GiveUp
        );
    }

    #[test]
    fn corrections_do_not_use_up_attempts() {
        let mut retries = Retries::new(RetryPolicy::DEFAULT, None);
        retries.after_failure(&skewed(now()), now(), 0.5);
        retries.after_failure(&expired(), now(), 0.5);
        let half = Duration::from_millis(500);
        assert_eq!(
            retries.after_failure(&unavailable(), now(), 0.5),
            Recovery::Backoff(half)
        );
        assert_eq!(
            retries.after_failure(&unavailable(), now(), 0.5),
            Recovery::Backoff(half * 2)
        );
        assert_eq!(
            retries.after_failure(&unavailable(), now(), 0.5),
            Recovery::GiveUp,
            "three attempts in all"
        );
    }

    #[test]
    fn transport_failures_follow_the_policy() {
        let mut retries = Retries::new(RetryPolicy::DEFAULT, None);
        let denied = Error::network(NetworkKind::Denied, "").into();
        assert_eq!(retries.after_failure(&denied, now(), 0.5), Recovery::GiveUp);
        let connect = Error::timeout(TimeoutPhase::Connect, None).into();
        assert!(matches!(
            retries.after_failure(&connect, now(), 0.0),
            Recovery::Backoff(Duration::ZERO)
        ));
        let first_byte = Error::timeout(TimeoutPhase::FirstByte, None).into();
        assert_eq!(
            retries.after_failure(&first_byte, now(), 0.5),
            Recovery::GiveUp
        );
        let once = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::DEFAULT
        };
        let mut retries = Retries::new(once, None);
        assert_eq!(
            retries.after_failure(&unavailable(), now(), 0.5),
            Recovery::GiveUp
        );
    }
}
