//! Clients nobody here wrote (boto3, the AWS SDK for JavaScript, pi-ai, the
//! `openai` and `anthropic` SDKs), run as scripts from `tests/python` and
//! `tests/node` that print one JSON value per line.

use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// Runs `node SCRIPT ARGS` in `dir` with only `PATH` and `env` set, off the
/// async runtime, and parses its stdout as one JSON value per line. A failure
/// panics with the script's stderr.
pub async fn run_node(
    dir: &Path,
    script: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> Vec<Value> {
    let mut command = Command::new("node");
    command.current_dir(dir).arg(script).args(args).env_clear();
    command.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command.envs(env.iter().map(|(k, v)| (*k, v)));
    run_lines(command, format!("node {script}")).await
}

/// Runs `tests/python/SCRIPT ARGS` with `python` (see
/// [`python`](crate::python)), its environment plus `env`, off the async
/// runtime, and parses its stdout as one JSON value per line. A failure panics
/// with the script's output.
pub async fn run_python(
    python: &str,
    script: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(script);
    let mut command = Command::new(python);
    command.arg(path).args(args);
    command.envs(env.iter().map(|(k, v)| (*k, v)));
    run_lines(command, format!("python {script}")).await
}

async fn run_lines(mut command: Command, shown: String) -> Vec<Value> {
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{shown}: {e} (is it on PATH?)"));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{shown} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{shown}: {e} in {line:?}\nstderr:\n{stderr}"))
        })
        .collect()
}

/// Lines keyed by their `scenario` field.
pub fn by_scenario(lines: Vec<Value>) -> HashMap<String, Value> {
    lines
        .into_iter()
        .map(|v| (v["scenario"].as_str().unwrap().to_string(), v))
        .collect()
}

/// What every AWS SDK run of the emulator's scenarios must have seen (boto3
/// and the JavaScript SDK print the same scenarios): the streamed text, its
/// stop reason and usage, both spellings of a profile id, the token limit,
/// and the service's errors by their AWS codes.
pub fn assert_sdk_scenarios(scenarios: &HashMap<String, Value>) {
    use bedrock_emulator::reply_text;
    let text = &scenarios["text"];
    assert_eq!(text["text"], reply_text(24), "{text}");
    assert_eq!(text["stop_reason"], "end_turn");
    assert_eq!(text["usage"]["outputTokens"], 24);
    assert_eq!(text["events"][0], "messageStart");
    for ok in ["colon_model", "arn_model"] {
        assert_eq!(
            scenarios[ok]["stop_reason"], "end_turn",
            "{}",
            scenarios[ok]
        );
    }
    assert_eq!(scenarios["max_tokens"]["stop_reason"], "max_tokens");
    assert_eq!(scenarios["max_tokens"]["text"], reply_text(5));
    assert_eq!(
        scenarios["wrong_secret"]["error"],
        "InvalidSignatureException"
    );
    assert_eq!(scenarios["wrong_secret"]["status"], 403);
    assert_eq!(scenarios["throttled"]["error"], "ThrottlingException");
    assert_eq!(scenarios["throttled"]["status"], 429);
}
