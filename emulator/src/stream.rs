//! Plays a planned response body over HTTP as it is produced.
//!
//! A task walks the plan and hands each chunk to the connection through a one-slot
//! channel, so every frame reaches the client as its own write when it is due (not
//! buffered to the end), pauses really hold the connection open, and a client that hangs
//! up or an emulator that shuts down stops the task.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

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

/// Starts playing `steps`; `shutdown` turning true ends the body early.
pub fn play(steps: Vec<Step>, shutdown: watch::Receiver<bool>) -> ChannelBody {
    let (sender, chunks) = mpsc::channel(1);
    tokio::spawn(run(steps, sender, shutdown));
    ChannelBody { chunks }
}

async fn run(steps: Vec<Step>, sender: mpsc::Sender<Bytes>, mut shutdown: watch::Receiver<bool>) {
    for step in steps {
        let perform = async {
            match step {
                Step::Send(bytes) => sender.send(bytes).await.is_ok(),
                Step::Pause(duration) => {
                    tokio::time::sleep(duration).await;
                    true
                }
            }
        };
        let carry_on = tokio::select! {
            carry_on = perform => carry_on,
            _ = sender.closed() => false,
            _ = shutdown.wait_for(|stopped| *stopped) => false,
        };
        if !carry_on {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn plays_steps_in_order() {
        let (_keep, shutdown) = watch::channel(false);
        let steps = vec![
            Step::Send(Bytes::from_static(b"a")),
            Step::Pause(Duration::from_millis(20)),
            Step::Send(Bytes::from_static(b"b")),
        ];
        let started = tokio::time::Instant::now();
        let body = play(steps, shutdown).collect().await.unwrap().to_bytes();
        assert_eq!(body, "ab");
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[tokio::test]
    async fn shutdown_ends_a_pause() {
        let (stop, shutdown) = watch::channel(false);
        let steps = vec![
            Step::Send(Bytes::from_static(b"a")),
            Step::Pause(Duration::from_secs(3600)),
        ];
        let mut body = play(steps, shutdown);
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, "a");
        stop.send_replace(true);
        let end = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .unwrap();
        assert!(end.is_none());
    }
}
