//! Discovery end to end on answers shaped like today's Bedrock in us-east-1.

use super::*;
use crate::platform::fake::{FakePlatform, Scripted};
use crate::types::{ErrorDetail, InputModality, ModelDefinition, ModelKind};

/// A trimmed ListFoundationModels answer from us-east-1, with the entries
/// that must be filtered out (legacy, non-streaming, embeddings, images,
/// provisioned-only variants) and unknown fields Bedrock added over time.
const FOUNDATION_MODELS: &str = r#"{
  "modelSummaries": [
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0",
     "modelId": "amazon.titan-embed-text-v2:0", "modelName": "Titan Text Embeddings V2", "providerName": "Amazon",
     "inputModalities": ["TEXT"], "outputModalities": ["EMBEDDING"], "responseStreamingSupported": false,
     "customizationsSupported": [], "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0",
     "modelId": "amazon.nova-canvas-v1:0", "modelName": "Nova Canvas", "providerName": "Amazon",
     "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["IMAGE"], "customizationsSupported": [],
     "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0",
     "modelId": "amazon.nova-pro-v1:0", "modelName": "Nova Pro", "providerName": "Amazon",
     "inputModalities": ["TEXT", "IMAGE", "VIDEO"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": ["FINE_TUNING", "DISTILLATION"], "inferenceTypesSupported": ["ON_DEMAND", "INFERENCE_PROFILE"],
     "modelLifecycle": {"status": "ACTIVE", "startOfLifeTime": "2024-12-03T00:00:00Z"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0:300k",
     "modelId": "amazon.nova-pro-v1:0:300k", "modelName": "Nova Pro", "providerName": "Amazon",
     "inputModalities": ["TEXT", "IMAGE", "VIDEO"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["PROVISIONED"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-premier-v1:0",
     "modelId": "amazon.nova-premier-v1:0", "modelName": "Nova Premier", "providerName": "Amazon",
     "inputModalities": ["TEXT", "IMAGE", "VIDEO"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["INFERENCE_PROFILE"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1",
     "modelId": "anthropic.claude-v2:1", "modelName": "Claude", "providerName": "Anthropic",
     "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "LEGACY"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
     "modelId": "anthropic.claude-3-haiku-20240307-v1:0", "modelName": "Claude 3 Haiku", "providerName": "Anthropic",
     "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["ON_DEMAND", "INFERENCE_PROFILE"],
     "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0:200k",
     "modelId": "anthropic.claude-3-haiku-20240307-v1:0:200k", "modelName": "Claude 3 Haiku", "providerName": "Anthropic",
     "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["PROVISIONED"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0",
     "modelId": "anthropic.claude-sonnet-4-20250514-v1:0", "modelName": "Claude Sonnet 4", "providerName": "Anthropic",
     "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["INFERENCE_PROFILE"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
     "modelId": "anthropic.claude-sonnet-4-5-20250929-v1:0", "modelName": "Claude Sonnet 4.5", "providerName": "Anthropic",
     "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["INFERENCE_PROFILE"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-english-v3",
     "modelId": "cohere.embed-english-v3", "modelName": "Embed English", "providerName": "Cohere",
     "inputModalities": ["TEXT"], "outputModalities": ["EMBEDDING"], "responseStreamingSupported": false,
     "customizationsSupported": [], "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/cohere.command-r-plus-v1:0",
     "modelId": "cohere.command-r-plus-v1:0", "modelName": "Command R+", "providerName": "Cohere",
     "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/deepseek.r1-v1:0",
     "modelId": "deepseek.r1-v1:0", "modelName": "DeepSeek-R1", "providerName": "DeepSeek",
     "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["INFERENCE_PROFILE"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0",
     "modelId": "meta.llama3-8b-instruct-v1:0", "modelName": "Llama 3 8B Instruct", "providerName": "Meta",
     "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/mistral.mistral-large-2402-v1:0",
     "modelId": "mistral.mistral-large-2402-v1:0", "modelName": "Mistral Large (24.02)", "providerName": "Mistral AI",
     "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/openai.gpt-oss-120b-1:0",
     "modelId": "openai.gpt-oss-120b-1:0", "modelName": "gpt-oss-120b", "providerName": "OpenAI",
     "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "customizationsSupported": [], "inferenceTypesSupported": ["ON_DEMAND"], "modelLifecycle": {"status": "ACTIVE"}},
    {"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/newco.frontier-v1:0",
     "modelId": "newco.frontier-v1:0", "modelName": "Frontier", "providerName": "NewCo",
     "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": true,
     "inferenceTypesSupported": ["ON_DEMAND"]}
  ]
}"#;

/// Page one of ListInferenceProfiles (us-east-1 sees `us.` and `global.`).
const PROFILES_PAGE_1: &str = r#"{
  "inferenceProfileSummaries": [
    {"inferenceProfileName": "US Anthropic Claude 3 Haiku",
     "description": "Routes requests to Anthropic Claude 3 Haiku in us-east-1, us-west-2 and us-east-2.",
     "createdAt": "2024-08-27T00:00:00Z", "updatedAt": "2024-08-27T00:00:00Z",
     "inferenceProfileArn": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"},
                {"modelArn": "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"},
                {"modelArn": "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"}],
     "inferenceProfileId": "us.anthropic.claude-3-haiku-20240307-v1:0", "status": "ACTIVE", "type": "SYSTEM_DEFINED"},
    {"inferenceProfileName": "US Anthropic Claude Sonnet 4",
     "inferenceProfileArn": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"},
                {"modelArn": "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"}],
     "inferenceProfileId": "us.anthropic.claude-sonnet-4-20250514-v1:0", "status": "ACTIVE", "type": "SYSTEM_DEFINED"},
    {"inferenceProfileName": "Global Claude Sonnet 4.5",
     "inferenceProfileArn": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"}],
     "inferenceProfileId": "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "status": "ACTIVE", "type": "SYSTEM_DEFINED"},
    {"inferenceProfileName": "US Nova Premier",
     "inferenceProfileArn": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-premier-v1:0",
     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-premier-v1:0"}],
     "inferenceProfileId": "us.amazon.nova-premier-v1:0", "status": "ACTIVE", "type": "SYSTEM_DEFINED"}
  ],
  "nextToken": "eyJvZmZzZXQiOjR9+/="
}"#;

/// Page two: more profiles, one duplicate, and an application profile.
const PROFILES_PAGE_2: &str = r#"{
  "inferenceProfileSummaries": [
    {"inferenceProfileName": "US DeepSeek-R1",
     "inferenceProfileArn": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.deepseek.r1-v1:0",
     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/deepseek.r1-v1:0"}],
     "inferenceProfileId": "us.deepseek.r1-v1:0", "status": "ACTIVE", "type": "SYSTEM_DEFINED"},
    {"inferenceProfileName": "US Anthropic Claude Sonnet 4",
     "inferenceProfileArn": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"}],
     "inferenceProfileId": "us.anthropic.claude-sonnet-4-20250514-v1:0", "status": "ACTIVE", "type": "SYSTEM_DEFINED"},
    {"inferenceProfileName": "US Meta Llama 3.2 11B Instruct",
     "inferenceProfileArn": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-11b-instruct-v1:0",
     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-2-11b-instruct-v1:0"}],
     "inferenceProfileId": "us.meta.llama3-2-11b-instruct-v1:0", "status": "ACTIVE", "type": "SYSTEM_DEFINED"},
    {"inferenceProfileName": "claims-assistant", "description": "Claims team",
     "inferenceProfileArn": "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123example",
     "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"}],
     "inferenceProfileId": "abc123example", "status": "ACTIVE", "type": "APPLICATION"}
  ]
}"#;

