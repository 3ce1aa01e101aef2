//! The plugin's own usage events over the emulator's prompt cache: the cache
//! points the plugin places for a retention are written on the first call
//! (`cache-write-tokens`, with `cache-write-details` per TTL) and read on the
//! next (`cache-read-tokens`), and a prompt under the model's minimum is not
//! cached. Also Claude Opus 4.7, which takes adaptive thinking only: the
//! plugin's reasoning level reaches it in the one shape it accepts.

use bedrock_emulator::{Emulator, reply_text};
use bedrock_host::types::{
    CacheRetention, CacheTtlUsage, ConverseRequest, ReasoningLevel, StreamEvent, Usage,
};
use integration_tests::{config, converse, emulator, host, request, sigv4_env};
use serde_json::{Value, json};

/// Claude Sonnet 4.5: five-minute and one-hour caching, 1 024 tokens at least.
const CACHING_MODEL: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// A system prompt of `words` words (the emulator counts a word a token).
fn system_of(words: usize) -> String {
    vec!["Answer"; words].join(" ")
}

/// The user's prompt: two words, and for one-hour caching the marker that
/// keeps the body from `validate_converse_bodies.py`, whose botocore (1.40)
/// predates `CachePointBlock.ttl` (the member Bedrock documents for `1h`).
fn prompt_for(retention: CacheRetention) -> &'static str {
    match retention {
        CacheRetention::Long => "Hello there [validator skip]",
        _ => "Hello there",
    }
}

/// The words of [`prompt_for`]'s prompt.
fn prompt_words(retention: CacheRetention) -> u32 {
    prompt_for(retention).split_whitespace().count() as u32
}

fn cached_request(system_words: usize, retention: CacheRetention) -> ConverseRequest {
    ConverseRequest {
        system: Some(system_of(system_words)),
        cache_retention: Some(retention),
        temperature: None,
        ..request(CACHING_MODEL, prompt_for(retention))
    }
}

/// The usage the call's metadata event reported.
async fn usage_of(host: &bedrock_host::Host, request: &ConverseRequest) -> Usage {
    let outcome = converse(host, &config(), request).await.unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.text(), reply_text(24));
    outcome
        .events
        .iter()
        .find_map(|e| match e {
            StreamEvent::Metadata(meta) => meta.usage.clone(),
            _ => None,
        })
        .expect("a metadata event with usage")
}

fn last_converse_body(emulator: &Emulator) -> Value {
    let request = emulator
        .requests()
        .into_iter()
        .rfind(|r| r.raw_path.ends_with("/converse-stream"))
        .expect("a ConverseStream call");
    serde_json::from_slice(&request.body).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_usage_is_written_then_read_per_ttl() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));

    // Long retention: one hour on both points (system prompt, user turn).
    let long = cached_request(1_200, CacheRetention::Long);
    let written = usage_of(&host, &long).await;
    let prompt = 1_200 + prompt_words(CacheRetention::Long);
    assert_eq!(written.cache_write_tokens, Some(prompt), "{written:?}");
    assert_eq!(written.cache_read_tokens, Some(0), "{written:?}");
    assert_eq!(
        written.cache_write_details,
        [CacheTtlUsage {
            ttl: "1h".into(),
            input_tokens: prompt
        }]
    );
    assert_eq!(written.input_tokens, 0, "all of it went to the cache");
    assert_eq!(written.total_tokens, prompt + written.output_tokens);
    assert_eq!(
        last_converse_body(&emulator)["system"][1],
        json!({"cachePoint": {"type": "default", "ttl": "1h"}})
    );

    let read = usage_of(&host, &long).await;
    assert_eq!(read.cache_read_tokens, Some(prompt), "{read:?}");
    assert_eq!(read.cache_write_tokens, Some(0), "{read:?}");
    assert!(read.cache_write_details.is_empty(), "{read:?}");

    // Short retention, another system prompt: a new five-minute entry.
    let short = usage_of(&host, &cached_request(1_100, CacheRetention::Short)).await;
    assert_eq!(short.cache_read_tokens, Some(0), "{short:?}");
    assert_eq!(
        short.cache_write_details,
        [CacheTtlUsage {
            ttl: "5m".into(),
            input_tokens: 1_100 + prompt_words(CacheRetention::Short)
        }]
    );

    // Under Claude's 1 024-token minimum nothing is cached: full price.
    let small = usage_of(&host, &cached_request(1_000, CacheRetention::Short)).await;
    assert_eq!(
        small.input_tokens,
        1_000 + prompt_words(CacheRetention::Short),
        "{small:?}"
    );
    assert_eq!(
        (small.cache_read_tokens, small.cache_write_tokens),
        (Some(0), Some(0))
    );
    assert!(small.cache_write_details.is_empty());

    // Without a retention the plugin places no point and nothing is cached.
    let none = usage_of(
        &host,
        &ConverseRequest {
            cache_retention: None,
            ..long.clone()
        },
    )
    .await;
    assert_eq!(none.input_tokens, prompt, "{none:?}");
    assert_eq!(none.cache_read_tokens, None, "{none:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_adaptive_only_model_gets_adaptive_thinking() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let opus = ConverseRequest {
        reasoning: Some(ReasoningLevel::High),
        temperature: None,
        ..request("us.anthropic.claude-opus-4-7", "Hello there")
    };
    let outcome = converse(&host, &config(), &opus).await.unwrap();
    assert_eq!(outcome.error, None);
    assert!(
        outcome
            .events
            .iter()
            .any(|e| matches!(e, StreamEvent::ReasoningSignature(_))),
        "signed thinking streamed: {:?}",
        outcome.events
    );
    assert_eq!(outcome.text(), reply_text(24));
    let sent = last_converse_body(&emulator);
    assert_eq!(
        sent["additionalModelRequestFields"]["thinking"]["type"], "adaptive",
        "{sent}"
    );
}
