"""The clinic server against a real PostgreSQL (the throwaway cluster) and a real server
process on 127.0.0.1: enrolment, passwords, clinic boundaries, revoked tokens, idempotent
and gzip uploads, the changes feed, TLS, and a server SIGKILLed mid-upload."""

from __future__ import annotations

import gzip
import io
import json
import sys
import threading
import uuid
from datetime import timedelta

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("sqlalchemy")

from sqlalchemy import text

from server import admin, auth, zones

API = "/api/v1"
T0 = "2026-11-29T10:00:00Z"


@pytest.fixture(scope="module")
def clinics(engine):
    with engine.begin() as conn:
        north = admin.create_clinic(conn, "North Ward")
        south = admin.create_clinic(conn, "South Ward")
    return north, south


def _code(engine, clinic, **kw) -> str:
    with engine.begin() as conn:
        return admin.make_enrolment_code(conn, clinic, **kw)


def _enroll(server, code, name="kiosk") -> httpx.Response:
    return httpx.post(server.url + API + "/devices/enroll",
                      json={"code": code, "device_uid": str(uuid.uuid4()), "device_name": name})


def _device(server, engine, clinic) -> dict:
    r = _enroll(server, _code(engine, clinic))
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}", **r.json()}


def _bearer(dev: dict) -> dict:
    return {"Authorization": dev["Authorization"]}


def _patient(uid: str, name: str = "Ann Brown") -> dict:
    return {"uid": uid, "kind": "patient", "patient_uid": uid, "session_uid": None, "recorded_at": T0,
            "body": {"display_name": name, "hand": "left"}}


def _reps(patient: str, n: int, session: str | None = None) -> list[dict]:
    session = session or uuid.uuid4().hex
    return [{"uid": uuid.uuid4().hex, "kind": "rep", "patient_uid": patient, "session_uid": session,
             "recorded_at": f"2026-11-29T10:{i // 60:02d}:{i % 60:02d}Z",
             "body": {"exercise": "power_grip", "success": i % 4 != 0, "peak_pct_mvc": 30.5, "rep_number": i + 1}}
            for i in range(n)]


def _upload(server, dev, records, **kw) -> httpx.Response:
    return httpx.post(server.url + API + "/sync/records", json={"records": records}, headers=_bearer(dev), **kw)


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


