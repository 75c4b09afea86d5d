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

from game.i18n import N_
from game.therapy.exercises import BY_ID
from game.records.provenance import input_words
from game.records.storage import REP_COLUMNS

if TYPE_CHECKING:
    from game.records.storage import Store

FORMATS = ("csv", "json", "fhir")
EXPORT_VERSION = 1
CODE_SYSTEM = "urn:squeeze-quest:observation"
ID_SYSTEM = "urn:squeeze-quest:patient"
DEVICE_SYSTEM = "urn:squeeze-quest:device"
TAG_SYSTEM = "urn:squeeze-quest:tag"
UCUM = "http://unitsofmeasure.org"
# Marked for translation (the report shows them in the reader's language); exports keep English.
DEVICE_NOTE = N_(
    "Device-derived: force from a sensor inside a therapy ball, as a percentage of this patient's own strongest squeeze "
    "on the same ball (MVC). Not a calibrated dynamometer reading; not a clinical assessment."
)
END_WORDS = {
    "completed": N_("completed"),
    "stopped_pain": N_("stopped for pain"),
    "stopped": N_("stopped early"),
    "interrupted": N_("interrupted (the program was closed unexpectedly)"),
    "quit": N_("closed before the end"),
}
CSV_SESSION_COLUMNS = ("patient_id", "session_id", "session_started", "session_end_reason", "input_device")
CSV_REP_COLUMNS = ("recorded_at", "exercise", "hand", "set_number", "rep_number", *REP_COLUMNS, "detail")
# Each rep's own provenance (the keyboard standing in for an unplugged ball is the keyboard).
CSV_PROVENANCE_COLUMNS = ("input_kind", "device_name", "device_id", "firmware", "device_profile", "calibration_id",
                          "calibration_basis", "force_units", "program_file", "program_version", "simulated")
UNITS = {
    "peak_pct": "% of this patient's strongest squeeze (device-derived), measured on the device named in the "
                "rep's provenance",
    "peak_device": "raw readings of the device named in the rep's provenance: never comparable between devices",
    "peak_kg": "kilograms, only where the ball was calibrated against known weights (see force_basis)",
    "roll_range": "% of this patient's calibrated comfortable roll range",
}
KINDS_WITHOUT_SENSOR = ("keyboard", "mouse", "gamepad")


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
    w.writerow([*CSV_SESSION_COLUMNS, *CSV_REP_COLUMNS, *CSV_PROVENANCE_COLUMNS])
    cols = ", ".join(f"r.{c}" for c in CSV_REP_COLUMNS)
    pcols = ", ".join(f"p.{c}" for c in CSV_PROVENANCE_COLUMNS)
    sql = (f"SELECT s.patient_id, s.id AS session_id, s.started_at, s.end_reason, s.input_device, {cols}, {pcols} "
           "FROM reps r JOIN sessions s ON s.id = r.session_id "
           "LEFT JOIN provenance p ON p.uid = COALESCE(r.provenance_uid, s.provenance_uid) "
           "WHERE s.patient_id=? ORDER BY r.id")
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
    provenance = {r["uid"]: r for r in _rows(
        db, "SELECT * FROM provenance WHERE uid IN (SELECT provenance_uid FROM sessions WHERE patient_id=?1 "
            "UNION SELECT r.provenance_uid FROM reps r JOIN sessions s ON s.id = r.session_id WHERE s.patient_id=?1 "
            "UNION SELECT x.provenance_uid FROM sets x JOIN sessions s ON s.id = x.session_id "
            "WHERE s.patient_id=?1)", (patient_id,))}
    for s in sessions:
        sid = s["id"]
        s["started_at_local"], s["ended_at_local"] = iso(s["started_at"]), iso(s["ended_at"])
        s["sets"] = _rows(db, "SELECT * FROM sets WHERE session_id=? ORDER BY id", (sid,))
        s["reps"] = _rows(db, "SELECT * FROM reps WHERE session_id=? ORDER BY id", (sid,))
        s["provenance"] = provenance.get(s["provenance_uid"])
        for r in s["reps"]:
            r["detail"] = json.loads(r["detail"]) if r["detail"] else None
            prov = provenance.get(r["provenance_uid"] or s["provenance_uid"]) or {}
            r["input_kind"] = prov.get("input_kind", "unknown")
            # kg only where the ball was weight-calibrated, with its basis; else none.
            r["peak_kg"], r["force_basis"] = _kg(r, s, prov)
        s["inputs"] = sorted({r["input_kind"] for r in s["reps"]})
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
        "units": UNITS,
        "patient": patient,
        "provenance": provenance,
        "calibrations": calibrations,
        "sessions": sessions,
    }


