"""Access settings, switch scanning, the settings screen, spoken prompts, cues, hand and pace."""

from __future__ import annotations

import os
import stat
import sys
import time

import numpy as np
import pygame
import pytest

from game.input import Act, Action
from game.loop import STEP
from game.profiles import ProfileError, Profiles, parse_setting
from game.scene import Push
from game.settings import AccessSettings, check_setting, load_access
from game.speech import Speech
from game.therapy.calibration import Calibration
from game.widgets import FIRST_DWELL, Button, ButtonGroup, ChoiceSwitch, Scanner
from game.ui import LRect
from hardware.sample import Sample
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, make_app, pct


def frames(app, n=1):
    for _ in range(n):
        app.clock.advance(STEP)
        app.frame()


# ------------------------------------------------------------------ the model
def test_settings_check_values_and_explain_mistakes():
    assert check_setting("scan", "ON") == "on" and check_setting("scan", True) == "on"
    assert check_setting("scan_s", 3) == 3.0
    with pytest.raises(ValueError, match="auto .* on or off"):
        check_setting("scan", "sometimes")
    with pytest.raises(ValueError, match="0.6 to 8"):
        check_setting("scan_s", 20)
    with pytest.raises(ValueError, match="true or false"):
        check_setting("speech", "loud")


def test_a_damaged_setting_falls_back_and_the_old_sound_switch_is_honoured():
    a = AccessSettings.from_profile({"scan_s": "fast", "text_scale": 9, "sound": False, "scan": "on"}, "left")
    assert (a.scan_s, a.text_scale, a.cue_volume, a.scan, a.hand) == (1.6, 1.0, 0.0, "on", "left")


def test_next_choice_steps_round_the_list():
    a = AccessSettings()
    seen = []
    for _ in range(6):
        seen.append(a.label("scan_s"))
        a = a.with_value("scan_s", a.next_choice("scan_s"))
    assert seen == ["Normal", "Slow", "Slower", "Slowest", "Fast", "Normal"]
    # A value set by a therapist that is not on the list moves to the next one above it.
    assert AccessSettings(scan_s=2.0).next_choice("scan_s") == 2.4
    assert AccessSettings(game_speed=0.8).pace == pytest.approx(1.25)


def test_settings_persist_in_the_profile_and_the_command_line_checks_them(tmp_path):
    from game.records.storage import Store

    store = Store.in_dir(tmp_path)
    pr = Profiles(store)
    ann = pr.create("Ann", hand="left")
    pr.update_settings(ann.id, **dict([parse_setting("scan=on"), parse_setting("scan_s=3"),
                                       parse_setting("speech=yes")]))
    a = load_access(store, ann.id)
    assert (a.scan, a.scan_s, a.speech, a.hand) == ("on", 3.0, True, "left")
    with pytest.raises(ProfileError, match="cue_volume"):
        pr.update_settings(ann.id, cue_volume=3)
    assert load_access(store, ann.id).cue_volume == 0.8  # nothing was changed by the refused value
    store.close()


# ------------------------------------------------------------------ scanning
def test_scanner_dwells_longer_on_the_first_choice_and_waits_for_a_building_squeeze():
    s = Scanner()
    t, moves = 0.0, []
    while t < 6.0:
        if s.tick(STEP, 1.0, first=not moves, holding=2.0 <= t < 3.0):
            moves.append(round(t, 2))
        t += STEP
    # first move after 1.5 steps, then each second, but not while the squeeze builds (2 s to 3 s)
    assert moves[0] == pytest.approx(FIRST_DWELL, abs=0.05)
    assert moves[1] == pytest.approx(3.5, abs=0.05)  # 0.5 s before the hold + 0.5 s after it
    assert moves[2] == pytest.approx(4.5, abs=0.05)
    s.stop()
    assert not s.tick(10.0, 1.0, first=False)


class _Ctx:
    """Just what ButtonGroup.scan and ChoiceSwitch read."""

    def __init__(self, keyboard_input=False, **settings):
        from game.input import InputHub
        from hardware.keyboard import KeyboardBall
        from hardware.clock import ManualClock

        kb = KeyboardBall(ManualClock())
        src = kb if keyboard_input else object()
        self.hub = InputHub.__new__(InputHub)
        self.hub.source, self.hub.keyboard = src, kb
        self.access = AccessSettings(**settings)
        self.speech = Speech(enabled=False)
        self.calibration = Calibration(baseline=0.0, mvc=100.0)


