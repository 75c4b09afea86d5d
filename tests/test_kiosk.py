"""The clinic kiosk, headless: no way out for a patient, the staff chord and PIN, the
idle timeout that saves and ends the session, the picker, the supervisor's rules."""

from __future__ import annotations

import sys

import pygame
import pytest

from game.app import App, AppOptions
from game.cli import main
from game.kiosk import EXIT_STAFF, EXIT_UNEXPECTED
from game.loop import STEP
from game.profiles import Profiles
from game.scene import Quit
from game.scenes.kiosk import KioskPickerScene, KioskStartScene
from game.scenes.session import SessionScene
from game.scenes.staff import StaffMenuScene, StaffPatientScene, StaffPinScene, TextEntryScene
from game.staff import KioskSettings, StaffLock
from game.records.storage import Store
from game.supervisor import Backoff, Supervisor
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, CAL, pct

PIN = "258013"


@pytest.fixture(autouse=True)
def cheap_pin_hash(monkeypatch):
    """The real PIN hash costs a third of a second; these tests are about the kiosk."""
    import game.staff

    monkeypatch.setattr(game.staff, "PIN_KDF", game.staff.PinKdf(time_cost=1, memory_kib=64))


def kiosk_app(tmp_path, *, idle: float = 20.0, squeezes: list[Squeeze] | None = None, patients=("Ann Byrne", "Bob Kelly")) -> App:
    store = Store.in_dir(tmp_path)
    StaffLock(store).set_pin(PIN)
    for name in patients:
        Profiles(store).create(name)
    clock = ManualClock()
    trace = synth_trace(squeezes or [], 900.0, baseline=BASE, noise_sd=1.0, seed=1)
    src = ScriptedSource(clock, trace, name="Script")
    opts = AppOptions(headless=True, kiosk=True, data_dir=tmp_path, sound=False, idle_timeout_s=idle)
    return App(opts, clock=clock, source=src, calibration=CAL, store=store)


def step(app: App, seconds: float = STEP) -> None:
    for _ in range(max(1, round(seconds / STEP))):
        app.clock.advance(STEP)
        app.frame()


def key(app: App, k: int, mod: int = 0, *, frames: float = STEP) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode="", scancode=0))
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=k, mod=mod, unicode="", scancode=0))
    step(app, frames)


def type_text(app: App, text: str) -> None:
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=text))
    step(app)


def click(app: App, logical: tuple[float, float]) -> None:
    pos = app.canvas.px(*logical)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=pos))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos))
    step(app)


def chord(app: App) -> None:
    key(app, pygame.K_s, pygame.KMOD_LCTRL | pygame.KMOD_LALT)


def screens(app: App) -> list[str]:
    return [type(s).__name__ for s in app.stack]


def test_kiosk_will_not_start_without_a_staff_pin(tmp_path, capsys) -> None:
    assert main(["--kiosk", "--headless", "--data-dir", str(tmp_path), "--input", "keyboard", "--frames", "2"]) == 2
    assert "needs a staff PIN first" in capsys.readouterr().err


def test_idle_timeout_needs_kiosk(capsys) -> None:
    assert main(["--idle-timeout", "5", "--headless", "--frames", "1"]) == 2
    assert "add --kiosk" in capsys.readouterr().err


def test_escape_attempts_do_nothing(tmp_path) -> None:
    app = kiosk_app(tmp_path)
    try:
        assert screens(app) == ["KioskPickerScene"]
        pygame.event.post(pygame.event.Event(pygame.QUIT))  # the window's close button, Alt+F4 via the WM
        step(app)
        key(app, pygame.K_ESCAPE)
        key(app, pygame.K_F4, pygame.KMOD_LALT)
        key(app, pygame.K_F11)
        key(app, pygame.K_BACKSPACE)
        assert app.running and screens(app) == ["KioskPickerScene"]
        # A patient's start screen: Esc goes back to the picker, never out.
        click(app, app.top.tile_rect(0).center)
        assert screens(app) == ["KioskPickerScene", "KioskStartScene"]
        key(app, pygame.K_ESCAPE)
        key(app, pygame.K_ESCAPE)
        assert app.running and screens(app) == ["KioskPickerScene"]
        # A scene's plain Quit is ignored; an emptied stack gets a picker back.
        app.apply(Quit())
        assert app.running
        app.apply(type(app.stack[0]) and __import__("game.scene", fromlist=["Pop"]).Pop())
        assert app.running and screens(app) == ["KioskPickerScene"]
    finally:
        app.shutdown()


