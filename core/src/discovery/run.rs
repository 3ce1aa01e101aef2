//! Discovery end to end over a [`Platform`]: credentials, the host's cache,
//! ListFoundationModels, every page of ListInferenceProfiles.

use super::{InferenceProfiles, after_refresh, serve_cached};
use super::{Plan, assemble_parsed, cache, disabled, is_enabled, parse, plan, requests};
use crate::credentials::{self, Credentials, Resolved};
use crate::env::Environment;
use crate::error::Error;
use crate::platform::Platform;
use crate::retry::{Attempt, Failure, RetryPolicy, send_with_retries};
use crate::signing::SignedRequest;
use crate::time::unix_seconds;
use crate::timeouts::Timeouts;
use crate::types::{Discovery, DiscoveryOptions, ProviderConfig};
use std::time::SystemTime;

/// The models the credentials in force can stream from: the host's cached
/// list while it is fresh, else a new one (kept for the next call), else,
/// when the refresh fails, the last good list marked stale.
///
/// Off (an empty list, no request) when `enabled` says so or, unset, when
/// no credential source is configured at all.
pub fn discover<P: Platform>(
    platform: &mut P,
    env: &Environment,
    config: &ProviderConfig,
    options: &DiscoveryOptions,
) -> Result<Discovery, Error> {
    let now = unix_seconds(platform.now());
    let resolved = credentials::in_force(platform, env, config.region.as_deref(), false);
    // "Found" means any source of the chain answered, even one that then
    // failed: that failure is worth reporting, not hiding as "disabled".
    let found = !matches!(resolved, Err(Error::NoCredentials(_)));
    if !is_enabled(options, found) {
        return Ok(disabled(now));
    }
    let mut resolved = resolved?;
    let plan = plan(config, options, env, resolved.profile_region.as_deref())?;
    // An interval of 0 disables caching altogether, reads included.
    let caching = plan.settings.refresh_interval > 0;
    let key = plan.cache_key(&resolved.principal());
    let previous = caching
        .then(|| platform.cache_get(&key))
        .flatten()
        .and_then(|bytes| cache::decode(&bytes));
    if let Some(cached) = serve_cached(previous.as_ref(), now, plan.settings.refresh_interval) {
        return Ok(cached);
    }
    let refreshed = fetch(platform, env, config, &plan, &mut resolved);
    if let (Ok(fresh), true) = (&refreshed, caching) {
        platform.cache_set(&key, &cache::encode(fresh));
    }
    after_refresh(refreshed, previous)
}

/// The calls one after another (pages depend on each other).
fn fetch<P: Platform>(
    platform: &mut P,
    env: &Environment,
    config: &ProviderConfig,
    plan: &Plan,
    resolved: &mut Resolved,
) -> Result<Discovery, Error> {
    let policy = RetryPolicy::from_config(config);
    let mut call =
        |platform: &mut P,
         build: &dyn Fn(&Credentials, SystemTime) -> Result<SignedRequest, Error>| {
            let mut attempt = ControlPlaneRequest {
                build,
                env,
                config,
                resolved: &mut *resolved,
                timeouts: Timeouts::from_config(config),
            };
            send_with_retries(platform, &policy, &mut attempt).map_err(|f| f.error)
        };
    let body = call(platform, &|c, at| plan.foundation_models_request(c, at))?;
    let foundation = parse::foundation_models(&body)?;
    let mut profiles = InferenceProfiles::new();
    let mut next_token: Option<String> = None;
    let outcome = loop {
        let page = call(platform, &|c, at| {
            plan.inference_profiles_request(next_token.as_deref(), c, at)
        });
        match page {
            Ok(body) => match profiles.add_page(&body)? {
                Some(token) => next_token = Some(token),
                None => break Ok(&profiles),
            },
            // A missing permission costs the profiles, not the list: a
            // partial list would pass for a complete one, so it is dropped.
            Err(denied @ Error::AccessDenied(_)) => break Err(denied),
            Err(other) => return Err(other),
        }
    };
    let fetched_at = unix_seconds(platform.now());
    assemble_parsed(&foundation, outcome, &plan.settings, fetched_at)
}

/// One control-plane `GET`, re-signed per attempt.
struct ControlPlaneRequest<'a> {
    build: &'a dyn Fn(&Credentials, SystemTime) -> Result<SignedRequest, Error>,
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
        Ok(response.read_to_end(requests::MAX_RESPONSE_BYTES)?)
    }

    fn refresh_credentials(&mut self, platform: &mut P) -> Result<bool, Error> {
        *self.resolved =
            credentials::in_force(platform, self.env, self.config.region.as_deref(), true)?;
        Ok(true)
    }
}
