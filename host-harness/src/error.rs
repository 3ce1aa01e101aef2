//! [`HostError`]: how a call fails on the host's side of the sandbox.
//!
//! A plugin's own failures are `provider-error`s and come back as values. A
//! plugin that misbehaves (traps, spins, grows without bound, hangs) or a host
//! at its limits fails the one call with a `HostError`, inside the
//! `anyhow::Error` the host's methods return, so a gateway can tell "the
//! plugin is broken" from "the host is busy" with `downcast_ref`:
//!
//! ```no_run
//! # async fn f(host: bedrock_host::Host) {
//! use bedrock_host::HostError;
//! if let Err(error) = host.info().await {
//!     match error.downcast_ref::<HostError>() {
//!         Some(HostError::Busy { .. }) => { /* answer 429, retry later */ }
//!         _ => { /* answer 500 */ }
//!     }
//! }
//! # }
//! ```

use std::time::Duration;

/// A call the host stopped or refused. The host itself keeps serving.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The guest trapped (a panic, an `unreachable`, an out-of-bounds access).
    /// `detail` is wasmtime's description of the trap and the guest's stack.
    #[error("the plugin crashed in provider.{function}: {detail}")]
    Trapped {
        function: &'static str,
        detail: String,
    },
    /// The guest ran on the CPU for longer than the budget of one call
    /// (an endless loop, most likely) and was interrupted.
    #[error(
        "the plugin used more than its CPU budget of {budget:?} in provider.{function} and was stopped"
    )]
    CpuBudgetExceeded {
        function: &'static str,
        budget: Duration,
    },
    /// The call took longer than its wall-clock deadline.
    #[error("provider.{function} did not finish within its {deadline:?} deadline and was stopped")]
    DeadlineExceeded {
        function: &'static str,
        deadline: Duration,
    },
    /// The guest tried to grow its memory past the host's limit and failed.
    #[error("the plugin needed more than its memory limit of {limit} bytes in provider.{function}")]
    MemoryLimitExceeded {
        function: &'static str,
        limit: usize,
    },
    /// The guest ran on the CPU for longer than the budget of one store's
    /// whole life: an event stream whose every `next` stays under the budget
    /// of one call, but that never ends.
    #[error(
        "the plugin used more than its CPU budget of {budget:?} for one stream, in provider.{function}, and was stopped"
    )]
    StreamCpuBudgetExceeded {
        function: &'static str,
        budget: Duration,
    },
    /// The guest handed the host more bytes at once than it may: a result
    /// (a batch of events, a model list) or the arguments of one call into
    /// the host, measured as the host's copy (strings, lists, records).
    #[error(
        "the plugin handed the host more than {limit} bytes at once in provider.{function} and was stopped"
    )]
    ResultTooLarge {
        function: &'static str,
        limit: usize,
    },
    /// The guest held more host resources (HTTP fields, requests, streams,
    /// pollables...) at once than a call may.
    #[error(
        "the plugin held more than {limit} host resources at once in provider.{function} and was stopped"
    )]
    TooManyResources {
        function: &'static str,
        limit: usize,
    },
    /// The guest put more bytes into one set of HTTP headers (`wasi:http`
    /// `fields`) than the host allows.
    #[error(
        "the plugin put more than {limit} bytes into one set of HTTP headers in provider.{function} and was stopped"
    )]
    HeadersTooLarge {
        function: &'static str,
        limit: usize,
    },
    /// The guest had more outbound HTTP requests open at once than a call may;
    /// the one beyond the cap was refused.
    #[error(
        "the plugin opened more than {limit} outbound requests at once in provider.{function}; the call was stopped"
    )]
    TooManyRequestsInFlight {
        function: &'static str,
        limit: usize,
    },
    /// The guest sent more outbound HTTP requests than one call may.
    #[error(
        "the plugin sent more than {limit} outbound requests in provider.{function}; the call was stopped"
    )]
    TooManyRequests {
        function: &'static str,
        limit: usize,
    },
    /// The component would create more core instances, memories or tables
    /// than one call may have (each call's share of the instance pool), and
    /// was refused when loaded.
    #[error(
        "the component needs {count} {resource} per instance; the host allows {limit}, and refused it"
    )]
    ComponentTooLarge {
        resource: &'static str,
        count: usize,
        limit: usize,
    },
    /// As many calls as the host allows are running; try again shortly.
    #[error("the host is busy: {limit} calls are in flight, its limit; try again shortly")]
    Busy { limit: usize },
    /// Another event stream sharing this stream's instance (same host, same
    /// configuration, same build) made the instance fail: they share its
    /// memory, so none of them can go on. `cause` is that stream's error.
    #[error("the event stream's instance was stopped by another of its streams: {cause}")]
    InstanceFailed { cause: Box<HostError> },
    /// The event stream cannot be used any more (an earlier call on it failed
    /// or was cancelled mid-way).
    #[error("the event stream {reason} and cannot be resumed")]
    StreamUnusable { reason: &'static str },
}
