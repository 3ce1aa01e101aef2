#!/usr/bin/env bash
# Builds the components only the tests load: a deliberately hostile plugin
# (test-guests/hostile) and a twin of the real one that differs only in its
# version string, for the hot-swap tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --quiet -p bedrock-hostile-guest --target wasm32-wasip2 --release
# A target dir of its own: building it with another version in the main one
# would rebuild the real guest on every run.
BEDROCK_PLUGIN_VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)+swap" \
    cargo build --quiet -p bedrock-guest --target wasm32-wasip2 --release --target-dir target/swap-twin
echo "==> test components: target/wasm32-wasip2/release/bedrock_hostile_guest.wasm," \
    "target/swap-twin/wasm32-wasip2/release/bedrock_guest.wasm" >&2
