#!/usr/bin/env bash
# The main job until the site exists: a recommendation for a sample request,
# in human-readable form.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "$ build/bin/ftconfig recommend --platform colab --plan free --model meta-llama/Llama-3.1-8B --task instruction_following --adapter qlora --dataset-size 20000 --format text"
build/bin/ftconfig recommend --platform colab --plan free --model meta-llama/Llama-3.1-8B \
  --task instruction_following --adapter qlora --dataset-size 20000 --format text
