//! [`Host`]: one plugin, swappable at run time, a fresh instance per call.

use crate::HostConfig;
use crate::bindings::Plugin;
use crate::bindings::exports::gateway::provider::provider::Guest as ProviderExports;
use crate::code_cache::CodeSource;
use crate::error::HostError;
use crate::keyvalue::KeyValueStore;
use crate::limits::{self, Limits};
use crate::loader::{Loaded, Runtime};
use crate::outbound::{OutboundClient, OutboundConfig};
use crate::policy::Policy;
use crate::single_flight::SingleFlight;
use crate::state::StoreState;
use crate::types::{
    ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, PluginInfo, ProviderConfig,
    ProviderError, StreamEvent,
};
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::Store;
use wasmtime::component::{Resource, ResourceAny};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::io::poll::{self, HostPollable};

/// The loaded provider component. Cheap to clone (an `Arc` inside), `Send +
/// Sync`: share it across tasks. Every call runs in its own `Store` on a fresh
/// instance from a pre-instantiated component, under the limits of
/// [`HostConfig`]: a guest that traps, spins or runs out of memory fails only
/// that call, with a [`HostError`].
///
/// [`Host::reload`] swaps in another build of the plugin while calls run:
/// calls in flight (open event streams included) finish on the build they
/// started on, new calls get the new one.
///
/// What must outlive an instance lives in the host: a key-value store the
/// guest reaches through `wasi:keyvalue/store` (its cache of discovery
/// results and temporary credentials). Clones share it and it survives a
/// reload; [`Host::with_policy`] starts an empty one.
///
/// The async methods must run inside a Tokio runtime.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Arc<Runtime>,
    /// The build new calls get. Shared with the hosts made by `with_policy`:
    /// a reload reaches them all.
    plugin: Arc<RwLock<Arc<Loaded>>>,
    policy: Arc<Policy>,
    limits: Limits,
    /// The guest's `wasi:keyvalue` store, shared by every call of this host.
    keyvalue: Arc<KeyValueStore>,
    /// `discover` calls in flight, by arguments (see [`Host::discover`]).
    discoveries: SingleFlight<String, SharedDiscovery>,
    /// What sends the guest's allowed requests: one connection pool for
    /// every call, shared with the hosts made by `with_policy`.
    outbound: OutboundClient,
}

/// One `discover` outcome as every caller of a flight gets it: a host-side
/// failure is kept as its message, since `anyhow::Error` cannot be cloned.
type SharedDiscovery = Result<Result<Discovery, ProviderError>, String>;

impl Inner {
    /// A host identity: the plugin under `config`'s policy and limits, with
    /// a cache and flights of its own.
    fn new(
        runtime: Arc<Runtime>,
        plugin: Arc<RwLock<Arc<Loaded>>>,
        outbound: OutboundClient,
        config: &HostConfig,
    ) -> Self {
        Self {
            runtime,
            plugin,
            outbound,
            policy: Arc::new(Policy::new(config)),
            limits: Limits::new(config),
            keyvalue: Arc::new(KeyValueStore::new()),
            discoveries: SingleFlight::default(),
        }
    }

