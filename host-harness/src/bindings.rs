//! Host bindings generated from `wit/provider.wit` (world `plugin`).
//!
//! The world exports only; the WASI imports the component needs are provided by
//! `wasmtime-wasi` and `wasmtime-wasi-http` in the linker (see `loader.rs`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    exports: { default: async },
    additional_derives: [PartialEq],
});