def test_chord_and_pin_open_the_staff_menu_and_staff_can_close_the_kiosk(tmp_path) -> None:
    app = kiosk_app(tmp_path)
    chord(app)
    assert screens(app) == ["KioskPickerScene", "StaffPinScene"]
    chord(app)  # not a second PIN screen over the first
    assert screens(app) == ["KioskPickerScene", "StaffPinScene"]
    type_text(app, "25")
    key(app, pygame.K_BACKSPACE)  # deletes a digit, does not leave
    assert app.top.pin == "2"
    type_text(app, "581")  # "2581": wrong
    key(app, pygame.K_RETURN)
    assert isinstance(app.top, StaffPinScene) and "Wrong PIN. 4 tries left." in app.top.message
    for digit in PIN:  # the on-screen keypad, with the mouse
        click(app, next(b for b in app.top.buttons.buttons if b.id == digit).rect.center)
    click(app, next(b for b in app.top.buttons.buttons if b.id == "ok").rect.center)
    assert screens(app) == ["KioskPickerScene", "StaffMenuScene"]
    close = next(b for b in app.top.buttons.buttons if b.id == "close").rect.center
    click(app, close)
    assert app.running  # one press only arms it
    click(app, close)
    assert not app.running and app.kiosk.exit_code() == EXIT_STAFF
    app.shutdown()


def test_wrong_pins_lock_out_even_the_right_one(tmp_path) -> None:
    app = kiosk_app(tmp_path)
    try:
        chord(app)
        for _ in range(5):
            type_text(app, "1111")
            key(app, pygame.K_RETURN)
        assert "Locked for 5 minutes" in app.top.message
        type_text(app, PIN)
        key(app, pygame.K_RETURN)
        assert screens(app) == ["KioskPickerScene", "StaffPinScene"] and app.top.pin == ""
        key(app, pygame.K_ESCAPE)
        assert screens(app) == ["KioskPickerScene"]
        assert StaffLock(app.store).locked_for() > 0
    finally:
        app.shutdown()


def _start_session(app: App) -> None:
    click(app, app.top.tile_rect(0).center)
    assert isinstance(app.top, KioskStartScene)
    click(app, app.top.buttons.buttons[0].rect.center)  # Start
    from game.scenes.rating import YES_RECT, face_rect

    step(app, 1.2)
    click(app, face_rect(1).center)  # pain before ...
    click(app, YES_RECT.center)  # ... confirmed
    click(app, face_rect(2).center)  # tiredness before
    click(app, YES_RECT.center)
    step(app, 0.5)
    assert "PlayScene" in screens(app) and "SessionScene" in screens(app)


def test_idle_saves_and_ends_the_session_and_the_picker_returns(tmp_path) -> None:
    # Two warm-up squeezes, then the patient walks away.
    squeezes = [Squeeze(3.0, pct(35), rise=0.4, hold=0.8, release=0.6), Squeeze(7.0, pct(35), rise=0.4, hold=0.8, release=0.6)]
    app = kiosk_app(tmp_path, idle=20.0, squeezes=squeezes)
    try:
        _start_session(app)
        pid = app.ctx.patient_id
        step(app, 12.0)
        assert not app.kiosk.warning_shown
        step(app, 12.0)  # the last squeeze was at ~8 s: the warning shows for the last 5 s ...
        assert app.kiosk.warning_shown and "PlayScene" in screens(app)
        step(app, 9.0)  # ... then the session ends
        assert screens(app) == ["KioskPickerScene"] and app.top.at_rest
        session = app.store.sessions(pid)[-1]
        assert session["end_reason"] == "idle" and session["ended_at"] is not None
        assert session["reps_attempted"] == 2 and len(app.store.reps(session["id"])) == 2
        sets = app.store.sets(session["id"])
        assert sets and sets[-1]["end_reason"] == "idle"
        kinds = [r["kind"] for r in app.store.events(session["id"])]
        assert "session_stop" in kinds
    finally:
        app.shutdown()


def test_input_keeps_a_session_alive_and_rests_do_not_count(tmp_path) -> None:
    app = kiosk_app(tmp_path, idle=10.0)
    try:
        _start_session(app)
        for _ in range(4):
            step(app, 6.0)
            pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(10, 10), rel=(3, 0), buttons=(0, 0, 0)))
        assert "PlayScene" in screens(app)
        from game.scenes.rest import RestScene

        app.apply(__import__("game.scene", fromlist=["Push"]).Push(RestScene(30.0)))
        step(app, 25.0)  # a long rest the game asked for is not idleness
        assert isinstance(app.top, RestScene) and app.kiosk.idle_endings == 0
    finally:
        app.shutdown()


