//! The exported `gateway:provider/provider` interface: each export is one
//! core operation over [`Wasi`], and the one place a core error becomes the
//! contract's `provider-error`.

use crate::platform::Wasi;
use bedrock_core::bindings::exports::gateway::provider::provider::{
    EventStream, Guest, GuestEventStream, PluginInfo,
};
use bedrock_core::bindings::wasi::io::poll::Pollable;
use bedrock_core::converse::{self, ConverseStream, Wait};
use bedrock_core::env::Environment;
use bedrock_core::types::{
    ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, ProviderConfig, ProviderError,
    StreamEvent,
};
use bedrock_core::{credentials, discovery};
use std::cell::RefCell;
use std::time::SystemTime;
use wasi::clocks::monotonic_clock;

struct Plugin;

bedrock_core::bindings::export!(Plugin);

/// Lets two builds of the same source be told apart (hot-swap tests set it).
const VERSION: &str = match option_env!("BEDROCK_PLUGIN_VERSION") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

/// The variables the host chose to pass; read per call, as the host may
/// reuse an instance across calls.
fn environment() -> Environment {
    Environment::from_vars(std::env::vars())
}

impl Guest for Plugin {
    type EventStream = ReplyStream;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "bedrock".to_string(),
            version: VERSION.to_string(),
        }
    }

    fn credential_source(config: ProviderConfig) -> Result<CredentialInfo, ProviderError> {
        let env = environment();
        let region = config.region.as_deref();
        let resolved = credentials::in_force(&mut Wasi::new(), &env, region, false)?;
        Ok(resolved.info(resolved.call_region(&config, &env)?))
    }

    fn discover(
        config: ProviderConfig,
        options: DiscoveryOptions,
    ) -> Result<Discovery, ProviderError> {
        Ok(discovery::discover(
            &mut Wasi::new(),
            &environment(),
            &config,
            &options,
        )?)
    }

    fn converse_stream(
        config: ProviderConfig,
        request: ConverseRequest,
    ) -> Result<EventStream, ProviderError> {
        // Sends the first attempt and returns: its answer, the retries and
        // the events come through `event-stream.next`.
        let mut platform = Wasi::new();
        let call = converse::start_stream(&mut platform, environment(), config, request)?;
        Ok(EventStream::new(ReplyStream(RefCell::new((
            platform, call,
        )))))
    }
}

/// The `event-stream` resource: the call from its first attempt on.
/// Dropping it drops the request or the body stream, and with it the
/// connection. It never waits: the host does, on `subscribe`.
pub struct ReplyStream(RefCell<(Wasi, ConverseStream<Wasi>)>);

impl GuestEventStream for ReplyStream {
    fn subscribe(&self) -> Vec<Pollable> {
        let pollables: Vec<_> = match self.0.borrow().1.waiting_on() {
            Wait::Response(in_flight) => in_flight.subscribe().into(),
            Wait::Body(body) => body.subscribe().into(),
            Wait::Until(until) => {
                let left = until.duration_since(SystemTime::now()).unwrap_or_default();
                let nanos = left.as_nanos().min(u64::MAX as u128) as u64;
                vec![monotonic_clock::subscribe_duration(nanos)]
            }
            // `next` makes progress at once.
            Wait::Nothing => vec![monotonic_clock::subscribe_duration(0)],
        };
        pollables.into_iter().map(contract_pollable).collect()
    }

    fn next(&self) -> Result<Option<Vec<StreamEvent>>, ProviderError> {
        let (platform, call) = &mut *self.0.borrow_mut();
        Ok(call.try_next(platform)?)
    }
}

/// The `wasi` crate's pollable as the contract's: two bindings of the same
/// import (`wasi:io/poll@0.2.12`), so the handle moves over unchanged.
fn contract_pollable(pollable: wasi::io::poll::Pollable) -> Pollable {
    // SAFETY: the handle is an owned `pollable` of this instance, taken out
    // of its first owner (which no longer drops it) and given to exactly one
    // new owner of the same resource type.
    unsafe { Pollable::from_handle(pollable.take_handle()) }
}
