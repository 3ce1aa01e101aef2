//! The guest's core compiled natively, without the sandbox: the same
//! credential chain, `prepare` (request body and SigV4) and event-stream
//! decoder, over the client the host sends with: hyper-util's pooled client
//! with rustls (HTTP/2 by ALPN), trusting the CA file `AWS_CA_BUNDLE` names.
//! The difference to the wasm peer is the cost of the sandbox.

use crate::drive::{Outcome, Peer};
use crate::{ACCESS_KEY_ID, MODEL, SECRET_ACCESS_KEY};
use anyhow::Context as _;
use bedrock_core::converse::{self, ConverseStreamDecoder};
use bedrock_core::credentials::{self, Resolved};
use bedrock_core::endpoint::Scheme;
use bedrock_core::env::Environment;
use bedrock_core::signing::SignedRequest;
use bedrock_core::types::{
    ContentBlock, ConverseRequest, Message, ProviderConfig, ProviderError, Role, StreamEvent,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

pub struct Native {
    env: Environment,
    client: HttpsClient,
}

impl Native {
    pub fn new(endpoint: &str) -> anyhow::Result<Native> {
        Ok(Native {
            env: Environment::from_vars([
                ("AWS_ENDPOINT_URL", endpoint),
                ("AWS_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
                ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ]),
            client: client()?,
        })
    }

    /// What the guest does before sending: resolve credentials, build and sign.
    pub fn prepare(&self, prompt: String) -> Result<SignedRequest, ProviderError> {
        // The environment's keys: no file or network I/O in a benchmark.
        let resolved: Resolved = credentials::resolve(&self.env)?;
        let config = ProviderConfig::default();
        let request = ConverseRequest {
            model_id: MODEL.into(),
            system: Some("You are terse.".into()),
            messages: vec![Message {
                role: Role::User,
                content: vec![ContentBlock::Text(prompt)],
            }],
            temperature: Some(0.5),
            ..Default::default()
        };
        Ok(converse::prepare(
            &config,
            &request,
            &self.env,
            &resolved,
            SystemTime::now(),
        )?)
    }

    /// Sends `signed` through the pool and returns the response head.
    pub async fn send(
        &self,
        signed: SignedRequest,
    ) -> anyhow::Result<http::Response<hyper::body::Incoming>> {
        let scheme = match signed.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        let uri = format!("{scheme}://{}{}", signed.authority, signed.path_and_query);
        let mut request = http::Request::builder().method(signed.method).uri(uri);
        for (name, value) in &signed.headers {
            request = request.header(name, value.as_slice());
        }
        let request = request.body(Full::new(Bytes::from(signed.body)))?;
        Ok(self.client.request(request).await?)
    }

    async fn run(
        &self,
        prompt: String,
        outcome: &mut Outcome,
        start: Instant,
    ) -> Result<(), String> {
        let signed = self.prepare(prompt).map_err(|e| format!("{e:?}"))?;
        let response = self
            .send(signed)
            .await
            .map_err(|e| format!("network: {e:#}"))?;
        if !response.status().is_success() {
            return Err(format!("http {}", response.status()));
        }
        let mut body = response.into_body();
        let mut decoder = ConverseStreamDecoder::new();
        let mut events = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("network: {e}"))?;
            let Ok(chunk) = frame.into_data() else {
                continue;
            };
            let fed = decoder.feed(&chunk, &mut events);
            count(outcome, &mut events, start);
            fed.map_err(|e| format!("{e:?}"))?;
        }
        decoder.finish().map_err(|e| format!("{e:?}"))
    }
}

fn count(outcome: &mut Outcome, events: &mut Vec<StreamEvent>, start: Instant) {
    if events.is_empty() {
        return;
    }
    outcome.first_event.get_or_insert_with(|| start.elapsed());
    outcome.events += events.len();
    for event in events.drain(..) {
        if let StreamEvent::TextDelta(delta) = event {
            outcome.text.push_str(&delta.text);
        }
    }
}

/// A pooled client trusting only the CA file `AWS_CA_BUNDLE` names (the
/// emulator's), as the host's does besides the platform's roots.
pub fn client() -> anyhow::Result<HttpsClient> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = std::env::var_os("AWS_CA_BUNDLE") {
        let certs = CertificateDer::pem_file_iter(&path)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .with_context(|| format!("reading AWS_CA_BUNDLE {}", path.display()))?;
        roots.add_parsable_certificates(certs);
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    let https = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(tcp);
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

impl Peer for Native {
    async fn stream(&self, prompt: String) -> Outcome {
        let start = Instant::now();
        let mut outcome = Outcome::default();
        if let Err(error) = self.run(prompt, &mut outcome, start).await {
            outcome.error = Some(error);
        }
        outcome
    }

    fn fresh(&self) -> anyhow::Result<Self> {
        Ok(Native {
            env: self.env.clone(),
            client: client()?,
        })
    }
}
