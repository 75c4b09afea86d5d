"""Offline-first sync with the clinic server (issue 15; the contract is
docs/clinic-server/API.md, the client's rules docs/clinic-server/SYNC.md).

The PC's own SQLite file stays the source of truth for what it recorded. Every record
has a uid and an entry in ``sync_outbox``, made in the same transaction as the record
(triggers, see ``SCHEMA_SYNC`` in storage.py). :class:`SyncClient` sends what is not yet
acknowledged in batches and marks the acknowledged uids sent; the server stores a uid
once, so a batch sent again after a crash or a cut connection changes nothing there.
Then it pulls the clinic's patients and programs (the therapist's program wins) and
settings. :class:`BackgroundSync` runs it on its own thread with its own database
connection, with backoff between failed tries, so a frame never waits for the network.

Health data never travels unencrypted: the server must be ``https://`` unless it is this
machine (localhost, 127.0.0.1, ::1); TLS certificates are always verified, against the
system's authorities or a pinned CA file (the clinic's own, self-signed, certificate).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import socket
import sqlite3
import ssl
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from game.i18n import N_, _, ngettext
from game.records.record_writer import connect

CONFIG_NAME = "clinic_server.json"
API = "/api/v1"
MAX_BATCH = 500  # the contract's limit per request
GZIP_OVER = 16 * 1024  # bytes: bigger bodies go gzipped (the contract)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SIMULATED_PATIENT_SKIP = "scripted play (not a patient): never sent"
PROVENANCE_NS = uuid.UUID("6f0c52a4-53e2-4b8f-9b4b-6a8c0d2f1e37")  # for provenance uids that are not uuids
BACKOFF_FIRST_S = 2.0
BACKOFF_MAX_S = 300.0
INTERVAL_S = 60.0  # between syncs when all went well


# What the PC says, in its user's language, for each refusal code of the clinic server
# (server/refusals.py, docs/clinic-server/API.md "Refusals") and each way a connection fails.
# A code missing here (from a newer server) gets REFUSED_OTHER with the server's English detail.
_CODE_USED = N_("This enrolment code was already used. Ask your therapist for a new one.")
_CODE_EXPIRED = N_("This enrolment code has expired. Ask your therapist for a new one.")
_CODE_UNKNOWN = N_("This enrolment code is not valid. Ask your therapist for a new code.")
_ACCESS_ENDED = N_("The clinic server no longer accepts this computer (its access was removed). "
                   "Ask the therapist for a new code and connect again.")
_NOT_UNDERSTOOD = N_("The clinic server did not understand this computer. Update the game, "
                     "or ask the clinic's administrator.")
_SERVER_TROUBLE = N_("The clinic server has a problem just now. The records stay on this computer; "
                     "sync will try again.")
REFUSAL_WORDS: dict[str, str] = {
    "enrolment_code_used": _CODE_USED,
    "enrolment_code_expired": _CODE_EXPIRED,
    "enrolment_code_unknown": _CODE_UNKNOWN,
    "device_revoked": _ACCESS_ENDED,
    "device_unknown": _ACCESS_ENDED,
    "device_not_enrolled": _ACCESS_ENDED,
    "wrong_clinic": N_("Some records belong to a patient of another clinic, so nothing was sent. "
                       "Ask the clinic's administrator which clinic this computer is connected to."),
    "request_invalid": _NOT_UNDERSTOOD,
    "record_invalid": _NOT_UNDERSTOOD,
    "request_too_large": _NOT_UNDERSTOOD,
    "cursor_unknown": _NOT_UNDERSTOOD,
    "client_too_old": N_("This game is too old for the clinic server. Update the game, then connect again."),
    "server_unavailable": _SERVER_TROUBLE,
    "server_error": _SERVER_TROUBLE,
    # the PC's own, for connections that fail
    "cannot_connect": N_("The clinic server cannot be reached. Check the address and the network; "
                         "the records stay on this computer and sync will try again."),
    "name_not_found": N_("The clinic server's name was not found. Check the address and the network; "
                         "sync will try again."),
    "timeout": N_("The clinic server did not answer in time; sync will try again."),
    "connection_lost": N_("The connection to the clinic server was lost; sync will try again."),
    "certificate_untrusted": N_("The clinic server's certificate is not trusted. Use the clinic's certificate "
                                "file, or ask the clinic's administrator."),
}
REFUSED_OTHER = N_("The clinic server refused this computer. Ask the clinic's administrator. "
                   "The server said: {detail}")
# Worth trying again by itself later; any other refusal waits for a person.
RETRY_CODES = frozenset({"server_unavailable", "server_error", "cannot_connect", "name_not_found", "timeout",
                         "connection_lost"})


def refusal_words(code: str | None, detail: str = "", minutes: int | None = None) -> str:
    """The sentence for a refusal or connection failure, in the current language."""
    if code == "too_many_tries" and minutes:
        return ngettext("Too many tries. Wait {n} minute, or ask the clinic's administrator.",
                        "Too many tries. Wait {n} minutes, or ask the clinic's administrator.", minutes).format(n=minutes)
    words = REFUSAL_WORDS.get(code or "")
    return _(words) if words else _(REFUSED_OTHER).format(detail=detail or "?")


class SyncError(Exception):
    """Sync could not finish; ``str()`` says what to do, in plain words.
    ``retry``: worth trying again later (network, server busy); False: a person must act.

    A refusal of the server or a failed connection has a ``code`` (see REFUSAL_WORDS) and the
    server's English ``detail``: its words are made when asked for, so they come in the
    language of whoever reads them. Other problems of the PC's own carry a ``message``."""

    def __init__(self, message: str = "", *, retry: bool = True, status: int | None = None, code: str | None = None,
                 detail: str = "", minutes: int | None = None) -> None:
        super().__init__(message or detail or code or "")
        self.message = message
        self.retry = retry
        self.status = status
        self.code = code
        self.detail = detail
        self.minutes = minutes

    def __str__(self) -> str:
        return self.message or refusal_words(self.code, self.detail, self.minutes)

    def why(self) -> str | None:
        """The code and detail as JSON (kept with the last error, to be said again in another language)."""
        if self.message or not (self.code or self.detail):
            return None
        return json.dumps({"code": self.code, "detail": self.detail, "minutes": self.minutes})

    @classmethod
    def from_why(cls, why: str) -> SyncError:
        d = json.loads(why)
        return cls(code=d.get("code"), detail=d.get("detail") or "", minutes=d.get("minutes"))


