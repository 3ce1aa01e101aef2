//! The blocking loop that sends a request again: used by discovery, the
//! control plane and the credential sources.
//!
//! After a failed attempt, in this order:
//!
//! 1. a clock-skew refusal whose answer carries a `Date` is re-signed once
//!    with the corrected clock, and the correction is kept in the host's
//!    cache ([`SKEW_CACHE_KEY`]) for later calls;
//! 2. an expired-credentials refusal re-reads the credentials once
//!    ([`Attempt::refresh_credentials`]);
//! 3. otherwise the [`RetryPolicy`] decides: wait (backoff with full jitter,
//!    `Retry-After` as a floor) and send again, or give up.
//!
//! The first two are corrections of this request, not retries of a transient
//! failure, so they do not use up attempts. Once an attempt succeeds its
//! output is the caller's. The rules are [`Retries`]', free of I/O; a
//! ConverseStream call drives them without blocking
//! ([`ConverseStream`](crate::converse::ConverseStream)).

use super::{Retries, RetryPolicy, SKEW_CACHE_KEY};
use crate::error::Error;
use crate::platform::{Body, HttpAnswer, Platform, Response};
use std::time::SystemTime;

/// Why one attempt failed.
///
/// Larger than clippy's `result_large_err` threshold, and returned by value
/// on purpose: a failed attempt is the slow path (it is followed by a
/// correction, a backoff or the end of the call), and boxing it would only
/// add an allocation to each failure.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    /// The answer's `Date` header, which tells the server's time when the
    /// failure is a clock-skew refusal.
    pub server_date: Option<String>,
    /// The whole answer, for callers that describe error answers themselves
    /// (the credential sources); returned with the error on giving up.
    pub answer: Option<HttpAnswer>,
}

impl Failure {
    /// An HTTP error answer (status 300 and up), read and classified
    /// ([`Response::error_with_body`]), with its `Date` kept for skew correction.
    pub fn from_error_response<B: Body>(
        mut response: Response<B>,
        received_at: SystemTime,
    ) -> Failure {
        let body = response.read_error_body();
        Failure::from_error_body(&response, &body, received_at)
    }

    /// [`from_error_response`](Self::from_error_response) for an answer
    /// whose error body the caller has read.
    pub fn from_error_body<B: Body>(
        response: &Response<B>,
        body: &[u8],
        received_at: SystemTime,
    ) -> Failure {
        Failure {
            error: response.error_with_body(body, received_at),
            server_date: response.header("date").map(str::to_string),
            answer: None,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            server_date: None,
            answer: None,
        }
    }
}

/// One request, as [`send_with_retries`] sends it.
#[allow(clippy::result_large_err)] // see `Failure`
pub trait Attempt<P: Platform> {
    type Output;

    /// Builds the request signed for `signing_time` (the local clock,
    /// corrected for a known skew) and sends it once.
    fn send(&mut self, platform: &mut P, signing_time: SystemTime)
    -> Result<Self::Output, Failure>;

    /// Re-reads the credentials the service said expired, bypassing any
    /// cache; `Ok(false)` when the request carries none that could change.
    fn refresh_credentials(&mut self, _platform: &mut P) -> Result<bool, Error> {
        Ok(false)
    }
}