def _kg(rep: dict[str, Any], session: dict[str, Any], prov: dict[str, Any]) -> tuple[float | None, str]:
    """A rep's peak in kg, only for a ball calibrated against known weights, and the basis in words."""
    kind = prov.get("input_kind", "unknown")
    if kind in KINDS_WITHOUT_SENSOR:
        return None, "no force sensor: an imitated squeeze, in % of the keyboard's own scale"
    if kind in ("simulator", "trace"):
        return None, "scripted play, not a person's force"
    scale, units = prov.get("force_scale"), prov.get("force_units")
    if (units == "kg" and scale and rep.get("peak_pct") is not None and session.get("mvc_device")):
        kg = rep["peak_pct"] / 100.0 * session["mvc_device"] * scale
        return round(kg, 3), f"kg via weight calibration #{prov.get('calibration_id')} ({scale:.4g} kg per unit)"
    return None, "device-derived: % of this patient's strongest squeeze on this ball (not weight-calibrated)"


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


def _device_resource(prov: dict[str, Any]) -> dict[str, Any]:
    """A FHIR Device for one real input, described as what it is: a keyboard is not a ball."""
    kind = prov.get("input_kind") or "unknown"
    name = prov.get("device_name") or input_words(kind)
    res: dict[str, Any] = {"resourceType": "Device",
                           "deviceName": [{"name": name, "type": "user-friendly-name"}]}
    notes = []
    if kind == "ball":
        res["type"] = {"text": "Therapy ball with force sensor; device-derived force, not a dynamometer"}
        notes.append(DEVICE_NOTE)
        if prov.get("device_id"):
            res["identifier"] = [{"system": DEVICE_SYSTEM, "value": str(prov["device_id"])}]
        if prov.get("firmware"):
            res["version"] = [{"type": {"text": "firmware"}, "value": str(prov["firmware"])}]
        if prov.get("device_profile"):
            notes.append(f"Read with the device profile '{prov['device_profile']}'.")
        if prov.get("roll_input"):
            notes.append(f"This ball has no motion sensor: rolling was done with the {prov['roll_input']}.")
    elif kind in KINDS_WITHOUT_SENSOR:
        res["type"] = {"text": f"Computer {kind} used in place of the therapy ball: holding a button imitates a "
                               "squeeze; no force is measured"}
        notes.append("Not a force sensor: values are an imitated effort, not the patient's strength.")
    elif kind in ("simulator", "trace"):
        res["type"] = {"text": "Software simulator: scripted play, not a person's exercise" if kind == "simulator"
                       else "Recorded samples played back from a file, not live exercise"}
        notes.append("Simulated: not the patient's own exercise.")
    else:
        res["type"] = {"text": "Input not recorded (a record from before the input was kept)"}
    if prov.get("detail"):
        notes.append(str(prov["detail"]))
    res["note"] = [{"text": n} for n in notes]
    return res


def _exercise_components(reps: list[dict[str, Any]], rolling: bool) -> list[dict[str, Any]]:
    n = len(reps)
    ok = sum(int(r["success"]) for r in reps)
    targets = [r["target_pct"] for r in reps if r["target_pct"] is not None]
    holds = [r["hold_target_s"] for r in reps if r["hold_target_s"] is not None]
    peaks = [r["peak_pct"] for r in reps if r["peak_pct"] is not None]
    rolls = [r["roll_range"] for r in reps if r["roll_range"] is not None]
    what = "% of own comfortable roll range" if rolling else "% of own MVC"
    comps = [
        _component("reps-attempted", "Repetitions attempted", n, "repetitions", "{repetitions}"),
        _component("reps-successful", "Repetitions that met the target", ok, "repetitions", "{repetitions}"),
        _component("success-rate", "Repetitions that met the target", 100.0 * ok / n if n else None, "%", "%"),
        _component("target-first", f"Target at the first repetition, {what}", targets[0] if targets else None,
                   what, "%"),
        _component("target-last", f"Target at the last repetition, {what}", targets[-1] if targets else None,
                   what, "%"),
        _component("hold-target-last", "Hold time asked at the last repetition", holds[-1] if holds else None,
                   "s", "s"),
    ]
    if rolling:
        comps.append(_component("roll-range-mean", "Mean roll reached, % of own comfortable roll range",
                                sum(rolls) / len(rolls) if rolls else None, "% of own roll range", "%"))
    else:
        comps.append(_component("peak-force-mean-pct-mvc", "Mean peak squeeze force, device-derived, % of own MVC",
                                sum(peaks) / len(peaks) if peaks else None, "% of own MVC", "%"))
    return [c for c in comps if c is not None]


