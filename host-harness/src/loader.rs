//! The engine, the linker, and turning a component file into something ready
//! to instantiate.
//!
//! One [`Runtime`] serves every build of the plugin a [`Host`](crate::Host)
//! loads over its life: the engine (with its instance pool and epoch ticker)
//! and the linker do not depend on the component, so a reload only compiles
//! (or fetches from the code cache) and pre-instantiates.

use crate::bindings::PluginPre;
use crate::bindings::wasi::keyvalue::store;
use crate::code_cache::{self, CodeCache, CodeSource};
use crate::error::HostError;
use crate::keyvalue::HasKeyValue;
use crate::limits::{MAX_CORE_INSTANCES, MAX_MEMORIES, MAX_TABLES, Ticker};
use crate::state::StoreState;
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy,
};

/// What every build of the plugin shares.
pub(crate) struct Runtime {
    linker: Linker<StoreState>,
    code_cache: Option<CodeCache>,
    /// One permit per call in flight (an event stream holds one while open).
    calls: Arc<Semaphore>,
    max_calls: usize,
    /// One permit per instance kept idle for the next stream (see
    /// [`IDLE_INSTANCES`]).
    idle: Arc<Semaphore>,
    _ticker: Ticker,
}

/// A compiled component, linked against WASI and ready to instantiate.
pub(crate) struct Loaded {
    pub(crate) pre: PluginPre<StoreState>,
    pub(crate) path: PathBuf,
    /// Time taken by compilation (or the cache) and pre-instantiation.
    pub(crate) load_time: Duration,
    pub(crate) source: CodeSource,
}

/// Calls beyond the concurrency cap that the instance pool still has room
/// for: the trial instance of a reload, and a margin.
const POOL_HEADROOM: usize = 16;

/// Most instances kept idle after their last stream, over every host of one
/// engine: each keeps a place in the instance pool, which has room for them
/// beyond the calls in flight.
pub(crate) const IDLE_INSTANCES: usize = 16;

/// Bytes of a linear memory's dirty pages kept resident when its instance
/// ends, so that the next instance in its slot writes to them without a page
/// fault. An instance that served one stream dirties less than this (the
/// guest's stack top, data and heap), so the next one takes no page faults
/// and the ended one is reset in place, without `madvise` and the TLB
/// shootdown that comes with it; an instance that dirtied more gives the
/// rest back as before.
/// The price: a slot whose instance ended keeps up to this much resident
/// until the next instance takes it, so a burst's instances stay paid for
/// after it. The pool hands out used slots before unused ones, so the slots
/// holding pages are never more than the instances once alive at a time.
const MEMORY_KEEP_RESIDENT: usize = 256 * 1024;

/// The same for each table: the guest's function table, 8 bytes an entry.
const TABLE_KEEP_RESIDENT: usize = 64 * 1024;

impl Runtime {
    /// An engine with an instance pool for `max_calls` concurrent calls and
    /// epoch interruption, and the linker every build is linked with.
    /// `code_cache` is where compiled code is kept (`None`: compile on every
    /// load); `perf_map`: see [`HostConfig::perf_map`](crate::HostConfig::perf_map).
    pub(crate) fn new(
        max_calls: usize,
        code_cache: Option<PathBuf>,
        perf_map: bool,
    ) -> anyhow::Result<Self> {
        let engine = engine(max_calls, perf_map)?;
        let linker = linker(&engine)?;
        let ticker = Ticker::start(&engine).context("starting the epoch ticker thread")?;
        Ok(Self {
            linker,
            code_cache: code_cache.map(CodeCache::new),
            calls: Arc::new(Semaphore::new(max_calls)),
            max_calls,
            idle: Arc::new(Semaphore::new(IDLE_INSTANCES)),
            _ticker: ticker,
        })
    }

    pub(crate) fn engine(&self) -> &Engine {
        self.linker.engine()
    }

    /// A permit for one more call, or `None` when `max_calls` are running.
    pub(crate) fn admit(&self) -> Option<OwnedSemaphorePermit> {
        self.calls.clone().try_acquire_owned().ok()
    }

