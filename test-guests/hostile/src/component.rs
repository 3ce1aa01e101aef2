//! The exported `gateway:provider/provider` interface, misbehaving.

use bedrock_core::bindings::exports::gateway::provider::provider::{
    EventStream, Guest, GuestEventStream, PluginInfo,
};
use bedrock_core::bindings::wasi::io::poll::Pollable;
use bedrock_core::types::{
    ContentBlock, ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, DiscoveryStatus,
    ProviderConfig, ProviderError, StreamEvent, TextDelta,
};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};
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

    /// `provider-filter: ["alias MIB COUNT"]` answers with COUNT warnings
    /// that all share one buffer of MIB MiB; anything else has no models.
    fn discover(_: ProviderConfig, options: DiscoveryOptions) -> Result<Discovery, ProviderError> {
        let command = options.provider_filter.first().map(String::as_str);
        let Some(("alias", argument)) = command.and_then(|c| c.split_once(' ')) else {
            return Err(ProviderError::NotImplemented(
                "the hostile plugin has no models".into(),
            ));
        };
        let (mib, count) = two_numbers(argument);
        Ok(Discovery {
            status: DiscoveryStatus::Disabled,
            models: Vec::new(),
            warnings: aliases(mib << 20, count),
            refresh_error: None,
            fetched_at: 0,
        })
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
        let mut mode = Mode::Plain;
        let report = match verb {
            "trap" => panic!("told to trap"),
            "spin" => spin(),
            "spin-later" => {
                let batch = vec![text("spinning next".into())];
                return Ok(Report::stream(Some(batch), Mode::SpinInNext));
            }
            "stall" => return Ok(Report::stream(None, Mode::Stall)),
            "busy-each" => {
                let ms = argument.parse().unwrap_or(100);
                return Ok(Report::stream(None, Mode::BusyInEveryNext(ms)));
            }
            "spin-on-drop" => {
                mode = Mode::SpinOnDrop;
                "dropping".to_string()
            }
            "alias" => {
                let (mib, count) = two_numbers(argument);
                let batch = aliases(mib << 20, count).into_iter().map(text).collect();
                return Ok(Report::stream(Some(batch), mode));
            }
            "events" => {
                let count = argument.parse().unwrap_or(0);
                let batch = (0..count).map(|_| text("x".into())).collect();
                return Ok(Report::stream(Some(batch), mode));
            }
            "fields-flood" => fields_flood(argument.parse().unwrap_or(60)),
            "request-flood" => {
                let (url, count) = argument.split_once(' ').unwrap_or((argument, "1"));
                request_flood(url, count.parse().unwrap_or(1))
            }
            "fetch-many" => {
                let (url, count) = argument.split_once(' ').unwrap_or((argument, "1"));
                let count: usize = count.parse().unwrap_or(1);
                let fetched = (0..count)
                    .filter(|_| fetch(url).starts_with("fetched"))
                    .count();
                format!("fetched {fetched} of {count}")
            }
            "grow" => grow(),
            // The streams this instance has started: 1 on a fresh one.
            "count" => {
                static STARTED: AtomicU32 = AtomicU32::new(0);
                (STARTED.fetch_add(1, Ordering::Relaxed) + 1).to_string()
            }
            "plant" => plant(argument),
            "scan" => scan(argument),
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
        Ok(Report::stream(Some(vec![text(report)]), mode))
    }
}

/// One batch (a text delta with the report, usually), then the end.
struct Report {
    batch: RefCell<Option<Vec<StreamEvent>>>,
    mode: Mode,
}

/// How a stream misbehaves after it started.
#[derive(Clone, Copy)]
enum Mode {
    Plain,
    /// The `next` after the first batch loops forever: in the middle of
    /// a stream, after the host handed out its first events.
    SpinInNext,
    /// Every `next` keeps the CPU busy this many milliseconds, then returns
    /// one event: each call stays under a call's CPU budget, the stream
    /// never ends.
    BusyInEveryNext(u64),
    /// The destructor loops forever.
    SpinOnDrop,
    /// `subscribe` hands out a pollable that is never ready, `next` has
    /// nothing: a stream that waits forever.
    Stall,
}

impl Report {
    fn stream(batch: Option<Vec<StreamEvent>>, mode: Mode) -> EventStream {
        EventStream::new(Report {
            batch: RefCell::new(batch),
            mode,
        })
    }
}

impl GuestEventStream for Report {
    fn subscribe(&self) -> Vec<Pollable> {
        let wait = match self.mode {
            Mode::Stall => u64::MAX,
            _ => 0,
        };
        let pollable = wasi::clocks::monotonic_clock::subscribe_duration(wait);
        // SAFETY: the handle is an owned `wasi:io/poll@0.2.12` pollable,
        // taken from its first owner and given to one owner of the same
        // resource type (the contract's binding of that import).
        vec![unsafe { Pollable::from_handle(pollable.take_handle()) }]
    }