# ------------------------------------------------------------------------ configuration
@dataclass
class SyncConfig:
    """How this PC reaches its clinic server (``<data folder>/clinic_server.json``,
    the owner's only: it holds the device's token)."""

    server: str
    token: str
    device_uid: str
    device_id: str = ""
    clinic_id: str = ""
    clinic_name: str = ""
    ca_file: str | None = None
    enrolled_at: str = ""

    @staticmethod
    def path(data_dir: str | Path) -> Path:
        return Path(data_dir) / CONFIG_NAME

    @classmethod
    def load(cls, data_dir: str | Path) -> SyncConfig | None:
        p = cls.path(data_dir)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SyncError(f"The clinic server settings in {p} cannot be read ({exc}). "
                            "Connect this computer again: main.py sync --server URL --enroll CODE", retry=False) from exc
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def save(self, data_dir: str | Path) -> Path:
        p = self.path(data_dir)
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)  # the token: owner only from the first byte
        try:
            os.write(fd, json.dumps(asdict(self), indent=2).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, p)
        return p


def check_server_url(url: str) -> str:
    """The server's base URL, refused unless https (plain http only to this machine)."""
    url = url.strip().rstrip("/")
    if url.endswith(API):
        url = url[: -len(API)]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(f"'{url}' is not a server address. Write it as https://name-or-address[:port]", retry=False)
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise SyncError("Health data must never travel unencrypted: the clinic server's address must start with "
                        "https:// (plain http:// is allowed only to this computer itself).", retry=False)
    return url


def _verify(ca_file: str | None) -> ssl.SSLContext | bool:
    if not ca_file:
        return True  # the system's certificate authorities
    if not Path(ca_file).is_file():
        raise SyncError(f"The clinic's certificate file {ca_file} is not there. Copy it from the server again.",
                        retry=False)
    return ssl.create_default_context(cafile=str(ca_file))


