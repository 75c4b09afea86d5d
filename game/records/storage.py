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
import stat
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from game.records.provenance import Provenance
from game.records.record_writer import BUSY_TIMEOUT_MS, RETRY_S, RecordWriter, WriteFailed, connect  # noqa: F401 - WriteFailed for callers
from game.records.spill_journal import SpillJournal, journal_path
from game.therapy.fatigue import fatigue_index as index_of_peaks  # a stored rep without a peak does not count

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

# The record of what happened, for progress pictures and the therapist's exports:
# how each session ended and how it felt (0-10 before and after), its active time,
# one row per set (success, fatigue index), every difficulty change, and the raw
# sensor trace in chunks (float64 time; float32 force,
# roll_x, roll_y) with the calibration and filter settings it was played with.
SCHEMA_RECORDS = """
ALTER TABLE sessions ADD COLUMN pain_before INTEGER CHECK (pain_before BETWEEN 0 AND 10);
ALTER TABLE sessions ADD COLUMN pain_after INTEGER CHECK (pain_after BETWEEN 0 AND 10);
ALTER TABLE sessions ADD COLUMN fatigue_before INTEGER CHECK (fatigue_before BETWEEN 0 AND 10);
ALTER TABLE sessions ADD COLUMN fatigue_after INTEGER CHECK (fatigue_after BETWEEN 0 AND 10);
ALTER TABLE sessions ADD COLUMN active_s REAL;
ALTER TABLE sessions ADD COLUMN reps_attempted INTEGER;
ALTER TABLE sessions ADD COLUMN reps_successful INTEGER;
ALTER TABLE sessions ADD COLUMN mvc_device REAL;
CREATE INDEX sessions_patient ON sessions(patient_id, started_at);
CREATE INDEX reps_recorded ON reps(recorded_at);
CREATE TABLE sets (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    exercise TEXT NOT NULL,
    hand TEXT,
    set_number INTEGER NOT NULL,
    started_at REAL,
    ended_at REAL NOT NULL,
    end_reason TEXT,
    reps_target INTEGER,
    reps_attempted INTEGER NOT NULL,
    reps_successful INTEGER NOT NULL,
    success_rate REAL,
    fatigue_index REAL,
    active_s REAL,
    UNIQUE (session_id, exercise, set_number)
);
CREATE TABLE difficulty_changes (
    id INTEGER PRIMARY KEY,
    session_id INTEGER REFERENCES sessions(id),
    at REAL NOT NULL,
    exercise TEXT NOT NULL,
    set_number INTEGER,
    rep_number INTEGER,
    setting TEXT NOT NULL,
    before REAL,
    after REAL,
    reason TEXT
);
CREATE INDEX difficulty_changes_session ON difficulty_changes(session_id);
CREATE TABLE session_traces (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    created_at REAL NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE trace_chunks (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,
    t0 REAL NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
);
"""

# The clinic kiosk: the staff PIN (a salted scrypt hash, never the PIN), its wrong-try
# count and lockout (kept here so a restart does not reset them), and kiosk settings.
SCHEMA_KIOSK = """
CREATE TABLE staff_pin (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kdf TEXT NOT NULL,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    set_at REAL NOT NULL,
    failed_tries INTEGER NOT NULL DEFAULT 0,
    lockouts INTEGER NOT NULL DEFAULT 0,
    locked_until REAL
);
CREATE TABLE kiosk_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Roll-range calibrations, per patient, hand and device (a ball with a motion sensor):
# how far the patient comfortably rolls the ball on each axis, in the device's units of
# rolled distance (degrees for a gyro), and the rate noise at rest. Every rolling target
# is a fraction of this. ``trials`` is JSON: the gyro bias and the protocol.
SCHEMA_ROLL_CALIBRATIONS = """
CREATE TABLE roll_calibrations (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    hand TEXT NOT NULL CHECK (hand IN ('left', 'right')),
    recorded_at REAL NOT NULL,
    device TEXT,
    range_x REAL NOT NULL CHECK (range_x > 0),
    range_y REAL NOT NULL CHECK (range_y > 0),
    noise_rate REAL NOT NULL DEFAULT 0,
    units TEXT NOT NULL DEFAULT 'device units',
    trials TEXT
);
CREATE INDEX roll_calibrations_patient_hand ON roll_calibrations(patient_id, hand, recorded_at);
"""

# A unique id on every record the game writes during play, so a record kept in the
# spill journal (the database was locked or the disk full) is merged exactly once:
# ``INSERT OR IGNORE`` on it. Sets (one per session, exercise and set number) and
# trace chunks (session, seq) already have their own unique keys.
SCHEMA_RECORD_UIDS = """
ALTER TABLE sessions ADD COLUMN uid TEXT;
CREATE UNIQUE INDEX sessions_uid ON sessions(uid);
ALTER TABLE reps ADD COLUMN uid TEXT;
CREATE UNIQUE INDEX reps_uid ON reps(uid);
ALTER TABLE events ADD COLUMN uid TEXT;
CREATE UNIQUE INDEX events_uid ON events(uid);
ALTER TABLE difficulty_changes ADD COLUMN uid TEXT;
CREATE UNIQUE INDEX difficulty_changes_uid ON difficulty_changes(uid);
"""

# Provenance (issue 14): what input made each session, set and rep (ball with its port,
# USB id, firmware and profile; keyboard, mouse, gamepad; simulator; trace file), the
# calibration it was measured against and the program file with its content hash. One
# row per distinct provenance, keyed by a hash of its content (game/records/provenance.py), so a
# journaled record merges to the same row. ``simulated`` marks scripted play. Rows from
# before this version get a provenance inferred from the session's input_device name,
# said so in ``detail``.
SCHEMA_PROVENANCE = """
CREATE TABLE provenance (
    uid TEXT PRIMARY KEY,
    input_kind TEXT NOT NULL CHECK (input_kind IN ('ball', 'keyboard', 'mouse', 'gamepad', 'simulator', 'trace',
                                                   'unknown')),
    device_name TEXT,
    device_id TEXT,
    firmware TEXT,
    device_profile TEXT,
    roll_input TEXT,
    calibration_id INTEGER,
    calibration_basis TEXT,
    force_units TEXT NOT NULL DEFAULT 'device units',
    force_scale REAL,
    program_file TEXT,
    program_version TEXT,
    simulated INTEGER NOT NULL DEFAULT 0,
    detail TEXT
);
ALTER TABLE sessions ADD COLUMN provenance_uid TEXT REFERENCES provenance(uid);
ALTER TABLE sessions ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sets ADD COLUMN provenance_uid TEXT REFERENCES provenance(uid);
ALTER TABLE reps ADD COLUMN provenance_uid TEXT REFERENCES provenance(uid);
INSERT INTO provenance(uid, input_kind, device_name, program_file, simulated, detail)
    SELECT DISTINCT 'before-v8:' || COALESCE(input_device, '') || ':' || COALESCE(level, ''),
        CASE WHEN input_device IS NULL THEN 'unknown'
             WHEN lower(input_device) LIKE 'keyboard%' THEN 'keyboard'
             WHEN lower(input_device) = 'simulator' THEN 'simulator'
             WHEN lower(input_device) LIKE 'trace %' THEN 'trace'
             ELSE 'ball' END,
        input_device, level,
        CASE WHEN lower(input_device) = 'simulator' OR lower(input_device) LIKE 'trace %' THEN 1 ELSE 0 END,
        'recorded before provenance was kept: the input is inferred from the session''s device name, '
        || 'the calibration and program version are not known'
    FROM sessions;
