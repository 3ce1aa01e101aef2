#!/usr/bin/env bash
# The main job: build the component, start the local Bedrock emulator, show
# the credential source, discover models and stream a reply, all through the
# sandboxed component in the wasmtime host.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-component.sh
echo "==> building the host (the first build compiles wasmtime: several minutes)" >&2
cargo build --quiet -p bedrock-cli
exec target/debug/bedrock-host demo "$@"
