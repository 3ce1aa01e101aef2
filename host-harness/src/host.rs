//! [`Host`]: one plugin, swappable at run time, a fresh instance per call
//! (event streams of one configuration share one, see [`crate::stream`]).

use crate::HostConfig;
use crate::bindings::Plugin;
use crate::code_cache::CodeSource;
use crate::error::HostError;
use crate::keyvalue::KeyValueStore;
use crate::limits::{self, Limits};
use crate::loader::{Loaded, Runtime};
use crate::outbound::{OutboundClient, OutboundConfig};
use crate::policy::Policy;
use crate::single_flight::SingleFlight;
use crate::snapshot::CallFiles;
use crate::state::StoreState;
use crate::stream::{Driver, EventStream, SharedInstance, SharedInstances, Start};
use crate::types::{
    ConverseRequest, CredentialInfo, Discovery, DiscoveryOptions, PluginInfo, ProviderConfig,
    ProviderError,
};
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::Store;

/// The loaded provider component. Cheap to clone (an `Arc` inside), `Send +
/// Sync`: share it across tasks. Every call runs in its own `Store` on a fresh
/// instance from a pre-instantiated component, under the limits of
/// [`HostConfig`]: a guest that traps, spins or runs out of memory fails only
/// that call, with a [`HostError`].
///
/// Event streams are the exception: streams of this host with equal
/// `ProviderConfig`s on the same build share an instance, up to
/// [`HostConfig::streams_per_instance`], which is what keeps a stream's
/// memory in kilobytes. The trade-off: a stream that makes its instance fail
/// (a trap, running out of memory or CPU, a call stopped at its deadline)
/// fails the other streams of that instance too
/// ([`HostError::InstanceFailed`]), never those of another instance,
/// configuration or host. `streams_per_instance = 1` gives every stream an
/// instance of its own.
///
/// [`Host::reload`] swaps in another build of the plugin while calls run:
/// calls in flight (open event streams included) finish on the build they
/// started on, new calls get the new one.
///
/// What must outlive an instance lives in the host: a key-value store the
/// guest reaches through `wasi:keyvalue/store` (its cache of discovery
/// results and temporary credentials). Clones share it and it survives a
/// reload; [`Host::with_policy`] and [`Host::with_outbound`] start an
/// empty one.
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
    /// The instances this host's event streams share.
    streams: SharedInstances,
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
        let streams = SharedInstances::new(
            config.streams_per_instance,
            config.instance_idle_timeout,
            runtime.idle_places(),
        );
        Self {
            runtime,
            plugin,
            outbound,
            policy: Arc::new(Policy::new(config)),
            limits: Limits::new(config),
            keyvalue: Arc::new(KeyValueStore::new()),
            discoveries: SingleFlight::default(),
            streams,
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
        let runtime = Runtime::new(
            config.max_concurrent_calls,
            config.code_cache.clone(),
            config.perf_map,
        )?;
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
        self.sibling(self.inner.outbound.clone(), config)
    }

    /// [`Host::with_policy`], but sending through a connection pool of its
    /// own, built from `config`'s outbound settings (`ca_bundle`,
    /// `outbound_*`): for an endpoint behind another private CA, or calls
    /// that must not share connections with this host's. Its first call
    /// opens a new connection. Fails, as [`Host::new`] does, when the CA
    /// bundle is unusable.
    pub fn with_outbound(&self, config: &HostConfig) -> anyhow::Result<Host> {
        let outbound = OutboundClient::new(&OutboundConfig::from(config))?;
        Ok(self.sibling(outbound, config))
    }

    /// A host identity on this host's loaded plugin.
    fn sibling(&self, outbound: OutboundClient, config: &HostConfig) -> Host {
        Host {
            inner: Arc::new(Inner::new(
                self.inner.runtime.clone(),
                self.inner.plugin.clone(),
                outbound,
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

    /// `provider.converse-stream`: starts one reply and waits for its first
    /// batch, so that every error before the first event comes back here
    /// (start and first batch share one call deadline); the events come
    /// from [`EventStream::next`], the first batch first. The stream counts
    /// as a call in flight until it is dropped.
    ///
    /// The guest's `converse-stream` returns as soon as the request is sent;
    /// the wait for the answer (retries and their backoffs included) happens
    /// in the stream's first `next`, outside the guest, so that a start never
    /// holds up the other streams of its instance.
    ///
    /// Streams of this host with equal `config`s on the same build share an
    /// instance, up to [`HostConfig::streams_per_instance`] each: see there
    /// for what they share and what that costs in isolation.
    pub async fn converse_stream(
        &self,
        config: &ProviderConfig,
        request: &ConverseRequest,
    ) -> anyhow::Result<Result<EventStream, ProviderError>> {
        // Boxed: a caller's future (often a task per stream) is as large as
        // its largest await, for the stream's whole life, and the start's
        // is several times that of `EventStream::next`.
        Box::pin(self.start_stream(config, request)).await
    }

    /// [`Host::converse_stream`]'s work.
    async fn start_stream(
        &self,
        config: &ProviderConfig,
        request: &ConverseRequest,
    ) -> anyhow::Result<Result<EventStream, ProviderError>> {
        let mut permit = self.admit(Admission::Counted)?;
        let loaded = &self.inner.current();
        let deadline = self.inner.limits.call_deadline;
        // An instance that fails (because of another of its streams) between
        // taking this stream and starting it hands the stream back unstarted.
        for _ in 0..START_ATTEMPTS {
            // What the guest reads must be what a call made now would read:
            // a rotated credentials file starts a new instance.
            let files = self.inner.policy.call_files();
            let key = format!("{config:?}\n{}", files.view());
            let key = key.as_str();
            let member = self
                .inner
                .streams
                .join(key, loaded, async move || {
                    self.shared_instance(loaded, config, key, files).await
                })
                .await?;
            match EventStream::start(member, config, request, deadline, permit.take()).await {
                Start::Done(started) => return started,
                Start::Orphaned => permit = self.admit(Admission::Counted)?,
            }
        }
        Err(HostError::StreamUnusable {
            reason: "lost its instance before it started, again and again",
        }
        .into())
    }

    /// A new instance of `loaded` for streams of `config`, sized for as
    /// many streams as one takes, with its driver running.
    async fn shared_instance(
        &self,
        loaded: &Arc<Loaded>,
        config: &ProviderConfig,
        key: &str,
        files: CallFiles,
    ) -> anyhow::Result<SharedInstance> {
        let limits = self
            .inner
            .limits
            .for_streams(self.inner.streams.per_instance());
        let (store, plugin) = self
            .instance(loaded, config.base_url.as_deref(), limits, files)
            .await?;
        let provider = plugin.gateway_provider_provider().clone();
        let commands = Driver::spawn(store, provider, self.inner.limits);
        Ok(SharedInstance::new(
            key.to_owned(),
            loaded.clone(),
            commands,
        ))
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
        let permit = self.admit(admission)?;
        let files = self.inner.policy.call_files();
        let (store, plugin) = self
            .instance(loaded, base_url, self.inner.limits, files)
            .await?;
        Ok(Call {
            store,
            plugin,
            _permit: permit,
        })
    }

    /// A place under the cap on calls in flight, for a counted call.
    fn admit(&self, admission: Admission) -> anyhow::Result<Option<OwnedSemaphorePermit>> {
        let runtime = &self.inner.runtime;
        Ok(match admission {
            Admission::Counted => Some(runtime.admit().ok_or(HostError::Busy {
                limit: runtime.max_calls(),
            })?),
            Admission::Trial => None,
        })
    }

    /// A fresh store under `limits` and an instance of `loaded` in it.
    async fn instance(
        &self,
        loaded: &Loaded,
        base_url: Option<&str>,
        limits: Limits,
        files: CallFiles,
    ) -> anyhow::Result<(Store<StoreState>, Plugin)> {
        let state = StoreState::new(
            self.inner.policy.clone(),
            self.inner.keyvalue.clone(),
            self.inner.outbound.clone(),
            base_url,
            limits,
            files,
        );
        let mut store = Store::new(self.inner.runtime.engine(), state);
        store.limiter(|state| &mut state.meter);
        store.set_hostcall_fuel(limits.result_bytes);
        store.epoch_deadline_callback(limits::on_epoch(|state: &mut StoreState| &mut state.meter));
        let pre = &loaded.pre;
        let plugin = guarded(&mut store, "instantiate", async |store| {
            pre.instantiate_async(store).await
        })
        .await
        .with_context(|| format!("instantiating {}", loaded.path.display()))?;
        Ok((store, plugin))
    }
}

/// How many instances a stream may be handed to before one starts it.
const START_ATTEMPTS: usize = 3;

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
    /// Its place under the cap on calls in flight; `None` for a trial call.
    _permit: Option<OwnedSemaphorePermit>,
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
    run_guarded(store, function, call)
        .await
        .map_err(|failure| failure.into_error().into())
}

/// How a guarded call failed.
pub(crate) enum Failure<R> {
    /// The call returned `R`, but the host refused the guest something it
    /// caps meanwhile (an outbound request): the call fails, the instance
    /// is sound.
    Refused(HostError, R),
    /// The call trapped, ran out of a budget wasmtime enforces, or was
    /// stopped at its deadline: the instance cannot be entered again.
    Instance(HostError),
}

impl<R> Failure<R> {
    fn into_error(self) -> HostError {
        match self {
            Failure::Refused(error, _) | Failure::Instance(error) => error,
        }
    }
}

/// [`guarded`], telling a refusal (the instance goes on) from a failure of
/// the instance.
pub(crate) async fn run_guarded<R>(
    store: &mut Store<StoreState>,
    function: &'static str,
    call: impl AsyncFnOnce(&mut Store<StoreState>) -> wasmtime::Result<R>,
) -> Result<R, Failure<R>> {
    store.data_mut().meter.start_call();
    store.set_epoch_deadline(1);
    let deadline = store.data().meter.call_deadline();
    let outcome = tokio::time::timeout(deadline, call(store)).await;
    let state = store.data();
    match outcome {
        Ok(Ok(value)) => match state.cut_off(function) {
            Some(limit) => Err(Failure::Refused(limit, value)),
            None => Ok(value),
        },
        Ok(Err(error)) => Err(Failure::Instance(
            state
                .cut_off(function)
                .unwrap_or_else(|| state.failure(function, &error)),
        )),
        Err(_elapsed) => Err(Failure::Instance(state.meter.deadline(function))),
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

    /// The map is the process's, always in `/tmp` (wasmtime ignores
    /// `TMPDIR`); each test runs in a process of its own.
    #[cfg(target_os = "linux")]
    #[test]
    fn perf_map_lists_the_plugins_functions() {
        let component = bedrock_test_fixtures::stand_in_component("perf-map.wasm", true);
        let map = Path::new("/tmp").join(format!("perf-{}.map", std::process::id()));
        let _ = std::fs::remove_file(&map);
        let config = HostConfig {
            env: Vec::new(),
            code_cache: None,
            perf_map: true,
            ..HostConfig::new(component.path())
        };
        let _host = Host::new(config).unwrap_or_else(|e| panic!("{e:#}"));
        let listed = std::fs::read_to_string(&map).unwrap_or_default();
        let _ = std::fs::remove_file(&map);
        assert!(listed.contains("wasm"), "{}: {listed:?}", map.display());
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
