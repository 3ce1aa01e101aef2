//! Many conversations through one host at once: every stream complete, in
//! order, nothing lost or duplicated.

use bedrock_emulator::reply_text;
use bedrock_host::types::StreamEvent;
use integration_tests::*;
use std::time::{Duration, Instant};

const STREAMS: usize = 500;
const WORDS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_concurrent_streams_each_complete_and_in_order() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let started = Instant::now();
    let streams = (0..STREAMS).map(|i| {
        let host = host.clone();
        // Different lengths, so that a stream given another's events shows.
        let words = WORDS + i % 7;
        async move {
            let prompt = format!("stream {i} [emulator words={words} slow=5]");
            let outcome = converse(&host, &config(), &request(MODEL, &prompt)).await;
            (words, outcome)
        }
    });
    let outcomes = tokio::time::timeout(Duration::from_secs(240), join_all(streams))
        .await
        .expect("500 streams finish within 4 minutes");
    for (i, (words, outcome)) in outcomes.into_iter().enumerate() {
        let outcome = outcome.unwrap_or_else(|e| panic!("stream {i} failed to start: {e:?}"));
        assert_eq!(outcome.error, None, "stream {i}");
        assert_eq!(
            outcome.text(),
            reply_text(words),
            "stream {i}: lost, duplicated or reordered text"
        );
        let events = &outcome.events;
        assert!(
            matches!(events.first(), Some(StreamEvent::MessageStart(_))),
            "stream {i}: {:?}",
            events.first()
        );
        assert!(
            matches!(events.last(), Some(StreamEvent::Metadata(_))),
            "stream {i}: {:?}",
            events.last()
        );
        assert_eq!(outcome.stops().len(), 1, "stream {i}");
    }
    eprintln!("{STREAMS} streams in {:?}", started.elapsed());
}