def test_the_frame_walks_only_with_the_ball_unless_set_on_and_arrows_stop_it():
    def group():
        return ButtonGroup([Button(i, i, LRect(0, 0, 10, 10)) for i in "abc"] +
                           [Button("staff", "staff", LRect(0, 0, 10, 10), scan=False)])

    g = group()
    for _ in range(int(1.6 * 1.5 / STEP) + 2):
        g.scan(STEP, _Ctx())
    assert g.focused.id == "b" and g.scanning
    for _ in range(int(1.6 * 2 / STEP) + 2):
        g.scan(STEP, _Ctx())
    assert g.focused.id == "a"  # round again: the staff-only button is never lit
    g.handle(Action(Act.RIGHT))
    for _ in range(300):
        g.scan(STEP, _Ctx())
    assert g.focused.id == "b" and not g.scanning  # the arrow took over
    kb = group()
    for _ in range(300):
        kb.scan(STEP, _Ctx(keyboard_input=True))
    assert kb.focused.id == "a" and not kb.scanning  # the keyboard user moves the frame themselves
    one_switch = group()
    for _ in range(int(1.6 * 1.5 / STEP) + 2):
        one_switch.scan(STEP, _Ctx(keyboard_input=True, scan="on"))
    assert one_switch.focused.id == "b"


def test_the_menu_switch_presses_with_a_wrong_baseline_but_never_from_the_keyboard():
    ctx = _Ctx()
    ctx.calibration = Calibration(baseline=0.0, mvc=600.0)  # a placeholder: the hand rests at 8% of it
    sw = ChoiceSwitch(ctx)
    trace = synth_trace([Squeeze(2.0, 200.0, rise=0.5, hold=0.5)], 5.0, baseline=50.0, noise_sd=1.0, seed=1)
    presses = sw.feed([Sample(t, f) for t, f, *_ in trace])
    assert presses == 1
    kb = _Ctx(keyboard_input=True)
    sw = ChoiceSwitch(kb)
    assert sw.feed([Sample(t, f) for t, f, *_ in trace]) == 0  # Space already arrives as an action


def test_space_changes_a_setting_once_not_twice(tmp_path):
    from game.scenes.settings import SettingsScene

    app = make_app(tmp_path, exercise=None, source=None)  # the keyboard
    app.apply(Push(SettingsScene()))
    frames(app, 2)
    scene = app.top
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT, mod=0))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT, mod=0))  # to "Moving frame"
    frames(app)
    assert scene.buttons.focused.id == "scan"
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0))
    frames(app, 60)  # Space held a second: the imitated squeeze must not choose again
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_SPACE, mod=0))
    frames(app, 30)
    # The moving frame changes how the game treats the patient: asked first, nothing changed yet.
    from game.scenes.confirm import ConfirmScene

    assert isinstance(app.top, ConfirmScene) and app.top.question == "Change moving frame to always?"
    assert app.ctx.access.scan == "auto"
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0))  # Yes is lit
    frames(app, 2)
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_SPACE, mod=0))
    frames(app, 30)
    assert app.top is scene
    assert app.ctx.access.scan == "on"
    assert load_access(app.store, app.ctx.patient_id).scan == "on"
    app.shutdown()


def test_the_settings_screen_with_the_ball_alone(tmp_path):
    from game.scenes.confirm import ConfirmScene
    from game.scenes.settings import SettingsScene
    from game.scenes.title import TitleScene

    # Done is lit 1.5 steps (0-2.4 s), Hand 2.4-4.0 s, Moving frame 4.0-5.6 s. A squeeze at 5 s proposes
    # "Moving frame" -> Always; the question's Yes is lit first (1.5 steps) and a squeeze at 7 s says yes;
    # the question closes once the hand has let go (~8.2 s). Back on the settings screen the frame stays
    # on the tile a full step, so a squeeze at 9 s proposes Always -> With ball (auto); at 12 s the frame
    # has moved on to No: that squeeze keeps "Always".
    sq = [Squeeze(t, pct(30), rise=0.3, hold=0.4, release=0.4) for t in (5.0, 7.0, 9.0, 12.0)]
    app = make_app(tmp_path, synth_trace(sq, 60, baseline=BASE, noise_sd=1.0, seed=2), exercise=None)
    app.apply(Push(SettingsScene()))
    scene = app.top
    frames(app, round(4.9 / STEP))
    assert scene.buttons.focused.id == "scan" and app.ctx.access.scan == "auto"
    frames(app, round(1.0 / STEP))
    assert isinstance(app.top, ConfirmScene) and app.ctx.access.scan == "auto"  # asked, not changed
    frames(app, round(2.6 / STEP))
    assert app.top is scene and app.ctx.access.scan == "on"
    assert load_access(app.store, app.ctx.patient_id).scan == "on"
    frames(app, round(1.0 / STEP))
    assert isinstance(app.top, ConfirmScene)
    assert app.top.question == "Change moving frame to with ball?"  # "Off" is skipped with the ball
    question = app.top
    frames(app, round(4.0 / STEP))
    assert question.answer == "no" and app.top is scene
    assert app.ctx.access.scan == "on" and load_access(app.store, app.ctx.patient_id).scan == "on"
    changes = [r for r in app.store.events() if r["kind"] == "profile_change"]
    assert len(changes) == 1  # one change made, one event row
    app.apply(scene.handle(Action(Act.BACK)))
    assert isinstance(app.top, TitleScene)
    app.shutdown()


