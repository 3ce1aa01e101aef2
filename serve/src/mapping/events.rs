//! The contract's stream events back to OpenAI deltas and whole messages:
//! pure functions over the types, tested here without a component or a
//! socket.

use super::reasoning::{reasoning_detail, thinking_block};
use crate::openai::{
    self, Delta, FunctionCall, FunctionDelta, PromptTokensDetails, ThinkingBlock, ToolCall,
    ToolCallDelta,
};
use bedrock_host::types::{StopReason, StreamEvent, Usage};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// OpenAI's `finish_reason` for a stop. `error` has no OpenAI counterpart:
/// the model stopped, so `stop`.
pub fn finish_reason(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Stop | StopReason::Error => "stop",
        StopReason::Length => "length",
        StopReason::ToolUse => "tool_calls",
        StopReason::ContentFiltered => "content_filter",
    }
}

/// OpenAI counts cached prompt tokens inside `prompt_tokens`; Bedrock counts
/// cache reads and writes apart from `inputTokens`.
pub fn usage(usage: &Usage) -> openai::Usage {
    let cached = usage.cache_read_tokens.unwrap_or(0);
    let written = usage.cache_write_tokens.unwrap_or(0);
    let prompt = usage
        .input_tokens
        .saturating_add(cached)
        .saturating_add(written);
    openai::Usage {
        prompt_tokens: prompt,
        completion_tokens: usage.output_tokens,
        total_tokens: prompt.saturating_add(usage.output_tokens),
        prompt_tokens_details: PromptTokensDetails {
            cached_tokens: cached,
            cache_write_tokens: written,
        },
    }
}

/// What one stream event adds to the reply.
#[derive(Debug, PartialEq)]
pub enum Piece {
    Delta(Delta),
    Finish(&'static str),
}

/// A reasoning block still streaming.
#[derive(Debug, Default)]
struct OpenReasoning {
    text: String,
    signature: Option<String>,
    redacted: Vec<u8>,
}

/// Follows one reply's events: numbers tool calls as OpenAI does (0, 1, ...
/// in order of appearance, whatever Bedrock's block index), gathers each
/// reasoning block with its signature (see [`super::reasoning`]) and keeps
/// the usage.
#[derive(Debug, Default)]
pub struct Turn {
    /// Bedrock block index → OpenAI tool call index.
    tools: HashMap<u32, u32>,
    /// Reasoning blocks not yet ended, by Bedrock block index.
    reasoning: BTreeMap<u32, OpenReasoning>,
    /// The reply's ended reasoning blocks, for `reasoning_details`.
    thinking: Vec<ThinkingBlock>,
    role_sent: bool,
    pub usage: Option<openai::Usage>,
}

impl Turn {
    /// What `event` adds: usually one piece, none for events OpenAI's shape
    /// has no place for, two when it also ends reasoning blocks.
    pub fn step(&mut self, event: StreamEvent) -> Vec<Piece> {
        let mut pieces = Vec::new();
        match event {
            StreamEvent::MessageStart(_) => pieces.push(Piece::Delta(Delta {
                content: Some(String::new()),
                ..Delta::default()
            })),
            StreamEvent::TextDelta(d) => pieces.push(Piece::Delta(Delta {
                content: Some(d.text),
                ..Delta::default()
            })),
            StreamEvent::ReasoningDelta(d) => {
                self.reasoning
                    .entry(d.index)
                    .or_default()
                    .text
                    .push_str(&d.text);
                pieces.push(Piece::Delta(Delta {
                    reasoning_content: Some(d.text),
                    ..Delta::default()
                }));
            }
            StreamEvent::ReasoningSignature(s) => {
                let open = self.reasoning.entry(s.index).or_default();
                open.signature
                    .get_or_insert_default()
                    .push_str(&s.signature);
            }
            StreamEvent::ReasoningRedacted(r) => {
                let open = self.reasoning.entry(r.index).or_default();
                open.redacted.extend_from_slice(&r.data);
            }
            StreamEvent::BlockStop(index) => {
                if let Some(open) = self.reasoning.remove(&index) {
                    pieces.extend(self.end_reasoning(vec![open]));
                }
            }
            StreamEvent::ToolUseStart(start) => {
                // A stream without block stops still gets its reasoning
                // ended before the call it led to.
                let open = std::mem::take(&mut self.reasoning);
                pieces.extend(self.end_reasoning(open.into_values().collect()));
                let index = self.tools.len() as u32;
                self.tools.insert(start.index, index);
                let reasoning_details = if index == 0 && !self.thinking.is_empty() {
                    vec![reasoning_detail(&self.thinking, &start.id)]
                } else {
                    Vec::new()
                };
                let call = ToolCallDelta {
                    index,
                    id: Some(start.id),
                    kind: Some("function"),
                    function: FunctionDelta {
                        name: Some(start.name),
                        arguments: String::new(),
                    },
                };
                pieces.push(Piece::Delta(Delta {
                    tool_calls: vec![call],
                    reasoning_details,
                    ..Delta::default()
                }));
            }
            StreamEvent::ToolInputDelta(d) => {
                if let Some(&index) = self.tools.get(&d.index) {
                    let call = ToolCallDelta {
                        index,
                        id: None,
                        kind: None,
                        function: FunctionDelta {
                            name: None,
                            arguments: d.text,
                        },
                    };
                    pieces.push(Piece::Delta(Delta {
                        tool_calls: vec![call],
                        ..Delta::default()
                    }));
                }
            }
            StreamEvent::MessageStop(stop) => {
                let open = std::mem::take(&mut self.reasoning);
                pieces.extend(self.end_reasoning(open.into_values().collect()));
                pieces.push(Piece::Finish(finish_reason(stop.reason)));
            }
            StreamEvent::Metadata(metadata) => {
                if let Some(u) = &metadata.usage {
                    self.usage = Some(usage(u));
                }
            }
            // Citations and whatever a newer contract adds have no place in
            // OpenAI's shape.
            _ => {}
        }
        // The first delta names the role, whichever event it comes from
        // (recorded streams may start without a message start).
        if !self.role_sent
            && let Some(Piece::Delta(delta)) = pieces.first_mut()
        {
            self.role_sent = true;
            delta.role = Some("assistant");
        }
        pieces
    }

