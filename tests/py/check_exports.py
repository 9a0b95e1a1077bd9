#!/usr/bin/env python3
"""Checks of the exports that need Python (CTest: exports_py).

For a set of representative requests, runs `ftconfig recommend` and checks
that
  - the notebook (--notebook) validates against the nbformat 4 schema and
    every code cell parses with ast;
  - the script export parses with ast;
  - the axolotl and LLaMA-Factory exports load with yaml.safe_load and the
    TRL export with json, and every one of them carries exactly the
    recommended hyperparameters (each key of response["hyperparameters"] is
    checked in every format);
  - the notebook, the script and the TRL JSON hold identical keyword
    dictionaries (TRAINING_ARGS, LORA_ARGS, BNB_ARGS, MODEL_ARGS);
  - hostile strings in model id, dataset id, output dir and notes round-trip
    as data: the Python code has the same AST as with benign strings (only
    string constants differ), the configuration cell executes without any
    builtins and yields the strings unchanged, YAML and JSON load them back
    unchanged, and Markdown shows them escaped;
  - the golden files under tests/golden/exports are valid too;
  - the telemetry code of the script export POSTs each event to
    FTCONFIG_TELEMETRY_URL with "Authorization: Bearer $FTCONFIG_TELEMETRY_TOKEN"
    (and without the header when the token is unset), to a loopback server.

Exit 0 when all pass, 1 on a failure, 77 (skipped) when nbformat or yaml is
not installed (scripts/setup.sh installs python3-nbformat and python3-yaml).
"""
import argparse
import ast
import copy
import json
import os
import re
import subprocess
import sys
import tempfile


def import_modules():
    try:
        import nbformat  # noqa: F401
        import yaml  # noqa: F401
    except ImportError:
        # Debian's python3-nbformat / python3-yaml live in dist-packages, which a
        # python3 from elsewhere (pyenv, venv) of the same version does not see.
        debian = "/usr/lib/python3/dist-packages"
        if os.path.isdir(debian) and debian not in sys.path:
            sys.path.append(debian)
    try:
        import nbformat
        import yaml
    except ImportError as exc:
        print(f"SKIP: {exc.name} is not installed (apt-get install python3-nbformat python3-yaml)")
        sys.exit(77)
    return nbformat, yaml


nbformat, yaml = import_modules()

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "golden", "exports")
FORMATS = ("axolotl", "llamafactory", "trl", "script")

# Representative requests: the golden cases, then one per task family.
CASES = {
    "colab_t4_qlora_8b": {"platform": "colab", "plan": "free", "model": "meta-llama/Llama-3.1-8B",
                          "adapter_type": "qlora", "dataset_name": "yahma/alpaca-cleaned"},
    "kaggle_p100_chat": {"platform": "kaggle", "plan": "p100", "model": "mistralai/Mistral-7B-v0.1",
                         "adapter_type": "qlora", "task_type": "chat"},
    "rtx4090_lora_dpo": {"platform": "runpod", "plan": "rtx-4090", "model": "meta-llama/Llama-3.1-8B",
                         "adapter_type": "lora", "task_type": "preference_dpo", "allow_qlora": False,
                         "data_tokens": {"p50": 400, "p95": 768}},
    "a100_full_1b": {"platform": "vastai", "plan": "a100-80gb", "model": "meta-llama/Llama-3.2-1B",
                     "adapter_type": "none", "output_dir": "runs/llama-1b-full"},
    "kaggle_t4x2_pretraining": {"platform": "kaggle", "plan": "t4x2", "model": "Qwen/Qwen2.5-3B",
                                "adapter_type": "lora", "task_type": "continued_pretraining"},
    "a100x2_lora": {"gpu_override": "A100 80GB", "num_gpus": 2, "model": "Qwen/Qwen2.5-7B", "adapter_type": "lora"},
    "a100x2_full_offload": {"gpu_override": "A100 80GB", "num_gpus": 2, "model": "Qwen/Qwen3-14B",
                            "adapter_type": "none"},
    "orpo": {"gpu_override": "L4", "model": "Qwen/Qwen2.5-1.5B", "adapter_type": "lora",
             "task_type": "preference_orpo"},
    "reward": {"gpu_override": "A10G", "model": "Qwen/Qwen2.5-1.5B", "adapter_type": "lora",
               "task_type": "reward_modeling"},
    "classification": {"gpu_override": "T4", "model": "Qwen/Qwen2.5-0.5B", "adapter_type": "lora",
                       "task_type": "classification", "max_seq_length": 256},
    "outside_catalog": {"gpu_override": "RTX 3090", "model": "someone/custom-llm-3b", "model_params_b": 3.2,
                        "adapter_type": "qlora"},
    "size_bucket_only": {"gpu_override": "T4", "model_size_bucket": "small", "adapter_type": "lora"},
}

