//! `serve`: an OpenAI-compatible HTTP endpoint backed by the component, so
//! that tools which speak only OpenAI's Chat Completions API (SDKs, editors,
//! agents) can use Bedrock through the sandboxed plugin.
//!
//! Routes: `POST /v1/chat/completions` (whole replies, or SSE with
//! `"stream": true`), `GET /v1/models` and `GET /v1/models/{id}` (from
//! discovery). Each request runs one `converse-stream` call on its own
//! instance; a client that hangs up drops the handler's future or the SSE
//! body, and with it the [`EventStream`], which cancels the Bedrock request.
//!
//! With an API key configured, every route wants `Authorization: Bearer
//! KEY`. The key is compared in constant time and never logged or echoed.

mod mapping;
mod openai;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bedrock_host::types::WitName as _;
use bedrock_host::types::{DiscoveryOptions, ProviderConfig, ProviderError};
use bedrock_host::{EventStream, Host, HostError};
use mapping::{Collector, InvalidRequest, Piece, Turn};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// Images travel base64-encoded in the JSON body: Bedrock takes up to 20 of
/// 3.75 MB each, 100 MB once encoded; axum's 2 MB default is far too small.
const BODY_LIMIT: usize = 100 * 1024 * 1024;

/// What the endpoint needs besides the [`Host`].
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Passed to every plugin call (region, endpoint override, timeouts).
    pub provider: ProviderConfig,
    /// Options of the discovery behind `GET /v1/models`.
    pub discovery: DiscoveryOptions,
    /// When set, requests must carry `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
}

impl ServeConfig {
    /// The plugin's defaults for everything, and no API key.
    pub fn new(provider: ProviderConfig) -> Self {
        Self {
            provider,
            discovery: DiscoveryOptions::default(),
            api_key: None,
        }
    }
}

/// A bound, not yet running, endpoint: bind first, so that the caller can
/// print the address (port 0 picks a free one) before serving.
pub struct Server {
    listener: TcpListener,
    router: Router,
}

impl Server {
    pub async fn bind(
        addr: SocketAddr,
        host: Host,
        config: ServeConfig,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Server {
            listener,
            router: router(host, config),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

struct AppState {
    host: Host,
    config: ServeConfig,
}

/// The endpoint's routes, for callers that bring their own listener.
pub fn router(host: Host, config: ServeConfig) -> Router {
    let state = Arc::new(AppState { host, config });
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/models", get(list_models))
        // Model ids may be ARNs, which hold slashes.
        .route("/v1/models/{*id}", get(get_model))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// An OpenAI-shaped failure.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    kind: &'static str,
    code: Option<String>,
    param: Option<&'static str>,
    message: String,
    retry_after_ms: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            code: Some(code.into()),
            param: None,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// A host-side failure (a trap, a limit, an instance that would not
    /// start). The chain names the component and the guest function, no
    /// secrets.
    fn host(error: anyhow::Error) -> Self {
        let message = format!("{error:#}");
        match error.downcast_ref::<HostError>() {
            Some(HostError::Busy { .. }) => {
                let mut api = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "host_busy",
                    message,
                );
                api.retry_after_ms = Some(1000);
                api
            }
            Some(HostError::DeadlineExceeded { .. }) => Self::new(
                StatusCode::GATEWAY_TIMEOUT,
                "server_error",
                "host_deadline_exceeded",
                message,
            ),
            _ => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "host_error",
                message,
            ),
        }
    }

    fn body(&self) -> openai::ErrorBody {
        openai::ErrorBody {
            error: openai::ErrorObject {
                message: self.message.clone(),
                kind: self.kind,
                param: self.param,
                code: self.code.clone(),
            },
        }
    }
}

impl From<InvalidRequest> for ApiError {
    fn from(error: InvalidRequest) -> Self {
        let mut api = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_request",
            error.message,
        );
        api.param = error.param;
        api
    }
}

