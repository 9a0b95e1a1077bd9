#!/usr/bin/env python3
"""The exports against the real tools, on a CPU (CTest: exports_run_py).

1. Validators, for a matrix of architectures x adapters x tasks x GPU counts
   (VALIDATE): each TRL export's training_args through the config class it
   names (SFTConfig, DPOConfig, ORPOConfig, RewardConfig, TrainingArguments,
   Seq2SeqTrainingArguments), its peft_config through peft.LoraConfig, its
   quantization_config through transformers.BitsAndBytesConfig, and the
   notebook's and script's dictionaries equal to the TRL ones.
2. Execution (RUN): the script export of each case, and the notebook (nbclient)
   of some, train on a tiny random model of the case's architecture saved to a
   local directory, with a tiny local dataset in the task's format. Checked: the
   loss is finite, there are trainable parameters and they changed, the adapter
   (or model) was saved, and (LoRA causal/seq2seq LMs) it loads back and merges.
   What a CPU run changes is listed in CPU_CHANGES (the run's only edits).

Run with the check venv (scripts/setup-python.sh): build/pyenv/bin/python.
Exit 0 when all pass, 1 on a failure, 77 (skipped) without torch/transformers.
"""
import argparse
import ast
import json
import math
import os
import subprocess
import sys
import tempfile
import time

try:
    import torch  # noqa: F401
    import transformers  # noqa: F401