def test_volume_and_text_size_take_effect_at_once(tmp_path):
    from game.scenes.settings import SettingsScene

    app = make_app(tmp_path, exercise=None, source=None)
    app.apply(Push(SettingsScene()))
    scene = app.top
    scene.change("cue_volume")  # 0.8 (Loud) -> Loudest
    scene.change("text_scale")
    assert app.ctx.audio.volume == 1.0
    app.draw(0.0)
    assert app.canvas.text_scale == 1.2
    assert app.canvas.scaled(26) == pytest.approx(31.2) and app.canvas.scaled(84) == 84  # headings stay
    app.shutdown()


# ------------------------------------------------------------------ speech
@pytest.fixture
def fake_espeak(tmp_path):
    """A stand-in speech program: it writes its arguments to a file, then speaks on until it is cut off
    (60 s at most)."""
    log = tmp_path / "said.txt"
    prog = tmp_path / "espeak-ng"
    prog.write_text(f"#!{sys.executable}\nimport sys, time\nif sys.argv[1:] == ['--voices']: sys.exit()\n"
                    f"open({str(log)!r}, 'a').write(repr(sys.argv[1:]) + '\\n')\ntime.sleep(60)\n")
    prog.chmod(prog.stat().st_mode | stat.S_IEXEC)
    return prog, log


def test_speech_runs_in_its_own_process_and_a_new_prompt_cuts_off_the_old(fake_espeak):
    prog, log = fake_espeak
    sp = Speech(enabled=True, volume=0.5, program=str(prog))
    assert sp.say("Squeeze the ball")
    assert sp.wait_started(30)  # the speech thread started the program
    first = sp.engine._proc
    # say() came back while the voice speaks on (the program speaks until it is cut off): the frame does not
    # wait for the voice. (Not judged by how long say() took: a busy machine or a garbage collection can
    # make any call long.)
    assert first.poll() is None and sp.speaking
    assert sp.say("Well done")
    assert first.wait(timeout=30) != 0  # cut off
    deadline = time.monotonic() + 30
    while "Well done" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.02)
    last = log.read_text().splitlines()[-1]
    assert "'-a', '100'" in last and "'Well done'" in last
    sp.close()
    assert not sp.speaking


def test_speech_is_silent_and_harmless_when_off_or_absent(tmp_path):
    assert not Speech(enabled=False, program="/bin/true").say("hello")
    assert not Speech(enabled=True, allowed=False, program="/bin/true").say("hello")
    missing = Speech(enabled=True, program=str(tmp_path / "no-such-program"))
    assert not missing.say("hello") and not missing.available


# ------------------------------------------------------------------ play: cues, pace, hand
class _Recorder:
    enabled = True

    def __init__(self):
        self.played = []
        self.volume = 1.0

    def play(self, name):
        self.played.append(name)


def test_your_turn_plays_when_a_rep_is_cued_and_game_speed_stretches_the_pace(tmp_path):
    from game.profiles import Profiles
    from game.settings import apply_patient_settings

    sq = [Squeeze(2.0 + 4.0 * i, pct(35)) for i in range(4)]
    app = make_app(tmp_path, synth_trace(sq, 40, baseline=BASE, seed=1), exercise="power_grip", reps=4)
    Profiles(app.store).update_settings(app.ctx.patient_id, game_speed=0.5)
    apply_patient_settings(app.ctx)
    from game.scenes.play import PlayScene

    rec = _Recorder()
    app.ctx.audio = rec
    app.apply(Push(PlayScene("power_grip")))
    play = app.top
    assert play.game.setup.rest_between_reps_s == pytest.approx(2.5 * 2)  # half speed: twice the time
    frames(app, round(12 / STEP))
    assert rec.played.count("turn") == play.game.cues_given >= 1
    assert "success" in rec.played
    app.shutdown()


def test_the_patients_hand_mirrors_play_and_demonstrations_from_start_up(tmp_path):
    from game.app import App, AppOptions
    from game.games import GAMES, GameSetup
    from game.scenes.demo import DemoScene
    from game.records.storage import Store
    from game.therapy.force_reps import ForceRepSettings
    import random

    store = Store.in_dir(tmp_path)
    Profiles(store).select(Profiles(store).create("Lefty", hand="left").id)
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=(640, 360), sound=False,
                         exercise="power_grip"), store=store)
    assert app.ctx.play.hand == "left"
    assert app.top.game.mirror
    demo = DemoScene(GAMES["pinch"](GameSetup(Calibration(0, 100), ForceRepSettings(), 3, random.Random(0),
                                              hand=app.ctx.play.hand)))
    assert demo.mirror
    app.shutdown()
