//! Renders an [`EventStream`] live: text deltas to stdout in human mode, one
//! JSON object per event per line in JSON mode. Model text is the model's
//! choice, so human mode strips its control characters
//! ([`terminal::sanitize`]); JSON escapes them.

use super::transcript::Transcript;
use super::{Failure, cyan, dim};
use crate::json;
use bedrock_host::EventStream;
use bedrock_host::terminal::sanitize;
use bedrock_host::types::{MessageStop, StreamEvent, Usage, WitName};
use std::io::Write;

/// What the reply ended with.
#[derive(Default)]
pub struct Summary {
    pub stop: Option<MessageStop>,
    pub usage: Option<Usage>,
    pub latency_ms: Option<u64>,
    /// Whether any text delta arrived.
    pub streamed_text: bool,
    /// The reply as an assistant message, for the next turn.
    pub transcript: Transcript,
    /// The tool call being printed, by block index.
    open_tool: Option<u32>,
}

impl Summary {
    /// `stop: stop (end_turn) · 12 input + 34 output tokens · 532 ms`
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        match &self.stop {
            Some(stop) => parts.push(format!(
                "stop: {} ({})",
                stop.reason.wit_name(),
                stop.raw_reason
            )),
            None => parts.push("stop: none (the stream ended without a message stop)".to_string()),
        }
        if let Some(u) = &self.usage {
            let mut usage = format!(
                "{} input + {} output tokens",
                u.input_tokens, u.output_tokens
            );
            if let Some(read) = u.cache_read_tokens.filter(|n| *n > 0) {
                usage.push_str(&format!(", {read} read from cache"));
            }
            if let Some(write) = u.cache_write_tokens.filter(|n| *n > 0) {
                usage.push_str(&format!(", {write} written to cache"));
            }
            parts.push(usage);
        }
        if let Some(ms) = self.latency_ms {
            parts.push(format!("{ms} ms"));
        }
        parts.join(" · ")
    }
}

/// Drains the stream, printing as it goes. Ctrl-C drops the stream (which
/// cancels the request) and returns [`Failure::Interrupted`].
pub async fn render(mut stream: EventStream, json_mode: bool) -> Result<Summary, Failure> {
    let mut summary = Summary::default();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let batch = tokio::select! {
            batch = stream.next() => batch,
            _ = &mut ctrl_c => {
                drop(stream);
                if !json_mode && summary.streamed_text {
                    println!();
                }
                return Err(Failure::Interrupted);
            }
        };
        let events = match batch {
            Ok(Ok(Some(events))) => events,
            Ok(Ok(None)) => break,
            Ok(Err(error)) => {
                if !json_mode && summary.streamed_text {
                    println!();
                }
                return Err(Failure::Provider(error));
            }
            Err(error) => {
                if !json_mode && summary.streamed_text {
                    println!();
                }
                return Err(Failure::Host(error));
            }
        };
        let mut out = std::io::stdout().lock();
        for event in &events {
            summary.transcript.record(event);
            if json_mode {
                let _ = writeln!(out, "{}", json::to_line(&json::event(event)));
                continue;
            }
            match event {
                StreamEvent::TextDelta(delta) => {
                    summary.streamed_text = true;
                    let _ = out.write_all(sanitize(&delta.text).as_bytes());
                }
                // Thinking goes to stderr, dimmed: stdout stays the answer.
                StreamEvent::ReasoningDelta(delta) => eprint!("{}", dim(&sanitize(&delta.text))),
                StreamEvent::ToolUseStart(start) => {
                    summary.streamed_text = true;
                    summary.open_tool = Some(start.index);
                    let _ = write!(
                        out,
                        "\n{} ",
                        cyan(&sanitize(&format!("→ {} [{}]", start.name, start.id)))
                    );
                }
                StreamEvent::ToolInputDelta(delta) => {
                    let _ = out.write_all(sanitize(&delta.text).as_bytes());
                }
                StreamEvent::BlockStop(index) if summary.open_tool == Some(*index) => {
                    summary.open_tool = None;
                    let _ = writeln!(out);
                }
                StreamEvent::MessageStop(stop) => summary.stop = Some(stop.clone()),
                StreamEvent::Metadata(meta) => {
                    if meta.usage.is_some() {
                        summary.usage = meta.usage.clone();
                    }
                    if meta.latency_ms.is_some() {
                        summary.latency_ms = meta.latency_ms;
                    }
                }
                _ => {}
            }
        }
        let _ = out.flush();
    }
    if !json_mode {
        println!();
    }
    Ok(summary)
}
