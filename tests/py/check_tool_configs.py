#!/usr/bin/env python3
"""The axolotl and LLaMA-Factory exports through the tools' own validators
(CTest exports_axolotl_py with build/pyenv-axolotl, exports_llamafactory_py with
build/pyenv-llamafactory; scripts/setup-python.sh installs both).

For every request of run_exports.VALIDATE (the matrix of architectures x
adapters x tasks x GPU counts) the CLI exports the tool's YAML, then:

--tool axolotl: axolotl.cli.config.load_cfg(yaml), what `axolotl train` runs
  before it loads anything: plugins, validate_config (the pydantic schema
  AxolotlConfigWCapabilities), prepare_optim_env, normalize_config (which reads
  the model's config) and normalize_cfg_datasets.
--tool llamafactory: llamafactory.hparams.get_train_args(yaml), what
  `llamafactory-cli train` runs first; the dataset registry the YAML's comment
  carries for data/dataset_info.json (a comment line) read by LLaMA-Factory's own
  get_dataset_list; the template name looked up in its TEMPLATES.

What the check changes (TOOL_CHANGES, nothing else): the model id points at a
tiny local config of the case's architecture (the tools read the model config;
no hub here), and the tools see the recommended GPU's capabilities (bf16
support, compute capability, GPU count) instead of this CPU's. A refused
export (classification, T5) must be refused with exit code 2.

Exit 0 when all pass, 1 on any validation error, 77 when the tool is missing.
"""
import argparse
import json
import os
import sys
import tempfile

TOOL = sys.argv[sys.argv.index("--tool") + 1] if "--tool" in sys.argv else None
try:
    import yaml
    if TOOL == "axolotl":
        import axolotl.cli.config  # noqa: F401
    elif TOOL == "llamafactory":
        import llamafactory.hparams  # noqa: F401
except ImportError as exc:
    print(f"SKIP: {exc} (scripts/setup-python.sh installs build/pyenv-{TOOL})")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from check_exports import AXOLOTL_DEEPSPEED_FILE, axolotl_deepspeed_json, llamafactory_dataset_info  # noqa: E402
from run_exports import VALIDATE, run_cli  # noqa: E402
from tiny_models import architecture_of, tiny_config  # noqa: E402

# Beyond run_exports.VALIDATE: the distributions and precisions only these tools' validators see whole.
A100 = {"gpu_override": "A100 80GB"}
EXTRA = {
    "llama_full_pure_bf16": {**A100, "model": "meta-llama/Llama-3.1-8B", "adapter_type": "none"},
    "llama70b_lora_zero3_8gpu": {**A100, "num_gpus": 8, "model": "meta-llama/Llama-3.1-70B", "adapter_type": "lora"},
    "llama_full_zero3_4gpu": {**A100, "num_gpus": 4, "model": "meta-llama/Llama-3.1-8B", "adapter_type": "none"},
}
# Known findings (docs/exports.md), each required to fail exactly so: a case that starts passing, or fails
# otherwise, fails the check, so the list stays true. (tool, case): what the tool's error says.
KNOWN = {}
# A broken config each validator must reject (proves a validation error fails the check): (case, key, value).
# LLaMA-Factory's parser does not type-check a float given as text (HfArgumentParser.parse_dict), so its canary
# is an optimizer name that transformers does not know.
CANARY = {"axolotl": ("qwen2_lora_dpo", "lora_dropout", "not a number"),
          "llamafactory": ("qwen2_lora_dpo", "optim", "not_an_optimizer")}
