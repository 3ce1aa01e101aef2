//! Fixtures for the end-to-end tests: the built component, loaded once per
//! test binary, driven through the host harness against the emulator.

use bedrock_emulator::{Emulator, EmulatorConfig};
use bedrock_host::types::{
    ContentBlock, ConverseRequest, Message, ProviderConfig, ProviderError, Role, StreamEvent,
};
use bedrock_host::{Host, HostConfig};
use std::path::PathBuf;
use std::sync::OnceLock;

mod clients;
mod serving;

pub use clients::{assert_sdk_scenarios, by_scenario, run_node, run_python};
pub use serving::Serving;

pub const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const BEARER_TOKEN: &str = "bedrock-api-key-EXAMPLE";
pub const MODEL: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

/// The component, compiled once per test binary.
fn compiled() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        let path = HostConfig::default_component_path();
        let mut config = HostConfig::new(&path);
        config.env.clear();
        Host::new(config).unwrap_or_else(|e| {
            panic!("{e:#}\n(run `bash scripts/test.sh`, which builds the component first)")
        })
    })
}

/// A host whose guest sees exactly `env` (after the sandbox's own filter).
pub fn host(env: &[(&str, String)]) -> Host {
    host_with(env, |_| {})
}

/// Like [`host`], with further changes to the configuration.
pub fn host_with(env: &[(&str, String)], tweak: impl FnOnce(&mut HostConfig)) -> Host {
    let mut config = HostConfig::new(HostConfig::default_component_path());
    config.env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    tweak(&mut config);
    compiled().with_policy(&config)
}

pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

/// Environment with SigV4 keys, pointed at `emulator`.
pub fn sigv4_env(emulator: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", emulator.endpoint()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
    ]
}

/// Environment with a Bedrock API key, pointed at `emulator`.
pub fn bearer_env(emulator: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.endpoint()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_BEARER_TOKEN_BEDROCK", BEARER_TOKEN.into()),
    ]
}

pub fn config() -> ProviderConfig {
    ProviderConfig::default()
}

