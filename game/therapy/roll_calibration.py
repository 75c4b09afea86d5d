"""Measuring how far a patient comfortably rolls the ball (the rolling exercises' range).

Every rolling target is a fraction of this range (see :mod:`game.therapy.roll_reps`),
so a thumb that rolls the ball a little plays as fully as one that rolls it far.
The protocol, per patient and hand, on a ball with a motion sensor:

1. **still** (2 s): the hand rests on the ball without moving it. The gyro's rest
   rate is its bias (subtracted from everything after, or it would integrate into a
   false roll) and its spread is the rate noise the detector's dead-band uses;
2. **forward and back** (8 s): roll the ball forward and back, as far as is
   comfortable, on the y axis (thumb bend and stretch, table roll);
3. **side to side** (8 s): the same on the x axis (thumb side to side).

A short "get ready" comes before each roll. Each axis's range is
:func:`~game.therapy.roll_reps.estimate_roll_range` over its own 8 s (overlapping
6 s windows, the median of the bigger spans: a few good strokes, not one lucky
fling; long enough windows for a slow paretic stroke out and back). The thumb
circles use the mean of the two.

Plain logic fed with samples and time, like :class:`~game.scenes.calibrate.CalibrationRun`;
the scene only shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from game.i18n import N_, _
from game.therapy.filters import LowPass2
from game.therapy.roll_reps import RollRange, RollRepSettings, estimate_roll_range
from hardware.sample import Sample

STILL_S = 2.0
READY_S = 2.0
ROLL_S = 8.0
WINDOW_S = 6.0  # a slow stroke out and back fits in one window
HOP_S = 0.5
MIN_SAMPLES = 10
# A range must stand clear of the rest noise: the detector ignores rates inside a few
# noise SDs, so a roll smaller than the noise rate kept up for this long could never
# be seen as a movement. (A design choice; the absolute floor is just "not nothing".)
NOISE_SPAN_S = 4.0
MIN_RANGE = 1.0  # device units
# A still hand's steady rate above this is a ball being rolled, not a gyro bias.
MAX_BIAS = 30.0  # device units per second
# The roll axes in the order they are measured, with the words the patient sees.
AXES: tuple[tuple[str, str], ...] = (("y", N_("forward and back")), ("x", N_("side to side")))  # translated where shown


def _filtered_sd(t: np.ndarray, rates: np.ndarray) -> float:
    """The rest noise of the rates as the rep detector sees them: through its own low-pass
    (sensor noise and 6-12 Hz tremor mostly filtered out), mean SD of the two axes. The
    detector's dead-band is a few of these, so a raw SD would hide slow, small strokes."""
    cutoff = RollRepSettings().detect_cutoff_hz
    sds = []
    for col in range(rates.shape[1]):
        lp = LowPass2(cutoff)
        lp.reset(float(rates[0, col]))
        out = [lp.value]
        for i in range(1, len(t)):
            dt = t[i] - t[i - 1]
            out.append(lp.step(float(rates[i, col]), dt) if dt > 0 else lp.value)
        # The filter's first ~0.2 s settle from the first reading; judge the rest.
        settled = np.asarray(out)[t >= t[0] + 0.25]
        sds.append(float(settled.std()) if len(settled) > 2 else float(rates[:, col].std()))
    return float(np.mean(sds))


class RollStep(Enum):
    INTRO = "intro"
    STILL = "still"
    READY = "ready"
    ROLL = "roll"
    RESULT = "result"
    PROBLEM = "problem"


