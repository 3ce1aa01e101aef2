//! Whole ConverseStream request bodies, as `converse::prepare` builds them
//! (`request::body_for_region`), compared with the JSON Bedrock expects: an
//! agent's tool loop on Claude with thinking and caching, the same history
//! replayed to models from other vendors, and GovCloud.

use bedrock_core::converse::{request, tool_ids};
use bedrock_core::error::Error;
use bedrock_core::types::{
    CacheRetention, ContentBlock, ConverseRequest, Message, ReasoningBlock, ReasoningLevel, Role,
    ToolChoice, ToolResultBlock, ToolResultContent, ToolSpec, ToolUseBlock,
};
use serde_json::{Value, json};

/// An id as OpenAI's Responses API mints them: too long, with `|`.
const FOREIGN_ID: &str =
    "fc_68a1b2c3d4e5f60718293a4b5c6d7e8f|call_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Ff";

/// A gateway's history after one tool round: each tool result in its own
/// turn, an aborted (empty) assistant turn, and a blank text block.
fn agent_loop(model_id: &str) -> ConverseRequest {
    ConverseRequest {
        model_id: model_id.into(),
        system: Some("You are a travel agent.".into()),
        messages: vec![
            Message {
                role: Role::User,
                content: vec![ContentBlock::Text("Weather in Paris and Oslo?".into())],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Reasoning(ReasoningBlock {
                        text: "Two cities: two calls.".into(),
                        signature: Some("EqQBCkgIARABGAIiQ".into()),
                    }),
                    ContentBlock::Text("".into()),
                    ContentBlock::ToolUse(ToolUseBlock {
                        id: FOREIGN_ID.into(),
                        name: "get_weather".into(),
                        input_json: r#"{"city":"Paris"}"#.into(),
                    }),
                    ContentBlock::ToolUse(ToolUseBlock {
                        id: "toolu_02".into(),
                        name: "get_weather".into(),
                        input_json: r#"{"city":"Oslo"}"#.into(),
                    }),
                ],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: FOREIGN_ID.into(),
                    content: vec![ToolResultContent::Json(r#"{"temp_c":21}"#.into())],
                    is_error: false,
                })],
            },
            Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: "toolu_02".into(),
                    content: vec![ToolResultContent::Text("service down".into())],
                    is_error: true,
                })],
            },
            Message {
                role: Role::Assistant,
                content: vec![],
            },
        ],
        tools: vec![ToolSpec {
            name: "get_weather".into(),
            description: Some("Current weather for a city.".into()),
            input_schema_json:
                r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#
                    .into(),
        }],
        tool_choice: Some(ToolChoice::Auto),
        max_tokens: Some(2_000),
        temperature: Some(0.3),
        reasoning: Some(ReasoningLevel::Medium),
        cache_retention: Some(CacheRetention::Short),
        ..Default::default()
    }
}

fn prepared_body(request: &ConverseRequest, region: &str) -> Value {
    serde_json::from_slice(&request::body_for_region(request, region).unwrap()).unwrap()
}

fn tools_json() -> Value {
    json!({"tools": [{"toolSpec": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    }}]})
}

