//! The exported `gateway:provider/provider` interface, misbehaving.

use bedrock_core::bindings::exports::gateway::provider::provider::{
    EventStream, Guest, GuestEventStream, PluginInfo,
};
use bedrock_core::types::{
    ContentBlock, ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, ProviderConfig,
    ProviderError, StreamEvent, TextDelta,
};
use std::cell::{Cell, RefCell};
use wasi::http::outgoing_handler::{self, OutgoingRequest};
use wasi::http::types::{Fields, Scheme};

struct Hostile;

bedrock_core::bindings::export!(Hostile);

impl Guest for Hostile {
    type EventStream = Report;

    fn info() -> PluginInfo {
        panic!("this build refuses to start")
    }

    fn credential_source(_: ProviderConfig) -> Result<CredentialInfo, ProviderError> {
        Err(ProviderError::NotImplemented(
            "the hostile plugin has no credentials".into(),
        ))
    }

    fn discover(_: ProviderConfig, _: DiscoveryOptions) -> Result<Discovery, ProviderError> {
        Err(ProviderError::NotImplemented(
            "the hostile plugin has no models".into(),
        ))
    }

    fn converse_stream(
        _: ProviderConfig,
        request: ConverseRequest,
    ) -> Result<EventStream, ProviderError> {
        let command = request
            .messages
            .last()
            .and_then(|m| {
                m.content.iter().find_map(|b| {
                    if let ContentBlock::Text(t) = b {
                        Some(t.clone())
                    } else {
                        None
                    }
                })
            })
            .unwrap_or_default();
        let (verb, argument) = command.split_once(' ').unwrap_or((command.as_str(), ""));
        let report = match verb {
            "trap" => panic!("told to trap"),
            "spin" => spin(),
            "spin-later" => {
                return Ok(EventStream::new(Report {
                    text: RefCell::new(None),
                    spin: Cell::new(true),
                }));
            }
            "grow" => grow(),
            "fetch" => fetch(argument),
            "read" => match std::fs::read(argument) {
                Ok(bytes) => format!("read {} bytes", bytes.len()),
                Err(error) => format!("read failed: {:?}", error.kind()),
            },
            "env" => std::env::vars()
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
                .join(","),
            other => {
                return Err(ProviderError::InvalidRequest(format!(
                    "unknown command {other:?}"
                )));
            }
        };
        Ok(EventStream::new(Report {
            text: RefCell::new(Some(report)),
            spin: Cell::new(false),
        }))
    }
}

/// One text delta with the report, then the end.
struct Report {
    text: RefCell<Option<String>>,
    spin: Cell<bool>,
}

impl GuestEventStream for Report {
    fn next(&self) -> Result<Option<Vec<StreamEvent>>, ProviderError> {
        if self.spin.get() {
            spin();
        }
        Ok(self
            .text
            .borrow_mut()
            .take()
            .map(|text| vec![StreamEvent::TextDelta(TextDelta { index: 0, text })]))
    }
}

fn spin() -> ! {
    let mut n = 0u64;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

fn grow() -> String {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        // Touch every page, so the memory is really used.
        hoard.push(vec![1u8; 1 << 20]);
        std::hint::black_box(&hoard);
    }
}

/// A GET of `url` (`http://host[:port]/path` or `https://...`).
fn fetch(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some(("https", rest)) => (Scheme::Https, rest),
        Some((_, rest)) => (Scheme::Http, rest),
        None => return format!("fetch failed: not a URL: {url}"),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let request = OutgoingRequest::new(Fields::new());
    let path = if path.is_empty() { "/" } else { path };
    if request.set_scheme(Some(&scheme)).is_err()
        || request.set_authority(Some(authority)).is_err()
        || request.set_path_with_query(Some(path)).is_err()
    {
        return format!("fetch failed: bad URL {url}");
    }
    let response = match outgoing_handler::handle(request, None) {
        Ok(response) => response,
        Err(error) => return format!("fetch failed: {error:?}"),
    };
    response.subscribe().block();
    match response.get() {
        Some(Ok(Ok(response))) => format!("fetched: status {}", response.status()),
        Some(Ok(Err(error))) => format!("fetch failed: {error:?}"),
        other => format!("fetch failed: {other:?}"),
    }
}
