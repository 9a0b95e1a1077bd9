#!/usr/bin/env bash
# Builds the native engine, CLI and tests into build/ (build/bin/ftconfig).
#   --wasm   also the WebAssembly modules (build-wasm/), then the static site
#            (build/site/) and the npm payload (build/npm/)
#   --site   only re-assemble build/site and build/npm from web/ and an
#            existing build-wasm/ (fast, for work on the site)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

if [[ "${1:-}" == "--site" ]]; then
  exec node scripts/build-site.mjs --wasm-dir build-wasm/wasm --out build
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
# The CLI reads the bundled corpus from a binary snapshot while it matches the
# JSONL (no JSON parsing: about 8 ms less per command, docs/performance.md).
# Remade on every build; a stale one is ignored with a warning.
build/bin/ftconfig corpus snapshot --format binary --out data/corpus/corpus.snapshot >/dev/null

if [[ "${1:-}" == "--wasm" ]]; then
  # Debian's emscripten needs Debian's acorn for its optimizer.
  export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
  # -O2: the size / speed balance measured in docs/performance.md (-O3 is
  # ~30% larger for the same speed, -Oz ~5x slower).
  emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" >/dev/null
  cmake --build build-wasm -j "$JOBS"
  node scripts/build-site.mjs --wasm-dir build-wasm/wasm --out build
fi
