//! `serve` on a free loopback port, for the tests that drive it with a
//! client: started in one call, stopped on drop or cleanly on demand.

use bedrock_host::Host;
use bedrock_serve::{ServeConfig, Server};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long [`Serving::stop`] waits for `run` to return: shorter than the
/// emulator's 60 s `stall`, so that a stuck call cannot pass for a clean
/// shutdown, and far longer than any test's own deadlines.
const SHUTDOWN_PATIENCE: Duration = Duration::from_secs(30);

/// A running `serve`. Dropping it aborts the server; [`Serving::stop`]
/// shuts it down and checks that it stopped cleanly.
pub struct Serving {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Serving {
    /// `host` served under `config` on `addr` (port 0: a free one).
    pub async fn start(addr: SocketAddr, host: Host, config: ServeConfig) -> Serving {
        let server = Server::bind(addr, host, config).await.expect("binds");
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Serving {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// [`Serving::start`] on a free loopback port.
    pub async fn local(host: Host, config: ServeConfig) -> Serving {
        Self::start(([127, 0, 0, 1], 0).into(), host, config).await
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Signals shutdown and waits for `run` to return (at most 30 s).
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let task = self.task.take().unwrap();
        tokio::time::timeout(SHUTDOWN_PATIENCE, task)
            .await
            .expect("serve stops within its shutdown deadline")
            .unwrap()
            .expect("serve stops cleanly");
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
