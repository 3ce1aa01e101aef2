//! Reasoning through OpenAI's shape without losing it: Claude on Bedrock
//! wants its signed thinking (and its redacted thinking, byte for byte) back
//! before the tool calls it answered, and OpenAI's Chat Completions has no
//! field for either. Replies carry them in the fields other OpenAI-compatible
//! servers use, which clients keep and send back:
//!
//! * `thinking_blocks` (LiteLLM's): every reasoning block in order,
//!   `{"type":"thinking","thinking","signature"}` or
//!   `{"type":"redacted_thinking","data"}` (base64).
//! * `reasoning_details` (OpenRouter's), beside tool calls only: one
//!   `reasoning.encrypted` entry whose `id` is the first tool call's and whose
//!   `data` holds the same blocks, opaque. It is for clients that keep
//!   nothing else: pi-ai's `openai-completions` provider stores an encrypted
//!   detail on the tool call with its `id` and replays it, and keeps one
//!   detail per call, hence one entry for all blocks.
//!
//! On the way in, `thinking_blocks` wins, then such a `reasoning_details`
//! entry, then `reasoning_content` as unsigned reasoning (which the plugin
//! replays as text to models that verify signatures).

use super::request::InvalidRequest;
use crate::openai::ThinkingBlock;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_host::types::{ContentBlock, ReasoningBlock};
use serde_json::{Value, json};

/// The `format` of the `reasoning_details` entries this server writes.
const DETAIL_FORMAT: &str = "bedrock-thinking-blocks-v1";

/// A finished reasoning block as a client gets it.
pub fn thinking_block(text: String, signature: Option<String>, redacted: &[u8]) -> ThinkingBlock {
    if redacted.is_empty() {
        ThinkingBlock::Thinking {
            thinking: text,
            signature,
        }
    } else {
        ThinkingBlock::RedactedThinking {
            data: BASE64.encode(redacted),
        }
    }
}

/// The `reasoning_details` entry that carries `blocks` on the tool call
/// `tool_call_id`.
pub fn reasoning_detail(blocks: &[ThinkingBlock], tool_call_id: &str) -> Value {
    // Serialising these blocks cannot fail (strings only).
    let encoded = serde_json::to_vec(blocks).unwrap_or_default();
    json!({
        "type": "reasoning.encrypted",
        "id": tool_call_id,
        "format": DETAIL_FORMAT,
        "index": 0,
        "data": BASE64.encode(encoded),
    })
}

/// The reasoning blocks an assistant message sent back carries, in order,
/// to go before its text and tool calls.
pub fn assistant_reasoning(
    reasoning_content: Option<String>,
    thinking_blocks: Option<Vec<ThinkingBlock>>,
    reasoning_details: Option<Vec<Value>>,
) -> Result<Vec<ContentBlock>, InvalidRequest> {
    let blocks = match thinking_blocks.filter(|b| !b.is_empty()) {
        Some(blocks) => blocks,
        None => match from_details(reasoning_details.as_deref().unwrap_or_default())? {
            Some(blocks) => blocks,
            None => reasoning_content
                .filter(|text| !text.trim().is_empty())
                .map(|thinking| ThinkingBlock::Thinking {
                    thinking,
                    signature: None,
                })
                .into_iter()
                .collect(),
        },
    };
    blocks.into_iter().map(content_block).collect()
}

/// The blocks in this server's `reasoning_details` entry, if there is one;
/// entries of other servers' formats mean nothing to Bedrock and are skipped.
fn from_details(details: &[Value]) -> Result<Option<Vec<ThinkingBlock>>, InvalidRequest> {
    let Some(entry) = details
        .iter()
        .find(|d| d.get("format").and_then(Value::as_str) == Some(DETAIL_FORMAT))
    else {
        return Ok(None);
    };
    let invalid = |why: &str| {
        InvalidRequest::new(
            "messages",
            format!(
                "reasoning_details entry of format {DETAIL_FORMAT} {why}; send it back as it was received"
            ),
        )
    };
    let data = entry
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("has no string `data`"))?;
    let json = BASE64
        .decode(data)
        .map_err(|_| invalid("has `data` that is not base64"))?;
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|_| invalid("has `data` that does not hold thinking blocks"))
}

