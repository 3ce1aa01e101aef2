//! What reply a request gets.
//!
//! By default, a deterministic text reply: the same request always streams the same
//! words, so tests can assert on it. Tests steer the reply from inside the conversation,
//! by writing directives in the last user message, `[emulator KEY=VALUE FLAG ...]`; that
//! way a client under test needs no side channel to the emulator. Each directive's whole
//! effect is a few lines of [`plan`].

use std::time::Duration;

use serde_json::json;

use crate::EmulatorConfig;
use crate::converse::ConverseRequest;
use crate::errors::{ApiError, ErrorCode};
use crate::events;
use crate::eventstream::{self, Frame};
use crate::prompt_cache::InputUsage;
use crate::stream::Step;
use crate::thinking::Signer;
use crate::vectors;

/// The server tool call of the `tool-result-image` reply.
const TOOL_USE_ID: &str = "tooluse_emulator_search";
/// The thinking a reply streams, signed, when the request turns thinking on.
pub const THINKING: &str = "The user wants a reply; a scripted one will do.";
/// The eight bytes every PNG starts with: the `tool-result-image` reply's image.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
/// How long `stall` holds the stream after `messageStart`.
const STALL: Duration = Duration::from_secs(60);
/// The total length `huge-frame` announces: 1 GiB.
const HUGE_FRAME_LEN: u32 = 1 << 30;
const LATENCY_BASE_MS: u64 = 180;
const LATENCY_PER_TOKEN_MS: u64 = 12;

/// The directives found in a message. Several may share a bracket or use several.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Directives {
    pub words: Option<usize>,
    pub stop_reason: Option<String>,
    pub replay: Option<String>,
    pub exception: Option<ErrorCode>,
    /// How many events come before the exception (default: `messageStart` and two
    /// deltas). `0` raises it as the first frame after the 200.
    pub exception_after: Option<usize>,
    pub status: Option<ErrorCode>,
    /// `exception` and `status` apply to the first K attempts of the request only
    /// (identical bodies count as attempts); later attempts get the normal reply.
    pub fail_first: Option<usize>,
    /// The reply streams a server tool's result and a generated image before its text.
    pub tool_result_image: bool,
    /// The reply calls the client's tool NAME (input `{}`) and stops with `tool_use`;
    /// it has no text unless `words=N` asks for some.
    pub tool_use: Option<String>,
    /// With thinking on, the reply's thinking is redacted rather than readable.
    pub redacted_thinking: bool,
    pub corrupt_crc: bool,
    pub truncate: bool,
    pub huge_frame: bool,
    pub non_json: bool,
    pub stall: bool,
    pub slow: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectiveError {
    #[error("unknown emulator directive '{0}'")]
    Unknown(String),
    #[error("emulator directive '{0}' needs a value: {0}=...")]
    MissingValue(String),
    #[error("emulator directive {key}={value}: {expected}")]
    InvalidValue {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("emulator directive bracket is not closed: missing ']'")]
    Unterminated,
    #[error("emulator directives replay and exception cannot be combined")]
    Conflict,
}

impl From<DirectiveError> for ApiError {
    fn from(error: DirectiveError) -> Self {
        ApiError::validation(error.to_string())
    }
}

const OPENER: &str = "[emulator";

impl Directives {
    pub fn parse(text: &str) -> Result<Self, DirectiveError> {
        let mut directives = Self::default();
        let mut rest = text;
        while let Some(start) = rest.find(OPENER) {
            let after = &rest[start + OPENER.len()..];
            rest = after;
            // `[emulators]` and the like are ordinary text.
            if !after.starts_with(|c: char| c.is_whitespace() || c == ']') {
                continue;
            }
            let end = after.find(']').ok_or(DirectiveError::Unterminated)?;
            for token in after[..end].split_whitespace() {
                directives.apply(token)?;
            }
            rest = &after[end + 1..];
        }
        if directives.replay.is_some() && directives.exception.is_some() {
            return Err(DirectiveError::Conflict);
        }
        Ok(directives)
    }

