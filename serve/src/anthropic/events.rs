//! The contract's stream events to Anthropic's: pure functions over the
//! types, tested here without a component or a socket.
//!
//! Bedrock opens only tool-use blocks explicitly and sends its usage after
//! the stop, where Anthropic opens every block and ends with a
//! `message_delta` that carries both: [`Translator`] opens a block at its
//! first delta, numbers blocks 0, 1, ... in order of appearance, holds
//! redacted thinking until its block ends (Anthropic sends it whole in the
//! block's start), and keeps the stop for the end of the stream.

use super::wire::{BlockDelta, Message, MessageDelta, OutputBlock, StreamEvent as Out, Usage};
use base64::Engine as _;
use bedrock_host::types::{MessageStop, StopReason, StreamEvent};
use std::collections::HashMap;

/// Anthropic's `stop_reason`: Claude's own value when Bedrock passes it on,
/// else the nearest for the normalised reason (`content-filtered` is a
/// `refusal`).
pub fn stop_reason(stop: &MessageStop) -> &'static str {
    const CLAUDE: [&str; 7] = [
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    ];
    if let Some(raw) = CLAUDE.iter().find(|r| **r == stop.raw_reason) {
        return raw;
    }
    match stop.reason {
        StopReason::Stop | StopReason::Error => "end_turn",
        StopReason::Length => "max_tokens",
        StopReason::ToolUse => "tool_use",
        StopReason::ContentFiltered => "refusal",
    }
}

/// The stop sequence Bedrock reports among the additional response fields.
fn reported_stop_sequence(stop: &MessageStop) -> Option<String> {
    let fields: serde_json::Value =
        serde_json::from_str(stop.additional_model_response_fields.as_deref()?).ok()?;
    fields.get("stop_sequence")?.as_str().map(str::to_owned)
}

pub fn usage(usage: &bedrock_host::types::Usage) -> Usage {
    Usage {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_creation_input_tokens: usage.cache_write_tokens.unwrap_or(0),
        cache_read_input_tokens: usage.cache_read_tokens.unwrap_or(0),
    }
}

/// The message snapshot `message_start` carries: empty, no usage yet.
pub fn message_start(id: String, model: String) -> Out {
    Out::MessageStart {
        message: Message {
            id,
            kind: "message",
            role: "assistant",
            model,
            content: Vec::new(),
            stop_reason: None,
            stop_sequence: None,
            usage: Usage::default(),
        },
    }
}

#[derive(Debug)]
enum Open {
    Plain,
    /// Redacted thinking, sent whole when the block ends.
    Redacted(Vec<u8>),
}

/// Follows one reply's events and turns them into Anthropic's.
#[derive(Debug, Default)]
pub struct Translator {
    /// Bedrock block index → Anthropic block index.
    indices: HashMap<u32, u32>,
    /// Anthropic blocks started and not yet stopped.
    open: HashMap<u32, Open>,
    stop: Option<MessageStop>,
    usage: Option<Usage>,
    /// The request's stop sequence when it gave exactly one: then a
    /// `stop_sequence` stop can only mean it.
    only_stop_sequence: Option<String>,
}

impl Translator {
    /// A translator for a request with `stop_sequences`.
    pub fn new(stop_sequences: &[String]) -> Self {
        Self {
            only_stop_sequence: match stop_sequences {
                [only] => Some(only.clone()),
                _ => None,
            },
            ..Self::default()
        }
    }

