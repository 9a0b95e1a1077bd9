#!/usr/bin/env bash
# Runs every test suite. Expects `scripts/build.sh --wasm` to have run.
#   1. engine and CLI suites (Boost.Test via CTest; the PostgreSQL store's
#      against this machine's server, scripts/start-postgres.sh), then the closed-loop
#      simulation of the learning loop (scripts/simulate-loop.py, ~1 min)
#   2. golden parity: native CLI answers, then node:test suites (WASM module
#      API, parity, URL mapping, npm pack smoke test)
#   3. TypeScript declarations (tsc --noEmit)
#   4. browser tests (headless Chromium + playwright-core)
#   5. ASan+UBSan: scripts/build-fuzz.sh builds the libFuzzer harnesses and the
#      test suite in one instrumented tree (build-fuzz/); CTest's `unit` suites
#      run there (FTCONFIG_SANITIZE_TESTS=0 skips them), then every harness
#      (tests/fuzz) for $FTCONFIG_FUZZ_SECONDS (default 8) s (docs/reliability.md)
set -euo pipefail
cd "$(dirname "$0")/.."

# The PostgreSQL telemetry store is tested against a real server: this
# machine's cluster (scripts/start-postgres.sh), unless one is named already.
if [[ -z "${FTCONFIG_TEST_DATABASE_URL:-}" ]]; then
  if url=$(bash scripts/start-postgres.sh); then
    export FTCONFIG_TEST_DATABASE_URL="$url"
  else
    echo "test: no PostgreSQL server: the telemetry_pg suite is skipped" >&2
  fi
fi
ctest --test-dir build --output-on-failure -j "${JOBS:-$(nproc)}"

# The learning loop through the real CLI (docs/retraining.md, "Simulation"):
# two rounds of simulated users, then a poisoning round. Asserts that the OOM
# rate and the memory error fall, that no gate-failed candidate is promoted
# and that the poisoned round leaves production as it was.
echo "== closed-loop simulation (2 rounds + poisoning)"
python3 scripts/simulate-loop.py --rounds 3 --poison-round 3 --users 150 --retrain calibrate --assert

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
echo "== sanitizer build (address,undefined): fuzz harnesses and test suite"
bash scripts/build-fuzz.sh
if [[ "${FTCONFIG_SANITIZE_TESTS:-1}" != 0 ]]; then
  echo "== CTest unit suites under ASan+UBSan (build-fuzz)"
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-fuzz -L unit --output-on-failure -j "${JOBS:-$(nproc)}"
fi
echo "== fuzz smoke run (tests/fuzz)"
bash tests/fuzz/run.sh build-fuzz "${FTCONFIG_FUZZ_SECONDS:-8}"
