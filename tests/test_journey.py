"""The whole journey, start-up to the end of a session, with one control only.

One test uses nothing but squeezes of the ball: a scripted hand that makes real
force samples (rise, hold, release, sensor noise) and squeezes when the wanted
choice is lit by the moving frame, exactly as a person who can only squeeze
would. The other uses nothing but the Space key, posted to the pygame queue and
read by the one event router. Both go: start, pick a patient, calibrate, play a
set, rest, finish.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.loop import STEP
from game.profiles import Profiles
from game.program import ExercisePlan, SessionPlan
from game.scenes.calibrate import CalibrateScene, Step
from game.scenes.menu import MenuScene
from game.scenes.patients import PatientPickerScene, PatientProfileScene
from game.scenes.play import PlayScene
from game.scenes.rating import SETTLE_S, RatingScene
from game.scenes.rest import RestScene
from game.scenes.session import SessionScene
from game.scenes.journey import SETTLE_S as JOURNEY_SETTLE_S, JourneyScene
from game.scenes.title import TitleScene
from game.records.storage import DB_NAME, Store
from game.therapy.calibration import Calibration
from hardware.clock import Clock, ManualClock
from hardware.sample import Sample
from hardware.source import SourceInfo, SourceStatus
from hardware.traces import Squeeze, keyframe_curve

SIZE = (640, 360)  # small frames keep the test quick; layout is in logical units anyway
PLAN = SessionPlan(name="Journey", warmup=False,
                   exercises=(ExercisePlan("power_grip", sets=2, reps=2, rest_s=4.0, cue_s=3.0),))
BASELINE, STRONGEST = 50.0, 500.0


class SqueezingHand:
    """A ball squeezed by a scripted hand: 100 Hz force samples in step with the clock.

    ``squeeze()`` starts a squeeze now (a smooth rise, a hold, a release), so a test
    can squeeze at the moment it sees the wanted choice lit. Between squeezes the
    hand rests on the ball: baseline plus seeded sensor noise. Like the serial
    ball it has no calibration of its own, so the game calibrates it first.
    """

    needs_calibration = True

    def __init__(self, clock: Clock, seed: int = 0) -> None:
        self.info = SourceInfo(name="Journey ball", has_force=True, has_roll=False)
        self._clock = clock
        self._rng = np.random.default_rng(seed)
        self._squeezes: list[Squeeze] = []
        self._next_t = clock.now()
        self.squeezes_made = 0

    def squeeze(self, peak: float = 0.4 * STRONGEST, hold: float = 0.5) -> None:
        self._squeezes.append(Squeeze(self._clock.now(), peak, rise=0.35, hold=hold, release=0.6))
        self.squeezes_made += 1

    @property
    def resting(self) -> bool:
        return all(s.end < self._clock.now() - 0.3 for s in self._squeezes)

    def start(self) -> None:
        self._next_t = self._clock.now()

    def poll(self) -> list[Sample]:
        now = self._clock.now()
        if now < self._next_t:
            return []
        t = np.arange(self._next_t, now + 1e-9, 0.01)
        self._next_t = float(t[-1]) + 0.01
        force = np.full_like(t, BASELINE) + self._rng.normal(0.0, 1.5, size=t.shape)
        for s in self._squeezes:
            if s.start <= now and s.end >= t[0] - 1:
                force += keyframe_curve(t, s.keyframes())
        self._squeezes = [s for s in self._squeezes if s.end >= now - 5]
        return [Sample(float(a), float(f)) for a, f in zip(t, force)]

    @property
    def status(self) -> SourceStatus:
        return SourceStatus.CONNECTED

    @property
    def status_message(self) -> str:
        return "Journey ball: connected"

    def close(self) -> None:
        pass


def frame(app: App, n: int = 1) -> None:
    for _ in range(n):
        app.clock.advance(STEP)
        app.frame()


def run_until(app: App, cond, seconds: float = 120.0) -> None:
    for _ in range(int(seconds / STEP)):
        if cond():
            return
        frame(app)
    raise AssertionError(f"not reached in {seconds} s; on top: {type(app.top).__name__}")


def lit(app: App) -> str | None:
    """What the moving frame is on, on whatever screen is showing."""
    top = app.top
    if isinstance(top, PatientPickerScene):
        return top.patients[top.focus].name if top.patients else None
    if isinstance(top, RatingScene):
        return top.lit  # a face, or "yes"/"change" on "Pain 2. Is that right?"
    buttons = getattr(top, "buttons", None)
    return buttons.focused.id if buttons is not None and buttons.buttons else None


def ready(app: App) -> bool:
    top = app.top
    if isinstance(top, RatingScene):
        return top.shown_for >= SETTLE_S
    if isinstance(top, SessionScene):
        return top.summary is not None and top.shown_for >= 2.0
    if isinstance(top, JourneyScene):
        return top.shown_for >= JOURNEY_SETTLE_S
    return True


def patients_with(tmp_path, **settings) -> tuple[Store, int, int]:
    store = Store.in_dir(tmp_path)
    profiles = Profiles(store)
    ann = profiles.create("Ann", hand="right", settings=settings)
    bob = profiles.create("Bob", hand="left", settings=settings)
    profiles.select(ann.id)  # Ann played last: the game starts with her
    return store, ann.id, bob.id


# ------------------------------------------------------------------ ball only
def squeeze_on(app: App, hand: SqueezingHand, want: str, seconds: float = 60.0, answered=None) -> None:
    """Wait for ``want`` to be lit (and the hand rested), then squeeze; wait for the screen to answer."""
    screen = app.top
    run_until(app, lambda: lit(app) == want and ready(app) and hand.resting, seconds)
    before = (type(app.top), lit(app), len(app.stack), getattr(screen, "question", None))
    hand.squeeze()
    answered = answered or (lambda: app.top is not screen or (type(app.top), lit(app), len(app.stack),
                                                              getattr(screen, "question", None)) != before)
    run_until(app, answered, 3.0)
    frame(app, 30)  # the release


def test_the_whole_journey_with_squeezes_only(tmp_path):
    store, ann, bob = patients_with(tmp_path)
    clock = ManualClock()
    hand = SqueezingHand(clock, seed=3)
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=SIZE, sound=False), clock=clock,
              source=hand, calibration=Calibration(baseline=0.0, mvc=600.0), store=store)
    app.ctx.plan = PLAN
    assert isinstance(app.top, TitleScene) and app.ctx.patient_id == ann
    frame(app, 2)
    assert app.top.buttons.scanning  # the ball is the input: the frame walks by itself

    # Pick the patient: the "who is playing" button, Bob's tile, then Done.
    squeeze_on(app, hand, "who")
    assert isinstance(app.top, PatientPickerScene)
    squeeze_on(app, hand, "Bob")
    assert isinstance(app.top, PatientProfileScene) and app.ctx.patient_id == bob
    assert app.ctx.play.hand == "left"  # Bob trains his left hand: pictures and demos mirror
    squeeze_on(app, hand, "done")
    assert isinstance(app.top, TitleScene)
    app.ctx.plan = PLAN  # (Bob has no level file: keep the short test program)

    # Start: Bob has never calibrated this ball, so calibration comes first.
    squeeze_on(app, hand, "start")
    assert isinstance(app.top, CalibrateScene)
    cal = app.top
    squeeze_on(app, hand, "start", answered=lambda: cal.run.step is not Step.INTRO)
    for _ in range(3):
        run_until(app, lambda: cal.run.step is Step.SQUEEZE, 20)
        hand.squeeze(STRONGEST, hold=3.0)  # as hard as is comfortable
        run_until(app, lambda: cal.run.step is not Step.SQUEEZE, 10)
    run_until(app, lambda: cal.run.step is Step.RESULT, 20)
    assert cal.run.mvc == pytest.approx(STRONGEST, rel=0.05)
    squeeze_on(app, hand, "save")

    # The session: rating before, set 1, rest, set 2, rating after, summary.
    session = app.stack[1]
    assert isinstance(session, SessionScene)
    run_until(app, lambda: isinstance(app.top, RatingScene), 5)
    squeeze_on(app, hand, "1")  # pain 1
    squeeze_on(app, hand, "yes")  # confirmed
    squeeze_on(app, hand, "2")  # tiredness 2
    squeeze_on(app, hand, "yes")  # confirmed
    rested = False
    while not isinstance(app.top, RatingScene):
        if isinstance(app.top, PlayScene) and hand.resting:
            hand.squeeze(0.35 * STRONGEST, hold=1.0)  # a good squeeze, a little above the 20% target
        rested |= isinstance(app.top, RestScene)
        assert app.clock.now() < 400, "the session did not end"
        frame(app, 60)
    assert rested
    squeeze_on(app, hand, "0")
    squeeze_on(app, hand, "yes")  # confirmed
    squeeze_on(app, hand, "3")
    squeeze_on(app, hand, "yes")  # confirmed
    run_until(app, lambda: session.summary is not None, 5)
    squeeze_on(app, hand, "done")
    assert isinstance(app.top, JourneyScene) and app.top.brief  # the journey map, shown after a session
    squeeze_on(app, hand, "back")  # the ball alone leaves it
    assert isinstance(app.top, TitleScene)
    app.shutdown()

    db = sqlite3.connect(tmp_path / DB_NAME)
    db.row_factory = sqlite3.Row
    (sess,) = db.execute("SELECT * FROM sessions").fetchall()
    assert sess["patient_id"] == bob and sess["end_reason"] == "completed"
    assert (sess["pain_before"], sess["fatigue_before"], sess["pain_after"], sess["fatigue_after"]) == (1, 2, 0, 3)
    reps = db.execute("SELECT set_number, hand FROM reps ORDER BY id").fetchall()
    assert [r["set_number"] for r in reps] == [1, 1, 2, 2] and {r["hand"] for r in reps} == {"left"}
    (c,) = db.execute("SELECT patient_id, hand, mvc FROM calibrations").fetchall()
    assert (c["patient_id"], c["hand"]) == (bob, "left") and c["mvc"] == pytest.approx(STRONGEST, rel=0.05)


# ------------------------------------------------------------------ one key
class OneKey:
    """Only the Space key, through the real event queue and router."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.presses = 0

    def press(self, hold_s: float = 0.1) -> None:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0))
        frame(self.app)
        frame(self.app, max(1, round(hold_s / STEP)))
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_SPACE, mod=0))
        frame(self.app)
        self.presses += 1

    def on(self, want: str, seconds: float = 60.0) -> None:
        run_until(self.app, lambda: lit(self.app) == want and ready(self.app), seconds)
        self.press()
        frame(self.app, 20)


