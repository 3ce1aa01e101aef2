//! The emulator and the component against JavaScript clients nobody here
//! wrote. The AWS SDK for JavaScript (its own signer, event-stream parser and
//! HTTP/2 transport) is boto3's twin; pi-ai's Bedrock provider is what the
//! component replaces in the gateway, so for the same emulator scenario the
//! two must hand the gateway the same text, thinking, tool calls, stop reason
//! and usage.

use bedrock_emulator::reply_text;
use bedrock_host::types::{ProviderError, ReasoningLevel, StopReason, StreamEvent, ToolSpec};
use integration_tests::*;
use serde_json::{Value, json};
use std::collections::HashMap;

const ARN_MODEL: &str = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0";

#[tokio::test(flavor = "multi_thread")]
async fn js_sdk_converse_stream_against_the_emulator() {
    let Some(dir) = node() else { return };
    let emulator = emulator().await;
    let scenarios =
        by_scenario(run_node(&dir, "js_sdk_client.mjs", &[&emulator.endpoint()], &[]).await);

    assert_sdk_scenarios(&scenarios);
    // The SDK throws the modeled exception class; boto3 reports the event name.
    assert_eq!(
        scenarios["in_stream_exception"]["error"],
        "ModelStreamErrorException"
    );
    // The SDK's default for this service, over h2c since the endpoint is http://.
    assert_eq!(scenarios["handler"]["handler"], "NodeHttp2Handler");

    // The component, for the same scenarios.
    let wrong: Vec<_> = sigv4_env(&emulator)
        .into_iter()
        .map(|(k, v)| match k {
            "AWS_SECRET_ACCESS_KEY" => (k, format!("wrong{}", &SECRET_ACCESS_KEY[5..])),
            _ => (k, v),
        })
        .collect();
    let wrong_secret = host(&wrong);
    let host = host(&sigv4_env(&emulator));
    for (name, model, prompt, max_tokens) in [
        ("text", MODEL, "Hello there", None),
        ("colon_model", "amazon.nova-lite-v1:0", "Hi", None),
        ("arn_model", ARN_MODEL, "Hi", None),
        ("max_tokens", MODEL, "Hi", Some(5)),
        (
            "in_stream_exception",
            MODEL,
            "[emulator exception=modelStreamErrorException]",
            None,
        ),
    ] {
        let mut req = request(model, prompt);
        req.max_tokens = max_tokens;
        let outcome = converse(&host, &config(), &req).await.unwrap();
        let js = &scenarios[name];
        assert_eq!(js["text"], outcome.text(), "{name}");
        assert_eq!(js.get("error").is_some(), outcome.error.is_some(), "{name}");
        match &outcome.error {
            None => assert_eq!(js["stop_reason"], outcome.stops()[0].raw_reason, "{name}"),
            Some(error) => assert!(
                matches!(error, ProviderError::ModelStreamError(_)),
                "{name}: {error:?}"
            ),
        }
    }
    let mut once = config();
    once.max_attempts = Some(1);
    let Err(ProviderError::Auth(detail)) =
        converse(&wrong_secret, &once, &request(MODEL, "Hi")).await
    else {
        panic!("a wrong secret is an auth error")
    };
    assert_eq!(
        (detail.status, detail.code.as_deref()),
        (Some(403), Some("InvalidSignatureException"))
    );
    let Err(ProviderError::Throttled(detail)) =
        converse(&host, &once, &request(MODEL, "[emulator status=429]")).await
    else {
        panic!("429 is throttling")
    };
    assert_eq!(
        (detail.status, detail.code.as_deref()),
        (Some(429), Some("ThrottlingException"))
    );
}

/// Block `index` of a message under construction, added as `empty` if new.
fn block(blocks: &mut Vec<(u32, Value)>, index: u32, empty: Value) -> &mut Value {
    if !blocks.iter().any(|(i, _)| *i == index) {
        blocks.push((index, empty));
    }
    &mut blocks.iter_mut().find(|(i, _)| *i == index).unwrap().1
}

