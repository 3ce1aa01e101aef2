//! Tool definitions and the tool choice.
//!
//! Tool names cannot be rewritten the way tool-call ids are: the model
//! answers with the name it was given, and the gateway looks its tool up by
//! that name. A name Bedrock would refuse (`[a-zA-Z0-9_-]{1,64}`) is
//! therefore an `invalid-request` naming it, as is a tool choice naming a
//! tool that is not defined.
//!
//! Tool choice `none` has no Bedrock equivalent (`ToolChoice` is `auto`,
//! `any` or `tool`). When no turn of the conversation holds a tool call or
//! result, the tools are left out altogether and the model cannot call one.
//! When one does, Bedrock refuses the request without a `toolConfig`, so the
//! tools are sent with no choice (the model's default, `auto`): the model
//! could still ask for a tool, which the gateway then declines. Replacing
//! the tool blocks of the history with text would guarantee no call, but it
//! breaks Claude's thinking signatures, which cover those blocks.

use super::content::parse_object;
use super::conversation::MessageJson;
use crate::error::Error;
use crate::types::{ConverseRequest, ToolChoice};
use serde::Serialize;
use serde_json::{Value, json};

/// Longest tool name Bedrock accepts.
const MAX_NAME_LEN: usize = 64;

/// `toolConfig`.
#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    pub tools: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
}

/// The `toolConfig` for `request`, whose mapped turns are `messages`.
pub fn tool_config(
    request: &ConverseRequest,
    messages: &[MessageJson],
) -> Result<Option<ToolConfig>, Error> {
    if request.tools.is_empty() {
        return Ok(None);
    }
    let mut tools = Vec::with_capacity(request.tools.len());
    for tool in &request.tools {
        check_name(&tool.name)?;
        let field = format!("input-schema-json of tool `{}`", tool.name);
        let mut spec = json!({
            "name": tool.name,
            "inputSchema": { "json": parse_object(&tool.input_schema_json, &field)? },
        });
        if let Some(description) = tool.description.as_deref().filter(|d| !d.trim().is_empty()) {
            spec["description"] = json!(description);
        }
        tools.push(json!({ "toolSpec": spec }));
    }
    let tool_choice = match &request.tool_choice {
        None | Some(ToolChoice::Auto) => None,
        Some(ToolChoice::Any) => Some(json!({ "any": {} })),
        Some(ToolChoice::Tool(name)) => {
            if !request.tools.iter().any(|t| &t.name == name) {
                return Err(Error::InvalidRequest(format!(
                    "tool-choice names tool `{name}`, which is not among the request's tools"
                )));
            }
            Some(json!({ "tool": { "name": name } }))
        }
        Some(ToolChoice::None) if !references_tools(messages) => return Ok(None),
        Some(ToolChoice::None) => None,
    };
    Ok(Some(ToolConfig { tools, tool_choice }))
}

/// The tool choice obliges the model to call a tool.
pub fn forces_tool(request: &ConverseRequest) -> bool {
    !request.tools.is_empty()
        && matches!(
            request.tool_choice,
            Some(ToolChoice::Any | ToolChoice::Tool(_))
        )
}

fn references_tools(messages: &[MessageJson]) -> bool {
    messages
        .iter()
        .flat_map(|m| &m.content)
        .any(|block| block.get("toolUse").is_some() || block.get("toolResult").is_some())
}

fn check_name(name: &str) -> Result<(), Error> {
    let fits = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fits {
        return Ok(());
    }
    Err(Error::InvalidRequest(format!(
        "tool name `{name}` is not accepted by Bedrock: use 1 to {MAX_NAME_LEN} ASCII letters, digits, `_` or `-`"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse::request::tests::text_request;
    use crate::types::ToolSpec;

    fn with_tools(choice: Option<ToolChoice>) -> ConverseRequest {
        let mut request = text_request("hi");
        request.tools = vec![
            ToolSpec {
                name: "get_weather".into(),
                description: Some("Weather.".into()),
                input_schema_json: r#"{"type":"object"}"#.into(),
            },
            ToolSpec {
                name: "noop".into(),
                description: Some(" ".into()),
                input_schema_json: "{}".into(),
            },
        ];
        request.tool_choice = choice;
        request
    }

    fn turn(block: Value) -> MessageJson {
        MessageJson {
            role: "user",
            content: vec![block],
        }
    }

    #[test]
    fn specs_and_choices() {
        let config = tool_config(&with_tools(None), &[]).unwrap().unwrap();
        assert_eq!(
            config.tools,
            [
                json!({"toolSpec": {"name": "get_weather", "description": "Weather.", "inputSchema": {"json": {"type": "object"}}}}),
                json!({"toolSpec": {"name": "noop", "inputSchema": {"json": {}}}}),
            ]
        );
        assert_eq!(config.tool_choice, None);
        let choice = |c| {
            tool_config(&with_tools(Some(c)), &[])
                .unwrap()
                .unwrap()
                .tool_choice
        };
        assert_eq!(choice(ToolChoice::Auto), None);
        assert_eq!(choice(ToolChoice::Any), Some(json!({"any": {}})));
        assert_eq!(
            choice(ToolChoice::Tool("noop".into())),
            Some(json!({"tool": {"name": "noop"}}))
        );
        assert_eq!(tool_config(&text_request("no tools"), &[]).unwrap(), None);
    }

    #[test]
    fn choice_none() {
        let request = with_tools(Some(ToolChoice::None));
        assert_eq!(
            tool_config(&request, &[turn(json!({"text": "hi"}))]).unwrap(),
            None,
            "tools left out"
        );
        let history = [turn(
            json!({"toolResult": {"toolUseId": "a", "content": []}}),
        )];
        let config = tool_config(&request, &history).unwrap().unwrap();
        assert_eq!(
            (config.tools.len(), config.tool_choice),
            (2, None),
            "tools kept, no choice"
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let Err(Error::InvalidRequest(m)) =
            tool_config(&with_tools(Some(ToolChoice::Tool("nope".into()))), &[])
        else {
            panic!()
        };
        assert!(m.contains("`nope`"), "{m}");
        for bad in ["", "has space", "dotted.name", &"x".repeat(65)] {
            let mut request = with_tools(None);
            request.tools[0].name = bad.into();
            let Err(Error::InvalidRequest(m)) = tool_config(&request, &[]) else {
                panic!("{bad:?}")
            };
            assert!(m.contains("tool name"), "{m}");
        }
        let mut request = with_tools(None);
        request.tools[1].input_schema_json = "[]".into();
        let Err(Error::InvalidRequest(m)) = tool_config(&request, &[]) else {
            panic!()
        };
        assert!(
            m.contains("tool `noop`") && m.contains("JSON object"),
            "{m}"
        );
    }

    #[test]
    fn forcing() {
        assert!(forces_tool(&with_tools(Some(ToolChoice::Any))));
        assert!(forces_tool(&with_tools(Some(ToolChoice::Tool(
            "noop".into()
        )))));
        assert!(!forces_tool(&with_tools(Some(ToolChoice::Auto))));
        assert!(!forces_tool(&with_tools(Some(ToolChoice::None))));
        let mut request = text_request("x");
        request.tool_choice = Some(ToolChoice::Any);
        assert!(!forces_tool(&request), "no tools, nothing forced");
    }
}