    fn apply(&mut self, token: &str) -> Result<(), DirectiveError> {
        let Some((key, value)) = token.split_once('=') else {
            let flag = match token {
                "corrupt-crc" => &mut self.corrupt_crc,
                "truncate" => &mut self.truncate,
                "huge-frame" => &mut self.huge_frame,
                "non-json" => &mut self.non_json,
                "stall" => &mut self.stall,
                "tool-result-image" => &mut self.tool_result_image,
                "redacted-thinking" => &mut self.redacted_thinking,
                "words" | "tool-use" | "stop" | "replay" | "exception" | "exception-after"
                | "status" | "fail-first" | "slow" => {
                    return Err(DirectiveError::MissingValue(token.into()));
                }
                _ => return Err(DirectiveError::Unknown(token.into())),
            };
            *flag = true;
            return Ok(());
        };
        let invalid = |expected| DirectiveError::InvalidValue {
            key: key.into(),
            value: value.into(),
            expected,
        };
        match key {
            "words" => self.words = Some(value.parse().map_err(|_| invalid("a word count"))?),
            "stop" if !value.is_empty() => self.stop_reason = Some(value.into()),
            "stop" => return Err(invalid("a stop reason such as end_turn")),
            "replay" => self.replay = Some(value.into()),
            "tool-use" if !value.is_empty() => self.tool_use = Some(value.into()),
            "tool-use" => return Err(invalid("a tool name")),
            "exception" => {
                let code = ErrorCode::from_stream_name(value).ok_or(invalid(
                    "one of internalServerException, modelStreamErrorException, modelNotReadyException, validationException, throttlingException, serviceUnavailableException",
                ))?;
                self.exception = Some(code);
            }
            "exception-after" => {
                let events = value.parse().map_err(|_| invalid("an event count"))?;
                self.exception_after = Some(events);
            }
            "fail-first" => {
                let attempts = value.parse().ok().filter(|&k: &usize| k > 0);
                self.fail_first = Some(attempts.ok_or(invalid("an attempt count of 1 or more"))?);
            }
            "status" => {
                let code = value.parse().ok().and_then(ErrorCode::from_status);
                let expected = "one of 400, 403, 404, 408, 424, 429, 500, 503";
                self.status = Some(code.ok_or(invalid(expected))?);
            }
            "slow" => {
                let ms = value
                    .parse()
                    .map_err(|_| invalid("a delay in milliseconds"))?;
                self.slow = Some(Duration::from_millis(ms));
            }
            _ => return Err(DirectiveError::Unknown(token.into())),
        }
        Ok(())
    }
}

/// The `index`-th word of every scripted reply. splitmix64 of the index picks it from a
/// fixed list: varied text that never changes between runs, platforms or Rust versions.
fn word(index: usize) -> &'static str {
    const WORDS: [&str; 32] = [
        "the", "river", "stone", "carries", "light", "over", "quiet", "hills", "and", "every",
        "lantern", "keeps", "a", "small", "promise", "to", "morning", "bright", "orchard", "wind",
        "returns", "slowly", "with", "silver", "maps", "of", "distant", "harbors", "where",
        "patient", "boats", "sleep",
    ];
    let mut z = (index as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    WORDS[(z % WORDS.len() as u64) as usize]
}

/// The text of a scripted reply of `words` words. Shorter replies are prefixes of longer
/// ones, so a reply cut by `maxTokens` is a prefix of the full one.
pub fn reply_text(words: usize) -> String {
    (0..words).map(word).collect::<Vec<_>>().join(" ")
}

/// The first `words` words of the configured [`EmulatorConfig::reply_text`], or of the
/// generated reply when none is configured.
fn configured_reply(config: &EmulatorConfig, words: usize) -> String {
    match &config.reply_text {
        Some(text) => text
            .split_whitespace()
            .take(words)
            .collect::<Vec<_>>()
            .join(" "),
        None => reply_text(words),
    }
}

/// One `contentBlockDelta` per word of content block `block`: the word and its trailing
/// space.
fn text_deltas(block: usize, text: &str) -> Vec<Frame> {
    text.split_inclusive(' ')
        .map(|piece| events::text_delta(block, piece))
        .collect()
}

