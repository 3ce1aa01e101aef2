#!/usr/bin/env bash
# The style gate: rustfmt and clippy (warnings are errors), for the host-side
# crates and for the components on their own target.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy --quiet --target wasm32-wasip2 --release \
    -p bedrock-guest -p bedrock-hostile-guest -p bedrock-decode-bench-guest -- -D warnings
