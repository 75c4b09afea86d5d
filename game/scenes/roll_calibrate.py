"""Calibrating how far the patient rolls the ball, and where the rolling games find it.

Only a ball with a motion sensor is calibrated: its gyro reports roll in its own
units, and every rolling target is a fraction of this patient's comfortable
range on it (:mod:`game.therapy.roll_calibration` has the protocol). The
keyboard and mouse roll the same fixed amount for everyone (their nominal range),
and a ball without a motion sensor rolls with them: neither is ever asked to
calibrate, and the screen says so when a person asks.

Stored per patient, hand and device; play uses the median of the last three
calibrations per axis, so one bad day does not swing the targets (as for force).
"""

from __future__ import annotations

import json
import math
import statistics
from typing import Any

from game.i18n import _
from game.therapy.exercises import BY_ID
from game.games.base import draw_arrow
from game.games.rolling import draw_ball, draw_palm_top, draw_thumb_to
from game.input import Act, Action
from game.scene import Pop, Replace, Scene, Transition
from game.scenes.calibrate import (
    LET_GO_S,
    CalibrateScene,
    CalibrationScene,
    draw_done_marks,
    draw_problem,
    draw_progress_ring,
)
from game.therapy.roll_calibration import AXES, RollCalibrationRun, RollStep
from game.therapy.roll_reps import RollRange
from game.ui import Canvas, LRect, Theme
from game.widgets import Button, ButtonGroup, ChoiceSwitch, draw_choose_hint, draw_squeeze_icon, fit_size
from hardware.sample import Sample

NOMINAL = RollRange()  # what the keyboard and mouse roll for everyone


# --------------------------------------------------------------------------- records
def stored_roll_range(store: Any, patient_id: int, hand: str, device: str | None = None) -> RollRange | None:
    """The roll range play uses: per axis the median of the last three calibrations for
    this hand on this device; the rate noise from the newest."""
    rows = store.roll_calibrations(patient_id, hand, device=device, limit=3)
    if not rows:
        return None
    bias = (0.0, 0.0)
    try:  # the gyro's rest rate from the newest calibration: a start the detector refines
        b = json.loads(rows[0]["trials"] or "{}").get("bias") or bias
        bias = (float(b[0]), float(b[1]))
    except (ValueError, TypeError, IndexError, AttributeError):
        pass  # an unreadable note costs only the head start; the detector learns the bias anyway
    return RollRange(x=statistics.median(r["range_x"] for r in rows),
                     y=statistics.median(r["range_y"] for r in rows),
                     noise_rate=rows[0]["noise_rate"], units=rows[0]["units"], bias_x=bias[0], bias_y=bias[1])


def ball_feels_rolling(ctx: Any) -> bool:
    """A real ball (calibrated per patient) whose motion sensor reports roll."""
    src = ctx.hub.source
    return bool(getattr(src, "needs_calibration", False)) and bool(src.info.has_roll)


def is_rolling(exercise: str) -> bool:
    ex = BY_ID.get(exercise)
    return ex is not None and ex.channel == "roll"


def needs_roll_calibration(ctx: Any) -> bool:
    """A ball that feels rolling, and no roll calibration for this patient's hand on it."""
    if not ball_feels_rolling(ctx):
        return False
    return stored_roll_range(ctx.store, ctx.patient_id, ctx.play.hand, ctx.hub.source.info.name) is None


def roll_range_for_play(ctx: Any, exercise: str) -> RollRange | None:
    """The range a rolling game judges strokes against: this patient's calibrated range on
    a ball that feels rolling, else None (the game's nominal range: keyboard, mouse, or a
    motion ball not calibrated yet)."""
    if not is_rolling(exercise) or not ball_feels_rolling(ctx):
        return None
    return stored_roll_range(ctx.store, ctx.patient_id, ctx.play.hand, ctx.hub.source.info.name)


def before_roll_play(ctx: Any, scene: Scene, exercise: str) -> Scene:
    """``scene`` (a rolling set), with the roll calibration first when the ball needs one.

    Asked once per run: a patient who says "not now" plays on the nominal range and is
    not asked again before every set."""
    if is_rolling(exercise) and not getattr(ctx, "roll_calibration_declined", False) and needs_roll_calibration(ctx):
        return RollCalibrateScene(then=scene, automatic=True)
    return scene


