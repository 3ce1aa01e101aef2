//! Host bindings generated from `wit/provider.wit` (world `plugin`).
//!
//! The world's one import, `wasi:keyvalue/store`, is implemented in
//! `keyvalue.rs`; the standard WASI imports the component also needs are
//! provided by `wasmtime-wasi` and `wasmtime-wasi-http` in the linker (see
//! `loader.rs`).
//!
//! The store's functions are synchronous (a map lookup under a lock) and
//! `trappable`: their errors go through [`crate::keyvalue::Error`], so that a
//! host-side fault (a bad resource handle) traps instead of reading as a
//! store error the guest would shrug off.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: { default: trappable },
    exports: { default: async },
    with: {
        "wasi:keyvalue/store.bucket": crate::keyvalue::Bucket,
    },
    trappable_error_type: {
        "wasi:keyvalue/store.error" => crate::keyvalue::Error,
    },
    additional_derives: [PartialEq],
});