HOSTILE = [
    'he said "hi"',
    "it's",
    '"""triple""" and \'\'\'single\'\'\'',
    "line1\nline2\r\nline3",
    "back\\slash \\n \\x41 \\N{BULLET} \\",
    "\"; import os; os.system('x') #",
    "'; import os; os.system('x'); '",
    "\")\nimport os\nos.system('x')\n(\"",
    "key: value # comment",
    "- item",
    "&anchor *alias",
    "!!python/object/apply:os.system ['x']",
    "? complex key",
    "{{mustache}} {{{triple}}} {{#section}}x{{/section}} {{> partial}}",
    "unicode: naïve café 日本語 😀 \u202e rtl \u2028 sep \x85 nel \ufeff bom",
    "tab\there\x00nul\x07bell\x1b[31mesc\x7fdel",
    "<script>alert(1)</script> **bold** [link](http://x) $x$ <img src=x onerror=alert(1)>",
    "${HOME} $(touch /tmp/pwned) `id`",
    "%s %(name)s {0} {name} {{}}",
    "# heading\n---\n```\ncode\n```\n| a | b |",
    "null",
    "true",
    "1e3",
    "~",
    "@at |pipe >gt %pct",
]

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


def dicts_from_code(source):
    """The top-level literal assignments of a module (NAME = literal)."""
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def blank_strings(tree):
    """The AST with every string constant replaced by "" (the shape of the code)."""
    tree = copy.deepcopy(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


# The LoRA module table of every catalog model (`ftconfig catalog models`), and
# the response being checked (its model and task decide the module names).
LORA_TABLE = {}
CURRENT = {}
TARGET_CLASS = {"q_proj,v_proj": "qv", "q_proj,k_proj,v_proj,o_proj": "attention", "all-linear": "all_linear",
                "all-linear,embed_tokens,lm_head": "all_linear"}
LLAMA_NAMES = {"qv": ["q_proj", "v_proj"], "attention": ["q_proj", "k_proj", "v_proj", "o_proj"],
               "embedding": ["embed_tokens", "lm_head"], "classifier_head": ["score"]}


def targets(hp):
    """(all_linear, target_modules, modules_to_save) the exports must carry: the lead's lora_target_class /
    lora_target_modules when the response has them, else today's lora_target mapped to the model's own names
    (PEFT's "all-linear" only for a model outside the catalog)."""
    target = hp.get("lora_target", "all-linear")
    cls = hp.get("lora_target_class") or TARGET_CLASS[target]
    table = LORA_TABLE.get(CURRENT.get("model"))
    seq_cls = CURRENT.get("task") in ("classification", "reward_modeling")
    mods = hp.get("lora_target_modules") or (table[cls] if table else LLAMA_NAMES.get(cls))
    all_linear = not hp.get("lora_target_modules") and table is None and cls == "all_linear"
    save = []
    if "embed_tokens" in target:
        save = list((table or LLAMA_NAMES)["embedding"])
        if seq_cls:
            save = save[:1]
    if seq_cls:
        save += (table or LLAMA_NAMES)["classifier_head"]
    return all_linear, ([] if all_linear else mods), save


def check_distribution(name, hp, ds):
    """The DeepSpeed configuration an export carries matches the recommendation's distribution."""
    dist = hp.get("distribution", "none")
    if dist.startswith("zero"):
        zero = ds.get("zero_optimization", {}) if isinstance(ds, dict) else {}
        ok = zero.get("stage") == (2 if dist == "zero2" else 3)
        if dist == "zero3_offload":
            # DeepSpeed refuses a Trainer-made optimizer under offload: the config names its CPU Adam.
            ok = ok and "offload_optimizer" in zero and ds.get("optimizer", {}).get("type") == "AdamW"
        check(ok, f"{name}: DeepSpeed configuration for {dist}")
    else:
        check(not ds, f"{name}: a DeepSpeed configuration although the distribution is {dist}")


def approx(a, b):
    return a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) < 1e-12)


