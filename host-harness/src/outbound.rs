//! The host's outbound HTTP client: what sends the requests the policy lets
//! through ([`crate::state`]'s `send_request` hook).
//!
//! wasmtime-wasi-http's `default_send_request` opens a new TCP and TLS
//! connection for every request and speaks HTTP/1.1 only: every Bedrock call
//! would pay DNS, TCP and a TLS handshake before its first token. This client
//! is one per [`crate::Host`], shared by all of its calls: connections are
//! kept alive and reused (per-host idle caps and idle expiry), HTTP/2 is
//! negotiated by ALPN where the server offers it (Bedrock does), and TLS
//! trusts the platform's roots plus the CA file of `AWS_CA_BUNDLE`.
//!
//! The guest's `request-options` are honoured as `default_send_request`
//! honours them: the connect timeout on establishing a connection (when one
//! is needed), the first-byte timeout on the response head, the
//! between-bytes timeout on every frame of the body; failures map to the
//! same `wasi:http` error codes. Response bodies are read off the
//! connection as they arrive ([`read_ahead`]), so that a guest reading late
//! does not get the shared HTTP/2 connection closed under every stream.

mod read_ahead;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// What `default_send_request` waits when the guest sets no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The HTTP/2 connection window: how much the server may send on one
/// connection ahead of its readers. One connection carries thousands of
/// streams, and h2 sizes its allowance for small DATA frames left unread
/// (see [`read_ahead`]) at half this window: hyper's 5 MiB default allowed
/// about 16,000 events in flight, which 5,000 streams of 50 events a second
/// exceed whenever readers fall 65 ms behind. Each stream is still held to
/// its own window (2 MiB).
const CONNECTION_WINDOW: u32 = 64 * 1024 * 1024;

/// How the pooled client is built ([`crate::HostConfig`]'s outbound settings).
#[derive(Clone, Debug)]
pub(crate) struct OutboundConfig {
    /// A PEM file of extra CA certificates to trust (`AWS_CA_BUNDLE`).
    pub(crate) ca_bundle: Option<PathBuf>,
    /// How long an unused connection stays in the pool.
    pub(crate) idle_timeout: Duration,
    /// Most unused connections kept per host (scheme, host and port).
    pub(crate) max_idle_per_host: usize,
}

impl From<&crate::HostConfig> for OutboundConfig {
    fn from(config: &crate::HostConfig) -> Self {
        Self {
            ca_bundle: config.ca_bundle.clone(),
            idle_timeout: config.outbound_idle_timeout,
            max_idle_per_host: config.outbound_max_idle_per_host,
        }
    }
}

/// Why the outbound client could not be built: the CA file is unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OutboundError {
    /// The file named by `AWS_CA_BUNDLE` could not be read or parsed.
    #[error("cannot read the CA bundle {path} (AWS_CA_BUNDLE): {source}")]
    CaBundleUnreadable {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    /// The file holds no certificate rustls accepts as a trust anchor.
    #[error("the CA bundle {path} (AWS_CA_BUNDLE) holds no usable PEM certificate")]
    CaBundleEmpty { path: PathBuf },
    /// rustls refused its own default protocol versions.
    #[error("cannot set up TLS: {0}")]
    Tls(rustls::Error),
    /// Neither the platform nor `AWS_CA_BUNDLE` gave a trust anchor.
    #[error(
        "no trusted CA certificate: the platform's store is empty and AWS_CA_BUNDLE is not set"
    )]
    NoTrustRoots,
}

/// The pooled client. Cloning it is cheap and shares the pool.
#[derive(Clone)]
pub(crate) struct OutboundClient {
    client: Client<TimedConnector, WasiBody>,
}

impl OutboundClient {
    pub(crate) fn new(config: &OutboundConfig) -> Result<Self, OutboundError> {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(OutboundError::Tls)?
        .with_root_certificates(trust_roots(config.ca_bundle.as_deref())?)
        .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        // TLS is layered on top by `HttpsConnector`.
        tcp.enforce_http(false);
        // Event streams are small frames that must not wait for Nagle.
        tcp.set_nodelay(true);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(config.idle_timeout)
            .pool_max_idle_per_host(config.max_idle_per_host)
            .http2_initial_connection_window_size(CONNECTION_WINDOW)
            .build(TimedConnector { https });
        Ok(Self { client })
    }

