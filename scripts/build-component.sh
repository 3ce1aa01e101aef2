#!/usr/bin/env bash
# Builds the provider component (release) and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --quiet -p bedrock-guest --target wasm32-wasip2 --release
component=target/wasm32-wasip2/release/bedrock_guest.wasm
echo "==> component: $component ($(wc -c <"$component") bytes)" >&2