def _http(server: str, *, ca_file: str | None, token: str | None = None, timeout: float = 10.0):
    import httpx

    headers = {"User-Agent": "squeeze-quest-sync"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=server + API, verify=_verify(ca_file), timeout=httpx.Timeout(timeout),
                        headers=headers, follow_redirects=False)


def _body(resp: Any) -> dict[str, Any]:
    try:
        got = resp.json()
    except ValueError:
        return {}
    return got if isinstance(got, dict) else {}


def _detail(resp: Any) -> str:
    d = _body(resp).get("detail")
    return d if isinstance(d, str) and d else f"the clinic server answered {resp.status_code}"


def _refusal(resp: Any) -> SyncError:
    """The server's refusal as a SyncError: by its code, or by its status alone from a server
    older than the codes (whose ``detail`` is then shown for what the status does not say)."""
    status = resp.status_code
    code = _body(resp).get("error")
    if not isinstance(code, str) or not code:
        code = {401: "device_revoked", 429: "too_many_tries"}.get(status) or ("server_error" if status >= 500 else None)
    minutes = None
    if code == "too_many_tries":  # the server says how long to wait
        try:
            minutes = max(1, round(int(resp.headers.get("retry-after", "")) / 60))
        except ValueError:
            code = None  # no wait given: the server's own words say it
    retry = code in RETRY_CODES if code in REFUSAL_WORDS else status >= 500
    return SyncError(code=code, detail=_detail(resp), status=status, retry=retry, minutes=minutes)


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _connection_failed(exc: Exception) -> SyncError:
    """Which way a connection failed, in a code with words of its own."""
    import httpx

    causes = _causes(exc)
    if isinstance(exc, httpx.TimeoutException):
        code = "timeout"
    elif not isinstance(exc, httpx.ConnectError):
        code = "connection_lost"  # cut mid-request
    elif any(isinstance(e, ssl.SSLCertVerificationError) for e in causes) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        code = "certificate_untrusted"
    elif any(isinstance(e, socket.gaierror) for e in causes):
        code = "name_not_found"
    else:
        code = "cannot_connect"
    return SyncError(code=code, detail=str(exc)[:300], retry=code in RETRY_CODES)


def _request(client: Any, method: str, path: str, **kw: Any) -> Any:
    """One request; network trouble and server errors become a SyncError saying what to do."""
    import httpx

    try:
        resp = client.request(method, path, **kw)
    except httpx.TransportError as exc:
        raise _connection_failed(exc) from exc
    if resp.status_code in (401, 429) or resp.status_code >= 500:
        raise _refusal(resp)
    return resp


def enroll(data_dir: str | Path, server: str, code: str, *, ca_file: str | None = None,
           device_name: str | None = None, http: Any = None) -> SyncConfig:
    """Connect this PC to a clinic server with a therapist's one-time code; the token is
    kept in the data folder (owner only). Raises SyncError with what to do."""
    import platform

    server = check_server_url(server)
    if ca_file:
        ca_file = str(Path(ca_file).expanduser().resolve())
    old = SyncConfig.load(data_dir) if SyncConfig.path(data_dir).exists() else None
    device_uid = old.device_uid if old else uuid.uuid4().hex  # enrolling again keeps the device's identity
    client = http or _http(server, ca_file=ca_file)
    try:
        resp = _request(client, "POST", "/devices/enroll",
                        json={"code": code.strip(), "device_uid": device_uid,
                              "device_name": (device_name or platform.node() or "Squeeze Quest PC")[:200]})
    finally:
        if http is None:
            client.close()
    if resp.status_code != 201:
        raise _refusal(resp)
    got = resp.json()
    cfg = SyncConfig(server=server, token=got["token"], device_uid=device_uid, device_id=str(got.get("device_id", "")),
                     clinic_id=str(got.get("clinic_id", "")), clinic_name=str(got.get("clinic_name", "")),
                     ca_file=ca_file, enrolled_at=datetime.now(timezone.utc).isoformat())
    cfg.save(data_dir)
    return cfg


