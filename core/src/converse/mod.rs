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

use crate::credentials::Resolved;
use crate::endpoint::{self, Service};
use crate::env::Environment;
use crate::region;
use crate::signing::SignedRequest;
use crate::types::{ConverseRequest, ProviderConfig, ProviderError};
use std::time::SystemTime;

/// Everything needed to start a ConverseStream call with `credentials`,
/// signed for `now`.
///
/// Resolves the region (an ARN model id's own region wins, then the usual
/// order with the credentials' profile region), the endpoint and the body;
/// the caller only has to send the result.
pub fn prepare(
    config: &ProviderConfig,
    request: &ConverseRequest,
    env: &Environment,
    credentials: &Resolved,
    now: SystemTime,
) -> Result<SignedRequest, ProviderError> {
    let model_id = request.model_id.trim();
    if model_id.is_empty() {
        return Err(ProviderError::InvalidRequest("model-id is empty".into()));
    }
    let region = match region::region_of_arn(model_id) {
        Some(arn_region) => arn_region.to_string(),
        None => credentials.region(config.region.as_deref(), env),
    };
    region::validate(&region)?;
    let endpoint = endpoint::resolve(
        Service::BedrockRuntime,
        &region,
        config.base_url.as_deref(),
        env,
    )?;
    let body = request::body_for_region(request, &region)?;
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
