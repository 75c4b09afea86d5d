"""Issue 14: settings and profiles change only by a deliberate act, every change is on record,
scripted play never writes a patient's profile, and a rating saves the value meant.

The ball here is a scripted hand making real force samples through the game (tests/test_journey.py's
SqueezingHand), slowed down: a slow rise and release, and a reaction time it takes to act on
what it sees lit.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pygame
import pytest

import game.profiles as profiles_module
from game.app import App, AppOptions
from game.cli import main as cli_main
from game.context import PlaySettings
from game.input import Act, Action
from game.profiles import Profiles, hold_profiles
from game.program import ExercisePlan, SessionPlan
from game.scene import Push
from game.scenes.confirm import ConfirmScene
from game.scenes.rating import YES_RECT, RatingScene, face_rect
from game.scenes.session import SessionScene
from game.scenes.settings import SettingsScene
from game.settings import CONFIRM_KEYS, AccessSettings
from game.records.storage import DB_NAME, Store
from hardware.clock import ManualClock
from hardware.scripted import save_trace_csv
from hardware.traces import Squeeze, synth_trace
from tests.helpers import make_app
from tests.test_ball_only_stop import BALL_CAL, CalibratedHand
from tests.test_journey import STRONGEST, frame, lit, ready, run_until

ROOT = Path(__file__).resolve().parent.parent
SIZE = (320, 180)
# Ann as in the issue: left hand, her therapist's six settings and a program.
ANN_SETTINGS = {"scan": "on", "scan_s": 1.0, "game_speed": 0.8, "text_scale": 1.2, "speech": True,
                "ask_after_s": 30.0}


def profile_changes(store: Store) -> list[dict]:
    return [json.loads(e["detail"]) for e in store.events() if e["kind"] == "profile_change"]


def patient_row(db_path: Path, name: str) -> tuple:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT * FROM patients WHERE name=?", (name,)).fetchone()


def add_ann(data_dir: Path) -> int:
    store = Store.in_dir(data_dir)
    pr = Profiles(store)
    ann = pr.create("Ann", hand="left", level="gentle_start.yaml", settings=ANN_SETTINGS)
    pr.create("Bob")  # Bob played last: Ann is named with --patient
    store.close()
    return ann.id


# ------------------------------------------------------------------ every change is on record
def test_every_settings_change_on_the_screen_writes_an_event_with_what_old_new_and_where(tmp_path):
    app = make_app(tmp_path, exercise=None, source=None)  # the keyboard
    app.apply(Push(SettingsScene()))
    scene = app.top
    for key in ("hand", "scan", "scan_s", "game_speed", "text_scale", "cue_volume", "speech", "speech_volume"):
        old = app.ctx.access
        logged = len(profile_changes(app.store))
        new_value = scene.proposed(key)
        tr = scene.change(key)
        if key in CONFIRM_KEYS:
            assert isinstance(tr, Push) and isinstance(tr.scene, ConfirmScene)  # asked first, nothing saved yet
            assert getattr(app.ctx.access, key) == getattr(old, key)
            app.apply(tr)
            app.apply(app.top.handle(Action(Act.CONFIRM)))  # "Yes" is lit first
            assert app.top is scene
        else:
            assert tr is None  # text size and sound volume change at once (and are seen or heard at once)
        assert getattr(app.ctx.access, key) == new_value
        (change,) = [c for c in profile_changes(app.store)[logged:] if c["what"] == key]
        assert change["where"] == "settings screen"
        assert change["old"] == getattr(old, key) and change["new"] == new_value
        assert change["patient_id"] == app.ctx.patient_id
    # "No" changes nothing and writes nothing.
    before = len(profile_changes(app.store))
    app.apply(scene.change("hand"))
    app.apply(app.top.handle(Action(Act.BACK)))
    assert app.top is scene and app.ctx.access.hand == "left" and len(profile_changes(app.store)) == before
    rows = [e for e in app.store.events() if e["kind"] == "profile_change"]
    assert all(r["at"] > 0 for r in rows)  # when
    app.shutdown()


def test_every_change_from_the_shell_writes_an_event_naming_the_command(tmp_path, capsys):
    d = str(tmp_path)
    assert cli_main(["patients", "--data-dir", d, "add", "Ann", "--hand", "left"]) == 0
    assert cli_main(["patients", "--data-dir", d, "set", "Ann", "scan=on", "game_speed=0.8"]) == 0
    assert cli_main(["patients", "--data-dir", d, "set", "Ann", "scan=on"]) == 0  # the same value: no change
    assert cli_main(["patients", "--data-dir", d, "hand", "Ann", "right"]) == 0
    assert cli_main(["patients", "--data-dir", d, "assign", "Ann", "gentle_start"]) == 0
    assert cli_main(["patients", "--data-dir", d, "rename", "Ann", "Annie"]) == 0
    capsys.readouterr()
    store = Store.in_dir(tmp_path)
    got = [(c["what"], c["old"], c["new"], c["where"]) for c in profile_changes(store)]
    store.close()
    assert got[0][0] == "patient added" and got[0][3] == "main.py patients add"
    assert got[1:] == [
        ("game_speed", 1.0, 0.8, "main.py patients set"),  # old: the default it had
        ("scan", "auto", "on", "main.py patients set"),
        ("hand", "left", "right", "main.py patients hand"),
        ("level", None, "gentle_start.yaml", "main.py patients assign"),
        ("name", "Ann", "Annie", "main.py patients rename"),  # her tile's initials stay AN: no row for them
    ]
    assert cli_main(["patients", "--data-dir", d, "show", "Annie"]) == 0
    shown = capsys.readouterr().out
    assert "the last 5 of 6" in shown and "hand: left -> right  (main.py patients hand)" in shown


# ------------------------------------------------------------------ a squeeze on the title screen
def test_the_title_screen_reaches_a_change_only_through_yes_with_the_ball_alone(tmp_path):
    store = Store.in_dir(tmp_path)
    pr = Profiles(store)
    pr.select(pr.create("Ann", hand="left", settings={"scan_s": 1.0}).id)
    clock = ManualClock()
    hand = CalibratedHand(clock, seed=7)
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=SIZE, sound=False), clock=clock,
              source=hand, calibration=BALL_CAL, store=store)

    def squeeze_on(want: str) -> None:
        def time_to_squeeze() -> bool:  # the choice is lit, with time left before the frame moves on
            b = app.top.buttons
            return (lit(app) == want and ready(app) and hand.resting and b.scanner.fraction(b.focus == 0) < 0.5
                    and (not isinstance(app.top, ConfirmScene) or app.top.shown_for >= 1.0))

        run_until(app, time_to_squeeze, 30)
        screen, stack = app.top, len(app.stack)
        hand.squeeze()
        run_until(app, lambda: app.top is not screen or len(app.stack) != stack
                  or getattr(screen, "answer", None) is not None, 3)
        run_until(app, lambda: hand.resting, 5)

    squeeze_on("settings")
    squeeze_on("hand")
    assert isinstance(app.top, ConfirmScene) and app.top.question == "Change hand to right?"
    squeeze_on("no")
    run_until(app, lambda: isinstance(app.top, SettingsScene), 5)
    assert pr.get(app.ctx.patient_id).hand == "left" and profile_changes(store)[-1]["what"] == "patient added"
    squeeze_on("hand")
    squeeze_on("yes")
    run_until(app, lambda: isinstance(app.top, SettingsScene), 5)
    assert pr.get(app.ctx.patient_id).hand == "right" and app.ctx.play.hand == "right"
    assert {k: profile_changes(store)[-1][k] for k in ("what", "old", "new", "where")} == {
        "what": "hand", "old": "left", "new": "right", "where": "settings screen"}
    assert hand.squeezes_made == 5  # one squeeze each: settings, hand, No, hand, Yes
    app.shutdown()


def test_the_question_is_answered_with_one_key_or_the_mouse(tmp_path):
    app = make_app(tmp_path, exercise=None, source=None)
    app.apply(Push(SettingsScene()))
    scene = app.top
    app.apply(scene.change("game_speed"))
    q = app.top
    assert q.question == "Change game speed to quick?" and (q.before, q.after) == ("Normal", "Quick")
    app.apply(q.handle(Action(Act.RIGHT)))  # the arrow moves the frame to No; Space chooses it
    app.apply(q.handle(Action(Act.CONFIRM)))
    assert app.top is scene and app.ctx.access.game_speed == 1.0
    app.apply(scene.change("game_speed"))
    yes = next(b for b in app.top.buttons.buttons if b.id == "yes")
    app.apply(app.top.handle(Action(Act.CLICK, yes.rect.center)))
    assert app.top is scene and app.ctx.access.game_speed == 1.25
    app.shutdown()


# ------------------------------------------------------------------ scripted play writes no profile
def _trace_to_the_hand_question(path: Path) -> None:
    """Squeezes timed for Ann's fast frame (1 s): Settings on the title, Hand, then Yes."""
    squeezes = [Squeeze(t, 300.0, rise=0.3, hold=0.4, release=0.4) for t in (4.6, 7.0, 8.6)]
    save_trace_csv(path, synth_trace(squeezes, 14.0, baseline=50.0, noise_sd=1.0, seed=1))


