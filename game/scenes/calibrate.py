"""Calibrating a patient's hand on the ball (see shared CLINICAL.md).

3 s at rest give the baseline and its noise; then three maximal squeezes of 4 s
with rest between; MVC is the highest 250 ms moving average above the rest
level, the best of the three trials. Targets use the median MVC of the last
three calibrations for this hand and device, so one bad day does not swing
them. Optionally a known weight laid on the ball turns device units into kg.

The steps and their arithmetic live in :class:`CalibrationRun` (plain Python,
no display); :class:`CalibrateScene` only shows them and passes samples in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from game.i18n import _
from game.input import Act, Action
from game.scene import Pop, Replace, Scene, Transition
from game.therapy.calibration import Calibration, moving_average_max, rest_stats, target_mvc
from game.ui import Canvas, LRect, Theme, draw_hand, draw_tick
from game.widgets import Button, ButtonGroup, ChoiceSwitch, draw_choose_hint, fit_size
from hardware.sample import Sample

REST_S = 3.0
READY_S = 2.0
SQUEEZE_S = 4.0  # CLINICAL.md: maximal squeezes of 3-5 s
RELAX_S = 5.0
TRIALS = 3
WEIGH_S = 3.0
G = 9.80665
LET_GO_S = 0.6  # the hand rests this long after choosing Start before the rest is measured
WEIGHTS_KG = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0)


class Step(Enum):
    INTRO = "intro"
    REST = "rest"
    READY = "ready"
    SQUEEZE = "squeeze"
    RELAX = "relax"
    RESULT = "result"
    WEIGH_INTRO = "weigh_intro"
    WEIGH = "weigh"
    PROBLEM = "problem"


@dataclass
class CalibrationRun:
    """The calibration protocol as a state machine fed with samples and time."""

    rest_s: float = REST_S
    ready_s: float = READY_S
    squeeze_s: float = SQUEEZE_S
    relax_s: float = RELAX_S
    trials_wanted: int = TRIALS
    step: Step = Step.INTRO
    elapsed: float = 0.0
    rest: list[float] = field(default_factory=list)
    trial_samples: list[tuple[float, float]] = field(default_factory=list)
    trials: list[float] = field(default_factory=list)  # device-unit peaks (250 ms), above nothing yet
    baseline: float | None = None
    noise_sd: float = 0.0
    problem: str = ""
    weigh: list[float] = field(default_factory=list)
    weight_kg: float = 2.0
    scale_kg_per_unit: float | None = None
    last_force: float | None = None

    # -- driving
    def begin(self) -> None:
        self._go(Step.REST)
        self.rest.clear()
        self.trials.clear()
        self.baseline = None

    def _go(self, step: Step) -> None:
        self.step = step
        self.elapsed = 0.0

    def feed(self, samples: list[Sample]) -> None:
        for s in samples:
            self.last_force = s.force
            if self.step is Step.REST:
                self.rest.append(s.force)
            elif self.step is Step.SQUEEZE:
                self.trial_samples.append((s.t, s.force))
            elif self.step is Step.WEIGH:
                self.weigh.append(s.force)

    def update(self, dt: float) -> None:
        self.elapsed += dt
        st = self.step
        if st is Step.REST and self.elapsed >= self.rest_s:
            if len(self.rest) < 10:
                return self._fail(_("No readings from the ball during the rest. Check the cable and try again."))
            self.baseline, self.noise_sd = rest_stats(self.rest)
            self._go(Step.READY)
        elif st is Step.READY and self.elapsed >= self.ready_s:
            self.trial_samples = []
            self._go(Step.SQUEEZE)
        elif st is Step.SQUEEZE and self.elapsed >= self.squeeze_s:
            self._end_trial()
        elif st is Step.RELAX and self.elapsed >= self.relax_s:
            self._go(Step.READY)
        elif st is Step.WEIGH and self.elapsed >= WEIGH_S:
            self._end_weigh()

    def _end_trial(self) -> None:
        if len(self.trial_samples) < 10:
            return self._fail(_("No readings from the ball during the squeeze. Check the cable and try again."))
        t = np.array([p[0] for p in self.trial_samples])
        f = np.array([p[1] for p in self.trial_samples])
        self.trials.append(moving_average_max(t, f))
        if len(self.trials) >= self.trials_wanted:
            self._finish()
        else:
            self._go(Step.RELAX)

    def _finish(self) -> None:
        assert self.baseline is not None
        mvc = max(self.trials) - self.baseline
        # A squeeze must stand clear of the rest noise, or there is nothing to scale targets to.
        floor = max(6.0 * self.noise_sd, 1.0)
        if mvc < floor:
            return self._fail(_(
                "We could not measure a squeeze yet. That is fine: try again, or ask your therapist "
                "about exercises without squeezing."))
        if 3.0 * self.noise_sd > 0.15 * mvc:
            return self._fail(_("The hand moved during the rest. Let it lie still on the ball, then we start again."))
        self._go(Step.RESULT)

    def _fail(self, message: str) -> None:
        self.problem = message
        self._go(Step.PROBLEM)

    def start_weighing(self, weight_kg: float) -> None:
        self.weight_kg = weight_kg
        self.weigh = []
        self._go(Step.WEIGH)

    def _end_weigh(self) -> None:
        assert self.baseline is not None
        if len(self.weigh) < 10:
            self.problem = _("No readings while weighing. Check the cable.")
            self._go(Step.RESULT)
            return
        load = float(np.median(self.weigh)) - self.baseline
        if load <= max(3.0 * self.noise_sd, 1e-9):
            self.problem = _("The weight did not change the reading. Put it on the ball and try again.")
            self._go(Step.RESULT)
            return
        self.problem = ""
        self.scale_kg_per_unit = self.weight_kg / load
        self._go(Step.RESULT)

    # -- results
    @property
    def mvc(self) -> float | None:
        if self.baseline is None or not self.trials:
            return None
        return max(self.trials) - self.baseline

    def trial_mvcs(self) -> list[float]:
        return [p - (self.baseline or 0.0) for p in self.trials]

    def calibration(self) -> Calibration:
        assert self.baseline is not None and self.mvc is not None
        return Calibration(baseline=self.baseline, mvc=self.mvc, noise_sd=self.noise_sd)

    def trials_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {"mvc_trials": self.trial_mvcs(), "rest_samples": len(self.rest),
                               "protocol": {"rest_s": self.rest_s, "squeeze_s": self.squeeze_s,
                                            "trials": self.trials_wanted, "mvc_window_s": 0.25}}
        if self.scale_kg_per_unit is not None:
            rec["known_weight_kg"] = self.weight_kg
        return rec

    @property
    def progress(self) -> float:
        dur = {Step.REST: self.rest_s, Step.READY: self.ready_s, Step.SQUEEZE: self.squeeze_s,
               Step.RELAX: self.relax_s, Step.WEIGH: WEIGH_S}.get(self.step)
        return min(1.0, self.elapsed / dur) if dur else 0.0


# --------------------------------------------------------------------------- records
def stored_calibration(store: Any, patient_id: int, hand: str, device: str | None = None) -> Calibration | None:
    """The calibration play uses: baseline and noise from the newest calibration for
    this hand (and device), MVC the median of the last three (CLINICAL.md)."""
    rows = [r for r in store.calibrations(patient_id, hand, limit=12) if device is None or r["device"] == device]
    if not rows:
        return None
    latest = rows[0]
    mvc = target_mvc([r["mvc"] for r in reversed(rows[:3])])
    return Calibration(baseline=latest["baseline"], mvc=mvc, noise_sd=latest["noise_sd"])


def needs_calibration(ctx: Any) -> bool:
    """A real sensor with no calibration for this patient's hand on this device."""
    src = ctx.hub.source
    if not getattr(src, "needs_calibration", False):
        return False
    return stored_calibration(ctx.store, ctx.patient_id, ctx.play.hand, src.info.name) is None


