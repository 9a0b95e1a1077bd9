#!/usr/bin/env python3
"""Build ftconfig's bundled data files from the reference data.

Usage:
    python3 scripts/build_data.py [--src ../shared/data] [--out data]

Reads the reference catalogs and corpus (default: <repo>/../shared/data) and
writes the engine's data files under --out (default: <repo>/data):

    catalog/gpus.json  catalog/platforms.json  catalog/models.json
    catalog/stacks.json  catalog/tasks.json  catalog/datasets.json
    corpus/configs.jsonl  corpus/MANIFEST.json  README.md

Standard library only. The output is deterministic: no clock, no randomness,
stable ordering, so running the script twice gives byte-identical files.
Every check failure (unknown GPU id in a plan, duplicate alias, wrong corpus
row count, ...) stops the build with a non-zero exit status.

Hand-curated facts (alias lists, plan tables, stack rules, dataset sizes, the
models the reference catalog lacks) live in the dicts below; each carries a
`source` string naming where it came from.
"""

import argparse
import collections
import hashlib
import json
import math
import os
import re
import sys

FORMAT_VERSION = 1
GENERATED_BY = "scripts/build_data.py"
EXPECTED_CORPUS_ROWS = 728
EXPECTED_MODELS = 82            # models in the reference catalog
EXPECTED_MODEL_ADDITIONS = 24   # project-owned models appended after them (MODEL_ADDITIONS)
EXPECTED_GPUS = 28

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SRC = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))
DEFAULT_OUT = os.path.join(REPO, "data")

GIB = 1024 ** 3


class BuildError(Exception):
    pass


def fail(msg):
    raise BuildError(msg)


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def dump_json(obj):
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def floor1(x):
    """Floor to 0.1 (a usable-memory figure must never be rounded up)."""
    return math.floor(x * 10 + 1e-9) / 10


def r4(x):
    """Round to 4 decimals; integral values become ints (16.0 -> 16)."""
    if x is None:
        return None
    x = round(x, 4)
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def check_alias_text(alias, owner):
    if not isinstance(alias, str) or not alias:
        fail("empty alias for %s" % owner)
    if alias != alias.lower():
        fail("alias %r of %s is not lowercase" % (alias, owner))
    if alias != alias.strip() or "  " in alias:
        fail("alias %r of %s has stray whitespace" % (alias, owner))


def register_aliases(table, owner, aliases, what):
    """Add aliases to table (alias -> owner); fail on a clash with another owner."""
    for a in aliases:
        check_alias_text(a, owner)
        prev = table.get(a)
        if prev is not None and prev != owner:
            fail("duplicate %s alias %r: %s and %s" % (what, a, prev, owner))
        table[a] = owner


def norm_key(s):
    """The engine's lookup key (engine/src/catalog.cpp NormalizeKey): lowercase, drop space _ - / tab."""
    return "".join(c for c in s.lower() if c not in " _-/\t")


def check_normalized_unique(what, owners_keys):
    """owners_keys: iterable of (owner, [keys]). Fail if two owners share a normalized key."""
    seen = {}
    for owner, keys in owners_keys:
        for k in keys:
            nk = norm_key(k)
            if not nk:
                continue
            prev = seen.get(nk)
            if prev is not None and prev != owner:
                fail("%s: %r (normalized %r) would match both %s and %s in the engine" % (what, k, nk, prev, owner))
            seen[nk] = owner


def separator_variants(s):
    """The spellings people use for the same token sequence: spaces, dashes, none."""
    out = {s}
    toks = [t for t in re.split(r"[\s\-_]+", s) if t]
    if len(toks) > 1:
        out.add(" ".join(toks))
        out.add("-".join(toks))
        # glued form ("rtx4090", "llama2-7b" style) only for short names and never where two
        # digits would meet ("a100 40gb" must not become "a10040gb")
        if len(toks) <= 3 and not any(a[-1].isdigit() and b[0].isdigit() for a, b in zip(toks, toks[1:])):
            out.add("".join(toks))
    return out


# ---------------------------------------------------------------------------
# GPUs
# ---------------------------------------------------------------------------

# Reference name -> catalog id, in the reference order.
GPU_IDS = collections.OrderedDict([
    ("NVIDIA T4", "t4"),
    ("NVIDIA Tesla P100 PCIe 16GB", "p100"),
    ("NVIDIA V100 16GB (SXM2)", "v100-16gb"),
    ("NVIDIA V100 32GB (SXM2)", "v100-32gb"),
    ("NVIDIA Tesla K80", "k80"),
    ("NVIDIA A10G", "a10g"),
    ("NVIDIA A10", "a10"),
    ("NVIDIA L4", "l4"),
    ("NVIDIA A100 40GB SXM4", "a100-40gb"),
    ("NVIDIA A100 80GB SXM4", "a100-80gb"),
    ("NVIDIA A100 40GB PCIe", "a100-40gb-pcie"),
    ("NVIDIA A100 80GB PCIe", "a100-80gb-pcie"),
    ("NVIDIA H100 80GB SXM5", "h100-80gb"),
    ("NVIDIA H100 80GB PCIe", "h100-pcie"),
    ("NVIDIA H200 (SXM)", "h200"),
    ("NVIDIA L40S", "l40s"),
    ("NVIDIA GeForce RTX 3060 12GB", "rtx-3060-12gb"),
    ("NVIDIA GeForce RTX 3090", "rtx-3090"),
    ("NVIDIA GeForce RTX 4060 Ti 16GB", "rtx-4060-ti-16gb"),
    ("NVIDIA GeForce RTX 4070", "rtx-4070"),
    ("NVIDIA GeForce RTX 4080", "rtx-4080"),
    ("NVIDIA GeForce RTX 4090", "rtx-4090"),
    ("NVIDIA GeForce RTX 5090", "rtx-5090"),
    ("NVIDIA RTX A6000", "rtx-a6000"),
    ("NVIDIA RTX 6000 Ada Generation", "rtx-6000-ada"),
    ("AMD Instinct MI250", "mi250"),
    ("AMD Instinct MI300X", "mi300x"),
    ("Apple M-series (Apple Silicon, M1+)", "apple-m"),
])

GPU_ALIAS_SOURCE = (
    "hand-curated spellings (vendor product names, nvidia-smi / torch.cuda.get_device_name() style names, "
    "the gpu_type strings of the reference corpus, cloud catalog labels); each alias maps to one GPU"
)

# Base spellings per GPU; separator variants (space / dash / none) are added automatically.
# Bare family names go to the variant a user most likely means: "a100" -> 40GB SXM4 (Colab's A100),
# "v100" -> 16GB, "h100" -> 80GB SXM5.
GPU_ALIASES = {
    "t4": ["t4", "tesla t4", "nvidia t4", "nvidia tesla t4", "t4 16gb", "tesla t4 16gb", "turing t4"],
    "p100": ["p100", "tesla p100", "nvidia p100", "nvidia tesla p100", "p100 16gb", "tesla p100 16gb",
             "tesla p100-pcie-16gb", "p100 pcie", "tesla p100 pcie 16gb"],
    "v100-16gb": ["v100", "tesla v100", "nvidia v100", "v100 16gb", "v100 sxm2", "v100 sxm2 16gb",
                  "tesla v100-sxm2-16gb", "nvidia tesla v100-sxm2-16gb", "tesla v100 16gb"],
    "v100-32gb": ["v100 32gb", "v100 sxm2 32gb", "tesla v100-sxm2-32gb", "nvidia tesla v100-sxm2-32gb",
                  "tesla v100 32gb"],
    "k80": ["k80", "tesla k80", "nvidia k80", "nvidia tesla k80"],
    "a10g": ["a10g", "nvidia a10g", "a10g 24gb", "a10g (24gb)", "nvidia a10g 24gb"],
    "a10": ["a10", "nvidia a10", "a10 24gb", "a10 pcie"],
    "l4": ["l4", "nvidia l4", "l4 24gb", "nvidia l4 24gb"],
    "a100-40gb": ["a100", "nvidia a100", "a100 40gb", "a100 sxm4 40gb", "a100-sxm4-40gb",
                  "nvidia a100-sxm4-40gb", "a100 40gb sxm", "a100 40gb sxm4", "a100 sxm 40gb", "a100 (40gb)",
                  "a100 (notebook targets a100)"],
    "a100-80gb": ["a100 80gb", "a100-sxm4-80gb", "nvidia a100-sxm4-80gb", "a100 sxm4 80gb", "a100 80gb sxm",
                  "a100 80gb sxm4", "a100 sxm 80gb", "a100 sxm", "a100 (80gb)", "nvidia a100 80gb"],
    "a100-40gb-pcie": ["a100 40gb pcie", "a100-pcie-40gb", "nvidia a100-pcie-40gb", "a100 pcie 40gb"],
    "a100-80gb-pcie": ["a100 80gb pcie", "a100-pcie-80gb", "nvidia a100-pcie-80gb", "a100 pcie 80gb",
                       "nvidia a100 80gb pcie", "a100 pcie"],
    "h100-80gb": ["h100", "nvidia h100", "h100 80gb", "h100 sxm", "h100 sxm5", "h100 80gb sxm", "h100 80gb sxm5",
                  "h100 80gb hbm3", "nvidia h100 80gb hbm3", "h100-sxm5-80gb", "nvidia h100 sxm5 80gb",
                  "h100 sxm5 80gb"],
    "h100-pcie": ["h100 pcie", "h100 80gb pcie", "nvidia h100 pcie", "h100-pcie-80gb", "nvidia h100 80gb pcie",
                  "h100 pcie 80gb"],
    "h200": ["h200", "nvidia h200", "h200 sxm", "h200 141gb", "nvidia h200 141gb", "h200 sxm 141gb"],
    "l40s": ["l40s", "nvidia l40s", "l40s 48gb", "nvidia l40s 48gb"],
    "rtx-3060-12gb": ["3060", "rtx 3060", "geforce rtx 3060", "nvidia geforce rtx 3060", "rtx 3060 12gb",
                      "3060 12gb", "nvidia rtx 3060"],
    "rtx-3090": ["3090", "rtx 3090", "geforce rtx 3090", "nvidia geforce rtx 3090", "rtx 3090 24gb",
                 "3090 24gb", "nvidia rtx 3090"],
    "rtx-4060-ti-16gb": ["4060 ti", "rtx 4060 ti", "rtx 4060 ti 16gb", "geforce rtx 4060 ti",
                         "nvidia geforce rtx 4060 ti", "4060 ti 16gb", "4060ti"],
    "rtx-4070": ["4070", "rtx 4070", "geforce rtx 4070", "nvidia geforce rtx 4070", "rtx 4070 12gb",
                 "nvidia rtx 4070"],
    "rtx-4080": ["4080", "rtx 4080", "geforce rtx 4080", "nvidia geforce rtx 4080", "rtx 4080 16gb",
                 "nvidia rtx 4080"],
    "rtx-4090": ["4090", "rtx 4090", "geforce rtx 4090", "nvidia geforce rtx 4090", "rtx 4090 24gb",
                 "rtx 4090 (24gb)", "4090 24gb", "nvidia rtx 4090"],
    "rtx-5090": ["5090", "rtx 5090", "geforce rtx 5090", "nvidia geforce rtx 5090", "rtx 5090 32gb",
                 "nvidia rtx 5090"],
    "rtx-a6000": ["a6000", "rtx a6000", "nvidia rtx a6000", "a6000 48gb", "rtx a6000 48gb", "quadro a6000"],
    "rtx-6000-ada": ["rtx 6000 ada", "rtx 6000 ada generation", "nvidia rtx 6000 ada generation", "6000 ada",
                     "rtx6000 ada", "l40 workstation"],
    "mi250": ["mi250", "amd mi250", "instinct mi250", "amd instinct mi250", "mi250x"],
    "mi300x": ["mi300x", "amd mi300x", "instinct mi300x", "amd instinct mi300x", "mi300"],
    "apple-m": ["apple", "apple silicon", "mps", "apple m1", "apple m2", "apple m3", "apple m4", "m1", "m2",
                "m3", "m4", "m1 max", "m2 max", "m3 max", "m4 max", "m1 pro", "m2 pro", "m3 pro", "m4 pro",
                "m1 ultra", "m2 ultra", "m3 ultra", "macbook", "mac"],
}

# GDDR data-centre parts that ship with ECC on: the driver reserves 1/16 of the memory,
# so a 16 GiB T4 reports 15 GiB (Kaggle memory_total 16106127360 B = 15 * 2^30).
GPU_ECC_GDDR = {"t4", "a10g", "a10", "l4", "l40s", "k80"}

# Dual-device boards: each half shows up as its own device with its own memory.
GPU_DEVICES_PER_BOARD = {"k80": 2, "mi250": 2}

# Ratio of torch's reported total_memory to the nominal (after ECC) capacity, calibrated on
# public device readouts found in the code index: T4 "Max memory = 14.741 GB" (Unsloth notebook
# printout, GiB) vs 15 GiB after ECC -> 0.983; V100 16GB "15.78 GiB total capacity" -> 0.986;
# A100 80GB "79.15 GiB total capacity" -> 0.989; 24 GB GeForce "23.65 GiB total capacity" -> 0.985.
DRIVER_VISIBLE_FRACTION = 0.985
CALIBRATION = [
    # (gpu id, torch total GiB seen in public logs, where)
    ("t4", 14.741, "Unsloth notebook memory printout 'Max memory = 14.741 GB' (GiB), code index"),
    ("v100-16gb", 15.78, "PyTorch OOM message '15.78 GiB total capacity', code index"),
    ("a100-80gb", 79.15, "PyTorch OOM message '79.15 GiB total capacity', code index"),
    ("rtx-4090", 23.65, "PyTorch OOM message '23.65 GiB total capacity' (24 GB GeForce), code index"),
]
CUDA_CONTEXT_GB = 0.5
DISPLAY_RESERVE_GB = 0.4

USABLE_VRAM_RULE = (
    "usable_vram_gb (decimal GB, 1e9 bytes) = what one PyTorch process can allocate on one device: "
    "(1) nominal memory in GiB (NVIDIA/AMD 'GB' sizes are binary), times 15/16 on GDDR data-centre parts that "
    "run with ECC on (T4, A10, A10G, L4, L40S, K80; e.g. Kaggle's T4 reports memory_total 16106127360 B = 15 GiB); "
    "(2) times 0.985, the share the driver exposes to CUDA as total_memory (calibrated on public torch readouts: "
    "T4 14.741 GiB, V100-16GB 15.78 GiB, A100-80GB 79.15 GiB, 24 GB GeForce 23.65 GiB); (3) converted to "
    "decimal GB (x 1.073741824); (4) minus 0.5 GB for the CUDA context, cuBLAS workspace and driver; "
    "(5) minus a further 0.4 GB on GeForce cards, which usually also drive a display; "
    "(6) floored to 0.1 GB. Dual-device boards (K80, MI250) are described per device. "
    "Apple unified memory has no fixed size: that entry carries a flagged placeholder (vram_is_placeholder)."
)

PEAK_TFLOPS_RULE = (
    "peak_tflops_fp16/bf16 = dense (no sparsity) tensor-core TFLOPs. On GeForce cards the FP32-accumulate rate "
    "(half the FP16-accumulate rate) is used when the reference gives it, because that is what mixed-precision "
    "training runs at; peak_tflops_basis says which figure each entry carries. null = not in the reference."
)

VRAM_TIERS = [8, 12, 16, 24, 32, 40, 48, 64, 80, 96, 128, 141, 192]

# Short notes per GPU (own wording; facts from the reference catalog named in each entry's source).
GPU_NOTES = {
    "t4": "Turing sm_75: fp16 mixed precision only (no bf16), no FlashAttention-2 (use SDPA). ECC on: 15 of 16 GiB "
          "visible. Free GPU of Colab, Kaggle (x2) and SageMaker Studio Lab. One other table gives 320 GB/s.",
    "p100": "Pascal sm_60, no tensor cores: peak_tflops_fp16 is the plain FP16 rate (2x FP32). No bf16, no "
            "FlashAttention-2, not supported by Unsloth (needs CC 7.0). PyTorch CUDA 12.8+ wheels lack sm_60: "
            "use cu126 wheels. SXM2 variant: 10.6 FP32 / 21.2 FP16 TFLOPs, 300 W.",
    "v100-16gb": "Volta sm_70: tensor cores but no bf16 and no FlashAttention-2; bitsandbytes LLM.int8 needs "
                 "CC 7.5, so 8-bit loading is out (4-bit NF4 works). PyTorch 2.11+ cu128 and all cu13 wheels drop "
                 "sm_70; cu126 wheels keep it. PCIe variant: 112 FP16 tensor / 14.1 FP32 TFLOPs.",
    "v100-32gb": "Same compute as the 16 GB V100 (sm_70: no bf16, no FlashAttention-2, no LLM.int8). V100S PCIe "
                 "32GB: 1134 GB/s, 130 FP16 tensor TFLOPs.",
    "k80": "Kepler dual-GPU board described per device (board: 2 x 12 GB, 480 GB/s, 8.74 FP32 TFLOPs, 300 W). "
           "Compute capability not read from a source (null). No current PyTorch wheel or bitsandbytes build "
           "supports it: no stack matches.",
    "a10g": "AWS-only A10 variant (g5 instances). Tensor/FP32 TFLOPs not in the reference (null). CC 8.6 assumed "
            "from the Ampere GA10x class. ECC on: 22.5 of 24 GiB visible.",
    "a10": "Ampere GA102 data-centre card. ECC on: 22.5 of 24 GiB visible.",
    "l4": "Ada data-centre card, 72 W. FP8 242 dense TFLOPs. ECC on: 22.5 of 24 GiB visible.",
    "a100-40gb": "Bare 'a100' resolves here (Colab's A100 is the 40 GB part). TF32 156 TFLOPs.",
    "a100-80gb": "One table gives 2.00 TB/s. 400 W (custom thermal solutions up to 500 W).",
    "a100-40gb-pcie": "PCIe form factor, 250 W.",
    "a100-80gb-pcie": "PCIe form factor, 300 W; one table gives 1.94 TB/s.",
    "h100-80gb": "Bare 'h100' resolves here (SXM5). FP8 1979 dense TFLOPs, TF32 494.5.",
    "h100-pcie": "One table gives 2048 GB/s. The H100 NVL (94 GB, 400 W) is a different part and not catalogued.",
    "h200": "141 GB HBM3e; the 141 is treated as GiB like other NVIDIA sizes. H200 NVL variant: 600 W.",
    "l40s": "Ada data-centre card. One table gives 300 W. ECC on: 45 of 48 GiB visible.",
    "rtx-3060-12gb": "3584 CUDA cores. TFLOPs and TDP not confirmed by a consistent source (null).",
    "rtx-3090": "peak_tflops_fp16/bf16 = FP32-accumulate tensor rate (71.2); the FP16-accumulate rate is ~142.",
    "rtx-4060-ti-16gb": "Only an FP16-accumulate class tensor figure (88) is in the reference; the FP32-accumulate "
                        "rate that training sees is likely about half. TDP not read (null).",
    "rtx-4070": "5888 CUDA cores. peak_tflops_fp16/bf16 = FP32-accumulate tensor rate. TDP not read (null).",
    "rtx-4080": "9728 CUDA cores, 256-bit GDDR6X. peak_tflops_fp16/bf16 = FP32-accumulate tensor rate.",
    "rtx-4090": "peak_tflops_fp16/bf16 = FP32-accumulate tensor rate (165.2); FP16-accumulate rate 330, FP8 660.",
    "rtx-5090": "Blackwell sm_120: needs PyTorch CUDA 12.8+ wheels. Tensor figures are FP16-accumulate class and "
                "marked preliminary in the reference; no FP32-accumulate figure given. TDP not read (null).",
    "rtx-a6000": "Workstation card, usually headless in clouds (no display reserve applied; ECC off by default). "
                 "CC 8.6 assumed from Ampere GA102. Tensor TFLOPs and TDP not read (null).",
    "rtx-6000-ada": "Workstation Ada card (no display reserve applied; ECC off by default). TDP not read (null). "
                    "Not the Turing 'Quadro RTX 6000', which is not catalogued.",
    "mi250": "ROCm (gfx90a), not CUDA: CUDA stacks refuse it. Described per device: the OAM module carries two "
             "GCDs that appear as two 64 GB devices (module: 128 GB, 3.28 TB/s, 362 bf16 TFLOPs). Alias 'mi250x' "
             "maps here (MI250X: 383 bf16 / 47.9 FP32 TFLOPs). FlashAttention-2 on ROCm not verified (null).",
    "mi300x": "ROCm (gfx942), not CUDA: CUDA stacks refuse it. FP8 2610 dense TFLOPs; 750 W. FlashAttention-2 on "
              "ROCm not verified (null).",
    "apple-m": "Unified memory shared with the CPU: vram_gb/usable_vram_gb are a flagged placeholder (16 GB "
               "machine, ~2/3 usable by the GPU); real capacity depends on the machine. PyTorch mps backend, not "
               "CUDA. bitsandbytes supports QLoRA 4-bit on mps (macOS 14+). bf16 and "
               "FlashAttention-2 on mps not verified (null).",
}


# The engine requires a positive vram_gb for every GPU. Apple unified memory has no fixed size, so the
# entry carries a flagged placeholder: a 16 GB machine, of which the GPU gets about two thirds.
GPU_VRAM_PLACEHOLDER = {
    "apple-m": {
        "vram_gb": 16,
        "usable_vram_gb": 10.6,
        "source": "placeholder by scripts/build_data.py, not a measured or published figure: 16 GB unified memory "
                  "(a common Mac configuration) with ~2/3 usable by the GPU under macOS's default wired-memory "
                  "limit; the user should state their own memory",
    },
}


def gpu_tier(vram):
    if vram is None:
        return None
    best = None
    for t in VRAM_TIERS:
        if t <= vram + 1e-9:
            best = t
    if best is None:
        return "<8gb"
    return "%dgb" % best


