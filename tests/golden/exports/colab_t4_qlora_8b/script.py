#!/usr/bin/env python3
# ftconfig 0.1.0: training script for recommendation be7abc380d30379b
# Model: meta-llama/Llama-3.1-8B
# Method: QLoRA (4-bit NF4 base + LoRA) on 1 x NVIDIA T4
# Estimated peak VRAM per GPU: 11.77 GB of 15.3 GB usable; about 13.68 h
#
# Install the pinned stack first:
#   pip install torch==2.7.1 --index-url https://download.pytorch.org/whl/cu126
#   pip install accelerate==1.10.0 bitsandbytes==0.47.0 datasets==4.0.0 peft==0.17.0 transformers==4.55.2 trl==0.21.0
# Run:
#   python ftconfig-train.py
# The values marked REPLACE are placeholders; everything else is the recommendation.
# Warning: merging the adapter into the base weights needs ~17.0 GB: merge on CPU or a larger GPU, or keep the adapter separate
# Warning: estimated 13.7 h exceeds the 12.0 h session limit: save checkpoints (save_steps) and resume, or use fewer examples/epochs


# Configuration: the only cell you normally edit. Everything below the
# placeholders is the recommendation (ftconfig 0.1.0, fingerprint be7abc380d30379b).
MODEL_ID = "meta-llama/Llama-3.1-8B"
DATASET_ID = "yahma/alpaca-cleaned"
OUTPUT_DIR = "outputs/ftconfig-run"
NOTES = ""
TASK_TYPE = "instruction_following"
NUM_GPUS = 1
MAX_SEQ_LENGTH = 2048
EVAL_FRACTION = 0.05
SEED = 42
PLACEHOLDER_MODEL = "REPLACE_ME/your-model"
PLACEHOLDER_DATASET = "REPLACE_ME/your-dataset"

# What was recommended, carried into the telemetry events.
FTCONFIG = {
    "engine_version": "0.1.0",
    "fingerprint": "be7abc380d30379b",
    "recommendation_event_id": None,
    "model_slot": None,
    "model_version": None,
    "recommendation": {
        "model": "meta-llama/Llama-3.1-8B",
        "model_params_b": 8.03,
        "task_type": "instruction_following",
        "adapter_type": "qlora",
        "platform": "colab",
        "plan": "free",
        "gpu": {
            "id": "t4",
            "name": "NVIDIA T4",
            "count": 1,
            "compute_capability": 7.5,
            "vram_gb": 16.0,
            "usable_gb": 15.3,
            "bf16": False,
        },
        "hyperparameters": {
            "adapter_type": "qlora",
            "attn_implementation": "sdpa",
            "batch_size_per_device": 1,
            "bnb_4bit_compute_dtype": "float16",
            "bnb_4bit_quant_type": "nf4",
            "bnb_4bit_use_double_quant": True,
            "distribution": "none",
            "effective_batch_size": 8,
            "gradient_accumulation_steps": 8,
            "gradient_checkpointing": True,
            "learning_rate": 0.0002,
            "load_in_4bit": True,
            "lora_alpha": 16,
            "lora_dropout": 0.05,
            "lora_r": 16,
            "lora_target": "all-linear",
            "lora_target_class": "all_linear",
            "lora_target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
            "lr_scheduler": "cosine",
            "max_seq_length": 2048,
            "num_epochs": 2.0,
            "optimizer": "paged_adamw_8bit",
            "per_device_eval_batch_size": 1,
            "precision": "fp16",
            "pure_bf16": False,
            "warmup_ratio": 0.05,
            "weight_decay": 0.0,
        },
        "predicted": {
            "per_gpu_gb": 11.77,
            "eval_peak_gb": 9.67,
            "merge_peak_gb": 16.96,
            "usable_gb": 15.3,
            "tokens_per_sec": 630.7,
            "hours": 13.68,
        },
    },
}


import os
import shutil
import subprocess

