//! A plugin that misbehaves on purpose (`test-guests/hostile`): every misdeed
//! fails that one call with a typed `HostError` or is refused by the sandbox,
//! and the host goes on serving.

use bedrock_host::types::StreamEvent;
use bedrock_host::{Host, HostConfig, HostError};
use integration_tests::*;
use std::time::{Duration, Instant};

pub(crate) fn hostile(tweak: impl FnOnce(&mut HostConfig)) -> Host {
    own_host(
        &hostile_component(),
        &[("AWS_REGION", "us-east-1".into())],
        tweak,
    )
}

/// Runs `command` to its end: the report text, or the host's error.
pub(crate) async fn run(host: &Host, command: &str) -> Result<String, anyhow::Error> {
    let mut stream = host
        .converse_stream(&config(), &request(MODEL, command))
        .await?
        .expect("the hostile plugin starts every stream");
    let mut text = String::new();
    while let Some(batch) = stream.next().await?.expect("no provider error") {
        for event in batch {
            if let StreamEvent::TextDelta(delta) = event {
                text.push_str(&delta.text);
            }
        }
    }
    Ok(text)
}

pub(crate) fn host_error(error: &anyhow::Error) -> &HostError {
    error
        .downcast_ref::<HostError>()
        .unwrap_or_else(|| panic!("not a HostError: {error:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trap_fails_that_call_only() {
    let host = hostile(|_| {});
    let error = run(&host, "trap").await.unwrap_err();
    assert!(
        matches!(
            host_error(&error),
            HostError::Trapped {
                function: "converse-stream",
                ..
            }
        ),
        "{error:#}"
    );
    assert_eq!(run(&host, "env").await.unwrap(), "AWS_REGION");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_loop_is_stopped_by_the_cpu_budget() {
    let host = hostile(|c| c.cpu_budget = Duration::from_millis(200));
    let started = Instant::now();
    let error = run(&host, "spin").await.unwrap_err();
    assert!(
        matches!(host_error(&error), HostError::CpuBudgetExceeded { .. }),
        "{error:#}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped after {:?}",
        started.elapsed()
    );

    // In the middle of a stream: that stream is over, the host is not.
    let mut stream = host
        .converse_stream(&config(), &request(MODEL, "spin-later"))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(stream.next().await.unwrap(), Ok(Some(_))));
    let error = stream.next().await.unwrap_err();
    assert!(
        matches!(
            host_error(&error),
            HostError::CpuBudgetExceeded {
                function: "event-stream.next",
                ..
            }
        ),
        "{error:#}"
    );
    let again = stream.next().await.unwrap_err();
    assert!(
        matches!(host_error(&again), HostError::StreamUnusable { .. }),
        "{again:#}"
    );
    assert_eq!(run(&host, "env").await.unwrap(), "AWS_REGION");
}

#[tokio::test(flavor = "multi_thread")]
async fn running_out_of_memory_is_a_memory_error() {
    let limit = 32 * 1024 * 1024;
    let host = hostile(|c| c.memory_limit = limit);
    let error = run(&host, "grow").await.unwrap_err();
    assert_eq!(
        *host_error(&error),
        HostError::MemoryLimitExceeded {
            function: "converse-stream",
            limit
        }
    );
    assert_eq!(run(&host, "env").await.unwrap(), "AWS_REGION");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_that_hangs_meets_its_deadline() {
    // A server that accepts and never answers, which the plugin may reach.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let _server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let host = hostile(|c| {
        c.extra_hosts = vec![address.to_string()];
        c.call_deadline = Duration::from_millis(500);
    });
    let error = run(&host, &format!("fetch http://{address}/"))
        .await
        .unwrap_err();
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
}

#[tokio::test(flavor = "multi_thread")]
async fn only_allowed_hosts_are_reachable() {
    let emulator = emulator().await;
    let address = emulator.endpoint();
    let authority = address.trim_start_matches("http://").to_string();
    let closed = hostile(|_| {});
    for url in [
        format!("{address}/"),
        "http://169.254.170.2/".into(),
        "https://example.com/".into(),
    ] {
        let report = run(&closed, &format!("fetch {url}")).await.unwrap();
        assert!(
            report.starts_with("fetch failed") && report.contains("HttpRequestDenied"),
            "{url}: {report}"
        );
    }
    let open = hostile(|c| c.extra_hosts = vec![authority]);
    let report = run(&open, &format!("fetch {address}/foundation-models"))
        .await
        .unwrap();
    assert!(report.starts_with("fetched: status"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_granted_files_and_variables_are_visible() {
    let dir = std::env::temp_dir().join(format!("bedrock-isolation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let granted = dir.join("granted.txt");
    std::fs::write(&granted, "visible").unwrap();
    let env = [
        ("AWS_REGION", "us-east-1".to_string()),
        ("DATABASE_PASSWORD", "hunter2".to_string()),
        ("EXTRA_SETTING", "1".to_string()),
    ];
    let host = own_host(&hostile_component(), &env, |c| {
        c.extra_dirs = vec![dir.clone()]
    });
    for path in [
        "/etc/passwd",
        "/proc/self/environ",
        &std::env::current_exe().unwrap().display().to_string(),
    ] {
        let report = run(&host, &format!("read {path}")).await.unwrap();
        assert!(report.starts_with("read failed"), "{path}: {report}");
    }
    assert_eq!(
        run(&host, &format!("read {}", granted.display()))
            .await
            .unwrap(),
        "read 7 bytes"
    );
    assert_eq!(run(&host, "env").await.unwrap(), "AWS_REGION");

    let host = own_host(&hostile_component(), &env, |c| {
        c.extra_env = vec!["EXTRA_SETTING".into()]
    });
    assert_eq!(run(&host, "env").await.unwrap(), "AWS_REGION,EXTRA_SETTING");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_beyond_the_cap_are_refused_until_one_ends() {
    let host = hostile(|c| c.max_concurrent_calls = 2);
    let open = |host: Host| async move {
        host.converse_stream(&config(), &request(MODEL, "env"))
            .await
            .map(|started| started.unwrap())
    };
    let first = open(host.clone()).await.unwrap();
    let _second = open(host.clone()).await.unwrap();
    let Err(error) = open(host.clone()).await else {
        panic!("a third stream was admitted")
    };
    assert_eq!(*host_error(&error), HostError::Busy { limit: 2 });
    drop(first);
    open(host.clone()).await.expect("a place was freed");
}

/// An instance's slot in the instance pool is reused, its dirty pages kept
/// resident, by the next instance: none of what the last one held may show.
#[tokio::test(flavor = "multi_thread")]
async fn an_instance_sees_nothing_the_instance_before_it_held() {
    const SECRET: &str = "the previous tenant's session key";
    let host = hostile(|c| {
        c.streams_per_instance = 2;
        c.instance_idle_timeout = Duration::ZERO;
    });
    let planted = host
        .converse_stream(&config(), &request(MODEL, &format!("plant {SECRET}")))
        .await
        .unwrap()
        .unwrap();
    // The same instance, while the planting stream holds it: the scan finds
    // what was planted, so a clean scan below means something.
    let same = run(&host, &format!("scan {SECRET}")).await.unwrap();
    assert!(same.starts_with("found at"), "{same}");
    drop(planted);
    // The instance ends with its last stream, dropped by its driver; once it
    // is gone, the pool hands its slot (the one most recently freed) to the
    // next instance. Each scan below runs on an instance of its own.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..3 {
        let next = run(&host, &format!("scan {SECRET}")).await.unwrap();
        assert_eq!(next, "clean");
    }
}
