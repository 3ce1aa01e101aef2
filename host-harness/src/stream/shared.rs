//! The instances a host's event streams share: at most
//! [`HostConfig::streams_per_instance`](crate::HostConfig::streams_per_instance)
//! open streams each, and only streams of one configuration on one build.
//!
//! One set belongs to one host identity (policy, environment, key-value
//! store): hosts made by [`Host::with_policy`](crate::Host::with_policy)
//! or [`Host::with_outbound`](crate::Host::with_outbound) have their own,
//! so different credentials never meet in an instance. Within it, an
//! instance is for one `ProviderConfig` (compared by its
//! `Debug` rendering, which shows every field) and one loaded build: after a
//! reload, new streams get instances of the new build while the streams in
//! flight finish on theirs.
//!
//! An instance whose last stream ends is kept idle for
//! [`HostConfig::instance_idle_timeout`](crate::HostConfig::instance_idle_timeout),
//! so that the next stream of its configuration skips instantiation; an
//! idle instance holds one of the engine's few idle places (and so a place
//! in its instance pool), and none is kept when they are all taken.

use super::driver::{Command, StreamId};
use crate::loader::Loaded;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Streams an instance serves in its life; then it takes no new stream and
/// ends with its last one, so that whatever a plugin leaks or fragments in
/// its memory cannot build up.
const STREAMS_PER_LIFE: u64 = 4096;

/// The open shared instances of one host identity.
pub(crate) struct SharedInstances {
    per_instance: usize,
    open: Arc<Open>,
    /// Held while an instance is made, so that a burst of streams fills one
    /// instance instead of making one each.
    making: tokio::sync::Mutex<()>,
}

/// The instances with open streams or kept idle, and how idle ones are kept.
struct Open {
    entries: Mutex<Vec<Entry>>,
    /// Zero: none is kept.
    idle_timeout: Duration,
    /// The engine's places for idle instances.
    idle_places: Arc<Semaphore>,
}

/// One instance and how many open streams it has.
struct Entry {
    instance: Arc<SharedInstance>,
    streams: usize,
    /// Set while it has no stream and is kept for the next.
    idle: Option<Idle>,
    /// A task is waiting to end its idle spell: one per instance, however
    /// many spells a busy configuration goes through meanwhile.
    expiring: bool,
}

struct Idle {
    until: Instant,
    _place: OwnedSemaphorePermit,
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
        self.key == key && Arc::ptr_eq(&self.loaded, loaded) && self.takes_streams()
    }

    /// Its driver runs and it has not served its life's streams.
    fn takes_streams(&self) -> bool {
        !self.commands.is_closed() && self.next_id.load(Ordering::Relaxed) < STREAMS_PER_LIFE
    }
}

impl SharedInstances {
    /// Instances of `per_instance` streams, kept `idle_timeout` after their
    /// last one (never with one stream per instance: each stream then has
    /// an instance of its own) while `idle_places` has room.
    pub(crate) fn new(
        per_instance: usize,
        idle_timeout: Duration,
        idle_places: Arc<Semaphore>,
    ) -> Self {
        let per_instance = per_instance.max(1);
        let idle_timeout = if per_instance == 1 {
            Duration::ZERO
        } else {
            idle_timeout
        };
        Self {
            per_instance,
            open: Arc::new(Open {
                entries: Mutex::default(),
                idle_timeout,
                idle_places,
            }),
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
        self.open.lock().push(Entry {
            instance: instance.clone(),
            streams: 1,
            idle: None,
            expiring: false,
        });
        Ok(self.member(instance))
    }

    fn join_open(&self, key: &str, loaded: &Arc<Loaded>) -> Option<Member> {
        let mut entries = self.open.lock();
        // Instances whose driver ended (it failed) take no one.
        entries.retain(|entry| !entry.instance.commands.is_closed());
        let entry = entries.iter_mut().find(|entry| {
            entry.streams < self.per_instance && entry.instance.serves(key, loaded)
        })?;
        entry.streams += 1;
        // No longer idle: its place goes back, and its expiry finds nothing.
        entry.idle = None;
        let instance = entry.instance.clone();
        drop(entries);
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

impl Open {
    /// A poisoned lock still holds a consistent list: every change is one
    /// push, removal or count.
    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts an idle spell for `entry`, which has just lost its last
    /// stream, if it may be kept: it takes streams, a place is free and a
    /// runtime is there to end the spell. `false`: it is not kept.
    fn keep(self: &Arc<Self>, entry: &mut Entry) -> bool {
        if self.idle_timeout.is_zero() || !entry.instance.takes_streams() {
            return false;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        let Ok(place) = self.idle_places.clone().try_acquire_owned() else {
            return false;
        };
        let until = Instant::now() + self.idle_timeout;
        entry.idle = Some(Idle {
            until,
            _place: place,
        });
        if !entry.expiring {
            entry.expiring = true;
            runtime.spawn(expire(
                Arc::downgrade(self),
                Arc::downgrade(&entry.instance),
                until,
            ));
        }
        true
    }
}

/// Ends `instance`'s idle spell at its end: sleeps until `until`, then
/// removes it if it is still idle and its spell is over, sleeps on if a later
/// spell began meanwhile, and stops if a stream holds it (its next spell
/// starts another wait).
/// It holds neither: an instance ended meanwhile is not kept alive by it.
async fn expire(open: Weak<Open>, instance: Weak<SharedInstance>, mut until: Instant) {
    loop {
        tokio::time::sleep_until(until.into()).await;
        let (Some(open), Some(instance)) = (open.upgrade(), instance.upgrade()) else {
            return;
        };
        let mut entries = open.lock();
        let Some(index) = entries
            .iter()
            .position(|entry| Arc::ptr_eq(&entry.instance, &instance))
        else {
            return;
        };
        match &entries[index].idle {
            Some(idle) if idle.until <= Instant::now() => {
                entries.swap_remove(index);
                return;
            }
            Some(idle) => until = idle.until,
            None => {
                entries[index].expiring = false;
                return;
            }
        }
    }
}

/// One stream's place in a shared instance: gives it back when dropped; the
/// last one out leaves the instance idle, or ends it (its driver ends once
/// no one can reach it).
pub(crate) struct Member {
    pub(crate) id: StreamId,
    instance: Arc<SharedInstance>,
    open: Arc<Open>,
}

impl Member {
    /// Sends `command` to the driver; `false` if it has ended.
    pub(crate) fn send(&self, command: Command) -> bool {
        self.instance.commands.send(command).is_ok()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut entries = self.open.lock();
        let Some(index) = entries
            .iter()
            .position(|entry| Arc::ptr_eq(&entry.instance, &self.instance))
        else {
            return;
        };
        entries[index].streams -= 1;
        if entries[index].streams == 0 && !self.open.keep(&mut entries[index]) {
            drop(entries.swap_remove(index));
        }
    }
}
