//! A reply as the client gets it: whole (one JSON body), or streamed as
//! server-sent events, under the whole-reply deadline.

use super::error::ApiError;
use super::mapping::{Collector, Piece, Turn};
use super::{json_body, openai};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bedrock_host::EventStream;
use bedrock_host::types::StreamEvent;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

pub(super) fn reply_timeout(limit: Duration) -> ApiError {
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "server_error",
        "reply_timeout",
        format!("The reply took longer than this server's limit of {limit:?}"),
    )
}

/// What every chunk of one reply repeats.
pub(super) struct Reply {
    pub id: String,
    pub created: u64,
    pub model: String,
}

impl Reply {
    fn chunk(
        &self,
        choices: Vec<openai::ChunkChoice>,
        usage: Option<openai::Usage>,
    ) -> openai::ChatCompletionChunk {
        openai::ChatCompletionChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk",
            created: self.created,
            model: self.model.clone(),
            choices,
            usage,
        }
    }
}

/// `prefix` and 24 hex digits, unique within the process and unlikely to
/// repeat across restarts: a reply's id.
pub(super) fn reply_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{nanos:016x}{:08x}", n as u32)
}

/// OpenAI's `chatcmpl-` ids.
pub(super) fn completion_id() -> String {
    reply_id("chatcmpl-")
}

/// Feeds every event of a reply to `each`, the already received `first`
/// batch included, until the stream ends or fails.
pub(super) async fn drain(
    mut stream: EventStream,
    first: Option<Vec<StreamEvent>>,
    mut each: impl FnMut(StreamEvent),
) -> Result<(), ApiError> {
    let mut batch = first;
    while let Some(events) = batch {
        events.into_iter().for_each(&mut each);
        batch = stream.next().await.map_err(ApiError::host)??;
    }
    Ok(())
}

pub(super) async fn whole_reply(
    reply: Reply,
    stream: EventStream,
    first: Option<Vec<StreamEvent>>,
) -> Result<Response, ApiError> {
    let mut turn = Turn::default();
    let mut collector = Collector::default();
    drain(stream, first, |event| {
        for piece in turn.step(event) {
            collector.add(piece);
        }
    })
    .await?;
    let finish_reason = collector.finish_reason;
    let completion = openai::ChatCompletion {
        id: reply.id,
        object: "chat.completion",
        created: reply.created,
        model: reply.model,
        choices: vec![openai::Choice {
            index: 0,
            message: collector.message(),
            finish_reason,
            logprobs: None,
        }],
        usage: turn.usage,
    };
    Ok(json_body(&completion))
}

/// How one API turns a reply's stream events into server-sent events.
pub(super) trait SseDialect: Send + 'static {
    /// The events for one batch from the plugin.
    fn batch(&mut self, events: Vec<StreamEvent>, out: &mut VecDeque<Event>);
    /// The events after the plugin's last batch.
    fn end(&mut self, out: &mut VecDeque<Event>);
    /// The event that reports a failure once the status line is sent.
    fn fail(&mut self, error: ApiError, out: &mut VecDeque<Event>);
}

/// The SSE body's state. The [`EventStream`] and the request's place under
/// `max_requests` live here: when the client hangs up, or stops reading for
/// the send timeout, hyper drops the body, the Bedrock request is cancelled
/// and the place is free.
pub(super) struct Sending<D> {
    dialect: D,
    stream: Option<EventStream>,
    queue: VecDeque<Event>,
    /// When the whole reply must have been sent.
    deadline: Instant,
    stream_timeout: Duration,
    _admitted: OwnedSemaphorePermit,
}

impl<D: SseDialect> Sending<D> {
    /// A stream to send, which holds the request's place until dropped.
    pub fn new(
        dialect: D,
        stream: EventStream,
        deadline: Instant,
        stream_timeout: Duration,
        admitted: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            dialect,
            stream: Some(stream),
            queue: VecDeque::new(),
            deadline,
            stream_timeout,
            _admitted: admitted,
        }
    }

    /// The next SSE event, pulling from the plugin when the queue is empty.
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            let stream = self.stream.as_mut()?;
            let Ok(next) = tokio::time::timeout_at(self.deadline, stream.next()).await else {
                self.fail(reply_timeout(self.stream_timeout));
                continue;
            };
            match next {
                Ok(Ok(Some(batch))) => self.dialect.batch(batch, &mut self.queue),
                Ok(Ok(None)) => {
                    self.stream = None;
                    self.dialect.end(&mut self.queue);
                }
                // Once streaming, the status is sent: the error goes out as
                // an event in the dialect's shape, and the stream ends there.
                Ok(Err(error)) => self.fail(ApiError::from(error)),
                Err(error) => self.fail(ApiError::host(error)),
            }
        }
    }

    fn fail(&mut self, error: ApiError) {
        self.stream = None;
        self.dialect.fail(error, &mut self.queue);
    }
}

/// The SSE response: `first` (already received) goes out first, then the
/// rest as the plugin streams it.
pub(super) fn stream_reply<D: SseDialect>(
    mut sending: Sending<D>,
    first: Option<Vec<StreamEvent>>,
) -> Response {
    match first {
        Some(batch) => sending.dialect.batch(batch, &mut sending.queue),
        None => {
            sending.stream = None;
            sending.dialect.end(&mut sending.queue);
        }
    }
    let events = futures_util::stream::unfold(sending, |mut sending| async move {
        let event = sending.next_event().await?;
        Some((Ok::<_, Infallible>(event), sending))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// A JSON `data:` event. Chunks always serialise (see `json_body`).
pub(super) fn json_event(value: &impl serde::Serialize) -> Option<Event> {
    serde_json::to_string(value)
        .ok()
        .map(|data| Event::default().data(data))
}

/// OpenAI's chunks: one per delta, an optional usage chunk, then `[DONE]`.
pub(super) struct OpenAiChunks {
    pub reply: Reply,
    pub turn: Turn,
    pub include_usage: bool,
}

impl SseDialect for OpenAiChunks {
    fn batch(&mut self, events: Vec<StreamEvent>, out: &mut VecDeque<Event>) {
        let pieces: Vec<Piece> = events.into_iter().flat_map(|e| self.turn.step(e)).collect();
        for piece in pieces {
            let choice = match piece {
                Piece::Delta(delta) => openai::ChunkChoice {
                    index: 0,
                    delta,
                    finish_reason: None,
                    logprobs: None,
                },
                Piece::Finish(reason) => openai::ChunkChoice {
                    index: 0,
                    delta: openai::Delta::default(),
                    finish_reason: Some(reason),
                    logprobs: None,
                },
            };
            out.extend(json_event(&self.reply.chunk(vec![choice], None)));
        }
    }

    /// The usage chunk OpenAI sends last (no choices) when asked, then `[DONE]`.
    fn end(&mut self, out: &mut VecDeque<Event>) {
        if self.include_usage
            && let Some(usage) = self.turn.usage.clone()
        {
            out.extend(json_event(&self.reply.chunk(Vec::new(), Some(usage))));
        }
        out.push_back(Event::default().data("[DONE]"));
    }

    fn fail(&mut self, error: ApiError, out: &mut VecDeque<Event>) {
        out.extend(json_event(&error.body()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_ids_are_unique() {
        let (a, b) = (completion_id(), completion_id());
        assert_ne!(a, b);
        assert!(
            a.starts_with("chatcmpl-") && a.len() == "chatcmpl-".len() + 24,
            "{a}"
        );
    }
}