def calibrate_entry(ctx: Any) -> Scene:
    """The menu's Calibrate: squeeze strength, or a choice of strength and rolling reach when
    the device rolls (a ball without a motion sensor is never offered the roll)."""
    if ctx.hub.source.info.has_roll and not ctx.hub.roll_from_mouse:
        return CalibrateChoiceScene()
    return CalibrateScene()


# --------------------------------------------------------------------------- pictures
def draw_roll_picture(c: Canvas, center: tuple[float, float], size: float, axis: str, frac: float,
                      mirror: bool) -> None:
    """A flat hand with the ball on it, rolled ``frac`` (-1..1) of the way along ``axis``:
    forward and back is up and down the palm, side to side is across it."""
    x, y = center
    base = draw_palm_top(c, (x, y), size, mirror)
    reach = size * 0.28
    bx, by = (x + frac * reach, y + size * 0.05) if axis == "x" else (x, y + size * 0.05 - frac * reach)
    r = size * 0.15
    draw_ball(c, (bx, by), r, spin=frac * 3.0)
    sign = -1 if mirror else 1
    draw_thumb_to(c, base, (bx + sign * r * 0.7, by + r * 0.4), size * 0.13)


def draw_roll_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    """A ball with arrows both ways along it: 'roll'."""
    x, y = center
    draw_span(c, (x, y), "x", size * 0.62, Theme.SKY, max(3.0, size * 0.08))
    c.circle(Theme.NEAR, (x, y), size * 0.26)
    c.circle(Theme.DARK_TEXT, (x, y), size * 0.26, width=2)


def draw_span(c: Canvas, center: tuple[float, float], axis: str, half_len: float, color: tuple[int, int, int],
              width: float = 8) -> None:
    """A double arrow: how far the ball rolls along ``axis``."""
    x, y = center
    if half_len < 14:
        c.circle(color, center, 8)
        return
    if axis == "x":
        a, b = (x - half_len, y), (x + half_len, y)
    else:
        a, b = (x, y + half_len), (x, y - half_len)
    draw_arrow(c, center, a, color, width)
    draw_arrow(c, center, b, color, width)


# --------------------------------------------------------------------------- scenes
class CalibrateChoiceScene(Scene):
    """What the ball should learn: how strong the hand is, or how far it rolls the ball."""

    def enter(self) -> None:
        self.buttons = ButtonGroup([
            Button("strength", _("How strong"), LRect(130, 270, 320, 200), icon=draw_squeeze_icon),
            Button("roll", _("How far you roll"), LRect(480, 270, 320, 200), icon=draw_roll_icon),
            Button("back", _("Back"), LRect(830, 270, 320, 200)),
        ])
        self.switch = ChoiceSwitch(self.ctx)

    def _choose(self, chosen: str | None) -> Transition:
        if chosen == "strength":
            return Replace(CalibrateScene())
        if chosen == "roll":
            return Replace(RollCalibrateScene())
        if chosen == "back":
            return Pop()
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        return self._choose(self.buttons.handle(action))

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples):
            return self._choose(self.buttons.choose_focused())
        return None

    def update(self, dt: float) -> Transition:
        self.buttons.scan(dt, self.ctx, self.switch)
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        title = _("Calibrate: left hand") if self.ctx.play.hand == "left" else _("Calibrate: right hand")
        c.text(title, (640, 80), size=fit_size(c, title, 48, 1200, bold=True), bold=True, color=Theme.FOCUS)
        c.text(_("What should the ball learn?"), (640, 190), size=40)
        self.buttons.draw(c, size=36)
        draw_choose_hint(c, self.buttons.scanning, (640, 686), size=24)


