//! Clients that hold what they take for as long as they can: headers never
//! finished, a stream never read, a body too large, sockets by the hundred,
//! and a stuck call at shutdown. Each is let go at its bound, and the next
//! honest client is served.

use super::wire::{
    PATIENCE, chat_body, honest_request, raw, read_answer, served, start, start_on, until_closed,
};
use bedrock_host::HostConfig;
use integration_tests::{emulator, host, own_host, sigv4_env};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Slowloris: headers trickled a byte at a time, never finished. The
/// header-read timeout is total, not per byte: the connection is closed.
#[tokio::test(flavor = "multi_thread")]
async fn serve_closes_a_slowloris_connection() {
    let emulator = emulator().await;
    let serve = start(host(&sigv4_env(&emulator)), |c| {
        c.limits.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let socket = TcpStream::connect(serve.addr).await.unwrap();
    let (mut read, mut write) = socket.into_split();
    let trickle = tokio::spawn(async move {
        let head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ";
        write.write_all(head).await?;
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            write.write_all(b"a").await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    });
    // Served while the slow client holds its connection.
    assert_eq!(served(serve.addr).await, 0);
    let mut rest = Vec::new();
    tokio::time::timeout(PATIENCE, read.read_to_end(&mut rest))
        .await
        .expect("the server closes the slow connection")
        .ok();
    let written = tokio::time::timeout(PATIENCE, trickle)
        .await
        .expect("the trickle stops: its connection is gone")
        .unwrap();
    assert!(written.is_err(), "the trickle's writes fail once closed");
    assert_eq!(served(serve.addr).await, 0, "the next honest client");
    serve.stop().await;
}

/// A client starts a long stream and stops reading. With one request
/// allowed in flight (by `serve` and by the host), it holds the only place
/// until the send timeout drops its connection, which cancels the Bedrock
/// request; the next client is then served.
#[tokio::test(flavor = "multi_thread")]
async fn serve_drops_a_client_that_stops_reading() {
    let emulator = emulator().await;
    let host = own_host(
        &HostConfig::default_component_path(),
        &sigv4_env(&emulator),
        |c| c.max_concurrent_calls = 1,
    );
    let serve = start(host, |c| {
        c.limits.max_requests = 1;
        c.limits.send_timeout = Duration::from_secs(1);
    })
    .await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(serve.addr).await.unwrap();
    // Some 50,000 SSE chunks, far more than the sockets' buffers hold.
    let body = chat_body("[emulator words=50000] a long story", true);
    let request = raw(
        &serve.addr.to_string(),
        "POST",
        "/v1/chat/completions",
        &[("Content-Type", "application/json")],
        &body,
    );
    stalled.write_all(request.as_bytes()).await.unwrap();
    let mut first = [0u8; 1024];
    let n = stalled.read(&mut first).await.unwrap();
    assert!(
        first[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&first[..n])
    );
    // The stalled client keeps its socket open, reading nothing, until the
    // next client has been served.
    let refused = served(serve.addr).await;
    eprintln!("the honest client was turned away {refused} times first");
    let rest = until_closed(&mut stalled).await;
    let text = String::from_utf8_lossy(&rest);
    assert!(
        !text.contains("[DONE]"),
        "the stalled stream was cut, not finished"
    );
    serve.stop().await;
}

/// A declared body over the limit is refused before it is read, and takes
/// no place under `max_requests`; so is an undeclared (chunked) one once it
/// passes the limit.
#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_an_oversized_body_before_reading_it() {
    let emulator = emulator().await;
    let serve = start(host(&sigv4_env(&emulator)), |c| {
        c.limits.max_body_bytes = 1 << 20;
        c.limits.max_requests = 1;
    })
    .await;
    let own = serve.addr.to_string();
    // 1 GiB declared, 64 KiB sent: the answer comes without the rest.
    let mut declared = TcpStream::connect(serve.addr).await.unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {own}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        super::wire::API_KEY,
        1u64 << 30
    );
    declared.write_all(head.as_bytes()).await.unwrap();
    declared.write_all(&[b' '; 65536]).await.unwrap();
    let answer = read_answer(&mut declared).await.expect("an answer");
    assert_eq!(
        (answer.status, answer.code()),
        (413, "request_too_large"),
        "{answer:?}"
    );
    // Its connection still open, the only place is free.
    assert_eq!(served(serve.addr).await, 0);
    drop(declared);

    // Chunked: no length to refuse up front; cut at the limit.
    let chunked = TcpStream::connect(serve.addr).await.unwrap();
    let (mut read, mut write) = chunked.into_split();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {own}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        super::wire::API_KEY
    );
    let sender = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
        // Up to 4 MiB, four times the limit; the server stops reading first.
        for _ in 0..64 {
            write.write_all(chunk.as_bytes()).await?;
        }
        Ok::<_, std::io::Error>(write)
    });
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, read.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .ok();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("request_too_large"), "{text}");
    let _ = sender.await;
    assert_eq!(served(serve.addr).await, 0, "the next honest client");
    serve.stop().await;
}

