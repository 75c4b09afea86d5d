"""Exports for the therapist: CSV (one row per rep), JSON (everything), FHIR.

Nothing leaves the machine except through these, and only when asked on the
command line. The FHIR export is a Bundle of Observations built and validated
with ``fhir.resources`` (its R4B models: Observation, Patient, Device and Bundle
are unchanged from R4 4.0.1, so the JSON is R4 JSON). It is coded honestly:
force comes from a sensor in a therapy ball, shown as a percentage of the
patient's own strongest squeeze on the same ball; it is marked device-derived and
is not coded as a dynamometer grip-strength reading. No Observation carries an
interpretation: the game does not diagnose.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from game.exercises import BY_ID
from game.storage import REP_COLUMNS

if TYPE_CHECKING:
    from game.storage import Store

FORMATS = ("csv", "json", "fhir")
EXPORT_VERSION = 1
CODE_SYSTEM = "urn:squeeze-quest:observation"
ID_SYSTEM = "urn:squeeze-quest:patient"
UCUM = "http://unitsofmeasure.org"
DEVICE_NOTE = (
    "Device-derived: force from a sensor inside a therapy ball, as % of this patient's own strongest squeeze "
    "on the same ball (MVC). Not a calibrated dynamometer reading; not a clinical assessment."
)
END_WORDS = {
    "completed": "completed",
    "stopped_pain": "stopped for pain",
    "stopped": "stopped early",
    "interrupted": "interrupted (the program was closed unexpectedly)",
    "quit": "closed before the end",
}
CSV_SESSION_COLUMNS = ("patient_id", "session_id", "session_started", "session_end_reason", "input_device")
CSV_REP_COLUMNS = ("recorded_at", "exercise", "hand", "set_number", "rep_number", *REP_COLUMNS, "detail")


class ExportError(ValueError):
    """An export that cannot be made; the message says why."""


# ------------------------------------------------------------- writing safely
def check_destination(out: Path) -> None:
    """Refuse a destination an export must not write through: a symbolic link (it
    could point anywhere, e.g. at another user's file), a folder, or anything else
    that is not a plain file (a device, a pipe)."""
    out = Path(out)
    if out.is_symlink():
        raise ExportError(f"{out} is a link to another file, so nothing was written (an export never writes "
                          "through a link); give the name of a new file, or remove the link first")
    if out.exists() and out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name inside it, e.g. {out / 'export.csv'}")
    if out.exists() and not out.is_file():
        raise ExportError(f"{out} is not an ordinary file, so nothing was written; give the name of a new file")


@contextmanager
def private_output(out: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file next to ``out`` (its name ending in ``suffix``), owner-only
    (0600) from the start, that becomes ``out`` in one step when the block ends
    without an error.

    The temporary file is fsynced and renamed over ``out`` with ``os.replace``, so a
    reader sees the old file or the whole new one, never half; a crash or full disk
    leaves the old file and no temporary behind; and the result is 0600 even where
    ``out`` was readable by others (the rename gives it the new file's mode). A
    rename replaces a link that appears in the meantime instead of following it.
    """
    out = Path(out)
    check_destination(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix, dir=out.parent)
    except OSError as exc:
        raise ExportError(f"cannot write in {out.parent} ({exc.strerror or exc}); choose another folder") from exc
    os.close(fd)  # mkstemp makes it 0600, owner only
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o600)  # whatever the writer did to it
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        check_destination(out)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {out} ({exc.strerror or exc}); nothing was changed. Is the disk full or "
                          "the folder read-only?") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(out.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (where the system allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_private(out: Path, text: str) -> None:
    """Write an export atomically, readable by its owner only: it is health data."""
    with private_output(out) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def iso(ts: float | None) -> str | None:
    """A wall-clock timestamp as local ISO 8601 with its UTC offset."""
    return None if ts is None else datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def find_patient(store: Store, who: str) -> sqlite3.Row:
    """A patient by id or by name (case-insensitive); a clear message if none or several match."""
    db = store.db
    if who.isdigit():
        row = db.execute("SELECT * FROM patients WHERE id=?", (int(who),)).fetchone()
        if row:
            return row
    rows = db.execute("SELECT * FROM patients WHERE lower(name)=lower(?) ORDER BY id", (who,)).fetchall()
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        ids = ", ".join(str(r["id"]) for r in rows)
        raise ExportError(f"{len(rows)} patients are called '{who}' (ids {ids}); give the id instead")
    names = ", ".join(f"{r['name']} (id {r['id']})" for r in db.execute("SELECT id, name FROM patients ORDER BY id"))
    raise ExportError(f"no patient '{who}' in {store.path}; known: {names or 'none yet'}")


def _rows(db: sqlite3.Connection, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in db.execute(sql, args)]


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


# --------------------------------------------------------------------- CSV
def export_csv(store: Store, patient_id: int) -> str:
    """One row per rep, every measurement, with the session it belongs to."""
    store.flush()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*CSV_SESSION_COLUMNS, *CSV_REP_COLUMNS])
    cols = ", ".join(f"r.{c}" for c in CSV_REP_COLUMNS)
    sql = (f"SELECT s.patient_id, s.id AS session_id, s.started_at, s.end_reason, s.input_device, {cols} "
           "FROM reps r JOIN sessions s ON s.id = r.session_id WHERE s.patient_id=? ORDER BY r.id")
    for row in store.db.execute(sql, (patient_id,)):
        vals = list(row)
        vals[2] = iso(vals[2])
        vals[5] = iso(vals[5])
        w.writerow(["" if v is None else v for v in vals])
    return out.getvalue()


