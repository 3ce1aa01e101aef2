//! A reply as the client gets it: whole (one JSON body), or streamed as
//! server-sent events, under the whole-reply deadline.

use super::error::ApiError;
use super::mapping::{Collector, Piece, Turn};
use super::{json_body, openai};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bedrock_host::EventStream;
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

/// `chatcmpl-` and 24 hex digits, unique within the process and unlikely to
/// repeat across restarts.
pub(super) fn completion_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("chatcmpl-{nanos:016x}{:08x}", n as u32)
}

pub(super) async fn whole_reply(
    reply: Reply,
    mut stream: EventStream,
    first: Option<Vec<bedrock_host::types::StreamEvent>>,
) -> Result<Response, ApiError> {
    let mut turn = Turn::default();
    let mut collector = Collector::default();
    let mut batch = first;
    while let Some(events) = batch {
        for piece in events.into_iter().flat_map(|e| turn.step(e)) {
            collector.add(piece);
        }
        batch = stream.next().await.map_err(ApiError::host)??;
    }
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

/// The SSE body's state. The [`EventStream`] and the request's place under
/// `max_requests` live here: when the client hangs up, or stops reading for
/// the send timeout, hyper drops the body, the Bedrock request is cancelled
/// and the place is free.
pub(super) struct Sending {
    reply: Reply,
    stream: Option<EventStream>,
    turn: Turn,
    include_usage: bool,
    queue: VecDeque<Event>,
    /// When the whole reply must have been sent.
    deadline: Instant,
    stream_timeout: Duration,
    _admitted: OwnedSemaphorePermit,
}

impl Sending {
    /// A stream to send, which holds the request's place until dropped.
    pub fn new(
        reply: Reply,
        stream: EventStream,
        include_usage: bool,
        deadline: Instant,
        stream_timeout: Duration,
        admitted: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            reply,
            stream: Some(stream),
            turn: Turn::default(),
            include_usage,
            queue: VecDeque::new(),
            deadline,
            stream_timeout,
            _admitted: admitted,
        }
    }

    fn push(&mut self, value: &impl serde::Serialize) {
        // Chunks always serialise (see `json_body`).
        if let Ok(data) = serde_json::to_string(value) {
            self.queue.push_back(Event::default().data(data));
        }
    }

    fn push_batch(&mut self, events: Vec<bedrock_host::types::StreamEvent>) {
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
            let chunk = self.reply.chunk(vec![choice], None);
            self.push(&chunk);
        }
    }

    /// The usage chunk OpenAI sends last (no choices) when asked, then `[DONE]`.
    fn push_end(&mut self) {
        if self.include_usage
            && let Some(usage) = self.turn.usage.clone()
        {
            let chunk = self.reply.chunk(Vec::new(), Some(usage));
            self.push(&chunk);
        }
        self.queue.push_back(Event::default().data("[DONE]"));
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
                Ok(Ok(Some(batch))) => self.push_batch(batch),
                Ok(Ok(None)) => {
                    self.stream = None;
                    self.push_end();
                }
                // Once streaming, the status is sent: the error goes out as
                // an event in OpenAI's shape, and the stream ends there.
                Ok(Err(error)) => self.fail(ApiError::from(error)),
                Err(error) => self.fail(ApiError::host(error)),
            }
        }
    }

    fn fail(&mut self, error: ApiError) {
        self.stream = None;
        self.push(&error.body());
    }
}

pub(super) fn stream_reply(
    mut sending: Sending,
    first: Option<Vec<bedrock_host::types::StreamEvent>>,
) -> Response {
    match first {
        Some(batch) => sending.push_batch(batch),
        None => {
            sending.stream = None;
            sending.push_end();
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
