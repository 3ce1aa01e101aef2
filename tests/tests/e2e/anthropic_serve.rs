//! `serve`'s Anthropic Messages endpoint with the real component against the
//! emulator: over raw HTTP (streamed and whole replies, signed and redacted
//! thinking sent back, errors, `x-api-key`), then driven by clients nobody here
//! wrote, the official `anthropic` Python SDK and the gateway's own pi-ai
//! `anthropic-messages` provider, through a multi-turn conversation with thinking,
//! two tool round trips and a cached system prompt. The emulator refuses a turn
//! whose thinking signature did not come back intact, as Bedrock does.

use bedrock_emulator::{Emulator, reply_text};
use bedrock_host::Host;
use bedrock_host::types::{
    CacheRetention, ContentBlock, ConverseRequest, Message, ReasoningBlock, ReasoningLevel, Role,
    ToolResultBlock, ToolResultContent, ToolSpec, ToolUseBlock,
};
use bedrock_serve::ServeConfig;
use integration_tests::{
    MODEL, Serving, by_scenario, config, converse, emulator, host, node, python, run_node,
    run_python, sigv4_env,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const API_KEY: &str = "sk-ant-serve-test";
/// Claude Sonnet 4 through its US profile: budget thinking, interleaved with tools.
const THINKING_MODEL: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";

/// `serve` with [`API_KEY`] over `host`; stops when dropped.
async fn start(host: Host) -> Serving {
    let mut provider = config();
    // One attempt: the throttling case wants the 429 now, not after retries.
    provider.max_attempts = Some(1);
    let mut serve = ServeConfig::new(provider);
    serve.api_key = Some(API_KEY.into());
    Serving::local(host, serve).await
}

/// One response: the status, the head (lower-cased) and the body, de-chunked.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }

    /// The server-sent events, as (`event:` name, `data:` JSON).
    fn events(&self) -> Vec<(String, Value)> {
        assert!(self.head.contains("text/event-stream"), "{self:?}");
        self.body
            .split("\n\n")
            .filter_map(|event| {
                let mut name = None;
                let mut data = None;
                for line in event.lines() {
                    if let Some(n) = line.strip_prefix("event: ") {
                        name = Some(n.to_string());
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(d).expect("JSON data"));
                    }
                }
                Some((name?, data?))
            })
            .collect()
    }
}

