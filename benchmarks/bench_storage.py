"""Storage benchmark: what a rep costs to make durable, and whether saving stalls a frame.

Prints
1. the time to commit one rep under each journal/sync setting (median, 99th percentile),
   written the way the game writes (one transaction per rep);
2. the longest frame of a 60 fps loop that saves a rep every half second and a trace
   chunk every second, with the writes done on the frame (inline) and on the writer thread;
3. the spill journal: the longest frame of the same loop while another connection holds
   the database locked, so every write fails and is journaled (fsynced) and kept, and
   what one journal append costs. Afterwards every rep must be in the database.

Run: python benchmarks/bench_storage.py [--reps 300] [--seconds 5]

Why WAL + synchronous=FULL: FULL fsyncs the WAL at every commit, so a committed rep
survives a power cut (NORMAL in WAL mode survives a crash but can lose the last
commits on power loss; OFF can lose more). WAL's commit is an append plus one sync,
cheaper than the rollback journal's several syncs (DELETE + FULL). The sync cost is
taken off the frame by the writer thread, so durability costs no frame time.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game.records.storage import REP_COLUMNS, RepRow, Store  # noqa: E402
from hardware.sample import Sample  # noqa: E402

MEASURES = {"success": True, "peak_pct": 31.5, "peak_device": 180.0, "target_pct": 20.0, "hold_target_s": 0.5,
            "hold_s": 0.8, "hold_cv": 0.04, "release_s": 0.7, "residual_pct": 1.2, "full_release": True,
            "reaction_s": 0.4, "time_to_peak_s": 0.6, "rfd_pct_per_s": 80.0, "t_start": 1.0, "t_end": 3.0,
            "filter": {"detect_hz": 10.0, "display_hz": 4.0}}


def commit_times(folder: Path, journal: str, sync: str, n: int) -> list[float]:
    """Rep inserts, one transaction each, on a database made by the Store, under other settings."""
    path = folder / f"{journal}-{sync}.sqlite3"
    store = Store(path, background=False)
    sid = store.start_session(store.ensure_patient(), input_device="bench")
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA journal_mode={journal}")
    db.execute(f"PRAGMA synchronous={sync}")
    cols = ", ".join(REP_COLUMNS)
    sql = (f"INSERT INTO reps(session_id, recorded_at, exercise, hand, set_number, rep_number, {cols}) "
           f"VALUES (?, ?, 'power_grip', 'right', 1, ?, {', '.join('?' * len(REP_COLUMNS))})")
    values = [MEASURES.get(c) for c in REP_COLUMNS]
    out = []
    for k in range(n):
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute(sql, (sid, time.time(), k, *values))
        db.execute("COMMIT")
        out.append(time.perf_counter() - t0)
    db.close()
    return out


def play_frames(store: Store, sid: int, seconds: float, *, saving: bool = True) -> tuple[list[float], list[float], int]:
    """A 60 fps loop: ~2 ms of game work a frame, 1-2 samples per frame at 100 Hz and a rep
    every 30 frames handed to ``store`` (unless ``saving`` is off: the machine's own frame
    noise). Returns each frame's time, each save call's time and the reps made."""
    frames, calls, period, reps = [], [], 1 / 60, 0
    next_t = time.perf_counter()
    t_game = 0.0
    for i in range(int(seconds * 60)):
        t0 = time.perf_counter()
        end = t0 + 0.002
        while time.perf_counter() < end:
            pass
        t_game += 1 / 60
        c0 = time.perf_counter()
        if saving:
            store.add_samples(sid, [Sample(t_game + j / 100, 40.0 + j, 0.0, 0.0) for j in range(2)])
            if i % 30 == 29:
                reps += 1
                store.add_rep(sid, RepRow("power_grip", "right", 1, reps, MEASURES))
        calls.append(time.perf_counter() - c0)
        frames.append(time.perf_counter() - t0)
        next_t += period
        time.sleep(max(0.0, next_t - time.perf_counter()))
    return frames, calls, reps


def frame_loop(folder: Path, background: bool | None, seconds: float) -> tuple[list[float], list[float], int]:
    """``background`` None: no saving at all, the machine's own frame-time noise."""
    store = Store(folder / f"frames-{background}.sqlite3", background=bool(background))
    sid = store.start_session(store.ensure_patient(), input_device="bench")
    store.start_trace(sid, {"calibration": {"baseline": 0, "mvc": 100}})
    frames, calls, reps = play_frames(store, sid, seconds, saving=background is not None)
    store.close()
    return frames, calls, reps