def test_staff_unlock_during_a_session_saves_it_first(tmp_path) -> None:
    app = kiosk_app(tmp_path)
    try:
        _start_session(app)
        pid = app.ctx.patient_id
        chord(app)
        assert "SessionScene" in screens(app) and isinstance(app.top, StaffPinScene)
        type_text(app, PIN)
        key(app, pygame.K_RETURN)
        assert screens(app) == ["KioskPickerScene", "StaffMenuScene"]
        assert app.store.sessions(pid)[-1]["end_reason"] == "staff"
        step(app, 21.0)  # staff walk away: the menu closes by itself
        assert screens(app) == ["KioskPickerScene"]
    finally:
        app.shutdown()


def test_staff_add_and_edit_a_patient(tmp_path) -> None:
    app = kiosk_app(tmp_path, patients=())
    try:
        chord(app)
        type_text(app, PIN)
        key(app, pygame.K_RETURN)
        menu = app.top
        click(app, next(b for b in menu.buttons.buttons if b.id == "add").rect.center)
        assert isinstance(app.top, TextEntryScene)
        type_text(app, "Cara")
        key(app, pygame.K_SPACE)  # a space is typed, not a "confirm"
        type_text(app, " O")
        key(app, pygame.K_RETURN)
        assert isinstance(app.top, StaffPatientScene) and app.top.p.name == "Cara O"
        pid = app.top.p.id
        by_id = {b.id: b for b in app.top.buttons.buttons}
        click(app, by_id["hand"].rect.center)
        question = app.top  # "Change Cara O's hand to left?" Yes / No
        assert question.question == "Change Cara O's hand to left?" and Profiles(app.store).get(pid).hand == "right"
        click(app, next(b for b in question.buttons.buttons if b.id == "yes").rect.center)
        assert isinstance(app.top, StaffPatientScene)
        click(app, by_id["colour"].rect.center)
        click(app, by_id["name"].rect.center)
        p = Profiles(app.store).get(pid)
        assert p.hand == "left" and p.colour != "orange" and p.settings.get("show_full_name") is True
        click(app, by_id["progress"].rect.center)
        assert screens(app)[-1] == "ProgressScene" and app.ctx.patient_id == pid
        key(app, pygame.K_ESCAPE)
        click(app, by_id["program"].rect.center)
        assert screens(app)[-1] == "LevelPickerScene"
        key(app, pygame.K_ESCAPE)
        click(app, by_id["calibrate"].rect.center)
        assert screens(app)[-1] == "CalibrateScene"
        key(app, pygame.K_ESCAPE)
        key(app, pygame.K_ESCAPE)  # back to the menu, then its Done
        while not isinstance(app.top, StaffMenuScene):
            key(app, pygame.K_ESCAPE)
        click(app, next(b for b in app.top.buttons.buttons if b.id == "names").rect.center)
        assert KioskSettings(app.store).show_names
        key(app, pygame.K_ESCAPE)
        assert screens(app) == ["KioskPickerScene"]
        assert "Cara O" in [p.name for p in app.top.patients] and app.top.named[pid]
    finally:
        app.shutdown()


def test_a_patient_with_only_the_ball_picks_their_tile_and_starts(tmp_path) -> None:
    # Squeeze to start the frame walking (at 2 s), squeeze again when it is on the second
    # tile (it moves every 2 s), then one squeeze on the start screen runs the program.
    squeezes = [Squeeze(2.0, pct(40), rise=0.3, hold=0.4, release=0.3),
                Squeeze(5.0, pct(40), rise=0.3, hold=0.4, release=0.3),
                Squeeze(8.0, pct(40), rise=0.3, hold=0.4, release=0.3)]
    app = kiosk_app(tmp_path, squeezes=squeezes)
    try:
        names = [p.name for p in app.top.patients]
        step(app, 4.5)
        assert app.top.scanning and app.top.focus == 1
        step(app, 1.5)
        assert isinstance(app.top, KioskStartScene)
        assert Profiles(app.store).get(app.top.patient_id).name == names[1]
        step(app, 3.0)
        assert "SessionScene" in screens(app)
    finally:
        app.shutdown()