/// Sends `attempt` until it succeeds or `policy` gives up; see the module
/// documentation. On giving up, the last failure is returned. The rules are
/// [`Retries`]'; this loop does their waiting by blocking.
#[allow(clippy::result_large_err)] // see `Failure`
pub fn send_with_retries<P: Platform, A: Attempt<P>>(
    platform: &mut P,
    policy: &RetryPolicy,
    attempt: &mut A,
) -> Result<A::Output, Failure> {
    // A correction an earlier call found: this host's clock is still off.
    let mut retries = Retries::new(*policy, platform.cache_get(SKEW_CACHE_KEY).as_deref());
    loop {
        let now = platform.now();
        let failure = match attempt.send(platform, retries.signing_time(now)) {
            Ok(output) => return Ok(output),
            Err(failure) => failure,
        };
        let refresh = |platform: &mut P| attempt.refresh_credentials(platform);
        if let Some(delay) = retries.recover(platform, failure, refresh)? {
            platform.sleep(delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{NetworkKind, TimeoutPhase};
    use crate::platform::fake::{FakePlatform, now};
    use crate::types::ErrorDetail;
    use std::time::Duration;

    fn detail(code: &str, message: &str, retry_after_ms: Option<u64>) -> ErrorDetail {
        ErrorDetail {
            message: message.into(),
            status: Some(400),
            code: Some(code.into()),
            request_id: None,
            retry_after_ms,
        }
    }

    /// Fails with the scripted failures in order, then succeeds; records the
    /// signing times and refreshes.
    struct Scripted {
        failures: Vec<Failure>,
        signed_at: Vec<SystemTime>,
        refreshes: u32,
        can_refresh: bool,
    }

    impl Scripted {
        fn new(failures: Vec<Failure>) -> Scripted {
            Scripted {
                failures,
                signed_at: Vec::new(),
                refreshes: 0,
                can_refresh: true,
            }
        }
    }

    impl Attempt<FakePlatform> for Scripted {
        type Output = usize;

        fn send(&mut self, _: &mut FakePlatform, at: SystemTime) -> Result<usize, Failure> {
            self.signed_at.push(at);
            if self.failures.is_empty() {
                Ok(self.signed_at.len())
            } else {
                Err(self.failures.remove(0))
            }
        }

        fn refresh_credentials(&mut self, _: &mut FakePlatform) -> Result<bool, Error> {
            self.refreshes += 1;
            Ok(self.can_refresh)
        }
    }

    fn run(platform: &mut FakePlatform, attempt: &mut Scripted) -> Result<usize, Error> {
        send_with_retries(platform, &RetryPolicy::DEFAULT, attempt).map_err(|f| f.error)
    }

    #[test]
    fn throttling_then_success_waits_with_jitter_and_retry_after() {
        let mut platform = FakePlatform::new();
        platform.random = 0.5;
        let mut attempt = Scripted::new(vec![
            Error::Throttled(detail("ThrottlingException", "slow", None)).into(),
            Error::Throttled(detail("ThrottlingException", "slow", Some(3_000))).into(),
        ]);
        assert_eq!(run(&mut platform, &mut attempt), Ok(3));
        assert_eq!(
            platform.slept,
            [Duration::from_millis(500), Duration::from_secs(3)],
            "half of 1 s, then Retry-After over half of 2 s"
        );
    }

    #[test]
    fn attempts_run_out() {
        let mut platform = FakePlatform::new();
        let unavailable = || Error::ServiceUnavailable(detail("x", "busy", None)).into();
        let mut attempt = Scripted::new(vec![unavailable(), unavailable(), unavailable()]);
        assert!(matches!(
            run(&mut platform, &mut attempt),
            Err(Error::ServiceUnavailable(_))
        ));
        assert_eq!(attempt.signed_at.len(), 3);
        assert_eq!(platform.slept.len(), 2);
    }

    #[test]
    fn host_denied_is_never_retried_and_connect_timeouts_are() {
        let mut platform = FakePlatform::new();
        let mut attempt = Scripted::new(vec![
            Error::network(NetworkKind::Denied, "not allowed").into(),
        ]);
        assert!(matches!(
            run(&mut platform, &mut attempt),
            Err(Error::Network(n)) if n.kind == NetworkKind::Denied
        ));
        assert_eq!(attempt.signed_at.len(), 1);
        assert!(platform.slept.is_empty());

        let mut attempt = Scripted::new(vec![
            Error::timeout(TimeoutPhase::Connect, None).into(),
            Error::network(NetworkKind::Reset, "").into(),
        ]);
        assert_eq!(run(&mut platform, &mut attempt), Ok(3));

        let mut attempt = Scripted::new(vec![Error::timeout(TimeoutPhase::FirstByte, None).into()]);
        assert!(
            run(&mut platform, &mut attempt).is_err(),
            "the request was taken"
        );
    }

    #[test]
    fn a_skewed_clock_is_corrected_once_and_remembered() {
        let mut platform = FakePlatform::new();
        // The server says it is 15 minutes later than the local clock.
        let server = now() + Duration::from_secs(900);
        let skewed = || Failure {
            error: Error::Auth(detail(
                "InvalidSignatureException",
                "Signature not yet current: 20210101T000000Z is still later than ...",
                None,
            )),
            server_date: Some(httpdate::fmt_http_date(server)),
            answer: None,
        };
        let mut attempt = Scripted::new(vec![skewed()]);
        assert_eq!(run(&mut platform, &mut attempt), Ok(2));
        assert_eq!(attempt.signed_at, [now(), server]);
        assert!(platform.slept.is_empty(), "a correction, not a retry");
        assert_eq!(
            platform.cache.get(SKEW_CACHE_KEY).map(Vec::as_slice),
            Some(&b"+900000"[..])
        );

        // The next call signs with the correction from the start; a second
        // skew refusal in one call is not corrected again.
        let mut attempt = Scripted::new(vec![skewed(), skewed()]);
        assert!(run(&mut platform, &mut attempt).is_err());
        assert_eq!(attempt.signed_at[0], server);
        assert_eq!(attempt.signed_at.len(), 2);
    }

    #[test]
    fn expired_credentials_are_refreshed_once() {
        let mut platform = FakePlatform::new();
        let expired = || Error::Auth(detail("ExpiredTokenException", "expired", None)).into();
        let mut attempt = Scripted::new(vec![expired()]);
        assert_eq!(run(&mut platform, &mut attempt), Ok(2));
        assert_eq!(attempt.refreshes, 1);

        let mut attempt = Scripted::new(vec![expired(), expired()]);
        assert!(matches!(
            run(&mut platform, &mut attempt),
            Err(Error::Auth(_))
        ));
        assert_eq!((attempt.refreshes, attempt.signed_at.len()), (1, 2));

        let mut attempt = Scripted::new(vec![expired()]);
        attempt.can_refresh = false;
        assert!(
            run(&mut platform, &mut attempt).is_err(),
            "nothing to re-read"
        );
        assert_eq!(attempt.signed_at.len(), 1);
        assert!(platform.slept.is_empty());
    }
}