const APP_ARN: &str =
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123example";

fn options() -> DiscoveryOptions {
    DiscoveryOptions::default()
}

fn config() -> ProviderConfig {
    ProviderConfig::default()
}

fn settings(filter: &[&str]) -> Settings {
    let options = DiscoveryOptions {
        provider_filter: filter.iter().map(|f| f.to_string()).collect(),
        ..options()
    };
    Settings::resolve(&config(), &options, &Environment::default(), None).unwrap()
}

fn profiles() -> InferenceProfiles {
    InferenceProfiles::from_pages(&[PROFILES_PAGE_1, PROFILES_PAGE_2]).unwrap()
}

fn model<'a>(discovery: &'a Discovery, id: &str) -> &'a ModelDefinition {
    discovery
        .models
        .iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

fn ids(discovery: &Discovery) -> Vec<&str> {
    discovery.models.iter().map(|m| m.id.as_str()).collect()
}

fn denied() -> Error {
    Error::AccessDenied(ErrorDetail {
        message:
            "User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: bedrock:ListInferenceProfiles"
                .into(),
        status: Some(403),
        code: Some("AccessDeniedException".into()),
        request_id: None,
        retry_after_ms: None,
    })
}

#[test]
fn realistic_catalogue() {
    let profiles = profiles();
    let d = assemble(
        FOUNDATION_MODELS.as_bytes(),
        Ok(&profiles),
        &settings(&[]),
        1_700_000_000,
    )
    .unwrap();
    assert_eq!(d.status, DiscoveryStatus::Fresh);
    assert_eq!(d.fetched_at, 1_700_000_000);
    assert!(d.warnings.is_empty() && d.refresh_error.is_none());
    assert_eq!(
        ids(&d),
        [
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            APP_ARN,
            "anthropic.claude-3-haiku-20240307-v1:0",
            "us.anthropic.claude-3-haiku-20240307-v1:0",
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "cohere.command-r-plus-v1:0",
            "us.deepseek.r1-v1:0",
            "newco.frontier-v1:0",
            "openai.gpt-oss-120b-1:0",
            "meta.llama3-8b-instruct-v1:0",
            "mistral.mistral-large-2402-v1:0",
            "us.amazon.nova-premier-v1:0",
            "amazon.nova-pro-v1:0",
        ]
    );
    let names: Vec<&str> = d.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Claude Sonnet 4.5 (Global)",
            "claims-assistant (Claude 3 Haiku)",
            "Claude 3 Haiku",
            "Claude 3 Haiku (US)",
            "Claude Sonnet 4 (US)",
            "Command R+",
            "DeepSeek-R1 (US)",
            "Frontier",
            "gpt-oss-120b",
            "Llama 3 8B Instruct",
            "Mistral Large (24.02)",
            "Nova Premier (US)",
            "Nova Pro",
        ]
    );
}

