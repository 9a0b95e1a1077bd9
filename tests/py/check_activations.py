#!/usr/bin/env python3
"""The estimator's activation terms against what autograd saves, on the CPU (CTest: activations_py).

For every architecture family of the catalog (tiny_models.ARCHITECTURES), builds a tiny randomly
initialised model from a config (no download) and runs one training forward and backward under
torch.autograd.graph.saved_tensors_hooks. Every tensor autograd saves is counted once (by its storage), parameters
left out, and attributed to the decoder layer whose forward saved it first. The bytes per token of one layer (the
mean over the layers) and, with gradient checkpointing, the checkpoint each layer keeps are compared with the
estimator's `activation_bytes_per_token` (`ftconfig estimate`, the same architecture given by hand).

Scenarios, in the dtypes the transformers Trainer uses (`bf16=True`: autocast to bf16):
  full   fp32 weights + bf16 autocast          (estimator precision mixed-bf16)
  lora   bf16 weights + bf16 autocast, PEFT's fp32 adapters (estimator precision bf16, adapter_dtype fp32)
  dora   the same with use_dora
each with SDPA and eager attention, LoRA with lora_dropout 0.05 and 0, and checkpointing on and off. T5 runs
eager only (as the exports load it), a sequence-to-sequence model whose "layer" is one encoder block plus one
decoder block.

CUDA autocast's fp32 ops (layer_norm, softmax, pow, ...) run as CUDA runs them (CudaAutocastFp32Ops). One other
difference between the CPU and CUDA is corrected, not measured: on the CPU, dropout saves its mask in the
input's dtype (ATen _dropout_impl multiplies by a float noise tensor), on CUDA as a bool (native_dropout), so the
masks saved inside nn.Dropout modules are counted at 1 byte per element.

  check_activations.py --cli build/bin/ftconfig [--write-doc] [--tolerance 5]

Prints the table; --write-doc also rewrites its section of docs/memory-validation.md. Exit 0 when every row of the
families listed in GATED is within the tolerance, 1 otherwise, 77 (skipped) without torch/transformers/peft (run it
with the venv of scripts/setup-python.sh).
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import warnings

try:
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tiny_models import ARCHITECTURES, ENCODERS
except ImportError as exc:  # the check venv is missing
    print(f"SKIP: {exc} (scripts/setup-python.sh installs the check venv)")
    sys.exit(77)

warnings.filterwarnings("ignore")
transformers.logging.set_verbosity_error()

# Tiny shape with distinct sizes; SEQ is prime so a tensor with a token dimension is told apart from weights
# (no weight dimension product is a multiple of 61).
SIZE = {"hidden_size": 64, "intermediate_size": 176, "num_hidden_layers": 3, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 256, "vocab_size": 256}
BATCH, SEQ = 2, 61
PAD = 7  # padding tokens at the end of the second sequence
LORA_R = 8
# Families whose rows must agree within the tolerance (the exit status): every decoder and encoder family of the
# catalog (T5, the one encoder-decoder family, is not built here). The
# estimator's layer_type (ftconfig/memory.h LayerTypeOf) carries each family's differences from the Llama layer.
GATED = ("llama", "mistral", "qwen2", "gemma", "qwen3", "gemma2", "gemma3_text", "olmo", "phi3", "mixtral", "phi",
         "gpt2", "gpt_neox", "falcon", "falcon_new", "opt", "starcoder2", "bert", "roberta", "distilbert",
         "deberta-v2", "t5", "t5_gated")
# Why the MoE families added with the gpt-oss and Qwen3-MoE catalog models are not gated (docs/memory-validation.md).
UNGATED_WHY = ("gpt-oss's experts loop over the experts, gather each one's routed tokens and run a clamped SwiGLU "
               "with biases (GptOssExperts); the estimator's term for it is derived from that code "
               "(GptOssExpertBytes) but not yet fitted: full fine-tuning 7% under, LoRA 16% over (gradient "
               "checkpointing, which every recommendation keeps on, holds one layer of these). transformers 5 fuses "
               "Qwen3-MoE's experts where the pinned 4.55 keeps them as nn.Linear modules that LoRA adapts: the "
               "estimator counts those adapters, so its LoRA rows here are over.")
DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs",
                   "memory-validation.md")
BEGIN = "<!-- BEGIN GENERATED: tests/py/check_activations.py --write-doc -->"
END = "<!-- END GENERATED: check_activations -->"


def family_label(model_type, extra):
    """The row's family: the model_type, or a variant with a layer of its own: Falcon's new decoder architecture
    (Falcon-40B), T5's gated-GELU MLP (Flan-T5)."""
    if model_type == "falcon" and extra.get("new_decoder_architecture"):
        return "falcon_new"
    if model_type == "t5" and str(extra.get("feed_forward_proj", "")).startswith("gated"):
        return "t5_gated"
    return model_type


