import sqlite3

import pytest

from game.records.storage import MIGRATIONS, RepRow, Store


def test_session_and_reps_round_trip(tmp_path):
    store = Store(tmp_path / "db.sqlite3", wall=lambda: 1000.0)
    pid = store.ensure_patient("Ann", "left")
    assert store.ensure_patient("Ann") == pid
    sid = store.start_session(pid, input_device="Keyboard")
    store.add_rep(sid, RepRow("power_grip", "left", 1, 1, {"success": True, "peak_pct": 33.0, "full_release": True,
                                                             "filter": {"detect_hz": 10}}))
    row = store.reps(sid)[0]
    assert row["success"] == 1 and row["peak_pct"] == 33.0 and row["hand"] == "left"
    assert '"detect_hz": 10' in row["detail"]
    store.end_session(sid, "completed")
    assert store.sessions()[0]["end_reason"] == "completed"
    store.close()


def test_unfinished_sessions_are_marked_interrupted_on_next_start(tmp_path):
    died = Store(tmp_path / "db.sqlite3")
    sid = died.start_session(died.ensure_patient(), input_device="Keyboard")
    died.db.close()  # the process died here
    store = Store(tmp_path / "db.sqlite3")
    assert store.mark_unfinished_sessions_interrupted() == 1
    assert store.sessions()[0]["end_reason"] == "interrupted"
    assert store.sessions()[0]["id"] == sid
    store.close()
    died.writer.close()  # its writer thread and files, left running by the "death" (tests/leaks.py listed them)


def test_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "db.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer Squeeze Quest"):
        Store(path)