def gpu_total_gib(gid, vram_per_device):
    ecc = 15.0 / 16.0 if gid in GPU_ECC_GDDR else 1.0
    return vram_per_device * ecc * DRIVER_VISIBLE_FRACTION


def build_gpus(src):
    ref = read_json(os.path.join(src, "catalogs", "gpus.json"))
    if len(ref) != EXPECTED_GPUS:
        fail("expected %d GPUs in reference, found %d" % (EXPECTED_GPUS, len(ref)))
    names = [g["name"] for g in ref]
    if names != list(GPU_IDS.keys()):
        missing = set(names) ^ set(GPU_IDS.keys())
        fail("reference GPU list changed; update GPU_IDS (difference: %s)" % sorted(missing))
    alias_table = {}
    out = []
    for g in ref:
        gid = GPU_IDS[g["name"]]
        if gid not in GPU_ALIASES or gid not in GPU_NOTES:
            fail("no aliases/notes for GPU %s" % gid)
        aliases = set()
        for a in GPU_ALIASES[gid] + [gid]:
            aliases |= separator_variants(a.lower())
        aliases = sorted(aliases)
        register_aliases(alias_table, gid, aliases, "GPU")

        devices = GPU_DEVICES_PER_BOARD.get(gid, 1)
        vram = g["vram_gb"]
        placeholder = gid in GPU_VRAM_PLACEHOLDER
        if placeholder:
            if vram is not None:
                fail("reference now gives vram for %s; drop the placeholder" % gid)
            vram = GPU_VRAM_PLACEHOLDER[gid]["vram_gb"]
        per_dev = None if vram is None else vram / devices
        bw = g["memory_bandwidth_gbps"]
        bw = None if bw is None else bw / devices

        nvidia = g["vendor"] == "NVIDIA"
        geforce = "GeForce" in g["name"]
        cc = g["compute_capability"]
        cc = None if cc is None else float(cc)

        # peak tensor TFLOPs
        fp16 = g["fp16_tensor_tflops_dense"]
        bf16 = g["bf16_tensor_tflops_dense"]
        basis = "datasheet dense tensor"
        acc32 = g["fp16_tensor_fp32acc_tflops_dense"]
        if geforce and acc32 is not None:
            fp16 = acc32
            bf16 = acc32 if g["bf16_supported"] else None
            basis = "fp32-accumulate tensor (GeForce)"
        elif geforce and fp16 is not None:
            basis = "fp16-accumulate tensor (no fp32-accumulate figure in reference)"
        if gid == "p100":
            fp16 = 18.7  # reference notes: NVIDIA's FP16 (non-tensor, 2:1) figure
            basis = "plain FP16 rate (no tensor cores)"
        fp32 = g["fp32_tflops"]
        if devices > 1:
            fp16 = None if fp16 is None else fp16 / devices
            bf16 = None if bf16 is None else bf16 / devices
            fp32 = None if fp32 is None else fp32 / devices
            basis += ", per device (board figure / %d)" % devices
        if fp16 is None and bf16 is None:
            basis = None if fp32 is None else "no tensor figure in reference (fp32 only)"

        usable = None
        if placeholder:
            usable = GPU_VRAM_PLACEHOLDER[gid]["usable_vram_gb"]
        elif per_dev is not None:
            total_gb = gpu_total_gib(gid, per_dev) * GIB / 1e9
            usable = floor1(total_gb - CUDA_CONTEXT_GB - (DISPLAY_RESERVE_GB if geforce else 0.0))

        bnb_int8 = None
        if nvidia:
            bnb_int8 = bool(cc is not None and cc >= 7.5)

        src_list = list(g["source"])
        if placeholder:
            src_list.append(GPU_VRAM_PLACEHOLDER[gid]["source"])
        elif per_dev is not None:
            src_list.append("usable_vram_gb derived by scripts/build_data.py (see usable_vram_rule)")
        entry = collections.OrderedDict([
            ("id", gid),
            ("name", g["name"]),
            ("aliases", aliases),
            ("vendor", g["vendor"]),
            ("architecture", g["architecture"]),
            ("compute_capability", cc),
            ("cuda", nvidia),
            ("vram_gb", r4(per_dev)),
            ("vram_is_placeholder", placeholder),
            ("devices_per_board", devices),
            ("usable_vram_gb", usable),
            ("ecc_reserve", gid in GPU_ECC_GDDR),
            ("display_reserve", geforce),
            ("tier", gpu_tier(per_dev)),
            ("bf16", g["bf16_supported"]),
            ("flash_attention2", g["flash_attention2_supported"]),
            ("bnb_4bit", g["bitsandbytes_4bit_supported"]),
            ("bnb_int8", bnb_int8),
            ("peak_tflops_fp16", r4(fp16)),
            ("peak_tflops_bf16", r4(bf16)),
            ("peak_tflops_fp32", r4(fp32)),
            ("peak_tflops_basis", basis),
            ("bandwidth_gbps", r4(bw)),
            ("tdp_w", g["tdp_w"]),
            ("source", src_list),
            ("notes", GPU_NOTES[gid]),
        ])
        out.append(entry)

    check_normalized_unique("GPU alias", [(e["id"], e["aliases"] + [e["id"], e["name"]]) for e in out])
    # calibration self-check of the usable-memory rule
    by_id = {e["id"]: e for e in out}
    for gid, torch_gib, _where in CALIBRATION:
        model_gib = gpu_total_gib(gid, by_id[gid]["vram_gb"])
        if abs(model_gib - torch_gib) / torch_gib > 0.01:
            fail("usable-VRAM rule off by >1%% for %s: %.3f vs %.3f GiB" % (gid, model_gib, torch_gib))

    doc = collections.OrderedDict([
        ("format_version", FORMAT_VERSION),
        ("generated_by", GENERATED_BY),
        ("usable_vram_rule", USABLE_VRAM_RULE),
        ("peak_tflops_rule", PEAK_TFLOPS_RULE),
        ("usable_vram_calibration", [
            collections.OrderedDict([("gpu", c[0]), ("torch_total_gib", c[1]), ("source", c[2])])
            for c in CALIBRATION]),
        ("capability_rules", collections.OrderedDict([
            ("bf16", "compute capability >= 8.0 (reference flag; axolotl: Ampere or newer for bf16)"),
            ("flash_attention2", "compute capability >= 8.0 (reference flag)"),
            ("bnb_4bit", "compute capability >= 6.0 for bitsandbytes >= 0.48 (5.0 up to 0.47); reference flag"),
            ("bnb_int8", "LLM.int8 needs compute capability >= 7.5 (bitsandbytes installation docs, per "
                         "reference dependency_stacks.json); null for non-NVIDIA parts"),
        ])),
        ("alias_source", GPU_ALIAS_SOURCE),
        ("gpus", out),
    ])
    return doc, alias_table


# ---------------------------------------------------------------------------
# platforms
# ---------------------------------------------------------------------------

SRC_COLAB = [
    "exchangetuts.com quoting the Colab FAQ (12 h VM lifetime; Pro+ background execution 24 h)",
    "compute.hivenet.com Colab GPU guide (free tier T4)",
    "mccormickml.com Colab GPUs features & pricing (updated March 2026: USD 0.10 per compute unit; H100 and G4 options)",
    "techcrunch.com 2022-09-29 (compute units: USD 9.99 per 100 / 49.99 per 500)",
    "currypurin.com 2022-09-30 (compute-unit burn per hour measured on Pro+: T4 1.96, V100 5.36, A100 13.08)",
]
SRC_KAGGLE = [
    "HF-hosted knowledge-base summary kaggle_20251121.md (secondary; 30 h/week GPU, 12 h sessions)",
    "The Kaggle Book ch. 4 (GPU quotas float week to week)",
    "wandb run metadata from Kaggle (2024: 2x Tesla T4, memory_total 16106127360 B each)",
    "github:Kaggle/kaggle-cli#1151 (2026-07-30) and github:Kaggle/docker-python#1546 (2026-03-20): P100 fails on the "
    "default cu128 image",
]
SRC_STUDIO_LAB = ["github:aws/studio-lab-examples#192 (Jan 2023: GPU 4 h, CPU 12 h sessions)"]
SRC_LIGHTNING = [
    "api-evangelist lightning-ai-plans.yml generated 2026-07-19 from the lightning.ai billing FAQ",
    "gist.github.com/kashifulhaque (secondary, undated: free T4 hours)",
]
SRC_PAPERSPACE = [
    "remote-gpu-trainer Paperspace profile (free notebooks auto-stop at 6 h; Gradient CLI deprecated 2024-07-15)",
    "support.paperspace.com Virtual Machine Billing Overview",
]
SRC_RUNPOD_DEPLOYBASE = "deploybase.ai/articles/runpod-gpu-pricing (third-party summary, 2026-03-10)"
SRC_RUNPOD_SPHERON = "spheron.network/blog/runpod-h100-pricing-2026 (2026-05-22)"
SRC_RUNPOD_SKYPILOT = "github:skypilot-org/skypilot-catalog catalogs/v7/runpod/vms.csv (undated snapshot, commit 0727c2b)"
SRC_TECHBYTES = "techbytes.app serverless GPU pricing matrix (prices verified 2026-05-07 from vendor pages)"
SRC_LAMBDA_SKYPILOT = "github:skypilot-org/skypilot-catalog catalogs/v7/lambda/vms.csv (undated snapshot, commit 1158013)"
SRC_VAST_USAGE = "usagepricing.com/blueprint/vast-ai (representative on-demand rates, June 2026; marketplace prices float)"
SRC_VAST_FAIRLANE = "fairlane.systems/en/wissen/tool-vast-ai (as of 2026-05; 'from' prices)"
SRC_AWS = ("github:tsaol/aws-gpu@77fcd9f data/all_gpu_instances.js (generated from instances.vantage.sh, updated "
           "2026-01-21; us-east-1 Linux on-demand)")

COLAB_CU_USD = 0.10
COLAB_CU_BURN = {"T4": 1.96, "V100": 5.36, "A100": 13.08}


def plan(pid, name, gpu, gpu_count=1, session_limit_hours=None, price=None, price_date=None, price_source=None,
         price_basis=None, spot=None, guaranteed=False, weekly_quota_hours=None, aliases=(), notes="",
         source=(), allow_null_gpu=False):
    p = collections.OrderedDict([
        ("id", pid),
        ("name", name),
        ("aliases", sorted(set(a.lower() for a in list(aliases) + [pid]))),
        ("gpu", gpu),
        ("gpu_count", gpu_count),
        ("session_limit_hours", session_limit_hours),
        ("weekly_quota_hours", weekly_quota_hours),
        ("price_per_gpu_hour_usd", r4(price)),
        ("price_basis", price_basis),
        ("spot_price_per_gpu_hour_usd", r4(spot)),
        ("price_date", price_date),
        ("price_source", price_source),
        ("guaranteed", guaranteed),
        ("notes", notes),
        ("source", list(source)),
    ])
    p["_allow_null_gpu"] = allow_null_gpu
    return p


def colab_price(gpu_key):
    burn = COLAB_CU_BURN[gpu_key]
    return burn * COLAB_CU_USD, "%.2f compute units/h (2022-09-30 measurement) x USD 0.10 per unit" % burn


