#!/usr/bin/env bash
# Growth of the recommender with the corpus (issue #21). Not a test: it prints
# the numbers and the machine they were taken on, for docs/performance.md.
#
#   bash scripts/bench-scale.sh [--1m] [--rounds N] [--sizes 1000,10000] [--snapshot]
#
# Corpora of 1k, 10k and 100k rows (1M only with --1m: about 1 GB of JSONL and
# minutes on two cores) are made by replicating the bundled rows, perturbed so
# that de-duplication keeps the copies (bench/bench_scale.cpp), under
# build/bench-scale/<rows>/ with the bundled catalog. Each size runs in its own
# process: engine creation (CPU and wall), peak RSS, and per strategy the p50
# and p99 of the CPU time per request over the benchmark requests, interleaved;
# the digest of the answers tells two builds' answers apart. --snapshot:
# the engine loads a binary corpus snapshot (`ftconfig corpus snapshot
# --format binary`) made beforehand instead of the JSONL. BENCH_BIN=path
# runs another build of the driver on the same corpora.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=(1000 10000 100000)
rounds=20
snapshot=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --1m) sizes+=(1000000); shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --sizes) IFS=, read -r -a sizes <<< "$2"; shift 2 ;;
    --snapshot) snapshot=1; shift ;;
    *) echo "usage: bash scripts/bench-scale.sh [--1m] [--rounds N] [--sizes 1000,10000] [--snapshot]" >&2; exit 2 ;;
  esac
done
bin=build/bin/ftconfig_bench_scale
[[ -x $bin ]] || bash scripts/build.sh
run_bin=${BENCH_BIN:-$bin}  # another build (an A/B against a saved baseline binary)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')"
for n in "${sizes[@]}"; do
  dir=build/bench-scale/$n
  mkdir -p "$dir/corpus"
  ln -sfn "$PWD/data/catalog" "$dir/catalog"
  if [[ ! -s $dir/corpus/configs.jsonl ]]; then
    "$bin" generate "$n" data/corpus/configs.jsonl "$dir/corpus/configs.jsonl"
  fi
  rm -f "$dir/corpus/corpus.snapshot"
  if (( snapshot )); then
    build/bin/ftconfig --data-dir "$dir" corpus snapshot --format binary --out "$dir/corpus/corpus.snapshot"
  fi
  r=$rounds
  (( n >= 100000 )) && r=$(( rounds < 5 ? rounds : 5 ))
  (( n >= 1000000 )) && r=2
  echo "== rows generated: $n (rounds $r, corpus from $( ((snapshot)) && echo 'binary snapshot' || echo JSONL))"
  "$run_bin" run "$dir" models "$r"
done
