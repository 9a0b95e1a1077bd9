#!/usr/bin/env python3
"""Telemetry upload soak test (loopback only, python3 stdlib).

10,000 events are imported into a local store and uploaded to a collector on
127.0.0.1 while the collector is killed (SIGKILL) and restarted twice and the
uploader is killed once in the middle of a batch (the receiver has stored the
batch, the uploader has not yet heard so) and restarted. Afterwards the
collector must hold exactly the 10,000 generated event ids, once each, and the
local outbox must be empty.

Every wait is bounded; the whole run stops by itself after --deadline seconds.
Usage: upload_soak.py --cli PATH/TO/ftconfig [--events N] [--deadline S]
"""
import argparse
import json
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

TOKEN = "soak-token-0123456789"


class Soak:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.env = dict(os.environ, SOAK_TOKEN=TOKEN)
        self.local = os.path.join(work, "local.db")
        self.remote = os.path.join(work, "collector.db")
        self.log = open(os.path.join(work, "soak.log"), "w")
        self.collector = None
        self.uploader = None
        self.port = 0
        self.started = time.monotonic()
        self.duplicates_seen = 0  # from each collector instance's /metrics, read before it is killed

    def left(self):
        return self.args.deadline - (time.monotonic() - self.started)

    def check_time(self, what):
        if self.left() <= 0:
            raise RuntimeError(f"deadline of {self.args.deadline} s passed while {what}")

    def cli(self, *argv, check=True):
        r = subprocess.run([self.args.cli, *argv], env=self.env, capture_output=True, text=True,
                           timeout=max(1, self.left()))
        if check and r.returncode != 0:
            raise RuntimeError(f"ftconfig {' '.join(argv)} exited {r.returncode}: {r.stdout}{r.stderr}")
        return r

    # --- collector -----------------------------------------------------------------
    def start_collector(self):
        for attempt in range(50):  # the port of a killed collector can take a moment to free up
            self.check_time("starting the collector")
            p = subprocess.Popen(
                [self.args.cli, "collect", "--listen", f"127.0.0.1:{self.port}", "--store", self.remote,
                 "--token-env", "SOAK_TOKEN", "--rate-limit", "0", "--respond-delay-ms", str(self.args.delay_ms)],
                env=self.env, stdout=subprocess.PIPE, stderr=self.log, text=True)
            sel = selectors.DefaultSelector()
            sel.register(p.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=min(10, max(0.1, self.left())))
            sel.close()
            line = p.stdout.readline() if ready else ""
            if line:
                self.port = int(json.loads(line)["listening"].rsplit(":", 1)[1])
                self.collector = p
                return
            p.kill()
            p.wait(timeout=10)
            time.sleep(0.1)
        raise RuntimeError("the collector did not start")

    def scrape_duplicates(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                for line in r.read().decode().splitlines():
                    if line.startswith("ftconfig_collect_events_duplicate_total "):
                        return int(float(line.split()[1]))
        except OSError:
            pass
        return 0

    def kill_collector(self):
        self.duplicates_seen += self.scrape_duplicates()
        self.collector.send_signal(signal.SIGKILL)
        self.collector.wait(timeout=10)
        self.collector = None

    # --- uploader ------------------------------------------------------------------
    def start_uploader(self):
        self.uploader = subprocess.Popen(
            [self.args.cli, "telemetry", "upload", "--to", f"http://127.0.0.1:{self.port}", "--token-env",
             "SOAK_TOKEN", "--store", self.local, "--batch", str(self.args.batch), "--max-retries", "100",
             "--retry-base-ms", "20", "--retry-max-ms", "300", "--timeout-s", "5"],
            env=self.env, stdout=subprocess.PIPE, stderr=self.log, text=True)

    # --- store probes (read-only, concurrent with the writers: WAL) ----------------
    @staticmethod
    def query(db, sql):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql).fetchone()
        finally:
            con.close()

    def remote_count(self):
        if not os.path.exists(self.remote):
            return 0
        return self.query(self.remote, "SELECT COUNT(*) FROM events")[0]

    def local_pending(self):
        return self.query(self.local, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0]

    def cleanup(self):
        for p in (self.uploader, self.collector):
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=5)
        self.log.close()


def make_events(n):
    """n valid events of docs/telemetry.md: notebook runs and browser feedback."""
    events = []
    for i in range(n):
        base = {"schema_version": 1, "event_id": str(uuid.uuid4()), "timestamp": "2026-05-01T12:00:00.000000+00:00",
                "fingerprint": f"{i % 97:016x}", "source": "notebook"}
        kind = i % 3
        if kind == 0:
            base.update(event="run_start", run_id=str(uuid.uuid4()), engine_version="0.1.0",
                        recommendation={"model": "llama2-7b", "adapter_type": "qlora"})
        elif kind == 1:
            base.update(event="run_complete", run_id=str(uuid.uuid4()), engine_version="0.1.0",
                        outcome=["success", "oom", "error"][i % 5 % 3], wall_time_s=100.0 + i,
                        peak_memory_allocated_bytes=10_000_000_000 + i, peak_memory_reserved_bytes=11_000_000_000 + i,
                        tokens_per_sec=1500.5, final_loss=1.25, error=None)
        else:
            base.update(event="feedback", source="browser", rating=1 + i % 5, notes=f"soak event {i}")
        events.append(base)
    return events


