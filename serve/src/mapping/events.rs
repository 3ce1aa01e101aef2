//! The contract's stream events back to OpenAI deltas and whole messages:
//! pure functions over the types, tested here without a component or a
//! socket.

use crate::openai::{
    self, Delta, FunctionCall, FunctionDelta, PromptTokensDetails, ToolCall, ToolCallDelta,
};
use bedrock_host::types::{StopReason, StreamEvent, Usage};
use std::collections::HashMap;

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

/// Follows one reply's events: numbers tool calls as OpenAI does (0, 1, ...
/// in order of appearance, whatever Bedrock's block index) and keeps the usage.
#[derive(Debug, Default)]
pub struct Turn {
    /// Bedrock block index → OpenAI tool call index.
    tools: HashMap<u32, u32>,
    role_sent: bool,
    pub usage: Option<openai::Usage>,
}

impl Turn {
    pub fn step(&mut self, event: StreamEvent) -> Option<Piece> {
        let mut delta = match event {
            StreamEvent::MessageStart(_) => Delta {
                content: Some(String::new()),
                ..Delta::default()
            },
            StreamEvent::TextDelta(d) => Delta {
                content: Some(d.text),
                ..Delta::default()
            },
            StreamEvent::ReasoningDelta(d) => Delta {
                reasoning_content: Some(d.text),
                ..Delta::default()
            },
            StreamEvent::ToolUseStart(start) => {
                let index = self.tools.len() as u32;
                self.tools.insert(start.index, index);
                let call = ToolCallDelta {
                    index,
                    id: Some(start.id),
                    kind: Some("function"),
                    function: FunctionDelta {
                        name: Some(start.name),
                        arguments: String::new(),
                    },
                };
                Delta {
                    tool_calls: vec![call],
                    ..Delta::default()
                }
            }
            StreamEvent::ToolInputDelta(d) => {
                let index = *self.tools.get(&d.index)?;
                let call = ToolCallDelta {
                    index,
                    id: None,
                    kind: None,
                    function: FunctionDelta {
                        name: None,
                        arguments: d.text,
                    },
                };
                Delta {
                    tool_calls: vec![call],
                    ..Delta::default()
                }
            }
            StreamEvent::MessageStop(stop) => {
                return Some(Piece::Finish(finish_reason(stop.reason)));
            }
            StreamEvent::Metadata(metadata) => {
                if let Some(u) = &metadata.usage {
                    self.usage = Some(usage(u));
                }
                return None;
            }
            // Signatures, redacted reasoning, citations, block ends and
            // whatever a newer contract adds have no place in OpenAI's shape.
            _ => return None,
        };
        // The first delta names the role, whichever event it comes from
        // (recorded streams may start without a message start).
        if !self.role_sent {
            self.role_sent = true;
            delta.role = Some("assistant");
        }
        Some(Piece::Delta(delta))
    }
}

/// Folds a reply's deltas into one assistant message, for non-streaming answers.
#[derive(Debug, Default)]
pub struct Collector {
    content: String,
    reasoning: String,
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
        let pieces: Vec<Piece> = events.into_iter().filter_map(|e| turn.step(e)).collect();
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
            if let Some(piece) = turn.step(event) {
                collector.add(piece);
            }
        }
        assert_eq!(collector.finish_reason, Some("length"));
        let message = serde_json::to_value(collector.message()).unwrap();
        assert_eq!(
            message,
            json!({"role": "assistant", "content": "Hello world", "reasoning_content": "Think", "refusal": null})
        );
        assert_eq!(finish_reason(StopReason::ContentFiltered), "content_filter");
        assert_eq!(finish_reason(StopReason::Stop), "stop");
    }
}
