//! Reading a response body off its connection as its frames arrive, ahead of
//! the guest that will read it.
//!
//! An event stream arrives as many small HTTP/2 DATA frames (one per event,
//! a few hundred bytes each), and a guest among thousands on a busy host
//! reads its stream late. h2 charges every small frame left unread against
//! one budget for the whole connection (half the connection window) and,
//! when it runs out, closes the connection with `ENHANCE_YOUR_CALM`
//! (`too_many_data_frames`): every stream sharing it then fails with "error
//! reading a body from connection". Bedrock sends events the same way, so
//! the fix is the client's: each response is read off the connection as
//! soon as its frames come, into one contiguous buffer per stream (no frame
//! overhead left in h2), up to [`READ_AHEAD_BYTES`]; beyond that, h2's flow
//! control holds the sender back as before.
//!
//! A host holds thousands of these at once, so each costs little while it
//! waits: the reader and the task share one small [`Shared`] (no channel),
//! and the buffer holds copies of what is unread, sized to it and handed
//! over whole, so that neither keeps h2's read buffers or an earlier burst's
//! capacity alive.

use bytes::{Bytes, BytesMut};
use http_body::{Body as _, Frame};
use hyper::body::Incoming;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Most bytes of one response read ahead of its reader. A stream's events
/// are a few kilobytes a second; a megabyte covers a reader many seconds
/// late. The buffer only holds what is unread and is freed as it is read.
pub(super) const READ_AHEAD_BYTES: usize = 1024 * 1024;

/// What polling a body for its next frame gives: a frame, an error, or
/// `None` at its end.
type NextFrame = Option<Result<Frame<Bytes>, hyper::Error>>;

/// How a body ended: trailers or none, or an error.
type End = Result<Option<Frame<Bytes>>, hyper::Error>;

/// The reader's end: data (coalesced), then trailers or an error, then
/// `None` at the end of the body. Dropping it stops the task, which drops
/// the body and so cancels the stream, as dropping the body did.
pub(super) struct Frames {
    shared: Arc<Shared>,
}

/// What the task and the reader share.
struct Shared(Mutex<State>);

#[derive(Default)]
struct State {
    /// Data read and not yet handed over.
    pending: BytesMut,
    /// How far the body got.
    body: Progress,
    /// The reader waits for data or the end.
    reader: Option<Waker>,
    /// The task waits for a frame or for room, and hears of the reader's drop.
    task: Option<Waker>,
    /// The reader was dropped.
    dropped: bool,
}

/// How far a body got, as the reader sees it.
#[derive(Default)]
enum Progress {
    /// Frames may still come.
    #[default]
    Open,
    /// The body ended thus; handed over after `pending`.
    Ended(End),
    /// The end was handed over: the reader gets `None` from then on.
    HandedOver,
}

impl Shared {
    /// A poisoned lock still holds a consistent state: every change is one
    /// assignment.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Replaces `slot`'s waker with `waker` unless it would wake the same task.
fn register(slot: &mut Option<Waker>, waker: &Waker) {
    if !slot.as_ref().is_some_and(|held| held.will_wake(waker)) {
        *slot = Some(waker.clone());
    }
}

/// Starts reading `incoming` ahead of the returned reader. The task ends
/// with the body, or when the reader is dropped.
///
/// What already came with the head (the first event often arrives in the
/// same read) is taken at once, so that the guest's first read finds it
/// instead of waiting a round for the task's first turn. When that was the
/// whole body (a short reply, an error), no task is started.
pub(super) fn read_ahead(mut incoming: Incoming) -> Frames {
    let shared = Arc::new(Shared(Mutex::new(State::default())));
    // The task's first poll registers its own waker in place of this one.
    let mut cx = Context::from_waker(Waker::noop());
    while let Poll::Ready(Some(frame)) = poll_next(&mut incoming, &shared, &mut cx) {
        if store(&shared, frame) {
            return Frames { shared };
        }
    }
    tokio::spawn(pump(incoming, shared.clone()));
    Frames { shared }
}

async fn pump(mut incoming: Incoming, shared: Arc<Shared>) {
    while let Some(frame) = poll_fn(|cx| poll_next(&mut incoming, &shared, cx)).await {
        if store(&shared, frame) {
            return;
        }
    }
}

/// The body's next frame (`None`: its end) while the buffer has room;
/// `Ready(None)` once the reader is dropped.
fn poll_next(
    incoming: &mut Incoming,
    shared: &Shared,
    cx: &mut Context<'_>,
) -> Poll<Option<NextFrame>> {
    {
        let mut state = shared.lock();
        if state.dropped {
            return Poll::Ready(None);
        }
        // Registered every time: the reader's drop must wake a task waiting
        // for a frame, not only one waiting for room.
        register(&mut state.task, cx.waker());
        if state.pending.len() >= READ_AHEAD_BYTES {
            return Poll::Pending;
        }
    }
    Pin::new(incoming).poll_frame(cx).map(Some)
}

/// Keeps `frame` (`None`: the end of the body) for the reader and wakes it.
/// `true`: the body has ended.
fn store(shared: &Shared, frame: NextFrame) -> bool {
    let mut state = shared.lock();
    let end = match frame {
        Some(Ok(frame)) => match frame.into_data() {
            // Copied: the frame is a slice of one of h2's read buffers,
            // which it would keep alive for as long as it is unread.
            Ok(data) => {
                state.pending.extend_from_slice(&data);
                None
            }
            Err(trailers) => Some(Ok(Some(trailers))),
        },
        Some(Err(error)) => Some(Err(error)),
        None => Some(Ok(None)),
    };
    let done = end.is_some();
    if let Some(end) = end {
        state.body = Progress::Ended(end);
    }
    if let Some(reader) = state.reader.take() {
        reader.wake();
    }
    done
}

impl super::FrameSource for Frames {
    /// The data read so far, else how the body ended, else `None` once it
    /// has.
    fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let mut state = self.shared.lock();
        if !state.pending.is_empty() {
            // A full buffer has held the task back: it may read on.
            if state.pending.len() >= READ_AHEAD_BYTES
                && let Some(task) = &state.task
            {
                task.wake_by_ref();
            }
            // Handed over whole: the next data gets a buffer of its own size.
            let data = std::mem::take(&mut state.pending).freeze();
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        match std::mem::replace(&mut state.body, Progress::HandedOver) {
            Progress::HandedOver => Poll::Ready(None),
            Progress::Ended(end) => Poll::Ready(end.transpose()),
            Progress::Open => {
                state.body = Progress::Open;
                register(&mut state.reader, cx.waker());
                Poll::Pending
            }
        }
    }
}

impl Drop for Frames {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.dropped = true;
        state.pending = BytesMut::new();
        if let Some(task) = state.task.take() {
            task.wake();
        }
    }
}