    fn current(&self) -> Arc<Loaded> {
        // A poisoned lock still holds a whole `Arc`: the swap is one store.
        self.plugin
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl Host {
    /// Loads the component and links it against WASI: from the code cache in
    /// milliseconds, or compiled (seconds; in a server call it from a blocking
    /// context). Fails, naming the path, when the file is missing, is not a
    /// component, or does not export the `plugin` world.
    pub fn new(config: HostConfig) -> anyhow::Result<Host> {
        Self::with_progress(config, || {})
    }

    /// [`Host::new`], calling `compiling` before a compile (not before a load
    /// from the code cache), so that a CLI can say why it is waiting.
    pub fn with_progress(config: HostConfig, compiling: impl FnOnce()) -> anyhow::Result<Host> {
        Policy::check_extra_dirs(&config)?;
        let runtime = Runtime::new(config.max_concurrent_calls, config.code_cache.clone())?;
        let loaded = runtime.load(&config.component, compiling)?;
        let plugin = Arc::new(RwLock::new(Arc::new(loaded)));
        let outbound = OutboundClient::new(&OutboundConfig::from(&config))?;
        Ok(Host {
            inner: Arc::new(Inner::new(Arc::new(runtime), plugin, outbound, &config)),
        })
    }

    /// The same plugin under the sandbox policy and limits of `config`
    /// (environment, extra hosts, memory, CPU, deadline), without compiling
    /// again; a reload of either host reaches both. `config.component`,
    /// `max_concurrent_calls`, `code_cache` and the outbound client's
    /// settings (`ca_bundle`, `outbound_*`) are the original host's: both
    /// hosts send over one connection pool.
    ///
    /// The new host starts with an empty key-value store: another
    /// environment may mean other credentials, and what the guest cached
    /// under the old ones must not be served under the new ones.
    pub fn with_policy(&self, config: &HostConfig) -> Host {
        Host {
            inner: Arc::new(Inner::new(
                self.inner.runtime.clone(),
                self.inner.plugin.clone(),
                self.inner.outbound.clone(),
                config,
            )),
        }
    }

    /// Swaps in the build of the plugin at `path` and returns its `info`.
    ///
    /// The new build is loaded and given a trial call (`provider.info`) on
    /// the side; only if that succeeds do new calls get it. Calls in flight
    /// finish on the build they started on. A file that is not a component,
    /// does not fit the `plugin` world or traps at start is refused with an
    /// error that says why, and the old build keeps serving. The key-value
    /// store (the guest's caches) is kept.
    pub async fn reload(&self, path: impl AsRef<Path>) -> anyhow::Result<PluginInfo> {
        let runtime = self.inner.runtime.clone();
        let path = path.as_ref().to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || runtime.load(&path, || {}))
            .await
            .context("the loader task failed")??;
        let loaded = Arc::new(loaded);
        let shown = loaded.path.display().to_string();
        let info = self
            .info_of(&loaded, Admission::Trial)
            .await
            .with_context(|| format!("{shown} was refused: its trial call failed"))?;
        *self
            .inner
            .plugin
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = loaded;
        Ok(info)
    }

    /// The env + outbound allow-lists in force.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The component file new calls run.
    pub fn component_path(&self) -> PathBuf {
        self.inner.current().path.clone()
    }

    /// How long loading (compiling or reading the code cache) and
    /// pre-instantiating the current build took.
    pub fn load_time(&self) -> Duration {
        self.inner.current().load_time
    }

    /// Whether the current build was compiled or came from the code cache.
    pub fn code_source(&self) -> CodeSource {
        self.inner.current().source
    }

    /// `provider.info`.
    pub async fn info(&self) -> anyhow::Result<PluginInfo> {
        self.info_of(&self.inner.current(), Admission::Counted)
            .await
    }

    async fn info_of(&self, loaded: &Loaded, admission: Admission) -> anyhow::Result<PluginInfo> {
        let mut call = self.instantiate(loaded, None, admission).await?;
        let provider = call.plugin.gateway_provider_provider();
        guarded(&mut call.store, "info", async |store| {
            provider.call_info(store).await
        })
        .await
    }

    /// `provider.credential-source`: which credentials are in force.
    pub async fn credential_source(
        &self,
        config: &ProviderConfig,
    ) -> anyhow::Result<Result<CredentialInfo, ProviderError>> {
        let mut call = self.call_for(config).await?;
        let provider = call.plugin.gateway_provider_provider();
        guarded(&mut call.store, "credential-source", async |store| {
            provider.call_credential_source(store, config).await
        })
        .await
    }

    /// `provider.discover`: the models the credentials in force can invoke.
    ///
    /// Concurrent calls with equal arguments share one guest call: the first
    /// runs it, the others wait for its outcome (a host-side failure reaches
    /// them as an error with the same message). Once it completes, the next
    /// call runs the guest again, whose own cache decides whether Bedrock is
    /// asked. Arguments are compared by their `Debug` rendering, which shows
    /// every field (the generated types cannot derive `Hash`: they hold
    /// floats elsewhere in the contract).
    pub async fn discover(
        &self,
        config: &ProviderConfig,
        options: &DiscoveryOptions,
    ) -> anyhow::Result<Result<Discovery, ProviderError>> {
        let key = format!("{config:?}\n{options:?}");
        // The caller that runs the guest keeps its error with its chain and
        // typed cause; the waiters get the message.
        let mut own_failure = None;
        let shared = self
            .inner
            .discoveries
            .run(key, || async {
                self.discover_once(config, options).await.map_err(|error| {
                    let message = format!("{error:#}");
                    own_failure = Some(error);
                    message
                })
            })
            .await;
        match (shared, own_failure) {
            (Ok(outcome), _) => Ok(outcome),
            (Err(_), Some(error)) => Err(error),
            (Err(message), None) => Err(anyhow::anyhow!(message)),
        }
    }

    /// One `provider.discover` call on a fresh instance.
    async fn discover_once(
        &self,
        config: &ProviderConfig,
        options: &DiscoveryOptions,
    ) -> anyhow::Result<Result<Discovery, ProviderError>> {
        let mut call = self.call_for(config).await?;
        let provider = call.plugin.gateway_provider_provider();
        guarded(&mut call.store, "discover", async |store| {
            provider.call_discover(store, config, options).await
        })
        .await
    }

    /// `provider.converse-stream`: starts one reply. Errors before the first
    /// event come back here; the events come from [`EventStream::next`]. The
    /// stream counts as a call in flight until it is dropped.
    ///
    /// The guest's `converse-stream` returns as soon as the request is sent;
    /// the wait for the answer (retries and their backoffs included) happens
    /// in the stream's first `next`, outside the guest, under the same
    /// limits as any `next`. Its first batch is kept for the caller's first
    /// [`EventStream::next`]; an error before it is returned here.
    pub async fn converse_stream(
        &self,
        config: &ProviderConfig,
        request: &ConverseRequest,
    ) -> anyhow::Result<Result<EventStream, ProviderError>> {
        let mut call = self.call_for(config).await?;
        let provider = call.plugin.gateway_provider_provider().clone();
        let started = guarded(&mut call.store, "converse-stream", async |store| {
            provider.call_converse_stream(store, config, request).await
        })
        .await?;
        let mut stream = match started {
            Ok(resource) => EventStream::new(call, provider, resource),
            Err(error) => return Ok(Err(error)),
        };
        match stream.next().await? {
            Ok(first) => stream.first = first,
            Err(error) => return Ok(Err(error)),
        }
        Ok(Ok(stream))
    }

    /// A caller's call on the current build, reaching `config`'s endpoint.
    async fn call_for(&self, config: &ProviderConfig) -> anyhow::Result<Call> {
        self.instantiate(
            &self.inner.current(),
            config.base_url.as_deref(),
            Admission::Counted,
        )
        .await
    }

    /// A fresh store and instance of `loaded` for one call.
    async fn instantiate(
        &self,
        loaded: &Loaded,
        base_url: Option<&str>,
        admission: Admission,
    ) -> anyhow::Result<Call> {
        let runtime = &self.inner.runtime;
        let permit = match admission {
            Admission::Counted => Some(runtime.admit().ok_or(HostError::Busy {
                limit: runtime.max_calls(),
            })?),
            Admission::Trial => None,
        };
        let state = StoreState::new(
            self.inner.policy.clone(),
            self.inner.keyvalue.clone(),
            self.inner.outbound.clone(),
            base_url,
            self.inner.limits,
        );
        let mut store = Store::new(runtime.engine(), state);
        store.limiter(|state| &mut state.meter);
        store.set_hostcall_fuel(self.inner.limits.result_bytes);
        store.epoch_deadline_callback(limits::on_epoch(|state: &mut StoreState| &mut state.meter));
        let pre = &loaded.pre;
        let plugin = guarded(&mut store, "instantiate", async |store| {
            pre.instantiate_async(store).await
        })
        .await
        .with_context(|| format!("instantiating {}", loaded.path.display()))?;
        Ok(Call {
            store,
            plugin,
            permit,
        })
    }
}

/// Whether a call counts against the cap on calls in flight.
#[derive(Clone, Copy)]
enum Admission {
    /// A caller's call: refused with `Busy` at the cap.
    Counted,
    /// A reload's trial call: a swap must not fail because the host is busy
    /// (the instance pool keeps room for it).
    Trial,
}

/// One call's instance.
struct Call {
    store: Store<StoreState>,
    plugin: Plugin,
    /// `None` for a trial call.
    permit: Option<OwnedSemaphorePermit>,
}

/// Runs one call into the guest under the store's limits: a fresh CPU
/// budget of its own (the store's goes on draining), the wall-clock
/// deadline, and failures turned into [`HostError`]s. A call during which
/// the host refused the guest something it caps fails with that limit, even
/// if the guest carried on.
async fn guarded<R>(
    store: &mut Store<StoreState>,
    function: &'static str,
    call: impl AsyncFnOnce(&mut Store<StoreState>) -> wasmtime::Result<R>,
) -> anyhow::Result<R> {
    store.data_mut().meter.start_call();
    store.set_epoch_deadline(1);
    let deadline = store.data().meter.call_deadline();
    let outcome = tokio::time::timeout(deadline, call(store)).await;
    let state = store.data();
    if let Some(limit) = state.cut_off(function) {
        return Err(limit.into());
    }
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(state.failure(function, &error).into()),
        Err(_elapsed) => Err(state.meter.deadline(function).into()),
    }
}

