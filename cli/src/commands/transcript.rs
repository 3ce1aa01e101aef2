//! The assistant's turn rebuilt from a reply's events, so that `chat
//! --interactive` can send it back as history: text, thinking with its
//! signature (models that verify their own thinking refuse a turn without
//! it), redacted thinking as it came, and tool calls with their input.

use bedrock_host::types::{ContentBlock, Message, ReasoningBlock, Role, StreamEvent, ToolUseBlock};
use std::collections::BTreeMap;

/// The content blocks of one reply, by their index in the stream.
#[derive(Default)]
pub struct Transcript {
    blocks: BTreeMap<u32, Block>,
}

enum Block {
    Text(String),
    Reasoning {
        text: String,
        signature: Option<String>,
    },
    Redacted(Vec<u8>),
    ToolUse {
        id: String,
        name: String,
        input: String,
    },
}

impl Transcript {
    pub fn record(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::TextDelta(delta) => {
                if let Block::Text(text) = self.block(delta.index, || Block::Text(String::new())) {
                    text.push_str(&delta.text);
                }
            }
            StreamEvent::ReasoningDelta(delta) => {
                if let Block::Reasoning { text, .. } = self.block(delta.index, Self::reasoning) {
                    text.push_str(&delta.text);
                }
            }
            StreamEvent::ReasoningSignature(delta) => {
                if let Block::Reasoning { signature, .. } = self.block(delta.index, Self::reasoning)
                {
                    signature.get_or_insert_default().push_str(&delta.signature);
                }
            }
            StreamEvent::ReasoningRedacted(delta) => {
                if let Block::Redacted(data) =
                    self.block(delta.index, || Block::Redacted(Vec::new()))
                {
                    data.extend_from_slice(&delta.data);
                }
            }
            StreamEvent::ToolUseStart(start) => {
                self.blocks.insert(
                    start.index,
                    Block::ToolUse {
                        id: start.id.clone(),
                        name: start.name.clone(),
                        input: String::new(),
                    },
                );
            }
            StreamEvent::ToolInputDelta(delta) => {
                if let Some(Block::ToolUse { input, .. }) = self.blocks.get_mut(&delta.index) {
                    input.push_str(&delta.text);
                }
            }
            _ => {}
        }
    }

    fn reasoning() -> Block {
        Block::Reasoning {
            text: String::new(),
            signature: None,
        }
    }

    fn block(&mut self, index: u32, new: impl FnOnce() -> Block) -> &mut Block {
        self.blocks.entry(index).or_insert_with(new)
    }

    /// The assistant message, or `None` when the reply had no content.
    pub fn into_message(self) -> Option<Message> {
        let content: Vec<ContentBlock> = self
            .blocks
            .into_values()
            .map(|block| match block {
                Block::Text(text) => ContentBlock::Text(text),
                Block::Reasoning { text, signature } => {
                    ContentBlock::Reasoning(ReasoningBlock { text, signature })
                }
                Block::Redacted(data) => ContentBlock::RedactedReasoning(data),
                // A tool called with no input at all sends `{}`.
                Block::ToolUse { id, name, input } => ContentBlock::ToolUse(ToolUseBlock {
                    id,
                    name,
                    input_json: if input.is_empty() { "{}".into() } else { input },
                }),
            })
            .collect();
        (!content.is_empty()).then_some(Message {
            role: Role::Assistant,
            content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_host::types::{RedactedDelta, SignatureDelta, TextDelta, ToolUseStart};

    fn text(index: u32, text: &str) -> TextDelta {
        TextDelta {
            index,
            text: text.into(),
        }
    }

    #[test]
    fn rebuilds_every_kind_of_block_in_index_order() {
        let mut transcript = Transcript::default();
        for event in [
            StreamEvent::ReasoningDelta(text(0, "Let me ")),
            StreamEvent::ReasoningDelta(text(0, "think.")),
            StreamEvent::ReasoningSignature(SignatureDelta {
                index: 0,
                signature: "sig".into(),
            }),
            StreamEvent::ReasoningRedacted(RedactedDelta {
                index: 1,
                data: vec![1, 2],
            }),
            StreamEvent::TextDelta(text(2, "Hello")),
            StreamEvent::TextDelta(text(2, ", world")),
            StreamEvent::ToolUseStart(ToolUseStart {
                index: 4,
                id: "t1".into(),
                name: "noop".into(),
            }),
            StreamEvent::ToolUseStart(ToolUseStart {
                index: 3,
                id: "t0".into(),
                name: "get".into(),
            }),
            StreamEvent::ToolInputDelta(text(3, "{\"a\":")),
            StreamEvent::ToolInputDelta(text(3, "1}")),
            StreamEvent::BlockStop(3),
        ] {
            transcript.record(&event);
        }
        let message = transcript.into_message().unwrap();
        assert_eq!(message.role, Role::Assistant);
        assert_eq!(
            message.content,
            vec![
                ContentBlock::Reasoning(ReasoningBlock {
                    text: "Let me think.".into(),
                    signature: Some("sig".into())
                }),
                ContentBlock::RedactedReasoning(vec![1, 2]),
                ContentBlock::Text("Hello, world".into()),
                ContentBlock::ToolUse(ToolUseBlock {
                    id: "t0".into(),
                    name: "get".into(),
                    input_json: "{\"a\":1}".into()
                }),
                ContentBlock::ToolUse(ToolUseBlock {
                    id: "t1".into(),
                    name: "noop".into(),
                    input_json: "{}".into()
                }),
            ]
        );
    }

    #[test]
    fn an_empty_reply_is_no_message() {
        let mut transcript = Transcript::default();
        transcript.record(&StreamEvent::BlockStop(0));
        assert!(transcript.into_message().is_none());
    }
}
