#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) into build-fuzz/bin/fuzz_*:
# clang-14, every target (engine included) instrumented with
# fuzzer-no-link,address,undefined, -O1 -g. Run them with tests/fuzz/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
  -DFTCONFIG_FUZZ=ON -DFTCONFIG_BUILD_TESTS=OFF -DFTCONFIG_STRICT=OFF >/dev/null
cmake --build build-fuzz -j "$JOBS" --target \
  fuzz_request fuzz_estimate fuzz_corpus_row fuzz_corpus_snapshot fuzz_reranker fuzz_predictor fuzz_calibration \
  fuzz_registry fuzz_telemetry_event fuzz_evidence fuzz_collector_body
