//! Which model a ConverseStream call may invoke, refused the way Bedrock refuses it.
//!
//! A well-formed id is not enough: Bedrock answers an id it does not know with "The
//! provided model identifier is invalid.", and a foundation model it serves only through
//! an inference profile (`inferenceTypesSupported: ["INFERENCE_PROFILE"]`, as every Claude
//! 4 model) with "on-demand throughput isn't supported" when it is called by its own id.
//! The emulator decides from its [`catalogue`], so what discovery lists is what can be
//! called, and a client under test meets the refusals a real account meets.

use crate::catalogue::{self, ACCOUNT_ID, Model};
use crate::errors::{ApiError, ErrorCode};
use crate::model_id;

/// How the path named the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A foundation model by id or foundation-model ARN: on-demand throughput.
    FoundationModel,
    /// A system-defined or application inference profile.
    InferenceProfile,
}

/// The catalogue model `model_id` invokes, or Bedrock's refusal.
pub fn resolve(model_id: &str) -> Result<&'static Model, ApiError> {
    if !model_id::is_valid(model_id) {
        return Err(invalid_identifier());
    }
    if model_id == model_id::MISSING_MODEL {
        return Err(ApiError::stock(ErrorCode::ResourceNotFound));
    }
    let (model, target) = lookup(model_id).ok_or_else(invalid_identifier)?;
    if !model.streaming || model.output != ["TEXT"] {
        return Err(ApiError::validation(
            "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
        ));
    }
    let types = model.inference_types;
    if target == Target::FoundationModel && !types.contains(&"ON_DEMAND") {
        return Err(ApiError::validation(
            if types.contains(&"INFERENCE_PROFILE") {
                format!(
                    "Invocation of model ID {} with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
                    model.id
                )
            } else {
                "The provided model doesn't support on-demand throughput.".to_owned()
            },
        ));
    }
    Ok(model)
}

/// Bedrock's answer to a well-formed id that names nothing it serves.
fn invalid_identifier() -> ApiError {
    ApiError::validation("The provided model identifier is invalid.")
}

fn lookup(model_id: &str) -> Option<(&'static Model, Target)> {
    let Some(resource) = model_id.strip_prefix("arn:aws:bedrock:") else {
        return by_id(model_id);
    };
    // `{region}:{account}:{kind}/{name}`; the shape was checked by `model_id::is_valid`.
    let mut parts = resource.splitn(3, ':');
    let (_region, account, kind_name) = (parts.next()?, parts.next()?, parts.next()?);
    let (kind, name) = kind_name.split_once('/')?;
    match kind {
        "foundation-model" => catalogue::model(name).map(|model| (model, Target::FoundationModel)),
        _ if account != ACCOUNT_ID => None,
        "inference-profile" => {
            catalogue::system_profile_model(name).map(|model| (model, Target::InferenceProfile))
        }
        "application-inference-profile" => catalogue::application_profile_model(name)
            .map(|model| (model, Target::InferenceProfile)),
        _ => None,
    }
}

/// A bare id: a system profile (`us.anthropic...`) or a foundation model.
fn by_id(model_id: &str) -> Option<(&'static Model, Target)> {
    catalogue::system_profile_model(model_id)
        .map(|model| (model, Target::InferenceProfile))
        .or_else(|| catalogue::model(model_id).map(|model| (model, Target::FoundationModel)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(model_id: &str) -> ApiError {
        resolve(model_id).unwrap_err()
    }

    #[test]
    fn callable_ids_resolve_to_their_model() {
        for (id, model) in [
            (
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
            ),
            (
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
            ),
            (
                "global.anthropic.claude-haiku-4-5-20251001-v1:0",
                "anthropic.claude-haiku-4-5-20251001-v1:0",
            ),
            ("us.anthropic.claude-opus-4-7", "anthropic.claude-opus-4-7"),
            (
                "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
                "amazon.nova-lite-v1:0",
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
                "anthropic.claude-sonnet-4-20250514-v1:0",
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123example",
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/f3a9c2d41b7e",
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
            ),
        ] {
            assert_eq!(resolve(id).map(|m| m.id), Ok(model), "{id}");
        }
    }

    #[test]
    fn unknown_ids_are_invalid_identifiers() {
        for id in [
            "no.such-model",
            "not a model id",
            "anthropic.claude-sonnet-9-v1:0",
            // A real model, but no JP profile routes to it.
            "jp.amazon.nova-pro-v1:0",
            "arn:aws:bedrock:us-east-1:210987654321:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zzz999",
        ] {
            let error = refusal(id);
            assert_eq!(error.code, ErrorCode::Validation, "{id}");
            assert_eq!(error.message, "The provided model identifier is invalid.");
            assert_eq!(error.code.status(), 400);
        }
        assert_eq!(
            refusal(model_id::MISSING_MODEL).code,
            ErrorCode::ResourceNotFound
        );
    }

    #[test]
    fn profile_only_models_refuse_on_demand_calls() {
        for id in [
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
        ] {
            assert_eq!(
                refusal(id).message,
                "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model."
            );
        }
        assert_eq!(
            refusal("amazon.nova-pro-v1:0:300k").message,
            "The provided model doesn't support on-demand throughput."
        );
    }

    #[test]
    fn models_that_cannot_converse_are_refused() {
        for id in ["amazon.titan-embed-text-v2:0", "cohere.rerank-v3-5:0"] {
            assert!(
                refusal(id)
                    .message
                    .starts_with("This action doesn't support the model")
            );
        }
    }
}
