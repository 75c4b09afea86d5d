"""Stopping a set with the ball alone: the "Keep going?" question after a while without effort.

During a set a squeeze is the exercise, so Pause and Stop cannot be reached with
the ball. After the patient's ``ask_after_s`` (15 s by default) with no effort the
set pauses and asks "Keep going?" with the stop question's three choices; the
moving frame starts on Keep going and a squeeze chooses. The hands here are
scripted force samples (rise, hold, release, sensor noise) from a squeezing ball.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.context import PlaySettings
from game.loop import STEP
from game.profiles import Profiles, parse_setting
from game.program import ExercisePlan, SessionPlan
from game.scenes.demo import DemoScene
from game.scenes.keep_going import LET_GO_MAX_S, SETTLE_S, KeepGoingScene, StillnessWatch
from game.scenes.play import PlayScene
from game.scenes.rating import RatingScene
from game.scenes.rest import RestScene
from game.scenes.results import ResultsScene
from game.scenes.session import SessionScene
from game.settings import AccessSettings, check_setting, load_access
from game.records.storage import DB_NAME, Store
from game.therapy.calibration import Calibration
from hardware.clock import ManualClock
from hardware.keyboard import FULL_SCALE, KeyboardBall
from hardware.scripted import ScriptedSource
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, CAL, pct
from tests.test_journey import BASELINE, STRONGEST, SqueezingHand, frame, lit, run_until

SIZE = (320, 180)  # layout is in logical units; a small window keeps the frames cheap
BALL_CAL = Calibration(baseline=BASELINE, mvc=STRONGEST - BASELINE, noise_sd=1.5)


class CalibratedHand(SqueezingHand):
    """The scripted squeezing ball, already calibrated for this patient."""

    needs_calibration = False


def ball_app(tmp_path, *, exercise: str | None = "power_grip", reps: int = 5, settings: dict | None = None,
             demos: bool = False) -> tuple[App, CalibratedHand]:
    store = Store.in_dir(tmp_path)
    profiles = Profiles(store)
    profiles.select(profiles.create("Ann", hand="right", settings=settings or {}).id)
    clock = ManualClock()
    hand = CalibratedHand(clock, seed=5)
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise=exercise, window_size=SIZE, sound=False,
                         demos=demos, play=PlaySettings(reps_per_set=reps)),
              clock=clock, source=hand, calibration=BALL_CAL, store=store)
    return app, hand


def events(tmp_path, kind: str, app: App | None = None) -> list[dict]:
    if app is not None:
        app.store.flush()  # events are written by the store's writer thread: wait for it
    db = sqlite3.connect(tmp_path / DB_NAME)
    rows = db.execute("SELECT detail FROM events WHERE kind = ? ORDER BY id", (kind,)).fetchall()
    db.close()
    return [json.loads(r[0]) if r[0] else {} for r in rows]


def answer_with_a_squeeze(app: App, hand: CalibratedHand, want: str) -> None:
    """Squeeze when the frame is on ``want`` (the question up long enough to answer)."""
    q = app.top
    assert isinstance(q, KeepGoingScene)
    run_until(app, lambda: lit(app) == want and q.shown_for >= SETTLE_S and hand.resting, 30)
    hand.squeeze()
    run_until(app, lambda: app.top is not q, 5)


def test_no_effort_for_15_s_pauses_the_set_and_asks(tmp_path):
    app, hand = ball_app(tmp_path)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    play = app.top
    hand.squeeze()  # one rep, then the hand rests on the ball
    run_until(app, lambda: play.game.reps_done == 1, 5)
    run_until(app, lambda: not play.game.effort_now(), 5)
    rested_from = play.game.t
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 30)
    assert play.game.t - rested_from == pytest.approx(15.0, abs=0.1)  # game time, not a frame count
    q = app.top
    assert [b.id for b in q.buttons.buttons] == ["resume", "stop", "pain"]  # the stop question's choices
    assert lit(app) == "resume"  # Keep going lit first
    frame(app)
    assert q.buttons.scanning  # the ball is the input: the frame walks by itself
    paused_at = play.game.t
    frame(app, 120)
    assert play.game.t == paused_at  # the set is paused under the question
    assert events(tmp_path, "keep_going_asked", app) == [{"exercise": "power_grip", "set": 1, "reps": 1,
                                                           "still_s": 15.0}]
    app.shutdown()


def test_keep_going_by_squeeze_and_that_squeeze_is_not_a_rep(tmp_path):
    app, hand = ball_app(tmp_path)
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 30)
    play = app.stack[-2]
    assert play.game.reps_done == 0
    answer_with_a_squeeze(app, hand, "resume")
    assert app.top is play
    assert hand.resting or play.game.detector.awaiting_release or not play.game.effort_now()
    frame(app, 240)  # the rest of that squeeze, then quiet
    assert play.game.reps_done == 0, "the squeeze that answered was counted as a rep"
    hand.squeeze()  # the next squeeze is the exercise again
    run_until(app, lambda: play.game.reps_done == 1, 5)
    assert events(tmp_path, "keep_going_answer", app) == [{"choice": "resume"}]
    # and the wait starts again from the question: no second question straight away
    assert not isinstance(app.top, KeepGoingScene)
    app.shutdown()


def test_it_hurts_by_squeeze_ends_the_set_for_pain(tmp_path):
    app, hand = ball_app(tmp_path)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    hand.squeeze()
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 30)
    answer_with_a_squeeze(app, hand, "pain")  # the frame walks: Keep going, Stop for today, It hurts
    run_until(app, lambda: isinstance(app.top, ResultsScene), 3)
    assert app.top.summary.ended == "pain" and app.top.summary.reps == 1
    app.shutdown()
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("SELECT end_reason FROM sessions").fetchall() == [("stopped_pain",)]
    assert db.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 1  # the answering squeeze is no rep
    assert events(tmp_path, "keep_going_answer") == [{"choice": "pain"}]


def test_stop_for_today_by_squeeze(tmp_path):
    app, hand = ball_app(tmp_path)
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 30)
    answer_with_a_squeeze(app, hand, "stop")
    run_until(app, lambda: isinstance(app.top, ResultsScene), 3)
    assert app.top.summary.ended == "stopped"
    app.shutdown()


def rate_with_squeezes(app: App, hand: CalibratedHand, value: str) -> None:
    """Squeeze when the face is lit, then when "Yes" is lit on "Pain 2. Is that right?"."""
    r = app.top
    assert isinstance(r, RatingScene)
    question = r.question
    run_until(app, lambda: lit(app) == value and r.shown_for >= 1.0 and hand.resting, 40)
    hand.squeeze()
    run_until(app, lambda: r.proposed is not None, 5)
    run_until(app, lambda: lit(app) == "yes" and r.shown_for >= 1.0 and hand.resting, 40)
    hand.squeeze()
    run_until(app, lambda: app.top is not r or r.question != question, 5)
    frame(app, 60)


def test_it_hurts_in_a_session_ends_the_session_gently(tmp_path):
    """Ball only from the title: set 1 played, a rest with no squeezing (never asked), then set 2
    with no effort: asked, "It hurts", and the session goes straight to the rating after."""
    plan = SessionPlan(name="Short", warmup=False,
                       exercises=(ExercisePlan("power_grip", sets=3, reps=2, rest_s=20.0, cue_s=3.0),))
    app, hand = ball_app(tmp_path, exercise=None)
    app.ctx.plan = plan
    frame(app, 2)
    run_until(app, lambda: lit(app) == "start" and hand.resting, 30)
    hand.squeeze()
    run_until(app, lambda: isinstance(app.top, RatingScene), 5)
    for value in ("0", "1"):  # pain, then tiredness, before
        rate_with_squeezes(app, hand, value)
    run_until(app, lambda: isinstance(app.top, PlayScene), 10)
    while isinstance(app.top, PlayScene):  # set 1: squeeze when resting
        if hand.resting:
            hand.squeeze()
        frame(app)
    run_until(app, lambda: isinstance(app.top, RestScene), 3)
    rest_from = app.clock.now()
    run_until(app, lambda: isinstance(app.top, PlayScene), 40)  # 20 s of rest, no squeezing: nothing asks
    assert app.clock.now() - rest_from >= 19.0 and app.top.set_number == 2
    assert events(tmp_path, "keep_going_asked", app) == []
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 20)
    answer_with_a_squeeze(app, hand, "pain")
    run_until(app, lambda: isinstance(app.top, RatingScene), 5)  # no more sets: the rating after
    session = app.stack[1]
    assert isinstance(session, SessionScene)
    rate_with_squeezes(app, hand, "3")
    rate_with_squeezes(app, hand, "2")
    run_until(app, lambda: session.summary is not None, 10)
    assert session.summary.end_reason == "pain"
    app.shutdown()
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("SELECT end_reason, pain_after FROM sessions").fetchall() == [("stopped_pain", 3)]
    assert db.execute("SELECT set_number, end_reason FROM sets ORDER BY set_number").fetchall() == [
        (1, "completed"), (2, "pain")]
    assert [e["set"] for e in events(tmp_path, "keep_going_asked")] == [2]


# ------------------------------------------------------------ slow patients
def paced_trace(period_s: float, n: int) -> np.ndarray:
    """A slow paretic hand: a squeeze every ``period_s`` seconds, 2 s to close, 4.5 s to let go."""
    sq = [Squeeze(3.0 + i * period_s, pct(32), rise=2.0, hold=1.0, release=4.5) for i in range(n)]
    return synth_trace(sq, 3.0 + n * period_s + 10, baseline=BASE, noise_sd=1.5, tremor_hz=9,
                       tremor_amp=pct(2), seed=4)


def play_paced(tmp_path, period_s: float, n: int = 5) -> tuple[App, bool]:
    clock = ManualClock()
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise="power_grip", window_size=SIZE, sound=False,
                         play=PlaySettings(reps_per_set=n)),
              clock=clock, source=ScriptedSource(clock, paced_trace(period_s, n), name="Ball"), calibration=CAL,
              store=Store.in_dir(tmp_path))
    asked = False
    real = app.draw
    app.draw = lambda alpha: None  # type: ignore[method-assign]
    for _ in range(int((3.0 + n * period_s + 30) / STEP)):
        if isinstance(app.top, KeepGoingScene):
            asked = True
            break
        if isinstance(app.top, ResultsScene):
            break
        clock.advance(STEP)
        app.frame()
    app.draw = real  # type: ignore[method-assign]
    return app, asked


def test_a_slow_patient_squeezing_every_10_s_is_never_interrupted(tmp_path):
    app, asked = play_paced(tmp_path, 10.0)
    assert not asked
    assert isinstance(app.top, ResultsScene) and app.top.summary.reps == 5 and app.top.summary.ended == "completed"
    app.shutdown()
    assert events(tmp_path, "keep_going_asked") == []


def test_a_squeeze_every_25_s_is_asked_about(tmp_path):
    """The control: the same hand with long gaps does get the question (the check can fail)."""
    app, asked = play_paced(tmp_path, 25.0)
    assert asked and app.stack[-2].game.reps_done == 1
    app.shutdown()


# ------------------------------------------------------------ the setting
def test_off_never_asks_and_is_kept_per_patient(tmp_path):
    key, value = parse_setting("ask_after_s=off")  # as a therapist types it: patients set Ann ask_after_s=off
    app, hand = ball_app(tmp_path, settings={key: value})
    assert load_access(app.store, app.ctx.patient_id).ask_after_s == 0.0
    run_until(app, lambda: isinstance(app.top, PlayScene))
    play = app.top
    frame(app, round(60 / STEP))
    assert app.top is play and play.game.t > 59
    app.shutdown()


def test_the_wait_is_adjustable(tmp_path):
    app, hand = ball_app(tmp_path, settings={"ask_after_s": 30})
    run_until(app, lambda: isinstance(app.top, PlayScene))
    play = app.top
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 40)
    assert play.game.t == pytest.approx(30.0, abs=0.2)
    app.shutdown()


def test_the_setting_explains_bad_values():
    assert AccessSettings().ask_after_s == 15.0
    assert [check_setting("ask_after_s", v) for v in (False, 0, "off", "never", 20, "45s")] == [0, 0, 0, 0, 20, 45]
    for bad in (2, 301, "soon", True, -5):
        with pytest.raises(ValueError, match="seconds without a squeeze"):
            check_setting("ask_after_s", bad)
    assert AccessSettings.from_profile({"ask_after_s": "garbled"}).ask_after_s == 15.0  # never locks anyone out
    assert AccessSettings().next_choice("ask_after_s") == 30.0


def test_stillness_watch_counts_only_time_without_effort():
    w = StillnessWatch(15.0)
    assert not any(w.step(1.0, effort=False) for _ in range(14))
    assert not w.step(0.5, effort=True)  # effort starts the wait again
    assert not any(w.step(1.0, effort=False) for _ in range(14))
    assert w.step(1.0, effort=False)
    assert not any(StillnessWatch(0.0).step(100.0, effort=False) for _ in range(3))  # off


# ------------------------------------------------------------ not while watching or resting
def test_time_watching_the_demonstration_does_not_count(tmp_path):
    app, hand = ball_app(tmp_path, demos=True)
    run_until(app, lambda: isinstance(app.top, DemoScene), 5)
    run_until(app, lambda: isinstance(app.top, PlayScene), 60)  # the demonstration ends by itself
    play = app.top
    back_at = app.clock.now()
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 30)
    assert app.clock.now() - back_at == pytest.approx(15.0, abs=0.2)
    assert play.game.reps_done == 0
    app.shutdown()


# ------------------------------------------------------------ one key
def test_keyboard_space_keeps_going_and_is_not_a_rep(tmp_path):
    clock = ManualClock()
    kb = KeyboardBall(clock)
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise="power_grip", window_size=SIZE, sound=False,
                         play=PlaySettings(reps_per_set=3)),
              clock=clock, source=kb, calibration=Calibration(0.0, FULL_SCALE), store=Store.in_dir(tmp_path))
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 30)
    q, play = app.top, app.stack[-2]
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0))
    frame(app, round(0.6 / STEP))  # Space held: the imitated hand squeezes
    assert app.top is q and q.resuming_at is not None  # chosen; waits for the key to be let go
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_SPACE, mod=0))
    run_until(app, lambda: app.top is play, LET_GO_MAX_S)
    frame(app, round(3 / STEP))
    assert play.game.reps_done == 0, "the key press that answered was counted as a rep"
    app.shutdown()
    assert events(tmp_path, "keep_going_answer") == [{"choice": "resume"}]


# ------------------------------------------------------------ legible
@pytest.mark.parametrize("answered", [False, True])
def test_the_question_keeps_its_contrast(tmp_path, monkeypatch, answered):
    from game.ui import Canvas
    from tests.test_contrast import AA, SHARE, TextWatcher, contrast

    app, hand = ball_app(tmp_path)
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 30)
    if answered:  # "Keep going" chosen, the hand still closed: "Let go. Then play on."
        q = app.top
        run_until(app, lambda: q.shown_for >= SETTLE_S and hand.resting, 5)
        hand.squeeze(hold=2.0)
        run_until(app, lambda: q.resuming_at is not None, 3)
    watcher = TextWatcher()
    monkeypatch.setattr(Canvas, "text", watcher.wrap(Canvas.text))
    app.draw(0.0)
    app.shutdown()
    texts = {t for t, _, _ in watcher.records}
    assert "Keep going?" in texts and ("Let go. Then play on." in texts) == answered
    bad = [f"'{t}' {c} on {bg}: {contrast(c, bg):.2f}" for t, c, bgs in watcher.records for bg, share in bgs
           if share >= SHARE and contrast(c, bg) < AA]
    assert not bad, "\n".join(bad)


# ------------------------------------------------------------ rolling exercises
@pytest.mark.parametrize("exercise", ["thumb_flex_ext", "thumb_roll"])
def test_rolling_is_the_effort_in_the_rolling_games(tmp_path, exercise):
    """A stroke or circle every ~10 s keeps the question away; then a still ball is asked about."""
    from tests.roll_scripts import circle_script, stroke_script

    kinds = ["slow", "good", "slow"]
    sc = circle_script(kinds, seed=1) if exercise == "thumb_roll" else stroke_script(kinds, seed=1)
    clock = ManualClock()
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise=exercise, window_size=SIZE, sound=False,
                         play=PlaySettings(reps_per_set=5)),
              clock=clock, source=ScriptedSource(clock, sc.trace, name="Ball"), calibration=CAL,
              store=Store.in_dir(tmp_path))
    run_until(app, lambda: isinstance(app.top, PlayScene))
    play = app.top
    run_until(app, lambda: play.game.reps_done == 3 or isinstance(app.top, KeepGoingScene), sc.trace[-1, 0] + 5)
    assert app.top is play and play.game.reps_done == 3  # never asked while rolling
    last = play.game.t
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), 30)  # the ball lies still (the script ends)
    assert play.game.t - last >= 14.0
    app.shutdown()
