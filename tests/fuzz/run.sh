#!/usr/bin/env bash
# Runs every libFuzzer harness for SECONDS each (default 8: the smoke run of
# scripts/test.sh) over seeds made from the repository (make_seeds.py) and the
# dictionary json.dict. Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [HARNESS...]
# Crashes, leaks, timeouts (> 1 s per input) and sanitizer reports fail the run;
# reproducers land in BUILD_DIR/fuzz-artifacts/, logs in BUILD_DIR/fuzz-HARNESS-SECONDSs.log;
# corpora grow in BUILD_DIR/fuzz-corpus/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: run.sh BUILD_DIR [SECONDS] [HARNESS...]}"
seconds="${2:-8}"
shift $(( $# >= 2 ? 2 : 1 ))
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then
  harnesses=(request estimate corpus_row corpus_snapshot reranker predictor calibration registry telemetry_event
             evidence collector_body)
fi
seeds="$build/fuzz-seeds"
corpus="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
python3 "$here/make_seeds.py" "$seeds"
mkdir -p "$artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for h in "${harnesses[@]}"; do
  bin="$build/bin/fuzz_$h"
  [[ -x "$bin" ]] || { echo "fuzz: $bin is missing (build with -DFTCONFIG_FUZZ=ON)" >&2; exit 2; }
  mkdir -p "$corpus/$h" "$seeds/$h"
  log="$build/fuzz-$h-${seconds}s.log"
  start=$(date +%s)
  if "$bin" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -max_len=65536 -dict="$here/json.dict" \
      -artifact_prefix="$artifacts/$h-" -print_final_stats=1 "$corpus/$h" "$seeds/$h" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $h: ok, $runs inputs in $(( $(date +%s) - start )) s"
  else
    echo "fuzz: $h: FAILED (log: $log)" >&2
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5 >&2 || true
    failed+=("$h")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