TOOL_CHANGES = {
    "model": "base_model / model_name_or_path: a folder holding a tiny config.json of the case's architecture",
    "gpu": "bf16 support and compute capability of the recommended GPU, WORLD_SIZE = its GPU count "
           "(the tools read them from CUDA, which this machine lacks)",
    "llamafactory dataset": "dataset_dir: a folder holding the dataset_info.json the YAML carries as a comment",
    "axolotl deepspeed": "the JSON of the YAML's DeepSpeed comment saved as the file `deepspeed` names",
}
failures = []
ROOT = None  # the work folder


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def export(cli, case, request, fmt):
    """(rc, parsed YAML or the error, response JSON); a request's "_override" (the canary) is set in the YAML.
    axolotl's DeepSpeed JSON (a comment line) is saved as the file it names, as its comment asks."""
    request = dict(request)
    override = request.pop("_override", {})
    rc, out, err = run_cli(cli, request, "--export", fmt)
    if rc != 0:
        return rc, err.strip(), None
    rc2, resp, _ = run_cli(cli, request)
    y = {**yaml.safe_load(out), **override}
    if fmt == "axolotl" and y.get("deepspeed") is not None:
        check(y["deepspeed"] == AXOLOTL_DEEPSPEED_FILE, f"{case}: axolotl deepspeed is {y['deepspeed']!r}")
        ds = axolotl_deepspeed_json(out)
        if check(ds is not None, f"{case}: axolotl names a DeepSpeed file but carries no JSON for it"):
            y["deepspeed"] = os.path.join(ROOT, case + "-" + AXOLOTL_DEEPSPEED_FILE)
            with open(y["deepspeed"], "w") as f:
                json.dump(ds, f)
    if fmt == "llamafactory":
        y["_dataset_info"] = llamafactory_dataset_info(out)
    return rc, y, json.loads(resp) if rc2 == 0 else None


def model_dir(root, model_id):
    """A folder with the config of a tiny model of the same architecture (what the tools read)."""
    model_type, extra = architecture_of(model_id)
    path = os.path.join(root, "model-" + model_type)
    if not os.path.isdir(path):
        tiny_config(model_type, extra).save_pretrained(path)
    return path


def gpu_capabilities(response):
    gpu = response["gpu"]
    cc = gpu["compute_capability"]
    return bool(gpu["bf16"]), f"sm_{int(cc)}{int(round(cc * 10)) % 10}", int(gpu["count"])


def refused(case, rc, err):
    check(rc == 2, f"{case}: export failed with exit code {rc} (2 expected for a refusal): {err}")
    print(f"refused {case}: {err.splitlines()[-1][:160]}")


# ---- axolotl ------------------------------------------------------------------


class _DeviceProps:
    def __init__(self, sm):
        self.major, self.minor = int(sm[3:-1]), int(sm[-1])


def axolotl_load(path, bf16, sm, count):
    """axolotl's own load_cfg, seeing the recommended GPU."""
    import axolotl.cli.config as ac
    import axolotl.utils.config as uc
    import axolotl.utils.trainer as ut
    os.environ["WORLD_SIZE"] = str(count)
    saved = (ac.is_torch_bf16_gpu_available, ac.torch.cuda.get_device_properties, uc.is_torch_bf16_gpu_available,
             ut.is_torch_bf16_gpu_available)
    ac.is_torch_bf16_gpu_available = uc.is_torch_bf16_gpu_available = lambda: bf16
    ut.is_torch_bf16_gpu_available = lambda: bf16
    ac.torch.cuda.get_device_properties = lambda *_: _DeviceProps(sm)
    try:
        return ac.load_cfg(path)
    finally:
        (ac.is_torch_bf16_gpu_available, ac.torch.cuda.get_device_properties, uc.is_torch_bf16_gpu_available,
         ut.is_torch_bf16_gpu_available) = saved
        os.environ.pop("WORLD_SIZE", None)


AXOLOTL_KEPT = ("adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "lora_target_linear",
                "lora_modules_to_save", "load_in_4bit", "rl", "rl_beta", "orpo_alpha", "reward_model", "num_labels",
                "sequence_len", "micro_batch_size", "eval_batch_size", "gradient_accumulation_steps", "num_epochs",
                "learning_rate", "lr_scheduler", "warmup_ratio", "weight_decay", "optimizer", "bf16", "fp16",
                "bfloat16", "gradient_checkpointing", "val_set_size", "seed")


