"""The therapist portal's page times with a clinic's worth of data: 200 patients, a year each.

The data: for each patient, a year of home sessions (played on about 5 days in 7, each of
2 or 3 exercises from the patient's program, 3 sets of reps, success near 75% with the
target drifting as the game adapts, pain and tiredness rated before and after, a
strongest-squeeze calibration every week with a slow gain), generated with numpy (one
vectorised draw per patient, seeded) and written with PostgreSQL's COPY straight into the
server's real ``records`` table, as rows of the same shape the sync API stores. The
portal's daily totals (``portal_rep_days``) are then made by the very statement migration
0003_portal runs on existing records (the per-row trigger is switched off during the bulk
load and on again after: 3 million trigger calls would only measure the trigger).

The measure: a real server process (``squeeze-quest-server serve``) on 127.0.0.1, a
therapist logged in over HTTP, and each page asked for many times (patients list; a
patient's progress over 28, 90 and 365 days; the program editor; devices), after a
warm-up. Printed: p50, p95 and the slowest per page. Target (issue 16): p95 < 200 ms.

    python -m benchmarks.bench_portal                  # 200 patients x 365 days
    python -m benchmarks.bench_portal --patients 20 --days 30 --requests 10   # a quick look

Uses the cluster of $SQ_TEST_DATABASE_URL when set (CI), else a throwaway one of its own.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import end_server_run, percentile, print_and_save

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 200.0
FORCE = ("power_grip", "pinch", "finger_flexion", "finger_squeeze")
ROLL = ("table_roll", "thumb_roll", "thumb_flex_ext", "thumb_opposition")
PROGRAM = """name: Home routine {i}
exercises:
- exercise: {a}
  sets: 3
  reps: {reps}
- exercise: {b}
  sets: 3
  reps: {reps}
