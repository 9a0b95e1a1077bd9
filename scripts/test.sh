#!/usr/bin/env bash
# Runs every test suite. Expects `scripts/build.sh --wasm` to have run.
#   1. engine and CLI suites (Boost.Test via CTest)
#   2. golden parity: native CLI answers, then node:test suites (WASM module
#      API, parity, URL mapping, npm pack smoke test)
#   3. TypeScript declarations (tsc --noEmit)
#   4. browser tests (headless Chromium + playwright-core)
set -euo pipefail
cd "$(dirname "$0")/.."

ctest --test-dir build --output-on-failure -j "${JOBS:-$(nproc)}"

if [[ ! -f build/npm/api.js || ! -f build/site/index.html ]]; then
  echo "test: build/npm or build/site is missing: run scripts/build.sh --wasm" >&2
  exit 1
fi
echo "== golden answers (native CLI)"
node tests/golden/native-answers.mjs
echo "== node tests"
node --test tests/js/
echo "== tsc --noEmit"
node node_modules/typescript/bin/tsc -p tests/js
echo "== browser tests"
node --test --test-concurrency=1 tests/browser/