def spill_frame_loop(folder: Path, seconds: float) -> dict[str, float]:
    """The game's store (writer thread, its own busy timeout and retry) while the database
    is locked the whole time: every rep and trace chunk goes to the spill journal."""
    path = folder / "spill.sqlite3"
    store = Store(path)
    sid = store.start_session(store.ensure_patient(), input_device="bench")
    store.start_trace(sid, {"calibration": {"baseline": 0, "mvc": 100}})
    store.flush()
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # another program's write lock, held for the whole loop
    frames, calls, reps = play_frames(store, sid, seconds)
    store.flush()
    spilled, journal_bytes = store.writer.spilled, store.writer.journal.bytes_used if store.writer.journal else 0
    lock.execute("ROLLBACK")
    lock.close()
    for _ in range(100):
        store.retry_saving()
        store.flush()
        if not store.saving_delayed:
            break
    stored = len(store.reps(sid))
    store.close()
    if stored != reps:
        raise AssertionError(f"{reps} reps made, {stored} stored after the lock")
    # One journal append (a rep's record, JSON, fsync) on its own, as the writer thread does it.
    from game.records.spill_journal import SpillJournal

    j = SpillJournal(folder / "append.jsonl")
    j.open()
    appends = []
    for k in range(100):
        rec = {"kind": "rep", "uid": f"{k:032x}", "session_id": 1, "values": [MEASURES.get(c) for c in REP_COLUMNS]}
        a0 = time.perf_counter()
        j.append([rec])
        appends.append(time.perf_counter() - a0)
    j.close()
    return {"longest_frame_ms": max(frames) * 1000, "p99_frame_ms": pct(frames, 99) * 1000,
            "longest_save_call_ms": max(calls) * 1000, "reps": reps, "records_journaled": spilled,
            "journal_kb": journal_bytes / 1024, "all_stored_after": stored == reps,
            "append_median_ms": statistics.median(appends) * 1000, "append_p99_ms": pct(appends, 99) * 1000}


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--dir", type=Path, default=None, help="folder to test in (default: a temporary folder)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        folder = Path(d)
        print(f"Per-rep commit time, {a.reps} reps each, in {folder}:")
        for journal, sync in (("WAL", "FULL"), ("WAL", "NORMAL"), ("DELETE", "FULL"), ("WAL", "OFF")):
            ts = commit_times(folder, journal, sync, a.reps)
            print(f"  {journal:6} synchronous={sync:6}  median {statistics.median(ts) * 1000:6.2f} ms   "
                  f"p99 {pct(ts, 99) * 1000:6.2f} ms   max {max(ts) * 1000:6.2f} ms")
        print(f"\n60 fps loop for {a.seconds:.0f} s (2 ms of work a frame), a rep every 0.5 s, WAL + FULL:")
        for background in (None, False, True):
            frames, calls, reps = frame_loop(folder, background, a.seconds)
            how = {None: "no saving     ", False: "on the frame  ", True: "writer thread "}[background]
            print(f"  {how} longest frame {max(frames) * 1000:6.2f} ms   p99 {pct(frames, 99) * 1000:6.2f} ms   "
                  f"median {statistics.median(frames) * 1000:5.2f} ms   longest save call {max(calls) * 1000:6.2f} ms   "
                  f"({reps} reps, {len(frames)} frames)")
        sp = spill_frame_loop(folder, a.seconds)
        print(f"  locked, journaled longest frame {sp['longest_frame_ms']:6.2f} ms   p99 {sp['p99_frame_ms']:6.2f} ms   "
              f"longest save call {sp['longest_save_call_ms']:6.2f} ms   ({sp['reps']} reps, "
              f"{sp['records_journaled']} records journaled, {sp['journal_kb']:.0f} KB; all stored after: "
              f"{sp['all_stored_after']})")
        print(f"  one journal append (JSON + fsync, writer thread): median {sp['append_median_ms']:.2f} ms, "
              f"p99 {sp['append_p99_ms']:.2f} ms  (frame target 16.7 ms)")


if __name__ == "__main__":
    main()