def _run_trace(data_dir: Path, trace: Path) -> App:
    app = App(AppOptions(headless=True, input=str(trace), patient="Ann", data_dir=data_dir, seconds=14.0,
                         sound=False, window_size=SIZE))
    app.run()
    return app


def test_a_trace_run_that_says_yes_to_a_new_hand_leaves_the_patient_byte_for_byte(tmp_path, monkeypatch):
    add_ann(tmp_path)
    trace = tmp_path / "squeezes.csv"
    _trace_to_the_hand_question(trace)
    before = patient_row(tmp_path / DB_NAME, "Ann")
    seen: list[str] = []
    real_apply = SettingsScene.apply

    def watching(self, key, value):
        real_apply(self, key, value)
        seen.append(self.message)

    monkeypatch.setattr(SettingsScene, "apply", watching)
    _run_trace(tmp_path, trace)
    said = "For this run only: this is a run played from a trace file, so Ann's saved settings stay as they are."
    assert seen == [said]  # the trace did reach the hand, and said yes
    assert patient_row(tmp_path / DB_NAME, "Ann") == before
    # The same trace with the profile hold taken away does change her hand: this test can fail.
    other = tmp_path / "control"
    other.mkdir()
    add_ann(other)
    monkeypatch.setattr(profiles_module, "hold_profiles", lambda store, reason: None)
    _run_trace(other, trace)
    assert patient_row(other / DB_NAME, "Ann")[2] == "right"


