"""Load on the clinic server: many devices uploading a 45-minute session each, at once.

Each simulated device (a kiosk or home PC after a session) uploads, over real HTTP on
127.0.0.1 to a real server process on a throwaway PostgreSQL cluster, what the game
records in 45 minutes: the patient, the session, its provenance and calibration, 3 sets
of 10-15 reps for each of several exercises, ratings and events, and the raw sensor trace
at the device's rate (100 Hz; t, force, roll_x, roll_y) in one-second chunks encoded
``f32le-zlib-b64``, in batches of at most 500 records, gzipped over 16 KB as the client
does. Payloads are made before the clock starts (a device prepares its own on its own
machine); enrolment too. Printed: per-request upload latency p50/p99, per-device session
time, reps/s and records/s, total time, and the server's resident memory (all its
processes) sampled through the run and over repeated rounds (it must stay flat).

    python -m benchmarks.bench_sync_load                 # 50 devices, 2 rounds
    python -m benchmarks.bench_sync_load --devices 5 --minutes 5 --rounds 1   # a smoke run

Goal (issue 15): 50 devices' sessions in under 10 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import json
import os
import sys
import threading
import time
import uuid
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from benchmarks.common import end_server_run, percentile  # noqa: E402

EXERCISES = ("power_grip", "pinch", "finger_flexion", "table_roll", "thumb_roll")
RATE_HZ = 100
GZIP_OVER = 16 * 1024
BATCH = 500


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def make_session(rng: np.random.Generator, minutes: float, t_start: float) -> tuple[list[dict], int]:
    """(records of one 45-minute session, number of reps)."""
    patient, session, prov = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    recs: list[dict] = []

    def rec(kind: str, t: float, body: dict, session_uid: str | None = session, patient_uid: str | None = patient):
        recs.append({"uid": uuid.uuid4().hex, "kind": kind, "patient_uid": patient_uid, "session_uid": session_uid,
                     "recorded_at": _iso(t), "body": body})

    recs.append({"uid": patient, "kind": "patient", "patient_uid": patient, "session_uid": None,
                 "recorded_at": _iso(t_start), "body": {"display_name": f"Patient {patient[:4]}", "hand": "right"}})
    rec("provenance", t_start, {"input_kind": "ball", "device_name": "squeeze ball", "simulated": False}, None, None)
    rec("calibration", t_start, {"hand": "right", "mvc": float(rng.uniform(200, 900)), "rest": 12.0,
                                 "trials": [float(x) for x in rng.uniform(200, 900, 3)]}, None)
    rec("session", t_start, {"started_at": _iso(t_start), "program_uid": None, "program_version": None,
                             "provenance_uid": prov, "app_version": "0.1.0"})
    rec("rating", t_start + 5, {"pain_before": 2, "fatigue_before": 3})
    n_reps, t = 0, t_start + 60
    for ex in EXERCISES:
        for set_no in range(1, 4):
            reps = int(rng.integers(10, 16))
            for i in range(reps):
                t += 4.0
                ok = bool(rng.random() < 0.75)
                rec("rep", t, {"exercise": ex, "hand": "right", "set_number": set_no, "rep_number": i + 1,
                               "success": ok, "target_pct": 20.0, "peak": float(rng.uniform(50, 400)),
                               "peak_pct_mvc": float(rng.uniform(10, 40)), "reaction_s": float(rng.uniform(0.2, 1)),
                               "time_to_peak_s": float(rng.uniform(0.3, 1.5)), "hold_s": float(rng.uniform(0.5, 3)),
                               "hold_cv": float(rng.uniform(0.02, 0.2)), "release_s": float(rng.uniform(0.3, 5)),
                               "failure": None if ok else "target not reached", "provenance_uid": prov})
                n_reps += 1
            rec("set", t, {"exercise": ex, "set_number": set_no, "reps": reps, "fatigue_index": 8.5})
            rec("difficulty_change", t, {"exercise": ex, "what": "target_pct", "before": 20, "after": 21})
            rec("event", t + 1, {"event": "rest_started"})
    rec("rating", t_start + minutes * 60, {"pain_after": 2, "fatigue_after": 5})
    # The raw trace: one chunk per second of `minutes`, at RATE_HZ.
    n = int(minutes * 60)
    force = np.abs(np.cumsum(rng.normal(0, 3, n * RATE_HZ))).astype(np.float32)
    for k in range(n):
        t0 = t_start + k
        block = np.empty((RATE_HZ, 4), dtype="<f4")
        block[:, 0] = np.arange(RATE_HZ, dtype=np.float32) / RATE_HZ
        block[:, 1] = force[k * RATE_HZ:(k + 1) * RATE_HZ]
        block[:, 2:] = rng.normal(0, 0.01, (RATE_HZ, 2))
        samples = base64.b64encode(zlib.compress(block.tobytes(), 6)).decode()
        rec("trace", t0, {"session_uid": session, "rate_hz": RATE_HZ, "encoding": "f32le-zlib-b64", "seq": k,
                          "t0": float(k), "n": RATE_HZ, "columns": ["t", "force", "roll_x", "roll_y"],
                          "samples": samples})
    return recs, n_reps


def bodies(recs: list[dict]) -> list[tuple[bytes, bool]]:
    """Request bodies as the client sends them: JSON, gzipped when over 16 KB."""
    out = []
    for i in range(0, len(recs), BATCH):
        raw = json.dumps({"records": recs[i:i + BATCH]}, separators=(",", ":")).encode()
        out.append((gzip.compress(raw, 6), True) if len(raw) > GZIP_OVER else (raw, False))
    return out


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) of a process, its live descendants and its reaped children."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            st = _stat(int(p))
            if st is not None:
                stats[int(p)] = st
                children.setdefault(int(st[1]), []).append(int(p))
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        st = stats.get(pid)
        if st is None:
            continue
        # fields after the name: state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
        total += sum(int(x) for x in st[11:15]) / tick
        todo.extend(children.get(pid, []))
    return total


def postmaster_pid(datadir: str) -> int:
    with open(Path(datadir, "postmaster.pid")) as fh:
        return int(fh.readline())


def server_rss_mb(pid: int) -> float:
    """Resident memory of the server and its child processes (uvicorn workers), MB."""
    total = 0
    pids = [pid]
    try:
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    if int(fields[1]) == pid:  # ppid
                        pids.append(int(p))
                except OSError:
                    pass
        for p in pids:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        pass
    return total / 1e6


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[float] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(server_rss_mb(self.pid))
            self._stop_event.wait(self.every)

    def stop(self) -> list[float]:
        self._stop_event.set()
        self.join()
        return self.samples


async def upload_device(client, url: str, token: str, reqs: list[tuple[bytes, bool]], latencies: list[float]) -> float:
    t0 = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body, zipped in reqs:
        h = {**headers, "Content-Encoding": "gzip"} if zipped else headers
        s = time.perf_counter()
        r = await client.post(url, content=body, headers=h)
        latencies.append(time.perf_counter() - s)
        if r.status_code != 200:
            raise RuntimeError(f"upload refused: {r.status_code} {r.text[:200]}")
    return time.perf_counter() - t0


async def one_round(server_url: str, tokens: list[str], payloads: list[list[tuple[bytes, bool]]]) -> dict:
    import httpx

    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(tokens) + 5, max_keepalive_connections=len(tokens) + 5)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        url = server_url + "/api/v1/sync/records"
        start = time.perf_counter()
        per_device = await asyncio.gather(*(upload_device(client, url, tok, reqs, latencies)
                                            for tok, reqs in zip(tokens, payloads)))
        total = time.perf_counter() - start
    return {"total_s": total, "latencies": latencies, "per_device": per_device}


def run(devices: int = 50, minutes: float = 45.0, rounds: int = 2, workers: int = 2, seed: int = 7,
        quiet: bool = False) -> dict:
    from sqlalchemy import text

    from server import admin, db, throwaway_pg
    from server.testing import ServerProcess, new_database

    say = (lambda *a: None) if quiet else print
    own_cluster = throwaway_pg.Cluster.from_env() is None
    cluster = throwaway_pg.create() if own_cluster else throwaway_pg.Cluster.from_env()
    name, url = new_database(cluster, "sq_bench")
    server = None
    try:
        engine = db.make_engine(url, pool_size=2)
        db.upgrade(engine)
        with engine.begin() as conn:
            clinic = admin.create_clinic(conn, "Load test clinic")
            codes = [admin.make_enrolment_code(conn, clinic) for _ in range(devices)]
        server = ServerProcess(url, workers=workers, pool_size=max(4, devices // workers + 2)).start()
        import httpx

        tokens = []
        for c in codes:
            r = httpx.post(server.url + "/api/v1/devices/enroll",
                           json={"code": c, "device_uid": str(uuid.uuid4()), "device_name": "load"})
            r.raise_for_status()
            tokens.append(r.json()["token"])
        rng = np.random.default_rng(seed)
        pg_pid = postmaster_pid(cluster.datadir)
        rounds_out = []
        sampler = RssSampler(server.pid)
        sampler.start()
        rss_before = server_rss_mb(server.pid)
        for rnd in range(rounds):
            t_prep = time.perf_counter()
            sessions = [make_session(rng, minutes, 1.78e9 + rnd * 86400 + d) for d in range(devices)]
            payloads = [bodies(recs) for recs, _ in sessions]
            n_reps = sum(n for _, n in sessions)
            n_recs = sum(len(recs) for recs, _ in sessions)
            n_bytes = sum(len(b) for p in payloads for b, _ in p)
            n_req = sum(len(p) for p in payloads)
            del sessions
            prep = time.perf_counter() - t_prep
            cpu0 = time.process_time()
            pg0, srv0 = tree_cpu_s(pg_pid), tree_cpu_s(server.pid)
            res = asyncio.run(one_round(server.url, tokens, payloads))
            client_cpu = time.process_time() - cpu0
            pg_cpu, srv_cpu = tree_cpu_s(pg_pid) - pg0, tree_cpu_s(server.pid) - srv0
            lat = res["latencies"]
            out = {"round": rnd + 1, "devices": devices, "requests": n_req, "records": n_recs, "reps": n_reps,
                   "mb_sent": n_bytes / 1e6, "total_s": res["total_s"], "p50_ms": percentile(lat, 50) * 1000,
                   "p99_ms": percentile(lat, 99) * 1000, "max_ms": max(lat) * 1000,
                   "device_p50_s": percentile(res["per_device"], 50), "device_max_s": max(res["per_device"]),
                   "reps_per_s": n_reps / res["total_s"], "records_per_s": n_recs / res["total_s"],
                   "rss_mb_after": server_rss_mb(server.pid), "prep_s": prep, "client_cpu_s": client_cpu,
                   "server_cpu_s": srv_cpu, "postgres_cpu_s": pg_cpu,
                   "load_avg_1min": os.getloadavg()[0]}
            rounds_out.append(out)
            say(f"round {out['round']}: {devices} devices, {n_req} requests, {n_recs:,} records ({n_reps:,} reps), "
                f"{out['mb_sent']:.0f} MB sent (gzip) in {out['total_s']:.2f} s; upload latency p50 "
                f"{out['p50_ms']:.0f} ms, p99 {out['p99_ms']:.0f} ms, max {out['max_ms']:.0f} ms; a device's "
                f"session p50 {out['device_p50_s']:.2f} s, slowest {out['device_max_s']:.2f} s; "
                f"{out['reps_per_s']:,.0f} reps/s, {out['records_per_s']:,.0f} records/s; "
                f"server RSS {out['rss_mb_after']:.0f} MB; CPU used: server {srv_cpu:.1f} s, PostgreSQL "
                f"{pg_cpu:.1f} s, the clients {client_cpu:.1f} s (all of it on 2 idle cores: "
                f"{(srv_cpu + pg_cpu + client_cpu) / 2:.1f} s); load average {out['load_avg_1min']:.1f}")
            del payloads
        samples = sampler.stop()
        with engine.connect() as conn:
            stored_reps = conn.execute(text("SELECT count(*) FROM records WHERE kind='rep'")).scalar_one()
            stored = conn.execute(text("SELECT (SELECT count(*) FROM records) + (SELECT count(*) FROM traces)")
                                  ).scalar_one()
        engine.dispose()
        expect_reps = sum(r["reps"] for r in rounds_out)
        expect = sum(r["records"] for r in rounds_out)
        result = {
            "rounds": rounds_out, "workers": workers, "minutes": minutes,
            "rss_mb": {"before": rss_before, "max": max(samples), "min": min(samples), "end": samples[-1],
                       "samples": len(samples)},
            "stored_reps": stored_reps, "expected_reps": expect_reps, "stored_records": stored,
            "expected_records": expect, "exactly_once": stored_reps == expect_reps and stored == expect,
        }
        say(f"server RSS over the run ({len(samples)} samples): before {rss_before:.0f} MB, min {min(samples):.0f}, "
            f"max {max(samples):.0f}, end {samples[-1]:.0f} MB")
        say(f"stored {stored:,} records ({stored_reps:,} reps) of {expect:,} ({expect_reps:,}): "
            f"{'exactly once' if result['exactly_once'] else 'MISMATCH'}")
        return result
    finally:
        end_server_run(server, cluster, name, own_cluster)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=45.0, help="session length (trace minutes)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="server processes")
    ns = ap.parse_args(argv)
    res = run(ns.devices, ns.minutes, ns.rounds, ns.workers)
    goal = 10.0
    worst = max(r["total_s"] for r in res["rounds"])
    print(f"goal: {ns.devices} sessions in under {goal:g} s: {'ok' if worst < goal else 'MISSED'} "
          f"(slowest round {worst:.2f} s)")
    return 0 if res["exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
