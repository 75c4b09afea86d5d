"""A few weeks of a patient's records, made through the Store's own methods, for the
records, export and report tests (deterministic: seeded, with an injected clock)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from game.records.storage import RepRow, Store

START = datetime(2026, 3, 1, 10, 0).timestamp()  # local time: days fall on local calendar days
DAY = 86400.0


@dataclass
class History:
    store: Store
    patient_id: int
    wall: list[float]
    reps: int = 0
    session_ids: list[int] = field(default_factory=list)


def build_history(folder: Path, *, days: int = 21, seed: int = 3, skip: tuple[int, ...] = (4, 5, 11),
                  name: str = "Ann") -> History:
    rng = random.Random(seed)
    wall = [START]
    store = Store.in_dir(folder, wall=lambda: wall[0])
    pid = store.ensure_patient(name, "left")
    h = History(store, pid, wall)
    for day in range(days):
        if day in skip:
            continue
        wall[0] = START + day * DAY
        store.save_calibration(pid, "left", baseline=40, mvc=250 + day * 4 + rng.uniform(-10, 10), noise_sd=1.5)
        for ex in ("power_grip", "pinch") if day % 2 else ("power_grip",):
            wall[0] += 600
            sid = store.start_session(pid, input_device="Ball")
            store.start_trace(sid, {"calibration": {"baseline": 40, "mvc": 250 + day * 4, "noise_sd": 1.5}})
            store.rate_session(sid, pain_before=rng.randint(0, 3))
            target = 20.0
            for s in (1, 2):
                n = rng.randint(6, 12)
                for k in range(1, n + 1):
                    wall[0] += 5
                    ok = rng.random() < 0.55 + day * 0.015
                    peak = rng.uniform(22, 45) * (1 - 0.02 * k) if ok else rng.uniform(10, 19)
                    store.add_rep(sid, RepRow(ex, "left", s, k, {
                        "success": ok, "failure": None if ok else "below_target", "peak_pct": peak,
                        "peak_device": 40 + peak / 100 * 300, "target_pct": target, "hold_target_s": 0.5,
                        "hold_s": 0.8, "t_start": k * 5.0, "t_end": k * 5.0 + 2, "full_release": True,
                        "difficulty_before": target, "difficulty_after": target + (1 if ok else -3),
                        "filter": {"detect_hz": 10.0}}))
                    h.reps += 1
                    new = target + (1 if ok else -3)
                    store.log_difficulty_change(sid, exercise=ex, setting="target_pct", before=target, after=new,
                                                reason="staircase", set_number=s, rep_number=k)
                    target = new
                store.finish_set(sid, exercise=ex, set_number=s, hand="left", reps_target=10, active_s=60.0 * n / 2)
            store.rate_session(sid, pain_after=rng.randint(0, 4))
            end = "stopped_pain" if day == 9 else "completed"
            store.end_session(sid, end)
            h.session_ids.append(sid)
    store.flush()
    return h