except ImportError as exc:
    print(f"SKIP: {exc} (scripts/setup-python.sh installs the check venv)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# ---- the matrix -------------------------------------------------------------

A100 = {"gpu_override": "A100 80GB"}
VALIDATE = {
    "llama_qlora_sft_t4": {"platform": "colab", "plan": "free", "model": "meta-llama/Llama-3.1-8B",
                           "adapter_type": "qlora"},
    "llama_lora_chat": {**A100, "model": "meta-llama/Llama-3.1-8B", "adapter_type": "lora", "task_type": "chat"},
    "llama_full_sft": {**A100, "model": "meta-llama/Llama-3.2-1B", "adapter_type": "none"},
    "qwen2_lora_dpo": {**A100, "model": "Qwen/Qwen2.5-1.5B", "adapter_type": "lora", "task_type": "preference_dpo"},
    "qwen2_lora_orpo": {**A100, "model": "Qwen/Qwen2.5-1.5B", "adapter_type": "lora", "task_type": "preference_orpo"},
    "qwen2_lora_reward": {**A100, "model": "Qwen/Qwen2.5-1.5B", "adapter_type": "lora",
                          "task_type": "reward_modeling"},
    "qwen2_lora_cls": {**A100, "model": "Qwen/Qwen2.5-0.5B", "adapter_type": "lora", "task_type": "classification"},
    "mistral_qlora_chat_p100": {"platform": "kaggle", "plan": "p100", "model": "mistralai/Mistral-7B-v0.1",
                                "adapter_type": "qlora", "task_type": "chat"},
    "gemma2_lora_sft": {**A100, "model": "google/gemma-2-2b", "adapter_type": "lora"},
    "phi3_lora_sft": {**A100, "model": "microsoft/Phi-3-mini-4k-instruct", "adapter_type": "lora"},
    "phi3_qlora_dpo": {"gpu_override": "L4", "model": "microsoft/Phi-3-mini-4k-instruct", "adapter_type": "qlora",
                       "task_type": "preference_dpo"},
    "gpt2_lora_sft": {**A100, "model": "openai-community/gpt2", "adapter_type": "lora"},
    "gpt2_full_pretraining": {**A100, "model": "openai-community/gpt2", "adapter_type": "none",
                              "task_type": "continued_pretraining"},
    "pythia_lora_pretraining": {**A100, "model": "EleutherAI/pythia-160m", "adapter_type": "lora",
                                "task_type": "continued_pretraining"},
    "falcon_qlora_sft": {**A100, "model": "tiiuae/falcon-7b", "adapter_type": "qlora"},
    # MoE: Mixtral's and Qwen3-MoE's experts are nn.Linear in the pinned transformers (4-bit, LoRA targets);
    # gpt-oss keeps them as MXFP4 3-D parameters (QLoRA becomes LoRA on the dequantized model, eager attention).
    "mixtral_qlora_sft": {**A100, "model": "mistralai/Mixtral-8x7B-v0.1", "adapter_type": "qlora"},
    "qwen3moe_lora_sft": {**A100, "model": "Qwen/Qwen3-30B-A3B", "adapter_type": "lora", "task_type": "chat"},
    "gptoss_qlora_sft": {**A100, "model": "openai/gpt-oss-20b", "adapter_type": "qlora"},
    "t5_lora_sft": {**A100, "model": "google/flan-t5-base", "adapter_type": "lora"},
    "t5_full_sft": {**A100, "model": "google-t5/t5-small", "adapter_type": "none"},
    "bert_lora_cls": {**A100, "model": "google-bert/bert-base-uncased", "adapter_type": "lora",
                      "task_type": "classification"},
    "deberta_full_cls": {**A100, "model": "microsoft/deberta-v3-base", "adapter_type": "none",
                         "task_type": "classification"},
    "qwen2_lora_sft_2gpu": {"gpu_override": "A100 80GB", "num_gpus": 2, "model": "Qwen/Qwen2.5-7B",
                            "adapter_type": "lora"},
    "llama_qlora_pretraining_t4x2": {"platform": "kaggle", "plan": "t4x2", "model": "meta-llama/Llama-3.2-3B",
                                     "adapter_type": "qlora", "task_type": "continued_pretraining"},
}
# Cases that train on the CPU: (validate case, run the notebook too).
RUN = [
    ("llama_qlora_sft_t4", True),  # the flagship: Colab free T4 + Llama-3.1-8B QLoRA
    ("llama_lora_chat", False),
    ("llama_full_sft", False),
    ("qwen2_lora_dpo", True),
    ("qwen2_lora_reward", False),
    ("qwen2_lora_cls", False),
    ("mistral_qlora_chat_p100", False),
    ("gemma2_lora_sft", False),
    ("phi3_lora_sft", False),
    ("gpt2_lora_sft", False),
    ("pythia_lora_pretraining", False),
    ("falcon_qlora_sft", False),
    ("mixtral_qlora_sft", False),
    ("qwen3moe_lora_sft", False),
    ("gptoss_qlora_sft", True),
    ("t5_lora_sft", True),
    ("bert_lora_cls", False),
    ("deberta_full_cls", False),  # attn_implementation eager: DeBERTa has no SDPA path
]
RUN_STEPS = 2
RUN_SEQ = 64
# Everything a CPU run changes in an export (nothing else is touched).
CPU_CHANGES = {
    "configuration": "MODEL_ID, DATASET_ID, OUTPUT_DIR point at the tiny local model, data and a temporary folder; "
                     "MAX_SEQ_LENGTH = 64",
    "install": "skipped (the check venv holds the stack)",
    "environment": "the GPU check is skipped (no GPU)",
    "model": "weights load in float32 (fp16/bf16 matmuls are GPU paths); 4-bit compute dtype float32",
    "trainer": f"max_steps = {RUN_STEPS}, batch 2, accumulation 1, logging every step, bf16/fp16 off, "
               "no checkpoints, max_length = 64; a bitsandbytes 8-bit optimizer (paged_adamw_8bit, adamw_bnb_8bit) "
               "becomes adamw_torch: bitsandbytes 0.47 has no CPU optimizer kernels",
    "merge": "RUN_MERGE = True (merges on the CPU)",
}

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def run_cli(cli, request, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(request, f)
        path = f.name
    try:
        p = subprocess.run([cli, "recommend", path, *args], capture_output=True, text=True)
    finally:
        os.unlink(path)
    return p.returncode, p.stdout, p.stderr


def literal_dicts(source):
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


# ---- 1. validators ------------------------------------------------------------

def config_class(name):
    import trl
    if name == "ORPOConfig" and not hasattr(trl, "ORPOConfig"):
        from trl.experimental.orpo import ORPOConfig
        return ORPOConfig
    if hasattr(trl, name):
        return getattr(trl, name)
    return getattr(transformers, name)


def validate_trl(case, trl_json):
    """The TRL export through the classes it names, as the user's code builds them."""
    import peft
    j = json.loads(trl_json)
    args = dict(j["training_args"])
    cls = config_class(j["trainer"]["config_class"])
    # bf16/fp16 need a GPU to be accepted: the CPU check builds the config with both off, then checks that the
    # export's values are booleans the class has.
    for key in ("bf16", "fp16"):
        check(isinstance(args.get(key), bool), f"{case}: training_args.{key} is not a boolean")
    args.update(bf16=False, fp16=False, use_cpu=True)
    args["output_dir"] = tempfile.mkdtemp(prefix="ftconfig-validate-")
    try:
        config = cls(**args)
        for key, value in j["training_args"].items():
            if key in ("bf16", "fp16", "output_dir", "deepspeed", "fsdp", "fsdp_config"):
                continue
            got = getattr(config, key, None)
            if hasattr(got, "value"):
                got = got.value  # enums (optim, lr_scheduler_type, strategies)
            if key == "report_to" and value == "none":
                value = []  # TrainingArguments reads "none" as no integration
            check(got == value or (isinstance(got, list) and got == [value]),
                  f"{case}: {cls.__name__}.{key} is {got!r}, the export says {value!r}")
    except Exception as exc:
        failures.append(f"{case}: {cls.__name__}(**training_args) raised {type(exc).__name__}: {exc}")
    if j["peft_config"] is not None:
        try:
            peft.LoraConfig(**j["peft_config"])
        except Exception as exc:
            failures.append(f"{case}: LoraConfig(**peft_config) raised {type(exc).__name__}: {exc}")
    if j["quantization_config"] is not None:
        q = dict(j["quantization_config"])
        q["bnb_4bit_compute_dtype"] = getattr(torch, q["bnb_4bit_compute_dtype"])
        try:
            transformers.BitsAndBytesConfig(**q)
        except Exception as exc:
            failures.append(f"{case}: BitsAndBytesConfig raised {type(exc).__name__}: {exc}")
    check(hasattr(transformers, j["model_class"]), f"{case}: transformers has no {j['model_class']}")
    return j


def stack_pin(cli, request):
    """The transformers version the recommendation's stack pins (None: unpinned)."""
    rc, out, _ = run_cli(cli, request)
    if rc != 0:
        return None
    deps = json.loads(out).get("dependencies") or {}
    return (deps.get("packages") or {}).get("transformers")


def validate_case(cli, case, request):
    rc, trl_json, err = run_cli(cli, request, "--export", "trl")
    if not check(rc == 0, f"{case}: trl export failed: {err.strip()}"):
        return None
    j = validate_trl(case, trl_json)
    rc, script, err = run_cli(cli, request, "--export", "script")
    if check(rc == 0, f"{case}: script export failed: {err.strip()}"):
        d = literal_dicts(script)
        check(d.get("TRAINING_ARGS") == j["training_args"], f"{case}: script TRAINING_ARGS differ from the TRL JSON")
        check(d.get("LORA_ARGS") == j["peft_config"], f"{case}: script LORA_ARGS differ from the TRL JSON")
    return j


# ---- 2. execution ---------------------------------------------------------------

WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
         "upsilon phi chi psi omega").split()


def sentence(i, n=8):
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n))


