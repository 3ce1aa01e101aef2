//! The exported `gateway:provider/provider` interface.

use crate::http;
use bedrock_core::bindings::exports::gateway::provider::provider::{
    EventStream, Guest, GuestEventStream, PluginInfo,
};
use bedrock_core::converse::{self, stream::EventPump};
use bedrock_core::env::Environment;
use bedrock_core::timeouts::Timeouts;
use bedrock_core::types::{
    ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, ProviderConfig, ProviderError,
    StreamEvent,
};
use bedrock_core::{credentials, region};
use std::cell::RefCell;
use std::time::SystemTime;

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
        PluginInfo { name: "bedrock".to_string(), version: VERSION.to_string() }
    }

    fn credential_source(config: ProviderConfig) -> Result<CredentialInfo, ProviderError> {
        let env = environment();
        let resolved = credentials::resolve(&env)?;
        let region = region::resolve(config.region.as_deref(), &env);
        region::validate(&region)?;
        Ok(resolved.info(region))
    }

    fn discover(_config: ProviderConfig, _options: DiscoveryOptions) -> Result<Discovery, ProviderError> {
        Err(ProviderError::NotImplemented(
            "model discovery (ListFoundationModels / ListInferenceProfiles) is not in this build yet"
                .to_string(),
        ))
    }

    fn converse_stream(config: ProviderConfig, request: ConverseRequest) -> Result<EventStream, ProviderError> {
        let signed = converse::prepare(&config, &request, &environment(), SystemTime::now())?;
        let response = http::send(&signed, Timeouts::from_config(&config))?;
        if response.status >= 300 {
            return Err(response.into_error());
        }
        Ok(EventStream::new(ReplyStream(RefCell::new(EventPump::new(response.body)))))
    }
}

/// The `event-stream` resource: dropping it drops the body stream, and with
/// it the connection.
pub struct ReplyStream(RefCell<EventPump<http::Body>>);

impl GuestEventStream for ReplyStream {
    fn next(&self) -> Result<Option<Vec<StreamEvent>>, ProviderError> {
        self.0.borrow_mut().next()
    }
}
