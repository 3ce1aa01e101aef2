//! The conversation as Bedrock accepts it.
//!
//! A gateway's history is shaped by other providers and by interrupted
//! turns; Bedrock is strict about what it takes. Every rule here turns a
//! ValidationException the caller cannot act on into a conversation that
//! means the same thing:
//!
//! * blocks that carry nothing are dropped ([`content`](super::content)), then
//!   turns left empty (an aborted assistant turn, an empty user turn);
//! * consecutive turns of one role are merged: Bedrock wants the roles to
//!   alternate, and a gateway sends each tool result as its own turn;
//! * in a user turn, tool results come first: Claude refuses a tool result
//!   that follows other content in its turn;
//! * a tool call that the next turn leaves unanswered (the user spoke
//!   instead) gets an error result saying so, as the gateway's own library
//!   does: Bedrock refuses a tool call without its result. A tool call in the
//!   last turn is left alone.
//!
//! What cannot be fixed without guessing is refused with `invalid-request`:
//! a conversation with no content, or one that starts with the assistant.

use super::content::{self, Replay};
use crate::error::Error;
use crate::types::{Message, Role};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashSet;

/// What a synthetic result says.
pub const NO_RESULT: &str = "No result was provided for this tool call.";

/// One Converse `Message`.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct MessageJson {
    pub role: &'static str,
    pub content: Vec<Value>,
}

/// Maps and normalises `messages`.
pub fn messages(messages: &[Message], replay: Replay) -> Result<Vec<MessageJson>, Error> {
    let mut out: Vec<MessageJson> = Vec::with_capacity(messages.len());
    for message in messages {
        let role = match message.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        let mut content = Vec::with_capacity(message.content.len());
        for block in &message.content {
            content.extend(content::block(block, replay)?);
        }
        match out.last_mut() {
            _ if content.is_empty() => {}
            Some(last) if last.role == role => last.content.extend(content),
            _ => out.push(MessageJson { role, content }),
        }
    }
    for message in out.iter_mut().filter(|m| m.role == "user") {
        // A stable sort: results keep their order, and so does the rest.
        message
            .content
            .sort_by_key(|block| block.get("toolResult").is_none());
    }
    answer_orphaned_calls(&mut out);
    match out.first() {
        None => Err(Error::InvalidRequest(
            "the conversation has no content: every message is empty".into(),
        )),
        Some(first) if first.role != "user" => Err(Error::InvalidRequest(
            "the conversation must start with a user message (Bedrock refuses one that starts with the assistant)"
                .into(),
        )),
        Some(_) => Ok(out),
    }
}