/// Sockets past the cap get a `503` and are closed at once; when the
/// sockets holding the places go, the next client is served.
#[tokio::test(flavor = "multi_thread")]
async fn serve_caps_open_connections() {
    let emulator = emulator().await;
    let serve = start(host(&sigv4_env(&emulator)), |c| {
        c.limits.max_connections = 3;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(serve.addr).await.unwrap());
    }
    // The cap is reached only once the server has accepted all three; until
    // then a fourth socket may still be served, so it is asked in a loop.
    let refused = tokio::time::timeout(PATIENCE, async {
        loop {
            let mut extra = TcpStream::connect(serve.addr).await.unwrap();
            let answer = read_answer(&mut extra).await;
            if let Ok(answer) = answer {
                break answer;
            }
        }
    })
    .await
    .expect("a socket past the cap is answered");
    assert_eq!(
        (refused.status, refused.code()),
        (503, "too_many_connections"),
        "{refused:?}"
    );
    assert_eq!(refused.header("connection"), Some("close"));
    let mut extra = TcpStream::connect(serve.addr).await.unwrap();
    extra
        .write_all(honest_request(serve.addr).as_bytes())
        .await
        .ok();
    let answer = read_answer(&mut extra).await;
    assert!(
        answer.as_ref().is_err() || answer.as_ref().unwrap().status == 503,
        "while the places are held, no one else is served: {answer:?}"
    );
    drop(held);
    served(serve.addr).await;
    serve.stop().await;
}

/// A call stuck for a minute (the emulator stalls its stream) and an idle
/// connection do not hold shutdown past its deadline: `run` returns, and
/// the stuck client's connection is closed.
#[tokio::test(flavor = "multi_thread")]
async fn serve_shuts_down_within_its_deadline_with_a_stuck_client() {
    let emulator = emulator().await;
    let serve = start(host(&sigv4_env(&emulator)), |c| {
        c.limits.shutdown_deadline = Duration::from_secs(1);
    })
    .await;
    let mut idle = TcpStream::connect(serve.addr).await.unwrap();
    let mut stuck = TcpStream::connect(serve.addr).await.unwrap();
    let request = raw(
        &serve.addr.to_string(),
        "POST",
        "/v1/chat/completions",
        &[("Content-Type", "application/json")],
        &chat_body("[emulator stall] hello", true),
    );
    stuck.write_all(request.as_bytes()).await.unwrap();
    tokio::time::timeout(PATIENCE, async {
        while emulator.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the stuck call reaches the emulator");
    let addr = serve.addr;
    // The stall lasts 60 s; `stop` fails after 30 s, and the shutdown
    // deadline is 1 s.
    serve.stop().await;
    until_closed(&mut stuck).await;
    until_closed(&mut idle).await;
    // The port is free again: a new server on it serves the next client.
    let next = start_on(addr, host(&sigv4_env(&emulator)), |_| {}).await;
    assert_eq!(served(next.addr).await, 0);
    next.stop().await;
}

/// A body that never arrives holds its place only until the body timeout:
/// `408`, and with one place the next client is served.
#[tokio::test(flavor = "multi_thread")]
async fn serve_times_out_a_body_that_never_arrives() {
    let emulator = emulator().await;
    let serve = start(host(&sigv4_env(&emulator)), |c| {
        c.limits.max_requests = 1;
        c.limits.body_read_timeout = Duration::from_secs(1);
    })
    .await;
    let mut slow = TcpStream::connect(serve.addr).await.unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"model\": ",
        serve.addr,
        super::wire::API_KEY
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut slow).await.expect("an answer");
    assert_eq!(
        (answer.status, answer.code()),
        (408, "body_timeout"),
        "{answer:?}"
    );
    assert_eq!(served(serve.addr).await, 0, "the next honest client");
    assert_eq!(
        emulator.requests().len(),
        1,
        "only the honest call reached Bedrock"
    );
    serve.stop().await;
}

/// A reply that outlasts the whole-reply timeout (the emulator stalls for a
/// minute) ends with `reply_timeout` in OpenAI's shape (a `504`, or an error
/// event once streaming), and its place is free for the next client.
#[tokio::test(flavor = "multi_thread")]
async fn serve_ends_a_reply_that_outlasts_its_timeout() {
    let emulator = emulator().await;
    let serve = start(host(&sigv4_env(&emulator)), |c| {
        c.limits.max_requests = 1;
        c.limits.stream_timeout = Duration::from_secs(1);
    })
    .await;
    let mut stuck = TcpStream::connect(serve.addr).await.unwrap();
    let request = raw(
        &serve.addr.to_string(),
        "POST",
        "/v1/chat/completions",
        &[
            ("Content-Type", "application/json"),
            ("Connection", "close"),
        ],
        &chat_body("[emulator stall] hello", true),
    );
    stuck.write_all(request.as_bytes()).await.unwrap();
    let reply = String::from_utf8_lossy(&until_closed(&mut stuck).await).into_owned();
    assert!(reply.contains("reply_timeout"), "{reply}");
    assert!(!reply.contains("[DONE]"), "{reply}");
    assert_eq!(served(serve.addr).await, 0, "the next honest client");
    serve.stop().await;
}
