//! Event streams of one host and configuration share an instance
//! (`HostConfig::streams_per_instance`): they interleave without cross-talk,
//! a slow or dropped one holds nobody up, and the price is paid only inside
//! one instance: a stream that makes it fail fails its instance's streams,
//! never those of another configuration or another host. An instance whose
//! last stream ends is kept idle for the next stream of its configuration.

use crate::isolation::{host_error, hostile, run};
use bedrock_emulator::{Emulator, EmulatorConfig, reply_text};
use bedrock_host::types::{ProviderConfig, StreamEvent};
use bedrock_host::{EventStream, Host, HostError};
use integration_tests::*;
use std::time::Duration;

/// A guard against a hang, far above what any of these needs.
const HANG: Duration = Duration::from_secs(120);

/// A prompt the emulator answers with `words` words, slowly, so that the
/// streams of a test are all open at once.
fn prompt(i: usize, words: usize) -> String {
    format!("stream {i} [emulator words={words} slow=5]")
}

async fn open(host: &Host, config: &ProviderConfig, text: &str) -> EventStream {
    host.converse_stream(config, &request(MODEL, text))
        .await
        .expect("no host failure")
        .expect("the stream starts")
}

/// The text of the rest of `stream`.
async fn drain(mut stream: EventStream) -> String {
    let mut text = String::new();
    while let Some(batch) = stream
        .next()
        .await
        .expect("no host failure")
        .expect("no provider error")
    {
        for event in batch {
            if let StreamEvent::TextDelta(delta) = event {
                text.push_str(&delta.text);
            }
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_of_one_instance_interleave_and_each_gets_its_own_events() {
    let emulator = emulator().await;
    let host = host_with(&sigv4_env(&emulator), |c| c.streams_per_instance = 8);
    // 24 streams: three instances of 8, each stream a different length.
    let streams = (0..24).map(|i| {
        let host = host.clone();
        async move {
            let words = 20 + i;
            let outcome = converse(&host, &config(), &request(MODEL, &prompt(i, words))).await;
            (words, outcome)
        }
    });
    let outcomes = tokio::time::timeout(HANG, join_all(streams)).await.unwrap();
    for (i, (words, outcome)) in outcomes.into_iter().enumerate() {
        let outcome = outcome.unwrap_or_else(|e| panic!("stream {i}: {e:?}"));
        assert_eq!(outcome.error, None, "stream {i}");
        assert_eq!(outcome.text(), reply_text(words), "stream {i}: cross-talk");
        assert_eq!(outcome.stops().len(), 1, "stream {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_consumer_holds_up_no_other_stream_of_its_instance() {
    let emulator = emulator().await;
    let host = host_with(&sigv4_env(&emulator), |c| c.streams_per_instance = 4);
    // Opened first, then not read until the others are done.
    let slow = open(&host, &config(), &prompt(0, 30)).await;
    let others = (1..4).map(|i| {
        let host = host.clone();
        async move { drain(open(&host, &config(), &prompt(i, 10 + i)).await).await }
    });
    let texts = tokio::time::timeout(HANG, join_all(others)).await.unwrap();
    for (i, text) in texts.into_iter().enumerate() {
        assert_eq!(text, reply_text(11 + i), "stream {}", i + 1);
    }
    assert_eq!(drain(slow).await, reply_text(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropping_one_stream_midway_leaves_the_others_of_its_instance_whole() {
    let emulator = emulator().await;
    let host = host_with(&sigv4_env(&emulator), |c| c.streams_per_instance = 4);
    let mut dropped = open(&host, &config(), &prompt(0, 200)).await;
    let kept: Vec<EventStream> = join_all((1..4).map(|i| {
        let host = host.clone();
        async move { open(&host, &config(), &prompt(i, 20 + i)).await }
    }))
    .await;
    // The dropped stream has events in flight when it goes.
    dropped.next().await.unwrap().unwrap().unwrap();
    drop(dropped);
    let texts = tokio::time::timeout(HANG, join_all(kept.into_iter().map(drain)))
        .await
        .unwrap();
    for (i, text) in texts.into_iter().enumerate() {
        assert_eq!(text, reply_text(21 + i), "stream {}", i + 1);
    }
    // Its instance serves a new stream.
    assert_eq!(
        drain(open(&host, &config(), &prompt(9, 5)).await).await,
        reply_text(5)
    );
}

/// A stream that never ends; each `next` is busy for a millisecond.
const ENDLESS: &str = "busy-each 1";

/// `stream` still hands out batches.
async fn still_streams(stream: &mut EventStream) {
    let batch = stream.next().await.expect("no host failure").unwrap();
    assert!(batch.is_some_and(|batch| !batch.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_that_fails_its_instance_fails_only_that_instances_streams() {
    let memory = 32 * 1024 * 1024;
    let host = hostile(|c| {
        c.streams_per_instance = 8;
        c.cpu_budget = Duration::from_millis(200);
        c.memory_limit = memory;
    });
    let other_host = host.with_policy(&{
        let mut config = bedrock_host::HostConfig::new("ignored.wasm");
        config.env = vec![("AWS_REGION".into(), "us-east-1".into())];
        config.streams_per_instance = 8;
        config
    });
    let other_config = ProviderConfig {
        region: Some("us-west-2".into()),
        ..config()
    };
    for (command, function) in [
        ("trap", "converse-stream"),
        ("grow", "converse-stream"),
        ("spin", "converse-stream"),
    ] {
        let mut victims = vec![
            open(&host, &config(), ENDLESS).await,
            open(&host, &config(), ENDLESS).await,
        ];
        let mut other_configs = open(&host, &other_config, ENDLESS).await;
        let mut other_hosts = open(&other_host, &config(), ENDLESS).await;
        // Each has handed out its first batch and is between batches.
        for victim in &mut victims {
            still_streams(victim).await;
        }

        let error = run(&host, command).await.unwrap_err();
        let cause = host_error(&error).clone();
        let expected = match command {
            "trap" => matches!(&cause, HostError::Trapped { function: f, .. } if *f == function),
            "grow" => {
                cause
                    == HostError::MemoryLimitExceeded {
                        function,
                        limit: memory,
                    }
            }
            _ => {
                matches!(&cause, HostError::CpuBudgetExceeded { function: f, .. } if *f == function)
            }
        };
        assert!(expected, "{command}: {error:#}");

        // Its instance's other streams fail with it, naming the cause, once
        // they have handed out what their driver fetched before (at most
        // two batches ahead of their consumer).
        for victim in &mut victims {
            let mut fetched_before = 0;
            let error = loop {
                match victim.next().await {
                    Ok(_) if fetched_before < 2 => fetched_before += 1,
                    Ok(batch) => panic!("{command}: a third batch, {batch:?}"),
                    Err(error) => break error,
                }
            };
            assert_eq!(
                *host_error(&error),
                HostError::InstanceFailed {
                    cause: Box::new(cause.clone())
                },
                "{command}: {error:#}"
            );
        }
        // Another configuration's instance and another host's go on.
        still_streams(&mut other_configs).await;
        still_streams(&mut other_hosts).await;
        // And the host serves the next call on a fresh instance.
        assert_eq!(run(&host, "env").await.unwrap(), "AWS_REGION");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_stream_per_instance_keeps_every_stream_apart() {
    let host = hostile(|c| c.streams_per_instance = 1);
    let mut neighbour = open(&host, &config(), ENDLESS).await;
    still_streams(&mut neighbour).await;
    let error = run(&host, "trap").await.unwrap_err();
    assert!(
        matches!(host_error(&error), HostError::Trapped { .. }),
        "{error:#}"
    );
    still_streams(&mut neighbour).await;
}

/// A host of `emulator`'s keys, or of a secret the emulator refuses.
fn keyed_host(emulator: &Emulator, secret: &str) -> Host {
    let mut env = sigv4_env(emulator);
    env.retain(|(name, _)| *name != "AWS_SECRET_ACCESS_KEY");
    env.push(("AWS_SECRET_ACCESS_KEY", secret.into()));
    host_with(&env, |c| c.streams_per_instance = 64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_of_different_credentials_never_share_an_instance() {
    let emulator = emulator().await;
    let good = keyed_host(&emulator, SECRET_ACCESS_KEY);
    let bad = keyed_host(&emulator, "not-the-secret-key-of-the-emulator");
    let streams = (0..16).map(|i| {
        let host = if i % 2 == 0 {
            good.clone()
        } else {
            bad.clone()
        };
        async move {
            let outcome = converse(&host, &config(), &request(MODEL, &prompt(i, 12))).await;
            (i, outcome)
        }
    });
    for (i, outcome) in tokio::time::timeout(HANG, join_all(streams)).await.unwrap() {
        match (i % 2, outcome) {
            (0, Ok(outcome)) => {
                assert_eq!(outcome.error, None, "stream {i}");
                assert_eq!(outcome.text(), reply_text(12), "stream {i}");
            }
            // Refused on its own credentials, before the first event.
            (1, Err(_)) => {}
            (_, outcome) => panic!("stream {i}: {outcome:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_of_different_configurations_never_share_an_instance() {
    let first = emulator().await;
    let second = Emulator::start(EmulatorConfig {
        reply_text: Some("the second endpoint answers".into()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let host = host_with(&sigv4_env(&first), |c| c.streams_per_instance = 64);
    let to_second = ProviderConfig {
        base_url: Some(second.endpoint()),
        ..config()
    };
    let streams = (0..16).map(|i| {
        let host = host.clone();
        let config = if i % 2 == 0 {
            config()
        } else {
            to_second.clone()
        };
        async move {
            let text = format!("stream {i} [emulator slow=5]");
            let outcome = converse(&host, &config, &request(MODEL, &text)).await;
            (i, outcome.unwrap_or_else(|e| panic!("stream {i}: {e:?}")))
        }
    });
    for (i, outcome) in tokio::time::timeout(HANG, join_all(streams)).await.unwrap() {
        assert_eq!(outcome.error, None, "stream {i}");
        let from_second = outcome.text() == "the second endpoint answers";
        assert_eq!(from_second, i % 2 == 1, "stream {i}: {:?}", outcome.text());
    }
}

/// How many streams the instance that ran this one has started, by the
/// hostile plugin's own count: 1 on a fresh instance.
async fn count(host: &Host, config: &ProviderConfig) -> u32 {
    let text = drain(open(host, config, "count").await).await;
    text.parse()
        .unwrap_or_else(|_| panic!("a count, not {text:?}"))
}

fn region(name: &str) -> ProviderConfig {
    ProviderConfig {
        region: Some(name.into()),
        ..config()
    }
}

/// The next stream of a configuration starts on the instance its last one
/// left idle (the next turn of a conversation skips instantiation); another
/// configuration, a zero idle timeout or one stream per instance start on a
/// fresh instance, and a failed instance is never kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_left_idle_serves_the_next_stream_of_its_configuration() {
    let host = hostile(|c| c.instance_idle_timeout = HANG);
    assert_eq!(count(&host, &config()).await, 1);
    assert_eq!(count(&host, &config()).await, 2);
    assert_eq!(count(&host, &region("us-west-2")).await, 1);
    assert_eq!(count(&host, &config()).await, 3);
    let error = run(&host, "trap").await.unwrap_err();
    assert!(
        matches!(host_error(&error), HostError::Trapped { .. }),
        "{error:#}"
    );
    assert_eq!(count(&host, &config()).await, 1);

    for fresh in [
        hostile(|c| c.instance_idle_timeout = Duration::ZERO),
        hostile(|c| c.streams_per_instance = 1),
    ] {
        assert_eq!(count(&fresh, &config()).await, 1);
        assert_eq!(count(&fresh, &config()).await, 1);
    }
}

/// An idle instance ends at its timeout: a later stream starts fresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idle_instance_ends_at_its_timeout() {
    let host = hostile(|c| c.instance_idle_timeout = Duration::from_millis(50));
    assert_eq!(count(&host, &config()).await, 1);
    // Each probe waits twice the timeout; one that still finds the instance
    // keeps it for another spell, so probe until one finds a fresh one (the
    // runtime's timer decides when). Never expiring fails at `HANG`.
    tokio::time::timeout(HANG, async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if count(&host, &config()).await == 1 {
                break;
            }
        }
    })
    .await
    .expect("the idle instance expired");
}

/// At most 16 instances are kept idle, whatever the number of
/// configurations, and the instances kept idle take no place from calls:
/// with room for two calls in flight, every call is still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_instances_are_capped_and_leave_room_for_calls() {
    const CONFIGS: usize = 20;
    let host = hostile(|c| {
        c.instance_idle_timeout = HANG;
        c.max_concurrent_calls = 2;
    });
    let configs: Vec<_> = (0..CONFIGS).map(|i| region(&format!("test-{i}"))).collect();
    for config in &configs {
        assert_eq!(count(&host, config).await, 1);
    }
    let mut reused = 0;
    for config in &configs {
        if count(&host, config).await == 2 {
            reused += 1;
        }
    }
    assert_eq!(reused, 16, "instances kept idle");
    // Two calls in flight at once, each on an instance of its own.
    let first = open(&host, &region("another"), "count").await;
    let second = open(&host, &region("yet another"), "count").await;
    assert_eq!(
        (drain(first).await, drain(second).await),
        ("1".into(), "1".into())
    );
}