    /// The delta that hands ended reasoning blocks to the client, if any.
    fn end_reasoning(&mut self, ended: Vec<OpenReasoning>) -> Option<Piece> {
        let blocks: Vec<ThinkingBlock> = ended
            .into_iter()
            .map(|open| thinking_block(open.text, open.signature, &open.redacted))
            .collect();
        if blocks.is_empty() {
            return None;
        }
        self.thinking.extend(blocks.iter().cloned());
        Some(Piece::Delta(Delta {
            thinking_blocks: blocks,
            ..Delta::default()
        }))
    }
}

/// Folds a reply's deltas into one assistant message, for non-streaming answers.
#[derive(Debug, Default)]
pub struct Collector {
    content: String,
    reasoning: String,
    thinking_blocks: Vec<ThinkingBlock>,
    reasoning_details: Vec<Value>,
    tool_calls: Vec<ToolCall>,
    pub finish_reason: Option<&'static str>,
}

impl Collector {
    pub fn add(&mut self, piece: Piece) {
        let delta = match piece {
            Piece::Finish(reason) => {
                self.finish_reason = Some(reason);
                return;
            }
            Piece::Delta(delta) => delta,
        };
        self.content.extend(delta.content);
        self.reasoning.extend(delta.reasoning_content);
        self.thinking_blocks.extend(delta.thinking_blocks);
        self.reasoning_details.extend(delta.reasoning_details);
        for call in delta.tool_calls {
            let index = call.index as usize;
            if index == self.tool_calls.len() {
                self.tool_calls.push(ToolCall {
                    id: call.id.unwrap_or_default(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: call.function.name.unwrap_or_default(),
                        arguments: String::new(),
                    },
                });
            }
            if let Some(existing) = self.tool_calls.get_mut(index) {
                existing
                    .function
                    .arguments
                    .push_str(&call.function.arguments);
            }
        }
    }

