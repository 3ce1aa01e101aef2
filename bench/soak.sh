#!/usr/bin/env bash
# The soak: 1,000 concurrent streams continuously through one Host, a hot swap
# between the guest and its twin every minute, faults injected by the
# emulator on a share of streams; writes target/bench/soak.json and the soak
# section of docs/benchmarks.md.
# usage: bash bench/soak.sh [MINUTES | --quick]   (default 10; --quick: 1)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
swap_every=60
rss_every=5
if [[ "$minutes" == "--quick" ]]; then
    # One minute would see no swap at the one-minute interval.
    minutes=1 swap_every=15 rss_every=2
fi

bash scripts/build-component.sh
bash scripts/build-test-components.sh
cargo build --quiet --release -p bedrock-bench -p bedrock-emulator
venv=target/bench/venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
$venv/bin/python -m pip install --quiet --disable-pip-version-check -r bench/python/requirements.txt

coproc EMULATOR { exec target/release/bedrock-emulator --port 0; }
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
read -r line <&"${EMULATOR[0]}"
endpoint=${line##* }
echo "==> emulator at $endpoint; soaking for $minutes min" >&2

mkdir -p target/bench
target/release/bedrock-bench soak "$endpoint" \
    --component target/wasm32-wasip2/release/bedrock_guest.wasm \
    --twin target/swap-twin/wasm32-wasip2/release/bedrock_guest.wasm \
    --cache target/code-cache \
    --minutes "$minutes" --swap-every-s "$swap_every" --rss-every-s "$rss_every" \
    >target/bench/soak.json
$venv/bin/python bench/python/report.py
echo "==> target/bench/soak.json, docs/benchmarks.md" >&2
