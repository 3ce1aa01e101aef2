//! Running the credential chain with WASI: files through the preopened
//! directories, requests through `wasi:http`, temporary credentials kept in
//! the host's cache until shortly before they expire.

use crate::cache::Cache;
use crate::http;
use bedrock_core::credentials::io::{MAX_FILE_BYTES, MAX_RESPONSE_BYTES};
use bedrock_core::credentials::{self, Chain, ChainOptions, HttpAnswer, Resolved, cache};
use bedrock_core::env::Environment;
use bedrock_core::types::ProviderError;
use std::io::Read as _;
use std::time::SystemTime;

/// The credentials in force for a call whose explicit region is `region`.
///
/// Temporary credentials come from the host's cache while they are good for
/// more than [`credentials::REFRESH_MARGIN`]; `fresh` skips the cache (after
/// the service said the cached ones expired).
pub fn in_force(
    env: &Environment,
    region: Option<&str>,
    fresh: bool,
) -> Result<Resolved, ProviderError> {
    let now = SystemTime::now();
    let options = ChainOptions {
        region: region.map(str::to_string),
        ..ChainOptions::at(now)
    };
    let store = Cache::open();
    let key = cache::cache_key(env, &options);
    if !fresh {
        let cached = store
            .as_ref()
            .and_then(|s| s.get(&key))
            .and_then(|b| cache::decode(&b));
        if let Some(cached) = cached.filter(|c| !credentials::needs_refresh(c.expires_at(), now)) {
            return Ok(cached);
        }
    }
    let resolved = Chain::new(env, options).drive(read_file, send)?;
    if let (Some(store), Some(bytes)) = (&store, cache::encode(&resolved)) {
        store.set(&key, &bytes);
    }
    Ok(resolved)
}

/// A file the chain asked for; `None` when missing, unreadable (outside the
/// directories the host opened) or too large to be a credentials file.
fn read_file(path: &str) -> Option<Vec<u8>> {
    let mut contents = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut contents)
        .ok()?;
    (contents.len() <= MAX_FILE_BYTES).then_some(contents)
}

fn send(
    request: &bedrock_core::signing::SignedRequest,
    timeouts: bedrock_core::timeouts::Timeouts,
) -> Result<HttpAnswer, ProviderError> {
    http::send(request, timeouts)?.into_answer(MAX_RESPONSE_BYTES)
}