# --- per-format value checks: every key of hyperparameters must be covered ---------------

def check_python_dicts(name, hp, gpu_count, d):
    ta, lora, bnb, margs = d.get("TRAINING_ARGS"), d.get("LORA_ARGS"), d.get("BNB_ARGS"), d.get("MODEL_ARGS")
    if not check(isinstance(ta, dict) and isinstance(margs, dict), f"{name}: TRAINING_ARGS/MODEL_ARGS missing"):
        return
    covered = set()

    def eq(key, got, label):
        covered.add(key)
        check(approx(got, hp[key]), f"{name}: {label} = {got!r}, recommended {key} = {hp[key]!r}")

    eq("learning_rate", ta.get("learning_rate"), "learning_rate")
    eq("batch_size_per_device", ta.get("per_device_train_batch_size"), "per_device_train_batch_size")
    eq("per_device_eval_batch_size", ta.get("per_device_eval_batch_size"), "per_device_eval_batch_size")
    eq("gradient_accumulation_steps", ta.get("gradient_accumulation_steps"), "gradient_accumulation_steps")
    eq("num_epochs", ta.get("num_train_epochs"), "num_train_epochs")
    eq("lr_scheduler", ta.get("lr_scheduler_type"), "lr_scheduler_type")
    # transformers 5: warmup_steps below 1 is the ratio (warmup_ratio before)
    eq("warmup_ratio", ta.get("warmup_ratio", ta.get("warmup_steps")), "warmup_ratio")
    eq("weight_decay", ta.get("weight_decay"), "weight_decay")
    eq("optimizer", ta.get("optim"), "optim")
    eq("gradient_checkpointing", ta.get("gradient_checkpointing"), "gradient_checkpointing")
    eq("attn_implementation", margs.get("attn_implementation"), "attn_implementation")
    covered.add("precision")
    check(ta.get("bf16") == (hp["precision"] == "bf16") and ta.get("fp16") == (hp["precision"] == "fp16"),
          f"{name}: bf16/fp16 = {ta.get('bf16')}/{ta.get('fp16')} for precision {hp['precision']}")
    covered.add("pure_bf16")
    if hp.get("pure_bf16"):
        check(margs.get("torch_dtype") == "bfloat16", f"{name}: pure_bf16 needs bf16 weights")
    covered.add("effective_batch_size")
    check(ta.get("per_device_train_batch_size", 0) * ta.get("gradient_accumulation_steps", 0) * gpu_count
          == hp["effective_batch_size"], f"{name}: effective batch differs")
    covered.add("max_seq_length")
    if "max_length" in ta:
        check(ta["max_length"] == hp["max_seq_length"], f"{name}: max_length {ta['max_length']}")
    else:
        check(d.get("MAX_SEQ_LENGTH", hp["max_seq_length"]) == hp["max_seq_length"], f"{name}: MAX_SEQ_LENGTH")
    covered.add("adapter_type")
    covered.add("distribution")
    check_distribution(name, hp, ta.get("deepspeed"))
    if hp["adapter_type"] == "none":
        check(lora is None and bnb is None, f"{name}: full fine-tuning with an adapter/quantization")
    else:
        if check(isinstance(lora, dict), f"{name}: LORA_ARGS missing"):
            eq("lora_r", lora.get("r"), "LoraConfig.r")
            eq("lora_alpha", lora.get("lora_alpha"), "LoraConfig.lora_alpha")
            eq("lora_dropout", lora.get("lora_dropout"), "LoraConfig.lora_dropout")
            covered.update({"lora_target", "lora_target_class", "lora_target_modules"})
            all_linear, mods, save = targets(hp)
            check(lora.get("target_modules") == ("all-linear" if all_linear else mods), f"{name}: target_modules")
            check(lora.get("modules_to_save", []) == save, f"{name}: modules_to_save")
    if hp["adapter_type"] == "qlora":
        if check(isinstance(bnb, dict), f"{name}: BNB_ARGS missing"):
            eq("load_in_4bit", bnb.get("load_in_4bit"), "load_in_4bit")
            eq("bnb_4bit_quant_type", bnb.get("bnb_4bit_quant_type"), "bnb_4bit_quant_type")
            eq("bnb_4bit_compute_dtype", bnb.get("bnb_4bit_compute_dtype"), "bnb_4bit_compute_dtype")
            eq("bnb_4bit_use_double_quant", bnb.get("bnb_4bit_use_double_quant"), "bnb_4bit_use_double_quant")
    missing = set(hp) - covered
    check(not missing, f"{name}: hyperparameters not checked: {sorted(missing)}")


