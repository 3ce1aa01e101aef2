//! How far a stream's driver reads ahead of its consumer: the batches it
//! has handed over and the consumer has not taken yet, counted on both sides
//! without a message.
//!
//! When a consumer had to ask for every batch, a stream whose events come
//! one at a time (a model's tokens) cost its driver two wakes per event:
//! the event's arrival, then the consumer's ask, across tasks and often
//! threads. The driver now goes on fetching while fewer than
//! [`BATCHES_AHEAD`] batches wait for the consumer, so a consumer that keeps
//! up never has to ask; one that falls behind holds the driver back, which
//! stops reading the stream (and so, through the read-ahead's bound and
//! HTTP/2 flow control, the server), and asks once when it takes a batch.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Most batches handed over and not yet taken. Two: the one the consumer
/// is about to take when the driver looks, and one fetched meanwhile.
pub(super) const BATCHES_AHEAD: usize = 2;

/// Set in the count when the driver stopped for the consumer: the
/// consumer's next take asks it to go on.
const STALLED: usize = 1 << (usize::BITS - 1);

/// The count of batches handed over and not taken, and [`STALLED`].
#[derive(Default)]
pub(crate) struct Ahead(AtomicUsize);

impl Ahead {
    /// The driver hands a batch over (counted before it is sent, so that
    /// the consumer cannot take it first). `true`: it may fetch the next one
    /// now. `false`: the consumer is [`BATCHES_AHEAD`] behind; the driver
    /// is marked as stopped and hears from the consumer when it takes one.
    pub(super) fn handed(&self) -> bool {
        let mut count = self.0.fetch_add(1, Ordering::AcqRel) + 1;
        loop {
            if count & !STALLED < BATCHES_AHEAD {
                return true;
            }
            // Only if the consumer took none meanwhile: it would not hear.
            match self.0.compare_exchange_weak(
                count,
                count | STALLED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return false,
                Err(now) => count = now,
            }
        }
    }

    /// The consumer took a batch. `true`: the driver had stopped for it and
    /// must be asked to go on (once: the mark is cleared with the take).
    pub(super) fn taken(&self) -> bool {
        let mut count = self.0.load(Ordering::Acquire);
        loop {
            let after = (count & !STALLED).saturating_sub(1);
            match self
                .0
                .compare_exchange_weak(count, after, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return count & STALLED != 0,
                Err(now) => count = now,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_consumer_that_keeps_up_is_never_asked() {
        let ahead = Ahead::default();
        for _ in 0..10 {
            assert!(ahead.handed());
            assert!(!ahead.taken());
        }
    }

    #[test]
    fn the_driver_stops_two_batches_ahead_and_is_asked_on_once() {
        let ahead = Ahead::default();
        assert!(ahead.handed());
        assert!(!ahead.handed());
        // The first take asks the driver on; the second has nothing to ask.
        assert!(ahead.taken());
        assert!(!ahead.taken());
        assert!(ahead.handed());
    }

    #[test]
    fn a_driver_stopped_is_asked_on_exactly_once_under_contention() {
        // The driver hands a batch over only when it may (or once asked on);
        // the consumer takes what was handed. Were an ask lost, the driver
        // would wait in vain; were one doubled, one would be left over.
        const BATCHES: usize = 20_000;
        let ahead = Arc::new(Ahead::default());
        let (asks, asked) = std::sync::mpsc::channel::<()>();
        let (batches, handed) = std::sync::mpsc::channel::<()>();
        let consumer = {
            let ahead = ahead.clone();
            std::thread::spawn(move || {
                for () in handed.iter() {
                    if ahead.taken() {
                        asks.send(()).unwrap();
                    }
                }
            })
        };
        for _ in 0..BATCHES {
            // Counted before it is sent, as the driver does: the consumer
            // cannot take a batch before it is counted.
            let go_on = ahead.handed();
            batches.send(()).unwrap();
            if !go_on {
                asked
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .expect("a stopped driver is asked on");
            }
        }
        drop(batches);
        consumer.join().unwrap();
        assert!(asked.try_recv().is_err(), "an ask with no stop");
        assert_eq!(ahead.0.load(Ordering::Acquire), 0);
    }
}