    pub(crate) fn max_calls(&self) -> usize {
        self.max_calls
    }

    /// The places for instances kept idle between streams.
    pub(crate) fn idle_places(&self) -> Arc<Semaphore> {
        self.idle.clone()
    }

    /// Compiles the component at `path` (or loads its compiled code from the
    /// cache) and pre-instantiates it for the `plugin` world. `compiling` is
    /// called before a compile, which takes seconds, so that a CLI can say so.
    pub(crate) fn load(&self, path: &Path, compiling: impl FnOnce()) -> anyhow::Result<Loaded> {
        let start = Instant::now();
        let shown = path.display();
        if !path.exists() {
            anyhow::bail!(
                "component not found at {shown}: build it with \
                 `cargo build -p bedrock-guest --target wasm32-wasip2 --release`, \
                 or give its path (--component / BEDROCK_COMPONENT)"
            );
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {shown}"))?;
        check_header(&bytes).with_context(|| format!("{shown} cannot be loaded"))?;
        let engine = self.engine();
        let (component, source) = match &self.code_cache {
            Some(cache) => cache.load(engine, &bytes, compiling),
            None => {
                compiling();
                code_cache::compile(engine, &bytes).map(|c| (c, CodeSource::Compiled))
            }
        }
        .with_context(|| format!("{shown} is not a valid WebAssembly component"))?;
        check_resources(&component).with_context(|| format!("{shown} cannot be loaded"))?;
        // The image every instance's memory is mapped from (a memfd the
        // size of the guest's data), made now rather than by the first call.
        component
            .initialize_copy_on_write_image()
            .map_err(anyhow::Error::from)
            .with_context(|| format!("preparing the memory image of {shown}"))?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!("{shown} imports something the host does not provide (only WASI 0.2, wasi:http and wasi:keyvalue/store@0.2.0-draft are)")
            })?;
        let pre = PluginPre::new(instance_pre)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!("{shown} does not export the gateway:provider/plugin world")
            })?;
        Ok(Loaded {
            pre,
            path: path.to_path_buf(),
            load_time: start.elapsed(),
            source,
        })
    }
}

/// The engine: async (wasmtime-wasi's I/O is), epoch interruption for the CPU
/// budget, and a pooling allocator sized for `max_calls` instances, which
/// makes instantiation a matter of microseconds. Where the pool's address
/// space cannot be reserved (a tight `ulimit -v`), instances are allocated on
/// demand instead.
fn engine(max_calls: usize, perf_map: bool) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    // The component-model-async machinery (WASI 0.3, `call_concurrent`),
    // compiled into wasmtime by default, runs every async call through an
    // event loop of its own when this is on. The plugin world is WASI 0.2
    // and every call is one at a time on its store: without it, a call is a
    // plain switch onto the fiber.
    config.concurrency_support(false);
    if perf_map {
        config.profiler(ProfilingStrategy::PerfMap);
    }
    let slots = u32::try_from(max_calls + POOL_HEADROOM + IDLE_INSTANCES).unwrap_or(u32::MAX);
    let per_call = |count: usize| u32::try_from(count).unwrap_or(u32::MAX);
    let mut pool = PoolingAllocationConfig::new();
    // Every call gets at most its share of the pool, so that no instance can
    // take the places of others.
    pool.total_component_instances(slots)
        .total_stacks(slots)
        .max_core_instances_per_component(per_call(MAX_CORE_INSTANCES))
        .max_memories_per_component(per_call(MAX_MEMORIES))
        .max_tables_per_component(per_call(MAX_TABLES))
        .total_core_instances(slots.saturating_mul(per_call(MAX_CORE_INSTANCES)))
        .total_memories(slots.saturating_mul(per_call(MAX_MEMORIES)))
        .total_tables(slots.saturating_mul(per_call(MAX_TABLES)));
    // Only the pages an instance dirtied are kept, which Linux's
    // `PAGEMAP_SCAN` (6.7 and later) finds. Without it, wasmtime would zero
    // the memory's first bytes instead: the bottom of the guest's stack,
    // which the guest rarely reaches, so those pages would be made resident
    // for nothing.
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(Enabled::Yes)
            .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
            .table_keep_resident(TABLE_KEEP_RESIDENT)
            // wasmtime's default (100) would take a never-used slot rather
            // than a used one until 100 used slots sat unused, each keeping
            // its pages: memory that grew with every instance's turnover.
            .max_unused_warm_slots(0);
    }
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if let Ok(engine) = Engine::new(&config) {
        return Ok(engine);
    }
    config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
    Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("creating the wasmtime engine")
}

