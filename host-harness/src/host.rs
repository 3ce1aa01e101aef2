//! [`Host`]: one compiled component, a fresh instance per call.

use crate::HostConfig;
use crate::bindings::Plugin;
use crate::bindings::exports::gateway::provider::provider::Guest as ProviderExports;
use crate::loader::{self, Loaded};
use crate::policy::Policy;
use crate::state::StoreState;
use crate::types::{
    ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, PluginInfo, ProviderConfig,
    ProviderError, StreamEvent,
};
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::Store;
use wasmtime::component::ResourceAny;

/// The loaded provider component. Cheap to clone (an `Arc` inside), `Send +
/// Sync`: share it across tasks. Every call runs in its own `Store` on a fresh
/// instance, so a guest trap fails only that call.
///
/// The async methods must run inside a Tokio runtime.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

struct Inner {
    loaded: Arc<Loaded>,
    policy: Arc<Policy>,
    component: PathBuf,
}

impl Host {
    /// Compiles the component and links it against WASI. This takes a while
    /// (seconds for a fresh compile); in a server call it from a blocking
    /// context. Fails, naming the path, when the file is missing, is not a
    /// component, or does not export the `plugin` world.
    pub fn new(config: HostConfig) -> anyhow::Result<Host> {
        let policy = Arc::new(Policy::new(&config));
        let engine = loader::engine()?;
        let loaded = loader::load(&engine, &config.component)?;
        Ok(Host {
            inner: Arc::new(Inner {
                loaded: Arc::new(loaded),
                policy,
                component: config.component,
            }),
        })
    }

    /// The same compiled component under the sandbox policy of `config`
    /// (environment, extra hosts, memory limit), without compiling again.
    /// `config.component` is ignored.
    pub fn with_policy(&self, config: &HostConfig) -> Host {
        Host {
            inner: Arc::new(Inner {
                loaded: self.inner.loaded.clone(),
                policy: Arc::new(Policy::new(config)),
                component: self.inner.component.clone(),
            }),
        }
    }

    /// The env + outbound allow-lists in force.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The component file this host loaded.
    pub fn component_path(&self) -> &Path {
        &self.inner.component
    }

    /// How long compiling and pre-instantiating the component took.
    pub fn load_time(&self) -> Duration {
        self.inner.loaded.load_time
    }

    /// `provider.info`.
    pub async fn info(&self) -> anyhow::Result<PluginInfo> {
        let (mut store, plugin) = self.instantiate(None).await?;
        plugin
            .gateway_provider_provider()
            .call_info(&mut store)
            .await
            .map_err(|e| guest_failure(e, "info"))
    }

    /// `provider.credential-source`: which credentials are in force.
    pub async fn credential_source(
        &self,
        config: &ProviderConfig,
    ) -> anyhow::Result<Result<CredentialInfo, ProviderError>> {
        let (mut store, plugin) = self.instantiate(config.base_url.as_deref()).await?;
        plugin
            .gateway_provider_provider()
            .call_credential_source(&mut store, config)
            .await
            .map_err(|e| guest_failure(e, "credential-source"))
    }

    /// `provider.discover`: the models the credentials in force can invoke.
    pub async fn discover(
        &self,
        config: &ProviderConfig,
        options: &DiscoveryOptions,
    ) -> anyhow::Result<Result<Discovery, ProviderError>> {
        let (mut store, plugin) = self.instantiate(config.base_url.as_deref()).await?;
        plugin
            .gateway_provider_provider()
            .call_discover(&mut store, config, options)
            .await
            .map_err(|e| guest_failure(e, "discover"))
    }

    /// `provider.converse-stream`: starts one reply. Errors before the first
    /// event come back here; the events come from [`EventStream::next`].
    pub async fn converse_stream(
        &self,
        config: &ProviderConfig,
        request: &ConverseRequest,
    ) -> anyhow::Result<Result<EventStream, ProviderError>> {
        let (mut store, plugin) = self.instantiate(config.base_url.as_deref()).await?;
        let provider = plugin.gateway_provider_provider().clone();
        let started = provider
            .call_converse_stream(&mut store, config, request)
            .await
            .map_err(|e| guest_failure(e, "converse-stream"))?;
        Ok(started.map(|resource| EventStream {
            store,
            provider,
            resource: Some(resource),
            broken: false,
            in_call: false,
        }))
    }

