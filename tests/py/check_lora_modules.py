#!/usr/bin/env python3
"""Every catalog model's LoRA module names exist in the real model (CTest: lora_modules_py).

For each model of `ftconfig catalog models` (which carries the engine's table,
ftconfig/lora_modules.h), builds a tiny randomly initialised model of the same
transformers architecture from a config (hidden 32, 2 layers: no download) and
checks, for each target class (all_linear, attention, qv):
  - every name matches at least one nn.Linear (or GPT-2 Conv1D) of the model, as
    PEFT matches it (the module's dotted path equals the name or ends with
    "." + name), and PEFT's get_peft_model accepts the list (no "Target modules
    not found");
  - qv is within attention, attention within all_linear;
  - all_linear covers every linear layer of the transformer blocks (only the
    output head, a classifier head and MoE routers may be left out);
  - the embedding names and the classifier head exist (the head in the
    sequence-classification model, which is built too);
  - `sequence_classification` is true exactly where the release has an
    AutoModelForSequenceClassification class for the model (the
    classification and reward-model exports need one).
Run it with the transformers release the exports pin (build/pyenv-stack).
Exit 0 when all pass, 1 on a failure, 77 (skipped) when torch, transformers or
peft cannot be imported (run it with the venv of scripts/setup-python.sh).
"""
import argparse
import json
import os
import subprocess
import sys

try:
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model
    from transformers.pytorch_utils import Conv1D

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tiny_models import ENCODERS, architecture_of, tiny_model
except ImportError as exc:  # the check venv is missing
    print(f"SKIP: {exc} (scripts/setup-python.sh installs the check venv)")
    sys.exit(77)

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def matches(path, name):
    return path == name or path.endswith("." + name)


def linear_paths(model):
    return [n for n, m in model.named_modules() if isinstance(m, (torch.nn.Linear, Conv1D))]


HEADS = ("lm_head", "embed_out", "score", "classifier", "pre_classifier", "classification_head", "pooler",
         "vocab_projector", "vocab_transform")


def is_head_or_router(path):
    parts = path.split(".")
    return any(p in HEADS for p in parts) or parts[-1] in ("gate", "router")


def check_targets(label, model, table):
    linears = linear_paths(model)
    hit = {}
    for cls in ("all_linear", "attention", "qv"):
        names = table[cls]
        check(names, f"{label}: no {cls} names")
        for name in names:
            check(any(matches(p, name) for p in linears), f"{label}: {cls} name {name!r} matches no linear layer "
                                                          f"(linear layers: {sorted({p.split('.')[-1] for p in linears})})")
        hit[cls] = {p for p in linears if any(matches(p, n) for n in names)}
    check(hit["qv"] <= hit["attention"] <= hit["all_linear"], f"{label}: qv within attention within all_linear")
    missed = [p for p in linears if p not in hit["all_linear"] and not is_head_or_router(p)]
    check(not missed, f"{label}: all_linear leaves out the block layers {missed[:6]}")


def check_peft(label, model, names, task_type):
    try:
        get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=names, task_type=task_type))
    except Exception as exc:  # PEFT's own refusal, e.g. "Target modules ... not found"
        failures.append(f"{label}: PEFT refuses target_modules={names}: {exc}")


def classification_model(label, model_type, extra, multimodal, available):
    """The tiny sequence-classification model, or None where the table says the release has none (checked: the
    Auto class must refuse the config). A multimodal Gemma 3 checkpoint's config is Gemma3Config, not the text
    config the LoRA check builds."""
    try:
        if multimodal and model_type == "gemma3_text":
            model = tiny_multimodal_classifier()
        else:
            model = tiny_model(model_type, extra, "cls")
    except ValueError as exc:
        check(not available, f"{label}: sequence_classification is true but the release has none: {exc!s:.120}")
        return None
    check(available, f"{label}: sequence_classification is false but {type(model).__name__} exists")
    return model


def tiny_multimodal_classifier():
    text = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "head_dim": 8, "vocab_size": 128, "max_position_embeddings": 128}
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
              "image_size": 28, "patch_size": 14}
    config = transformers.AutoConfig.for_model("gemma3", text_config=text, vision_config=vision, mm_tokens_per_image=4)
    config.num_labels = 2
    return transformers.AutoModelForSequenceClassification.from_config(config)


def check_architecture(model_type, extra, models):
    label = f"{model_type} ({', '.join(m['id'] for m in models[:3])}{', ...' if len(models) > 3 else ''})"
    tables = {json.dumps(m["lora_modules"], sort_keys=True) for m in models}
    for t in tables:
        table = json.loads(t)
        lm = tiny_model(model_type, extra, "lm")
        check_targets(label, lm, table)
        paths = [n for n, _ in lm.named_modules()]
        if model_type not in ENCODERS:
            for name in table["embedding"]:
                check(any(matches(p, name) for p in paths), f"{label}: embedding module {name!r} not found")
        multimodal = any(m.get("multimodal") for m in models if json.dumps(m["lora_modules"], sort_keys=True) == t)
        cls = classification_model(label, model_type, extra, multimodal, table["sequence_classification"])
        cls_paths = [n for n, _ in cls.named_modules()] if cls is not None else []
        for name in table["classifier_head"]:
            check(any(matches(p, name) for p in cls_paths), f"{label}: classifier head {name!r} not found")
        if model_type in ENCODERS:
            check(any(matches(p, table["embedding"][0]) for p in cls_paths),
                  f"{label}: embedding module {table['embedding'][0]!r} not found")
        for target_class in ("all_linear", "attention", "qv"):
            task = "SEQ_CLS" if model_type in ENCODERS else "SEQ_2_SEQ_LM" if model_type == "t5" else "CAUSAL_LM"
            model = tiny_model(model_type, extra, "cls" if model_type in ENCODERS else "lm")
            check_peft(f"{label} {target_class}", model, table[target_class], task)
    print(f"ok {label}: {len(models)} catalog model(s)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    args = ap.parse_args()
    torch.manual_seed(0)
    out = subprocess.run([args.cli, "catalog", "models"], capture_output=True, text=True, check=True).stdout
    models = json.loads(out)
    groups = {}
    for m in models:
        model_type, extra = architecture_of(m["id"])
        groups.setdefault((model_type, json.dumps(extra, sort_keys=True)), []).append(m)
    for (model_type, extra), ms in sorted(groups.items()):
        try:
            check_architecture(model_type, json.loads(extra), ms)
        except Exception as exc:
            failures.append(f"{model_type}: {type(exc).__name__}: {exc}")
    print(f"transformers {transformers.__version__}, torch {torch.__version__}: "
          f"{len(models)} catalog models in {len(groups)} architectures")
    for f in failures:
        print("FAIL", f)
    print(f"{len(groups) - len({f.split(' ')[0] for f in failures})} passed, "
          f"{len({f.split(' ')[0] for f in failures})} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