/// One running reply. It owns its `Store`: dropping it drops the instance, the
/// guest's `event-stream` resource and every host resource of the call, which
/// cancels the HTTP request. [`EventStream::close`] additionally runs the
/// guest's destructor first.
///
/// Between batches the stream waits outside the guest: on the pollables the
/// guest's `event-stream.subscribe` hands out, with no call into the guest
/// (no suspended fiber) held while it waits.
pub struct EventStream {
    store: Store<StoreState>,
    provider: ProviderExports,
    /// `None` once the stream has ended (and the resource was released).
    resource: Option<ResourceAny>,
    /// The first batch, read by [`Host::converse_stream`] and not handed
    /// out yet.
    first: Option<Vec<StreamEvent>>,
    /// The pollables being waited on, until the wait ends: a wait dropped
    /// half-way leaves them for the next call to release.
    waiting: Vec<Resource<DynPollable>>,
    /// Why the instance cannot be entered again, once that is so.
    unusable: Option<&'static str>,
    /// Set during a call to the guest; still set at the next call when the
    /// previous call's future was dropped before it completed.
    in_call: bool,
    /// This stream's place under the host's cap on calls in flight.
    _permit: Option<OwnedSemaphorePermit>,
}

/// How a failure of the guest's `event-stream` destructor names it.
const DESTRUCTOR: &str = "event-stream destructor";
/// How the host names `next`, in its errors.
const NEXT: &str = "event-stream.next";

