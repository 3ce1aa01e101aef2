//! A plugin that measures instead of calling Bedrock: `converse-stream` takes
//! a captured ConverseStream body as the bytes of a document block and the
//! number of passes K as the text block, decodes the body K times with
//! bedrock-core's decoder (in 64 KiB chunks, as the real guest reads them),
//! and answers with one text delta, "EVENTS NANOS", timed with the monotonic
//! clock. `bedrock-bench decode` compares that with the same loop natively.
//! Built for `wasm32-wasip2`; on other targets the crate is empty.

#[cfg(target_arch = "wasm32")]
mod component;