/// `POST /v1/messages` with `auth` (a header line) and `body`, on a fresh
/// connection closed after the answer.
async fn post(addr: SocketAddr, auth: &str, body: &Value) -> Answer {
    let body = body.to_string();
    let request = format!(
        "POST /v1/messages HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\r\nanthropic-version: 2023-06-01\r\nanthropic-beta: interleaved-thinking-2025-05-14\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    socket.read_to_end(&mut bytes).await.unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    Answer {
        status: head[9..12].parse().unwrap(),
        head,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

const KEY: &str = "x-api-key: sk-ant-serve-test";

fn hello(prompt: &str, stream: bool) -> Value {
    json!({"model": MODEL, "max_tokens": 256, "stream": stream,
           "messages": [{"role": "user", "content": prompt}]})
}

fn thinking_turn(messages: Value, stream: bool) -> Value {
    json!({
        "model": THINKING_MODEL, "max_tokens": 2048, "stream": stream,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [{"name": "get_weather", "description": "The weather in a city.",
                   "input_schema": {"type": "object", "properties": {}}}],
        "messages": messages,
    })
}

/// The whole message the streamed events describe, folded as the SDKs do.
fn fold(events: &[(String, Value)]) -> Value {
    let mut content: Vec<Value> = Vec::new();
    let mut json_parts: HashMap<usize, String> = HashMap::new();
    let mut stop_reason = Value::Null;
    for (name, data) in events {
        assert_eq!(data["type"], json!(name), "event name and type agree");
        match name.as_str() {
            "content_block_start" => {
                assert_eq!(data["index"], json!(content.len()), "{data}");
                content.push(data["content_block"].clone());
            }
            "content_block_delta" => {
                let index = data["index"].as_u64().unwrap() as usize;
                let delta = &data["delta"];
                let block = &mut content[index];
                let append = |block: &mut Value, field: &str, more: &Value| {
                    let text = block[field].as_str().unwrap().to_string();
                    block[field] = json!(text + more.as_str().unwrap());
                };
                match delta["type"].as_str().unwrap() {
                    "text_delta" => append(block, "text", &delta["text"]),
                    "thinking_delta" => append(block, "thinking", &delta["thinking"]),
                    "signature_delta" => append(block, "signature", &delta["signature"]),
                    "input_json_delta" => json_parts
                        .entry(index)
                        .or_default()
                        .push_str(delta["partial_json"].as_str().unwrap()),
                    other => panic!("unexpected delta {other}"),
                }
            }
            "content_block_stop" => {
                let index = data["index"].as_u64().unwrap() as usize;
                if let Some(json) = json_parts.remove(&index) {
                    content[index]["input"] = serde_json::from_str(&json).unwrap();
                }
            }
            "message_delta" => stop_reason = data["delta"]["stop_reason"].clone(),
            _ => {}
        }
    }
    json!({"role": "assistant", "content": content, "stop_reason": stop_reason})
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_messages_over_raw_http() {
    let emulator = emulator().await;
    let serving = start(host(&sigv4_env(&emulator))).await;
    let addr = serving.addr;

    // A whole reply, with the key as Anthropic's SDKs send it and as OpenAI's do.
    for auth in [KEY, "Authorization: Bearer sk-ant-serve-test"] {
        let answer = post(addr, auth, &hello("[emulator words=5] Hello", false)).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        let message = answer.json();
        assert_eq!(message["type"], "message");
        assert_eq!(message["role"], "assistant");
        assert_eq!(message["model"], MODEL);
        assert!(message["id"].as_str().unwrap().starts_with("msg_"));
        assert_eq!(
            message["content"],
            json!([{"type": "text", "text": reply_text(5)}])
        );
        assert_eq!(message["stop_reason"], "end_turn");
        assert_eq!(message["usage"]["output_tokens"], 5, "{message}");
        assert!(message["usage"]["input_tokens"].as_u64().unwrap() > 0);
        assert_eq!(message["usage"]["cache_read_input_tokens"], 0);
    }

    // A stop sequence cuts the reply; the only one asked is the one named.
    let words = reply_text(10);
    let word = words.split_whitespace().nth(4).unwrap();
    let mut stopped = hello("[emulator words=10] Hello", false);
    stopped["stop_sequences"] = json!([word]);
    let message = post(addr, KEY, &stopped).await.json();
    assert_eq!(message["stop_reason"], "stop_sequence", "{message}");
    assert_eq!(message["stop_sequence"], word, "{message}");
    assert_eq!(
        message["content"][0]["text"],
        words[..words.find(word).unwrap()],
        "{message}"
    );

    // The same, streamed: Anthropic's event sequence, names matching types.
    let answer = post(addr, KEY, &hello("[emulator words=5] Hello", true)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let events = answer.events();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[..3], ["message_start", "ping", "content_block_start"]);
    assert_eq!(
        names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert_eq!(events[0].1["message"]["content"], json!([]));
    let message = fold(&events);
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": reply_text(5)}])
    );
    assert_eq!(message["stop_reason"], "end_turn");
    let usage = &events[events.len() - 2].1["usage"];
    assert_eq!(usage["output_tokens"], 5, "{usage}");

    // Thinking with a tool call, streamed, then sent back signed (or redacted)
    // with the tool's result: the emulator checks the thinking came back intact.
    for directives in [
        "tool-use=get_weather",
        "tool-use=get_weather redacted-thinking",
    ] {
        let first = json!([{"role": "user", "content": format!("Weather in Paris? [emulator {directives}]")}]);
        let answer = post(addr, KEY, &thinking_turn(first.clone(), true)).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        let events = answer.events();
        let assistant = fold(&events);
        assert_eq!(assistant["stop_reason"], "tool_use", "{assistant}");
        let blocks = assistant["content"].as_array().unwrap();
        match blocks[0]["type"].as_str().unwrap() {
            "thinking" => {
                assert!(!blocks[0]["thinking"].as_str().unwrap().is_empty());
                assert!(!blocks[0]["signature"].as_str().unwrap().is_empty());
                assert!(
                    events
                        .iter()
                        .any(|(_, d)| d["delta"]["type"] == "signature_delta")
                );
            }
            "redacted_thinking" => {
                assert!(
                    !blocks[0]["data"].as_str().unwrap().is_empty(),
                    "{assistant}"
                );
            }
            other => panic!("{directives}: the turn starts with {other}"),
        }
        let call = blocks.iter().find(|b| b["type"] == "tool_use").unwrap();
        assert_eq!(call["name"], "get_weather");
        let result = json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": call["id"], "content": "sunny, 21 °C"}]});
        let sent_back = |content: Value| {
            let mut messages = first.as_array().unwrap().clone();
            messages.push(json!({"role": "assistant", "content": content}));
            messages.push(result.clone());
            thinking_turn(Value::Array(messages), false)
        };
        let answer = post(addr, KEY, &sent_back(assistant["content"].clone())).await;
        assert_eq!(answer.status, 200, "{directives}: {answer:?}");
        let reply = answer.json();
        assert_eq!(reply["stop_reason"], "end_turn", "{reply}");
        let text = reply["content"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(text["type"], "text", "{reply}");

        // Edited thinking is refused as Bedrock refuses it, in Anthropic's shape.
        let mut edited = assistant["content"].clone();
        match edited[0]["type"].as_str().unwrap() {
            "thinking" => edited[0]["thinking"] = json!("Something else."),
            _ => edited[0]["data"] = json!("AAAA"),
        }
        let answer = post(addr, KEY, &sent_back(edited)).await;
        assert_eq!(answer.status, 400, "{directives}: {answer:?}");
        let error = answer.json();
        assert_eq!(error["type"], "error");
        assert_eq!(error["error"]["type"], "invalid_request_error", "{error}");
    }

    // Images and documents reach Bedrock as bytes; the model's reply is the same.
    let png = "iVBORw0KGgo=";
    let pdf = "JVBERi0xLjQK";
    let with_files = json!({"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
        {"type": "document", "title": "Q3 report", "source": {"type": "base64", "media_type": "application/pdf", "data": pdf}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Plain notes."}},
        {"type": "text", "text": "[emulator words=4] Describe these."}]}]});
    let answer = post(addr, KEY, &with_files).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["content"][0]["text"], reply_text(4));
    let sent = last_converse_body(&emulator);
    let blocks = &sent["messages"][0]["content"];
    assert_eq!(blocks[0]["image"]["format"], "png", "{sent}");
    assert_eq!(blocks[0]["image"]["source"]["bytes"], png, "{sent}");
    assert_eq!(blocks[1]["document"]["format"], "pdf", "{sent}");
    assert_eq!(blocks[1]["document"]["name"], "Q3 report", "{sent}");
    assert_eq!(blocks[2]["document"]["format"], "txt", "{sent}");

    // Adaptive thinking asked of a budget model: the effort's level, as that
    // model takes it (medium: a budget of 8 192).
    let adaptive = json!({
        "model": THINKING_MODEL, "max_tokens": 2048,
        "thinking": {"type": "adaptive"}, "output_config": {"effort": "medium"},
        "messages": [{"role": "user", "content": "[emulator words=2] Think."}]});
    let answer = post(addr, KEY, &adaptive).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let reply = answer.json();
    assert_eq!(reply["content"][0]["type"], "thinking", "{reply}");
    assert!(
        !reply["content"][0]["signature"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let sent = last_converse_body(&emulator);
    assert_eq!(
        sent["additionalModelRequestFields"]["thinking"],
        json!({"type": "enabled", "budget_tokens": 8192}),
        "{sent}"
    );

    // Claude Opus 4.7 takes adaptive thinking only (the emulator refuses a
    // budget for it, as Bedrock does): adaptive thinking reaches it with the
    // effort asked, and a budget a client asks for arrives as adaptive too.
    for (thinking, effort) in [
        (
            json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}),
            Some("max"),
        ),
        (
            json!({"thinking": {"type": "enabled", "budget_tokens": 2048}}),
            None,
        ),
    ] {
        let mut body = json!({
            "model": "us.anthropic.claude-opus-4-7", "max_tokens": 8192,
            "messages": [{"role": "user", "content": "[emulator words=2] Think."}]});
        body.as_object_mut()
            .unwrap()
            .extend(thinking.as_object().unwrap().clone());
        let answer = post(addr, KEY, &body).await;
        assert_eq!(answer.status, 200, "{thinking}: {answer:?}");
        let reply = answer.json();
        assert_eq!(reply["content"][0]["type"], "thinking", "{reply}");
        assert_eq!(reply["content"][1]["text"], reply_text(2), "{reply}");
        let sent = last_converse_body(&emulator);
        let fields = &sent["additionalModelRequestFields"];
        assert_eq!(fields["thinking"]["type"], "adaptive", "{sent}");
        let sent_effort = fields["output_config"]["effort"].as_str();
        assert!(sent_effort.is_some(), "{sent}");
        if let Some(effort) = effort {
            assert_eq!(sent_effort, Some(effort), "{sent}");
        }
    }

    // Errors in Anthropic's shape, with their status.
    let answer = post(addr, "x-api-key: sk-wrong", &hello("Hi", false)).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json()["error"]["type"], "authentication_error");
    assert!(!answer.body.contains(API_KEY));
    let answer = post(addr, KEY, &hello("[emulator status=429]", false)).await;
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(answer.json()["error"]["type"], "rate_limit_error");
    let answer = post(addr, KEY, &hello("[emulator status=429]", true)).await;
    assert_eq!(
        answer.status, 429,
        "a failure before the first event keeps its status"
    );
    let answer = post(
        addr,
        KEY,
        &json!({"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}}]}]}),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"]["type"], "invalid_request_error");
    // After the status line, a failure is an `error` event and the stream ends.
    let answer = post(
        addr,
        KEY,
        &hello("[emulator exception=modelStreamErrorException]", true),
    )
    .await;
    assert_eq!(answer.status, 200);
    let events = answer.events();
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "error", "{events:?}");
    assert_eq!(data["type"], "error");
    assert_eq!(data["error"]["type"], "api_error", "{data}");
    assert!(events.iter().any(|(n, _)| n == "content_block_delta"));

    // A body declared over the limit is refused before it is read, in
    // Anthropic's shape.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/messages HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
        1u64 << 30
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let _ = socket.read_to_end(&mut bytes).await;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let body: Value = serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(body["error"]["type"], "request_too_large", "{body}");

    // The same server then answers a normal call.
    let answer = post(addr, KEY, &hello("[emulator words=3] Hello", false)).await;
    assert_eq!(answer.json()["content"][0]["text"], reply_text(3));
}

