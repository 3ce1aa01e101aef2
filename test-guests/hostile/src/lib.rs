//! A plugin that does what a plugin must not: the host's isolation tests load
//! it in place of the real one and check that every misdeed fails alone.
//!
//! `converse-stream` takes a command from the text of the last message and
//! reports what happened as a single text delta, so a test sees exactly what
//! the sandbox let through:
//!
//! - `trap`: panics (a trap).
//! - `spin` / `spin-later`: loops forever now / in the first `next`.
//! - `stall`: a stream whose pollable is never ready and whose `next` has
//!   nothing: it waits forever.
//! - `grow`: allocates until memory runs out.
//! - `fetch URL`: a GET over `wasi:http`; reports the status or the error.
//! - `read PATH`: reads a file; reports its length or the error.
//! - `env`: reports the names of the variables it sees.
//! - `alias MIB COUNT`: one batch of COUNT text deltas whose strings all
//!   share one buffer of MIB MiB (result amplification).
//! - `events COUNT`: one batch of COUNT one-letter text deltas.
//! - `fields-flood KIB`: creates `wasi:http` header sets without end, each
//!   with one value of KIB KiB.
//! - `request-flood URL COUNT`: COUNT GETs of URL, none awaited; reports how
//!   many were refused.
//! - `fetch-many URL COUNT`: COUNT GETs of URL, one after the other.
//! - `busy-each MS`: a stream that never ends, each `next` busy for MS ms.
//! - `plant SECRET` / `scan SECRET`: leaves copies of SECRET in memory it
//!   never frees / searches the instance's whole memory for them.
//! - `spin-on-drop`: a report whose destructor loops forever.
//!
//! `discover` with `provider-filter: ["alias MIB COUNT"]` answers with
//! aliased warnings the same way.
//!
//! `info` panics, so a reload to this build is refused at its trial call.
//! Built for `wasm32-wasip2`; on other targets the crate is empty.

#[cfg(target_arch = "wasm32")]
mod component;
