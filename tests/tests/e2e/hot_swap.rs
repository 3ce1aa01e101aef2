//! Swapping the plugin under running streams: streams in flight finish on the
//! build they started on, new calls get the new build, a build that does not
//! fit is refused while the old one keeps serving, and the guest's cache
//! survives the swap.

use bedrock_emulator::reply_text;
use bedrock_host::HostConfig;
use bedrock_host::types::DiscoveryOptions;
use integration_tests::*;

const WORDS: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_in_flight_survive_swaps_both_ways() {
    let emulator = emulator().await;
    let env = sigv4_env(&emulator);
    let original = HostConfig::default_component_path();
    let host = own_host(&original, &env, |_| {});
    let original_version = host.info().await.unwrap().version;
    let twin_version = format!("{original_version}+swap");

    let slow = request(MODEL, &format!("Hi [emulator words={WORDS} slow=10]"));
    let mut streams = Vec::new();
    for _ in 0..16 {
        let mut stream = host
            .converse_stream(&config(), &slow)
            .await
            .unwrap()
            .unwrap();
        // Each has started delivering before the swap.
        let first = stream
            .next()
            .await
            .unwrap()
            .unwrap()
            .expect("a first batch");
        streams.push((stream, first));
    }

    let info = host.reload(twin_component()).await.unwrap();
    assert_eq!(info.version, twin_version);
    assert_eq!(host.info().await.unwrap().version, twin_version);
    // A new stream on the new build, while the old ones still run.
    let fresh = converse(&host, &config(), &request(MODEL, "Hi [emulator words=5]"))
        .await
        .unwrap();
    assert_eq!(fresh.text(), reply_text(5));

    // And back, with the first streams still open.
    host.reload(&original).await.unwrap();
    assert_eq!(host.info().await.unwrap().version, original_version);

    let finished = streams.into_iter().map(|(mut stream, first)| async move {
        let mut events = first;
        while let Some(batch) = stream
            .next()
            .await
            .expect("no host failure")
            .expect("no provider error")
        {
            events.extend(batch);
        }
        events
    });
    for events in join_all(finished).await {
        let outcome = Outcome {
            events,
            error: None,
        };
        assert_eq!(
            outcome.text(),
            reply_text(WORDS),
            "a stream was cut or garbled by the swap"
        );
        assert_eq!(outcome.stops().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_that_does_not_fit_is_refused_and_the_old_one_serves() {
    let emulator = emulator().await;
    let host = own_host(
        &HostConfig::default_component_path(),
        &sigv4_env(&emulator),
        |_| {},
    );
    let version = host.info().await.unwrap().version;

    let dir = std::env::temp_dir().join(format!("bedrock-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.wasm");
    std::fs::write(&text, "not wasm").unwrap();
    let core = dir.join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let cases = [
        (text, "not a WebAssembly binary"),
        (core, "core WebAssembly module"),
        (dir.join("missing.wasm"), "component not found"),
        // Loads and links, but its first call traps.
        (hostile_component(), "trial call failed"),
    ];
    for (path, expected) in cases {
        let error = host.reload(&path).await.expect_err("refused");
        let message = format!("{error:#}");
        assert!(message.contains(expected), "{}: {message}", path.display());
        assert_eq!(host.info().await.unwrap().version, version);
        let outcome = converse(&host, &config(), &request(MODEL, "Hi [emulator words=3]"))
            .await
            .unwrap();
        assert_eq!(outcome.text(), reply_text(3));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guest_cache_survives_a_swap() {
    let emulator = emulator().await;
    let host = own_host(
        &HostConfig::default_component_path(),
        &sigv4_env(&emulator),
        |_| {},
    );
    let options = DiscoveryOptions {
        enabled: Some(true),
        refresh_interval: Some(3600),
        ..Default::default()
    };
    let catalogue_calls = || {
        emulator
            .requests()
            .iter()
            .filter(|r| r.raw_path.starts_with("/foundation-models"))
            .count()
    };
    let before = host.discover(&config(), &options).await.unwrap().unwrap();
    assert_eq!(catalogue_calls(), 1);
    host.reload(twin_component()).await.unwrap();
    let after = host.discover(&config(), &options).await.unwrap().unwrap();
    assert_eq!(
        catalogue_calls(),
        1,
        "the new build asked Bedrock again instead of using the cache"
    );
    assert_eq!(before.models, after.models);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_swap_goes_through_when_the_host_is_at_its_cap() {
    let emulator = emulator().await;
    let host = own_host(
        &HostConfig::default_component_path(),
        &sigv4_env(&emulator),
        |c| c.max_concurrent_calls = 2,
    );
    let slow = request(MODEL, "Hi [emulator words=30 slow=10]");
    let mut first = host
        .converse_stream(&config(), &slow)
        .await
        .unwrap()
        .unwrap();
    let _second = host
        .converse_stream(&config(), &slow)
        .await
        .unwrap()
        .unwrap();
    let busy = host.info().await.unwrap_err();
    assert!(
        matches!(
            busy.downcast_ref(),
            Some(bedrock_host::HostError::Busy { limit: 2 })
        ),
        "{busy:#}"
    );
    let info = host
        .reload(twin_component())
        .await
        .expect("the trial call is not counted against the cap");
    assert!(info.version.ends_with("+swap"), "{}", info.version);
    while first.next().await.unwrap().unwrap().is_some() {}
}