def build_platform_list(ref):
    """Hand-curated plan tables; numbers come from the reference platforms.json (checked below)."""
    P = []

    # --- Google Colab -------------------------------------------------------
    t4_price, t4_basis = colab_price("T4")
    a100_price, a100_basis = colab_price("A100")
    cu_date = "2022-09-30"
    cu_src = "currypurin.com 2022-09-30 (CU burn) + mccormickml.com March 2026 (USD 0.10/CU)"
    P.append(collections.OrderedDict([
        ("id", "colab"), ("name", "Google Colab"),
        ("aliases", ["colab", "google colab", "google colaboratory", "colaboratory", "gcolab", "colab notebook"]),
        ("kind", "notebook"),
        ("notes", "GPU assignment is never guaranteed, on any tier. Paid GPUs are billed in compute units "
                  "(USD 0.10 each; 100 units with Pro, 500 with Pro+); burn rates per GPU were measured in 2022 "
                  "and may have changed. A V100 option existed historically and is not listed."),
        ("plans", [
            plan("free", "Free", "t4", 1, 12, 0, None, None, "free tier", aliases=["free tier", "colab free", "t4"],
                 notes="Free T4 (~15 GB usable). 12 h maximum VM lifetime; idle timeout shorter than paid tiers "
                       "(unpublished; one secondary source says ~90 min). Usage limits fluctuate.",
                 source=SRC_COLAB),
            plan("pro-t4", "Pro (T4)", "t4", 1, None, t4_price, cu_date, cu_src, t4_basis,
                 aliases=["pro", "pro t4", "colab pro", "colab pro t4"],
                 notes="Session limit for Pro not stated in the sources (null); the FAQ's VM lifetime is 12 h.",
                 source=SRC_COLAB),
            plan("pro-l4", "Pro (L4)", "l4", 1, None, None, None, None, None,
                 aliases=["pro l4", "l4", "colab pro l4"],
                 notes="L4 is offered on paid tiers; its compute-unit burn rate is not in the sources, so the price "
                       "is null. Session limit not stated (null).",
                 source=SRC_COLAB),
            plan("pro-a100", "Pro (A100 40GB)", "a100-40gb", 1, None, a100_price, cu_date, cu_src, a100_basis,
                 aliases=["pro a100", "a100", "colab pro a100"],
                 notes="Colab's A100 is the 40 GB part. Premium GPUs depend on availability and unit balance. "
                       "Session limit not stated (null).",
                 source=SRC_COLAB),
            plan("pro-plus-a100", "Pro+ (A100 40GB, background execution)", "a100-40gb", 1, 24, a100_price,
                 cu_date, cu_src, a100_basis,
                 aliases=["pro+", "pro plus", "pro+ a100", "pro plus a100", "colab pro+", "colab pro plus"],
                 notes="Pro+ allows background execution up to 24 h (Colab FAQ text). Price per hour same unit burn "
                       "as Pro.",
                 source=SRC_COLAB),
            plan("pro-h100", "Pro (H100)", "h100-80gb", 1, None, None, None, None, None,
                 aliases=["pro h100", "h100", "colab pro h100"],
                 notes="H100 option reported by mccormickml.com (March 2026). Form factor not stated: mapped to the "
                       "80 GB SXM5 entry. Compute-unit burn rate not in the sources (price null); session limit "
                       "not stated (null).",
                 source=SRC_COLAB),
        ]),
    ]))

    # --- Kaggle ---------------------------------------------------------------
    P.append(collections.OrderedDict([
        ("id", "kaggle"), ("name", "Kaggle Notebooks"),
        ("aliases", ["kaggle", "kaggle notebooks", "kaggle notebook", "kaggle kernels", "kaggle kernel"]),
        ("kind", "notebook"),
        ("notes", "Free. GPU quota ~30 h per week shared by both GPU options (floats week to week), TPU ~20 h; "
                  "sessions up to 12 h. Quotas come from secondary sources. ~32 GB RAM, 4 CPUs on the T4 x2 "
                  "runtime."),
        ("plans", [
            plan("p100", "GPU P100", "p100", 1, 12, 0, None, None, "free (weekly quota)", weekly_quota_hours=30,
                 aliases=["gpu p100", "tesla p100", "kaggle p100"],
                 notes="The 2026 default image ships PyTorch cu128 without sm_60 kernels, so the P100 fails on the "
                       "first CUDA op unless a cu126 PyTorch wheel is installed (see the Pascal stack); Kaggle "
                       "itself suggests T4 x2 instead. No bf16, no FlashAttention-2, no Unsloth.",
                 source=SRC_KAGGLE),
            plan("t4x2", "GPU T4 x2", "t4", 2, 12, 0, None, None, "free (weekly quota)", weekly_quota_hours=30,
                 aliases=["t4 x2", "t4x2", "2xt4", "2x t4", "gpu t4 x2", "gpu t4x2", "t4", "kaggle t4", "free"],
                 notes="Two T4s (16 GB each, 15 GiB visible). A single-process run uses one; data/model "
                       "parallelism is needed to use both. Plan \"free\" names this plan: both Kaggle GPUs are free, "
                       "and the P100 fails on the default image.",
                 source=SRC_KAGGLE),
        ]),
    ]))

    # --- SageMaker Studio Lab -----------------------------------------------------
    P.append(collections.OrderedDict([
        ("id", "sagemaker-studio-lab"), ("name", "Amazon SageMaker Studio Lab"),
        ("aliases", ["sagemaker studio lab", "studio lab", "studiolab", "sagemaker-studio-lab",
                     "amazon sagemaker studio lab", "aws studio lab", "sm studio lab"]),
        ("kind", "notebook"),
        ("notes", "Free; GPU sessions 4 h, CPU sessions 12 h (Jan 2023)."),
        ("plans", [
            plan("free", "Free GPU runtime", "t4", 1, 4, 0, None, None, "free",
                 aliases=["gpu", "free gpu", "t4"],
                 notes="GPU type per provider docs (T4); not re-verified in the reference pass.",
                 source=SRC_STUDIO_LAB),
        ]),
    ]))

    # --- Lightning AI -------------------------------------------------------------
    P.append(collections.OrderedDict([
        ("id", "lightning"), ("name", "Lightning AI Studio"),
        ("aliases", ["lightning", "lightning ai", "lightning.ai", "lightning studio", "lightning ai studio",
                     "lightning studios"]),
        ("kind", "notebook"),
        ("notes", "1 credit = 1 USD, billed per second. Free plan: one 4-CPU Studio plus promotional credits that "
                  "change over time. No per-GPU prices were collected in the reference pass."),
        ("plans", [
            plan("free", "Free", "t4", 1, None, 0, None, None, "free (monthly free hours/credits)",
                 aliases=["free tier", "t4"],
                 notes="GPU is a T4 per a secondary, undated community report ('T4 free for 22 hours a month'); "
                       "free GPU hours are not verified. No session limit in the sources (null).",
                 source=SRC_LIGHTNING),
        ]),
    ]))

    # --- Paperspace -------------------------------------------------------------
    P.append(collections.OrderedDict([
        ("id", "paperspace"), ("name", "Paperspace Gradient (DigitalOcean)"),
        ("aliases", ["paperspace", "paperspace gradient", "gradient", "gradient notebooks", "digitalocean paperspace"]),
        ("kind", "notebook"),
        ("notes", "Gradient CLI/API deprecated 2024-07-15. Core VM storage from USD 5/month for 50 GB."),
        ("plans", [
            plan("free", "Free notebooks", None, 1, 6, 0, None, None, "free",
                 aliases=["free tier", "free notebook"],
                 notes="Free notebooks stop automatically after 6 h. The free GPU type was not verified in the "
                       "reference pass, so gpu is null: the user must name the GPU.",
                 source=SRC_PAPERSPACE, allow_null_gpu=True),
        ]),
    ]))

    # --- RunPod -------------------------------------------------------------------
    rp = ref_cloud(ref, "RunPod")
    rp_od = rp["on_demand_as_reported"]
    rp_spot = rp["spot"]
    rp_h100 = ref_cloud(ref, "RunPod H100")["secure_cloud"]
    rp_sky = ref_cloud(ref, "RunPod (Secure Cloud, from SkyPilot catalog)")["on_demand"]
    runpod_rows = [
        # (plan id, name, gpu, reference label)
        ("rtx-3090", "RTX 3090", "rtx-3090", "RTX 3090"),
        ("rtx-4090", "RTX 4090", "rtx-4090", "RTX 4090"),
        ("rtx-5090", "RTX 5090", "rtx-5090", "RTX 5090"),
        ("l4", "L4", "l4", "L4"),
        ("l40s", "L40S", "l40s", "L40S"),
        ("a100-80gb-pcie", "A100 80GB PCIe", "a100-80gb-pcie", "A100 PCIe 80GB"),
        ("a100-80gb-sxm", "A100 80GB SXM", "a100-80gb", "A100 SXM 80GB"),
        ("h100-pcie", "H100 PCIe", "h100-pcie", "H100 PCIe"),
        ("h100-sxm", "H100 SXM", "h100-80gb", "H100 SXM"),
        ("h200", "H200", "h200", "H200"),
    ]
    rplans = []
    for pid, name, gpu, label in runpod_rows:
        spot = rp_spot.get(label)
        notes = []
        if label in ("H100 PCIe", "H100 SXM"):
            # newest dated on-demand figure: spheron 2026-05-22 secure cloud
            key = "H100 80GB PCIe" if label == "H100 PCIe" else "H100 SXM5"
            price, pdate, psrc = rp_h100[key], "2026-05-22", SRC_RUNPOD_SPHERON
            basis = "on-demand (Secure Cloud)"
            notes.append("deploybase (2026-03-10) reported USD %.2f on-demand; the newer spheron figure is used. "
                         "Community Cloud range 1.80-2.40 (spheron)." % rp_od[label])
        elif label in rp_od:
            price, pdate, psrc = rp_od[label], rp["date"], SRC_RUNPOD_DEPLOYBASE
            basis = "on-demand (as reported by deploybase)"
        else:
            price, pdate, psrc, basis = None, None, None, None
            notes.append("No on-demand price in the sources (null); spot price from deploybase 2026-03-10.")
        if label == "A100 PCIe 80GB":
            notes.append("Undated SkyPilot catalog snapshot: USD %.2f on-demand." % rp_sky["A100 80GB PCIe (1x)"])
        if label == "A100 SXM 80GB":
            notes.append("Undated SkyPilot catalog snapshot: USD %.2f on-demand." % rp_sky["A100 80GB SXM (1x)"])
        rplans.append(plan(pid, name, gpu, 1, None, price, pdate, psrc, basis, spot=spot,
                           aliases=[name.lower(), "runpod " + name.lower()],
                           notes=" ".join(notes) or "Per-second billing; no session limit.",
                           source=[psrc or SRC_RUNPOD_DEPLOYBASE] +
                                  ([SRC_RUNPOD_SKYPILOT] if label.startswith("A100") else [])))
    P.append(collections.OrderedDict([
        ("id", "runpod"), ("name", "RunPod"),
        ("aliases", ["runpod", "run pod", "runpod.io"]),
        ("kind", "cloud"),
        ("notes", "Per-GPU-hour prices from third-party summaries; RunPod's own price list was not read. The "
                  "deploybase on-demand column runs well above other summaries for the same month, so treat it "
                  "as an upper figure. Not catalogued: L40, RTX PRO 6000, B200."),
        ("plans", rplans),
    ]))

    # --- Lambda -------------------------------------------------------------------
    lam = ref_cloud(ref, "Lambda")["on_demand"]
    lam_old = ref_cloud(ref, "Lambda (older catalog)")["on_demand"]
    P.append(collections.OrderedDict([
        ("id", "lambda"), ("name", "Lambda Cloud"),
        ("aliases", ["lambda", "lambda labs", "lambda cloud", "lambdalabs", "lambda gpu cloud"]),
        ("kind", "cloud"),
        ("notes", "Not catalogued: 1x Quadro RTX 6000 (Turing, USD %.2f/h in the same 2026-05-07 list)."
                  % lam["1x Quadro RTX 6000"]),
        ("plans", [
            plan("h100-pcie", "1x H100 PCIe", "h100-pcie", 1, None, lam["1x H100 PCIe"], "2026-05-07",
                 SRC_TECHBYTES, "on-demand", aliases=["1x h100 pcie", "h100 pcie"], notes="", source=[SRC_TECHBYTES]),
            plan("h100-sxm", "1x H100 SXM", "h100-80gb", 1, None, lam["1x H100 SXM"], "2026-05-07", SRC_TECHBYTES,
                 "on-demand", aliases=["1x h100 sxm", "h100 sxm", "h100"], notes="", source=[SRC_TECHBYTES]),
            plan("a100-40gb", "1x A100 40GB", "a100-40gb", 1, None, lam["1x A100 40GB"], "2026-05-07",
                 SRC_TECHBYTES, "on-demand", aliases=["1x a100 40gb", "a100 40gb", "a100"],
                 notes="Form factor not stated in the source; mapped to the SXM4 40 GB entry.",
                 source=[SRC_TECHBYTES]),
            plan("a10", "1x A10", "a10", 1, None, lam["1x A10"], "2026-05-07", SRC_TECHBYTES, "on-demand",
                 aliases=["1x a10", "a10"], notes="", source=[SRC_TECHBYTES]),
            plan("rtx-a6000", "1x RTX A6000", "rtx-a6000", 1, None, lam_old["1x A6000"], None, SRC_LAMBDA_SKYPILOT,
                 "on-demand (undated catalog snapshot)", aliases=["1x a6000", "a6000"],
                 notes="Price from an undated SkyPilot catalog snapshot (price_date null).",
                 source=[SRC_LAMBDA_SKYPILOT]),
            plan("v100-x8", "8x V100", "v100-16gb", 8, None, lam_old["8x V100 (per GPU)"], None, SRC_LAMBDA_SKYPILOT,
                 "on-demand per GPU (undated catalog snapshot)", aliases=["8x v100"],
                 notes="Undated SkyPilot snapshot. V100 memory size not stated; mapped to the 16 GB entry.",
                 source=[SRC_LAMBDA_SKYPILOT]),
            plan("a100-40gb-x8", "8x A100 40GB", "a100-40gb", 8, None, lam_old["8x A100 40GB (per GPU)"], None,
                 SRC_LAMBDA_SKYPILOT, "on-demand per GPU (undated catalog snapshot)", aliases=["8x a100 40gb"],
                 notes="Undated SkyPilot snapshot.", source=[SRC_LAMBDA_SKYPILOT]),
        ]),
    ]))

    # --- Vast.ai ------------------------------------------------------------------
    vu = ref_cloud(ref, "Vast.ai", "2026-06")["on_demand_range"]
    vf = ref_cloud(ref, "Vast.ai", "2026-05")["from_prices"]

    def mid(rng):
        lo, hi = [float(x) for x in str(rng).split("-")]
        return (lo + hi) / 2, "midpoint of the price range %s" % rng

    p4090, b4090 = mid(vu["RTX 4090"])
    p5090, b5090 = mid(vu["RTX 5090"])
    pa100, ba100 = mid(vu["A100 80GB"])
    ph100, bh100 = mid(vf["H100 80GB"])
    P.append(collections.OrderedDict([
        ("id", "vastai"), ("name", "Vast.ai"),
        ("aliases", ["vast", "vast.ai", "vastai", "vast ai"]),
        ("kind", "cloud"),
        ("notes", "Marketplace: prices float per host. Where a source gives a range the midpoint is used; "
                  "'from' prices are the lowest listings. Not catalogued: H100 NVL (USD 2.525), B200."),
        ("plans", [
            plan("rtx-3090", "RTX 3090", "rtx-3090", 1, None, None, None, None, None,
                 spot=vf["RTX 3090 (interruptible)"], aliases=["3090"],
                 notes="Only an interruptible 'from' price is in the sources (spot field); on-demand null.",
                 source=[SRC_VAST_FAIRLANE]),
            plan("rtx-4090", "RTX 4090", "rtx-4090", 1, None, p4090, "2026-06", SRC_VAST_USAGE, b4090,
                 spot=vf["RTX 4090 (interruptible)"], aliases=["4090"],
                 notes="fairlane (2026-05): on-demand from USD %.2f, interruptible from %.2f."
                       % (vf["RTX 4090 (on-demand)"], vf["RTX 4090 (interruptible)"]),
                 source=[SRC_VAST_USAGE, SRC_VAST_FAIRLANE]),
            plan("rtx-5090", "RTX 5090", "rtx-5090", 1, None, p5090, "2026-06", SRC_VAST_USAGE, b5090,
                 aliases=["5090"], notes="", source=[SRC_VAST_USAGE]),
            plan("rtx-a6000", "RTX A6000", "rtx-a6000", 1, None, vf["RTX A6000"], "2026-05", SRC_VAST_FAIRLANE,
                 "lowest listed ('from') price", aliases=["a6000"], notes="A lower bound, not a typical price.",
                 source=[SRC_VAST_FAIRLANE]),
            plan("a100-40gb", "A100 40GB", "a100-40gb", 1, None, None, None, None, None,
                 spot=vf["A100 40GB (interruptible)"], aliases=["a100 40gb"],
                 notes="Only an interruptible 'from' price is in the sources; form factor not stated (mapped to "
                       "SXM4 40 GB).", source=[SRC_VAST_FAIRLANE]),
            plan("a100-80gb", "A100 80GB", "a100-80gb", 1, None, pa100, "2026-06", SRC_VAST_USAGE, ba100,
                 aliases=["a100 80gb", "a100"],
                 notes="Form factor not stated (mapped to SXM4 80 GB). fairlane (2026-05) range %s." % vf["A100 80GB"],
                 source=[SRC_VAST_USAGE, SRC_VAST_FAIRLANE]),
            plan("h100-80gb", "H100 80GB", "h100-80gb", 1, None, ph100, "2026-05", SRC_VAST_FAIRLANE, bh100,
                 aliases=["h100 80gb", "h100"],
                 notes="Form factor not stated (mapped to SXM5).", source=[SRC_VAST_FAIRLANE]),
            plan("h200", "H200", "h200", 1, None, vf["H200"], "2026-05", SRC_VAST_FAIRLANE,
                 "lowest listed ('from') price", aliases=[], notes="A lower bound, not a typical price.",
                 source=[SRC_VAST_FAIRLANE]),
        ]),
    ]))

    # --- Modal / Replicate ------------------------------------------------------------
    mo = ref_cloud(ref, "Modal (serverless)")["per_gpu_hour"]
    P.append(collections.OrderedDict([
        ("id", "modal"), ("name", "Modal"),
        ("aliases", ["modal", "modal labs", "modal.com"]),
        ("kind", "cloud"),
        ("notes", "Serverless, billed per second; function time limits were not collected (session limit null)."),
        ("plans", [
            plan("t4", "T4", "t4", 1, None, mo["T4"], "2026-05-07", SRC_TECHBYTES, "serverless per GPU-hour",
                 notes="", source=[SRC_TECHBYTES]),
            plan("l4", "L4", "l4", 1, None, mo["L4"], "2026-05-07", SRC_TECHBYTES, "serverless per GPU-hour",
                 notes="", source=[SRC_TECHBYTES]),
            plan("l40s", "L40S", "l40s", 1, None, mo["L40S"], "2026-05-07", SRC_TECHBYTES, "serverless per GPU-hour",
                 notes="", source=[SRC_TECHBYTES]),
            plan("a100-80gb", "A100 80GB", "a100-80gb", 1, None, mo["A100 80GB"], "2026-05-07", SRC_TECHBYTES,
                 "serverless per GPU-hour", aliases=["a100"], notes="Form factor not stated (mapped to SXM4 80 GB).",
                 source=[SRC_TECHBYTES]),
            plan("h100", "H100", "h100-80gb", 1, None, mo["H100"], "2026-05-07", SRC_TECHBYTES,
                 "serverless per GPU-hour", notes="Form factor not stated (mapped to SXM5).", source=[SRC_TECHBYTES]),
        ]),
    ]))
    rep = ref_cloud(ref, "Replicate")["per_gpu_hour"]
    P.append(collections.OrderedDict([
        ("id", "replicate"), ("name", "Replicate"),
        ("aliases", ["replicate", "replicate.com"]),
        ("kind", "cloud"),
        ("notes", "Per-second billing of hardware; session limits not collected (null)."),
        ("plans", [
            plan("t4", "T4", "t4", 1, None, rep["T4"], "2026-05-07", SRC_TECHBYTES, "per GPU-hour", notes="",
                 source=[SRC_TECHBYTES]),
            plan("l40s", "L40S", "l40s", 1, None, rep["L40S"], "2026-05-07", SRC_TECHBYTES, "per GPU-hour", notes="",
                 source=[SRC_TECHBYTES]),
            plan("a100-80gb", "A100 80GB", "a100-80gb", 1, None, rep["A100 80GB"], "2026-05-07", SRC_TECHBYTES,
                 "per GPU-hour", aliases=["a100"], notes="Form factor not stated (mapped to SXM4 80 GB).",
                 source=[SRC_TECHBYTES]),
            plan("h100", "H100", "h100-80gb", 1, None, rep["H100"], "2026-05-07", SRC_TECHBYTES, "per GPU-hour",
                 notes="Form factor not stated (mapped to SXM5).", source=[SRC_TECHBYTES]),
        ]),
    ]))

    # --- AWS EC2 ------------------------------------------------------------------
    aws = ref["aws_ec2"]
    aws_gpu_map = {
        "NVIDIA T4": "t4", "NVIDIA A10G": "a10g", "NVIDIA L4": "l4", "NVIDIA L40S": "l40s",
        "NVIDIA V100": "v100-16gb", "NVIDIA H100": "h100-80gb", "NVIDIA H200": "h200",
    }
    aws_skip = {"g7e.2xlarge": "RTX PRO 6000 Blackwell (96 GB) is not in the GPU catalog"}
    aplans = []
    for inst in aws["instances"]:
        name = inst["instance"]
        if name in aws_skip:
            continue
        g = inst["gpu"]
        if g == "NVIDIA A100":
            per_gpu_mem = int(inst["gpu_memory"].split()[0]) / inst["gpu_count"]
            gpu = {40: "a100-40gb", 80: "a100-80gb"}.get(int(per_gpu_mem))
        elif g == "NVIDIA V100":
            per_gpu_mem = int(inst["gpu_memory"].split()[0])
            gpu = {16: "v100-16gb", 32: "v100-32gb"}.get(per_gpu_mem)
        else:
            gpu = aws_gpu_map.get(g)
        if gpu is None:
            fail("AWS instance %s: no catalog GPU for %r" % (name, g))
        aplans.append(plan(
            name, "%s (%d x %s)" % (name, inst["gpu_count"], g.replace("NVIDIA ", "")), gpu, inst["gpu_count"],
            None, inst["usd_per_gpu_hr"], aws["date"], SRC_AWS, "on-demand per GPU (instance price / GPU count)",
            aliases=[],
            notes="Instance USD %s/h on-demand (us-east-1), %d vCPU, %s RAM, GPU memory %s."
                  % (fmt_num(inst["on_demand_usd_per_hr_us_east_1"]), inst["vcpu"], inst["memory"],
                     inst["gpu_memory"]),
            source=[SRC_AWS]))
    P.append(collections.OrderedDict([
        ("id", "aws"), ("name", "AWS EC2"),
        ("aliases", ["aws", "ec2", "amazon ec2", "amazon web services", "aws ec2"]),
        ("kind", "cloud"),
        ("notes", "us-east-1 Linux on-demand, as of 2026-01-21 (includes the June 2025 P4/P5 price cut). "
                  "Capacity Blocks (not on-demand) are cheaper, e.g. p5.48xlarge USD 39.33/h. Skipped: " +
                  "; ".join("%s (%s)" % kv for kv in sorted(aws_skip.items())) +
                  ". GCP and Azure were not collected."),
        ("plans", aplans),
    ]))

    # --- local --------------------------------------------------------------------
    P.append(collections.OrderedDict([
        ("id", "local"), ("name", "Local machine"),
        ("aliases", ["local", "localhost", "my machine", "my pc", "own gpu", "my gpu", "workstation", "desktop",
                     "laptop", "on-prem", "on-premise", "on-premises", "self-hosted", "home"]),
        ("kind", "local"),
        ("notes", "The user's own hardware: the GPU must be given explicitly."),
        ("plans", [
            plan("any", "Any local GPU", None, 1, None, 0, None, None, "own hardware",
                 guaranteed=True, aliases=["default", "free"], notes="gpu is null: the user must name the GPU (and count).",
                 source=["ftconfig convention (no external source)"], allow_null_gpu=True),
        ]),
    ]))
    return P


def fmt_num(x):
    s = ("%.6f" % x).rstrip("0").rstrip(".")
    return s


def ref_cloud(ref, provider, date_prefix=None):
    hits = [c for c in ref["gpu_clouds_usd_per_gpu_hour"] if c["provider"] == provider
            and (date_prefix is None or str(c["date"]).startswith(date_prefix))]
    if len(hits) != 1:
        fail("reference cloud provider %r (date %r): expected 1 entry, found %d" % (provider, date_prefix, len(hits)))
    return hits[0]


def check_reference_platform_facts(ref):
    """Fail if numbers the plan tables rely on are not in the reference as expected."""
    free = {x["platform"]: x for x in ref["free_notebooks"]}
    colab = free["Google Colab (free)"]
    if colab["session_max_hours"] != 12 or colab["gpu_count"] != 1:
        fail("Colab free facts changed in reference")
    kag = free["Kaggle Notebooks"]
    if kag["session_max_hours"] != 12 or kag["weekly_gpu_quota_hours"] != 30:
        fail("Kaggle facts changed in reference")
    sl = free["Amazon SageMaker Studio Lab (free)"]
    if sl["session_max_hours"]["gpu"] != 4:
        fail("Studio Lab facts changed in reference")
    ps = free["Paperspace Gradient (DigitalOcean) free notebooks"]
    if ps["session_max_hours"] != 6:
        fail("Paperspace facts changed in reference")
    paid = ref["paid_notebooks"][0]
    if paid["compute_units"]["unit_value_usd"] != COLAB_CU_USD:
        fail("Colab CU value changed in reference")
    for k, v in COLAB_CU_BURN.items():
        if paid["cu_burn_per_hour_2022"][k] != v:
            fail("Colab CU burn for %s changed in reference" % k)
    if paid["session_max_hours"]["pro_plus_background_execution"] != 24:
        fail("Colab Pro+ background limit changed in reference")


def build_platforms(src, gpu_ids):
    ref = read_json(os.path.join(src, "catalogs", "platforms.json"))
    check_reference_platform_facts(ref)
    platforms = build_platform_list(ref)
    palias = {}
    for p in platforms:
        register_aliases(palias, p["id"], sorted(set(p["aliases"] + [p["id"]])), "platform")
        p["aliases"] = sorted(set(p["aliases"] + [p["id"]]))
        if p["kind"] not in ("notebook", "cloud", "local"):
            fail("bad platform kind %r" % p["kind"])
        check_normalized_unique("plan alias (%s)" % p["id"],
                                [(pl["id"], pl["aliases"] + [pl["id"], pl["name"]]) for pl in p["plans"]])
        seen_ids = set()
        plan_alias = {}
        for pl in p["plans"]:
            if pl["id"] in seen_ids:
                fail("duplicate plan id %s/%s" % (p["id"], pl["id"]))
            seen_ids.add(pl["id"])
            register_aliases(plan_alias, pl["id"], pl["aliases"], "plan (%s)" % p["id"])
            allow_null = pl.pop("_allow_null_gpu")
            if pl["gpu"] is None:
                if not allow_null:
                    fail("plan %s/%s has no gpu" % (p["id"], pl["id"]))
            elif pl["gpu"] not in gpu_ids:
                fail("plan %s/%s names unknown gpu %r" % (p["id"], pl["id"], pl["gpu"]))
            if not isinstance(pl["gpu_count"], int) or pl["gpu_count"] < 1:
                fail("plan %s/%s bad gpu_count" % (p["id"], pl["id"]))
            price = pl["price_per_gpu_hour_usd"]
            if price is not None and price < 0:
                fail("plan %s/%s negative price" % (p["id"], pl["id"]))
            if price not in (None, 0) and not pl["price_source"]:
                fail("plan %s/%s has a price without a price_source" % (p["id"], pl["id"]))
            if not pl["source"]:
                fail("plan %s/%s has no source" % (p["id"], pl["id"]))
    check_normalized_unique("platform alias", [(p["id"], p["aliases"] + [p["id"], p["name"]]) for p in platforms])
    doc = collections.OrderedDict([
        ("format_version", FORMAT_VERSION),
        ("generated_by", GENERATED_BY),
        ("price_rule", "price_per_gpu_hour_usd is the on-demand USD price per GPU-hour on the stated price_date "
                       "from price_source; null where no source gives one (never estimated). Ranges use their "
                       "midpoint and 'from' prices are lower bounds (price_basis says which). Colab prices = "
                       "compute-unit burn per hour x USD 0.10. spot_price_per_gpu_hour_usd holds interruptible/"
                       "spot prices where given. guaranteed is true only for the user's own hardware: no source "
                       "promises GPU availability on a hosted plan."),
        ("platforms", platforms),
    ])
    return doc


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------

