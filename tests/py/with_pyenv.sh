#!/usr/bin/env bash
# Runs a Python check with the check venv (build/pyenv, made by
# scripts/setup-python.sh): with-pyenv.sh PYENV_DIR script.py args...
# Exit 77 (CTest: skipped) when the venv is missing.
set -euo pipefail
pyenv=$1
shift
if [[ ! -x "$pyenv/bin/python" ]]; then
  echo "SKIP: no check venv at $pyenv (run scripts/setup-python.sh)"
  exit 77
fi
exec "$pyenv/bin/python" "$@"