UPDATE sessions SET provenance_uid = 'before-v8:' || COALESCE(input_device, '') || ':' || COALESCE(level, ''),
    simulated = (SELECT simulated FROM provenance WHERE uid = 'before-v8:' || COALESCE(sessions.input_device, '')
                 || ':' || COALESCE(sessions.level, ''));
UPDATE reps SET provenance_uid = (SELECT provenance_uid FROM sessions WHERE sessions.id = reps.session_id);
UPDATE sets SET provenance_uid = (SELECT provenance_uid FROM sessions WHERE sessions.id = sets.session_id);
CREATE INDEX reps_provenance ON reps(provenance_uid);
"""

# A random version-4 uid (32 hex digits, as ``uuid.uuid4().hex``) made inside SQLite, for
# rows written by SQL the game does not hand a uid (and for rows from before uids).
SQL_UID4 = ("lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2) || "
            "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))")
SQL_NOW = "((julianday('now') - 2440587.5) * 86400.0)"
# Every record kind the clinic server takes (docs/clinic-server/API.md), by the table it lives in.
SYNCED_TABLES = {"patients": "patient", "sessions": "session", "sets": "set", "reps": "rep",
                 "calibrations": "calibration", "roll_calibrations": "roll_calibration", "events": "event",
                 "difficulty_changes": "difficulty_change", "provenance": "provenance", "trace_chunks": "trace"}


def _sync_schema() -> str:
    """Offline-first sync with a clinic server (issue 15): a uid on every record, and the
    outbox of what is still to go up. The outbox entry is made by a trigger in the same
    transaction as the row itself, whichever code wrote it (the record writer, a
    calibration, a new patient), so no crash can leave a record without its entry. The
    body is read from the row when it is sent (a session goes once it has ended); a rating
    is a snapshot kept in the outbox itself, as the session row only holds the latest."""
    parts = [
        "ALTER TABLE patients ADD COLUMN uid TEXT;",
        "ALTER TABLE calibrations ADD COLUMN uid TEXT;",
        "ALTER TABLE roll_calibrations ADD COLUMN uid TEXT;",
        "ALTER TABLE sets ADD COLUMN uid TEXT;",
        "ALTER TABLE trace_chunks ADD COLUMN uid TEXT;",
        # The clinic program a session was played with (NULL: a level file of this PC's own).
        "ALTER TABLE sessions ADD COLUMN program_uid TEXT;",
        "ALTER TABLE sessions ADD COLUMN program_version INTEGER;",
        """CREATE TABLE sync_outbox (
    uid TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    tbl TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    body TEXT,
    queued_at REAL NOT NULL,
    sent_at REAL,
    skipped TEXT
);""",
        "CREATE INDEX sync_outbox_pending ON sync_outbox(sent_at, skipped);",
        # The cursor of the changes feed, the clinic's settings, the last sync's outcome.
        "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT);",
        # Programs a therapist saved on the clinic server, each written to a level file.
        """CREATE TABLE clinic_programs (
    uid TEXT PRIMARY KEY,
    patient_uid TEXT,
    version INTEGER NOT NULL,
    name TEXT,
    yaml TEXT NOT NULL,
    saved_at TEXT,
    file TEXT NOT NULL,
    received_at REAL NOT NULL
);""",
    ]
    for table, kind in SYNCED_TABLES.items():
        if table != "provenance":
            parts.append(f"UPDATE {table} SET uid = {SQL_UID4} WHERE uid IS NULL;")
            parts.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_uid ON {table}(uid);")
        parts.append(f"INSERT OR IGNORE INTO sync_outbox(uid, kind, tbl, row_id, queued_at) "
                     f"SELECT uid, '{kind}', '{table}', rowid, {SQL_NOW} FROM {table};")
        fill = "" if table == "provenance" else f"UPDATE {table} SET uid = {SQL_UID4} WHERE rowid = NEW.rowid AND uid IS NULL;\n"
        parts.append(f"""CREATE TRIGGER {table}_outbox AFTER INSERT ON {table} BEGIN
{fill}INSERT OR IGNORE INTO sync_outbox(uid, kind, tbl, row_id, queued_at)
    SELECT uid, '{kind}', '{table}', rowid, {SQL_NOW} FROM {table} WHERE rowid = NEW.rowid;
