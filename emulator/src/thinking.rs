//! Claude's extended-thinking rules, as Bedrock enforces them on the conversation sent back.
//!
//! With thinking on (`additionalModelRequestFields.thinking`, `enabled` or `adaptive`, as
//! the plugin sends it for Claude), the last assistant message, when the next message
//! returns the results of its tool calls, must start with the thinking block the model
//! streamed; every thinking block must carry the signature it was issued with, and
//! redacted thinking must come back byte for byte. Real Claude checks signatures it made;
//! the emulator signs what it streams with a key of its own (HMAC-SHA256, a random key per
//! emulator), so a client that drops, edits or invents thinking is refused as it would be.
//! Nova's and gpt-oss's reasoning carries no signature, so only `thinking` turns this on.

use aws_smithy_types::base64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::catalogue::Model;
use crate::errors::ApiError;

/// The prefix Bedrock puts before the errors Claude's own validation returns.
const MODEL_ERRORS: &str = "The model returned the following errors: ";
/// Bytes of the nonce that starts issued redacted thinking; an HMAC of it follows.
const NONCE_LEN: usize = 16;

/// Issues and checks the emulator's thinking signatures.
#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
}

/// Shows nothing of the key.
impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    /// A signer with a fresh random key.
    pub fn random() -> std::io::Result<Self> {
        let mut key = [0; 32];
        getrandom::fill(&mut key).map_err(std::io::Error::other)?;
        Ok(Self { key })
    }

    #[cfg(test)]
    pub const fn from_key(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, domain: &[u8], data: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(domain);
        mac.update(data);
        mac
    }

    /// The signature of a thinking block with `text`, base64 as Bedrock streams it.
    pub fn sign(&self, text: &str) -> String {
        base64::encode(
            self.mac(b"thinking\0", text.as_bytes())
                .finalize()
                .into_bytes(),
        )
    }

    fn signature_is_valid(&self, text: &str, signature: &str) -> bool {
        base64::decode(signature).is_ok_and(|tag| {
            self.mac(b"thinking\0", text.as_bytes())
                .verify_slice(&tag)
                .is_ok()
        })
    }

    /// Redacted thinking for a reply whose thinking is `text`: a nonce derived from it and
    /// the nonce's HMAC, opaque as Claude's encrypted thinking is.
    pub fn redact(&self, text: &str) -> Vec<u8> {
        let mut data = Sha256::digest(text.as_bytes())[..NONCE_LEN].to_vec();
        let tag = self.mac(b"redacted\0", &data).finalize().into_bytes();
        data.extend_from_slice(&tag);
        data
    }

    fn redaction_is_valid(&self, data: &[u8]) -> bool {
        data.len() > NONCE_LEN
            && self
                .mac(b"redacted\0", &data[..NONCE_LEN])
                .verify_slice(&data[NONCE_LEN..])
                .is_ok()
    }
}

/// Thinking is on: Claude's `thinking` field, enabled or adaptive.
pub fn is_enabled(additional_fields: Option<&Value>) -> bool {
    let kind = additional_fields.and_then(|f| f.get("thinking")?.get("type")?.as_str());
    matches!(kind, Some("enabled" | "adaptive"))
}

/// Refuses a token budget (`thinking: {type: enabled}`) for a model that takes only
/// adaptive thinking: the Bedrock user guide ("Adaptive thinking") says Claude Opus 4.7
/// answers it with a 400; the words are Claude's, behind Bedrock's prefix.
pub fn check_mode(model: &Model, additional_fields: Option<&Value>) -> Result<(), ApiError> {
    let kind = additional_fields.and_then(|f| f.get("thinking")?.get("type")?.as_str());
    if model.adaptive_thinking_only && kind == Some("enabled") {
        return Err(model_error(
            "\"thinking.type.enabled\" is not supported for this model. Use \"thinking.type.adaptive\" and \"output_config.effort\" to control thinking behavior.".into(),
        ));
    }
    Ok(())
}