/// The scripted text reply, cut by `maxTokens` or a stop sequence as a model would be.
/// `leading` holds whole content blocks streamed before the text, which comes next.
fn scripted_reply(
    request: &ConverseRequest,
    input: &InputUsage,
    config: &EmulatorConfig,
    directives: &Directives,
    leading: Vec<Frame>,
) -> Vec<Frame> {
    let text_block = block_count(&leading);
    let words = directives.words.unwrap_or(match &config.reply_text {
        _ if directives.tool_use.is_some() => 0,
        Some(text) => text.split_whitespace().count(),
        None => config.reply_words,
    });
    let natural_stop = if directives.tool_use.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    let inference = &request.inference_config;
    let budget = inference
        .max_tokens
        .and_then(|max| usize::try_from(max).ok());
    let (generated, mut stop_reason) = match budget {
        Some(max) if max < words => (max, "max_tokens"),
        _ => (words, natural_stop),
    };
    let mut text = configured_reply(config, generated);
    let stop_at = inference
        .stop_sequences
        .iter()
        .filter(|sequence| !sequence.is_empty())
        .filter_map(|sequence| text.find(sequence.as_str()))
        .min();
    if let Some(cut) = stop_at {
        text.truncate(cut);
        stop_reason = "stop_sequence";
    }
    let deltas = text_deltas(text_block, &text);
    let output_tokens = deltas.len();
    let mut frames = vec![events::message_start()];
    frames.extend(leading);
    if !deltas.is_empty() {
        frames.extend(deltas);
        frames.push(events::block_stop(text_block));
    }
    frames.push(events::message_stop(
        directives.stop_reason.as_deref().unwrap_or(stop_reason),
    ));
    let latency = LATENCY_BASE_MS + LATENCY_PER_TOKEN_MS * output_tokens as u64;
    frames.push(events::metadata(input, output_tokens, latency));
    frames
}

/// How many content blocks `frames` completed.
fn block_count(frames: &[Frame]) -> usize {
    frames
        .iter()
        .filter(
            |f| matches!(f, Frame::Event { event_type, .. } if event_type == "contentBlockStop"),
        )
        .count()
}