# The GPU this configuration was made for. The check below stops when the GPU
# found differs (compute capability, memory, count) or lacks bf16 while the
# configuration uses it.
EXPECTED_GPU = {
    "id": "t4",
    "name": "NVIDIA T4",
    "count": 1,
    "compute_capability": 7.5,
    "vram_gb": 16.0,
    "usable_gb": 15.3,
    "bf16": False,
}
CONFIG_USES_BF16 = False
ALLOW_GPU_MISMATCH = False  # True runs on another GPU anyway: the memory estimates then do not apply


def detect_gpus():
    """(name, memory GiB, compute capability) of each GPU, read without initializing CUDA."""
    gpus = []
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total,compute_cap", "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=60, check=True).stdout
            for line in out.strip().splitlines():
                parts = [p.strip() for p in line.split(",")]
                if len(parts) >= 3:
                    gpus.append((parts[0], float(parts[1]) / 1024.0, float(parts[2])))
        except (OSError, subprocess.SubprocessError, ValueError):
            gpus = []
    if not gpus:
        import torch
        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(i)
                gpus.append((props.name, props.total_memory / 2**30, float(f"{props.major}.{props.minor}")))
    return gpus


def check_environment():
    gpus = detect_gpus()
    wanted = f"{EXPECTED_GPU['count']} x {EXPECTED_GPU['name']} ({EXPECTED_GPU['vram_gb']:g} GB, compute capability {EXPECTED_GPU['compute_capability']:g})"
    if not gpus:
        raise RuntimeError(f"No NVIDIA GPU is visible. This configuration was made for {wanted}: "
                           "switch the runtime to that GPU (e.g. Colab: Runtime > Change runtime type).")
    name, memory_gib, capability = gpus[0]
    print(f"Found {len(gpus)} x {name}: {memory_gib:.1f} GiB, compute capability {capability:g}")
    print(f"Configured for {wanted}")
    if CONFIG_USES_BF16 and capability < 8.0:
        raise RuntimeError(f"This configuration trains in bf16, which needs compute capability 8.0 or newer; "
                           f"{name} has {capability:g}. Get a recommendation for this GPU (it will use fp16).")
    problems = []
    if abs(capability - EXPECTED_GPU["compute_capability"]) > 0.05:
        problems.append(f"compute capability {capability:g} instead of {EXPECTED_GPU['compute_capability']:g}")
    ratio = memory_gib / EXPECTED_GPU["vram_gb"]
    if ratio < 0.85 or ratio > 1.15:
        problems.append(f"{memory_gib:.1f} GiB of memory instead of about {EXPECTED_GPU['vram_gb']:g} GB")
    if len(gpus) < EXPECTED_GPU["count"]:
        problems.append(f"{len(gpus)} GPU(s) instead of {EXPECTED_GPU['count']}")
    if problems:
        message = (f"This configuration was made for {wanted}, but this machine has {len(gpus)} x {name}: "
                   + "; ".join(problems) + ". Get a recommendation for this GPU, or set ALLOW_GPU_MISMATCH = True "
                   "to run anyway without the memory guarantees.")
        if not ALLOW_GPU_MISMATCH:
            raise RuntimeError(message)
        print("WARNING: " + message)
    if EXPECTED_GPU["count"] == 1 and len(gpus) > 1 and "CUDA_VISIBLE_DEVICES" not in os.environ:
        # One process on one GPU, as estimated (several visible GPUs would make
        # the Trainer split batches with DataParallel).
        os.environ["CUDA_VISIBLE_DEVICES"] = "0"
    return {"gpu_name": name, "gpu_count": len(gpus), "memory_gib": round(memory_gib, 2),
            "compute_capability": capability}


ENVIRONMENT = check_environment()


import importlib.util
import os

import torch
from transformers import (AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoModelForSequenceClassification,
                          AutoTokenizer, BitsAndBytesConfig)

