//! Discovery end to end over a [`Platform`]: credentials, the host's cache,
//! ListFoundationModels, every page of ListInferenceProfiles.

use super::{InferenceProfiles, after_refresh, serve_cached};
use super::{Plan, assemble_parsed, cache, disabled, is_enabled, parse, plan};
use crate::application_profile;
use crate::control_plane;
use crate::credentials::{self, Resolved};
use crate::env::Environment;
use crate::error::Error;
use crate::platform::Platform;
use crate::time::unix_seconds;
use crate::types::{Discovery, DiscoveryOptions, ProviderConfig};

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
        // What calls on an application profile need (its base model).
        application_profile::remember_discovered(platform, &fresh.models);
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
    let body = control_plane::get(platform, env, config, resolved, &|c, at| {
        plan.foundation_models_request(c, at)
    })?;
    let foundation = parse::foundation_models(&body)?;
    let mut profiles = InferenceProfiles::new();
    let mut next_token: Option<String> = None;
    let outcome = loop {
        let page = control_plane::get(platform, env, config, resolved, &|c, at| {
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
