//! End to end over real HTTP/1.1: a hyper client on a TCP socket, signed requests, raw
//! response bytes decoded frame by frame.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::test_support::{self, decode_frames, frame_header, signed_request};
use crate::{AuthOutcome, Emulator, EmulatorConfig, StaticCredentials, reply_text};

const CLAUDE_PATH: &str = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream";

fn body(text: &str) -> Vec<u8> {
    json!({ "messages": [{ "role": "user", "content": [{ "text": text }] }] })
        .to_string()
        .into_bytes()
}

fn key(index: usize) -> StaticCredentials {
    EmulatorConfig::default().credentials[index].clone()
}

fn signed(
    emulator: &Emulator,
    path: &str,
    body: &[u8],
    key: &StaticCredentials,
) -> http::Request<Vec<u8>> {
    let host = emulator.addr().to_string();
    signed_request(
        &host,
        path,
        body,
        key,
        "us-east-1",
        "bedrock",
        SystemTime::now(),
    )
}

fn with_authorization(
    emulator: &Emulator,
    authorization: Option<&str>,
    body: Vec<u8>,
) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(CLAUDE_PATH)
        .header("host", emulator.addr().to_string())
        .header("content-type", "application/json");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(body).unwrap()
}

async fn open(emulator: &Emulator, request: http::Request<Vec<u8>>) -> http::Response<Incoming> {
    test_support::open(emulator.addr(), request).await
}

async fn send(
    emulator: &Emulator,
    request: http::Request<Vec<u8>>,
) -> (http::response::Parts, Bytes) {
    test_support::send(emulator.addr(), request).await
}

/// Checks the AWS error shape and returns the JSON message.
fn error_message(parts: &http::response::Parts, body: &[u8], status: u16, code: &str) -> String {
    assert_eq!(parts.status, status, "{}", String::from_utf8_lossy(body));
    assert_eq!(parts.headers["content-type"], "application/json");
    assert_eq!(
        parts.headers["x-amzn-errortype"],
        format!("{code}:http://internal.amazon.com/coral/com.amazon.coral.service/")
    );
    assert_eq!(parts.headers["x-amzn-requestid"].len(), 36);
    let json: Value = serde_json::from_slice(body).unwrap();
    json["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn signed_converse_stream_streams_the_scripted_reply() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let request_body = body("Hello there");
    let (parts, bytes) = send(
        &emulator,
        signed(&emulator, CLAUDE_PATH, &request_body, &key(0)),
    )
    .await;
    assert_eq!(parts.status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(
        parts.headers["content-type"],
        "application/vnd.amazon.eventstream"
    );
    assert_eq!(parts.headers["transfer-encoding"], "chunked");
    assert_eq!(parts.headers["x-amzn-requestid"].len(), 36);

    let frames = decode_frames(bytes);
    let names: Vec<String> = frames
        .iter()
        .map(|m| frame_header(m, ":event-type"))
        .collect();
    let mut expected = vec!["messageStart".to_owned()];
    expected.extend(std::iter::repeat_n("contentBlockDelta".to_owned(), 24));
    expected.extend(["contentBlockStop", "messageStop", "metadata"].map(String::from));
    assert_eq!(names, expected);
    let payloads: Vec<Value> = frames
        .iter()
        .map(|m| serde_json::from_slice(m.payload()).unwrap())
        .collect();
    assert!(
        frames
            .iter()
            .all(|m| frame_header(m, ":message-type") == "event")
    );
    assert!(
        frames
            .iter()
            .all(|m| frame_header(m, ":content-type") == "application/json")
    );
    assert!(payloads.iter().all(|p| p["p"].is_string()));
    let text: String = payloads
        .iter()
        .filter_map(|p| p["delta"]["text"].as_str())
        .collect();
    assert_eq!(text, reply_text(24));
    assert_eq!(payloads[26]["stopReason"], "end_turn");
    assert_eq!(payloads[27]["usage"]["inputTokens"], 2);
    assert_eq!(payloads[27]["usage"]["outputTokens"], 24);

    let recorded = emulator.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].raw_path, CLAUDE_PATH);
    assert_eq!(
        recorded[0].model_id.as_deref(),
        Some("anthropic.claude-3-5-sonnet-20240620-v1:0")
    );
    assert_eq!(recorded[0].body, request_body);
    assert_eq!(
        recorded[0].auth,
        AuthOutcome::SigV4 {
            access_key_id: "AKIDEXAMPLE".into()
        }
    );
    assert!(
        recorded[0]
            .headers
            .iter()
            .any(|(name, _)| name == "x-amz-date")
    );
}

#[tokio::test]
async fn session_credentials_and_arn_model_ids() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let path = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream";
    let (parts, bytes) = send(
        &emulator,
        signed(&emulator, path, &body("hi [emulator words=3]"), &key(1)),
    )
    .await;
    assert_eq!(parts.status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(decode_frames(bytes).len(), 7);
    let recorded = &emulator.requests()[0];
    assert_eq!(
        recorded.model_id.as_deref(),
        Some(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0"
        )
    );
    assert_eq!(
        recorded.auth,
        AuthOutcome::SigV4 {
            access_key_id: "ASIDEXAMPLESESSION".into()
        }
    );
}