impl EventStream {
    fn new(call: Call, provider: ProviderExports, resource: ResourceAny) -> Self {
        EventStream {
            store: call.store,
            provider,
            resource: Some(resource),
            first: None,
            waiting: Vec::new(),
            unusable: None,
            in_call: false,
            _permit: call.permit,
        }
    }

    /// The next batch of events, in order; `Ok(Ok(None))` once the stream has
    /// ended. A `ProviderError` is terminal (later calls return `Ok(Ok(None))`).
    /// The outer error is a host-side failure (a [`HostError`]: a trap, the
    /// CPU budgets, the deadline, a bound on what the guest made the host
    /// hold); after one the stream is unusable and every later call fails
    /// too. The guest's destructor runs after the last batch, under the same
    /// limits: if it fails, so does this call.
    ///
    /// The call deadline bounds the whole of one `next`, waits included: a
    /// guest whose pollable is never ready (or always ready with nothing to
    /// hand out) fails it with [`HostError::DeadlineExceeded`].
    ///
    /// Dropping the future of a pending `next` while it waits for the
    /// network (a `select!` or a timeout, say) is harmless: the stream goes
    /// on. Dropped in the middle of a call into the guest (microseconds of
    /// decoding), it leaves the stream unusable.
    pub async fn next(
        &mut self,
    ) -> anyhow::Result<Result<Option<Vec<StreamEvent>>, ProviderError>> {
        if self.in_call {
            self.in_call = false;
            self.unusable = Some("was cancelled in the middle of a call");
        }
        if let Some(reason) = self.unusable {
            return Err(HostError::StreamUnusable { reason }.into());
        }
        if let Some(first) = self.first.take() {
            return Ok(Ok(Some(first)));
        }
        self.release_pollable()?;
        let Some(resource) = self.resource else {
            return Ok(Ok(None));
        };
        let deadline = self.store.data().meter.call_deadline();
        let result = match tokio::time::timeout(deadline, self.next_batch(resource)).await {
            Ok(result) => result?,
            Err(_elapsed) => {
                // Stopped mid-call or mid-wait: either way it is over.
                self.unusable = Some("failed earlier");
                return Err(self.store.data().meter.deadline(NEXT).into());
            }
        };
        if !matches!(result, Ok(Some(_))) {
            // Terminal: release the guest resource now, under the same
            // limits: a destructor that fails or spins fails the stream.
            self.resource = None;
            self.enter(DESTRUCTOR, async |store| {
                resource.resource_drop_async(store).await
            })
            .await?;
        }
        Ok(result)
    }

