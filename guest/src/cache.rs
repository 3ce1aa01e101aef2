//! The host's key-value store (`wasi:keyvalue/store`), as a best-effort cache.
//!
//! A cache that fails must not fail the call: every error reads as a miss or
//! a skipped write. The store outlives this instance; that is its purpose.

use bedrock_core::bindings::wasi::keyvalue::store;

pub struct Cache(store::Bucket);

impl Cache {
    /// The host's default store, if it offers one.
    pub fn open() -> Option<Cache> {
        store::open("").ok().map(Cache)
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.get(key).ok().flatten()
    }

    pub fn set(&self, key: &str, value: &[u8]) {
        let _ = self.0.set(key, value);
    }
}
