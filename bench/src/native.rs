//! The guest's core compiled natively, without the sandbox: the same
//! credential chain, `prepare` (request body and SigV4) and event-stream
//! decoder, over a plain hyper HTTP/1.1 client. Like wasmtime-wasi-http's
//! default `send_request`, it opens one connection per request, so the
//! difference to the wasm peer is the cost of the sandbox.

use crate::drive::{Outcome, Peer};
use crate::{ACCESS_KEY_ID, MODEL, SECRET_ACCESS_KEY};
use bedrock_core::converse::{self, ConverseStreamDecoder};
use bedrock_core::credentials::{self, Resolved};
use bedrock_core::env::Environment;
use bedrock_core::signing::SignedRequest;
use bedrock_core::types::{
    ContentBlock, ConverseRequest, Message, ProviderConfig, ProviderError, Role, StreamEvent,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::time::{Instant, SystemTime};
use tokio::net::TcpStream;

pub struct Native {
    env: Environment,
}

impl Native {
    pub fn new(endpoint: &str) -> Native {
        Native {
            env: Environment::from_vars([
                ("AWS_ENDPOINT_URL", endpoint),
                ("AWS_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
                ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ]),
        }
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

    async fn run(
        &self,
        prompt: String,
        outcome: &mut Outcome,
        start: Instant,
    ) -> Result<(), String> {
        let signed = self.prepare(prompt).map_err(|e| format!("{e:?}"))?;
        let response = send(signed).await.map_err(|e| format!("network: {e:#}"))?;
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

/// Sends `signed` on a new connection and returns the response head.
pub async fn send(signed: SignedRequest) -> anyhow::Result<http::Response<hyper::body::Incoming>> {
    let stream = TcpStream::connect(&signed.authority).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = http::Request::builder()
        .method(signed.method)
        .uri(signed.path_and_query)
        .header("host", &signed.authority);
    for (name, value) in &signed.headers {
        request = request.header(name, value.as_slice());
    }
    let request = request.body(Full::new(Bytes::from(signed.body)))?;
    Ok(sender.send_request(request).await?)
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
}
