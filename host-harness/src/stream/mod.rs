//! [`EventStream`]: one running reply, served by an instance it may share
//! with other streams of the same host, configuration and build (see
//! [`HostConfig::streams_per_instance`](crate::HostConfig::streams_per_instance)).
//!
//! The instance's [`driver`] owns the store and runs every guest call; a
//! stream is a handle that takes the batches the driver fetches for it, a
//! little ahead ([`ahead`]), from a channel.

mod ahead;
mod driver;
mod shared;
mod woken;

pub(crate) use driver::Driver;
pub(crate) use shared::{SharedInstance, SharedInstances};

use crate::error::HostError;
use crate::types::{ConverseRequest, ProviderConfig, ProviderError, StreamEvent};
use ahead::Ahead;
use driver::{Command, NEXT, Outcome};
use shared::Member;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

/// How the host names the start of a stream, in its errors.
const CONVERSE_STREAM: &str = "converse-stream";

/// One running reply. Dropping it cancels its request: its instance's driver
/// releases its pollables and its guest resource (the guest's destructor
/// runs), and an instance left with no stream is dropped.
/// [`EventStream::close`] does the same and says how the destructor went.
///
/// Between batches the stream waits outside the guest, on the pollables the
/// guest's `event-stream.subscribe` hands out, with no call into the guest
/// held while it waits; the driver waits on those of all its streams at once.
pub struct EventStream {
    member: Member,
    outcomes: mpsc::UnboundedReceiver<Box<Outcome>>,
    /// How far the driver is ahead; told of every batch taken.
    ahead: Arc<Ahead>,
    /// The first batch, got by [`Host::converse_stream`](crate::Host::converse_stream).
    first: Option<Option<Vec<StreamEvent>>>,
    /// The guest has said the stream is over (its resource is released).
    ended: bool,
    /// Why the stream cannot be used again, once that is so.
    unusable: Option<&'static str>,
    deadline: Duration,
    /// This stream's place under the host's cap on calls in flight.
    _permit: Option<OwnedSemaphorePermit>,
}

/// How a start went.
pub(crate) enum Start {
    /// Started, or failed with the guest's or the host's error.
    Done(anyhow::Result<Result<EventStream, ProviderError>>),
    /// The instance ended before it took the stream: start it on another.
    Orphaned,
}

impl EventStream {
    /// Starts a stream in `member`'s instance and waits for its first batch
    /// (or its end, or an error), all under one call deadline: an error
    /// before the first event is the start's.
    pub(crate) async fn start(
        member: Member,
        config: &ProviderConfig,
        request: &ConverseRequest,
        deadline: Duration,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Start {
        let (sender, outcomes) = mpsc::unbounded_channel();
        let ahead = Arc::new(Ahead::default());
        let command = Command::Start {
            id: member.id,
            config: Box::new(config.clone()),
            request: Box::new(request.clone()),
            outcomes: sender,
            ahead: ahead.clone(),
        };
        if !member.send(command) {
            return Start::Orphaned;
        }
        let mut stream = EventStream {
            member,
            outcomes,
            ahead,
            first: None,
            ended: false,
            unusable: None,
            deadline,
            _permit: permit,
        };
        let outcome = match tokio::time::timeout(deadline, stream.outcomes.recv()).await {
            Ok(Some(outcome)) => stream.took(*outcome),
            Ok(None) => return Start::Orphaned,
            Err(_elapsed) => {
                stream.unusable = Some("failed earlier");
                return Start::Done(Err(HostError::DeadlineExceeded {
                    function: CONVERSE_STREAM,
                    deadline,
                }
                .into()));
            }
        };
        Start::Done(match outcome {
            Ok(Ok(batch)) => {
                stream.ended = batch.is_none();
                stream.first = Some(batch);
                Ok(Ok(stream))
            }
            Ok(Err(error)) => {
                stream.ended = true;
                Ok(Err(error))
            }
            Err(error) => {
                stream.ended = true;
                Err(error.into())
            }
        })
    }

    /// The next batch of events, in order; `Ok(Ok(None))` once the stream has
    /// ended. A `ProviderError` is terminal (later calls return `Ok(Ok(None))`).
    /// The outer error is a host-side failure (a [`HostError`]: a trap, the
    /// CPU budgets, the deadline, a bound on what the guest made the host
    /// hold, or [`HostError::InstanceFailed`] when another stream of its
    /// instance failed it); after one the stream is unusable and every later
    /// call fails too. The guest's destructor runs after the last batch,
    /// under the same limits: if it fails, so does this call.
    ///
    /// The call deadline bounds the whole of one `next`, waits included: a
    /// guest whose pollable is never ready (or always ready with nothing to
    /// hand out) fails it with [`HostError::DeadlineExceeded`].
    ///
    /// Dropping the future of a pending `next` (a `select!` or a timeout,
    /// say) is harmless: the batch it waited for is kept for the next call.
    pub async fn next(
        &mut self,
    ) -> anyhow::Result<Result<Option<Vec<StreamEvent>>, ProviderError>> {
        if let Some(reason) = self.unusable {
            return Err(HostError::StreamUnusable { reason }.into());
        }
        if let Some(first) = self.first.take() {
            return Ok(Ok(first));
        }
        if self.ended {
            return Ok(Ok(None));
        }
        // A driver that has ended left this stream's last outcome (why its
        // instance failed) in the channel, or nothing: the channel says so.
        let outcome = match tokio::time::timeout(self.deadline, self.outcomes.recv()).await {
            Ok(Some(outcome)) => self.took(*outcome),
            Ok(None) => Err(HostError::StreamUnusable {
                reason: "lost its instance",
            }),
            Err(_elapsed) => Err(HostError::DeadlineExceeded {
                function: NEXT,
                deadline: self.deadline,
            }),
        };
        match outcome {
            Ok(result) => {
                self.ended = !matches!(result, Ok(Some(_)));
                Ok(result)
            }
            Err(error) => {
                self.unusable = Some("failed earlier");
                Err(error.into())
            }
        }
    }

    /// `outcome`, just taken from the channel; a batch is counted off what
    /// the driver fetched ahead, which goes on if it had stopped for it.
    fn took(&self, outcome: Outcome) -> Outcome {
        if matches!(outcome, Ok(Ok(Some(_)))) && self.ahead.taken() {
            self.member.send(Command::Want(self.member.id));
        }
        outcome
    }

    /// Ends the stream early, running the guest's destructor (which cancels
    /// the request from the guest side) and saying how it went.
    pub async fn close(mut self) -> anyhow::Result<()> {
        if self.ended || self.unusable.is_some() {
            return Ok(());
        }
        self.ended = true;
        let (done, closed) = oneshot::channel();
        let command = Command::Close {
            id: self.member.id,
            done: Some(done),
        };
        if !self.member.send(command) {
            return Ok(());
        }
        match closed.await {
            Ok(outcome) => outcome.map_err(Into::into),
            // The instance failed in the meantime: the stream is gone.
            Err(_) => Ok(()),
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        if !self.ended {
            self.member.send(Command::Close {
                id: self.member.id,
                done: None,
            });
        }
    }
}
