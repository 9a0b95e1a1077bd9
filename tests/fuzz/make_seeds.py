#!/usr/bin/env python3
"""Seed corpora for the fuzz harnesses from the repository's own data and
fixtures (docs/reliability.md). Writes OUT/<harness>/<n> files; small inputs
only (at most 64 KiB each), so mutations stay fast."""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
MAX = 64 * 1024


def lines(path, n):
    out = []
    for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(line)
        if len(out) >= n:
            break
    return out


def files(pattern):
    return [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob(pattern))]


def telemetry_events():
    """Valid events of docs/telemetry.md (the shapes tests/engine/telemetry_test.cpp sends)."""
    base = {"schema_version": 1, "event_id": "00000000-0000-4000-8000-000000000001",
            "timestamp": "2026-05-01T12:00:00.123456+00:00", "fingerprint": "1baf7fcff69ec0d4", "source": "notebook"}
    run = {"run_id": "00000000-0000-4000-8000-000000000009", "engine_version": "0.1.0"}
    return [
        dict(base, event="run_start", **run, recommendation={"model": "meta-llama/Llama-3.1-8B", "adapter_type": "qlora",
             "hyperparameters": {"learning_rate": 2e-4, "batch_size_per_device": 4}, "gpu": {"id": "a10g", "count": 1}}),
        dict(base, event="run_complete", **run, outcome="success", wall_time_s=12.5,
             peak_memory_allocated_bytes=8000000000, error=None),
        dict(base, event="feedback", rating=4, source="browser"),
        dict(base, event="interaction", action="used", recommendation_event_id="00000000-0000-4000-8000-000000000002"),
        dict(base, event="recommendation", request={"model": "Qwen/Qwen2.5-7B"},
             response={"strategy": {"used": "source_vote"}, "confidence": {"score": 0.7},
                       "vram": {"per_gpu_gb": 14.1, "usable_gb": 22.0},
                       "request": {"task_type": "sft", "adapter_type": "qlora", "model_params_b": 7}}),
    ]


def seeds():
    golden = lines("data/golden/requests.jsonl", 40)
    requests = []
    for g in golden:
        try:
            j = json.loads(g)
            requests.append(json.dumps(j.get("request", j)))
        except json.JSONDecodeError:
            pass
    events = [json.dumps(e) for e in telemetry_events()]
    return {
        "request": requests + ['{"model":"Llama-3.1-8B","platform":"colab","task_type":"sft"}'],
        "estimate": ['{"model_name":"meta-llama/Llama-3.1-8B","method":"qlora","gpu":"a10g","id":"x"}',
                     '{"hidden_size":4096,"num_layers":32,"num_attention_heads":32,"vocab_size":128256,'
                     '"method":"lora","batch_size":4,"seq_len":2048}',
                     '{"params_b":0.135,"tie_word_embeddings":true,"method":"full"}'],
        "corpus_row": lines("data/corpus/configs.jsonl", 60) + sum((lines(str(p.relative_to(ROOT)), 20)
                      for p in sorted((ROOT / "tests/fixtures/corpus").glob("*.jsonl"))), []),
        "corpus_snapshot": [],
        "reranker": files("tests/fixtures/models/reranker-*.json") + files("models/reranker.json"),
        "predictor": files("tests/fixtures/models/hp-predictor-*.json") + files("models/hp_predictor.json"),
        "calibration": files("models/versions/*/calibration.json") +
                       ['{"format_version":1,"memory":{"scale":1.05},"throughput":{"scale":0.9}}'],
        "registry": files("models/registry.json") + files("tests/fixtures/registry-v1/registry.json"),
        "telemetry_event": events,
        "evidence": ['{"task_type":"sft","adapter_type":"qlora","model_size_bucket":"medium","strategies":'
                     '{"source_vote":{"recommendations":3,"feedback":2,"success":1,"mean_confidence":0.7}}}',
                     "[" + ",".join(events) + "]"],
        "collector_body": [json.dumps({"events": telemetry_events()}), "\n".join(events), events[0]],
    }


def main():
    out = pathlib.Path(sys.argv[1])
    for harness, items in seeds().items():
        d = out / harness
        d.mkdir(parents=True, exist_ok=True)
        for i, text in enumerate(items):
            data = text.encode("utf-8")
            if len(data) <= MAX:
                (d / f"seed{i:03d}").write_bytes(data)


if __name__ == "__main__":
    main()