# -------------------------------------------------------------------- JSON
def export_data(store: Store, patient_id: int, *, include_name: bool = True) -> dict[str, Any]:
    """Everything recorded for one patient, as plain data (JSON-ready)."""
    store.flush()
    db = store.db
    patient = dict(db.execute("SELECT * FROM patients WHERE id=?", (patient_id,)).fetchone())
    if not include_name:
        patient["name"] = f"patient {patient_id}"
    sessions = _rows(db, "SELECT * FROM sessions WHERE patient_id=? ORDER BY started_at, id", (patient_id,))
    for s in sessions:
        sid = s["id"]
        s["started_at_local"], s["ended_at_local"] = iso(s["started_at"]), iso(s["ended_at"])
        s["sets"] = _rows(db, "SELECT * FROM sets WHERE session_id=? ORDER BY id", (sid,))
        s["reps"] = _rows(db, "SELECT * FROM reps WHERE session_id=? ORDER BY id", (sid,))
        for r in s["reps"]:
            r["detail"] = json.loads(r["detail"]) if r["detail"] else None
        s["events"] = _rows(db, "SELECT * FROM events WHERE session_id=? ORDER BY id", (sid,))
        for e in s["events"]:
            e["detail"] = json.loads(e["detail"]) if e["detail"] else None
        s["difficulty_changes"] = _rows(db, "SELECT * FROM difficulty_changes WHERE session_id=? ORDER BY id", (sid,))
        tr = db.execute("SELECT settings FROM session_traces WHERE session_id=?", (sid,)).fetchone()
        s["trace_settings"] = json.loads(tr["settings"]) if tr else None
        s["trace_samples"] = db.execute("SELECT COALESCE(SUM(n), 0) FROM trace_chunks WHERE session_id=?",
                                        (sid,)).fetchone()[0]
    calibrations = (_rows(db, "SELECT * FROM calibrations WHERE patient_id=? ORDER BY recorded_at", (patient_id,))
                    if _has_table(db, "calibrations") else [])
    return {
        "format": "squeeze-quest-records",
        "format_version": EXPORT_VERSION,
        "schema_version": store.version,
        "exported_at": iso(store.now()),
        "note": DEVICE_NOTE,
        "patient": patient,
        "calibrations": calibrations,
        "sessions": sessions,
    }


def export_json(store: Store, patient_id: int, *, include_name: bool = True) -> str:
    return json.dumps(export_data(store, patient_id, include_name=include_name), indent=2, default=str)


