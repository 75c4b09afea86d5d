"""The records writer, sets, ratings, difficulty changes, raw traces, privacy, progress queries."""

from __future__ import annotations

import sqlite3
import stat
from datetime import date, timedelta

import numpy as np
import pytest

from game.records.record_writer import WriteFailed
from game.records.records import fatigue_index, per_exercise, reps_per_day, streak, strength_over_time, today_summary
from game.records.storage import DB_NAME, RepRow, Store
from hardware.sample import Sample
from tests.records_history import START, build_history


def rep(n: int, ok: bool = True, peak: float = 30.0) -> RepRow:
    return RepRow("power_grip", "right", 1, n, {"success": ok, "peak_pct": peak, "failure": None if ok else "below_target"})


def test_a_rep_is_on_disk_when_its_future_resolves(tmp_path):
    store = Store.in_dir(tmp_path)
    sid = store.start_session(store.ensure_patient(), input_device="Ball")
    row_id = store.add_rep(sid, rep(1)).result(timeout=5)
    other = sqlite3.connect(tmp_path / DB_NAME)  # as after a crash: a different connection
    assert other.execute("SELECT rep_number FROM reps WHERE id=?", (row_id,)).fetchone() == (1,)
    store.close()


def test_writes_do_not_wait_for_a_busy_disk(tmp_path):
    """Another program holding the write lock stalls the writer thread, never the caller."""
    store = Store.in_dir(tmp_path)
    sid = store.start_session(store.ensure_patient(), input_device="Ball")
    blocker = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    futs = [store.add_rep(sid, rep(k)) for k in range(1, 21)]
    store.log_event(sid, "pause")
    # The calls came back while the lock is still held, so none of them waited for the disk (a stopwatch here
    # failed on a busy machine, and proved less).
    assert not any(f.done() for f in futs)
    blocker.execute("COMMIT")
    assert [f.result(timeout=10) for f in futs] == sorted(f.result() for f in futs)
    assert [r["rep_number"] for r in store.reps(sid)] == list(range(1, 21))
    store.close()


def test_a_bad_record_fails_alone_with_a_clear_message(tmp_path):
    store = Store.in_dir(tmp_path)
    sid = store.start_session(store.ensure_patient(), input_device="Ball")
    good1 = store.add_rep(sid, rep(1))
    bad = store.add_rep(9999, rep(2))  # no such session: the foreign key refuses it
    good2 = store.add_rep(sid, rep(3))
    with pytest.raises(WriteFailed, match="rep 2 of set 1.*FOREIGN KEY"):
        bad.result(timeout=5)
    assert good1.result() and good2.result()
    assert [r["rep_number"] for r in store.reps(sid)] == [1, 3]
    assert any("FOREIGN KEY" in e for e in store.write_errors)
    store.close()


def test_sets_sessions_ratings_and_difficulty_changes(tmp_path):
    store = Store.in_dir(tmp_path, wall=lambda: 5000.0)
    sid = store.start_session(store.ensure_patient(), input_device="Ball")
    peaks = [40, 38, 42, 30, 28, 26, 25]
    for k, p in enumerate(peaks, 1):
        store.add_rep(sid, rep(k, ok=p >= 30, peak=p))
    store.log_difficulty_change(sid, exercise="power_grip", setting="target_pct", before=20, after=17,
                                reason="failed rep", set_number=1, rep_number=5)
    store.finish_set(sid, exercise="power_grip", set_number=1, hand="right", reps_target=10, end_reason="stopped_pain",
                     active_s=95.0)
    store.rate_session(sid, pain_before=2, pain_after=6, fatigue_after=7)
    store.end_session(sid, "stopped_pain")
    store.end_session(sid, "quit")  # a second end changes nothing
    (s,) = store.sets(sid)
    assert (s["reps_attempted"], s["reps_successful"], s["reps_target"]) == (7, 4, 10)
    assert s["success_rate"] == pytest.approx(4 / 7)
    assert s["fatigue_index"] == pytest.approx((40 - (26 + 25 + 28) / 3) / 40 * 100)
    sess = store.sessions()[0]
    assert (sess["end_reason"], sess["reps_attempted"], sess["reps_successful"], sess["active_s"]) == (
        "stopped_pain", 7, 4, 95.0)
    assert (sess["pain_before"], sess["pain_after"], sess["fatigue_after"]) == (2, 6, 7)
    (d,) = store.difficulty_changes(sid)
    assert (d["setting"], d["before"], d["after"], d["rep_number"]) == ("target_pct", 20, 17, 5)
    with pytest.raises(ValueError, match="pain after must be a whole number from 0 to 10"):
        store.rate_session(sid, pain_after=11)
    with pytest.raises(ValueError, match="unknown rating 'pain'"):
        store.rate_session(sid, pain=3)
    store.close()