# ------------------------------------------------------------------------ outbox reading
def _iso(t: float | None) -> str:
    return datetime.fromtimestamp(float(t or 0.0), timezone.utc).isoformat()


def _row(db: sqlite3.Connection, table: str, row_id: int) -> sqlite3.Row | None:
    return db.execute(f"SELECT * FROM {table} WHERE rowid=?", (row_id,)).fetchone()


def _json_or_text(v: Any) -> Any:
    if isinstance(v, str) and v[:1] in ("{", "["):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _plain_row(row: sqlite3.Row, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: _json_or_text(row[k]) for k in row.keys() if k not in drop}


class _Who:
    """Patient and session uids by local id, looked up once per batch."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.patients: dict[int, sqlite3.Row | None] = {}
        self.sessions: dict[int, sqlite3.Row | None] = {}

    def patient(self, pid: int | None) -> sqlite3.Row | None:
        if pid is None:
            return None
        if pid not in self.patients:
            self.patients[pid] = self.db.execute("SELECT id, uid, name, archived FROM patients WHERE id=?",
                                                 (pid,)).fetchone()
        return self.patients[pid]

    def session(self, sid: int | None) -> sqlite3.Row | None:
        if sid is None:
            return None
        if sid not in self.sessions:
            self.sessions[sid] = self.db.execute(
                "SELECT id, uid, patient_id, started_at, ended_at FROM sessions WHERE id=?", (sid,)).fetchone()
        return self.sessions[sid]


def _trace_body(chunk: sqlite3.Row, session_uid: str | None) -> dict[str, Any]:
    from game.records.storage import TRACE_COLUMNS, TRACE_DTYPE

    rec = np.frombuffer(chunk["data"], dtype=TRACE_DTYPE, count=chunk["n"])
    t0 = float(chunk["t0"])
    cols = np.column_stack([rec["t"] - t0, rec["force"], rec["roll_x"], rec["roll_y"]]).astype("<f4")
    span = float(rec["t"][-1] - rec["t"][0]) if len(rec) > 1 else 0.0
    return {"session_uid": session_uid, "seq": chunk["seq"], "t0": t0, "n": int(chunk["n"]),
            "rate_hz": round((len(rec) - 1) / span, 3) if span > 0 else None,
            "columns": list(TRACE_COLUMNS), "time": "seconds after t0",
            "encoding": "f32le-zlib-b64",
            "samples": base64.b64encode(zlib.compress(cols.tobytes(), 6)).decode("ascii")}


def build_record(db: sqlite3.Connection, entry: sqlite3.Row, who: _Who, clinic: str = "") -> dict[str, Any] | str | None:
    """The contract's record for one outbox entry; a str: why it is never sent;
    None: not ready yet (a session still being played). ``clinic``: the clinic's id, which
    a provenance's uid is made from (see below)."""
    from game.records.provenance import SIMULATED_PATIENT

    kind, table = entry["kind"], entry["tbl"]
    row = _row(db, table, entry["row_id"])
    if row is None:
        return "the row is gone"
    patient = session = None
    if kind == "patient":
        patient = row
    elif kind in ("calibration", "roll_calibration"):
        patient = who.patient(row["patient_id"])
    elif kind in ("session", "rating"):
        session = who.session(row["id"])
    elif kind in ("rep", "set", "difficulty_change", "trace", "event"):
        session = who.session(row["session_id"])
    if session is not None:
        patient = who.patient(session["patient_id"])
    if kind == "event" and session is None:
        detail = _json_or_text(row["detail"])
        pid = detail.get("patient_id") if isinstance(detail, dict) else None
        patient = who.patient(pid) if isinstance(pid, int) else None
    if kind != "provenance":
        if patient is None:
            return "no patient: a record of this computer, not of a patient"
        if patient["name"] == SIMULATED_PATIENT and patient["archived"]:
            return SIMULATED_PATIENT_SKIP
    session_uid = session["uid"] if session is not None else None
    uid = entry["uid"]
    if kind == "patient":
        body = _plain_row(row, ("id", "uid", "calibration_id", "difficulty", "colour", "icon", "last_used_at"))
        body["display_name"] = row["name"]
        body["archived"] = bool(row["archived"])
        at = row["created_at"]
    elif kind == "session":
        if row["ended_at"] is None:
            return None  # goes up once it has ended (with its totals)
        body = _plain_row(row, ("id", "uid", "patient_id"))
        tr = db.execute("SELECT settings FROM session_traces WHERE session_id=?", (row["id"],)).fetchone()
        body["trace_settings"] = _json_or_text(tr["settings"]) if tr else None
        body["simulated"] = bool(row["simulated"])
        at = row["started_at"]
    elif kind == "rating":
        body = json.loads(entry["body"])
        body["session_uid"] = session_uid
        at = body.get("at")
    elif kind == "trace":
        body = _trace_body(row, session_uid)
        at = (session["started_at"] if session is not None else None) or entry["queued_at"]
    elif kind == "provenance":
        body = _plain_row(row)
        body["simulated"] = bool(row["simulated"])
        at = entry["queued_at"]
        # A provenance's uid is a hash of its content, the same on every PC with the same ball and
        # program (and 'before-v8:...' for old ones): its record's uid is made from it and the clinic,
        # so one clinic keeps one copy and no clinic's record stands in for another's.
        uid = uuid.uuid5(PROVENANCE_NS, f"{clinic}:{uid}").hex
    else:
        body = _plain_row(row, ("id", "uid", "session_id", "patient_id", "data"))
        if kind == "rep":
            body["success"] = bool(row["success"])
        at = {"rep": "recorded_at", "calibration": "recorded_at", "roll_calibration": "recorded_at",
              "set": "ended_at", "event": "at", "difficulty_change": "at"}.get(kind)
        at = row[at] if at else entry["queued_at"]
    return {"uid": uid, "kind": kind, "patient_uid": patient["uid"] if patient is not None else None,
            "session_uid": session_uid, "recorded_at": _iso(at), "body": body}


