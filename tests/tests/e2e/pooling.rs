//! The host's outbound connections are pooled: sequential calls of one host
//! reach the endpoint over one kept-alive connection, not one each.

use integration_tests::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::{TcpListener, TcpStream};

/// A TCP relay in front of `target` that counts the connections it accepts.
async fn counting_relay(target: std::net::SocketAddr) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut outbound = TcpStream::connect(target).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (format!("http://{address}"), accepted)
}

#[tokio::test]
async fn sequential_calls_reuse_one_connection() {
    let emulator = emulator().await;
    let (relay, accepted) = counting_relay(emulator.addr()).await;
    let mut env = sigv4_env(&emulator);
    for (name, value) in &mut env {
        if *name == "AWS_ENDPOINT_URL" {
            *value = relay.clone();
        }
    }
    let host = host(&env);
    for turn in 0..3 {
        let outcome = converse(&host, &config(), &request(MODEL, &format!("turn {turn}")))
            .await
            .unwrap_or_else(|e| panic!("turn {turn}: {e:?}"));
        assert_eq!(outcome.error, None, "turn {turn}");
        assert!(!outcome.text().is_empty(), "turn {turn}");
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one connection for three calls"
    );
}