# -------------------------------------------------------------------- FHIR
def _coding(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": CODE_SYSTEM, "code": code, "display": display}], "text": display}


def _qty(value: float, unit: str, ucum: str | None) -> dict[str, Any]:
    q: dict[str, Any] = {"value": round(float(value), 3), "unit": unit}
    if ucum is not None:
        q.update(system=UCUM, code=ucum)
    return q


def _component(code: str, display: str, value: float | None, unit: str, ucum: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"code": _coding(code, display), "valueQuantity": _qty(value, unit, ucum)}


def export_fhir_bundle(store: Store, patient_id: int, *, include_name: bool = True) -> Any:
    """A FHIR Bundle (collection) with the Patient, the ball as a Device, and per
    session one summary Observation (and the pain ratings, when given)."""
    from fhir.resources.R4B.bundle import Bundle

    data = export_data(store, patient_id, include_name=include_name)
    p = data["patient"]
    ns = uuid.uuid5(uuid.NAMESPACE_URL, f"squeeze-quest:{store.path}:{patient_id}")
    patient_url = f"urn:uuid:{uuid.uuid5(ns, 'patient')}"
    device_url = f"urn:uuid:{uuid.uuid5(ns, 'device')}"
    patient_res: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": ID_SYSTEM, "value": str(patient_id)}],
    }
    if include_name:
        patient_res["name"] = [{"text": p["name"]}]
    entries = [
        {"fullUrl": patient_url, "resource": patient_res},
        {"fullUrl": device_url, "resource": {
            "resourceType": "Device",
            "deviceName": [{"name": "Force-sensing therapy ball (Squeeze Quest)", "type": "user-friendly-name"}],
            "type": {"text": "Therapy ball with force sensor; device-derived force, not a dynamometer"},
            "note": [{"text": DEVICE_NOTE}],
        }},
    ]
    subject = {"reference": patient_url}
    device = {"reference": device_url}
    category = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                             "code": "therapy", "display": "Therapy"}]}]
    for s in data["sessions"]:
        if s["ended_at"] is None and not s["reps"]:
            continue  # a session still open with nothing in it yet
        period = {"start": s["started_at_local"]}
        if s["ended_at_local"]:
            period["end"] = s["ended_at_local"]
        reps = s["reps"]
        n = len(reps)
        ok = sum(int(r["success"]) for r in reps)
        peaks = [r["peak_pct"] for r in reps if r["peak_pct"] is not None]
        exercises = sorted({r["exercise"] for r in reps} | {x["exercise"] for x in s["sets"]})
        names = ", ".join(BY_ID[e].name if e in BY_ID else e for e in exercises) or "no exercise recorded"
        fatigue = [x["fatigue_index"] for x in s["sets"] if x["fatigue_index"] is not None]
        components = [c for c in (
            _component("reps-attempted", "Repetitions attempted", n, "repetitions", "{repetitions}"),
            _component("reps-successful", "Repetitions that met the target", ok, "repetitions", "{repetitions}"),
            _component("success-rate", "Repetitions that met the target", 100.0 * ok / n if n else None, "%", "%"),
            _component("peak-force-best-pct-mvc", "Best peak squeeze force, device-derived, % of own MVC",
                       max(peaks) if peaks else None, "% of own MVC", "%"),
            _component("peak-force-mean-pct-mvc", "Mean peak squeeze force, device-derived, % of own MVC",
                       sum(peaks) / len(peaks) if peaks else None, "% of own MVC", "%"),
            _component("mvc-device", "Maximal squeeze (MVC) in use, device-derived, uncalibrated device units",
                       s.get("mvc_device"), "device units", None),
            _component("active-time", "Active exercise time", (s["active_s"] / 60.0) if s.get("active_s") else None,
                       "min", "min"),
            _component("fatigue-index-max", "Highest set fatigue index (drop from first to last 3 peaks)",
                       max(fatigue) if fatigue else None, "%", "%"),
        ) if c is not None]
        end = END_WORDS.get(s["end_reason"] or "", s["end_reason"] or "still open")
        obs = {
            "resourceType": "Observation",
            "status": "final" if s["ended_at"] is not None else "preliminary",
            "category": category,
            "code": _coding("hand-exercise-session", "Hand exercise session with a force-sensing therapy ball"),
            "subject": subject,
            "device": device,
            "effectivePeriod": period,
            "method": {"text": DEVICE_NOTE},
            "component": components,
            "note": [{"text": f"Exercises: {names}. Hand: {reps[0]['hand'] if reps else 'not recorded'}. "
                              f"Session {end}."}],
        }
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(ns, 'session-' + str(s['id']))}", "resource": obs})
        for key, when in (("pain_before", "before"), ("pain_after", "after")):
            if s.get(key) is None:
                continue
            entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(ns, key + '-' + str(s['id']))}", "resource": {
                "resourceType": "Observation",
                "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                          "code": "survey", "display": "Survey"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3",
                                     "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}],
                         "text": f"Pain (0-10) reported {when} the exercise session"},
                "subject": subject,
                "effectiveDateTime": s["started_at_local"] if when == "before" else (s["ended_at_local"]
                                                                                     or s["started_at_local"]),
                "valueInteger": int(s[key]),
            }})
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": data["exported_at"], "entry": entries}
    return Bundle.model_validate(bundle)  # raises if anything is not valid FHIR


def export_fhir(store: Store, patient_id: int, *, include_name: bool = True) -> str:
    bundle = export_fhir_bundle(store, patient_id, include_name=include_name)
    return json.dumps(json.loads(bundle.model_dump_json(exclude_none=True)), indent=2)


def export(store: Store, patient_id: int, fmt: str, *, include_name: bool = True) -> str:
    if fmt == "csv":
        return export_csv(store, patient_id)
    if fmt == "json":
        return export_json(store, patient_id, include_name=include_name)
    if fmt == "fhir":
        return export_fhir(store, patient_id, include_name=include_name)
    raise ExportError(f"unknown format '{fmt}': use {', '.join(FORMATS)}")
