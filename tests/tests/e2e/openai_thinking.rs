//! `serve`'s OpenAI endpoint loses nothing a Claude conversation needs: the
//! official `openai` Python client and pi-ai's `openai-completions` provider
//! (the gateway's own code) each run thinking + two tool round trips + a
//! system prompt through it. The emulator refuses a tool result whose
//! assistant turn lacks the signed or redacted thinking it streamed, as
//! Bedrock does, so every passing turn is a signature that went to the client
//! and came back intact. The requests it recorded show the cache points serve
//! places by default, and the answer equals the plugin's, called directly
//! with the same conversation.

use bedrock_emulator::Emulator;
use bedrock_host::Host;
use bedrock_host::types::{
    CacheRetention, ContentBlock, ConverseRequest, Message, ReasoningLevel, Role, ToolResultBlock,
    ToolResultContent, ToolSpec,
};
use bedrock_serve::ServeConfig;
use integration_tests::{
    Serving, by_scenario, config, converse, emulator, host, node, python, run_node, run_python,
    sigv4_env,
};
use serde_json::Value;

const API_KEY: &str = "sk-serve-thinking";
const MODEL: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";
// The conversation the clients' scripts hold too.
const SYSTEM: &str = "You are a terse weather assistant. Answer in one sentence.";
/// How often the system prompt's padding repeats: long enough (1 200 words,
/// a token each to the emulator) for Claude to cache it, as the scripts do.
const SYSTEM_PADDING: usize = 600;
const PROMPTS: [&str; 2] = [
    "Weather in Paris? [emulator tool-use=get_weather]",
    "And in Rome? [emulator tool-use=get_weather redacted-thinking]",
];
const RESULTS: [&str; 2] = ["sunny, 21 °C", "rain, 14 °C"];

/// `serve` with its defaults (short cache retention) on a free port, over
/// `host`; stops when dropped.
async fn serve(host: Host) -> Serving {
    let mut config = ServeConfig::new(config());
    config.api_key = Some(API_KEY.into());
    Serving::local(host, config).await
}

/// The system prompt the scripts send: [`SYSTEM`] and its padding.
fn system() -> String {
    format!("{SYSTEM} {}", vec!["Be brief."; SYSTEM_PADDING].join(" "))
}

/// The same conversation through the plugin directly: its final text.
async fn direct_answer(host: &Host) -> String {
    let user = |blocks| Message {
        role: Role::User,
        content: blocks,
    };
    let mut request = ConverseRequest {
        model_id: MODEL.into(),
        system: Some(system()),
        messages: vec![user(vec![ContentBlock::Text(PROMPTS[0].into())])],
        tools: vec![ToolSpec {
            name: "get_weather".into(),
            description: Some("The weather in a city.".into()),
            input_schema_json: r#"{"type":"object","properties":{}}"#.into(),
        }],
        reasoning: Some(ReasoningLevel::Medium),
        cache_retention: Some(CacheRetention::Short),
        ..Default::default()
    };
    for (turn, result) in RESULTS.iter().enumerate() {
        let outcome = converse(host, &config(), &request).await.unwrap();
        assert_eq!(outcome.error, None);
        let assistant = outcome.assistant_message();
        let mut blocks: Vec<ContentBlock> = assistant
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::ToolUse(call) => Some(ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: call.id.clone(),
                    content: vec![ToolResultContent::Text((*result).into())],
                    is_error: false,
                })),
                _ => None,
            })
            .collect();
        assert!(!blocks.is_empty(), "turn {turn} called the tool");
        if let Some(prompt) = PROMPTS.get(turn + 1) {
            blocks.push(ContentBlock::Text((*prompt).into()));
        }
        request.messages.push(assistant);
        request.messages.push(user(blocks));
    }
    let outcome = converse(host, &config(), &request).await.unwrap();
    assert_eq!(outcome.error, None);
    outcome.text()
}

/// The ConverseStream bodies the emulator received, in order.
fn converse_bodies(emulator: &Emulator) -> Vec<Value> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.raw_path.ends_with("/converse-stream"))
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON body"))
        .collect()
}

