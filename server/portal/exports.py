"""The report (PDF) and the CSV, JSON and FHIR exports of one patient, made on the server by
the game's own code (game/records/report.py and export.py) from the server's records.

The records a PC sent are rows of its own database (body = the row's columns, see the sync
contract), so the patient's records are written back into a private, temporary copy of the
game's database (the game's schema, made by the game's migrations) and the game's report
and exports run on it unchanged: one report, one set of export rules, wherever it is made.
The copy is removed as soon as the download is made.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

from game.i18n import _

# Which table of the game's database each kind of record is a row of.
TABLES = {"session": "sessions", "rep": "reps", "set": "sets", "calibration": "calibrations",
          "roll_calibration": "roll_calibrations", "event": "events", "difficulty_change": "difficulty_changes",
          "provenance": "provenance"}
RATINGS = ("pain_before", "pain_after", "fatigue_before", "fatigue_after")
# One report drawn at a time: matplotlib's fonts and settings are process-wide, and two reports
# in different languages at once (Chinese needs its own font) must not mix them. The words
# themselves are already per request (game.i18n.language_for).
_REPORT_LOCK = threading.Lock()


class ExportUnavailable(RuntimeError):
    """The download cannot be made on this server (an extra package is missing)."""


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def _plain(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return v


def fill_store(db: sqlite3.Connection, patient: Any, rows: list[Any]) -> int:
    """Write one patient's server records into a game database; returns the patient's id there."""
    name = patient.display_name or patient.initials or "Patient"
    cur = db.execute("INSERT INTO patients(name, hand, created_at, initials) VALUES (?, ?, ?, ?)",
                     (name, patient.hand if patient.hand in ("left", "right") else "right",
                      patient.created_at.timestamp(), patient.initials))
    pid = int(cur.lastrowid)
    cols = {t: set(_columns(db, t)) for t in set(TABLES.values())}
    session_ids: dict[str, int] = {}
    ratings: list[tuple[str, dict]] = []
    order = {"provenance": 0, "calibration": 1, "roll_calibration": 1, "session": 2}
    for r in sorted(rows, key=lambda r: (order.get(r.kind, 3), r.recorded_at)):
        body = r.body if isinstance(r.body, dict) else {}
        if r.kind == "rating":
            if r.session_uid:
                ratings.append((str(r.session_uid), body))
            continue
        table = TABLES.get(r.kind)
        if table is None:
            continue
        values = {k: _plain(v) for k, v in body.items() if k in cols[table] and k != "id"}
        if "patient_id" in cols[table]:
            values["patient_id"] = pid
        if "session_id" in cols[table]:
            sid = session_ids.get(str(r.session_uid)) if r.session_uid else None
            if sid is None and table not in ("events", "difficulty_changes"):
                continue  # a rep or set whose session never arrived: nothing to hang it on
            values["session_id"] = sid
        if table == "sessions":
            values.setdefault("started_at", r.recorded_at.timestamp())
            values.setdefault("uid", str(r.session_uid or r.uid))
        elif table in ("reps", "events", "difficulty_changes"):
            values.setdefault("uid", r.uid.hex)
        if table == "reps":
            values.setdefault("recorded_at", r.recorded_at.timestamp())
        if table == "provenance":
            values.setdefault("uid", str(r.uid))
        names = ", ".join(values)
        cur = db.execute(f"INSERT OR IGNORE INTO {table}({names}) VALUES ({', '.join('?' * len(values))})",
                         tuple(values.values()))
        if table == "sessions":
            row = db.execute("SELECT id FROM sessions WHERE uid=?", (values["uid"],)).fetchone()
            session_ids[str(r.session_uid or r.uid)] = int(row[0])
            if r.session_uid:
                session_ids[str(r.uid)] = int(row[0])
    for suid, body in ratings:
        sid = session_ids.get(suid)
        src = body.get("ratings") if isinstance(body.get("ratings"), dict) else body
        vals = {k: src[k] for k in RATINGS if isinstance(src.get(k), (int, float))}
        if sid is not None and vals:
            db.execute(f"UPDATE sessions SET {', '.join(f'{k}=?' for k in vals)} WHERE id=?", (*vals.values(), sid))
    # Counts the game keeps on the session row, from the reps that arrived.
    db.execute("UPDATE sessions SET reps_attempted=COALESCE(reps_attempted, (SELECT COUNT(*) FROM reps WHERE "
               "session_id=sessions.id)), reps_successful=COALESCE(reps_successful, (SELECT COUNT(*) FROM reps "
               "WHERE session_id=sessions.id AND success=1))")
    db.commit()
    return pid


def make(patient: Any, rows: list[Any], what: str) -> tuple[bytes, str]:
    """(file bytes, media type) of one download: report.pdf, records.csv, records.json, records.fhir.json."""
    from game.records.storage import Store

    with tempfile.TemporaryDirectory(prefix="sq-portal-") as tmp:
        store = Store(Path(tmp) / "copy.sqlite3", background=False, spill=False)
        try:
            pid = fill_store(store.db, patient, rows)
            if what == "records.csv":
                from game.records.export import export_csv

                return export_csv(store, pid).encode("utf-8"), "text/csv; charset=utf-8"
            if what == "records.json":
                from game.records.export import export_json

                return export_json(store, pid).encode("utf-8"), "application/json"
            if what == "records.fhir.json":
                from game.records.export import ExportError, export_fhir

                try:
                    return export_fhir(store, pid).encode("utf-8"), "application/fhir+json"
                except (ImportError, ExportError) as e:
                    raise ExportUnavailable(_("The FHIR export needs the server's reports extra: "
                                              "pip install 'squeeze-quest[reports]'.")) from e
            from game.records.report import ReportError, build_report

            out = Path(tmp) / "report.pdf"
            try:
                with _REPORT_LOCK:  # in the language of this request (the therapist's)
                    build_report(store, pid, out)
            except ImportError as e:
                raise ExportUnavailable(_("The report needs the server's reports extra: "
                                          "pip install 'squeeze-quest[reports]'.")) from e
            except ReportError as e:
                raise ExportUnavailable(str(e)) from e
            return out.read_bytes(), "application/pdf"
        finally:
            store.close()