def test_the_whole_journey_with_the_space_key_only(tmp_path):
    # A one-switch user: the therapist turned the moving frame on for them (patients set NAME scan=on).
    store, ann, bob = patients_with(tmp_path, scan="on")
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=SIZE, sound=False, input="keyboard"),
              clock=ManualClock(), store=store)
    app.ctx.plan = PLAN
    key = OneKey(app)
    frame(app, 2)
    assert app.top.buttons.scanning

    key.on("who")
    key.on("Bob")
    assert isinstance(app.top, PatientProfileScene) and app.ctx.patient_id == bob
    key.on("done")
    assert isinstance(app.top, TitleScene)
    app.ctx.plan = PLAN

    # Calibrate from the exercise menu (the keyboard stand-in needs no calibration to play).
    key.on("free")
    assert isinstance(app.top, MenuScene)
    key.on("calibrate")
    if type(app.top).__name__ == "CalibrateChoiceScene":  # strength or rolling: strength
        key.on("strength")
    cal = app.top
    assert isinstance(cal, CalibrateScene)
    key.on("start")
    for _ in range(3):
        run_until(app, lambda: cal.run.step is Step.SQUEEZE, 20)
        key.press(hold_s=3.0)  # holding Space is the keyboard's squeeze
    run_until(app, lambda: cal.run.step is Step.RESULT, 20)
    key.on("save")
    assert isinstance(app.top, MenuScene)
    key.on("back")
    assert isinstance(app.top, TitleScene)

    key.on("start")
    session = app.stack[1]
    assert isinstance(session, SessionScene)
    key.on("1")
    key.on("yes")  # confirmed
    key.on("2")
    key.on("yes")  # confirmed
    rested = False
    while not isinstance(app.top, RatingScene):
        if isinstance(app.top, PlayScene):
            key.press(hold_s=1.0)
            frame(app, 90)
        else:
            rested |= isinstance(app.top, RestScene)
            frame(app, 30)
        assert app.clock.now() < 400, "the session did not end"
    assert rested
    key.on("0")
    key.on("yes")  # confirmed
    key.on("3")
    key.on("yes")  # confirmed
    run_until(app, lambda: session.summary is not None, 5)
    key.on("done")
    assert isinstance(app.top, JourneyScene)  # the journey map, shown after a session
    key.on("back")
    assert isinstance(app.top, TitleScene)
    app.shutdown()

    db = sqlite3.connect(tmp_path / DB_NAME)
    db.row_factory = sqlite3.Row
    (sess,) = [r for r in db.execute("SELECT * FROM sessions").fetchall() if r["end_reason"] == "completed"]
    assert sess["patient_id"] == bob
    assert (sess["pain_before"], sess["fatigue_before"], sess["pain_after"], sess["fatigue_after"]) == (1, 2, 0, 3)
    reps = db.execute("SELECT set_number FROM reps WHERE session_id=?", (sess["id"],)).fetchall()
    assert [r["set_number"] for r in reps] == [1, 1, 2, 2]
    (c,) = db.execute("SELECT patient_id, hand FROM calibrations").fetchall()
    assert (c["patient_id"], c["hand"]) == (bob, "left")
