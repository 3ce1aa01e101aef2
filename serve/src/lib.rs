//! `serve`: an OpenAI-compatible HTTP endpoint backed by the component, so
//! that tools which speak only OpenAI's Chat Completions API (SDKs, editors,
//! agents) can use Bedrock through the sandboxed plugin.
//!
//! Routes: `POST /v1/chat/completions` (whole replies, or SSE with
//! `"stream": true`), `POST /v1/messages` (Anthropic's Messages API, in
//! `anthropic/`), `GET /v1/models` and `GET /v1/models/{id}` (from
//! discovery). Each request runs one `converse-stream` call on its own
//! instance; a client that hangs up drops the handler's future or the SSE
//! body, and with it the [`EventStream`](bedrock_host::EventStream), which cancels
//! the Bedrock request.
//!
//! Every caller is treated as hostile: `guard` refuses web pages and
//! rebound host names, [`ServeLimits`] bounds what one caller can hold and
//! for how long, and `error` keeps paths, backtraces and principals out of
//! what clients read. With an API key configured, every route wants
//! `Authorization: Bearer KEY` or `x-api-key: KEY` (what Anthropic's SDKs
//! send), compared in constant time, never logged or echoed.

mod anthropic;
mod body;
mod error;
mod guard;
mod limits;
mod listener;
mod mapping;
mod openai;
mod redact;
mod reply;

pub use limits::ServeLimits;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bedrock_host::EventStream;
use bedrock_host::Host;
use bedrock_host::types::{
    CacheRetention, ConverseRequest, DiscoveryOptions, ProviderConfig, StreamEvent,
};
use error::ApiError;
use mapping::InvalidRequest;
use reply::{
    OpenAiChunks, Reply, Sending, completion_id, reply_timeout, stream_reply, whole_reply,
};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// What the endpoint needs besides the [`Host`].
#[derive(Clone)]
pub struct ServeConfig {
    /// Passed to every plugin call (region, endpoint override, timeouts).
    pub provider: ProviderConfig,
    /// Options of the discovery behind `GET /v1/models`.
    pub discovery: DiscoveryOptions,
    /// When set, requests must carry `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Browser origins (`scheme://host[:port]`) whose pages may call the
    /// endpoint; requests from any other page are refused.
    pub cors_origins: Vec<String>,
    /// Names `Host` may give besides the bound address (for a reverse proxy
    /// or a name in /etc/hosts): `name` (any port) or `name:port`.
    pub allowed_hosts: Vec<String>,
    /// Connections, requests in flight, body size and timeouts.
    pub limits: ServeLimits,
    /// The cache points every chat request gets (OpenAI's request has no
    /// field for them). Default `short`, as the gateway's own Bedrock
    /// provider places them: repeated system prompts and conversations are
    /// billed at the cache-read price.
    pub cache_retention: CacheRetention,
}

/// By hand: the API key is a secret.
impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("provider", &self.provider)
            .field("discovery", &self.discovery)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("cors_origins", &self.cors_origins)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("limits", &self.limits)
            .field("cache_retention", &self.cache_retention)
            .finish()
    }
}

impl ServeConfig {
    /// The plugin's defaults for everything, no API key, no browser origin,
    /// the default [`ServeLimits`] and short cache retention.
    pub fn new(provider: ProviderConfig) -> Self {
        Self {
            provider,
            discovery: DiscoveryOptions::default(),
            api_key: None,
            cors_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            limits: ServeLimits::default(),
            cache_retention: CacheRetention::Short,
        }
    }
}

/// A browser origin as `--cors-origin` takes it, normalised the way browsers
/// send `Origin`; an error a user can act on for anything else.
pub fn parse_cors_origin(origin: &str) -> Result<String, String> {
    guard::normalize_origin(origin)
}

/// A bound, not yet running, endpoint: bind first, so that the caller can
/// print the address (port 0 picks a free one) before serving.
pub struct Server {
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
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
            limits: config.limits,
            router: router(host, config),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting and lets
    /// requests in flight finish, for up to the limits' shutdown deadline.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        listener::serve(self.listener, self.router, self.limits, shutdown).await
    }
}

