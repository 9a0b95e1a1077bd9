#!/usr/bin/env python3
"""Closed-loop simulation of ftconfig's learning loop (docs/retraining.md, "Simulation").

A hidden world runs the configurations the real CLI recommends:

- the true reserved peak of a run is the project's own (uncalibrated) estimate of the served configuration
  (`ftconfig retrain reestimate`) x a hidden factor per model family x uniform noise of +-3%; a run whose true peak
  exceeds the GPU's usable memory ends in OOM, and then reports the usable memory as its peak (a lower bound);
- the true throughput is the uncalibrated estimate x a hidden factor per GPU architecture x +-5% noise;
- each task has a hidden optimum learning rate: a run "succeeds" when it did not OOM and its learning rate is within
  a factor 3 of the optimum; the user's feedback rating follows from that.

Each round, `--users` simulated users draw one of a fixed population of setups, ask `ftconfig recommend` (the
production slot of a scratch copy of the registry), run the answer in the hidden world and report run_start,
run_complete and feedback events with `ftconfig telemetry import`; then `ftconfig retrain check`, and when it fires
`ftconfig retrain run`, whose candidate is promoted (staging -> canary -> production) only when its gates passed.
A poisoning round (`--poison-round N`) sends only forged events instead of users.

Prints one line per round (OOM rate of served configs, memory error median / worst per family, success, what
production became) and, with --json FILE, writes every number. --assert checks the CI conditions (docs/retraining.md).

    python3 scripts/simulate-loop.py --rounds 5 --users 200 [--seed 1] [--cli build/bin/ftconfig] [--work DIR]
"""
import argparse
import datetime
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---- the hidden world ---------------------------------------------------------------------------------------------
FAMILY_MEMORY_FACTOR = {"gemma": 1.28, "llama": 1.10, "mistral": 1.16, "qwen": 0.80, "phi": 1.04}
ARCH_THROUGHPUT_FACTOR = {"Turing": 0.70, "Ampere": 0.90, "Ada Lovelace": 1.05, "Hopper": 0.80}
TASK_OPTIMUM_LR = {"instruction_following": 2e-4, "chat": 1e-4, "code": 1.5e-4, "summarization": 3e-4,
                   "preference_dpo": 5e-6}
MEMORY_NOISE = 0.03
THROUGHPUT_NOISE = 0.05

MODELS = {
    "gemma": ["google/gemma-2-2b", "google/gemma-7b", "google/gemma-2-9b"],
    "llama": ["meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-3B", "meta-llama/Llama-3.1-8B"],
    "mistral": ["mistralai/Mistral-7B-v0.3"],
    "qwen": ["Qwen/Qwen2.5-1.5B", "Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-14B"],
    "phi": ["microsoft/Phi-3-mini-4k-instruct"],
}
PLANS = [("colab", "free"), ("colab", "pro-l4"), ("colab", "pro-a100"), ("runpod", "rtx-4090"),
         ("aws", "g5.xlarge"), ("runpod", "a100-80gb-sxm")]
SEQ = [512, 1024, 2048]


def population(rng, n=48):
    """The setups users draw from: model, plan, task, adapter, sequence length."""
    setups = []
    families = sorted(MODELS)
    for i in range(n):
        fam = families[i % len(families)]
        platform, plan = rng.choice(PLANS)
        setups.append({"model": rng.choice(MODELS[fam]), "family": fam, "platform": platform, "plan": plan,
                       "task_type": rng.choice(sorted(TASK_OPTIMUM_LR)), "adapter_type": rng.choice(["lora", "qlora"]),
                       "max_seq_length": rng.choice(SEQ), "dataset_size": rng.choice([2000, 10000, 50000])})
    return setups


