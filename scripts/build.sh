#!/usr/bin/env bash
# Builds the native engine, CLI and tests into build/ (build/bin/ftconfig),
# and with --wasm also the engine under Emscripten into build-wasm/.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"

if [[ "${1:-}" == "--wasm" ]]; then
  # Debian's emscripten needs Debian's acorn for its optimizer.
  export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
  emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-wasm -j "$JOBS"
fi