    /// Calls the guest's `next` until it has a batch (or the end, or an
    /// error), waiting on its `subscribe` pollables whenever it has nothing.
    async fn next_batch(
        &mut self,
        resource: ResourceAny,
    ) -> anyhow::Result<Result<Option<Vec<StreamEvent>>, ProviderError>> {
        let provider = self.provider.clone();
        loop {
            let result = self
                .enter(NEXT, async |store| {
                    provider.event_stream().call_next(store, resource).await
                })
                .await?;
            if !matches!(&result, Ok(Some(batch)) if batch.is_empty()) {
                return Ok(result);
            }
            let pollables = self
                .enter("event-stream.subscribe", async |store| {
                    provider
                        .event_stream()
                        .call_subscribe(store, resource)
                        .await
                })
                .await?;
            self.waiting = pollables;
            self.await_ready().await?;
            self.release_pollable()?;
            // A guest whose pollable is always ready and whose `next` never
            // has anything must not hold this thread until the deadline.
            tokio::task::yield_now().await;
        }
    }

    /// Waits, outside the guest, until one of the pollables being waited on
    /// is ready: wasmtime-wasi's own `wasi:io/poll.poll`, run by the host.
    /// A guest that hands out none is not waited for (its `next` runs again,
    /// under the call deadline).
    async fn await_ready(&mut self) -> anyhow::Result<()> {
        if self.waiting.is_empty() {
            return Ok(());
        }
        let borrowed = self
            .waiting
            .iter()
            .map(|pollable| Resource::new_borrow(pollable.rep()))
            .collect();
        let table = self.store.data_mut().table();
        poll::Host::poll(table, borrowed)
            .await
            .map(drop)
            .map_err(|error| self.unusable_after(&error))
    }

    /// Drops the pollables of the last wait, if any, before the guest runs
    /// again (it may drop the body stream they belong to).
    fn release_pollable(&mut self) -> anyhow::Result<()> {
        for pollable in std::mem::take(&mut self.waiting) {
            HostPollable::drop(self.store.data_mut().table(), pollable)
                .map_err(|error| self.unusable_after(&error))?;
        }
        Ok(())
    }

    /// A failure of the host's own handling of the stream's pollable: the
    /// guest's fault (it is the only one handing them out); the stream is over.
    fn unusable_after(&mut self, error: &wasmtime::Error) -> anyhow::Error {
        self.unusable = Some("failed earlier");
        HostError::Trapped {
            function: "event-stream.subscribe",
            detail: format!("its pollable could not be awaited: {error:?}"),
        }
        .into()
    }