#[test]
fn profiles_inherit_their_base_model() {
    let profiles = profiles();
    let d = assemble(
        FOUNDATION_MODELS.as_bytes(),
        Ok(&profiles),
        &settings(&[]),
        0,
    )
    .unwrap();
    let sonnet = model(&d, "us.anthropic.claude-sonnet-4-20250514-v1:0");
    assert_eq!(sonnet.kind, ModelKind::SystemProfile);
    assert_eq!(
        sonnet.base_model_id.as_deref(),
        Some("anthropic.claude-sonnet-4-20250514-v1:0")
    );
    assert_eq!(sonnet.provider, "Anthropic");
    assert!(sonnet.reasoning);
    assert_eq!(
        (sonnet.context_window, sonnet.max_tokens),
        (200_000, 64_000)
    );
    assert_eq!(sonnet.cost.input, 3.0);
    assert_eq!(
        sonnet.input,
        [
            InputModality::Text,
            InputModality::Image,
            InputModality::Document
        ]
    );

    let app = model(&d, APP_ARN);
    let haiku = model(&d, "anthropic.claude-3-haiku-20240307-v1:0");
    assert_eq!(app.kind, ModelKind::ApplicationProfile);
    assert_eq!(app.base_model_id.as_deref(), Some(haiku.id.as_str()));
    assert_eq!(
        (app.cost, app.context_window, app.max_tokens),
        (haiku.cost, 200_000, 4096)
    );
    assert_eq!(haiku.kind, ModelKind::FoundationModel);
    assert_eq!(haiku.base_model_id, None);

    let r1 = model(&d, "us.deepseek.r1-v1:0");
    assert!(r1.reasoning);
    assert_eq!(r1.provider, "DeepSeek");

    let unknown = model(&d, "newco.frontier-v1:0");
    assert_eq!(
        (
            unknown.context_window,
            unknown.max_tokens,
            unknown.reasoning
        ),
        (32_000, 4096, false)
    );
    assert_eq!(unknown.input, [InputModality::Text, InputModality::Image]);
}

