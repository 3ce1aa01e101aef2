//! The exported `gateway:provider/provider` interface, as a stopwatch.

use bedrock_core::bindings::exports::gateway::provider::provider::{
    EventStream, Guest, GuestEventStream, PluginInfo,
};
use bedrock_core::bindings::wasi::io::poll::Pollable;
use bedrock_core::converse::ConverseStreamDecoder;
use bedrock_core::types::{
    ContentBlock, ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, ProviderConfig,
    ProviderError, StreamEvent, TextDelta,
};
use std::cell::RefCell;
use std::time::Instant;

/// The real guest's read size (guest/src/http.rs).
const CHUNK: usize = 64 * 1024;

struct DecodeBench;

bedrock_core::bindings::export!(DecodeBench);

impl Guest for DecodeBench {
    type EventStream = Report;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "decode-bench".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    fn credential_source(_: ProviderConfig) -> Result<CredentialInfo, ProviderError> {
        Err(ProviderError::NotImplemented(
            "decode-bench has no credentials".into(),
        ))
    }

    fn discover(_: ProviderConfig, _: DiscoveryOptions) -> Result<Discovery, ProviderError> {
        Err(ProviderError::NotImplemented(
            "decode-bench has no models".into(),
        ))
    }

    fn converse_stream(
        _: ProviderConfig,
        request: ConverseRequest,
    ) -> Result<EventStream, ProviderError> {
        let content = request.messages.into_iter().flat_map(|m| m.content);
        let (mut passes, mut body) = (None, None);
        for block in content {
            match block {
                ContentBlock::Text(text) => passes = text.trim().parse::<u32>().ok(),
                ContentBlock::Document(document) => body = Some(document.data),
                _ => {}
            }
        }
        let (Some(passes), Some(body)) = (passes, body) else {
            return Err(ProviderError::InvalidRequest(
                "want a pass count and a document".into(),
            ));
        };
        let start = Instant::now();
        let mut events = 0;
        for _ in 0..passes {
            events += decode_all(std::hint::black_box(&body))?;
        }
        let text = format!("{events} {}", start.elapsed().as_nanos());
        Ok(EventStream::new(Report(RefCell::new(Some(text)))))
    }
}

/// The same loop as `bedrock-bench`'s `decode::decode_all`.
fn decode_all(body: &[u8]) -> Result<usize, ProviderError> {
    let mut decoder = ConverseStreamDecoder::new();
    let mut events = Vec::new();
    let mut count = 0;
    for chunk in body.chunks(CHUNK) {
        decoder.feed(chunk, &mut events)?;
        count += events.len();
        events.clear();
    }
    decoder.finish()?;
    Ok(count)
}

/// One text delta with the measurement, then the end.
struct Report(RefCell<Option<String>>);

impl GuestEventStream for Report {
    /// Ready at once: the measurement is already there.
    fn subscribe(&self) -> Vec<Pollable> {
        let ready = wasi::clocks::monotonic_clock::subscribe_duration(0);
        // SAFETY: the handle is an owned `wasi:io/poll@0.2.12` pollable,
        // taken from its first owner and given to one owner of the same
        // resource type (the contract's binding of that import).
        vec![unsafe { Pollable::from_handle(ready.take_handle()) }]
    }

    fn next(&self) -> Result<Option<Vec<StreamEvent>>, ProviderError> {
        Ok(self
            .0
            .borrow_mut()
            .take()
            .map(|text| vec![StreamEvent::TextDelta(TextDelta { index: 0, text })]))
    }
}
