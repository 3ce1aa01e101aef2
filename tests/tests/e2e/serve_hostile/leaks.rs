//! What a client of `serve` must not read: the principal and account behind
//! the host's AWS credentials, credential scopes, and the host's own
//! failures in detail (the component's path, the guest's backtrace).

use super::wire::{chat_body, exchange, raw, start};
use integration_tests::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, host, hostile_component, own_host};
use serde_json::json;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Bedrock's answer to a principal an explicit deny applies to, with the
/// credential scope some AWS messages echo.
const DENIED: &str = "User: arn:aws:sts::123456789012:assumed-role/BedrockUser/alice@example.com is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0 with an explicit deny (Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request)";

/// An endpoint that answers every request with [`DENIED`], as Bedrock does.
async fn denying_endpoint() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 8192];
                // The head, then the declared body (or a chunked one's end).
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                    let Some(head_end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let length = text[..head_end]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok());
                    let complete = match length {
                        Some(length) => request.len() >= head_end + 4 + length,
                        None => text.ends_with("0\r\n\r\n") || !text.contains("chunked"),
                    };
                    if complete {
                        break;
                    }
                }
                let body = json!({ "message": DENIED }).to_string();
                let response = format!(
                    "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\nx-amzn-errortype: AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/\r\nx-amzn-requestid: 5f1c3a5e-9b7d-4c1e-8f00-5a6b7c8d9e0f\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_redacts_principals_and_credentials_from_aws_errors() {
    let denying = denying_endpoint().await;
    let env = [
        ("AWS_ENDPOINT_URL", format!("http://{denying}")),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_string()),
    ];
    let serve = start(host(&env), |c| c.provider.max_attempts = Some(1)).await;
    let request = raw(
        &serve.addr.to_string(),
        "POST",
        "/v1/chat/completions",
        &[("Content-Type", "application/json")],
        &chat_body("hello", false),
    );
    let answer = exchange(serve.addr, &request).await;
    assert_eq!(
        (answer.status, answer.body["error"]["type"].as_str()),
        (403, Some("permission_error")),
        "{answer:?}"
    );
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("is not authorized to perform: bedrock:InvokeModelWithResponseStream"),
        "what the client needs to know stays: {message}"
    );
    assert!(message.contains("[redacted]"), "{message}");
    for secret in [
        "123456789012",
        "arn:aws",
        "alice",
        ACCESS_KEY_ID,
        "aws4_request",
    ] {
        assert!(!message.contains(secret), "{secret} leaked: {message}");
    }
    // The same server, the next call: refused the same way, not broken.
    assert_eq!(exchange(serve.addr, &request).await.status, 403);
    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_a_plugin_crash_without_its_details() {
    let component = hostile_component();
    let serve = start(own_host(&component, &[], |_| {}), |_| {}).await;
    let call = |prompt: &str| {
        raw(
            &serve.addr.to_string(),
            "POST",
            "/v1/chat/completions",
            &[("Content-Type", "application/json")],
            &chat_body(prompt, false),
        )
    };
    let crashed = exchange(serve.addr, &call("trap")).await;
    assert_eq!(
        (crashed.status, crashed.code()),
        (500, "host_error"),
        "{crashed:?}"
    );
    let text = crashed.body.to_string();
    let path = component.display().to_string();
    for detail in [
        path.as_str(),
        ".wasm",
        "backtrace",
        "told to trap",
        "panicked",
    ] {
        assert!(!text.contains(detail), "{detail} leaked: {text}");
    }
    assert!(
        crashed.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reference"),
        "the client can quote it to the operator: {text}"
    );
    // The next call on the same server is served.
    let next = exchange(serve.addr, &call("env")).await;
    assert_eq!(next.status, 200, "{next:?}");
    serve.stop().await;
}
