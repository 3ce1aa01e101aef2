//! Claude's thinking rules, enforced by the emulator as Bedrock enforces them: with
//! thinking on, the assistant turn whose tool results come back must start with the
//! signed (or redacted) thinking streamed with it. The plugin's own replay of a
//! conversation passes; a conversation that drops or edits the thinking is refused.

use bedrock_host::Host;
use bedrock_host::types::{
    ContentBlock, ConverseRequest, Message, ProviderError, ReasoningLevel, ToolSpec,
};
use integration_tests::*;

/// Claude Sonnet 4 through its US profile: budget thinking, interleaved with tools.
const THINKING_MODEL: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";

fn thinking_request(prompt: &str) -> ConverseRequest {
    let mut req = request(THINKING_MODEL, prompt);
    req.temperature = None;
    req.reasoning = Some(ReasoningLevel::Medium);
    req.tools = vec![ToolSpec {
        name: "get_weather".into(),
        description: Some("The weather in a city.".into()),
        input_schema_json: r#"{"type":"object","properties":{}}"#.into(),
    }];
    req
}

/// The first turn: the model thinks, then calls `get_weather`.
async fn first_turn(host: &Host, directives: &str) -> (ConverseRequest, Message) {
    let req = thinking_request(&format!("Weather in Paris? [emulator {directives}]"));
    let outcome = converse(host, &config(), &req).await.unwrap();
    assert_eq!(outcome.error, None);
    (req, outcome.assistant_message())
}

/// The second turn on `host`: `req`'s conversation, `assistant` as sent
/// back, then the tool's result.
async fn second_turn(
    host: &Host,
    req: &ConverseRequest,
    assistant: Message,
) -> Result<Outcome, ProviderError> {
    converse(
        host,
        &config(),
        &with_tool_result(req.clone(), assistant, "sunny, 21 °C"),
    )
    .await
}

fn refused(error: &ProviderError, needle: &str) -> bool {
    matches!(error, ProviderError::Validation(d) if d.message.contains(needle))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plugins_replay_of_signed_and_redacted_thinking_passes() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    for directives in [
        "tool-use=get_weather",
        "tool-use=get_weather redacted-thinking",
    ] {
        let (req, assistant) = first_turn(&host, directives).await;
        match &assistant.content[0] {
            ContentBlock::Reasoning(r) => assert!(r.signature.is_some(), "{r:?}"),
            ContentBlock::RedactedReasoning(data) => assert!(!data.is_empty()),
            other => panic!("{directives}: the turn starts with {other:?}"),
        }
        let outcome = second_turn(&host, &req, assistant)
            .await
            .unwrap_or_else(|e| panic!("{directives}: {e:?}"));
        assert_eq!(outcome.error, None, "{directives}");
        assert!(!outcome.text().is_empty(), "{directives}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_or_edited_thinking_is_refused_as_bedrock_refuses_it() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let (req, assistant) = first_turn(&host, "tool-use=get_weather").await;

    let mut dropped = assistant.clone();
    dropped
        .content
        .retain(|b| !matches!(b, ContentBlock::Reasoning(_)));
    let error = second_turn(&host, &req, dropped).await.unwrap_err();
    assert!(
        refused(
            &error,
            "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block"
        ),
        "{error:?}"
    );

    let mut edited = assistant.clone();
    if let ContentBlock::Reasoning(r) = &mut edited.content[0] {
        r.text.push_str(" And more.");
    }
    let error = second_turn(&host, &req, edited).await.unwrap_err();
    assert!(
        refused(&error, "Invalid `signature` in `thinking` block"),
        "{error:?}"
    );

    // Another emulator's signature is not this one's.
    let other = emulator_with_host().await;
    let (_, foreign) = first_turn(&other.1, "tool-use=get_weather").await;
    let error = second_turn(&host, &req, foreign).await.unwrap_err();
    assert!(refused(&error, "Invalid `signature`"), "{error:?}");

    // The same host then serves the untouched conversation.
    let outcome = second_turn(&host, &req, assistant).await.unwrap();
    assert_eq!(outcome.error, None);
}

async fn emulator_with_host() -> (bedrock_emulator::Emulator, Host) {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    (emulator, host)
}