    /// Sends `request` as `default_send_request` would, over a pooled
    /// connection. `held` is kept until the response body ends or is
    /// dropped (or the response never comes): what the caller counts as in
    /// flight.
    pub(crate) async fn send<H: Send + Unpin + 'static>(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        held: H,
    ) -> Result<http::Response<WasiBody>, Error> {
        let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| {
            options.as_ref().and_then(pick).unwrap_or(DEFAULT_TIMEOUT)
        };
        let connect_timeout = timeout(|o| o.connect_timeout);
        let first_byte_timeout = timeout(|o| o.first_byte_timeout);
        let between_bytes_timeout = timeout(|o| o.between_bytes_timeout);
        if request.uri().authority().is_none() {
            return Err(Error::HttpRequestUriInvalid);
        }
        // The connector reads the connect timeout when the pool asks it for
        // a connection, which happens while this future is polled.
        let response = CONNECT_TIMEOUT.scope(
            connect_timeout,
            tokio::time::timeout(first_byte_timeout, self.client.request(request)),
        );
        let response = match response.await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => return Err(request_error(&error)),
            Err(_elapsed) => return Err(Error::ConnectionReadTimeout),
        };
        Ok(response.map(|incoming| {
            TimedBody::new(
                read_ahead::read_ahead(incoming),
                between_bytes_timeout,
                held,
            )
            .boxed_unsync()
        }))
    }
}

/// The root store: the platform's (see [`PLATFORM_ROOTS`]) plus
/// `ca_bundle`'s.
fn trust_roots(ca_bundle: Option<&Path>) -> Result<rustls::RootCertStore, OutboundError> {
    let mut roots = PLATFORM_ROOTS.clone();
    if let Some(path) = ca_bundle {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|source| OutboundError::CaBundleUnreadable {
                path: path.to_owned(),
                source,
            })?;
        let (added, _ignored) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(OutboundError::CaBundleEmpty {
                path: path.to_owned(),
            });
        }
    }
    if roots.is_empty() {
        return Err(OutboundError::NoTrustRoots);
    }
    Ok(roots)
}

/// The platform's trust store (or `SSL_CERT_FILE`/`SSL_CERT_DIR`'s, read
/// by `rustls-native-certs` as OpenSSL would). Without one (a bare
/// container), Mozilla's roots as compiled into `webpki-roots`, so that
/// public AWS endpoints still verify. Read once per process, as the AWS SDK
/// for Rust reads it: reading and parsing it takes milliseconds of CPU,
/// which every [`crate::Host::with_outbound`] would otherwise pay again.
static PLATFORM_ROOTS: LazyLock<rustls::RootCertStore> = LazyLock::new(|| {
    let mut roots = rustls::RootCertStore::empty();
    // Unparsable entries of the platform store are skipped, as every
    // client that reads it does.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    roots
});

tokio::task_local! {
    /// The connect timeout of the request being sent, for [`TimedConnector`].
    static CONNECT_TIMEOUT: Duration;
}

/// The TCP (and TLS) connector under the pool, bounded by the connect
/// timeout of the request that asked for the connection.
#[derive(Clone)]
struct TimedConnector {
    https: HttpsConnector<HttpConnector>,
}

/// A connection attempt outlived its request's connect timeout.
#[derive(Debug, thiserror::Error)]
#[error("connection timeout")]
struct ConnectTimedOut;

type Connection = MaybeHttpsStream<TokioIo<TcpStream>>;
type BoxError = Box<dyn StdError + Send + Sync>;

impl tower_service::Service<http::Uri> for TimedConnector {
    type Response = Connection;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Connection, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.https.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let limit = CONNECT_TIMEOUT
            .try_with(|limit| *limit)
            .unwrap_or(DEFAULT_TIMEOUT);
        let connecting = self.https.call(uri);
        Box::pin(async move {
            tokio::time::timeout(limit, connecting)
                .await
                .map_err(|_elapsed| Box::new(ConnectTimedOut) as BoxError)?
        })
    }
}