MODEL_ARGS = {
    "attn_implementation": "sdpa",
    "torch_dtype": "float16",
}
# QLoRA: 4-bit NF4 base weights, computed in float16.
BNB_ARGS = {
    "load_in_4bit": True,
    "bnb_4bit_quant_type": "nf4",
    "bnb_4bit_compute_dtype": "float16",
    "bnb_4bit_use_double_quant": True,
}
# AutoModelForCausalLM: a decoder-only language model.
MODEL_CLASS = AutoModelForCausalLM


def require_real_ids():
    if MODEL_ID == PLACEHOLDER_MODEL:
        raise ValueError("MODEL_ID is still the placeholder: set it in the configuration cell.")
    if DATASET_ID == PLACEHOLDER_DATASET:
        raise ValueError("DATASET_ID is still the placeholder: set it to your dataset (Hub id or local path) "
                         "in the configuration cell.")


def load_tokenizer():
    tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def attention_implementation():
    attn = MODEL_ARGS["attn_implementation"]
    if attn == "flash_attention_2" and importlib.util.find_spec("flash_attn") is None:
        print("flash-attn is not installed: using PyTorch SDPA attention instead (the estimates hold for both).")
        attn = "sdpa"
    return attn


def load_model(num_labels=None):
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    kwargs = {
        "torch_dtype": getattr(torch, MODEL_ARGS["torch_dtype"]),
        "attn_implementation": attention_implementation(),
        # Each process on its own GPU (the CPU only where there is no GPU).
        "device_map": {"": local_rank if torch.cuda.is_available() else "cpu"},
    }
    if BNB_ARGS:
        bnb = dict(BNB_ARGS)
        bnb["bnb_4bit_compute_dtype"] = getattr(torch, bnb["bnb_4bit_compute_dtype"])
        kwargs["quantization_config"] = BitsAndBytesConfig(**bnb)
    if num_labels is not None:
        model = AutoModelForSequenceClassification.from_pretrained(MODEL_ID, num_labels=num_labels, **kwargs)
    else:
        model = MODEL_CLASS.from_pretrained(MODEL_ID, **kwargs)
    model.config.use_cache = False
    return model


import os

from datasets import DatasetDict, load_dataset, load_from_disk

DATA_FILE_BUILDERS = {"json": "json", "jsonl": "json", "csv": "csv", "tsv": "csv", "parquet": "parquet",
                      "txt": "text", "arrow": "arrow"}


def load_raw_dataset():
    """DATASET_ID as a Hub dataset, a data file, a folder of data files or a saved dataset."""
    path = os.path.expanduser(DATASET_ID)
    if os.path.isfile(path):
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if ext not in DATA_FILE_BUILDERS:
            raise ValueError(f"Unsupported data file type {ext!r}: use .jsonl, .json, .csv, .tsv, .parquet or .txt")
        extra = {"delimiter": "\t"} if ext == "tsv" else {}
        data = load_dataset(DATA_FILE_BUILDERS[ext], data_files=path, **extra)
    elif os.path.isdir(path) and any(os.path.exists(os.path.join(path, f)) for f in ("dataset_dict.json", "state.json")):
        data = load_from_disk(path)
    else:
        data = load_dataset(path)
    if isinstance(data, DatasetDict):
        data = data["train"] if "train" in data else data[next(iter(data))]
    return data


def split_train_eval(data):
    """Holds out EVAL_FRACTION for evaluation (batch size per_device_eval_batch_size)."""
    if EVAL_FRACTION and len(data) >= 20:
        parts = data.train_test_split(test_size=EVAL_FRACTION, seed=SEED)
        return parts["train"], parts["test"]
    return data, None


def require_columns(data, groups):
    names = set(data.column_names)
    for group in groups:
        if not names & set(group):
            raise ValueError(f"The dataset needs one of the columns {list(group)} for {TASK_TYPE}; "
                             f"it has {sorted(names)}. Rename the columns or change the formatting function.")


def first_present(example, names):
    for name in names:
        value = example.get(name)
        if value is not None and str(value).strip():
            return str(value)
    return ""


