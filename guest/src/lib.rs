//! The Bedrock provider plugin as a WASI 0.2 component.
//!
//! This crate is glue only: `platform` implements `bedrock-core`'s
//! `Platform` over WASI (`wasi:http`, files, `wasi:keyvalue`, clocks,
//! random), and each export is one core operation over it. Every rule lives
//! in the core, where it is tested natively against a scripted platform. Built for
//! `wasm32-wasip2`; on other targets the crate is empty.

#[cfg(target_arch = "wasm32")]
mod cache;
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod platform;
#[cfg(target_arch = "wasm32")]
mod upload;
