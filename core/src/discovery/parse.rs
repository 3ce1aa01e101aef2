//! The answers of ListFoundationModels and ListInferenceProfiles.
//!
//! Shapes from the Bedrock API model (`FoundationModelSummary`,
//! `InferenceProfileSummary`). Every field is optional here, even those the
//! model marks required: one odd entry must cost that entry, not the whole
//! list. Unknown fields are ignored (Bedrock adds some every few months) and
//! enum values are kept as strings for the same reason. JSON that does not
//! parse at all is a protocol error naming the API.

use crate::error::Error;
use serde::Deserialize;

/// `ListFoundationModels` response.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FoundationModels {
    #[serde(default)]
    pub model_summaries: Option<Vec<FoundationModelSummary>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FoundationModelSummary {
    pub model_arn: Option<String>,
    pub model_id: Option<String>,
    pub model_name: Option<String>,
    pub provider_name: Option<String>,
    pub input_modalities: Option<Vec<String>>,
    pub output_modalities: Option<Vec<String>>,
    pub response_streaming_supported: Option<bool>,
    pub customizations_supported: Option<Vec<String>>,
    /// `ON_DEMAND`, `PROVISIONED`, and in today's answers `INFERENCE_PROFILE`
    /// (a value the published API model does not list yet).
    pub inference_types_supported: Option<Vec<String>>,
    pub model_lifecycle: Option<ModelLifecycle>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ModelLifecycle {
    /// `ACTIVE` or `LEGACY`.
    pub status: Option<String>,
}

/// One page of the `ListInferenceProfiles` response.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InferenceProfilesPage {
    #[serde(default)]
    pub inference_profile_summaries: Option<Vec<InferenceProfileSummary>>,
    pub next_token: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InferenceProfileSummary {
    pub inference_profile_name: Option<String>,
    pub inference_profile_arn: Option<String>,
    pub inference_profile_id: Option<String>,
    pub description: Option<String>,
    pub models: Option<Vec<InferenceProfileModel>>,
    /// `ACTIVE` is the only value so far.
    pub status: Option<String>,
    /// `SYSTEM_DEFINED` or `APPLICATION`.
    #[serde(rename = "type")]
    pub profile_type: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InferenceProfileModel {
    pub model_arn: Option<String>,
}

/// Parses a ListFoundationModels body.
pub fn foundation_models(body: &[u8]) -> Result<Vec<FoundationModelSummary>, Error> {
    let parsed: FoundationModels = parse(body, "ListFoundationModels")?;
    Ok(parsed.model_summaries.unwrap_or_default())
}

/// Parses one ListInferenceProfiles page. A blank `nextToken` means no more
/// pages, as the SDK paginators read it.
pub fn inference_profiles_page(body: &[u8]) -> Result<InferenceProfilesPage, Error> {
    let mut page: InferenceProfilesPage = parse(body, "ListInferenceProfiles")?;
    page.next_token = page.next_token.filter(|t| !t.trim().is_empty());
    Ok(page)
}

/// Parses a GetInferenceProfile body: the same fields as one summary.
pub fn inference_profile(body: &[u8]) -> Result<InferenceProfileSummary, Error> {
    parse(body, "GetInferenceProfile")
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8], api: &str) -> Result<T, Error> {
    let malformed = |why: String| {
        Error::Protocol(format!(
            "{api} answered with a body that is not the expected JSON: {why}"
        ))
    };
    // serde reads a struct from an array too; Bedrock only ever sends an object.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(malformed("not a JSON object".into()));
    }
    serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))
}

impl FoundationModelSummary {
    /// The model id, trimmed, when there is one.
    pub fn id(&self) -> Option<&str> {
        self.model_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
    }
}