"""


def _migration_backfill() -> str:
    path = ROOT / "server" / "migrations" / "versions" / "0003_portal_rep_days.py"
    spec = importlib.util.spec_from_file_location("portal_migration", path)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod.BACKFILL


def _ts(t: datetime) -> str:
    return t.isoformat()


def generate(conn, clinic_id: uuid.UUID, device_id: uuid.UUID, patients: list[tuple[uuid.UUID, str, str]],
             days: int, seed: int = 7) -> dict:
    """COPY a year of records per patient into ``records``; returns counts."""
    rng = np.random.default_rng(seed)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days - 1)
    counts = {"rep": 0, "session": 0, "calibration": 0, "set": 0}
    cols = "uid, clinic_id, device_id, kind, patient_uid, session_uid, recorded_at, exercise, success, body"
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE records DISABLE TRIGGER portal_rep_days_add")
        with cur.copy(f"COPY records ({cols}) FROM STDIN") as copy:
            for puid, ex_a, ex_b in patients:
                adherence = rng.uniform(0.4, 0.95)
                played = np.nonzero(rng.random(days) < adherence)[0]
                reps_per_set = int(rng.integers(8, 16))
                base_target = rng.uniform(15, 30)
                mvc0 = rng.uniform(150, 400)
                pain0 = rng.uniform(0, 4)
                prov_uid = uuid.uuid4()
                copy.write_row((prov_uid, clinic_id, device_id, "provenance", puid, None, _ts(start), None, None,
                                json.dumps({"uid": prov_uid.hex, "input_kind": "ball", "device_name": "/dev/ttyACM0",
                                            "firmware": "sq-ball 1.2", "force_units": "device units"})))
                for week in range(0, days, 7):
                    t = start + timedelta(days=week, hours=9)
                    mvc = mvc0 * (1 + 0.15 * week / 365) * rng.normal(1, 0.04)
                    copy.write_row((uuid.uuid4(), clinic_id, device_id, "calibration", puid, None, _ts(t), None, None,
                                    json.dumps({"hand": "right", "mvc": round(mvc, 1), "baseline": 40.0,
                                                "units": "device units"})))
                    counts["calibration"] += 1
                for d in played:
                    t0 = start + timedelta(days=int(d), hours=int(rng.integers(8, 19)))
                    suid = uuid.uuid4()
                    pain = int(np.clip(round(pain0 + rng.normal(0, 1)), 0, 10))
                    tired = int(np.clip(round(2 + rng.normal(0, 1.5)), 0, 10))
                    n = 3 * reps_per_set
                    # Both exercises: one vectorised draw for all their reps.
                    exercises = [ex_a] * n + [ex_b] * n
                    m = len(exercises)
                    target = base_target + 5 * d / days + rng.normal(0, 1.5, m)
                    peak = target * rng.normal(1.08, 0.12, m)
                    success = peak >= target
                    hold = np.clip(rng.normal(0.9, 0.3, m), 0, 5)
                    roll = np.clip(rng.normal(0.55, 0.1, m), 0.1, 1)
                    copy.write_row((suid, clinic_id, device_id, "session", puid, suid, _ts(t0), None, None,
                                    json.dumps({"uid": suid.hex, "started_at": t0.timestamp(),
                                                "ended_at": t0.timestamp() + 900, "end_reason": "completed",
                                                "input_device": "Squeeze ball", "provenance_uid": prov_uid.hex,
                                                "pain_before": pain, "pain_after": pain,
                                                "fatigue_before": max(0, tired - 1), "fatigue_after": tired,
                                                "program_version": 1})))
                    # COPY's text format, one line per rep, built without a JSON encoder per row
                    # (the bodies hold only numbers and the exercise's name).
                    at = np.datetime_as_string(np.datetime64(t0.replace(tzinfo=None), "s")
                                               + np.arange(m) * 4, unit="s") + "Z"
                    set_no = (np.arange(m) % n) // reps_per_set + 1
                    rep_no = np.arange(m) % reps_per_set + 1
                    lines = []
                    for i in range(m):
                        ex = exercises[i]
                        ok = bool(success[i])
                        if ex in ROLL:
                            extra = f'"roll_range": {roll[i]:.3f}'
                        else:
                            extra = f'"target_pct": {target[i]:.1f}, "peak_pct": {peak[i]:.1f}'
                        lines.append(f"{uuid.uuid4()}\t{clinic_id}\t{device_id}\trep\t{puid}\t{suid}\t{at[i]}\t{ex}\t"
                                     f"{'t' if ok else 'f'}\t"
                                     f'{{"exercise": "{ex}", "set_number": {set_no[i]}, "rep_number": {rep_no[i]}, '
                                     f'"success": {int(ok)}, "hold_s": {hold[i]:.2f}, {extra}}}\n')
                    copy.write("".join(lines))
                    counts["rep"] += m
                    counts["session"] += 1
        cur.execute(_migration_backfill())
        cur.execute("ALTER TABLE records ENABLE TRIGGER portal_rep_days_add")
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.commit()
    return counts


def _login(client, base: str, user: str, password: str) -> None:
    page = client.get(base + "/portal/login")
    nonce = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post(base + "/portal/login", data={"username": user, "password": password, "csrf": nonce})
    assert r.status_code in (200, 303), r.status_code
    assert client.get(base + "/portal/patients").status_code == 200


def _cpu_s(pid: int | None) -> float | None:
    """User + system CPU seconds of a process and its waited-for children (Linux /proc)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / tick


