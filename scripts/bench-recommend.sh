#!/usr/bin/env bash
# Native recommend latency on the bundled corpus. Not a test: it prints the
# numbers and the machine they were taken on, for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build/bin/ftconfig_bench_recommend ]] || bash scripts/build.sh
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
build/bin/ftconfig_bench_recommend data "${1:-5000}"
