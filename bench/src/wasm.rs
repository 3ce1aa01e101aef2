//! The peer under test: the provider component in the wasmtime host, streams
//! sharing instances as the host's defaults have them, exactly as a gateway
//! runs it. Over TLS the host
//! trusts the emulator's CA as an operator would: `AWS_CA_BUNDLE`, which
//! `HostConfig::new` reads.

use crate::drive::{Outcome, Peer};
use crate::{ACCESS_KEY_ID, MODEL, SECRET_ACCESS_KEY};
use bedrock_host::types::{
    ContentBlock, ConverseRequest, Message, ProviderConfig, Role, StreamEvent, WitName,
};
use bedrock_host::{Host, HostConfig};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct Wasm {
    host: Host,
    /// What [`Peer::fresh`] builds another host identity from.
    config: HostConfig,
}

impl Wasm {
    /// See [`host`].
    pub fn new(
        component: &Path,
        endpoint: &str,
        cache: Option<PathBuf>,
        streams: usize,
    ) -> anyhow::Result<Wasm> {
        let config = host_config(component, endpoint, cache, streams);
        Ok(Wasm {
            host: Host::new(config.clone())?,
            config,
        })
    }
}

/// A host for `component` whose guest signs with the example keys and sends
/// to `endpoint`. `streams` sizes the cap on calls in flight (with room for a
/// reload's trial call).
pub fn host(
    component: &Path,
    endpoint: &str,
    cache: Option<PathBuf>,
    streams: usize,
) -> anyhow::Result<Host> {
    Host::new(host_config(component, endpoint, cache, streams))
}

fn host_config(
    component: &Path,
    endpoint: &str,
    cache: Option<PathBuf>,
    streams: usize,
) -> HostConfig {
    let mut config = HostConfig::new(component);
    config.env = vec![
        ("AWS_ENDPOINT_URL".into(), endpoint.into()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY".into(), SECRET_ACCESS_KEY.into()),
    ];
    config.code_cache = cache;
    config.max_concurrent_calls = config.max_concurrent_calls.max(streams + 16);
    // The host's default unless a run compares another sharing (`1`: an
    // instance per stream).
    if let Some(per_instance) = std::env::var(STREAMS_PER_INSTANCE_VAR)
        .ok()
        .and_then(|value| value.parse().ok())
    {
        config.streams_per_instance = per_instance;
    }
    config.perf_map = std::env::var_os(PERF_MAP_VAR).is_some();
    config
}

/// Set: the host writes a perf map, so a profile of the bench names the
/// guest's functions (see `HostConfig::perf_map`).
const PERF_MAP_VAR: &str = "BEDROCK_BENCH_PERF_MAP";

/// Overrides `HostConfig::streams_per_instance` for a comparison run.
const STREAMS_PER_INSTANCE_VAR: &str = "BEDROCK_BENCH_STREAMS_PER_INSTANCE";

pub fn config() -> ProviderConfig {
    ProviderConfig::default()
}

pub fn request(content: Vec<ContentBlock>) -> ConverseRequest {
    ConverseRequest {
        model_id: MODEL.into(),
        system: Some("You are terse.".into()),
        messages: vec![Message {
            role: Role::User,
            content,
        }],
        tools: vec![],
        tool_choice: None,
        max_tokens: None,
        temperature: Some(0.5),
        top_p: None,
        stop_sequences: vec![],
        reasoning: None,
        cache_retention: None,
        bedrock: None,
    }
}

/// Runs one stream through `host` to its end.
pub async fn stream(host: &Host, config: &ProviderConfig, request: &ConverseRequest) -> Outcome {
    let start = Instant::now();
    let mut outcome = Outcome::default();
    let mut stream = match host.converse_stream(config, request).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => {
            outcome.error = Some(error.wit_name().into());
            return outcome;
        }
        Err(error) => {
            outcome.error = Some(format!("host: {error:#}"));
            return outcome;
        }
    };
    loop {
        match stream.next().await {
            Ok(Ok(Some(batch))) => {
                outcome.first_event.get_or_insert_with(|| start.elapsed());
                outcome.events += batch.len();
                for event in batch {
                    if let StreamEvent::TextDelta(delta) = event {
                        outcome.text.push_str(&delta.text);
                    }
                }
            }
            Ok(Ok(None)) => return outcome,
            Ok(Err(error)) => {
                // The report counts errors by kind; why is for stderr.
                eprintln!("stream failed after {} events: {error:?}", outcome.events);
                outcome.error = Some(error.wit_name().into());
                return outcome;
            }
            Err(error) => {
                outcome.error = Some(format!("host: {error:#}"));
                return outcome;
            }
        }
    }
}

impl Peer for Wasm {
    async fn stream(&self, prompt: String) -> Outcome {
        stream(
            &self.host,
            &config(),
            &request(vec![ContentBlock::Text(prompt)]),
        )
        .await
    }

    /// The loaded plugin, as a gateway keeps it loaded, under a host with a
    /// connection pool and instances of its own: its first stream pays a new
    /// connection and handshake and a new instance, as another SDK client
    /// in a running process pays a new connection.
    fn fresh(&self) -> anyhow::Result<Self> {
        Ok(Wasm {
            host: self.host.with_outbound(&self.config)?,
            config: self.config.clone(),
        })
    }
}
