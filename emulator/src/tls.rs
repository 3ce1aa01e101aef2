//! HTTPS for the emulator, as Bedrock serves it: TLS with ALPN offering `h2` and
//! `http/1.1`, under a certificate for `localhost`, `127.0.0.1` and `::1` signed by a CA
//! generated at start. Clients trust that CA the way their users trust a private one
//! (`AWS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`, a trust store built from the PEM), so a test
//! or benchmark pays the handshake, certificate check and HTTP/2 framing real calls pay.
//!
//! Connections are accepted and handshaken by a task of their own, so a slow or stalled
//! client never holds up the next one; the server sees only finished handshakes.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

/// How long a client may take over its handshake before its connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for the server to take them.
const ACCEPT_BACKLOG: usize = 1024;

/// Why the TLS identity could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("generating the emulator's certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("setting up the emulator's TLS server: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A CA made at start and the server configuration whose certificate it signed.
pub(crate) struct TlsIdentity {
    /// The CA certificate clients must trust, PEM-encoded.
    pub(crate) ca_pem: String,
    pub(crate) acceptor: TlsAcceptor,
}

impl TlsIdentity {
    /// A fresh CA (ECDSA P-256) and a server certificate for the loopback names. Keys live
    /// only in memory: nothing but the CA certificate ever leaves the process.
    pub(crate) fn generate() -> Result<Self, TlsError> {
        let ca_key = rcgen::KeyPair::generate()?;
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "bedrock-emulator test CA");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = rcgen::Issuer::new(ca, ca_key);

        let server_key = rcgen::KeyPair::generate()?;
        let names = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
        // Strings that parse as IP addresses become IP SANs.
        let mut server = rcgen::CertificateParams::new(names)?;
        server
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        server.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        // OpenSSL's strict verification (Python 3.13's default) wants the issuer named.
        server.use_authority_key_identifier_extension = true;
        let server_cert = server.signed_by(&server_key, &issuer)?;

        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone()], key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

/// One accepted connection, plain or TLS.
pub(crate) enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The emulator's listener: accepts on `tcp`, sets `TCP_NODELAY` (like Bedrock's front
/// end, each event is written at once: without it a reused connection waits on Nagle
/// against the client's delayed ACK, about 40 ms an answer), and with `tls` hands the
/// server only connections whose handshake finished.
pub(crate) struct EmulatorListener {
    accepted: mpsc::Receiver<(Connection, SocketAddr)>,
}

impl EmulatorListener {
    /// Starts accepting on `tcp`, in a task that ends when the listener is dropped.
    pub(crate) fn new(tcp: TcpListener, tls: Option<TlsAcceptor>) -> Self {
        let (sender, accepted) = mpsc::channel(ACCEPT_BACKLOG);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = tokio::select! {
                    () = sender.closed() => return,
                    accepted = tcp.accept() => match accepted {
                        Ok(accepted) => accepted,
                        // Out of descriptors and the like: wait, as axum's own listener does.
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                };
                let _ = stream.set_nodelay(true);
                let sender = sender.clone();
                match tls.clone() {
                    None => {
                        let _ = sender.send((Connection::Plain(stream), peer)).await;
                    }
                    Some(acceptor) => {
                        tokio::spawn(async move {
                            let handshake =
                                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                            // A failed handshake (an untrusting client's alert, a
                            // timeout) is the client's to report.
                            if let Ok(Ok(stream)) = handshake.await {
                                let connection = Connection::Tls(Box::new(stream));
                                let _ = sender.send((connection, peer)).await;
                            }
                        });
                    }
                }
            }
        });
        Self { accepted }
    }

    /// The next connection, and the client's address.
    pub(crate) async fn accept(&mut self) -> (Connection, SocketAddr) {
        match self.accepted.recv().await {
            Some(accepted) => accepted,
            // The accepting task holds the sender for as long as the listener lives.
            None => std::future::pending().await,
        }
    }
}

/// The client's address and port, which tell its connections apart: every request of
/// one connection carries the same (a request extension).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddr(pub(crate) SocketAddr);

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Connection::Tls(stream) => Pin::new(stream).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Connection::Tls(stream) => Pin::new(stream).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Connection::Tls(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Connection::Plain(stream) => stream.is_write_vectored(),
            Connection::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Connection::Tls(stream) => Pin::new(stream).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Connection::Tls(stream) => Pin::new(stream).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

    use crate::{Emulator, EmulatorConfig};

    /// A rustls client trusting only `ca_pem`, offering `alpn`.
    fn connector(ca_pem: &str, alpn: &[&[u8]]) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }

    async fn tls_emulator() -> Emulator {
        Emulator::start(EmulatorConfig {
            tls: true,
            ..EmulatorConfig::default()
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn the_certificate_names_every_loopback_name_and_alpn_prefers_h2() {
        let emulator = tls_emulator().await;
        let ca = emulator.ca_pem().unwrap();
        assert!(emulator.endpoint().starts_with("https://127.0.0.1:"));
        for name in ["localhost", "127.0.0.1", "::1"] {
            let tcp = tokio::net::TcpStream::connect(emulator.addr())
                .await
                .unwrap();
            let server_name = ServerName::try_from(name.to_owned()).unwrap();
            let tls = connector(ca, &[b"h2", b"http/1.1"])
                .connect(server_name, tcp)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "{name}");
        }
        // A client without h2 (botocore's urllib3) keeps HTTP/1.1.
        let tcp = tokio::net::TcpStream::connect(emulator.addr())
            .await
            .unwrap();
        let tls = connector(ca, &[b"http/1.1"])
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    }

    #[tokio::test]
    async fn another_emulators_ca_is_refused_and_the_server_goes_on() {
        let emulator = tls_emulator().await;
        let stranger = tls_emulator().await;
        let tcp = tokio::net::TcpStream::connect(emulator.addr())
            .await
            .unwrap();
        let refused = connector(stranger.ca_pem().unwrap(), &[b"h2"])
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("invalid peer certificate"),
            "{refused}"
        );
        // The failed handshake cost the server nothing: the next client is served.
        let tcp = tokio::net::TcpStream::connect(emulator.addr())
            .await
            .unwrap();
        connector(emulator.ca_pem().unwrap(), &[b"h2"])
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
    }
}
