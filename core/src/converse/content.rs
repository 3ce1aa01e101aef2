//! One content block of the contract as one Converse `ContentBlock`.
//!
//! Blocks that carry nothing are dropped here (`None`) rather than sent:
//! Bedrock refuses blank text blocks, and an assistant turn left with
//! nothing is dropped by [`conversation`](super::conversation). Data Bedrock
//! would refuse for its shape is fixed when the fix cannot change meaning
//! (tool-call ids, document names) and refused with `invalid-request`
//! otherwise (empty image or document bytes, JSON that does not parse).

use super::tool_ids;
use crate::error::Error;
use crate::types::{
    ContentBlock, DocumentBlock, DocumentFormat, ImageBlock, ImageFormat, ReasoningBlock,
    ToolResultBlock, ToolResultContent, ToolUseBlock,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

/// Longest document name Bedrock accepts.
const MAX_DOCUMENT_NAME: usize = 200;

/// How thinking from earlier turns is replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// As `reasoningContent` with its signature, redacted thinking as
    /// `redactedContent`: for models that verify their own thinking (Claude).
    Signed,
    /// As plain text; redacted thinking, opaque to any other model, is dropped.
    PlainText,
}

/// Maps one block; `Ok(None)` drops it.
pub fn block(block: &ContentBlock, replay: Replay) -> Result<Option<Value>, Error> {
    Ok(match block {
        ContentBlock::Text(text) => non_blank(text).map(|t| json!({ "text": t })),
        ContentBlock::Image(image) => Some(json!({ "image": image_json(image)? })),
        ContentBlock::Document(doc) => Some(json!({ "document": document_json(doc)? })),
        ContentBlock::ToolUse(tool) => Some(tool_use(tool)?),
        ContentBlock::ToolResult(result) => Some(tool_result(result)?),
        ContentBlock::Reasoning(reasoning) => reasoning_json(reasoning, replay),
        ContentBlock::RedactedReasoning(data) => match replay {
            Replay::Signed if !data.is_empty() => {
                Some(json!({ "reasoningContent": { "redactedContent": BASE64.encode(data) } }))
            }
            _ => None,
        },
    })
}

fn non_blank(text: &str) -> Option<&str> {
    (!text.trim().is_empty()).then_some(text)
}

fn tool_use(tool: &ToolUseBlock) -> Result<Value, Error> {
    Ok(json!({
        "toolUse": {
            "toolUseId": tool_ids::bedrock_id(&tool.id),
            "name": tool.name,
            "input": parse_json(&tool.input_json, "tool-use input-json")?,
        }
    }))
}

fn tool_result(result: &ToolResultBlock) -> Result<Value, Error> {
    let mut content = Vec::with_capacity(result.content.len());
    for item in &result.content {
        content.push(match item {
            ToolResultContent::Text(text) => match non_blank(text) {
                Some(text) => json!({ "text": text }),
                None => continue,
            },
            ToolResultContent::Json(text) => {
                json!({ "json": parse_json(text, "tool-result json")? })
            }
            ToolResultContent::Image(image) => json!({ "image": image_json(image)? }),
            ToolResultContent::Document(doc) => json!({ "document": document_json(doc)? }),
        });
    }
    Ok(json!({
        "toolResult": {
            "toolUseId": tool_ids::bedrock_id(&result.tool_use_id),
            "content": content,
            "status": if result.is_error { "error" } else { "success" },
        }
    }))
}

/// Signed thinking is kept whole, even with empty text (Claude Opus 4.7
/// omits the text and keeps the signature). Unsigned thinking cannot be
/// verified, so even a Claude model gets it as text, as Anthropic's own SDKs
/// do with thinking whose signature never arrived.
fn reasoning_json(reasoning: &ReasoningBlock, replay: Replay) -> Option<Value> {
    let signature = reasoning.signature.as_deref().filter(|s| !s.is_empty());
    match (replay, signature) {
        (Replay::Signed, Some(signature)) => Some(json!({
            "reasoningContent": { "reasoningText": { "text": reasoning.text, "signature": signature } }
        })),
        _ => non_blank(&reasoning.text).map(|text| json!({ "text": text })),
    }
}

/// Bedrock's name of an image format.
fn image_format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::Gif => "gif",
        ImageFormat::Webp => "webp",
    }
}

/// The format Bedrock calls `name` (streamed images announce theirs), if it
/// is one of the contract's.
pub fn image_format_named(name: &str) -> Option<ImageFormat> {
    [
        ImageFormat::Jpeg,
        ImageFormat::Png,
        ImageFormat::Gif,
        ImageFormat::Webp,
    ]
    .into_iter()
    .find(|format| image_format_name(*format) == name)
}

