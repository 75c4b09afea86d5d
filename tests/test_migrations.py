"""A database from the first schema version (and from every later one) upgrades without loss."""

from __future__ import annotations

import sqlite3

import pytest

from game.records.storage import MIGRATIONS, SCHEMA_VERSION, RepRow, Store, _statements


def build_at(path, version: int) -> sqlite3.Connection:
    """A database as that version of the game made it (only the first ``version`` migrations)."""
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        for stmt in _statements(script):
            db.execute(stmt)
    db.execute(f"PRAGMA user_version={version}")
    db.commit()
    return db


def fill_v1(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO patients(id, name, hand, created_at) VALUES (1, 'Ann', 'left', 1000.0)")
    db.execute("INSERT INTO patients(id, name, hand, created_at, archived) VALUES (2, 'Bob', 'right', 1001.0, 1)")
    db.execute("INSERT INTO sessions(id, patient_id, started_at, ended_at, end_reason, input_device, level, app_version)"
               " VALUES (1, 1, 2000.0, 2600.0, 'completed', 'Ball', 'classic_home', '0.1.0')")
    db.execute("INSERT INTO sessions(id, patient_id, started_at, input_device) VALUES (2, 1, 3000.0, 'Keyboard')")
    for k in range(1, 11):
        db.execute(
            "INSERT INTO reps(session_id, recorded_at, exercise, hand, set_number, rep_number, success, failure, "
            "target_pct, hold_target_s, peak_pct, peak_device, reaction_s, time_to_peak_s, rfd_pct_per_s, hold_s, "
            "hold_cv, release_s, residual_pct, full_release, roll_range, difficulty_before, difficulty_after, "
            "t_start, t_end, detail) VALUES (?, ?, 'power_grip', 'left', 1, ?, ?, ?, 20, 0.5, ?, ?, 0.4, 0.6, 80, "
            "0.9, 0.05, 0.7, 1.5, 1, NULL, 20, 21, ?, ?, '{\"filter\": {\"detect_hz\": 10}}')",
            (1 if k <= 5 else 2, 2000.0 + k, k, k % 3 != 0, None if k % 3 else "below_target", 15.0 + k,
             60.0 + k, k * 4.0, k * 4.0 + 2))
    db.execute("INSERT INTO events(session_id, at, kind, detail) VALUES (1, 2001.0, 'set_start', '{\"set\": 1}')")
    db.execute("INSERT INTO events(session_id, at, kind) VALUES (NULL, 2002.0, 'disconnected')")
    db.commit()


def snapshot(db: sqlite3.Connection, tables=("patients", "sessions", "reps", "events")) -> dict:
    out = {}
    for t in tables:
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({t})")]
        out[t] = (cols, db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall())
    return out


def test_first_schema_version_upgrades_without_loss(tmp_path):
    path = tmp_path / "v1.sqlite3"
    db = build_at(path, 1)
    fill_v1(db)
    before = snapshot(db)
    db.close()

    store = Store(path)
    assert store.version == SCHEMA_VERSION
    after = snapshot(store.db)
    for table, (cols, rows) in before.items():
        new_cols, new_rows = after[table]
        assert new_cols[: len(cols)] == cols, f"{table}: columns changed or reordered"
        assert [tuple(r)[: len(cols)] for r in new_rows] == [tuple(r) for r in rows], f"{table}: rows changed"
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    # The upgraded database is fully usable: new sessions, sets, traces, ratings.
    assert store.mark_unfinished_sessions_interrupted() == 1
    assert store.sessions()[1]["end_reason"] == "interrupted" and store.sessions()[1]["reps_attempted"] == 5
    sid = store.start_session(1, input_device="Ball")
    store.add_rep(sid, RepRow("power_grip", "left", 1, 1, {"success": True, "peak_pct": 30.0})).result()
    store.finish_set(sid, exercise="power_grip", set_number=1, active_s=30.0)
    store.rate_session(sid, pain_before=1, pain_after=2)
    store.end_session(sid, "completed")
    row = store.sessions()[-1]
    assert (row["reps_attempted"], row["pain_after"], row["active_s"]) == (1, 2, 30.0)
    assert len(store.reps()) == 11
    store.close()
    # Opening again changes nothing.
    again = Store(path)
    assert again.version == SCHEMA_VERSION and len(again.reps()) == 11
    again.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_earlier_version_upgrades(tmp_path, version):
    path = tmp_path / f"v{version}.sqlite3"
    db = build_at(path, version)
    fill_v1(db)
    before = snapshot(db)
    db.close()
    store = Store(path)
    assert store.version == SCHEMA_VERSION
    after = snapshot(store.db)
    for table, (cols, rows) in before.items():
        # The one value a migration may fill in: a uid left empty by an older version (for sync).
        keep = [i for i, c in enumerate(cols) if c != "uid"]
        assert [tuple(tuple(r)[i] for i in keep) for r in after[table][1]] == [tuple(r[i] for i in keep) for r in rows]
        if "uid" in cols:
            assert all(len(r[cols.index("uid")]) == 32 for r in after[table][1])
    store.close()


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    import game.records.storage as storage

    path = tmp_path / "v1.sqlite3"
    db = build_at(path, 1)
    fill_v1(db)
    db.close()
    broken = [*MIGRATIONS, "CREATE TABLE reps (x INTEGER);"]  # clashes with an existing table
    monkeypatch.setattr(storage, "MIGRATIONS", broken)
    monkeypatch.setattr(storage, "SCHEMA_VERSION", len(broken))
    with pytest.raises(sqlite3.OperationalError):
        Store(path)
    db = sqlite3.connect(path)
    # Every migration before the broken one is kept; the broken one left no trace.
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 10
    db.close()