MODEL_FAMILY = {
    # reference family -> (family slug, short note of my own)
    "Llama 2": ("llama", "Llama 2: MHA (70B: GQA with 8 KV heads), untied embeddings, 4k context."),
    "Llama 3": ("llama", "Llama 3: GQA (8 KV heads), 128k vocabulary, untied output, 8k context."),
    "Llama 3.1": ("llama", "Llama 3.1: GQA, 128k vocabulary, untied output, 128k context. The 70B entry also "
                           "answers for Llama 3.3 70B, which keeps the 3.1 70B architecture."),
    "Llama 3.2": ("llama", "Llama 3.2 small models: GQA, tied embeddings, 128k context."),
    "Mistral": ("mistral", "Mistral 7B: GQA (8 KV heads). v0.1 uses a 4096 sliding window; v0.3 has a 32768 "
                           "vocabulary and no sliding window."),
    "Mixtral": ("mixtral", "Sparse MoE: 8 experts, 2 active per token; intermediate_size is per expert. "
                           "All experts must be in memory; active_params_b drives compute."),
    "Qwen3-MoE": ("qwen3_moe", "Qwen3 sparse MoE: 128 experts, 8 routed per token, no shared expert; "
                               "intermediate_size is per expert."),
    "gpt-oss": ("gpt_oss", "OpenAI gpt-oss: sparse MoE (4 routed experts per token) with alternating 128-token "
                           "sliding-window and full attention, attention sinks, MXFP4 experts on the hub."),
    "Qwen2.5": ("qwen", "Qwen2.5 base checkpoint values; q/k/v projections have biases; small sizes tie "
                        "embeddings."),
    "Qwen3": ("qwen", "Qwen3 post-trained (hybrid thinking) checkpoint values; head_dim is 128 regardless of "
                      "hidden/heads; q/k norms, no qkv bias."),
    "Gemma": ("gemma", "Gemma: GeGLU MLP, tied embeddings, 256k vocabulary (large share of small models), 8k "
                       "context; 2B uses multi-query attention."),
    "Gemma 2": ("gemma", "Gemma 2: GeGLU, tied embeddings, 256k vocabulary, alternating sliding-window (4096) "
                         "layers, logit soft-capping."),
    "Gemma 3": ("gemma", "Gemma 3: GeGLU, tied embeddings, ~262k vocabulary, 5 local sliding-window layers per "
                         "global layer."),
    "Phi-2": ("phi", "Phi-2: non-gated GELU MLP, partial rotary, parallel attention/MLP, biases throughout."),
    "Phi-3": ("phi", "Phi-3: SwiGLU, untied output; HF weights fuse qkv and gate/up projections."),
    "Phi-3.5": ("phi", "Phi-3.5-mini: Phi-3 layout with LongRoPE to 128k context."),
    "Phi-4": ("phi", "Phi-4: Phi-3 layout (untied output), GQA with 10 KV heads, 16k context."),
    "TinyLlama": ("llama", "TinyLlama: Llama 2 layout at 1.1B with GQA (4 KV heads), 2k context."),
    "SmolLM2": ("smollm", "SmolLM2: Llama layout, tied embeddings, 49k vocabulary, 8k context."),
    "GPT-2": ("gpt2", "GPT-2: MHA, non-gated GELU MLP (4x hidden), learned absolute positions (1024), tied "
                      "embeddings."),
    "Pythia": ("pythia", "Pythia: GPT-NeoX layout (parallel residual, partial rotary, biases); parameter count "
                         "assumes an untied output layer."),
    "OPT": ("opt", "OPT: MHA, non-gated MLP (ReLU per the config default), learned positions; parameter count "
                   "assumes a tied output layer."),
    "Falcon": ("falcon", "Falcon-7B: multi-query attention (1 KV head), parallel attention, no biases; parameter "
                         "count assumes a tied output layer."),
    "DeepSeek-R1-Distill (Qwen2.5)": ("qwen", "Distilled from DeepSeek-R1 onto Qwen2.5-Math bases: layer sizes "
                                              "are the base model's; vocabulary and tying left null because the "
                                              "configs were changed slightly."),
    "DeepSeek-Coder": ("deepseek", "DeepSeek-Coder: Llama layout with a 32256-token vocabulary and a 16k window."),
    "Code Llama": ("llama", "Code Llama: Llama 2 layout with rope theta 1e6 and a 32016 vocabulary (infilling "
                            "tokens)."),
    "StarCoder2": ("starcoder", "StarCoder2: GQA, non-gated GELU MLP with biases, 4096 sliding window, 16k "
                                "context."),
    "BERT": ("bert", "Encoder; counts include the pooler."),
    "RoBERTa": ("roberta", "Encoder; 512 usable positions (514 includes the padding offset)."),
    "DistilBERT": ("distilbert", "Encoder, 6 layers."),
    "DeBERTa-v3": ("deberta", "Encoder with disentangled relative attention; the ~128k vocabulary makes "
                              "embeddings a large share of parameters."),
    "T5": ("t5", "Encoder-decoder; num_layers counts each stack. Original T5: ReLU MLP, tied embeddings, relative "
                 "positions (no fixed maximum)."),
    "Flan-T5": ("t5", "Encoder-decoder in the T5 v1.1 layout (gated GELU, untied output); num_layers counts each "
                      "stack; relative positions."),
    "OLMo": ("olmo", "OLMo: SwiGLU, non-parametric LayerNorm, no biases, 2k context, 50280-token vocabulary "
                     "padded to 50304."),
    # series of the project-owned MODEL_ADDITIONS (not in the reference catalog)
    "Mistral NeMo": ("mistral", "Mistral NeMo 12B: Mistral layout with head_dim 128 (not hidden/heads), GQA (8 KV "
                                "heads), 131k Tekken vocabulary, untied output, no sliding window."),
    "Mistral Small 3": ("mistral", "Mistral Small 3 (24B): Mistral layout with head_dim 128, GQA (8 KV heads), 131k "
                                   "vocabulary, untied output, 32k context, rope theta 1e8."),
    "Qwen2": ("qwen", "Qwen2 base checkpoint values; q/k/v projections have biases; 0.5B and 1.5B tie embeddings; "
                      "the base configs state 131072 positions."),
    "Qwen2.5-Coder": ("qwen", "Qwen2.5-Coder base checkpoint values: the Qwen2.5 layout (q/k/v biases; 1.5B ties "
                              "embeddings); config.json is set for 32768 positions (YaRN for longer)."),
    "Phi-1.5": ("phi", "Phi-1.5: the Phi-2 layout at 1.4B (non-gated GELU MLP, partial rotary, parallel "
                       "attention/MLP with one LayerNorm, biases throughout, lm_head bias)."),
    "Phi-4-mini": ("phi", "Phi-4-mini: Phi-3 layout (fused qkv and gate/up) with GQA (8 KV heads), partial rotary "
                          "(0.75), 200k vocabulary, tied embeddings, 128k context."),
    "Falcon-40B": ("falcon", "Falcon-40B (new decoder architecture): grouped KV (8 KV heads), parallel attention/MLP "
                             "with two LayerNorms, no biases; parameter count assumes a tied output layer."),
    "StableLM-Alpha": ("gpt-neox", "StableLM-Alpha: GPT-NeoX layout (parallel residual, rotary on 25% of the head, "
                                   "LayerNorm, biases), untied output, 4k context."),
    "DeepSeek-R1-Distill (Llama)": ("llama", "Distilled from DeepSeek-R1 onto Llama bases (8B: Llama-3.1-8B, 70B: "
                                             "Llama-3.3-70B-Instruct): layer sizes and vocabulary are the base "
                                             "model's."),
    "SmolLM3": ("smollm", "SmolLM3: Llama layout with GQA (4 KV heads) and no rotary embedding on every fourth "
                          "layer (NoPE), 128k vocabulary, tied embeddings, 64k context."),
}

# Explicit gated-MLP default per family, used where the reference leaves `activation` null.
FAMILY_GATED_DEFAULT = {
    "Phi-3": True, "DeepSeek-Coder": True, "StarCoder2": False, "BERT": False, "OPT": False,
}

MODEL_NAME_OVERRIDE = {
    "openai-community/gpt2": "GPT-2 (124M)",
    "openai-community/gpt2-medium": "GPT-2 Medium (355M)",
    "openai-community/gpt2-large": "GPT-2 Large (774M)",
    "openai-community/gpt2-xl": "GPT-2 XL (1.5B)",
    "microsoft/phi-2": "Phi-2",
    "Qwen/Qwen3-30B-A3B": "Qwen3 30B-A3B (MoE)",
    "openai/gpt-oss-20b": "gpt-oss-20b (MoE)",
    "openai/gpt-oss-120b": "gpt-oss-120b (MoE)",
    "microsoft/phi-4": "Phi-4",
    "microsoft/Phi-3-mini-4k-instruct": "Phi-3 Mini 4k Instruct",
    "microsoft/Phi-3-medium-4k-instruct": "Phi-3 Medium 4k Instruct",
    "microsoft/Phi-3.5-mini-instruct": "Phi-3.5 Mini Instruct",
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0": "TinyLlama 1.1B Chat v1.0",
    "google-bert/bert-base-uncased": "BERT base (uncased)",
    "google-bert/bert-large-uncased": "BERT large (uncased)",
    "FacebookAI/roberta-base": "RoBERTa base",
    "FacebookAI/roberta-large": "RoBERTa large",
    "distilbert/distilbert-base-uncased": "DistilBERT base (uncased)",
    "microsoft/deberta-v3-base": "DeBERTa-v3 base",
    "microsoft/deberta-v3-large": "DeBERTa-v3 large",
    "google-t5/t5-small": "T5 small",
    "google-t5/t5-base": "T5 base",
    "google-t5/t5-large": "T5 large",
    "google/flan-t5-base": "Flan-T5 base",
    "google/flan-t5-large": "Flan-T5 large",
    "google/flan-t5-xl": "Flan-T5 XL",
    "deepseek-ai/deepseek-coder-6.7b-base": "DeepSeek-Coder 6.7B base",
    "google/gemma-3-1b-it": "Gemma 3 1B IT",
    "google/gemma-3-4b-it": "Gemma 3 4B IT",
    "google/gemma-3-12b-it": "Gemma 3 12B IT",
    "google/gemma-3-27b-it": "Gemma 3 27B IT",
    "mistralai/Mistral-7B-v0.1": "Mistral 7B v0.1",
    "mistralai/Mistral-7B-v0.3": "Mistral 7B v0.3",
    "mistralai/Mixtral-8x7B-v0.1": "Mixtral 8x7B v0.1",
    # MODEL_ADDITIONS
    "mistralai/Mistral-7B-Instruct-v0.2": "Mistral 7B Instruct v0.2",
    "mistralai/Mistral-Nemo-Base-2407": "Mistral NeMo 12B Base 2407",
    "mistralai/Mistral-Small-24B-Base-2501": "Mistral Small 3 24B Base 2501",
    "microsoft/phi-1_5": "Phi-1.5",
    "microsoft/Phi-3-mini-128k-instruct": "Phi-3 Mini 128k Instruct",
    "microsoft/Phi-4-mini-instruct": "Phi-4 Mini Instruct",
    "tiiuae/falcon-40b": "Falcon 40B",
    "stabilityai/stablelm-base-alpha-3b": "StableLM-Base-Alpha 3B",
    "stabilityai/stablelm-base-alpha-7b": "StableLM-Base-Alpha 7B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B": "DeepSeek-R1-Distill-Llama 8B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B": "DeepSeek-R1-Distill-Llama 70B",
}

MODEL_ALIAS_SOURCE = (
    "generated from each Hugging Face repo id (whole id, basename, without '-hf', dash/space/collapsed spellings) "
    "plus hand-curated names of chat/instruct variants that share the base architecture"
)

# Extra hand-curated aliases (lowercase). Instruct/chat variants share the architecture of the base entry.
MODEL_EXTRA_ALIASES = {
    "Qwen/Qwen3-30B-A3B": ["qwen3-30b-a3b-instruct-2507", "qwen3-30b-a3b-thinking-2507", "qwen3-30b-a3b-base",
                           "qwen3-30b-a3b-instruct"],
    "openai/gpt-oss-20b": ["gpt-oss-20b-bf16", "gpt-oss-20b-unsloth-bnb-4bit"],
    "openai/gpt-oss-120b": ["gpt-oss-120b-bf16", "gpt-oss-120b-unsloth-bnb-4bit"],
    "meta-llama/Llama-2-7b-hf": ["llama-2-7b-chat-hf", "llama-2-7b-chat", "llama2-7b-chat", "llama-7b-v2"],
    "meta-llama/Llama-2-13b-hf": ["llama-2-13b-chat-hf", "llama-2-13b-chat", "llama2-13b-chat"],
    "meta-llama/Llama-2-70b-hf": ["llama-2-70b-chat-hf", "llama-2-70b-chat", "llama2-70b-chat"],
    "meta-llama/Meta-Llama-3-8B": ["llama-3-8b", "llama3-8b", "llama 3 8b", "meta-llama-3-8b-instruct",
                                   "llama-3-8b-instruct", "llama3-8b-instruct"],
    "meta-llama/Meta-Llama-3-70B": ["llama-3-70b", "llama3-70b", "llama 3 70b", "meta-llama-3-70b-instruct",
                                    "llama-3-70b-instruct", "llama3-70b-instruct"],
    "meta-llama/Llama-3.1-8B": ["meta-llama-3.1-8b", "llama-3.1-8b-instruct", "meta-llama-3.1-8b-instruct",
                                "llama3.1-8b-instruct"],
    "meta-llama/Llama-3.1-70B": ["meta-llama-3.1-70b", "llama-3.1-70b-instruct", "meta-llama-3.1-70b-instruct",
                                 "llama3.1-70b-instruct", "llama-3.3-70b", "llama-3.3-70b-instruct", "llama3.3-70b",
                                 "llama3.3-70b-instruct"],
    "meta-llama/Llama-3.2-1B": ["llama-3.2-1b-instruct", "llama3.2-1b-instruct"],
    "meta-llama/Llama-3.2-3B": ["llama-3.2-3b-instruct", "llama3.2-3b-instruct"],
    "mistralai/Mistral-7B-v0.1": ["mistral-7b", "mistral 7b", "mistral7b", "mistral-7b-instruct-v0.1"],
    "mistralai/Mistral-7B-v0.3": ["mistral-7b-instruct-v0.3"],
    "mistralai/Mixtral-8x7B-v0.1": ["mixtral-8x7b", "mixtral 8x7b", "mixtral", "mixtral-8x7b-instruct-v0.1"],
    "google/gemma-2b": ["gemma-2b-it"],
    "google/gemma-7b": ["gemma-7b-it"],
    "google/gemma-2-2b": ["gemma-2-2b-it", "gemma2-2b-it"],
    "google/gemma-2-9b": ["gemma-2-9b-it", "gemma2-9b-it"],
    "google/gemma-2-27b": ["gemma-2-27b-it", "gemma2-27b-it"],
    "google/gemma-3-1b-it": ["gemma-3-1b", "gemma3-1b", "gemma-3-1b-pt"],
    "google/gemma-3-4b-it": ["gemma-3-4b", "gemma3-4b", "gemma-3-4b-pt"],
    "google/gemma-3-12b-it": ["gemma-3-12b", "gemma3-12b", "gemma-3-12b-pt"],
    "google/gemma-3-27b-it": ["gemma-3-27b", "gemma3-27b", "gemma-3-27b-pt"],
    "microsoft/phi-2": ["phi2"],
    "microsoft/Phi-3-mini-4k-instruct": ["phi-3-mini", "phi3-mini", "phi-3-mini-4k", "phi 3 mini"],
    "microsoft/Phi-3-medium-4k-instruct": ["phi-3-medium", "phi3-medium", "phi-3-medium-4k", "phi-3-14b"],
    "microsoft/Phi-3.5-mini-instruct": ["phi-3.5-mini", "phi3.5-mini", "phi 3.5 mini"],
    "microsoft/phi-4": ["phi4"],
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0": ["tinyllama", "tinyllama-1.1b", "tinyllama_v1.1",
                                           "tinyllama-1.1b-intermediate-step-1431k-3t"],
    "HuggingFaceTB/SmolLM2-135M": ["smollm2-135m-instruct"],
    "HuggingFaceTB/SmolLM2-360M": ["smollm2-360m-instruct"],
    "HuggingFaceTB/SmolLM2-1.7B": ["smollm2-1.7b-instruct"],
    "openai-community/gpt2": ["gpt-2", "gpt2-small", "gpt2-124m", "gpt 2"],
    "openai-community/gpt2-medium": ["gpt-2-medium", "gpt2-355m"],
    "openai-community/gpt2-large": ["gpt-2-large", "gpt2-774m"],
    "openai-community/gpt2-xl": ["gpt-2-xl", "gpt2-1.5b"],
    "EleutherAI/pythia-70m": ["pythia-70m-deduped"],
    "EleutherAI/pythia-160m": ["pythia-160m-deduped"],
    "EleutherAI/pythia-410m": ["pythia-410m-deduped"],
    "EleutherAI/pythia-1b": ["pythia-1b-deduped"],
    "EleutherAI/pythia-1.4b": ["pythia-1.4b-deduped"],
    "EleutherAI/pythia-2.8b": ["pythia-2.8b-deduped"],
    "EleutherAI/pythia-6.9b": ["pythia-6.9b-deduped"],
    "EleutherAI/pythia-12b": ["pythia-12b-deduped"],
    "tiiuae/falcon-7b": ["falcon-7b-instruct"],
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B": ["r1-distill-qwen-1.5b"],
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B": ["r1-distill-qwen-7b"],
    "deepseek-ai/deepseek-coder-6.7b-base": ["deepseek-coder-6.7b", "deepseek-coder-6.7b-instruct"],
    "codellama/CodeLlama-7b-hf": ["code-llama-7b", "codellama-7b-instruct-hf", "codellama-7b-instruct"],
    "codellama/CodeLlama-13b-hf": ["code-llama-13b", "codellama-13b-instruct-hf", "codellama-13b-instruct"],
    "google-bert/bert-base-uncased": ["bert-base", "bert", "bert-base-cased"],
    "google-bert/bert-large-uncased": ["bert-large", "bert-large-cased"],
    "FacebookAI/roberta-base": ["roberta"],
    "distilbert/distilbert-base-uncased": ["distilbert", "distilbert-base", "distilbert-base-cased"],
    "microsoft/deberta-v3-base": ["deberta-v3", "deberta"],
    "allenai/OLMo-1B-hf": ["olmo-1b"],
    "allenai/OLMo-7B-hf": ["olmo-7b"],
    # MODEL_ADDITIONS. Instruct/chat variants listed here have the base entry's config sizes (checked against the
    # sources named in MODEL_ADDITIONS); the Qwen2 and Qwen2.5-Coder "-instruct" names come from QWEN_SUFFIX.
    # mistral-7b-v0.2: the v0.2 base (litgpt: unsloth/Mistral-7B-v0.2) has the Instruct-v0.2 config sizes.
    "mistralai/Mistral-7B-Instruct-v0.2": ["mistral-7b-v0.2"],
    "mistralai/Mistral-Nemo-Base-2407": ["mistral-nemo-instruct-2407", "mistral-nemo", "mistral-nemo-12b"],
    "mistralai/Mistral-Small-24B-Base-2501": ["mistral-small-24b-instruct-2501", "mistral-small-3"],
    "microsoft/phi-1_5": ["phi-1.5", "phi1.5"],
    "microsoft/Phi-3-mini-128k-instruct": ["phi-3-mini-128k", "phi3-mini-128k"],
    "microsoft/Phi-4-mini-instruct": ["phi-4-mini", "phi4-mini"],
    "tiiuae/falcon-40b": ["falcon-40b-instruct"],
    # stablelm-tuned-alpha-*: gpu_poor's config copies give the base checkpoint's sizes exactly (hidden, layers,
    # heads, intermediate, vocab 50688 / 50432), as do litgpt's entries.
    "stabilityai/stablelm-base-alpha-3b": ["stablelm-tuned-alpha-3b"],
    "stabilityai/stablelm-base-alpha-7b": ["stablelm-tuned-alpha-7b"],
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B": ["r1-distill-llama-8b"],
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B": ["r1-distill-llama-70b"],
    "google/gemma-3-270m": ["gemma-3-270m-it"],
    # SmolLM3-3B-Base: the same parameter total (3075098624, code-index file 71571056092) and layout.
    "HuggingFaceTB/SmolLM3-3B": ["smollm3-3b-base", "smollm3"],
}
# Add "<basename>-instruct" for every Qwen2, Qwen2.5 and Qwen2.5-Coder size and "<basename>-base" for every Qwen3
# size.
QWEN_SUFFIX = {"Qwen2": "-instruct", "Qwen2.5": "-instruct", "Qwen2.5-Coder": "-instruct", "Qwen3": "-base"}

# When two models produce the same generated alias, keep it for this one.
MODEL_ALIAS_PREFERENCE = {}

