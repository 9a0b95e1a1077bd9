#!/usr/bin/env bash
# Runs every test suite. Expects scripts/build.sh --wasm to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
ctest --test-dir build --output-on-failure -j "${JOBS:-$(nproc)}"
