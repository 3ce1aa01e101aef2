//! What the plugin reads of a transport failure: the error's message and causes, never
//! the host's stack backtrace, which wasmtime's error formatting appends whenever
//! `RUST_BACKTRACE` is set (host paths and symbols in a message users read). The
//! scenario runs in a child process of this test binary, so that the setting is its own.

use bedrock_host::types::ProviderError;
use integration_tests::*;
use std::process::Command;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHILD: &str = "BEDROCK_E2E_GUEST_ERROR_TEXT_CHILD";
const TEST: &str = "guest_error_text::a_broken_body_reaches_the_guest_without_a_backtrace";

#[test]
fn a_broken_body_reaches_the_guest_without_a_backtrace() {
    if std::env::var_os(CHILD).is_some() {
        return tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(broken_body());
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("the guest read:"), "{stdout}\n{stderr}");
}

/// An endpoint that answers the stream's head, a few bytes of its body, and then
/// closes the connection: the guest's read fails with an I/O error.
async fn broken_body() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            read_request(&mut tcp).await;
            let _ = tcp
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n\
                      content-length: 1000\r\n\r\n\0\0\0",
                )
                .await;
        }
    });
    let env = vec![
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
    ];
    let host = host(&env);
    let error = match converse(&host, &config(), &request(MODEL, "hello")).await {
        Ok(outcome) => outcome.error.expect("the broken body fails the stream"),
        Err(error) => error,
    };
    let ProviderError::Network(detail) = &error else {
        panic!("expected a network error, got {error:?}");
    };
    assert!(detail.contains("error reading a body"), "{detail}");
    assert!(!detail.contains("backtrace"), "{detail}");
    assert!(!detail.contains('\n'), "{detail}");
    println!("the guest read: {detail}");
}

/// Reads one HTTP/1.1 request, head and body (`content-length` or chunked), so that the guest's
/// request is sent whole before the answer breaks.
async fn read_request(tcp: &mut tokio::net::TcpStream) {
    let mut request = Vec::new();
    let mut buf = [0; 16 * 1024];
    loop {
        let Ok(read @ 1..) = tcp.read(&mut buf).await else {
            return;
        };
        request.extend_from_slice(&buf[..read]);
        let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
        let Some(head_end) = text.find("\r\n\r\n") else {
            continue;
        };
        let length = text[..head_end]
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map(|value| value.trim().parse::<usize>().unwrap());
        let whole = match length {
            Some(length) => request.len() >= head_end + 4 + length,
            // Chunked: up to the last, empty chunk.
            None => text.ends_with("\r\n0\r\n\r\n"),
        };
        if whole {
            return;
        }
    }
}