/// The `wasi:http` error for a request that got no response, as
/// wasmtime-wasi-http maps `default_send_request`'s failures, with TLS
/// failures told apart (certificate, alert) where wasi:http has a code.
fn request_error(error: &hyper_util::client::legacy::Error) -> Error {
    for cause in causes(error) {
        if cause.is::<ConnectTimedOut>() {
            return Error::ConnectionTimeout;
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return tls_error(tls);
        }
        if cause.is::<rustls::pki_types::InvalidDnsNameError>() {
            return dns_error("invalid dns name");
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>()
            && hyper.is_timeout()
        {
            return Error::HttpResponseTimeout;
        }
    }
    if !error.is_connect() {
        return Error::HttpProtocolError;
    }
    match causes(error).find_map(|cause| cause.downcast_ref::<std::io::Error>()) {
        // hyper-rustls wraps the TLS stream's I/O error in one of its own.
        Some(io)
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<std::io::Error>()) =>
        {
            Error::TlsProtocolError
        }
        Some(io) => connect_error(io),
        None => Error::ConnectionRefused,
    }
}

/// As wasmtime-wasi-http maps a failed TCP connect.
fn connect_error(io: &std::io::Error) -> Error {
    if io.kind() == std::io::ErrorKind::AddrNotAvailable
        || io
            .to_string()
            .starts_with("failed to lookup address information")
    {
        dns_error("address not available")
    } else {
        Error::ConnectionRefused
    }
}

fn dns_error(rcode: &str) -> Error {
    Error::DnsError {
        rcode: Some(rcode.to_owned()),
        info_code: None,
    }
}

fn tls_error(error: &rustls::Error) -> Error {
    match error {
        rustls::Error::InvalidCertificate(_) => Error::TlsCertificateError,
        rustls::Error::AlertReceived(alert) => Error::TlsAlertReceived {
            alert_id: Some(u8::from(*alert)),
            alert_message: Some(format!("{alert:?}")),
        },
        _ => Error::TlsProtocolError,
    }
}

/// `error` and its causes. `std::io::Error::source` skips the error it
/// wraps (it answers that error's own source), so the wrapped error is
/// visited through `get_ref`.
fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(
        Some(error),
        |&cause: &&'a (dyn StdError + 'static)| match cause.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => cause.source(),
        },
    )
}

/// A response body that fails with `connection-read-timeout` when no frame
/// comes within the between-bytes timeout, and keeps `held` until it ends.
/// Its frames are those [`read_ahead`] read off the connection (`F`, so
/// that tests can feed it their own).
///
/// The timer is not moved on every frame (an event stream has thousands, and
/// each move is a trip into tokio's timer wheel): it stays armed for the
/// deadline it was set to, and only when it fires is the deadline checked
/// against the time of the last frame and, if a frame came since, set again.
struct TimedBody<H, F = read_ahead::Frames> {
    frames: F,
    /// The between-bytes timeout.
    limit: Duration,
    /// When the last frame (or the response head) arrived.
    last_frame: Instant,
    /// Fires at or before `last_frame + limit`.
    timer: Pin<Box<Sleep>>,
    held: Option<H>,
}

impl<H, F> TimedBody<H, F> {
    fn new(frames: F, limit: Duration, held: H) -> Self {
        let last_frame = Instant::now();
        Self {
            frames,
            limit,
            last_frame,
            timer: Box::pin(tokio::time::sleep_until(due(last_frame, limit))),
            held: Some(held),
        }
    }

    /// Ready when no frame came for `limit`: the timer fired and no frame
    /// came since it was set.
    fn poll_timed_out(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            ready!(self.timer.as_mut().poll(cx));
            let due = due(self.last_frame, self.limit);
            if Instant::now() >= due {
                return Poll::Ready(());
            }
            self.timer.as_mut().reset(due);
        }
    }
}

/// When a body whose last frame came at `last` times out: tokio's timer
/// takes far deadlines (it caps them), an overflowing one is a year away.
fn due(last: Instant, limit: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);
    last.checked_add(limit).unwrap_or_else(|| last + FAR)
}

/// Where a [`TimedBody`] takes its frames from: data, then trailers or an
/// error; `None` at the end.
trait FrameSource {
    fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>>;
}

