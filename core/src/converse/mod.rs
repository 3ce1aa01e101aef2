//! ConverseStream: the request to send and the events that come back.
//!
//! The request side: [`request`] assembles the body from [`conversation`],
//! [`content`], [`tools`], [`reasoning`] and [`cache`], as the model family
//! allows ([`models`]); [`tool_ids`] makes replayed tool-call ids acceptable.
//! The response side: [`ConverseStream`] sends the request and its retries
//! without waiting, then [`stream`] feeds body bytes through the frame
//! decoder and [`events`] maps frames to the contract's events.

pub mod cache;
pub mod content;
pub mod conversation;
pub mod events;
pub mod models;
pub mod reasoning;
pub mod request;
mod start;
pub mod stream;
pub mod tool_ids;
pub mod tools;

pub use start::{ConverseStream, Wait};
pub use stream::ConverseStreamDecoder;

use crate::application_profile;
use crate::credentials::{self, Resolved};
use crate::endpoint::{self, Service};
use crate::env::Environment;
use crate::error::Error;
use crate::platform::Platform;
use crate::region;
use crate::retry::RetryPolicy;
use crate::signing::SignedRequest;
use crate::timeouts::Timeouts;
use crate::types::{ConverseRequest, ProviderConfig};
use std::time::SystemTime;

/// Everything needed to start a ConverseStream call with `credentials`,
/// signed for `now`, with the body mapped for the model id itself.
pub fn prepare(
    config: &ProviderConfig,
    request: &ConverseRequest,
    env: &Environment,
    credentials: &Resolved,
    now: SystemTime,
) -> Result<SignedRequest, Error> {
    prepare_for_model(config, request, &request.model_id, env, credentials, now)
}

/// [`prepare`], with the body mapped for `capability_model` (an application
/// profile's base model, see [`application_profile`](crate::application_profile)).
///
/// Resolves the region (an ARN model id's own region wins, then the usual
/// order with a regional base URL and the credentials' profile region; a
/// regional base URL of another region is a conflict), the endpoint and the
/// body; the caller only has to send the result.
pub fn prepare_for_model(
    config: &ProviderConfig,
    request: &ConverseRequest,
    capability_model: &str,
    env: &Environment,
    credentials: &Resolved,
    now: SystemTime,
) -> Result<SignedRequest, Error> {
    let model_id = request.model_id.trim();
    if model_id.is_empty() {
        return Err(Error::InvalidRequest("model-id is empty".into()));
    }
    let region = match region::region_of_arn(model_id) {
        Some(arn_region) => {
            let arn_region = region::validate(arn_region)?;
            region::check_base_url(arn_region, "the model ARN", config.base_url.as_deref())?;
            arn_region.to_string()
        }
        None => credentials.call_region(config, env)?,
    };
    let endpoint = endpoint::resolve(
        Service::BedrockRuntime,
        &region,
        config.base_url.as_deref(),
        env,
    )?;
    let body = request::body_for_model(request, capability_model, &region)?;
    SignedRequest::post_json(
        &endpoint,
        &endpoint::converse_stream_path(model_id),
        body,
        &[("accept", "application/vnd.amazon.eventstream")],
        &credentials.credentials,
        &region,
        now,
    )
}

/// Starts a ConverseStream call: the credentials in force (read through
/// their cache; a source that must be asked blocks, as does the lookup of an
/// application profile's model on a cache miss), then the first attempt
/// sent without waiting for its answer.
///
/// Errors known before any answer (no credentials, an invalid region, a
/// request the host refused to let out) are returned here; everything else,
/// retries included, happens as the returned stream is pulled.
pub fn start_stream<P: Platform>(
    platform: &mut P,
    env: Environment,
    config: ProviderConfig,
    request: ConverseRequest,
) -> Result<ConverseStream<P>, Error> {
    let mut credentials = credentials::in_force(platform, &env, config.region.as_deref(), false)?;
    let capability_model = application_profile::capability_model(
        platform,
        &env,
        &config,
        &mut credentials,
        request.model_id.trim(),
    )?;
    let attempt = ConverseAttempt {
        timeouts: Timeouts::from_config(&config),
        retries: RetryPolicy::from_config(&config),
        env,
        config,
        request,
        capability_model,
        credentials,
    };
    ConverseStream::start(platform, attempt)
}

/// What every attempt of one ConverseStream call is made from.
struct ConverseAttempt {
    env: Environment,
    config: ProviderConfig,
    request: ConverseRequest,
    /// The model whose capabilities the body is mapped for.
    capability_model: String,
    credentials: Resolved,
    timeouts: Timeouts,
    retries: RetryPolicy,
}

impl ConverseAttempt {
    /// The request signed for `signing_time`.
    fn signed(&self, signing_time: SystemTime) -> Result<SignedRequest, Error> {
        prepare_for_model(
            &self.config,
            &self.request,
            &self.capability_model,
            &self.env,
            &self.credentials,
            signing_time,
        )
    }

    /// Re-reads the credentials the service said expired, bypassing their cache.
    fn refresh_credentials<P: Platform>(&mut self, platform: &mut P) -> Result<bool, Error> {
        self.credentials =
            credentials::in_force(platform, &self.env, self.config.region.as_deref(), true)?;
        Ok(true)
    }
}

#[cfg(test)]
pub(crate) mod start_tests;
