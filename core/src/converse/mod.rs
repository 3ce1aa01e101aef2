//! ConverseStream: the request to send and the events that come back.

pub mod events;
pub mod request;
pub mod stream;

pub use stream::ConverseStreamDecoder;

use crate::endpoint::{self, Service};
use crate::env::Environment;
use crate::signing::SignedRequest;
use crate::types::{ConverseRequest, ProviderConfig, ProviderError};
use crate::{credentials, region};
use std::time::SystemTime;

/// Everything needed to start a ConverseStream call, signed for `now`.
///
/// Resolves credentials, the region (an ARN model id's own region wins), the
/// endpoint and the body; the caller only has to send the result.
pub fn prepare(
    config: &ProviderConfig,
    request: &ConverseRequest,
    env: &Environment,
    now: SystemTime,
) -> Result<SignedRequest, ProviderError> {
    let model_id = request.model_id.trim();
    if model_id.is_empty() {
        return Err(ProviderError::InvalidRequest("model-id is empty".into()));
    }
    let resolved = credentials::resolve(env)?;
    let region = match region::region_of_arn(model_id) {
        Some(arn_region) => arn_region.to_string(),
        None => region::resolve(config.region.as_deref(), env),
    };
    region::validate(&region)?;
    let endpoint = endpoint::resolve(Service::BedrockRuntime, &region, config.base_url.as_deref(), env)?;
    let body = request::body(request)?;
    SignedRequest::post_json(
        &endpoint,
        &endpoint::converse_stream_path(model_id),
        body,
        &[("accept", "application/vnd.amazon.eventstream")],
        &resolved.credentials,
        &region,
        now,
    )
}
