//! The ConverseStream events, in Bedrock's JSON shapes.
//!
//! Bedrock pads every event payload with a `"p"` field of varying length (so that payload
//! sizes do not reveal token lengths). The emulator does the same, which proves that
//! clients ignore fields they do not know.

use serde_json::{Value, json};

use crate::errors::ErrorCode;
use crate::eventstream::Frame;
use crate::prompt_cache::InputUsage;

const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// An event frame with the padding field added. The padding length is a fixed function of
/// the payload, so the same reply is the same bytes every time.
fn padded_event(event_type: &str, mut payload: Value) -> Frame {
    let len = 1 + payload.to_string().len() * 7 % PADDING.len();
    payload["p"] = PADDING[..len].into();
    Frame::event(event_type, payload.to_string())
}

pub fn message_start() -> Frame {
    padded_event("messageStart", json!({ "role": "assistant" }))
}

pub fn text_delta(block: usize, text: &str) -> Frame {
    padded_event(
        "contentBlockDelta",
        json!({ "contentBlockIndex": block, "delta": { "text": text } }),
    )
}

/// A tool call's start. A `server` tool (`server_tool_use`) is one the service runs itself,
/// whose result it then streams too; the others are the client's to run.
pub fn tool_use_start(block: usize, tool_use_id: &str, name: &str, server: bool) -> Frame {
    let mut tool_use = json!({ "toolUseId": tool_use_id, "name": name });
    if server {
        tool_use["type"] = json!("server_tool_use");
    }
    padded_event(
        "contentBlockStart",
        json!({ "contentBlockIndex": block, "start": { "toolUse": tool_use } }),
    )
}

/// A piece of thinking: `{"text": ...}`, `{"signature": ...}` or `{"redactedContent": ...}`.
pub fn reasoning_delta(block: usize, delta: Value) -> Frame {
    padded_event(
        "contentBlockDelta",
        json!({ "contentBlockIndex": block, "delta": { "reasoningContent": delta } }),
    )
}

pub fn tool_use_delta(block: usize, input: &str) -> Frame {
    padded_event(
        "contentBlockDelta",
        json!({ "contentBlockIndex": block, "delta": { "toolUse": { "input": input } } }),
    )
}

/// A server tool's result block (`ToolResultBlockStart`), reported successful.
pub fn tool_result_start(block: usize, tool_use_id: &str) -> Frame {
    padded_event(
        "contentBlockStart",
        json!({
            "contentBlockIndex": block,
            "start": { "toolResult": { "toolUseId": tool_use_id, "status": "success" } },
        }),
    )
}

/// `content`: a list of `ToolResultBlockDelta` unions, `{"text": ...}` or `{"json": ...}`.
pub fn tool_result_delta(block: usize, content: Value) -> Frame {
    padded_event(
        "contentBlockDelta",
        json!({ "contentBlockIndex": block, "delta": { "toolResult": content } }),
    )
}

/// A generated image's start (`ImageBlockStart`).
pub fn image_start(block: usize, format: &str) -> Frame {
    padded_event(
        "contentBlockStart",
        json!({ "contentBlockIndex": block, "start": { "image": { "format": format } } }),
    )
}

/// Some of a generated image's bytes, base64 in the JSON as every blob is.
pub fn image_delta(block: usize, bytes: &[u8]) -> Frame {
    padded_event(
        "contentBlockDelta",
        json!({
            "contentBlockIndex": block,
            "delta": { "image": { "source": { "bytes": aws_smithy_types::base64::encode(bytes) } } },
        }),
    )
}

pub fn block_stop(block: usize) -> Frame {
    padded_event("contentBlockStop", json!({ "contentBlockIndex": block }))
}

pub fn message_stop(stop_reason: &str) -> Frame {
    padded_event("messageStop", json!({ "stopReason": stop_reason }))
}