def test_main_with_the_simulator_leaves_the_patient_byte_for_byte(tmp_path):
    ann = add_ann(tmp_path)
    db_path = tmp_path / DB_NAME
    before = patient_row(db_path, "Ann")
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--input", "sim", "--patient", "Ann",
                          "--seconds", "25", "--data-dir", str(tmp_path)], check=False, capture_output=True, text=True,
                         timeout=120, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert patient_row(db_path, "Ann") == before  # settings, hand, program, difficulty, last played: all as they were
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] >= 1  # the simulator did play
        assert db.execute("SELECT COUNT(*) FROM calibrations WHERE patient_id=?", (ann,)).fetchone()[0] == 0


def test_a_held_store_refuses_every_profile_write_in_plain_words(tmp_path):
    store = Store.in_dir(tmp_path)
    pr = Profiles(store)
    ann = pr.create("Ann", hand="left")
    hold_profiles(store, "a simulator run")
    for write in (lambda: pr.set_hand(ann.id, "right"), lambda: pr.update_settings(ann.id, scan="on"),
                  lambda: pr.assign_level(ann.id, "x.yaml"), lambda: pr.set_difficulty(ann.id, "pinch", {}),
                  lambda: pr.rename(ann.id, "Annie"), lambda: pr.archive(ann.id)):
        with pytest.raises(profiles_module.ProfileError, match="this is a simulator run, so Ann's profile stays"):
            write()
    assert pr.select(ann.id).last_used_at is None  # playing as Ann does not mark her as the last one
    store.close()


# ------------------------------------------------------------------ ratings
class SlowHand(CalibratedHand):
    """A paretic hand: slow to close (0.8 s) and to let go (1.5 s)."""

    def squeeze(self, peak: float = 0.4 * STRONGEST, hold: float = 0.6) -> None:
        self._squeezes.append(Squeeze(self._clock.now(), peak, rise=0.8, hold=hold, release=1.5))
        self.squeezes_made += 1


def act_on(app: App, hand: SlowHand, want: str, reaction_s: float, *, careful: bool = True,
           seconds: float = 60.0) -> None:
    """See ``want`` lit, then squeeze ``reaction_s`` later, whatever is lit by then. A careful hand
    waits for the frame to come to ``want`` afresh; a careless one goes late in its time there."""

    def fresh() -> bool:
        r = app.top
        if not isinstance(r, RatingScene):
            return True
        if r.proposed is None:
            return r.scanner.fraction(r.focus == r.scan_from) < 0.25
        return r.buttons.scanner.fraction(r.buttons.focus == 0) < 0.25

    run_until(app, lambda: lit(app) == want and ready(app) and hand.resting and (fresh() or not careful), seconds)
    frame(app, round(reaction_s * 60))
    hand.squeeze()
    screen = app.top
    proposed = getattr(screen, "proposed", None)
    run_until(app, lambda: app.top is not screen or getattr(screen, "proposed", None) != proposed, 5)
    run_until(app, lambda: hand.resting, 5)