/// The conversation a client sent, as the contract's request, to call the
/// plugin directly with.
fn direct_request(conversation: &Value) -> ConverseRequest {
    let messages = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Message {
            role: if m["role"] == "user" {
                Role::User
            } else {
                Role::Assistant
            },
            content: match &m["content"] {
                Value::String(text) => vec![ContentBlock::Text(text.clone())],
                blocks => blocks.as_array().unwrap().iter().map(block).collect(),
            },
        })
        .collect();
    let system = conversation["system"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n\n");
    ConverseRequest {
        model_id: THINKING_MODEL.into(),
        system: Some(system),
        messages,
        tools: conversation["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| ToolSpec {
                name: t["name"].as_str().unwrap().into(),
                description: t["description"].as_str().map(Into::into),
                input_schema_json: t["input_schema"].to_string(),
            })
            .collect(),
        max_tokens: Some(2048),
        reasoning: Some(ReasoningLevel::Minimal),
        cache_retention: Some(CacheRetention::Short),
        ..Default::default()
    }
}

fn block(b: &Value) -> ContentBlock {
    let text = |v: &Value| v.as_str().unwrap().to_string();
    match b["type"].as_str().unwrap() {
        "text" => ContentBlock::Text(text(&b["text"])),
        "thinking" => ContentBlock::Reasoning(ReasoningBlock {
            text: text(&b["thinking"]),
            signature: Some(text(&b["signature"])),
        }),
        "tool_use" => ContentBlock::ToolUse(ToolUseBlock {
            id: text(&b["id"]),
            name: text(&b["name"]),
            input_json: b["input"].to_string(),
        }),
        "tool_result" => ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: text(&b["tool_use_id"]),
            content: match &b["content"] {
                Value::String(s) => vec![ToolResultContent::Text(s.clone())],
                parts => parts
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| ToolResultContent::Text(text(&p["text"])))
                    .collect(),
            },
            is_error: false,
        }),
        other => panic!("unexpected block {other}"),
    }
}

