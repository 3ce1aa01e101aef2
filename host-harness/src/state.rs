//! The data of one call's `Store`: WASI contexts, the resource table, the
//! outbound hooks that enforce the [`Policy`] and the host's key-value store.

use crate::error::HostError;
use crate::keyvalue::{KeyValue, KeyValueStore};
use crate::limits::{Limits, Meter, RequestGate, StreamAccount};
use crate::outbound::OutboundClient;
use crate::policy::{AllowedHost, Denied, Policy};
use crate::snapshot::CallFiles;
use crate::terminal;
use http_body_util::BodyExt;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

pub(crate) struct StoreState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    /// Shared with every other call of the same host: what outlives the instance.
    keyvalue: Arc<KeyValueStore>,
    /// Memory and CPU used by this call, against its limits.
    pub(crate) meter: Meter,
    /// The copies of the files the guest may read, kept for this call.
    _files: CallFiles,
}

impl StoreState {
    /// Fresh state for one call. `base_url` is the call's
    /// `provider-config.base-url`, reachable for this call only; `keyvalue`
    /// is the host's store; `files` what the guest may read
    /// ([`Policy::call_files`]).
    pub(crate) fn new(
        policy: Arc<Policy>,
        keyvalue: Arc<KeyValueStore>,
        outbound: OutboundClient,
        base_url: Option<&str>,
        limits: Limits,
        files: CallFiles,
    ) -> Self {
        let mut wasi = WasiCtx::builder();
        for (host_dir, guest_path) in &files.preopens {
            // A directory that vanished since is skipped: the guest then
            // reports the file as missing.
            let _ = wasi.preopened_dir(host_dir, guest_path, FsPerms::ReadOnly);
        }
        let wasi = wasi
            .envs(policy.env())
            // stdin closed and stdout discarded (the builder's defaults); the
            // guest's diagnostics go to our stderr, without control characters.
            .stderr(GuestStderr::default())
            // No raw sockets: HTTP goes through `wasi:http` and the hooks below.
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let call_hosts = base_url
            .and_then(|url| AllowedHost::parse_url(url, "base-url"))
            .into_iter()
            .collect();
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.resources);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(limits.field_bytes);
        Self {
            table,
            wasi,
            http,
            hooks: OutboundHooks {
                policy,
                call_hosts,
                gate: RequestGate::new(&limits),
                report_denial: log_denial,
                outbound,
            },
            keyvalue,
            meter: Meter::new(limits),
            _files: files,
        }
    }

    /// Why a call failed with `error`: the limit the guest hit, or its trap.
    pub(crate) fn failure(&self, function: &'static str, error: &wasmtime::Error) -> HostError {
        self.meter
            .classify(function, error)
            .unwrap_or_else(|| HostError::Trapped {
                function,
                detail: format!("{error:?}"),
            })
    }

    /// The limit the host enforced during a call against the guest's will
    /// (an outbound request it refused), which fails the call even if the
    /// guest carried on.
    pub(crate) fn cut_off(&self, function: &'static str) -> Option<HostError> {
        self.hooks.gate.refusal(function)
    }

    /// Charges the guest calls from now on to `account` (one stream of a
    /// shared instance) and gives back the account charged until now.
    pub(crate) fn swap_account(&mut self, account: StreamAccount) -> StreamAccount {
        account.swap_into(&mut self.meter, &mut self.hooks.gate)
    }

    /// The call's host resources (the pollables of its event stream, say).
    pub(crate) fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    /// The view the `wasi:keyvalue/store` implementation works on.
    pub(crate) fn keyvalue(&mut self) -> KeyValue<'_> {
        KeyValue {
            store: &self.keyvalue,
            table: &mut self.table,
        }
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// The text `wasi:io/error.to-debug-string` gives the guest: the error's
/// message and its causes, on one line. wasmtime-wasi formats it with
/// `{:?}`, which appends the host's stack backtrace whenever
/// `RUST_BACKTRACE` is set: host paths and symbols the plugin has no
/// business with, in error messages its users read.
fn guest_error_text(error: &wasmtime::Error) -> String {
    format!("{error:#}")
}

