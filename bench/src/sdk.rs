//! The AWS SDK for Rust (`aws-sdk-bedrockruntime`) peer, with its own SigV4
//! signer, event-stream parser and pooled hyper client. Over TLS, its client's
//! trust store holds the CA file `AWS_CA_BUNDLE` names (the SDK for Rust does
//! not read that variable itself: a user configures the client so).

use crate::drive::{Outcome, Peer};
use crate::{ACCESS_KEY_ID, MODEL, SECRET_ACCESS_KEY};
use anyhow::Context as _;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseStreamOutput,
    InferenceConfiguration, Message, SystemContentBlock,
};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use std::time::Instant;

pub struct Sdk {
    client: Client,
    endpoint: String,
}

/// The SDK's own hyper client: with rustls trusting `AWS_CA_BUNDLE` when it is
/// set, plain HTTP otherwise.
fn http_client() -> anyhow::Result<SharedHttpClient> {
    let builder = aws_smithy_http_client::Builder::new();
    let Some(path) = std::env::var_os("AWS_CA_BUNDLE") else {
        return Ok(builder.build_http());
    };
    let pem = std::fs::read(&path)
        .with_context(|| format!("reading AWS_CA_BUNDLE {}", path.display()))?;
    let trust = TrustStore::empty().with_pem_certificate(pem);
    Ok(builder
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(TlsContext::builder().with_trust_store(trust).build()?)
        .build_https())
}

impl Sdk {
    pub fn new(endpoint: &str) -> anyhow::Result<Sdk> {
        let config = aws_sdk_bedrockruntime::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "bench",
            ))
            .http_client(http_client()?)
            .build();
        Ok(Sdk {
            client: Client::from_conf(config),
            endpoint: endpoint.to_owned(),
        })
    }

    async fn run(
        &self,
        prompt: String,
        outcome: &mut Outcome,
        start: Instant,
    ) -> Result<(), String> {
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(prompt))
            .build()
            .map_err(|e| e.to_string())?;
        let output = self
            .client
            .converse_stream()
            .model_id(MODEL)
            .system(SystemContentBlock::Text("You are terse.".into()))
            .messages(message)
            .inference_config(InferenceConfiguration::builder().temperature(0.5).build())
            .send()
            .await
            .map_err(|e| sdk_error_kind(&e.into_service_error().to_string()))?;
        let mut stream = output.stream;
        loop {
            match stream.recv().await {
                Ok(Some(event)) => {
                    outcome.first_event.get_or_insert_with(|| start.elapsed());
                    outcome.events += 1;
                    if let ConverseStreamOutput::ContentBlockDelta(delta) = event
                        && let Some(ContentBlockDelta::Text(text)) = delta.delta
                    {
                        outcome.text.push_str(&text);
                    }
                }
                Ok(None) => return Ok(()),
                Err(error) => return Err(sdk_error_kind(&error.to_string())),
            }
        }
    }
}

/// The SDK's errors by their display text's first word, enough to tally.
fn sdk_error_kind(text: &str) -> String {
    text.split([':', ' ']).next().unwrap_or("error").to_string()
}

impl Peer for Sdk {
    async fn stream(&self, prompt: String) -> Outcome {
        let start = Instant::now();
        let mut outcome = Outcome::default();
        if let Err(error) = self.run(prompt, &mut outcome, start).await {
            outcome.error = Some(error);
        }
        outcome
    }

    fn fresh(&self) -> anyhow::Result<Self> {
        Sdk::new(&self.endpoint)
    }
}
