//! Application inference profiles carry their base model's capabilities: a call on a
//! profile ARN over Claude Sonnet 4.5 gets Claude's thinking config and cache points, and
//! its thinking is replayed signed, as for the model itself. The base model comes from
//! GetInferenceProfile once, or from discovery, and is then cached by the host.

use bedrock_emulator::{Emulator, RecordedRequest};
use bedrock_host::Host;
use bedrock_host::types::{
    CacheRetention, ContentBlock, ConverseRequest, DiscoveryOptions, ReasoningLevel, ToolSpec,
};
use integration_tests::*;
use serde_json::Value;

/// The emulator's profile copied from the US Claude Sonnet 4.5 profile.
const PROFILE: &str =
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/f3a9c2d41b7e";

fn first_request() -> ConverseRequest {
    let mut req = request(PROFILE, "Weather in Paris? [emulator tool-use=get_weather]");
    req.temperature = None;
    req.reasoning = Some(ReasoningLevel::Medium);
    req.cache_retention = Some(CacheRetention::Short);
    req.tools = vec![ToolSpec {
        name: "get_weather".into(),
        description: Some("The weather in a city.".into()),
        input_schema_json: r#"{"type":"object","properties":{}}"#.into(),
    }];
    req
}

fn converse_bodies(emulator: &Emulator) -> Vec<Value> {
    emulator
        .requests()
        .iter()
        .filter(|r| r.model_id.as_deref() == Some(PROFILE))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

fn profile_lookups(emulator: &Emulator) -> Vec<RecordedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.raw_path.starts_with("/inference-profiles/"))
        .collect()
}

/// What Claude Sonnet 4.5 gets, and an unknown model would not: thinking, cache points.
fn assert_mapped_as_claude(body: &Value) {
    assert_eq!(
        body["additionalModelRequestFields"]["thinking"]["type"], "enabled",
        "{body}"
    );
    assert!(
        body["system"]
            .as_array()
            .unwrap()
            .iter()
            .any(|block| block.get("cachePoint").is_some()),
        "a cache point after the system prompt: {body}"
    );
}

/// Two turns with thinking and a tool on the profile ARN; the second replays the first
/// turn's signed thinking, which the emulator verifies.
async fn thinking_round_trip(host: &Host) {
    let first = first_request();
    let outcome = converse(host, &config(), &first).await.unwrap();
    assert_eq!(outcome.error, None);
    let assistant = outcome.assistant_message();
    match &assistant.content[0] {
        ContentBlock::Reasoning(r) => assert!(r.signature.is_some(), "{r:?}"),
        other => panic!("the turn starts with {other:?}"),
    }
    let outcome = converse(
        host,
        &config(),
        &with_tool_result(first, assistant, "sunny, 21 °C"),
    )
    .await
    .unwrap_or_else(|e| panic!("the replay was refused: {e:?}"));
    assert_eq!(outcome.error, None);
    assert!(!outcome.text().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_over_claude_thinks_caches_and_replays_signed_thinking() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    thinking_round_trip(&host).await;

    // One GetInferenceProfile, signed, on the control plane; the second turn used the cache.
    let lookups = profile_lookups(&emulator);
    assert_eq!(lookups.len(), 1, "{lookups:?}");
    assert!(
        lookups[0]
            .raw_path
            .ends_with("application-inference-profile%2Ff3a9c2d41b7e")
    );
    assert!(matches!(
        lookups[0].auth,
        bedrock_emulator::AuthOutcome::SigV4 { .. }
    ));

    let bodies = converse_bodies(&emulator);
    assert_eq!(bodies.len(), 2);
    for body in &bodies {
        assert_mapped_as_claude(body);
    }
    // Thinking replayed as reasoning with its signature, not as text.
    let replayed = &bodies[1]["messages"][1]["content"][0];
    assert!(
        replayed["reasoningContent"]["reasoningText"]["signature"].is_string(),
        "{replayed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_discovery_no_lookup_is_needed() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let found = host
        .discover(&config(), &DiscoveryOptions::default())
        .await
        .unwrap()
        .unwrap();
    let listed = found.models.iter().find(|m| m.id == PROFILE).unwrap();
    assert_eq!(
        listed.base_model_id.as_deref(),
        Some("anthropic.claude-sonnet-4-5-20250929-v1:0")
    );
    thinking_round_trip(&host).await;
    assert!(profile_lookups(&emulator).is_empty());
    for body in converse_bodies(&emulator) {
        assert_mapped_as_claude(&body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_the_account_does_not_have_is_refused_as_bedrock_refuses_it() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let mut req = first_request();
    req.model_id =
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zzz999".into();
    let error = converse(&host, &config(), &req).await.unwrap_err();
    assert!(
        matches!(&error, bedrock_host::types::ProviderError::ModelNotFound(_)),
        "{error:?}"
    );
    // The same host then serves the real profile.
    thinking_round_trip(&host).await;
}