#[tokio::test]
async fn bearer_tokens() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let good = with_authorization(
        &emulator,
        Some("Bearer bedrock-api-key-EXAMPLE"),
        body("hi"),
    );
    let (parts, _) = send(&emulator, good).await;
    assert_eq!(parts.status, 200);
    let bad = with_authorization(&emulator, Some("Bearer stolen"), body("hi"));
    let (parts, bytes) = send(&emulator, bad).await;
    let message = error_message(&parts, &bytes, 403, "AccessDeniedException");
    assert_eq!(
        message,
        "Authentication failed: Please make sure your API Key is valid."
    );
    let auth: Vec<AuthOutcome> = emulator.requests().into_iter().map(|r| r.auth).collect();
    assert_eq!(
        auth,
        [
            AuthOutcome::Bearer,
            AuthOutcome::Rejected("AccessDeniedException".into())
        ]
    );
}

#[tokio::test]
async fn auth_failures_have_aws_error_shape() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let (parts, bytes) = send(&emulator, with_authorization(&emulator, None, body("hi"))).await;
    assert_eq!(
        error_message(&parts, &bytes, 403, "MissingAuthenticationTokenException"),
        "Missing Authentication Token"
    );

    let wrong = StaticCredentials {
        secret_access_key: "guessed-secret".into(),
        ..key(0)
    };
    let request = signed(&emulator, CLAUDE_PATH, &body("hi"), &wrong);
    let signature = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .to_owned();
    let (parts, bytes) = send(&emulator, request).await;
    let message = error_message(&parts, &bytes, 403, "InvalidSignatureException");
    assert!(message.starts_with("The request signature we calculated does not match"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("guessed-secret") && !text.contains(&signature));

    let stranger = StaticCredentials {
        access_key_id: "AKIDSTRANGER".into(),
        ..key(0)
    };
    let (parts, bytes) = send(
        &emulator,
        signed(&emulator, CLAUDE_PATH, &body("hi"), &stranger),
    )
    .await;
    error_message(&parts, &bytes, 403, "UnrecognizedClientException");

    let recorded = emulator.requests();
    assert_eq!(recorded.len(), 3);
    assert_eq!(
        recorded[1].auth,
        AuthOutcome::Rejected("InvalidSignatureException".into())
    );
}

#[tokio::test]
async fn request_errors_have_aws_error_shape() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let cases = [
        (
            "/model/not%20a%20model/converse-stream",
            body("hi"),
            400,
            "ValidationException",
        ),
        (
            "/model/no.such-model/converse-stream",
            body("hi"),
            400,
            "ValidationException",
        ),
        (
            "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream",
            body("hi"),
            400,
            "ValidationException",
        ),
        (
            "/model/emulator.missing-model/converse-stream",
            body("hi"),
            404,
            "ResourceNotFoundException",
        ),
        (
            CLAUDE_PATH,
            // Invalid on purpose: the botocore check of recorded bodies skips it.
            b"{not json [validator skip]".to_vec(),
            400,
            "ValidationException",
        ),
        (
            CLAUDE_PATH,
            body("[emulator status=503]"),
            503,
            "ServiceUnavailableException",
        ),
        (
            CLAUDE_PATH,
            body("[emulator status=429]"),
            429,
            "ThrottlingException",
        ),
        (
            "/model/anthropic.claude-v2/invoke-nothing",
            body("hi"),
            404,
            "UnknownOperationException",
        ),
    ];
    for (path, request_body, status, code) in cases {
        let (parts, bytes) = send(&emulator, signed(&emulator, path, &request_body, &key(0))).await;
        let message = error_message(&parts, &bytes, status, code);
        if path.contains("claude-sonnet-4-5") {
            assert!(
                message.starts_with("Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn't supported."),
                "{message}"
            );
        }
        if path.contains("not%20a%20model") || path.contains("no.such-model") {
            assert_eq!(message, "The provided model identifier is invalid.");
        }
        if status == 429 {
            assert_eq!(
                message,
                "Too many requests, please wait before trying again."
            );
        }
    }
}

#[tokio::test]
async fn truncated_stream_ends_the_chunked_body_cleanly() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let request = signed(
        &emulator,
        CLAUDE_PATH,
        &body("[emulator truncate]"),
        &key(0),
    );
    let (parts, bytes) = send(&emulator, request).await;
    assert_eq!(parts.status, 200);
    let mut rest = bytes.clone();
    for _ in 0..2 {
        aws_smithy_eventstream::frame::read_message_from(&mut rest).unwrap();
    }
    let declared = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
    assert!(rest.len() < declared, "third frame should be cut short");
}

#[tokio::test]
async fn stall_holds_the_stream_until_the_emulator_stops() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let request = signed(&emulator, CLAUDE_PATH, &body("[emulator stall]"), &key(0));
    let mut body = open(&emulator, request).await.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(
        frame_header(&decode_frames(first)[0], ":event-type"),
        "messageStart"
    );
    let next = tokio::time::timeout(Duration::from_millis(300), body.frame()).await;
    assert!(next.is_err(), "nothing may arrive during the stall");
    drop(emulator);
    let end = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .unwrap();
    assert!(end.is_none(), "dropping the emulator ends the stream");
}

#[tokio::test]
async fn slow_spaces_the_frames() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let request = signed(
        &emulator,
        CLAUDE_PATH,
        &body("[emulator words=2 slow=40]"),
        &key(0),
    );
    let started = tokio::time::Instant::now();
    let (_, bytes) = send(&emulator, request).await;
    // messageStart, 2 deltas, block stop, message stop, metadata: 5 gaps.
    assert_eq!(decode_frames(bytes).len(), 6);
    assert!(started.elapsed() >= Duration::from_millis(200));
}