    /// A fresh store and instance for one call.
    async fn instantiate(
        &self,
        base_url: Option<&str>,
    ) -> anyhow::Result<(Store<StoreState>, Plugin)> {
        let pre = &self.inner.loaded.pre;
        let mut store = Store::new(
            pre.engine(),
            StoreState::new(self.inner.policy.clone(), base_url),
        );
        store.limiter(|state| &mut state.limits);
        let plugin = pre
            .instantiate_async(&mut store)
            .await
            .map_err(anyhow::Error::from)
            .with_context(|| format!("instantiating {}", self.inner.component.display()))?;
        Ok((store, plugin))
    }
}

fn guest_failure(error: wasmtime::Error, function: &str) -> anyhow::Error {
    anyhow::Error::from(error).context(format!("the plugin failed in provider.{function}"))
}

/// One running reply. It owns its `Store`: dropping it drops the instance, the
/// guest's `event-stream` resource and every host resource of the call, which
/// cancels the HTTP request. [`EventStream::close`] additionally runs the
/// guest's destructor first.
pub struct EventStream {
    store: Store<StoreState>,
    provider: ProviderExports,
    /// `None` once the stream has ended (and the resource was released).
    resource: Option<ResourceAny>,
    /// A call trapped: the instance cannot be entered again.
    broken: bool,
    /// Set during a call to the guest; still set at the next call when the
    /// previous call's future was dropped before it completed.
    in_call: bool,
}

impl EventStream {
    /// The next batch of events, in order; `Ok(Ok(None))` once the stream has
    /// ended. A `ProviderError` is terminal (later calls return `Ok(Ok(None))`).
    /// The outer error is a host-side failure (e.g. a guest trap); after one
    /// the stream is unusable and every later call fails too. Dropping the
    /// future of a pending `next` (a timeout, say) leaves the guest mid-call:
    /// the stream is unusable after that too, drop it.
    pub async fn next(
        &mut self,
    ) -> anyhow::Result<Result<Option<Vec<StreamEvent>>, ProviderError>> {
        if self.in_call {
            self.broken = true;
            self.in_call = false;
            anyhow::bail!(
                "a previous EventStream::next was cancelled before it completed; the stream cannot be resumed"
            );
        }
        if self.broken {
            anyhow::bail!("the event stream failed earlier and cannot be resumed");
        }
        let Some(resource) = self.resource else {
            return Ok(Ok(None));
        };
        self.in_call = true;
        let result = self
            .provider
            .event_stream()
            .call_next(&mut self.store, resource)
            .await;
        self.in_call = false;
        let result = match result {
            Ok(result) => result,
            Err(error) => {
                self.broken = true;
                return Err(guest_failure(error, "event-stream.next"));
            }
        };
        if !matches!(result, Ok(Some(_))) {
            // Terminal: release the guest resource now. A failing destructor
            // does not change what the stream returned.
            self.resource = None;
            let _ = resource.resource_drop_async(&mut self.store).await;
        }
        Ok(result)
    }

    /// Ends the stream early, running the guest's destructor (which cancels
    /// the request from the guest side) before the store is dropped.
    pub async fn close(mut self) -> anyhow::Result<()> {
        if let Some(resource) = self.resource.take()
            && !self.broken
            && !self.in_call
        {
            resource
                .resource_drop_async(&mut self.store)
                .await
                .map_err(|e| guest_failure(e, "event-stream destructor"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(path: &Path) -> String {
        let error = Host::new(HostConfig::new(path))
            .err()
            .expect("Host::new should fail");
        format!("{error:#}")
    }

    #[test]
    fn host_is_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        fn check_send<T: Send + 'static>() {}
        check::<Host>();
        check_send::<EventStream>();
    }

    #[test]
    fn load_errors_name_the_path() {
        let dir = std::env::temp_dir().join(format!("bedrock-host-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();

        let missing = dir.join("missing.wasm");
        let message = error_of(&missing);
        assert!(
            message.contains("component not found") && message.contains("missing.wasm"),
            "{message}"
        );

        let text = dir.join("text.wasm");
        std::fs::write(&text, "(component)").unwrap();
        let message = error_of(&text);
        assert!(
            message.contains("text.wasm") && message.contains("not a WebAssembly binary"),
            "{message}"
        );

        // The smallest core module: magic + version 1.
        let core = dir.join("core.wasm");
        std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
        let message = error_of(&core);
        assert!(
            message.contains("core.wasm") && message.contains("core WebAssembly module"),
            "{message}"
        );

        // A valid, empty component: it does not export the plugin world.
        let empty = dir.join("empty.wasm");
        std::fs::write(&empty, b"\0asm\x0d\0\x01\0").unwrap();
        let message = error_of(&empty);
        assert!(
            message.contains("empty.wasm") && message.contains("gateway:provider/plugin"),
            "{message}"
        );

        std::fs::remove_dir_all(&dir).unwrap();
    }
}