def dataset_rows(kind, n=24):
    rows = []
    for i in range(n):
        if kind in ("instruction", "seq2seq"):
            rows.append({"instruction": f"Repeat: {sentence(i, 4)}", "input": "", "output": sentence(i, 6)})
        elif kind == "chat":
            rows.append({"messages": [{"role": "user", "content": sentence(i, 5)},
                                      {"role": "assistant", "content": sentence(i + 1, 6)}]})
        elif kind in ("dpo", "orpo", "reward"):
            rows.append({"prompt": sentence(i, 4), "chosen": sentence(i + 1, 5), "rejected": sentence(i + 2, 5)})
        elif kind == "classification":
            rows.append({"text": sentence(i, 6), "label": "positive" if i % 2 else "negative"})
        else:  # pretraining: enough text for several 64-token blocks
            rows.append({"text": " ".join(sentence(i + k, 10) for k in range(6))})
    return rows


PROBE = r'''
import math as _math
import torch as _torch
_PROBE = {}
_build_trainer_of_export = build_trainer


def build_trainer(model, tokenizer, train_dataset, eval_dataset):
    trainer = _build_trainer_of_export(model, tokenizer, train_dataset, eval_dataset)
    _PROBE["before"] = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    return trainer


def _probe_report(trainer):
    after = {n: p.detach() for n, p in trainer.model.named_parameters() if p.requires_grad}
    before = _PROBE.get("before", {})
    changed = [n for n, p in after.items() if n in before and not _torch.equal(p.float().cpu(), before[n].float().cpu())]
    return {"trainable_tensors": len(after), "trainable_params": sum(p.numel() for p in after.values()),
            "changed_tensors": len(changed), "losses": [e["loss"] for e in trainer.state.log_history if "loss" in e],
            "steps": trainer.state.global_step, "saved": sorted(os.listdir(OUTPUT_DIR)),
            "trainable_names": sorted({n.split(".")[-2] for n in after})[:12],
            "linear_4bit": sum(1 for m in trainer.model.modules() if type(m).__name__ == "Linear4bit")}
'''


