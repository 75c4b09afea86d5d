"""Progress from the records: reps per day, success rate, strongest squeeze over
time, per exercise, and the streak of days in a row.

Plain queries on a SQLite connection (the store's reading connection), so the
progress screen, the session summary, the exports and the therapist's report all
count the same way. Days are the patient's local calendar days.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from game.therapy.fatigue import fatigue_index as index_of_peaks

if TYPE_CHECKING:
    from game.records.storage import Store

_LOCAL_DAY = "date(r.recorded_at, 'unixepoch', 'localtime')"


def fatigue_index(peaks: Sequence[float | None]) -> float | None:
    """The set's fatigue index (:func:`game.therapy.fatigue.fatigue_index`) over the
    peaks that were recorded; a rep stored without a peak does not count."""
    return index_of_peaks([float(p) for p in peaks if p is not None])


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    reps: int
    successes: int

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.reps if self.reps else None


@dataclass(frozen=True, slots=True)
class StrengthPoint:
    """The strongest squeeze on record for a day: a calibration's MVC, or the MVC a
    session was played with. Device units unless ``units`` says the ball was
    calibrated against known weights."""

    day: date
    mvc: float
    units: str
    hand: str | None
    device: str | None = None


@dataclass(frozen=True, slots=True)
class ExerciseTotal:
    exercise: str
    reps: int
    successes: int
    best_peak_pct: float | None
    last_day: date | None

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.reps if self.reps else None


@dataclass(frozen=True, slots=True)
class TodaySummary:
    reps_today: int
    successes_today: int
    best_peak_pct_today: float | None
    streak_days: int


def _conn(src: Store | sqlite3.Connection) -> sqlite3.Connection:
    if isinstance(src, sqlite3.Connection):
        return src
    src.flush()  # read what was written before, including the rep just made
    return src.db


def _day(s: str) -> date:
    return date.fromisoformat(s)


def reps_per_day(src: Store | sqlite3.Connection, patient_id: int, *, today: date, days: int = 14,
                 exercise: str | None = None) -> list[DayCount]:
    """One entry per calendar day for the last ``days`` days up to ``today``, zero days included."""
    db = _conn(src)
    first = today - timedelta(days=days - 1)
    sql = (f"SELECT {_LOCAL_DAY} AS day, COUNT(*) AS n, SUM(r.success) AS ok FROM reps r "
           "JOIN sessions s ON s.id = r.session_id WHERE s.patient_id = ? AND day >= ? AND day <= ?")
    args: list[object] = [patient_id, first.isoformat(), today.isoformat()]
    if exercise is not None:
        sql += " AND r.exercise = ?"
        args.append(exercise)
    found = {row["day"]: (int(row["n"]), int(row["ok"] or 0)) for row in db.execute(sql + " GROUP BY day", args)}
    out = []
    for i in range(days):
        d = first + timedelta(days=i)
        n, ok = found.get(d.isoformat(), (0, 0))
        out.append(DayCount(d, n, ok))
    return out


def active_days(src: Store | sqlite3.Connection, patient_id: int) -> list[date]:
    db = _conn(src)
    rows = db.execute(f"SELECT DISTINCT {_LOCAL_DAY} AS day FROM reps r JOIN sessions s ON s.id = r.session_id "
                      "WHERE s.patient_id = ? ORDER BY day", (patient_id,))
    return [_day(r["day"]) for r in rows]


def streak(src: Store | sqlite3.Connection, patient_id: int, *, today: date) -> int:
    """Days of practice in a row up to today, where one missed day in any 7 keeps the streak
    (:func:`game.therapy.goals.forgiving_streak`: every screen counts it the same way). A day
    not yet played today does not break it."""
    from game.therapy.goals import forgiving_streak

    return forgiving_streak(active_days(src, patient_id), today=today).days


def strength_over_time(src: Store | sqlite3.Connection, patient_id: int, *, hand: str | None = None) -> list[StrengthPoint]:
    """The best MVC per day: from calibrations where there are any, otherwise the MVC
    each ball session was played with (recorded with its trace). One device only, in its
    own units (kg where it was weight-calibrated): the device of the newest calibration
    (or ball session), since readings of two devices cannot share an axis."""
    db = _conn(src)
    points: dict[tuple[date, str | None], StrengthPoint] = {}
    if _has_table(db, "calibrations"):
        sql = "SELECT * FROM calibrations WHERE patient_id = ?"
        args: list[object] = [patient_id]
        if hand is not None:
            sql += " AND hand = ?"
            args.append(hand)
        rows = db.execute(sql + " ORDER BY recorded_at, id", args).fetchall()
        if rows:
            device = rows[-1]["device"]
            for r in rows:
                if r["device"] != device:
                    continue
                kg = r["units"] != "device units" and r["scale"] is not None
                value = float(r["mvc"]) * float(r["scale"]) if kg else float(r["mvc"])
                key = (local_day(r["recorded_at"]), r["hand"])
                if key not in points or value > points[key].mvc:
                    points[key] = StrengthPoint(key[0], value, r["units"] if kg else "device units", r["hand"], device)
    if not points:
        ball = ""
        if _has_table(db, "provenance"):
            ball = (" AND provenance_uid IN (SELECT uid FROM provenance WHERE input_kind = 'ball')")
        rows = db.execute("SELECT started_at, mvc_device, input_device FROM sessions WHERE patient_id = ? "
                          f"AND mvc_device IS NOT NULL{ball} ORDER BY started_at, id", (patient_id,)).fetchall()
        device = rows[-1]["input_device"] if rows else None
        for r in rows:
            if r["input_device"] != device:
                continue
            key = (local_day(r["started_at"]), None)
            if key not in points or float(r["mvc_device"]) > points[key].mvc:
                points[key] = StrengthPoint(key[0], float(r["mvc_device"]), "device units", None, device)
    return sorted(points.values(), key=lambda p: (p.day, p.hand or ""))


def per_exercise(src: Store | sqlite3.Connection, patient_id: int) -> list[ExerciseTotal]:
    db = _conn(src)
    rows = db.execute(
        f"SELECT r.exercise, COUNT(*) AS n, SUM(r.success) AS ok, MAX(r.peak_pct) AS best, MAX({_LOCAL_DAY}) AS last "
        "FROM reps r JOIN sessions s ON s.id = r.session_id WHERE s.patient_id = ? GROUP BY r.exercise "
        "ORDER BY n DESC, r.exercise", (patient_id,))
    return [ExerciseTotal(r["exercise"], int(r["n"]), int(r["ok"] or 0), r["best"],
                          _day(r["last"]) if r["last"] else None) for r in rows]


def today_summary(src: Store | sqlite3.Connection, patient_id: int, *, today: date) -> TodaySummary:
    db = _conn(src)
    row = db.execute(
        f"SELECT COUNT(*) AS n, SUM(r.success) AS ok, MAX(r.peak_pct) AS best FROM reps r "
        f"JOIN sessions s ON s.id = r.session_id WHERE s.patient_id = ? AND {_LOCAL_DAY} = ?",
        (patient_id, today.isoformat())).fetchone()
    return TodaySummary(int(row["n"]), int(row["ok"] or 0), row["best"], streak(db, patient_id, today=today))


def local_day(timestamp: float) -> date:
    """The patient's calendar day for a wall-clock timestamp (from the store's injected clock)."""
    return datetime.fromtimestamp(timestamp).date()


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None