def decoder_families():
    """(label, model_type, extra config) per family, once each, plus llama (the default family)."""
    seen, out = set(), [("llama", "llama", {})]
    for _, model_type, extra in ARCHITECTURES:
        label = family_label(model_type, extra)
        if label in seen:
            continue
        seen.add(label)
        out.append((label, model_type, extra))
    return out


def build(model_type, extra, attn, layers=None):
    keys = {**SIZE, **{k: v for k, v in extra.items() if k != "head_dim"}, "pad_token_id": 0}
    if layers:
        keys["num_hidden_layers"] = layers
    if model_type == "falcon":  # head_dim is derived; multi-query or num_kv_heads sets the KV heads
        keys = {k: v for k, v in keys.items() if k not in ("head_dim", "num_key_value_heads")}
        keys.update({k: v for k, v in extra.items() if k == "num_kv_heads"})
    if model_type in ENCODERS:
        keys = {k: v for k, v in keys.items() if k not in ("head_dim", "num_key_value_heads")}
        keys["num_labels"] = NUM_LABELS
        if model_type == "deberta-v2":
            keys["position_buckets"] = 256  # DeBERTa-v3's (the estimator's relative span is 2 x 256)
    if model_type == "t5":  # T5's own key names, from the shared tiny size
        keys = {k: v for k, v in keys.items() if k not in ("hidden_size", "intermediate_size", "num_attention_heads",
                                                           "num_key_value_heads", "head_dim", "num_hidden_layers")}
        keys.update(d_model=SIZE["hidden_size"], d_ff=SIZE["intermediate_size"], num_heads=SIZE["num_attention_heads"],
                    d_kv=SIZE["head_dim"], num_layers=layers or SIZE["num_hidden_layers"], decoder_start_token_id=0,
                    feed_forward_proj=extra.get("feed_forward_proj", "relu"))
    config = transformers.AutoConfig.for_model(model_type, **keys)
    config._attn_implementation = attn
    if model_type == "t5":  # trained with its dropout (0.1) on, as a sequence-to-sequence model
        torch.manual_seed(0)
        return config, transformers.AutoModelForSeq2SeqLM.from_config(config)
    if model_type in ENCODERS:
        # Encoders fine-tune with their hidden dropout (0.1 in their configs). Attention dropout too, which CUDA's
        # fused SDPA kernels apply without keeping a mask (the CPU falls back to an fp32 math path): eager only.
        if attn != "eager":
            for k in ("attention_probs_dropout_prob", "attention_dropout"):
                if isinstance(getattr(config, k, None), float):
                    setattr(config, k, 0.0)
        torch.manual_seed(0)
        return config, transformers.AutoModelForSequenceClassification.from_config(config)
    for k in ("attention_dropout", "hidden_dropout", "resid_pdrop", "embd_pdrop", "attn_pdrop", "dropout",
              "attention_probs_dropout_prob", "hidden_dropout_prob", "resid_dropout", "embed_dropout"):
        if hasattr(config, k) and isinstance(getattr(config, k), float):
            setattr(config, k, 0.0)  # the catalog's decoders train without hidden dropout
    torch.manual_seed(0)
    return config, transformers.AutoModelForCausalLM.from_config(config)


MOE = ("mixtral",)
NUM_LABELS = 2  # encoders run as sequence classifiers, as the classification exports load them
# Scenarios transformers or PEFT cannot build (reported, not failed): Gemma 2 has no SDPA path; PEFT cannot put
# dropout or DoRA on transformers 5's fused expert parameters.
KNOWN_LIMITS = ("does not support an attention implementation", "lora.ParamWrapper does not work with",
                "mixed dtype (CPU)")
# transformers model_type -> the estimator's layer_type (ftconfig/memory.h LayerTypeOf).
LAYER_TYPES = {"qwen3": "qwen3", "qwen3_moe": "qwen3", "gpt_oss": "gpt_oss", "gemma2": "gemma2", "gemma3_text": "gemma3", "olmo": "olmo", "phi3": "phi3",
               "gpt2": "gpt2", "gpt_neox": "gpt_neox", "falcon": "falcon", "falcon_new": "falcon_new", "phi": "phi",
               "opt": "opt",
               "starcoder2": "starcoder2", "bert": "bert", "roberta": "bert", "distilbert": "distilbert",
               "deberta-v2": "deberta"}


