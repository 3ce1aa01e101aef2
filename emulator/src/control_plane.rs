//! The control-plane operations discovery clients call: ListFoundationModels and
//! ListInferenceProfiles, with their query filters, validation and pagination, and
//! GetInferenceProfile, which the plugin calls to learn an application profile's model.
//!
//! Query parameters are the wire names of the Bedrock API model: `byProvider`,
//! `byOutputModality`, `byInferenceType`, `byCustomizationType` for the models;
//! `maxResults`, `nextToken` and `type` (the SDKs' `typeEquals`) for the profiles. Unknown
//! parameters are ignored, as AWS ignores them.

use serde_json::{Value, json};

use crate::catalogue::{self, ACCOUNT_ID};
use crate::errors::{self, ApiError, ErrorCode};
use crate::form::Form;

/// Profiles per page when the client sends no `maxResults`: small, so that the catalogue
/// spans several pages and clients really paginate.
pub const DEFAULT_PAGE_SIZE: usize = 10;

/// The bounds the API model puts on `maxResults`.
const MAX_RESULTS: std::ops::RangeInclusive<usize> = 1..=1000;

/// An enum-valued query parameter, checked against its allowed values as AWS checks them
/// (case-sensitively).
fn enumerated<'q>(
    query: &'q Form,
    name: &str,
    allowed: &[&str],
) -> Result<Option<&'q str>, ApiError> {
    match query.get(name) {
        None => Ok(None),
        Some(value) if allowed.contains(&value) => Ok(Some(value)),
        Some(value) => Err(constraint(
            value,
            name,
            &format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        )),
    }
}

/// AWS's wording for a constraint violation on one parameter.
fn constraint(value: &str, at: &str, rule: &str) -> ApiError {
    ApiError::validation(errors::constraint_violation(value, at, rule))
}

/// `GET /foundation-models`.
pub fn list_foundation_models(region: &str, raw_query: Option<&str>) -> Result<Value, ApiError> {
    let query = Form::parse(raw_query);
    let provider = match query.get("byProvider") {
        None => None,
        Some(p)
            if (1..=63).contains(&p.len())
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b' ') =>
        {
            Some(p.to_ascii_lowercase())
        }
        Some(p) => {
            return Err(constraint(
                p,
                "byProvider",
                "Member must satisfy regular expression pattern: [A-Za-z0-9- ]{1,63}",
            ));
        }
    };
    let output = enumerated(&query, "byOutputModality", &["TEXT", "IMAGE", "EMBEDDING"])?;
    let inference = enumerated(&query, "byInferenceType", &["ON_DEMAND", "PROVISIONED"])?;
    let customization = enumerated(
        &query,
        "byCustomizationType",
        &["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"],
    )?;
    let summaries: Vec<Value> = catalogue::MODELS
        .iter()
        .filter(|m| {
            // Bedrock matches the provider name without regard to case; the id's provider
            // segment (`mistral` for "Mistral AI") is accepted too.
            provider.as_deref().is_none_or(|p| {
                m.provider.eq_ignore_ascii_case(p) || m.id.split('.').next() == Some(p)
            })
        })
        .filter(|m| output.is_none_or(|o| m.output.contains(&o)))
        .filter(|m| inference.is_none_or(|i| m.inference_types.contains(&i)))
        .filter(|m| customization.is_none_or(|c| m.customizations.contains(&c)))
        .map(|m| m.summary(region))
        .collect();
    Ok(json!({ "modelSummaries": summaries }))
}