END;""")
    parts.append(f"""CREATE TRIGGER sessions_program AFTER INSERT ON sessions WHEN NEW.level IS NOT NULL BEGIN
UPDATE sessions SET (program_uid, program_version) = (
    SELECT uid, version FROM clinic_programs WHERE NEW.level = file OR NEW.level LIKE '%' || file
    ORDER BY received_at DESC LIMIT 1) WHERE id = NEW.id;
END;""")
    ratings = ("pain_before", "pain_after", "fatigue_before", "fatigue_after")
    changed = " OR ".join(f"NEW.{r} IS NOT OLD.{r}" for r in ratings)
    snapshot = ", ".join(f"'{r}', NEW.{r}" for r in ratings)
    parts.append(f"""CREATE TRIGGER sessions_rating_outbox AFTER UPDATE OF {", ".join(ratings)} ON sessions
WHEN {changed} BEGIN
INSERT INTO sync_outbox(uid, kind, tbl, row_id, body, queued_at)
    VALUES ({SQL_UID4}, 'rating', 'sessions', NEW.id, json_object({snapshot}, 'at', {SQL_NOW}), {SQL_NOW});
END;""")
    return "\n".join(parts)


SCHEMA_SYNC = _sync_schema()

PROVENANCE_COLUMNS = ("input_kind", "device_name", "device_id", "firmware", "device_profile", "roll_input",
                      "calibration_id", "calibration_basis", "force_units", "force_scale", "program_file",
                      "program_version", "simulated")

# Version N is reached by running MIGRATIONS[N - 1] on a database at version N - 1.
MIGRATIONS: list[str] = [SCHEMA_V1, SCHEMA_V2_CALIBRATIONS, SCHEMA_V3_PROFILES, SCHEMA_RECORDS, SCHEMA_KIOSK,
                         SCHEMA_ROLL_CALIBRATIONS, SCHEMA_RECORD_UIDS, SCHEMA_PROVENANCE, SCHEMA_SYNC]
SCHEMA_VERSION = len(MIGRATIONS)

REP_COLUMNS = (
    "success", "failure", "target_pct", "hold_target_s", "peak_pct", "peak_device", "reaction_s",
    "time_to_peak_s", "rfd_pct_per_s", "hold_s", "hold_cv", "release_s", "residual_pct", "full_release",
    "roll_range", "difficulty_before", "difficulty_after", "t_start", "t_end",
)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def secure_data_files(db_path: str | Path) -> list[str]:
    """Make the records folder and every file in it the owner's only (health data),
    whether new or left readable by an older version or a copy. Returns a note per
    change (for the log and the events). Symlinks are not followed; files of other
    users are left alone (they cannot be changed)."""
    folder = Path(db_path).parent
    notes: list[str] = []
    if not hasattr(os, "geteuid"):
        # Windows: file modes do not keep other users out; the folder inside the user's profile
        # (%LOCALAPPDATA%) is kept private by the profile's own access list (see the README).
        return notes

    def fix(p: Path, want: int) -> None:
        try:
            st = os.lstat(p)
        except OSError:
            return
        if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid():
            return
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            try:
                os.chmod(p, mode & 0o700 | want)
            except OSError:
                return
            notes.append(f"{p} was readable by others (mode {mode:04o}); now the owner's only ({mode & 0o700 | want:04o})")

    if not folder.is_dir():
        return notes
    fix(folder, 0o700)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return notes
    for entry in entries:
        if entry.is_file(follow_symlinks=False):
            fix(Path(entry.path), 0o600)
    return notes


# How a session (or a set) ended, in the words the records and reports use.
END_COMPLETED = "completed"
END_STOPPED_PAIN = "stopped_pain"
END_STOPPED = "stopped"
END_INTERRUPTED = "interrupted"
END_QUIT = "quit"

# A raw-trace chunk is written when it holds this many samples or spans this long:
# a crash loses at most the last second of trace, never a rep.
TRACE_CHUNK_SAMPLES = 256
TRACE_CHUNK_S = 1.0
TRACE_COLUMNS = ("t", "force", "roll_x", "roll_y")
# 20 bytes a sample (7 MB an hour at 100 Hz): time stays float64 so a replay feeds the
# detector exactly the times it saw (its confirm windows compare times to the
# microsecond); force and roll are float32, far finer than any sensor's resolution.
TRACE_DTYPE = np.dtype([("t", "<f8"), ("force", "<f4"), ("roll_x", "<f4"), ("roll_y", "<f4")])


@dataclass(frozen=True, slots=True)
class RepRow:
    exercise: str
    hand: str
    set_number: int
    rep_number: int
    measurements: dict[str, Any]


class Store:
    """The game's database. Open it once.

    Game-time writes (sessions, reps, events, sets, traces) go through a
    :class:`RecordWriter` thread so they never stall a frame; each is its own
    committed, fsynced transaction, and ``add_rep`` returns a future that resolves
    once the rep is on disk. Reads wait for the queued writes first, so a read
    always sees what was written before it. ``self.db`` is the reading connection.
    """

    def __init__(self, path: str | Path, *, wall: Callable[[], float] = time.time, background: bool = True,
                 spill: bool = True, retry_s: float = RETRY_S, busy_timeout_ms: int | None = None) -> None:
        self.path = Path(path)
        self._wall = wall
        if not self.path.parent.exists():
            # The records folder too is the owner's only.
            self.path.parent.mkdir(parents=True, mode=0o700)
        # Health data: an existing folder or file left readable by others is fixed too.
        self.permission_notes = secure_data_files(self.path)
        new = not self.path.exists()
        if new:
            # Health data: readable by its owner only, from the first byte.
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self._read_busy_ms = busy_timeout_ms if busy_timeout_ms is not None else BUSY_TIMEOUT_MS
        self.db = connect(self.path, busy_timeout_ms=self._read_busy_ms)
        try:
            self.migrate()
            self._next_session_id = self._max_session_id() + 1
            # Play-time records the database cannot take yet (locked, disk full) go to
            # the spill journal next to it and are merged later: see game/records/spill_journal.py.
            journal = SpillJournal(journal_path(self.path)) if spill else None
            self.writer = RecordWriter(self.path, background=background, journal=journal, replay=apply_record,
                                       retry_s=retry_s, busy_timeout_ms=busy_timeout_ms)
        except BaseException:
            self.db.close()
            raise
        for rec in self.writer.held_records():
            if rec.get("kind") == "session":
                self._next_session_id = max(self._next_session_id, int(rec["id"]) + 1)
        self._session_uids: dict[int, str] = {}
        self._session_prov: dict[int, Provenance] = {}
        self._remapped: dict[int, int] = {}  # a session id another program took first -> the one it got
        self._trace_buf: dict[int, list[tuple[float, float, float, float]]] = {}
        self._trace_seq: dict[int, int] = {}

    @classmethod
    def in_dir(cls, data_dir: str | Path | None, **kw: Any) -> Store:
        return cls(Path(data_dir or default_data_dir()) / DB_NAME, **kw)

    def close(self) -> None:
        """Write what is buffered and queued, then close. Safe to call twice."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        try:
            for session_id in list(self._trace_buf):
                self._flush_trace(session_id)
            self.writer.close()
        finally:
            self.db.close()  # the reading connection too, whatever the writer met

    def flush(self) -> None:
        """Wait until every write queued so far is on disk."""
        self.writer.flush()

    def now(self) -> float:
        """The wall clock the records are stamped with (injected, so tests choose the day)."""
        return self._wall()

    @property
    def write_errors(self) -> list[str]:
        """Messages for writes that failed (disk full, file removed...), newest last."""
        return list(self.writer.errors)

    # ------------------------------------------------------ saving delayed
    @property
    def saving_delayed(self) -> bool:
        """Some records are kept in the spill journal (or memory), not yet in the database."""
        return self.writer.delayed

    def held_reps(self, session_id: int | None = None, *, exercise: str | None = None,
                  set_number: int | None = None) -> int:
        """Reps made but not yet in the database (kept, to be merged)."""
        n = 0
        for rec in self.writer.held_records():
            if rec.get("kind") != "rep":
                continue
            if session_id is not None and rec.get("session_id") != session_id:
                continue
            if exercise is not None and rec.get("exercise") != exercise:
                continue
            if set_number is not None and rec.get("set_number") != set_number:
                continue
            n += 1
        return n

    def retry_saving(self) -> None:
        """Try the kept records now (the writer also tries every few seconds)."""
        self.writer.retry_now()

    @property
    def journal_path(self) -> Path:
        return journal_path(self.path)

    def check_writable(self, *, min_free_bytes: int = 0, write: bool = True) -> None:
        """At start-up: raise (an OSError or sqlite3 error) unless the records can be
        read whole and written: the database passes ``quick_check``, a page can be
        committed, and the folder takes a small file. Changes nothing."""
        row = self.db.execute("PRAGMA quick_check(1)").fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({row[0] if row else 'no answer'})")
        if not write:
            return
        with self.transaction() as db:  # rewrites page 1: a real commit through the WAL
            db.execute(f"PRAGMA user_version={self.version}")
        probe = self.path.with_name(f".{self.path.name}.probe-{os.getpid()}")
        try:
            fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"\0" * 65536)
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            try:
                probe.unlink()
            except OSError:
                pass
        if min_free_bytes:
            import errno
            import shutil

            free = shutil.disk_usage(self.path.parent).free
            if free < min_free_bytes:
                raise OSError(errno.ENOSPC, f"only {free} bytes free on the disk of {self.path.parent}")

    def _submit(self, rec: dict[str, Any], what: str) -> Future:
        return self.writer.submit(lambda db: apply_record(db, rec), what, record=rec)

    def _session_ref(self, session_id: int | None) -> dict[str, Any]:
        return {"session_id": session_id, "session_uid": self._session_uids.get(session_id)}

    def _sid(self, session_id: int) -> int:
        return self._remapped.get(session_id, session_id)

    def _max_session_id(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM sessions").fetchone()[0])

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

    def simulated_patient(self) -> int:
        """The record scripted play (simulator, trace files) is kept under when no patient
        was named for it: archived, so it is never offered in a patient picker."""
        from game.records.provenance import SIMULATED_PATIENT

        row = self.db.execute("SELECT id FROM patients WHERE name=? AND archived=1 ORDER BY id LIMIT 1",
                              (SIMULATED_PATIENT,)).fetchone()
        if row:
            return int(row[0])
        cur = self.db.execute("INSERT INTO patients(name, hand, created_at, archived) VALUES (?, 'right', ?, 1)",
                              (SIMULATED_PATIENT, self._wall()))
        return int(cur.lastrowid)

    # ------------------------------------------------------------ sessions
    def start_session(self, patient_id: int, *, input_device: str, level: str | None = None,
                      app_version: str = "", provenance: Provenance | None = None) -> int:
        """A new session, its id at once (the row is written by the writer, so a locked
        database or a full disk never stops a set from starting: the session is kept
        in the spill journal like a rep). The id is the next free one; should another
        program take it first, the row gets another and reads here follow it.

        ``provenance``: the input, calibration and program it is played with (see
        game/records/provenance.py); its sets and reps carry it too unless given their own."""
        try:
            # No waiting for a lock on the frame: a locked database just means the counter.
            self.db.execute("PRAGMA busy_timeout=0")
            self._next_session_id = max(self._next_session_id, self._max_session_id() + 1)
        except sqlite3.Error:
            pass
        finally:
            try:
                self.db.execute(f"PRAGMA busy_timeout={self._read_busy_ms}")
            except sqlite3.Error:
                pass
        sid = self._next_session_id
        self._next_session_id += 1
        uid = uuid.uuid4().hex
        self._session_uids[sid] = uid
        if provenance is None:  # every session says what it was played with, if only by its device's name
            from game.records.provenance import infer_provenance

            provenance = infer_provenance(input_device, level)
        rec = {"kind": "session", "uid": uid, "id": sid, "patient_id": patient_id, "started_at": self._wall(),
               "input_device": input_device, "level": level, "app_version": app_version,
               "provenance": _prov(provenance)}
        self._session_prov[sid] = provenance

        def remember(fut: Future) -> None:
            if not fut.cancelled() and fut.exception() is None and fut.result() != sid:
                self._remapped[sid] = int(fut.result())

        self._submit(rec, f"session {sid}").add_done_callback(remember)
        return sid

    def end_session(self, session_id: int, reason: str) -> Future[None]:
        """Close a session (once: a second call changes nothing) with its totals.

        ``reason`` is one of completed, stopped_pain, stopped, interrupted, quit.
        """
        self._flush_trace(session_id)
        rec = {"kind": "end_session", **self._session_ref(session_id), "at": self._wall(), "reason": reason}
        return self._submit(rec, f"the end of session {session_id}")

    def mark_unfinished_sessions_interrupted(self) -> int:
        """Sessions left open by a crash or power cut are closed as interrupted."""
        def update(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "UPDATE sessions SET end_reason='interrupted', ended_at=COALESCE("
                "(SELECT MAX(recorded_at) FROM reps WHERE reps.session_id=sessions.id), started_at), "
                "reps_attempted=(SELECT COUNT(*) FROM reps WHERE session_id=sessions.id), "
                "reps_successful=(SELECT COUNT(*) FROM reps WHERE session_id=sessions.id AND success=1) "
                "WHERE ended_at IS NULL"
            )
            return cur.rowcount

        return self.writer.call(update, "the sessions left open")

    def add_rep(self, session_id: int, row: RepRow, *, provenance: Provenance | None = None) -> Future[int]:
        """Queue one rep; the returned future gives its row id once it is on disk.
        ``provenance``: what made this rep, if not the session's input (the keyboard
        standing in while the ball is away)."""
        m = row.measurements
        values = [m.get(c) for c in REP_COLUMNS]
        values[0] = int(bool(values[0]))
        if values[REP_COLUMNS.index("full_release")] is not None:
            values[REP_COLUMNS.index("full_release")] = int(bool(values[REP_COLUMNS.index("full_release")]))
        values = [_plain(v) for v in values]
        extra = {k: v for k, v in m.items() if k not in REP_COLUMNS}
        rec = {"kind": "rep", "uid": uuid.uuid4().hex, **self._session_ref(session_id), "recorded_at": self._wall(),
               "exercise": row.exercise, "hand": row.hand, "set_number": row.set_number, "rep_number": row.rep_number,
               "values": values, "detail": json.dumps(extra, default=str) if extra else None,
               "provenance": _prov(provenance or self._session_prov.get(session_id))}
        return self._submit(rec, f"rep {row.rep_number} of set {row.set_number}")

    def log_event(self, session_id: int | None, kind: str, detail: dict[str, Any] | None = None) -> Future[None]:
        rec = {"kind": "event", "uid": uuid.uuid4().hex, **self._session_ref(session_id), "at": self._wall(),
               "event": kind, "detail": json.dumps(detail, default=str) if detail else None}
        return self._submit(rec, f"the event '{kind}'")

    # ---------------------------------------------------- sets and ratings
    def finish_set(self, session_id: int, *, exercise: str, set_number: int, hand: str | None = None,
                   reps_target: int | None = None, end_reason: str = END_COMPLETED, active_s: float | None = None,
                   started_at: float | None = None, provenance: Provenance | None = None) -> Future[None]:
        """Record a finished set; its success rate and fatigue index come from its saved reps,
        so they are computed after every rep queued before this call is on disk."""
        rec = {"kind": "set", **self._session_ref(session_id), "exercise": exercise, "hand": hand,
               "set_number": set_number, "started_at": started_at, "at": self._wall(), "end_reason": end_reason,
               "reps_target": reps_target, "active_s": _plain(active_s),
               "provenance": _prov(provenance or self._session_prov.get(session_id))}
        return self._submit(rec, f"set {set_number} of {exercise}")

    def rate_session(self, session_id: int, **ratings: int | None) -> Future[None]:
        """Pain or fatigue, 0 (none) to 10 (worst), before and after a session:
        ``rate_session(sid, pain_before=2, fatigue_after=5)``."""
        allowed = ("pain_before", "pain_after", "fatigue_before", "fatigue_after")
        for key, value in ratings.items():
            if key not in allowed:
                raise ValueError(f"unknown rating '{key}': use {', '.join(allowed)}")
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10):
                raise ValueError(f"{key.replace('_', ' ')} must be a whole number from 0 to 10, got {value!r}")
        rec = {"kind": "ratings", **self._session_ref(session_id), "ratings": dict(ratings)}
        return self._submit(rec, f"the ratings of session {session_id}")

    def log_difficulty_change(self, session_id: int | None, *, exercise: str, setting: str, before: float | None,
                              after: float | None, reason: str = "", set_number: int | None = None,
                              rep_number: int | None = None) -> Future[None]:
        """One change of one setting (target_pct, hold_s, cue_s...), and why."""
        rec = {"kind": "difficulty", "uid": uuid.uuid4().hex, **self._session_ref(session_id), "at": self._wall(),
               "exercise": exercise, "set_number": set_number, "rep_number": rep_number, "setting": setting,
               "before": _plain(before), "after": _plain(after), "reason": reason}
        return self._submit(rec, f"a change of {setting}")

    # ----------------------------------------------------------- raw trace
    def start_trace(self, session_id: int, settings: dict[str, Any]) -> Future[None]:
        """Describe a session's raw trace: the calibration and the filter and
        detector settings it was played with, so a replay can run it again."""
        blob = json.dumps(settings, default=str, sort_keys=True)
        mvc = (settings.get("calibration") or {}).get("mvc")
        self._trace_buf.setdefault(session_id, [])
        self._trace_seq.setdefault(session_id, 0)
        rec = {"kind": "trace_settings", **self._session_ref(session_id), "at": self._wall(), "settings": blob,
               "mvc": None if mvc is None else float(mvc)}
        return self._submit(rec, f"the trace settings of session {session_id}")

    def add_samples(self, session_id: int, samples: Iterable[Any]) -> None:
        """Keep the device samples of a session; written in chunks of about a second."""
        buf = self._trace_buf.setdefault(session_id, [])
        for s in samples:
            buf.append((s.t, s.force, s.roll_x, s.roll_y))
        if buf and (len(buf) >= TRACE_CHUNK_SAMPLES or buf[-1][0] - buf[0][0] >= TRACE_CHUNK_S):
            self._flush_trace(session_id)

    def _flush_trace(self, session_id: int) -> None:
        buf = self._trace_buf.get(session_id)
        if not buf:
            return
        self._trace_buf[session_id] = []
        arr = np.asarray(buf, dtype=np.float64)
        t0 = float(arr[0, 0])
        packed = np.empty(len(arr), dtype=TRACE_DTYPE)
        for i, name in enumerate(TRACE_COLUMNS):
            packed[name] = arr[:, i]
        data = packed.tobytes()
        seq = self._trace_seq.get(session_id, 0)
        self._trace_seq[session_id] = seq + 1
        rec = {"kind": "trace_chunk", **self._session_ref(session_id), "seq": seq, "t0": t0, "n": len(arr),
               "data": data}
        self._submit(rec, f"the sensor trace of session {session_id}")

    def trace(self, session_id: int) -> tuple[np.ndarray, dict[str, Any]]:
        """A session's raw trace as an (N, 4) array of t, force, roll_x, roll_y, and its settings."""
        self.flush()
        row = self.db.execute("SELECT settings FROM session_traces WHERE session_id=?", (self._sid(session_id),)).fetchone()
        settings = json.loads(row["settings"]) if row else {}
        parts = []
        for ch in self.db.execute("SELECT t0, n, data FROM trace_chunks WHERE session_id=? ORDER BY seq",
                                  (self._sid(session_id),)):
            rec = np.frombuffer(ch["data"], dtype=TRACE_DTYPE, count=ch["n"])
            parts.append(np.column_stack([rec[name].astype(np.float64) for name in TRACE_COLUMNS]))
        return (np.vstack(parts) if parts else np.empty((0, 4))), settings

    def sets(self, session_id: int | None = None) -> list[sqlite3.Row]:
        self.flush()
        if session_id is None:
            return self.db.execute("SELECT * FROM sets ORDER BY id").fetchall()
        return self.db.execute("SELECT * FROM sets WHERE session_id=? ORDER BY id", (self._sid(session_id),)).fetchall()

    def difficulty_changes(self, session_id: int | None = None) -> list[sqlite3.Row]:
        self.flush()
        if session_id is None:
            return self.db.execute("SELECT * FROM difficulty_changes ORDER BY id").fetchall()
        return self.db.execute("SELECT * FROM difficulty_changes WHERE session_id=? ORDER BY id",
                               (self._sid(session_id),)).fetchall()

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

    def calibrations(self, patient_id: int, hand: str | None = None, *, limit: int | None = None,
                     wait: bool = True) -> list[sqlite3.Row]:
        """A patient's calibrations, newest first (one hand, or both). ``wait=False``: on the
        frame, a locked database raises at once instead of waiting for the lock."""
        if not wait:
            self.db.execute("PRAGMA busy_timeout=0")
            try:
                return self.calibrations(patient_id, hand, limit=limit)
            finally:
                self.db.execute(f"PRAGMA busy_timeout={self._read_busy_ms}")
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

    def save_roll_calibration(
        self, patient_id: int, hand: str, *, range_x: float, range_y: float, noise_rate: float = 0.0,
        units: str = "device units", device: str | None = None, trials: Any = None,
    ) -> int:
        """Store one roll-range calibration (committed on return)."""
        cur = self.db.execute(
            "INSERT INTO roll_calibrations(patient_id, hand, recorded_at, device, range_x, range_y, noise_rate,"
            " units, trials) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (patient_id, hand, self._wall(), device, float(range_x), float(range_y), float(noise_rate), units,
             None if trials is None else json.dumps(trials, default=float)),
        )
        return int(cur.lastrowid)

    def roll_calibrations(self, patient_id: int, hand: str | None = None, *, device: str | None = None,
                          limit: int | None = None) -> list[sqlite3.Row]:
        """A patient's roll-range calibrations, newest first (one hand or both; one device or any)."""
        sql = "SELECT * FROM roll_calibrations WHERE patient_id=?"
        args: list[Any] = [patient_id]
        if hand is not None:
            sql += " AND hand=?"
            args.append(hand)
        if device is not None:
            sql += " AND device=?"
            args.append(device)
        sql += " ORDER BY recorded_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self.db.execute(sql, args).fetchall()

    # -------------------------------------------------------------- reads
    def reps(self, session_id: int | None = None) -> list[sqlite3.Row]:
        self.flush()
        if session_id is None:
            return self.db.execute("SELECT * FROM reps ORDER BY id").fetchall()
        return self.db.execute("SELECT * FROM reps WHERE session_id=? ORDER BY id", (self._sid(session_id),)).fetchall()

    def sessions(self, patient_id: int | None = None) -> list[sqlite3.Row]:
        self.flush()
        if patient_id is None:
            return self.db.execute("SELECT * FROM sessions ORDER BY id").fetchall()
        return self.db.execute("SELECT * FROM sessions WHERE patient_id=? ORDER BY id", (patient_id,)).fetchall()

    def provenance(self, uid: str | None) -> sqlite3.Row | None:
        """One provenance row (input, device, calibration, program) by its uid."""
        self.flush()
        if uid is None:
            return None
        return self.db.execute("SELECT * FROM provenance WHERE uid=?", (uid,)).fetchone()

    def events(self, session_id: int | None = None) -> list[sqlite3.Row]:
        self.flush()
        if session_id is None:
            return self.db.execute("SELECT * FROM events ORDER BY id").fetchall()
        return self.db.execute("SELECT * FROM events WHERE session_id=? ORDER BY id", (self._sid(session_id),)).fetchall()