def _pg_cpu_s(datadir: str | None) -> float | None:
    """CPU seconds of the cluster's processes (the postmaster's children: the backends that run
    the portal's queries, and background workers), from /proc."""
    if not datadir:
        return None
    try:
        postmaster = int(Path(datadir, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(base: str, user: str, password: str, patient_uids: list[str], requests: int, seed: int = 1,
            server_pid: int | None = None, pg_datadir: str | None = None) -> dict:
    import httpx

    rng = np.random.default_rng(seed)
    pages = {
        "patients list": lambda: "/portal/patients",
        "progress, 28 days": lambda: f"/portal/patients/{rng.choice(patient_uids)}?days=28",
        "progress, 90 days": lambda: f"/portal/patients/{rng.choice(patient_uids)}?days=90",
        "progress, 365 days": lambda: f"/portal/patients/{rng.choice(patient_uids)}?days=365",
        "program editor": lambda: f"/portal/patients/{rng.choice(patient_uids)}/program",
        "devices": lambda: "/portal/devices",
    }
    out = {}
    with httpx.Client(follow_redirects=True, timeout=60) as client:
        _login(client, base, user, password)
        for name, url in pages.items():
            for _ in range(3):  # warm-up: the connection pool, Jinja's compiled templates
                client.get(base + url())
            times, sizes = [], []
            cpu0, pg0 = _cpu_s(server_pid), _pg_cpu_s(pg_datadir)
            for _ in range(requests):
                t = time.perf_counter()
                r = client.get(base + url())
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, (name, r.status_code)
                sizes.append(len(r.content))
            cpu1, pg1 = _cpu_s(server_pid), _pg_cpu_s(pg_datadir)
            out[name] = {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "max_ms": max(times),
                         "n": requests, "kb": sum(sizes) / len(sizes) / 1024,
                         # the server process's own CPU per page (PostgreSQL's work is not in it)
                         "server_cpu_ms": None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) * 1000 / requests,
                         # PostgreSQL's CPU per page (all the cluster's processes: a little background work too)
                         "db_cpu_ms": None if pg0 is None or pg1 is None else (pg1 - pg0) * 1000 / requests}
    return out


def run(patients: int = 200, days: int = 365, requests: int = 40, seed: int = 7) -> dict:
    from sqlalchemy import text

    from server import admin, db, throwaway_pg
    from server.testing import ServerProcess, new_database

    cluster = throwaway_pg.Cluster.from_env()
    own = cluster is None
    if own:
        cluster = throwaway_pg.create()
    name, url = new_database(cluster, "sq_bench_portal")
    server = None
    try:
        engine = db.make_engine(url, pool_size=2)
        db.upgrade(engine)
        user, password = "bench", "bench password 1"
        rng = np.random.default_rng(seed)
        with engine.begin() as conn:
            clinic = admin.create_clinic(conn, "Benchmark clinic")
            admin.create_therapist(conn, clinic, user, password)
            code = admin.make_enrolment_code(conn, clinic)
            dev = admin.enroll_device(conn, code, uuid.uuid4(), "bench kiosk")
            plist = []
            for i in range(patients):
                a, b = rng.choice(FORCE), rng.choice(ROLL)
                uid = admin.create_patient(conn, clinic, f"Patient {i:03d}", hand="right")
                admin.save_program(conn, clinic, f"Home routine {i}",
                                   PROGRAM.format(i=i, a=a, b=b, reps=int(rng.integers(8, 16))), patient_uid=uid)
                plist.append((uid, str(a), str(b)))
        t = time.perf_counter()
        raw = engine.raw_connection()
        try:
            counts = generate(raw.driver_connection, clinic, dev.device_id, plist, days, seed)
        finally:
            raw.close()
        gen_s = time.perf_counter() - t
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar_one()
            agg = conn.execute(text("SELECT count(*) FROM portal_rep_days")).scalar_one()
        engine.dispose()
        print(f"generated {patients} patients x {days} days: {counts['rep']:,} reps, {counts['session']:,} sessions, "
              f"{counts['calibration']:,} calibrations in {gen_s:.0f} s (COPY + daily totals); database {size}, "
              f"{agg:,} daily-total rows", flush=True)
        server = ServerProcess(url, pool_size=4).start(timeout=60)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        pages = measure(server.url, user, password, [str(p[0]) for p in plist], requests,
                        server_pid=server.proc.pid if server.proc else None, pg_datadir=cluster.datadir)
    finally:
        end_server_run(server, cluster, name, own)
    return {"patients": patients, "days": days, "reps": counts["rep"], "sessions": counts["session"],
            "generate_s": gen_s, "pages": pages, "target_p95_ms": TARGET_MS, "load_average": load,
            "ok": all(p["p95_ms"] < TARGET_MS for p in pages.values())}


def print_table(res: dict) -> None:
    print(f"\nportal pages, {res['patients']} patients x {res['days']} days ({res['reps']:,} reps); "
          f"target p95 < {res['target_p95_ms']:.0f} ms")
    print(f"{'page':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu ms':>8} {'db cpu':>8} {'KB':>6}  verdict")
    nan = float("nan")
    for name, p in res["pages"].items():
        cpu, dbc = p.get("server_cpu_ms"), p.get("db_cpu_ms")
        print(f"{name:<22} {p['p50_ms']:8.1f} {p['p95_ms']:8.1f} {p['max_ms']:8.1f} "
              f"{cpu if cpu is not None else nan:8.1f} {dbc if dbc is not None else nan:8.1f} {p['kb']:6.0f}  "
              f"{'ok' if p['p95_ms'] < res['target_p95_ms'] else 'MISSED'}")
    if res.get("load_average") is not None:
        print(f"load average at the start of the measure: {res['load_average']:.1f} (2 cores); cpu ms = the server "
              f"process's own CPU per request, db cpu = PostgreSQL's")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=200)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--requests", type=int, default=40, help="timed requests per page")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    ns = ap.parse_args(argv)
    res = run(ns.patients, ns.days, ns.requests)
    print_and_save(res, print_table, ns.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