# Architecture values the reference left null, filled from other public sources (named per entry). The engine
# needs hidden_size and num_layers for every model.
MODEL_ARCH_SUPPLEMENT = {
    "microsoft/Phi-3-medium-4k-instruct": {
        "values": {"hidden_size": 5120, "intermediate_size": 17920, "num_hidden_layers": 40,
                   "num_attention_heads": 40, "num_key_value_heads": 10, "head_dim": 128, "vocab_size": 32064,
                   "max_position_embeddings": 4096, "activation": "silu-gated (SwiGLU)"},
        "source": "code-index files 56144638994 (Phi-3-medium config table: hidden 5120, 40 layers, 40 heads, "
                  "10 KV heads, intermediate 17920, vocab 32064) and 56303185291 (Phi-3-medium-4k-instruct: 40 "
                  "layers, hidden 5120, vocab 32064, 4096 context); head_dim = 5120/40; secondary sources",
    },
    "bigcode/starcoder2-15b": {
        "values": {"hidden_size": 6144, "intermediate_size": 24576, "num_hidden_layers": 40,
                   "num_attention_heads": 48, "num_key_value_heads": 4, "head_dim": 128, "vocab_size": 49152,
                   "activation": "gelu_pytorch_tanh (non-gated, with bias)"},
        "source": "code-index file 3755394976 (TensorRT-LLM StarCoder2 test configs: 15B hidden 6144, intermediate "
                  "24576, 48 heads, 4 KV heads; family vocab 49152, gelu_pytorch_tanh; full models have 30/32/40 "
                  "layers for 3B/7B/15B) and 52508674065 (StarCoder2 15B: 40 layers, hidden 6144)",
    },
    "deepseek-ai/deepseek-coder-6.7b-base": {
        "values": {"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                   "num_attention_heads": 32, "head_dim": 128, "activation": "silu-gated (SwiGLU)"},
        "source": "emergentmind.com topic page DeepSeek-Coder-6.7B (32 layers, hidden 4096, FFN 11008, 32 heads of "
                  "128, SwiGLU); secondary source. KV heads not stated (null: the engine treats it as MHA)",
    },
}

MULTIMODAL_MODELS = {"google/gemma-3-4b-it", "google/gemma-3-12b-it", "google/gemma-3-27b-it"}

# Gemma 3's vision tower (SigLIP so400m at 896 px) from the checkpoints'
# config.json vision_config (google/gemma-3-4b-it, -12b-it, -27b-it: hidden
# 1152, intermediate 4304, 27 layers, patch 14, image 896, 3 channels) and its
# projector (mm_input_projection 1152 x the text hidden size, mm_soft_emb_norm
# 1152). transformers loads it with the text model (AutoModelForCausalLM maps
# gemma3 to Gemma3ForConditionalGeneration), so it is weight memory.
GEMMA3_SIGLIP = {"hidden": 1152, "intermediate": 4304, "layers": 27, "patch": 14, "image": 896, "channels": 3}
# Published totals the computed vision tower must complete (the Hub's
# safetensors parameter counts).
MULTIMODAL_TOTALS = {"google/gemma-3-4b-it": 4_300_079_472, "google/gemma-3-12b-it": 12_187_325_040,
                     "google/gemma-3-27b-it": 27_432_406_640}


def siglip_params(v, text_hidden):
    """Vision encoder + Gemma 3 projector parameters (biases included, as in SigLIP)."""
    h, i = v["hidden"], v["intermediate"]
    patch = v["channels"] * v["patch"] ** 2 * h + h
    positions = (v["image"] // v["patch"]) ** 2 * h
    layer = 2 * (2 * h) + 4 * (h * h + h) + (h * i + i) + (i * h + h)
    projector = h * text_hidden + h
    return patch + positions + v["layers"] * layer + 2 * h + projector


def vision_params_b(mid, model):
    if mid not in MULTIMODAL_MODELS:
        return None
    vision = siglip_params(GEMMA3_SIGLIP, model["hidden_size"])
    if model["params_exact"] + vision != MULTIMODAL_TOTALS[mid]:
        fail("model %s: text %d + vision %d != published %d" % (mid, model["params_exact"], vision,
                                                              MULTIMODAL_TOTALS[mid]))
    return round(vision / 1e9, 4)

# ---------------------------------------------------------------------------
# project-owned model additions
# ---------------------------------------------------------------------------

# Sources shared by several additions (the same snapshots the reference catalog cites).
SRC_LITGPT = ("github:Lightning-AI/litgpt@26857050 litgpt/config.py (per-model configs transcribed from HF "
              "config.json; snapshot 2026-06-29)")
SRC_MLC = ("github:mlc-ai/mlc-llm@79d603f0 python/mlc_llm/model/model_preset.py (verbatim HF config.json dicts; "
           "snapshot 2026-07-23)")
SRC_TORCHTUNE_QWEN2 = ("github:pytorch/torchtune@bd2a0fc7 torchtune/models/qwen2/_model_builders.py (qwen2_0_5b, "
                       "qwen2_1_5b, qwen2_7b: sizes, vocab, tie_word_embeddings; snapshot 2026-04-23)")
SRC_GPU_POOR = "github:RahulSChand/gpu_poor@ad2fc0e public/all_configs.json (trimmed HF config.json copies)"
SRC_QWEN2_BASE_CTX = ("github:QwenLM/Qwen3 issue #679 (maintainer, 2024-06-24: \"All base models support the context "
                      "length of 131072\"; the Qwen2 base configs set max_position_embeddings 131072)")
SRC_QWEN_CODER_CARD = ("github:ZHUI/paddlenlp_model_readme@ffc26950 Qwen/Qwen2.5-Coder-<size>/index.md (HF model "
                       "cards: parameter totals, tied embeddings only at 1.5B, \"The current config.json is set for "
                       "context length up to 32,768 tokens\")")
SRC_HF_TOTALS = ("code-index file 71142266638 (table of Hugging Face safetensors parameter totals per repo id: "
                 "Phi-3-mini 3821079552, Phi-4-mini-instruct 3836021760, SmolLM3-3B 3075098624)")

# Models users ask for that the reference catalog lacks. Entries have the reference shape; build_models() appends
# them after the reference models, fills params_b / params_exact from the config sizes (count_params, layout
# `layout`) and checks the count against `published` (within 1%). Dense decoders only.
#   layout: llama (q/k/v/o without bias, gated MLP, two RMSNorms), qwen2 (llama + q/k/v biases), gemma3 (llama +
#           four norms per layer + q/k norms), phi (Phi-1.5/2: one LayerNorm, biases everywhere, lm_head bias),
#           gpt_neox (two LayerNorms, fused qkv, biases), falcon / falcon_new (fused qkv, no biases; one / two
#           LayerNorms per layer).
#   published: a total someone else reported; `stored_lm_head` when that total counts an output matrix the
#           checkpoint stores but transformers ties to the embeddings.
# What gpt-oss-20b and -120b share (they differ in layers and experts).
GPT_OSS_SIZES = {
    "family": "gpt-oss", "layout": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880,
    "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 201088,
    "max_position_embeddings": 131072, "tie_word_embeddings": False, "activation": "swiglu (clamped) experts",
    "experts_per_token": 4, "experts_linear": False,
}

MODEL_ADDITIONS = [
    {
        "name": "mistralai/Mistral-7B-Instruct-v0.2", "family": "Mistral", "layout": "llama",
        "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 32000, "max_position_embeddings": 32768,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [
            SRC_LITGPT + "; entry Mistral-7B-Instruct-v0.2: n_embd 4096, 32 heads, 8 query groups, 32 layers, "
                         "intermediate 14336, vocab 32000, block 32768, rope_base 1e6, no sliding window",
            "github:edadaltocg/mistral-src-finetune snapshot finetune/config.py (Mistral-7B-v0.2-Instruct params: "
            "dim 4096, 32 layers, head_dim 128, hidden_dim 14336, 32 heads, 8 KV heads, rope_theta 1e6, vocab 32000)",
        ],
        "published": {"params": 7241732096, "source": "code-index file 32202042491 (GGUF dump of "
                      "mistralai_mistral-7b-instruct-v0.2: total parameters 7241732096)"},
        "notes": "v0.2: rope theta 1e6 and no sliding window (v0.1: 1e4 and a 4096 window); same sizes as v0.1.",
    },
    {
        "name": "mistralai/Mistral-Nemo-Base-2407", "family": "Mistral NeMo", "layout": "llama",
        "hidden_size": 5120, "intermediate_size": 14336, "num_hidden_layers": 40, "num_attention_heads": 32,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 131072, "max_position_embeddings": 128000,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [
            "github:kevinstephano/thunder_model_blocks snapshot thunder_model_blocks/mistral/mistral_config.py "
            "(verbatim config.json of mistralai/Mistral-Nemo-Base-2407, transformers 4.43.3: head_dim 128, hidden "
            "5120, intermediate 14336, max_position_embeddings 128000, 32 heads, 40 layers, 8 KV heads, rope_theta "
            "1e6, sliding_window null, tie_word_embeddings false, vocab 131072)",
        ],
        "published": {"params": 12247782400, "source": "code-index files 56076368861 "
                      "(mistralai/Mistral-Nemo-Instruct-2407: 12247782400) and 53793124493 (llama.cpp n_params "
                      "12247782400)"},
        "notes": "Instruct-2407 has the same sizes.",
    },
    {
        "name": "mistralai/Mistral-Small-24B-Base-2501", "family": "Mistral Small 3", "layout": "llama",
        "hidden_size": 5120, "intermediate_size": 32768, "num_hidden_layers": 40, "num_attention_heads": 32,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 131072, "max_position_embeddings": 32768,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [
            "github:OpenMOSE/RWKV-LM-RLHF@c394e06 main/tokenizer/mistralsmall3/params.json (Mistral-Small-24B-"
            "Instruct-2501, fine-tuned from Base-2501: dim 5120, 40 layers, head_dim 128, hidden_dim 32768, 32 "
            "heads, 8 KV heads, vocab 131072, rope_theta 1e8, max_seq_len 32768)",
            "github:OpenMOSE/RWKV-LM-RLHF@7e8f62a main/tokenizer/mistralsmall3/model.safetensors.index.json "
            "(total_size 47144806400 bytes in bf16; a separate lm_head.weight: untied)",
            "code-index file 59090948446 (Mistral Small HF config in a test: hidden 5120, 40 layers, intermediate "
            "32768, 32 heads, 8 KV heads, head_dim 128, vocab 131072, max_position_embeddings 32768, "
            "tie_word_embeddings false)",
        ],
        "published": {"params": 23572403200, "source": "model.safetensors.index.json total_size 47144806400 / 2 "
                      "(bf16), and code-index file 55107988649 (keras-hub Mistral Small family preset: 23572403200)"},
        "notes": "Instruct-2501 has the same sizes.",
    },
    {
        "name": "Qwen/Qwen2-0.5B", "family": "Qwen2", "layout": "qwen2",
        "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
        "num_key_value_heads": 2, "head_dim": 64, "vocab_size": 151936, "max_position_embeddings": 131072,
        "tie_word_embeddings": True, "activation": "silu-gated (SwiGLU)",
        "source": [
            "github:rwth-i6/i6_experiments@274eb95 users/juanola/experiments/e25_11_13_ctc/configurations/qwen2/"
            "qwen2_configs.py (verbatim Qwen2-0.5B base config.json: hidden 896, intermediate 4864, "
            "max_position_embeddings 131072, 14 heads, 24 layers, 2 KV heads, tie_word_embeddings true, vocab "
            "151936)",
            SRC_TORCHTUNE_QWEN2, SRC_MLC + "; entry qwen2_0_5b (the Instruct config: same sizes, 32768 positions)",
        ],
        "published": {"params": 494032768, "source": "code-index file 41858861786 (chatllm.cpp: \"QWen2, with "
                      "494032768 (0.5B) parameters\")"},
    },
    {
        "name": "Qwen/Qwen2-1.5B", "family": "Qwen2", "layout": "qwen2",
        "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28, "num_attention_heads": 12,
        "num_key_value_heads": 2, "head_dim": 128, "vocab_size": 151936, "max_position_embeddings": 131072,
        "tie_word_embeddings": True, "activation": "silu-gated (SwiGLU)",
        "source": [
            SRC_TORCHTUNE_QWEN2, SRC_MLC + "; entry qwen2_1_5b (the Instruct config: same sizes, 32768 positions)",
            SRC_QWEN2_BASE_CTX,
        ],
        "published": {"params": 1543714304, "source": "code-index file 58985647153 (llama.cpp binding: \"Qwen2 "
                      "1.5B Q4_K_M\", getModelParameterCount 1543714304)"},
    },
    {
        "name": "Qwen/Qwen2-7B", "family": "Qwen2", "layout": "qwen2",
        "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
        "num_key_value_heads": 4, "head_dim": 128, "vocab_size": 152064, "max_position_embeddings": 131072,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [
            "code-index file 7768956847 (verbatim base config.json dicts Qwen2_7B and Qwen2_72B: eos 151643, "
            "max_position_embeddings 131072, tie_word_embeddings false, vocab 152064)",
            SRC_TORCHTUNE_QWEN2, SRC_MLC + "; entry qwen2_7b (the Instruct config: same sizes, 32768 positions)",
        ],
        "published": {"params": 7615616512, "source": "the reference's computed count for Qwen/Qwen2.5-7B, whose "
                      "config has the same sizes and vocabulary; code-index file 12439498600 (Qwen2.5-7B-Instruct "
                      "7615616512)"},
    },
    {
        "name": "Qwen/Qwen2-72B", "family": "Qwen2", "layout": "qwen2",
        "hidden_size": 8192, "intermediate_size": 29568, "num_hidden_layers": 80, "num_attention_heads": 64,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 152064, "max_position_embeddings": 131072,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [
            "code-index file 7768956847 (verbatim base config.json dict Qwen2_72B: hidden 8192, intermediate 29568, "
            "max_position_embeddings 131072, 64 heads, 80 layers, 8 KV heads, rms_norm_eps 1e-5, "
            "tie_word_embeddings false, vocab 152064)",
            "code-index file 4884378620 (Qwen2_72B_Instruct config.json: the same sizes, 32768 positions)",
        ],
        "published": {"params": 72706203648, "source": "code-index file 35143218660 (\"the Qwen2-72b model ... "
                      "72706203648 x 16 bits\")"},
    },
    {
        "name": "Qwen/Qwen2.5-Coder-1.5B", "family": "Qwen2.5-Coder", "layout": "qwen2",
        "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28, "num_attention_heads": 12,
        "num_key_value_heads": 2, "head_dim": 128, "vocab_size": 151936, "max_position_embeddings": 32768,
        "tie_word_embeddings": True, "activation": "silu-gated (SwiGLU)",
        "source": [SRC_LITGPT + "; entry Qwen2.5-Coder-1.5B: 28 layers, 12 heads, 2 query groups, n_embd 1536, "
                                "intermediate 8960, padded vocab 151936, block 32768", SRC_QWEN_CODER_CARD],
        "published": {"params": 1543714304, "source": "Qwen2.5-Coder-1.5B model card (1.54B, tied word "
                      "embeddings); code-index file 61762937035 (Qwen2.5-Coder-1.5B-Instruct 1543714304)"},
    },
    {
        "name": "Qwen/Qwen2.5-Coder-7B", "family": "Qwen2.5-Coder", "layout": "qwen2",
        "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
        "num_key_value_heads": 4, "head_dim": 128, "vocab_size": 152064, "max_position_embeddings": 32768,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [SRC_LITGPT + "; entry Qwen2.5-Coder-7B: 28 layers, 28 heads, 4 query groups, n_embd 3584, "
                                "intermediate 18944, padded vocab 152064, block 32768", SRC_QWEN_CODER_CARD],
        "published": {"params": 7610000000, "source": "Qwen2.5-Coder-7B model card (Number of Parameters: 7.61B)"},
    },
    {
        "name": "Qwen/Qwen2.5-Coder-14B", "family": "Qwen2.5-Coder", "layout": "qwen2",
        "hidden_size": 5120, "intermediate_size": 13824, "num_hidden_layers": 48, "num_attention_heads": 40,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 152064, "max_position_embeddings": 32768,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [SRC_LITGPT + "; entry Qwen2.5-Coder-14B: 48 layers, 40 heads, 8 query groups, n_embd 5120, "
                                "intermediate 13824, padded vocab 152064, block 32768", SRC_QWEN_CODER_CARD],
        "published": {"params": 14770033664, "source": "code-index file 60241486554 (llama.cpp "
                      "qwen2.5-coder-14b-instruct n_params 14770033664); model card 14.7B"},
    },
    {
        "name": "Qwen/Qwen2.5-Coder-32B", "family": "Qwen2.5-Coder", "layout": "qwen2",
        "hidden_size": 5120, "intermediate_size": 27648, "num_hidden_layers": 64, "num_attention_heads": 40,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 152064, "max_position_embeddings": 32768,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [SRC_LITGPT + "; entry Qwen2.5-Coder-32B: 64 layers, 40 heads, 8 query groups, n_embd 5120, "
                                "intermediate 27648, padded vocab 152064, block 32768", SRC_QWEN_CODER_CARD],
        "published": {"params": 32500000000, "source": "Qwen2.5-Coder-32B model card (Number of Parameters: "
                      "32.5B; the reference's Qwen2.5-32B, same sizes, computes 32763876352)"},
    },
    {
        "name": "microsoft/phi-1_5", "family": "Phi-1.5", "layout": "phi",
        "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 24, "num_attention_heads": 32,
        "num_key_value_heads": 32, "head_dim": 64, "vocab_size": 51200, "max_position_embeddings": 2048,
        "tie_word_embeddings": False, "activation": "gelu_new (non-gated, tanh approx)",
        "source": [
            SRC_MLC + "; entry phi-1_5 (n_embd 2048, n_head 32, n_inner null = 4 x 2048, n_layer 24, n_positions 2048, "
                      "rotary_dim 32, activation gelu_new, tie_word_embeddings false, vocab 51200)",
            SRC_LITGPT + "; entry phi-1_5 (padded vocab 51200, shared attention norm, lm_head bias)",
            SRC_GPU_POOR,
        ],
        "published": {"params": 1418270720, "source": "code-index file 70407034430 (HF metadata for "
                      "microsoft/phi-1_5: safetensors_total_params 1418270720)"},
    },
    {
        "name": "microsoft/Phi-3-mini-128k-instruct", "family": "Phi-3", "layout": "llama",
        "hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 32, "head_dim": 96, "vocab_size": 32064, "max_position_embeddings": 131072,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [SRC_LITGPT + "; entry Phi-3-mini-128k-instruct: n_embd 3072, 32 layers, 32 heads, intermediate "
                                "8192, padded vocab 32064, block 131072 (the 4k model's sizes)"],
        "published": {"params": 3821079552, "source": "code-index file 37024877933 (\"3821079552 parameters "
                      "(Microsoft Phi-3 / 3.5 Mini 128k)\"); " + SRC_HF_TOTALS},
        "notes": "LongRoPE scaling to 128k (the 4k model's sizes).",
    },
    {
        "name": "microsoft/Phi-4-mini-instruct", "family": "Phi-4-mini", "layout": "llama",
        "hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 32, "num_attention_heads": 24,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 200064, "max_position_embeddings": 131072,
        "tie_word_embeddings": True, "activation": "silu-gated (SwiGLU)",
        "source": [
            SRC_LITGPT + "; entry Phi-4-mini-instruct: n_embd 3072, 32 layers, 24 heads, 8 query groups, intermediate "
                         "8192, padded vocab 200064, block 131072, rotary 0.75",
            "github:pytorch/executorch@76fcedc examples/models/phi_4_mini/config/config.json (dim 3072, "
            "hidden_dim 8192, 24 heads, 8 KV heads, 32 layers, vocab 200064, partial_rotary_factor 0.75)",
            "github:pytorch/executorch@024b0da examples/models/phi_4_mini/convert_weights.py (\"Input and output "
            "embeddings are tied.\")",
        ],
        "published": {"params": 3836021760, "source": SRC_HF_TOTALS},
    },
    {
        "name": "tiiuae/falcon-40b", "family": "Falcon-40B", "layout": "falcon_new",
        "hidden_size": 8192, "intermediate_size": 32768, "num_hidden_layers": 60, "num_attention_heads": 128,
        "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 65024, "max_position_embeddings": 2048,
        "tie_word_embeddings": True, "activation": "gelu (non-gated)",
        "source": [
            SRC_LITGPT + "; entry falcon-40b: n_embd 8192, 128 heads, 8 query groups, 60 layers, vocab 65024, block "
                         "2048, no bias, two norms (no shared_attention_norm)",
            SRC_GPU_POOR + "; entries tiiuae/falcon-40b (hidden 8192, n_head 128, n_layer 60, vocab 65024)",
            "github:ggerganov/llama.cpp snapshot README.md as indexed (text of the ggllm Falcon port: n_embd 8192, "
            "n_head 128, n_head_kv 8, n_layer 60, n_ff 32768, n_vocab 65024)",
            "github:huggingface/transformers@0558553 src/transformers/models/falcon/configuration_falcon.py "
            "(FalconConfig does not set tie_word_embeddings, so the PretrainedConfig default (true) ties lm_head "
            "to the word embeddings)",
        ],
        "published": {"params": 41835970560, "stored_lm_head": True,
                      "source": "code-index file 68977282144 (total_parameters 41835970560: the checkpoint's "
                                "tensors, lm_head stored separately; 41.8B in the reference's vram measurements)"},
        "notes": "params_exact assumes the tied lm_head transformers builds (41.30B); the checkpoint also stores "
                 "lm_head (41.84B with it). 2048-token context.",
    },
    {
        "name": "stabilityai/stablelm-base-alpha-3b", "family": "StableLM-Alpha", "layout": "gpt_neox",
        "hidden_size": 4096, "intermediate_size": 16384, "num_hidden_layers": 16, "num_attention_heads": 32,
        "num_key_value_heads": 32, "head_dim": 128, "vocab_size": 50688, "max_position_embeddings": 4096,
        "tie_word_embeddings": False, "activation": "gelu (non-gated)",
        "source": [
            "github:Stability-AI/StableLM@8a9fb3d configs/stablelm-base-alpha-3b.yml (GPT-NeoX training config: 16 "
            "layers, hidden 4096, 32 heads, 4096 positions, layernorm, rotary_pct 0.25, gelu, no-weight-tying, "
            "gpt_j_residual)",
            SRC_GPU_POOR + "; entries stabilityai/stablelm-base-alpha-3b and -tuned-alpha-3b (GPTNeoXForCausalLM: "
                           "hidden 4096, intermediate 16384, 32 heads, 16 layers, vocab 50688)",
            SRC_LITGPT + "; entry stablelm-base-alpha-3b (padded vocab 50688)",
        ],
        "published": {"params": 3637321728, "source": "code-index file 31752229958 (torch test: number of "
                      "parameters of stabilityai/stablelm-base-alpha-3b 3637321728); the StableLM README's "
                      "3,638,525,952 also counts norms and biases GPT-NeoX replicates per tensor-parallel rank"},
    },
    {
        "name": "stabilityai/stablelm-base-alpha-7b", "family": "StableLM-Alpha", "layout": "gpt_neox",
        "hidden_size": 6144, "intermediate_size": 24576, "num_hidden_layers": 16, "num_attention_heads": 48,
        "num_key_value_heads": 48, "head_dim": 128, "vocab_size": 50432, "max_position_embeddings": 4096,
        "tie_word_embeddings": False, "activation": "gelu (non-gated)",
        "source": [
            "github:Stability-AI/StableLM@b90e289 configs/stablelm-base-alpha-7b.yaml (16 layers, hidden 6144, 48 "
            "heads, 4096 positions, layernorm, rotary_pct 0.25, gelu, no-weight-tying, gpt_j_residual)",
            SRC_GPU_POOR + "; entries stabilityai/stablelm-base-alpha-7b and -tuned-alpha-7b (hidden 6144, "
                           "intermediate 24576, 48 heads, 16 layers, vocab 50432)",
            SRC_LITGPT + "; entry stablelm-base-alpha-7b (n_head 48, n_embd 6144, padding_multiple 256: vocab 50432)",
        ],
        "published": {"params": 7869358080, "source": "github:Stability-AI/StableLM@e60081c README.md (code-index "
                      "file 15710750240: 7,869,358,080, which adds the norms and row-parallel biases GPT-NeoX "
                      "replicates on its second tensor-parallel rank; 0.008% above the HF count)"},
    },
    {
        "name": "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "family": "DeepSeek-R1-Distill (Llama)", "layout": "llama",
        "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 128256, "max_position_embeddings": 131072,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [
            SRC_LITGPT + "; entry R1-Distill-Llama-8B: 32 layers, 32 heads, 8 query groups, n_embd 4096, intermediate "
                         "14336, padded vocab 128256, block 131072, Llama 3.1 rope scaling",
            "github:daniel-p-green/alain-ai-learning-platform@522537b out/research-deepseek-ai-deepseek-r1-distill-"
            "llama-8b/sources/huggingface/model.json (HF API: LlamaForCausalLM, safetensors total 8030261248 = the "
            "untied Llama-3.1-8B count)",
        ],
        "published": {"params": 8030261248, "source": "HF API safetensors total in the model.json above"},
    },
    {
        "name": "deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "family": "DeepSeek-R1-Distill (Llama)",
        "layout": "llama",
        "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80, "num_attention_heads": 64,
        "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 128256, "max_position_embeddings": 131072,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU)",
        "source": [
            SRC_LITGPT + "; entry R1-Distill-Llama-70B: 80 layers, 64 heads, 8 query groups, n_embd 8192, intermediate "
                         "28672, padded vocab 128256, block 131072",
        ],
        "published": {"params": 70553706496, "source": "code-index file 69432390537 (HF safetensors total "
                      "70553706496 for meta-llama/Llama-3.3-70B-Instruct, the distillation base, same sizes)"},
        "notes": "tie_word_embeddings false: LlamaConfig's default, as for its Llama-3.3-70B-Instruct base.",
    },
    {
        "name": "google/gemma-3-270m", "family": "Gemma 3", "layout": "gemma3",
        "hidden_size": 640, "intermediate_size": 2048, "num_hidden_layers": 18, "num_attention_heads": 4,
        "num_key_value_heads": 1, "head_dim": 256, "vocab_size": 262144, "max_position_embeddings": 32768,
        "tie_word_embeddings": True, "activation": "gelu-tanh-gated (GeGLU)",
        "source": [
            "code-index file 60893779488 (Gemma-3-270m config.json values in a test: hidden 640, intermediate 2048, "
            "4 heads, 1 KV head, head_dim 256, vocab 262144, gelu_pytorch_tanh, 18 layers with full attention at "
            "5, 11, 17)",
            "code-index file 44558548013 (Gemma 3 270m variant: vocab 262144, hidden 640, 18 layers, 4 heads, 1 KV "
            "head, ffn 2048, max_seq_len 32768, sliding window 512)",
            "github:huggingface/transformers src/transformers/models/gemma3/configuration_gemma3.py "
            "(Gemma3TextConfig: tie_word_embeddings True)",
        ],
        "published": {"params": 268098176, "source": "code-index file 3173084990 (keras-hub gemma3_270m preset: "
                      "params 268098176); code-index file 52709753795 (llama.cpp n_params 268098176, n_ctx_train "
                      "32768)"},
        "notes": "Text-only; 170M of the 268M parameters are the embedding.",
    },
    {
        "name": "HuggingFaceTB/SmolLM3-3B", "family": "SmolLM3", "layout": "llama",
        "hidden_size": 2048, "intermediate_size": 11008, "num_hidden_layers": 36, "num_attention_heads": 16,
        "num_key_value_heads": 4, "head_dim": 128, "vocab_size": 128256, "max_position_embeddings": 65536,
        "tie_word_embeddings": True, "activation": "silu-gated (SwiGLU)",
        "source": [
            "github:fetchwiki/HuggingFaceTB-SmolLM3-3B@24f7882 config.json (mirror of the HF config: hidden 2048, "
            "intermediate 11008, max_position_embeddings 65536, 16 heads, 36 layers, 4 KV heads, no_rope_layers "
            "every fourth, rope_theta 5e6, vocab 128256; no tie_word_embeddings key)",
            "github:huggingface/transformers@008e574 src/transformers/models/smollm3/configuration_smollm3.py "
            "(SmolLM3Config default tie_word_embeddings True)",
            "code-index file 56724622858 (safetensors index: total_parameters 3075098624, no separate "
            "lm_head.weight: tied)",
        ],
        "published": {"params": 3075098624, "source": SRC_HF_TOTALS},
    },
    {
        "name": "Qwen/Qwen3-30B-A3B", "family": "Qwen3-MoE", "layout": "qwen3_moe",
        "hidden_size": 2048, "intermediate_size": 768, "num_hidden_layers": 48, "num_attention_heads": 32,
        "num_key_value_heads": 4, "head_dim": 128, "vocab_size": 151936, "max_position_embeddings": 40960,
        "tie_word_embeddings": False, "activation": "silu-gated (SwiGLU) experts",
        "num_experts": 128, "experts_per_token": 8, "experts_linear": True,
        "source": [
            "code-index file 65745797555 (_QWEN3_30B_A3B_CONFIG: qwen3_moe, hidden 2048, 48 layers, 32 heads, 4 KV "
            "heads, head_dim 128, moe_intermediate_size 768, vocab 151936, 128 experts, 8 per token)",
            "code-index file 68980208961 (the same checkpoint's config values in a vLLM test: tie_word_embeddings "
            "false, attention_bias false, decoder_sparse_step 1, mlp_only_layers [], max_position_embeddings 40960)",
            "transformers 4.55.2 models/qwen3_moe/modeling_qwen3_moe.py (Qwen3MoeSparseMoeBlock: router nn.Linear "
            "`gate`, experts an nn.ModuleList of gate_proj/up_proj/down_proj nn.Linear; q/k RMSNorm per head)",
        ],
        "published": {"params": 30500000000, "source": "Qwen3 model card (huggingface.co/Qwen/Qwen3-30B-A3B, "
                      "2025-04-29): \"Number of Parameters: 30.5B in total and 3.3B activated\""},
        "notes": "Sparse MoE: intermediate_size is per expert (moe_intermediate_size; the config's dense "
                 "intermediate_size 6144 is unused, every layer is sparse). Instruct-2507 and Thinking-2507 keep "
                 "these sizes (262144 positions).",
    },
    {
        **GPT_OSS_SIZES, "name": "openai/gpt-oss-20b", "num_hidden_layers": 24, "num_experts": 32,
        "source": [
            "code-index file 31112482743 (verbatim config.json: gpt_oss, 24 layers, 64 heads, 8 KV heads, 32 local "
            "experts, 4 per token, vocab 201088, tie_word_embeddings false, sliding_window 128 on alternate "
            "layers, max_position_embeddings 131072, quantization mxfp4 except attention, router, embeddings, "
            "lm_head)",
            "code-index file 65745797555 (_GPT_OSS_20B_CONFIG: hidden 2880, head_dim 64, intermediate 2880)",
            "transformers 4.55.2 models/gpt_oss/modeling_gpt_oss.py (GptOssExperts: gate_up_proj and down_proj "
            "are 3-D nn.Parameter with biases, not nn.Linear; q/k/v/o with biases; one sink per head)",
        ],
        "published": {"params": 20910000000, "source": "OpenAI, gpt-oss-120b & gpt-oss-20b model card "
                      "(2025-08-05), table 1: 20.91B total parameters"},
        "notes": "Sparse MoE: intermediate_size is per expert. The hub checkpoint stores the experts in MXFP4, "
                 "which has no backward pass: training dequantizes them to bf16 (transformers Mxfp4Config"
                 "(dequantize=True)), and bitsandbytes 4-bit leaves them 16-bit because they are not nn.Linear. "
                 "Unsloth's load_in_4bit loads its own NF4 checkpoint (unsloth/gpt-oss-20b-unsloth-bnb-4bit).",
    },
    {
        **GPT_OSS_SIZES, "name": "openai/gpt-oss-120b", "num_hidden_layers": 36, "num_experts": 128,
        "source": [
            "code-index file 70099987937 (gpt_oss config: hidden 2880, 36 layers, intermediate 2880, 64 heads, "
            "8 KV heads, 128 local experts, 4 per token, head_dim 64)",
            "code-index file 53327688195 (the same sizes, rope_theta 150000)",
            "code-index file 31112482743 (the 20b config.json: vocabulary, untied output, context; shared by 120b)",
        ],
        "published": {"params": 116830000000, "source": "OpenAI, gpt-oss-120b & gpt-oss-20b model card "
                      "(2025-08-05), table 1: 116.83B total parameters"},
        "notes": "Sparse MoE: intermediate_size is per expert; MXFP4 experts as for gpt-oss-20b.",
    },
]