impl From<ProviderError> for ApiError {
    fn from(error: ProviderError) -> Self {
        use StatusCode as S;
        let (status, kind) = match &error {
            ProviderError::InvalidRequest(_)
            | ProviderError::NotImplemented(_)
            | ProviderError::Validation(_)
            | ProviderError::ContextWindowExceeded(_) => (S::BAD_REQUEST, "invalid_request_error"),
            // The plugin's own AWS credentials are missing or refused.
            ProviderError::NoCredentials(_)
            | ProviderError::CredentialSource(_)
            | ProviderError::Auth(_) => (S::UNAUTHORIZED, "authentication_error"),
            ProviderError::AccessDenied(_) => (S::FORBIDDEN, "permission_error"),
            ProviderError::ModelNotFound(_) => (S::NOT_FOUND, "not_found_error"),
            ProviderError::Throttled(_) => (S::TOO_MANY_REQUESTS, "rate_limit_error"),
            ProviderError::ModelNotReady(_) | ProviderError::ServiceUnavailable(_) => {
                (S::SERVICE_UNAVAILABLE, "server_error")
            }
            ProviderError::Timeout(_) => (S::GATEWAY_TIMEOUT, "server_error"),
            ProviderError::Http(_)
            | ProviderError::Network(_)
            | ProviderError::Protocol(_)
            | ProviderError::ModelStreamError(_) => (S::BAD_GATEWAY, "server_error"),
            ProviderError::InternalServer(_) | ProviderError::Cancelled => {
                (S::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        let code = match &error {
            // The code OpenAI clients look for.
            ProviderError::ContextWindowExceeded(_) => "context_length_exceeded".to_string(),
            other => other.wit_name().replace('-', "_"),
        };
        let mut api = Self::new(status, kind, &code, error.message());
        api.retry_after_ms = error.detail().and_then(|d| d.retry_after_ms);
        api
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, json_body(&self.body())).into_response();
        if let Some(ms) = self.retry_after_ms {
            let headers = response.headers_mut();
            // `retry-after` in whole seconds for everyone; OpenAI's SDKs
            // read the exact `retry-after-ms` first.
            headers.insert(header::RETRY_AFTER, HeaderValue::from(ms.div_ceil(1000)));
            headers.insert("retry-after-ms", HeaderValue::from(ms));
        }
        response
    }
}

/// A JSON response body. Serialising these types cannot fail (no maps with
/// non-string keys), but a failure would still answer, as a 500.
fn json_body(value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn authorize(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(key) = &state.config.api_key else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        // The scheme is case-insensitive (RFC 9110).
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim());
    if constant_time_eq(given.as_bytes(), key.as_bytes()) {
        return next.run(request).await;
    }
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect or missing API key: send Authorization: Bearer <the key serve was started with>",
    )
    .into_response()
}

/// Equality whose time depends on the lengths only, not on where the bytes
/// first differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "unknown_url",
        "Unknown route: this server offers POST /v1/chat/completions, GET /v1/models and GET /v1/models/{id}",
    )
}

async fn list_models(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(json_body(&models(&state).await?))
}

async fn get_model(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list = models(&state).await?;
    match list.data.into_iter().find(|m| m.id == id) {
        Some(model) => Ok(json_body(&model)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "model_not_found",
            format!("The model '{id}' is not among the models discovery lists"),
        )),
    }
}

async fn models(state: &AppState) -> Result<openai::ModelList, ApiError> {
    let discovery = state
        .host
        .discover(&state.config.provider, &state.config.discovery)
        .await
        .map_err(ApiError::host)??;
    Ok(openai::ModelList {
        object: "list",
        data: discovery
            .models
            .into_iter()
            .map(|m| openai::Model {
                id: m.id,
                object: "model",
                created: discovery.fetched_at,
                owned_by: m.provider,
            })
            .collect(),
    })
}