/// `GET /inference-profiles`: one page. `denied` answers as AWS does to a principal without
/// `bedrock:ListInferenceProfiles`.
pub fn list_inference_profiles(
    region: &str,
    raw_query: Option<&str>,
    denied: bool,
) -> Result<Value, ApiError> {
    if denied {
        return Err(ApiError::new(
            ErrorCode::AccessDenied,
            format!(
                "User: arn:aws:iam::{ACCOUNT_ID}:user/emulator is not authorized to perform: \
                 bedrock:ListInferenceProfiles on resource: \
                 arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/* because no \
                 identity-based policy allows the bedrock:ListInferenceProfiles action"
            ),
        ));
    }
    let query = Form::parse(raw_query);
    let page_size = match query.get("maxResults") {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => {
            let n: usize = raw.parse().map_err(|_| {
                constraint(
                    raw,
                    "maxResults",
                    "Member must be an integer between 1 and 1000",
                )
            })?;
            if n < *MAX_RESULTS.start() {
                return Err(constraint(
                    raw,
                    "maxResults",
                    "Member must have value greater than or equal to 1",
                ));
            }
            if n > *MAX_RESULTS.end() {
                return Err(constraint(
                    raw,
                    "maxResults",
                    "Member must have value less than or equal to 1000",
                ));
            }
            n
        }
    };
    let kind = enumerated(&query, "type", &["SYSTEM_DEFINED", "APPLICATION"])?;
    let profiles: Vec<Value> = catalogue::profiles(region)
        .into_iter()
        .filter(|p| kind.is_none_or(|k| p.profile_type == k))
        .map(|p| p.summary)
        .collect();
    let start = match query.get("nextToken") {
        None => 0,
        Some(token) => parse_token(token)
            .filter(|offset| *offset < profiles.len())
            .ok_or_else(|| ApiError::validation("The pagination token is invalid or expired."))?,
    };
    let end = (start + page_size).min(profiles.len());
    let mut page = json!({ "inferenceProfileSummaries": profiles[start..end] });
    if end < profiles.len() {
        page["nextToken"] = Value::String(token(end));
    }
    Ok(page)
}

/// `GET /inference-profiles/{inferenceProfileIdentifier}`: the profile named by its id or
/// ARN, with the same fields as its summary. An identifier that names no profile of this
/// account is a ResourceNotFoundException, as for any missing Bedrock resource.
pub fn get_inference_profile(region: &str, identifier: &str) -> Result<Value, ApiError> {
    catalogue::profiles(region)
        .into_iter()
        .map(|p| p.summary)
        .find(|summary| {
            summary["inferenceProfileId"] == identifier
                || summary["inferenceProfileArn"] == identifier
        })
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("Inference profile {identifier} not found."),
            )
        })
}

/// An opaque-looking token for the page starting at `offset`. It holds `+`, `/` and `=`,
/// as AWS's base64 tokens do, so that clients that do not escape query values fail here
/// as they would against Bedrock.
fn token(offset: usize) -> String {
    format!("emu+page/{offset}==")
}

