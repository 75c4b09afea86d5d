"""Durable records: SQLite in the user's data folder.

WAL journal with ``synchronous=FULL``: each repetition is its own transaction and
is on disk (fsynced) when ``add_rep`` returns, so neither a crash nor a power cut
loses a rep that the game showed as counted. The schema carries a version
(``PRAGMA user_version``) and upgrades step by step through ``MIGRATIONS``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "SqueezeQuest"
DB_NAME = "squeeze_quest.sqlite3"

SCHEMA_V1 = """
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    hand TEXT NOT NULL DEFAULT 'right' CHECK (hand IN ('left', 'right')),
    created_at REAL NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    started_at REAL NOT NULL,
    ended_at REAL,
    end_reason TEXT,
    input_device TEXT,
    level TEXT,
    app_version TEXT
);
CREATE TABLE reps (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    recorded_at REAL NOT NULL,
    exercise TEXT NOT NULL,
    hand TEXT NOT NULL,
    set_number INTEGER NOT NULL,
    rep_number INTEGER NOT NULL,
    success INTEGER NOT NULL,
    failure TEXT,
    target_pct REAL,
    hold_target_s REAL,
    peak_pct REAL,
    peak_device REAL,
    reaction_s REAL,
    time_to_peak_s REAL,
    rfd_pct_per_s REAL,
    hold_s REAL,
    hold_cv REAL,
    release_s REAL,
    residual_pct REAL,
    full_release INTEGER,
    roll_range REAL,
    difficulty_before REAL,
    difficulty_after REAL,
    t_start REAL,
    t_end REAL,
    detail TEXT
);
CREATE INDEX reps_session ON reps(session_id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER REFERENCES sessions(id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT
);
"""

# Force calibrations, per patient and hand (CLINICAL.md: rest baseline and noise,
# then three maximal squeezes). ``trials`` is JSON: the per-trial MVCs and rest
# recording summary. ``scale`` turns device units into ``units`` (kg, N) when the
# ball was calibrated against a known weight; NULL means device-derived.
SCHEMA_V2_CALIBRATIONS = """
CREATE TABLE calibrations (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    hand TEXT NOT NULL CHECK (hand IN ('left', 'right')),
    recorded_at REAL NOT NULL,
    baseline REAL NOT NULL,
    mvc REAL NOT NULL CHECK (mvc > 0),
    noise_sd REAL NOT NULL DEFAULT 0,
    units TEXT NOT NULL DEFAULT 'device units',
    scale REAL,
    device TEXT,
    trials TEXT
);
CREATE INDEX calibrations_patient_hand ON calibrations(patient_id, hand, recorded_at);
"""

# Patient profiles: the assigned level file, settings (JSON), the look of the
# patient's kiosk tile, the calibration in use (NULL: the newest for the hand) and
# the difficulty state (JSON per exercise, owned by the session code); the most
# recently used patient is the one the game starts with.
SCHEMA_V3_PROFILES = """
ALTER TABLE patients ADD COLUMN level TEXT;
ALTER TABLE patients ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE patients ADD COLUMN colour TEXT;
ALTER TABLE patients ADD COLUMN icon TEXT;
ALTER TABLE patients ADD COLUMN initials TEXT;
ALTER TABLE patients ADD COLUMN calibration_id INTEGER REFERENCES calibrations(id);
ALTER TABLE patients ADD COLUMN difficulty TEXT NOT NULL DEFAULT '{}';
ALTER TABLE patients ADD COLUMN updated_at REAL;
ALTER TABLE patients ADD COLUMN last_used_at REAL;
"""

# Version N is reached by running MIGRATIONS[N - 1] on a database at version N - 1.
MIGRATIONS: list[str] = [SCHEMA_V1, SCHEMA_V2_CALIBRATIONS, SCHEMA_V3_PROFILES]
SCHEMA_VERSION = len(MIGRATIONS)

REP_COLUMNS = (
    "success", "failure", "target_pct", "hold_target_s", "peak_pct", "peak_device", "reaction_s",
    "time_to_peak_s", "rfd_pct_per_s", "hold_s", "hold_cv", "release_s", "residual_pct", "full_release",
    "roll_range", "difficulty_before", "difficulty_after", "t_start", "t_end",
)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True, slots=True)
class RepRow:
    exercise: str
    hand: str
    set_number: int
    rep_number: int
    measurements: dict[str, Any]


class Store:
    """The game's database. Open it once; every write is committed on return."""

    def __init__(self, path: str | Path, *, wall: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._wall = wall
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        if new:
            # Health data: readable by its owner only, from the first byte.
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    @classmethod
    def in_dir(cls, data_dir: str | Path | None, **kw: Any) -> Store:
        return cls(Path(data_dir or default_data_dir()) / DB_NAME, **kw)

    def close(self) -> None:
        self.db.close()

    # -------------------------------------------------------------- schema
    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} was written by a newer Squeeze Quest (schema {current}, this one knows {SCHEMA_VERSION})"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for stmt in _statements(MIGRATIONS[version - 1]):
                    self.db.execute(stmt)
                self.db.execute(f"PRAGMA user_version={version}")

    def transaction(self) -> _Tx:
        return _Tx(self.db)

    # ------------------------------------------------------------ patients
    def ensure_patient(self, name: str = "Player", hand: str = "right") -> int:
        row = self.db.execute("SELECT id FROM patients WHERE name=? AND archived=0 ORDER BY id LIMIT 1", (name,)).fetchone()
        if row:
            return int(row[0])
        cur = self.db.execute(
            "INSERT INTO patients(name, hand, created_at) VALUES (?, ?, ?)", (name, hand, self._wall())
        )
        return int(cur.lastrowid)

    # ------------------------------------------------------------ sessions
    def start_session(self, patient_id: int, *, input_device: str, level: str | None = None,
                      app_version: str = "") -> int:
        cur = self.db.execute(
            "INSERT INTO sessions(patient_id, started_at, input_device, level, app_version) VALUES (?, ?, ?, ?, ?)",
            (patient_id, self._wall(), input_device, level, app_version),
        )
        return int(cur.lastrowid)

    def end_session(self, session_id: int, reason: str) -> None:
        self.db.execute(
            "UPDATE sessions SET ended_at=?, end_reason=? WHERE id=? AND ended_at IS NULL",
            (self._wall(), reason, session_id),
        )

    def mark_unfinished_sessions_interrupted(self) -> int:
        """Sessions left open by a crash or power cut are closed as interrupted."""
        cur = self.db.execute(
            "UPDATE sessions SET end_reason='interrupted', ended_at=COALESCE("
            "(SELECT MAX(recorded_at) FROM reps WHERE reps.session_id=sessions.id), started_at) "
            "WHERE ended_at IS NULL"
        )
        return cur.rowcount

    def add_rep(self, session_id: int, row: RepRow) -> int:
        m = row.measurements
        values = [m.get(c) for c in REP_COLUMNS]
        values[0] = int(bool(values[0]))
        if values[REP_COLUMNS.index("full_release")] is not None:
            values[REP_COLUMNS.index("full_release")] = int(bool(values[REP_COLUMNS.index("full_release")]))
        extra = {k: v for k, v in m.items() if k not in REP_COLUMNS}
        cols = ", ".join(REP_COLUMNS)
        marks = ", ".join("?" * len(REP_COLUMNS))
        cur = self.db.execute(
            f"INSERT INTO reps(session_id, recorded_at, exercise, hand, set_number, rep_number, {cols}, detail) "
            f"VALUES (?, ?, ?, ?, ?, ?, {marks}, ?)",
            (session_id, self._wall(), row.exercise, row.hand, row.set_number, row.rep_number, *values,
             json.dumps(extra, default=str) if extra else None),
        )
        return int(cur.lastrowid)

    def log_event(self, session_id: int | None, kind: str, detail: dict[str, Any] | None = None) -> None:
        self.db.execute(
            "INSERT INTO events(session_id, at, kind, detail) VALUES (?, ?, ?, ?)",
            (session_id, self._wall(), kind, json.dumps(detail) if detail else None),
        )

    # -------------------------------------------------------- calibrations
    def save_calibration(
        self, patient_id: int, hand: str, *, baseline: float, mvc: float, noise_sd: float = 0.0,
        units: str = "device units", scale: float | None = None, device: str | None = None,
        trials: Any = None,
    ) -> int:
        """Store one calibration (committed on return)."""
        cur = self.db.execute(
            "INSERT INTO calibrations(patient_id, hand, recorded_at, baseline, mvc, noise_sd, units, scale, device,"
            " trials) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (patient_id, hand, self._wall(), float(baseline), float(mvc), float(noise_sd), units,
             None if scale is None else float(scale), device,
             None if trials is None else json.dumps(trials, default=float)),
        )
        return int(cur.lastrowid)

    def calibrations(self, patient_id: int, hand: str | None = None, *, limit: int | None = None) -> list[sqlite3.Row]:
        """A patient's calibrations, newest first (one hand, or both)."""
        sql = "SELECT * FROM calibrations WHERE patient_id=?"
        args: list[Any] = [patient_id]
        if hand is not None:
            sql += " AND hand=?"
            args.append(hand)
        sql += " ORDER BY recorded_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self.db.execute(sql, args).fetchall()

    # -------------------------------------------------------------- reads
    def reps(self, session_id: int | None = None) -> list[sqlite3.Row]:
        if session_id is None:
            return self.db.execute("SELECT * FROM reps ORDER BY id").fetchall()
        return self.db.execute("SELECT * FROM reps WHERE session_id=? ORDER BY id", (session_id,)).fetchall()

    def sessions(self, patient_id: int | None = None) -> list[sqlite3.Row]:
        if patient_id is None:
            return self.db.execute("SELECT * FROM sessions ORDER BY id").fetchall()
        return self.db.execute("SELECT * FROM sessions WHERE patient_id=? ORDER BY id", (patient_id,)).fetchall()

    def events(self, session_id: int | None = None) -> list[sqlite3.Row]:
        if session_id is None:
            return self.db.execute("SELECT * FROM events ORDER BY id").fetchall()
        return self.db.execute("SELECT * FROM events WHERE session_id=? ORDER BY id", (session_id,)).fetchall()


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _statements(script: str) -> Iterable[str]:
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""
