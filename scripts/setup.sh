#!/usr/bin/env bash
# Installs what ftconfig needs on Debian 12 (run as root, or with sudo
# available). Idempotent: packages already present are not touched, so a
# second run takes a second.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake pkg-config python3 nodejs npm
  libboost-test-dev nlohmann-json3-dev libcli11-dev libkainjow-mustache-dev python3-nbformat python3-yaml python3-venv
  emscripten chromium
  libeigen3-dev libxgboost-dev
  libsqlite3-dev libcpp-httplib-dev libpq-dev postgresql
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# A node/npm from another source (nvm, NodeSource) is fine: don't fight it.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cd "$(dirname "$0")/.."
if [[ -f package-lock.json ]] && [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi

# The Python check environments of the exports (build/pyenv, build/pyenv-stack,
# build/pyenv-axolotl, build/pyenv-llamafactory):
# the first run downloads about 3.5 GB of wheels into ~/.cache/ftconfig, later
# runs with the same pins link the cached venvs in a second.
bash scripts/setup-python.sh
