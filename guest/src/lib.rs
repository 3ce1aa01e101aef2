//! The Bedrock provider plugin as a WASI 0.2 component.
//!
//! This crate is glue only: it reads the environment the host granted, sends
//! the requests `bedrock-core` prepares over `wasi:http/outgoing-handler`, and
//! feeds the response body back into `bedrock-core` chunk by chunk. Every
//! rule lives in the core, where it is tested natively. Built for
//! `wasm32-wasip2`; on other targets the crate is empty.

#[cfg(target_arch = "wasm32")]
mod cache;
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod credentials;
#[cfg(target_arch = "wasm32")]
mod http;