# ------------------------------------------------------------------ enrolment and passwords
def test_health_names_the_schema(clinic_server):
    r = httpx.get(clinic_server.url + API + "/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["schema"] >= 2


def test_enrolment_code_works_once_and_a_replay_is_refused(clinic_server, engine, clinics):
    code = _code(engine, clinics[0])
    first = _enroll(clinic_server, code.lower().replace("-", " "))  # typed by hand: case and dashes ignored
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["clinic_name"] == "North Ward" and body["clinic_id"] == str(clinics[0]) and len(body["token"]) >= 40
    replay = _enroll(clinic_server, code)
    assert replay.status_code == 403
    assert "not valid" in replay.json()["detail"]
    # Only the token's hash is stored.
    assert _count(engine, "SELECT count(*) FROM devices WHERE token_hash = :t", t=body["token"]) == 0
    assert _count(engine, "SELECT count(*) FROM devices WHERE token_hash = :t", t=auth.token_hash(body["token"])) == 1


def test_expired_and_unknown_codes_are_refused(clinic_server, engine, clinics):
    expired = _code(engine, clinics[0], now=auth.utcnow() - timedelta(hours=25))
    assert _enroll(clinic_server, expired).status_code == 403
    assert _enroll(clinic_server, "ABCD-EFGH").status_code == 403
    bad = httpx.post(clinic_server.url + API + "/devices/enroll", json={"code": "X", "device_uid": "nope"})
    assert bad.status_code == 422 and isinstance(bad.json()["detail"], str)


def test_a_wrong_therapist_password_is_refused_and_sessions_expire(engine, clinics):
    with engine.begin() as conn:
        admin.create_therapist(conn, clinics[0], "ana", "correct horse battery", "Ana Lopez")
    with engine.begin() as conn:
        assert auth.login(conn, "ana", "wrong horse battery") is None
        assert auth.login(conn, "nobody", "correct horse battery") is None
        therapist, token = auth.login(conn, "ana", "correct horse battery", now=auth.utcnow())
    assert therapist.display_name == "Ana Lopez"
    with engine.begin() as conn:
        assert auth.session_therapist(conn, token).username == "ana"
        assert auth.session_therapist(conn, "forged-token") is None
        # Idle past SESSION_IDLE: over, and the session is gone for good.
        assert auth.session_therapist(conn, token, now=auth.utcnow() + auth.SESSION_IDLE) is None
        assert auth.session_therapist(conn, token) is None
    with engine.begin() as conn:
        pw_hash = conn.execute(text("SELECT password_hash FROM therapists WHERE username='ana'")).scalar_one()
    assert pw_hash.startswith("$argon2id$") and "correct horse" not in pw_hash


# ------------------------------------------------------------------ clinic boundaries and tokens
def test_a_device_cannot_read_nor_write_another_clinics_patients(clinic_server, engine, clinics):
    north, south = clinics
    dev_n = _device(clinic_server, engine, north)
    dev_s = _device(clinic_server, engine, south)
    p_south = uuid.uuid4().hex
    assert _upload(clinic_server, dev_s, [_patient(p_south, "Sam South"), *_reps(p_south, 3)]).status_code == 200
    p_north = uuid.uuid4().hex
    assert _upload(clinic_server, dev_n, [_patient(p_north, "Nina North")]).status_code == 200

    seen = httpx.get(clinic_server.url + API + "/sync/changes", headers=_bearer(dev_n)).json()
    names = {p["display_name"] for p in seen["patients"]}
    assert "Nina North" in names and "Sam South" not in names
    assert all(p["uid"] != str(uuid.UUID(p_south)) for p in seen["patients"])

    before = _count(engine, "SELECT count(*) FROM records")
    # A batch mixing the device's own patient with another clinic's: refused whole.
    r = _upload(clinic_server, dev_n, [*_reps(p_north, 2), *_reps(p_south, 2)])
    assert r.status_code == 403 and "another clinic" in r.json()["detail"]
    assert _count(engine, "SELECT count(*) FROM records") == before
    # Claiming the other clinic's patient by sending its "patient" record: refused too.
    assert _upload(clinic_server, dev_n, [_patient(p_south, "Renamed")]).status_code == 403
    assert _count(engine, "SELECT count(*) FROM patients WHERE display_name = 'Renamed'") == 0


def test_unknown_and_revoked_tokens_are_refused(clinic_server, engine, clinics):
    dev = _device(clinic_server, engine, clinics[0])
    p = uuid.uuid4().hex
    assert _upload(clinic_server, dev, [_patient(p)]).status_code == 200
    with engine.begin() as conn:
        admin.revoke_device(conn, uuid.UUID(dev["device_id"]))
    assert _upload(clinic_server, dev, _reps(p, 1)).status_code == 401
    r = httpx.get(clinic_server.url + API + "/sync/changes", headers=_bearer(dev))
    assert r.status_code == 401 and "enrolment code" in r.json()["detail"]
    assert httpx.get(clinic_server.url + API + "/sync/changes").status_code == 401
    assert httpx.get(clinic_server.url + API + "/sync/changes",
                     headers={"Authorization": "Bearer " + auth.new_token()}).status_code == 401


def test_every_request_is_logged_without_health_data(clinic_server, engine, clinics):
    dev = _device(clinic_server, engine, clinics[0])
    p = uuid.uuid4().hex
    _upload(clinic_server, dev, [_patient(p, "Zelda Secret")])
    httpx.get(clinic_server.url + API + "/sync/changes?since=c0", headers=_bearer(dev))
    import time

    deadline = time.monotonic() + 60  # the server's writer thread batches the rows; only a broken one takes this
    actor = f"device:{dev['device_id']}"
    while _count(engine, "SELECT count(*) FROM access_log WHERE actor = :a", a=actor) < 2:
        assert time.monotonic() < deadline, "the access log was not written"
        time.sleep(0.1)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT method, path, status FROM access_log WHERE actor = :a ORDER BY id"),
                            {"a": actor}).all()
        dump = json.dumps([list(map(str, r)) for r in conn.execute(text("SELECT * FROM access_log")).all()])
    assert [tuple(r) for r in rows] == [("POST", API + "/sync/records", 200), ("GET", API + "/sync/changes", 200)]
    assert "Zelda" not in dump and "since" not in dump