pub fn request(model: &str, prompt: &str) -> ConverseRequest {
    ConverseRequest {
        model_id: model.into(),
        system: Some("You are terse.".into()),
        messages: vec![Message {
            role: Role::User,
            content: vec![ContentBlock::Text(prompt.into())],
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

/// The Python with boto3 installed (`scripts/test.sh` sets `BEDROCK_PYTHON`);
/// `None`, with a notice, outside CI when it is not set.
pub fn python() -> Option<String> {
    match std::env::var("BEDROCK_PYTHON") {
        Ok(python) if !python.is_empty() => Some(python),
        _ if std::env::var_os("CI").is_some() => {
            panic!("BEDROCK_PYTHON must point at a Python with boto3 under CI")
        }
        _ => {
            eprintln!("notice: skipping, BEDROCK_PYTHON not set (scripts/test.sh sets it)");
            None
        }
    }
}

/// `tests/node` with its npm packages installed (`scripts/test.sh` runs
/// `npm ci` there and sets `BEDROCK_NODE_DIR`); `None`, with a notice, outside
/// CI when it is not set.
pub fn node() -> Option<PathBuf> {
    match std::env::var("BEDROCK_NODE_DIR") {
        Ok(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ if std::env::var_os("CI").is_some() => {
            panic!("BEDROCK_NODE_DIR must point at tests/node with its packages installed under CI")
        }
        _ => {
            eprintln!("notice: skipping, BEDROCK_NODE_DIR not set (scripts/test.sh sets it)");
            None
        }
    }
}

/// The next turn of `req`'s conversation: `assistant` (the turn as streamed,
/// sent back as a client keeps it), then the tool's `result` for its first
/// tool call.
pub fn with_tool_result(
    mut req: ConverseRequest,
    assistant: Message,
    result: &str,
) -> ConverseRequest {
    use bedrock_host::types::{ToolResultBlock, ToolResultContent};
    let call_id = assistant
        .content
        .iter()
        .find_map(|b| match b {
            ContentBlock::ToolUse(call) => Some(call.id.clone()),
            _ => None,
        })
        .expect("the turn called a tool");
    req.messages.push(assistant);
    req.messages.push(Message {
        role: Role::User,
        content: vec![ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: call_id,
            content: vec![ToolResultContent::Text(result.into())],
            is_error: false,
        })],
    });
    req
}

/// Everything one stream produced.
#[derive(Debug)]
pub struct Outcome {
    pub events: Vec<StreamEvent>,
    /// The terminal error, if the stream ended in one.
    pub error: Option<ProviderError>,
}

impl Outcome {
    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta(d) => Some(d.text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The assistant message the stream built, its blocks in index order, as a client
    /// keeps it to send back: thinking with its signature, redacted thinking, text and
    /// tool calls.
    pub fn assistant_message(&self) -> Message {
        use bedrock_host::types::{ReasoningBlock, ToolUseBlock};
        use std::collections::BTreeMap;
        let mut blocks: BTreeMap<u32, ContentBlock> = BTreeMap::new();
        for event in &self.events {
            match event {
                StreamEvent::TextDelta(d) => {
                    let block = blocks
                        .entry(d.index)
                        .or_insert_with(|| ContentBlock::Text(String::new()));
                    if let ContentBlock::Text(text) = block {
                        text.push_str(&d.text);
                    }
                }
                StreamEvent::ReasoningDelta(d) => {
                    let block = blocks.entry(d.index).or_insert_with(|| {
                        ContentBlock::Reasoning(ReasoningBlock {
                            text: String::new(),
                            signature: None,
                        })
                    });
                    if let ContentBlock::Reasoning(reasoning) = block {
                        reasoning.text.push_str(&d.text);
                    }
                }
                StreamEvent::ReasoningSignature(d) => {
                    if let Some(ContentBlock::Reasoning(reasoning)) = blocks.get_mut(&d.index) {
                        reasoning.signature = Some(d.signature.clone());
                    }
                }
                StreamEvent::ReasoningRedacted(d) => {
                    blocks.insert(d.index, ContentBlock::RedactedReasoning(d.data.clone()));
                }
                StreamEvent::ToolUseStart(start) => {
                    blocks.insert(
                        start.index,
                        ContentBlock::ToolUse(ToolUseBlock {
                            id: start.id.clone(),
                            name: start.name.clone(),
                            input_json: String::new(),
                        }),
                    );
                }
                StreamEvent::ToolInputDelta(d) => {
                    if let Some(ContentBlock::ToolUse(call)) = blocks.get_mut(&d.index) {
                        call.input_json.push_str(&d.text);
                    }
                }
                _ => {}
            }
        }
        Message {
            role: Role::Assistant,
            content: blocks.into_values().collect(),
        }
    }

    pub fn stops(&self) -> Vec<&bedrock_host::types::MessageStop> {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::MessageStop(s) => Some(s),
                _ => None,
            })
            .collect()
    }
}

/// Runs one turn to its end. `Err` is an error before the first event.
pub async fn converse(
    host: &Host,
    config: &ProviderConfig,
    request: &ConverseRequest,
) -> Result<Outcome, ProviderError> {
    let mut stream = host
        .converse_stream(config, request)
        .await
        .expect("no host failure")?;
    let mut events = Vec::new();
    loop {
        match stream.next().await.expect("no host failure") {
            Ok(Some(batch)) => {
                assert!(!batch.is_empty(), "batches are never empty");
                events.extend(batch);
            }
            Ok(None) => {
                return Ok(Outcome {
                    events,
                    error: None,
                });
            }
            Err(error) => {
                assert_eq!(
                    stream.next().await.expect("no host failure"),
                    Ok(None),
                    "an error is terminal"
                );
                return Ok(Outcome {
                    events,
                    error: Some(error),
                });
            }
        }
    }
}

/// A component the tests build besides the plugin (`scripts/test.sh` builds
/// them all): `relative` to the workspace's `target/`.
pub fn test_component(relative: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target")
        .join(relative);
    assert!(
        path.is_file(),
        "{} is missing: run `bash scripts/test.sh`, which builds it",
        path.display()
    );
    path
}

/// The deliberately misbehaving plugin (`test-guests/hostile`).
pub fn hostile_component() -> std::path::PathBuf {
    test_component("wasm32-wasip2/release/bedrock_hostile_guest.wasm")
}

/// The real plugin built with another version string, for hot swaps.
pub fn twin_component() -> std::path::PathBuf {
    test_component("swap-twin/wasm32-wasip2/release/bedrock_guest.wasm")
}

/// A host of its own (not sharing the compiled plugin of [`host`]): for
/// tests that reload it or need their own concurrency cap. Compiled code
/// comes from the code cache after the first time.
pub fn own_host(
    component: &std::path::Path,
    env: &[(&str, String)],
    tweak: impl FnOnce(&mut HostConfig),
) -> Host {
    let mut config = HostConfig::new(component);
    config.env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    tweak(&mut config);
    Host::new(config).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Runs every future on its own task and awaits them all, in order.
pub async fn join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.expect("the task panicked"));
    }
    outputs
}
