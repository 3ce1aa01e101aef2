#!/usr/bin/env bash
# The soak: 1,000 concurrent streams continuously through one Host, a hot swap
# between the guest and its twin every minute, faults injected by the
# emulator on a share of streams; writes target/bench/soak.json and the soak
# section of docs/benchmarks.md. The emulator serves HTTPS with HTTP/2 by
# ALPN, as Bedrock does, and the host trusts its CA through AWS_CA_BUNDLE:
# the streams share the host's pooled connection. --plain: plain HTTP.
# usage: bash bench/soak.sh [MINUTES | --quick] [--plain]   (default 10; --quick: 1)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10 swap_every=60 rss_every=5 tls=(--tls --ca-out target/bench/emulator-ca.pem)
for arg in "$@"; do
    case $arg in
        # One minute would see no swap at the one-minute interval.
        --quick) minutes=1 swap_every=15 rss_every=2 ;;
        --plain) tls=() ;;
        *) minutes=$arg ;;
    esac
done

bash scripts/build-component.sh
bash scripts/build-test-components.sh
cargo build --quiet --release -p bedrock-bench -p bedrock-emulator
venv=target/bench/venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
$venv/bin/python -m pip install --quiet --disable-pip-version-check -r bench/python/requirements.txt

mkdir -p target/bench
unset AWS_CA_BUNDLE
coproc EMULATOR { exec target/release/bedrock-emulator --port 0 "${tls[@]}"; }
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
read -r line <&"${EMULATOR[0]}"
endpoint=${line##* }
# The CA file is written before the endpoint line: the host reads it at start.
[[ ${#tls[@]} -gt 0 ]] && export AWS_CA_BUNDLE=target/bench/emulator-ca.pem
echo "==> emulator at $endpoint; soaking for $minutes min" >&2

target/release/bedrock-bench soak "$endpoint" \
    --component target/wasm32-wasip2/release/bedrock_guest.wasm \
    --twin target/swap-twin/wasm32-wasip2/release/bedrock_guest.wasm \
    --cache target/code-cache \
    --minutes "$minutes" --swap-every-s "$swap_every" --rss-every-s "$rss_every" \
    >target/bench/soak.json
$venv/bin/python bench/python/report.py
echo "==> target/bench/soak.json, docs/benchmarks.md" >&2
