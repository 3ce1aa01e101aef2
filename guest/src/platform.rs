//! The core's [`Platform`] over WASI: `wasi:http` for requests, the
//! preopened directories for files, `wasi:keyvalue` for the host's cache,
//! the clocks and `wasi:random`.

use crate::cache::Cache;
use crate::http;
use bedrock_core::error::Error;
use bedrock_core::platform::Platform;
use bedrock_core::signing::SignedRequest;
use bedrock_core::timeouts::Timeouts;
use std::io::Read as _;
use std::time::{Duration, SystemTime};

/// One export call's view of the world; the cache is opened once per call.
pub struct Wasi {
    cache: Option<Cache>,
}

impl Wasi {
    pub fn new() -> Wasi {
        Wasi {
            cache: Cache::open(),
        }
    }
}

impl Platform for Wasi {
    type Body = http::Body;
    type Pending = http::InFlight;

    fn start_send(
        &mut self,
        request: &SignedRequest,
        timeouts: Timeouts,
    ) -> Result<http::InFlight, Error> {
        http::start(request, timeouts)
    }

    /// `None` when missing, unreadable (outside the directories the host
    /// opened) or larger than `limit`.
    fn read_file(&mut self, path: &str, limit: usize) -> Option<Vec<u8>> {
        let mut contents = Vec::new();
        std::fs::File::open(path)
            .ok()?
            .take(limit as u64 + 1)
            .read_to_end(&mut contents)
            .ok()?;
        (contents.len() <= limit).then_some(contents)
    }

    fn cache_get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.cache.as_ref()?.get(key)
    }

    fn cache_set(&mut self, key: &str, value: &[u8]) {
        if let Some(cache) = &self.cache {
            cache.set(key, value);
        }
    }

    fn sleep(&mut self, duration: Duration) {
        let nanos = duration.as_nanos().min(u64::MAX as u128) as u64;
        wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }

    fn now(&mut self) -> SystemTime {
        SystemTime::now()
    }

    /// 53 random bits as a uniform number in `[0, 1)`.
    fn random(&mut self) -> f64 {
        (wasi::random::random::get_random_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