AXOLOTL_DEEPSPEED_FILE = "ftconfig-deepspeed.json"


def axolotl_deepspeed_json(text):
    """The DeepSpeed JSON an axolotl export carries as the comment line after "beside this file." (None without)."""
    m = re.search(r"beside this file\..*?\n# (\{[^\n]*\})\n", text, re.S)
    return json.loads(m.group(1)) if m else None


def llamafactory_dataset_info(text):
    """The dataset_info.json an LLaMA-Factory export carries as the comment line after "Save as
    data/dataset_info.json" (None without: dataset_dir ONLINE)."""
    m = re.search(r"# Save as data/dataset_info\.json.*?\n# (\{[^\n]*\})\n", text, re.S)
    return json.loads(m.group(1)) if m else None


def load_export(fmt, text):
    """The YAML as the tool reads it; axolotl's deepspeed file name replaced by the JSON the user saves there."""
    y = yaml.safe_load(text)
    if fmt == "axolotl" and y.get("deepspeed") is not None:
        check(y["deepspeed"] == AXOLOTL_DEEPSPEED_FILE, f"axolotl deepspeed is {y['deepspeed']!r}, not the file")
        y["deepspeed"] = axolotl_deepspeed_json(text)
    return y


def check_axolotl(name, hp, gpu_count, y):
    covered = set()

    def eq(key, got, label):
        covered.add(key)
        check(approx(got, hp[key]), f"{name}: {label} = {got!r}, recommended {key} = {hp[key]!r}")

    eq("learning_rate", y.get("learning_rate"), "learning_rate")
    eq("batch_size_per_device", y.get("micro_batch_size"), "micro_batch_size")
    eq("per_device_eval_batch_size", y.get("eval_batch_size"), "eval_batch_size")
    eq("gradient_accumulation_steps", y.get("gradient_accumulation_steps"), "gradient_accumulation_steps")
    eq("max_seq_length", y.get("sequence_len"), "sequence_len")
    eq("num_epochs", y.get("num_epochs"), "num_epochs")
    eq("optimizer", y.get("optimizer"), "optimizer")
    eq("lr_scheduler", y.get("lr_scheduler"), "lr_scheduler")
    eq("warmup_ratio", y.get("warmup_ratio"), "warmup_ratio")
    eq("weight_decay", y.get("weight_decay"), "weight_decay")
    eq("gradient_checkpointing", y.get("gradient_checkpointing"), "gradient_checkpointing")
    covered.update({"precision", "pure_bf16", "effective_batch_size", "attn_implementation", "adapter_type",
                    "distribution"})
    check_distribution(name, hp, y.get("deepspeed"))
    check(y.get("bf16") == (hp["precision"] == "bf16") and y.get("fp16") == (hp["precision"] == "fp16"),
          f"{name}: axolotl bf16/fp16")
    check(bool(y.get("bfloat16")) == bool(hp.get("pure_bf16")), f"{name}: axolotl bfloat16 (pure bf16)")
    check(y["micro_batch_size"] * y["gradient_accumulation_steps"] * gpu_count == hp["effective_batch_size"],
          f"{name}: axolotl effective batch")
    # SDPA always: axolotl has no fallback when flash-attn is missing (the recommended one is a comment).
    check(not y.get("flash_attention") and y.get("sdp_attention") is True, f"{name}: attention")
    check(y.get("adapter") == (None if hp["adapter_type"] == "none" else hp["adapter_type"]), f"{name}: adapter")
    if hp["adapter_type"] != "none":
        eq("lora_r", y.get("lora_r"), "lora_r")
        eq("lora_alpha", y.get("lora_alpha"), "lora_alpha")
        eq("lora_dropout", y.get("lora_dropout"), "lora_dropout")
        covered.update({"lora_target", "lora_target_class", "lora_target_modules"})
        all_linear, mods, save = targets(hp)
        check(bool(y.get("lora_target_linear")) == all_linear, f"{name}: lora_target_linear")
        check((y.get("lora_target_modules") or []) == mods, f"{name}: lora_target_modules")
        check((y.get("lora_modules_to_save") or []) == save, f"{name}: lora_modules_to_save")
    if hp["adapter_type"] == "qlora":
        bnb = y.get("bnb_config_kwargs") or {}
        eq("load_in_4bit", y.get("load_in_4bit"), "load_in_4bit")
        eq("bnb_4bit_quant_type", bnb.get("bnb_4bit_quant_type"), "bnb_4bit_quant_type")
        eq("bnb_4bit_use_double_quant", bnb.get("bnb_4bit_use_double_quant"), "bnb_4bit_use_double_quant")
        covered.add("bnb_4bit_compute_dtype")  # axolotl computes in the bf16/fp16 dtype
        check((hp["bnb_4bit_compute_dtype"] == "bfloat16") == bool(y.get("bf16")), f"{name}: compute dtype")
    missing = set(hp) - covered
    check(not missing, f"{name}: axolotl: hyperparameters not checked: {sorted(missing)}")


