//! Single-flight: concurrent calls with the same key share one execution.
//!
//! When a gateway starts, or when a cached discovery result expires, many
//! requests may ask for the model list at once. Each would otherwise run its
//! own instance and send its own ListFoundationModels; the guest's cache
//! cannot help, as none of them has written it yet. [`SingleFlight::run`]
//! lets the first caller run the work while the others wait for its result.
//!
//! Only calls in flight are shared: once one completes, the next call with
//! the same key runs again (caching results is the guest's business, it knows
//! the refresh interval). If the caller running the work is cancelled (its
//! future dropped) or panics, one of the waiters takes over.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::watch;

/// The calls in flight, by key. `V` is cloned to every waiter.
pub(crate) struct SingleFlight<K, V> {
    /// A flight's channel, which waiters subscribe to. Removing it closes
    /// the channel: its waiters then read the value sent, if any.
    flights: Mutex<HashMap<K, watch::Sender<Option<V>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// Runs `work`, unless a call with an equal key is already running: then
    /// waits for that call's result instead. `work` is called at most once.
    pub(crate) async fn run<F, Fut>(&self, key: K, work: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        loop {
            // Decided under the lock, which is released before any await.
            let joined = {
                let mut flights = self.flights();
                match flights.get(&key) {
                    Some(flight) => Some(flight.subscribe()),
                    None => {
                        let (sender, _) = watch::channel(None);
                        flights.insert(key.clone(), sender);
                        None
                    }
                }
            };
            let Some(mut waiting) = joined else {
                let mut leader = Leader {
                    flights: self,
                    key: Some(key),
                };
                let value = work().await;
                leader.finish(value.clone());
                return value;
            };
            // Either the leader's value, or an error when it went away without
            // one (cancelled, panicked): then try again, maybe as the leader.
            if let Ok(value) = waiting.wait_for(Option::is_some).await
                && let Some(value) = value.clone()
            {
                return value;
            }
        }
    }

    fn flights(&self) -> MutexGuard<'_, HashMap<K, watch::Sender<Option<V>>>> {
        // The map is consistent between statements: a panic elsewhere while
        // it was locked does not make it unsafe to use.
        self.flights.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.flights().len()
    }

    /// How many callers wait on the flight of `key`.
    #[cfg(test)]
    fn waiters(&self, key: &K) -> usize {
        self.flights().get(key).map_or(0, |f| f.receiver_count())
    }
}

/// The caller running the work. Dropping it, finished or not, removes the
/// flight (closing its channel), so that later callers start a new one and
/// waiters left without a value try again.
struct Leader<'a, K: Eq + Hash, V> {
    flights: &'a SingleFlight<K, V>,
    /// `None` once removed.
    key: Option<K>,
}

impl<K: Eq + Hash, V> Leader<'_, K, V> {
    /// Removes the flight and hands `value` to its waiters (if any).
    fn finish(&mut self, value: V) {
        if let Some(flight) = self.remove() {
            flight.send_replace(Some(value));
        }
    }

    fn remove(&mut self) -> Option<watch::Sender<Option<V>>> {
        let key = self.key.take()?;
        let mut flights = self
            .flights
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        flights.remove(&key)
    }
}

impl<K: Eq + Hash, V> Drop for Leader<'_, K, V> {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::Notify;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_callers_share_one_execution() {
        let flights = Arc::new(SingleFlight::<String, usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(Notify::new());
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (flights, runs, release) = (flights.clone(), runs.clone(), release.clone());
                tokio::spawn(async move {
                    flights
                        .run("key".to_string(), || async {
                            release.notified().await;
                            runs.fetch_add(1, Ordering::SeqCst) + 41
                        })
                        .await
                })
            })
            .collect();
        // Let every other caller join the flight, then the one execution end.
        while flights.waiters(&"key".to_string()) < 15 {
            tokio::task::yield_now().await;
        }
        release.notify_one();
        for caller in callers {
            assert_eq!(caller.await.unwrap(), 41);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flights.in_flight(), 0);

        // Completed flights are not a cache: the next call runs again.
        let again = flights
            .run("key".to_string(), || async {
                runs.fetch_add(1, Ordering::SeqCst) + 41
            })
            .await;
        assert_eq!(again, 42);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn different_keys_do_not_wait_for_each_other() {
        let flights = SingleFlight::<u32, u32>::default();
        let release = Notify::new();
        let slow = flights.run(1, || async {
            release.notified().await;
            1
        });
        let fast = async {
            let value = flights.run(2, || async { 2 }).await;
            release.notify_one();
            value
        };
        assert_eq!(tokio::join!(slow, fast), (1, 2));
    }

    #[tokio::test]
    async fn a_waiter_takes_over_when_the_leader_is_cancelled() {
        let flights = Arc::new(SingleFlight::<&str, &str>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let leader = {
            let (flights, runs) = (flights.clone(), runs.clone());
            tokio::spawn(async move {
                flights
                    .run("k", || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::future::pending::<()>().await;
                        "never"
                    })
                    .await
            })
        };
        while runs.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let waiter = {
            let (flights, runs) = (flights.clone(), runs.clone());
            tokio::spawn(async move {
                flights
                    .run("k", || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        "second"
                    })
                    .await
            })
        };
        while flights.waiters(&"k") == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!waiter.is_finished(), "the waiter waits for the leader");
        leader.abort();
        assert_eq!(waiter.await.unwrap(), "second");
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(flights.in_flight(), 0);
    }

    #[tokio::test]
    async fn errors_are_shared_like_values() {
        let flights = SingleFlight::<(), Result<u8, String>>::default();
        let release = Notify::new();
        let first = flights.run((), || async {
            release.notified().await;
            Err("boom".to_string())
        });
        let second = async {
            tokio::task::yield_now().await;
            let waiting = flights.run((), || async { Ok(1) });
            release.notify_one();
            waiting.await
        };
        let (a, b) = tokio::join!(first, second);
        assert_eq!(a, Err("boom".to_string()));
        assert_eq!(b, Err("boom".to_string()));
    }
}