fn content_block(block: ThinkingBlock) -> Result<ContentBlock, InvalidRequest> {
    Ok(match block {
        ThinkingBlock::Thinking {
            thinking,
            signature,
        } => ContentBlock::Reasoning(ReasoningBlock {
            text: thinking,
            signature,
        }),
        ThinkingBlock::RedactedThinking { data } => {
            let data = BASE64.decode(data.trim()).map_err(|_| {
                InvalidRequest::new(
                    "messages",
                    "redacted_thinking data is not base64; send it back as it was received",
                )
            })?;
            ContentBlock::RedactedReasoning(data)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(text: &str, signature: &str) -> ThinkingBlock {
        ThinkingBlock::Thinking {
            thinking: text.into(),
            signature: Some(signature.into()),
        }
    }

    #[test]
    fn serve_reasoning_details_round_trip_every_block() {
        let blocks = vec![
            signed("Let me think.", "c2ln"),
            thinking_block(String::new(), None, b"\x00\xffopaque"),
        ];
        let detail = reasoning_detail(&blocks, "call_1");
        assert_eq!(detail["type"], "reasoning.encrypted");
        assert_eq!(detail["id"], "call_1");
        let foreign =
            json!({"type": "reasoning.text", "text": "x", "format": "anthropic-claude-v1"});
        let back = assistant_reasoning(Some("ignored".into()), None, Some(vec![foreign, detail]));
        assert_eq!(
            back,
            Ok(vec![
                ContentBlock::Reasoning(ReasoningBlock {
                    text: "Let me think.".into(),
                    signature: Some("c2ln".into()),
                }),
                ContentBlock::RedactedReasoning(b"\x00\xffopaque".to_vec()),
            ])
        );
    }

    #[test]
    fn serve_thinking_blocks_win_then_details_then_reasoning_content() {
        let detail = reasoning_detail(&[signed("from details", "ZA==")], "c");
        let blocks = vec![signed("from blocks", "Yg==")];
        let first = |r: Result<Vec<ContentBlock>, InvalidRequest>| match r.unwrap().remove(0) {
            ContentBlock::Reasoning(r) => (r.text, r.signature),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            first(assistant_reasoning(
                Some("text".into()),
                Some(blocks),
                Some(vec![detail.clone()])
            )),
            ("from blocks".into(), Some("Yg==".into()))
        );
        assert_eq!(
            first(assistant_reasoning(
                Some("text".into()),
                Some(vec![]),
                Some(vec![detail])
            )),
            ("from details".into(), Some("ZA==".into()))
        );
        assert_eq!(
            first(assistant_reasoning(Some("plain".into()), None, None)),
            ("plain".into(), None)
        );
        assert_eq!(
            assistant_reasoning(Some(" ".into()), None, None),
            Ok(vec![])
        );
    }

    #[test]
    fn serve_refuses_reasoning_it_cannot_replay_intact() {
        let bad_detail =
            json!({"type": "reasoning.encrypted", "format": DETAIL_FORMAT, "data": "@@"});
        let error = assistant_reasoning(None, None, Some(vec![bad_detail])).unwrap_err();
        assert_eq!(error.param, Some("messages"));
        assert!(error.message.contains("not base64"), "{error}");
        let not_blocks = json!({"format": DETAIL_FORMAT, "data": BASE64.encode("{}")});
        assert!(assistant_reasoning(None, None, Some(vec![not_blocks])).is_err());
        let redacted = ThinkingBlock::RedactedThinking { data: "@@".into() };
        let error = assistant_reasoning(None, Some(vec![redacted]), None).unwrap_err();
        assert!(error.message.contains("redacted_thinking"), "{error}");
    }
}