impl InferenceProfileSummary {
    /// The foundation model the profile routes to: the id at the end of the
    /// first model ARN (`arn:aws:bedrock:us-east-1::foundation-model/{id}`).
    /// Every model of a profile is the same model in different regions.
    pub fn base_model_id(&self) -> Option<&str> {
        let arn = self
            .models
            .as_ref()?
            .iter()
            .find_map(|m| m.model_arn.as_deref())?;
        let id = arn
            .rsplit_once(":foundation-model/")
            .map(|(_, id)| id)
            .unwrap_or(arn);
        Some(id.trim()).filter(|id| !id.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foundation_models_tolerate_unknown_and_missing_fields() {
        let body = br#"{"modelSummaries":[
            {"modelArn":"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
             "modelId":"anthropic.claude-3-haiku-20240307-v1:0","modelName":"Claude 3 Haiku",
             "providerName":"Anthropic","inputModalities":["TEXT","IMAGE"],"outputModalities":["TEXT"],
             "responseStreamingSupported":true,"customizationsSupported":[],
             "inferenceTypesSupported":["ON_DEMAND","INFERENCE_PROFILE"],
             "modelLifecycle":{"status":"ACTIVE","startOfLifeTime":"2024-03-07T00:00:00Z"},
             "somethingNew":{"x":[1,2]}},
            {"modelId":"amazon.odd","outputModalities":null}
        ],"p":"padding"}"#;
        let models = foundation_models(body).unwrap();
        assert_eq!(models.len(), 2);
        assert_eq!(
            models[0].id(),
            Some("anthropic.claude-3-haiku-20240307-v1:0")
        );
        assert_eq!(
            models[0]
                .model_lifecycle
                .as_ref()
                .unwrap()
                .status
                .as_deref(),
            Some("ACTIVE")
        );
        assert_eq!(models[1].output_modalities, None);
        assert_eq!(foundation_models(b"{}").unwrap(), vec![]);
        assert_eq!(
            foundation_models(br#"{"modelSummaries":null}"#).unwrap(),
            vec![]
        );
    }

    #[test]
    fn malformed_json_names_the_api() {
        for body in [
            &b"{\"modelSummaries\":[{]"[..],
            b"<html>oops</html>",
            b"[]",
            b"",
            br#"{"modelSummaries":{}}"#,
        ] {
            let Err(Error::Protocol(why)) = foundation_models(body) else {
                panic!("{body:?}")
            };
            assert!(why.starts_with("ListFoundationModels"), "{why}");
        }
        let Err(Error::Protocol(why)) = inference_profiles_page(b"{\"nextToken\":5}") else {
            panic!()
        };
        assert!(why.starts_with("ListInferenceProfiles"), "{why}");
    }

    #[test]
    fn profile_pages_and_base_models() {
        let body = br#"{"inferenceProfileSummaries":[
            {"inferenceProfileName":"US Anthropic Claude Sonnet 4",
             "inferenceProfileArn":"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
             "inferenceProfileId":"us.anthropic.claude-sonnet-4-20250514-v1:0",
             "models":[{"modelArn":"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"},
                       {"modelArn":"arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"}],
             "status":"ACTIVE","type":"SYSTEM_DEFINED","createdAt":"2025-05-22T00:00:00Z"},
            {"inferenceProfileId":"broken","models":[]}
        ],"nextToken":"abc+/="}"#;
        let page = inference_profiles_page(body).unwrap();
        assert_eq!(page.next_token.as_deref(), Some("abc+/="));
        let profiles = page.inference_profile_summaries.unwrap();
        assert_eq!(profiles[0].profile_type.as_deref(), Some("SYSTEM_DEFINED"));
        assert_eq!(
            profiles[0].base_model_id(),
            Some("anthropic.claude-sonnet-4-20250514-v1:0")
        );
        assert_eq!(profiles[1].base_model_id(), None);
        let last =
            inference_profiles_page(br#"{"inferenceProfileSummaries":[],"nextToken":""}"#).unwrap();
        assert_eq!(last.next_token, None, "a blank token ends the pages");
    }
}
