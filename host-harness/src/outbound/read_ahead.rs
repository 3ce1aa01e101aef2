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

use bytes::{Bytes, BytesMut};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

/// Most bytes of one response read ahead of its reader. A stream's events
/// are a few kilobytes a second; a megabyte covers a reader many seconds
/// late. The buffer only holds what is unread and is freed as it is read.
pub(super) const READ_AHEAD_BYTES: usize = 1024 * 1024;

/// What the reader receives: data (coalesced), then trailers or an error;
/// the channel closes at the end of the body.
pub(super) type Frames = mpsc::Receiver<Result<Frame<Bytes>, hyper::Error>>;

/// Starts reading `incoming` ahead of the returned receiver. The task ends
/// with the body, or when the receiver is dropped (which drops `incoming`
/// and so cancels the stream, as dropping the body did).
pub(super) fn read_ahead(incoming: Incoming) -> Frames {
    let (sender, frames) = mpsc::channel(1);
    tokio::spawn(pump(incoming, sender));
    frames
}

async fn pump(mut incoming: Incoming, sender: mpsc::Sender<Result<Frame<Bytes>, hyper::Error>>) {
    // Data read and not yet handed over, and how the body ended.
    let mut pending = BytesMut::new();
    let mut end: Option<Result<Option<Frame<Bytes>>, hyper::Error>> = None;
    loop {
        if pending.is_empty()
            && let Some(end) = end.take()
        {
            if let Some(last) = end.transpose() {
                let _ = sender.send(last).await;
            }
            return;
        }
        tokio::select! {
            biased;
            () = sender.closed() => return,
            permit = sender.reserve(), if !pending.is_empty() => match permit {
                Ok(permit) => permit.send(Ok(Frame::data(pending.split().freeze()))),
                Err(_closed) => return,
            },
            frame = incoming.frame(), if end.is_none() && pending.len() < READ_AHEAD_BYTES => {
                match frame {
                    Some(Ok(frame)) => match frame.into_data() {
                        // A reader that keeps up gets the frame as it came.
                        Ok(data) if pending.is_empty() => {
                            match sender.try_send(Ok(Frame::data(data.clone()))) {
                                Ok(()) => {}
                                Err(TrySendError::Full(_)) => pending.extend_from_slice(&data),
                                Err(TrySendError::Closed(_)) => return,
                            }
                        }
                        Ok(data) => pending.extend_from_slice(&data),
                        Err(trailers) => end = Some(Ok(Some(trailers))),
                    },
                    Some(Err(error)) => end = Some(Err(error)),
                    None => end = Some(Ok(None)),
                }
            }
        }
    }
}