def check_llamafactory(name, hp, gpu_count, y):
    covered = set()

    def eq(key, got, label):
        covered.add(key)
        check(approx(got, hp[key]), f"{name}: {label} = {got!r}, recommended {key} = {hp[key]!r}")

    eq("learning_rate", y.get("learning_rate"), "learning_rate")
    eq("batch_size_per_device", y.get("per_device_train_batch_size"), "per_device_train_batch_size")
    eq("per_device_eval_batch_size", y.get("per_device_eval_batch_size"), "per_device_eval_batch_size")
    eq("gradient_accumulation_steps", y.get("gradient_accumulation_steps"), "gradient_accumulation_steps")
    eq("max_seq_length", y.get("cutoff_len"), "cutoff_len")
    eq("num_epochs", y.get("num_train_epochs"), "num_train_epochs")
    eq("optimizer", y.get("optim"), "optim")
    eq("lr_scheduler", y.get("lr_scheduler_type"), "lr_scheduler_type")
    eq("warmup_ratio", y.get("warmup_ratio"), "warmup_ratio")
    eq("weight_decay", y.get("weight_decay"), "weight_decay")
    covered.add("distribution")
    check_distribution(name, hp, y.get("deepspeed"))
    covered.update({"gradient_checkpointing", "precision", "pure_bf16", "effective_batch_size",
                    "attn_implementation", "adapter_type"})
    check(y.get("disable_gradient_checkpointing") == (not hp["gradient_checkpointing"]), f"{name}: LF checkpointing")
    if hp.get("pure_bf16"):
        check(y.get("pure_bf16") is True and not y.get("bf16") and not y.get("fp16"), f"{name}: LF pure_bf16")
    else:
        check(y.get("bf16") == (hp["precision"] == "bf16") and y.get("fp16") == (hp["precision"] == "fp16"),
              f"{name}: LF bf16/fp16")
    check(y["per_device_train_batch_size"] * y["gradient_accumulation_steps"] * gpu_count == hp["effective_batch_size"],
          f"{name}: LF effective batch")
    check(y.get("flash_attn") == ("fa2" if hp["attn_implementation"] == "flash_attention_2" else "sdpa"),
          f"{name}: LF flash_attn")
    check(y.get("finetuning_type") == ("full" if hp["adapter_type"] == "none" else "lora"), f"{name}: finetuning_type")
    if hp["adapter_type"] != "none":
        eq("lora_r", y.get("lora_rank"), "lora_rank")
        eq("lora_alpha", y.get("lora_alpha"), "lora_alpha")
        eq("lora_dropout", y.get("lora_dropout"), "lora_dropout")
        covered.update({"lora_target", "lora_target_class", "lora_target_modules"})
        all_linear, mods, save = targets(hp)
        check(y.get("lora_target") == ("all" if all_linear else ",".join(mods)), f"{name}: lora_target")
        check((y.get("additional_target") or "") == ",".join(save), f"{name}: additional_target")
    if hp["adapter_type"] == "qlora":
        covered.update({"load_in_4bit", "bnb_4bit_compute_dtype"})
        check(y.get("quantization_bit") == 4 and y.get("quantization_method") == "bnb", f"{name}: quantization_bit")
        eq("bnb_4bit_quant_type", y.get("quantization_type"), "quantization_type")
        eq("bnb_4bit_use_double_quant", y.get("double_quantization"), "double_quantization")
        check((hp["bnb_4bit_compute_dtype"] == "bfloat16") == bool(y.get("bf16")), f"{name}: LF compute dtype")
    missing = set(hp) - covered
    check(not missing, f"{name}: llamafactory: hyperparameters not checked: {sorted(missing)}")