    /// The Anthropic events for one of the plugin's.
    pub fn step(&mut self, event: StreamEvent, out: &mut Vec<Out>) {
        match event {
            StreamEvent::TextDelta(d) => {
                let index = self.start(
                    d.index,
                    || OutputBlock::Text {
                        text: String::new(),
                    },
                    out,
                );
                out.push(delta(index, BlockDelta::Text { text: d.text }));
            }
            StreamEvent::ReasoningDelta(d) => {
                let index = self.start(d.index, thinking_start, out);
                out.push(delta(index, BlockDelta::Thinking { thinking: d.text }));
            }
            StreamEvent::ReasoningSignature(d) => {
                let index = self.start(d.index, thinking_start, out);
                out.push(delta(
                    index,
                    BlockDelta::Signature {
                        signature: d.signature,
                    },
                ));
            }
            StreamEvent::ReasoningRedacted(d) => {
                let index = self.index(d.index);
                match self.open.entry(index).or_insert(Open::Redacted(Vec::new())) {
                    Open::Redacted(data) => data.extend(d.data),
                    // Bedrock never mixes the two in one block.
                    Open::Plain => {}
                }
            }
            StreamEvent::ToolUseStart(start) => {
                let index = self.index(start.index);
                self.open.insert(index, Open::Plain);
                out.push(Out::ContentBlockStart {
                    index,
                    content_block: OutputBlock::ToolUse {
                        id: start.id,
                        name: start.name,
                        input: serde_json::json!({}),
                    },
                });
            }
            StreamEvent::ToolInputDelta(d) => {
                let index = self.start(
                    d.index,
                    || OutputBlock::ToolUse {
                        id: String::new(),
                        name: String::new(),
                        input: serde_json::json!({}),
                    },
                    out,
                );
                out.push(delta(
                    index,
                    BlockDelta::InputJson {
                        partial_json: d.text,
                    },
                ));
            }
            StreamEvent::BlockStop(bedrock_index) => {
                let index = self.index(bedrock_index);
                self.close(index, out);
            }
            StreamEvent::MessageStop(stop) => self.stop = Some(stop),
            StreamEvent::Metadata(metadata) => {
                if let Some(u) = &metadata.usage {
                    self.usage = Some(usage(u));
                }
            }
            // The role is implied by `message_start`; citations, server-side
            // tool results and generated images have no place here yet.
            _ => {}
        }
    }

    /// The events after the plugin's last: blocks left open are closed,
    /// then the stop and usage, then `message_stop`.
    pub fn finish(&mut self, out: &mut Vec<Out>) {
        let mut open: Vec<u32> = self.open.keys().copied().collect();
        open.sort_unstable();
        for index in open {
            self.close(index, out);
        }
        let stop = self.stop.take();
        let reason = stop.as_ref().map_or("end_turn", stop_reason);
        let stop_sequence = match (&stop, reason) {
            (Some(stop), "stop_sequence") => {
                reported_stop_sequence(stop).or_else(|| self.only_stop_sequence.clone())
            }
            _ => None,
        };
        out.push(Out::MessageDelta {
            delta: MessageDelta {
                stop_reason: Some(reason),
                stop_sequence,
            },
            usage: self.usage.take().unwrap_or_default(),
        });
        out.push(Out::MessageStop);
    }

    fn index(&mut self, bedrock_index: u32) -> u32 {
        let next = self.indices.len() as u32;
        *self.indices.entry(bedrock_index).or_insert(next)
    }

    /// The Anthropic index of a block, started with `block` if it is new.
    fn start(
        &mut self,
        bedrock_index: u32,
        block: impl FnOnce() -> OutputBlock,
        out: &mut Vec<Out>,
    ) -> u32 {
        let known = self.indices.contains_key(&bedrock_index);
        let index = self.index(bedrock_index);
        if !known {
            self.open.insert(index, Open::Plain);
            out.push(Out::ContentBlockStart {
                index,
                content_block: block(),
            });
        }
        index
    }

    fn close(&mut self, index: u32, out: &mut Vec<Out>) {
        match self.open.remove(&index) {
            None => return,
            Some(Open::Plain) => {}
            Some(Open::Redacted(data)) => out.push(Out::ContentBlockStart {
                index,
                content_block: OutputBlock::RedactedThinking {
                    data: base64::engine::general_purpose::STANDARD.encode(data),
                },
            }),
        }
        out.push(Out::ContentBlockStop { index });
    }
}

fn thinking_start() -> OutputBlock {
    OutputBlock::Thinking {
        thinking: String::new(),
        signature: String::new(),
    }
}

fn delta(index: u32, delta: BlockDelta) -> Out {
    Out::ContentBlockDelta { index, delta }
}

/// Folds Anthropic's stream events into the whole message, as the SDKs'
/// own accumulators do: for replies without `stream`.
#[derive(Debug)]
pub struct Assembler {
    message: Message,
    /// Tool input JSON per block, parsed when the block stops.
    partial_json: HashMap<u32, String>,
}

