//! The instances a host's event streams share: at most
//! [`HostConfig::streams_per_instance`](crate::HostConfig::streams_per_instance)
//! open streams each, and only streams of one configuration on one build.
//!
//! One set belongs to one host identity (policy, environment, key-value
//! store): hosts made by [`Host::with_policy`](crate::Host::with_policy)
//! have their own, so different credentials never meet in an instance.
//! Within it, an instance is for one `ProviderConfig` (compared by its
//! `Debug` rendering, which shows every field) and one loaded build: after a
//! reload, new streams get instances of the new build while the streams in
//! flight finish on theirs.

use super::driver::{Command, StreamId};
use crate::loader::Loaded;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;

/// The open shared instances of one host identity.
pub(crate) struct SharedInstances {
    per_instance: usize,
    open: Arc<Mutex<Vec<Entry>>>,
    /// Held while an instance is made, so that a burst of streams fills one
    /// instance instead of making one each.
    making: tokio::sync::Mutex<()>,
}

/// One instance and how many open streams it has.
struct Entry {
    instance: Arc<SharedInstance>,
    streams: usize,
}

/// An instance's driver, as its streams reach it.
pub(crate) struct SharedInstance {
    key: String,
    loaded: Arc<Loaded>,
    commands: mpsc::UnboundedSender<Command>,
    next_id: AtomicU64,
}

impl SharedInstance {
    pub(crate) fn new(
        key: String,
        loaded: Arc<Loaded>,
        commands: mpsc::UnboundedSender<Command>,
    ) -> Self {
        Self {
            key,
            loaded,
            commands,
            next_id: AtomicU64::new(0),
        }
    }

    fn serves(&self, key: &str, loaded: &Arc<Loaded>) -> bool {
        self.key == key && Arc::ptr_eq(&self.loaded, loaded) && !self.commands.is_closed()
    }
}

impl SharedInstances {
    pub(crate) fn new(per_instance: usize) -> Self {
        Self {
            per_instance: per_instance.max(1),
            open: Arc::default(),
            making: tokio::sync::Mutex::new(()),
        }
    }

    /// How many streams one instance takes.
    pub(crate) fn per_instance(&self) -> usize {
        self.per_instance
    }

    /// A place for one stream in an instance for `key` on `loaded`: one
    /// with room, else a new one from `make`.
    pub(crate) async fn join(
        &self,
        key: &str,
        loaded: &Arc<Loaded>,
        make: impl AsyncFnOnce() -> anyhow::Result<SharedInstance>,
    ) -> anyhow::Result<Member> {
        if let Some(member) = self.join_open(key, loaded) {
            return Ok(member);
        }
        let _making = self.making.lock().await;
        if let Some(member) = self.join_open(key, loaded) {
            return Ok(member);
        }
        let instance = Arc::new(make().await?);
        lock(&self.open).push(Entry {
            instance: instance.clone(),
            streams: 1,
        });
        Ok(self.member(instance))
    }

    fn join_open(&self, key: &str, loaded: &Arc<Loaded>) -> Option<Member> {
        let mut open = lock(&self.open);
        // Instances whose driver ended (it failed) take no one.
        open.retain(|entry| !entry.instance.commands.is_closed());
        let entry = open.iter_mut().find(|entry| {
            entry.streams < self.per_instance && entry.instance.serves(key, loaded)
        })?;
        entry.streams += 1;
        let instance = entry.instance.clone();
        drop(open);
        Some(self.member(instance))
    }

    fn member(&self, instance: Arc<SharedInstance>) -> Member {
        Member {
            id: instance.next_id.fetch_add(1, Ordering::Relaxed),
            instance,
            open: self.open.clone(),
        }
    }
}

/// A poisoned lock still holds a consistent list: every change is one
/// push, removal or count.
fn lock(open: &Mutex<Vec<Entry>>) -> MutexGuard<'_, Vec<Entry>> {
    open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One stream's place in a shared instance: gives it back when dropped; the
/// last one out ends the instance (its driver ends once no one can reach it).
pub(crate) struct Member {
    pub(crate) id: StreamId,
    instance: Arc<SharedInstance>,
    open: Arc<Mutex<Vec<Entry>>>,
}

impl Member {
    /// Sends `command` to the driver; `false` if it has ended.
    pub(crate) fn send(&self, command: Command) -> bool {
        self.instance.commands.send(command).is_ok()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        if let Some(index) = open
            .iter()
            .position(|entry| Arc::ptr_eq(&entry.instance, &self.instance))
        {
            open[index].streams -= 1;
            if open[index].streams == 0 {
                open.swap_remove(index);
            }
        }
    }
}
