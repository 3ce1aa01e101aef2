//! A Messages reply as the client gets it: the whole message, or Anthropic's
//! server-sent events (`event:` named after each event's `type`), and
//! failures in Anthropic's error shape.

use super::events::{Assembler, Translator, message_start};
use super::wire::{ErrorBody, ErrorObject, StreamEvent as Out};
use crate::error::ApiError;
use crate::json_body;
use crate::mapping::InvalidRequest;
use crate::reply::{SseDialect, drain, reply_id};
use axum::http::StatusCode;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use bedrock_host::EventStream;
use bedrock_host::types::StreamEvent;
use std::collections::VecDeque;

/// Anthropic's `msg_` ids.
pub fn message_id() -> String {
    reply_id("msg_")
}

/// Anthropic's error type and status for one of `serve`'s failures, chosen
/// by its HTTP status (the message is already safe for a client).
pub fn error_kind(status: StatusCode) -> (StatusCode, &'static str) {
    match status.as_u16() {
        401 => (status, "authentication_error"),
        403 => (status, "permission_error"),
        404 => (status, "not_found_error"),
        413 => (status, "request_too_large"),
        429 => (status, "rate_limit_error"),
        // Anthropic's "overloaded" status, which its SDKs retry.
        503 | 529 => (
            StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "overloaded_error",
        ),
        400..=499 => (status, "invalid_request_error"),
        _ => (status, "api_error"),
    }
}

/// A failure on `/v1/messages`, answered in Anthropic's shape.
#[derive(Debug)]
pub struct AnthropicError(pub ApiError);

impl From<ApiError> for AnthropicError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<InvalidRequest> for AnthropicError {
    fn from(error: InvalidRequest) -> Self {
        Self(error.into())
    }
}

impl AnthropicError {
    fn body(&self) -> ErrorBody {
        ErrorBody {
            kind: "error",
            error: ErrorObject {
                kind: error_kind(self.0.status).1,
                message: self.0.message.clone(),
            },
        }
    }
}

impl IntoResponse for AnthropicError {
    fn into_response(self) -> Response {
        let (status, _) = error_kind(self.0.status);
        let mut response = (status, json_body(&self.body())).into_response();
        self.0.add_retry_after(response.headers_mut());
        response
    }
}

pub async fn whole_reply(
    id: String,
    model: String,
    mut translator: Translator,
    stream: EventStream,
    first: Option<Vec<StreamEvent>>,
) -> Result<Response, AnthropicError> {
    let mut assembler = Assembler::new(id, model);
    let mut out = Vec::new();
    drain(stream, first, |event| {
        translator.step(event, &mut out);
        out.drain(..).for_each(|e| assembler.add(e));
    })
    .await?;
    translator.finish(&mut out);
    out.into_iter().for_each(|e| assembler.add(e));
    Ok(json_body(&assembler.message()))
}

/// Anthropic's events: `message_start` and a `ping` first, the blocks as
/// they stream, then `message_delta` and `message_stop`; a failure after the
/// status line is an `error` event.
pub struct AnthropicEvents {
    translator: Translator,
    /// `message_start` is still to be sent.
    start: Option<Out>,
}

impl AnthropicEvents {
    pub fn new(id: String, model: String, translator: Translator) -> Self {
        Self {
            translator,
            start: Some(message_start(id, model)),
        }
    }

    fn push(&mut self, events: Vec<Out>, out: &mut VecDeque<Event>) {
        if let Some(start) = self.start.take() {
            out.extend(sse(&start));
            out.extend(sse(&Out::Ping));
        }
        out.extend(events.iter().filter_map(sse));
    }
}

fn sse(event: &Out) -> Option<Event> {
    let data = serde_json::to_string(event).ok()?;
    Some(Event::default().event(event.name()).data(data))
}

impl SseDialect for AnthropicEvents {
    fn batch(&mut self, events: Vec<StreamEvent>, out: &mut VecDeque<Event>) {
        let mut translated = Vec::new();
        for event in events {
            self.translator.step(event, &mut translated);
        }
        self.push(translated, out);
    }

    fn end(&mut self, out: &mut VecDeque<Event>) {
        let mut translated = Vec::new();
        self.translator.finish(&mut translated);
        self.push(translated, out);
    }

    fn fail(&mut self, error: ApiError, out: &mut VecDeque<Event>) {
        let body = AnthropicError(error).body();
        if let Ok(data) = serde_json::to_string(&body) {
            out.push_back(Event::default().event("error").data(data));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_errors_take_anthropic_types_and_statuses() {
        for (status, expected, kind) in [
            (400, 400, "invalid_request_error"),
            (415, 415, "invalid_request_error"),
            (401, 401, "authentication_error"),
            (403, 403, "permission_error"),
            (404, 404, "not_found_error"),
            (413, 413, "request_too_large"),
            (429, 429, "rate_limit_error"),
            (503, 529, "overloaded_error"),
            (500, 500, "api_error"),
            (504, 504, "api_error"),
        ] {
            let (s, k) = error_kind(StatusCode::from_u16(status).unwrap());
            assert_eq!((s.as_u16(), k), (expected, kind), "{status}");
        }
        let error = AnthropicError(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "invalid_api_key",
            "no key",
        ));
        assert_eq!(
            serde_json::to_value(error.body()).unwrap(),
            serde_json::json!({"type": "error", "error": {"type": "authentication_error", "message": "no key"}})
        );
        assert!(message_id().starts_with("msg_"));
        assert_ne!(message_id(), message_id());
    }
}
