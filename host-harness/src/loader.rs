//! Engine, linker, compilation and pre-instantiation of the component.
//!
//! Everything that is done once per [`Host`](crate::Host) lives here, so that
//! later work (pooling allocator, epoch deadlines, an on-disk code cache, hot
//! reload) has a single place to change.

use crate::bindings::PluginPre;
use crate::bindings::wasi::keyvalue::store;
use crate::keyvalue::HasKeyValue;
use crate::state::StoreState;
use anyhow::Context as _;
use std::path::Path;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

/// A compiled component, linked against WASI and ready to instantiate.
pub(crate) struct Loaded {
    pub(crate) pre: PluginPre<StoreState>,
    /// Time taken by compilation and pre-instantiation.
    pub(crate) load_time: Duration,
}

/// The engine configuration shared by all calls.
pub(crate) fn engine() -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("creating the wasmtime engine")
}

/// The linker: WASI 0.2 (cli, clocks, filesystem, io, random, sockets) and
/// `wasi:http`, all async, and `wasi:keyvalue/store` (the host's cache).
///
/// Defining an interface a component does not import is fine: components
/// built before the plugin world imported `wasi:keyvalue` load too.
pub(crate) fn linker(engine: &Engine) -> anyhow::Result<Linker<StoreState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)
        .map_err(anyhow::Error::from)
        .context("adding WASI to the linker")?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
        .map_err(anyhow::Error::from)
        .context("adding wasi:http to the linker")?;
    store::add_to_linker::<_, HasKeyValue>(&mut linker, StoreState::keyvalue)
        .map_err(anyhow::Error::from)
        .context("adding wasi:keyvalue/store to the linker")?;
    Ok(linker)
}

/// Compiles the component at `path` and pre-instantiates it for the `plugin`
/// world.
pub(crate) fn load(engine: &Engine, path: &Path) -> anyhow::Result<Loaded> {
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
    let component = Component::from_binary(engine, &bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{shown} is not a valid WebAssembly component"))?;
    let linker = linker(engine)?;
    let instance_pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!("{shown} imports something the host does not provide (only WASI 0.2, wasi:http and wasi:keyvalue/store@0.2.0-draft are)")
        })?;
    let pre = PluginPre::new(instance_pre)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{shown} does not export the gateway:provider/plugin world"))?;
    Ok(Loaded {
        pre,
        load_time: start.elapsed(),
    })
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