def arch_fields(config, model_type):
    """The architecture as the estimator's hand-given fields."""
    g = lambda *names, default=None: next((getattr(config, n) for n in names if getattr(config, n, None)), default)
    h = g("hidden_size")
    heads = g("num_attention_heads")
    kv = g("num_key_value_heads", default=heads)
    if model_type == "falcon":
        kv = config.num_kv_heads if config.new_decoder_architecture else 1 if config.multi_query else heads
    if model_type in ("gpt2", "gpt_neox", "opt") or model_type in ENCODERS:  # no grouped-query attention
        kv = heads
    gated = model_type not in ("gpt2", "gpt_neox", "falcon", "opt", "phi", "starcoder2") and model_type not in ENCODERS
    # The MLP width under each family's own key (the tiny config also carries intermediate_size, unused there).
    if model_type == "t5":
        return {"hidden_size": config.d_model, "num_layers": config.num_layers, "intermediate_size": config.d_ff,
                "num_attention_heads": config.num_heads, "num_kv_heads": config.num_heads, "head_dim": config.d_kv,
                "vocab_size": config.vocab_size, "gated_mlp": config.is_gated_act, "tie_word_embeddings": True,
                "layer_type": "t5", "architecture": "encoder-decoder"}
    inter = {"qwen3_moe": getattr(config, "moe_intermediate_size", None),
             "gpt2": getattr(config, "n_inner", None) or 4 * h,
             "falcon": getattr(config, "ffn_hidden_size", None) or 4 * h,
             "opt": getattr(config, "ffn_dim", None),
             "distilbert": getattr(config, "hidden_dim", None)}.get(model_type) or g("intermediate_size", default=4 * h)
    return {"hidden_size": h, "num_layers": g("num_hidden_layers"), "intermediate_size": inter,
            "num_attention_heads": heads, "num_kv_heads": kv, "head_dim": g("head_dim", default=h // heads),
            "vocab_size": config.vocab_size, "gated_mlp": gated,
            "tie_word_embeddings": bool(getattr(config, "tie_word_embeddings", False)),
            "layer_type": LAYER_TYPES.get(family_label(model_type, config.to_dict()), ""), **moe_fields(config)}


def moe_fields(config):
    experts = getattr(config, "num_local_experts", None) or getattr(config, "num_experts", None)
    if not experts:
        return {}
    fields = {"is_moe": True, "num_experts": experts, "experts_per_token": config.num_experts_per_tok}
    if config.model_type == "gpt_oss":
        fields["experts_linear"] = False  # 3-D expert parameters (GptOssExperts)
    return fields


# CUDA autocast runs these ops in fp32 (casting 16-bit inputs); CPU autocast leaves them in the input dtype. From
# the "CUDA Ops that can autocast to float32" list of PyTorch's AMP reference (torch.amp autocast op reference).
CUDA_FP32_OPS = {"layer_norm", "group_norm", "softmax", "log_softmax", "softmin", "pow", "__pow__", "__rpow__", "rsqrt",
                 "exp", "expm1", "log", "log1p", "log2", "log10", "reciprocal", "__rtruediv__", "__rdiv__", "cumsum",
                 "cumprod", "sum", "prod", "norm", "normalize", "softplus", "erfinv", "acos", "asin", "cosh", "sinh",
                 "tan"}


def native_dropout(input, p=0.5, training=True, inplace=False):
    """F.dropout as CUDA runs it: native_dropout keeps a bool mask for backward (the CPU's F.dropout keeps a noise
    tensor in the input's dtype)."""
    if not training or p == 0:
        return input
    return torch.native_dropout(input, p, True)[0]


class CudaAutocastFp32Ops(torch.overrides.TorchFunctionMode):
    """Under CPU autocast, run CUDA autocast's fp32 ops as CUDA would: 16-bit floating inputs cast to fp32 (the cast
    copy is what the op then saves), the op run without autocast. Ops given an explicit dtype are left alone, as
    CUDA autocast leaves them."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name == "dropout" and func is torch.nn.functional.dropout:
            return native_dropout(*args, **kwargs)
        if name in CUDA_FP32_OPS and kwargs.get("dtype") is None and torch.is_autocast_enabled("cpu"):
            up = lambda x: x.float() if isinstance(x, torch.Tensor) and x.dtype in (torch.bfloat16, torch.float16) else x
            args = tuple(up(a) for a in args)
            kwargs = {k: up(v) for k, v in kwargs.items()}
            with torch.autocast("cpu", enabled=False):
                return func(*args, **kwargs)
        return func(*args, **kwargs)


def decoder_layers(model):
    """The decoder layers (the longest ModuleList of the model that is not an MoE block's experts); for T5 the
    encoder's blocks then the decoder's."""
    lists = [m for name, m in model.named_modules()
             if isinstance(m, torch.nn.ModuleList) and not name.endswith("experts")]
    blocks = [m for m in lists if len(m) and type(m[0]).__name__ == "T5Block"]
    if len(blocks) == 2:
        return list(blocks[0]) + list(blocks[1])
    return max(lists, key=len)


class SavedBytes:
    """Bytes per token autograd saves, by the decoder layer that saved them first."""

    def __init__(self, model, layers):
        self.params = {p.untyped_storage().data_ptr() for p in model.parameters()}
        # Storages seen, by address, each held so that its address is not reused by a later tensor (a saved
        # tensor of a sub-graph freed during the forward pass would otherwise hide the next one at that address).
        self.seen = {}
        self.where = ["outside"]
        self.bytes = {}
        for i, layer in enumerate(layers):
            layer.register_forward_pre_hook(lambda m, a, i=i: self.where.__setitem__(0, i))
            layer.register_forward_hook(lambda m, a, o: self.where.__setitem__(0, "outside"))

    def pack(self, t):
        s = t.untyped_storage()
        ptr = s.data_ptr()
        if ptr in self.params or ptr in self.seen:
            return t
        self.seen[ptr] = s
        elems = s.nbytes() // t.element_size()
        if elems % SEQ:
            return t  # no token dimension: weight casts, scalars
        self.bytes[self.where[0]] = self.bytes.get(self.where[0], 0) + s.nbytes()
        return t


def measure(model_type, extra, method, attn, dropout, checkpointing, depth=None):
    """(bytes per token per layer, bytes per token saved outside the layers, config)."""
    config, model = build(model_type, extra, attn, depth)
    if method in ADAPTERS:
        model = model.to(torch.bfloat16)
        model = get_peft_model(model, LoraConfig(r=LORA_R, target_modules="all-linear", lora_dropout=dropout,
                                                 use_dora=method == "dora"))
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
        if method in ADAPTERS:
            model.enable_input_require_grads()
    model.train()
    layers = decoder_layers(model)
    counter = SavedBytes(model, layers)
    ids = torch.randint(4, config.vocab_size, (BATCH, SEQ), generator=torch.Generator().manual_seed(0))
    autocast = torch.autocast("cpu", dtype=torch.bfloat16)
    # A padded batch, as a collator pads: the attention mask reaches every layer.
    mask = torch.ones_like(ids)
    mask[1, SEQ - PAD:] = 0
    labels = ids.masked_fill(mask == 0, -100) if model_type not in ENCODERS else torch.tensor([0, 1])
    with autocast, CudaAutocastFp32Ops(), torch.autograd.graph.saved_tensors_hooks(counter.pack, lambda t: t):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    tokens = BATCH * SEQ
    # The last layer: the first one's input needs no gradient (its norm and LoRA dropout keep nothing), an edge
    # of the model, not of each layer. Under checkpointing the layers save nothing of their own; the checkpoints
    # are saved by the checkpoint function outside them, together with what every layer shares (a mask passed
    # positionally is saved once): one layer's checkpoint is what a model one layer deeper saves more.
    # T5: a layer is a pair, the last encoder block and the last decoder block (both stacks one deeper).
    stacks = 2 if model_type == "t5" else 1
    n = len(layers) // stacks
    total = sum(counter.bytes.values()) / tokens
    if checkpointing and depth is None:
        deeper, _, _ = measure(model_type, extra, method, attn, dropout, True, n + 1)
        return deeper - total, counter.bytes.get("outside", 0) / tokens, config
    if checkpointing:
        return total, 0, config
    last = sum(counter.bytes.get((i + 1) * n - 1, 0) for i in range(stacks))
    return last / tokens, counter.bytes.get("outside", 0) / tokens, config


def estimate(cli, rows):
    text = "\n".join(json.dumps(r) for r in rows) + "\n"
    out = subprocess.run([cli, "estimate", "--jsonl"], input=text, capture_output=True, text=True)
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    bad = [a for a in answers if "error" in a]
    if bad or len(answers) != len(rows):
        sys.exit(f"estimate failed: {bad[:1] or out.stderr[-400:]}")
    return [a["activation_bytes_per_token"] for a in answers]


SCENARIOS = [  # method, attention, lora_dropout, checkpointing
    ("full", "sdpa", 0.0, False), ("full", "eager", 0.0, False),
    ("lora", "sdpa", 0.05, False), ("lora", "sdpa", 0.0, False), ("lora", "eager", 0.05, False),
    ("full", "sdpa", 0.0, True), ("lora", "sdpa", 0.05, True),
    ("dora", "sdpa", 0.05, False), ("dora", "sdpa", 0.0, False),
]
ADAPTERS = ("lora", "dora")


def run(cli):
    rows, inputs = [], []
    for family, model_type, extra in decoder_families():
        # T5 runs eager (its relative position bias; the exports load it so): its SDPA rows would repeat them.
        scenarios = list(dict.fromkeys((m, "eager", d, c) for m, _, d, c in SCENARIOS)) if model_type == "t5" else SCENARIOS
        for method, attn, dropout, ckpt in scenarios:
            try:
                per_layer, outside, config = measure(model_type, extra, method, attn, dropout, ckpt)
            except Exception as exc:  # an architecture this transformers cannot build tiny: reported, not hidden
                rows.append({"family": family, "scenario": (method, attn, dropout, ckpt), "error": str(exc)[:120]})
                continue
            est_in = {**arch_fields(config, model_type), "method": method, "lora_r": LORA_R,
                      # PEFT's all-linear does not reach transformers 5's fused expert parameters: attention only.
                      "lora_target": "attention" if model_type in MOE else "all-linear", "lora_dropout": dropout,
                      "precision": "mixed-bf16" if method == "full" else "bf16", "adapter_dtype": "fp32",
                      "flash_attention": attn == "sdpa", "gradient_checkpointing": ckpt,
                      "batch_size_per_device": BATCH, "seq_len": SEQ}
            rows.append({"family": family, "scenario": (method, attn, dropout, ckpt), "measured": per_layer,
                         "outside": outside})
            inputs.append((len(rows) - 1, est_in))
    for (i, _), est in zip(inputs, estimate(cli, [e for _, e in inputs])):
        rows[i]["estimated"] = est["checkpoint_per_layer"] if rows[i]["scenario"][3] else est["layer"]
    return rows


def label(scenario):
    method, attn, dropout, ckpt = scenario
    parts = [method, attn]
    if method in ADAPTERS:
        parts.append(f"dropout {dropout:g}")
    if ckpt:
        parts.append("checkpoint")
    return ", ".join(parts)


def table(rows, tolerance):
    lines = ["| family | scenario | measured B/token/layer | estimated | error |", "|---|---|---|---|---|"]
    failed = []
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['family']} | {label(r['scenario'])} | not built: {r['error']} | | |")
            # A gated family that no longer builds fails, except where transformers or PEFT has no such path.
            if r["family"] in GATED and not any(known in r["error"] for known in KNOWN_LIMITS):
                failed.append({**r, "error_pct": float("nan")})
            continue
        err = 100.0 * (r["estimated"] - r["measured"]) / r["measured"]
        r["error_pct"] = err
        mark = ""
        if abs(err) > tolerance:
            mark = " **(over)**"
            if r["family"] in GATED:
                failed.append(r)
        lines.append(f"| {r['family']} | {label(r['scenario'])} | {r['measured']:.0f} | {r['estimated']:.0f} | "
                     f"{err:+.1f}%{mark} |")
    return lines, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--write-doc", action="store_true")
    ap.add_argument("--tolerance", type=float, default=5.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = run(args.cli)
    lines, failed = table(rows, args.tolerance)
    scored = [r for r in rows if "error_pct" in r]
    within = sum(abs(r["error_pct"]) <= args.tolerance for r in scored)
    gated = [r for r in scored if r["family"] in GATED]
    gated_within = sum(abs(r["error_pct"]) <= args.tolerance for r in gated)
    reported = sorted({r["family"] for r in rows} - set(GATED))
    summary = (f"{within} of {len(scored)} rows within {args.tolerance:g}%; gated families {gated_within} of "
               f"{len(gated)} (torch {torch.__version__}, transformers {transformers.__version__}, "
               f"peft {__import__('peft').__version__})")
    if reported:
        summary += ("\n\nReported, not gated: " + ", ".join(reported) + ". " + UNGATED_WHY)
    print("\n".join(lines))
    print(summary)
    if args.write_doc:
        with open(DOC) as f:
            text = f.read()
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        with open(DOC, "w") as f:
            f.write(head + BEGIN + "\n" + "\n".join(lines) + "\n\n" + summary + "\n" + END + tail)
    for r in failed:
        print(f"FAIL {r['family']} {label(r['scenario'])}: {r['error_pct']:+.1f}% (tolerance {args.tolerance:g}%)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
