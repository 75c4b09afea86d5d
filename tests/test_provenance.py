"""Provenance on every record (issue 14): what input made each session, set and rep, the
calibration and program it was played with, and where scripted play is kept.

A keyboard session exports as keyboard in CSV, JSON, FHIR and the report; the keyboard
standing in for an unplugged ball is the keyboard for those reps only; a simulator run
stores nothing under a real patient unless asked, and is marked simulated when asked;
a database of the previous schema upgrades with a provenance inferred for its rows.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.context import PlaySettings
from game.records.export import export_csv, export_data, export_fhir, export_fhir_bundle
from game.loop import STEP
from game.records.provenance import SIMULATED_PATIENT, Provenance, infer_provenance, program_version
from game.records.report import build_report, gather
from game.scenes.play import DisconnectedScene, PlayScene
from game.scenes.results import ResultsScene
from game.records.storage import MIGRATIONS, SCHEMA_VERSION, RepRow, Store, _statements, apply_record
from hardware.clock import ManualClock
from hardware.keyboard import KeyboardBall
from hardware.scripted import ScriptedSource
from hardware.source import SourceStatus
from tests.helpers import BASE, CAL, run_until


def key(app: App, k: int, down: bool = True) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=k, mod=0))
    app.clock.advance(STEP)
    app.frame()


def squeeze_with_space(app: App, play: PlayScene) -> None:
    """Hold Space until the rep is held long enough, then let go: one keyboard rep."""
    done = play.game.reps_done
    key(app, pygame.K_SPACE)
    run_until(app, lambda: play.game.detector.in_rep, 30)
    run_until(app, lambda: play.game.detector.hold_progress >= 1.0, 30)
    key(app, pygame.K_SPACE, down=False)
    run_until(app, lambda: play.game.reps_done > done, 30)


# --------------------------------------------------------------------- keyboard
@pytest.fixture(scope="module")
def keyboard_records(tmp_path_factory):
    """Two reps played with the keyboard through the real game, then the store reopened."""
    folder = tmp_path_factory.mktemp("keyboard")
    clock = ManualClock()
    app = App(AppOptions(headless=True, data_dir=folder, exercise="power_grip", sound=False, demos=False,
                         input="keyboard", play=PlaySettings(reps_per_set=2)),
              clock=clock, source=KeyboardBall(clock), calibration=CAL, store=Store.in_dir(folder))
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.t > 1)
    play = app.top
    squeeze_with_space(app, play)
    for _ in range(int(3 / STEP)):  # the pace between reps
        app.clock.advance(STEP)
        app.frame()
    squeeze_with_space(app, play)
    run_until(app, lambda: isinstance(app.top, ResultsScene), 60)
    pid = app.ctx.patient_id
    app.shutdown()
    store = Store.in_dir(folder)
    yield store, pid
    store.close()


def test_keyboard_session_is_keyboard_in_the_records(keyboard_records):
    store, pid = keyboard_records
    (session,) = store.sessions(pid)
    prov = store.provenance(session["provenance_uid"])
    assert prov["input_kind"] == "keyboard" and prov["simulated"] == 0 and prov["device_id"] is None
    assert "keyboard" in prov["calibration_basis"] and prov["program_version"]
    reps = store.reps(session["id"])
    assert len(reps) == 2 and {r["provenance_uid"] for r in reps} == {session["provenance_uid"]}
    assert store.sets(session["id"])[0]["provenance_uid"] == session["provenance_uid"]


def test_keyboard_session_exports_as_keyboard_in_csv_json_and_fhir(keyboard_records):
    from fhir.resources.R4B.bundle import Bundle

    store, pid = keyboard_records
    rows = list(csv.DictReader(io.StringIO(export_csv(store, pid))))
    assert len(rows) == 2 and {r["input_kind"] for r in rows} == {"keyboard"}
    assert {r["simulated"] for r in rows} == {"0"} and all(r["program_version"] for r in rows)
    data = json.loads(json.dumps(export_data(store, pid), default=str))
    (s,) = data["sessions"]
    assert s["provenance"]["input_kind"] == "keyboard" and s["inputs"] == ["keyboard"]
    # No kg, and no pretence of force: the basis says so.
    assert all(r["peak_kg"] is None and "no force sensor" in r["force_basis"] for r in s["reps"])
    bundle = Bundle.model_validate_json(export_fhir(store, pid))  # the library's own validation
    devices = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Device"]
    assert len(devices) == 1
    assert "keyboard" in devices[0].type.text.lower() and "ball" not in devices[0].deviceName[0].name.lower()
    assert "Force-sensing therapy ball" not in bundle.model_dump_json()
    device_url = next(e.fullUrl for e in bundle.entry if e.resource.get_resource_type() == "Device")
    observations = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"]
    therapy = [o for o in observations if o.code.coding[0].code.startswith("hand-exercise")]
    assert {o.device.reference for o in therapy} == {device_url}
    session_obs = next(o for o in therapy if o.code.coding[0].code == "hand-exercise-session")
    # A keyboard's "MVC" is not anyone's strength: no device-unit MVC for it.
    assert "mvc-device" not in {c.code.coding[0].code for c in session_obs.component}
    assert "keyboard" in session_obs.note[0].text.lower()


def test_keyboard_session_is_keyboard_in_the_report(keyboard_records, tmp_path):
    store, pid = keyboard_records
    d = gather(store, pid)
    assert [r["input"] for r in d.sessions] == ["Keyboard"]
    assert d.sessions[0]["best"] == "-"  # an imitated squeeze is no one's strongest
    assert [p["input"] for p in d.provenance] == ["keyboard"]
    assert d.strength == []  # no ball calibration: nothing on the strength chart
    assert d.trends["power_grip"][0].reached.keys() == {"keyboard"}
    assert build_report(store, pid, tmp_path / "kb.pdf").stat().st_size > 10_000


# ----------------------------------------------------------------- ball away
class UnpluggableBall(ScriptedSource):
    """A sensor (calibrated, like the serial ball) whose cable the test can pull."""

    needs_calibration = True
    plugged = True

    @property
    def status(self) -> SourceStatus:
        return SourceStatus.CONNECTED if self.plugged else SourceStatus.DISCONNECTED

    def poll(self):
        got = super().poll()
        return got if self.plugged else []


def test_keyboard_standing_in_for_an_unplugged_ball_is_keyboard_for_those_reps(tmp_path):
    clock = ManualClock()
    ball = UnpluggableBall(clock, np.column_stack([np.arange(0, 600, 0.01), np.full(60000, BASE)]), name="Ball")
    store = Store.in_dir(tmp_path)
    pid = store.ensure_patient("Ann", "left")
    store.save_calibration(pid, "left", baseline=CAL.baseline, mvc=CAL.mvc, noise_sd=CAL.noise_sd, device="Ball")
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise="power_grip", sound=False, demos=False,
                         patient="Ann", play=PlaySettings(reps_per_set=5)),
              clock=clock, source=ball, calibration=CAL, store=store)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.t > 1)
    play = app.top
    ball.plugged = False
    run_until(app, lambda: isinstance(app.top, DisconnectedScene))
    key(app, pygame.K_RETURN)  # "Use the keyboard"
    run_until(app, lambda: app.top is play)
    squeeze_with_space(app, play)
    sid = play.session_id
    app.shutdown()
    store = Store.in_dir(tmp_path)
    session = store.sessions(pid)[0]
    ses_prov = store.provenance(session["provenance_uid"])
    assert ses_prov["input_kind"] == "ball" and ses_prov["calibration_id"] is not None
    assert "median" in ses_prov["calibration_basis"]
    (rep,) = store.reps(sid)
    rep_prov = store.provenance(rep["provenance_uid"])
    assert rep_prov["input_kind"] == "keyboard" and "standing in for Ball" in rep_prov["device_name"]
    assert rep_prov["program_version"] == ses_prov["program_version"]
    (row,) = csv.DictReader(io.StringIO(export_csv(store, pid)))
    assert row["input_kind"] == "keyboard" and row["input_device"] == "Ball"
    assert [p["input"] for p in gather(store, pid).provenance] == ["keyboard"]
    store.close()


# ------------------------------------------------------------------ simulator
def sim_run(folder, **opts) -> tuple[App, int]:
    app = App(AppOptions(headless=True, data_dir=folder, exercise="power_grip", sound=False, demos=False,
                         input="sim", play=PlaySettings(reps_per_set=3), **opts),
              clock=ManualClock(), store=Store.in_dir(folder))
    run_until(app, lambda: isinstance(app.top, ResultsScene), 120)
    return app, app.ctx.patient_id


def test_a_simulator_run_stores_nothing_under_a_real_patient(tmp_path):
    store = Store.in_dir(tmp_path)
    ann = store.ensure_patient("Ann", "left")
    store.close()
    app, player = sim_run(tmp_path, patient="Ann")
    assert player == ann
    app.shutdown()
    store = Store.in_dir(tmp_path)
    assert store.sessions(ann) == []
    sim = store.db.execute("SELECT id, archived FROM patients WHERE name=?", (SIMULATED_PATIENT,)).fetchone()
    assert sim["archived"] == 1  # never offered in a patient picker
    (session,) = store.sessions(sim["id"])
    assert session["simulated"] == 1 and len(store.reps(session["id"])) == 3
    assert store.provenance(session["provenance_uid"])["input_kind"] == "simulator"
    store.close()


def test_a_simulator_run_recorded_as_a_patient_is_marked_simulated(tmp_path):
    from fhir.resources.R4B.bundle import Bundle

    store = Store.in_dir(tmp_path)
    ann = store.ensure_patient("Ann", "left")
    store.close()
    app, _ = sim_run(tmp_path, patient="Ann", record_as="Ann")
    app.shutdown()
    store = Store.in_dir(tmp_path)
    (session,) = store.sessions(ann)
    assert session["simulated"] == 1
    reps = store.reps(session["id"])
    assert len(reps) == 3 and all(store.provenance(r["provenance_uid"])["simulated"] == 1 for r in reps)
    rows = list(csv.DictReader(io.StringIO(export_csv(store, ann))))
    assert {(r["input_kind"], r["simulated"]) for r in rows} == {("simulator", "1")}
    bundle = Bundle.model_validate_json(export_fhir(store, ann))
    obs = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"]
    assert obs and all(o.meta is not None and o.meta.tag[0].code == "simulated" for o in obs
                       if o.code.coding[0].code.startswith("hand-exercise"))
    device = next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "Device")
    assert "simulator" in device.type.text.lower()
    d = gather(store, ann)
    assert d.sessions[0]["input"].endswith("(sim)") and d.simulated_sessions == 1
    assert d.adherence["played"] == []  # simulated play is not the patient's adherence
    store.close()


def test_record_as_is_refused_for_a_real_input_and_for_an_unknown_patient(tmp_path):
    from game.app import records_owner

    store = Store.in_dir(tmp_path)
    store.ensure_patient("Ann", "left")
    with pytest.raises(ValueError, match="--record-as is for scripted play"):
        records_owner(store, AppOptions(input="keyboard", record_as="Ann"))
    with pytest.raises(ValueError, match="--record-as"):
        records_owner(store, AppOptions(input="sim", record_as="Zed"))
    assert records_owner(store, AppOptions(input="keyboard")) == (False, None)
    simulated, owner = records_owner(store, AppOptions(input="trace.csv"))
    assert simulated and owner == store.simulated_patient()
    store.close()


# ------------------------------------------------------------ store and journal
def test_provenance_is_stored_once_and_a_journaled_record_merges_once(tmp_path):
    store = Store.in_dir(tmp_path, background=False)
    pid = store.ensure_patient("Ann")
    prov = Provenance("ball", "Squeeze ball", "/dev/ttyACM0", "fw 1", None, None, 3, "calibration #3",
                      program_file="x.yaml", program_version="sha256:0123")
    sid = store.start_session(pid, input_device="Squeeze ball", provenance=prov)
    for k in range(1, 4):
        store.add_rep(sid, RepRow("power_grip", "left", 1, k, {"success": True, "peak_pct": 30.0}))
    rec = {"kind": "rep", "uid": "u-1", "session_id": sid, "session_uid": None, "recorded_at": 1.0,
           "exercise": "pinch", "hand": "left", "set_number": 1, "rep_number": 9, "values": [1] + [None] * 18,
           "detail": None, "provenance": {"uid": prov.uid, **prov.as_record()}}
    with store.transaction() as db:
        apply_record(db, rec)
        apply_record(db, json.loads(json.dumps(rec)))  # the journal's copy, merged again
    assert store.db.execute("SELECT COUNT(*) FROM provenance").fetchone()[0] == 1
    assert store.db.execute("SELECT COUNT(*) FROM reps WHERE uid='u-1'").fetchone()[0] == 1
    assert {r["provenance_uid"] for r in store.reps(sid)} == {prov.uid}
    # A session started without a provenance says what it can from its device's name.
    other = store.start_session(pid, input_device="Keyboard")
    assert store.provenance(store.sessions(pid)[-1]["provenance_uid"])["input_kind"] == "keyboard"
    assert other != sid
    store.close()


def test_program_version_is_the_files_content(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("name: A\n")
    b.write_text("name: A\n")
    assert program_version(a) == program_version(b) and program_version(a).startswith("sha256:")
    b.write_text("name: A \n")
    assert program_version(a) != program_version(b)
    assert program_version(tmp_path / "gone.yaml") is None and program_version(None) is None
    assert infer_provenance("Trace t.csv").input_kind == "trace" and infer_provenance("Trace t.csv").simulated
    with pytest.raises(ValueError, match="unknown input kind"):
        Provenance("telepathy", "x")


# ------------------------------------------------------------------ migration
def test_the_previous_schema_upgrades_with_a_provenance_inferred_for_its_rows(tmp_path):
    path = tmp_path / "v7.sqlite3"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:7]:
        for stmt in _statements(script):
            db.execute(stmt)
    db.execute("PRAGMA user_version=7")
    db.execute("INSERT INTO patients(id, name, hand, created_at) VALUES (1, 'Ann', 'left', 1000.0)")
    for sid, device in ((1, "Squeeze ball"), (2, "Keyboard"), (3, "Simulator"), (4, "Trace t.csv"), (5, None)):
        db.execute("INSERT INTO sessions(id, uid, patient_id, started_at, input_device, level) "
                   "VALUES (?, ?, 1, ?, ?, 'classic_home')", (sid, f"s{sid}", 2000.0 + sid, device))
        db.execute("INSERT INTO reps(uid, session_id, recorded_at, exercise, hand, set_number, rep_number, success) "
                   "VALUES (?, ?, ?, 'power_grip', 'left', 1, 1, 1)", (f"r{sid}", sid, 2000.5 + sid))
        db.execute("INSERT INTO sets(session_id, exercise, set_number, ended_at, reps_attempted, reps_successful) "
                   "VALUES (?, 'power_grip', 1, ?, 1, 1)", (sid, 2001.0 + sid))
    db.commit()
    before = db.execute("SELECT * FROM sessions ORDER BY id").fetchall()
    db.close()

    store = Store(path)
    assert store.version == SCHEMA_VERSION
    after = store.db.execute("SELECT * FROM sessions ORDER BY id").fetchall()
    assert [tuple(r)[:len(before[0])] for r in after] == before  # nothing changed, columns added at the end
    kinds = {}
    for s in store.sessions():
        p = store.provenance(s["provenance_uid"])
        kinds[s["input_device"]] = (p["input_kind"], p["simulated"], s["simulated"])
        assert "inferred" in p["detail"]
        assert {r["provenance_uid"] for r in store.reps(s["id"])} == {s["provenance_uid"]}
        assert store.sets(s["id"])[0]["provenance_uid"] == s["provenance_uid"]
    assert kinds == {"Squeeze ball": ("ball", 0, 0), "Keyboard": ("keyboard", 0, 0),
                     "Simulator": ("simulator", 1, 1), "Trace t.csv": ("trace", 1, 1), None: ("unknown", 0, 0)}
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    # The upgraded database takes new records with their provenance.
    sid = store.start_session(1, input_device="Keyboard", provenance=Provenance("keyboard", "Keyboard"))
    store.add_rep(sid, RepRow("power_grip", "left", 1, 1, {"success": True})).result()
    assert store.provenance(store.reps(sid)[0]["provenance_uid"])["input_kind"] == "keyboard"
    store.close()
    store = Store(path)
    assert store.version == SCHEMA_VERSION
    store.close()


def test_fhir_device_per_real_input_for_a_mixed_history(tmp_path):
    """Two balls and a keyboard: three Devices, each Observation pointing at the one it used."""
    store = Store.in_dir(tmp_path, background=False)
    pid = store.ensure_patient("Ann")
    ball = Provenance("ball", "Squeeze ball", "/dev/ttyACM0", "fw 1.2", "squeeze_ball")
    clinic = Provenance("ball", "Clinic ball", "/dev/ttyUSB0", force_units="kg", force_scale=0.01)
    kb = Provenance("keyboard", "Keyboard")
    for prov in (ball, clinic, kb):
        sid = store.start_session(pid, input_device=prov.device_name, provenance=prov)
        store.start_trace(sid, {"calibration": {"mvc": 2000.0}})
        store.add_rep(sid, RepRow("power_grip", "left", 1, 1, {"success": True, "peak_pct": 30.0}))
        store.rate_session(sid, fatigue_before=2, fatigue_after=4)
        store.end_session(sid, "completed")
    bundle = export_fhir_bundle(store, pid)
    devices = {e.fullUrl: e.resource for e in bundle.entry if e.resource.get_resource_type() == "Device"}
    assert len(devices) == 3
    firmware = [d for d in devices.values() if d.version]
    assert len(firmware) == 1 and firmware[0].version[0].value == "fw 1.2"
    assert firmware[0].identifier[0].value == "/dev/ttyACM0"
    per_ex = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"
              and e.resource.code.coding[0].code == "hand-exercise-power_grip"]
    assert len(per_ex) == 3 and {o.device.reference for o in per_ex} == set(devices)
    tired = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"
             and e.resource.code.coding[0].code == "tiredness-0-10"]
    assert sorted(o.valueInteger for o in tired) == [2, 2, 2, 4, 4, 4]
    assert all(o.code.coding[0].system != "http://loinc.org" for o in tired)  # no borrowed standard code
    data = export_data(store, pid)
    kg = [r["peak_kg"] for s in data["sessions"] for r in s["reps"]]
    assert kg == [None, pytest.approx(0.30 * 2000.0 * 0.01), None]  # kg only for the weight-calibrated ball
    store.close()


def test_describe_names_the_calibrations_and_the_roll_range_used(tmp_path):
    from types import SimpleNamespace

    from game.program import SessionPlan

    store = Store.in_dir(tmp_path, background=False)
    pid = store.ensure_patient("Ann", "left")
    level = tmp_path / "mine.yaml"
    level.write_text("name: Mine\n")
    ball = UnpluggableBall(ManualClock(), np.column_stack([np.arange(0, 1, 0.01), np.full(100, BASE)]), name="Ball")
    ctx = SimpleNamespace(hub=SimpleNamespace(source=ball, keyboard=None, keyboard_standing_in=False,
                                              roll_from_mouse=False),
                          store=store, patient_id=pid, calibration=CAL, play=PlaySettings(hand="left"),
                          plan=SessionPlan(source_file=str(level)), app_version="t")
    from game.records.provenance import describe

    p = describe(ctx, exercise="thumb_roll")
    assert p.input_kind == "ball" and p.calibration_id is None and "placeholder" in p.calibration_basis
    assert "nominal range" in p.calibration_basis and p.program_version == program_version(level)
    ids = [store.save_calibration(pid, "left", baseline=BASE, mvc=m, device="Ball") for m in (280.0, 300.0, 320.0)]
    rid = store.save_roll_calibration(pid, "left", range_x=80, range_y=70, device="Ball")
    p = describe(ctx, exercise="thumb_roll")
    assert p.calibration_id == ids[-1] and all(f"#{i}" in p.calibration_basis for i in ids)
    assert f"roll calibration #{rid}" in p.calibration_basis
    assert "roll" not in describe(ctx, exercise="power_grip").calibration_basis
    store.close()


def test_progress_strength_keeps_to_one_device_and_its_units(tmp_path):
    from game.records.records import strength_over_time

    wall = [1_770_000_000.0]
    store = Store.in_dir(tmp_path, wall=lambda: wall[0], background=False)
    pid = store.ensure_patient("Ann", "left")
    for day, (device, mvc, units, scale) in enumerate((("Home ball", 300.0, "device units", None),
                                                       ("Home ball", 320.0, "device units", None),
                                                       ("Clinic ball", 2000.0, "kg", 0.01),
                                                       ("Clinic ball", 2100.0, "kg", 0.01))):
        wall[0] += 86400
        store.save_calibration(pid, "left", baseline=10, mvc=mvc, units=units, scale=scale, device=device)
    points = strength_over_time(store, pid)
    assert [(p.device, p.units, p.mvc) for p in points] == [("Clinic ball", "kg", pytest.approx(20.0)),
                                                           ("Clinic ball", "kg", pytest.approx(21.0))]
    store.close()


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="pseudo-terminals are POSIX only")
@pytest.mark.posix_only  # a fake ball on a pty (hardware.fake_ball imports pty)
def test_a_serial_ball_session_names_its_port_and_firmware(tmp_path):
    import time as _time

    from game.records.provenance import describe
    from hardware.fake_ball import PtyBall, banner
    from hardware.line_formats import LineFormat, firmware_line
    from hardware.serial_ball import SerialBall

    clock = ManualClock()
    with PtyBall() as dev:
        ball = SerialBall(clock, dev.port, finder=lambda: [dev.port], retry_seconds=0.02, boot_seconds=0.5)
        ball.start()
        try:
            assert ball.port_open.wait(30.0)  # real seconds; only a broken reader takes them
            dev.write(banner(LineFormat.FIRMWARE))
            deadline = _time.monotonic() + 30.0
            seq = 0
            while ball.status is not SourceStatus.CONNECTED and _time.monotonic() < deadline:
                seq += 1
                dev.write(firmware_line(seq, seq * 10, 100.0))
                _time.sleep(0.01)
            assert ball.status is SourceStatus.CONNECTED
            store = Store.in_dir(tmp_path, background=False)
            pid = store.ensure_patient("Ann", "left")
            ctx = type("Ctx", (), {})()
            ctx.hub = type("Hub", (), {"source": ball, "keyboard": None, "keyboard_standing_in": False,
                                       "roll_from_mouse": False})()
            ctx.store, ctx.patient_id, ctx.calibration, ctx.play = store, pid, CAL, PlaySettings(hand="left")
            p = describe(ctx)
            assert p.input_kind == "ball" and p.device_id.startswith(dev.port) and p.firmware == "1.0.0"
            assert not p.simulated and "placeholder" in p.calibration_basis
            store.close()
        finally:
            ball.close()