    fn next(&self) -> Result<Option<Vec<StreamEvent>>, ProviderError> {
        match self.mode {
            Mode::SpinInNext if self.batch.borrow().is_none() => spin(),
            Mode::BusyInEveryNext(ms) => {
                busy(ms);
                return Ok(Some(vec![text("busy".into())]));
            }
            Mode::Stall => return Ok(Some(Vec::new())),
            Mode::Plain | Mode::SpinOnDrop | Mode::SpinInNext => {}
        }
        Ok(self.batch.borrow_mut().take())
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        if let Mode::SpinOnDrop = self.mode {
            spin();
        }
    }
}

fn text(text: String) -> StreamEvent {
    StreamEvent::TextDelta(TextDelta { index: 0, text })
}

/// `"A B"` as two numbers (0 where unreadable).
fn two_numbers(argument: &str) -> (usize, usize) {
    let mut numbers = argument.split(' ').map(|n| n.parse().unwrap_or(0));
    (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0))
}

/// `count` strings that all share one buffer of `bytes` bytes: the guest
/// pays for it once, a host that copied each would pay `count` times.
///
/// Deliberately unsound: the strings alias. The host refuses to lift them
/// and never lets the instance run again (the post-return function that
/// would free the buffer `count` times is never called).
fn aliases(bytes: usize, count: usize) -> Vec<String> {
    let shared: &'static mut str = "a".repeat(bytes).leak();
    let (pointer, length) = (shared.as_mut_ptr(), shared.len());
    (0..count)
        // SAFETY: none; see above.
        .map(|_| unsafe { String::from_raw_parts(pointer, length, length) })
        .collect()
}

/// Bytes `plant` leaves in the heap: many pages, as a real call dirties.
const PLANTED_BYTES: usize = 128 * 1024;

/// What `plant` stores is the secret with each byte XORed with this, so that
/// `scan`, given the plain secret, finds only what `plant` left behind and
/// never the command text it came in.
const MASK: u8 = 0x5a;

/// Leaves copies of `secret` (masked) in memory that is never freed.
fn plant(secret: &str) -> String {
    let masked: Vec<u8> = secret.bytes().map(|b| b ^ MASK).collect();
    let mut planted = Vec::with_capacity(PLANTED_BYTES);
    while planted.len() + masked.len() <= PLANTED_BYTES {
        planted.extend_from_slice(&masked);
    }
    let report = format!("planted {} bytes", planted.len());
    std::mem::forget(planted);
    report
}

/// Looks for what `plant` left, anywhere in this instance's linear memory:
/// what a plugin would do to read what the instance before it held.
fn scan(secret: &str) -> String {
    let needle = secret.as_bytes();
    let end = core::arch::wasm32::memory_size::<0>() * 65536;
    // Address 0 is skipped: a null pointer may not be read, even in wasm.
    for address in 1..end.saturating_sub(needle.len()) {
        // The masked needle is compared byte by byte, never built, so that
        // the scan does not find its own copy.
        let matches = needle.iter().enumerate().all(|(i, &byte)| {
            // SAFETY: every address below the memory's size is readable.
            let found = unsafe { std::ptr::read_volatile((address + i) as *const u8) };
            found ^ MASK == byte
        });
        if matches {
            return format!("found at {address}");
        }
    }
    "clean".into()
}

/// Keeps the CPU busy for `ms` milliseconds of wall-clock time.
fn busy(ms: u64) {
    let start = wasi::clocks::monotonic_clock::now();
    while wasi::clocks::monotonic_clock::now() - start < ms * 1_000_000 {
        std::hint::black_box(start);
    }
}

/// Header sets without end, each with one value of `kib` KiB: the host's
/// memory, not the guest's, is what this spends.
fn fields_flood(kib: usize) -> ! {
    let value = vec![b'a'; kib * 1024];
    loop {
        let fields = Fields::new();
        let _ = fields.append("x-flood", &value);
        std::mem::forget(fields);
    }
}

/// `count` requests to `url`, none awaited; reports how many the host took.
fn request_flood(url: &str, count: usize) -> String {
    let mut refused = 0;
    let mut first_error = None;
    for _ in 0..count {
        let Some(request) = get_request(url) else {
            return format!("request-flood failed: bad URL {url}");
        };
        match outgoing_handler::handle(request, None) {
            // Keep every request open.
            Ok(response) => std::mem::forget(response),
            Err(error) => {
                refused += 1;
                first_error.get_or_insert(format!("{error:?}"));
            }
        }
    }
    format!("sent {count}, refused {refused} ({first_error:?})")
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

/// A GET request for `url` (`http://host[:port]/path` or `https://...`).
fn get_request(url: &str) -> Option<OutgoingRequest> {
    let (scheme, rest) = match url.split_once("://")? {
        ("https", rest) => (Scheme::Https, rest),
        (_, rest) => (Scheme::Http, rest),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let request = OutgoingRequest::new(Fields::new());
    let path = if path.is_empty() { "/" } else { path };
    let set = request.set_scheme(Some(&scheme)).is_ok()
        && request.set_authority(Some(authority)).is_ok()
        && request.set_path_with_query(Some(path)).is_ok();
    set.then_some(request)
}

/// A GET of `url`; reports the status or the error.
fn fetch(url: &str) -> String {
    let Some(request) = get_request(url) else {
        return format!("fetch failed: bad URL {url}");
    };
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
