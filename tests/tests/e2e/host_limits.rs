//! What a hostile plugin can make the *host* hold is bounded per call: each
//! attack of `test-guests/hostile` fails that one call with the `HostError`
//! that names the bound, the same host then serves a normal call, and the
//! host's peak memory and open file descriptors are reported (run with
//! `--nocapture` to see them).

use super::isolation::{host_error, hostile, run};
use bedrock_host::types::DiscoveryOptions;
use bedrock_host::{
    DEFAULT_MAX_FIELD_BYTES, DEFAULT_MAX_REQUESTS_IN_FLIGHT, DEFAULT_MAX_RESOURCES,
    DEFAULT_MAX_RESULT_BYTES, HostError,
};
use integration_tests::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// The host process's open file descriptors, sampled until dropped.
struct Usage {
    stop: Arc<AtomicBool>,
    peak_fds: Arc<AtomicUsize>,
    sampler: Option<std::thread::JoinHandle<()>>,
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count())
}

/// The process's peak resident memory (`VmHWM`), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

impl Usage {
    fn sample() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_fds = Arc::new(AtomicUsize::new(open_fds()));
        let sampler = {
            let (stop, peak_fds) = (stop.clone(), peak_fds.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak_fds.fetch_max(open_fds(), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        Self {
            stop,
            peak_fds,
            sampler: Some(sampler),
        }
    }

    /// Stops sampling and reports; returns the peak of open descriptors.
    fn report(mut self, attack: &str) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(sampler) = self.sampler.take() {
            sampler.join().unwrap();
        }
        let fds = self.peak_fds.load(Ordering::Relaxed);
        eprintln!(
            "{attack}: host peak RSS {} MiB, peak open fds {fds}",
            peak_rss_mib()
        );
        fds
    }
}

/// The same host serves a normal call after the attack.
async fn still_serves(host: &bedrock_host::Host) {
    assert_eq!(run(host, "env").await.unwrap(), "AWS_REGION");
}

#[tokio::test(flavor = "multi_thread")]
async fn aliased_strings_in_a_result_are_not_copied() {
    let host = hostile(|_| {});
    let usage = Usage::sample();
    // 4,096 strings that share one 1 MiB buffer: 4 GiB if copied.
    let error = run(&host, "alias 1 4096").await.unwrap_err();
    assert_eq!(
        *host_error(&error),
        HostError::ResultTooLarge {
            function: "event-stream.next",
            limit: DEFAULT_MAX_RESULT_BYTES
        },
        "{error:#}"
    );
    usage.report("alias 1 MiB x 4096 in a batch of events");
    still_serves(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_discovery_result_is_lifted_against_the_budget() {
    let host = hostile(|_| {});
    let usage = Usage::sample();
    let options = DiscoveryOptions {
        enabled: None,
        region: None,
        provider_filter: vec!["alias 1 4096".into()],
        refresh_interval: None,
        default_context_window: None,
        default_max_tokens: None,
    };
    let error = host.discover(&config(), &options).await.unwrap_err();
    assert_eq!(
        *host_error(&error),
        HostError::ResultTooLarge {
            function: "discover",
            limit: DEFAULT_MAX_RESULT_BYTES
        },
        "{error:#}"
    );
    usage.report("alias 1 MiB x 4096 in a discovery");
    // Under the budget, the same shape is lifted (16 x 64 KiB).
    let small = DiscoveryOptions {
        provider_filter: vec!["alias 0 16".into()],
        ..options
    };
    let discovery = host.discover(&config(), &small).await.unwrap().unwrap();
    assert_eq!(discovery.warnings.len(), 16);
    still_serves(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_a_million_events_is_a_typed_limit() {
    let host = hostile(|_| {});
    let usage = Usage::sample();
    let error = run(&host, "events 1300000").await.unwrap_err();
    assert_eq!(
        *host_error(&error),
        HostError::ResultTooLarge {
            function: "event-stream.next",
            limit: DEFAULT_MAX_RESULT_BYTES
        },
        "{error:#}"
    );
    usage.report("1.3 million events in one batch");
    still_serves(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_header_value_is_refused() {
    let host = hostile(|_| {});
    let usage = Usage::sample();
    // Header sets of one 60 KiB value each, without end.
    let error = run(&host, "fields-flood 60").await.unwrap_err();
    assert_eq!(
        *host_error(&error),
        HostError::HeadersTooLarge {
            function: "converse-stream",
            limit: DEFAULT_MAX_FIELD_BYTES
        },
        "{error:#}"
    );
    usage.report("fields + 60 KiB append flood");
    still_serves(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_header_flood_ends_at_the_resource_cap() {
    // An instance of its own: a shared one's table holds the resources of
    // all its streams, `max_resources` each.
    let host = hostile(|c| c.streams_per_instance = 1);
    let usage = Usage::sample();
    // Header sets of one 12 KiB value each (under the limit of one set),
    // without end.
    let error = run(&host, "fields-flood 12").await.unwrap_err();
    assert_eq!(
        *host_error(&error),
        HostError::TooManyResources {
            function: "converse-stream",
            limit: DEFAULT_MAX_RESOURCES
        },
        "{error:#}"
    );
    usage.report("fields + 12 KiB append flood");
    still_serves(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_flood_is_refused_beyond_the_requests_in_flight() {
    // A server the plugin may reach that accepts and never answers: every
    // admitted request stays in flight, holding a socket.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let _server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let host = hostile(|c| c.extra_hosts = vec![address.to_string()]);
    let before = open_fds();
    let usage = Usage::sample();
    let error = run(&host, &format!("request-flood http://{address}/ 20000"))
        .await
        .unwrap_err();
    assert_eq!(
        *host_error(&error),
        HostError::TooManyRequestsInFlight {
            function: "converse-stream",
            limit: DEFAULT_MAX_REQUESTS_IN_FLIGHT
        },
        "{error:#}"
    );
    let peak = usage.report("20,000 outgoing-handler.handle calls");
    // Each admitted request holds at most a socket on either side.
    assert!(
        peak <= before + 2 * DEFAULT_MAX_REQUESTS_IN_FLIGHT + 16,
        "{before} descriptors before, {peak} at the peak"
    );
    still_serves(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_beyond_the_total_of_a_call_are_refused() {
    // A server that answers every request at once and closes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let _server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    let host = hostile(|c| {
        c.extra_hosts = vec![address.to_string()];
        c.max_requests = 5;
    });
    // Within the cap, every request is sent.
    assert_eq!(
        run(&host, &format!("fetch-many http://{address}/ 5"))
            .await
            .unwrap(),
        "fetched 5 of 5"
    );
    let error = run(&host, &format!("fetch-many http://{address}/ 10"))
        .await
        .unwrap_err();
    assert_eq!(
        *host_error(&error),
        HostError::TooManyRequests {
            function: "converse-stream",
            limit: 5
        },
        "{error:#}"
    );
    still_serves(&host).await;
}

/// A component of three core instances of a module with a memory each (and
/// nothing else): encoded by hand, as small as a component gets.
fn three_memories() -> Vec<u8> {
    let module: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // core module, version 1
        0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory of one page
    ];
    let mut component = vec![0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
    component.push(0x01); // core module section
    component.push(module.len() as u8);
    component.extend_from_slice(module);
    // Core instance section: three instantiations of module 0, no arguments.
    component.extend_from_slice(&[0x02, 0x0a, 0x03]);
    for _ in 0..3 {
        component.extend_from_slice(&[0x00, 0x00, 0x00]);
    }
    component
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_with_more_memories_than_a_call_may_have_is_refused() {
    let dir = std::env::temp_dir().join(format!("bedrock-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("three-memories.wasm");
    std::fs::write(&path, three_memories()).unwrap();

    let host = hostile(|_| {});
    let error = host.reload(&path).await.unwrap_err();
    // Refused before anything runs: by the instance pool, which holds each
    // call to its share, or (where the host runs without a pool) by the
    // host's own check.
    let message = format!("{error:#}");
    assert!(
        message
            .contains("contains 3 Wasm linear memories, which exceeds the configured maximum of 2")
            || matches!(
                error.downcast_ref::<HostError>(),
                Some(HostError::ComponentTooLarge {
                    resource: "memories",
                    count: 3,
                    limit: 2
                })
            ),
        "{message}"
    );
    still_serves(&host).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destructor_that_loops_fails_the_stream() {
    let host = hostile(|c| c.cpu_budget = Duration::from_millis(200));
    let mut stream = host
        .converse_stream(&config(), &request(MODEL, "spin-on-drop"))
        .await
        .unwrap()
        .unwrap();
    let batch = stream.next().await.unwrap().unwrap().unwrap();
    assert_eq!(batch.len(), 1);
    let error = stream.next().await.unwrap_err();
    assert!(
        matches!(
            host_error(&error),
            HostError::CpuBudgetExceeded {
                function: "event-stream destructor",
                ..
            }
        ),
        "{error:#}"
    );
    still_serves(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_cannot_outspend_its_cpu_budget() {
    let stream_budget = Duration::from_millis(500);
    let host = hostile(|c| {
        c.cpu_budget = Duration::from_secs(2);
        c.stream_cpu_budget = stream_budget;
    });
    let mut stream = host
        .converse_stream(&config(), &request(MODEL, "busy-each 100"))
        .await
        .unwrap()
        .unwrap();
    let mut batches = 0;
    let error = loop {
        match stream.next().await {
            Ok(next) => {
                next.unwrap().expect("the stream never ends");
                batches += 1;
            }
            Err(error) => break error,
        }
    };
    assert_eq!(
        *host_error(&error),
        HostError::StreamCpuBudgetExceeded {
            function: "event-stream.next",
            budget: stream_budget
        },
        "{error:#}"
    );
    // Each `next` stayed under the budget of a call.
    assert!(batches >= 2, "stopped after {batches} batches");
    // The stream is over; the host is not.
    let again = stream.next().await.unwrap_err();
    assert!(
        matches!(host_error(&again), HostError::StreamUnusable { .. }),
        "{again:#}"
    );
    still_serves(&host).await;
}