    /// One guarded call into the stream's instance; a failure (or a future
    /// dropped mid-call) leaves the stream unusable.
    async fn enter<R>(
        &mut self,
        function: &'static str,
        call: impl AsyncFnOnce(&mut Store<StoreState>) -> wasmtime::Result<R>,
    ) -> anyhow::Result<R> {
        self.in_call = true;
        let result = guarded(&mut self.store, function, call).await;
        self.in_call = false;
        if result.is_err() {
            self.unusable = Some("failed earlier");
        }
        result
    }

    /// Ends the stream early, running the guest's destructor (which cancels
    /// the request from the guest side) before the store is dropped.
    pub async fn close(mut self) -> anyhow::Result<()> {
        if self.unusable.is_none() && !self.in_call {
            self.release_pollable()?;
        }
        if let Some(resource) = self.resource.take()
            && self.unusable.is_none()
            && !self.in_call
        {
            guarded(&mut self.store, DESTRUCTOR, async |store| {
                resource.resource_drop_async(store).await
            })
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::stand_in_host;

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

    /// Servers spawn these futures: they must stay `Send`.
    #[allow(dead_code)]
    fn futures_are_send(host: &Host, config: &ProviderConfig, options: &DiscoveryOptions) {
        fn check<T: Send>(_: T) {}
        check(host.discover(config, options));
        check(host.credential_source(config));
        check(host.info());
    }

    fn provider_config() -> ProviderConfig {
        ProviderConfig::default()
    }

    fn discovery_options() -> DiscoveryOptions {
        DiscoveryOptions::default()
    }

    #[tokio::test]
    async fn components_with_and_without_the_keyvalue_import_load() {
        for (name, with_keyvalue) in [("kv.wasm", true), ("no-kv.wasm", false)] {
            let host = stand_in_host(name, with_keyvalue);
            // Instantiation links every import; the stand-in's exports trap.
            let error = host.info().await.expect_err("the stand-in traps");
            assert!(
                format!("{error:#}").contains("provider.info"),
                "{name}: {error:#}"
            );
        }
    }

    #[tokio::test]
    async fn clones_share_the_cache_and_with_policy_starts_a_new_one() {
        let host = stand_in_host("cache.wasm", true);
        let mut first = host
            .instantiate(&host.inner.current(), None, Admission::Counted)
            .await
            .unwrap()
            .store;
        first
            .data_mut()
            .keyvalue()
            .store
            .set("k".into(), b"v".to_vec())
            .unwrap();
        drop(first);

        let clone = host.clone();
        let mut second = clone
            .instantiate(&clone.inner.current(), None, Admission::Counted)
            .await
            .unwrap()
            .store;
        assert_eq!(
            second.data_mut().keyvalue().store.get("k"),
            Some(b"v".to_vec())
        );

        let mut config = HostConfig::new("ignored.wasm");
        config.env = vec![("AWS_PROFILE".into(), "other".into())];
        let other = host.with_policy(&config);
        let mut third = other
            .instantiate(&other.inner.current(), None, Admission::Counted)
            .await
            .unwrap()
            .store;
        assert_eq!(third.data_mut().keyvalue().store.get("k"), None);
        third
            .data_mut()
            .keyvalue()
            .store
            .set("k".into(), b"other".to_vec())
            .unwrap();
        assert_eq!(host.inner.keyvalue.get("k"), Some(b"v".to_vec()));
        assert_eq!(host.inner.keyvalue.len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_discovers_all_get_the_host_failure() {
        let host = stand_in_host("discover.wasm", true);
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let host = host.clone();
                tokio::spawn(async move {
                    host.discover(&provider_config(), &discovery_options())
                        .await
                })
            })
            .collect();
        for call in calls {
            let error = call.await.unwrap().expect_err("the stand-in traps");
            let message = format!("{error:#}");
            assert!(message.contains("provider.discover"), "{message}");
        }
        // Nothing is left in flight: the next call runs (and fails) again.
        let error = host
            .discover(&provider_config(), &discovery_options())
            .await
            .expect_err("the stand-in traps");
        assert!(format!("{error:#}").contains("provider.discover"));
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