/// Gives every tool call an answer in the turn that follows it.
fn answer_orphaned_calls(messages: &mut [MessageJson]) {
    for i in 1..messages.len() {
        let (before, after) = messages.split_at_mut(i);
        let (call_turn, answer_turn) = (&before[i - 1], &mut after[0]);
        if call_turn.role != "assistant" {
            continue;
        }
        let answered: HashSet<&str> = answer_turn
            .content
            .iter()
            .filter_map(|b| b.pointer("/toolResult/toolUseId")?.as_str())
            .collect();
        let missing: Vec<Value> = call_turn
            .content
            .iter()
            .filter_map(|b| b.pointer("/toolUse/toolUseId")?.as_str())
            .filter(|id| !answered.contains(id))
            .map(|id| {
                json!({ "toolResult": { "toolUseId": id, "content": [{ "text": NO_RESULT }], "status": "error" } })
            })
            .collect();
        // After the results that are there, before anything else.
        let at = answer_turn
            .content
            .iter()
            .take_while(|b| b.get("toolResult").is_some())
            .count();
        answer_turn.content.splice(at..at, missing);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{
        ContentBlock, ReasoningBlock, ToolResultBlock, ToolResultContent, ToolUseBlock,
    };

    fn text(role: Role, text: &str) -> Message {
        Message {
            role,
            content: vec![ContentBlock::Text(text.into())],
        }
    }

    fn call(id: &str) -> ContentBlock {
        ContentBlock::ToolUse(ToolUseBlock {
            id: id.into(),
            name: "w".into(),
            input_json: "{}".into(),
        })
    }

    fn result(id: &str) -> ContentBlock {
        ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: id.into(),
            content: vec![ToolResultContent::Text(format!("result {id}"))],
            is_error: false,
        })
    }

    fn map(messages: &[Message]) -> Vec<MessageJson> {
        super::messages(messages, Replay::Signed).unwrap()
    }

    #[test]
    fn consecutive_tool_results_become_one_user_turn() {
        let out = map(&[
            text(Role::User, "weather in two cities?"),
            Message {
                role: Role::Assistant,
                content: vec![call("a"), call("b")],
            },
            Message {
                role: Role::User,
                content: vec![result("a")],
            },
            Message {
                role: Role::User,
                content: vec![result("b")],
            },
        ]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[2].role, "user");
        let ids: Vec<_> = out[2]
            .content
            .iter()
            .map(|b| b["toolResult"]["toolUseId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn same_role_turns_are_merged() {
        let out = map(&[
            text(Role::User, "one"),
            text(Role::User, "two"),
            text(Role::Assistant, "three"),
            text(Role::Assistant, "four"),
        ]);
        assert_eq!(
            out,
            [
                MessageJson {
                    role: "user",
                    content: vec![json!({"text": "one"}), json!({"text": "two"})]
                },
                MessageJson {
                    role: "assistant",
                    content: vec![json!({"text": "three"}), json!({"text": "four"})]
                },
            ]
        );
    }

    #[test]
    fn empty_turns_are_dropped_and_their_neighbours_merged() {
        let out = map(&[
            text(Role::User, "hi"),
            Message {
                role: Role::Assistant,
                content: vec![],
            },
            text(Role::User, "again"),
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentBlock::Text("  ".into()),
                    ContentBlock::Text("".into()),
                ],
            },
            Message {
                role: Role::Assistant,
                // Unsigned, blank thinking carries nothing either.
                content: vec![ContentBlock::Reasoning(ReasoningBlock {
                    text: " ".into(),
                    signature: None,
                })],
            },
            text(Role::User, "hello?"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].content.len(), 3);
    }

    #[test]
    fn tool_results_go_first_in_their_turn() {
        let out = map(&[
            text(Role::User, "go"),
            Message {
                role: Role::Assistant,
                content: vec![call("a")],
            },
            text(Role::User, "also, hurry"),
            Message {
                role: Role::User,
                content: vec![result("a")],
            },
        ]);
        assert_eq!(out[2].content[0]["toolResult"]["toolUseId"], "a");
        assert_eq!(out[2].content[1]["text"], "also, hurry");
    }

    #[test]
    fn unanswered_calls_get_an_error_result() {
        let out = map(&[
            text(Role::User, "go"),
            Message {
                role: Role::Assistant,
                content: vec![call("a"), call("b")],
            },
            Message {
                role: Role::User,
                content: vec![result("b"), ContentBlock::Text("never mind".into())],
            },
        ]);
        let turn = &out[2].content;
        assert_eq!(turn[0]["toolResult"]["toolUseId"], "b");
        assert_eq!(
            turn[1],
            json!({"toolResult": {"toolUseId": "a", "content": [{"text": NO_RESULT}], "status": "error"}})
        );
        assert_eq!(turn[2]["text"], "never mind");

        // A call in the last turn is the caller's business.
        let out = map(&[
            text(Role::User, "go"),
            Message {
                role: Role::Assistant,
                content: vec![call("a")],
            },
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].content.len(), 1);
    }

    #[test]
    fn unanswerable_conversations_are_refused() {
        let Err(Error::InvalidRequest(m)) = messages(&[text(Role::User, " ")], Replay::Signed)
        else {
            panic!()
        };
        assert!(m.contains("no content"), "{m}");
        let Err(Error::InvalidRequest(m)) = messages(&[], Replay::Signed) else {
            panic!()
        };
        assert!(m.contains("no content"), "{m}");
        let Err(Error::InvalidRequest(m)) = messages(
            &[text(Role::Assistant, "I start"), text(Role::User, "ok")],
            Replay::Signed,
        ) else {
            panic!()
        };
        assert!(m.contains("start with a user message"), "{m}");
    }
}