def code_cells(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def markdown_cells(nb):
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def load_notebook(text, name):
    nb = nbformat.reads(text, as_version=4)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        check(False, f"{name}: notebook fails the nbformat schema: {exc}")
    for i, src in enumerate(code_cells(nb)):
        try:
            ast.parse(src)
        except SyntaxError as exc:
            check(False, f"{name}: code cell {i} does not parse: {exc}")
    return nb


def notebook_dicts(nb):
    d = {}
    for src in code_cells(nb):
        d.update(dicts_from_code(src))
    return d


def export_all(cli, request, name):
    """The response, the notebook text and each export text (None when refused)."""
    out = {}
    rc, stdout, stderr = run_cli(cli, request)
    if not check(rc == 0, f"{name}: recommend failed ({rc}): {stdout} {stderr}"):
        return None
    out["response"] = json.loads(stdout)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "nb.ipynb")
        rc, stdout, stderr = run_cli(cli, request, "--notebook", path)
        check(rc == 0 and json.loads(stdout) == out["response"], f"{name}: --notebook changed the JSON response")
        with open(path, encoding="utf-8") as f:
            out["notebook"] = f.read()
    for fmt in FORMATS:
        rc, stdout, stderr = run_cli(cli, request, "--export", fmt)
        out[fmt] = stdout if rc == 0 else None
        out[fmt + "_rc"] = (rc, stdout)
    return out


def check_case(cli, name, request):
    ex = export_all(cli, request, name)
    if ex is None:
        return
    r = ex["response"]
    CURRENT.update(model=r["request"].get("model"), task=r["request"].get("task_type"))
    if not check(r.get("fits"), f"{name}: the recommendation does not fit"):
        return
    hp, gpus = r["hyperparameters"], r["gpu"]["count"]
    nb = load_notebook(ex["notebook"], name)
    nbd = notebook_dicts(nb)
    check_python_dicts(name + " notebook", hp, gpus, nbd)
    script = ex["script"]
    check(script is not None, f"{name}: script export refused")
    ast.parse(script)
    sd = dicts_from_code(script)
    for key in ("TRAINING_ARGS", "LORA_ARGS", "BNB_ARGS", "MODEL_ARGS", "MODEL_ID", "DATASET_ID", "OUTPUT_DIR"):
        check(sd.get(key) == nbd.get(key), f"{name}: script and notebook differ in {key}")
    trl = json.loads(ex["trl"])
    check(trl["training_args"] == nbd["TRAINING_ARGS"], f"{name}: TRL training_args differ from the notebook")
    check(trl["peft_config"] == nbd["LORA_ARGS"], f"{name}: TRL peft_config differs")
    check(trl["quantization_config"] == nbd["BNB_ARGS"], f"{name}: TRL quantization_config differs")
    check(trl["model_init_kwargs"] == nbd["MODEL_ARGS"], f"{name}: TRL model_init_kwargs differ")
    check_python_dicts(name + " trl", hp, gpus, {"TRAINING_ARGS": trl["training_args"], "LORA_ARGS": trl["peft_config"],
                                                 "BNB_ARGS": trl["quantization_config"],
                                                 "MODEL_ARGS": trl["model_init_kwargs"],
                                                 "MAX_SEQ_LENGTH": trl["dataset"]["max_seq_length"]})
    task = r["request"]["task_type"]
    for fmt, checker in (("axolotl", check_axolotl), ("llamafactory", check_llamafactory)):
        # axolotl loads full fine-tuning weights in the 16-bit training type: refused unless pure bf16.
        full_mixed = fmt == "axolotl" and hp["adapter_type"] == "none" and not hp.get("pure_bf16") \
            and hp["precision"] != "fp32"
        if task == "classification" or full_mixed:
            rc, stdout = ex[fmt + "_rc"]
            check(rc == 2 and json.loads(stdout)["error"]["code"] == "unsupported",
                  f"{name}: {fmt} should refuse {task if task == 'classification' else 'mixed-precision full fine-tuning'}")
            continue
        if check(ex[fmt] is not None, f"{name}: {fmt} export failed: {ex[fmt + '_rc']}"):
            checker(name + " " + fmt, hp, gpus, load_export(fmt, ex[fmt]))
    return ex