def test_names_stay_off_the_tiles_unless_turned_on(tmp_path) -> None:
    app = kiosk_app(tmp_path)
    try:
        assert not any(app.top.named.values())
        KioskSettings(app.store).set("show_names", True)
        app.top.reload()
        assert all(app.top.named.values())
    finally:
        app.shutdown()


def test_pointer_hidden_until_the_mouse_moves(tmp_path, monkeypatch) -> None:
    shown: list[bool] = []
    monkeypatch.setattr(pygame.mouse, "set_visible", lambda v: shown.append(v) or True)
    app = kiosk_app(tmp_path)
    try:
        step(app, 3.5)
        assert shown[-1] is False
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(10, 10), rel=(5, 0), buttons=(0, 0, 0)))
        step(app)
        assert shown[-1] is True
        step(app, 3.5)
        assert shown[-1] is False and len(shown) <= 4  # set only when it changes
    finally:
        app.shutdown()


def test_kiosk_status_file_names_the_screen(tmp_path) -> None:
    import json

    store = Store.in_dir(tmp_path)
    StaffLock(store).set_pin(PIN)
    store.close()
    status = tmp_path / "status.json"
    code = main(["--kiosk", "--headless", "--data-dir", str(tmp_path), "--input", "keyboard", "--frames", "5",
                 "--kiosk-status", str(status)])
    assert code == EXIT_UNEXPECTED  # it stopped without staff: a supervisor would start it again
    assert json.loads(status.read_text())["screen"] == "KioskPickerScene"


# ------------------------------------------------------------- supervisor
def test_backoff_doubles_on_quick_failures_and_resets_after_a_stable_run() -> None:
    b = Backoff(first_s=1, max_s=8, stable_s=60)
    assert [b.after_run(2) for _ in range(5)] == [1, 2, 4, 8, 8]
    assert b.after_run(120) == 1


@pytest.mark.parametrize("codes, result, runs", [
    ([1, -9, 75, 0], 0, 4),  # crash, kill, unexpected stop: restarted; staff exit: stop
    ([1, 2], 2, 2),  # a setup problem: stop, restarting cannot help
])
def test_supervisor_restarts_until_staff_close_the_kiosk(tmp_path, codes, result, runs) -> None:
    counter = tmp_path / "runs"
    script = ("import os, pathlib, signal, sys\n"
              f"p = pathlib.Path({str(counter)!r}); n = int(p.read_text()) if p.exists() else 0\n"
              "p.write_text(str(n + 1))\n"
              f"code = {codes!r}[n]\n"
              "os.kill(os.getpid(), -code) if code < 0 else sys.exit(code)\n")
    logs: list[str] = []
    sup = Supervisor([sys.executable, "-c", script], backoff=Backoff(first_s=0.01, max_s=0.02), log=logs.append,
                     max_restarts=10)
    assert sup.run() == result
    assert int(counter.read_text()) == runs
    assert any("killed by SIGKILL" in m for m in logs) == (-9 in codes)


def test_an_older_four_digit_pin_opens_and_the_menu_asks_for_a_longer_one(tmp_path) -> None:
    import hashlib
    import json
    import os

    from game.staff import OLD_SCRYPT, SHORT_PIN_NOTE

    app = kiosk_app(tmp_path)
    try:
        salt = os.urandom(16)  # the PIN as stored before 6 digits and Argon2id
        with app.store.transaction() as db:
            db.execute("UPDATE staff_pin SET kdf=?, salt=?, hash=?", (json.dumps({"name": "scrypt", **OLD_SCRYPT}),
                       salt, hashlib.scrypt(b"2580", salt=salt, n=2**14, r=8, p=1, dklen=32)))
        chord(app)
        type_text(app, "2580")
        key(app, pygame.K_RETURN)
        assert screens(app) == ["KioskPickerScene", "StaffMenuScene"]
        assert app.top.note == SHORT_PIN_NOTE and "6 digits or more" in SHORT_PIN_NOTE
        app.draw(0.0)
        assert json.loads(app.store.db.execute("SELECT kdf FROM staff_pin").fetchone()["kdf"])["name"] == "argon2id"
        key(app, pygame.K_ESCAPE)
        chord(app)  # a six-digit PIN: no note
        StaffLock(app.store).set_pin(PIN)
        type_text(app, PIN)
        key(app, pygame.K_RETURN)
        assert isinstance(app.top, StaffMenuScene) and app.top.note == ""
    finally:
        app.shutdown()