# ------------------------------------------------------------------ uploads
def test_uploads_are_idempotent_and_gzip_bodies_work(clinic_server, engine, clinics):
    dev = _device(clinic_server, engine, clinics[0])
    p = uuid.uuid4().hex
    batch = [_patient(p), *_reps(p, 120)]
    first = _upload(clinic_server, dev, batch).json()
    assert first["stored"] == 121 and first["duplicates"] == 0
    assert first["acked"] == [r["uid"] for r in batch]  # echoed as sent (hex form)
    again = httpx.post(clinic_server.url + API + "/sync/records", headers={**_bearer(dev), "Content-Encoding": "gzip",
                                                                          "Content-Type": "application/json"},
                       content=gzip.compress(json.dumps({"records": batch}).encode()))
    assert again.status_code == 200, again.text
    assert again.json()["stored"] == 0 and again.json()["duplicates"] == 121
    assert set(again.json()["acked"]) == {r["uid"] for r in batch}
    # Half old, half new, and one uid twice in the request (dashed form of a stored one).
    more = _reps(p, 10)
    mixed = [*batch[:5], *more, {**batch[6], "uid": str(uuid.UUID(batch[6]["uid"]))}]
    r = _upload(clinic_server, dev, mixed).json()
    assert (r["stored"], r["duplicates"]) == (10, 6)
    assert _count(engine, "SELECT count(*) FROM records WHERE patient_uid = :p", p=uuid.UUID(p)) == 131
    assert _count(engine, "SELECT count(*) FROM records WHERE patient_uid = :p AND kind='rep' AND success AND "
                          "exercise='power_grip'", p=uuid.UUID(p)) == 97  # typed columns from the body
    broken = httpx.post(clinic_server.url + API + "/sync/records", content=b"\x1f\x8bnot gzip",
                        headers={**_bearer(dev), "Content-Encoding": "gzip"})
    assert broken.status_code == 400 and "gzip" in broken.json()["detail"]


def test_bad_records_are_refused_with_plain_words(clinic_server, engine, clinics):
    dev = _device(clinic_server, engine, clinics[0])
    p = uuid.uuid4().hex
    cases = [
        ({**_reps(p, 1)[0], "kind": "selfie"}, "unknown kind"),
        ({**_reps(p, 1)[0], "uid": "12"}, "not a uid"),
        ({**_reps(p, 1)[0], "recorded_at": "yesterday"}, "ISO-8601"),
        ({**_reps(p, 1)[0], "patient_uid": None}, "needs a patient_uid"),
        ({**_reps(p, 1)[0], "session_uid": [1, 2]}, "not a uid"),
        ({**_reps(p, 1)[0], "body": "squeezed"}, "body must be an object"),
    ]
    for rec, words in cases:
        r = _upload(clinic_server, dev, [rec])
        assert r.status_code == 422 and words in r.json()["detail"], r.text
    too_many = _upload(clinic_server, dev, _reps(p, 501))
    assert too_many.status_code == 422 and "At most 500" in too_many.json()["detail"]
    assert _count(engine, "SELECT count(*) FROM records WHERE patient_uid = :p", p=uuid.UUID(p)) == 0


