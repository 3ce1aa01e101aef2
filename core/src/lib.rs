//! The Bedrock provider plugin's logic, free of I/O.
//!
//! Everything here compiles natively and is unit-tested natively; the
//! component crate (`guest/`) only moves bytes between these functions and
//! WASI (`wasi:http`, environment, clocks). The layout follows the request's
//! life:
//!
//! * [`env`]: the environment the host granted, with AWS's "blank is unset" rule;
//! * [`region`] and [`endpoint`]: where a call goes;
//! * [`credentials`]: which credentials are in force, never leaking the secret;
//! * [`profile`]: the shared `config` / `credentials` files, read as the SDKs read them;
//! * [`signing`]: SigV4 (through `aws-sigv4`) or a Bedrock API key;
//! * [`converse`]: the Converse request body and the ConverseStream events;
//! * [`application_profile`]: the base model of an application inference
//!   profile, whose capabilities the Converse mapping then applies;
//! * [`control_plane`]: one signed, retried `GET` on the `bedrock` control plane;
//! * [`discovery`]: ListFoundationModels / ListInferenceProfiles as the
//!   gateway's model list, and the rules of its cache;
//! * [`time`]: the dates AWS writes (RFC 3339);
//! * [`timeouts`]: how long each phase of a request may take;
//! * [`eventstream`]: incremental, bounded `application/vnd.amazon.eventstream` framing;
//! * [`error`]: the core's typed [`Error`](error::Error), HTTP error answers and
//!   in-stream exceptions, and the one conversion to the contract's error;
//! * [`platform`]: the I/O an operation needs, as one trait the component
//!   implements over WASI;
//! * [`retry`]: the one loop that sends a request again, with its rules
//!   (backoff, clock-skew and expired-credential corrections).
//!
//! The contract's types come from `wit/provider.wit` through `wit-bindgen`
//! ([`bindings`]), so the core speaks the contract's own vocabulary and the
//! component exports them unchanged.

pub mod bindings {
    //! Types and export glue generated from `wit/provider.wit`.
    wit_bindgen::generate!({
        path: "../wit",
        world: "plugin",
        pub_export_macro: true,
        generate_all,
        additional_derives: [PartialEq],
        default_bindings_module: "bedrock_core::bindings",
    });
}

/// The contract's records and variants (`gateway:provider/types`).
pub use bindings::exports::gateway::provider::types;

pub mod application_profile;
pub mod control_plane;
pub mod converse;
pub mod credentials;
mod defaults;
pub mod discovery;
pub mod endpoint;
pub mod env;
pub mod error;
pub mod eventstream;
pub mod platform;
pub mod profile;
pub mod region;
pub mod retry;
pub mod signing;
pub mod time;
pub mod timeouts;
