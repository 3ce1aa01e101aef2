//! Plays a planned response body over HTTP as it is produced.
//!
//! A task walks the plan and hands each chunk to the connection through a one-slot
//! channel, so every frame reaches the client as its own write when it is due (not
//! buffered to the end), pauses really hold the connection open, and a client that hangs
//! up or an emulator that shuts down stops the task. How each stream ended is logged
//! ([`StreamRecord`]): tests check that a client that drops a reply closes the connection
//! promptly, which only the server side can see.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

/// One step of a response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Send(Bytes),
    Pause(Duration),
}

/// The response body: whatever the playing task sends, ending when the task ends.
pub struct ChannelBody {
    chunks: mpsc::Receiver<Bytes>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.chunks
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(http_body::Frame::data(bytes))))
    }
}

/// How a streamed reply ended, as the emulator saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// Still playing.
    Open,
    /// Every planned chunk was handed to the connection.
    Completed,
    /// The client went away first: it closed the connection or reset the stream.
    ClientGone,
    /// The emulator shut down first.
    Shutdown,
}

/// One ConverseStream reply the emulator played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    pub model_id: String,
    /// Chunks handed to the connection (one frame each, for well-formed replies).
    pub chunks_sent: usize,
    pub end: StreamEnd,
    pub started_at: Instant,
    /// When `end` stopped being [`StreamEnd::Open`].
    pub ended_at: Option<Instant>,
}

/// The log of every stream played, shared by the playing tasks.
pub type StreamLog = Arc<Mutex<Vec<StreamRecord>>>;

/// Starts playing `steps`, logged in `log`; `shutdown` turning true ends the body early.
pub fn play(
    steps: Vec<Step>,
    shutdown: watch::Receiver<bool>,
    log: StreamLog,
    model_id: &str,
) -> ChannelBody {
    let (sender, chunks) = mpsc::channel(1);
    let entry = {
        let mut records = log.lock().unwrap_or_else(|e| e.into_inner());
        records.push(StreamRecord {
            model_id: model_id.to_owned(),
            chunks_sent: 0,
            end: StreamEnd::Open,
            started_at: Instant::now(),
            ended_at: None,
        });
        records.len() - 1
    };
    tokio::spawn(async move {
        let update = |change: &dyn Fn(&mut StreamRecord)| {
            let mut records = log.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut records[entry]);
        };
        let end = run(steps, sender, shutdown, || update(&|r| r.chunks_sent += 1)).await;
        update(&|r| {
            r.end = end;
            r.ended_at = Some(Instant::now());
        });
    });
    ChannelBody { chunks }
}

async fn run(
    steps: Vec<Step>,
    sender: mpsc::Sender<Bytes>,
    mut shutdown: watch::Receiver<bool>,
    on_sent: impl Fn(),
) -> StreamEnd {
    for step in steps {
        let perform = async {
            match step {
                Step::Send(bytes) => {
                    let sent = sender.send(bytes).await.is_ok();
                    if sent {
                        on_sent();
                    }
                    sent
                }
                Step::Pause(duration) => {
                    tokio::time::sleep(duration).await;
                    true
                }
            }
        };
        // A failed send or a closed channel: hyper dropped the body, which it does when
        // the connection is gone.
        let end = tokio::select! {
            sent = perform => (!sent).then_some(StreamEnd::ClientGone),
            _ = sender.closed() => Some(StreamEnd::ClientGone),
            _ = shutdown.wait_for(|stopped| *stopped) => Some(StreamEnd::Shutdown),
        };
        if let Some(end) = end {
            return end;
        }
    }
    StreamEnd::Completed
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    /// The single record of `log` once it is no longer open.
    async fn ended(log: &StreamLog) -> StreamRecord {
        for _ in 0..500 {
            let record = log.lock().unwrap()[0].clone();
            if record.end != StreamEnd::Open {
                return record;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the stream never ended");
    }

    #[tokio::test]
    async fn plays_steps_in_order() {
        let (_keep, shutdown) = watch::channel(false);
        let steps = vec![
            Step::Send(Bytes::from_static(b"a")),
            Step::Pause(Duration::from_millis(20)),
            Step::Send(Bytes::from_static(b"b")),
        ];
        let started = tokio::time::Instant::now();
        let log = StreamLog::default();
        let body = play(steps, shutdown, log.clone(), "m")
            .collect()
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(body, "ab");
        assert!(started.elapsed() >= Duration::from_millis(20));
        let record = ended(&log).await;
        assert_eq!(
            (record.model_id.as_str(), record.chunks_sent, record.end),
            ("m", 2, StreamEnd::Completed)
        );
    }

    #[tokio::test]
    async fn a_dropped_body_is_logged_as_the_client_gone() {
        let (_keep, shutdown) = watch::channel(false);
        let steps = vec![
            Step::Send(Bytes::from_static(b"a")),
            Step::Pause(Duration::from_secs(3600)),
            Step::Send(Bytes::from_static(b"b")),
        ];
        let log = StreamLog::default();
        let mut body = play(steps, shutdown, log.clone(), "m");
        body.frame().await.unwrap().unwrap();
        drop(body);
        let record = ended(&log).await;
        assert_eq!((record.chunks_sent, record.end), (1, StreamEnd::ClientGone));
        assert!(record.ended_at.is_some());
    }

    #[tokio::test]
    async fn shutdown_ends_a_pause() {
        let (stop, shutdown) = watch::channel(false);
        let steps = vec![
            Step::Send(Bytes::from_static(b"a")),
            Step::Pause(Duration::from_secs(3600)),
        ];
        let log = StreamLog::default();
        let mut body = play(steps, shutdown, log.clone(), "m");
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, "a");
        stop.send_replace(true);
        let end = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .unwrap();
        assert!(end.is_none());
        assert_eq!(ended(&log).await.end, StreamEnd::Shutdown);
    }
}
