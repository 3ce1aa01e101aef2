//! Event-stream decode throughput, natively and inside the sandbox, over the
//! same bytes: a ConverseStream body captured from the emulator.
//!
//! Inside the sandbox, the bench-only component `test-guests/decode-bench`
//! gets the body as a document block and decodes it K times with the same
//! loop as [`decode_all`], timed with the guest's monotonic clock; so the
//! figure is the decoder's own speed as wasm, not the host's call overhead.

use crate::native;
use crate::wasm;
use bedrock_core::converse::ConverseStreamDecoder;
use bedrock_host::types::{ContentBlock, DocumentBlock, DocumentFormat, StreamEvent};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

/// The guest reads the body in chunks of this size (guest/src/http.rs).
pub const CHUNK: usize = 64 * 1024;

/// Feeds `body` through a fresh decoder in `CHUNK`-sized pieces; the number
/// of events. The decode-bench guest runs the same loop.
pub fn decode_all(body: &[u8]) -> usize {
    let mut decoder = ConverseStreamDecoder::new();
    let mut events = Vec::new();
    let mut count = 0;
    for chunk in body.chunks(CHUNK) {
        decoder
            .feed(chunk, &mut events)
            .expect("the captured body decodes");
        count += events.len();
        events.clear();
    }
    decoder.finish().expect("the captured body is whole");
    count
}

/// The raw body of a `words`-word reply from the emulator at `endpoint`.
pub async fn capture(endpoint: &str, words: usize) -> anyhow::Result<Vec<u8>> {
    let native = native::Native::new(endpoint)?;
    let signed = native
        .prepare(crate::drive::prompt(words, 0))
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let response = native.send(signed).await?;
    anyhow::ensure!(
        response.status().is_success(),
        "capture: HTTP {}",
        response.status()
    );
    Ok(response.into_body().collect().await?.to_bytes().to_vec())
}

/// Decodes `body` `iterations` times natively.
pub fn native(body: &[u8], iterations: usize) -> Value {
    let start = Instant::now();
    let events: usize = (0..iterations)
        .map(|_| decode_all(std::hint::black_box(body)))
        .sum();
    report(
        body.len(),
        iterations,
        events,
        start.elapsed().as_nanos() as u64,
    )
}

/// Decodes `body` `iterations` times inside the decode-bench component.
pub async fn guest(component: &Path, body: Vec<u8>, iterations: usize) -> anyhow::Result<Value> {
    let host = wasm::host(component, "http://127.0.0.1:9", None, 1)?;
    let bytes = body.len();
    let request = wasm::request(vec![
        ContentBlock::Text(iterations.to_string()),
        ContentBlock::Document(DocumentBlock {
            format: DocumentFormat::Txt,
            name: "frames".into(),
            data: body,
        }),
    ]);
    let mut stream = match host.converse_stream(&wasm::config(), &request).await? {
        Ok(stream) => stream,
        Err(error) => anyhow::bail!("decode-bench guest: {error:?}"),
    };
    let batch = match stream.next().await? {
        Ok(Some(batch)) => batch,
        other => anyhow::bail!("decode-bench guest: {other:?}"),
    };
    let Some(StreamEvent::TextDelta(delta)) = batch.first() else {
        anyhow::bail!("decode-bench guest: no report in {batch:?}");
    };
    // "EVENTS NANOS", see test-guests/decode-bench.
    let mut fields = delta.text.split_whitespace().map(str::parse::<u64>);
    let (Some(Ok(events)), Some(Ok(nanos))) = (fields.next(), fields.next()) else {
        anyhow::bail!("decode-bench guest: unexpected report {:?}", delta.text);
    };
    Ok(report(bytes, iterations, events as usize, nanos))
}

fn report(bytes: usize, iterations: usize, events: usize, nanos: u64) -> Value {
    let seconds = nanos as f64 / 1e9;
    json!({
        "body_bytes": bytes,
        "iterations": iterations,
        "events": events,
        "seconds": seconds,
        "mb_per_s": (bytes * iterations) as f64 / 1e6 / seconds,
        "events_per_s": events as f64 / seconds,
    })
}