#[test]
fn claude_agent_loop() {
    let body = prepared_body(
        &agent_loop("us.anthropic.claude-sonnet-4-20250514-v1:0"),
        "us-west-2",
    );
    let paris = tool_ids::bedrock_id(FOREIGN_ID).into_owned();
    let cache = json!({"cachePoint": {"type": "default"}});
    assert_eq!(
        body,
        json!({
            "messages": [
                {"role": "user", "content": [{"text": "Weather in Paris and Oslo?"}]},
                {"role": "assistant", "content": [
                    {"reasoningContent": {"reasoningText": {"text": "Two cities: two calls.", "signature": "EqQBCkgIARABGAIiQ"}}},
                    {"toolUse": {"toolUseId": paris, "name": "get_weather", "input": {"city": "Paris"}}},
                    {"toolUse": {"toolUseId": "toolu_02", "name": "get_weather", "input": {"city": "Oslo"}}},
                ]},
                {"role": "user", "content": [
                    {"toolResult": {"toolUseId": paris, "content": [{"json": {"temp_c": 21}}], "status": "success"}},
                    {"toolResult": {"toolUseId": "toolu_02", "content": [{"text": "service down"}], "status": "error"}},
                    cache,
                ]},
            ],
            "system": [{"text": "You are a travel agent."}, cache],
            "inferenceConfig": {"maxTokens": 2_000 + 8_192},
            "toolConfig": tools_json(),
            "additionalModelRequestFields": {
                "thinking": {"type": "enabled", "budget_tokens": 8_192},
                "anthropic_beta": ["interleaved-thinking-2025-05-14"],
            },
        })
    );
}

#[test]
fn the_same_history_to_another_vendor() {
    let request = agent_loop("us.amazon.nova-pro-v1:0");
    let body = prepared_body(&request, "us-east-1");
    let paris = tool_ids::bedrock_id(FOREIGN_ID).into_owned();
    let cache = json!({"cachePoint": {"type": "default"}});
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": [
            {"text": "Two cities: two calls."},
            {"toolUse": {"toolUseId": paris, "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "toolu_02", "name": "get_weather", "input": {"city": "Oslo"}}},
        ]}),
        "thinking as text: Nova verifies no signature"
    );
    assert_eq!(
        body["system"],
        json!([{"text": "You are a travel agent."}, cache])
    );
    assert_eq!(
        body["inferenceConfig"],
        json!({"maxTokens": 2_000, "temperature": 0.3}),
        "Nova Pro takes no reasoning setting"
    );
    assert!(body.get("additionalModelRequestFields").is_none());
    assert_eq!(body["toolConfig"], tools_json());

    let llama = prepared_body(&agent_loop("meta.llama3-3-70b-instruct-v1:0"), "us-east-1");
    assert_eq!(
        llama["system"],
        json!([{"text": "You are a travel agent."}]),
        "no cache points where unsupported"
    );
    assert_eq!(llama["messages"][2]["content"].as_array().unwrap().len(), 2);
}

#[test]
fn govcloud_adaptive_thinking_has_no_display_field() {
    let mut request = agent_loop("anthropic.claude-opus-4-7");
    request.cache_retention = Some(CacheRetention::Long);
    let commercial = prepared_body(&request, "us-east-1");
    assert_eq!(
        commercial["additionalModelRequestFields"],
        json!({"thinking": {"type": "adaptive", "display": "summarized"}, "output_config": {"effort": "medium"}})
    );
    assert_eq!(
        commercial["system"][1],
        json!({"cachePoint": {"type": "default", "ttl": "1h"}})
    );
    let gov = prepared_body(&request, "us-gov-west-1");
    assert_eq!(
        gov["additionalModelRequestFields"]["thinking"],
        json!({"type": "adaptive"})
    );
}

#[test]
fn refusals_name_the_problem() {
    let mut request = agent_loop("anthropic.claude-sonnet-4-20250514-v1:0");
    request.tool_choice = Some(ToolChoice::Tool("get_weather".into()));
    let Err(Error::InvalidRequest(message)) = request::body_for_region(&request, "us-east-1")
    else {
        panic!("forced tool use while thinking must be refused")
    };
    assert!(message.contains("tool-choice"), "{message}");

    let mut request = agent_loop("anthropic.claude-sonnet-4-20250514-v1:0");
    request.messages.truncate(0);
    request.messages.push(Message {
        role: Role::User,
        content: vec![ContentBlock::Text("  ".into())],
    });
    assert!(matches!(
        request::body_for_region(&request, "us-east-1"),
        Err(Error::InvalidRequest(m)) if m.contains("no content")
    ));
}