/// Refuses `messages` (role and content of each) as Bedrock would with thinking on.
pub fn check(signer: &Signer, messages: &[(&str, &[Value])]) -> Result<(), ApiError> {
    for (i, (role, content)) in messages.iter().enumerate() {
        if *role != "assistant" {
            continue;
        }
        for (j, block) in content.iter().enumerate() {
            check_block(signer, block)
                .map_err(|what| model_error(format!("messages.{i}.content.{j}: {what}")))?;
        }
    }
    let last_assistant = messages.iter().rposition(|(role, _)| *role == "assistant");
    let Some(i) = last_assistant else {
        return Ok(());
    };
    let (_, content) = messages[i];
    let calls_tools = content.iter().any(|b| b.get("toolUse").is_some());
    let results_follow = messages
        .get(i + 1)
        .is_some_and(|(_, next)| next.iter().any(|b| b.get("toolResult").is_some()));
    let first = content.first().map(block_type).unwrap_or("none");
    if calls_tools && results_follow && first != "thinking" {
        return Err(model_error(format!(
            "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{first}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
        )));
    }
    Ok(())
}

fn model_error(message: String) -> ApiError {
    ApiError::validation(format!("{MODEL_ERRORS}{message}"))
}

/// Checks one assistant block's thinking, if it is one; the error says what is wrong.
fn check_block(signer: &Signer, block: &Value) -> Result<(), &'static str> {
    let Some(reasoning) = block.get("reasoningContent") else {
        return Ok(());
    };
    if let Some(data) = reasoning.get("redactedContent") {
        let issued = data
            .as_str()
            .and_then(|d| base64::decode(d).ok())
            .is_some_and(|d| signer.redaction_is_valid(&d));
        return if issued {
            Ok(())
        } else {
            Err("Invalid `data` in `redacted_thinking` block")
        };
    }
    let text = reasoning
        .pointer("/reasoningText/text")
        .and_then(Value::as_str);
    let signature = reasoning
        .pointer("/reasoningText/signature")
        .and_then(Value::as_str);
    match signature {
        None => Err("thinking.signature: Field required"),
        Some(signature) if signer.signature_is_valid(text.unwrap_or_default(), signature) => Ok(()),
        Some(_) => Err("Invalid `signature` in `thinking` block"),
    }
}

