"""Repetition detection for the rolling exercises (see shared CLINICAL.md).

The ball reports roll *rates* (a gyro's deg/s, or the keyboard/mouse stand-in),
so position is the integral of rate. Integration drifts, so each axis:

* low-passes the rate (~5 Hz; thumb rolling is slow, 6-12 Hz tremor is not);
* subtracts a gyro bias learnt while the hand is still;
* uses a small dead-band only to decide whether the ball is moving or at rest,
  so slow sensor drift never starts a stroke;
* between strokes, lets the rest point leak towards where the ball now is and
  re-centres it after a few still seconds, so nothing accumulates over a set.

Once a stroke has begun, its distance is the integral of the whole
bias-corrected rate from the moment the ball left rest: a weak, slow thumb rolls
at rates close to the dead-band, and clipping them measured its strokes up to
~45% short. Noise and tremor average out in the integral; only an unlearnt gyro
bias adds up, and only for the few seconds of one stroke.

Every threshold is a fraction of the patient's own comfortable roll range
(:class:`RollRange`), never an absolute, so a very weak thumb plays too.

One rep is

* **a stroke** (thumb flexion & extension, table roll, thumb opposition): the
  ball leaves a rest point by at least ``start_fraction`` of the range, reaches
  an extreme, and comes back at least ``return_fraction`` of the way. Either
  direction counts (the left hand mirrors the right). Slow strokes and pauses
  at the end of the stroke are fine up to ``max_rep_s``; a roll out that never
  comes back is a *partial*, logged but not a rep. Continuous back-and-forth
  counts one rep per cycle: the next stroke starts from the lowest point after
  the return, so one swing is never counted twice;
* **a circle** (thumb roll): the direction of travel turns a full 360 degrees,
  and the path spans at least ``start_fraction`` of the range on both axes (a
  line or a tremor wobble is not a circle). A reversal of direction or a long
  pause abandons the circle in progress.

Success = the stroke's excursion (or the circle's diameter) reached
``target_fraction`` of the range; for the table roll, also pressure inside a
force band for ``pressure_fraction`` of the stroke.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, replace
from enum import Enum

import numpy as np

from game.therapy.calibration import Calibration
from game.therapy.filters import LowPass2
from hardware.sample import Sample

TAU = 2.0 * math.pi


@dataclass(frozen=True, slots=True)
class RollRange:
    """How far this patient comfortably rolls the ball, per axis.

    In device units of rolled distance (rate x seconds: degrees for a gyro; the
    keyboard ball rolls 120 units per second of a held arrow key). ``noise_rate``
    is the rate's rest noise SD, device units per second.
    """

    x: float = 90.0
    y: float = 90.0
    noise_rate: float = 0.0
    units: str = "device units"
    # The gyro's rest rate per axis when the range was calibrated: the detector starts
    # from it (a bias above a small range's dead-band would otherwise roll the ball by
    # itself until the first still seconds teach it), and goes on learning it.
    bias_x: float = 0.0
    bias_y: float = 0.0

    def __post_init__(self) -> None:
        if not (self.x > 0 and self.y > 0):
            raise ValueError(f"a roll range must be positive, got x={self.x}, y={self.y}")

    def on(self, axis: str) -> float:
        return self.x if axis == "x" else self.y

    def bias_on(self, axis: str) -> float:
        return self.bias_x if axis == "x" else self.bias_y

    @property
    def mean(self) -> float:
        return (self.x + self.y) / 2.0


def estimate_roll_range(t: np.ndarray, roll_x: np.ndarray, roll_y: np.ndarray,
                        *, window_s: float = 4.0, hop_s: float | None = None) -> RollRange:
    """A roll range from a recording of the patient rolling as far as is comfortable.

    Each axis is integrated; within every ``window_s`` window (starting every
    ``hop_s``, default ``window_s``: side by side) the span of the position
    (max - min) is one estimate, and the range is the median of the upper half
    of those spans (a few big strokes, not the single biggest). Overlapping
    windows let a short recording give several estimates. Rates should have
    the gyro's rest bias removed first (a bias integrates into a false span).
    """
    t = np.asarray(t, dtype=float)
    if len(t) < 3:
        raise ValueError("too few samples to estimate a roll range")
    hop = window_s if hop_s is None else hop_s
    if not (window_s > 0 and hop > 0):
        raise ValueError("window_s and hop_s must be positive")
    dt = np.diff(t, prepend=t[0])
    spans = []
    for rate in (np.asarray(roll_x, float), np.asarray(roll_y, float)):
        pos = np.cumsum(rate * dt)
        starts = np.arange(t[0], max(t[0], t[-1] - window_s) + 1e-9, hop) if hop != window_s else \
            np.arange(t[0], t[-1] + 1e-9, window_s)
        a_idx = np.searchsorted(t, starts)
        b_idx = np.searchsorted(t, starts + window_s)
        s = [float(np.ptp(pos[a:b])) for a, b in zip(a_idx, b_idx) if b - a >= 2]
        s = sorted(s)[len(s) // 2:] or [0.0]
        spans.append(max(float(np.median(s)), 1e-3))
    return RollRange(x=spans[0], y=spans[1])


@dataclass(frozen=True, slots=True)
class RollRepSettings:
    target_fraction: float = 0.5  # of the range, per stroke / circle diameter (ExercisePlan.roll_target)
    start_fraction: float = 0.15  # smaller movements are wiggles, not reps
    return_fraction: float = 0.6  # a stroke must come back this much of the way
    motion_fraction: float = 0.03  # dead-band: range per second below which the ball is still
    noise_factor: float = 3.0  # ... or this many rest-noise SDs, whichever is larger
    min_rep_s: float = 0.3  # faster than this is a knock, not a movement
    max_rep_s: float = 20.0  # slow hands are fine; a roll out this long without coming back is a partial
    idle_leak_s: float = 6.0  # between strokes the rest point follows the ball this slowly
    recentre_after_s: float = 3.0  # still this long: re-centre and learn the gyro bias
    settle_s: float = 0.5  # still this long after a return: that point is the new rest
    lookback_s: float = 1.5  # a stroke is measured from where the ball lay this long before it left rest
    rest_again_s: float = 5.0  # still this long out in a stroke: a partial, the hand rests there now
    max_bias_fraction: float = 0.1  # a learnt bias is never above this (range per second)
    circle_pause_s: float = 2.5  # a longer pause abandons the circle in progress
    max_turn_step_deg: float = 75.0  # bigger jumps in direction are reversals, not turning
    circle_slack_deg: float = 25.0  # a circle from rest to rest loses its ends in the dead-band
    circle_restart_deg: float = 60.0  # a stop with less than this turned starts the circle afresh
    detect_cutoff_hz: float = 5.0
    display_cutoff_hz: float = 3.0
    max_gap_s: float = 0.5
    pressure_low_pct: float | None = None  # table roll: force band in %MVC (None: not checked)
    pressure_high_pct: float | None = None
    pressure_fraction: float = 0.7

    def with_target(self, target_pct: float) -> RollRepSettings:
        """A new target in % of the range (the unit a rep's ``target_pct`` is logged in)."""
        return replace(self, target_fraction=target_pct / 100.0)

    @property
    def checks_pressure(self) -> bool:
        return self.pressure_low_pct is not None and self.pressure_high_pct is not None


class RollFailure(str, Enum):
    TOO_SMALL = "too_small"
    PRESSURE_LOW = "pressure_low"
    PRESSURE_HIGH = "pressure_high"


@dataclass(frozen=True, slots=True)
class RollRep:
    """The measurements of one rolling repetition, as logged."""

    number: int
    kind: str  # "stroke" or "circle"
    axis: str  # "x", "y" or "xy"
    direction: int  # stroke: +1/-1 first way; circle: +1 anticlockwise, -1 clockwise (in rate axes)
    t_start: float
    t_turn: float  # stroke: the far end; circle: same as t_end
    t_end: float
    range_device: float  # stroke excursion or circle diameter, device units
    range_pct: float  # ... as % of the patient's calibrated range
    target_range_pct: float
    return_pct: float | None  # stroke: how far back it came, % of the excursion
    peak_rate: float  # fastest roll, device units per second
    pressure_mean_pct: float | None  # mean force during the rep, %MVC
    pressure_in_band: float | None  # share of the rep with force inside the band
    peak_pct: float  # highest force during the rep, %MVC (the ball's pressure sensor)
    success: bool
    failure: RollFailure | None

    @property
    def duration_s(self) -> float:
        return self.t_end - self.t_start

    @property
    def target_pct(self) -> float:
        """The difficulty this rep was played at (% of range), for the record."""
        return self.target_range_pct

    def as_record(self) -> dict:
        d = asdict(self)
        d["failure"] = self.failure.value if self.failure else None
        d["roll_range"] = self.range_pct
        d["target_pct"] = self.target_range_pct
        d["duration_s"] = self.duration_s
        d["full_release"] = None
        return d


# ------------------------------------------------------------------ axes
class _Axis:
    """Rate -> position for one axis, with bias, dead-band and filtering.

    Two integrals: ``pos`` counts only rates outside the dead-band (at rest it
    never creeps, so it decides when a movement starts and when the ball is
    still); ``path`` counts every bias-corrected rate (how far a movement went).
    """

    __slots__ = ("rate_lp", "display_lp", "bias", "pos", "path", "rate", "moving")

    def __init__(self, detect_hz: float, display_hz: float) -> None:
        self.rate_lp = LowPass2(detect_hz)
        self.display_lp = LowPass2(display_hz)
        self.bias = 0.0
        self.pos = 0.0
        self.path = 0.0
        self.rate = 0.0  # filtered, bias-corrected, dead-banded
        self.moving = False

    def reset(self, raw: float) -> None:
        self.rate_lp.reset(raw)
        self.display_lp.reset(raw)

    def step(self, raw: float, dt: float, dead: float) -> float:
        r = self.rate_lp.step(raw, dt) - self.bias
        self.display_lp.step(raw, dt)
        self.moving = abs(r) > dead
        self.rate = r if self.moving else 0.0
        self.pos += self.rate * dt
        self.path += r * dt
        return r


class _Stillness:
    """Watches both axes' filtered rates for a still stretch (re-centring, bias learning).

    "Still" means steady, not zero: a gyro bias is a steady non-zero rate.
    """

    __slots__ = ("t0", "lo", "hi", "total", "n")

    def __init__(self) -> None:
        self.reset(None)

    def reset(self, t: float | None) -> None:
        self.t0 = t
        self.lo = [math.inf, math.inf]
        self.hi = [-math.inf, -math.inf]
        self.total = [0.0, 0.0]
        self.n = 0

    def track(self, t: float, rates: tuple[float, float], spread: float) -> float:
        """Feed one pair of rates; returns how long they have been steady, seconds."""
        if self.t0 is None:
            self.reset(t)
        for i, r in enumerate(rates):
            lo, hi = min(self.lo[i], r), max(self.hi[i], r)
            if hi - lo > spread:
                self.reset(t)
                return self.track(t, rates, spread)
            self.lo[i], self.hi[i] = lo, hi
            self.total[i] += r
        self.n += 1
        assert self.t0 is not None
        return t - self.t0

    def means(self) -> tuple[float, float]:
        n = max(1, self.n)
        return (self.total[0] / n, self.total[1] / n)


class _Base:
    """What stroke and circle detection share: time, filters, pressure, records."""

    kind = "stroke"

    def __init__(self, roll_range: RollRange, settings: RollRepSettings | None,
                 calibration: Calibration | None) -> None:
        self.roll_range = roll_range
        self.settings = settings or RollRepSettings()
        self.calibration = calibration
        s = self.settings
        self._axes = {a: _Axis(s.detect_cutoff_hz, s.display_cutoff_hz) for a in ("x", "y")}
        self._force_lp = LowPass2(s.detect_cutoff_hz * 2)
        self._last_t: float | None = None
        self._count = 0
        self.partials = 0  # movements begun but not finished (rolled out, never back)
        self.recentre_count = 0
        self._still = _Stillness()
        limit = self.settings.max_bias_fraction * roll_range.mean
        for a, axis in self._axes.items():
            axis.bias = max(-limit, min(limit, roll_range.bias_on(a)))
        self._reset_pressure()

    # ---------------------------------------------------------- public
    @property
    def reps_counted(self) -> int:
        return self._count

    @property
    def baseline(self) -> float:
        return self.calibration.baseline if self.calibration else 0.0

    @property
    def pressure_pct(self) -> float:
        """Live force, %MVC (table roll keeps it inside a band)."""
        return self._force_lp.value

    @property
    def pressure_state(self) -> str:
        """'low', 'ok' or 'high' against the band; 'ok' when no band is set."""
        s = self.settings
        if not s.checks_pressure:
            return "ok"
        assert s.pressure_low_pct is not None and s.pressure_high_pct is not None
        if self.pressure_pct < s.pressure_low_pct:
            return "low"
        if self.pressure_pct > s.pressure_high_pct:
            return "high"
        return "ok"

    def set_settings(self, settings: RollRepSettings) -> None:
        """New target or timings (difficulty changes); takes effect from the next rep."""
        self.settings = settings

    def feed(self, samples: list[Sample]) -> list[RollRep]:
        reps: list[RollRep] = []
        for smp in samples:
            rep = self.step(smp)
            if rep is not None:
                reps.append(rep)
        return reps

    def step(self, smp: Sample) -> RollRep | None:
        t = smp.t
        if not (math.isfinite(t) and math.isfinite(smp.roll_x) and math.isfinite(smp.roll_y)):
            return None
        force_pct = self.calibration.to_pct(smp.force) if self.calibration and math.isfinite(smp.force) else 0.0
        if self._last_t is None or t - self._last_t > self.settings.max_gap_s:
            # First sample, or the signal stopped (pause, unplug): a movement in
            # progress cannot be judged across the hole, so it is dropped.
            for axis, raw in (("x", smp.roll_x), ("y", smp.roll_y)):
                self._axes[axis].reset(raw)  # the filter runs on raw rates; the bias comes off after it
            self._force_lp.reset(force_pct)
            self._last_t = t
            self._on_gap(t)
            return None
        dt = t - self._last_t
        if dt <= 0:
            return None  # duplicate or out-of-order timestamp
        self._last_t = t
        dead = self.dead_band
        rx = self._axes["x"].step(smp.roll_x, dt, dead)
        ry = self._axes["y"].step(smp.roll_y, dt, dead)
        self._force_lp.step(force_pct, dt)
        return self._advance(t, dt, rx, ry)

    @property
    def dead_band(self) -> float:
        s = self.settings
        return max(s.motion_fraction * self.roll_range.mean, s.noise_factor * self.roll_range.noise_rate)

    @property
    def target_device(self) -> float:
        return self.settings.target_fraction * self._range()

    @property
    def start_device(self) -> float:
        s = self.settings
        # Never above most of the target, so a small target still has room to start.
        return min(s.start_fraction, 0.6 * s.target_fraction) * self._range()

    # ---------------------------------------------------- for subclasses
    def _range(self) -> float:
        return self.roll_range.mean

    def _on_gap(self, t: float) -> None:
        raise NotImplementedError

    def _advance(self, t: float, dt: float, rx: float, ry: float) -> RollRep | None:
        raise NotImplementedError

    # ------------------------------------------------------------ helpers
    def _learn_when_still(self, t: float, rx: float, ry: float, allowed: bool = True) -> bool:
        """After ``recentre_after_s`` of steady rates, learn the gyro bias. True when it did.

        Called for every sample (so the steady stretch is never stale); ``allowed``
        False keeps watching without learning (in the middle of a movement)."""
        s = self.settings
        # Steady within two dead-bands: tremor and noise ride on a still ball's bias.
        if self._still.track(t, (rx, ry), 2.0 * self.dead_band) < s.recentre_after_s or not allowed:
            return False
        limit = s.max_bias_fraction * self.roll_range.mean
        for axis, mean in zip(("x", "y"), self._still.means()):
            if abs(mean) <= limit:  # a faster steady "rate" is a movement, not a bias
                self._axes[axis].bias += mean
        self._still.reset(t)
        self.recentre_count += 1
        return True

    def _reset_pressure(self) -> None:
        self._p_time = 0.0
        self._p_in = 0.0
        self._p_high = 0.0
        self._p_sum = 0.0
        self._p_peak = -math.inf

    def _track_pressure(self, dt: float) -> None:
        p = self.pressure_pct
        self._p_time += dt
        self._p_sum += p * dt
        self._p_peak = max(self._p_peak, p)
        s = self.settings
        if s.checks_pressure:
            assert s.pressure_low_pct is not None and s.pressure_high_pct is not None
            if p > s.pressure_high_pct:
                self._p_high += dt
            elif p >= s.pressure_low_pct:
                self._p_in += dt

    def _make_rep(self, *, t_start: float, t_turn: float, t_end: float, axis: str, direction: int,
                  range_device: float, return_pct: float | None, peak_rate: float) -> RollRep:
        s = self.settings
        rng = self._range()
        target = self.target_device
        mean_p = self._p_sum / self._p_time if self._p_time > 0 else self.pressure_pct
        in_band = None
        failure: RollFailure | None = None
        if range_device < target - 1e-9:
            failure = RollFailure.TOO_SMALL
        if s.checks_pressure:
            in_band = self._p_in / self._p_time if self._p_time > 0 else 0.0
            if failure is None and in_band < s.pressure_fraction:
                low_time = self._p_time - self._p_in - self._p_high
                failure = RollFailure.PRESSURE_HIGH if self._p_high > low_time else RollFailure.PRESSURE_LOW
        self._count += 1
        rep = RollRep(
            number=self._count, kind=self.kind, axis=axis, direction=direction,
            t_start=t_start, t_turn=t_turn, t_end=t_end,
            range_device=range_device, range_pct=range_device / rng * 100.0,
            target_range_pct=target / rng * 100.0, return_pct=return_pct, peak_rate=peak_rate,
            pressure_mean_pct=mean_p, pressure_in_band=in_band,
            peak_pct=self._p_peak if self._p_peak > -math.inf else self.pressure_pct,
            success=failure is None, failure=failure,
        )
        self._reset_pressure()
        return rep


# ---------------------------------------------------------------- strokes
class _Phase(Enum):
    REST = "rest"
    OUT = "out"  # rolled away from the rest point, not yet back
    BACK = "back"  # counted; following the ball until it settles or starts the next stroke


class StrokeDetector(_Base):
    """Out-and-back strokes on one axis (flexion & extension, table roll, opposition)."""

    kind = "stroke"

    def __init__(self, axis: str, roll_range: RollRange, settings: RollRepSettings | None = None,
                 calibration: Calibration | None = None) -> None:
        if axis not in ("x", "y"):
            raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
        self.axis = axis
        super().__init__(roll_range, settings, calibration)
        self._phase = _Phase.REST
        self._anchor = 0.0
        self._begin_stroke_state()
        self._low = 0.0
        self._t_low = 0.0
        self._settled_since: float | None = None
        self._settle_pos = 0.0
        # The full-rate path while resting, (t, path), back to lookback_s before the ball
        # was last at its rest point: a stroke is measured from the lowest point in it, so
        # the slow first part of a movement (under the dead-band) is not lost.
        self._rest_path: deque[tuple[float, float]] = deque(maxlen=4096)
        self._t_at_rest = 0.0
        self._origin = 0.0  # the rest point the stroke in progress left, on the path

    def _range(self) -> float:
        return self.roll_range.on(self.axis)

    # ------------------------------------------------------------ public
    @property
    def position(self) -> float:
        """Where the ball is along the axis, device units from the rest point."""
        if self._phase is _Phase.REST:
            return self._axes[self.axis].pos - self._anchor
        return self._axes[self.axis].path - self._origin

    @property
    def excursion(self) -> float:
        """How far the current stroke has gone from its start, >= 0 (0 when resting)."""
        if self._phase is _Phase.OUT:
            return max(0.0, self._dir * (self._axes[self.axis].path - self._start))
        if self._phase is _Phase.BACK:
            return max(0.0, self._dir * (self._axes[self.axis].path - self._start) - self._low)
        return abs(self.position)

    @property
    def reach(self) -> float:
        """The live signal for drawing: excursion as a fraction of the target (0..)."""
        return self.excursion / max(self.target_device, 1e-9)

    @property
    def stroke_extreme(self) -> float:
        """Furthest point of the stroke in progress, as a fraction of the target."""
        return self._ext / max(self.target_device, 1e-9) if self._phase is _Phase.OUT else 0.0

    @property
    def in_stroke(self) -> bool:
        return self._phase is _Phase.OUT

    @property
    def in_rep(self) -> bool:
        """A movement is under way (the session waits for it before ending a set)."""
        return self._phase is _Phase.OUT

    @property
    def awaiting_return(self) -> bool:
        """Rolled out far enough: the game can say "now roll back"."""
        return self._phase is _Phase.OUT and self._ext >= self.target_device

    @property
    def rate(self) -> float:
        return self._axes[self.axis].rate

    # ------------------------------------------------------------ states
    def _begin_stroke_state(self) -> None:
        self._dir = 1
        self._start = 0.0
        self._t_start = 0.0
        self._ext = 0.0
        self._t_turn = 0.0
        self._peak_rate = 0.0
        self._partial_at: float | None = None
        self._t_left_rest = 0.0

    def _still_for(self, t: float, pos: float) -> float:
        """How long the ball has stayed put (within a quarter of the start distance), seconds.

        Judged on position, not on the rate flickering about the dead-band, so a
        tremor or a slightly wrong bias does not keep a resting hand "moving"."""
        if self._settled_since is None or abs(pos - self._settle_pos) > self.start_device / 4.0:
            self._settled_since = t
            self._settle_pos = pos
            return 0.0
        return t - self._settled_since

    def _on_gap(self, t: float) -> None:
        if self._phase is _Phase.OUT:
            self.partials += 1
        self._to_rest(t)

    def _to_rest(self, t: float) -> None:
        self._phase = _Phase.REST
        self._anchor = self._axes[self.axis].pos
        self._rest_path.clear()
        self._t_at_rest = t
        self._settled_since = None
        self._still.reset(t)
        self._begin_stroke_state()
        self._reset_pressure()

    def _advance(self, t: float, dt: float, rx: float, ry: float) -> RollRep | None:
        s = self.settings
        ax = self._axes[self.axis]
        pos = ax.pos
        if self._phase is _Phase.REST:
            self._reset_pressure()
            if ax.moving:
                # Small movements fade: wiggles never add up to a stroke.
                self._anchor += (pos - self._anchor) * (1.0 - math.exp(-dt / s.idle_leak_s))
            if self._learn_when_still(t, rx, ry):
                self._anchor = ax.pos
            d = ax.pos - self._anchor
            if abs(d) <= self.start_device / 4.0:
                self._t_at_rest = t  # at the rest point, as still_for judges it
            self._rest_path.append((t, ax.path))
            while self._rest_path[0][0] < self._t_at_rest - s.lookback_s:
                self._rest_path.popleft()
            if abs(d) >= self.start_device:
                self._phase = _Phase.OUT
                self._dir = 1 if d > 0 else -1
                self._start = self._origin = self._dir * min(self._dir * p for _, p in self._rest_path)
                # It began when it last left that lowest point (a tenth of the start distance
                # above it: rest noise on the path is far smaller).
                near = self.start_device / 10.0
                self._t_start = max(
                    (tp for tp, p in self._rest_path if self._dir * (p - self._start) <= near), default=t)
                self._ext = max(0.0, self._dir * (ax.path - self._start))
                self._t_turn = t
                self._peak_rate = abs(ax.rate)
                self._settled_since = None
                self._track_pressure(t - self._t_start)
            return None
        if self._phase is _Phase.OUT:
            self._track_pressure(dt)
            e = self._dir * (ax.path - self._start)
            self._peak_rate = max(self._peak_rate, abs(ax.rate))
            still = self._still_for(t, pos)
            if still == 0.0:
                self._t_left_rest = t - dt
            else:
                if still >= s.rest_again_s:
                    # Stopped out there a long time: the hand rests here now and the
                    # stroke was a partial; the next roll, either way, is a new stroke.
                    self.partials += 1
                    self._to_rest(t)
                    return None
                if still >= s.settle_s and self._ext - e >= 0.5 * self.start_device:
                    # Came part of the way back and stopped: if it rolls out again from
                    # here, that is a new stroke (it may still roll home from here instead).
                    self._partial_at = e
            if self._partial_at is not None and e - self._partial_at >= self.start_device:
                # Rolling out again from a half-way return: the last stroke was a partial.
                self.partials += 1
                low = self._partial_at
                self._start += self._dir * low
                self._ext = e - low
                self._t_start = self._t_left_rest
                self._t_turn = t
                self._partial_at = None
                self._peak_rate = abs(ax.rate)
                self._reset_pressure()
                return None
            if e > self._ext:
                self._ext = e
                self._t_turn = t
            if e <= self._ext * (1.0 - s.return_fraction):
                if t - self._t_start < s.min_rep_s:
                    self._to_rest(t)  # a knock, not a stroke
                    return None
                rep = self._make_rep(
                    t_start=self._t_start, t_turn=self._t_turn, t_end=t, axis=self.axis, direction=self._dir,
                    range_device=self._ext, return_pct=(self._ext - e) / self._ext * 100.0,
                    peak_rate=self._peak_rate,
                )
                self._phase = _Phase.BACK
                self._low = e
                self._t_low = t
                self._settled_since = None
                return rep
            if t - self._t_start > s.max_rep_s:
                self.partials += 1
                self._to_rest(t)
            return None
        # BACK: the counted stroke is still coming home; follow it so the same
        # swing can never be counted again, and start the next stroke from its lowest point.
        e = self._dir * (ax.path - self._start)
        if e < self._low:
            self._low = e
            self._t_low = t
        if e - self._low >= self.start_device:
            self._phase = _Phase.OUT
            self._start = self._start + self._dir * self._low
            self._t_start = self._t_low
            self._ext = e - self._low
            self._t_turn = t
            self._peak_rate = abs(ax.rate)
            self._partial_at = None
            self._settled_since = None
            self._reset_pressure()
            self._track_pressure(t - self._t_low)
            return None
        if self._still_for(t, pos) >= s.settle_s:
            self._to_rest(t)
        return None


# ---------------------------------------------------------------- circles
class CircleDetector(_Base):
    """Full circles on both axes (thumb roll)."""

    kind = "circle"

    def __init__(self, roll_range: RollRange, settings: RollRepSettings | None = None,
                 calibration: Calibration | None = None) -> None:
        super().__init__(roll_range, settings, calibration)
        self._turned_total = 0.0
        self._tail = 0.0  # turn still owed to the circle just counted (radians, signed)
        self._centre = [0.0, 0.0]
        self._new_turn(None)

    # ------------------------------------------------------------ public
    @property
    def turn_progress(self) -> float:
        """Signed fraction of a full circle made so far in the circle in progress."""
        return self._acc / TAU

    @property
    def wheel_angle(self) -> float:
        """Total angle turned this set, radians (for drawing a wheel that follows the thumb)."""
        return self._turned_total

    @property
    def position(self) -> tuple[float, float]:
        """Ball position from the centre of recent movement, device units."""
        return (self._axes["x"].pos - self._centre[0], self._axes["y"].pos - self._centre[1])

    @property
    def in_circle(self) -> bool:
        return abs(self._acc) > 0.25 * TAU

    @property
    def in_rep(self) -> bool:
        return self.in_circle

    @property
    def circle_size(self) -> float:
        """Diameter of the circle in progress as a fraction of the target."""
        return self._diameter() / max(self.target_device, 1e-9)

    # ------------------------------------------------------------ states
    def _new_turn(self, t: float | None) -> None:
        """Start counting a new circle; ``t`` None waits for the ball to move."""
        self._acc = 0.0
        self._t_start = t
        self._heading: float | None = None
        self._t_last_move = t
        x, y = self._axes["x"].pos, self._axes["y"].pos
        self._box = [x, x, y, y]
        self._peak_rate = 0.0
        self._reset_pressure()

    def _diameter(self) -> float:
        bx0, bx1, by0, by1 = self._box
        return ((bx1 - bx0) + (by1 - by0)) / 2.0

    def _on_gap(self, t: float) -> None:
        self._abandon(t)

    def _abandon(self, t: float) -> None:
        if self.in_circle:
            self.partials += 1
        self._new_turn(None)

    def _advance(self, t: float, dt: float, rx: float, ry: float) -> RollRep | None:
        s = self.settings
        ax, ay = self._axes["x"], self._axes["y"]
        x, y = ax.pos, ay.pos
        # The drawn centre follows the ball slowly, so the dot circles around it.
        k = 1.0 - math.exp(-dt / 1.5)
        self._centre[0] += (x - self._centre[0]) * k
        self._centre[1] += (y - self._centre[1]) * k
        # Direction of travel from the filtered rates before the per-axis dead-band
        # (which would snap it to an axis), trusted only well clear of the noise.
        speed = math.hypot(rx, ry)
        moving = speed > 2.0 * self.dead_band
        if self._learn_when_still(t, rx, ry, allowed=abs(self._acc) < 0.05 * TAU):
            self._centre = [x, y]
        slack = math.radians(s.circle_slack_deg)
        if not moving:
            paused = t - self._t_last_move if self._t_last_move is not None else 0.0
            if paused > s.settle_s:
                self._tail = 0.0  # a new circle after a stop owes nothing to the last one
            if paused > 2 * s.settle_s and self._t_start is not None:
                bx0, bx1, by0, by1 = self._box
                if abs(self._acc) <= math.radians(s.circle_restart_deg) or min(
                        bx1 - bx0, by1 - by0) < self.start_device:
                    # Stopped with little turned, or after a tremor-sized wobble: the
                    # next movement starts a fresh circle (either way round).
                    self._new_turn(None)
            if paused > s.circle_pause_s and self._acc != 0.0:
                self._abandon(t)
            return None
        if self._t_start is None:
            self._new_turn(t - dt)
        self._t_last_move = t
        self._track_pressure(dt)
        self._peak_rate = max(self._peak_rate, speed)
        b = self._box
        b[0], b[1], b[2], b[3] = min(b[0], x), max(b[1], x), min(b[2], y), max(b[3], y)
        heading = math.atan2(ry, rx)
        if self._heading is not None:
            step = (heading - self._heading + math.pi) % TAU - math.pi
            if abs(step) > math.radians(s.max_turn_step_deg):
                # The ball reversed: back-and-forth is not circling.
                self._abandon(t)
                self._heading = heading
                return None
            self._turned_total += step
            if self._tail != 0.0:
                # The last circle was counted a little early (its ends are lost in the
                # dead-band); its remaining turn is absorbed here, never counted twice.
                if step * self._tail > 0:
                    use = min(abs(step), abs(self._tail))
                    self._tail -= math.copysign(use, self._tail)
                    step -= math.copysign(use, step)
                else:
                    self._tail = 0.0
            self._acc += step
        self._heading = heading
        if abs(self._acc) < TAU - slack:
            return None
        direction = 1 if self._acc > 0 else -1
        assert self._t_start is not None
        bx0, bx1, by0, by1 = self._box
        span = min(bx1 - bx0, by1 - by0)
        t_start = self._t_start
        rep = None
        if span >= self.start_device and t - t_start >= s.min_rep_s:
            rep = self._make_rep(t_start=t_start, t_turn=t, t_end=t, axis="xy", direction=direction,
                                 range_device=self._diameter(), return_pct=None, peak_rate=self._peak_rate)
        # Start the next circle from here, keeping the heading so turning carries on smoothly.
        heading_keep = self._heading
        self._new_turn(t)
        self._tail = direction * slack
        self._heading = heading_keep
        return rep