struct AppState {
    host: Host,
    config: ServeConfig,
    /// Places for requests that call the plugin (`limits.max_requests`).
    admission: Arc<Semaphore>,
    body_budget: body::BodyBudget,
}

impl AppState {
    /// A place for one more request that calls the plugin, or a `429`.
    fn admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.admission
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::busy(self.config.limits.max_requests))
    }
}

/// The endpoint's routes behind the checks of [`guard`]. The checks need
/// the address each request arrived on, which [`listener`] supplies.
fn router(host: Host, config: ServeConfig) -> Router {
    let gate = Arc::new(guard::Gate {
        cors_origins: config.cors_origins.clone(),
        allowed_hosts: config
            .allowed_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        api_key: config.api_key.clone(),
    });
    let state = Arc::new(AppState {
        host,
        admission: Arc::new(Semaphore::new(config.limits.max_requests)),
        // One body of the largest size always fits.
        body_budget: body::BodyBudget::new(
            config
                .limits
                .body_budget_bytes
                .max(config.limits.max_body_bytes),
        ),
        config,
    });
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/messages", post(anthropic::messages))
        .route("/v1/models", get(list_models))
        // Model ids may be ARNs, which hold slashes.
        .route("/v1/models/{*id}", get(get_model))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(gate, guard::check))
        .with_state(state)
}

/// A JSON response body. Serialising these types cannot fail (no maps with
/// non-string keys), but a failure would still answer, as a 500.
fn json_body(value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "unknown_url",
        "Unknown route: this server offers POST /v1/chat/completions, POST /v1/messages, GET /v1/models and GET /v1/models/{id}",
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
    let _admitted = state.admit()?;
    let discovery = tokio::time::timeout(
        state.config.limits.stream_timeout,
        state
            .host
            .discover(&state.config.provider, &state.config.discovery),
    )
    .await
    .map_err(|_| reply_timeout(state.config.limits.stream_timeout))?
    .map_err(ApiError::host)??;
    Ok(openai::ModelList {
        object: "list",
        data: discovery
            .models
            .into_iter()
            .map(|m| mapping::model(m, discovery.fetched_at))
            .collect(),
    })
}

/// A request body read under the limits, with the request's place under
/// `max_requests` and the deadline of its whole reply.
struct Admitted {
    body: axum::body::Bytes,
    /// The body's share of the budget, kept while its parsed form lives.
    _reserved: body::Reserved,
    place: OwnedSemaphorePermit,
    deadline: Instant,
}

/// The order is the point: a declared body over the limit is refused before
/// anything else, then the request takes its place under `max_requests` (or
/// gets a `429`) before a byte of the body is read, and keeps it until its
/// reply has been sent.
async fn admit_body(state: &AppState, request: Request) -> Result<Admitted, ApiError> {
    let limits = &state.config.limits;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_body_bytes as u64) {
        return Err(body::too_large(limits));
    }
    let place = state.admit()?;
    let deadline = Instant::now() + limits.stream_timeout;
    let (body, reserved) =
        body::read(request.into_body(), declared, limits, &state.body_budget).await?;
    Ok(Admitted {
        body,
        _reserved: reserved,
        place,
        deadline,
    })
}

/// Starts one turn and waits for its first batch. The first batch comes
/// before the status line, so that errors the plugin only reports there
/// (throttling, auth, ...) still get their HTTP status rather than a 200
/// with an error inside.
async fn start_turn(
    state: &AppState,
    request: &ConverseRequest,
    deadline: Instant,
) -> Result<(EventStream, Option<Vec<StreamEvent>>), ApiError> {
    tokio::time::timeout_at(deadline, async {
        let mut stream = state
            .host
            .converse_stream(&state.config.provider, request)
            .await
            .map_err(ApiError::host)??;
        let first = stream.next().await.map_err(ApiError::host)??;
        Ok::<_, ApiError>((stream, first))
    })
    .await
    .map_err(|_| reply_timeout(state.config.limits.stream_timeout))?
}

