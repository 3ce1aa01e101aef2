//! The emulator against a client nobody here wrote: boto3 (botocore's own
//! SigV4 signer and event-stream parser). If boto3 accepts the emulator's
//! frames and the emulator accepts boto3's signatures, the component is
//! tested against the wire format AWS's SDKs speak.

use bedrock_emulator::reply_text;
use integration_tests::{emulator, python};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn boto3_converse_stream_against_the_emulator() {
    let Some(python) = python() else { return };
    let emulator = emulator().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/boto3_client.py");
    let endpoint = emulator.endpoint();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python).arg(script).arg(endpoint).output()
    })
    .await
    .unwrap()
    .expect("python runs");
    assert!(
        output.status.success(),
        "boto3 client failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let scenarios: HashMap<String, Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            (v["scenario"].as_str().unwrap().to_string(), v)
        })
        .collect();
    let text = &scenarios["text"];
    assert_eq!(text["text"], reply_text(24), "{text}");
    assert_eq!(text["stop_reason"], "end_turn");
    assert_eq!(text["usage"]["outputTokens"], 24);
    assert_eq!(
        text["events"]
            .as_array()
            .unwrap()
            .first()
            .and_then(Value::as_str),
        Some("messageStart")
    );
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
    assert_eq!(
        scenarios["in_stream_exception"]["error"],
        "modelStreamErrorException"
    );
}
