#!/usr/bin/env bash
# Installs what the build needs on a fresh machine; safe to run again.
set -euo pipefail

if ! command -v cargo >/dev/null; then
    echo "error: cargo not found; install Rust with rustup (https://rustup.rs) first" >&2
    exit 1
fi
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    echo "==> installing the wasm32-wasip2 target"
    rustup target add wasm32-wasip2
fi
