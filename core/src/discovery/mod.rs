//! Model discovery: which models the credentials in force can stream from.
//!
//! Two control-plane calls, `ListFoundationModels` and the pages of
//! `ListInferenceProfiles`, become the gateway's model list ([`catalog`]),
//! with limits and prices Bedrock does not publish through its API filled in
//! from [`known_models`]. Nothing here does I/O: [`plan`] says where to go,
//! [`Run`] hands out the signed requests one at a time and takes their
//! answers, and [`assemble`] turns answers into a [`Discovery`]. Caching is
//! the host's; [`cache`] holds the rules it follows.
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

pub use cache::{after_refresh, cache_key, is_fresh, serve_cached};
pub use options::{ProviderFilter, Settings, is_enabled};

use crate::credentials::Credentials;
use crate::endpoint::{self, Endpoint, Service};
use crate::env::Environment;
use crate::signing::SignedRequest;
use crate::types::{Discovery, DiscoveryOptions, DiscoveryStatus, ProviderConfig, ProviderError};
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
/// caller needs them anyway to decide `enabled`, and may have to fetch them.
pub fn plan(
    config: &ProviderConfig,
    options: &DiscoveryOptions,
    env: &Environment,
) -> Result<Plan, ProviderError> {
    let settings = Settings::resolve(config, options, env);
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
    ) -> Result<SignedRequest, ProviderError> {
        requests::foundation_models(&self.endpoint, credentials, &self.settings.region, now)
    }

    pub fn inference_profiles_request(
        &self,
        next_token: Option<&str>,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Result<SignedRequest, ProviderError> {
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
    pub fn add_page(&mut self, body: &[u8]) -> Result<Option<String>, ProviderError> {
        let page = parse::inference_profiles_page(body)?;
        self.pages += 1;
        self.summaries
            .extend(page.inference_profile_summaries.unwrap_or_default());
        let Some(token) = page.next_token else {
            return Ok(None);
        };
        if !self.tokens.insert(token.clone()) {
            return Err(ProviderError::Protocol(
                "ListInferenceProfiles returned a nextToken it had returned before".into(),
            ));
        }
        if self.pages >= requests::MAX_PROFILE_PAGES {
            return Err(ProviderError::Protocol(format!(
                "ListInferenceProfiles still had more pages after {}",
                requests::MAX_PROFILE_PAGES
            )));
        }
        Ok(Some(token))
    }

    /// All pages at once, when the caller has collected them itself.
    pub fn from_pages<B: AsRef<[u8]>>(pages: &[B]) -> Result<Self, ProviderError> {
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
    profiles: Result<&InferenceProfiles, ProviderError>,
    settings: &Settings,
    fetched_at: u64,
) -> Result<Discovery, ProviderError> {
    let foundation = parse::foundation_models(foundation_models)?;
    assemble_parsed(&foundation, profiles, settings, fetched_at)
}

fn assemble_parsed(
    foundation: &[FoundationModelSummary],
    profiles: Result<&InferenceProfiles, ProviderError>,
    settings: &Settings,
    fetched_at: u64,
) -> Result<Discovery, ProviderError> {
    let mut warnings = Vec::new();
    let summaries = match profiles {
        Ok(profiles) => profiles.summaries(),
        Err(ProviderError::AccessDenied(_)) => {
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

/// Where a [`Run`] stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    FoundationModels,
    InferenceProfiles { next_token: Option<String> },
    Done { profiles_denied: bool },
    Failed,
}

/// One discovery, request by request, for a caller that owns the transport:
///
/// ```text
/// let mut run = Run::new(plan);
/// while let Some(request) = run.next_request(&credentials, now)? {
///     run.on_response(send(request))?;   // Ok(body) for 2xx, Err(error::from_http(..)) otherwise
/// }
/// let discovery = run.finish(now_secs)?;
/// ```
#[derive(Clone, Debug)]
pub struct Run {
    plan: Plan,
    step: Step,
    foundation: Vec<FoundationModelSummary>,
    profiles: InferenceProfiles,
}

impl Run {
    pub fn new(plan: Plan) -> Run {
        Run {
            plan,
            step: Step::FoundationModels,
            foundation: Vec::new(),
            profiles: InferenceProfiles::new(),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The request to send next, signed for `now`; `None` once every answer
    /// is in (or after a failure).
    pub fn next_request(
        &self,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Result<Option<SignedRequest>, ProviderError> {
        match &self.step {
            Step::FoundationModels => self
                .plan
                .foundation_models_request(credentials, now)
                .map(Some),
            Step::InferenceProfiles { next_token } => self
                .plan
                .inference_profiles_request(next_token.as_deref(), credentials, now)
                .map(Some),
            Step::Done { .. } | Step::Failed => Ok(None),
        }
    }

    /// The answer to the last request: the body of a 2xx, or the error the
    /// HTTP answer (or the transport) came to. Returns the error that ends
    /// the run, if this one does.
    pub fn on_response(
        &mut self,
        response: Result<&[u8], ProviderError>,
    ) -> Result<(), ProviderError> {
        let step = std::mem::replace(&mut self.step, Step::Failed);
        self.step = match (step, response) {
            (Step::FoundationModels, Ok(body)) => {
                self.foundation = parse::foundation_models(body)?;
                Step::InferenceProfiles { next_token: None }
            }
            (Step::InferenceProfiles { .. }, Ok(body)) => match self.profiles.add_page(body)? {
                Some(token) => Step::InferenceProfiles {
                    next_token: Some(token),
                },
                None => Step::Done {
                    profiles_denied: false,
                },
            },
            (Step::InferenceProfiles { .. }, Err(ProviderError::AccessDenied(_))) => {
                // A partial list would pass for a complete one: drop it all.
                self.profiles = InferenceProfiles::new();
                Step::Done {
                    profiles_denied: true,
                }
            }
            (Step::FoundationModels | Step::InferenceProfiles { .. }, Err(error)) => {
                return Err(error);
            }
            (done @ Step::Done { .. }, _) => {
                self.step = done;
                return Err(ProviderError::InvalidRequest(
                    "discovery got an answer after its last request".into(),
                ));
            }
            (Step::Failed, _) => {
                return Err(ProviderError::InvalidRequest(
                    "discovery got an answer after it had failed".into(),
                ));
            }
        };
        Ok(())
    }

    /// The discovery, once every request has been answered.
    pub fn finish(self, fetched_at: u64) -> Result<Discovery, ProviderError> {
        let Step::Done { profiles_denied } = self.step else {
            return Err(ProviderError::InvalidRequest(
                "discovery was finished before all its requests were answered".into(),
            ));
        };
        let profiles = if profiles_denied {
            Err(ProviderError::AccessDenied(crate::types::ErrorDetail {
                message: PROFILES_DENIED_WARNING.into(),
                status: Some(403),
                code: None,
                request_id: None,
                retry_after_ms: None,
            }))
        } else {
            Ok(&self.profiles)
        };
        assemble_parsed(&self.foundation, profiles, &self.plan.settings, fetched_at)
    }
}

#[cfg(test)]
mod tests;