async fn chat_completions(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let chat: openai::ChatRequest = serde_json::from_slice(&body).map_err(|e| InvalidRequest {
        message: format!("the request body is not a valid chat completion request: {e}"),
        param: None,
    })?;
    let mapped = mapping::converse_request(chat)?;
    let reply = Reply {
        id: completion_id(),
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        model: mapped.request.model_id.clone(),
    };
    let mut stream = state
        .host
        .converse_stream(&state.config.provider, &mapped.request)
        .await
        .map_err(ApiError::host)??;
    // The first batch comes before the status line, so that errors the
    // plugin only reports there (throttling, auth, ...) still get their
    // HTTP status rather than a 200 with an error inside.
    let first = stream.next().await.map_err(ApiError::host)??;
    if mapped.stream {
        Ok(stream_reply(reply, stream, first, mapped.include_usage))
    } else {
        whole_reply(reply, stream, first).await
    }
}

/// What every chunk of one reply repeats.
struct Reply {
    id: String,
    created: u64,
    model: String,
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
fn completion_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("chatcmpl-{nanos:016x}{:08x}", n as u32)
}

async fn whole_reply(
    reply: Reply,
    mut stream: EventStream,
    first: Option<Vec<bedrock_host::types::StreamEvent>>,
) -> Result<Response, ApiError> {
    let mut turn = Turn::default();
    let mut collector = Collector::default();
    let mut batch = first;
    while let Some(events) = batch {
        for piece in events.into_iter().filter_map(|e| turn.step(e)) {
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

/// The SSE body's state. The [`EventStream`] lives here: when the client
/// hangs up, hyper drops the body, and the Bedrock request is cancelled.
struct Sending {
    reply: Reply,
    stream: Option<EventStream>,
    turn: Turn,
    include_usage: bool,
    queue: VecDeque<Event>,
}

impl Sending {
    fn push(&mut self, value: &impl serde::Serialize) {
        // Chunks always serialise (see `json_body`).
        if let Ok(data) = serde_json::to_string(value) {
            self.queue.push_back(Event::default().data(data));
        }
    }

    fn push_batch(&mut self, events: Vec<bedrock_host::types::StreamEvent>) {
        for event in events {
            let choice = match self.turn.step(event) {
                None => continue,
                Some(Piece::Delta(delta)) => openai::ChunkChoice {
                    index: 0,
                    delta,
                    finish_reason: None,
                    logprobs: None,
                },
                Some(Piece::Finish(reason)) => openai::ChunkChoice {
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
            match stream.next().await {
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

fn stream_reply(
    reply: Reply,
    stream: EventStream,
    first: Option<Vec<bedrock_host::types::StreamEvent>>,
    include_usage: bool,
) -> Response {
    let mut sending = Sending {
        reply,
        stream: Some(stream),
        turn: Turn::default(),
        include_usage,
        queue: VecDeque::new(),
    };
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

    /// A host over a stand-in component whose every export traps: enough
    /// for the routes that answer before calling the plugin.
    fn stand_in_host() -> Host {
        let component = bedrock_test_fixtures::stand_in_component("serve.wasm", true);
        let config = bedrock_host::HostConfig {
            env: Vec::new(),
            code_cache: None,
            ..bedrock_host::HostConfig::new(component.path())
        };
        Host::new(config).unwrap_or_else(|e| panic!("{e:#}"))
    }
    use bedrock_host::types::ErrorDetail;
    use serde_json::json;

    fn detail(retry_after_ms: Option<u64>) -> ErrorDetail {
        ErrorDetail {
            message: "Too many requests".into(),
            status: Some(429),
            code: Some("ThrottlingException".into()),
            request_id: None,
            retry_after_ms,
        }
    }

    #[test]
    fn serve_maps_provider_errors_to_openai_statuses() {
        let cases = [
            (
                ProviderError::Throttled(detail(Some(1500))),
                429,
                "rate_limit_error",
            ),
            (
                ProviderError::Validation(detail(None)),
                400,
                "invalid_request_error",
            ),
            (
                ProviderError::Auth(detail(None)),
                401,
                "authentication_error",
            ),
            (
                ProviderError::AccessDenied(detail(None)),
                403,
                "permission_error",
            ),
            (
                ProviderError::ModelNotFound(detail(None)),
                404,
                "not_found_error",
            ),
            (ProviderError::Timeout("slow".into()), 504, "server_error"),
            (
                ProviderError::ServiceUnavailable(detail(None)),
                503,
                "server_error",
            ),
            (
                ProviderError::ModelStreamError(detail(None)),
                502,
                "server_error",
            ),
        ];
        for (error, status, kind) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status.as_u16(), api.kind), (status, kind), "{api:?}");
        }
        let throttled =
            ApiError::from(ProviderError::Throttled(detail(Some(1500)))).into_response();
        assert_eq!(throttled.headers()[header::RETRY_AFTER], "2");
        assert_eq!(throttled.headers()["retry-after-ms"], "1500");
        let window = ApiError::from(ProviderError::ContextWindowExceeded(detail(None)));
        assert_eq!(window.code.as_deref(), Some("context_length_exceeded"));
        let body =
            serde_json::to_value(ApiError::from(ProviderError::ModelNotFound(detail(None))).body())
                .unwrap();
        assert_eq!(
            body,
            json!({"error": {"message": "Too many requests", "type": "not_found_error",
                                         "param": null, "code": "model_not_found"}})
        );
    }

    #[test]
    fn serve_compares_keys_exactly() {
        assert!(constant_time_eq(b"sk-local", b"sk-local"));
        assert!(!constant_time_eq(b"sk-local", b"sk-locaL"));
        assert!(!constant_time_eq(b"sk-local", b"sk-local-longer"));
        assert!(!constant_time_eq(b"", b"sk-local"));
    }

    /// One HTTP/1.1 exchange: the status and the body as JSON.
    async fn exchange(addr: SocketAddr, head: &str, body: &str) -> (u16, serde_json::Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "{head}\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        socket.read_to_string(&mut response).await.unwrap();
        let status = response[9..12].parse().unwrap();
        let (_, body) = response.split_once("\r\n\r\n").unwrap();
        (
            status,
            serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn serve_answers_auth_and_bad_requests_in_openai_shape() {
        let mut config = ServeConfig::new(ProviderConfig::default());
        config.api_key = Some("sk-local".into());
        let server = Server::bind(([127, 0, 0, 1], 0).into(), stand_in_host(), config)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));

        let (status, body) = exchange(addr, "GET /v1/models HTTP/1.1", "").await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "invalid_api_key");
        assert!(
            !body.to_string().contains("sk-local"),
            "the key is never echoed: {body}"
        );
        let (status, _) = exchange(
            addr,
            "GET /v1/models HTTP/1.1\r\nAuthorization: Bearer sk-locaX",
            "",
        )
        .await;
        assert_eq!(status, 401);

        let auth = "\r\nAuthorization: bearer sk-local";
        // The plugin traps: a host failure, reported as a server error.
        let (status, body) = exchange(addr, &format!("GET /v1/models HTTP/1.1{auth}"), "").await;
        assert_eq!(
            (status, &body["error"]["type"]),
            (500, &json!("server_error")),
            "{body}"
        );
        let post =
            format!("POST /v1/chat/completions HTTP/1.1{auth}\r\nContent-Type: application/json");
        let (status, body) = exchange(addr, &post, r#"{"model": "m", "messages": "#).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("EOF"),
            "{body}"
        );
        let (status, body) = exchange(addr, &post, r#"{"messages": []}"#).await;
        assert_eq!(status, 400);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("missing field `model`"),
            "{body}"
        );
        let image = r#"{"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}"#;
        let (status, body) = exchange(addr, &post, image).await;
        assert_eq!(
            (status, &body["error"]["param"]),
            (400, &json!("messages")),
            "{body}"
        );
        let (status, body) =
            exchange(addr, &format!("GET /v1/embeddings HTTP/1.1{auth}"), "").await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (404, &json!("unknown_url")),
            "{body}"
        );

        stop.send(()).unwrap();
        running.await.unwrap().unwrap();
    }

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
