//! The emulator's HTTP server: hyper-util's auto builder (HTTP/1.1, h2c, or h2 chosen by
//! ALPN) on [`EmulatorListener`]'s connections, as `axum::serve` runs it, with one
//! difference: the HTTP/2 limit on concurrent streams is the emulator's to set. hyper's
//! default of 200 would queue a pooled client's 201st stream behind the others, so a
//! benchmark of 1,000 overlapping streams would measure the emulator's limit rather than
//! the clients; Bedrock does not publish its own.

use std::pin::pin;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::sync::watch;
use tower_service::Service as _;

use crate::tls::{ClientAddr, EmulatorListener};

/// Serves `router` on every connection `listener` accepts until `stop` turns true; then
/// stops accepting and lets each connection finish what it carries (the streams in
/// flight end on the same signal).
pub(crate) async fn serve(
    mut listener: EmulatorListener,
    router: Router,
    max_concurrent_streams: u32,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (connection, client) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopped| *stopped) => return,
        };
        let router = router.clone();
        let service = service_fn(move |request: http::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ClientAddr(client));
            router.clone().call(request)
        });
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http2()
                .max_concurrent_streams(max_concurrent_streams);
            let mut served = pin!(builder.serve_connection(TokioIo::new(connection), service));
            let mut stopping = false;
            loop {
                tokio::select! {
                    // A connection that breaks is the client's to report.
                    _ = served.as_mut() => return,
                    _ = stop.wait_for(|stopped| *stopped), if !stopping => {
                        served.as_mut().graceful_shutdown();
                        stopping = true;
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::{Emulator, EmulatorConfig};

    #[tokio::test]
    async fn http2_clients_are_told_the_configured_stream_limit() {
        let emulator = Emulator::start(EmulatorConfig {
            http2_max_concurrent_streams: 321,
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        // h2c with prior knowledge: the server's SETTINGS come with its first frames.
        let tcp = tokio::net::TcpStream::connect(emulator.addr())
            .await
            .unwrap();
        let (client, connection) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(connection);
        let mut client = client.ready().await.unwrap();
        let request = http::Request::get(format!("{}/latest/api/token", emulator.endpoint()))
            .body(())
            .unwrap();
        let (response, _) = client.send_request(request, true).unwrap();
        // Any answer will do: by then the server's SETTINGS have been applied.
        response.await.unwrap();
        assert_eq!(client.current_max_send_streams(), 321);
        assert_eq!(emulator.requests()[0].version, http::Version::HTTP_2);
    }
}
