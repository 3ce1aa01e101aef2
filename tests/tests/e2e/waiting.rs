//! Streams wait outside the guest: between batches the host waits on the
//! pollables of `event-stream.subscribe`, holding no call into the component,
//! and a guest whose pollable never becomes ready meets the call deadline.

use super::isolation::{host_error, hostile, run};
use bedrock_host::HostError;
use bedrock_host::types::{ProviderError, Role, StreamEvent};
use integration_tests::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Dropping a `next` that waits for the network leaves the stream whole:
/// the wait held no call into the guest. Many streams wait at once this way, and each still
/// meets its between-bytes timeout with the typed error.
#[tokio::test(flavor = "multi_thread")]
async fn waiting_streams_hold_no_guest_call() {
    const STREAMS: usize = 20;
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let mut cfg = config();
    cfg.between_bytes_timeout_ms = Some(2000);
    // The emulator sends `messageStart`, then nothing for a minute.
    let stalled = request(MODEL, "[emulator stall]");
    let outcomes = join_all((0..STREAMS).map(|_| {
        let (host, cfg, stalled) = (host.clone(), cfg.clone(), stalled.clone());
        async move {
            let mut stream = host.converse_stream(&cfg, &stalled).await.unwrap().unwrap();
            let first = stream.next().await.unwrap();
            assert_eq!(
                first,
                Ok(Some(vec![StreamEvent::MessageStart(Role::Assistant)]))
            );
            for _ in 0..5 {
                let cancelled =
                    tokio::time::timeout(Duration::from_millis(20), stream.next()).await;
                assert!(cancelled.is_err(), "nothing arrives during the stall");
            }
            let last = stream.next().await.expect("the stream is still usable");
            (last, stream.next().await.unwrap())
        }
    }))
    .await;
    for (last, after) in outcomes {
        assert!(matches!(last, Err(ProviderError::Timeout(_))), "{last:?}");
        assert_eq!(after, Ok(None), "an error is terminal");
    }
}

/// A plugin whose pollable is never ready cannot hold a stream forever:
/// the wait counts against the call deadline (here the start's, which waits
/// for the first batch), and the host goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_pollable_that_is_never_ready_meets_the_deadline() {
    let host = hostile(|c| c.call_deadline = Duration::from_millis(500));
    let error = run(&host, "stall").await.unwrap_err();
    assert!(
        matches!(
            host_error(&error),
            HostError::DeadlineExceeded {
                function: "converse-stream",
                ..
            }
        ),
        "{error:#}"
    );
    assert_eq!(run(&host, "env").await.unwrap(), "AWS_REGION");
}

/// A stream closed while a dropped `next` left its wait behind: the host
/// releases the pollables before the guest's destructor drops the body it
/// belongs to, and the close succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_stream_closed_after_a_dropped_wait_closes_cleanly() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let mut stream = host
        .converse_stream(&config(), &request(MODEL, "[emulator stall]"))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(stream.next().await.unwrap(), Ok(Some(_))));
    let cancelled = tokio::time::timeout(Duration::from_millis(20), stream.next()).await;
    assert!(cancelled.is_err(), "nothing arrives during the stall");
    stream.close().await.expect("the destructor runs cleanly");
    let outcome = converse(&host, &config(), &request(MODEL, "Hi"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
}

/// The wait for the response head leaves the guest as well: the plugin's
/// `converse-stream` returns once the request is handed to the host, and the
/// host waits for the answer as it waits between batches. So a stream whose
/// server accepts and never answers (or never reads its body) holds up no
/// other stream of its instance: another stream of the same configuration
/// starts and completes while both still wait. When the plugin waited inside
/// `converse-stream`, the instance's driver was held by the waiting call until
/// its deadline. The guest's own first-byte timeout still ends such a call
/// with its typed error from `converse_stream`.
#[tokio::test(flavor = "multi_thread")]
async fn the_wait_for_the_first_byte_holds_no_guest_call() {
    const SILENT: usize = 2;
    let emulator = emulator().await;
    let (proxy, accepted) = silent_then_forwarding(SILENT, &emulator.endpoint()).await;
    let host = host_with(&sigv4_env(&emulator), |c| {
        c.call_deadline = Duration::from_secs(20);
    });
    let mut cfg = config();
    cfg.base_url = Some(format!("http://{proxy}"));
    // One request the server never answers, one whose body it never reads.
    let waiting = [
        request(MODEL, "Hi"),
        request(MODEL, &"many words ".repeat(1 << 20)),
    ]
    .map(|req| {
        let (host, cfg) = (host.clone(), cfg.clone());
        tokio::spawn(async move { host.converse_stream(&cfg, &req).await.map(|_| ()) })
    });
    while accepted.load(Ordering::SeqCst) < SILENT {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let outcome = converse(&host, &cfg, &request(MODEL, "Hi")).await.unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.text(), bedrock_emulator::reply_text(24));
    for stream in &waiting {
        assert!(
            !stream.is_finished(),
            "a stream waiting for its answer held up the instance"
        );
    }
    for stream in waiting {
        stream.abort();
    }

    let silent = silent_server().await;
    let mut cfg = config();
    cfg.base_url = Some(format!("http://{silent}"));
    cfg.first_byte_timeout_ms = Some(200);
    let outcome = host.converse_stream(&cfg, &request(MODEL, "Hi")).await;
    assert!(
        matches!(outcome, Ok(Err(ProviderError::Timeout(_)))),
        "{:?}",
        outcome.map(|started| started.err())
    );
}

/// A server on a free loopback port that accepts connections and never
/// reads or answers.
async fn silent_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}

/// A proxy on a free loopback port whose first `silent` connections are
/// held (never read, never answered) and whose later ones are forwarded to
/// `endpoint` (`http://HOST:PORT`); the counter says how many it accepted.
async fn silent_then_forwarding(
    silent: usize,
    endpoint: &str,
) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = endpoint.trim_start_matches("http://").to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            if counter.fetch_add(1, Ordering::SeqCst) < silent {
                held.push(socket);
                continue;
            }
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let mut server = tokio::net::TcpStream::connect(upstream).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut socket, &mut server).await;
            });
        }
    });
    (address, accepted)
}
