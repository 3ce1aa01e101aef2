//! The `bedrock-host` binary itself, against the emulator: `models --gateway-config`
//! prints the gateway's config, and an installed copy finds its plugin without
//! `--component` or `BEDROCK_COMPONENT`.

use bedrock_emulator::Emulator;
use bedrock_host::HostConfig;
use integration_tests::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The CLI binary of this build (`cargo test --workspace`, as `scripts/test.sh` runs
/// it, builds it beside the test binaries), or `$BEDROCK_CLI`.
pub(crate) fn cli_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BEDROCK_CLI").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test binary> -> target/<profile>/bedrock-host
    let path = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("bedrock-host");
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p bedrock-cli` (or set BEDROCK_CLI)",
        path.display()
    );
    path
}

/// Runs `binary ARGS` with only the variables a user would have: `PATH`, `HOME`, the
/// code cache, the emulator's endpoint and keys; never `BEDROCK_COMPONENT`.
pub(crate) async fn run(binary: &Path, args: &[&str], emulator: &Emulator, home: &Path) -> Output {
    let mut command = std::process::Command::new(binary);
    command.args(args).env_clear().env("HOME", home);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    if let Some(cache) = std::env::var_os("BEDROCK_HOST_CACHE_DIR") {
        command.env("BEDROCK_HOST_CACHE_DIR", cache);
    }
    for (name, value) in sigv4_env(emulator) {
        command.env(name, value);
    }
    // The emulator runs on this runtime: wait for the child off it.
    tokio::task::spawn_blocking(move || command.output().expect("the CLI runs"))
        .await
        .unwrap()
}

pub(crate) fn json_out(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bedrock-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn models_prints_the_gateway_config_for_both_providers() {
    let emulator = emulator().await;
    let home = temp_dir("gateway-config-home");
    let cli = cli_binary();

    let native = json_out(
        &run(
            &cli,
            &[
                "models",
                "--gateway-config",
                "native",
                "--provider-filter",
                "anthropic,amazon",
                "--default-context-window",
                "50000",
                "--default-max-tokens",
                "2048",
                "--refresh-interval",
                "0",
            ],
            &emulator,
            &home,
        )
        .await,
    );
    let providers = native["models"]["providers"].as_object().unwrap();
    assert_eq!(providers.keys().collect::<Vec<_>>(), ["amazon-bedrock"]);
    let block = &providers["amazon-bedrock"];
    assert_eq!(block["api"], "bedrock-converse-stream");
    assert_eq!(block["auth"], "aws-sdk");
    assert_eq!(block["baseUrl"], emulator.endpoint());
    let models = block["models"].as_array().unwrap();
    assert!(!models.is_empty());
    for model in models {
        let id = model["id"].as_str().unwrap();
        assert!(
            ["anthropic.", "amazon.", "arn:"]
                .iter()
                .any(|p| id.contains(p)),
            "the provider filter lets {id} through"
        );
        for key in [
            "name",
            "reasoning",
            "input",
            "cost",
            "contextWindow",
            "maxTokens",
        ] {
            assert!(model.get(key).is_some(), "{id} lacks {key}");
        }
    }
    // The emulator lists only families the plugin has figures for: the defaults given
    // change no limit (the CLI's unit tests check they reach the discovery options).
    assert!(models.iter().all(|m| m["contextWindow"] != 50_000));
    assert!(models.iter().any(|m| m["id"] == "amazon.nova-pro-v1:0"));

    let served = json_out(
        &run(
            &cli,
            &[
                "models",
                "--gateway-config",
                "serve",
                "--serve-url",
                "http://127.0.0.1:9911",
                "--serve-api",
                "anthropic-messages",
                "--provider-filter",
                "anthropic",
            ],
            &emulator,
            &home,
        )
        .await,
    );
    let block = &served["models"]["providers"]["bedrock-serve"];
    assert_eq!(block["baseUrl"], "http://127.0.0.1:9911");
    assert_eq!(block["api"], "anthropic-messages");
    assert_eq!(block["apiKey"], "${BEDROCK_HOST_API_KEY}");
    let ids: Vec<&str> = block["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        "{ids:?}"
    );
    // Application profiles (ARNs) pass as their base model's provider.
    assert!(
        ids.iter()
            .all(|id| id.contains("anthropic") || id.contains(":application-inference-profile/")),
        "{ids:?}"
    );
    assert!(!ids.iter().any(|id| id.contains("amazon.")), "{ids:?}");

    // A bad value is a usage error, not a half-printed document.
    let bad = run(
        &cli,
        &["models", "--gateway-config", "nowhere"],
        &emulator,
        &home,
    )
    .await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    std::fs::remove_dir_all(&home).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_installed_cli_finds_the_plugin_installed_beside_it() {
    let emulator = emulator().await;
    let prefix = temp_dir("installed");
    let home = prefix.join("home");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::create_dir_all(prefix.join("share/bedrock-host")).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let cli = prefix.join("bin/bedrock-host");
    std::fs::copy(cli_binary(), &cli).unwrap();
    std::fs::copy(
        HostConfig::default_component_path(),
        prefix.join("share/bedrock-host/bedrock_guest.wasm"),
    )
    .unwrap();

    // <prefix>/share/bedrock-host/, as scripts/install.sh lays it out.
    let whoami = json_out(&run(&cli, &["whoami", "--json"], &emulator, &home).await);
    assert_eq!(whoami["region"], "us-east-1", "{whoami}");
    let models = run(&cli, &["models"], &emulator, &home).await;
    assert!(
        models.status.success(),
        "{}",
        String::from_utf8_lossy(&models.stderr)
    );
    assert!(String::from_utf8_lossy(&models.stdout).contains("anthropic."));

    // Beside the executable comes first: a broken file there is the one loaded.
    let beside = prefix.join("bin/bedrock_guest.wasm");
    std::fs::write(&beside, b"not a component").unwrap();
    let refused = run(&cli, &["whoami"], &emulator, &home).await;
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains(&beside.display().to_string()), "{stderr}");
    std::fs::remove_dir_all(&prefix).unwrap();
}