/// The body of the last ConverseStream call the emulator received.
fn last_converse_body(emulator: &Emulator) -> Value {
    let request = emulator
        .requests()
        .into_iter()
        .rfind(|r| r.raw_path.ends_with("/converse-stream"))
        .expect("a ConverseStream call");
    serde_json::from_slice(&request.body).unwrap()
}

/// The body of the conversation's last turn as the emulator received it:
/// the last ConverseStream call carrying the second tool's result.
fn final_turn_body(emulator: &Emulator) -> String {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.raw_path.ends_with("/converse-stream"))
        .map(|r| String::from_utf8(r.body).unwrap())
        .rfind(|body| body.contains("14:05"))
        .expect("the last turn reached the emulator")
}

/// Every thinking signature in `turns` (the replies as a client kept them).
fn signatures<'a>(turns: impl Iterator<Item = &'a Value>, field: &str) -> Vec<String> {
    turns
        .flat_map(|turn| turn["content"].as_array().unwrap().iter())
        .filter(|b| b["type"] == "thinking")
        .map(|b| b[field].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_python_sdk_conversation_through_serve() {
    let Some(python) = python() else { return };
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let serving = start(host.clone()).await;
    let url = serving.url();
    let lines = run_python(
        &python,
        "anthropic_client.py",
        &[&url, API_KEY, THINKING_MODEL],
        &[],
    )
    .await;
    let s = by_scenario(lines);

    for (turn, tool) in [("turn1", "get_weather"), ("turn2", "get_time")] {
        let t = &s[turn];
        assert_eq!(t["stop_reason"], "tool_use", "{t}");
        assert_eq!(t["content"][0]["type"], "thinking", "{t}");
        assert!(!t["content"][0]["signature"].as_str().unwrap().is_empty());
        let call = t["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "tool_use");
        assert_eq!(call.unwrap()["name"], tool, "{t}");
        for kind in [
            "message_start",
            "thinking_delta",
            "signature_delta",
            "message_delta",
            "message_stop",
        ] {
            assert!(
                t["events"].as_array().unwrap().contains(&json!(kind)),
                "{kind}: {t}"
            );
        }
    }
    let last = &s["turn3"];
    assert_eq!(last["stop_reason"], "end_turn", "{last}");
    let text = last["content"].as_array().unwrap().last().unwrap();
    assert_eq!(text["type"], "text", "{last}");
    // The cached system prompt (1 200 words, over Claude's 1 024-token
    // minimum) and the first turn are written to the cache by the first
    // request and read by the next; every later turn reads what came before.
    let usage = |turn: &str, field: &str| s[turn]["usage"][field].as_u64().unwrap();
    assert!(
        usage("turn1", "cache_creation_input_tokens") > 1_024,
        "{}",
        s["turn1"]
    );
    assert_eq!(usage("turn1", "cache_read_input_tokens"), 0);
    assert_eq!(
        usage("turn2", "cache_read_input_tokens"),
        usage("turn1", "cache_creation_input_tokens"),
        "the second turn reads all the first wrote: {}",
        s["turn2"]
    );
    assert!(usage("turn2", "cache_creation_input_tokens") > 0);
    assert!(
        usage("turn3", "cache_read_input_tokens") > usage("turn2", "cache_read_input_tokens"),
        "{last}"
    );

    // Every signature reached the emulator as it was issued, and the system
    // prompt marked with cache_control got a cache point.
    let final_body = final_turn_body(&emulator);
    let issued = signatures([&s["turn1"], &s["turn2"]].into_iter(), "signature");
    assert_eq!(issued.len(), 2);
    for signature in &issued {
        assert!(
            final_body.contains(signature.as_str()),
            "{signature} in {final_body}"
        );
    }
    let sent: Value = serde_json::from_str(&final_body).unwrap();
    assert!(
        sent["system"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b.get("cachePoint").is_some()),
        "{sent}"
    );

    // The plugin called directly with the same conversation says the same.
    let direct = converse(&host, &config(), &direct_request(&s["conversation"]))
        .await
        .unwrap();
    assert_eq!(direct.error, None);
    assert_eq!(direct.text(), text["text"].as_str().unwrap());

    let whole = &s["whole"];
    assert_eq!(whole["type"], "message", "{whole}");
    assert_eq!(whole["stop_reason"], "end_turn");
    assert!(!whole["text"].as_str().unwrap().is_empty());
    for (scenario, class, status, kind) in [
        (
            "wrong_key",
            "AuthenticationError",
            401,
            "authentication_error",
        ),
        ("throttled", "RateLimitError", 429, "rate_limit_error"),
        (
            "bad_request",
            "BadRequestError",
            400,
            "invalid_request_error",
        ),
    ] {
        let e = &s[scenario];
        assert_eq!(e["error"], class, "{e}");
        assert_eq!(e["status"], status, "{e}");
        assert_eq!(e["body"]["error"]["type"], kind, "{e}");
    }
    let redacted = &s["redacted"];
    assert_eq!(
        redacted["first"][0]["type"], "redacted_thinking",
        "{redacted}"
    );
    assert_eq!(redacted["stop_reason"], "end_turn", "{redacted}");
    let stream_error = &s["stream_error"];
    assert_eq!(stream_error["error"], "APIStatusError", "{stream_error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pi_ai_anthropic_messages_conversation_through_serve() {
    let Some(dir) = node() else { return };
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let serving = start(host.clone()).await;
    let url = serving.url();
    let lines = run_node(
        &dir,
        "pi_ai_anthropic_client.mjs",
        &[&url, API_KEY, THINKING_MODEL],
        &[],
    )
    .await;
    let turns = by_scenario(lines);
    for turn in ["turn1", "turn2"] {
        let t = &turns[turn];
        assert_eq!(t["error"], Value::Null, "{t}");
        assert_eq!(t["stop_reason"], "toolUse", "{t}");
        assert_eq!(t["content"][0]["type"], "thinking", "{t}");
        assert!(
            !t["content"][0]["thinkingSignature"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    let last = &turns["turn3"];
    assert_eq!(last["error"], Value::Null, "{last}");
    assert_eq!(last["stop_reason"], "stop", "{last}");
    let text = last["content"].as_array().unwrap().last().unwrap();
    assert_eq!(text["type"], "text", "{last}");
    assert!(last["usage"]["input"].as_u64().unwrap() > 0, "{last}");

    // The plugin called directly with the same conversation says the same.
    let direct = converse(&host, &config(), &pi_ai_direct_request(&turns))
        .await
        .unwrap();
    assert_eq!(direct.error, None);
    assert_eq!(direct.text(), text["text"].as_str().unwrap());

    let redacted = &turns["redacted_turn1"];
    assert_eq!(redacted["stop_reason"], "toolUse", "{redacted}");
    assert_eq!(redacted["content"][0]["redacted"], true, "{redacted}");
    let after = &turns["redacted_turn2"];
    assert_eq!(
        after["error"],
        Value::Null,
        "the redacted data came back intact: {after}"
    );
    assert_eq!(after["stop_reason"], "stop", "{after}");

    let final_body = final_turn_body(&emulator);
    let issued = signatures(
        [&turns["turn1"], &turns["turn2"]].into_iter(),
        "thinkingSignature",
    );
    assert_eq!(issued.len(), 2);
    for signature in &issued {
        assert!(
            final_body.contains(signature.as_str()),
            "{signature} in {final_body}"
        );
    }
    let sent: Value = serde_json::from_str(&final_body).unwrap();
    assert!(
        sent["system"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b.get("cachePoint").is_some()),
        "pi-ai's default cache_control reaches Bedrock as a cache point: {sent}"
    );
}

/// The conversation `pi_ai_anthropic_client.mjs` held, from the turns it
/// printed, as the contract's request.
fn pi_ai_direct_request(turns: &HashMap<String, Value>) -> ConverseRequest {
    let assistant = |turn: &str| Message {
        role: Role::Assistant,
        content: turns[turn]["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| match b["type"].as_str().unwrap() {
                "thinking" => ContentBlock::Reasoning(ReasoningBlock {
                    text: b["thinking"].as_str().unwrap().into(),
                    signature: b["thinkingSignature"].as_str().map(Into::into),
                }),
                "text" => ContentBlock::Text(b["text"].as_str().unwrap().into()),
                "toolCall" => ContentBlock::ToolUse(ToolUseBlock {
                    id: b["id"].as_str().unwrap().into(),
                    name: b["name"].as_str().unwrap().into(),
                    input_json: b["arguments"].to_string(),
                }),
                other => panic!("unexpected pi-ai block {other}"),
            })
            .collect(),
    };
    let result = |turn: &str, text: &str| {
        let call = turns[turn]["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "toolCall")
            .unwrap();
        ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: call["id"].as_str().unwrap().into(),
            content: vec![ToolResultContent::Text(text.into())],
            is_error: false,
        })
    };
    let user = |content| Message {
        role: Role::User,
        content,
    };
    let city = json!({"type": "object", "properties": {"city": {"type": "string"}}});
    let tool = |name: &str, description: &str| ToolSpec {
        name: name.into(),
        description: Some(description.into()),
        input_schema_json: city.to_string(),
    };
    ConverseRequest {
        model_id: THINKING_MODEL.into(),
        system: Some("You are a terse assistant. Call the tools you are asked to call.".into()),
        messages: vec![
            user(vec![ContentBlock::Text(
                "Weather and time in Paris? [emulator tool-use=get_weather]".into(),
            )]),
            assistant("turn1"),
            user(vec![
                result("turn1", "sunny, 21 °C"),
                ContentBlock::Text("[emulator tool-use=get_time]".into()),
            ]),
            assistant("turn2"),
            user(vec![result("turn2", "14:05")]),
        ],
        tools: vec![
            tool("get_weather", "The weather in a city."),
            tool("get_time", "The local time in a city."),
        ],
        max_tokens: Some(2048),
        reasoning: Some(ReasoningLevel::Minimal),
        cache_retention: Some(CacheRetention::Short),
        ..Default::default()
    }
}