def test_fatigue_index_needs_six_peaks():
    assert fatigue_index([30, 30, 30, 30, 30]) is None
    assert fatigue_index([30, 30, 30, 15, 15, 15]) == pytest.approx(50.0)
    assert fatigue_index([20, 20, 20, 20, 25, 30, 35]) == pytest.approx(-50.0)


def test_raw_trace_is_stored_compactly_with_its_settings(tmp_path):
    store = Store.in_dir(tmp_path)
    sid = store.start_session(store.ensure_patient(), input_device="Ball")
    settings = {"calibration": {"baseline": 40.0, "mvc": 300.0, "noise_sd": 1.5},
                "filters": {"detect_cutoff_hz": 10.0, "display_cutoff_hz": 4.0}}
    store.start_trace(sid, settings)
    t = 3600.0 + np.arange(0, 30, 0.01)  # an hour into the clock, 100 Hz for 30 s
    force = 40 + 100 * np.sin(t)
    for i in range(0, len(t), 7):  # arriving a few samples per frame
        store.add_samples(sid, [Sample(t[j], force[j], 0.5, -0.5) for j in range(i, min(i + 7, len(t)))])
    store.end_session(sid, "completed")
    trace, got = store.trace(sid)
    assert got == settings
    assert trace.shape == (len(t), 4)
    assert np.array_equal(trace[:, 0], t)  # times exactly as the detector saw them
    assert np.allclose(trace[:, 1], force, atol=1e-3) and np.all(trace[:, 2] == 0.5)
    chunks = store.db.execute("SELECT COUNT(*), SUM(LENGTH(data)) FROM trace_chunks").fetchone()
    assert chunks[0] >= 29 and chunks[1] == len(t) * 20  # float64 time + 3 float32 per sample
    assert store.sessions()[0]["mvc_device"] == 300.0
    store.close()


def test_records_are_owner_only(tmp_path):
    folder = tmp_path / "records"
    store = Store.in_dir(folder)
    sid = store.start_session(store.ensure_patient(), input_device="Ball")
    store.add_rep(sid, rep(1)).result()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for f in folder.iterdir():  # the database and its -wal and -shm files
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name
    store.close()


def test_progress_queries_over_weeks(tmp_path):
    h = build_history(tmp_path, days=21, skip=(4, 5, 11))
    today = date.fromtimestamp(START) + timedelta(days=20)
    days = reps_per_day(h.store, h.patient_id, today=today, days=21)
    assert len(days) == 21 and days[-1].day == today
    assert sum(d.reps for d in days) == h.reps == len(h.store.reps())
    assert [i for i, d in enumerate(days) if d.reps == 0] == [4, 5, 11]
    # One missed day in any 7 keeps the streak (issue 17): day 11 off is forgiven, days 4-5 end it
    assert streak(h.store, h.patient_id, today=today) == 14  # days 6..20 less day 11
    assert streak(h.store, h.patient_id, today=today + timedelta(days=1)) == 14  # not played yet today
    assert streak(h.store, h.patient_id, today=today + timedelta(days=2)) == 14  # yesterday off: forgiven
    assert streak(h.store, h.patient_id, today=today + timedelta(days=3)) == 0  # two days off
    t = today_summary(h.store, h.patient_id, today=today)
    assert t.reps_today == days[-1].reps and t.successes_today == days[-1].successes
    assert t.best_peak_pct_today == max(r["peak_pct"] for r in h.store.reps()[-t.reps_today:])
    ex = {e.exercise: e for e in per_exercise(h.store, h.patient_id)}
    assert set(ex) == {"power_grip", "pinch"} and ex["power_grip"].reps + ex["pinch"].reps == h.reps
    strength = strength_over_time(h.store, h.patient_id)
    assert len(strength) == 18 and all(p.units == "device units" and p.hand == "left" for p in strength)
    other = h.store.ensure_patient("Bob")
    assert sum(d.reps for d in reps_per_day(h.store, other, today=today)) == 0
    h.store.close()
