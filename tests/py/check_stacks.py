#!/usr/bin/env python3
"""Every dependency stack of the catalog resolves (CTest: stacks_resolve_py).

For each distinct set of pins in data/catalog/stacks.json (packages, torch
included), runs pip's resolver: `pip install --dry-run --ignore-installed` on
Python 3.11 (the stacks' python), against PyPI, as the notebook's install cell
would. torch comes from PyPI here (its CUDA index is not reachable from CI; the
same versions are published on both). Prints what each stack resolves to.
Exit 0 when all resolve, 1 on a failure, 77 (skipped) when PyPI cannot be reached.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def resolve(pins):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        p = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                            "--disable-pip-version-check", "--report", report, *pins],
                           capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            return None, p.stderr.strip()[-1500:]
        with open(report) as f:
            installs = json.load(f)["install"]
        return {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in installs}, ""


def main():
    with open(os.path.join(ROOT, "data", "catalog", "stacks.json")) as f:
        stacks = json.load(f)["stacks"]
    groups = {}
    for s in stacks:
        pins = tuple(f"{name}=={version}" for name, version in s["packages"].items())
        groups.setdefault(pins, []).append(s["id"])
    failures = 0
    for pins, ids in groups.items():
        resolved, err = resolve(list(pins))
        if resolved is None:
            if "Could not fetch URL" in err or "connection" in err.lower() or "NewConnectionError" in err:
                print(f"SKIP: PyPI not reachable: {err[-300:]}")
                return 77
            failures += 1
            print(f"FAIL {', '.join(ids)}: {' '.join(pins)} does not resolve:\n{err}")
            continue
        key = {k: resolved.get(k) for k in ("torch", "transformers", "peft", "trl", "bitsandbytes", "accelerate",
                                             "datasets", "numpy")}
        print(f"ok {', '.join(ids)}: {len(resolved)} packages; {json.dumps(key)}")
    print(f"{len(groups) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