def to_prompt_completion(example):
    """Instruction data (instruction / optional input / output) as TRL prompt-completion pairs:
    the loss is computed on the completion only."""
    prompt = "### Instruction:\n" + first_present(example, ("instruction", "prompt", "question")).strip()
    context = first_present(example, ("input", "context"))
    if context:
        prompt += "\n\n### Input:\n" + context.strip()
    prompt += "\n\n### Response:\n"
    return {"prompt": prompt, "completion": first_present(example, ("output", "response", "completion", "answer"))}


def format_dataset(data, tokenizer):
    require_columns(data, [("instruction", "prompt", "question"), ("output", "response", "completion", "answer")])
    return data.map(to_prompt_completion, remove_columns=data.column_names)


def prepare_datasets(tokenizer):
    """Train and eval splits in the format the trainer expects, and the number of labels
    for sequence-classification heads (None for causal LM)."""
    data = load_raw_dataset()
    train, held_out = split_train_eval(data)
    train = format_dataset(train, tokenizer)
    held_out = format_dataset(held_out, tokenizer) if held_out is not None else None
    return train, held_out, None


# LoRA: rank 16, alpha 16, dropout 0.05, targets all-linear.
LORA_ARGS = {
    "r": 16,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "bias": "none",
    "task_type": "CAUSAL_LM",
}
GRADIENT_CHECKPOINTING = True


def lora_config():
    # Imported here so that nothing initializes CUDA before a multi-GPU launch.
    from peft import LoraConfig
    return LoraConfig(**LORA_ARGS) if LORA_ARGS is not None else None


def apply_lora(model):
    """Wraps the model with the adapter (not used here: the TRL trainer takes lora_config() and
    wraps the model itself, once; a model wrapped beforehand would be prepared for k-bit training a second time and
    frozen, adapters included, by TRL releases before 0.24). The 4-bit base is not passed
    through prepare_model_for_kbit_training: its fp32 copies of the embeddings and head are memory the estimate
    does not hold, and mixed precision does not need them."""
    if LORA_ARGS is None:
        return model
    from peft import get_peft_model
    if GRADIENT_CHECKPOINTING:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model = get_peft_model(model, lora_config())
    model.print_trainable_parameters()
    return model


# SFTConfig keyword arguments: every recommended hyperparameter, including the
# evaluation batch size that fits (per_device_eval_batch_size).
TRAINING_ARGS = {
    "output_dir": "outputs/ftconfig-run",
    "num_train_epochs": 2.0,
    "per_device_train_batch_size": 1,
    "per_device_eval_batch_size": 1,
    "gradient_accumulation_steps": 8,
    "learning_rate": 0.0002,
    "lr_scheduler_type": "cosine",
    "warmup_ratio": 0.05,
    "weight_decay": 0.0,
    "optim": "paged_adamw_8bit",
    "bf16": False,
    "fp16": True,
    "gradient_checkpointing": True,
    "gradient_checkpointing_kwargs": {
        "use_reentrant": False,
    },
    "max_length": 2048,
    "packing": False,
    "eval_strategy": "epoch",
    "save_strategy": "epoch",
    "save_total_limit": 2,
    "logging_steps": 10,
    "report_to": "none",
    "seed": 42,
    "include_num_input_tokens_seen": True,
}


def build_trainer(model, tokenizer, train_dataset, eval_dataset):
    # Imported here so that nothing initializes CUDA before a multi-GPU launch.
    from trl import SFTConfig, SFTTrainer
    args = dict(TRAINING_ARGS)
    if eval_dataset is None:
        args["eval_strategy"] = "no"
    return SFTTrainer(model=model, args=SFTConfig(**args), train_dataset=train_dataset,
                      eval_dataset=eval_dataset, processing_class=tokenizer, peft_config=lora_config())


import datetime
import importlib.metadata
import json
import os
import platform
import time
import urllib.request
import uuid

