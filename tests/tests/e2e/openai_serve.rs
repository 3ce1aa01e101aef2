//! `serve` against a client nobody here wrote: the official `openai` Python
//! package talks to the OpenAI-compatible endpoint, which runs the component
//! against the emulator. The SDK's own parsing and error classes are the
//! judge of the wire format.

use bedrock_emulator::reply_text;
use bedrock_host::types::{DiscoveryOptions, InputModality, ModelDefinition};
use bedrock_serve::ServeConfig;
use integration_tests::{
    Serving, by_scenario, config, emulator, host, python, run_python, sigv4_env,
};
use serde_json::{Value, json};

const API_KEY: &str = "sk-serve-test";

#[tokio::test(flavor = "multi_thread")]
async fn openai_python_client_against_serve() {
    let Some(python) = python() else { return };
    let emulator = emulator().await;
    let mut provider = config();
    // One attempt: the throttling scenario wants the 429 now, not after retries.
    provider.max_attempts = Some(1);
    let mut serve = ServeConfig::new(provider);
    serve.api_key = Some(API_KEY.into());
    let serving = Serving::local(host(&sigv4_env(&emulator)), serve).await;
    let base_url = format!("{}/v1", serving.url());
    let lines = run_python(&python, "openai_client.py", &[&base_url, API_KEY], &[]).await;
    for line in &lines {
        assert!(line.get("unexpected").is_none(), "{line}");
    }
    let s = by_scenario(lines);

    let text = &s["text"];
    assert_eq!(text["content"], reply_text(7), "{text}");
    assert_eq!(text["object"], "chat.completion");
    assert_eq!(text["role"], "assistant");
    assert_eq!(text["finish_reason"], "stop");
    assert_eq!(text["usage"]["completion_tokens"], 7, "{text}");
    assert!(
        text["usage"]["prompt_tokens"].as_u64().unwrap() > 0,
        "{text}"
    );
    assert_eq!(
        text["usage"]["prompt_tokens_details"]["cached_tokens"], 0,
        "{text}"
    );
    assert!(text["id"].as_str().unwrap().starts_with("chatcmpl-"));

    let streamed = &s["stream_text"];
    assert_eq!(streamed["content"], reply_text(9), "{streamed}");
    assert_eq!(
        streamed["roles"],
        json!(["assistant"]),
        "one role, in the first delta: {streamed}"
    );
    assert_eq!(streamed["finish_reason"], "stop");
    assert_eq!(streamed["usage"]["completion_tokens"], 9, "{streamed}");
    assert_eq!(streamed["ids"], 1, "every chunk carries the same id");
    assert!(
        streamed["chunks"].as_u64().unwrap() >= 10,
        "a chunk per word: {streamed}"
    );

    let expected_call = json!([{
        "id": "tool-use-id", "type": "function", "name": "test-tool", "arguments": "{\"value\":\"Sparkle Day\"}"
    }]);
    let tool = &s["tool_call"];
    assert_eq!(tool["tool_calls"], expected_call, "{tool}");
    assert_eq!(tool["finish_reason"], "tool_calls");
    assert_eq!(
        tool["content"],
        Value::Null,
        "a tool-only reply has no content"
    );
    assert_eq!(tool["usage"]["total_tokens"], 170);

    let streamed_tool = &s["stream_tool_call"];
    let call = &streamed_tool["tool_calls"][0];
    assert_eq!(call["id"], "tool-use-id", "{streamed_tool}");
    assert_eq!(call["name"], "test-tool");
    assert_eq!(call["arguments"], "{\"value\":\"Sparkle Day\"}");
    assert_eq!(
        call["pieces"], 3,
        "a start, then one piece per fragment: {streamed_tool}"
    );
    assert_eq!(
        streamed_tool["first_pieces"],
        json!([{"has_name": true, "type": "function"}])
    );
    assert_eq!(streamed_tool["finish_reason"], "tool_calls");

    let round_trip = &s["tool_round_trip"];
    assert_eq!(round_trip["content"], reply_text(4), "{round_trip}");
    assert_eq!(s["max_tokens"]["content"], reply_text(5));
    assert_eq!(s["max_tokens"]["finish_reason"], "length");

    let models = &s["models"];
    let ids: Vec<&str> = models["ids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(ids.contains(&integration_tests::MODEL), "{models}");
    assert_eq!(models["retrieved"], ids[0]);
    assert!(
        models["retrieved_arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:bedrock:"),
        "ids with slashes: {models}"
    );
    let catalogue = host(&sigv4_env(&emulator))
        .discover(&config(), &DiscoveryOptions::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(catalogue.models.len(), ids.len());
    for definition in &catalogue.models {
        assert_models_entry(&models["listed"][&definition.id], definition);
    }
    assert_eq!(
        models["retrieved_fields"], models["listed"][ids[0]],
        "one model reads as it is listed"
    );
    assert!(
        catalogue.models.iter().any(|m| m.reasoning)
            && catalogue.models.iter().any(|m| !m.reasoning),
        "the catalogue has models of both kinds"
    );

    for wrong in ["wrong_key", "wrong_key_chat"] {
        assert_eq!(s[wrong]["error"], "AuthenticationError", "{}", s[wrong]);
        assert_eq!(s[wrong]["status"], 401);
        assert_eq!(s[wrong]["code"], "invalid_api_key");
    }
    for throttled in ["throttled", "throttled_stream"] {
        assert_eq!(s[throttled]["error"], "RateLimitError", "{}", s[throttled]);
        assert_eq!(s[throttled]["status"], 429);
        assert_eq!(s[throttled]["type"], "rate_limit_error");
    }
    assert_eq!(
        s["unknown_model"]["error"], "NotFoundError",
        "{}",
        s["unknown_model"]
    );
    assert_eq!(s["unknown_model"]["code"], "model_not_found");

    let stream_error = &s["stream_error"];
    assert_eq!(stream_error["error"], "APIError", "{stream_error}");
    assert_eq!(stream_error["code"], "model_stream_error");
    assert_eq!(
        stream_error["content"],
        reply_text(2),
        "the text before the error arrived"
    );

    let malformed = &s["malformed_json"];
    assert_eq!(malformed["status"], 400, "{malformed}");
    assert_eq!(malformed["body"]["error"]["type"], "invalid_request_error");
    assert!(
        malformed["body"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid chat completion request")
    );

    serving.stop().await;
}

/// One `/v1/models` entry, as the SDK kept it, against discovery's definition.
fn assert_models_entry(entry: &Value, definition: &ModelDefinition) {
    assert_eq!(entry["id"], definition.id.as_str(), "{entry}");
    assert_eq!(entry["object"], "model");
    assert_eq!(entry["owned_by"], definition.provider.as_str());
    assert_eq!(
        entry["context_length"], definition.context_window,
        "{entry}"
    );
    assert_eq!(
        entry["top_provider"]["max_completion_tokens"], definition.max_tokens,
        "{entry}"
    );
    let modalities: Vec<&str> = definition
        .input
        .iter()
        .map(|m| match m {
            InputModality::Text => "text",
            InputModality::Image => "image",
            InputModality::Document => "file",
            InputModality::Video => "video",
            InputModality::Audio => "audio",
        })
        .collect();
    assert_eq!(entry["architecture"]["input_modalities"], json!(modalities));
    let cost = &definition.cost;
    for (field, per_million) in [
        ("prompt", cost.input),
        ("completion", cost.output),
        ("input_cache_read", cost.cache_read),
        ("input_cache_write", cost.cache_write),
    ] {
        let per_token: f64 = entry["pricing"][field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} is a decimal string: {entry}"))
            .parse()
            .unwrap();
        assert!(
            (per_token * 1e6 - per_million).abs() <= per_million * 1e-9,
            "{field}: {per_token} per token for {per_million} per million: {entry}"
        );
    }
    let reasons = entry["supported_parameters"]
        .as_array()
        .unwrap()
        .contains(&json!("reasoning"));
    assert_eq!(reasons, definition.reasoning, "{entry}");
}
