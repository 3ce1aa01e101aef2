//! The exported `gateway:provider/provider` interface: each export is one
//! core operation over [`Wasi`], and the one place a core error becomes the
//! contract's `provider-error`.

use crate::http;
use crate::platform::Wasi;
use bedrock_core::bindings::exports::gateway::provider::provider::{
    EventStream, Guest, GuestEventStream, PluginInfo,
};
use bedrock_core::bindings::wasi::io::poll::Pollable;
use bedrock_core::converse::{self, stream::EventPump};
use bedrock_core::env::Environment;
use bedrock_core::types::{
    ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, ProviderConfig, ProviderError,
    StreamEvent,
};
use bedrock_core::{credentials, discovery};
use std::cell::RefCell;
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
        let pump = converse::start_stream(&mut Wasi::new(), &environment(), &config, &request)?;
        Ok(EventStream::new(ReplyStream(RefCell::new(pump))))
    }
}

/// The `event-stream` resource: dropping it drops the body stream, and with
/// it the connection. It never waits: the host does, on `subscribe`.
pub struct ReplyStream(RefCell<EventPump<http::Body>>);

impl GuestEventStream for ReplyStream {
    fn subscribe(&self) -> Vec<Pollable> {
        match self.0.borrow().waiting_on() {
            Some(body) => body
                .subscribe()
                .into_iter()
                .map(contract_pollable)
                .collect(),
            // `next` makes progress at once.
            None => vec![contract_pollable(monotonic_clock::subscribe_duration(0))],
        }
    }

    fn next(&self) -> Result<Option<Vec<StreamEvent>>, ProviderError> {
        Ok(self.0.borrow_mut().try_next()?)
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