/// `POST /v1/chat/completions`.
async fn chat_completions(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Response, ApiError> {
    let limits = &state.config.limits;
    let Admitted {
        body,
        _reserved,
        place,
        deadline,
    } = admit_body(&state, request).await?;
    let chat: openai::ChatRequest = serde_json::from_slice(&body).map_err(|e| InvalidRequest {
        message: format!("the request body is not a valid chat completion request: {e}"),
        param: None,
    })?;
    drop(body);
    let mapped = mapping::converse_request(chat, state.config.cache_retention)?;
    let reply = Reply {
        id: completion_id(),
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        model: mapped.request.model_id.clone(),
    };
    let (stream, first) = start_turn(&state, &mapped.request, deadline).await?;
    if !mapped.stream {
        let reply = tokio::time::timeout_at(deadline, whole_reply(reply, stream, first)).await;
        drop(place);
        return reply.map_err(|_| reply_timeout(limits.stream_timeout))?;
    }
    let chunks = OpenAiChunks {
        reply,
        turn: Default::default(),
        include_usage: mapped.include_usage,
    };
    let sending = Sending::new(chunks, stream, deadline, limits.stream_timeout, place);
    Ok(stream_reply(sending, first))
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
    use serde_json::json;

    /// A running server over [`stand_in_host`] that wants the key `sk-local`.
    async fn keyed_server() -> (SocketAddr, Running) {
        let mut config = ServeConfig::new(ProviderConfig::default());
        config.api_key = Some("sk-local".into());
        let server = Server::bind(([127, 0, 0, 1], 0).into(), stand_in_host(), config)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        (addr, Running { stop, task })
    }

    /// A server started by [`keyed_server`], to shut down at the test's end.
    struct Running {
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<std::io::Result<()>>,
    }

    impl Running {
        async fn stop(self) {
            self.stop.send(()).unwrap();
            self.task.await.unwrap().unwrap();
        }
    }

    /// One HTTP/1.1 exchange: the status and the body as JSON.
    async fn exchange(addr: SocketAddr, head: &str, body: &str) -> (u16, serde_json::Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "{head}\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
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
        let (addr, stop) = keyed_server().await;

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

        stop.stop().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn serve_answers_messages_refusals_in_anthropic_shape() {
        let (addr, stop) = keyed_server().await;
        let error = |kind: &str, body: &serde_json::Value| {
            assert_eq!(body["type"], "error", "{body}");
            assert_eq!(body["error"]["type"], kind, "{body}");
            assert!(body["error"]["message"].is_string(), "{body}");
        };
        let post = "POST /v1/messages HTTP/1.1\r\nContent-Type: application/json\r\nanthropic-version: 2023-06-01";
        let hello =
            r#"{"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}"#;

        let (status, body) = exchange(addr, post, hello).await;
        assert_eq!(status, 401);
        error("authentication_error", &body);
        let wrong = format!("{post}\r\nx-api-key: sk-locaX");
        assert_eq!(exchange(addr, &wrong, hello).await.0, 401);

        let keyed = format!("{post}\r\nx-api-key: sk-local");
        let (status, body) = exchange(addr, &keyed, r#"{"model": "m", "messages": "#).await;
        assert_eq!(status, 400);
        error("invalid_request_error", &body);
        let url = r#"{"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}}]}]}"#;
        let (status, body) = exchange(addr, &keyed, url).await;
        assert_eq!(status, 400);
        error("invalid_request_error", &body);
        assert!(
            body["error"]["message"].as_str().unwrap().contains("'url'"),
            "{body}"
        );
        let text = keyed.replace("application/json", "text/plain");
        let (status, body) = exchange(addr, &text, hello).await;
        assert_eq!(status, 415);
        error("invalid_request_error", &body);
        // The key passes, the plugin traps: a server error, by kind only.
        let (status, body) = exchange(addr, &keyed, hello).await;
        assert_eq!(status, 500);
        error("api_error", &body);
        // The OpenAI route keeps its shape, and takes x-api-key too.
        let (status, body) =
            exchange(addr, "GET /v1/models HTTP/1.1\r\nx-api-key: sk-local", "").await;
        assert_eq!(
            (status, &body["error"]["type"]),
            (500, &json!("server_error"))
        );

        stop.stop().await;
    }
}