# ---- the CLI ------------------------------------------------------------------------------------------------------
class Cli:
    def __init__(self, exe, models_dir, store, log):
        self.exe, self.models_dir, self.store, self.log = exe, models_dir, store, log
        self.calls = 0

    def run(self, args, stdin=None, ok=(0,)):
        env = dict(os.environ, FTCONFIG_MODELS_DIR=self.models_dir, FTCONFIG_TELEMETRY_STORE=self.store)
        env.pop("FTCONFIG_MODEL_SLOT", None)
        env.pop("GITHUB_STEP_SUMMARY", None)
        self.calls += 1
        p = subprocess.run([self.exe] + args, input=stdin, capture_output=True, text=True, env=env)
        if p.returncode not in ok:
            raise SystemExit(f"simulate-loop: ftconfig {' '.join(args[:3])} exited {p.returncode}: {p.stderr[-2000:]}")
        self.log.write(f"$ ftconfig {' '.join(args)} -> {p.returncode}\n{p.stderr[-3000:]}\n")
        return p


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fingerprint(rng):
    return "%016x" % rng.getrandbits(64)


def registry(models_dir):
    with open(os.path.join(models_dir, "registry.json")) as f:
        return json.load(f)


def production_of(models_dir):
    reg = registry(models_dir)
    return reg["aliases"]["production"]


# ---- one round ----------------------------------------------------------------------------------------------------
def recommend_all(cli, setups, cache_key, cache):
    """The served answer for each distinct setup (deterministic for a production version)."""
    out = []
    for s in setups:
        key = (cache_key, json.dumps(s, sort_keys=True))
        if key not in cache:
            req = {k: s[k] for k in ("model", "platform", "plan", "task_type", "adapter_type", "max_seq_length",
                                     "dataset_size")}
            p = cli.run(["recommend", "-"], stdin=json.dumps(req))
            cache[key] = json.loads(p.stdout)
        out.append(cache[key])
    return out


def run_start_event(rng, s, resp, now):
    gpu = resp["gpu"]
    rec = {"model": resp["request"]["model"], "model_params_b": resp["request"].get("model_params_b"),
           "task_type": resp["request"]["task_type"], "adapter_type": resp["hyperparameters"].get("adapter_type"),
           "platform": s["platform"], "plan": s["plan"],
           "gpu": {"id": gpu.get("id"), "name": gpu.get("name"), "count": gpu.get("count", 1),
                   "usable_gb": gpu.get("usable_gb")},
           "hyperparameters": resp["hyperparameters"],
           "predicted": {"per_gpu_gb": resp["vram"]["per_gpu_gb"]}}
    return {"schema_version": 1, "event": "run_start", "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "run_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "timestamp": iso(now),
            "engine_version": resp.get("engine_version", "0.1.0"), "fingerprint": fingerprint(rng),
            "source": "notebook", "recommendation": rec,
            "model_slot": resp.get("model_slot"), "model_version": resp.get("model_version")}


def outcome_of(rng, start, est, now):
    """The hidden world's run: (run_complete event, feedback event, facts)."""
    fam = est["family"]
    arch = start["_arch"]
    factor = FAMILY_MEMORY_FACTOR.get(fam, 1.0)
    true_gb = est["uncalibrated"]["reserved_gb"] * factor * (1 + rng.uniform(-MEMORY_NOISE, MEMORY_NOISE))
    usable = est["gpu_usable_gb"] or start["recommendation"]["gpu"]["usable_gb"]
    oom = true_gb > usable
    served_gb = est["calibrated"]["reserved_gb"]
    lr = start["recommendation"]["hyperparameters"].get("learning_rate") or 1e-4
    opt = TASK_OPTIMUM_LR[start["recommendation"]["task_type"]]
    lr_ok = abs(math.log10(lr / opt)) <= math.log10(3)
    tps = None
    if not oom and est["uncalibrated"]["tokens_per_sec"]:
        tps = est["uncalibrated"]["tokens_per_sec"] * ARCH_THROUGHPUT_FACTOR.get(arch, 1.0) * (
            1 + rng.uniform(-THROUGHPUT_NOISE, THROUGHPUT_NOISE))
    peak_bytes = int((usable if oom else true_gb) * 1e9)
    complete = {"schema_version": 1, "event": "run_complete", "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "run_id": start["run_id"], "timestamp": iso(now), "engine_version": start["engine_version"],
                "fingerprint": start["fingerprint"], "source": "notebook", "outcome": "oom" if oom else "success",
                "wall_time_s": 600.0, "train_time_s": None if oom else 540.0,
                "peak_memory_reserved_bytes": peak_bytes, "peak_memory_allocated_bytes": int(peak_bytes * 0.93),
                "predicted_per_gpu_gb": start["recommendation"]["predicted"]["per_gpu_gb"],
                "tokens_per_sec": round(tps, 2) if tps else None,
                "tokens_per_sec_method": "input_tokens_seen" if tps else None,
                "tokens_seen": int(tps * 540) if tps else None, "global_step": 0 if oom else 100,
                "model_slot": start.get("model_slot"), "model_version": start.get("model_version")}
    success = (not oom) and lr_ok
    rating = 1 if oom else (5 if success else 2)
    feedback = {"schema_version": 1, "event": "feedback", "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "timestamp": iso(now), "source": "notebook", "run_id": start["run_id"],
                "fingerprint": start["fingerprint"], "rating": rating,
                "outcome": "oom" if oom else ("success" if success else "failed"),
                "model_slot": start.get("model_slot"), "model_version": start.get("model_version")}
    facts = {"family": fam, "oom": oom, "success": success, "error": served_gb / true_gb - 1,
             "tps_error": (est["calibrated"]["tokens_per_sec"] / tps - 1) if tps and est["calibrated"]["tokens_per_sec"] else None}
    return complete, feedback, facts