def check_does_not_fit(cli):
    req = {"gpu_override": "T4", "model": "meta-llama/Llama-3.1-70B", "adapter_type": "none"}
    rc, stdout, _ = run_cli(cli, req, "--export", "axolotl")
    check(rc == 2 and json.loads(stdout)["error"]["code"] == "invalid_value",
          "a 'does not fit' recommendation must not export")


def check_hostile(cli):
    base = {"gpu_override": "A100 80GB", "model_params_b": 1.0, "adapter_type": "lora"}
    benign = "benign-value"

    def request(s):
        return dict(base, model=s, dataset_name=s, output_dir=s, notes=s)

    ref = export_all(cli, request(benign), "benign")
    if ref is None:
        return
    ref_nb = load_notebook(ref["notebook"], "benign")
    ref_shapes = [blank_strings(ast.parse(src)) for src in code_cells(ref_nb)]
    ref_script = blank_strings(ast.parse(ref["script"]))
    ref_keys = {fmt: sorted(yaml.safe_load(ref[fmt])) for fmt in ("axolotl", "llamafactory")}
    for s in HOSTILE:
        name = f"hostile {s!r}"
        expected = s.strip(" \t\r\n")  # the request parser trims surrounding whitespace
        ex = export_all(cli, request(s), name)
        if ex is None:
            continue
        nb = load_notebook(ex["notebook"], name)
        shapes = [blank_strings(ast.parse(src)) for src in code_cells(nb)]
        check(shapes == ref_shapes, f"{name}: notebook code differs from the benign one beyond string values")
        check(blank_strings(ast.parse(ex["script"])) == ref_script, f"{name}: script code differs beyond strings")
        # The configuration cell runs with no builtins at all and gives the strings back.
        config = next(src for src in code_cells(nb) if "MODEL_ID = " in src)
        scope = {"__builtins__": {}}
        exec(compile(config, "<config cell>", "exec"), scope)  # noqa: S102 (literals only, proven above)
        for var in ("MODEL_ID", "DATASET_ID", "OUTPUT_DIR", "NOTES"):
            check(scope.get(var) == expected, f"{name}: {var} = {scope.get(var)!r}")
        sd = dicts_from_code(ex["script"])
        check(sd.get("MODEL_ID") == expected and sd.get("NOTES") == expected, f"{name}: script strings")
        ax = yaml.safe_load(ex["axolotl"])
        check(sorted(ax) == ref_keys["axolotl"], f"{name}: axolotl keys changed: {sorted(ax)}")
        check(ax.get("base_model") == expected and ax["datasets"][0].get("path") == expected
              and ax.get("output_dir") == expected, f"{name}: axolotl strings")
        lf = yaml.safe_load(ex["llamafactory"])
        check(sorted(lf) == ref_keys["llamafactory"], f"{name}: llamafactory keys changed: {sorted(lf)}")
        check(lf.get("model_name_or_path") == expected and lf.get("dataset") == expected
              and lf.get("output_dir") == expected, f"{name}: llamafactory strings")
        # The chat export registers the dataset in a JSON comment line: it parses back to the name.
        rc, chat, _ = run_cli(cli, dict(request(s), task_type="chat"), "--export", "llamafactory")
        info = llamafactory_dataset_info(chat) if rc == 0 else None
        check(yaml.safe_load(chat).get("dataset") == expected and info is not None
              and list(info) == [expected] and info[expected]["hf_hub_url"] == expected,
              f"{name}: llamafactory dataset_info.json line")
        trl = json.loads(ex["trl"])
        check(trl["model_name_or_path"] == expected and trl["dataset"]["name_or_path"] == expected
              and trl["training_args"]["output_dir"] == expected and trl["notes"] == expected, f"{name}: TRL strings")
        for md in markdown_cells(nb):
            for bad in ("<script", "<img", "\n# heading", "\n---", "\n```", "\u202e"):
                check(bad not in md, f"{name}: Markdown cell holds unescaped {bad!r}")
    check(len(HOSTILE) >= 20, "hostile table too small")