# Events (docs/telemetry.md, schema_version 1) are appended as JSON lines to
# TELEMETRY_FILE. They are POSTed only when a collector URL is configured.
TELEMETRY_ENABLED = True
TELEMETRY_FILE = os.path.join(OUTPUT_DIR, "ftconfig-telemetry.jsonl")
TELEMETRY_URL = os.environ.get("FTCONFIG_TELEMETRY_URL", "")  # e.g. the companion's collector
# Sent as "Authorization: Bearer TOKEN" when set (ftconfig collect refuses
# requests without a token it knows).
TELEMETRY_TOKEN = os.environ.get("FTCONFIG_TELEMETRY_TOKEN", "")
TELEMETRY_SCHEMA_VERSION = 1


def package_versions():
    versions = {}
    for name in ("torch", "transformers", "peft", "trl", "bitsandbytes", "accelerate", "datasets", "flash-attn"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment_info():
    import torch
    info = {"python": platform.python_version(), "packages": package_versions(),
            "cuda": torch.version.cuda, "gpu_name": None, "gpu_count": 0, "gpu_memory_bytes": None,
            "compute_capability": None}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        info.update({"gpu_name": props.name, "gpu_count": torch.cuda.device_count(),
                     "gpu_memory_bytes": props.total_memory,
                     "compute_capability": float(f"{props.major}.{props.minor}")})
    return info


def last_logged(trainer, key):
    if trainer is None:
        return None
    for entry in reversed(trainer.state.log_history):
        if key in entry:
            return entry[key]
    return None


class Telemetry:
    """run_start / run_complete events of one training run (main process only)."""

    def __init__(self, source):
        self.run_id = str(uuid.uuid4())
        self.source = source
        self.started = None
        # Other ranks of a multi-GPU run touch neither CUDA nor the file: reading
        # the device here would open a CUDA context on GPU 0 from every process.
        self.active = TELEMETRY_ENABLED and int(os.environ.get("RANK", "0")) == 0

    def emit(self, event, fields):
        if not self.active:
            return
        record = {
            "schema_version": TELEMETRY_SCHEMA_VERSION,
            "event": event,
            "event_id": str(uuid.uuid4()),
            "run_id": self.run_id,
            "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "engine_version": FTCONFIG["engine_version"],
            "fingerprint": FTCONFIG["fingerprint"],
            "source": self.source,
        }
        # The recommendation this run follows (its outcome then counts for the
        # learning brain) and the model version that served it (canary health).
        for key in ("recommendation_event_id", "model_slot", "model_version"):
            if FTCONFIG.get(key):
                record[key] = FTCONFIG[key]
        record.update(fields)
        line = json.dumps(record, sort_keys=True)
        try:
            os.makedirs(os.path.dirname(TELEMETRY_FILE) or ".", exist_ok=True)
            with open(TELEMETRY_FILE, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as exc:
            print(f"telemetry: cannot write {TELEMETRY_FILE}: {exc}")
        if TELEMETRY_URL:
            try:
                headers = {"Content-Type": "application/json"}
                if TELEMETRY_TOKEN:
                    headers["Authorization"] = "Bearer " + TELEMETRY_TOKEN
                request = urllib.request.Request(TELEMETRY_URL, data=line.encode("utf-8"), method="POST",
                                                 headers=headers)
                urllib.request.urlopen(request, timeout=10).close()
            except Exception as exc:  # telemetry never stops a run
                print(f"telemetry: POST failed: {exc}")

    def run_start(self):
        if not self.active:
            return
        import torch
        self.started = time.time()
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        self.emit("run_start", {"recommendation": FTCONFIG["recommendation"], "environment": environment_info()})

    def run_complete(self, outcome, trainer=None, train_result=None, train_started=None, error=None, preflight=None):
        if not self.active:
            return
        import torch
        now = time.time()
        allocated = reserved = None
        if torch.cuda.is_available():
            allocated = torch.cuda.max_memory_allocated()
            reserved = torch.cuda.max_memory_reserved()
        train_seconds = (now - train_started) if train_started else None
        tokens = int(getattr(trainer.state, "num_input_tokens_seen", 0) or 0) if trainer is not None else 0
        tokens_per_sec, method = None, None
        if tokens and train_seconds:
            tokens_per_sec, method = tokens / train_seconds, "input_tokens_seen"
        elif trainer is not None and train_seconds and trainer.state.global_step:
            args = trainer.args
            upper = (trainer.state.global_step * args.per_device_train_batch_size * args.gradient_accumulation_steps
                     * max(1, args.world_size) * MAX_SEQ_LENGTH)
            tokens_per_sec, method = upper / train_seconds, "upper_bound_full_sequences"
        fields = {
            "outcome": outcome,
            "wall_time_s": round(now - self.started, 3) if self.started else None,
            "train_time_s": round(train_seconds, 3) if train_seconds else None,
            "peak_memory_allocated_bytes": allocated,
            "peak_memory_reserved_bytes": reserved,
            "peak_memory_allocated_gb": round(allocated / 1e9, 3) if allocated is not None else None,
            "peak_memory_reserved_gb": round(reserved / 1e9, 3) if reserved is not None else None,
            "predicted_per_gpu_gb": FTCONFIG["recommendation"]["predicted"]["per_gpu_gb"],
            "tokens_seen": tokens or None,
            "tokens_per_sec": round(tokens_per_sec, 2) if tokens_per_sec else None,
            "tokens_per_sec_method": method,
            "global_step": trainer.state.global_step if trainer is not None else 0,
            "final_loss": last_logged(trainer, "loss"),
            "train_loss": train_result.training_loss if train_result is not None else None,
            "eval_loss": last_logged(trainer, "eval_loss"),
            "error": {"type": type(error).__name__, "message": str(error)[:500]} if error is not None else None,
        }
        if preflight is not None:
            fields["preflight"] = preflight
        self.emit("run_complete", fields)


import time

import torch
from transformers import TrainerCallback

# Preflight: the run's first optimizer step is measured before the rest runs. When its peak reserved GPU memory
# is above PREFLIGHT_MARGIN of the GPU's usable memory, training stops at once with a smaller configuration.
PREFLIGHT = True
PREFLIGHT_MARGIN = 0.95
PREFLIGHT_REPORT = False  # True adds the measurement to the run_complete telemetry event


class PreflightStop(RuntimeError):
    pass


def smaller_configuration():
    batch = TRAINING_ARGS["per_device_train_batch_size"]
    accumulation = TRAINING_ARGS["gradient_accumulation_steps"]
    if batch > 1:
        return (f"per_device_train_batch_size={batch // 2} with gradient_accumulation_steps={accumulation * 2} "
                "(the same effective batch)")
    if not TRAINING_ARGS.get("gradient_checkpointing"):
        return "gradient_checkpointing=True"
    return f"MAX_SEQ_LENGTH={MAX_SEQ_LENGTH // 2} (and the max_length training argument with it)"


class PreflightCallback(TrainerCallback):
    """Checks the peak memory of the first real optimizer step against the estimate and the GPU."""

    def __init__(self):
        self.result = None

    def on_step_end(self, args, state, control, **kwargs):
        if self.result is not None:
            return
        estimated = FTCONFIG["recommendation"]["predicted"]["per_gpu_gb"]
        if not torch.cuda.is_available():
            self.result = {"measured": False, "estimated_gb": estimated}
            print("Preflight: one step trained; no CUDA device, so its memory is not measured.")
            return
        peak = torch.cuda.max_memory_reserved() / 1e9
        usable = EXPECTED_GPU["usable_gb"]
        self.result = {"measured": True, "peak_reserved_gb": round(peak, 3), "estimated_gb": estimated,
                       "usable_gb": usable}
        print(f"Preflight: the first step peaked at {peak:.2f} GB reserved (estimated {estimated} GB; "
              f"{usable:g} GB usable on this GPU). The first batch may be shorter than the longest ones.")
        if peak > usable * PREFLIGHT_MARGIN:
            raise PreflightStop(f"Preflight stopped the run: the first step already reserved {peak:.2f} GB, above "
                                f"{PREFLIGHT_MARGIN:.0%} of the {usable:g} GB usable. Try {smaller_configuration()}, "
                                "or set PREFLIGHT = False to run anyway.")


def is_out_of_memory(exc):
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower()


def run_training():
    """Loads, formats, trains, saves the LoRA adapter to OUTPUT_DIR; telemetry around it all."""
    require_real_ids()
    telemetry = Telemetry(source="script")
    telemetry.run_start()
    trainer = train_result = train_started = failure = preflight = None
    outcome = "error"
    try:
        tokenizer = load_tokenizer()
        train_dataset, eval_dataset, num_labels = prepare_datasets(tokenizer)
        model = load_model(num_labels=num_labels)
        if getattr(model.config, "pad_token_id", None) is None:
            model.config.pad_token_id = tokenizer.pad_token_id
        trainer = build_trainer(model, tokenizer, train_dataset, eval_dataset)
        preflight = PreflightCallback() if PREFLIGHT else None
        if preflight is not None:
            trainer.add_callback(preflight)
        train_started = time.time()
        train_result = trainer.train()
        trainer.save_model(OUTPUT_DIR)  # the adapter (or model) and, on the main process only
        if trainer.is_world_process_zero():
            tokenizer.save_pretrained(OUTPUT_DIR)
        outcome = "success"
    except KeyboardInterrupt as exc:
        outcome, failure = "interrupted", exc
    except Exception as exc:
        outcome, failure = ("oom" if is_out_of_memory(exc) else "error"), exc
    try:
        telemetry.run_complete(outcome, trainer=trainer, train_result=train_result, train_started=train_started,
                               error=failure,
                               preflight=preflight.result if PREFLIGHT_REPORT and preflight is not None else None)
    except Exception as exc:  # telemetry never hides the training outcome
        print(f"telemetry: {exc}")
    if failure is not None:
        if outcome == "oom":
            print(f"Out of GPU memory. The estimate was {FTCONFIG['recommendation']['predicted']['per_gpu_gb']} GB "
                  "per GPU for this exact configuration: check that nothing else holds GPU memory, that the GPU is "
                  "the one configured, and that the sequences are not longer than MAX_SEQ_LENGTH.")
        raise failure
    print(f"Saved the LoRA adapter to {OUTPUT_DIR}")
    return trainer


import gc

# Optional: merge the adapter into a full 16-bit copy of the base model.
# Estimated peak for merging: 16.96 GB; usable on this GPU: 15.3 GB.
RUN_MERGE = False  # set True to write OUTPUT_DIR/merged
MERGE_PEAK_GB = 16.96
GPU_USABLE_GB = 15.3
MERGE_DTYPE = "float16"
MERGED_DIR = os.path.join(OUTPUT_DIR, "merged")


def merge_adapter():
    from peft import PeftModel
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    on_gpu = torch.cuda.is_available() and MERGE_PEAK_GB is not None and MERGE_PEAK_GB <= GPU_USABLE_GB * 0.92
    if not on_gpu:
        print(f"Merging on the CPU (the estimated {MERGE_PEAK_GB} GB peak does not fit the GPU): this needs about "
              "that much free RAM and takes a while.")
    base = MODEL_CLASS.from_pretrained(MODEL_ID, torch_dtype=getattr(torch, MERGE_DTYPE),
                                                device_map={"": 0} if on_gpu else {"": "cpu"})
    merged = PeftModel.from_pretrained(base, OUTPUT_DIR).merge_and_unload()
    merged.save_pretrained(MERGED_DIR, safe_serialization=True)
    AutoTokenizer.from_pretrained(OUTPUT_DIR).save_pretrained(MERGED_DIR)
    print(f"Merged model written to {MERGED_DIR}")


def main():
    run_training()
    if RUN_MERGE and int(os.environ.get("RANK", "0")) == 0:
        merge_adapter()


if __name__ == "__main__":
    main()