impl Assembler {
    pub fn new(id: String, model: String) -> Self {
        let Out::MessageStart { message } = message_start(id, model) else {
            unreachable!("message_start builds a MessageStart")
        };
        Self {
            message,
            partial_json: HashMap::new(),
        }
    }

    pub fn add(&mut self, event: Out) {
        match event {
            Out::ContentBlockStart { content_block, .. } => {
                self.message.content.push(content_block)
            }
            Out::ContentBlockDelta { index, delta } => {
                let Some(block) = self.message.content.get_mut(index as usize) else {
                    return;
                };
                match (block, delta) {
                    (OutputBlock::Text { text }, BlockDelta::Text { text: more }) => {
                        text.push_str(&more)
                    }
                    (
                        OutputBlock::Thinking { thinking, .. },
                        BlockDelta::Thinking { thinking: more },
                    ) => thinking.push_str(&more),
                    (
                        OutputBlock::Thinking { signature, .. },
                        BlockDelta::Signature { signature: more },
                    ) => signature.push_str(&more),
                    (OutputBlock::ToolUse { .. }, BlockDelta::InputJson { partial_json }) => self
                        .partial_json
                        .entry(index)
                        .or_default()
                        .push_str(&partial_json),
                    _ => {}
                }
            }
            Out::ContentBlockStop { index } => {
                let json = self.partial_json.remove(&index);
                if let (Some(OutputBlock::ToolUse { input, .. }), Some(json)) =
                    (self.message.content.get_mut(index as usize), json)
                {
                    // Bedrock streams whole JSON; anything else is kept as text.
                    *input = serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json));
                }
            }
            Out::MessageDelta { delta, usage } => {
                self.message.stop_reason = delta.stop_reason;
                self.message.stop_sequence = delta.stop_sequence;
                self.message.usage = usage;
            }
            Out::MessageStart { .. } | Out::Ping | Out::MessageStop => {}
        }
    }

    pub fn message(self) -> Message {
        self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_host::types::{
        RedactedDelta, SignatureDelta, StreamMetadata, TextDelta, ToolUseStart,
    };
    use serde_json::json;

    fn text(index: u32, text: &str) -> TextDelta {
        TextDelta {
            index,
            text: text.into(),
        }
    }

    fn stop(reason: StopReason, raw: &str) -> StreamEvent {
        StreamEvent::MessageStop(MessageStop {
            reason,
            raw_reason: raw.into(),
            additional_model_response_fields: None,
        })
    }

    fn translate(events: Vec<StreamEvent>) -> Vec<Out> {
        let mut translator = Translator::default();
        let mut out = Vec::new();
        for event in events {
            translator.step(event, &mut out);
        }
        translator.finish(&mut out);
        out
    }

    #[test]
    fn anthropic_streams_thinking_text_and_tools_as_anthropic_does() {
        let events = vec![
            StreamEvent::MessageStart(bedrock_host::types::Role::Assistant),
            StreamEvent::ReasoningDelta(text(0, "Hmm.")),
            StreamEvent::ReasoningSignature(SignatureDelta {
                index: 0,
                signature: "c2ln".into(),
            }),
            StreamEvent::BlockStop(0),
            StreamEvent::TextDelta(text(1, "Let me check.")),
            StreamEvent::BlockStop(1),
            StreamEvent::ToolUseStart(ToolUseStart {
                index: 2,
                id: "toolu_1".into(),
                name: "weather".into(),
            }),
            StreamEvent::ToolInputDelta(text(2, "{\"city\":")),
            StreamEvent::ToolInputDelta(text(2, "\"Paris\"}")),
            StreamEvent::BlockStop(2),
            stop(StopReason::ToolUse, "tool_use"),
            StreamEvent::Metadata(StreamMetadata {
                usage: Some(bedrock_host::types::Usage {
                    input_tokens: 10,
                    output_tokens: 5,
                    total_tokens: 19,
                    cache_read_tokens: Some(3),
                    cache_write_tokens: Some(1),
                    cache_write_details: vec![],
                }),
                latency_ms: None,
                service_tier: None,
                guardrail_trace: None,
            }),
        ];
        let out = translate(events);
        let wire: Vec<_> = out
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect();
        assert_eq!(
            wire,
            vec![
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm."}}),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "c2ln"}}),
                json!({"type": "content_block_stop", "index": 0}),
                json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Let me check."}}),
                json!({"type": "content_block_stop", "index": 1}),
                json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}}),
                json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"city\":"}}),
                json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "\"Paris\"}"}}),
                json!({"type": "content_block_stop", "index": 2}),
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
                       "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 1, "cache_read_input_tokens": 3}}),
                json!({"type": "message_stop"}),
            ]
        );
        assert_eq!(out[0].name(), "content_block_start");
        assert_eq!(out[12].name(), "message_stop");

        let mut assembler = Assembler::new("msg_1".into(), "m".into());
        out.into_iter().for_each(|e| assembler.add(e));
        assert_eq!(
            serde_json::to_value(assembler.message()).unwrap(),
            json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
                   "content": [
                       {"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"},
                       {"type": "text", "text": "Let me check."},
                       {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}],
                   "stop_reason": "tool_use", "stop_sequence": null,
                   "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 1, "cache_read_input_tokens": 3}})
        );
    }

    #[test]
    fn anthropic_sends_redacted_thinking_whole_and_closes_open_blocks() {
        let out = translate(vec![
            StreamEvent::ReasoningRedacted(RedactedDelta {
                index: 3,
                data: vec![1, 2],
            }),
            StreamEvent::ReasoningRedacted(RedactedDelta {
                index: 3,
                data: vec![255],
            }),
            StreamEvent::BlockStop(3),
            // A recorded stream that never stops its text block.
            StreamEvent::TextDelta(text(4, "Hi")),
            stop(StopReason::ContentFiltered, "guardrail_intervened"),
        ]);
        assert_eq!(
            out[0],
            Out::ContentBlockStart {
                index: 0,
                content_block: OutputBlock::RedactedThinking {
                    data: base64::engine::general_purpose::STANDARD.encode([1, 2, 255])
                }
            }
        );
        assert_eq!(out[1], Out::ContentBlockStop { index: 0 });
        assert_eq!(out[4], Out::ContentBlockStop { index: 1 });
        let Out::MessageDelta { delta, .. } = &out[5] else {
            panic!("{out:?}")
        };
        assert_eq!(delta.stop_reason, Some("refusal"));
    }

    #[test]
    fn anthropic_stop_reasons() {
        let reason = |reason, raw: &str| {
            stop_reason(&MessageStop {
                reason,
                raw_reason: raw.into(),
                additional_model_response_fields: Some(r#"{"stop_sequence":"END"}"#.into()),
            })
        };
        assert_eq!(reason(StopReason::Stop, "end_turn"), "end_turn");
        assert_eq!(reason(StopReason::Stop, "stop_sequence"), "stop_sequence");
        assert_eq!(reason(StopReason::Length, "max_tokens"), "max_tokens");
        assert_eq!(reason(StopReason::Length, "length"), "max_tokens");
        assert_eq!(reason(StopReason::ToolUse, "tool_calls"), "tool_use");
        assert_eq!(
            reason(StopReason::ContentFiltered, "content_filtered"),
            "refusal"
        );
        assert_eq!(reason(StopReason::Stop, "stop"), "end_turn");
        let out = translate(vec![StreamEvent::MessageStop(MessageStop {
            reason: StopReason::Stop,
            raw_reason: "stop_sequence".into(),
            additional_model_response_fields: Some(r#"{"stop_sequence":"END"}"#.into()),
        })]);
        assert_eq!(
            out[0],
            Out::MessageDelta {
                delta: MessageDelta {
                    stop_reason: Some("stop_sequence"),
                    stop_sequence: Some("END".into())
                },
                usage: Usage::default()
            }
        );
        let stopped = |sequences: &[String]| {
            let mut translator = Translator::new(sequences);
            let mut out = Vec::new();
            translator.step(stop(StopReason::Stop, "stop_sequence"), &mut out);
            translator.finish(&mut out);
            match &out[0] {
                Out::MessageDelta { delta, .. } => delta.stop_sequence.clone(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            stopped(&["STOP".into()]),
            Some("STOP".into()),
            "the only one"
        );
        assert_eq!(stopped(&["A".into(), "B".into()]), None, "unknown which");
    }
}
