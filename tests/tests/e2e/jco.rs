//! The component in a host that is not wasmtime: transpiled by jco and run in
//! Node on @bytecodealliance/preview2-shim, with an in-memory wasi:keyvalue
//! from `tests/node/keyvalue_memory.mjs`. The plugin promises to need only
//! standard WASI 0.2 plus that store; a second host keeps the promise honest.

use bedrock_emulator::reply_text;
use bedrock_host::HostConfig;
use integration_tests::*;
use std::path::Path;
use std::process::Command;

/// Transpiles the component into `out`, under `tests/node/build` so the glue
/// resolves the shim from `tests/node/node_modules`.
fn transpile(node_dir: &Path, out: &Path) {
    let keyvalue = node_dir.join("keyvalue_memory.mjs").canonicalize().unwrap();
    let output = Command::new(node_dir.join("node_modules/.bin/jco"))
        .arg("transpile")
        .arg(HostConfig::default_component_path())
        .arg("--out-dir")
        .arg(out)
        .arg("--quiet")
        .arg("--no-typescript")
        .arg("--map")
        .arg(format!(
            "wasi:keyvalue/store@0.2.0-draft={}",
            keyvalue.display()
        ))
        .output()
        .expect("jco runs");
    assert!(
        output.status.success(),
        "jco transpile failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jco_transpiled_component_streams_in_node() {
    let Some(dir) = node() else { return };
    // Per process, so the output always matches the component under test.
    let out = dir
        .join("build")
        .join(format!("jco-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let transpiled = out.clone();
    let node_dir = dir.clone();
    tokio::task::spawn_blocking(move || transpile(&node_dir, &transpiled))
        .await
        .unwrap();

    let emulator = emulator().await;
    let env = sigv4_env(&emulator);
    // A pause between frames, to tell a streamed body from a buffered one.
    let prompt = "[emulator words=37 slow=25]";
    let lines = run_node(&dir, "jco_host.mjs", &[out.to_str().unwrap(), prompt], &env).await;
    std::fs::remove_dir_all(&out).unwrap();
    let summary = &lines[0];

    let expected = host(&env)
        .credential_source(&config())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary["credential_kind"], "environment");
    assert_eq!(summary["credential_label"], expected.label);
    assert_eq!(summary["text"], reply_text(37), "{summary}");
    assert_eq!(summary["stop_reason"], "end_turn");
    assert_eq!(summary["events"][0], "message-start");
    // The second discovery came from the script's wasi:keyvalue store.
    assert_eq!(summary["discovery"][0]["status"], "fresh", "{summary}");
    assert_eq!(summary["discovery"][1]["status"], "cached", "{summary}");
    assert!(
        summary["discovery"][1]["models"].as_u64().unwrap() > 0,
        "{summary}"
    );
    // The shim's wasi:http hands the body over as it arrives.
    assert!(summary["batches"].as_u64().unwrap() > 10, "{summary}");
    // Between the emulator's paced frames `next` had nothing, and the
    // script waited on the stream's pollables, outside the component.
    assert!(summary["waits"].as_u64().unwrap() > 0, "{summary}");
    assert!(
        summary["first_batch_ms"].as_u64().unwrap()
            < summary["last_batch_ms"].as_u64().unwrap() / 2,
        "{summary}"
    );
}
