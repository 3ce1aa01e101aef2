//! The three measured scenarios, the same for every Rust peer (and mirrored
//! by the Node and Python peers, which print the same JSON fields):
//!
//! * `ttfe`: sequential streams on one client, time from the call to the
//!   first event: the warm figure, over a pooled connection;
//! * `ttfe-cold`: the same, each stream on a fresh client (a new connection,
//!   and over TLS a new handshake), made before its timer starts;
//! * `throughput`: one long stream of small deltas, wall time and CPU;
//! * `concurrent`: N overlapping slow streams, memory before and at the peak.
//!
//! Every scenario starts with a warm-up stream, so that connection set-up,
//! lazy initialisation and code loading are not charged to it.

use crate::measure::{PeakRss, cpu_ms, pss_kib, rss_kib};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One client under test.
pub trait Peer: Send + Sync + 'static {
    /// Streams one reply to `prompt` to its end.
    fn stream(&self, prompt: String) -> impl Future<Output = Outcome> + Send;

    /// A new client with the same settings, sharing no connection with this one.
    fn fresh(&self) -> anyhow::Result<Self>
    where
        Self: Sized;
}

/// What one stream produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub events: usize,
    pub text: String,
    /// From the call to the first event.
    pub first_event: Option<Duration>,
    /// The typed error the stream ended in (its kind), if any.
    pub error: Option<String>,
}

/// The prompt of a scripted reply of `words` words, dripped every `slow_ms`.
pub fn prompt(words: usize, slow_ms: u64) -> String {
    if slow_ms == 0 {
        format!("Hello [emulator words={words}]")
    } else {
        format!("Hello [emulator words={words} slow={slow_ms}]")
    }
}

async fn warm_up(peer: &impl Peer) -> anyhow::Result<()> {
    let outcome = peer.stream(prompt(8, 0)).await;
    match outcome.error {
        None => Ok(()),
        Some(error) => anyhow::bail!("warm-up stream failed: {error}"),
    }
}

pub async fn ttfe(peer: impl Peer, runs: usize) -> anyhow::Result<Value> {
    for _ in 0..3 {
        warm_up(&peer).await?;
    }
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let outcome = peer.stream(prompt(24, 0)).await;
        if let Some(error) = outcome.error {
            anyhow::bail!("ttfe stream failed: {error}");
        }
        ms.push(outcome.first_event.unwrap_or_default().as_secs_f64() * 1e3);
    }
    Ok(json!({ "ttfe_ms": ms }))
}

/// Like [`ttfe`], but each stream runs on a client of its own, so it pays for
/// a new connection; the warm-ups still load whatever the process loads once.
pub async fn ttfe_cold(peer: impl Peer, runs: usize) -> anyhow::Result<Value> {
    for _ in 0..3 {
        warm_up(&peer).await?;
    }
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let fresh = peer.fresh()?;
        let outcome = fresh.stream(prompt(24, 0)).await;
        if let Some(error) = outcome.error {
            anyhow::bail!("cold ttfe stream failed: {error}");
        }
        ms.push(outcome.first_event.unwrap_or_default().as_secs_f64() * 1e3);
    }
    Ok(json!({ "ttfe_ms": ms }))
}

pub async fn throughput(peer: impl Peer, words: usize) -> anyhow::Result<Value> {
    warm_up(&peer).await?;
    let (cpu, start) = (cpu_ms(), Instant::now());
    let outcome = peer.stream(prompt(words, 0)).await;
    let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_ms() - cpu);
    if let Some(error) = outcome.error {
        anyhow::bail!("throughput stream failed: {error}");
    }
    Ok(json!({
        "events": outcome.events,
        "chars": outcome.text.len(),
        "wall_s": wall,
        "cpu_ms": cpu,
    }))
}

pub async fn concurrent(
    peer: impl Peer,
    streams: usize,
    words: usize,
    slow_ms: u64,
) -> anyhow::Result<Value> {
    warm_up(&peer).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (before, pss_before) = (rss_kib(), pss_kib());
    let sampler = PeakRss::start(Duration::from_millis(5));
    let (cpu, start) = (cpu_ms(), Instant::now());
    let peer = Arc::new(peer);
    let tasks: Vec<_> = (0..streams)
        .map(|_| {
            let peer = peer.clone();
            tokio::spawn(async move { peer.stream(prompt(words, slow_ms)).await })
        })
        .collect();
    let (mut completed, mut events, mut chars) = (0, 0, 0);
    let mut errors = BTreeMap::<String, usize>::new();
    for task in tasks {
        let outcome = task.await?;
        events += outcome.events;
        match outcome.error {
            None => {
                completed += 1;
                chars += outcome.text.len();
            }
            Some(error) => *errors.entry(error).or_default() += 1,
        }
    }
    let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_ms() - cpu);
    let peaks = sampler.stop();
    Ok(json!({
        "streams": streams,
        "completed": completed,
        "failed": streams - completed,
        "errors": errors,
        "events": events,
        "chars": chars,
        "rss_before_kib": before,
        "rss_peak_kib": peaks.rss_kib,
        "pss_before_kib": pss_before,
        "pss_peak_kib": peaks.pss_kib,
        "wall_s": wall,
        "cpu_ms": cpu - peaks.sampler_cpu_ms,
        "sampler_cpu_ms": peaks.sampler_cpu_ms,
    }))
}