def cpu_patch(source, cell, model_dir, data_file, out_dir):
    """The CPU_CHANGES of one piece of export code (a notebook cell or the whole script)."""
    lines = []
    for line in source.splitlines():
        if line.startswith("MODEL_ID = "):
            line = f"MODEL_ID = {model_dir!r}"
        elif line.startswith("DATASET_ID = "):
            line = f"DATASET_ID = {data_file!r}"
        elif line.startswith("OUTPUT_DIR = "):
            line = f"OUTPUT_DIR = {out_dir!r}"
        elif line.startswith("MAX_SEQ_LENGTH = "):
            line = f"MAX_SEQ_LENGTH = {RUN_SEQ}"
        elif line == "ENVIRONMENT = check_environment()":
            line = "ENVIRONMENT = None  # CPU check: no GPU"
        elif line.startswith("RUN_MERGE = "):
            line = "RUN_MERGE = True"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if cell in ("trainer", "script"):
        text = text.replace("\ndef build_trainer(", "\n" + TRAINING_OVERRIDES + "\n\ndef build_trainer(", 1)
    if cell in ("model", "script"):
        text = text.replace("\ndef require_real_ids(", "\n" + MODEL_OVERRIDES + "\n\ndef require_real_ids(", 1)
    return text


TRAINING_OVERRIDES = f'''# CPU check (tests/py/run_exports.py): a few steps, fp32, no checkpoints.
TRAINING_ARGS.update(max_steps={RUN_STEPS}, per_device_train_batch_size=2, per_device_eval_batch_size=2,
                     gradient_accumulation_steps=1, logging_steps=1, bf16=False, fp16=False, save_strategy="no",
                     eval_strategy="no", use_cpu=True, dataloader_pin_memory=False)
if "8bit" in TRAINING_ARGS["optim"] or "bnb" in TRAINING_ARGS["optim"]:
    print("CPU check: optimizer " + TRAINING_ARGS["optim"] + " replaced by adamw_torch (bitsandbytes optimizers need CUDA)")
    TRAINING_ARGS["optim"] = "adamw_torch"
if "max_length" in TRAINING_ARGS:
    TRAINING_ARGS["max_length"] = {RUN_SEQ}
if "max_prompt_length" in TRAINING_ARGS:
    TRAINING_ARGS["max_prompt_length"] = {RUN_SEQ // 2}'''
MODEL_OVERRIDES = '''# CPU check (tests/py/run_exports.py): fp32 weights and compute.
MODEL_ARGS["torch_dtype"] = "float32"
if BNB_ARGS:
    BNB_ARGS["bnb_4bit_compute_dtype"] = "float32"'''


SCRIPT_DRIVER = r'''
import json, sys, traceback
namespace = {"__name__": "ftconfig_export"}
result = {}
stage = "load"
try:
    source = open(sys.argv[1]).read()
    stage = "import"
    exec(compile(source + PROBE, sys.argv[1], "exec"), namespace)
    stage = "train"
    trainer = namespace["run_training"]()
    result.update(namespace["_probe_report"](trainer))
    if namespace.get("RUN_MERGE") and "merge_adapter" in namespace:
        stage = "merge"
        trainer = None
        namespace["merge_adapter"]()
        result["merged"] = sorted(os.listdir(namespace["MERGED_DIR"]))
    stage = "done"
except BaseException as exc:
    result["error"] = f"{type(exc).__name__}: {exc}"
    result["traceback"] = traceback.format_exc()[-3000:]
result["stage"] = stage
print("RESULT " + json.dumps(result))
'''


