"""The game's side of sync (issue 15): uids and the outbox in the game's SQLite, and the
sync client against the real clinic server (a subprocess on 127.0.0.1 over a throwaway
PostgreSQL cluster, tests/pg_fixtures.py)."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
import zlib
from datetime import timedelta

import numpy as np
import pytest

from game import i18n
from game.records import sync
from game.records.storage import DB_NAME, MIGRATIONS, SYNCED_TABLES, RepRow, Store, _statements
from hardware.sample import Sample
from tests.test_sync_refusals import (
    API,
    ENDED_EN,
    ENDED_ES,
    EXPIRED_EN,
    EXPIRED_ES,
    OTHER_EN,
    OTHER_ES,
    USED_DE,
    USED_EN,
    said,
)

UID4 = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")
LEVEL = "name: Gentle start\nexercises:\n  - exercise: power_grip\n    sets: 2\n    reps: 6\n"


def play(store: Store, pid: int, *, reps: int = 5, level: str | None = None, seed: int = 0) -> int:
    """A session as the game writes it: reps, a set, a difficulty change, events, a trace, ratings."""
    rng = np.random.default_rng(seed)
    sid = store.start_session(pid, input_device="Script", level=level)
    store.rate_session(sid, pain_before=2, fatigue_before=1)
    store.start_trace(sid, {"calibration": {"mvc": 300.0}})
    t = 0.0
    for i in range(reps):
        store.add_samples(sid, [Sample(t + k / 100, float(rng.uniform(40, 200)), 0.0, 0.0) for k in range(150)])
        t += 1.5
        store.add_rep(sid, RepRow("power_grip", "right", 1, i + 1, {"success": i % 4 != 3, "peak_pct": 30.0 + i}))
    store.log_difficulty_change(sid, exercise="power_grip", setting="target_pct", before=20, after=21, set_number=1)
    store.log_event(sid, "pause", {"why": "test"})
    store.finish_set(sid, exercise="power_grip", set_number=1, hand="right", reps_target=reps)
    store.end_session(sid, "completed")
    store.rate_session(sid, pain_after=3, fatigue_after=4)
    store.flush()
    return sid


# ---------------------------------------------------------------------------- local only
def test_every_record_gets_a_uid_and_an_outbox_entry_in_its_own_transaction(tmp_path):
    store = Store.in_dir(tmp_path)
    pid = store.ensure_patient("Ann")
    store.save_calibration(pid, "right", baseline=40, mvc=300)
    store.save_roll_calibration(pid, "right", range_x=30, range_y=20)
    play(store, pid)
    db = store.db
    for table, kind in SYNCED_TABLES.items():
        rows = db.execute(f"SELECT rowid AS rid, uid FROM {table}").fetchall()
        assert rows, table
        if table != "provenance":
            assert all(UID4.match(r["uid"]) for r in rows), table
        entries = {(r["row_id"], r["uid"]) for r in db.execute("SELECT row_id, uid FROM sync_outbox WHERE tbl=? AND "
                                                                "kind=?", (table, kind))}
        assert entries == {(r["rid"], r["uid"]) for r in rows}, table
    ratings = [json.loads(r[0]) for r in db.execute("SELECT body FROM sync_outbox WHERE kind='rating' ORDER BY rowid")]
    assert [(r["pain_before"], r["pain_after"]) for r in ratings] == [(2, None), (2, 3)]
    # A write that fails leaves neither the row nor its entry.
    n = db.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as tx:
            tx.execute("INSERT INTO patients(name, hand, created_at) VALUES ('Ben', 'right', 0)")
            tx.execute("INSERT INTO calibrations(patient_id, hand, recorded_at, baseline, mvc) VALUES (1, 'right', 0, 0, -1)")
    assert db.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == n
    assert db.execute("SELECT COUNT(*) FROM patients WHERE name='Ben'").fetchone()[0] == 0
    store.close()


def test_records_from_before_sync_get_uids_and_go_in_the_outbox(tmp_path):
    path = tmp_path / DB_NAME
    old = Store(path)
    pid = old.ensure_patient("Ann")
    old.save_calibration(pid, "right", baseline=40, mvc=300)
    old.save_roll_calibration(pid, "right", range_x=30, range_y=20)
    play(old, pid, reps=3)
    old.close()
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    # Back to the schema before sync: drop what it added, the uids of version 7 left empty.
    db.executescript("DROP TABLE sync_outbox; DROP TABLE sync_state; DROP TABLE clinic_programs; "
                     + "".join(f"DROP TRIGGER {t}_outbox;" for t in SYNCED_TABLES)
                     + "DROP TRIGGER sessions_program; DROP TRIGGER sessions_rating_outbox;"
                     + "".join(f"DROP INDEX {t}_uid;" for t in ("patients", "calibrations", "roll_calibrations", "sets",
                                                                "trace_chunks"))
                     + "".join(f"ALTER TABLE {t} DROP COLUMN uid;" for t in ("patients", "calibrations",
                                                                              "roll_calibrations", "sets",
                                                                              "trace_chunks"))
                     + "ALTER TABLE sessions DROP COLUMN program_uid; ALTER TABLE sessions DROP COLUMN program_version;"
                     + "UPDATE reps SET uid=NULL; UPDATE events SET uid=NULL;"
                     + f"PRAGMA user_version={len(MIGRATIONS) - 1};")
    db.close()
    store = Store(path)
    for table in SYNCED_TABLES:
        rows = store.db.execute(f"SELECT uid FROM {table}").fetchall()
        assert rows and all(r[0] for r in rows)
        if table != "provenance":
            assert all(UID4.match(r[0]) for r in rows)
            assert len({r[0] for r in rows}) == len(rows)
    counts = sync.outbox_counts(store.db)
    assert counts["pending"] == sum(store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in SYNCED_TABLES)
    store.close()
    assert [s for s in _statements(MIGRATIONS[-1]) if "CREATE TRIGGER" in s]


def test_health_data_never_goes_unencrypted_to_another_machine(tmp_path):
    for bad in ("http://clinic.example", "http://192.168.1.20:8000", "ftp://clinic.example", "clinic.example"):
        with pytest.raises(sync.SyncError) as err:
            sync.check_server_url(bad)
        assert not err.value.retry
    with pytest.raises(sync.SyncError, match="https://"):
        sync.enroll(tmp_path, "http://10.1.2.3:8000", "ABCD-EFGH")
    assert not (tmp_path / sync.CONFIG_NAME).exists()
    assert sync.check_server_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert sync.check_server_url("http://localhost:8000/api/v1") == "http://localhost:8000"
    assert sync.check_server_url("https://clinic.example") == "https://clinic.example"


def test_background_sync_backs_off_while_the_server_cannot_be_reached(tmp_path):
    import socket

    Store.in_dir(tmp_path).close()
    # A port held bound and not listening refuses every connection for as long as the test runs (a port found
    # free and let go may be taken meanwhile by another server on the machine, which would answer).
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    cfg = sync.SyncConfig(server=f"http://127.0.0.1:{closed.getsockname()[1]}", token="x",
                          device_uid=uuid.uuid4().hex)
    waits: list[float] = []
    done = threading.Event()

    def sleep(s: float, stop: threading.Event) -> None:
        waits.append(s)
        if len(waits) >= 9:
            stop.set()
            done.set()

    bg = sync.BackgroundSync(tmp_path / DB_NAME, cfg, backoff=sync.Backoff(seed=1), sleep=sleep, timeout=2).start()
    assert done.wait(30)
    bg.stop()
    closed.close()
    assert "cannot be reached" in bg.last_error
    base = [2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert all(b <= w <= b * 1.25 for w, b in zip(waits, base, strict=True)), waits
    st = sync.status(tmp_path, tmp_path / DB_NAME)
    assert "cannot be reached" in st["last_error"] and st["last_sync_at"] is None


# ---------------------------------------------------------------------------- with the server
@pytest.fixture(scope="module")
def clinic(engine):
    from server import admin

    with engine.begin() as conn:
        return admin.create_clinic(conn, "Riverside Rehab")


def code_for(engine, clinic) -> str:
    from server import admin

    with engine.begin() as conn:
        return admin.make_enrolment_code(conn, clinic)


def server_records(engine, kind: str | None = None, device: str | None = None) -> list[tuple[str, str | None]]:
    """(uid, patient uid) of what the server holds (traces are kept in a table of their own), from one
    computer only when ``device`` (its device id) is given: the tests of this module share one server."""
    from sqlalchemy import text

    mine = " AND device_id = CAST(:d AS uuid)" if device else ""
    if kind == "trace":
        sql = "SELECT uid, patient_uid FROM traces WHERE TRUE" + mine
    else:
        sql = "SELECT uid, patient_uid FROM records WHERE " + ("kind = :k" if kind else "TRUE") + mine
        if kind is None:
            sql += " UNION ALL SELECT uid, patient_uid FROM traces WHERE TRUE" + mine
    with engine.connect() as conn:
        return [(r[0].hex, r[1].hex if r[1] else None) for r in conn.execute(text(sql), {"k": kind, "d": device})]


def run_cli(*argv: str) -> int:
    from game.cli import main

    return main(list(argv))


def test_connect_sync_and_send_again_without_duplicates(tmp_path, clinic_server, engine, capsys):
    from server import admin

    with engine.begin() as conn:  # a clinic of its own: the other tests' patients are not sent down to this kiosk
        clinic = admin.create_clinic(conn, "Riverside Rehab")
    folder = tmp_path / "kiosk"
    store = Store.in_dir(folder)
    pid = store.ensure_patient("Ann Brown")
    store.save_calibration(pid, "right", baseline=40, mvc=300)
    play(store, pid, reps=7)
    sim = store.simulated_patient()
    play(store, sim, reps=2)  # scripted play's own record: never sent
    open_sid = store.start_session(pid, input_device="Script")  # being played: waits for its end
    store.add_rep(open_sid, RepRow("power_grip", "right", 1, 1, {"success": True}))
    store.flush()

    assert run_cli("sync", "--data-dir", str(folder), "--server", clinic_server.url, "--enroll", code_for(engine, clinic)) == 0
    assert "Connected to Riverside Rehab" in capsys.readouterr().out
    cfg_file = folder / sync.CONFIG_NAME
    assert oct(cfg_file.stat().st_mode & 0o777) == "0o600"
    assert run_cli("sync", "--data-dir", str(folder)) == 0
    out = capsys.readouterr().out
    assert "Up: " in out and "Still to send: 1." in out  # the open session

    local = {r["uid"]: r for r in store.db.execute(
        "SELECT o.uid, o.kind FROM sync_outbox o WHERE o.sent_at IS NOT NULL")}
    ann = store.db.execute("SELECT uid FROM patients WHERE id=?", (pid,)).fetchone()[0]
    clinic_id = sync.SyncConfig.load(folder).clinic_id
    provenance_uids = {sync.build_record(store.db, e, sync._Who(store.db), clinic_id)["uid"] for e in
                       store.db.execute("SELECT * FROM sync_outbox WHERE kind='provenance' AND skipped IS NULL")}
    me = sync.SyncConfig.load(folder).device_id  # this kiosk's records: the module's tests share one server
    up = dict(server_records(engine, device=me))
    assert set(up) == (set(local) - {u for u, r in local.items() if r["kind"] == "provenance"}) | provenance_uids
    reps_here = {r[0] for r in store.db.execute("SELECT uid FROM reps WHERE session_id IN "
                                                "(SELECT id FROM sessions WHERE patient_id=?)", (pid,))}
    assert {u for u, p in server_records(engine, "rep", me)} == reps_here and len(reps_here) == 8
    assert {p for u, p in server_records(engine, "rep", me)} == {ann}
    skipped = store.db.execute("SELECT COUNT(*) FROM sync_outbox WHERE skipped=?", (sync.SIMULATED_PATIENT_SKIP,))
    assert skipped.fetchone()[0] > 0
    # Every kind of the contract went up, with the bodies the portal reads.
    from sqlalchemy import text

    with engine.connect() as conn:
        kinds = {r[0]: r[1] for r in conn.execute(text("SELECT kind, COUNT(*) FROM records WHERE device_id = "
                                                       "CAST(:d AS uuid) GROUP BY kind"), {"d": me})}
        session = conn.execute(text("SELECT body FROM records WHERE kind='session' AND device_id = CAST(:d AS uuid)"),
                               {"d": me}).scalar_one()
        trace = conn.execute(text("SELECT encoding, samples, body FROM traces WHERE device_id = CAST(:d AS uuid) "
                                  "LIMIT 1"), {"d": me}).one()
    assert set(kinds) == {"patient", "session", "set", "rep", "calibration", "rating", "event", "difficulty_change",
                          "provenance"}
    assert len(server_records(engine, "trace", me)) == store.db.execute(
        "SELECT COUNT(*) FROM trace_chunks WHERE session_id IN (SELECT id FROM sessions WHERE patient_id=?)",
        (pid,)).fetchone()[0] > 0
    assert session["end_reason"] == "completed" and session["reps_attempted"] == 7
    samples = np.frombuffer(zlib.decompress(trace.samples), "<f4")
    assert trace.encoding == "f32le-zlib-b64" and samples.size == 4 * trace.body["n"]

    # Sent again from the start (as after a crash between sending and marking): nothing doubles.
    n_server = len(up)
    store.db.execute("UPDATE sync_outbox SET sent_at=NULL WHERE skipped IS NULL")
    client = sync.SyncClient(folder / DB_NAME, sync.SyncConfig.load(folder), batch=50)
    again = client.sync_once()
    client.close()
    assert again.stored == 0 and again.duplicates == again.sent == n_server
    assert len(server_records(engine, device=me)) == n_server

    store.end_session(open_sid, "completed")
    store.flush()
    assert run_cli("sync", "--data-dir", str(folder)) == 0
    assert "Up: 1 record(s) sent (1 new" in capsys.readouterr().out
    assert len(server_records(engine, "rep", me)) == 8 and len(server_records(engine, "session", me)) == 2
    assert run_cli("sync", "--data-dir", str(folder), "--status") == 0
    status = capsys.readouterr().out
    assert "Records waiting to be sent: 0" in status and "Riverside Rehab" in status
    store.close()


def test_the_therapists_program_and_profile_come_down_and_win(tmp_path, clinic_server, engine, clinic):
    from server import admin

    folder = tmp_path / "home"
    store = Store.in_dir(folder)
    pid = store.ensure_patient("Carl Diaz")
    cfg = sync.enroll(folder, clinic_server.url, code_for(engine, clinic), device_name="home PC")
    client = sync.SyncClient(folder / DB_NAME, cfg)
    client.sync_once()
    carl = uuid.UUID(store.db.execute("SELECT uid FROM patients WHERE id=?", (pid,)).fetchone()[0])
    with engine.begin() as conn:
        prog, v1 = admin.save_program(conn, clinic, "Gentle start", LEVEL, patient_uid=carl)
        admin.update_patient(conn, clinic, carl, display_name="Carl Díaz", hand="left")
        dora = admin.create_patient(conn, clinic, "Dora Evans", hand="right")
        admin.set_clinic_settings(conn, clinic, {"session_minutes": 25})
    report = client.sync_once()
    assert report.programs == 1 and report.patients >= 2 and report.settings_changed
    row = store.db.execute("SELECT name, hand, level FROM patients WHERE id=?", (pid,)).fetchone()
    assert (row["name"], row["hand"]) == ("Carl Díaz", "left")  # the therapist's word wins
    level_file = folder / "levels" / row["level"]
    assert level_file.read_text() == LEVEL
    assert store.db.execute("SELECT COUNT(*) FROM patients WHERE uid=?", (dora.hex,)).fetchone()[0] == 1

    # A session played with it records the program's uid and version; a new version replaces the file.
    sid = play(store, pid, reps=2, level=str(level_file))
    srow = store.db.execute("SELECT program_uid, program_version FROM sessions WHERE id=?", (sid,)).fetchone()
    assert (srow[0], srow[1]) == (prog.hex, v1)
    with engine.begin() as conn:
        _, v2 = admin.save_program(conn, clinic, "Gentle start", LEVEL.replace("reps: 6", "reps: 8"),
                                   program_uid=prog, patient_uid=carl)
    client.sync_once()
    assert "reps: 8" in level_file.read_text()
    sid2 = play(store, pid, reps=2, level=str(level_file))
    assert store.db.execute("SELECT program_version FROM sessions WHERE id=?", (sid2,)).fetchone()[0] == v2 == 2
    client.sync_once()
    from sqlalchemy import text

    with engine.connect() as conn:
        bodies = [r[0] for r in conn.execute(text("SELECT body FROM records WHERE kind='session' AND patient_uid=:p"),
                                             {"p": carl})]
    assert sorted((b["program_uid"], b["program_version"]) for b in bodies) == [(prog.hex, 1), (prog.hex, 2)]
    # Dora came from the server: she is not sent back up as a new patient.
    assert (dora.hex, dora.hex) not in server_records(engine, "patient")
    client.close()
    store.close()


def test_a_clinic_certificate_is_pinned_and_an_unknown_one_refused(tmp_path, clinic_server_factory, pg_url, engine,
                                                                    clinic):
    server = clinic_server_factory(pg_url, tls=True, cert_dir=tmp_path / "tls")
    folder = tmp_path / "kiosk"
    store = Store.in_dir(folder)
    play(store, store.ensure_patient("Eve Fox"), reps=2)
    code = code_for(engine, clinic)
    with pytest.raises(sync.SyncError, match="certificate is not trusted") as err:
        sync.enroll(folder, server.url, code)
    assert not err.value.retry and not (folder / sync.CONFIG_NAME).exists()
    cfg = sync.enroll(folder, server.url, code, ca_file=str(server.ca_file))
    client = sync.SyncClient(folder / DB_NAME, cfg)
    assert client.sync_once().sent > 0 and sync.outbox_counts(store.db)["pending"] == 0
    client.close()
    server.stop()
    store.close()


def test_a_revoked_computer_stops_trying_and_says_so(tmp_path, clinic_server, engine, clinic):
    from server import admin

    folder = tmp_path / "old-pc"
    Store.in_dir(folder).close()
    cfg = sync.enroll(folder, clinic_server.url, code_for(engine, clinic))
    with engine.begin() as conn:
        admin.revoke_device(conn, uuid.UUID(cfg.device_id))
    bg = sync.BackgroundSync(folder / DB_NAME, cfg, sleep=lambda s, stop: stop.wait(0.01)).start()
    bg._thread.join(60)  # it gives up at the first refusal; 60 s only for a broken one
    assert bg.gave_up and "no longer accepts this computer" in bg.last_error
    assert not bg.running


# ------------------------------------------------------------------ refusals in the reader's language
# (tests/test_sync_refusals.py has the rest; these share this module's server)
def expired_code(engine, clinic, now) -> str:
    from server import admin

    with engine.begin() as conn:
        return admin.make_enrolment_code(conn, clinic, now=now)


def enrol_raw(server, code: str):
    import httpx

    return httpx.post(server.url + API + "/devices/enroll",
                      json={"code": code, "device_uid": str(uuid.uuid4()), "device_name": "kiosk"})


def test_a_used_code_is_refused_in_the_readers_language_on_the_command_line(tmp_path, clinic_server, engine, clinic,
                                                                             monkeypatch, capsys):
    from game.cli import main
    from server import admin

    code = code_for(engine, clinic)
    with engine.begin() as conn:
        admin.enroll_device(conn, code, uuid.uuid4(), "the first PC")
    raw = enrol_raw(clinic_server, code)  # a PC from before the codes reads the status and detail it always did
    assert raw.status_code == 403 and raw.json() == {"error": "enrolment_code_used", "detail": admin.ENROL_USED}
    args = ["sync", "--data-dir", str(tmp_path), "--server", clinic_server.url, "--enroll", code]
    try:
        monkeypatch.setenv("LANGUAGE", "de")
        assert main(args) == 1
        assert capsys.readouterr().err == f"main.py sync: {USED_DE}\n"
        monkeypatch.setenv("LANGUAGE", "en")
        assert main(args) == 1
        assert capsys.readouterr().err == f"main.py sync: {USED_EN}\n"
    finally:
        i18n.set_language("en")
    assert sync.SyncConfig.load(tmp_path) is None


def test_an_expired_code_and_a_code_this_pc_does_not_know(tmp_path, clinic_server, engine, clinic, monkeypatch):
    from server import admin, auth

    code = expired_code(engine, clinic, now=auth.utcnow() - admin.ENROLMENT_TTL - timedelta(minutes=1))
    with pytest.raises(sync.SyncError) as refused:
        sync.enroll(tmp_path, clinic_server.url, code)
    err = refused.value
    assert (err.code, err.status, err.retry) == ("enrolment_code_expired", 403, False)
    assert said(err, "es") == EXPIRED_ES and said(err, "en") == EXPIRED_EN
    # A newer server's code this PC has no words for: a general sentence and the server's own words.
    monkeypatch.delitem(sync.REFUSAL_WORDS, "enrolment_code_expired")
    with pytest.raises(sync.SyncError) as refused:
        sync.enroll(tmp_path, clinic_server.url, code)
    err = refused.value
    assert err.detail == admin.ENROL_EXPIRED and not err.retry
    assert said(err, "es") == OTHER_ES.format(detail=admin.ENROL_EXPIRED)
    assert said(err, "en") == OTHER_EN.format(detail=admin.ENROL_EXPIRED)
    assert sync.SyncConfig.load(tmp_path) is None


def test_a_revoked_computer_is_told_in_the_language_of_whoever_looks(tmp_path, clinic_server, engine, clinic):
    import httpx

    from server import admin

    Store.in_dir(tmp_path).close()
    cfg = sync.enroll(tmp_path, clinic_server.url, code_for(engine, clinic))
    with engine.begin() as conn:
        admin.revoke_device(conn, uuid.UUID(cfg.device_id))
    raw = httpx.get(clinic_server.url + API + "/sync/changes", headers={"Authorization": f"Bearer {cfg.token}"})
    assert raw.status_code == 401 and raw.json()["error"] == "device_revoked"
    assert "enrolment code" in raw.json()["detail"]  # the English words older PCs show
    client = sync.SyncClient(tmp_path / DB_NAME, cfg)
    try:
        with pytest.raises(sync.SyncError) as refused:
            client.sync_once()  # while the game plays in English
    finally:
        client.close()
    err = refused.value
    assert (err.code, err.status, err.retry) == ("device_revoked", 401, False)
    assert said(err, "es") == ENDED_ES and said(err, "en") == ENDED_EN
    # The last problem, kept in the records, is said again in the language of the staff who look.
    i18n.set_language("es")
    try:
        assert sync.status(tmp_path, tmp_path / DB_NAME)["last_error"] == ENDED_ES
    finally:
        i18n.set_language("en")
    assert sync.status(tmp_path, tmp_path / DB_NAME)["last_error"] == ENDED_EN
