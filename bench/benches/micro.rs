//! Micro-benchmarks of what a gateway pays per call and per start, and of the
//! decoder natively (the in-sandbox figure comes from `bedrock-bench decode`,
//! which times the same loop inside a component):
//!
//! * `host/instantiate+info`: a fresh instance from the warm pre-instance,
//!   one `info` call, and the instance dropped: the fixed cost of every call;
//! * `host/load-compile`: `Host::new` without a code cache (Cranelift);
//! * `host/load-cached`: `Host::new` from a warm code cache;
//! * `decode/native`: a captured ConverseStream body through the decoder.
//!
//! The component is `$BEDROCK_COMPONENT` or the workspace's release build.

use bedrock_bench::{decode, wasm};
use bedrock_emulator::{Emulator, EmulatorConfig};
use bedrock_host::HostConfig;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn host(c: &mut Criterion) {
    let component = HostConfig::default_component_path();
    let cache = std::env::temp_dir().join(format!("bedrock-bench-cache-{}", std::process::id()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let endpoint = "http://127.0.0.1:9";
    let warm =
        wasm::host(&component, endpoint, Some(cache.clone()), 1).expect("the component loads");

    let mut group = c.benchmark_group("host");
    group.bench_function("instantiate+info", |b| {
        b.iter(|| runtime.block_on(warm.info()).unwrap());
    });
    group.bench_function("load-cached", |b| {
        b.iter(|| black_box(wasm::host(&component, endpoint, Some(cache.clone()), 1).unwrap()));
    });
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("load-compile", |b| {
        b.iter(|| black_box(wasm::host(&component, endpoint, None, 1).unwrap()));
    });
    group.finish();
    let _ = std::fs::remove_dir_all(cache);
}

fn decoder(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body = runtime.block_on(async {
        let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
        decode::capture(&emulator.endpoint(), 20_000).await.unwrap()
    });
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("native", |b| {
        b.iter(|| decode::decode_all(black_box(&body)))
    });
    group.finish();
}

criterion_group!(benches, host, decoder);
criterion_main!(benches);
