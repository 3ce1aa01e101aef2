//! `POST /v1/messages`: Anthropic's Messages API over the same plugin calls
//! as `/v1/chat/completions`, so that Anthropic's SDKs and the gateway's
//! `anthropic-messages` client reach every model the plugin serves without
//! losing thinking signatures, redacted thinking or cache usage.
//!
//! [`wire`] holds the shapes, [`request`] maps a request onto a
//! `converse-request`, [`events`] maps the plugin's stream events to
//! Anthropic's and folds them into a whole message, [`reply`] sends either
//! and answers failures as `{"type": "error", "error": {"type", "message"}}`
//! with Anthropic's status (an `error` event once streaming).
//!
//! The mapping, where it is not one to one:
//!
//! * `anthropic-version` is accepted whatever its value and `anthropic-beta`
//!   is ignored, as a proxy would; the API key may come as `x-api-key` (what
//!   Anthropic's SDKs send) or `Authorization: Bearer`.
//! * `thinking: {type: enabled, budget_tokens}` becomes the largest reasoning
//!   level whose budget (1 024, 2 048, 8 192, 16 384, 32 000) does not exceed
//!   the one asked; `adaptive` takes `output_config.effort` (default high);
//!   `disabled` sends none. The contract carries a level, not a budget, and
//!   an exact budget in `additional-model-request-fields` would replace the
//!   plugin's own `thinking` field, which adaptive-only models need. The
//!   plugin adds the budget's room to `max_tokens`, so the reply keeps the
//!   length asked for.
//! * Thinking blocks travel both ways with their `signature`, and
//!   `redacted_thinking.data` is the base64 of the redacted bytes, both ways.
//! * `cache_control` marks (on system blocks, message blocks or tools) set
//!   the request's cache retention: `ttl: "1h"` anywhere → `long`, else
//!   `short`. The plugin places the cache points itself (after the system
//!   prompt, the tools and the conversation), so a mark's position does not
//!   move them. Without any mark, serve's `--cache-retention` applies (default
//!   `short`, as for `/v1/chat/completions`; `none` gives Anthropic's own
//!   behaviour, no caching unless asked).
//! * `top_k` goes to Claude's additional request fields; `metadata` and
//!   `disable_parallel_tool_use` are ignored; image and document `url`
//!   sources are refused (the sandbox reaches Bedrock, not the web).
//! * `stop_reason` is Claude's own value when Bedrock passes it on, else the
//!   nearest (`refusal` for content filtered); `stop_sequence` is the one
//!   Bedrock reports, or the request's when it gave only one. Usage is Bedrock's: input tokens apart from cache
//!   reads and writes, as Anthropic counts them, sent in `message_delta`
//!   (Bedrock reports usage at the end; `message_start` carries zeros).

mod events;
mod reply;
mod request;
mod wire;

pub(crate) use reply::AnthropicError;

use crate::mapping::InvalidRequest;
use crate::reply::{Sending, reply_timeout, stream_reply};
use crate::{Admitted, AppState, admit_body, start_turn};
use axum::extract::{Request, State};
use axum::response::Response;
use std::sync::Arc;

/// `POST /v1/messages`, under the same admission, body limits and deadline
/// as `/v1/chat/completions`.
pub(crate) async fn messages(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Response, AnthropicError> {
    let limits = &state.config.limits;
    let Admitted {
        body,
        _reserved,
        place,
        deadline,
    } = admit_body(&state, request).await?;
    let parsed: wire::MessagesRequest =
        serde_json::from_slice(&body).map_err(|e| InvalidRequest {
            message: format!("the request body is not a valid Messages request: {e}"),
            param: None,
        })?;
    drop(body);
    let mapped = request::converse_request(parsed, Some(state.config.cache_retention))?;
    let (id, model) = (reply::message_id(), mapped.request.model_id.clone());
    let translator = events::Translator::new(&mapped.request.stop_sequences);
    let (stream, first) = start_turn(&state, &mapped.request, deadline).await?;
    if !mapped.stream {
        let whole = reply::whole_reply(id, model, translator, stream, first);
        let whole = tokio::time::timeout_at(deadline, whole).await;
        drop(place);
        return whole.map_err(|_| AnthropicError(reply_timeout(limits.stream_timeout)))?;
    }
    let sending = Sending::new(
        reply::AnthropicEvents::new(id, model, translator),
        stream,
        deadline,
        limits.stream_timeout,
        place,
    );
    Ok(stream_reply(sending, first))
}