def test_changes_bring_the_therapists_programs_and_profiles(clinic_server, engine, clinics):
    north = clinics[0]
    dev = _device(clinic_server, engine, north)
    p = uuid.uuid4().hex
    _upload(clinic_server, dev, [_patient(p, "Olga Ortiz")])
    changes = httpx.get(clinic_server.url + API + "/sync/changes", headers=_bearer(dev)).json()
    cursor = changes["cursor"]
    assert httpx.get(clinic_server.url + API + f"/sync/changes?since={cursor}",
                     headers=_bearer(dev)).json()["patients"] == []
    level = "name: Gentle start\nexercises:\n  - exercise: power_grip\n    sets: 3\n    reps: 10\n"
    with engine.begin() as conn:
        with pytest.raises(admin.AdminError, match="problems"):
            admin.save_program(conn, north, "Broken", "name: x\nexercises:\n  - exercise: juggling\n")
        prog, v1 = admin.save_program(conn, north, "Gentle start", level, patient_uid=uuid.UUID(p))
    with engine.begin() as conn:
        _, v2 = admin.save_program(conn, north, "Gentle start", level.replace("reps: 10", "reps: 12"),
                                   program_uid=prog, patient_uid=uuid.UUID(p))
        admin.set_clinic_settings(conn, north, {"session_minutes": 30})
    assert (v1, v2) == (1, 2)
    later = httpx.get(clinic_server.url + API + "/sync/changes", params={"since": cursor}, headers=_bearer(dev)).json()
    assert [pt["program_uid"] for pt in later["patients"]] == [str(prog)]
    assert [(pg["uid"], pg["version"]) for pg in later["programs"]] == [(str(prog), 2)]
    # The clinic's time zone (a new clinic's: the server machine's) comes down with its settings.
    assert "reps: 12" in later["programs"][0]["yaml"] and later["settings"] == {
        "session_minutes": 30, "timezone": zones.machine_zone()}
    assert httpx.get(clinic_server.url + API + "/sync/changes?since=bogus", headers=_bearer(dev)).status_code == 400


# ------------------------------------------------------------------ TLS, CLI
def test_tls_with_the_self_signed_ca(clinic_server_factory, pg_url, tmp_path):
    s = clinic_server_factory(pg_url, tls=True, cert_dir=tmp_path / "tls")
    assert s.url.startswith("https://127.0.0.1:")
    r = httpx.get(s.url + API + "/health", verify=s.ssl_context())
    assert r.status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(s.url + API + "/health")  # the system's CAs do not trust it
    assert oct((tmp_path / "tls" / "server-key.pem").stat().st_mode & 0o777) == "0o600"
    s.stop()


def test_admin_command_line(pg_url, clinic_server, engine, capsys, monkeypatch):
    from server.cli import main

    def cli(*args, stdin=""):  # in this process: the same main() the console script runs
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        rc = main(["--database-url", pg_url, *args])
        out = capsys.readouterr()
        return rc, out.out.strip(), out.err

    rc, clinic_id, err = cli("create-clinic", "East Ward")
    assert rc == 0, err
    rc, _, err = cli("create-therapist", "--clinic", "East Ward", "--username", "bo", "--password-stdin",
                     stdin="a long enough password\n")
    assert rc == 0, err
    rc, _, err = cli("create-therapist", "--clinic", "East Ward", "--username", "cy", "--password-stdin",
                     stdin="short\n")
    assert rc == 1 and "too short" in err
    rc, code, err = cli("enrolment-code", "--clinic", clinic_id)
    assert rc == 0 and len(code) == 9, err
    r = _enroll(clinic_server, code, "Home PC of B.")
    assert r.status_code == 201
    rc, listing, _ = cli("list-devices", "--clinic", "East Ward")
    assert "active" in listing and "Home PC of B." in listing
    rc, _, err = cli("revoke-device", r.json()["device_id"])
    assert rc == 0, err
    assert "REVOKED" in cli("list-devices")[1]
    assert _upload(clinic_server, {"Authorization": "Bearer " + r.json()["token"]}, []).status_code == 401