def _prov(p: Provenance | None) -> dict[str, Any] | None:
    """A provenance as the records keep it (JSON-able, with its content uid)."""
    return None if p is None else {"uid": p.uid, **p.as_record()}


def _store_prov(db: sqlite3.Connection, prov: dict[str, Any] | None) -> str | None:
    """The provenance row for a record (written once per distinct content); its uid."""
    if not prov:
        return None
    vals = [prov.get(c) for c in PROVENANCE_COLUMNS]
    vals[-1] = int(bool(vals[-1]))
    db.execute(f"INSERT OR IGNORE INTO provenance(uid, {', '.join(PROVENANCE_COLUMNS)}) "
               f"VALUES (?, {', '.join('?' * len(PROVENANCE_COLUMNS))})", (prov["uid"], *vals))
    return str(prov["uid"])


def _plain(v: Any) -> Any:
    """numpy scalars as Python numbers (the journal is JSON; SQLite takes both)."""
    return v.item() if isinstance(v, np.generic) else v


def _session_id(db: sqlite3.Connection, rec: dict[str, Any]) -> int | None:
    """The database id of the record's session: found by the session's uid (it may
    have got another id than the one the game was given), else the id as given."""
    uid = rec.get("session_uid")
    if uid:
        row = db.execute("SELECT id FROM sessions WHERE uid=?", (uid,)).fetchone()
        if row is not None:
            return int(row[0])
    return rec.get("session_id")


