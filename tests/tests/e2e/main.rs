//! End-to-end: the built component in the host harness against the emulator.
//!
//! One test binary, so wasmtime is linked once; compiled components come
//! from the host's code cache after the first test compiles them.

mod anthropic_serve;
mod application_profiles;
mod cli;
mod concurrency;
mod converse_stream;
mod credentials;
mod discovery;
mod exposure;
mod guest_error_text;
mod host_limits;
mod hot_swap;
mod isolation;
mod jco;
mod node_clients;
mod openai_serve;
mod openai_thinking;
mod openclaw;
mod pooling;
mod prompt_cache;
mod real_clients;
mod regional_base_url;
mod retries;
mod sandbox;
mod serve_hostile;
mod shared_instances;
mod thinking;
mod tls;
mod waiting;