# count_params() reproduces these reference counts (one per layout) before it counts the additions.
PARAM_LAYOUT_CHECKS = [
    ("meta-llama/Llama-3.1-70B", "llama", None),
    ("microsoft/Phi-3-mini-4k-instruct", "llama", None),
    ("Qwen/Qwen2.5-7B", "qwen2", None),
    ("Qwen/Qwen2.5-0.5B", "qwen2", None),
    ("google/gemma-3-1b-it", "gemma3", None),
    ("microsoft/phi-2", "phi", None),
    ("EleutherAI/pythia-6.9b", "gpt_neox", False),   # reference: untied embed_out, tie flag null
    ("tiiuae/falcon-7b", "falcon", True),            # reference: tied lm_head, tie flag null
]

PUBLISHED_TOLERANCE = 0.01


def count_params(layout, m, tie=None):
    """Parameters of a decoder from its config sizes (m: reference-shaped entry). Embeddings (plus an untied output
    matrix), per layer q/k/v/o (+ biases where the layout has them), the MLP (3 matrices gated, 2 with biases
    otherwise), the norms (RMSNorm: weight; LayerNorm: weight + bias) and the final norm."""
    h, inter, layers = m["hidden_size"], m["intermediate_size"], m["num_hidden_layers"]
    heads, kv_heads, hd, vocab = m["num_attention_heads"], m["num_key_value_heads"], m["head_dim"], m["vocab_size"]
    tied = m["tie_word_embeddings"] if tie is None else tie
    q, kv = heads * hd, kv_heads * hd
    embed = vocab * h
    head = 0 if tied else vocab * h
    if layout in ("llama", "qwen2", "gemma3"):
        attn = h * q + 2 * h * kv + q * h
        if layout == "qwen2":
            attn += q + 2 * kv                      # q/k/v biases
        mlp = 3 * h * inter
        norms = 2 * h                               # RMSNorm before attention and MLP
        if layout == "gemma3":
            norms = 4 * h + 2 * hd                  # pre/post attention and MLP norms, q/k norms
        return embed + head + layers * (attn + mlp + norms) + h
    if layout == "phi":
        if tied:
            fail("layout phi assumes an untied lm_head with bias")
        attn = 4 * (h * q + q)                      # q, k, v, dense with biases (MHA: q == h)
        mlp = h * inter + inter + inter * h + h     # fc1, fc2 with biases
        norms = 2 * h                               # one LayerNorm shared by attention and MLP
        return embed + vocab * h + vocab + layers * (attn + mlp + norms) + 2 * h
    if layout == "gpt_neox":
        attn = h * (q + 2 * kv) + (q + 2 * kv) + q * h + h   # fused qkv and dense, with biases
        mlp = h * inter + inter + inter * h + h
        norms = 4 * h                               # two LayerNorms
        return embed + head + layers * (attn + mlp + norms) + 2 * h
    if layout in ("qwen3_moe", "gpt_oss"):
        return embed + head + layers * moe_layer_params(layout, m) + h
    if layout in ("falcon", "falcon_new"):
        attn = h * (q + 2 * kv) + q * h             # fused qkv and dense, no biases
        mlp = 2 * h * inter
        norms = 2 * h if layout == "falcon" else 4 * h   # one shared LayerNorm (7B) / ln_attn + ln_mlp (40B)
        return embed + head + layers * (attn + mlp + norms) + 2 * h
    fail("unknown parameter layout %r" % layout)


def moe_expert_params(layout, m):
    """One expert's parameters: gated MLP of moe size (gpt-oss: fused gate_up and down, with biases)."""
    h, inter = m["hidden_size"], m["intermediate_size"]
    if layout == "gpt_oss":
        return h * 2 * inter + 2 * inter + inter * h + h
    return 3 * h * inter


def moe_layer_params(layout, m):
    """A sparse MoE decoder layer: attention, router, every expert, norms. qwen3_moe: llama attention without
    biases plus q/k RMSNorm (head_dim each), router without bias. gpt_oss: q/k/v/o with biases, one attention
    sink per head, router with bias."""
    h, heads, kv_heads, hd, E = (m["hidden_size"], m["num_attention_heads"], m["num_key_value_heads"],
                                 m["head_dim"], m["num_experts"])
    q, kv = heads * hd, kv_heads * hd
    attn = h * q + 2 * h * kv + q * h
    if layout == "gpt_oss":
        attn += q + 2 * kv + h + heads              # biases and sinks
        router = h * E + E
    else:
        attn += 2 * hd                              # q_norm, k_norm
        router = h * E
    return attn + router + E * moe_expert_params(layout, m) + 2 * h


def moe_active_params(layout, m, total):
    """Parameters a token uses: all but the experts it is not routed to."""
    idle = m["num_experts"] - m["experts_per_token"]
    return total - m["num_hidden_layers"] * idle * moe_expert_params(layout, m)


def check_param_layouts(ref_by_id):
    for mid, layout, tie in PARAM_LAYOUT_CHECKS:
        m = ref_by_id.get(mid)
        if m is None:
            fail("layout check: reference model %s is gone" % mid)
        got = count_params(layout, m, tie)
        if got != m["params_exact"]:
            fail("count_params(%s) gives %d for %s, the reference %d" % (layout, got, mid, m["params_exact"]))


def addition_entries(ref_by_id):
    """MODEL_ADDITIONS as reference-shaped entries with computed parameter counts."""
    if len(MODEL_ADDITIONS) != EXPECTED_MODEL_ADDITIONS:
        fail("expected %d model additions, found %d" % (EXPECTED_MODEL_ADDITIONS, len(MODEL_ADDITIONS)))
    check_param_layouts(ref_by_id)
    out, seen = [], set()
    for spec in MODEL_ADDITIONS:
        mid = spec["name"]
        if mid in ref_by_id:
            fail("model %s is now in the reference catalog; drop it from MODEL_ADDITIONS" % mid)
        if mid in seen:
            fail("model %s added twice" % mid)
        seen.add(mid)
        m = collections.OrderedDict([("name", mid), ("family", spec["family"])])
        for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                  "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings",
                  "tie_word_embeddings", "activation"):
            if spec.get(k) is None:
                fail("model addition %s lacks %s" % (mid, k))
        if spec["num_attention_heads"] % spec["num_key_value_heads"]:
            fail("model addition %s: %d heads not a multiple of %d KV heads"
                 % (mid, spec["num_attention_heads"], spec["num_key_value_heads"]))
        exact = count_params(spec["layout"], spec)
        pub = spec["published"]
        compare = exact + (spec["vocab_size"] * spec["hidden_size"] if pub.get("stored_lm_head") else 0)
        if abs(compare - pub["params"]) > PUBLISHED_TOLERANCE * pub["params"]:
            fail("model addition %s: computed %d parameters, published %d (%s)" % (mid, compare, pub["params"],
                                                                                  pub["source"]))
        m.update([
            ("params_b", r4(exact / 1e9)), ("params_exact", exact), ("params_method", "computed_from_config"),
            ("params_reported", None), ("architecture", "decoder"),
        ])
        for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                  "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings",
                  "tie_word_embeddings"):
            m[k] = spec[k]
        moe = spec.get("num_experts") is not None
        m.update([("is_moe", moe), ("num_experts", spec.get("num_experts")),
                  ("experts_per_token", spec.get("experts_per_token")),
                  ("experts_linear", spec.get("experts_linear")),
                  ("active_params_b", r4(moe_active_params(spec["layout"], spec, exact) / 1e9) if moe else None),
                  ("activation", spec["activation"]),
                  ("source", list(spec["source"]) + ["published total for the check: " + pub["source"]]),
                  ("notes", spec.get("notes"))])
        out.append(m)
    return out


def gated_from_activation(act, family):
    if act is None:
        if family in FAMILY_GATED_DEFAULT:
            return FAMILY_GATED_DEFAULT[family]
        fail("model family %s: activation null and no gated default" % family)
    a = act.lower()
    if "non-gated" in a:
        return False
    if "gated" in a or "glu" in a:
        return True
    return False


def model_name(mid, family):
    if mid in MODEL_NAME_OVERRIDE:
        return MODEL_NAME_OVERRIDE[mid]
    base = mid.split("/", 1)[1]
    m = re.search(r"(?i)(\d+x)?\d+(\.\d+)?[bm](?![a-z])", base)
    size = m.group(0).upper() if m else base
    if size.endswith("M") or size.endswith("B"):
        size = size[:-1].lower() + size[-1]
        size = size.replace("X", "x")
    rest = ""
    low = base.lower()
    for tag, label in (("-instruct", " Instruct"), ("-chat", " Chat"), ("-it", " IT"), ("-base", " base")):
        if low.endswith(tag) or (tag + "-") in low:
            rest = label
    fam = family
    if family.startswith("DeepSeek-R1-Distill"):
        fam = "DeepSeek-R1-Distill-Qwen"
    return "%s %s%s" % (fam, size, rest)


def generated_model_aliases(mid):
    org, base = mid.split("/", 1)
    b = base.lower()
    forms = {b}
    if b.endswith("-hf"):
        forms.add(b[:-3])
    if b.startswith("meta-llama-"):
        forms.add(b[len("meta-"):])
    more = set()
    for f in forms:
        more |= separator_variants(f)
        # collapse "llama-2-7b" -> "llama2-7b" (family name glued to its version)
        c = re.sub(r"^([a-z]+)-(\d+(?:\.\d+)?)-", r"\1\2-", f)
        more.add(c)
        # expand "qwen2.5-7b" -> "qwen-2.5-7b", "qwen 2.5 7b"
        e = re.sub(r"^(qwen|llama|gemma|phi|smollm|starcoder|olmo)(\d+(?:\.\d+)?)-", r"\1-\2-", f)
        if e != f:
            more.add(e)
            more.add(e.replace("-", " "))
    forms |= more
    forms.add(mid.lower())
    return forms


def build_models(src):
    ref = read_json(os.path.join(src, "catalogs", "models.json"))
    if len(ref) != EXPECTED_MODELS:
        fail("expected %d models in reference, found %d" % (EXPECTED_MODELS, len(ref)))
    added = addition_entries({m["name"]: m for m in ref})
    added_ids = {m["name"] for m in added}
    # the reference models, then the project-owned additions, through the same aliases and checks
    models = list(ref) + added
    # first pass: candidate aliases per model
    cand = collections.OrderedDict()
    for m in models:
        mid = m["name"]
        if m["family"] not in MODEL_FAMILY:
            fail("no family slug for reference family %r" % m["family"])
        al = generated_model_aliases(mid)
        for a in MODEL_EXTRA_ALIASES.get(mid, []):
            al |= {a.lower()} | separator_variants(a.lower())
        suf = QWEN_SUFFIX.get(m["family"])
        if suf:
            b = mid.split("/", 1)[1].lower() + suf
            al |= separator_variants(b)
            al.add(re.sub(r"^(qwen)(\d+(?:\.\d+)?)-", r"\1-\2-", b))
        cand[mid] = al
    # resolve clashes: explicit preference, else the base (non -it/-instruct/-chat) model keeps it
    owners = collections.defaultdict(list)
    for mid, al in cand.items():
        for a in al:
            owners[a].append(mid)
    resolved = []
    for a, mids in sorted(owners.items()):
        if len(mids) < 2:
            continue
        if a in MODEL_ALIAS_PREFERENCE:
            keep = MODEL_ALIAS_PREFERENCE[a]
        else:
            bases = [x for x in mids if not re.search(r"(?i)-(it|instruct|chat)(-|$)", x)]
            if len(bases) != 1:
                fail("model alias %r is ambiguous between %s; add it to MODEL_ALIAS_PREFERENCE" % (a, mids))
            keep = bases[0]
        for x in mids:
            if x != keep:
                cand[x].discard(a)
        resolved.append((a, keep, [x for x in mids if x != keep]))
    alias_table = {}
    out = []
    for m in models:
        mid = m["name"]
        supplemented = []
        sup = MODEL_ARCH_SUPPLEMENT.get(mid)
        if sup:
            m = dict(m)
            m["source"] = list(m["source"]) + [sup["source"]]
            for k, v in sup["values"].items():
                if m.get(k) is not None:
                    fail("model %s: reference now gives %s; drop the supplement" % (mid, k))
                m[k] = v
                supplemented.append(k)
        fam_slug, fam_note = MODEL_FAMILY[m["family"]]
        aliases = sorted(cand[mid])
        register_aliases(alias_table, mid, aliases, "model")
        nulls = [k for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                             "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings",
                             "tie_word_embeddings") if m[k] is None]
        notes = [fam_note]
        if m["params_method"].startswith("computed"):
            notes.append("params computed exactly from the config values.")
        else:
            notes.append("params_b is not computed from a config (params_method: %s)." % m["params_method"])
        if mid in MULTIMODAL_MODELS:
            notes.append("Multimodal checkpoint: the figures describe the text decoder; the vision tower and "
                         "projector are vision_params_b (loaded with the model, counted as frozen weights).")
        if supplemented:
            notes.append("Filled from secondary sources because the reference left them null: %s."
                         % ", ".join(k for k in supplemented if k != "activation"))
        if mid in added_ids:
            notes.append("Project-owned addition (not in the reference catalog): values from the sources named "
                         "in `source`.")
            if m["notes"]:
                notes.append(m["notes"])
        if nulls:
            notes.append("Unknown (null): %s." % ", ".join(nulls))
        active = m["params_b"]
        if m["is_moe"]:
            if m.get("active_params_b"):
                active = m["active_params_b"]
            elif mid == "mistralai/Mixtral-8x7B-v0.1":
                active = 12.8791  # reference notes: 2 of 8 experts + shared weights
            else:
                fail("MoE model %s needs an active-parameter figure" % mid)
        entry = collections.OrderedDict([
            ("id", mid),
            ("name", model_name(mid, m["family"])),
            ("family", fam_slug),
            ("series", m["family"]),
            ("aliases", aliases),
            ("params_b", m["params_b"]),
            ("params_exact", m["params_exact"]),
            ("params_method", m["params_method"]),
            ("active_params_b", active),
            ("architecture", m["architecture"]),
            ("hidden_size", m["hidden_size"]),
            ("intermediate_size", m["intermediate_size"]),
            ("num_layers", m["num_hidden_layers"]),
            ("num_attention_heads", m["num_attention_heads"]),
            ("num_kv_heads", m["num_key_value_heads"]),
            ("head_dim", m["head_dim"]),
            ("vocab_size", m["vocab_size"]),
            ("max_position_embeddings", m["max_position_embeddings"]),
            ("tie_word_embeddings", m["tie_word_embeddings"]),
            ("is_moe", m["is_moe"]),
            ("num_experts", m["num_experts"]),
            ("experts_per_token", m["experts_per_token"]),
            # How the pinned transformers (stacks.json) stores the experts: nn.Linear modules (bitsandbytes
            # quantizes them, LoRA targets them by name) or 3-D parameters (neither); null for dense models.
            ("experts_linear", m.get("experts_linear", True if m["is_moe"] else None)),
            ("gated_mlp", gated_from_activation(m["activation"], m["family"])),
            ("activation", m["activation"]),
            ("multimodal", mid in MULTIMODAL_MODELS),
            ("vision_params_b", vision_params_b(mid, m)),
            ("source", list(m["source"])),
            ("notes", " ".join(notes)),
        ])
        if not entry["hidden_size"] or not entry["num_layers"]:
            fail("model %s lacks hidden_size/num_layers (the engine rejects it)" % mid)
        if entry["architecture"] not in ("decoder", "encoder", "encoder-decoder"):
            fail("model %s: unexpected architecture %r" % (mid, entry["architecture"]))
        out.append(entry)
    check_normalized_unique("model alias", [(e["id"], e["aliases"] + [e["id"]]) for e in out])
    doc = collections.OrderedDict([
        ("format_version", FORMAT_VERSION),
        ("generated_by", GENERATED_BY),
        ("alias_source", MODEL_ALIAS_SOURCE),
        ("field_notes", collections.OrderedDict([
            ("params_b", "total parameters in billions (all experts for MoE)"),
            ("vision_params_b", "a multimodal checkpoint's vision encoder and projector, billions, not in params_b "
                                "(null for text models)"),
            ("active_params_b", "parameters used per token (equals params_b for dense models)"),
            ("num_layers", "decoder/encoder layers; for encoder-decoder models, layers per stack"),
            ("vocab_size", "rows of the embedding matrix (HF config value, padded where the model pads)"),
            ("gated_mlp", "true for SwiGLU/GeGLU-style MLPs (3 matrices), false for 2-matrix MLPs"),
        ])),
        ("models", out),
    ])
    return doc, alias_table, resolved