_REP_SQL = (f"INSERT OR IGNORE INTO reps(uid, session_id, recorded_at, exercise, hand, set_number, rep_number, "
            f"{', '.join(REP_COLUMNS)}, detail, provenance_uid) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, {', '.join('?' * len(REP_COLUMNS))}, ?, ?)")


def apply_record(db: sqlite3.Connection, rec: dict[str, Any]) -> Any:
    """Write one play-time record (as :class:`Store` makes them and the spill journal
    keeps them). Idempotent: applying a record twice stores it once."""
    kind = rec["kind"]
    if kind == "rep":
        prov = _store_prov(db, rec.get("provenance"))
        cur = db.execute(_REP_SQL, (rec["uid"], _session_id(db, rec), rec["recorded_at"], rec["exercise"], rec["hand"],
                                    rec["set_number"], rec["rep_number"], *rec["values"], rec["detail"], prov))
        if cur.rowcount:
            return int(cur.lastrowid)
        return int(db.execute("SELECT id FROM reps WHERE uid=?", (rec["uid"],)).fetchone()[0])
    if kind == "trace_chunk":
        db.execute("INSERT OR IGNORE INTO trace_chunks(session_id, seq, t0, n, data) VALUES (?, ?, ?, ?, ?)",
                   (_session_id(db, rec), rec["seq"], rec["t0"], rec["n"], rec["data"]))
        return None
    if kind == "event":
        db.execute("INSERT OR IGNORE INTO events(uid, session_id, at, kind, detail) VALUES (?, ?, ?, ?, ?)",
                   (rec["uid"], _session_id(db, rec), rec["at"], rec["event"], rec["detail"]))
        return None
    if kind == "session":
        row = db.execute("SELECT id FROM sessions WHERE uid=?", (rec["uid"],)).fetchone()
        if row is not None:
            return int(row[0])
        prov = rec.get("provenance")
        args = (rec["uid"], rec["patient_id"], rec["started_at"], rec["input_device"], rec["level"], rec["app_version"],
                _store_prov(db, prov), int(bool(prov and prov.get("simulated"))))
        cols = "uid, patient_id, started_at, input_device, level, app_version, provenance_uid, simulated"
        taken = db.execute("SELECT 1 FROM sessions WHERE id=?", (rec["id"],)).fetchone()
        if taken:  # another program started a session with this id meanwhile: take the next free one
            cur = db.execute(f"INSERT INTO sessions({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", args)
            return int(cur.lastrowid)
        db.execute(f"INSERT INTO sessions(id, {cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (rec["id"], *args))
        return int(rec["id"])
    if kind == "end_session":
        db.execute(
            "UPDATE sessions SET ended_at=?, end_reason=?, "
            "reps_attempted=(SELECT COUNT(*) FROM reps WHERE session_id=sessions.id), "
            "reps_successful=(SELECT COUNT(*) FROM reps WHERE session_id=sessions.id AND success=1), "
            "active_s=COALESCE((SELECT SUM(active_s) FROM sets WHERE session_id=sessions.id), active_s) "
            "WHERE id=? AND ended_at IS NULL",
            (rec["at"], rec["reason"], _session_id(db, rec)),
        )
        return None
    if kind == "set":
        sid = _session_id(db, rec)
        rows = db.execute(
            "SELECT success, peak_pct FROM reps WHERE session_id=? AND exercise=? AND set_number=? ORDER BY id",
            (sid, rec["exercise"], rec["set_number"]),
        ).fetchall()
        n, ok = len(rows), sum(int(r["success"]) for r in rows)
        prov = _store_prov(db, rec.get("provenance"))
        db.execute(
            "INSERT INTO sets(session_id, exercise, hand, set_number, started_at, ended_at, end_reason, "
            "reps_target, reps_attempted, reps_successful, success_rate, fatigue_index, active_s, provenance_uid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(session_id, exercise, set_number) DO UPDATE SET ended_at=excluded.ended_at, "
            "end_reason=excluded.end_reason, reps_attempted=excluded.reps_attempted, "
            "reps_successful=excluded.reps_successful, success_rate=excluded.success_rate, "
            "fatigue_index=excluded.fatigue_index, active_s=excluded.active_s",
            (sid, rec["exercise"], rec["hand"], rec["set_number"], rec["started_at"], rec["at"], rec["end_reason"],
             rec["reps_target"], n, ok, ok / n if n else None, index_of_peaks([float(r["peak_pct"]) for r in rows if r["peak_pct"] is not None]),
             rec["active_s"], prov),
        )
        return None
    if kind == "ratings":
        ratings = rec["ratings"]
        if ratings:
            sets = ", ".join(f"{k}=?" for k in ratings)
            db.execute(f"UPDATE sessions SET {sets} WHERE id=?", (*ratings.values(), _session_id(db, rec)))
        return None
    if kind == "difficulty":
        db.execute(
            "INSERT OR IGNORE INTO difficulty_changes(uid, session_id, at, exercise, set_number, rep_number, setting, "
            "before, after, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rec["uid"], _session_id(db, rec), rec["at"], rec["exercise"], rec["set_number"], rec["rep_number"],
             rec["setting"], rec["before"], rec["after"], rec["reason"]),
        )
        return None
    if kind == "trace_settings":
        sid = _session_id(db, rec)
        db.execute("INSERT OR REPLACE INTO session_traces(session_id, created_at, settings) VALUES (?, ?, ?)",
                   (sid, rec["at"], rec["settings"]))
        if rec["mvc"] is not None:
            db.execute("UPDATE sessions SET mvc_device=? WHERE id=?", (rec["mvc"], sid))
        return None
    raise ValueError(f"unknown kind of record '{kind}'")


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
