//! The accept loop: HTTP/1.1 connections under [`ServeLimits`], and a
//! graceful shutdown with a deadline.
//!
//! hyper's connection builder is used directly rather than `axum::serve`,
//! which offers neither a timer (so no header-read timeout), nor a cap on
//! connections, nor a deadline on shutdown.

use super::ServeLimits;
use super::error::ApiError;
use axum::Router;
use axum::http::StatusCode;
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Sleep;

/// The largest request head (request line and headers) a connection buffers.
/// hyper's default is about 400 KiB per connection; OpenAI clients send a
/// few hundred bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The address a request arrived on, in its extensions: `Host` must name it.
#[derive(Debug, Clone, Copy)]
pub(super) struct LocalAddr(pub SocketAddr);

/// Serves `router` on `listener` until `shutdown` completes; then stops
/// accepting, lets requests in flight finish for up to
/// `limits.shutdown_deadline`, and drops the connections still open.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            // Reap finished connections as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        accept_failed(error).await;
                        continue;
                    }
                };
                let Ok(place) = open.clone().try_acquire_owned() else {
                    refuse(&stream, limits.max_connections);
                    continue;
                };
                let local = match stream.local_addr() {
                    Ok(local) => local,
                    Err(_) => continue,
                };
                let _ = stream.set_nodelay(true);
                let connection = connection(stream, local, router.clone(), limits, stopping.clone());
                connections.spawn(async move {
                    connection.await;
                    drop(place);
                });
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(limits.shutdown_deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        eprintln!(
            "serve: {} connection(s) still open after the shutdown deadline of {:?}; dropping them",
            connections.len(),
            limits.shutdown_deadline
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// One connection, until it ends or the server stops (then gracefully: the
/// request in flight finishes, an idle connection closes at once).
async fn connection(
    stream: TcpStream,
    local: SocketAddr,
    router: Router,
    limits: ServeLimits,
    mut stopping: watch::Receiver<bool>,
) {
    let io = TokioIo::new(SendTimeout::new(stream, limits.send_timeout));
    let app = TowerToHyperService::new(router);
    let service = hyper::service::service_fn(move |mut request: http::Request<_>| {
        request.extensions_mut().insert(LocalAddr(local));
        app.call(request)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    let mut conn = pin!(builder.serve_connection(io, service));
    tokio::select! {
        // A client's protocol error or a timeout ends its connection only.
        _ = conn.as_mut() => {}
        // The guard `wait_for` returns is dropped before the next await.
        _ = async { stopping.wait_for(|stop| *stop).await.is_ok() } => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// A connection past the cap: one best-effort `503` and the socket closed,
/// without waiting on the client.
fn refuse(stream: &TcpStream, max_connections: usize) {
    let error = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "server_error",
        "too_many_connections",
        format!(
            "The server has {max_connections} connections open, its limit; retry shortly or reuse a connection"
        ),
    );
    let body = error.json();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(response.as_bytes());
}

/// A failed `accept`: the client's own trouble is skipped; the process's
/// (out of file descriptors, say) is logged and waited out briefly rather
/// than spinning.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind as K;
    if matches!(
        error.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::ConnectionRefused | K::Interrupted
    ) {
        return;
    }
    eprintln!("serve: accepting a connection failed: {error}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A socket whose writes fail once they have made no progress for `timeout`:
/// a client that stops reading fills its buffers, and the connection (with
/// the stream it was sending, and that stream's place under the cap) is then
/// dropped instead of waiting for ever.
struct SendTimeout<S> {
    inner: S,
    timeout: Duration,
    /// Started when a write first returned `Pending`; cleared on progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> SendTimeout<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
        }
    }

    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(&mut S, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if let Poll::Ready(result) = write(&mut self.inner, cx) {
            self.stalled = None;
            return Poll::Ready(result);
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {timeout:?}"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SendTimeout<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SendTimeout<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.watch(cx, |inner, cx| Pin::new(inner).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.watch(cx, |inner, cx| {
            Pin::new(inner).poll_write_vectored(cx, bufs)
        })
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.watch(cx, |inner, cx| Pin::new(inner).poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.watch(cx, |inner, cx| Pin::new(inner).poll_shutdown(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A peer that never reads: the writer fails with `TimedOut` instead of
    /// waiting for ever.
    #[tokio::test]
    async fn serve_send_timeout_fails_a_stalled_write() {
        let (near, _far) = tokio::io::duplex(64);
        let mut writer = SendTimeout::new(near, Duration::from_millis(50));
        let outcome = writer.write_all(&[0; 4096]).await;
        let error = outcome.expect_err("the peer reads nothing");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    /// A peer that reads slowly but steadily is never timed out: each
    /// write's progress restarts the clock.
    #[tokio::test]
    async fn serve_send_timeout_spares_a_slow_reader() {
        use tokio::io::AsyncReadExt;
        let (near, mut far) = tokio::io::duplex(64);
        let mut writer = SendTimeout::new(near, Duration::from_secs(5));
        let reader = tokio::spawn(async move {
            let mut total = 0;
            let mut chunk = [0; 64];
            while total < 4096 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                total += far.read(&mut chunk).await.unwrap();
            }
        });
        writer.write_all(&[0; 4096]).await.expect("progress");
        reader.await.unwrap();
    }
}