#[test]
fn profile_only_models_appear_only_through_their_profiles() {
    let profiles = profiles();
    let d = assemble(
        FOUNDATION_MODELS.as_bytes(),
        Ok(&profiles),
        &settings(&[]),
        0,
    )
    .unwrap();
    for bare in [
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "amazon.nova-premier-v1:0",
        "deepseek.r1-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "amazon.nova-pro-v1:0:300k",
    ] {
        assert!(
            d.models.iter().all(|m| m.id != bare),
            "{bare} is not invocable on demand"
        );
    }
    // Llama 3.2 11B has a profile, but ListFoundationModels did not list it:
    // nothing says it streams text, so its profile is dropped.
    assert!(d.models.iter().all(|m| !m.id.contains("llama3-2")));
}

#[test]
fn provider_filter_applies_to_profiles_too() {
    let profiles = profiles();
    let d = assemble(
        FOUNDATION_MODELS.as_bytes(),
        Ok(&profiles),
        &settings(&["anthropic", "MISTRAL"]),
        0,
    )
    .unwrap();
    assert_eq!(
        ids(&d),
        [
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            APP_ARN,
            "anthropic.claude-3-haiku-20240307-v1:0",
            "us.anthropic.claude-3-haiku-20240307-v1:0",
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "mistral.mistral-large-2402-v1:0",
        ]
    );
    let none = assemble(
        FOUNDATION_MODELS.as_bytes(),
        Ok(&profiles),
        &settings(&["stability"]),
        0,
    )
    .unwrap();
    assert!(none.models.is_empty());
}

#[test]
fn no_duplicates() {
    let profiles = profiles();
    let d = assemble(
        FOUNDATION_MODELS.as_bytes(),
        Ok(&profiles),
        &settings(&[]),
        0,
    )
    .unwrap();
    let mut ids = ids(&d);
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

#[test]
fn denied_profiles_are_a_warning() {
    let d = assemble(
        FOUNDATION_MODELS.as_bytes(),
        Err(denied()),
        &settings(&[]),
        0,
    )
    .unwrap();
    assert_eq!(d.warnings, [PROFILES_DENIED_WARNING]);
    assert_eq!(d.status, DiscoveryStatus::Fresh);
    assert!(
        d.models
            .iter()
            .all(|m| m.kind == ModelKind::FoundationModel)
    );
    assert_eq!(d.models.len(), 7);
}

#[test]
fn other_failures_are_errors() {
    let throttled = Error::Throttled(ErrorDetail {
        message: "slow down".into(),
        status: Some(429),
        code: None,
        request_id: None,
        retry_after_ms: None,
    });
    let e = assemble(
        FOUNDATION_MODELS.as_bytes(),
        Err(throttled),
        &settings(&[]),
        0,
    )
    .unwrap_err();
    assert!(matches!(e, Error::Throttled(_)), "{e:?}");
    let e = assemble(
        b"{\"modelSummaries\": [",
        Ok(&profiles()),
        &settings(&[]),
        0,
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Protocol(m) if m.contains("ListFoundationModels")),
        "{e:?}"
    );
    let e = InferenceProfiles::from_pages(&[PROFILES_PAGE_1, "<html>"]).unwrap_err();
    assert!(
        matches!(&e, Error::Protocol(m) if m.contains("ListInferenceProfiles")),
        "{e:?}"
    );
}