def export_fhir_bundle(store: Store, patient_id: int, *, include_name: bool = True) -> Any:
    """A FHIR Bundle (collection): the Patient; one Device per input actually used (a ball
    with its port and firmware, a keyboard as a keyboard, a simulator as a simulator); per
    session one summary Observation with one member Observation per exercise and input;
    and the pain and tiredness ratings, when given."""
    from game.records.extras import missing_extra

    problem = missing_extra("fhir.resources", "FHIR exports")  # the optional [reports] extra
    if problem:
        raise ExportError(problem)
    from fhir.resources.R4B.bundle import Bundle

    data = export_data(store, patient_id, include_name=include_name)
    p = data["patient"]
    ns = uuid.uuid5(uuid.NAMESPACE_URL, f"squeeze-quest:{store.path}:{patient_id}")
    patient_url = f"urn:uuid:{uuid.uuid5(ns, 'patient')}"
    patient_res: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": ID_SYSTEM, "value": str(patient_id)}],
    }
    if include_name:
        patient_res["name"] = [{"text": p["name"]}]
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": patient_res}]
    devices: dict[str, str] = {}  # device key -> fullUrl

    def device_ref(prov: dict[str, Any] | None) -> dict[str, str]:
        prov = prov or {"input_kind": "unknown"}
        key = f"{prov.get('input_kind')}|{prov.get('device_name')}|{prov.get('device_id') or ''}"
        if key not in devices:
            devices[key] = f"urn:uuid:{uuid.uuid5(ns, 'device-' + key)}"
            entries.insert(len(devices), {"fullUrl": devices[key], "resource": _device_resource(prov)})
        return {"reference": devices[key]}

    subject = {"reference": patient_url}
    category = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                             "code": "therapy", "display": "Therapy"}]}]
    survey = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                           "code": "survey", "display": "Survey"}]}]
    simulated_tag = {"tag": [{"system": TAG_SYSTEM, "code": "simulated",
                              "display": "Simulated play: not a person's exercise"}]}
    provs = data["provenance"]
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
        sprov = s["provenance"] or {}
        ball = sprov.get("input_kind") == "ball"
        components = [c for c in (
            _component("reps-attempted", "Repetitions attempted", n, "repetitions", "{repetitions}"),
            _component("reps-successful", "Repetitions that met the target", ok, "repetitions", "{repetitions}"),
            _component("success-rate", "Repetitions that met the target", 100.0 * ok / n if n else None, "%", "%"),
            _component("peak-force-best-pct-mvc", "Best peak squeeze force, device-derived, % of own MVC",
                       max(peaks) if peaks else None, "% of own MVC", "%"),
            _component("peak-force-mean-pct-mvc", "Mean peak squeeze force, device-derived, % of own MVC",
                       sum(peaks) / len(peaks) if peaks else None, "% of own MVC", "%"),
            # A ball's own scale only: a keyboard's or simulator's "MVC" is not a person's strength.
            _component("mvc-device", "Maximal squeeze (MVC) in use, device-derived, uncalibrated device units "
                                     f"of {sprov.get('device_name') or 'the ball'}",
                       s.get("mvc_device") if ball else None, "device units", None),
            _component("active-time", "Active exercise time", (s["active_s"] / 60.0) if s.get("active_s") else None,
                       "min", "min"),
            _component("fatigue-index-max", "Highest set fatigue index (drop from first to last 3 peaks)",
                       max(fatigue) if fatigue else None, "%", "%"),
        ) if c is not None]
        end = END_WORDS.get(s["end_reason"] or "", s["end_reason"] or "still open")
        inputs = ", ".join(input_words(k) for k in s["inputs"]) or input_words(sprov.get("input_kind"))
        program = sprov.get("program_file") or s.get("level") or "not recorded"
        version = sprov.get("program_version") or "version not recorded"
        sim = bool(s.get("simulated"))
        session_url = f"urn:uuid:{uuid.uuid5(ns, 'session-' + str(s['id']))}"
        # One Observation per exercise and input in this session, members of the session's.
        members = []
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in reps:
            groups.setdefault((r["exercise"], r["provenance_uid"] or s["provenance_uid"] or ""), []).append(r)
        for (exercise, puid), ex_reps in sorted(groups.items()):
            info = BY_ID.get(exercise)
            rolling = bool(info and info.channel == "roll")
            prov = provs.get(puid) or sprov
            url = f"urn:uuid:{uuid.uuid5(ns, 'exercise-' + str(s['id']) + '-' + exercise + '-' + puid)}"
            members.append({"reference": url})
            ex_obs: dict[str, Any] = {
                "resourceType": "Observation",
                "status": "final" if s["ended_at"] is not None else "preliminary",
                "category": category,
                "code": _coding(f"hand-exercise-{exercise}",
                                f"{info.name if info else exercise}: repetitions in one session"),
                "subject": subject,
                "device": device_ref(prov),
                "effectivePeriod": period,
                "method": {"text": f"Input: {input_words(prov.get('input_kind'))}. " + (
                    "Roll in % of this patient's own comfortable roll range." if rolling else DEVICE_NOTE)},
                "component": _exercise_components(ex_reps, rolling),
                "derivedFrom": [{"reference": session_url}],
                "note": [{"text": f"Hand: {ex_reps[0]['hand']}. Sets: "
                                  f"{len({r['set_number'] for r in ex_reps})}. Program: {program} ({version})."}],
            }
            if sim:
                ex_obs["meta"] = simulated_tag
            entries.append({"fullUrl": url, "resource": ex_obs})
        obs = {
            "resourceType": "Observation",
            "status": "final" if s["ended_at"] is not None else "preliminary",
            "category": category,
            "code": _coding("hand-exercise-session", "Hand exercise session (Squeeze Quest)"),
            "subject": subject,
            "device": device_ref(sprov),
            "effectivePeriod": period,
            "method": {"text": DEVICE_NOTE if ball else f"Input: {input_words(sprov.get('input_kind'))}; "
                       "not a force measurement of the patient."},
            "component": components,
            "note": [{"text": f"Exercises: {names}. Hand: {reps[0]['hand'] if reps else 'not recorded'}. "
                              f"Session {end}. Input: {inputs}. Program: {program} ({version})."
                              + (" Simulated play: not the patient's own exercise." if sim else "")}],
        }
        if members:
            obs["hasMember"] = members
        if sim:
            obs["meta"] = simulated_tag
        entries.append({"fullUrl": session_url, "resource": obs})
        pain = {"coding": [{"system": "http://loinc.org", "code": "72514-3",
                            "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}]}
        for key, when in (("pain_before", "before"), ("pain_after", "after"), ("fatigue_before", "before"),
                          ("fatigue_after", "after")):
            if s.get(key) is None:
                continue
            if key.startswith("pain"):
                code = {**pain, "text": f"Pain (0-10) reported {when} the exercise session"}
            else:  # no standard code fits this game's own 0-10 tiredness faces: a local code, said in words
                code = _coding("tiredness-0-10", f"Tiredness (0 none - 10 worst) reported {when} the exercise "
                                                 "session, patient-reported")
            entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(ns, key + '-' + str(s['id']))}", "resource": {
                "resourceType": "Observation",
                "status": "final",
                "category": survey,
                "code": code,
                "subject": subject,
                "effectiveDateTime": s["started_at_local"] if when == "before" else (s["ended_at_local"]
                                                                                     or s["started_at_local"]),
                "valueInteger": int(s[key]),
                "derivedFrom": [{"reference": session_url}],
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
