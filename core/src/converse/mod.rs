//! ConverseStream: the request to send and the events that come back.
//!
//! The request side: [`request`] assembles the body from [`conversation`],
//! [`content`], [`tools`], [`reasoning`] and [`cache`], as the model family
//! allows ([`models`]); [`tool_ids`] makes replayed tool-call ids acceptable.
//! The response side: [`stream`] feeds body bytes through the frame decoder
//! and [`events`] maps frames to the contract's events.

pub mod cache;
pub mod content;
pub mod conversation;
pub mod events;
pub mod models;
pub mod reasoning;
pub mod request;
pub mod stream;
pub mod tool_ids;
pub mod tools;

pub use stream::ConverseStreamDecoder;

use crate::application_profile;
use crate::credentials::{self, Resolved};
use crate::endpoint::{self, Service};
use crate::env::Environment;
use crate::error::Error;
use crate::platform::Platform;
use crate::region;
use crate::retry::{Attempt, Failure, RetryPolicy, send_with_retries};
use crate::signing::SignedRequest;
use crate::timeouts::Timeouts;
use crate::types::{ConverseRequest, ProviderConfig};
use std::time::SystemTime;
use stream::EventPump;

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

/// Starts a ConverseStream call: the credentials in force, the signed
/// request, and the stream once its first events arrived.
///
/// Every attempt before that goes through the plugin's one retry loop: a
/// failure in the first frame of a 200 (Bedrock throttles that way too) is
/// an attempt's failure like an HTTP error, since no event exists yet that a
/// retry could duplicate. Once the stream is returned it is never sent again;
/// its later errors come out of the stream, after the events before them.
pub fn start_stream<P: Platform>(
    platform: &mut P,
    env: &Environment,
    config: &ProviderConfig,
    request: &ConverseRequest,
) -> Result<EventPump<P::Body>, Error> {
    let mut credentials = credentials::in_force(platform, env, config.region.as_deref(), false)?;
    let capability_model = application_profile::capability_model(
        platform,
        env,
        config,
        &mut credentials,
        request.model_id.trim(),
    )?;
    let mut attempt = ConverseAttempt {
        env,
        config,
        request,
        capability_model,
        credentials,
        timeouts: Timeouts::from_config(config),
    };
    send_with_retries(platform, &RetryPolicy::from_config(config), &mut attempt)
        .map_err(|failure| failure.error)
}

struct ConverseAttempt<'a> {
    env: &'a Environment,
    config: &'a ProviderConfig,
    request: &'a ConverseRequest,
    /// The model whose capabilities the body is mapped for.
    capability_model: String,
    credentials: Resolved,
    timeouts: Timeouts,
}

impl<P: Platform> Attempt<P> for ConverseAttempt<'_> {
    type Output = EventPump<P::Body>;

    fn send(
        &mut self,
        platform: &mut P,
        signing_time: SystemTime,
    ) -> Result<Self::Output, Failure> {
        let signed = prepare_for_model(
            self.config,
            self.request,
            &self.capability_model,
            self.env,
            &self.credentials,
            signing_time,
        )?;
        let response = platform.send(&signed, self.timeouts)?;
        if response.status >= 300 {
            let now = platform.now();
            return Err(Failure::from_error_response(response, now));
        }
        Ok(EventPump::start(response.body)?)
    }

    fn refresh_credentials(&mut self, platform: &mut P) -> Result<bool, Error> {
        self.credentials =
            credentials::in_force(platform, self.env, self.config.region.as_deref(), true)?;
        Ok(true)
    }
}

#[cfg(test)]
pub(crate) mod start_tests;
