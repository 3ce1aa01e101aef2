//! The gateway itself in the loop: the `openclaw` package's own validator accepts the
//! configuration `models --gateway-config` prints, and its embedded agent runs one turn
//! through `bedrock-host serve` to the emulator. Both need an `openclaw` installation
//! and Node.js 24 (see the README); without one they skip with a notice.

use crate::cli::{cli_binary, json_out, run, temp_dir};
use bedrock_emulator::{Emulator, EmulatorConfig};
use bedrock_serve::ServeConfig;
use integration_tests::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The gateway's own CLI, to validate with: `BEDROCK_OPENCLAW` names the `openclaw.mjs`
/// of an installed `openclaw` package, `BEDROCK_OPENCLAW_NODE` a Node.js it runs on (24 or
/// later; default `node`). `None`, with a notice, when unset: the package and its Node.js
/// are not part of the test set-up (see the README).
fn openclaw() -> Option<(PathBuf, PathBuf)> {
    let Some(script) = std::env::var_os("BEDROCK_OPENCLAW").filter(|p| !p.is_empty()) else {
        eprintln!("notice: skipping, BEDROCK_OPENCLAW not set (the gateway's openclaw.mjs)");
        return None;
    };
    let node = std::env::var_os("BEDROCK_OPENCLAW_NODE")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "node".into());
    Some((PathBuf::from(node), PathBuf::from(script)))
}

/// `openclaw config validate` on `config`: whether the gateway accepts it, and its words.
async fn gateway_validates(
    node: &Path,
    script: &Path,
    config: &Path,
    home: &Path,
) -> (bool, String) {
    let mut command = std::process::Command::new(node);
    command
        .arg(script)
        .args(["config", "validate"])
        .env_clear()
        .env("HOME", home)
        .env("OPENCLAW_CONFIG_PATH", config)
        .env("BEDROCK_HOST_API_KEY", "test-key");
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("openclaw runs"))
        .await
        .unwrap();
    let words = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.success() && words.contains("Config valid"),
        words,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_accepts_both_configs() {
    let Some((node, script)) = openclaw() else {
        return;
    };
    let emulator = emulator().await;
    let dir = temp_dir("openclaw");
    let cli = cli_binary();
    for (name, args) in [
        ("native", &["--gateway-config", "native"][..]),
        ("serve-openai", &["--gateway-config", "serve"][..]),
        (
            "serve-anthropic",
            &[
                "--gateway-config",
                "serve",
                "--serve-api",
                "anthropic-messages",
            ][..],
        ),
    ] {
        let printed = run(&cli, &[&["models"], args].concat(), &emulator, &dir).await;
        let document = json_out(&printed);
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, &printed.stdout).unwrap();
        let (valid, words) = gateway_validates(&node, &script, &path, &dir).await;
        assert!(valid, "{name}: {words}");

        // The validator can refuse: the same document with an API the gateway lacks.
        let mut broken = document;
        let providers = broken["models"]["providers"].as_object_mut().unwrap();
        let block = providers.values_mut().next().unwrap();
        block["api"] = "bedrock-invoke-model".into();
        std::fs::write(&path, broken.to_string()).unwrap();
        let (valid, words) = gateway_validates(&node, &script, &path, &dir).await;
        assert!(!valid, "{name}: the broken copy passed: {words}");
        assert!(words.contains(".api"), "{name}: {words}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The model the agent turn uses, through `serve`.
const AGENT_MODEL: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// The emulator's whole reply, so the gateway's final text can be compared with it.
const AGENT_REPLY: &str = "Hello from Bedrock, through the sandboxed plugin.";

#[tokio::test(flavor = "multi_thread")]
async fn the_gateways_agent_runs_a_turn_through_serve() {
    let Some((node, script)) = openclaw() else {
        return;
    };
    let emulator = Emulator::start(EmulatorConfig {
        reply_text: Some(AGENT_REPLY.into()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let mut serve = ServeConfig::new(config());
    serve.api_key = Some("test-key".into());
    let serving = Serving::local(host(&sigv4_env(&emulator)), serve).await;
    let serve_url = serving.url();

    // The configuration exactly as printed, plus the model choice.
    let dir = temp_dir("openclaw-agent");
    let printed = run(
        &cli_binary(),
        &[
            "models",
            "--gateway-config",
            "serve",
            "--serve-url",
            &serve_url,
        ],
        &emulator,
        &dir,
    )
    .await;
    let mut document = json_out(&printed);
    document["agents"] = serde_json::json!({
        "defaults": { "model": { "primary": format!("bedrock-serve/{AGENT_MODEL}") } }
    });
    let config_path = dir.join("openclaw.json");
    std::fs::write(&config_path, document.to_string()).unwrap();

    let mut command = std::process::Command::new(&node);
    command
        .arg(&script)
        .args([
            "agent",
            "--local",
            "--json",
            "--timeout",
            "240",
            "-m",
            "Say hello",
        ])
        .env_clear()
        .env("HOME", &dir)
        .env("OPENCLAW_CONFIG_PATH", &config_path)
        .env("BEDROCK_HOST_API_KEY", "test-key");
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("openclaw runs"))
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let turn: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    assert_eq!(
        turn["meta"]["executionTrace"]["winnerProvider"],
        "bedrock-serve"
    );
    assert_eq!(
        turn["meta"]["finalAssistantVisibleText"], AGENT_REPLY,
        "{turn}"
    );
    // The turn reached Bedrock (the emulator) as a ConverseStream on the chosen model.
    assert!(
        emulator
            .requests()
            .iter()
            .any(|r| r.model_id.as_deref() == Some(AGENT_MODEL)),
        "no ConverseStream reached the emulator"
    );
    serving.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