#[test]
fn pagination_guards() {
    let mut profiles = InferenceProfiles::new();
    let page = r#"{"inferenceProfileSummaries": [], "nextToken": "same"}"#;
    assert_eq!(
        profiles.add_page(page.as_bytes()).unwrap().as_deref(),
        Some("same")
    );
    assert!(
        matches!(profiles.add_page(page.as_bytes()), Err(Error::Protocol(_))),
        "a repeated token"
    );
    let mut endless = InferenceProfiles::new();
    let outcome = (0..=requests::MAX_PROFILE_PAGES)
        .map(|n| endless.add_page(format!(r#"{{"nextToken": "t{n}"}}"#).as_bytes()))
        .find(Result::is_err);
    assert!(matches!(outcome, Some(Err(Error::Protocol(_)))));
}

#[test]
fn plan_goes_to_the_control_plane_of_the_region() {
    let env = Environment::from_vars([("AWS_REGION", "eu-west-3")]);
    let p = plan(&config(), &options(), &env, None).unwrap();
    assert_eq!(p.settings.region, "eu-west-3");
    assert_eq!(p.endpoint.authority, "bedrock.eu-west-3.amazonaws.com");
    let env = Environment::from_vars([("AWS_ENDPOINT_URL_BEDROCK", "http://127.0.0.1:9")]);
    let with_base_url = ProviderConfig {
        base_url: Some("https://runtime-proxy.example".into()),
        ..config()
    };
    let p = plan(&with_base_url, &options(), &env, None).unwrap();
    assert_eq!(
        p.endpoint.authority, "127.0.0.1:9",
        "baseUrl is the runtime's"
    );
    let env = Environment::from_vars([("AWS_ENDPOINT_URL", "not a url")]);
    assert!(matches!(
        plan(&config(), &options(), &env, None),
        Err(Error::InvalidRequest(_))
    ));
    assert!(
        p.cache_key("env: AWS_ACCESS_KEY_ID")
            .contains("http://127.0.0.1:9")
    );
}

#[test]
fn disabled_discovery_is_empty() {
    let d = disabled(42);
    assert_eq!(d.status, DiscoveryStatus::Disabled);
    assert!(d.models.is_empty() && d.warnings.is_empty() && d.refresh_error.is_none());
    assert_eq!(d.fetched_at, 42);
}

const CONTROL_PLANE: &str = "GET https://bedrock.us-east-1.amazonaws.com";
const FOUNDATION: &str = "GET https://bedrock.us-east-1.amazonaws.com/foundation-models";
const PAGE_1: &str =
    "GET https://bedrock.us-east-1.amazonaws.com/inference-profiles?maxResults=1000";

fn env() -> Environment {
    Environment::from_vars([
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_REGION", "us-east-1"),
    ])
}

fn every_page(platform: FakePlatform) -> FakePlatform {
    platform
        .answer(FOUNDATION, 200, FOUNDATION_MODELS)
        .answer(PAGE_1, 200, PROFILES_PAGE_1)
        .answer(
            &format!("{PAGE_1}&nextToken=eyJvZmZzZXQiOjR9%2B%2F%3D"),
            200,
            PROFILES_PAGE_2,
        )
}

fn error_answer(status: u16, error_type: &str, date: Option<&str>) -> Scripted {
    let mut headers = vec![("x-amzn-ErrorType".to_string(), error_type.to_string())];
    headers.extend(date.map(|d| ("Date".to_string(), d.to_string())));
    Scripted::Answer {
        status,
        headers,
        chunks: vec![Ok(
            br#"{"message":"Signature not yet current: no"}"#.to_vec()
        )],
    }
}

#[test]
fn discovery_follows_every_page_and_caches_the_list() {
    let mut platform = every_page(FakePlatform::new());
    let d = discover(&mut platform, &env(), &config(), &options()).unwrap();
    assert_eq!(d.status, DiscoveryStatus::Fresh);
    assert_eq!(d.models.len(), 13);
    assert_eq!(d.fetched_at, 1_609_459_200);
    assert_eq!(platform.sent.len(), 3);
    assert!(platform.slept.is_empty());
    // Calls on the application profile will know its base model.
    let profiles: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&platform.cache[crate::application_profile::CACHE_KEY]).unwrap();
    assert_eq!(
        profiles.get(APP_ARN).map(String::as_str),
        Some("anthropic.claude-3-haiku-20240307-v1:0")
    );
    // The next call is served from the host's cache, without a request.
    let again = discover(&mut platform, &env(), &config(), &options()).unwrap();
    assert_eq!(again.status, DiscoveryStatus::Cached);
    assert_eq!(platform.sent.len(), 3);
    // An interval of 0 neither reads nor writes the cache.
    let uncached = DiscoveryOptions {
        refresh_interval: Some(0),
        ..options()
    };
    let mut platform = every_page(FakePlatform::new());
    discover(&mut platform, &env(), &config(), &uncached).unwrap();
    assert!(platform.cache.is_empty(), "{:?}", platform.cache.keys());
}

#[test]
fn discovery_survives_a_denied_profile_call_but_not_a_failed_model_call() {
    let denied = || error_answer(403, "AccessDeniedException", None);
    let mut platform = FakePlatform::new()
        .answer(FOUNDATION, 200, FOUNDATION_MODELS)
        .then(PAGE_1, denied());
    let d = discover(&mut platform, &env(), &config(), &options()).unwrap();
    assert_eq!(d.warnings, [PROFILES_DENIED_WARNING]);
    assert_eq!(d.models.len(), 7);

    let mut platform = FakePlatform::new().then(FOUNDATION, denied());
    let e = discover(&mut platform, &env(), &config(), &options()).unwrap_err();
    assert!(matches!(e, Error::AccessDenied(_)), "{e:?}");
    assert_eq!(
        platform.sent_lines(),
        [FOUNDATION],
        "no profile call after the model list failed"
    );

    let mut platform = FakePlatform::new().answer(FOUNDATION, 200, "not json");
    let e = discover(&mut platform, &env(), &config(), &options()).unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
}

#[test]
fn discovery_retries_throttling_and_corrects_a_skewed_clock() {
    let server_date = "Fri, 01 Jan 2021 00:20:00 GMT";
    let platform = FakePlatform::new()
        .then(FOUNDATION, error_answer(429, "ThrottlingException", None))
        .then(
            FOUNDATION,
            error_answer(403, "InvalidSignatureException", Some(server_date)),
        );
    let mut platform = every_page(platform);
    let d = discover(&mut platform, &env(), &config(), &options()).unwrap();
    assert_eq!(d.models.len(), 13);
    assert_eq!(
        platform.slept.len(),
        1,
        "one backoff, the skew is a correction"
    );
    assert_eq!(
        platform
            .cache
            .get(crate::retry::SKEW_CACHE_KEY)
            .map(Vec::as_slice),
        Some(&b"+1199500"[..]),
        "20 minutes ahead of the clock after the half-second backoff"
    );
    let dates: Vec<_> = platform
        .sent
        .iter()
        .map(|r| {
            r.headers
                .iter()
                .find(|(n, _)| n == "x-amz-date")
                .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
                .unwrap()
        })
        .collect();
    assert_eq!(
        dates[2], "20210101T002000Z",
        "re-signed with the server's time"
    );
    assert!(
        platform
            .sent_lines()
            .iter()
            .all(|l| l.starts_with(CONTROL_PLANE))
    );
}

#[test]
fn discovery_is_off_without_credentials_and_reports_a_broken_source() {
    let mut platform = FakePlatform::new();
    let none = Environment::from_vars([("AWS_EC2_METADATA_DISABLED", "true")]);
    let d = discover(&mut platform, &none, &config(), &options()).unwrap();
    assert_eq!(d.status, DiscoveryStatus::Disabled);
    assert!(platform.sent.is_empty());
    let bad_region = Environment::from_vars([
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_REGION", "us-east1"),
    ]);
    let e = discover(&mut platform, &bad_region, &config(), &options()).unwrap_err();
    assert!(matches!(e, Error::InvalidRegion(_)), "{e:?}");
    assert!(
        platform.sent.is_empty(),
        "nothing is sent to a misspelt region"
    );
}
