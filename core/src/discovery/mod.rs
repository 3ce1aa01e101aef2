//! Model discovery: which models the credentials in force can stream from.
//!
//! Two control-plane calls, `ListFoundationModels` and the pages of
//! `ListInferenceProfiles`, become the gateway's model list ([`catalog`]),
//! with limits and prices Bedrock does not publish through its API filled in
//! from [`known_models`]. [`discover`] is the operation, over a
//! [`Platform`](crate::platform::Platform): [`plan`] says where to go, the
//! calls go through the plugin's one retry loop, and [`assemble`] turns the
//! answers into a [`Discovery`]. Caching is the host's; [`cache`] holds the
//! rules it follows.
//!
//! A missing `bedrock:ListInferenceProfiles` permission is common (older
//! policies grant only `ListFoundationModels`), so it costs the profiles and
//! adds a warning, never the list. Every other failure is an error, so that
//! the host keeps serving its last good list instead of caching a list that
//! silently lacks every profile-only model.

pub mod cache;
pub mod catalog;
pub mod known_models;
pub mod options;
pub mod parse;
pub mod requests;
mod run;

pub use cache::{after_refresh, cache_key, is_fresh, serve_cached};
pub use options::{ProviderFilter, Settings, is_enabled};
pub use run::discover;

use crate::credentials::Credentials;
use crate::endpoint::{self, Endpoint, Service};
use crate::env::Environment;
use crate::error::Error;
use crate::signing::SignedRequest;
use crate::types::{Discovery, DiscoveryOptions, DiscoveryStatus, ProviderConfig};
use parse::{FoundationModelSummary, InferenceProfileSummary};
use std::collections::HashSet;
use std::time::SystemTime;

/// The warning a discovery carries when ListInferenceProfiles was refused.
pub const PROFILES_DENIED_WARNING: &str =
    "no permission for bedrock:ListInferenceProfiles: cross-region profiles are not listed";

/// Where and how discovery runs, with every default applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub settings: Settings,
    /// The control plane (`bedrock.{region}.amazonaws.com` or
    /// `AWS_ENDPOINT_URL_BEDROCK` / `AWS_ENDPOINT_URL`).
    pub endpoint: Endpoint,
}

/// Resolves settings and endpoint. Credentials are not resolved here: the
/// caller needs them anyway to decide `enabled`, and may have to fetch them;
/// `profile_region` is what they found in the shared config.
pub fn plan(
    config: &ProviderConfig,
    options: &DiscoveryOptions,
    env: &Environment,
    profile_region: Option<&str>,
) -> Result<Plan, Error> {
    let settings = Settings::resolve(config, options, env, profile_region)?;
    // The gateway's `baseUrl` overrides the runtime only; `resolve` knows.
    let endpoint = endpoint::resolve(
        Service::Bedrock,
        &settings.region,
        config.base_url.as_deref(),
        env,
    )?;
    Ok(Plan { settings, endpoint })
}

impl Plan {
    pub fn foundation_models_request(
        &self,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Result<SignedRequest, Error> {
        requests::foundation_models(&self.endpoint, credentials, &self.settings.region, now)
    }

    pub fn inference_profiles_request(
        &self,
        next_token: Option<&str>,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Result<SignedRequest, Error> {
        requests::inference_profiles(
            &self.endpoint,
            next_token,
            credentials,
            &self.settings.region,
            now,
        )
    }

    /// See [`cache::cache_key`].
    pub fn cache_key(&self, principal: &str) -> String {
        cache::cache_key(&self.settings, &self.endpoint, principal)
    }
}

/// The discovery answer when discovery is off: no models, no request made.
pub fn disabled(now_secs: u64) -> Discovery {
    Discovery {
        status: DiscoveryStatus::Disabled,
        models: Vec::new(),
        warnings: Vec::new(),
        refresh_error: None,
        fetched_at: now_secs,
    }
}

/// The ListInferenceProfiles pages received so far.
#[derive(Clone, Debug, Default)]
pub struct InferenceProfiles {
    summaries: Vec<InferenceProfileSummary>,
    tokens: HashSet<String>,
    pages: usize,
}

impl InferenceProfiles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one page and returns the token of the next, `None` after the
    /// last. A token seen before, or more than [`requests::MAX_PROFILE_PAGES`]
    /// pages, is a protocol error rather than an endless loop.
    pub fn add_page(&mut self, body: &[u8]) -> Result<Option<String>, Error> {
        let page = parse::inference_profiles_page(body)?;
        self.pages += 1;
        self.summaries
            .extend(page.inference_profile_summaries.unwrap_or_default());
        let Some(token) = page.next_token else {
            return Ok(None);
        };
        if !self.tokens.insert(token.clone()) {
            return Err(Error::Protocol(
                "ListInferenceProfiles returned a nextToken it had returned before".into(),
            ));
        }
        if self.pages >= requests::MAX_PROFILE_PAGES {
            return Err(Error::Protocol(format!(
                "ListInferenceProfiles still had more pages after {}",
                requests::MAX_PROFILE_PAGES
            )));
        }
        Ok(Some(token))
    }

    /// All pages at once, when the caller has collected them itself.
    pub fn from_pages<B: AsRef<[u8]>>(pages: &[B]) -> Result<Self, Error> {
        let mut profiles = Self::new();
        for page in pages {
            profiles.add_page(page.as_ref())?;
        }
        Ok(profiles)
    }

    pub fn summaries(&self) -> &[InferenceProfileSummary] {
        &self.summaries
    }
}

/// Builds a fresh [`Discovery`] from the ListFoundationModels body and the
/// outcome of ListInferenceProfiles: its pages, or the error it ended with.
/// Access denied there becomes [`PROFILES_DENIED_WARNING`]; any other error,
/// or a malformed body, is returned.
pub fn assemble(
    foundation_models: &[u8],
    profiles: Result<&InferenceProfiles, Error>,
    settings: &Settings,
    fetched_at: u64,
) -> Result<Discovery, Error> {
    let foundation = parse::foundation_models(foundation_models)?;
    assemble_parsed(&foundation, profiles, settings, fetched_at)
}

fn assemble_parsed(
    foundation: &[FoundationModelSummary],
    profiles: Result<&InferenceProfiles, Error>,
    settings: &Settings,
    fetched_at: u64,
) -> Result<Discovery, Error> {
    let mut warnings = Vec::new();
    let summaries = match profiles {
        Ok(profiles) => profiles.summaries(),
        Err(Error::AccessDenied(_)) => {
            warnings.push(PROFILES_DENIED_WARNING.to_string());
            &[]
        }
        Err(other) => return Err(other),
    };
    Ok(Discovery {
        status: DiscoveryStatus::Fresh,
        models: catalog::build(foundation, summaries, settings),
        warnings,
        refresh_error: None,
        fetched_at,
    })
}

#[cfg(test)]
mod tests;
