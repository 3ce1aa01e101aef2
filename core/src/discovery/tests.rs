//! Discovery end to end on answers shaped like today's Bedrock in us-east-1.

use super::*;
use crate::credentials::AwsCredentials;
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
    DiscoveryOptions {
        enabled: None,
        region: None,
        provider_filter: Vec::new(),
        refresh_interval: None,
        default_context_window: None,
        default_max_tokens: None,
    }
}

fn config() -> ProviderConfig {
    ProviderConfig {
        region: None,
        base_url: None,
        max_attempts: None,
        connect_timeout_ms: None,
        first_byte_timeout_ms: None,
        between_bytes_timeout_ms: None,
    }
}

fn settings(filter: &[&str]) -> Settings {
    let options = DiscoveryOptions {
        provider_filter: filter.iter().map(|f| f.to_string()).collect(),
        ..options()
    };
    Settings::resolve(&config(), &options, &Environment::default())
}

fn profiles() -> InferenceProfiles {
    InferenceProfiles::from_pages(&[PROFILES_PAGE_1, PROFILES_PAGE_2]).unwrap()
}

fn keys() -> Credentials {
    Credentials::Aws(AwsCredentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
        expires_at: None,
    })
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

fn denied() -> ProviderError {
    ProviderError::AccessDenied(ErrorDetail {
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
    let throttled = ProviderError::Throttled(ErrorDetail {
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
    assert!(matches!(e, ProviderError::Throttled(_)), "{e:?}");
    let e = assemble(
        b"{\"modelSummaries\": [",
        Ok(&profiles()),
        &settings(&[]),
        0,
    )
    .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Protocol(m) if m.contains("ListFoundationModels")),
        "{e:?}"
    );
    let e = InferenceProfiles::from_pages(&[PROFILES_PAGE_1, "<html>"]).unwrap_err();
    assert!(
        matches!(&e, ProviderError::Protocol(m) if m.contains("ListInferenceProfiles")),
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
        matches!(
            profiles.add_page(page.as_bytes()),
            Err(ProviderError::Protocol(_))
        ),
        "a repeated token"
    );
    let mut endless = InferenceProfiles::new();
    let outcome = (0..=requests::MAX_PROFILE_PAGES)
        .map(|n| endless.add_page(format!(r#"{{"nextToken": "t{n}"}}"#).as_bytes()))
        .find(Result::is_err);
    assert!(matches!(outcome, Some(Err(ProviderError::Protocol(_)))));
}

#[test]
fn plan_goes_to_the_control_plane_of_the_region() {
    let env = Environment::from_vars([("AWS_REGION", "eu-west-3")]);
    let p = plan(&config(), &options(), &env).unwrap();
    assert_eq!(p.settings.region, "eu-west-3");
    assert_eq!(p.endpoint.authority, "bedrock.eu-west-3.amazonaws.com");
    let env = Environment::from_vars([("AWS_ENDPOINT_URL_BEDROCK", "http://127.0.0.1:9")]);
    let with_base_url = ProviderConfig {
        base_url: Some("https://runtime-proxy.example".into()),
        ..config()
    };
    let p = plan(&with_base_url, &options(), &env).unwrap();
    assert_eq!(
        p.endpoint.authority, "127.0.0.1:9",
        "baseUrl is the runtime's"
    );
    let env = Environment::from_vars([("AWS_ENDPOINT_URL", "not a url")]);
    assert!(matches!(
        plan(&config(), &options(), &env),
        Err(ProviderError::InvalidRequest(_))
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

/// Drives a [`Run`] against canned answers; returns the paths requested.
fn drive(
    run: &mut Run,
    mut answer: impl FnMut(&str) -> Result<Vec<u8>, ProviderError>,
) -> Vec<String> {
    let mut paths = Vec::new();
    while let Some(request) = run.next_request(&keys(), SystemTime::now()).unwrap() {
        assert_eq!(request.method, http::Method::GET);
        paths.push(request.path_and_query.clone());
        let response = answer(&request.path_and_query);
        if run
            .on_response(response.as_deref().map_err(Clone::clone))
            .is_err()
        {
            break;
        }
    }
    paths
}

#[test]
fn a_run_follows_every_page() {
    let p = plan(&config(), &options(), &Environment::default()).unwrap();
    let mut run = Run::new(p);
    let paths = drive(&mut run, |path| {
        Ok(match path {
            "/foundation-models" => FOUNDATION_MODELS,
            "/inference-profiles?maxResults=1000" => PROFILES_PAGE_1,
            "/inference-profiles?maxResults=1000&nextToken=eyJvZmZzZXQiOjR9%2B%2F%3D" => {
                PROFILES_PAGE_2
            }
            other => panic!("unexpected {other}"),
        }
        .as_bytes()
        .to_vec())
    });
    assert_eq!(paths.len(), 3);
    assert!(
        run.next_request(&keys(), SystemTime::now())
            .unwrap()
            .is_none()
    );
    let d = run.finish(7).unwrap();
    assert_eq!(d.models.len(), 13);
    assert_eq!(d.fetched_at, 7);
}

#[test]
fn a_run_survives_a_denied_profile_call_but_not_a_failed_model_call() {
    let p = plan(&config(), &options(), &Environment::default()).unwrap();
    let mut run = Run::new(p.clone());
    drive(&mut run, |path| match path {
        "/foundation-models" => Ok(FOUNDATION_MODELS.as_bytes().to_vec()),
        _ => Err(denied()),
    });
    let d = run.finish(0).unwrap();
    assert_eq!(d.warnings, [PROFILES_DENIED_WARNING]);
    assert_eq!(d.models.len(), 7);

    let mut run = Run::new(p.clone());
    let paths = drive(&mut run, |_| Err(denied()));
    assert_eq!(
        paths,
        ["/foundation-models"],
        "no profile call after the model list failed"
    );
    assert!(matches!(
        run.clone().finish(0),
        Err(ProviderError::InvalidRequest(_))
    ));
    assert!(
        run.next_request(&keys(), SystemTime::now())
            .unwrap()
            .is_none()
    );

    let mut run = Run::new(p);
    let e = run.on_response(Ok(b"not json")).unwrap_err();
    assert!(matches!(e, ProviderError::Protocol(_)));
    assert!(run.finish(0).is_err());
}

#[test]
fn a_run_is_not_finished_early() {
    let p = plan(&config(), &options(), &Environment::default()).unwrap();
    let mut run = Run::new(p);
    assert!(matches!(
        run.clone().finish(0),
        Err(ProviderError::InvalidRequest(_))
    ));
    run.on_response(Ok(FOUNDATION_MODELS.as_bytes())).unwrap();
    assert!(
        run.clone().finish(0).is_err(),
        "the profiles are still to come"
    );
    run.on_response(Ok(PROFILES_PAGE_2.as_bytes())).unwrap();
    assert!(
        run.on_response(Ok(b"{}")).is_err(),
        "an answer after the last request"
    );
    assert_eq!(run.finish(0).unwrap().models.len(), 10);
}