def check_golden():
    if not os.path.isdir(GOLDEN):
        check(False, f"no golden files in {GOLDEN}")
        return
    cases = sorted(d for d in os.listdir(GOLDEN) if os.path.isdir(os.path.join(GOLDEN, d)))
    check(len(cases) >= 5, f"only {len(cases)} golden cases")
    for case in cases:
        d = os.path.join(GOLDEN, case)
        with open(os.path.join(d, "response.json"), encoding="utf-8") as f:
            r = json.load(f)
        with open(os.path.join(d, "notebook.ipynb"), encoding="utf-8") as f:
            nb = load_notebook(f.read(), "golden " + case)
        CURRENT.update(model=r["request"].get("model"), task=r["request"].get("task_type"))
        check_python_dicts("golden " + case, r["hyperparameters"], r["gpu"]["count"], notebook_dicts(nb))
        with open(os.path.join(d, "script.py"), encoding="utf-8") as f:
            ast.parse(f.read())
        for fmt, checker in (("axolotl", check_axolotl), ("llamafactory", check_llamafactory)):
            p = os.path.join(d, fmt + ".yaml")
            if os.path.exists(p):
                with open(p, encoding="utf-8") as f:
                    checker(f"golden {case} {fmt}", r["hyperparameters"], r["gpu"]["count"],
                            load_export(fmt, f.read()))
        with open(os.path.join(d, "trl.json"), encoding="utf-8") as f:
            json.load(f)


def check_telemetry_token():
    """Runs the telemetry code of a golden script export against a loopback HTTP server."""
    import http.server
    import threading
    path = os.path.join(GOLDEN, "colab_t4_qlora_8b", "script.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    start = source.find("TELEMETRY_ENABLED = True")
    end = source.find("    def run_start(self):")
    check(start >= 0 and end > start, "telemetry code not found in " + path)
    if start < 0 or end <= start:
        return
    chunk = source[start:end]
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append((self.headers.get("Authorization"), json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/events"
    saved = {k: os.environ.get(k) for k in ("FTCONFIG_TELEMETRY_URL", "FTCONFIG_TELEMETRY_TOKEN", "RANK")}
    try:
        with tempfile.TemporaryDirectory() as out:
            tagged = {"recommendation_event_id": "0b7e3f4c-1d2a-4c5b-8e9f-123456789abc", "model_slot": "canary",
                      "model_version": "v3-test"}
            for token, tags in (("s3cret-token-123", {}), (None, tagged)):
                os.environ["FTCONFIG_TELEMETRY_URL"] = url
                os.environ.pop("RANK", None)
                if token:
                    os.environ["FTCONFIG_TELEMETRY_TOKEN"] = token
                else:
                    os.environ.pop("FTCONFIG_TELEMETRY_TOKEN", None)
                ns = {"OUTPUT_DIR": out, "FTCONFIG": {"engine_version": "0.1.0", "fingerprint": "1baf7fcff69ec0d4",
                                                      "recommendation_event_id": None, **tags}}
                exec("import datetime, importlib.metadata, json, os, platform, time, urllib.request, uuid\n" + chunk, ns)
                ns["Telemetry"]("script").emit("run_complete", {"outcome": "success"})
                check(len(seen) == 1, f"telemetry: expected one POST, got {len(seen)}")
                if seen:
                    auth, event = seen.pop()
                    check(auth == (f"Bearer {token}" if token else None), f"telemetry: Authorization header {auth!r}")
                    check(event.get("event") == "run_complete", "telemetry: the POST body is the event")
                    for key in tagged:  # the serving tags travel when the export has them, else stay out
                        check(event.get(key) == tags.get(key), f"telemetry: {key} {event.get(key)!r}, expected {tags.get(key)!r}")
    finally:
        server.shutdown()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True, help="path to the built ftconfig CLI")
    args = ap.parse_args()
    catalog = subprocess.run([args.cli, "catalog", "models"], capture_output=True, text=True, check=True).stdout
    LORA_TABLE.update({m["id"]: m["lora_modules"] for m in json.loads(catalog)})
    for name, req in CASES.items():
        check_case(args.cli, name, req)
    check_does_not_fit(args.cli)
    check_hostile(args.cli)
    check_golden()
    check_telemetry_token()
    total = len(CASES) + len(HOSTILE) + 2
    if failures:
        for f in failures:
            print("FAIL:", f)
        print(f"{total - 1} checked, {len(failures)} failure(s)")
        return 1
    print(f"exports_py: {len(CASES)} requests, {len(HOSTILE)} hostile strings and the golden files: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
