#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) into build-fuzz/bin/fuzz_* and, in
# the same tree, the test suite and the CLI it calls (build-fuzz/bin/ftconfig_tests,
# ftconfig), so CTest's `unit` suites run under the same sanitizers
# (scripts/test.sh; FTCONFIG_SANITIZE_TESTS=0: the harnesses only).
# clang-14, every target (engine included) instrumented with
# fuzzer-no-link,address,undefined; FTCONFIG_FUZZ_FLAGS (default -O1, line tables
# only: docs/reliability.md has the measurements). Run the harnesses with tests/fuzz/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
targets=(fuzz_request fuzz_estimate fuzz_corpus_row fuzz_corpus_snapshot fuzz_reranker fuzz_predictor
  fuzz_calibration fuzz_registry fuzz_telemetry_event fuzz_evidence fuzz_collector_body)
tests=OFF
if [[ "${FTCONFIG_SANITIZE_TESTS:-1}" != 0 ]]; then
  tests=ON
  targets+=(ftconfig_tests ftconfig)
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=${FTCONFIG_FUZZ_FLAGS:--O1 -gline-tables-only}" \
  -DFTCONFIG_FUZZ=ON -DFTCONFIG_BUILD_TESTS=$tests -DFTCONFIG_STRICT=OFF >/dev/null
cmake --build build-fuzz -j "$JOBS" --target "${targets[@]}"
