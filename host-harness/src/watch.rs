//! Reloading a [`Host`] when its component file changes (`--watch`).
//!
//! Polling rather than inotify: it works the same on every filesystem
//! (network mounts, container volumes) and costs one `stat` per interval. A
//! change is acted on once the file has stopped changing for one interval,
//! so a build still being written is not loaded half-way; a file the host
//! refuses anyway (truncated, not a component) is reported and the old build
//! keeps serving until the next change.

use crate::Host;
use crate::types::PluginInfo;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// What the watcher saw of the file: it changed when this changes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

fn stamp(path: &std::path::Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: metadata.modified().ok(),
        len: metadata.len(),
    })
}

/// Watches `path` every `interval` and reloads `host` from it after each
/// change, passing every outcome to `on_reload`. Runs until the returned task
/// is aborted (dropping the handle does not stop it).
pub fn watch(
    host: Host,
    path: PathBuf,
    interval: Duration,
    on_reload: impl Fn(anyhow::Result<PluginInfo>) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut loaded = stamp(&path);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut pending: Option<Stamp> = None;
        loop {
            ticker.tick().await;
            let now = stamp(&path);
            match (now, &pending) {
                // Missing (mid-rename, say): wait for it to come back.
                (None, _) => pending = None,
                (Some(now), _) if Some(&now) == loaded.as_ref() => pending = None,
                // Unchanged for a whole interval since the change: load it.
                (Some(now), Some(seen)) if &now == seen => {
                    pending = None;
                    loaded = Some(now);
                    on_reload(host.reload(&path).await);
                }
                (Some(now), _) => pending = Some(now),
            }
        }
    })
}