def strip_private(e):
    return {k: v for k, v in e.items() if not k.startswith("_")}


def import_events(cli, events, work, name):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        for e in events:
            f.write(json.dumps(strip_private(e), sort_keys=True) + "\n")
    p = cli.run(["telemetry", "import", "--no-queue", "--store", cli.store, path], ok=(0, 2))
    return json.loads(p.stdout)


def gpu_archs(cli_exe):
    with open(os.path.join(ROOT, "data", "catalog", "gpus.json")) as f:
        d = json.load(f)
    gl = d["gpus"] if isinstance(d, dict) else d
    return {g["id"]: g.get("architecture") for g in gl}


def promote(cli, version, rnd, facts):
    for to in ("staging", "canary", "production"):
        p = cli.run(["promote", version, "--to", to, "--reason", f"simulation round {rnd}"], ok=(0, 1))
        if p.returncode != 0:
            facts["promote_refused"] = p.stdout.strip()[-300:]
            return False
    return True


def retrain(cli, args, rnd):
    """retrain check; when it fires, retrain run (models + calibration) and/or retrain calibrate (the calibration
    alone), promoting (staging -> canary -> production) only what passed its gates."""
    check = cli.run(["retrain", "check", "--store", cli.store, "--min-new-runs", "50"], ok=(0, 10))
    report = json.loads(check.stdout)
    facts = {"triggered": check.returncode == 10, "reasons": report.get("reasons", []), "candidate": None,
             "gates_passed": None, "promoted": False, "failed_gates": [], "candidates": []}
    if check.returncode != 10:
        return facts
    steps = []
    if args.retrain in ("full", "both"):
        steps.append(["retrain", "run", "--store", cli.store, "--quiet", "--reason", f"simulation round {rnd}"]
                     + (["--no-held-out"] if args.no_held_out else []))
    if args.retrain in ("calibrate", "both"):
        steps.append(["retrain", "calibrate", "--store", cli.store, "--reason", f"simulation round {rnd}"])
    for step in steps:
        run = cli.run(step, ok=(0, 1))
        out = json.loads(run.stdout)
        cand = {"command": step[1], "version": out.get("version"), "gates_passed": out.get("gates_passed"),
                "failed_gates": [g["name"] for g in out.get("gates", []) if not g["passed"]]}
        facts["candidates"].append(cand)
        facts.update(candidate=cand["version"], gates_passed=cand["gates_passed"], failed_gates=cand["failed_gates"])
        if run.returncode == 0 and cand["version"]:
            cand["promoted"] = promote(cli, cand["version"], rnd, facts)
            if cand["promoted"]:
                facts["promoted"] = True
                facts["promoted_version"] = cand["version"]
                break
    return facts