/// The component's stream as pi-ai's assistant message would hold it.
fn as_pi_ai(outcome: &Outcome) -> Value {
    let mut blocks: Vec<(u32, Value)> = Vec::new();
    let mut tool_json: HashMap<u32, String> = HashMap::new();
    let mut usage = json!(null);
    let mut stop = "";
    for event in &outcome.events {
        match event {
            StreamEvent::TextDelta(d) => {
                let b = block(&mut blocks, d.index, json!({"type": "text", "text": ""}));
                b["text"] = format!("{}{}", b["text"].as_str().unwrap(), d.text).into();
            }
            StreamEvent::ReasoningDelta(d) => {
                let b = block(
                    &mut blocks,
                    d.index,
                    json!({"type": "thinking", "thinking": "", "thinkingSignature": ""}),
                );
                b["thinking"] = format!("{}{}", b["thinking"].as_str().unwrap(), d.text).into();
            }
            StreamEvent::ReasoningSignature(d) => {
                let b = block(
                    &mut blocks,
                    d.index,
                    json!({"type": "thinking", "thinking": "", "thinkingSignature": ""}),
                );
                b["thinkingSignature"] = format!(
                    "{}{}",
                    b["thinkingSignature"].as_str().unwrap(),
                    d.signature
                )
                .into();
            }
            StreamEvent::ToolUseStart(t) => {
                block(
                    &mut blocks,
                    t.index,
                    json!({"type": "toolCall", "id": t.id, "name": t.name, "arguments": {}}),
                );
            }
            StreamEvent::ToolInputDelta(d) => {
                tool_json.entry(d.index).or_default().push_str(&d.text)
            }
            StreamEvent::MessageStop(s) => {
                stop = match s.reason {
                    StopReason::Stop => "stop",
                    StopReason::Length => "length",
                    StopReason::ToolUse => "toolUse",
                    _ => "error",
                }
            }
            StreamEvent::Metadata(m) => {
                let u = m.usage.as_ref().expect("usage");
                usage = json!({
                    "input": u.input_tokens,
                    "output": u.output_tokens,
                    "cacheRead": u.cache_read_tokens.unwrap_or(0),
                    "cacheWrite": u.cache_write_tokens.unwrap_or(0),
                    "totalTokens": u.total_tokens,
                });
            }
            _ => {}
        }
    }
    for (index, b) in &mut blocks {
        if let Some(input) = tool_json.get(index) {
            b["arguments"] = serde_json::from_str(input).expect("tool input is JSON");
        }
    }
    let content: Vec<Value> = blocks.into_iter().map(|(_, b)| b).collect();
    json!({"content": content, "stop_reason": stop, "usage": usage, "error": null})
}

#[tokio::test(flavor = "multi_thread")]
async fn pi_ai_bedrock_provider_matches_the_component() {
    let Some(dir) = node() else { return };
    let emulator = emulator().await;
    // Region and keys only: the endpoint reaches pi-ai through the model's baseUrl.
    let env: Vec<_> = sigv4_env(&emulator)
        .into_iter()
        .filter(|(k, _)| *k != "AWS_ENDPOINT_URL")
        .collect();
    let scenarios =
        by_scenario(run_node(&dir, "pi_ai_client.mjs", &[&emulator.endpoint()], &env).await);

    let host = host(&sigv4_env(&emulator));
    let text = request(MODEL, "Hello there");
    let mut reasoning = request(
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "[emulator replay=amazon-bedrock-reasoning]",
    );
    reasoning.reasoning = Some(ReasoningLevel::Medium);
    reasoning.temperature = None;
    let mut tool_call = request(MODEL, "[emulator replay=amazon-bedrock-tool-call.1]");
    tool_call.temperature = None;
    tool_call.tools = vec![ToolSpec {
        name: "test-tool".into(),
        description: Some("A tool for the test.".into()),
        input_schema_json:
            r#"{"type":"object","properties":{"value":{"type":"string"}},"required":["value"]}"#
                .into(),
    }];
    for (name, req) in [
        ("text", text),
        ("reasoning", reasoning),
        ("tool_call", tool_call),
    ] {
        let outcome = converse(&host, &config(), &req).await.unwrap();
        assert_eq!(outcome.error, None, "{name}");
        let mut pi = scenarios[name].clone();
        pi.as_object_mut().unwrap().remove("scenario");
        assert_eq!(pi, as_pi_ai(&outcome), "{name}");
    }
    // Not vacuous: the scenarios carry what they are named after.
    assert_eq!(scenarios["text"]["content"][0]["text"], reply_text(24));
    assert_eq!(scenarios["reasoning"]["content"][0]["type"], "thinking");
    assert_ne!(
        scenarios["reasoning"]["content"][0]["thinkingSignature"],
        ""
    );
    assert_eq!(
        scenarios["tool_call"]["content"][0]["arguments"],
        json!({"value": "Sparkle Day"})
    );
    assert_eq!(scenarios["tool_call"]["stop_reason"], "toolUse");
}