def check_axolotl(cli, case, request, root):
    rc, y, response = export(cli, case, request, "axolotl")
    if rc != 0:
        return refused(case, rc, y)
    y["base_model"] = model_dir(root, y["base_model"])
    path = os.path.join(root, case + ".yaml")
    with open(path, "w") as f:
        yaml.safe_dump(y, f)
    bf16, sm, count = gpu_capabilities(response)
    try:
        cfg = axolotl_load(path, bf16, sm, count)
    except Exception as exc:
        failures.append(f"{case}: axolotl load_cfg raised {type(exc).__name__}: {str(exc)[:600]}")
        return
    for key in AXOLOTL_KEPT:
        if key not in y:
            continue
        got = cfg.get(key)
        got = getattr(got, "value", got)
        check(got == y[key], f"{case}: axolotl read {key} as {got!r}, the export says {y[key]!r}")
    check(cfg.get("datasets") and cfg["datasets"][0]["type"] == y["datasets"][0]["type"],
          f"{case}: axolotl changed the dataset type")
    print(f"validated {case} (axolotl, {sm}, bf16 {bf16}, {count} GPU)")


# ---- LLaMA-Factory ----------------------------------------------------------------


def llamafactory_dataset(case, y, root):
    """LLaMA-Factory's own registry reader on what the YAML asks for; returns the dataset_dir to parse with."""
    from llamafactory.data.parser import get_dataset_list
    info = y.pop("_dataset_info")
    check(y["dataset_dir"] in ("ONLINE", "data"), f"{case}: dataset_dir {y['dataset_dir']!r} is neither ONLINE nor data")
    check((info is None) == (y["dataset_dir"] == "ONLINE"), f"{case}: dataset_dir data without a dataset_info.json")
    dataset_dir = y["dataset_dir"]
    if info is not None:
        dataset_dir = os.path.join(root, case + "-data")
        os.makedirs(dataset_dir, exist_ok=True)
        with open(os.path.join(dataset_dir, "dataset_info.json"), "w") as f:
            json.dump(info, f)
    attrs = get_dataset_list([y["dataset"]], dataset_dir)
    # LLaMA-Factory's loader (data/loader.py) refuses a dataset whose ranking does not match the stage; DPO
    # loads with stage "rm".
    stage = "rm" if y["stage"] in ("dpo", "rm") else y["stage"]
    check(attrs[0].ranking == (stage == "rm"), f"{case}: dataset ranking {attrs[0].ranking} for stage {y['stage']}")
    return dataset_dir, attrs[0]


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def llamafactory_parse(args, bf16, count):
    """LLaMA-Factory's own get_train_args, seeing the recommended GPU; several GPUs as one torchrun rank."""
    import llamafactory.hparams.parser as lp
    import transformers.training_args as ta
    env = {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "LOCAL_WORLD_SIZE": "1",
           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())} if count > 1 else {}
    saved = (lp.is_torch_bf16_gpu_available, ta.is_torch_bf16_gpu_available)
    lp.is_torch_bf16_gpu_available = ta.is_torch_bf16_gpu_available = lambda *a, **k: bf16
    os.environ.update(env)
    try:
        return lp.get_train_args(args)
    finally:
        lp.is_torch_bf16_gpu_available, ta.is_torch_bf16_gpu_available = saved
        for key in env:
            os.environ.pop(key, None)


LLAMAFACTORY_KEPT = {"model": ("model_name_or_path", "quantization_bit", "quantization_method", "quantization_type",
                               "double_quantization", "disable_gradient_checkpointing"),
                     "data": ("dataset", "template", "cutoff_len", "val_size"),
                     "training": ("per_device_train_batch_size", "per_device_eval_batch_size",
                                  "gradient_accumulation_steps", "learning_rate", "num_train_epochs",
                                  "lr_scheduler_type", "warmup_ratio", "weight_decay", "optim", "bf16", "fp16",
                                  "seed", "eval_strategy", "save_strategy", "save_total_limit", "logging_steps"),
                     "finetuning": ("stage", "finetuning_type", "lora_rank", "lora_alpha", "lora_dropout",
                                    "lora_target", "additional_target", "pref_beta", "pref_loss", "pure_bf16")}