def apply_stored_calibration(ctx: Any) -> bool:
    """At start-up: use this patient's stored calibration for a real sensor, if any."""
    src = ctx.hub.source
    if not getattr(src, "needs_calibration", False):
        return False
    cal = stored_calibration(ctx.store, ctx.patient_id, ctx.play.hand, src.info.name)
    if cal is None:
        return False
    ctx.calibration = cal
    tell_ball_its_range(ctx)
    return True


def tell_ball_its_range(ctx: Any) -> None:
    """A calibrated full squeeze is a reading the ball can make: a serial ball's plausible range
    (learnt from its first readings) must hold it, so none of it is refused as a glitch."""
    expect = getattr(ctx.hub.source, "expect_force", None)
    if expect is not None:
        expect(ctx.calibration.baseline, ctx.calibration.to_device(100.0))


def before_play(ctx: Any, scene: Scene) -> Scene:
    """The scene to show for ``scene``: calibration first when the ball has none for this hand
    (and, before a rolling exercise on a ball that feels rolling, its roll range too)."""
    exercise = getattr(scene, "exercise", None)
    if isinstance(exercise, str):
        from game.scenes.roll_calibrate import before_roll_play

        from game.scenes.game_choice import with_game_choice

        scene = before_roll_play(ctx, with_game_choice(ctx, scene), exercise)
    return CalibrateScene(then=scene, automatic=True) if needs_calibration(ctx) else scene