# ------------------------------------------------------------------------ the client
@dataclass
class SyncReport:
    sent: int = 0  # records the server acknowledged
    stored: int = 0  # of them new on the server
    duplicates: int = 0  # of them already there (sent before, the acknowledgement lost)
    refused: int = 0  # records the server would not take (422), set aside
    patients: int = 0  # patient profiles that came down
    programs: int = 0  # programs that came down (written as level files)
    settings_changed: bool = False
    pending: int = 0  # still in the outbox afterwards
    errors: list[str] = field(default_factory=list)

    def words(self) -> str:
        up = f"{self.sent} record(s) sent ({self.stored} new, {self.duplicates} already there)"
        if self.refused:
            up += f", {self.refused} refused by the server"
        down = f"{self.patients} patient profile(s) and {self.programs} program(s) received"
        return f"Up: {up}. Down: {down}. Still to send: {self.pending}."


def _state(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM sync_state WHERE key=?", (key,)).fetchone()
    return None if row is None else row[0]


def _set_state(db: sqlite3.Connection, **values: Any) -> None:
    for k, v in values.items():
        db.execute("INSERT INTO sync_state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                   (k, None if v is None else str(v)))


def outbox_counts(db: sqlite3.Connection) -> dict[str, int]:
    """Entries still to send, sent, and set aside (never sent: scripted play, refused)."""
    row = db.execute("SELECT SUM(sent_at IS NULL AND skipped IS NULL), SUM(sent_at IS NOT NULL), "
                     "SUM(skipped IS NOT NULL) FROM sync_outbox").fetchone()
    return {"pending": int(row[0] or 0), "sent": int(row[1] or 0), "skipped": int(row[2] or 0)}


def status(data_dir: str | Path, db_path: str | Path) -> dict[str, Any]:
    """What ``main.py sync --status`` and the settings screen show."""
    cfg = SyncConfig.load(data_dir)
    out: dict[str, Any] = {"enrolled": cfg is not None, "server": cfg.server if cfg else None,
                           "clinic": cfg.clinic_name if cfg else None}
    db = connect(Path(db_path))
    try:
        out.update(outbox_counts(db))
        for key in ("last_sync_at", "last_error", "last_error_at", "last_report"):
            out[key] = _state(db, key)
        why = _state(db, "last_error_why")
    finally:
        db.close()
    if out["last_error"] and why:  # said again in the language of whoever looks now
        try:
            out["last_error"] = str(SyncError.from_why(why))
        except (ValueError, AttributeError):
            pass
    return out


class SyncClient:
    """One PC's sync with its clinic server, on its own SQLite connection."""

    def __init__(self, db_path: str | Path, config: SyncConfig, *, http: Any = None, batch: int = 200,
                 timeout: float = 10.0, wall: Callable[[], float] = time.time) -> None:
        self.db_path = Path(db_path)
        self.config = config
        self.batch = max(1, min(int(batch), MAX_BATCH))
        self.wall = wall
        self._own_http = http is None
        self.http = http or _http(check_server_url(config.server), ca_file=config.ca_file, token=config.token,
                                  timeout=timeout)
        self.db = connect(self.db_path)

    def close(self) -> None:
        if self._own_http:
            self.http.close()
        self.db.close()

    # -------------------------------------------------------------- up
    def _pending(self, limit: int) -> list[sqlite3.Row]:
        # A session still being played waits (it goes up with its end); it never holds up the rest.
        return self.db.execute(
            "SELECT o.* FROM sync_outbox o WHERE o.sent_at IS NULL AND o.skipped IS NULL AND NOT "
            "(o.kind='session' AND EXISTS (SELECT 1 FROM sessions s WHERE s.id=o.row_id AND s.ended_at IS NULL)) "
            "ORDER BY o.rowid LIMIT ?", (limit,)).fetchall()

    def _mark(self, sent: list[str], skipped: dict[str, str]) -> None:
        if not sent and not skipped:
            return
        now = self.wall()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("UPDATE sync_outbox SET sent_at=? WHERE uid=? AND sent_at IS NULL",
                                [(now, u) for u in sent])
            self.db.executemany("UPDATE sync_outbox SET skipped=? WHERE uid=?", [(why, u) for u, why in skipped.items()])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _post(self, records: list[dict[str, Any]]) -> Any:
        body = json.dumps({"records": records}, separators=(",", ":"), default=str).encode()
        headers = {"Content-Type": "application/json"}
        if len(body) > GZIP_OVER:
            body = gzip.compress(body, 5)
            headers["Content-Encoding"] = "gzip"
        return _request(self.http, "POST", "/sync/records", content=body, headers=headers)

    def _send(self, records: list[dict[str, Any]], back: dict[str, str], report: SyncReport) -> None:
        """Send records; acknowledged uids are marked sent. A record the server refuses as not
        fitting the contract (422) is found by halving the batch and set aside, so it never
        blocks the others."""
        resp = self._post(records)
        if resp.status_code == 422 and len(records) > 1:
            half = len(records) // 2
            self._send(records[:half], back, report)
            self._send(records[half:], back, report)
            return
        if resp.status_code == 422:
            self._mark([], {back[records[0]["uid"]]: f"refused by the server: {_detail(resp)}"[:500]})
            report.refused += 1
            return
        if resp.status_code != 200:
            raise _refusal(resp)
        got = resp.json()
        acked = [back[u] for u in got.get("acked", []) if u in back]
        self._mark(acked, {})
        report.sent += len(acked)
        report.stored += int(got.get("stored", 0))
        report.duplicates += int(got.get("duplicates", 0))

    def push(self, report: SyncReport | None = None, *, stop: threading.Event | None = None) -> SyncReport:
        """Send everything in the outbox, a batch at a time."""
        report = report or SyncReport()
        while stop is None or not stop.is_set():
            entries = self._pending(self.batch)
            if not entries:
                break
            who = _Who(self.db)
            records: list[dict[str, Any]] = []
            back: dict[str, str] = {}
            skipped: dict[str, str] = {}
            for e in entries:
                rec = build_record(self.db, e, who, self.config.clinic_id)
                if isinstance(rec, str):
                    skipped[e["uid"]] = rec
                elif rec is not None:
                    records.append(rec)
                    back[rec["uid"]] = e["uid"]
            self._mark([], skipped)
            if not records:
                continue
            self._send(records, back, report)
        report.pending = outbox_counts(self.db)["pending"]
        return report

    # -------------------------------------------------------------- down
    def pull(self, report: SyncReport | None = None) -> SyncReport:
        """The clinic's patients, programs and settings changed since the last pull. The
        therapist's word wins: a patient's name, initials, hand, archived state and program
        are set to the server's; a program is written as a level file and assigned."""
        report = report or SyncReport()
        cursor = _state(self.db, "changes_cursor") or ""
        resp = _request(self.http, "GET", "/sync/changes", params={"since": cursor})
        if resp.status_code == 400 and cursor:  # the server forgot our cursor (restored from a backup): all again
            resp = _request(self.http, "GET", "/sync/changes", params={"since": ""})
        if resp.status_code != 200:
            raise _refusal(resp)
        got = resp.json()
        levels = self.db_path.parent / "levels"
        written: list[tuple[Path, str]] = []
        now = self.wall()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for prog in got.get("programs", []):
                uid = uuid.UUID(prog["uid"]).hex
                old = self.db.execute("SELECT version FROM clinic_programs WHERE uid=?", (uid,)).fetchone()
                if old is not None and int(old[0]) >= int(prog["version"]):
                    continue
                file = f"clinic-{uid}.yaml"
                self.db.execute(
                    "INSERT INTO clinic_programs(uid, patient_uid, version, name, yaml, saved_at, file, received_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uid) DO UPDATE SET version=excluded.version, "
                    "name=excluded.name, yaml=excluded.yaml, saved_at=excluded.saved_at, "
                    "patient_uid=excluded.patient_uid, received_at=excluded.received_at",
                    (uid, _hex(prog.get("patient_uid")), int(prog["version"]), prog.get("name"), prog["yaml"],
                     prog.get("saved_at"), file, now))
                written.append((levels / file, prog["yaml"]))
                report.programs += 1
            for p in got.get("patients", []):
                self._apply_patient(p, now)
                report.patients += 1
            settings = json.dumps(got.get("settings") or {}, sort_keys=True)
            report.settings_changed = settings != (_state(self.db, "clinic_settings") or "{}")
            _set_state(self.db, clinic_settings=settings, changes_cursor=got.get("cursor", cursor))
            # The level files first: the cursor is committed only once they are on disk.
            for path, text in written:
                _write_file(path, text)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return report

    def _apply_patient(self, p: dict[str, Any], now: float) -> None:
        uid = uuid.UUID(p["uid"]).hex
        row = self.db.execute("SELECT id FROM patients WHERE uid=? OR uid=?", (uid, str(p["uid"]))).fetchone()
        level = None
        if p.get("program_uid"):
            prog = self.db.execute("SELECT file FROM clinic_programs WHERE uid=?",
                                   (uuid.UUID(p["program_uid"]).hex,)).fetchone()
            level = prog[0] if prog else None
        name = p.get("display_name") or p.get("initials") or "Patient"
        hand = p.get("hand") if p.get("hand") in ("left", "right") else None
        if row is None:
            cur = self.db.execute(
                "INSERT INTO patients(name, hand, created_at, archived, initials, level, uid, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, hand or "right", now, int(bool(p.get("archived"))), p.get("initials"), level, uid, now))
            # It came from the server: nothing to send back.
            self.db.execute("UPDATE sync_outbox SET sent_at=? WHERE tbl='patients' AND row_id=?", (now, cur.lastrowid))
            return
        self.db.execute(
            "UPDATE patients SET name=?, initials=COALESCE(?, initials), hand=COALESCE(?, hand), archived=?, "
            "level=CASE WHEN ? IS NOT NULL THEN ? ELSE level END, updated_at=? WHERE id=?",
            (name, p.get("initials"), hand, int(bool(p.get("archived"))), level, level, now, row[0]))

    # -------------------------------------------------------------- both
    def sync_once(self, *, stop: threading.Event | None = None) -> SyncReport:
        """Send, then receive. Raises SyncError (recorded for the status) if either fails."""
        report = SyncReport()
        try:
            # A cheap question first: while the server cannot be reached, no batch is built for nothing.
            _request(self.http, "GET", "/health")
            self.push(report, stop=stop)
            self.pull(report)
        except SyncError as exc:
            report.errors.append(str(exc))
            self._record_outcome(report, str(exc), exc.why())
            raise
        report.pending = outbox_counts(self.db)["pending"]
        self._record_outcome(report, None)
        return report

    def _record_outcome(self, report: SyncReport, error: str | None, why: str | None = None) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            if error is None:
                _set_state(self.db, last_sync_at=self.wall(), last_error=None, last_error_why=None,
                           last_report=report.words())
            else:
                _set_state(self.db, last_error=error, last_error_why=why, last_error_at=self.wall())
            self.db.execute("COMMIT")
        except sqlite3.Error:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass


def _hex(u: str | None) -> str | None:
    return uuid.UUID(u).hex if u else None


def _write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


# ------------------------------------------------------------------------ in the background
class Backoff:
    """Waits between failed tries: 2 s, 4 s, 8 s... up to 5 minutes, each with up to a
    quarter of random spread (so many PCs back from an outage do not all come at once)."""

    def __init__(self, first: float = BACKOFF_FIRST_S, most: float = BACKOFF_MAX_S, seed: int | None = None) -> None:
        self.first, self.most = first, most
        self.failures = 0
        self._rng = random.Random(seed)

    def next_wait(self) -> float:
        base = min(self.most, self.first * 2.0 ** min(self.failures, 40))  # a week offline: thousands of tries
        self.failures += 1
        return base * (1 + 0.25 * self._rng.random())

    def reset(self) -> None:
        self.failures = 0


class BackgroundSync:
    """Sync on its own thread: now, then every ``interval`` seconds; after a failure it waits by :class:`Backoff`. ``sleep(seconds, stop)`` is
    injectable (tests drive time by hand); by default it waits on the stop event."""

    def __init__(self, db_path: str | Path, config: SyncConfig, *, interval: float = INTERVAL_S,
                 backoff: Backoff | None = None, sleep: Callable[[float, threading.Event], None] | None = None,
                 client_factory: Callable[[], SyncClient] | None = None, **client_kw: Any) -> None:
        self.db_path = Path(db_path)
        self.config = config
        self.interval = interval
        self.backoff = backoff or Backoff()
        self._sleep = sleep or (lambda s, stop: stop.wait(s))
        self._factory = client_factory or (lambda: SyncClient(self.db_path, self.config, **client_kw))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_report: SyncReport | None = None
        self.last_error: str | None = None
        self.gave_up = False  # a person must act (token revoked, bad certificate...)
        self.rounds = 0

    def start(self) -> BackgroundSync:
        self._thread = threading.Thread(target=self._run, name="clinic-sync", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        client: SyncClient | None = None
        try:
            while not self._stop.is_set():
                wait = self.interval
                try:
                    if client is None:
                        client = self._factory()
                    self.last_report = client.sync_once(stop=self._stop)
                    self.last_error = None
                    self.backoff.reset()
                except SyncError as exc:
                    self.last_error = str(exc)
                    if not exc.retry:
                        self.gave_up = True
                        return
                    wait = self.backoff.next_wait()
                except sqlite3.Error as exc:  # the database busy for long: try later, never crash the game
                    self.last_error = f"The records could not be read for sync ({exc}); sync will try again."
                    wait = self.backoff.next_wait()
                except Exception as exc:  # noqa: BLE001 - whatever it is, the game plays on and sync tries later
                    self.last_error = f"Sync met a problem ({type(exc).__name__}: {exc}); it will try again."
                    wait = self.backoff.next_wait()
                    if client is not None:
                        client.close()
                        client = None
                self.rounds += 1
                if self._stop.is_set():
                    break
                self._sleep(wait, self._stop)
        finally:
            if client is not None:
                client.close()


def start_if_enrolled(data_dir: str | Path, db_path: str | Path, **kw: Any) -> BackgroundSync | None:
    """The game's background sync, if this PC is connected to a clinic server (else None)."""
    try:
        cfg = SyncConfig.load(data_dir)
    except SyncError:
        return None
    if cfg is None:
        return None
    try:
        import httpx  # noqa: F401
    except ImportError:
        return None
    return BackgroundSync(db_path, cfg, **kw).start()
