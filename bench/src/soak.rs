//! The soak: `streams` concurrent streams, continuously, through one Host,
//! with a hot swap between two builds of the plugin at a fixed interval and
//! faults the emulator injects into a share of the streams.
//!
//! Every stream is checked against the scripted reply: a complete one must
//! carry exactly `reply_text(words)`, a failed one a prefix of it and a typed
//! error. Anything else counts as events lost or duplicated, which must stay
//! zero. RSS is sampled throughout and must stay flat. Over TLS (the
//! default of bench/soak.sh) the streams share the host's pooled HTTP/2
//! connection.

use crate::measure::rss_kib;
use crate::wasm;
use bedrock_emulator::reply_text;
use bedrock_host::types::ContentBlock;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Soak {
    pub endpoint: String,
    pub component: PathBuf,
    pub twin: PathBuf,
    pub cache: Option<PathBuf>,
    pub duration: Duration,
    pub streams: usize,
    pub words: usize,
    pub slow_ms: u64,
    pub swap_every: Duration,
    pub rss_every: Duration,
}

/// The faults, one stream in `FAULT_EVERY` each, in turn; the other streams
/// are clean.
const FAULTS: [&str; 4] = [
    "exception=modelStreamErrorException",
    "corrupt-crc",
    "truncate",
    "status=503",
];
const FAULT_EVERY: usize = 10;

#[derive(Default)]
struct Tally {
    started: AtomicUsize,
    completed: AtomicUsize,
    /// Streams whose text was not the scripted reply (or a prefix of it, for
    /// a failed one), or that failed when they should not have or vice versa.
    lost_or_duplicated: AtomicUsize,
    failed: Mutex<BTreeMap<String, usize>>,
}

impl Soak {
    pub async fn run(self) -> anyhow::Result<Value> {
        let host = wasm::host(
            &self.component,
            &self.endpoint,
            self.cache.clone(),
            self.streams,
        )?;
        let expected = Arc::new(reply_text(self.words));
        let tally = Arc::new(Tally::default());
        let start = Instant::now();
        let deadline = start + self.duration;
        let next = Arc::new(AtomicUsize::new(0));

        let workers: Vec<_> = (0..self.streams)
            .map(|_| {
                let (host, tally, expected, next) =
                    (host.clone(), tally.clone(), expected.clone(), next.clone());
                let (words, slow) = (self.words, self.slow_ms);
                tokio::spawn(async move {
                    let config = wasm::config();
                    while Instant::now() < deadline {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let fault = (n % FAULT_EVERY == 0)
                            .then(|| FAULTS[(n / FAULT_EVERY) % FAULTS.len()]);
                        let prompt = format!(
                            "Hello {n} [emulator words={words} slow={slow} {}]",
                            fault.unwrap_or("")
                        );
                        tally.started.fetch_add(1, Ordering::Relaxed);
                        let request = wasm::request(vec![ContentBlock::Text(prompt)]);
                        let outcome = wasm::stream(&host, &config, &request).await;
                        let intact = match &outcome.error {
                            None => fault.is_none() && outcome.text == *expected,
                            Some(_) => fault.is_some() && expected.starts_with(&outcome.text),
                        };
                        if !intact {
                            tally.lost_or_duplicated.fetch_add(1, Ordering::Relaxed);
                        }
                        if let Some(kind) = outcome.error {
                            *tally.failed.lock().unwrap().entry(kind).or_default() += 1;
                        } else {
                            tally.completed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();

        // Hot swaps, alternating between the two builds.
        let swapper = {
            let host = host.clone();
            let builds = [self.twin.clone(), self.component.clone()];
            let every = self.swap_every;
            tokio::spawn(async move {
                let mut swaps = Vec::new();
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                for i in 0.. {
                    tick.tick().await;
                    if Instant::now() + Duration::from_secs(1) >= deadline {
                        break;
                    }
                    let began = Instant::now();
                    let result = host.reload(&builds[i % 2]).await;
                    swaps.push(json!({
                        "at_s": start.elapsed().as_secs_f64(),
                        "took_ms": began.elapsed().as_secs_f64() * 1e3,
                        "version": result.as_ref().map(|info| info.version.clone()).ok(),
                        "error": result.err().map(|e| format!("{e:#}")),
                    }));
                }
                swaps
            })
        };

        // RSS over time, until the workers are done.
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (every, tally, done) = (self.rss_every, tally.clone(), done.clone());
            tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut tick = tokio::time::interval(every);
                while !done.load(Ordering::Relaxed) {
                    tick.tick().await;
                    samples.push(json!({
                        "t_s": start.elapsed().as_secs_f64(),
                        "rss_kib": rss_kib(),
                        "started": tally.started.load(Ordering::Relaxed),
                    }));
                }
                samples
            })
        };

        for worker in workers {
            worker.await?;
        }
        done.store(true, Ordering::Relaxed);
        let swaps = swapper.await?;
        let samples = sampler.await?;
        Ok(json!({
            "endpoint": self.endpoint,
            "duration_s": start.elapsed().as_secs_f64(),
            "concurrency": self.streams,
            "words": self.words,
            "slow_ms": self.slow_ms,
            "fault_share": 1.0 / FAULT_EVERY as f64,
            "faults": FAULTS,
            "started": tally.started.load(Ordering::Relaxed),
            "completed": tally.completed.load(Ordering::Relaxed),
            "failed": *tally.failed.lock().unwrap(),
            "lost_or_duplicated": tally.lost_or_duplicated.load(Ordering::Relaxed),
            "swaps": swaps,
            "rss": samples,
        }))
    }
}