    pub fn message(self) -> openai::AssistantMessage {
        // OpenAI answers `content: null` when the reply is only tool calls.
        let content = if self.content.is_empty() && !self.tool_calls.is_empty() {
            None
        } else {
            Some(self.content)
        };
        let tool_calls = self
            .tool_calls
            .into_iter()
            .map(|mut call| {
                if call.function.arguments.is_empty() {
                    call.function.arguments = "{}".into();
                }
                call
            })
            .collect();
        openai::AssistantMessage {
            role: "assistant",
            content,
            reasoning_content: (!self.reasoning.is_empty()).then_some(self.reasoning),
            thinking_blocks: self.thinking_blocks,
            reasoning_details: self.reasoning_details,
            tool_calls,
            refusal: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_host::types::{MessageStop, Role, StreamMetadata, TextDelta, ToolUseStart};
    use serde_json::json;

    fn text(index: u32, text: &str) -> TextDelta {
        TextDelta {
            index,
            text: text.into(),
        }
    }

    fn stop(reason: StopReason) -> StreamEvent {
        StreamEvent::MessageStop(MessageStop {
            reason,
            raw_reason: String::new(),
            additional_model_response_fields: None,
        })
    }

    #[test]
    fn serve_streams_tool_calls_as_openai_does() {
        let mut turn = Turn::default();
        let events = vec![
            StreamEvent::TextDelta(text(0, "Let me check.")),
            StreamEvent::BlockStop(0),
            StreamEvent::ToolUseStart(ToolUseStart {
                index: 1,
                id: "t1".into(),
                name: "weather".into(),
            }),
            StreamEvent::ToolInputDelta(text(1, "{\"city\":")),
            StreamEvent::ToolInputDelta(text(1, "\"Paris\"}")),
            StreamEvent::ToolUseStart(ToolUseStart {
                index: 2,
                id: "t2".into(),
                name: "time".into(),
            }),
            stop(StopReason::ToolUse),
            StreamEvent::Metadata(StreamMetadata {
                usage: Some(Usage {
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
        let pieces: Vec<Piece> = events.into_iter().flat_map(|e| turn.step(e)).collect();
        assert_eq!(pieces.len(), 6);
        let Piece::Delta(first) = &pieces[0] else {
            panic!("{pieces:?}")
        };
        assert_eq!(first.role, Some("assistant"));
        assert_eq!(first.content.as_deref(), Some("Let me check."));
        let Piece::Delta(start) = &pieces[1] else {
            panic!("{pieces:?}")
        };
        assert_eq!(start.role, None);
        assert_eq!(
            start.tool_calls,
            vec![ToolCallDelta {
                index: 0,
                id: Some("t1".into()),
                kind: Some("function"),
                function: FunctionDelta {
                    name: Some("weather".into()),
                    arguments: String::new()
                },
            }]
        );
        let Piece::Delta(fragment) = &pieces[2] else {
            panic!("{pieces:?}")
        };
        assert_eq!(
            serde_json::to_value(fragment).unwrap(),
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]})
        );
        assert_eq!(pieces[5], Piece::Finish("tool_calls"));
        assert_eq!(
            turn.usage,
            Some(openai::Usage {
                prompt_tokens: 14,
                completion_tokens: 5,
                total_tokens: 19,
                prompt_tokens_details: PromptTokensDetails {
                    cached_tokens: 3,
                    cache_write_tokens: 1
                },
            })
        );

        let mut collector = Collector::default();
        pieces.into_iter().for_each(|p| collector.add(p));
        assert_eq!(collector.finish_reason, Some("tool_calls"));
        let message = collector.message();
        assert_eq!(message.content.as_deref(), Some("Let me check."));
        assert_eq!(message.tool_calls.len(), 2);
        assert_eq!(message.tool_calls[0].id, "t1");
        assert_eq!(
            message.tool_calls[0].function.arguments,
            "{\"city\":\"Paris\"}"
        );
        assert_eq!(message.tool_calls[1].function.name, "time");
        assert_eq!(message.tool_calls[1].function.arguments, "{}");
    }

    #[test]
    fn serve_collects_text_and_reasoning() {
        let mut turn = Turn::default();
        let mut collector = Collector::default();
        for event in [
            StreamEvent::MessageStart(Role::Assistant),
            StreamEvent::ReasoningDelta(text(0, "Think")),
            StreamEvent::TextDelta(text(1, "Hello ")),
            StreamEvent::TextDelta(text(1, "world")),
            stop(StopReason::Length),
        ] {
            turn.step(event)
                .into_iter()
                .for_each(|piece| collector.add(piece));
        }
        assert_eq!(collector.finish_reason, Some("length"));
        let message = serde_json::to_value(collector.message()).unwrap();
        assert_eq!(
            message,
            json!({"role": "assistant", "content": "Hello world", "reasoning_content": "Think",
                   "thinking_blocks": [{"type": "thinking", "thinking": "Think"}], "refusal": null}),
            "a block without a block stop still ends with the message"
        );
        assert_eq!(finish_reason(StopReason::ContentFiltered), "content_filter");
        assert_eq!(finish_reason(StopReason::Stop), "stop");
    }

    #[test]
    fn serve_hands_signed_and_redacted_thinking_to_the_client() {
        use bedrock_host::types::{RedactedDelta, SignatureDelta};
        let mut turn = Turn::default();
        let events = vec![
            StreamEvent::ReasoningDelta(text(0, "Let me ")),
            StreamEvent::ReasoningDelta(text(0, "think.")),
            StreamEvent::ReasoningSignature(SignatureDelta {
                index: 0,
                signature: "c2ln".into(),
            }),
            StreamEvent::BlockStop(0),
            StreamEvent::ReasoningRedacted(RedactedDelta {
                index: 1,
                data: vec![0, 1, 2],
            }),
            StreamEvent::BlockStop(1),
            StreamEvent::ToolUseStart(ToolUseStart {
                index: 2,
                id: "t1".into(),
                name: "weather".into(),
            }),
            StreamEvent::ToolUseStart(ToolUseStart {
                index: 3,
                id: "t2".into(),
                name: "time".into(),
            }),
            stop(StopReason::ToolUse),
        ];
        let pieces: Vec<Piece> = events.into_iter().flat_map(|e| turn.step(e)).collect();
        let deltas: Vec<serde_json::Value> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Delta(d) => Some(serde_json::to_value(d).unwrap()),
                Piece::Finish(_) => None,
            })
            .collect();
        let signed = json!({"type": "thinking", "thinking": "Let me think.", "signature": "c2ln"});
        let redacted = json!({"type": "redacted_thinking", "data": "AAEC"});
        assert_eq!(deltas[0]["role"], "assistant");
        assert_eq!(
            deltas[2],
            json!({"thinking_blocks": [signed]}),
            "{deltas:?}"
        );
        assert_eq!(deltas[3], json!({"thinking_blocks": [redacted]}));
        let detail = &deltas[4]["reasoning_details"];
        assert_eq!(detail[0]["id"], "t1", "on the first call: {deltas:?}");
        assert_eq!(deltas[4]["tool_calls"][0]["id"], "t1");
        assert!(deltas[5].get("reasoning_details").is_none(), "once");

        let mut collector = Collector::default();
        pieces.into_iter().for_each(|p| collector.add(p));
        let message = collector.message();
        assert_eq!(message.reasoning_content.as_deref(), Some("Let me think."));
        assert_eq!(
            serde_json::to_value(&message.thinking_blocks).unwrap(),
            json!([signed, redacted])
        );
        let back = super::super::reasoning::assistant_reasoning(
            None,
            None,
            Some(message.reasoning_details),
        )
        .unwrap();
        assert_eq!(back.len(), 2, "the details carry both blocks: {back:?}");
    }
}