/// The linker: WASI 0.2 (cli, clocks, filesystem, io, random, sockets) and
/// `wasi:http`, all async, and `wasi:keyvalue/store` (the host's cache).
///
/// Defining an interface a component does not import is fine: components
/// built before the plugin world imported `wasi:keyvalue` load too.
fn linker(engine: &Engine) -> anyhow::Result<Linker<StoreState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)
        .map_err(anyhow::Error::from)
        .context("adding WASI to the linker")?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
        .map_err(anyhow::Error::from)
        .context("adding wasi:http to the linker")?;
    crate::state::add_guest_error_text_to_linker(&mut linker)
        .map_err(anyhow::Error::from)
        .context("adding the guest's error text to the linker")?;
    store::add_to_linker::<_, HasKeyValue>(&mut linker, StoreState::keyvalue)
        .map_err(anyhow::Error::from)
        .context("adding wasi:keyvalue/store to the linker")?;
    Ok(linker)
}

/// Refuses a component whose instance would hold more memories or tables
/// than one call may, before anything runs. The instance pool refuses it
/// already when it is compiled; this is the same bound where the host runs
/// without a pool (a tight `ulimit -v`). Core instances, and components
/// whose needs cannot be known before they run, are capped when
/// instantiated (by the pool and by the call's limiter).
fn check_resources(component: &Component) -> Result<(), HostError> {
    let Some(required) = component.resources_required() else {
        return Ok(());
    };
    for (resource, count, limit) in [
        ("memories", required.num_memories, MAX_MEMORIES),
        ("tables", required.num_tables, MAX_TABLES),
    ] {
        let count = count as usize;
        if count > limit {
            return Err(HostError::ComponentTooLarge {
                resource,
                count,
                limit,
            });
        }
    }
    Ok(())
}

/// Tells a component from a core module or a file that is not WebAssembly at
/// all, for a clearer message than the parser's.
fn check_header(bytes: &[u8]) -> anyhow::Result<()> {
    const MAGIC: &[u8] = b"\0asm";
    const COMPONENT: [u8; 4] = [0x0d, 0x00, 0x01, 0x00];
    if !bytes.starts_with(MAGIC) {
        anyhow::bail!("not a WebAssembly binary (no `\\0asm` header)");
    }
    match bytes.get(4..8) {
        Some(layer) if layer == COMPONENT => Ok(()),
        Some([_, _, 0, 0]) => anyhow::bail!(
            "a core WebAssembly module, not a component: build the guest for wasm32-wasip2"
        ),
        _ => anyhow::bail!("an unsupported WebAssembly binary version or layer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component instantiating `count` times a module that has one `item`.
    fn component_of(engine: &Engine, item: &str, count: usize) -> Component {
        let instances = "(core instance (instantiate $m))".repeat(count);
        Component::new(
            engine,
            format!("(component (core module $m {item}) {instances})"),
        )
        .unwrap()
    }

    #[test]
    fn components_beyond_a_calls_share_of_the_pool_are_refused() {
        let engine = Engine::default();
        for (item, resource, limit) in [
            ("(memory 1)", "memories", MAX_MEMORIES),
            ("(table 1 funcref)", "tables", MAX_TABLES),
        ] {
            assert_eq!(check_resources(&component_of(&engine, item, limit)), Ok(()));
            assert_eq!(
                check_resources(&component_of(&engine, item, limit + 1)),
                Err(HostError::ComponentTooLarge {
                    resource,
                    count: limit + 1,
                    limit
                })
            );
        }
    }
}