def poison_events(rng, now, archs_ok_start):
    """Forged events: 800 tiny peaks, absurd peaks and throughput, future timestamps, a second completion."""
    events = []
    base = archs_ok_start
    for i in range(800):
        st = json.loads(json.dumps(base))
        st["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        st["run_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        st["timestamp"] = iso(now)
        events.append(st)
        c = {"schema_version": 1, "event": "run_complete", "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
             "run_id": st["run_id"], "timestamp": iso(now), "engine_version": st["engine_version"],
             "fingerprint": st["fingerprint"], "source": "notebook", "outcome": "success",
             "peak_memory_reserved_bytes": 1000000 if i % 4 else int(1e15),
             "tokens_per_sec": 1e300 if i % 7 == 0 else 100.0, "tokens_per_sec_method": "input_tokens_seen"}
        if i % 5 == 0:
            c["timestamp"] = "2099-01-01T00:00:00Z"
            c["outcome"] = "oom"
        events.append(c)
        if i % 9 == 0:  # the same run completed again under a new event id
            c2 = dict(c, event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), outcome="oom")
            events.append(c2)
    return events


def summarize(facts):
    by_fam = {}
    for f in facts:
        by_fam.setdefault(f["family"], []).append(f["error"])
    n = len(facts)
    return {
        "runs": n,
        "oom_rate": sum(f["oom"] for f in facts) / n if n else None,
        "success_rate": sum(f["success"] for f in facts) / n if n else None,
        "memory_error_median": statistics.median([f["error"] for f in facts]) if n else None,
        "memory_error_worst": min(f["error"] for f in facts) if n else None,
        "families": {fam: {"runs": len(v), "median": statistics.median(v), "worst": min(v), "max": max(v)}
                     for fam, v in sorted(by_fam.items())},
    }