/// What one three-turn conversation's requests must show: cache points after
/// the system prompt and the conversation, and, from the second turn on, the
/// thinking sent back as Bedrock wants it (the emulator checked the
/// signatures; these are the blocks it checked).
fn assert_lossless(bodies: &[Value]) {
    assert_eq!(bodies.len(), 3, "three turns: {bodies:?}");
    for (turn, body) in bodies.iter().enumerate() {
        let system = body["system"].as_array().unwrap();
        assert!(
            system.iter().any(|b| b.get("cachePoint").is_some()),
            "turn {turn}: the system prompt is cached: {system:?}"
        );
        let last = body["messages"].as_array().unwrap().last().unwrap();
        assert!(
            last["content"]
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b.get("cachePoint").is_some()),
            "turn {turn}: so is the conversation so far: {last}"
        );
    }
    let third = &bodies[2]["messages"];
    let first_assistant = &third[1]["content"][0]["reasoningContent"]["reasoningText"];
    assert!(
        first_assistant["signature"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "the first turn's signed thinking, before its tool call: {third}"
    );
    assert!(
        third[3]["content"][0]["reasoningContent"]["redactedContent"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "the second turn's redacted thinking, before its tool call: {third}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_python_client_round_trips_thinking_through_serve() {
    let Some(python) = python() else { return };
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let direct = direct_answer(&host).await;
    let direct_requests = converse_bodies(&emulator).len();
    let serving = serve(host).await;
    let base_url = format!("{}/v1", serving.url());

    let lines = run_python(&python, "openai_thinking.py", &[&base_url, API_KEY], &[]).await;
    for line in &lines {
        assert!(line.get("unexpected").is_none(), "{line}");
    }
    let s = by_scenario(lines);

    for name in ["whole", "stream"] {
        let run = &s[name];
        let turns = run["turns"].as_array().unwrap();
        for turn in &turns[..2] {
            assert_eq!(turn["finish_reason"], "tool_calls", "{name}: {turn}");
            assert_eq!(turn["tool_call_ids"].as_array().unwrap().len(), 1);
        }
        let signed = &turns[0]["thinking_blocks"][0];
        assert_eq!(signed["type"], "thinking", "{name}: {signed}");
        assert!(signed["signature"].as_str().is_some_and(|s| !s.is_empty()));
        assert_eq!(turns[0]["reasoning_content"], signed["thinking"]);
        let redacted = &turns[1]["thinking_blocks"][0];
        assert_eq!(redacted["type"], "redacted_thinking", "{name}: {redacted}");
        assert_eq!(
            turns[0]["reasoning_details"][0]["id"], turns[0]["tool_call_ids"][0],
            "{name}: the details ride on the tool call"
        );
        assert_eq!(turns[2]["finish_reason"], "stop", "{name}");
        // The long system prompt and the turns before are read from the
        // cache on every later turn (all of it, when the plugin's direct run
        // sent the same turn first), counted inside prompt_tokens as OpenAI
        // counts cached tokens.
        for turn in &turns[1..] {
            let usage = &turn["usage"];
            let cached = usage["prompt_tokens_details"]["cached_tokens"]
                .as_u64()
                .unwrap();
            assert!(cached > 1_000, "{name}: {turn}");
            assert!(
                usage["prompt_tokens"].as_u64().unwrap() >= cached,
                "{name}: {turn}"
            );
        }
        assert!(!direct.is_empty());
        assert_eq!(run["final"], direct.as_str(), "{name}: the plugin's answer");
    }

    let tampered = &s["tampered"];
    assert_eq!(tampered["error"], "BadRequestError", "{tampered}");
    assert_eq!(tampered["status"], 400);
    assert!(
        tampered["message"]
            .as_str()
            .unwrap()
            .contains("Invalid `signature`"),
        "{tampered}"
    );

    // whole (3 requests), tampered (2, the second refused), stream (3).
    let bodies = converse_bodies(&emulator);
    let through_serve = &bodies[direct_requests..];
    assert_eq!(through_serve.len(), 8, "{through_serve:?}");
    assert_lossless(&through_serve[..3]);
    assert_lossless(&through_serve[5..]);
}

#[tokio::test(flavor = "multi_thread")]
async fn pi_ai_openai_completions_round_trips_thinking_through_serve() {
    let Some(dir) = node() else { return };
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let direct = direct_answer(&host).await;
    let direct_requests = converse_bodies(&emulator).len();
    let serving = serve(host).await;
    let base_url = format!("{}/v1", serving.url());

    let lines = run_node(&dir, "pi_ai_openai_client.mjs", &[&base_url, API_KEY], &[]).await;
    assert_eq!(lines.len(), 3, "three turns: {lines:?}");
    for turn in &lines[..2] {
        assert_eq!(turn["error"], Value::Null, "{turn}");
        assert_eq!(turn["stop_reason"], "toolUse", "{turn}");
        assert_eq!(
            turn["calls_with_details"], 1,
            "pi-ai kept the reasoning_details entry on its call: {turn}"
        );
    }
    assert_eq!(
        lines[0]["thinking_signature"], "reasoning_content",
        "pi-ai records the field it read the reasoning from, and sends it back under it"
    );
    let last = &lines[2];
    assert_eq!(last["error"], Value::Null, "{last}");
    assert_eq!(last["stop_reason"], "stop", "{last}");
    assert_eq!(last["text"], direct.as_str(), "the plugin's answer");
    let bodies = converse_bodies(&emulator);
    assert_lossless(&bodies[direct_requests..]);
}