# ---------------------------------------------------------------------------
# dependency stacks
# ---------------------------------------------------------------------------

def ref_stack(ref, name):
    hits = [s for s in ref["stacks"] if s["name"] == name]
    if len(hits) != 1:
        fail("reference stack %r not found" % name)
    return hits[0]


def pin(value):
    """'==4.55.2' / '4.55.2 (note)' / '>=0.17.1' -> '4.55.2' / '0.17.1'."""
    m = re.match(r"^\s*(?:==|>=)?\s*([0-9][0-9A-Za-z.+-]*)", value)
    if not m:
        fail("cannot read a version from %r" % value)
    return m.group(1)


def build_stacks(src):
    ref = read_json(os.path.join(src, "catalogs", "dependency_stacks.json"))
    ax12 = ref_stack(ref, "axolotl v0.12.2")
    ax13 = ref_stack(ref, "axolotl v0.13.0")

    def pins(st, torch):
        return collections.OrderedDict([
            ("torch", torch),
            ("transformers", pin(st["transformers"])),
            ("peft", pin(st["peft"])),
            ("trl", pin(st["trl"])),
            ("bitsandbytes", pin(st["bitsandbytes"])),
            ("accelerate", pin(st["accelerate"])),
            ("datasets", pin(st["datasets"])),
        ])

    torch12 = pin(ax12["torch"])
    torch13 = pin(ax13["torch"])
    fa12 = pin(ax12["flash_attn"])
    fa13 = pin(ax13["flash_attn"])
    if (torch12, torch13) != ("2.7.1", "2.8.0"):
        fail("axolotl torch pins changed in reference: %s / %s" % (torch12, torch13))

    src12 = "%s (%s): torch from the docker is_latest matrix, other pins from requirements" % (
        ax12["source"], ax12["date"])
    src13 = "%s (%s): torch from the docker is_latest matrix, other pins from requirements" % (
        ax13["source"], ax13["date"])
    src_pt = ("PyTorch CUDA arch matrix: pytorch/pytorch#144071, #172352, #175253, #190385; 2.8.0 release notes "
              "quoted in easydiffusion/torchruntime#22 (cu126 = sm_50..sm_90, cu128 = sm_70..sm_120)")
    src_bnb = ("bitsandbytes installation.mdx @0.46.1/0.47.0/0.48.2/0.50.1 and CHANGELOG: <=0.47 supports CC 5.0+; "
               "0.48+ CC 6.0+, sm60 only in CUDA 11.8-12.6 builds; LLM.int8 needs CC 7.5")
    src_unsloth = "github:unslothai/unsloth README (minimum CUDA capability 7.0) and pyproject.toml ranges"
    src_kaggle = "github:Kaggle/docker-python#1546 and github:Kaggle/kaggle-cli#1151 (P100 on the cu128 default image)"

    unsloth_note = ("These pins satisfy Unsloth's 2025-06 ranges but not its 2026-08 ranges (peft >= 0.18.0 "
                    "required, datasets 4.0.* excluded): with a current Unsloth let its installer pick those two.")

    stacks = [
        collections.OrderedDict([
            ("id", "cu126-pascal-kaggle"),
            ("label", "Kaggle P100 (Pascal sm_60): PyTorch cu126 reinstall, fp16, no FlashAttention"),
            ("match", collections.OrderedDict([("min_cc", 6.0), ("max_cc", 6.9), ("platforms", ["kaggle"])])),
            ("python", "3.11"),
            ("cuda", "12.6"),
            ("torch_index_url", "https://download.pytorch.org/whl/cu126"),
            ("packages", pins(ax12, torch12)),
            ("optional", collections.OrderedDict()),
            ("requires_flash_attention2", False),
            ("mixed_precision", "fp16"),
            ("frameworks", collections.OrderedDict([("axolotl", "0.12.2"), ("unsloth", None)])),
            ("notes", "Kaggle's default image carries a cu128 PyTorch with no sm_60 kernels, so the P100 fails on "
                      "the first CUDA op: reinstall torch from the cu126 index before anything else (or switch the "
                      "accelerator to T4 x2). bitsandbytes picks its CUDA 12.6 binary, which includes sm60; "
                      "LLM.int8 (8-bit loading) needs CC 7.5, so use 4-bit or no quantization. Unsloth is not "
                      "supported (needs CC 7.0). No tensor cores: expect slow training."),
            ("source", [src12, src_pt, src_bnb, src_kaggle, src_unsloth]),
        ]),
        collections.OrderedDict([
            ("id", "cu126-pascal"),
            ("label", "Pascal (sm_60, e.g. P100): PyTorch cu126, fp16, no FlashAttention"),
            ("match", collections.OrderedDict([("min_cc", 6.0), ("max_cc", 6.9), ("platforms", None)])),
            ("python", "3.11"),
            ("cuda", "12.6"),
            ("torch_index_url", "https://download.pytorch.org/whl/cu126"),
            ("packages", pins(ax12, torch12)),
            ("optional", collections.OrderedDict()),
            ("requires_flash_attention2", False),
            ("mixed_precision", "fp16"),
            ("frameworks", collections.OrderedDict([("axolotl", "0.12.2"), ("unsloth", None)])),
            ("notes", "Only CUDA 12.6 (or older) PyTorch wheels carry sm_60 (cu128/cu13 do not; PyTorch 2.15 drops "
                      "cu126). bitsandbytes %s ships sm60 in its CUDA 12.6 binary (releases >= 0.48 keep sm60 only "
                      "in CUDA 11.8-12.6 builds). No bf16, no FlashAttention-2, no LLM.int8; Unsloth unsupported."
                      % pin(ax12["bitsandbytes"])),
            ("source", [src12, src_pt, src_bnb, src_unsloth]),
        ]),
        collections.OrderedDict([
            ("id", "cu126-volta"),
            ("label", "Volta (sm_70, V100): PyTorch cu126, fp16, no FlashAttention"),
            ("match", collections.OrderedDict([("min_cc", 7.0), ("max_cc", 7.4), ("platforms", None)])),
            ("python", "3.11"),
            ("cuda", "12.6"),
            ("torch_index_url", "https://download.pytorch.org/whl/cu126"),
            ("packages", pins(ax12, torch12)),
            ("optional", collections.OrderedDict()),
            ("requires_flash_attention2", False),
            ("mixed_precision", "fp16"),
            ("frameworks", collections.OrderedDict([("axolotl", "0.12.2"), ("unsloth", "supported (CC >= 7.0)")])),
            ("notes", "cu126 wheels keep sm_70 (PyTorch 2.11+ cu128 and all cu13 wheels drop it). No bf16 and no "
                      "FlashAttention-2: fp16 with SDPA attention. LLM.int8 (8-bit loading) needs CC 7.5: use "
                      "4-bit NF4 or no quantization. " + unsloth_note),
            ("source", [src12, src_pt, src_bnb, src_unsloth]),
        ]),
        collections.OrderedDict([
            ("id", "cu126-turing"),
            ("label", "Turing (sm_75, T4): axolotl v0.12.2 pins without FlashAttention, fp16"),
            ("match", collections.OrderedDict([("min_cc", 7.5), ("max_cc", 7.9), ("platforms", None)])),
            ("python", "3.11"),
            ("cuda", "12.6"),
            ("torch_index_url", "https://download.pytorch.org/whl/cu126"),
            ("packages", pins(ax12, torch12)),
            ("optional", collections.OrderedDict()),
            ("requires_flash_attention2", False),
            ("mixed_precision", "fp16"),
            ("frameworks", collections.OrderedDict([("axolotl", "0.12.2"), ("unsloth", "supported (T4 listed)")])),
            ("notes", "The reference's T4 recipe: the axolotl v0.12.2 stack minus flash-attn. No bf16: fp16 mixed "
                      "precision; attention via SDPA. bitsandbytes 4-bit and LLM.int8 both work (CC 7.5). sm_75 "
                      "is in the cu126, cu128 and cu130 wheels, so a preinstalled notebook PyTorch also works. "
                      + unsloth_note),
            ("source", [src12, src_pt, src_bnb, src_unsloth]),
        ]),
        collections.OrderedDict([
            ("id", "cu126-ampere-hopper"),
            ("label", "Ampere / Ada / Hopper (sm_80-sm_90): axolotl v0.12.2 pins with FlashAttention-2, bf16"),
            ("match", collections.OrderedDict([("min_cc", 8.0), ("max_cc", 9.9), ("platforms", None)])),
            ("python", "3.11"),
            ("cuda", "12.6"),
            ("torch_index_url", "https://download.pytorch.org/whl/cu126"),
            ("packages", pins(ax12, torch12)),
            ("optional", collections.OrderedDict([("flash-attn", fa12)])),
            ("requires_flash_attention2", True),
            ("mixed_precision", "bf16"),
            ("frameworks", collections.OrderedDict([("axolotl", "0.12.2"), ("unsloth", "supported")])),
            ("notes", "bf16 and FlashAttention-2 need CC >= 8.0. flash-attn %s is axolotl v0.12.2's extra; it must "
                      "match the torch/CUDA build (otherwise fall back to SDPA). " % fa12 + unsloth_note),
            ("source", [src12, src_pt, src_bnb, src_unsloth]),
        ]),
        collections.OrderedDict([
            ("id", "cu128-blackwell"),
            ("label", "Blackwell (sm_100 / sm_120, e.g. B200, RTX 5090): axolotl v0.13.0 pins on CUDA 12.8, bf16"),
            ("match", collections.OrderedDict([("min_cc", 10.0), ("max_cc", None), ("platforms", None)])),
            ("python", "3.11"),
            ("cuda", "12.8"),
            ("torch_index_url", "https://download.pytorch.org/whl/cu128"),
            ("packages", pins(ax13, torch13)),
            ("optional", collections.OrderedDict([("flash-attn", fa13)])),
            ("requires_flash_attention2", False),
            ("mixed_precision", "bf16"),
            ("frameworks", collections.OrderedDict([("axolotl", "0.13.0"), ("unsloth", "install with uv "
                                                                                      "--torch-backend=auto")])),
            ("notes", "Blackwell needs PyTorch CUDA 12.8+ wheels (older wheels report sm_120 as incompatible); "
                      "bitsandbytes CUDA 12.8+ builds include sm120. peft is pinned to the lowest version axolotl "
                      "v0.13.0 accepts (>=%s). flash-attn wheels for sm_120 were not verified, so FlashAttention-2 "
                      "is optional here and SDPA is the default. Unsloth's 2026-08 ranges reject this stack's peft, "
                      "trl and datasets pins (peft >= 0.18.0, trl <= 0.24.0, datasets < 4.4.0): with Unsloth let "
                      "its installer pick them." % pin(ax13["peft"])),
            ("source", [src13, src_pt, src_bnb, src_unsloth]),
        ]),
    ]
    # validation: ids unique, ranges sane, every NVIDIA CC >= 6.0 in the catalog matches some stack
    ids = set()
    for s in stacks:
        if s["id"] in ids:
            fail("duplicate stack id %s" % s["id"])
        ids.add(s["id"])
        mt = s["match"]
        if mt["max_cc"] is not None and mt["max_cc"] < mt["min_cc"]:
            fail("stack %s: max_cc < min_cc" % s["id"])
        for k, v in s["packages"].items():
            if not re.match(r"^\d+(\.\d+)+", v):
                fail("stack %s: package %s pin %r is not a version" % (s["id"], k, v))
    doc = collections.OrderedDict([
        ("format_version", FORMAT_VERSION),
        ("generated_by", GENERATED_BY),
        ("selection_rule", "Stacks are tried in order; the first whose match accepts the GPU wins. match: "
                           "min_cc <= compute_capability <= max_cc (null = unbounded), and platforms (null = any) "
                           "must contain the platform id. A GPU with compute_capability null (K80, AMD, Apple) "
                           "matches no stack: the engine must refuse CUDA stacks for it. requires_flash_attention2: "
                           "the stack's recommended config turns FlashAttention-2 on, so the GPU must support it."),
        ("stacks", stacks),
    ])
    return doc


def check_stack_coverage(stacks_doc, gpus_doc, platform_ids):
    for g in gpus_doc["gpus"]:
        cc = g["compute_capability"]
        if not g["cuda"] or cc is None:
            continue
        hit = [s for s in stacks_doc["stacks"] if stack_matches(s, cc, None)]
        if cc >= 6.0 and not hit:
            fail("no stack for GPU %s (cc %s)" % (g["id"], cc))
        for s in hit[:1]:
            if s["requires_flash_attention2"] and not g["flash_attention2"]:
                fail("stack %s needs FA2 but GPU %s lacks it" % (s["id"], g["id"]))
            if s["mixed_precision"] == "bf16" and not g["bf16"]:
                fail("stack %s uses bf16 but GPU %s lacks it" % (s["id"], g["id"]))
    for s in stacks_doc["stacks"]:
        for p in s["match"]["platforms"] or []:
            if p not in platform_ids:
                fail("stack %s names unknown platform %s" % (s["id"], p))


def stack_matches(s, cc, platform):
    m = s["match"]
    if cc < m["min_cc"]:
        return False
    if m["max_cc"] is not None and cc > m["max_cc"]:
        return False
    if m["platforms"] is not None and platform not in m["platforms"]:
        return False
    return True


# ---------------------------------------------------------------------------
# tasks
# ---------------------------------------------------------------------------

TASKS = [
    ("instruction_following", "Instruction following (SFT)",
     "Supervised fine-tuning on instruction/response pairs (Alpaca-style)."),
    ("chat", "Chat / multi-turn SFT", "Supervised fine-tuning on multi-turn conversations (chat templates)."),
    ("vision_language", "Vision-language fine-tuning", "Image (or video) + text models: captioning, VQA, OCR."),
    ("other", "Other (RL, embeddings, speech, ...)",
     "Everything else in the corpus: GRPO/PPO/GKD and other online RL, distillation, embedding and reranker "
     "training, speech (TTS/ASR) and audio."),
    ("math_reasoning", "Math / reasoning", "Math word problems and chain-of-thought reasoning data."),
    ("preference_dpo", "Preference tuning (DPO family)", "Offline preference optimisation: DPO, IPO, KTO, SimPO..."),
    ("continued_pretraining", "Continued pretraining", "Causal LM training on raw text (domain or language "
                                                       "adaptation)."),
    ("reward_modeling", "Reward modeling", "Training outcome or process reward models on preference data."),
    ("code", "Code", "Code generation and code-reasoning data."),
    ("classification", "Classification / regression", "Sequence classification or regression heads."),
    ("tool_use", "Tool use / agents", "Function calling and agent trajectories."),
    ("summarization", "Summarization", "Summarization data (e.g. dialogue summaries)."),
    ("preference_orpo", "Preference tuning (ORPO)", "Odds-ratio preference optimisation (single-stage SFT + "
                                                    "preference)."),
]

TASK_ALIASES = {
    "instruction_following": [
        "instruction following", "instruction-following", "instruction", "instructions", "instruct",
        "instruction tuning", "instruction-tuning", "sft", "supervised fine-tuning", "supervised finetuning",
        "supervised fine tuning", "fine-tuning", "finetuning", "fine tuning", "language finetuning",
        "language fine-tuning", "lora finetuning", "qlora finetuning", "alpaca", "general", "default",
    ],
    "chat": ["chat", "chatbot", "conversation", "conversational", "multi-turn", "multi turn", "dialogue",
             "dialog", "assistant", "chat sft", "chat fine-tuning"],
    "vision_language": ["vision_language", "vlm", "vision", "multimodal", "multi-modal", "image", "image-text",
                        "vision-language", "vision language", "vqa", "image captioning", "captioning", "ocr",
                        "video"],
    "other": ["other", "grpo", "ppo", "rl", "rlhf", "reinforcement learning", "online rl", "gkd",
              "distillation", "knowledge distillation", "embedding", "embeddings", "reranker", "reranking", "tts",
              "text to speech", "text-to-speech", "asr", "speech", "speech recognition", "audio"],
    "math_reasoning": ["math", "maths", "math reasoning", "reasoning", "chain of thought", "chain-of-thought",
                       "cot", "gsm8k", "thinking"],
    "preference_dpo": ["dpo", "direct preference optimization", "preference", "preference tuning",
                       "preference optimization", "preference alignment", "alignment", "ipo", "kto", "simpo",
                       "cpo", "rlaif"],
    "continued_pretraining": ["cpt", "continued pretraining", "continued pre-training", "continual pretraining",
                              "continual pre-training", "pretraining", "pre-training", "pretrain",
                              "domain adaptation", "domain-adaptive pretraining", "dapt", "causal lm",
                              "language modeling", "language modelling", "raw text", "completion"],
    "reward_modeling": ["rm", "reward model", "reward modeling", "reward modelling", "reward", "prm",
                        "process reward model", "orm", "outcome reward model"],
    "code": ["code", "coding", "code generation", "codegen", "programming", "code completion"],
    "classification": ["classification", "text classification", "sequence classification", "classifier",
                       "sentiment", "sentiment analysis", "regression", "seq_cls", "seq-cls", "labeling",
                       "intent detection", "ner"],
    "tool_use": ["tool use", "tool-use", "tool calling", "tool-calling", "function calling", "function-calling",
                 "agent", "agents", "agentic", "tools"],
    "summarization": ["summarization", "summarisation", "summary", "summaries", "summarize", "summarise",
                      "tldr", "abstractive summarization"],
    "preference_orpo": ["orpo", "odds ratio preference optimization", "odds-ratio preference optimization"],
}
TASK_ALIAS_SOURCE = "hand-curated: common names for each corpus task_type (framework stage names, method names)"


def build_tasks(corpus_rows):
    counts = collections.Counter(r.get("task_type") for r in corpus_rows)
    ids = [t[0] for t in TASKS]
    corpus_types = set(k for k in counts if k is not None)
    if set(ids) != corpus_types:
        fail("task ids %s differ from corpus task_type values %s" % (sorted(ids), sorted(corpus_types)))
    tasks = []
    for tid, label, desc in TASKS:
        tasks.append(collections.OrderedDict([
            ("id", tid), ("label", label), ("description", desc),
            ("corpus_supported", counts[tid] > 0), ("corpus_rows", counts[tid]),
        ]))
    aliases = {}
    for tid in ids:
        register_aliases(aliases, tid, [tid, tid.replace("_", " ")], "task")
    for tid, al in TASK_ALIASES.items():
        if tid not in ids:
            fail("task alias target %s unknown" % tid)
        register_aliases(aliases, tid, al, "task")
    if len(aliases) < 30:
        fail("too few task aliases")
    check_normalized_unique("task alias", [(t, [a for a, tt in aliases.items() if tt == t]) for t in ids])
    doc = collections.OrderedDict([
        ("format_version", FORMAT_VERSION),
        ("generated_by", GENERATED_BY),
        ("alias_source", TASK_ALIAS_SOURCE),
        ("tasks", tasks),
        ("aliases", collections.OrderedDict(sorted(aliases.items()))),
    ])
    return doc


# ---------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------

SRC_CORPUS = "reference corpus configs.jsonl dataset_size"
SRC_NAME = "size implied by the dataset's name (approximate; not counted)"