/// Defines `wasi:io/error.to-debug-string` as [`guest_error_text`], over
/// wasmtime-wasi's definition (added before).
pub(crate) fn add_guest_error_text_to_linker(
    linker: &mut wasmtime::component::Linker<StoreState>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.instance("wasi:io/error@0.2.12")?.func_wrap(
        "[method]error.to-debug-string",
        |store: wasmtime::StoreContextMut<'_, StoreState>,
         (error,): (wasmtime::component::Resource<wasmtime::Error>,)| {
            Ok((guest_error_text(store.data().table.get(&error)?),))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Checks every outgoing request against the call's caps and the policy,
/// then sends it with the host's pooled client.
struct OutboundHooks {
    policy: Arc<Policy>,
    call_hosts: Vec<AllowedHost>,
    gate: RequestGate,
    /// Where the reason of a denial goes ([`log_denial`] outside tests).
    report_denial: fn(&Denied),
    /// The host's client, shared by all of its calls.
    outbound: OutboundClient,
}

/// The guest only learns "denied"; the precise reason goes to the host's
/// log (stderr), where whoever runs the host can act on it.
fn log_denial(denied: &Denied) {
    let _ = writeln!(
        std::io::stderr(),
        "bedrock-host: {}",
        terminal::sanitize(&denied.to_string())
    );
}

type SendResult = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        drop(fut);
        let Some(in_flight) = self.gate.admit() else {
            return refuse(request, HttpError::ConnectionLimitReached);
        };
        if let Err(denied) = self.policy.check(&request, &self.call_hosts) {
            (self.report_denial)(&denied);
            return refuse(request, HttpError::HttpRequestDenied);
        }
        let outbound = self.outbound.clone();
        Box::new(async move {
            // The request stays in flight until its response body ends or
            // is dropped; the connection then goes back to the pool, which
            // drives it: there is no per-request connection task.
            let response = outbound.send(request, options, in_flight).await?;
            Ok((
                response,
                Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

/// Answers a request that is not sent with `error`. The body the guest may
/// still be writing is accepted (and discarded), so that it sees the error
/// when it awaits the response rather than a closed body stream. The task
/// ends with the body: when the guest finishes it, or when the store drops it.
fn refuse(
    request: http::Request<WasiBody>,
    error: HttpError,
) -> Box<dyn Future<Output = SendResult> + Send> {
    let mut body = request.into_body();
    tokio::spawn(async move { while let Some(Ok(_)) = body.frame().await {} });
    Box::new(async { Err(error) })
}

/// The guest's stderr: the host's, with control characters removed
/// ([`terminal::sanitize`]), so a plugin cannot drive the terminal, and at
/// most [`GUEST_STDERR_BYTES`] per call, so a plugin cannot flood the host's
/// log. What is over the budget is accepted and dropped, with one notice.
#[derive(Clone, Default)]
struct GuestStderr {
    written: Arc<AtomicUsize>,
}

/// What one call's guest may write to the host's stderr.
const GUEST_STDERR_BYTES: usize = 64 * 1024;

impl GuestStderr {
    /// What of `buf` goes to the host's stderr: sanitised, within the budget.
    fn admit(&self, buf: &[u8]) -> String {
        let before = self.written.fetch_add(buf.len(), Ordering::Relaxed);
        let allowed = GUEST_STDERR_BYTES.saturating_sub(before).min(buf.len());
        let mut out = terminal::sanitize_bytes(&buf[..allowed]);
        if allowed < buf.len() && before <= GUEST_STDERR_BYTES {
            out.push_str("\n[bedrock-host: the plugin's further stderr output is dropped]\n");
        }
        out
    }
}

impl IsTerminal for GuestStderr {
    fn is_terminal(&self) -> bool {
        // The guest is not told: it has no business with terminal features.
        false
    }
}

impl StdoutStream for GuestStderr {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for GuestStderr {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        // The guest's write succeeds either way: its log is not its business.
        let _ = std::io::stderr().write_all(self.admit(buf).as_bytes());
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(std::io::stderr().flush())
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HostConfig;
    use http_body_util::Empty;

    #[test]
    fn guest_error_text_is_the_message_chain_without_a_backtrace() {
        let error = wasmtime::Error::from(std::io::Error::other("connection reset"))
            .context("reading the response body");
        assert_eq!(
            guest_error_text(&error),
            "reading the response body: connection reset"
        );
    }

    #[test]
    fn guest_stderr_is_sanitised_and_bounded_per_call() {
        let stderr = GuestStderr::default();
        let osc52 = b"ok\x1b]52;c;aGk=\x07\n";
        assert_eq!(stderr.admit(osc52), "ok]52;c;aGk=\n");
        let chunk = vec![b'x'; GUEST_STDERR_BYTES / 2];
        assert_eq!(stderr.admit(&chunk).len(), chunk.len());
        let cut = stderr.admit(&chunk);
        assert!(
            cut.ends_with("output is dropped]\n"),
            "{}",
            &cut[cut.len() - 80..]
        );
        assert_eq!(
            cut.bytes().filter(|&b| b == b'x').count(),
            GUEST_STDERR_BYTES - osc52.len() - chunk.len()
        );
        assert_eq!(
            stderr.admit(&chunk),
            "",
            "nothing more, and one notice only"
        );
        // Each call has a budget of its own.
        assert_eq!(GuestStderr::default().admit(b"fresh"), "fresh");
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn hooks(extra_hosts: &[String]) -> OutboundHooks {
        let mut config = HostConfig::new("x.wasm");
        config.env = Vec::new();
        config.extra_hosts = extra_hosts.to_vec();
        OutboundHooks {
            policy: Arc::new(Policy::new(&config)),
            call_hosts: Vec::new(),
            gate: RequestGate::new(&Limits::new(&config)),
            report_denial: |denied| REPORTED.with(|r| r.borrow_mut().push(denied.clone())),
            outbound: OutboundClient::new(&(&config).into()).unwrap(),
        }
    }

    thread_local! {
        /// The denials reported on this thread (a current-thread runtime).
        static REPORTED: std::cell::RefCell<Vec<Denied>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    fn get(url: &str) -> http::Request<WasiBody> {
        let body: WasiBody = Empty::new().map_err(|never| match never {}).boxed_unsync();
        http::Request::get(url).body(body).unwrap()
    }

    async fn send(hooks: &mut OutboundHooks, url: &str) -> SendResult {
        std::pin::Pin::from(hooks.send_request(get(url), None, Box::new(async { Ok(()) }))).await
    }

    #[tokio::test]
    async fn denied_requests_never_leave_the_host() {
        let mut hooks = hooks(&[]);
        for url in [
            "http://127.0.0.1:9/",
            "https://example.com/",
            "http://localhost/",
        ] {
            match send(&mut hooks, url).await {
                Err(HttpError::HttpRequestDenied) => {}
                Err(other) => panic!("{url}: expected a denial, got {other}"),
                Ok(_) => panic!("{url}: expected a denial, got a response"),
            }
        }
        // Each with its precise reason, for the host's log.
        let reasons: Vec<String> =
            REPORTED.with(|r| r.borrow().iter().map(ToString::to_string).collect());
        assert_eq!(
            reasons,
            [
                "outbound request to http://127.0.0.1:9 denied: loopback is reachable only through an endpoint override or an extra host",
                "outbound request to https://example.com denied: not an AWS endpoint of the plugin (Bedrock, STS, SSO portal, valid region) nor a configured override",
                "outbound request to http://localhost denied: loopback is reachable only through an endpoint override or an extra host",
            ]
        );
    }

    #[tokio::test]
    async fn requests_beyond_the_cap_are_refused_before_the_policy() {
        let mut hooks = hooks(&[]);
        hooks.gate = RequestGate::new(&Limits {
            requests: 1,
            ..Limits::new(&HostConfig::new("x.wasm"))
        });
        // A denied request counts: the cap is on what the guest asks for.
        assert!(matches!(
            send(&mut hooks, "https://example.com/").await,
            Err(HttpError::HttpRequestDenied)
        ));
        assert!(matches!(
            send(&mut hooks, "https://example.com/").await,
            Err(HttpError::ConnectionLimitReached)
        ));
        assert!(hooks.gate.refusal("f").is_some());
    }

    #[tokio::test]
    async fn allowed_requests_are_sent() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await
                .unwrap();
        });
        let mut hooks = hooks(&[addr.to_string()]);
        let (response, _io) = match send(&mut hooks, &format!("http://{addr}/x")).await {
            Ok(sent) => sent,
            Err(error) => panic!("expected a response: {error}"),
        };
        assert_eq!(response.status(), 200);
        let body = response
            .into_body()
            .collect()
            .await
            .ok()
            .unwrap()
            .to_bytes();
        assert_eq!(&body[..], b"ok");
        server.await.unwrap();
    }
}