def test_a_late_squeeze_on_the_faces_is_caught_by_the_question_and_the_meant_value_is_saved(tmp_path):
    store = Store.in_dir(tmp_path)
    pr = Profiles(store)
    pr.select(pr.create("Ann").id)  # default settings: the frame walks with the ball, 1.6 s a face
    clock = ManualClock()
    hand = SlowHand(clock, seed=11)
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=SIZE, sound=False, exercise=None,
                         play=PlaySettings(reps_per_set=2)), clock=clock, source=hand, calibration=BALL_CAL,
              store=store)
    app.ctx.plan = SessionPlan(name="Short", warmup=False, exercises=(ExercisePlan("power_grip", sets=1, reps=2),))
    app.apply(Push(SessionScene()))
    run_until(app, lambda: isinstance(app.top, RatingScene), 5)
    r = app.top
    frame(app)
    assert r.scanning
    # Pain 2 is meant. Ann sees face 2 lit but takes 1.9 s to squeeze: the frame is on 3 by then.
    act_on(app, hand, "2", reaction_s=1.9, careful=False)
    assert r.proposed == 3 and r.answers == {}  # "Pain 3. Is that right?": nothing saved yet
    act_on(app, hand, "change", reaction_s=0.7)
    assert r.proposed is None and r.lit == "2"  # the frame starts again one face before: on 2
    act_on(app, hand, "2", reaction_s=0.7)
    assert r.proposed == 2
    act_on(app, hand, "yes", reaction_s=0.7)
    assert r.question == "fatigue" and r.answers == {"pain": 2}
    act_on(app, hand, "1", reaction_s=0.7)  # tiredness 1, in time
    act_on(app, hand, "yes", reaction_s=0.7)
    assert app.top is not r
    session_id = app.stack[-2].session_id if isinstance(app.stack[-2], SessionScene) else app.stack[1].session_id
    app.shutdown()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        row = db.execute("SELECT pain_before, fatigue_before FROM sessions WHERE id=?", (session_id,)).fetchone()
    assert row == (2, 1)


def test_the_faces_stay_still_for_a_keyboard_user_and_keys_choose_then_confirm(tmp_path):
    app = make_app(tmp_path, exercise=None, source=None)  # the keyboard; scanning "with the ball" (the default)
    chosen = []
    app.apply(Push(RatingScene("before", lambda p, f: chosen.append((p, f)))))
    r = app.top
    for _ in range(round(20 / (1 / 60))):  # 20 s: the old screen walked 12 faces in this time
        app.clock.advance(1 / 60)
        app.frame()
    assert r.focus == 0 and not r.scanning
    for k in (pygame.K_RIGHT, pygame.K_RIGHT, pygame.K_SPACE):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0))
    app.frame()
    assert r.proposed == 2 and not chosen  # chosen, not saved
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0))  # "change"
    app.frame()
    assert r.proposed is None and r.question == "pain"
    for k in (pygame.K_LEFT, pygame.K_SPACE, pygame.K_SPACE):  # pain 0, yes
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0))
        app.frame()
    # The mouse: a click on a face, then on Yes.
    app.apply(r.handle(Action(Act.CLICK, face_rect(4).center)))
    assert r.proposed == 4
    app.apply(r.handle(Action(Act.CLICK, YES_RECT.center)))
    assert chosen == [(0, 4)]
    app.shutdown()


def test_the_faces_walk_for_a_keyboard_user_whose_therapist_turned_scanning_on(tmp_path):
    app = make_app(tmp_path, exercise=None, source=None)
    app.ctx.access = AccessSettings(scan="on", scan_s=1.0)
    app.apply(Push(RatingScene("before", lambda p, f: None)))
    for _ in range(round(4.0 * 60)):  # face 0 for 1 s settling + 1.5 s, face 1 for 1 s, then face 2
        app.clock.advance(1 / 60)
        app.frame()
    assert app.top.focus == 2 and app.top.scanning
    app.shutdown()