def run(args, work):
    s = Soak(args, work)
    try:
        events = make_events(args.events)
        ids = {e["event_id"] for e in events}
        path = os.path.join(work, "events.jsonl")
        with open(path, "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        r = json.loads(s.cli("telemetry", "import", path, "--store", s.local).stdout)
        assert r["stored"] == args.events and r["rejected"] == 0, r

        s.start_collector()
        s.start_uploader()
        n = args.events
        plan = [("kill collector", int(n * 0.2)), ("kill uploader mid-batch", int(n * 0.5)),
                ("kill collector", int(n * 0.75))]
        collector_restarts = uploader_kills = 0
        overlap_at_kill = 0
        for what, at in plan:
            while True:
                s.check_time(f"waiting to {what} at {at} events")
                if s.uploader.poll() is not None:
                    raise RuntimeError(f"the uploader exited {s.uploader.returncode} before '{what}'")
                count = s.remote_count()
                if what == "kill collector" and count >= at:
                    s.kill_collector()
                    time.sleep(0.3)  # a receiver that is gone for a while: the uploader backs off
                    s.start_collector()
                    collector_restarts += 1
                    break
                if what == "kill uploader mid-batch" and count >= at:
                    # Stored by the receiver but still queued locally: the batch is in flight.
                    pending = s.local_pending()
                    if count + pending > n:
                        s.uploader.send_signal(signal.SIGKILL)
                        s.uploader.wait(timeout=10)
                        overlap_at_kill = s.remote_count() + s.local_pending() - n
                        uploader_kills += 1
                        s.start_uploader()
                        break
                time.sleep(0.002)
        while s.uploader.poll() is None:
            s.check_time("waiting for the uploader to finish")
            time.sleep(0.02)
        out, _ = s.uploader.communicate(timeout=5)
        if s.uploader.returncode != 0:
            raise RuntimeError(f"the last uploader exited {s.uploader.returncode}: {out}")
        s.duplicates_seen += s.scrape_duplicates()

        rows, distinct = s.query(s.remote, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events")
        con = sqlite3.connect(f"file:{s.remote}?mode=ro", uri=True, timeout=5)
        stored_ids = {row[0] for row in con.execute("SELECT event_id FROM events")}
        con.close()
        pending, rejected = s.query(
            s.local, "SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'pending'), "
                     "(SELECT COUNT(*) FROM outbox WHERE state = 'rejected')")
        uploaded = s.query(s.local, "SELECT COUNT(*) FROM events WHERE uploaded_at IS NOT NULL")[0]
        summary = {"events": n, "stored_rows": rows, "stored_distinct": distinct, "missing": len(ids - stored_ids),
                   "unexpected": len(stored_ids - ids), "local_pending": pending, "local_rejected": rejected,
                   "local_marked_uploaded": uploaded, "collector_restarts": collector_restarts,
                   "uploader_kills": uploader_kills, "in_flight_at_uploader_kill": overlap_at_kill,
                   "duplicates_deduped_by_collector": s.duplicates_seen,
                   "elapsed_s": round(time.monotonic() - s.started, 2)}
        print(json.dumps(summary))
        ok = (rows == n and distinct == n and stored_ids == ids and pending == 0 and rejected == 0 and uploaded == n
              and collector_restarts == 2 and uploader_kills == 1 and overlap_at_kill > 0)
        if not ok:
            print("FAIL: the collector does not hold exactly the uploaded events once each", file=sys.stderr)
            return 1
        return 0
    finally:
        s.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True, help="path to the ftconfig binary")
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--delay-ms", type=int, default=40, help="collector answer delay: keeps batches in flight")
    ap.add_argument("--deadline", type=float, default=90)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ftconfig-soak-")
    try:
        rc = run(args, work)
    except Exception as exc:  # noqa: BLE001 - report and fail
        print(f"FAIL: {exc}", file=sys.stderr)
        log = os.path.join(work, "soak.log")
        if os.path.exists(log):
            with open(log) as f:
                sys.stderr.write("".join(f.readlines()[-30:]))
        rc = 1
    if args.keep or rc != 0:
        print(f"work folder: {work}", file=sys.stderr)
    else:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed" if rc == 0 else "0 passed, 1 failed")
    return rc


if __name__ == "__main__":
    sys.exit(main())