def check_run(label, result, peft, merge, quantized):
    if not check("error" not in result, f"{label}: stopped at {result.get('stage')}: {result.get('error')}\n"
                                        f"{result.get('traceback', '')}"):
        return
    losses = result.get("losses", [])
    check(losses and all(math.isfinite(x) for x in losses), f"{label}: losses {losses} not all finite")
    check(result.get("trainable_params", 0) > 0, f"{label}: no trainable parameters")
    check(result.get("changed_tensors", 0) > 0, f"{label}: no trainable parameter changed in {result.get('steps')} "
                                                f"steps (trainable: {result.get('trainable_tensors')})")
    if quantized:
        # QLoRA on a CPU: bitsandbytes' CPU backend must really hold the base weights in 4 bits.
        check(result.get("linear_4bit", 0) > 0, f"{label}: QLoRA ran without 4-bit layers (bitsandbytes CPU backend)")
    saved = result.get("saved", [])
    if peft:
        check("adapter_config.json" in saved and any(f.startswith("adapter_model") for f in saved),
              f"{label}: no adapter saved ({saved})")
    else:
        check("config.json" in saved and any(f.endswith(".safetensors") for f in saved),
              f"{label}: no model saved ({saved})")
    if merge:
        merged = result.get("merged", [])
        check("config.json" in merged and any(f.endswith(".safetensors") for f in merged),
              f"{label}: the merged model was not written ({merged})")


