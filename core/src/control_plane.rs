//! One control-plane `GET` (`bedrock`, not `bedrock-runtime`) through the
//! plugin's retry loop: discovery's list calls and `GetInferenceProfile`
//! share it, so both are re-signed per attempt, corrected for clock skew and
//! retried with fresh credentials the same way.

use crate::credentials::{self, Credentials, Resolved};
use crate::discovery::requests::MAX_RESPONSE_BYTES;
use crate::env::Environment;
use crate::error::Error;
use crate::platform::Platform;
use crate::retry::{Attempt, Failure, RetryPolicy, send_with_retries};
use crate::signing::SignedRequest;
use crate::timeouts::Timeouts;
use crate::types::ProviderConfig;
use std::time::SystemTime;

/// Builds the signed request for one attempt, from the credentials in force
/// and the signing time.
pub type Build<'a> = &'a dyn Fn(&Credentials, SystemTime) -> Result<SignedRequest, Error>;

/// Sends the request `build` makes until it succeeds or the retry policy
/// gives up; the body of the 2xx answer. `resolved` is replaced when the
/// credentials had to be refreshed, so later calls sign with the new ones.
pub fn get<P: Platform>(
    platform: &mut P,
    env: &Environment,
    config: &ProviderConfig,
    resolved: &mut Resolved,
    build: Build<'_>,
) -> Result<Vec<u8>, Error> {
    let mut attempt = ControlPlaneRequest {
        build,
        env,
        config,
        resolved,
        timeouts: Timeouts::from_config(config),
    };
    send_with_retries(platform, &RetryPolicy::from_config(config), &mut attempt)
        .map_err(|f| f.error)
}

/// One control-plane `GET`, re-signed per attempt.
struct ControlPlaneRequest<'a> {
    build: Build<'a>,
    env: &'a Environment,
    config: &'a ProviderConfig,
    resolved: &'a mut Resolved,
    timeouts: Timeouts,
}

impl<P: Platform> Attempt<P> for ControlPlaneRequest<'_> {
    type Output = Vec<u8>;

    fn send(&mut self, platform: &mut P, signing_time: SystemTime) -> Result<Vec<u8>, Failure> {
        let request = (self.build)(&self.resolved.credentials, signing_time)?;
        let response = platform.send(&request, self.timeouts)?;
        if response.status >= 300 {
            let now = platform.now();
            return Err(Failure::from_error_response(response, now));
        }
        Ok(response.read_to_end(MAX_RESPONSE_BYTES)?)
    }

    fn refresh_credentials(&mut self, platform: &mut P) -> Result<bool, Error> {
        *self.resolved =
            credentials::in_force(platform, self.env, self.config.region.as_deref(), true)?;
        Ok(true)
    }
}