fn image_json(image: &ImageBlock) -> Result<Value, Error> {
    let format = image_format_name(image.format);
    Ok(
        json!({ "format": format, "source": { "bytes": non_empty_bytes(&image.data, "an image")? } }),
    )
}

fn document_json(doc: &DocumentBlock) -> Result<Value, Error> {
    let format = match doc.format {
        DocumentFormat::Pdf => "pdf",
        DocumentFormat::Csv => "csv",
        DocumentFormat::Doc => "doc",
        DocumentFormat::Docx => "docx",
        DocumentFormat::Xls => "xls",
        DocumentFormat::Xlsx => "xlsx",
        DocumentFormat::Html => "html",
        DocumentFormat::Txt => "txt",
        DocumentFormat::Md => "md",
    };
    Ok(json!({
        "format": format,
        "name": document_name(&doc.name),
        "source": { "bytes": non_empty_bytes(&doc.data, &format!("document `{}`", doc.name))? },
    }))
}

fn non_empty_bytes(data: &[u8], what: &str) -> Result<String, Error> {
    if data.is_empty() {
        return Err(Error::InvalidRequest(format!(
            "{what} has no data (Bedrock needs at least one byte)"
        )));
    }
    Ok(BASE64.encode(data))
}

/// A document name Bedrock accepts: ASCII letters and digits, single spaces,
/// `-`, `(`, `)`, `[`, `]`, at most 200 characters. Every run of other
/// characters becomes one `-` (`report.final.pdf` → `report-final-pdf`),
/// whitespace runs become one space; an empty result is `document`. Names
/// are shown to the model, so nothing else about them is changed.
pub fn document_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(MAX_DOCUMENT_NAME));
    // The separator owed before the next kept character; `-` beats a space.
    let mut gap: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || "-()[]".contains(c) {
            if let Some(separator) = gap.take()
                && !out.is_empty()
                && !(separator == '-' && (c == '-' || out.ends_with('-')))
            {
                out.push(separator);
            }
            out.push(c);
        } else if c.is_whitespace() {
            gap = Some(if gap == Some('-') { '-' } else { ' ' });
        } else {
            gap = Some('-');
        }
    }
    // Only ASCII was kept: bytes are characters.
    out.truncate(MAX_DOCUMENT_NAME);
    let out = out.trim_end();
    if out.is_empty() {
        "document".to_string()
    } else {
        out.to_string()
    }
}

/// Parses JSON the gateway handed over as text, naming the field on failure.
pub fn parse_json(json: &str, field: &str) -> Result<Value, Error> {
    serde_json::from_str(json)
        .map_err(|e| Error::InvalidRequest(format!("{field} is not valid JSON: {e}")))
}

