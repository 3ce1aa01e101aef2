//! Host bindings generated from `wit/provider.wit` (world `plugin`).
//!
//! The world's own import, `wasi:keyvalue/store`, is implemented in
//! `keyvalue.rs`; `wasi:io/poll` (whose pollables `event-stream.subscribe`
//! returns) is wasmtime-wasi's; the standard WASI imports the component also needs are
//! provided by `wasmtime-wasi` and `wasmtime-wasi-http` in the linker (see
//! `loader.rs`).
//!
//! The store's functions are synchronous (a map lookup under a lock) and
//! `trappable`: their errors go through [`crate::keyvalue::Error`], so that a
//! host-side fault (a bad resource handle) traps instead of reading as a
//! store error the guest would shrug off.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: { default: trappable },
    exports: { default: async },
    with: {
        "wasi:keyvalue/store.bucket": crate::keyvalue::Bucket,
        // `event-stream.subscribe` hands out wasmtime-wasi's own pollables,
        // which the host awaits outside the guest (`host.rs`).
        "wasi:io/poll": wasmtime_wasi::p2::bindings::io::poll,
    },
    trappable_error_type: {
        "wasi:keyvalue/store.error" => crate::keyvalue::Error,
    },
    additional_derives: [PartialEq],
});

// The records callers build most often, with every option unset: the WIT
// generator derives no `Default`, and a literal with a dozen `None`s hides the
// one field a caller meant to set.
use exports::gateway::provider::types::{ConverseRequest, DiscoveryOptions, ProviderConfig};

#[allow(
    clippy::derivable_impls,
    reason = "a generated type: bindgen cannot derive it"
)]
impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            region: None,
            base_url: None,
            max_attempts: None,
            connect_timeout_ms: None,
            first_byte_timeout_ms: None,
            between_bytes_timeout_ms: None,
        }
    }
}

#[allow(
    clippy::derivable_impls,
    reason = "a generated type: bindgen cannot derive it"
)]
impl Default for DiscoveryOptions {
    fn default() -> Self {
        Self {
            enabled: None,
            region: None,
            provider_filter: Vec::new(),
            refresh_interval: None,
            default_context_window: None,
            default_max_tokens: None,
        }
    }
}

/// An empty request: set `model_id` and `messages`, the rest is optional.
impl Default for ConverseRequest {
    fn default() -> Self {
        Self {
            model_id: String::new(),
            system: None,
            messages: Vec::new(),
            tools: Vec::new(),
            tool_choice: None,
            max_tokens: None,
            temperature: None,
            top_p: None,
            stop_sequences: Vec::new(),
            reasoning: None,
            cache_retention: None,
            bedrock: None,
        }
    }
}
