#!/usr/bin/env bash
# Telemetry throughput on loopback. Not a test: it prints the numbers and the
# machine they were taken on, for the "Telemetry" section of docs/performance.md.
#   ingest: events per second into the store (telemetry import; telemetry record)
#   upload: events per second from the outbox to a collector on 127.0.0.1
# Wall-clock rates move with the machine's load; the CPU seconds next to them
# (user + system of the ftconfig processes) do not.
# Usage: scripts/bench-telemetry.sh [EVENTS (default 50000)] [BATCH (default 500)]
# FTCONFIG=path/to/ftconfig overrides the binary (default build/bin/ftconfig).
set -euo pipefail
cd "$(dirname "$0")/.."
CLI="${FTCONFIG:-build/bin/ftconfig}"
[[ -x "$CLI" ]] || bash scripts/build.sh
exec python3 - "$CLI" "${1:-50000}" "${2:-500}" <<'PY'
import json, os, resource, shutil, signal, sqlite3, subprocess, sys, tempfile, time, urllib.request, uuid

cli, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
work = tempfile.mkdtemp(prefix="ftconfig-bench-telemetry-")
env = dict(os.environ, FTCONFIG_BENCH_TOKEN="bench-token-0123456789")


def events(count):
    """Events as the notebook and the browser write them (docs/telemetry.md)."""
    for i in range(count):
        e = {"schema_version": 1, "event_id": str(uuid.uuid4()), "timestamp": "2026-05-01T12:00:00.000000+00:00",
             "fingerprint": f"{i % 997:016x}", "source": "notebook"}
        if i % 3 == 0:
            e.update(event="run_start", run_id=str(uuid.uuid4()), engine_version="0.1.0",
                     recommendation={"model": "meta-llama/Llama-3.1-8B", "adapter_type": "qlora", "platform": "colab",
                                     "gpu": {"id": "t4", "count": 1, "vram_gb": 15.0},
                                     "hyperparameters": {"learning_rate": 0.0002, "lora_r": 16, "batch_size": 2},
                                     "predicted": {"per_gpu_gb": 11.67, "tokens_per_sec": 350.0}})
        elif i % 3 == 1:
            e.update(event="run_complete", run_id=str(uuid.uuid4()), engine_version="0.1.0", outcome="success",
                     wall_time_s=8431.7, train_time_s=8349.1, peak_memory_allocated_bytes=10893877248,
                     peak_memory_reserved_bytes=11953766400, peak_memory_allocated_gb=10.894,
                     peak_memory_reserved_gb=11.954, predicted_per_gpu_gb=11.67, tokens_seen=2851200,
                     tokens_per_sec=341.5, tokens_per_sec_method="input_tokens_seen", global_step=1188,
                     final_loss=1.18, train_loss=1.32, eval_loss=1.21, error=None)
        else:
            e.update(event="feedback", source="browser", rating=1 + i % 5, outcome="success", notes="fits, fast enough")
        yield json.dumps(e, sort_keys=True)


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(argv):
    c0, t0 = child_cpu(), time.monotonic()
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(argv)}: exit {r.returncode}: {r.stdout}{r.stderr}")
    return time.monotonic() - t0, child_cpu() - c0, r.stdout


collector = None
try:
    path = os.path.join(work, "events.jsonl")
    with open(path, "w") as f:
        for line in events(n):
            f.write(line + "\n")
    size = os.path.getsize(path)
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, {cpu}, load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d')}")
    print(f"events: {n} ({size // n} bytes each on average), upload batch: {batch}")

    local = os.path.join(work, "local.db")
    wall, cpu_s, out = timed([cli, "telemetry", "import", path, "--store", local])
    assert json.loads(out)["stored"] == n
    print(f"ingest, telemetry import: {n / wall:,.0f} events/s wall ({wall:.2f} s), {n / cpu_s:,.0f} events per CPU-second")

    records = 200
    rec_store = os.path.join(work, "record.db")
    c0, t0 = child_cpu(), time.monotonic()
    for _ in range(records):
        subprocess.run([cli, "telemetry", "record", "feedback", "--rating", "4", "--fingerprint", "1baf7fcff69ec0d4",
                        "--store", rec_store], env=env, check=True, stdout=subprocess.DEVNULL)
    wall, cpu_s = time.monotonic() - t0, child_cpu() - c0
    print(f"ingest, telemetry record (one process per event, synced): {records / wall:,.0f} events/s wall, "
          f"{1000 * wall / records:.1f} ms each ({1000 * cpu_s / records:.1f} ms CPU)")

    for sync in ("full", "normal"):
        store = os.path.join(work, f"collector-{sync}.db")
        up_store = os.path.join(work, f"upload-{sync}.db")
        shutil.copy(local, up_store)
        collector = subprocess.Popen(
            [cli, "collect", "--listen", "127.0.0.1:0", "--store", store, "--token-env", "FTCONFIG_BENCH_TOKEN",
             "--rate-limit", "0", "--sync", sync], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        port = int(json.loads(collector.stdout.readline())["listening"].rsplit(":", 1)[1])
        col0 = proc_cpu(collector.pid)
        wall, cpu_s, out = timed([cli, "telemetry", "upload", "--to", f"http://127.0.0.1:{port}", "--token-env",
                                  "FTCONFIG_BENCH_TOKEN", "--store", up_store, "--batch", str(batch), "--quiet"])
        col_cpu = proc_cpu(collector.pid) - col0
        r = json.loads(out)
        stored = sqlite3.connect(store).execute("SELECT COUNT(*) FROM events").fetchone()[0]
        assert r["sent"] == n and r["remaining"] == 0 and stored == n, (r, stored)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        m = {k: float(v) for k, v in (l.rsplit(" ", 1) for l in metrics.splitlines()
                                      if l.startswith("ftconfig_collect_request_duration_seconds_s")
                                      or l.startswith("ftconfig_collect_request_duration_seconds_c"))}
        latency = 1000 * m["ftconfig_collect_request_duration_seconds_sum"] / m["ftconfig_collect_request_duration_seconds_count"]
        print(f"upload, collector --sync {sync}: {n / wall:,.0f} events/s wall ({wall:.2f} s, {r['requests']} requests, "
              f"{latency:.1f} ms mean ingest latency); CPU: uploader {cpu_s:.2f} s, collector {col_cpu:.2f} s "
              f"= {n / (cpu_s + col_cpu):,.0f} events per CPU-second")
        collector.send_signal(signal.SIGTERM)
        collector.wait(timeout=10)
        collector = None
finally:
    if collector is not None:
        collector.kill()
        collector.wait()
    shutil.rmtree(work, ignore_errors=True)
PY