def run_script(cli, case, request, work, plan):
    rc, script, err = run_cli(cli, request, "--export", "script")
    if not check(rc == 0, f"{case}: script export failed: {err.strip()}"):
        return None
    patched = cpu_patch(script, "script", work["model"], work["data"], os.path.join(work["dir"], "out-script"))
    path = os.path.join(work["dir"], "ftconfig-train.py")
    with open(path, "w") as f:
        f.write(patched)
    driver = "import os\nPROBE = " + repr(PROBE) + "\n" + SCRIPT_DRIVER
    started = time.time()
    p = subprocess.run([sys.executable, "-c", driver, path], capture_output=True, text=True, cwd=work["dir"],
                       env={**os.environ, "TOKENIZERS_PARALLELISM": "false", "CUDA_VISIBLE_DEVICES": ""})
    line = next((l for l in p.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        failures.append(f"{case} script: no result (exit {p.returncode}): {p.stderr[-2000:]}")
        return None
    result = json.loads(line[len("RESULT "):])
    result["seconds"] = round(time.time() - started, 1)
    return result


def run_notebook(cli, case, request, work, plan):
    import nbformat
    from nbclient import NotebookClient
    path = os.path.join(work["dir"], "nb.ipynb")
    store = os.path.join(work["dir"], "telemetry.db")
    rc, out, err = run_cli(cli, request, "--notebook", path, "--log-to", store)
    if not check(rc == 0, f"{case}: notebook export failed: {err.strip()}"):
        return None
    logged = json.loads(out)
    nb = nbformat.read(path, as_version=4)
    out_dir = os.path.join(work["dir"], "out-notebook")
    cells = []
    for cell in nb.cells:
        name = cell.get("id", "").replace("ftconfig-", "")
        if cell.cell_type == "code":
            if name == "install":
                cell.source = "print('install skipped: the check venv holds the stack')"
            else:
                cell.source = cpu_patch(cell.source, name, work["model"], work["data"], out_dir)
            if name == "train":
                cell.source = PROBE + "\n" + cell.source
        cells.append(cell)
        if name == "train" and cell.cell_type == "code":
            cells.append(nbformat.v4.new_code_cell("_REPORT = _probe_report(trainer)"))
    report = ("import json\n_REPORT['merged'] = sorted(os.listdir(MERGED_DIR)) if globals().get('RUN_MERGE') and "
              "os.path.isdir(globals().get('MERGED_DIR', '/nonexistent')) else []\n"
              "print('RESULT ' + json.dumps(_REPORT))")
    cells.append(nbformat.v4.new_code_cell(report))
    nb.cells = cells
    started = time.time()
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": work["dir"]}})
    try:
        client.execute()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc)[-2500:]}", "stage": "notebook"}
    text = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []) if o.get("output_type") == "stream")
    line = next((l for l in text.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        return {"error": "the report cell printed nothing", "stage": "notebook"}
    result = json.loads(line[len("RESULT "):])
    result["seconds"] = round(time.time() - started, 1)
    check_notebook_feedback(cli, case, request, logged, os.path.join(out_dir, "ftconfig-telemetry.jsonl"), store)
    return result


def check_notebook_feedback(cli, case, request, logged, events_file, store):
    """The notebook's own telemetry names the logged recommendation and the served model version, the CLI's schema
    accepts it, and its run outcome counts for the learning brain (`recommend --feedback-store`)."""
    label = f"{case} notebook telemetry"
    if not check(os.path.exists(events_file), f"{label}: {events_file} was not written"):
        return
    with open(events_file, encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    done = [e for e in events if e.get("event") == "run_complete"]
    if not check(len(done) == 1 and done[0].get("outcome") == "success", f"{label}: run_complete events {done}"):
        return
    event_id = logged.get("recommendation_event_id")
    for e in events:
        check(e.get("recommendation_event_id") == event_id, f"{label}: {e['event']} names {e.get('recommendation_event_id')}, "
                                                           f"not the logged recommendation {event_id}")
        check(bool(e.get("model_version")), f"{label}: {e['event']} carries no model_version")
    p = subprocess.run([cli, "telemetry", "import", events_file, "--store", store], capture_output=True, text=True)
    if not check(p.returncode == 0, f"{label}: telemetry import refused the notebook's events: {p.stdout} {p.stderr}"):
        return
    rc, out, err = run_cli(cli, {**request, "strategy": "auto"}, "--feedback-store", store)
    if not check(rc == 0, f"{label}: recommend --feedback-store failed: {err.strip()}"):
        return
    evidence = json.loads(out).get("strategy_decision", {}).get("evidence", {})
    used = logged["strategy"]["used"]
    counted = evidence.get(used, {})
    check(counted.get("feedback") == 1 and counted.get("success") == 1,
          f"{label}: the run's outcome did not reach the brain's evidence for {used}: {evidence}")


def prepare_work(case, plan, root):
    from tiny_models import save_tiny_model
    kind = kind_of(plan)
    work = {"dir": os.path.join(root, case)}
    os.makedirs(work["dir"], exist_ok=True)
    rows = dataset_rows(kind)
    work["data"] = os.path.join(work["dir"], "data.jsonl")
    with open(work["data"], "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    texts = [json.dumps(r) for r in rows] + ["<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n"]
    work["model"] = os.path.join(work["dir"], "tiny-model")
    save_tiny_model(plan["model_name_or_path"], work["model"], texts)
    return work


def kind_of(plan):
    trainer = plan["trainer"]["class"]
    task = plan["ftconfig"]["task_type"]
    if trainer == "Seq2SeqTrainer":
        return "seq2seq"
    if trainer == "DPOTrainer":
        return "dpo"
    if trainer == "ORPOTrainer":
        return "orpo"
    if trainer == "RewardTrainer":
        return "reward"
    if task == "classification":
        return "classification"
    if task == "continued_pretraining":
        return "pretraining"
    return "chat" if task in ("chat", "tool_use") else "instruction"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--no-run", action="store_true", help="validators only")
    ap.add_argument("--keep", help="keep the work folders here")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    torch.manual_seed(0)
    versions = {m: __import__(m).__version__ for m in ("torch", "transformers", "peft", "trl", "accelerate",
                                                       "datasets")}
    print("versions:", json.dumps(versions))
    plans = {}
    skipped = []
    for case, request in VALIDATE.items():
        if only and case not in only:
            continue
        pinned = stack_pin(args.cli, request)
        if pinned not in (None, transformers.__version__):
            # Validated where its stack is installed (scripts/setup-python.sh: build/pyenv-stack holds the
            # catalog stack, build/pyenv the current releases).
            skipped.append(f"{case} (pins transformers {pinned})")
            continue
        plans[case] = validate_case(args.cli, case, request)
        print(f"validated {case}")
    if skipped:
        print(f"not validated with transformers {transformers.__version__}: {', '.join(skipped)}")
    runs = 0
    root = args.keep or tempfile.mkdtemp(prefix="ftconfig-run-")
    for case, with_notebook in ([] if args.no_run else RUN):
        if case not in plans or plans[case] is None:
            continue
        plan = plans[case]
        work = prepare_work(case, plan, root)
        peft = plan["peft_config"] is not None
        merge = peft and plan["model_class"] != "AutoModelForSequenceClassification"
        result = run_script(args.cli, case, VALIDATE[case], work, plan)
        if result is not None:
            check_run(f"{case} script", result, peft, merge, plan["quantization_config"] is not None)
            print(f"ran {case} script: {json.dumps({k: v for k, v in result.items() if k != 'traceback'})[:600]}")
            runs += 1
        if with_notebook:
            result = run_notebook(args.cli, case, VALIDATE[case], work, plan)
            if result is not None:
                check_run(f"{case} notebook", result, peft, merge, plan["quantization_config"] is not None)
                print(f"ran {case} notebook: {json.dumps(result)[:600]}")
                runs += 1
    for f in failures:
        print("FAIL", f)
    print(f"{len(plans)} validated, {runs} runs")
    print(f"{len(plans) + runs - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
