#!/usr/bin/env bash
# Regenerates docs/realism.md and build/realism.json: the leave-one-source-out
# realism evaluation of every strategy against three fixed baselines
# (`ftconfig realism`, docs/realism.md). Not a test: a report, and the metrics
# file that release gates read (`ftconfig evaluate --realism build/realism.json`).
#   --gate   exit 1 when the served strategy loses a headline field to a baseline
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build/bin/ftconfig ]] || bash scripts/build.sh
mkdir -p build
start=$(date +%s)
gate=()
[[ "${1:-}" == "--gate" ]] && gate=(--gate)
build/bin/ftconfig realism --json build/realism.json --markdown docs/realism.md --runs build/realism-runs.jsonl "${gate[@]}"
echo "realism: docs/realism.md, build/realism.json, build/realism-runs.jsonl in $(( $(date +%s) - start )) s" >&2