/// Like [`parse_json`], for fields that must be a JSON object.
pub fn parse_object(json: &str, field: &str) -> Result<Value, Error> {
    match parse_json(json, field)? {
        object @ Value::Object(_) => Ok(object),
        _ => Err(Error::InvalidRequest(format!(
            "{field} must be a JSON object"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(text: &str, signature: Option<&str>) -> ContentBlock {
        ContentBlock::Reasoning(ReasoningBlock {
            text: text.into(),
            signature: signature.map(Into::into),
        })
    }

    #[test]
    fn blank_text_is_dropped() {
        for text in ["", " ", "\n\t"] {
            assert_eq!(
                block(&ContentBlock::Text(text.into()), Replay::Signed),
                Ok(None)
            );
        }
        assert_eq!(
            block(&ContentBlock::Text(" hi ".into()), Replay::Signed),
            Ok(Some(json!({"text": " hi "})))
        );
    }

    #[test]
    fn thinking_replay() {
        let with_signature = signed("let me think", Some("sig=="));
        assert_eq!(
            block(&with_signature, Replay::Signed).unwrap(),
            Some(
                json!({"reasoningContent": {"reasoningText": {"text": "let me think", "signature": "sig=="}}})
            )
        );
        assert_eq!(
            block(&with_signature, Replay::PlainText).unwrap(),
            Some(json!({"text": "let me think"}))
        );
        // Omitted thinking text (Opus 4.7) keeps its signature for Claude only.
        assert_eq!(
            block(&signed("", Some("sig")), Replay::Signed).unwrap(),
            Some(json!({"reasoningContent": {"reasoningText": {"text": "", "signature": "sig"}}}))
        );
        assert_eq!(
            block(&signed("", Some("sig")), Replay::PlainText).unwrap(),
            None
        );
        // No signature: plain text, for Claude too.
        assert_eq!(
            block(&signed("hmm", None), Replay::Signed).unwrap(),
            Some(json!({"text": "hmm"}))
        );
        assert_eq!(
            block(&signed("hmm", Some("")), Replay::Signed).unwrap(),
            Some(json!({"text": "hmm"}))
        );
        assert_eq!(block(&signed(" ", None), Replay::Signed).unwrap(), None);
    }

    #[test]
    fn redacted_thinking() {
        let redacted = ContentBlock::RedactedReasoning(vec![1, 2, 3]);
        assert_eq!(
            block(&redacted, Replay::Signed).unwrap(),
            Some(json!({"reasoningContent": {"redactedContent": "AQID"}}))
        );
        assert_eq!(block(&redacted, Replay::PlainText).unwrap(), None);
        assert_eq!(
            block(&ContentBlock::RedactedReasoning(vec![]), Replay::Signed).unwrap(),
            None
        );
    }

    #[test]
    fn tool_ids_are_mapped_on_both_sides() {
        let id = "fc_123|call.abc";
        let call = ContentBlock::ToolUse(ToolUseBlock {
            id: id.into(),
            name: "w".into(),
            input_json: "{}".into(),
        });
        let result = ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: id.into(),
            content: vec![
                ToolResultContent::Text("ok".into()),
                ToolResultContent::Text("".into()),
            ],
            is_error: true,
        });
        let call = block(&call, Replay::Signed).unwrap().unwrap();
        let result = block(&result, Replay::Signed).unwrap().unwrap();
        let mapped = call["toolUse"]["toolUseId"].as_str().unwrap();
        assert!(tool_ids::is_acceptable(mapped), "{mapped}");
        assert_eq!(result["toolResult"]["toolUseId"], mapped);
        assert_eq!(result["toolResult"]["status"], "error");
        assert_eq!(
            result["toolResult"]["content"],
            json!([{"text": "ok"}]),
            "blank text dropped"
        );
    }

    #[test]
    fn images_and_documents() {
        let image = |format, data: &[u8]| {
            ContentBlock::Image(ImageBlock {
                format,
                data: data.to_vec(),
            })
        };
        for (format, name) in [
            (ImageFormat::Jpeg, "jpeg"),
            (ImageFormat::Png, "png"),
            (ImageFormat::Gif, "gif"),
            (ImageFormat::Webp, "webp"),
        ] {
            assert_eq!(
                block(&image(format, &[0xff]), Replay::Signed)
                    .unwrap()
                    .unwrap(),
                json!({"image": {"format": name, "source": {"bytes": "/w=="}}})
            );
            assert_eq!(image_format_named(name), Some(format));
        }
        assert_eq!(image_format_named("bmp"), None);
        let Err(Error::InvalidRequest(m)) = block(&image(ImageFormat::Png, &[]), Replay::Signed)
        else {
            panic!()
        };
        assert!(m.contains("image has no data"), "{m}");

        let doc = |name: &str, data: &[u8]| {
            ContentBlock::Document(DocumentBlock {
                format: DocumentFormat::Pdf,
                name: name.into(),
                data: data.to_vec(),
            })
        };
        let v = block(&doc("Q3 report.final.pdf", b"%PDF"), Replay::Signed)
            .unwrap()
            .unwrap();
        assert_eq!(v["document"]["name"], "Q3 report-final-pdf");
        assert_eq!(v["document"]["format"], "pdf");
        let Err(Error::InvalidRequest(m)) = block(&doc("a.pdf", b""), Replay::Signed) else {
            panic!()
        };
        assert!(m.contains("document `a.pdf`"), "{m}");
    }

    #[test]
    fn document_names() {
        for (name, expected) in [
            ("plain name", "plain name"),
            ("  many   spaces\there ", "many spaces here"),
            ("report.final.pdf", "report-final-pdf"),
            ("a - b", "a - b"),
            ("x...-y", "x-y"),
            ("(draft) [v2]", "(draft) [v2]"),
            ("résumé.docx", "r-sum-docx"),
            ("日本語", "document"),
            ("", "document"),
            ("a\n\nb", "a b"),
        ] {
            assert_eq!(document_name(name), expected, "{name:?}");
        }
        let long = document_name(&"a".repeat(500));
        assert_eq!(long.len(), MAX_DOCUMENT_NAME);
        for name in ["a b", "x\u{0}y", "-- --", "é é é"] {
            let out = document_name(name);
            assert!(
                !out.contains("  ") && !out.is_empty(),
                "{name:?} -> {out:?}"
            );
        }
    }

    #[test]
    fn bad_json_names_the_field() {
        let call = ContentBlock::ToolUse(ToolUseBlock {
            id: "t".into(),
            name: "w".into(),
            input_json: "{oops".into(),
        });
        let Err(Error::InvalidRequest(m)) = block(&call, Replay::Signed) else {
            panic!()
        };
        assert!(m.contains("tool-use input-json"), "{m}");
        assert!(
            matches!(parse_object("[1]", "f"), Err(Error::InvalidRequest(m)) if m.contains("f must be a JSON object"))
        );
    }
}