class RollCalibrateScene(CalibrationScene):
    """Hold still, roll forward and back, roll side to side, the result; saved per hand."""

    result_step = RollStep.RESULT
    problem_step = RollStep.PROBLEM

    def __init__(self, then: Scene | None = None, *, automatic: bool = False,
                 run: RollCalibrationRun | None = None) -> None:
        self.then = then
        self.automatic = automatic
        self.run = run or RollCalibrationRun()
        self.saved_id: int | None = None
        self.t = 0.0  # scene time, for the intro picture's gentle rocking

    def enter(self) -> None:
        self.nominal = not ball_feels_rolling(self.ctx)  # keyboard / mouse: nothing to measure
        self._start_after_s: float | None = None
        self.switch = ChoiceSwitch(self.ctx)
        if self.nominal:
            self.buttons = ButtonGroup([Button("cancel", _("OK"), LRect(490, 570, 300, 100))])
        else:
            self._intro_buttons()

    def _intro_buttons(self) -> None:
        self.buttons = ButtonGroup([
            Button("start", _("Start"), LRect(370, 570, 260, 100)),
            Button("cancel", _("Not now"), LRect(650, 570, 260, 100)),
        ])

    def _result_buttons(self) -> None:
        self.buttons = ButtonGroup([
            Button("save", _("Save"), LRect(330, 582, 300, 92)),
            Button("redo", _("Again"), LRect(650, 582, 300, 92)),
        ])

    def _problem_buttons(self) -> None:
        self.buttons = ButtonGroup([
            Button("redo", _("Try again"), LRect(370, 570, 260, 100)),
            Button("cancel", _("Not now"), LRect(650, 570, 260, 100)),
        ])

    # -- flow
    def _leave(self) -> Transition:
        if self.then is not None:
            # Before a set the patient always goes on to play: without a saved range the
            # game judges strokes against its nominal range.
            if self.saved_id is None:
                self.ctx.roll_calibration_declined = True
            return Replace(self.then)
        return Pop()

    def _save(self) -> Transition:
        ctx = self.ctx
        rr = self.run.roll_range()
        device = ctx.hub.source.info.name
        self.saved_id = ctx.store.save_roll_calibration(
            ctx.patient_id, ctx.play.hand, range_x=rr.x, range_y=rr.y, noise_rate=rr.noise_rate,
            units=rr.units, device=device, trials=self.run.trials_record())
        ctx.store.log_event(None, "roll_calibrated", {"hand": ctx.play.hand, "range_x": rr.x, "range_y": rr.y,
                                                      "noise_rate": rr.noise_rate, "device": device,
                                                      "roll_calibration_id": self.saved_id})
        return self._leave()

    def _choose(self, chosen: str | None) -> Transition:
        if chosen in ("start", "redo"):
            self.run = RollCalibrationRun()
            self._start_after_s = LET_GO_S
        elif chosen == "cancel":
            return self._leave()
        elif chosen == "save":
            return self._save()
        return None

    def _has_buttons(self) -> bool:
        return self._start_after_s is None and (
            self.nominal or self.run.step in (RollStep.INTRO, RollStep.RESULT, RollStep.PROBLEM))

    def handle(self, action: Action) -> Transition:
        if self._has_buttons():
            if action.kind is Act.BACK:
                return self._leave()
            return self._choose(self.buttons.handle(action))
        if action.kind in (Act.BACK, Act.PAUSE):
            # Stop at any time: nothing is saved from a half-done calibration.
            self._start_after_s = None
            self.run = RollCalibrationRun()
            self._intro_buttons()
        return None

    def on_samples(self, samples: list[Sample]) -> Transition:
        if not self.nominal:
            self.run.feed(samples)
        # A squeeze chooses only on the screens with buttons, never while rolling.
        if self.switch.feed(samples) and self._has_buttons():
            return self._choose(self.buttons.choose_focused())
        return None

    def update(self, dt: float) -> Transition:
        self.t += dt
        return super().update(dt)

    # -- drawing (reads state only)
    @property
    def mirror(self) -> bool:
        return self.ctx.play.hand == "left"

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        title = _("Rolling reach: left hand") if self.ctx.play.hand == "left" else _("Rolling reach: right hand")
        c.text(title, (640, 56), size=fit_size(c, title, 46, 1200, bold=True), bold=True, color=Theme.FOCUS)
        r = self.run
        if self.nominal:
            self._draw_nominal(c)
        elif self._start_after_s is not None:
            draw_roll_picture(c, (640, 320), 200, "y", 0.0, self.mirror)
            c.text(_("Let go of the ball"), (640, 500), size=44, bold=True)
            c.text(_("Rest your hand on it."), (640, 550), size=30, color=Theme.TEXT_DIM)
        elif r.step is RollStep.INTRO:
            self._draw_intro(c)
        elif r.step in (RollStep.STILL, RollStep.READY, RollStep.ROLL):
            self._draw_step(c)
        elif r.step is RollStep.RESULT:
            self._draw_result(c)
        elif r.step is RollStep.PROBLEM:
            draw_problem(c, r.problem, self.buttons)
        if self._has_buttons():
            draw_choose_hint(c, self.buttons.scanning, (640, 700), size=22)

    def _draw_nominal(self, c: Canvas) -> None:
        draw_roll_picture(c, (640, 320), 200, "y", 0.0, self.mirror)
        c.paragraph(_("The keyboard and mouse roll the same amount for everyone, so there is nothing to "
                      "measure. A ball that can feel rolling learns your own reach here."),
                    (640, 450), 1000, size=30)
        self.buttons.draw(c, size=40)

    def _draw_intro(self, c: Canvas) -> None:
        if self.automatic:
            c.text(_("First, the ball learns how far you roll it."), (640, 120), size=32)
        frac = math.sin(self.t * 1.6)
        draw_roll_picture(c, (640, 350), 180, "y", frac, self.mirror)
        draw_span(c, (840, 330), "y", 70, Theme.SKY)
        draw_span(c, (440, 330), "x", 70, Theme.PURPLE)
        c.paragraph(_("Hold the ball still for 2 seconds. Then roll it forward and back, and side to side, "
                      "as far as is comfortable. Stop if it hurts."), (640, 470), 980, size=30)
        self.buttons.draw(c, size=40)

    def _draw_step(self, c: Canvas) -> None:
        r = self.run
        st = r.step
        n = r.axis_index + 1
        if st is RollStep.STILL:
            title, hint = _("Hold the ball still"), _("Hand resting on it. Do not roll yet.")
        elif st is RollStep.READY:
            title = _("Roll {n} of {total}: {direction}").format(n=n, total=len(AXES), direction=r.axis_words)
            hint = _("Start rolling when the ring turns yellow.")
        else:
            title = _("Roll it {direction}").format(direction=r.axis_words)
            hint = _("As far as is comfortable. Keep going until the ring is full.")
        c.text(title, (640, 130), size=fit_size(c, title, 46, 1200, bold=True), bold=True)
        c.text(hint, (640, 186), size=fit_size(c, hint, 30, 1200), color=Theme.TEXT_DIM)
        # Left: the hand, the ball where the roll has taken it; right: the ring and seconds left.
        axis = r.axis if st is not RollStep.STILL else "y"
        span = max(abs(r.span_lo), abs(r.span_hi), 1e-9)
        frac = max(-1.0, min(1.0, r.position / span)) if st is RollStep.ROLL else 0.0
        draw_roll_picture(c, (420, 490), 240, axis, frac, self.mirror)
        if st is not RollStep.STILL:  # which way to roll
            draw_span(c, (420 + 200, 490) if axis == "y" else (420, 650), axis, 60,
                      Theme.SKY if axis == "y" else Theme.PURPLE)
        color = Theme.FOCUS if st is RollStep.ROLL else Theme.SKY
        ring = (900, 400)
        draw_progress_ring(c, ring, 100, 16, r.progress, color)
        left = r.seconds_left
        c.text(f"{left:0.0f} s" if left >= 0.5 else "", ring, size=40, bold=True)
        if st is RollStep.ROLL:
            c.text(_("Widest so far: {n} units").format(n=f"{r.span_hi - r.span_lo:.0f}"), (900, 560), size=28)
        draw_done_marks(c, len(AXES), len(r.ranges), (860, 640))  # one mark per roll

    def _draw_result(self, c: Canvas) -> None:
        r = self.run
        c.text(_("Done. Well rolled!"), (640, 120), size=44, bold=True)
        top = max(list(r.ranges.values()) + [1e-9])
        for i, (axis, words) in enumerate(AXES):
            cx = 400 + i * 480
            box = LRect(cx - 210, 170, 420, 330)
            c.rect(Theme.PANEL, box, radius=24)
            words = _(words)
            c.text(words[:1].upper() + words[1:], (cx, 205), size=fit_size(c, words, 32, 400, bold=True), bold=True)
            value = r.ranges.get(axis, 0.0)
            # The arrows are drawn to the same scale, so the longer way looks longer.
            draw_span(c, (cx, 335), axis, 95 * value / top, Theme.SKY if axis == "y" else Theme.PURPLE)
            c.circle(Theme.NEAR, (cx, 335), 26)
            c.circle(Theme.DARK_TEXT, (cx, 335), 26, width=3)
            c.text(_("{n} units").format(n=f"{value:.0f}"), (cx, 466), size=32, bold=True)
        c.text(_("Rolling targets ask for part of this reach, never more."), (640, 526), size=28)
        c.text(_("Ball units, not a medical range of motion."), (640, 560), size=24, color=Theme.TEXT_DIM)
        self.buttons.draw(c, size=36)