@dataclass
class RollCalibrationRun:
    """The roll-range protocol as a state machine fed with samples and time."""

    still_s: float = STILL_S
    ready_s: float = READY_S
    roll_s: float = ROLL_S
    window_s: float = WINDOW_S
    step: RollStep = RollStep.INTRO
    elapsed: float = 0.0
    axis_index: int = 0  # which of AXES is being measured (READY and ROLL)
    still: list[tuple[float, float, float]] = field(default_factory=list)  # (t, roll_x, roll_y) rates at rest
    bias: tuple[float, float] = (0.0, 0.0)
    noise_rate: float = 0.0
    recording: list[tuple[float, float, float]] = field(default_factory=list)  # (t, roll_x, roll_y)
    ranges: dict[str, float] = field(default_factory=dict)  # axis -> device units
    problem: str = ""
    # Where the ball is on the axis being rolled, from the start of the roll (for the live picture).
    position: float = 0.0
    span_lo: float = 0.0
    span_hi: float = 0.0
    _last_t: float | None = None

    # -- driving
    def begin(self) -> None:
        self.still.clear()
        self.ranges.clear()
        self.recording.clear()
        self.axis_index = 0
        self.problem = ""
        self._go(RollStep.STILL)

    def _go(self, step: RollStep) -> None:
        self.step = step
        self.elapsed = 0.0

    @property
    def axis(self) -> str:
        return AXES[min(self.axis_index, len(AXES) - 1)][0]

    @property
    def axis_words(self) -> str:
        return _(AXES[min(self.axis_index, len(AXES) - 1)][1])

    def feed(self, samples: list[Sample]) -> None:
        for s in samples:
            if not (np.isfinite(s.t) and np.isfinite(s.roll_x) and np.isfinite(s.roll_y)):
                continue  # a broken reading is dropped, as everywhere else
            if self.step is RollStep.STILL:
                self.still.append((s.t, s.roll_x, s.roll_y))
            elif self.step is RollStep.ROLL:
                self.recording.append((s.t, s.roll_x, s.roll_y))
                self._track(s)
            self._last_t = s.t

    def _track(self, s: Sample) -> None:
        """The live position along the axis being rolled (bias removed), for drawing."""
        if len(self.recording) < 2:
            return
        dt = s.t - self.recording[-2][0]
        if not 0 < dt < 0.5:
            return
        i = 0 if self.axis == "x" else 1
        rate = (s.roll_x, s.roll_y)[i] - self.bias[i]
        self.position += rate * dt
        self.span_lo = min(self.span_lo, self.position)
        self.span_hi = max(self.span_hi, self.position)

    def update(self, dt: float) -> None:
        self.elapsed += dt
        st = self.step
        if st is RollStep.STILL and self.elapsed >= self.still_s:
            self._end_still()
        elif st is RollStep.READY and self.elapsed >= self.ready_s:
            self.recording = []
            self.position = self.span_lo = self.span_hi = 0.0
            self._go(RollStep.ROLL)
        elif st is RollStep.ROLL and self.elapsed >= self.roll_s:
            self._end_roll()

    def _end_still(self) -> None:
        if len(self.still) < MIN_SAMPLES:
            return self._fail(_("No readings from the ball. Check the cable and try again."))
        rec = np.asarray(self.still, dtype=float)
        rates = rec[:, 1:3]
        bias = rates.mean(axis=0)
        if np.any(np.abs(bias) > MAX_BIAS):
            return self._fail(_("The ball moved while it should be still. Rest your hand on it, "
                                "keep it still, and we start again."))
        self.bias = (float(bias[0]), float(bias[1]))
        self.noise_rate = _filtered_sd(rec[:, 0], rates)
        self._go(RollStep.READY)

    def _end_roll(self) -> None:
        if len(self.recording) < MIN_SAMPLES:
            return self._fail(_("No readings from the ball while rolling. Check the cable and try again."))
        rec = np.asarray(self.recording, dtype=float)
        rr = estimate_roll_range(rec[:, 0], rec[:, 1] - self.bias[0], rec[:, 2] - self.bias[1],
                                 window_s=self.window_s, hop_s=HOP_S)
        value = rr.on(self.axis)
        floor = max(MIN_RANGE, NOISE_SPAN_S * self.noise_rate)
        if value < floor:
            return self._fail(_("We could not see the ball roll {direction}. That is fine: "
                                "try again with a bigger roll, or ask your therapist.").format(direction=self.axis_words))
        self.ranges[self.axis] = value
        self.axis_index += 1
        if self.axis_index >= len(AXES):
            self._go(RollStep.RESULT)
        else:
            self._go(RollStep.READY)

    def _fail(self, message: str) -> None:
        self.problem = message
        self._go(RollStep.PROBLEM)

    # -- results
    @property
    def done(self) -> bool:
        return self.step is RollStep.RESULT

    def roll_range(self) -> RollRange:
        assert self.done, "the roll calibration has not finished"
        return RollRange(x=self.ranges["x"], y=self.ranges["y"], noise_rate=self.noise_rate,
                         bias_x=self.bias[0], bias_y=self.bias[1])

    def trials_record(self) -> dict[str, Any]:
        return {"bias": list(self.bias), "still_samples": len(self.still),
                "protocol": {"still_s": self.still_s, "roll_s": self.roll_s, "window_s": self.window_s,
                             "hop_s": HOP_S, "estimate": "median of the upper half of window spans"}}

    @property
    def progress(self) -> float:
        dur = {RollStep.STILL: self.still_s, RollStep.READY: self.ready_s, RollStep.ROLL: self.roll_s}.get(self.step)
        return min(1.0, self.elapsed / dur) if dur else 0.0

    @property
    def seconds_left(self) -> float:
        dur = {RollStep.STILL: self.still_s, RollStep.READY: self.ready_s, RollStep.ROLL: self.roll_s}.get(self.step)
        return max(0.0, dur - self.elapsed) if dur else 0.0