# (name, extra aliases, num_examples, approximate, split, source)
DATASETS = [
    ("tatsu-lab/alpaca", ["alpaca", "alpaca_dataset", "alpaca-52k", "stanford alpaca", "alpaca_data"], 52002, False,
     "train", SRC_CORPUS + " (axolotl dbrx example; llama-cookbook alpaca_dataset)"),
    ("yahma/alpaca-cleaned", ["alpaca-cleaned", "alpaca_cleaned", "alpaca_cleaned_dataset", "unsloth/alpaca-cleaned",
                              "alpaca cleaned"], 51760, False, "train",
     SRC_CORPUS + " (torchtune alpaca_cleaned_dataset, axolotl, Unsloth notebook output)"),
    ("mhenrichsen/alpaca_2k_test", ["alpaca_2k_test", "alpaca-2k-test", "alpaca2k", "litgpt.data.alpaca2k"], 2000,
     False, "train", SRC_CORPUS + " (axolotl; litgpt Alpaca2k, which holds out 5% for validation)"),
    ("fozziethebeat/alpaca_messages_2k_test", ["alpaca_messages_2k_test"], 2000, True, "train", SRC_NAME),
    ("fozziethebeat/alpaca_messages_2k_dpo_test", ["alpaca_messages_2k_dpo_test"], 2000, True, "train", SRC_NAME),
    ("Nanobit/text-vision-2k-test", ["text-vision-2k-test"], 2000, True, "train", SRC_NAME),
    ("mlabonne/FineTome-100k", ["finetome-100k", "finetome", "finetome 100k"], 100000, False, "train",
     SRC_CORPUS + " (axolotl example)"),
    ("openai/gsm8k", ["gsm8k", "gsm8k_dataset", "modelscope/gsm8k", "gsm-8k"], 7473, False, "train (test: 1319)",
     SRC_CORPUS + " (axolotl example); HF dataset cards of gsm8k copies list 7473 train / 1319 test"),
    ("meta-math/MetaMathQA", ["metamathqa", "metamath"], 395000, False, "train",
     SRC_CORPUS + " (PEFT method-comparison MetaMathQA experiments)"),
    ("timdettmers/openassistant-guanaco", ["openassistant-guanaco", "guanaco", "oasst-guanaco"], 9846, False,
     "train", SRC_CORPUS + " (axolotl / QLoRA Guanaco)"),
    ("philschmid/guanaco-sharegpt-style", ["guanaco-sharegpt-style"], 9033, False, "train",
     SRC_CORPUS + " (example count printed by an Unsloth notebook run)"),
    ("HuggingFaceH4/ultrachat_200k", ["ultrachat_200k", "ultrachat-200k", "ultrachat"], 207865, False, "train_sft",
     SRC_CORPUS + " (alignment-handbook)"),
    ("HuggingFaceH4/ultrafeedback_binarized", ["ultrafeedback_binarized", "ultrafeedback-binarized",
                                               "ultrafeedback binarized"], 61135, False,
     "train_prefs (test_prefs: 2000)", "HF dataset card HuggingFaceH4/ultrafeedback_binarized dataset_info "
                                       "(train_prefs 61135)"),
    ("argilla/dpo-mix-7k", ["dpo-mix-7k"], 6750, False, "train (test: 750)",
     "HF dataset card argilla/dpo-mix-7k dataset_info (train 6750, test 750)"),
    ("garage-bAInd/Open-Platypus", ["open-platypus", "openplatypus", "platypus"], 24926, False, "train",
     "dataset_info.json of a copy built from garage-bAInd/Open-Platypus@37141ed (train 24926)"),
    ("AI-MO/NuminaMath-TIR", ["numinamath-tir", "ai-modelscope/numinamath-tir"], 72441, False, "train",
     "HF mirror card pxyyy/NuminaMath-TIR (train 72441); HF listing of AI-MO/NuminaMath-TIR shows 72.5k rows"),
    ("AI-MO/NuminaMath-CoT", ["numinamath-cot"], 859000, True, "train",
     "HF dataset viewer of AI-MO/NuminaMath-CoT (train ~859k rows)"),
    ("cgato/SlimOrcaDedupCleaned", ["slimorcadedupcleaned", "slimorca-dedup-cleaned"], 182000, True, "train",
     "HF dataset viewer of cgato/SlimOrcaDedupCleaned (~182k rows)"),
    ("unsloth/LaTeX_OCR", ["latex_ocr", "latex-ocr"], 68686, False, "train",
     SRC_CORPUS + " (example count printed by an Unsloth notebook run)"),
    ("unsloth/OpenMathReasoning-mini", ["openmathreasoning-mini"], 19252, False, "cot",
     SRC_CORPUS + " (example count printed by an Unsloth notebook run)"),
    ("unsloth/llava-instruct-mix-vsft-mini", ["llava-instruct-mix-vsft-mini"], 8552, False, "train",
     SRC_CORPUS + " (example count printed by an Unsloth notebook run)"),
    ("HuggingFaceH4/Multilingual-Thinking", ["multilingual-thinking"], 1000, False, "train",
     SRC_CORPUS + " (example count printed by an Unsloth notebook run)"),
    ("open-r1/codeforces-cots", ["codeforces-cots"], 40665, False, "as loaded by the notebook",
     SRC_CORPUS + " (example count printed by an Unsloth notebook run; the subset it loads)"),
    ("knkarthick/samsum", ["samsum", "samsum_dataset", "samsung/samsum"], 14732, False,
     "train (validation 818, test 819)", "SAMSum corpus card / paper (arXiv:1911.12237): 14,732 train dialogues"),
    ("AI-ModelScope/LongAlpaca-12k", ["longalpaca-12k", "yukang/longalpaca-12k"], 12000, True, "train", SRC_NAME),
    ("trl-lib/kto-mix-14k", ["kto-mix-14k"], 14000, True, "train", SRC_NAME),
    ("smangrul/ultrachat-10k-chatml", ["ultrachat-10k-chatml"], 10000, True, "train", SRC_NAME),
    ("AI-ModelScope/orpo-dpo-mix-40k", ["orpo-dpo-mix-40k", "mlabonne/orpo-dpo-mix-40k"], 40000, True, "train",
     SRC_NAME),
    ("tpo-alignment/triple-preference-ultrafeedback-40K", ["triple-preference-ultrafeedback-40k"], 40000, True,
     "train", SRC_NAME),
    ("open-r1/DAPO-Math-17k-Processed", ["dapo-math-17k", "dapo-math-17k-processed"], 17000, True, "train",
     SRC_NAME),
    ("lmms-lab/multimodal-open-r1-8k-verified", ["multimodal-open-r1-8k-verified"], 8000, True, "train", SRC_NAME),
    ("liucong/Chinese-DeepSeek-R1-Distill-data-110k-SFT", ["chinese-deepseek-r1-distill-data-110k-sft"], 110000, True,
     "train", SRC_NAME),
    ("swift/Chinese-Qwen3-235B-2507-Distill-data-110k-SFT", ["chinese-qwen3-235b-2507-distill-data-110k-sft"], 110000,
     True, "train", SRC_NAME),
    ("HuggingFaceTB/Magpie-Pro-300K-Filtered-H4", ["magpie-pro-300k-filtered-h4"], 300000, True, "train", SRC_NAME),
    ("open-thoughts/OpenThoughts3-1.2M", ["openthoughts3-1.2m", "openthoughts3"], 1200000, True, "train", SRC_NAME),
    ("hezarai/parsynth-ocr-200k", ["parsynth-ocr-200k"], 200000, True, "train", SRC_NAME),
]

SIZE_BUCKETS = collections.OrderedDict([("small_max", 10000), ("medium_max", 100000)])


def build_datasets(corpus_rows):
    corpus_names = set(r.get("dataset_name") for r in corpus_rows if r.get("dataset_name"))
    table = {}
    out = []
    for name, extra, n, approx, split, source in sorted(DATASETS, key=lambda d: d[0].lower()):
        if not isinstance(n, int) or n <= 0:
            fail("dataset %s: bad size" % name)
        base = name.split("/", 1)[1].lower()
        aliases = sorted(set([name.lower(), base] + [e.lower() for e in extra]))
        register_aliases(table, name, aliases, "dataset")
        bucket = "small" if n < SIZE_BUCKETS["small_max"] else (
            "medium" if n <= SIZE_BUCKETS["medium_max"] else "large")
        out.append(collections.OrderedDict([
            ("name", name), ("aliases", aliases), ("num_examples", n), ("approximate", approx),
            ("split", split), ("size_bucket", bucket), ("avg_tokens", None),
            ("in_corpus", name in corpus_names or any(a in {c.lower() for c in corpus_names} for a in aliases)),
            ("source", source),
        ]))
    check_normalized_unique("dataset alias", [(d["name"], d["aliases"] + [d["name"]]) for d in out])
    doc = collections.OrderedDict([
        ("format_version", FORMAT_VERSION),
        ("generated_by", GENERATED_BY),
        ("size_rule", "small: num_examples < small_max; medium: small_max <= n <= medium_max; large: n > medium_max. "
                      "approximate=true marks sizes read from a dataset's name or a rounded viewer count. "
                      "avg_tokens is null everywhere (no source measured it)."),
        ("size_buckets", SIZE_BUCKETS),
        ("datasets", out),
    ])
    return doc


# ---------------------------------------------------------------------------
# corpus snapshot
# ---------------------------------------------------------------------------

def load_corpus(src):
    path = os.path.join(src, "corpus", "configs.jsonl")
    with open(path, "rb") as f:
        raw = f.read()
    rows = []
    for i, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line, object_pairs_hook=collections.OrderedDict))
        except ValueError as e:
            fail("corpus line %d: %s" % (i, e))
    return raw, rows


LATEST_DATE_RE = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")


def data_as_of(src):
    """Latest ISO date stated anywhere in the reference catalogs (deterministic, not the clock)."""
    best = None
    for fn in sorted(os.listdir(os.path.join(src, "catalogs"))):
        with open(os.path.join(src, "catalogs", fn), encoding="utf-8") as f:
            for m in LATEST_DATE_RE.finditer(f.read()):
                d = m.group(0)
                if best is None or d > best:
                    best = d
    return best


def build_corpus(src, raw, rows):
    if len(rows) != EXPECTED_CORPUS_ROWS:
        fail("corpus has %d rows, expected %d" % (len(rows), EXPECTED_CORPUS_ROWS))
    ids = [r.get("id") for r in rows]
    if any(not isinstance(i, str) or not i for i in ids):
        fail("corpus row without id")
    dup = [k for k, v in collections.Counter(ids).items() if v > 1]
    if dup:
        fail("duplicate corpus ids: %s" % dup[:5])
    for r in rows:
        if not r.get("source_repo") or not r.get("source_path"):
            fail("corpus row %s lacks source_repo/source_path" % r.get("id"))
    key_order = list(rows[0].keys())
    rows_sorted = sorted(rows, key=lambda r: r["id"])
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows_sorted]
    text = "\n".join(lines) + "\n"
    data = text.encode("utf-8")
    src_sha = sha256_bytes(raw)
    manifest = collections.OrderedDict([
        ("format_version", FORMAT_VERSION),
        ("generated_by", GENERATED_BY),
        ("file", "configs.jsonl"),
        ("row_count", len(rows_sorted)),
        ("sha256", sha256_bytes(data)),
        ("source_file", "corpus/configs.jsonl (reference data)"),
        ("source_sha256", src_sha),
        ("build_id", "src-" + src_sha[:16]),
        ("build_date", data_as_of(src)),
        ("build_date_rule", "not the wall clock: the latest ISO date stated in the reference catalogs, so a rebuild "
                            "from the same inputs is byte-identical; build_id is the source content hash prefix"),
        ("order", "rows sorted by id; one compact JSON object per line; keys and values exactly as in the source"),
        ("columns", key_order),
        ("task_type_counts", collections.OrderedDict(sorted(collections.Counter(
            r.get("task_type") or "null" for r in rows_sorted).items()))),
        ("source_repo_counts", collections.OrderedDict(sorted(collections.Counter(
            r.get("source_repo") for r in rows_sorted).items()))),
    ])
    return text, manifest


# ---------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------

def build_readme(summary, manifest):
    s = summary
    return """# ftconfig data

Bundled facts the engine reads at run time. Built from the project's reference data by
`scripts/build_data.py`; each entry's `source` names the public origin of its numbers. Do not edit
these files by hand: change the script (or the reference data) and regenerate.

```
python3 scripts/build_data.py                      # src = ../shared/data, out = data/
python3 scripts/build_data.py --src PATH --out DIR
```

The build is deterministic (no clock, stable order): running it twice gives identical bytes. It
fails (non-zero exit) on a duplicate alias, a plan naming an unknown GPU, a corpus row count other
than {rows}, and similar inconsistencies. Every JSON file carries `format_version` ({fv}).

Conventions: memory in decimal GB (1e9 bytes) unless a field says GiB; prices in USD per GPU-hour;
TFLOPs dense (no sparsity); `null` = not known from a source (never guessed); aliases are
lowercase and each maps to exactly one entry (match after lowercasing and trimming; strip an org
prefix such as `unsloth/` and quantization suffixes such as `-bnb-4bit` before a model lookup).

## catalog/gpus.json ({gpus} GPUs)
`gpus[]`: `id` (slug), `name`, `aliases[]`, `vendor`, `architecture`, `compute_capability`
(number, null for non-NVIDIA and K80), `cuda` (bool: NVIDIA), `vram_gb` (the nominal size as sold,
per device; vendors' "GB" here is binary, so `usable_vram_gb` can exceed it, e.g. V100 16 -> 16.4),
`vram_is_placeholder` (true only for `apple-m`: unified memory has no fixed size, so it carries a
flagged 16 GB / 10.6 GB usable placeholder because the engine needs a positive figure),
`devices_per_board` (2 for K80 and MI250, described per device), `usable_vram_gb` (GB one PyTorch
process can allocate), `ecc_reserve` / `display_reserve` (bools used by the rule), `tier`
(`"16gb"`, `"24gb"`... nearest tier at or below `vram_gb`), `bf16`, `flash_attention2`, `bnb_4bit`,
`bnb_int8` (capability flags), `peak_tflops_fp16` / `_bf16` / `_fp32`, `peak_tflops_basis`,
`bandwidth_gbps` (GB/s), `tdp_w`, `source[]`, `notes`.

Usable-VRAM rule (also in the file as `usable_vram_rule`): nominal GiB x 15/16 on ECC GDDR
data-centre parts (T4, A10, A10G, L4, L40S, K80) x 0.985 (share the driver exposes; calibrated on
public torch readouts such as the T4's 14.741 GiB) converted to GB, minus 0.5 GB (CUDA context,
cuBLAS workspace, driver), minus 0.4 GB more on GeForce cards (display), floored to 0.1 GB.
Example: T4 = 16 GiB x 15/16 x 0.985 = 14.77 GiB = 15.86 GB, minus 0.5 = 15.3 GB.

## catalog/platforms.json ({platforms} platforms, {plans} plans)
`platforms[]`: `id`, `name`, `aliases[]`, `kind` (`notebook` | `cloud` | `local`), `notes`,
`plans[]`. Plan: `id` (unique within its platform), `name`, `aliases[]`, `gpu` (a gpus.json id;
null only for Paperspace free and local `any`, where the user must name the GPU), `gpu_count`,
`session_limit_hours` (null = none known), `weekly_quota_hours`, `price_per_gpu_hour_usd`
(on-demand; 0 = free; null = no source), `price_basis`, `spot_price_per_gpu_hour_usd`,
`price_date`, `price_source`, `guaranteed` (true only for the user's own hardware: no source
promises availability on a hosted plan), `notes`, `source[]`.
Colab prices = compute-unit burn per hour x USD 0.10; Vast.ai ranges use the midpoint.

## catalog/models.json ({models} models: {ref_models} from the reference catalog, {added_models} project additions)
`models[]`: `id` (Hugging Face repo id), `name`, `family` (slug), `series`, `aliases[]`,
`params_b` (billions, all experts), `params_exact`, `params_method`, `active_params_b`,
`architecture` (`decoder` | `encoder` | `encoder-decoder`), `hidden_size`, `intermediate_size`
(per expert for MoE), `num_layers` (per stack for encoder-decoder), `num_attention_heads`,
`num_kv_heads`, `head_dim`, `vocab_size`, `max_position_embeddings`, `tie_word_embeddings`,
`is_moe`, `num_experts`, `experts_per_token`, `experts_linear` (MoE: the pinned transformers keeps the experts as
nn.Linear modules, which bitsandbytes quantizes and LoRA targets by name; false: 3-D parameters), `gated_mlp` (SwiGLU/GeGLU), `activation`,
`multimodal`, `vision_params_b` (a multimodal checkpoint's vision encoder and projector, not in
`params_b`: Gemma 3's SigLIP tower computed from its config and checked against the published totals), `source[]`,
`notes`. Layer sizes the reference left null for Phi-3-medium,
StarCoder2-15B and DeepSeek-Coder-6.7B are filled from secondary public sources named in `source`
(the engine needs `hidden_size` and `num_layers` for every model); other unknowns stay null.
Models the reference lacks come from `MODEL_ADDITIONS` in the script (dense decoders, listed after
the reference models): config sizes from the public files named in `source`, `params_exact`
computed from them and checked against a published total (within 1%).

## catalog/stacks.json ({stacks} stacks)
Pinned dependency stacks, tried in order; the first whose `match` accepts the GPU wins.
`match`: `min_cc` <= compute capability <= `max_cc` (null = open) and `platforms` (null = any).
Fields: `id`, `label`, `python`, `cuda`, `torch_index_url`, `packages` (exact pins: torch,
transformers, peft, trl, bitsandbytes, accelerate, datasets), `optional` (e.g. flash-attn),
`requires_flash_attention2`, `mixed_precision` (`fp16` | `bf16`), `frameworks`, `notes`,
`source[]` (the framework release each pin came from). GPUs with no compute capability (K80,
AMD, Apple) match no stack.

## catalog/tasks.json ({tasks} tasks)
`tasks[]`: `id` (the corpus `task_type` values), `label`, `description`, `corpus_supported`,
`corpus_rows`. `aliases`: lowercase phrase -> task id ({task_aliases} entries).

## catalog/datasets.json ({datasets} datasets)
`datasets[]`: `name` (Hub id), `aliases[]`, `num_examples` (training examples), `approximate`,
`split`, `size_bucket`, `avg_tokens` (null: not measured), `in_corpus`, `source`.
`size_buckets`: small < {small}, medium {small}-{medium}, large > {medium} examples.

## corpus/configs.jsonl, corpus/MANIFEST.json
The bundled corpus of {rows} real fine-tuning configurations, one compact JSON object per line,
sorted by `id`, keys and values exactly as in the reference (the engine's pipeline normalizes,
rejects bad rows and counts the reasons; nothing is fixed or dropped here). Every row keeps
`source_repo` and `source_path`. MANIFEST.json: row count, sha256 of the snapshot and of the
source file, `build_id` (source hash prefix) and `build_date` ({build_date}: the latest date
stated in the reference catalogs, not the clock), column list and per-task / per-repo counts.
""".format(rows=manifest["row_count"], fv=FORMAT_VERSION, gpus=s["gpus"], platforms=s["platforms"],
           plans=s["plans"], models=s["models"], ref_models=EXPECTED_MODELS,
           added_models=EXPECTED_MODEL_ADDITIONS, stacks=s["stacks"], tasks=s["tasks"],
           task_aliases=s["task_aliases"], datasets=s["datasets"], small=SIZE_BUCKETS["small_max"],
           medium=SIZE_BUCKETS["medium_max"], build_date=manifest["build_date"])


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def build(src, out_dir):
    if not os.path.isdir(src):
        fail("reference data folder not found: %s" % src)
    raw, rows = load_corpus(src)

    gpus_doc, gpu_alias = build_gpus(src)
    gpu_ids = {g["id"] for g in gpus_doc["gpus"]}
    platforms_doc = build_platforms(src, gpu_ids)
    models_doc, model_alias, resolved = build_models(src)
    stacks_doc = build_stacks(src)
    check_stack_coverage(stacks_doc, gpus_doc, {p["id"] for p in platforms_doc["platforms"]})
    tasks_doc = build_tasks(rows)
    datasets_doc = build_datasets(rows)
    corpus_text, manifest = build_corpus(src, raw, rows)

    files = collections.OrderedDict()
    files["catalog/gpus.json"] = dump_json(gpus_doc)
    files["catalog/platforms.json"] = dump_json(platforms_doc)
    files["catalog/models.json"] = dump_json(models_doc)
    files["catalog/stacks.json"] = dump_json(stacks_doc)
    files["catalog/tasks.json"] = dump_json(tasks_doc)
    files["catalog/datasets.json"] = dump_json(datasets_doc)
    files["corpus/configs.jsonl"] = corpus_text
    files["corpus/MANIFEST.json"] = dump_json(manifest)

    summary = collections.OrderedDict([
        ("gpus", len(gpus_doc["gpus"])),
        ("gpu_aliases", len(gpu_alias)),
        ("platforms", len(platforms_doc["platforms"])),
        ("plans", sum(len(p["plans"]) for p in platforms_doc["platforms"])),
        ("models", len(models_doc["models"])),
        ("model_aliases", len(model_alias)),
        ("stacks", len(stacks_doc["stacks"])),
        ("tasks", len(tasks_doc["tasks"])),
        ("task_aliases", len(tasks_doc["aliases"])),
        ("datasets", len(datasets_doc["datasets"])),
        ("corpus_rows", manifest["row_count"]),
    ])
    files["README.md"] = build_readme(summary, manifest)

    # every JSON output must parse back
    for rel, text in files.items():
        if rel.endswith(".json"):
            json.loads(text)
        elif rel.endswith(".jsonl"):
            n = sum(1 for line in text.splitlines() if json.loads(line) is not None)
            if n != EXPECTED_CORPUS_ROWS:
                fail("snapshot re-read gave %d rows" % n)

    for rel, text in files.items():
        write_text(os.path.join(out_dir, rel), text)
    return files, summary, platforms_doc, resolved


def print_summary(summary, platforms_doc, resolved, out_dir, files):
    print("wrote %d files under %s" % (len(files), out_dir))
    for rel in files:
        print("  %s" % rel)
    print()
    print("%-16s %6s" % ("catalog", "count"))
    print("%-16s %6s" % ("-" * 16, "-" * 6))
    for k, v in summary.items():
        print("%-16s %6d" % (k, v))
    print()
    print("%-22s %-8s %s" % ("platform", "kind", "plans (gpu x count)"))
    for p in platforms_doc["platforms"]:
        plans = ", ".join("%s(%s x%d)" % (pl["id"], pl["gpu"], pl["gpu_count"]) for pl in p["plans"])
        print("%-22s %-8s %s" % (p["id"], p["kind"], plans))
    if resolved:
        print()
        print("model alias clashes resolved (alias -> kept for; dropped from):")
        for a, keep, dropped in resolved:
            print("  %r -> %s; %s" % (a, keep, ", ".join(dropped)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=DEFAULT_SRC, help="reference data folder (default: %(default)s)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    ap.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)
    try:
        files, summary, platforms_doc, resolved = build(os.path.abspath(args.src), os.path.abspath(args.out))
    except BuildError as e:
        print("build_data: error: %s" % e, file=sys.stderr)
        return 1
    if not args.quiet:
        print_summary(summary, platforms_doc, resolved, args.out, files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