/// Anthropic's name for the type of a Converse content block.
fn block_type(block: &Value) -> &str {
    let key = block
        .as_object()
        .and_then(|m| m.keys().next())
        .map(String::as_str);
    match key {
        Some("reasoningContent") => "thinking",
        Some("toolUse") => "tool_use",
        Some("toolResult") => "tool_result",
        Some(other) => other,
        None => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SIGNER: Signer = Signer::from_key([7; 32]);
    const OTHER: Signer = Signer::from_key([8; 32]);

    fn check_turn(assistant: Value) -> Result<(), ApiError> {
        let user = [json!({ "text": "weather?" })];
        let assistant = assistant.as_array().unwrap().clone();
        let results =
            [json!({ "toolResult": { "toolUseId": "t1", "content": [{ "text": "sunny" }] } })];
        check(
            &SIGNER,
            &[
                ("user", &user),
                ("assistant", &assistant),
                ("user", &results),
            ],
        )
    }

    fn tool_use() -> Value {
        json!({ "toolUse": { "toolUseId": "t1", "name": "weather", "input": {} } })
    }

    #[test]
    fn thinking_is_on_for_claudes_field_only() {
        assert!(is_enabled(Some(
            &json!({ "thinking": { "type": "enabled", "budget_tokens": 1024 } })
        )));
        assert!(is_enabled(Some(
            &json!({ "thinking": { "type": "adaptive" } })
        )));
        assert!(!is_enabled(Some(
            &json!({ "thinking": { "type": "disabled" } })
        )));
        assert!(!is_enabled(Some(
            &json!({ "reasoningConfig": { "type": "enabled" } })
        )));
        assert!(!is_enabled(None));
    }

    #[test]
    fn adaptive_only_models_refuse_a_budget() {
        let opus_4_7 = crate::catalogue::model("anthropic.claude-opus-4-7").unwrap();
        let sonnet_4 = crate::catalogue::model("anthropic.claude-sonnet-4-20250514-v1:0").unwrap();
        let budget = json!({ "thinking": { "type": "enabled", "budget_tokens": 1024 } });
        let adaptive =
            json!({ "thinking": { "type": "adaptive" }, "output_config": { "effort": "high" } });
        let refused = check_mode(opus_4_7, Some(&budget)).unwrap_err();
        assert_eq!(refused.code, crate::errors::ErrorCode::Validation);
        assert_eq!(
            refused.message,
            format!(
                "{MODEL_ERRORS}\"thinking.type.enabled\" is not supported for this model. Use \"thinking.type.adaptive\" and \"output_config.effort\" to control thinking behavior."
            )
        );
        check_mode(opus_4_7, Some(&adaptive)).unwrap();
        check_mode(opus_4_7, None).unwrap();
        check_mode(sonnet_4, Some(&budget)).unwrap();
        check_mode(sonnet_4, Some(&adaptive)).unwrap();
    }

    #[test]
    fn issued_thinking_replayed_before_the_tool_call_passes() {
        let signed = json!({ "reasoningContent": { "reasoningText": { "text": "hmm", "signature": SIGNER.sign("hmm") } } });
        check_turn(json!([signed, tool_use()])).unwrap();
        let redacted = json!({ "reasoningContent": { "redactedContent": base64::encode(SIGNER.redact("hmm")) } });
        check_turn(json!([redacted, tool_use()])).unwrap();
    }

    #[test]
    fn a_tool_call_without_its_thinking_is_refused() {
        let error = check_turn(json!([tool_use()])).unwrap_err();
        assert_eq!(error.code.name(), "ValidationException");
        assert!(error.message.starts_with("The model returned the following errors: messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block"), "{}", error.message);
        let error = check_turn(json!([{ "text": "let me look" }, tool_use()])).unwrap_err();
        assert!(
            error.message.contains("but found `text`"),
            "{}",
            error.message
        );
        // Earlier turns and turns without tool results need no thinking.
        let user = [json!({ "text": "hi" })];
        let reply = [json!({ "text": "hello" })];
        check(
            &SIGNER,
            &[("user", &user), ("assistant", &reply), ("user", &user)],
        )
        .unwrap();
    }

    #[test]
    fn thinking_the_emulator_did_not_issue_is_refused() {
        let edited = json!({ "reasoningContent": { "reasoningText": { "text": "hmm!", "signature": SIGNER.sign("hmm") } } });
        let foreign = json!({ "reasoningContent": { "reasoningText": { "text": "hmm", "signature": OTHER.sign("hmm") } } });
        for block in [edited, foreign] {
            let error = check_turn(json!([block, tool_use()])).unwrap_err();
            assert!(
                error
                    .message
                    .ends_with("messages.1.content.0: Invalid `signature` in `thinking` block"),
                "{}",
                error.message
            );
        }
        let unsigned = json!({ "reasoningContent": { "reasoningText": { "text": "hmm" } } });
        assert!(
            check_turn(json!([unsigned, tool_use()]))
                .unwrap_err()
                .message
                .contains("signature: Field required")
        );
        let mut data = SIGNER.redact("hmm");
        data[3] ^= 1;
        let tampered = json!({ "reasoningContent": { "redactedContent": base64::encode(&data) } });
        let error = check_turn(json!([tampered, tool_use()])).unwrap_err();
        assert!(
            error
                .message
                .ends_with("Invalid `data` in `redacted_thinking` block"),
            "{}",
            error.message
        );
    }
}