def pct(v):
    return "n/a" if v is None else f"{v * 100:+.1f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "bin", "ftconfig"))
    ap.add_argument("--models", default=os.path.join(ROOT, "models"), help="registry folder to copy (never modified)")
    ap.add_argument("--work", help="scratch folder (default: a temporary one, removed)")
    ap.add_argument("--poison-round", type=int, action="append", default=[],
                    help="this round sends forged events only (repeatable)")
    ap.add_argument("--no-held-out", action="store_true", help="retrain run --no-held-out (faster, never promotable)")
    ap.add_argument("--retrain", choices=["full", "calibrate", "both"], default="both",
                    help="on a trigger: retrain run (models + calibration), retrain calibrate (the calibration alone), "
                         "or the first then, when it is not promoted, the second (default)")
    ap.add_argument("--json", help="write the per-round numbers here")
    ap.add_argument("--assert", dest="check", action="store_true", help="exit 1 unless the CI conditions hold")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = args.work or tempfile.mkdtemp(prefix="ftconfig-sim-")
    os.makedirs(work, exist_ok=True)
    models = os.path.join(work, "models")
    shutil.rmtree(models, ignore_errors=True)
    shutil.copytree(args.models, models)
    store = os.path.join(work, "telemetry.db")
    if os.path.exists(store):
        os.remove(store)
    log = open(os.path.join(work, "cli.log"), "w")
    cli = Cli(os.path.abspath(args.cli), models, store, log)
    archs = gpu_archs(args.cli)
    setups = population(rng)
    cache = {}
    rounds = []
    last_start = None
    for rnd in range(1, args.rounds + 1):
        prod_before = production_of(models)
        # A round's events are dated in the 2 s before it starts (never in the future), after the last training.
        time.sleep(3)
        now = datetime.datetime.now(datetime.timezone.utc).timestamp()
        if rnd in args.poison_round:
            events = poison_events(rng, now, last_start)
            imp = import_events(cli, events, work, f"round{rnd}-poison.jsonl")
            rt = retrain(cli, args, rnd)
            rounds.append({"round": rnd, "poison": True, "production_before": prod_before,
                           "production_after": production_of(models), "import": {k: imp.get(k) for k in
                           ("lines", "stored", "duplicates", "rejected", "quarantined")}, "retrain": rt})
            print(f"round {rnd} (poison): {len(events)} forged events, stored {imp.get('stored')}, "
                  f"quarantined {imp.get('quarantined', 0)}, rejected {imp.get('rejected')}; "
                  f"production {prod_before} -> {rounds[-1]['production_after']}", flush=True)
            continue
        users = [rng.choice(setups) for _ in range(args.users)]
        distinct = sorted({json.dumps(s, sort_keys=True) for s in users})
        answers = dict(zip(distinct, recommend_all(cli, [json.loads(d) for d in distinct], prod_before, cache)))
        starts, no_fit = [], 0
        for i, s in enumerate(users):
            resp = answers[json.dumps(s, sort_keys=True)]
            if not resp.get("fits"):
                no_fit += 1
                continue
            st = run_start_event(rng, s, resp, now - 2 + i * 0.001)
            # The CLI serves production; the notebook records what served it (canary health).
            st["model_slot"], st["model_version"] = "production", prod_before
            st["_arch"] = archs.get(resp["gpu"].get("id"), "")
            starts.append(st)
        p = cli.run(["retrain", "reestimate", "-"],
                    stdin="".join(json.dumps(strip_private(s)) + "\n" for s in starts))
        ests = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        completes, feedback, facts = [], [], []
        for i, (st, est) in enumerate(zip(starts, ests)):
            if "uncalibrated" not in est:
                continue
            c, fb, f = outcome_of(rng, st, est, now - 1 + i * 0.001)
            completes.append(c)
            feedback.append(fb)
            facts.append(f)
        last_start = strip_private(starts[0]) if starts else last_start
        imp = import_events(cli, starts + completes + feedback, work, f"round{rnd}.jsonl")
        summary = summarize(facts)
        rt = retrain(cli, args, rnd)
        prod_after = production_of(models)
        rounds.append({"round": rnd, "poison": False, "users": args.users, "no_fit": no_fit,
                       "production_before": prod_before, "production_after": prod_after,
                       "import": {k: imp.get(k) for k in ("lines", "stored", "rejected", "quarantined")},
                       **summary, "retrain": rt})
        fams = ", ".join(f"{k} {pct(v['median'])}/{pct(v['worst'])}" for k, v in summary["families"].items())
        verdict = "; ".join(
            f"{c['command']} {c['version']}: " + ("promoted" if c.get("promoted") else f"failed {c['failed_gates']}")
            for c in rt["candidates"]) or ("no candidate" if rt["triggered"] else "no trigger")
        print(f"round {rnd}: {summary['runs']} runs, OOM {pct(summary['oom_rate'])}, success "
              f"{pct(summary['success_rate'])}, memory error median {pct(summary['memory_error_median'])} worst "
              f"{pct(summary['memory_error_worst'])} [{fams}]; trigger {rt['reasons']}; {verdict}; production "
              f"{prod_after}", flush=True)
    result = {"seed": args.seed, "users": args.users, "world": {"family_memory_factor": FAMILY_MEMORY_FACTOR,
              "arch_throughput_factor": ARCH_THROUGHPUT_FACTOR, "task_optimum_lr": TASK_OPTIMUM_LR},
              "rounds": rounds, "cli_calls": cli.calls, "work": work}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    log.close()
    failures = check(rounds) if args.check else []
    for msg in failures:
        print("simulate-loop: FAILED: " + msg, file=sys.stderr)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


def check(rounds):
    """The CI conditions: error and OOM rate fall, no gate-failed candidate promoted, poison changes nothing."""
    msgs = []
    honest = [r for r in rounds if not r["poison"]]
    if len(honest) >= 2:
        a, b = honest[0], honest[-1]
        if not b["oom_rate"] < a["oom_rate"] and not (a["oom_rate"] == 0 and b["oom_rate"] == 0):
            msgs.append(f"OOM rate did not fall: {a['oom_rate']:.3f} -> {b['oom_rate']:.3f}")
        if not abs(b["memory_error_median"]) < abs(a["memory_error_median"]):
            msgs.append(f"median memory error did not fall: {a['memory_error_median']:.3f} -> {b['memory_error_median']:.3f}")
    for r in rounds:
        for c in r["retrain"]["candidates"]:
            if c.get("promoted") and not c["gates_passed"]:
                msgs.append(f"round {r['round']}: gate-failed candidate {c['version']} was promoted")
        if r["poison"] and r["production_after"] != r["production_before"]:
            msgs.append(f"round {r['round']} (poison): production changed to {r['production_after']}")
    return msgs


if __name__ == "__main__":
    sys.exit(main())