/// The closing `metadata` event. A request the prompt cache applied to also reports what
/// it read and wrote (`cacheReadInputTokens`, `cacheWriteInputTokens`, and `cacheDetails`
/// per TTL when it wrote); `totalTokens` counts the cached tokens too.
pub fn metadata(input: &InputUsage, output_tokens: usize, latency_ms: u64) -> Frame {
    let (read, write) = (input.cache_read_tokens, input.cache_write_tokens());
    let mut usage = json!({
        "inputTokens": input.input_tokens,
        "outputTokens": output_tokens,
        "totalTokens": input.input_tokens + output_tokens + read + write,
    });
    if input.cacheable {
        usage["cacheReadInputTokens"] = read.into();
        usage["cacheWriteInputTokens"] = write.into();
    }
    if !input.cache_writes.is_empty() {
        usage["cacheDetails"] = input
            .cache_writes
            .iter()
            .map(|(ttl, tokens)| json!({ "ttl": ttl.name(), "inputTokens": tokens }))
            .collect();
    }
    padded_event(
        "metadata",
        json!({ "usage": usage, "metrics": { "latencyMs": latency_ms } }),
    )
}

/// An in-stream exception. `modelStreamErrorException` also reports what the model
/// itself answered, as Bedrock does.
pub fn exception(code: ErrorCode) -> Frame {
    let mut payload = json!({ "message": code.default_message() });
    if code == ErrorCode::ModelStreamError {
        payload["originalStatusCode"] = 500.into();
        payload["originalMessage"] = "The model encountered an internal error.".into();
    }
    Frame::exception(code.stream_name(), payload.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt_cache::Ttl;

    fn payload(frame: &Frame) -> Value {
        let (Frame::Event { payload, .. } | Frame::Exception { payload, .. }) = frame;
        serde_json::from_slice(payload).unwrap()
    }

    #[test]
    fn events_are_padded_with_varying_lengths() {
        let short = payload(&text_delta(0, "a"));
        let long = payload(&text_delta(0, "a much longer piece of text"));
        let (short_p, long_p) = (short["p"].as_str().unwrap(), long["p"].as_str().unwrap());
        assert!(PADDING.starts_with(short_p) && PADDING.starts_with(long_p));
        assert_ne!(short_p.len(), long_p.len());
        assert_eq!(long["delta"]["text"], "a much longer piece of text");
    }

    #[test]
    fn metadata_totals_usage() {
        let meta = payload(&metadata(&InputUsage::uncached(7), 5, 99));
        assert_eq!(
            meta["usage"],
            json!({ "inputTokens": 7, "outputTokens": 5, "totalTokens": 12 })
        );
        assert_eq!(meta["metrics"]["latencyMs"], 99);
        let cached = InputUsage {
            input_tokens: 3,
            cache_read_tokens: 1100,
            cache_writes: vec![(Ttl::OneHour, 20), (Ttl::FiveMinutes, 4)],
            cacheable: true,
        };
        assert_eq!(
            payload(&metadata(&cached, 5, 99))["usage"],
            json!({
                "inputTokens": 3, "outputTokens": 5, "totalTokens": 1132,
                "cacheReadInputTokens": 1100, "cacheWriteInputTokens": 24,
                "cacheDetails": [{ "ttl": "1h", "inputTokens": 20 }, { "ttl": "5m", "inputTokens": 4 }],
            })
        );
        let read_only = InputUsage {
            cache_writes: Vec::new(),
            ..cached
        };
        let usage = &payload(&metadata(&read_only, 5, 99))["usage"];
        assert_eq!(usage["cacheWriteInputTokens"], 0);
        assert!(usage.get("cacheDetails").is_none(), "{usage}");
    }

    #[test]
    fn model_stream_error_carries_the_original_status() {
        let frame = exception(ErrorCode::ModelStreamError);
        let Frame::Exception { exception_type, .. } = &frame else {
            panic!("{frame:?}")
        };
        assert_eq!(exception_type, "modelStreamErrorException");
        let body = payload(&frame);
        assert_eq!(body["originalStatusCode"], 500);
        assert!(body["message"].is_string() && body["originalMessage"].is_string());
        assert!(
            payload(&exception(ErrorCode::Throttling))
                .get("originalStatusCode")
                .is_none()
        );
    }
}
