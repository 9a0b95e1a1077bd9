#!/usr/bin/env bash
# Installs the Python check environments:
#   build/pyenv        current releases (tests/py/requirements-check.txt, every
#                      transitive package pinned in constraints-check.txt):
#                      torch, transformers, PEFT, TRL, accelerate, datasets,
#                      bitsandbytes, nbclient (tests/py/check_lora_modules.py)
#   build/pyenv-stack  the catalog's pinned stack (requirements-stack.txt,
#                      constraints-stack.txt) over build/pyenv's torch and
#                      nbclient (tests/py/run_exports.py)
#   build/pyenv-axolotl, build/pyenv-llamafactory
#                      axolotl / LLaMA-Factory at the catalog's versions over
#                      build/pyenv-stack, with --no-deps and only the packages
#                      their config validators import (requirements-axolotl.txt,
#                      requirements-llamafactory.txt; tests/py/check_tool_configs.py)
#
# Wheels are kept in a wheelhouse outside the clone (FTCONFIG_WHEELHOUSE,
# default ~/.cache/ftconfig/wheels) so a fresh clone on the same machine
# installs without downloading: PyPI's answers here are not cacheable by pip's
# own HTTP cache. The first run downloads about 3.5 GB (torch's Linux wheel
# requires the CUDA libraries even to import on a CPU); later runs only unpack.
# A second run with the same pins returns at once (stamp files).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${FTCONFIG_PYENV:-build/pyenv}
WHEELHOUSE=${FTCONFIG_WHEELHOUSE:-$HOME/.cache/ftconfig/wheels}
VENV_CACHE=${FTCONFIG_VENV_CACHE:-$HOME/.cache/ftconfig/venvs}
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$HOME/.cache/pip}
export PIP_DISABLE_PIP_VERSION_CHECK=1
PYTHON=${PYTHON:-python3}

# make_venv DIR REQUIREMENTS CONSTRAINTS [BASE_VENV [--no-deps]]: a venv with
# exactly these pins; with BASE_VENV, that venv's packages (and its own base's)
# are visible behind its own (a .pth file), so the stack venv reuses torch
# instead of installing it again. --no-deps installs only the listed packages
# (every one pinned), building a wheel of any that PyPI has only as a source
# archive (axolotl) into the wheelhouse.
make_venv() {
  local venv=$1 req=$2 cons=$3 base=${4:-} nodeps=${5:-}
  local stamp
  stamp=$(cat "$req" "$cons" ${base:+"$base/.ftconfig-stamp"} | sha256sum | cut -c1-16)
  # The venv itself lives in the cache, named by its pins, and build/ links to
  # it: a fresh clone (CI) with the same pins reuses it at once.
  local real="$VENV_CACHE/$(basename "$venv")-$stamp"
  mkdir -p "$(dirname "$venv")" "$WHEELHOUSE" "$VENV_CACHE"
  if [[ -x "$real/bin/python" && "$(cat "$real/.ftconfig-stamp" 2>/dev/null)" == "$stamp" ]]; then
    rm -rf "$venv"
    ln -s "$real" "$venv"
    return 0
  fi
  local start
  start=$(date +%s)
  # Older builds of this venv (other pins) go.
  rm -rf "$venv" "$VENV_CACHE/$(basename "$venv")"-*
  "$PYTHON" -m venv "$real"
  ln -s "$real" "$venv"
  venv=$real
  if [[ -n "$base" ]]; then
    # The base venv's packages as links in one folder named by a .pth file,
    # less those that only newer stacks use and that break older ones
    # (kernels: transformers 4.x imports it when present, and it needs a newer
    # huggingface_hub). A base that has a base itself adds that one's folder
    # after its own.
    "$venv/bin/python" - "$base" <<'PY'
import os, sys, sysconfig
base = os.path.realpath(sys.argv[1])
base_site = [p for p in (os.path.join(base, "lib", d, "site-packages") for d in os.listdir(os.path.join(base, "lib")))
             if os.path.isdir(p)][0]
site = sysconfig.get_paths()["purelib"]
links = os.path.join(os.path.dirname(os.path.dirname(site)), "..", "ftconfig-base")
links = os.path.realpath(links)
os.makedirs(links, exist_ok=True)
for name in os.listdir(base_site):
    if name.split("-")[0].split(".")[0] in ("kernels", "__pycache__") or name.endswith(".pth"):
        continue
    os.symlink(os.path.join(base_site, name), os.path.join(links, name))
chained = os.path.join(base_site, "ftconfig-base.pth")
with open(os.path.join(site, "ftconfig-base.pth"), "w") as f:
    f.write(links + "\n")
    if os.path.isfile(chained):
        f.write(open(chained).read())
PY
  fi
  local pip=("$venv/bin/python" -m pip --quiet)
  if [[ "$nodeps" == --no-deps ]]; then
    if ! "${pip[@]}" install --no-deps --no-index --find-links "$WHEELHOUSE" -r "$req" 2>/dev/null; then
      echo "setup-python: downloading (or building) wheels into $WHEELHOUSE" >&2
      "${pip[@]}" wheel --no-deps --find-links "$WHEELHOUSE" --wheel-dir "$WHEELHOUSE" -r "$req"
      "${pip[@]}" install --no-deps --no-index --find-links "$WHEELHOUSE" -r "$req"
    fi
    echo "$stamp" > "$real/.ftconfig-stamp"
    echo "setup-python: $venv ready in $(( $(date +%s) - start )) s" >&2
    return 0
  fi
  # Offline first (everything already in the wheelhouse); otherwise fetch what
  # is missing (pip download skips the files it has), then install offline.
  if ! "${pip[@]}" install --no-index --find-links "$WHEELHOUSE" -r "$req" -c "$cons" 2>/dev/null; then
    echo "setup-python: downloading wheels into $WHEELHOUSE" >&2
    "${pip[@]}" download --dest "$WHEELHOUSE" -r "$req" -c "$cons"
    "${pip[@]}" install --no-index --find-links "$WHEELHOUSE" -r "$req" -c "$cons"
  fi
  echo "$stamp" > "$real/.ftconfig-stamp"
  echo "setup-python: $venv ready in $(( $(date +%s) - start )) s" >&2
}

make_venv "$VENV" tests/py/requirements-check.txt tests/py/constraints-check.txt
make_venv "$VENV-stack" tests/py/requirements-stack.txt tests/py/constraints-stack.txt "$VENV"
# The tools' own config validators, over the catalog stack (whose transformers,
# PEFT, TRL, accelerate, datasets and bitsandbytes are exactly axolotl 0.12.2's
# pins and within LLaMA-Factory 0.9.4's ranges).
make_venv "$VENV-axolotl" tests/py/requirements-axolotl.txt tests/py/requirements-axolotl.txt "$VENV-stack" --no-deps
make_venv "$VENV-llamafactory" tests/py/requirements-llamafactory.txt tests/py/requirements-llamafactory.txt \
  "$VENV-stack" --no-deps