fn parse_token(token: &str) -> Option<usize> {
    let offset = token.strip_prefix("emu+page/")?.strip_suffix("==")?;
    if offset.is_empty() || !offset.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    offset.parse().ok().filter(|o| *o > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &Value, array: &str, field: &str) -> Vec<String> {
        list[array]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m[field].as_str().unwrap().to_owned())
            .collect()
    }

    fn models(query: &str) -> Vec<String> {
        let list = list_foundation_models("us-east-1", Some(query)).unwrap();
        ids(&list, "modelSummaries", "modelId")
    }

    #[test]
    fn foundation_models_and_their_filters() {
        let all = models("");
        assert_eq!(all.len(), catalogue::MODELS.len());
        let list = list_foundation_models("eu-west-3", None).unwrap();
        let first = &list["modelSummaries"][0];
        assert_eq!(
            first["modelArn"],
            format!(
                "arn:aws:bedrock:eu-west-3::foundation-model/{}",
                first["modelId"].as_str().unwrap()
            )
        );
        assert!(first["modelLifecycle"]["status"].is_string());

        let anthropic = models("byProvider=ANTHROPIC");
        assert!(anthropic.len() > 5);
        assert!(anthropic.iter().all(|id| id.starts_with("anthropic.")));
        assert_eq!(
            models("byProvider=mistral%20ai"),
            models("byProvider=mistral")
        );
        assert!(models("byProvider=nobody").is_empty());

        let embeddings = models("byOutputModality=EMBEDDING");
        assert_eq!(
            embeddings,
            [
                "amazon.titan-embed-text-v2:0",
                "cohere.embed-english-v3",
                "cohere.embed-multilingual-v3"
            ]
        );
        let on_demand = models("byInferenceType=ON_DEMAND");
        assert!(on_demand.contains(&"anthropic.claude-3-haiku-20240307-v1:0".to_owned()));
        assert!(!on_demand.contains(&"anthropic.claude-sonnet-4-20250514-v1:0".to_owned()));
        assert_eq!(
            models("byInferenceType=PROVISIONED&byProvider=anthropic"),
            ["anthropic.claude-3-haiku-20240307-v1:0:200k"]
        );
        assert!(
            models("byCustomizationType=DISTILLATION")
                .iter()
                .all(|id| id.starts_with("amazon.nova"))
        );
    }

    #[test]
    fn bad_filters_are_validation_errors() {
        for query in [
            "byOutputModality=text",
            "byInferenceType=INFERENCE_PROFILE",
            "byProvider=a%2Fb",
            "byCustomizationType=X",
        ] {
            let e = list_foundation_models("us-east-1", Some(query)).unwrap_err();
            assert_eq!(e.code, ErrorCode::Validation, "{query}");
            assert!(
                e.message.starts_with("1 validation error detected"),
                "{query}"
            );
        }
    }

    fn page(query: &str) -> Result<Value, ApiError> {
        list_inference_profiles("us-east-1", Some(query), false)
    }

    #[test]
    fn profiles_paginate() {
        let total = catalogue::profiles("us-east-1").len();
        let mut seen = Vec::new();
        let mut query = String::new();
        let mut pages = 0;
        loop {
            let p = page(&query).unwrap();
            let batch = ids(&p, "inferenceProfileSummaries", "inferenceProfileId");
            assert!(batch.len() <= DEFAULT_PAGE_SIZE);
            seen.extend(batch);
            pages += 1;
            match p["nextToken"].as_str() {
                Some(token) => {
                    query = format!(
                        "nextToken={}",
                        form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
                    )
                }
                None => break,
            }
        }
        assert_eq!(seen.len(), total);
        assert_eq!(pages, total.div_ceil(DEFAULT_PAGE_SIZE));
        assert!(pages >= 3);

        let whole = page("maxResults=1000").unwrap();
        assert_eq!(
            whole["inferenceProfileSummaries"].as_array().unwrap().len(),
            total
        );
        assert!(whole.get("nextToken").is_none());
        let first = page("maxResults=1").unwrap();
        assert_eq!(
            first["inferenceProfileSummaries"].as_array().unwrap().len(),
            1
        );
        assert_eq!(first["nextToken"], "emu+page/1==");
    }

    #[test]
    fn profiles_filter_by_type() {
        let app = page("type=APPLICATION").unwrap();
        assert_eq!(
            ids(&app, "inferenceProfileSummaries", "inferenceProfileArn"),
            [
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123example",
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/f3a9c2d41b7e"
            ]
        );
        let system = page("type=SYSTEM_DEFINED&maxResults=1000").unwrap();
        let system = system["inferenceProfileSummaries"].as_array().unwrap();
        assert!(system.iter().all(|p| p["type"] == "SYSTEM_DEFINED"));
        assert_eq!(system.len(), catalogue::profiles("us-east-1").len() - 2);
    }

    #[test]
    fn get_inference_profile_by_arn_or_id() {
        let arn =
            "arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/f3a9c2d41b7e";
        let profile = get_inference_profile("eu-west-3", arn).unwrap();
        assert_eq!(profile["type"], "APPLICATION");
        assert_eq!(
            profile["models"][0]["modelArn"],
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        assert_eq!(
            get_inference_profile("eu-west-3", "f3a9c2d41b7e").unwrap(),
            profile
        );
        let system = get_inference_profile("us-east-1", "us.amazon.nova-pro-v1:0").unwrap();
        assert_eq!(system["type"], "SYSTEM_DEFINED");
        for missing in [
            "zzz999",
            "arn:aws:bedrock:us-east-1:210987654321:application-inference-profile/f3a9c2d41b7e",
        ] {
            let e = get_inference_profile("us-east-1", missing).unwrap_err();
            assert_eq!(e.code, ErrorCode::ResourceNotFound, "{missing}");
        }
    }

    #[test]
    fn bad_queries_and_tokens() {
        for query in [
            "maxResults=0",
            "maxResults=1001",
            "maxResults=ten",
            "type=system_defined",
            "nextToken=garbage",
            "nextToken=emu%2Bpage%2F0%3D%3D",
            "nextToken=emu%2Bpage%2F99999%3D%3D",
            "nextToken=emu+page/10==",
        ] {
            let e = page(query).unwrap_err();
            assert_eq!(e.code, ErrorCode::Validation, "{query}");
        }
        assert_eq!(parse_token(&token(20)), Some(20));
    }

    #[test]
    fn denial_names_the_action() {
        let e = list_inference_profiles("eu-west-1", None, true).unwrap_err();
        assert_eq!(e.code, ErrorCode::AccessDenied);
        assert!(
            e.message.starts_with(
                "User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: \
                 bedrock:ListInferenceProfiles"
            ),
            "{}",
            e.message
        );
        assert!(
            e.message
                .contains("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/*")
        );
    }
}