/// A server tool's call and streamed result, then a generated two-chunk PNG: blocks
/// `first` to `first + 2`, each with Bedrock's start, delta and stop events.
fn tool_result_image_blocks(first: usize) -> Vec<Frame> {
    let (call, result, image) = (first, first + 1, first + 2);
    vec![
        events::tool_use_start(call, TOOL_USE_ID, "web_search", true),
        events::tool_use_delta(call, r#"{"query":"weather"}"#),
        events::block_stop(call),
        events::tool_result_start(result, TOOL_USE_ID),
        events::tool_result_delta(
            result,
            json!([{ "text": "sunny" }, { "json": { "celsius": 21 } }]),
        ),
        events::block_stop(result),
        events::image_start(image, "png"),
        events::image_delta(image, &PNG_SIGNATURE[..4]),
        events::image_delta(image, &PNG_SIGNATURE[4..]),
        events::block_stop(image),
    ]
}

/// Block `index`: [`THINKING`] and its signature, or its redaction, as Claude streams them
/// (deltas only, no start event).
fn thinking_block(index: usize, signer: &Signer, redacted: bool) -> Vec<Frame> {
    let mut frames = if redacted {
        let data = aws_smithy_types::base64::encode(signer.redact(THINKING));
        vec![events::reasoning_delta(
            index,
            json!({ "redactedContent": data }),
        )]
    } else {
        vec![
            events::reasoning_delta(index, json!({ "text": THINKING })),
            events::reasoning_delta(index, json!({ "signature": signer.sign(THINKING) })),
        ]
    };
    frames.push(events::block_stop(index));
    frames
}

/// Block `index`: a call of the client's tool `name`, with an empty input.
fn tool_call_block(index: usize, name: &str) -> Vec<Frame> {
    vec![
        events::tool_use_start(index, &format!("tooluse_emulator_{name}"), name, false),
        events::tool_use_delta(index, "{}"),
        events::block_stop(index),
    ]
}

/// The response body for a request, or the error it is answered with instead.
/// `input` reads and writes the prompt cache and says what the request's input costs; it
/// runs only for a reply that completes, so a refused or failed request caches nothing.
/// `attempt` counts the identical requests received so far, this one included; `signer`
/// signs the thinking streamed when the request turns it on.
pub fn plan(
    request: &ConverseRequest,
    input: impl FnOnce() -> InputUsage,
    config: &EmulatorConfig,
    attempt: usize,
    signer: &Signer,
) -> Result<Vec<Step>, ApiError> {
    let mut directives = Directives::parse(&request.last_user_text())?;
    if directives.fail_first.is_some_and(|k| attempt > k) {
        directives.status = None;
        directives.exception = None;
    }
    if let Some(code) = directives.status {
        return Err(ApiError::stock(code));
    }
    let mut frames = match (&directives.replay, directives.exception) {
        (Some(name), _) => vectors::load(config.vectors_dir.as_deref(), name)?,
        (None, Some(code)) => {
            let before = directives.exception_after.unwrap_or(3);
            let mut frames = vec![events::message_start()];
            frames.extend(text_deltas(0, &reply_text(before.saturating_sub(1))));
            frames.truncate(before);
            frames.push(events::exception(code));
            frames
        }
        (None, None) => {
            let mut leading = Vec::new();
            if request.thinking() {
                leading.extend(thinking_block(0, signer, directives.redacted_thinking));
            }
            if directives.tool_result_image {
                leading.extend(tool_result_image_blocks(block_count(&leading)));
            }
            if let Some(name) = &directives.tool_use {
                leading.extend(tool_call_block(block_count(&leading), name));
            }
            scripted_reply(request, &input(), config, &directives, leading)
        }
    };
    if directives.non_json {
        frames.insert(
            frames.len().min(1),
            Frame::event("contentBlockDelta", "not json"),
        );
    }
    let mut chunks = frames
        .iter()
        .map(Frame::encode)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::new(ErrorCode::InternalServer, format!("encoding a frame: {e}")))?;
    if directives.corrupt_crc
        && let Some(third) = chunks.get_mut(2)
    {
        *third = eventstream::flip_payload_bit(third);
    }
    if directives.truncate {
        chunks.truncate(3);
        if let Some(third) = chunks.get_mut(2) {
            *third = third.slice(..third.len() / 2);
        }
    }
    if directives.huge_frame {
        chunks.truncate(1);
        chunks.push(eventstream::oversized_prelude(HUGE_FRAME_LEN));
    }
    let mut steps = Vec::new();
    for (i, chunk) in chunks.into_iter().enumerate() {
        if let Some(delay) = directives.slow.filter(|_| i > 0) {
            steps.push(Step::Pause(delay));
        }
        steps.push(Step::Send(chunk));
    }
    if directives.stall {
        steps.insert(steps.len().min(1), Step::Pause(STALL));
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::frame_header as header;
    use aws_smithy_eventstream::frame::read_message_from;
    use aws_smithy_types::event_stream::Message;
    use serde_json::{Value, json};

    const SIGNER: Signer = Signer::from_key([7; 32]);

    /// The plan for a request the prompt cache does not apply to.
    fn plan(
        request: &ConverseRequest,
        config: &EmulatorConfig,
        attempt: usize,
        signer: &Signer,
    ) -> Result<Vec<Step>, ApiError> {
        let input = || InputUsage::uncached(request.input_tokens());
        super::plan(request, input, config, attempt, signer)
    }

    fn request(text: &str, inference_config: Value) -> ConverseRequest {
        let body = json!({
            "system": [{ "text": "be brief" }],
            "messages": [{ "role": "user", "content": [{ "text": text }] }],
            "inferenceConfig": inference_config,
        });
        ConverseRequest::parse(body.to_string().as_bytes()).unwrap()
    }

    fn plan_for(text: &str) -> Result<Vec<Step>, ApiError> {
        plan(
            &request(text, json!({})),
            &EmulatorConfig::default(),
            1,
            &SIGNER,
        )
    }

    fn sent(steps: &[Step]) -> Vec<bytes::Bytes> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Send(bytes) => Some(bytes.clone()),
                Step::Pause(_) => None,
            })
            .collect()
    }

    fn decode(steps: &[Step]) -> Vec<Message> {
        sent(steps)
            .into_iter()
            .map(|b| read_message_from(b).unwrap())
            .collect()
    }

    /// `(event type, payload without the padding)` of each frame.
    fn events(steps: &[Step]) -> Vec<(String, Value)> {
        decode(steps)
            .iter()
            .map(|m| {
                let mut payload: Value = serde_json::from_slice(m.payload()).unwrap();
                if let Some(map) = payload.as_object_mut() {
                    map.remove("p");
                }
                let name = header(m, ":event-type") + &header(m, ":exception-type");
                (name, payload)
            })
            .collect()
    }

    fn text_of(events: &[(String, Value)]) -> String {
        events
            .iter()
            .filter_map(|(_, p)| p["delta"]["text"].as_str())
            .collect()
    }

    #[test]
    fn parses_directives() {
        let text = "Hi [emulator words=5 stop=tool_use] and [emulator slow=20 stall truncate]\
                    [emulator corrupt-crc huge-frame non-json status=429] [emulator exception=throttlingException]";
        let d = Directives::parse(text).unwrap();
        assert_eq!(
            d,
            Directives {
                words: Some(5),
                stop_reason: Some("tool_use".into()),
                exception: Some(ErrorCode::Throttling),
                status: Some(ErrorCode::Throttling),
                corrupt_crc: true,
                truncate: true,
                huge_frame: true,
                non_json: true,
                stall: true,
                slow: Some(Duration::from_millis(20)),
                replay: None,
                exception_after: None,
                fail_first: None,
                tool_result_image: false,
                tool_use: None,
                redacted_thinking: false,
            }
        );
        assert_eq!(
            Directives::parse("[emulator replay=amazon-bedrock-text]")
                .unwrap()
                .replay
                .as_deref(),
            Some("amazon-bedrock-text")
        );
        assert_eq!(
            Directives::parse("no directives, [emulators] or [emulator]").unwrap(),
            Directives::default()
        );
    }

    #[test]
    fn rejects_bad_directives() {
        let err = |text: &str| Directives::parse(text).unwrap_err();
        assert_eq!(
            err("[emulator explode]"),
            DirectiveError::Unknown("explode".into())
        );
        assert_eq!(
            err("[emulator tool-use]"),
            DirectiveError::MissingValue("tool-use".into())
        );
        assert_eq!(
            err("[emulator words]"),
            DirectiveError::MissingValue("words".into())
        );
        assert!(matches!(
            err("[emulator words=many]"),
            DirectiveError::InvalidValue { .. }
        ));
        assert!(matches!(
            err("[emulator status=418]"),
            DirectiveError::InvalidValue { .. }
        ));
        assert!(matches!(
            err("[emulator exception=accessDeniedException]"),
            DirectiveError::InvalidValue { .. }
        ));
        assert_eq!(err("[emulator words=3"), DirectiveError::Unterminated);
        assert_eq!(
            err("[emulator replay=x exception=throttlingException]"),
            DirectiveError::Conflict
        );
        let api: ApiError = err("[emulator bogus=1]").into();
        assert_eq!(api.code, ErrorCode::Validation);
    }

    #[test]
    fn reply_text_is_deterministic_and_prefix_stable() {
        let long = reply_text(24);
        assert_eq!(long, reply_text(24));
        assert_eq!(long.split(' ').count(), 24);
        assert!(long.starts_with(&reply_text(5)));
        assert!(!long.contains("emulator"));
        assert_eq!(reply_text(0), "");
    }

    #[test]
    fn default_reply_has_bedrocks_event_order() {
        let events = events(&plan_for("Hello [emulator words=4]").unwrap());
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "messageStart",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata"
            ]
        );
        assert_eq!(events[0].1, json!({ "role": "assistant" }));
        assert_eq!(text_of(&events), reply_text(4));
        assert!(
            events[1].1["delta"]["text"]
                .as_str()
                .unwrap()
                .ends_with(' ')
        );
        assert!(
            !events[4].1["delta"]["text"]
                .as_str()
                .unwrap()
                .ends_with(' ')
        );
        assert_eq!(events[5].1, json!({ "contentBlockIndex": 0 }));
        assert_eq!(events[6].1, json!({ "stopReason": "end_turn" }));
        // "be brief" + "Hello [emulator words=4]"
        assert_eq!(
            events[7].1["usage"],
            json!({ "inputTokens": 5, "outputTokens": 4, "totalTokens": 9 })
        );
        assert!(events[7].1["metrics"]["latencyMs"].is_u64());
    }

    #[test]
    fn default_length_comes_from_the_config() {
        let config = EmulatorConfig {
            reply_words: 3,
            ..EmulatorConfig::default()
        };
        let steps = plan(&request("Hello", json!({})), &config, 1, &SIGNER).unwrap();
        assert_eq!(text_of(&events(&steps)), reply_text(3));
    }

    #[test]
    fn a_configured_text_replaces_the_generated_words() {
        let config = EmulatorConfig {
            reply_text: Some("Bedrock serves   many models.".into()),
            ..EmulatorConfig::default()
        };
        let whole = events(&plan(&request("Hello", json!({})), &config, 1, &SIGNER).unwrap());
        assert_eq!(text_of(&whole), "Bedrock serves many models.");
        assert_eq!(whole.last().unwrap().1["usage"]["outputTokens"], 4);
        let cut = plan(
            &request("Hi", json!({ "maxTokens": 2 })),
            &config,
            1,
            &SIGNER,
        )
        .unwrap();
        assert_eq!(text_of(&events(&cut)), "Bedrock serves");
        let words = plan(
            &request("[emulator words=3]", json!({})),
            &config,
            1,
            &SIGNER,
        )
        .unwrap();
        assert_eq!(text_of(&events(&words)), "Bedrock serves many");
    }

    #[test]
    fn max_tokens_and_stop_sequences_cut_the_reply() {
        let config = EmulatorConfig::default();
        let capped = events(
            &plan(
                &request("x", json!({ "maxTokens": 3 })),
                &config,
                1,
                &SIGNER,
            )
            .unwrap(),
        );
        assert_eq!(text_of(&capped), reply_text(3));
        assert_eq!(capped[capped.len() - 2].1["stopReason"], "max_tokens");

        let full = reply_text(24);
        let third_word = full.split(' ').nth(2).unwrap();
        let sequence = format!(" {third_word}");
        let cut = &full[..full.find(&sequence).unwrap()];
        let stopped = events(
            &plan(
                &request("x", json!({ "stopSequences": ["zzz", sequence] })),
                &config,
                1,
                &SIGNER,
            )
            .unwrap(),
        );
        assert_eq!(text_of(&stopped), cut);
        assert_eq!(stopped[stopped.len() - 2].1["stopReason"], "stop_sequence");
        assert_eq!(
            stopped.last().unwrap().1["usage"]["outputTokens"],
            cut.split(' ').count()
        );
    }

    #[test]
    fn stop_directive_overrides_the_reason() {
        let events = events(&plan_for("[emulator words=2 stop=guardrail_intervened]").unwrap());
        assert_eq!(
            events[events.len() - 2].1["stopReason"],
            "guardrail_intervened"
        );
    }

    #[test]
    fn zero_words_has_no_content_block() {
        let names: Vec<String> = events(&plan_for("[emulator words=0]").unwrap())
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(names, ["messageStart", "messageStop", "metadata"]);
    }

    #[test]
    fn only_a_completed_reply_reads_or_writes_the_prompt_cache() {
        for (text, completes) in [
            ("[emulator status=429]", false),
            ("[emulator exception=throttlingException]", false),
            ("[emulator words=1]", true),
        ] {
            let used = std::cell::Cell::new(false);
            let input = || {
                used.set(true);
                InputUsage::uncached(0)
            };
            let config = EmulatorConfig::default();
            let _ = super::plan(&request(text, json!({})), input, &config, 1, &SIGNER);
            assert_eq!(used.get(), completes, "{text}");
        }
    }

    #[test]
    fn status_answers_without_a_stream() {
        let err = plan_for("[emulator status=429]").unwrap_err();
        assert_eq!(err.code, ErrorCode::Throttling);
        assert_eq!(
            err.message,
            "Too many requests, please wait before trying again."
        );
    }

    #[test]
    fn exception_follows_two_deltas() {
        let steps = plan_for("[emulator exception=modelStreamErrorException]").unwrap();
        let messages = decode(&steps);
        let kinds: Vec<String> = messages
            .iter()
            .map(|m| header(m, ":message-type"))
            .collect();
        assert_eq!(kinds, ["event", "event", "event", "exception"]);
        assert_eq!(
            header(&messages[3], ":exception-type"),
            "modelStreamErrorException"
        );
        let events = events(&steps);
        assert_eq!(text_of(&events), reply_text(2));
        assert_eq!(events[3].1["originalStatusCode"], 500);
    }

    #[test]
    fn exception_after_zero_is_the_first_frame() {
        let d = Directives::parse("[emulator exception=modelNotReadyException exception-after=0 fail-first=2 tool-result-image]").unwrap();
        assert_eq!(
            (d.exception, d.exception_after, d.fail_first),
            (Some(ErrorCode::ModelNotReady), Some(0), Some(2))
        );
        assert!(d.tool_result_image);
        assert!(matches!(
            Directives::parse("[emulator fail-first=0]"),
            Err(DirectiveError::InvalidValue { .. })
        ));
        assert!(matches!(
            Directives::parse("[emulator exception-after=x]"),
            Err(DirectiveError::InvalidValue { .. })
        ));
        let messages = decode(
            &plan_for("[emulator exception=throttlingException exception-after=0]").unwrap(),
        );
        assert_eq!(messages.len(), 1);
        assert_eq!(
            header(&messages[0], ":exception-type"),
            "throttlingException"
        );
        let messages = decode(
            &plan_for("[emulator exception=throttlingException exception-after=5]").unwrap(),
        );
        assert_eq!(messages.len(), 6);
    }

    #[test]
    fn fail_first_fails_only_the_first_attempts() {
        let config = EmulatorConfig::default();
        for directive in [
            "status=503",
            "exception=serviceUnavailableException exception-after=0",
        ] {
            let req = request(&format!("[emulator {directive} fail-first=2]"), json!({}));
            for attempt in 1..=2 {
                let failed = match plan(&req, &config, attempt, &SIGNER) {
                    Err(_) => true,
                    Ok(steps) => decode(&steps)
                        .iter()
                        .any(|m| header(m, ":message-type") == "exception"),
                };
                assert!(failed, "{directive}: attempt {attempt}");
            }
            let third = events(&plan(&req, &config, 3, &SIGNER).unwrap());
            assert_eq!(text_of(&third), reply_text(24), "{directive}");
        }
    }

    #[test]
    fn tool_result_image_streams_four_blocks() {
        let events = events(&plan_for("[emulator tool-result-image words=2]").unwrap());
        let starts: Vec<&Value> = events
            .iter()
            .filter(|(n, _)| n == "contentBlockStart")
            .map(|(_, p)| &p["start"])
            .collect();
        assert_eq!(starts[0]["toolUse"]["type"], "server_tool_use");
        assert_eq!(starts[1]["toolResult"]["toolUseId"], TOOL_USE_ID);
        assert_eq!(starts[2]["image"]["format"], "png");
        let image: String = events
            .iter()
            .filter_map(|(_, p)| p["delta"]["image"]["source"]["bytes"].as_str())
            .collect();
        assert_eq!(image, "iVBORw==DQoaCg==");
        let stops: Vec<&Value> = events
            .iter()
            .filter(|(n, _)| n == "contentBlockStop")
            .map(|(_, p)| &p["contentBlockIndex"])
            .collect();
        assert_eq!(stops, [0, 1, 2, 3]);
        assert!(
            events
                .iter()
                .filter(|(_, p)| p["delta"]["text"].is_string())
                .all(|(_, p)| p["contentBlockIndex"] == 3)
        );
        assert_eq!(text_of(&events), reply_text(2));
    }

    #[test]
    fn thinking_requests_stream_signed_thinking_then_the_tool_call() {
        let thinking = |text: &str| {
            let body = json!({
                "messages": [{ "role": "user", "content": [{ "text": text }] }],
                "additionalModelRequestFields": { "thinking": { "type": "enabled", "budget_tokens": 1024 } },
            });
            let request = ConverseRequest::parse(body.to_string().as_bytes()).unwrap();
            events(&plan(&request, &EmulatorConfig::default(), 1, &SIGNER).unwrap())
        };
        let called = thinking("[emulator tool-use=get_weather]");
        let reasoning: Vec<&Value> = called
            .iter()
            .filter_map(|(_, p)| p["delta"].get("reasoningContent"))
            .collect();
        assert_eq!(
            reasoning,
            [
                &json!({ "text": THINKING }),
                &json!({ "signature": SIGNER.sign(THINKING) })
            ]
        );
        let start = called
            .iter()
            .find(|(n, _)| n == "contentBlockStart")
            .unwrap();
        assert_eq!(
            start.1["start"]["toolUse"],
            json!({ "toolUseId": "tooluse_emulator_get_weather", "name": "get_weather" })
        );
        assert_eq!(start.1["contentBlockIndex"], 1);
        assert_eq!(text_of(&called), "");
        assert_eq!(called[called.len() - 2].1["stopReason"], "tool_use");

        let redacted = thinking("[emulator redacted-thinking words=2]");
        let data = redacted[1].1["delta"]["reasoningContent"]["redactedContent"]
            .as_str()
            .unwrap();
        assert_eq!(
            aws_smithy_types::base64::decode(data).unwrap(),
            SIGNER.redact(THINKING)
        );
        assert_eq!(text_of(&redacted), reply_text(2));
        assert!(
            redacted
                .iter()
                .filter(|(_, p)| p["delta"]["text"].is_string())
                .all(|(_, p)| p["contentBlockIndex"] == 1)
        );
        // Without thinking, no thinking is streamed.
        let plain = events(&plan_for("[emulator words=1]").unwrap());
        assert!(
            plain
                .iter()
                .all(|(_, p)| p["delta"].get("reasoningContent").is_none())
        );
    }

    #[test]
    fn corrupt_crc_breaks_the_third_frame_only() {
        let chunks = sent(&plan_for("[emulator corrupt-crc]").unwrap());
        let results: Vec<bool> = chunks
            .iter()
            .map(|c| read_message_from(c.clone()).is_ok())
            .collect();
        assert!(!results[2]);
        assert!(results.iter().enumerate().all(|(i, ok)| *ok == (i != 2)));
    }

    #[test]
    fn truncate_stops_inside_the_third_frame() {
        let chunks = sent(&plan_for("[emulator truncate]").unwrap());
        assert_eq!(chunks.len(), 3);
        assert!(read_message_from(chunks[1].clone()).is_ok());
        let declared = u32::from_be_bytes(chunks[2][..4].try_into().unwrap()) as usize;
        assert!(chunks[2].len() < declared);
    }

    #[test]
    fn huge_frame_announces_a_gigabyte_after_message_start() {
        let chunks = sent(&plan_for("[emulator huge-frame]").unwrap());
        assert_eq!(chunks.len(), 2);
        assert_eq!(
            header(
                &read_message_from(chunks[0].clone()).unwrap(),
                ":event-type"
            ),
            "messageStart"
        );
        assert_eq!(chunks[1].len(), 12);
        assert_eq!(
            u32::from_be_bytes(chunks[1][..4].try_into().unwrap()),
            1 << 30
        );
    }

    #[test]
    fn non_json_sends_a_valid_frame_with_a_bad_payload() {
        let messages = decode(&plan_for("[emulator non-json]").unwrap());
        assert_eq!(header(&messages[1], ":event-type"), "contentBlockDelta");
        assert_eq!(messages[1].payload().as_ref(), b"not json");
    }

    #[test]
    fn pacing_directives() {
        let slow = plan_for("[emulator words=2 slow=15]").unwrap();
        let pause = Step::Pause(Duration::from_millis(15));
        assert!(matches!(slow[0], Step::Send(_)));
        assert_eq!(
            slow.iter().filter(|s| **s == pause).count(),
            sent(&slow).len() - 1
        );
        let stalled = plan_for("[emulator stall]").unwrap();
        assert!(matches!(stalled[0], Step::Send(_)));
        assert_eq!(stalled[1], Step::Pause(STALL));
        assert_eq!(
            sent(&stalled).len(),
            sent(&plan_for("hello").unwrap()).len()
        );
    }

    #[test]
    fn replay_sends_the_recording_unchanged() {
        let Some(dir) = crate::test_support::shared_vectors("converse-stream") else {
            return;
        };
        let config = EmulatorConfig {
            vectors_dir: Some(dir.clone()),
            ..EmulatorConfig::default()
        };
        let steps = plan(
            &request("[emulator replay=amazon-bedrock-reasoning]", json!({})),
            &config,
            1,
            &SIGNER,
        )
        .unwrap();
        let recorded =
            std::fs::read_to_string(dir.join("amazon-bedrock-reasoning.chunks.txt")).unwrap();
        let messages = decode(&steps);
        let lines: Vec<&str> = recorded.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(messages.len(), lines.len());
        for (message, line) in messages.iter().zip(lines) {
            let line: Value = serde_json::from_str(line).unwrap();
            let (name, payload) = line.as_object().unwrap().iter().next().unwrap();
            assert_eq!(&header(message, ":event-type"), name);
            assert_eq!(
                serde_json::from_slice::<Value>(message.payload()).unwrap(),
                *payload
            );
        }
        let unknown = plan(
            &request("[emulator replay=nope]", json!({})),
            &config,
            1,
            &SIGNER,
        )
        .unwrap_err();
        assert_eq!(unknown.code, ErrorCode::Validation);
        assert!(unknown.message.contains("nope.chunks.txt"));
    }
}
