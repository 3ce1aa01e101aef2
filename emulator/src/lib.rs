//! A local Amazon Bedrock endpoint for integration tests and the demo.
//!
//! Real Bedrock cannot be reached from the test machines, so this stands in for
//! `bedrock-runtime.{region}.amazonaws.com` on loopback and behaves like it on the wire:
//! SigV4 signatures and Bedrock API keys are verified as AWS verifies them, errors have
//! AWS's shape, and ConverseStream answers with real event-stream frames, streamed as
//! produced. It refuses what Bedrock refuses: model ids its catalogue does not serve,
//! on-demand calls to models served only through inference profiles, and (with Claude's
//! thinking on) a tool-result turn whose thinking was dropped, edited or not issued by it.
//! It keeps a prompt cache as Bedrock does (per model minimum, `5m` or `1h` per cache
//! point), so usage reports cache writes and reads, and it serves HTTPS with HTTP/2 under
//! a CA of its own when asked (`--tls`).
//! Tests script replies and faults through `[emulator ...]` directives in the
//! conversation itself, and can inspect every request received ([`Emulator::requests`]).
//! The control plane's ListFoundationModels and ListInferenceProfiles answer from a
//! catalogue shaped like today's Bedrock, for model discovery.
//!
//! The same port also plays the endpoints the AWS credential chain gets temporary
//! credentials from: EC2 IMDSv2, the ECS / EKS Pod Identity container endpoint, STS
//! (AssumeRole, AssumeRoleWithWebIdentity) and the SSO portal. A test points
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT`, `AWS_CONTAINER_CREDENTIALS_FULL_URI`,
//! `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL_SSO` at [`Emulator::endpoint`]. What they
//! issue is registered with the emulator, so it signs Bedrock requests until it expires
//! ([`Emulator::issued`] lists it).

mod auth;
mod canonical;
mod catalogue;
mod clock;
mod container;
mod control_plane;
mod converse;
mod errors;
mod events;
mod eventstream;
mod form;
mod ids;
mod imds;
mod invocation;
mod keyring;
mod model_id;
mod prompt_cache;
mod script;
mod serve;
mod sigv4;
mod sso;
mod stream;
mod sts;
mod thinking;
mod tls;
mod vectors;

#[cfg(test)]
mod credentials_e2e_tests;
#[cfg(test)]
mod discovery_e2e_tests;
#[cfg(test)]
mod e2e_tests;
#[cfg(test)]
mod test_support;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderValue, Method, header};
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::converse::ConverseRequest;
use crate::errors::{ApiError, ErrorCode};
use crate::keyring::{Issuer, Keyring};

pub use imds::ROLE_NAME as IMDS_ROLE_NAME;
pub use keyring::IssuedCredentials;
pub use script::reply_text;
pub use stream::{StreamEnd, StreamRecord};
pub use sts::{EXPIRED_WEB_IDENTITY_TOKEN, INVALID_WEB_IDENTITY_TOKEN};
pub use tls::TlsError;

/// Request bodies larger than this are refused unread.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// A folder to write every ConverseStream request body into, one JSON file each
/// (`{"modelId": ..., "body": "<the body as sent>"}`), so that a test run's requests can
/// be checked against the service model afterwards (`tests/python/validate_converse_bodies.py`).
pub const RECORD_BODIES_VAR: &str = "BEDROCK_EMULATOR_RECORD_BODIES";

/// What the emulator accepts and how it replies.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The region SigV4 credential scopes must name.
    pub region: String,
    /// Accepted SigV4 keys.
    pub credentials: Vec<StaticCredentials>,
    /// Accepted Bedrock API keys (`Authorization: Bearer ...`).
    pub bearer_tokens: Vec<String>,
    /// Length of the scripted reply when no `words=N` directive says otherwise.
    pub reply_words: usize,
    /// A readable text the scripted reply streams instead of generated words (the demo's
    /// answer). `words=N`, `maxTokens` and stop sequences still cut it, to its first N
    /// words; without `words=N` it is streamed whole.
    pub reply_text: Option<String>,
    /// Folder of recorded ConverseStream streams for the `replay=NAME` directive.
    pub vectors_dir: Option<PathBuf>,
    /// Answer ListInferenceProfiles with AccessDeniedException, as AWS answers a principal
    /// whose policy lacks `bedrock:ListInferenceProfiles`.
    pub deny_inference_profiles: bool,
    /// How long the credentials issued by IMDS, the container endpoint, STS and SSO last.
    /// Tests set seconds to exercise refresh; STS's `DurationSeconds` can only shorten it.
    pub issued_credentials_ttl: Duration,
    /// When set, the container endpoint requires exactly this `Authorization` value (what
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN` holds) and answers 403 otherwise.
    pub container_authorization_token: Option<String>,
    /// Roles whose trust policy requires an ExternalId: role ARN to the id AssumeRole must
    /// send. Any other well-formed role ARN can be assumed without one.
    pub role_external_ids: BTreeMap<String, String>,
    /// Accepted SSO access tokens (`accessToken` of the `~/.aws/sso/cache` file).
    pub sso_access_tokens: Vec<String>,
    /// IMDS answers 404 to everything at once, as when nothing is there to ask.
    pub imds_disabled: bool,
    /// Seconds the emulator's clock is ahead of the real one (negative: behind). It moves
    /// the SigV4 skew window, credential expiry and the `Date` header together.
    pub clock_skew: Option<i64>,
    /// Serve HTTPS (ALPN `h2` and `http/1.1`) under a certificate signed by a CA generated
    /// at start ([`Emulator::ca_pem`]), instead of plain HTTP.
    pub tls: bool,
    /// Most HTTP/2 streams a client may have open at once on one connection (the
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` the emulator announces).
    pub http2_max_concurrent_streams: u32,
}

/// Default [`EmulatorConfig::http2_max_concurrent_streams`]: above the benchmark's
/// highest concurrency, so that a client's streams queue on its own limits, not the
/// emulator's (Bedrock does not publish its own; hyper's default is 200).
pub const DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS: u32 = 10_000;

/// One accepted AWS key pair, with the session token temporary credentials carry.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// Shows the key id only: configs get logged, secrets must not be.
impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

impl Default for EmulatorConfig {
    /// The public example credentials from the AWS documentation, a session-token pair for
    /// temporary-credential tests, and the shared recorded streams when they are present.
    fn default() -> Self {
        let vectors =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/converse-stream");
        Self {
            region: "us-east-1".into(),
            credentials: vec![
                StaticCredentials {
                    access_key_id: "AKIDEXAMPLE".into(),
                    secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                    session_token: None,
                },
                StaticCredentials {
                    access_key_id: "ASIDEXAMPLESESSION".into(),
                    secret_access_key: "sessionSecretEXAMPLEKEY/sessionSecret0000".into(),
                    session_token: Some("session-token-EXAMPLE".into()),
                },
            ],
            bearer_tokens: vec!["bedrock-api-key-EXAMPLE".into()],
            reply_words: 24,
            reply_text: None,
            vectors_dir: vectors
                .is_dir()
                .then(|| vectors.canonicalize().unwrap_or(vectors)),
            deny_inference_profiles: false,
            issued_credentials_ttl: Duration::from_secs(3600),
            container_authorization_token: None,
            role_external_ids: BTreeMap::new(),
            sso_access_tokens: vec!["sso-access-token-EXAMPLE".into()],
            imds_disabled: false,
            clock_skew: None,
            tls: false,
            http2_max_concurrent_streams: DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
        }
    }
}

/// A request as the emulator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query as on the wire, still percent-encoded.
    pub raw_path: String,
    /// The decoded model id, for `/model/{modelId}/...` routes.
    pub model_id: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub auth: AuthOutcome,
    /// The HTTP version it came in (`HTTP/2.0` when ALPN or h2c chose HTTP/2).
    pub version: http::Version,
    /// The client's address and port: requests with the same came over one connection.
    pub client: SocketAddr,
}

/// How a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    SigV4 {
        access_key_id: String,
    },
    Bearer,
    /// A credential endpoint AWS does not sign (IMDS, the container endpoint, the SSO
    /// portal, AssumeRoleWithWebIdentity); each checks its own token, if any.
    Unsigned,
    /// Refused, with the AWS error code sent back.
    Rejected(String),
}

/// A running emulator. Dropping it stops the server and ends the streams in flight.
pub struct Emulator {
    addr: SocketAddr,
    /// The CA certificate (PEM) clients must trust, when serving HTTPS.
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
}

/// State the request handlers share.
struct Shared {
    config: EmulatorConfig,
    clock: Clock,
    /// The configured keys and every set of credentials issued since the start.
    keyring: Keyring,
    imds_tokens: imds::Tokens,
    requests: Mutex<Vec<RecordedRequest>>,
    /// How many times each ConverseStream request (model id and body) was received: the
    /// attempt number `fail-first=K` counts.
    attempts: Mutex<HashMap<(String, Vec<u8>), usize>>,
    streams: stream::StreamLog,
    /// Signs the thinking the emulator streams and checks it when it comes back.
    thinking: thinking::Signer,
    prompt_cache: prompt_cache::PromptCache,
    shutdown: watch::Receiver<bool>,
}

impl Emulator {
    /// Serves on a free loopback port.
    pub async fn start(config: EmulatorConfig) -> anyhow::Result<Emulator> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serves on `addr`, in a task of the current tokio runtime.
    pub async fn start_on(config: EmulatorConfig, addr: SocketAddr) -> anyhow::Result<Emulator> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let tls = config
            .tls
            .then(tls::TlsIdentity::generate)
            .transpose()
            .context("setting up TLS")?;
        let ca_pem = tls.as_ref().map(|tls| tls.ca_pem.clone());
        let listener = tls::EmulatorListener::new(listener, tls.map(|tls| tls.acceptor));
        let max_streams = config.http2_max_concurrent_streams;
        let (shutdown, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            clock: Clock::new(config.clock_skew),
            keyring: Keyring::new(config.credentials.clone()),
            imds_tokens: imds::Tokens::default(),
            config,
            requests: Mutex::new(Vec::new()),
            attempts: Mutex::default(),
            streams: stream::StreamLog::default(),
            thinking: thinking::Signer::random().context("drawing the thinking signature key")?,
            prompt_cache: prompt_cache::PromptCache::default(),
            shutdown: stopped.clone(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        tokio::spawn(serve::serve(listener, app, max_streams, stopped));
        Ok(Emulator {
            addr,
            ca_pem,
            shared,
            shutdown,
        })
    }

    /// The base URL clients use as their endpoint override: `http://127.0.0.1:PORT`, or
    /// `https://` when serving TLS.
    pub fn endpoint(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The PEM certificate of the CA that signed the emulator's server certificate, when
    /// serving TLS: what `AWS_CA_BUNDLE` must name for clients to trust it.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every ConverseStream reply streamed so far, in order of arrival, with how it ended:
    /// a client that drops a reply shows up as [`StreamEnd::ClientGone`] once the
    /// emulator notices the connection is gone.
    pub fn streams(&self) -> Vec<StreamRecord> {
        self.shared
            .streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every set of temporary credentials the credential endpoints issued, in order, without
    /// their secrets.
    pub fn issued(&self) -> Vec<IssuedCredentials> {
        self.shared.keyring.issued()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// The operations the emulator serves, recognised from the raw path.
enum Route {
    ConverseStream {
        model_id: String,
    },
    ListFoundationModels,
    ListInferenceProfiles,
    GetInferenceProfile {
        identifier: String,
    },
    /// Anything under `/latest/`, EC2's instance metadata.
    Imds(imds::Request),
    /// `GET /v2/credentials/{id}` (ECS) or `GET /container-credentials` (full URI).
    ContainerCredentials,
    /// `GET /federation/credentials`, the SSO portal's GetRoleCredentials.
    SsoRoleCredentials,
    /// `POST /`, a query-protocol call: STS.
    Sts,
    Unknown,
}

impl Route {
    fn of(parts: &http::request::Parts) -> Self {
        let segments: Vec<&str> = parts.uri.path().split('/').collect();
        match (&parts.method, segments.as_slice()) {
            (&Method::POST, ["", "model", id, "converse-stream"]) if !id.is_empty() => {
                Route::ConverseStream {
                    model_id: percent_decode_str(id).decode_utf8_lossy().into(),
                }
            }
            (&Method::GET, ["", "foundation-models"]) => Route::ListFoundationModels,
            (&Method::GET, ["", "inference-profiles"]) => Route::ListInferenceProfiles,
            (&Method::GET, ["", "inference-profiles", id]) if !id.is_empty() => {
                Route::GetInferenceProfile {
                    identifier: percent_decode_str(id).decode_utf8_lossy().into(),
                }
            }
            (method, ["", "latest", rest @ ..]) => Route::Imds(imds::Request::of(method, rest)),
            (&Method::GET, ["", "v2", "credentials", id]) if !id.is_empty() => {
                Route::ContainerCredentials
            }
            (&Method::GET, ["", "container-credentials"]) => Route::ContainerCredentials,
            (&Method::GET, ["", "federation", "credentials"]) => Route::SsoRoleCredentials,
            (&Method::POST, ["", ""]) => Route::Sts,
            _ => Route::Unknown,
        }
    }

    fn model_id(&self) -> Option<String> {
        match self {
            Route::ConverseStream { model_id } => Some(model_id.clone()),
            _ => None,
        }
    }
}

/// Every request lands here: read, authenticate, record, route. Every answer, success or
/// error, carries a request id, as AWS's do, and a `Date` from the emulator's clock.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let request_id = ids::request_id();
    let mut response = respond(&shared, request, &request_id)
        .await
        .unwrap_or_else(ApiError::into_response);
    let headers = response.headers_mut();
    let request_id = HeaderValue::from_str(&request_id).expect("request ids are hex");
    headers.insert("x-amzn-requestid", request_id);
    // hyper adds a `Date` from the real clock only when the answer has none.
    let date = clock::http_date(shared.clock.now());
    headers.insert(
        header::DATE,
        HeaderValue::from_str(&date).expect("dates are ASCII"),
    );
    response
}

async fn respond(
    shared: &Shared,
    request: Request,
    request_id: &str,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::validation("Input is too long for requested model."))?;
    let route = Route::of(&parts);
    let now = shared.clock.now();
    if let Some((response, caller)) = shared.credentials(&route, &parts, &body, now, request_id) {
        shared.record(&parts, &body, None, caller);
        return Ok(response);
    }
    let auth = auth::authenticate(&parts, &body, &shared.config, &shared.keyring, now);
    let outcome = match &auth {
        Ok(outcome) => outcome.clone(),
        Err(e) => AuthOutcome::Rejected(e.code().name().to_owned()),
    };
    shared.record(&parts, &body, route.model_id(), outcome);
    auth?;
    match route {
        Route::ConverseStream { model_id } => converse_stream(shared, &model_id, &body),
        Route::ListFoundationModels => Ok(json_response(control_plane::list_foundation_models(
            &shared.config.region,
            parts.uri.query(),
        )?)),
        Route::ListInferenceProfiles => Ok(json_response(control_plane::list_inference_profiles(
            &shared.config.region,
            parts.uri.query(),
            shared.config.deny_inference_profiles,
        )?)),
        Route::GetInferenceProfile { identifier } => Ok(json_response(
            control_plane::get_inference_profile(&shared.config.region, &identifier)?,
        )),
        Route::Imds(_)
        | Route::ContainerCredentials
        | Route::SsoRoleCredentials
        | Route::Sts
        | Route::Unknown => Err(ApiError::stock(ErrorCode::UnknownOperation)),
    }
}

fn converse_stream(shared: &Shared, model_id: &str, body: &[u8]) -> Result<Response, ApiError> {
    record_body(model_id, body);
    let attempt = {
        let mut attempts = shared.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let count = attempts
            .entry((model_id.to_owned(), body.to_vec()))
            .or_default();
        *count += 1;
        *count
    };
    let model = invocation::resolve(model_id)?;
    let request = ConverseRequest::parse(body)?;
    request.check_thinking(model, &shared.thinking)?;
    let input = || {
        shared
            .prompt_cache
            .serve(model, &request.prompt(), Instant::now())
    };
    let steps = script::plan(&request, input, &shared.config, attempt, &shared.thinking)?;
    let body = stream::play(
        steps,
        shared.shutdown.clone(),
        shared.streams.clone(),
        model_id,
    );
    let mut response = Response::new(Body::new(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.amazon.eventstream"),
    );
    Ok(response)
}

/// A 200 answer with a JSON body, as the control plane sends its lists.
fn json_response(value: serde_json::Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Writes a ConverseStream body where [`RECORD_BODIES_VAR`] says, if it is set. A test
/// run is not failed over it: a write that fails is reported and the reply goes on.
fn record_body(model_id: &str, body: &[u8]) {
    let Some(dir) = std::env::var_os(RECORD_BODIES_VAR).filter(|d| !d.is_empty()) else {
        return;
    };
    let dir = PathBuf::from(dir);
    // Unique across the emulators of a process and the processes sharing the folder.
    static RECORDED: AtomicUsize = AtomicUsize::new(0);
    let n = RECORDED.fetch_add(1, Ordering::Relaxed);
    let file = dir.join(format!("{}-{n}.json", std::process::id()));
    let record = serde_json::json!({
        "modelId": model_id,
        "body": String::from_utf8_lossy(body),
    });
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, record.to_string()));
    if let Err(e) = written {
        eprintln!("bedrock emulator: writing {}: {e}", file.display());
    }
}

impl Shared {
    /// Answers the credential endpoints, which are not Bedrock's to authenticate: AWS does
    /// not sign IMDS, the container endpoint, the SSO portal or AssumeRoleWithWebIdentity,
    /// and STS checks its own signatures. `None` for every other route. The second value is
    /// how the caller authenticated, for the request log.
    fn credentials(
        &self,
        route: &Route,
        parts: &http::request::Parts,
        body: &[u8],
        now: SystemTime,
        request_id: &str,
    ) -> Option<(Response, AuthOutcome)> {
        let issuer = Issuer {
            keyring: &self.keyring,
            now,
            lifetime: self.config.issued_credentials_ttl,
        };
        let response = match route {
            Route::Imds(request) => imds::answer(
                request,
                parts,
                &self.imds_tokens,
                &issuer,
                self.config.imds_disabled,
            )
            .unwrap_or_else(imds::ImdsError::into_response),
            Route::ContainerCredentials => {
                let token = self.config.container_authorization_token.as_deref();
                container::answer(parts, token, &issuer)
                    .map_or_else(container::ContainerError::into_response, json_response)
            }
            Route::SsoRoleCredentials => {
                sso::answer(parts, &self.config.sso_access_tokens, &issuer)
                    .map_or_else(ApiError::into_response, json_response)
            }
            Route::Sts => {
                let sts = sts::Sts {
                    issuer,
                    external_ids: &self.config.role_external_ids,
                };
                return Some(sts::answer(&sts, parts, body, request_id));
            }
            Route::ConverseStream { .. }
            | Route::ListFoundationModels
            | Route::ListInferenceProfiles
            | Route::GetInferenceProfile { .. }
            | Route::Unknown => return None,
        };
        Some((response, AuthOutcome::Unsigned))
    }

    fn record(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        model_id: Option<String>,
        auth: AuthOutcome,
    ) {
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let recorded = RecordedRequest {
            method: parts.method.as_str().to_owned(),
            raw_path: parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned(),
            model_id,
            headers,
            body: body.to_vec(),
            auth,
            version: parts.version,
            client: parts
                .extensions
                .get::<tls::ClientAddr>()
                .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |client| client.0),
        };
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(recorded);
    }
}
