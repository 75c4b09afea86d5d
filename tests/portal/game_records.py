"""A real headless game run's records, sent to the clinic server through the sync contract.

The game plays a session (``python main.py --headless --input sim --level FILE``) into its
own database; each row of its tables then goes up as one contract Record (body = the row's
columns, API.md) with ``POST /api/v1/sync/records``. This is what a PC's sync sends; the
portal tests use it where they need a game's session on the server.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "squeeze_quest.sqlite3"
NS = uuid.UUID("5d1f3c36-8f33-4a55-9c3d-2b6f0f6a0b11")  # for rows the game keys without a uid (sets)


def run_game(data_dir: Path, level_file: Path, patient: str, *, seconds: int = 120, timeout: float = 180) -> None:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    main = [sys.executable, str(ROOT / "main.py")]
    add = subprocess.run([*main, "patients", "--data-dir", str(data_dir), "add", patient], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=60, check=False)
    assert add.returncode == 0, add.stderr
    play = subprocess.run([*main, "--headless", "--input", "sim", "--level", str(level_file), "--seconds",
                           str(seconds), "--data-dir", str(data_dir), "--record-as", patient, "--seed", "3"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout, check=False)
    assert play.returncode == 0, play.stderr


def _iso(ts: Any) -> str:
    return datetime.fromtimestamp(float(ts), timezone.utc).isoformat()


def _rows(db: sqlite3.Connection, sql: str, *args: Any) -> list[dict[str, Any]]:
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute(sql, args)]


def records_of(data_dir: Path, patient_name: str, patient_uid: str, program_uid: str | None,
               program_version: int | None) -> list[dict[str, Any]]:
    """Contract Records for one patient of a game database."""
    db = sqlite3.connect(data_dir / DB_NAME)
    p = _rows(db, "SELECT * FROM patients WHERE name=?", patient_name)[0]
    out: list[dict[str, Any]] = [{"uid": patient_uid, "kind": "patient", "patient_uid": patient_uid,
                                  "session_uid": None, "recorded_at": _iso(p["created_at"]),
                                  "body": {"display_name": p["name"], "initials": p["initials"], "hand": p["hand"]}}]
    sessions = _rows(db, "SELECT * FROM sessions WHERE patient_id=?", p["id"])
    provs = {r["uid"]: r for r in _rows(db, "SELECT * FROM provenance")}
    for s in sessions:
        sid = s["uid"]
        if s.get("provenance_uid") in provs:
            prov = provs[s["provenance_uid"]]
            out.append({"uid": str(uuid.uuid5(NS, "prov:" + prov["uid"])), "kind": "provenance",
                        "patient_uid": patient_uid, "session_uid": None, "recorded_at": _iso(s["started_at"]),
                        "body": prov})
        out.append({"uid": sid, "kind": "session", "patient_uid": patient_uid, "session_uid": sid,
                    "recorded_at": _iso(s["started_at"]),
                    "body": {**s, "program_uid": program_uid, "program_version": program_version}})
        for r in _rows(db, "SELECT * FROM reps WHERE session_id=?", s["id"]):
            out.append({"uid": r["uid"], "kind": "rep", "patient_uid": patient_uid, "session_uid": sid,
                        "recorded_at": _iso(r["recorded_at"]), "body": {**r, "success": bool(r["success"])}})
        for r in _rows(db, "SELECT * FROM sets WHERE session_id=?", s["id"]):
            out.append({"uid": str(uuid.uuid5(NS, f"set:{sid}:{r['exercise']}:{r['set_number']}")), "kind": "set",
                        "patient_uid": patient_uid, "session_uid": sid, "recorded_at": _iso(r["ended_at"]),
                        "body": r})
        for r in _rows(db, "SELECT * FROM events WHERE session_id=? AND uid IS NOT NULL", s["id"]):
            out.append({"uid": r["uid"], "kind": "event", "patient_uid": patient_uid, "session_uid": sid,
                        "recorded_at": _iso(r["at"]), "body": r})
    for r in _rows(db, "SELECT * FROM calibrations WHERE patient_id=?", p["id"]):
        out.append({"uid": str(uuid.uuid5(NS, f"cal:{patient_uid}:{r['id']}")), "kind": "calibration",
                    "patient_uid": patient_uid, "session_uid": None, "recorded_at": _iso(r["recorded_at"]),
                    "body": r})
    db.close()
    return out
