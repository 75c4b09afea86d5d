"""The device side of the API: storing uploaded records, and the changes feed.

Uploads are idempotent and append-only: a record's uid is its primary key; the uids
of a batch already stored are looked up first and only the others are copied in (COPY,
the fastest way into PostgreSQL), so a uid already stored is a duplicate that changes
nothing. All in one transaction: the whole request is stored or none of it (a server
killed mid-request loses only what it never acknowledged). Traces go to their own
table (server/schema.py), their samples as bytes.
"""

from __future__ import annotations

import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import orjson
from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb, set_json_dumps
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from server import refusals
from server.admin import next_change
from server.auth import Device
from server.schema import RECORD_KINDS

MAX_RECORDS = 500
set_json_dumps(orjson.dumps)  # psycopg's JSONB out: orjson (bytes) is several times faster than json
_KINDS = frozenset(RECORD_KINDS)


_STATUS_CODES = {400: refusals.REQUEST_INVALID, 403: refusals.WRONG_CLINIC, 422: refusals.RECORD_INVALID}


class SyncError(Exception):
    """A refusal of an upload or a changes request: its status, code (server/refusals.py; by
    default the one the status means here) and English detail."""

    def __init__(self, status: int, detail: str, code: str | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or _STATUS_CODES.get(status, refusals.REQUEST_INVALID)


@dataclass(slots=True)
class Rec:
    sent_uid: str  # as the client sent it (echoed in "acked")
    uid: uuid.UUID
    kind: str
    patient_uid: uuid.UUID | None
    session_uid: uuid.UUID | None
    recorded_at: datetime
    exercise: str | None
    success: bool | None
    body: dict


def _uuid(value, what: str, i: int) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise SyncError(422, f"Record {i + 1}: {what} is not a uid ({str(value)[:60]!r}).") from None


def _known_uuid(known: dict[str, uuid.UUID], value, what: str, i: int) -> uuid.UUID:
    if not isinstance(value, str):
        return _uuid(value, what, i)
    u = known.get(value)
    if u is None:
        u = known[value] = _uuid(value, what, i)
    return u


def _time(value, i: int) -> datetime:
    if not isinstance(value, str):
        raise SyncError(422, f"Record {i + 1}: recorded_at must be an ISO-8601 time.")
    try:
        t = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise SyncError(422, f"Record {i + 1}: recorded_at is not an ISO-8601 time ({value[:40]!r}).") from None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t


def parse_batch(raw: bytes) -> list[Rec]:
    """The records of an upload, checked against the contract (SyncError 400/422 if not)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SyncError(400, "The request is not valid JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise SyncError(422, 'The request must be {"records": [...]}.', refusals.REQUEST_INVALID)
    items = data["records"]
    if len(items) > MAX_RECORDS:
        raise SyncError(422, f"At most {MAX_RECORDS} records per request; this one has {len(items)}.",
                        refusals.REQUEST_INVALID)
    out: list[Rec] = []
    known: dict[str, uuid.UUID] = {}  # a batch names a few patients and sessions many times: parse each once
    for i, r in enumerate(items):
        if not isinstance(r, dict):
            raise SyncError(422, f"Record {i + 1} is not an object.")
        kind = r.get("kind")
        if kind not in _KINDS:
            raise SyncError(422, f"Record {i + 1}: unknown kind {str(kind)[:40]!r}.")
        sent = r.get("uid")
        uid = _uuid(sent, "uid", i)
        body = r.get("body")
        if not isinstance(body, dict):
            raise SyncError(422, f"Record {i + 1}: body must be an object.")
        p = r.get("patient_uid")
        if p is None and kind == "patient":
            p = sent
        patient = _known_uuid(known, p, "patient_uid", i) if p is not None else None
        if patient is None and kind != "provenance":
            raise SyncError(422, f"Record {i + 1}: a {kind} record needs a patient_uid.")
        s = r.get("session_uid")
        session = _known_uuid(known, s, "session_uid", i) if s is not None else None
        exercise = success = None
        if kind in ("rep", "set"):
            ex = body.get("exercise")
            exercise = ex if isinstance(ex, str) else None
            if kind == "rep":
                ok = body.get("success")
                success = bool(ok) if isinstance(ok, (bool, int)) else None
        out.append(Rec(str(sent), uid, kind, patient, session, _time(r.get("recorded_at"), i), exercise, success, body))
    return out


def _patient_fields(body: dict) -> tuple[str | None, str | None, str | None]:
    name = body.get("display_name") or body.get("name")
    initials = body.get("initials") or ("".join(w[0] for w in str(name).split()[:3]).upper() if name else None)
    hand = body.get("hand")
    return (str(name)[:200] if name else None, str(initials)[:10] if initials else None,
            hand if hand in ("left", "right") else None)


def store_batch(engine: Engine, device: Device, recs: list[Rec]) -> dict:
    """Store a checked batch in one transaction; the response of POST /sync/records."""
    seen: set[uuid.UUID] = set()
    unique: list[Rec] = []
    for r in recs:
        if r.uid not in seen:
            seen.add(r.uid)
            unique.append(r)
    acked = list(dict.fromkeys(r.sent_uid for r in recs))
    if not unique:
        return {"stored": 0, "duplicates": 0, "acked": acked}
    profiles = {r.patient_uid: _patient_fields(r.body) for r in unique if r.kind == "patient"}
    patient_uids = list({r.patient_uid for r in unique if r.patient_uid is not None})
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                _check_and_create_patients(conn, device, patient_uids, profiles)
                stored = _insert_records(conn, device, unique)
            break
        except IntegrityError as exc:
            # The same new uid sent at the same moment by another request (a client's
            # retry overlapping its first try): once that one committed, ours sees it
            # stored and counts it a duplicate.
            if not isinstance(exc.orig, UniqueViolation) or attempt == 2:
                raise
    return {"stored": stored, "duplicates": len(recs) - stored, "acked": acked}


FOREIGN_PATIENT = ("Some of these records belong to a patient of another clinic. Nothing was stored. "
                   "Ask the clinic's administrator to check which clinic this computer is enrolled with.")


def _check_and_create_patients(conn: Connection, device: Device, uids: list[uuid.UUID],
                               profiles: dict[uuid.UUID, tuple]) -> None:
    if not uids:
        return
    q = text("SELECT uid, clinic_id, display_name FROM patients WHERE uid = ANY(:u)")
    found = {row.uid: row for row in conn.execute(q, {"u": uids})}
    if any(row.clinic_id != device.clinic_id for row in found.values()):
        raise SyncError(403, FOREIGN_PATIENT)
    missing = [u for u in uids if u not in found]
    unnamed = [u for u in profiles if u in found and found[u].display_name is None and profiles[u][0]]
    if not missing and not unnamed:
        return
    seq = next_change(conn)
    for u in missing:
        name, initials, hand = profiles.get(u, (None, None, None))
        conn.execute(text("INSERT INTO patients(uid, clinic_id, display_name, initials, hand, created_by_device, "
                          "change_seq) VALUES (:u, :c, :n, :i, :h, :d, :s) ON CONFLICT (uid) DO NOTHING"),
                     {"u": u, "c": device.clinic_id, "n": name, "i": initials, "h": hand, "d": device.id, "s": seq})
    if missing:  # another clinic's device may have made the same uid a moment ago
        other = conn.execute(text("SELECT 1 FROM patients WHERE uid = ANY(:u) AND clinic_id <> :c"),
                             {"u": missing, "c": device.clinic_id}).first()
        if other:
            raise SyncError(403, FOREIGN_PATIENT)
    for u in unnamed:  # a patient first seen through its reps gets its name from its record
        name, initials, hand = profiles[u]
        conn.execute(text("UPDATE patients SET display_name = :n, initials = COALESCE(initials, :i), "
                          "hand = COALESCE(hand, :h), change_seq = :s WHERE uid = :u AND display_name IS NULL"),
                     {"u": u, "n": name, "i": initials, "h": hand, "s": seq})


def _insert_records(conn: Connection, device: Device, recs: list[Rec]) -> int:
    """COPY the records not already stored (their uids looked up first); the count stored."""
    cur = conn.connection.driver_connection.cursor()
    traces = [r for r in recs if r.kind == "trace"]
    others = [r for r in recs if r.kind != "trace"] if traces else recs
    stored = 0
    if others:
        new = _new_only(cur, "records", others)
        if new:
            dumps = orjson.dumps
            with cur.copy("COPY records (uid, clinic_id, device_id, kind, patient_uid, session_uid, recorded_at, "
                          "exercise, success, body) FROM STDIN") as cp:
                for r in new:
                    cp.write_row((r.uid, device.clinic_id, device.id, r.kind, r.patient_uid, r.session_uid,
                                  r.recorded_at, r.exercise, r.success, dumps(r.body).decode()))
        stored += len(new)
    if traces:
        new = _new_only(cur, "traces", traces)
        if new:
            with cur.copy("COPY traces (uid, clinic_id, device_id, patient_uid, session_uid, recorded_at, seq, "
                          "rate_hz, encoding, samples, body) FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(["uuid", "uuid", "uuid", "uuid", "uuid", "timestamptz", "int4", "float8", "text",
                              "bytea", "jsonb"])
                for r in new:
                    cp.write_row((r.uid, device.clinic_id, device.id, r.patient_uid, r.session_uid, r.recorded_at,
                                  *_trace_columns(r)))
        stored += len(new)
    return stored


def _new_only(cur, table: str, recs: list[Rec]) -> list[Rec]:
    cur.execute(f"SELECT uid FROM {table} WHERE uid = ANY(%s)", ([r.uid for r in recs],))
    there = {row[0] for row in cur.fetchall()}
    return [r for r in recs if r.uid not in there] if there else recs


def _trace_columns(r: Rec) -> tuple:
    """(seq, rate_hz, encoding, samples bytes or None, rest of the body as Jsonb)."""
    body = r.body
    seq = body.get("seq")
    rate = body.get("rate_hz")
    enc = body.get("encoding")
    samples = None
    if enc == "f32le-zlib-b64" and isinstance(body.get("samples"), str):
        try:
            samples = binascii.a2b_base64(body["samples"])
        except binascii.Error:
            raise SyncError(422, f"Trace {r.sent_uid}: samples are not base64.") from None
        body = {k: v for k, v in body.items() if k != "samples"}
    return (seq if isinstance(seq, int) and not isinstance(seq, bool) and -2**31 <= seq < 2**31 else None,
            float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None,
            str(enc) if enc is not None else "", samples, Jsonb(body))


# ------------------------------------------------------------------ changes for a device
def parse_cursor(since: str | None) -> int:
    if not since:
        return 0
    if since.startswith("c") and since[1:].isdigit():
        return int(since[1:])
    raise SyncError(400, "The sync cursor is not one this server gave; sync again without one.",
                    refusals.CURSOR_UNKNOWN)


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(timezone.utc).isoformat() if t else None


def changes(engine: Engine, device: Device, since: str | None) -> dict:
    after = parse_cursor(since)
    # One snapshot for every query, so the cursor matches exactly what was sent.
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        pats = conn.execute(text(
            "SELECT uid, display_name, initials, hand, archived, program_uid, change_seq FROM patients "
            "WHERE clinic_id = :c AND change_seq > :a ORDER BY change_seq"), {"c": device.clinic_id, "a": after}).all()
        progs = conn.execute(text(
            "SELECT DISTINCT ON (uid) uid, patient_uid, version, name, yaml, saved_at, saved_by, change_seq "
            "FROM programs WHERE clinic_id = :c AND change_seq > :a ORDER BY uid, version DESC"),
            {"c": device.clinic_id, "a": after}).all()
        clinic = conn.execute(text("SELECT settings, settings_seq FROM clinics WHERE id = :c"),
                              {"c": device.clinic_id}).one()
    top = max([after, clinic.settings_seq, *(p.change_seq for p in pats), *(p.change_seq for p in progs)])
    return {
        "cursor": f"c{top}",
        "patients": [{"uid": str(p.uid), "display_name": p.display_name, "initials": p.initials, "hand": p.hand,
                      "archived": p.archived, "program_uid": str(p.program_uid) if p.program_uid else None}
                     for p in pats],
        "programs": [{"uid": str(p.uid), "patient_uid": str(p.patient_uid) if p.patient_uid else None,
                      "version": p.version, "name": p.name, "yaml": p.yaml, "saved_at": _iso(p.saved_at),
                      "saved_by": str(p.saved_by) if p.saved_by else None} for p in progs],
        "settings": clinic.settings or {},
    }