impl<H: Unpin, F: FrameSource + Unpin> http_body::Body for TimedBody<H, F> {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        match self.frames.poll_recv(cx) {
            Poll::Ready(None) => {
                self.held = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(if error.is_timeout() {
                Error::HttpResponseTimeout
            } else {
                Error::from(error)
            }))),
            Poll::Ready(Some(Ok(frame))) => {
                self.last_frame = Instant::now();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.poll_timed_out(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;
    use http_body_util::{Empty, Full};
    use hyper::body::Incoming;
    use hyper::service::service_fn;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    /// The frames a test feeds a [`TimedBody`].
    impl FrameSource for tokio::sync::mpsc::Receiver<Result<http_body::Frame<Bytes>, hyper::Error>> {
        fn poll_recv(
            &mut self,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
            tokio::sync::mpsc::Receiver::poll_recv(self, cx)
        }
    }

    fn config(ca_bundle: Option<PathBuf>) -> OutboundConfig {
        OutboundConfig {
            ca_bundle,
            idle_timeout: Duration::from_secs(60),
            max_idle_per_host: 8,
        }
    }

    fn get(url: &str) -> http::Request<WasiBody> {
        let body = Empty::new().map_err(|never| match never {}).boxed_unsync();
        http::Request::get(url).body(body).unwrap()
    }

    /// A server that answers every request with its HTTP version after
    /// `delay`, counting the TCP connections it accepts. With `tls`, it
    /// offers h2 and http/1.1 by ALPN.
    struct Server {
        url: String,
        accepted: Arc<AtomicUsize>,
    }

    async fn serve(tls: Option<tokio_rustls::TlsAcceptor>, delay: Duration) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                counter.fetch_add(1, Ordering::SeqCst);
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: http::Request<Incoming>| async move {
                        tokio::time::sleep(delay).await;
                        let version = format!("{:?}", request.version());
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                            Bytes::from(version),
                        )))
                    });
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = match tls {
                        Some(acceptor) => {
                            let stream = acceptor.accept(tcp).await.unwrap();
                            builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await
                        }
                        None => builder.serve_connection(TokioIo::new(tcp), service).await,
                    };
                });
            }
        });
        Server {
            url: format!("{scheme}://{addr}/"),
            accepted,
        }
    }

    async fn body_text(response: http::Response<WasiBody>) -> String {
        let bytes = response
            .into_body()
            .collect()
            .await
            .ok()
            .unwrap()
            .to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn sequential_requests_share_one_connection() {
        let server = serve(None, Duration::ZERO).await;
        let client = OutboundClient::new(&config(None)).unwrap();
        // Two calls of one host: two clones of its client.
        for client in [client.clone(), client] {
            let response = client.send(get(&server.url), None, ()).await.unwrap();
            assert_eq!(body_text(response).await, "HTTP/1.1");
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    }

    /// A CA written to a PEM file, and a TLS acceptor whose certificate
    /// for 127.0.0.1 it signed.
    fn private_ca(name: &str) -> (PathBuf, tokio_rustls::TlsAcceptor) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        let path = std::env::temp_dir().join(format!(
            "bedrock-host-test-ca-{}-{name}.pem",
            std::process::id()
        ));
        std::fs::write(&path, ca_cert.pem()).unwrap();
        let mut server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        (path, tokio_rustls::TlsAcceptor::from(Arc::new(server)))
    }

    #[tokio::test]
    async fn https_negotiates_http2_and_trusts_the_ca_bundle() {
        let (ca_file, acceptor) = private_ca("h2");
        let server = serve(Some(acceptor), Duration::ZERO).await;
        let client = OutboundClient::new(&config(Some(ca_file.clone()))).unwrap();
        for _ in 0..2 {
            let response = client.send(get(&server.url), None, ()).await.unwrap();
            assert_eq!(response.version(), http::Version::HTTP_2);
            assert_eq!(body_text(response).await, "HTTP/2.0");
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
        std::fs::remove_file(ca_file).unwrap();
    }

    #[tokio::test]
    async fn what_came_with_the_head_is_read_at_once() {
        // The server sends the head and the whole body in one write, so the
        // body is in the client's buffers when the head is handed over.
        let (ca_file, acceptor) = private_ca("with-head");
        let server = serve(Some(acceptor), Duration::ZERO).await;
        let client = OutboundClient::new(&config(Some(ca_file.clone()))).unwrap();
        for _ in 0..2 {
            let mut body = client
                .send(get(&server.url), None, ())
                .await
                .unwrap()
                .into_body();
            // Polled before this task yields: a reader task has not run yet.
            let mut cx = Context::from_waker(std::task::Waker::noop());
            match Pin::new(&mut body).poll_frame(&mut cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    assert_eq!(frame.into_data().unwrap(), "HTTP/2.0");
                }
                other => panic!("the body was not there with the head: {other:?}"),
            }
        }
        std::fs::remove_file(ca_file).unwrap();
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_a_certificate_error() {
        let (ca_file, acceptor) = private_ca("untrusted");
        std::fs::remove_file(ca_file).unwrap();
        let server = serve(Some(acceptor), Duration::ZERO).await;
        let client = OutboundClient::new(&config(None)).unwrap();
        let error = client.send(get(&server.url), None, ()).await.unwrap_err();
        assert!(matches!(error, Error::TlsCertificateError), "{error}");
    }

    #[test]
    fn an_unusable_ca_bundle_fails_the_build_naming_it() {
        let missing = std::env::temp_dir().join("bedrock-host-test-no-such-ca.pem");
        let error = OutboundClient::new(&config(Some(missing))).err().unwrap();
        assert!(matches!(error, OutboundError::CaBundleUnreadable { .. }));
        assert!(
            error
                .to_string()
                .contains("bedrock-host-test-no-such-ca.pem")
        );
        let empty = std::env::temp_dir().join(format!(
            "bedrock-host-test-empty-ca-{}.pem",
            std::process::id()
        ));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = OutboundClient::new(&config(Some(empty.clone())))
            .err()
            .unwrap();
        std::fs::remove_file(empty).unwrap();
        assert!(
            matches!(error, OutboundError::CaBundleEmpty { .. }),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_connection_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let client = OutboundClient::new(&config(None)).unwrap();
        let error = client.send(get(&url), None, ()).await.unwrap_err();
        assert!(matches!(error, Error::ConnectionRefused), "{error}");
    }

    #[tokio::test]
    async fn the_guest_timeouts_still_fire() {
        let client = OutboundClient::new(&config(None)).unwrap();
        // A server that accepts and never answers: first byte.
        let silent = serve(None, Duration::from_secs(3600)).await;
        let options = RequestOptions {
            first_byte_timeout: Some(Duration::from_millis(50)),
            ..RequestOptions::default()
        };
        let error = client
            .send(get(&silent.url), Some(options), ())
            .await
            .unwrap_err();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error}");

        // A head, then a body that never comes: between bytes.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut tcp, _) = listener.accept().await.unwrap();
            let _ = tcp.read(&mut [0; 1024]).await.unwrap();
            tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhal")
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        let options = RequestOptions {
            between_bytes_timeout: Some(Duration::from_millis(50)),
            ..RequestOptions::default()
        };
        let response = client.send(get(&url), Some(options), ()).await.unwrap();
        let error = response.into_body().collect().await.err().unwrap();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error}");

        // A TLS handshake that never completes: connect.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (_tcp, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        let options = RequestOptions {
            connect_timeout: Some(Duration::from_millis(50)),
            ..RequestOptions::default()
        };
        let error = client.send(get(&url), Some(options), ()).await.unwrap_err();
        assert!(matches!(error, Error::ConnectionTimeout), "{error}");
    }

    /// A response body of small DATA frames of `FRAME_BYTES` each, sent in
    /// rounds as an event stream comes, a few events at a time;
    /// `finished` counts the bodies sent to their end.
    struct SmallFrames {
        frames: tokio::sync::mpsc::Receiver<Bytes>,
        finished: tokio::sync::watch::Sender<usize>,
    }

    const FRAME_BYTES: usize = 10;
    const FRAMES_PER_ROUND: usize = 10;

    impl SmallFrames {
        fn new(frames: usize, finished: tokio::sync::watch::Sender<usize>) -> Self {
            let (sender, receiver) = tokio::sync::mpsc::channel(FRAMES_PER_ROUND);
            tokio::spawn(async move {
                for sent in 0..frames {
                    if sent % FRAMES_PER_ROUND == 0 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    let event = Bytes::from_static(&[b'e'; FRAME_BYTES]);
                    if sender.send(event).await.is_err() {
                        return;
                    }
                }
            });
            Self {
                frames: receiver,
                finished,
            }
        }
    }

    impl http_body::Body for SmallFrames {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            match ready!(self.frames.poll_recv(cx)) {
                Some(event) => Poll::Ready(Some(Ok(http_body::Frame::data(event)))),
                None => {
                    self.finished.send_modify(|n| *n += 1);
                    Poll::Ready(None)
                }
            }
        }
    }

    /// An HTTPS (h2) server whose `/events` answers `frames` small frames and
    /// whose `/after/N` answers once N of those bodies were sent to their end.
    async fn serve_small_frames(acceptor: tokio_rustls::TlsAcceptor, frames: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (finished, _) = tokio::sync::watch::channel(0usize);
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let (acceptor, finished) = (acceptor.clone(), finished.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request: http::Request<Incoming>| {
                        let finished = finished.clone();
                        async move {
                            let path = request.uri().path().to_owned();
                            let frames = match path.strip_prefix("/after/") {
                                Some(count) => {
                                    let count: usize = count.parse().unwrap();
                                    let mut sent = finished.subscribe();
                                    sent.wait_for(|n| *n >= count).await.unwrap();
                                    0
                                }
                                None => frames,
                            };
                            let body = SmallFrames::new(frames, finished.clone());
                            Ok::<_, std::convert::Infallible>(http::Response::new(body))
                        }
                    });
                    let stream = acceptor.accept(tcp).await.unwrap();
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        format!("https://{addr}")
    }

    /// Event streams arrive as many small DATA frames, and a guest among
    /// thousands reads its stream late. h2 charges every small frame left
    /// unread against a budget of the whole connection (half its window)
    /// and closes the connection with ENHANCE_YOUR_CALM when it runs out:
    /// every stream on it failed with "error reading a body from
    /// connection". Here no body is read until all were sent, which
    /// leaves far more small frames than that budget covers: a larger
    /// window alone would not do, the bodies must be read off the
    /// connection as they come.
    #[tokio::test]
    async fn small_frames_read_late_keep_the_connection() {
        // 175,000 frames of 10 bytes: over the allowance of the 64 MiB
        // window (32 MiB at 246 bytes a frame), with 1.75 MB of data.
        const STREAMS: usize = 50;
        const FRAMES: usize = 3_500;
        let (ca_file, acceptor) = private_ca("small-frames");
        let base = serve_small_frames(acceptor, FRAMES).await;
        let client = OutboundClient::new(&config(Some(ca_file.clone()))).unwrap();
        let mut responses = Vec::new();
        for _ in 0..STREAMS {
            let (client, url) = (client.clone(), format!("{base}/events"));
            responses.push(tokio::spawn(async move {
                client.send(get(&url), None, ()).await
            }));
        }
        let mut bodies = Vec::new();
        for response in responses {
            let response = response.await.unwrap().unwrap();
            assert_eq!(response.version(), http::Version::HTTP_2);
            bodies.push(response.into_body());
        }
        // Sent after the others on the same connection: by its answer, the
        // server has written every frame of the other bodies.
        let after = client
            .send(get(&format!("{base}/after/{STREAMS}")), None, ())
            .await
            .unwrap();
        assert_eq!(body_text(after).await, "");
        for body in bodies {
            match body.collect().await {
                Ok(collected) => assert_eq!(collected.to_bytes().len(), FRAMES * FRAME_BYTES),
                Err(error) => panic!("a stream read late failed: {error}"),
            }
        }
        std::fs::remove_file(ca_file).unwrap();
    }

    /// The between-bytes timer is moved only when it fires: a body whose
    /// frames keep coming outlives the timeout many times over, and fails
    /// with it once they stop (the sender still open: silence, not the end).
    #[tokio::test]
    async fn frames_that_keep_coming_keep_the_body_alive() {
        const LIMIT: Duration = Duration::from_millis(500);
        const GAP: Duration = Duration::from_millis(50);
        // Four times the timeout in all.
        const FRAMES: usize = 40;
        let (sender, frames) = tokio::sync::mpsc::channel(1);
        let mut body = TimedBody::new(frames, LIMIT, ());
        let feeder = tokio::spawn(async move {
            for _ in 0..FRAMES {
                tokio::time::sleep(GAP).await;
                let frame = http_body::Frame::data(Bytes::from_static(b"e"));
                sender.send(Ok(frame)).await.unwrap();
            }
            std::future::pending::<()>().await;
        });
        for _ in 0..FRAMES {
            let frame = body.frame().await.unwrap().unwrap();
            assert_eq!(frame.into_data().unwrap(), "e");
        }
        let error = body.frame().await.unwrap().unwrap_err();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error}");
        feeder.abort();
    }

    #[tokio::test]
    async fn the_held_value_lives_until_the_body_ends() {
        let server = serve(None, Duration::ZERO).await;
        let client = OutboundClient::new(&config(None)).unwrap();
        let held = Arc::new(());
        let response = client
            .send(get(&server.url), None, held.clone())
            .await
            .unwrap();
        assert_eq!(Arc::strong_count(&held), 2);
        let mut body = response.into_body();
        while body.frame().await.is_some() {}
        assert_eq!(Arc::strong_count(&held), 1);
    }
}
