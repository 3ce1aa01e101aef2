//! Which streams of an instance may have become ready since their driver
//! last looked: each stream's pollables are polled under a waker of the
//! stream's own, which records the stream here and wakes the driver.
//!
//! Waiting on the pollables of every stream at once (one `wasi:io/poll.poll`
//! over all of them) meant building, polling and dropping a future for every
//! pollable of every waiting stream, and a timer for every deadline, on each
//! wake of the driver, which comes once or twice per event of any of its
//! streams: with a few dozen streams trickling tokens, that was most of the
//! host's CPU. A stream that is streaming is instead polled once when it
//! starts waiting, and again only when its own waker fires (see
//! `Driver::wait` for what backs that up).

use super::driver::StreamId;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Wake, Waker};
use tokio::sync::Notify;

/// The streams to poll again, and the driver's wake-up.
#[derive(Default)]
pub(super) struct Woken {
    ids: Mutex<BTreeSet<StreamId>>,
    notify: Notify,
}

impl Woken {
    /// The waker to poll stream `id`'s pollables under.
    pub(super) fn waker(self: &Arc<Self>, id: StreamId) -> Waker {
        Waker::from(Arc::new(StreamWaker {
            id,
            woken: self.clone(),
        }))
    }

    /// Marks stream `id` for polling at the driver's next wait, from the
    /// driver itself (no wake-up needed).
    pub(super) fn push(&self, id: StreamId) {
        self.lock().insert(id);
    }

    /// The streams marked since the last call.
    pub(super) fn take(&self) -> BTreeSet<StreamId> {
        std::mem::take(&mut *self.lock())
    }

    /// Resolves once a stream's waker has fired (at once if one fired since
    /// the last call).
    pub(super) async fn notified(&self) {
        self.notify.notified().await;
    }

    /// A poisoned lock still holds a consistent set: every change is one
    /// insertion or one swap.
    fn lock(&self) -> MutexGuard<'_, BTreeSet<StreamId>> {
        self.ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct StreamWaker {
    id: StreamId,
    woken: Arc<Woken>,
}

impl Wake for StreamWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.push(self.id);
        // Stored as a permit when the driver is not waiting yet.
        self.woken.notify.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waker_marks_its_stream_and_wakes_the_driver() {
        let woken = Arc::new(Woken::default());
        let (one, two) = (woken.waker(1), woken.waker(2));
        two.wake_by_ref();
        one.wake();
        two.wake_by_ref();
        // The permit stored by the wakes lets the wait end at once.
        woken.notified().await;
        assert_eq!(woken.take().into_iter().collect::<Vec<_>>(), [1, 2]);
        assert!(woken.take().is_empty());
    }

    #[test]
    fn a_stream_marked_by_the_driver_is_taken_once() {
        let woken = Woken::default();
        woken.push(7);
        woken.push(7);
        assert_eq!(woken.take().into_iter().collect::<Vec<_>>(), [7]);
        assert!(woken.take().is_empty());
    }
}