# --------------------------------------------------------------------------- shared by both calibrations
class CalibrationScene(Scene):
    """What the strength and the rolling-reach calibrations share: after Start (or Again)
    the run begins only once the hand has let go; the buttons scan while they are shown;
    the result and problem screens get their own buttons when the run reaches them."""

    run: Any  # a CalibrationRun or RollCalibrationRun: begin(), update(dt), step
    buttons: ButtonGroup
    switch: ChoiceSwitch
    _start_after_s: float | None  # waiting for the hand to let go before the run begins
    result_step: Enum
    problem_step: Enum

    def _has_buttons(self) -> bool:
        raise NotImplementedError

    def _result_buttons(self) -> None:
        raise NotImplementedError

    def _problem_buttons(self) -> None:
        raise NotImplementedError

    def update(self, dt: float) -> Transition:
        if self._start_after_s is not None:
            released = self.switch.level_pct < self.switch.release_pct
            self._start_after_s = self._start_after_s - dt if released else LET_GO_S
            if self._start_after_s <= 0:
                self._start_after_s = None
                self.run.begin()
            return None
        if self._has_buttons():
            self.buttons.scan(dt, self.ctx, self.switch)
        before = self.run.step
        self.run.update(dt)
        after = self.run.step
        if after is not before:
            if after is self.result_step:
                self._result_buttons()
            elif after is self.problem_step:
                self._problem_buttons()
        return None


def draw_problem(c: Canvas, message: str, buttons: ButtonGroup) -> None:
    """A calibration that could not measure: what went wrong, and the way on."""
    c.circle(Theme.NEAR, (640, 220), 60)
    c.text("!", (640, 220), size=80, bold=True, color=Theme.DARK_TEXT)
    c.paragraph(message, (640, 320), 900, size=34)
    buttons.draw(c, size=40)


def draw_progress_ring(c: Canvas, center: tuple[float, float], radius: float, width: float, frac: float,
                       color: tuple[int, int, int]) -> None:
    """A ring that fills clockwise from the top as a timed step goes by."""
    c.circle(Theme.PANEL, center, radius, width=width)
    if frac > 0:
        c.arc(color, (center[0] - radius, center[1] - radius, 2 * radius, 2 * radius),
              math.pi / 2 - 2 * math.pi * frac, math.pi / 2, width)