def check_llamafactory(cli, case, request, root):
    from llamafactory.data.template import TEMPLATES
    rc, y, response = export(cli, case, request, "llamafactory")
    if rc != 0:
        return refused(case, rc, y)
    check(y["template"] in TEMPLATES, f"{case}: LLaMA-Factory has no template {y['template']!r}")
    bf16, sm, count = gpu_capabilities(response)
    try:
        dataset_dir, attr = llamafactory_dataset(case, y, root)
        args = {**y, "dataset_dir": dataset_dir, "output_dir": os.path.join(root, case + "-out")}
        model_args, data_args, training_args, finetuning_args, _ = llamafactory_parse(args, bf16, count)
    except Exception as exc:
        failures.append(f"{case}: LLaMA-Factory raised {type(exc).__name__}: {str(exc)[:600]}")
        return
    parsed = {"model": model_args, "data": data_args, "training": training_args, "finetuning": finetuning_args}
    for group, keys in LLAMAFACTORY_KEPT.items():
        for key in keys:
            if key not in y:
                continue
            got = getattr(parsed[group], key)
            got = getattr(got, "value", got)
            want = y[key]
            if isinstance(got, list) and isinstance(want, str):
                want = [v.strip() for v in want.split(",")]  # lora_target, additional_target, dataset
            check(got == want, f"{case}: LLaMA-Factory read {key} as {got!r}, the export says {y[key]!r}")
    mode = training_args.parallel_mode.value
    check((mode == "distributed") == (count > 1), f"{case}: LLaMA-Factory parsed as {mode} for {count} GPU")
    print(f"validated {case} (LLaMA-Factory, {sm}, bf16 {bf16}, {count} GPU, {mode}, dataset {attr.load_from}"
          f" {attr.formatting}{' ranking' if attr.ranking else ''}, template {y['template']})")


def canary(cli, tool, run, root):
    """The check itself must fail on a config the tool rejects."""
    global failures
    kept, failures = failures, []
    case, key, value = CANARY[tool]
    run(cli, case, matrix_with(case, key, value), root)
    caught, failures = failures, kept
    check(len(caught) == 1 and (key in caught[0] or value in caught[0]),
          f"canary: {case} with {key}: {value!r} was not rejected by the tool for {key}: {caught}")
    print(f"canary {case} with {key}: {value!r} rejected: {caught[0][:200] if caught else None}")


def matrix_with(case, key, value):
    return {**VALIDATE[case], "_override": {key: value}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--tool", required=True, choices=("axolotl", "llamafactory"))
    ap.add_argument("--only", help="comma-separated case names")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    import importlib.metadata as md
    versions = {m: md.version(m) for m in (args.tool, "transformers", "peft", "trl", "accelerate", "datasets",
                                           "pydantic", "torch")}
    print("versions:", json.dumps(versions))
    global ROOT
    root = ROOT = tempfile.mkdtemp(prefix=f"ftconfig-{args.tool}-")
    matrix = {**VALIDATE, **EXTRA}
    cases = [c for c in matrix if not only or c in only]
    run = check_axolotl if args.tool == "axolotl" else check_llamafactory
    if not only:
        canary(args.cli, args.tool, run, root)  # first: a DeepSpeed case leaves transformers' global ZeRO-3 flag set
    known = []
    for case in cases:
        before = len(failures)
        run(args.cli, case, matrix[case], root)
        expect = KNOWN.get((args.tool, case))
        if expect is not None:
            got = failures[before:]
            del failures[before:]
            if check(len(got) == 1 and expect in got[0], f"{case}: known finding {expect!r} expected, got {got}"):
                known.append(case)
                print(f"KNOWN {got[0][:300]}")
    for f in failures:
        print("FAIL", f)
    print(f"{len(cases)} cases, {len(cases) - len(failures) - len(known)} passed, {len(known)} known findings, "
          f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