# ------------------------------------------------------------------ a server killed mid-upload
def test_a_server_killed_mid_upload_loses_nothing_it_acknowledged(clinic_server, engine, clinics):
    dev = _device(clinic_server, engine, clinics[0])
    p = uuid.uuid4().hex
    assert _upload(clinic_server, dev, [_patient(p)]).status_code == 200
    batches = [_reps(p, 400) for _ in range(40)]
    acked: set[str] = set()
    in_flight: list[list[dict]] = []
    killed, kill_done = threading.Event(), threading.Event()

    def upload_all():
        with httpx.Client(timeout=30) as c:
            for b in batches:
                if b is batches[-1]:
                    # The kill lands somewhere in batches 9-39, however late the test's thread gets the core
                    # (on a busy machine the uploader once might have sent all 40 first).
                    kill_done.wait(60)
                in_flight.append(b)
                try:
                    r = c.post(clinic_server.url + API + "/sync/records", json={"records": b}, headers=_bearer(dev))
                except httpx.TransportError:
                    return  # the server is gone mid-request
                assert r.status_code == 200
                acked.update(r.json()["acked"])
                if len(in_flight) == 8:
                    killed.set()

    t = threading.Thread(target=upload_all)
    t.start()
    assert killed.wait(60)
    clinic_server.kill()  # SIGKILL: no shutdown, no flush
    kill_done.set()
    t.join(60)
    clinic_server.start()
    assert 8 <= len(acked) // 400 < 40
    with engine.connect() as conn:
        stored = {u.hex for (u,) in conn.execute(text("SELECT uid FROM records WHERE patient_uid = :p AND kind='rep'"),
                                                 {"p": uuid.UUID(p)})}
    assert acked <= stored  # everything acknowledged survived
    # The request cut off is in whole or not at all (one transaction).
    last = {r["uid"] for r in in_flight[-1]}
    assert last <= stored or not (last & stored)
    # The client sends everything again: nothing doubles, everything arrives.
    with httpx.Client(timeout=30) as c:
        for b in batches:
            r = c.post(clinic_server.url + API + "/sync/records", json={"records": b}, headers=_bearer(dev))
            assert r.status_code == 200
            assert set(r.json()["acked"]) == {x["uid"] for x in b}
    assert _count(engine, "SELECT count(*) FROM records WHERE patient_uid = :p AND kind='rep'",
                  p=uuid.UUID(p)) == 40 * 400


def test_postgresql_restarted_the_server_answers_503_then_recovers(clinic_server, engine, clinics):
    dev = _device(clinic_server, engine, clinics[0])
    p = uuid.uuid4().hex
    assert _upload(clinic_server, dev, [_patient(p)]).status_code == 200
    clinic_server.pg_restart()
    r = _upload(clinic_server, dev, _reps(p, 50))  # the pool's old connections are dead: pre-ping replaces them
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 50


def test_traces_are_stored_apart_with_their_samples_as_bytes(clinic_server, engine, clinics):
    import base64
    import struct
    import zlib

    dev = _device(clinic_server, engine, clinics[0])
    p, s = uuid.uuid4().hex, uuid.uuid4().hex
    raw = struct.pack("<8f", 0.0, 1.5, 0.0, 0.0, 0.01, 2.5, 0.1, -0.1)
    packed = {"uid": uuid.uuid4().hex, "kind": "trace", "patient_uid": p, "session_uid": s, "recorded_at": T0,
              "body": {"session_uid": s, "rate_hz": 100, "encoding": "f32le-zlib-b64", "seq": 0, "t0": 0.0, "n": 2,
                       "samples": base64.b64encode(zlib.compress(raw)).decode()}}
    plain = {"uid": uuid.uuid4().hex, "kind": "trace", "patient_uid": p, "session_uid": s, "recorded_at": T0,
             "body": {"session_uid": s, "rate_hz": 100, "encoding": "json", "seq": 1, "samples": [[0.02, 3.0, 0, 0]]}}
    r = _upload(clinic_server, dev, [_patient(p), packed, plain, *_reps(p, 2, s)]).json()
    assert (r["stored"], r["duplicates"]) == (5, 0)
    assert _upload(clinic_server, dev, [packed, plain]).json()["duplicates"] == 2
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, rate_hz, encoding, samples, body FROM traces WHERE session_uid = :s "
                                 "ORDER BY seq"), {"s": uuid.UUID(s)}).all()
        in_records = conn.execute(text("SELECT count(*) FROM records WHERE session_uid = :s"),
                                  {"s": uuid.UUID(s)}).scalar_one()
    assert in_records == 2  # the reps; the traces are in their own table
    assert [(x.seq, x.rate_hz, x.encoding) for x in rows] == [(0, 100.0, "f32le-zlib-b64"), (1, 100.0, "json")]
    assert zlib.decompress(bytes(rows[0].samples)) == raw and "samples" not in rows[0].body
    assert rows[1].samples is None and rows[1].body["samples"] == [[0.02, 3.0, 0, 0]]