def draw_done_marks(c: Canvas, total: int, done: int, first: tuple[float, float]) -> None:
    """One mark per trial in a row from ``first``, with a tick once measured."""
    for i in range(total):
        p = (first[0] + i * 80, first[1])
        c.circle(Theme.SUCCESS if i < done else Theme.PANEL_HI, p, 22)
        if i < done:
            draw_tick(c, p, 26, Theme.DARK_TEXT)  # drawn: the font has no check-mark glyph


# --------------------------------------------------------------------------- scene
CENTER = (640, 360)


class CalibrateScene(CalibrationScene):
    """Rest, three strong squeezes, the result; optionally a known weight."""

    result_step = Step.RESULT
    problem_step = Step.PROBLEM

    def __init__(self, then: Scene | None = None, *, automatic: bool = False, run: CalibrationRun | None = None) -> None:
        self.then = then
        self.automatic = automatic
        self.run = run or CalibrationRun()
        self.saved_id: int | None = None
        self.weight_index = 2

    def enter(self) -> None:
        self._intro_buttons()
        self._start_after_s: float | None = None  # waiting for the hand to let go before the rest
        self.switch = ChoiceSwitch(self.ctx)  # the buttons answer a squeeze too (ball-only use)

    def _has_buttons(self) -> bool:
        return self._start_after_s is None and self.run.step in (Step.INTRO, Step.RESULT, Step.PROBLEM)

    def _intro_buttons(self) -> None:
        self.buttons = ButtonGroup([
            Button("start", _("Start"), LRect(370, 560, 260, 100)),
            Button("cancel", _("Not now"), LRect(650, 560, 260, 100)),
        ])

    def _result_buttons(self) -> None:
        self.buttons = ButtonGroup([
            Button("save", _("Save"), LRect(150, 580, 300, 100)),
            # Weighing needs a known weight and the arrow keys: staff only, the moving frame skips it.
            Button("weigh", _("Weigh (kg)"), LRect(490, 580, 300, 100), scan=False),
            Button("redo", _("Again"), LRect(830, 580, 300, 100)),
        ])

    def _problem_buttons(self) -> None:
        self.buttons = ButtonGroup([
            Button("redo", _("Try again"), LRect(370, 560, 260, 100)),
            Button("cancel", _("Not now"), LRect(650, 560, 260, 100)),
        ])

    # -- flow
    def _leave(self) -> Transition:
        if self.then is not None and self.saved_id is not None:
            return Replace(self.then)
        return Pop()

    def _save(self) -> Transition:
        ctx = self.ctx
        run = self.run
        cal = run.calibration()
        scale = run.scale_kg_per_unit
        device = ctx.hub.source.info.name
        self.saved_id = ctx.store.save_calibration(
            ctx.patient_id, ctx.play.hand, baseline=cal.baseline, mvc=cal.mvc, noise_sd=cal.noise_sd,
            units="kg" if scale is not None else "device units", scale=scale, device=device,
            trials=run.trials_record())
        ctx.calibration = stored_calibration(ctx.store, ctx.patient_id, ctx.play.hand, device) or cal
        tell_ball_its_range(ctx)
        ctx.store.log_event(None, "calibrated", {"hand": ctx.play.hand, "mvc": cal.mvc, "baseline": cal.baseline,
                                                 "device": device, "calibration_id": self.saved_id})
        return self._leave()

    def _choose(self, chosen: str | None) -> Transition:
        if chosen == "start" or chosen == "redo":
            # The rest is measured once the hand has let go of the squeeze (or key) that chose Start.
            self.run = CalibrationRun()
            self._start_after_s = LET_GO_S
        elif chosen == "cancel":
            return Pop()
        elif chosen == "save":
            return self._save()
        elif chosen == "weigh":
            self.run.step = Step.WEIGH_INTRO
        return None

    def handle(self, action: Action) -> Transition:
        st = self.run.step
        if self._start_after_s is not None:  # waiting for the hand to let go: only Esc (stop) counts
            if action.kind in (Act.BACK, Act.PAUSE):
                self._start_after_s = None
                self._intro_buttons()
            return None
        if st in (Step.INTRO, Step.RESULT, Step.PROBLEM):
            if action.kind is Act.BACK:
                return Pop()
            return self._choose(self.buttons.handle(action))
        if st is Step.WEIGH_INTRO:
            if action.kind is Act.LEFT:
                self.weight_index = max(0, self.weight_index - 1)
            elif action.kind is Act.RIGHT:
                self.weight_index = min(len(WEIGHTS_KG) - 1, self.weight_index + 1)
            elif action.kind in (Act.CONFIRM, Act.CLICK):
                self.run.start_weighing(WEIGHTS_KG[self.weight_index])
            elif action.kind is Act.BACK:
                self.run.step = Step.RESULT
            return None
        if action.kind in (Act.BACK, Act.PAUSE):
            # Stop at any time: nothing is saved from a half-done calibration.
            self.run = CalibrationRun()
            self._intro_buttons()
        return None

    def on_samples(self, samples: list[Sample]) -> Transition:
        self.run.feed(samples)
        # A squeeze chooses only on the screens with buttons (not the calibration squeezes themselves).
        if self.switch.feed(samples) and self._has_buttons():
            return self._choose(self.buttons.choose_focused())
        return None

    # -- drawing (reads state only)
    def _live_pct(self) -> float:
        r = self.run
        if r.last_force is None or r.baseline is None:
            return 0.0
        best = max([p - r.baseline for p in r.trials] + [1.0])
        above = r.last_force - r.baseline
        if r.step is Step.SQUEEZE and not r.trials:
            best = max(best, above, 1.0)
        return max(0.0, above / best)

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        r = self.run
        hand = self.ctx.play.hand
        title = _("Calibrate: left hand") if hand == "left" else _("Calibrate: right hand")
        c.text(title, (640, 60), size=fit_size(c, title, 48, 1200, bold=True), bold=True, color=Theme.FOCUS)
        st = r.step
        if self._start_after_s is not None:
            draw_hand(c, (640, 300), 100, 0.0)
            c.text(_("Let go of the ball"), (640, 450), size=44, bold=True)
            c.text(_("Rest your hand on it. Do not squeeze."), (640, 510), size=30, color=Theme.TEXT_DIM)
        elif st is Step.INTRO:
            if self.automatic:
                first = _("First, the ball learns how strong your hand is.")
                c.text(first, (640, 140), size=fit_size(c, first, 32, 1200))
            draw_hand(c, (640, 300), 100, 0.2)
            c.paragraph(_("Rest your hand on the ball for 3 seconds. Then squeeze as hard as you comfortably can, "
                          "three times. Stop if it hurts."), (640, 410), 900, size=30)
            self.buttons.draw(c, size=40)
            draw_choose_hint(c, self.buttons.scanning, (640, 694), size=24)
        elif st in (Step.REST, Step.READY, Step.SQUEEZE, Step.RELAX):
            self._draw_step(c)
        elif st is Step.RESULT:
            self._draw_result(c)
        elif st is Step.WEIGH_INTRO:
            c.paragraph(_("Put a known weight on the ball, resting on a table. Choose the weight with the arrow keys, "
                          "then press Space."), (640, 150), 900, size=32)
            w = WEIGHTS_KG[self.weight_index]
            c.rect(Theme.PANEL_HI, LRect(440, 330, 400, 140), radius=20)
            c.rect(Theme.FOCUS, LRect(434, 324, 412, 152), radius=24, width=6)
            c.text(_("< {weight} kg >").format(weight=f"{w:g}"), (640, 400), size=64, bold=True)
            c.text(_("Esc to go back"), (640, 640), size=26, color=Theme.TEXT_DIM)
        elif st is Step.WEIGH:
            c.text(_("Weighing: keep the weight still"), (640, 200), size=44, bold=True)
            self._ring(c, r.progress, Theme.SKY)
        elif st is Step.PROBLEM:
            draw_problem(c, r.problem, self.buttons)

    def _ring(self, c: Canvas, frac: float, color: tuple[int, int, int]) -> None:
        draw_progress_ring(c, CENTER, 110, 18, frac, color)

    def _draw_step(self, c: Canvas) -> None:
        r = self.run
        st = r.step
        n = len(r.trials) + (1 if st in (Step.READY, Step.SQUEEZE) else 0)
        words = {
            Step.REST: (_("Rest your hand on the ball"), _("Do not squeeze. Just rest."), Theme.SKY, 0.15),
            Step.READY: (_("Squeeze {n} of {total}: get ready").format(n=n, total=r.trials_wanted),
                         _("Squeeze hard when the ring turns yellow."), Theme.SKY, 0.2),
            Step.SQUEEZE: (_("Squeeze! Hard as you can"), _("Keep squeezing until the ring is full."), Theme.FOCUS, 0.9),
            Step.RELAX: (_("Relax. Open your hand"), _("Rest before the next squeeze."), Theme.SUCCESS, 0.0),
        }[st]
        title, hint, color, closed = words
        c.text(title, (640, 140), size=fit_size(c, title, 48, 1200, bold=True), bold=True)
        c.text(hint, (640, 200), size=fit_size(c, hint, 30, 1200), color=Theme.TEXT_DIM)
        self._ring(c, r.progress, color)
        draw_hand(c, CENTER, 70, closed)
        left = max(0.0, {Step.REST: r.rest_s, Step.READY: r.ready_s, Step.SQUEEZE: r.squeeze_s,
                         Step.RELAX: r.relax_s}[st] - r.elapsed)
        c.text(f"{left:0.0f} s" if left >= 0.5 else "", (640, 510), size=40, bold=True)
        # live force bar: relative to the best squeeze so far
        if r.baseline is not None:
            bar = LRect(340, 570, 600, 44)
            c.rect(Theme.PANEL, bar, radius=12)
            frac = min(1.0, self._live_pct())
            if frac > 0:
                c.rect(color, LRect(bar.x, bar.y, bar.w * frac, bar.h), radius=12)
            c.text(_("force"), (bar.x - 20, bar.y + bar.h / 2), size=fit_size(c, _("force"), 26, 300),
                   color=Theme.TEXT_DIM, anchor="midright")
        draw_done_marks(c, r.trials_wanted, len(r.trials), (560, 660))

    def _draw_result(self, c: Canvas) -> None:
        r = self.run
        mvc = r.mvc or 0.0
        c.text(_("Done. Well squeezed!"), (640, 130), size=44, bold=True)
        trials = r.trial_mvcs()
        top = max(trials + [1.0])
        for i, v in enumerate(trials):
            y = 200 + i * 70
            label = _("Squeeze {n}").format(n=i + 1)
            c.text(label, (300, y + 22), size=fit_size(c, label, 28, 280), anchor="midright")
            c.rect(Theme.PANEL, LRect(320, y, 600, 44), radius=10)
            best = v == max(trials)
            c.rect(Theme.FOCUS if best else Theme.SKY, LRect(320, y, 600 * max(0.0, v) / top, 44), radius=10)
            c.text(self._amount(v), (940, y + 22), size=28, anchor="midleft", bold=best)
        c.text(_("Strongest squeeze: {amount}").format(amount=self._amount(mvc)), (640, 430), size=34, bold=True)
        note = (_("Measured with a known weight.") if r.scale_kg_per_unit is not None
                else _("Ball units, not a medical grip reading."))
        c.text(note, (640, 480), size=26, color=Theme.TEXT_DIM)
        if r.problem:
            c.text(r.problem, (640, 530), size=26, color=Theme.NEAR)
        else:
            c.text(_("Targets use the middle of your last 3 calibrations."), (640, 530), size=26, color=Theme.TEXT_DIM)
        self.buttons.draw(c, size=36)

    def _amount(self, device_units: float) -> str:
        s = self.run.scale_kg_per_unit
        if s is None:
            return _("{n} units").format(n=f"{device_units:.0f}")
        kg = device_units * s
        return f"{kg:.1f} kg ({kg * G:.0f} N)"
