"""Repetition detection for the force exercises (see shared CLINICAL.md).

A hysteresis state machine on force in %MVC, run on a causal ~10 Hz low-pass
so 6-12 Hz tremor cannot split a squeeze in two. What a real sensor does to
that signal shapes the rules (FSR creep and hysteresis, air balls warming and
leaking, a ball put down differently):

* **The rest level is followed, not assumed.** Between reps the detector
  tracks the level it actually sees: down at once (the lows between presses),
  up only slowly (time constant ``rezero_after_s``), so drift and creep never
  look like a squeeze, while a squeeze (which rises far faster) still does.
  A rep is measured from the rest level just before it.
* a rep starts when force stays above ``rest + max(start_pct, 3 x noise)`` for
  ``start_confirm_s``;
* **a rep ends** when force stays below ``rest + end level`` for
  ``end_confirm_s`` *or* when it has fallen by ``release_share`` of the rep's
  own amplitude (and below the start level above rest) and stays there, still,
  for ``settle_s``: a sensor whose rest reading came back a little higher
  after the squeeze (creep) never needs to return to the old rest. The level it
  settled at is the new rest;
* **quick presses**: where the exercise allows them (``valley_split``), a
  valley at least that share of the amplitude below the peak, followed by a
  new rise of the same share, ends one press and starts the next, so presses
  that never return to rest are counted one by one. Slow exercises leave it
  off: a squeeze that sags and squeezes again is one rep;
* shorter reps than ``min_rep_s`` are noise, and a new rep cannot start within
  ``min_gap_s`` of the last one's end (except at a quick-press valley);
* success = the peak reached the target, force stayed >= 90% of the target for
  the hold time (dips shorter than ``dip_tolerance_s`` are bridged, so tremor
  does not break a hold), and the hand released within the release window;
* a hand that does not release within ``no_release_s`` gets the rep logged as
  "no full release"; detection re-arms once force has fallen by half from the
  peak, counting further reps from the level the hand has settled at;
* readings no force can make (read failures: zeros or negative error codes
  from a sensor that rests well above zero; values far outside the calibrated
  range) are gaps, not force; a gap longer than ``max_gap_s`` drops the rep in
  progress instead of inventing one, and a signal that starts (or comes back)
  mid-squeeze waits for a release before counting.

Timings are per exercise (a quick finger press is not a slow power grip), so
they live in :class:`ForceRepSettings`; :data:`EXERCISE_TIMINGS` holds each
exercise's defaults and level files override them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from enum import Enum

from game.therapy.calibration import Calibration, is_read_failure
from game.therapy.filters import LowPass2
from hardware.sample import Sample


@dataclass(frozen=True, slots=True)
class ForceRepSettings:
    target_pct: float = 20.0
    hold_s: float = 0.5
    hold_fraction: float = 0.9
    release_window_s: float = 6.0
    start_pct: float = 5.0
    noise_factor: float = 3.0
    start_confirm_s: float = 0.10
    end_fraction: float = 0.5
    end_confirm_s: float = 0.15
    min_rep_s: float = 0.25
    min_gap_s: float = 0.30
    no_release_s: float = 8.0
    rearm_fraction: float = 0.5
    dip_tolerance_s: float = 0.10
    detect_cutoff_hz: float = 10.0
    display_cutoff_hz: float = 4.0
    # Time constant (s) with which the rest level follows a slow upward drift; it
    # follows a falling rest level at once.
    rezero_after_s: float = 2.0
    max_gap_s: float = 0.5
    # A rep also ends once force has fallen by this share of its amplitude and
    # stays still (within the rest noise) for settle_s.
    release_share: float = 0.75
    settle_s: float = 0.4
    # Quick presses: the share of a press's amplitude the force must fall, then
    # rise again, for a new press to begin without returning to rest. None: off.
    valley_split: float | None = None

    def with_target(self, target_pct: float) -> ForceRepSettings:
        return replace(self, target_pct=target_pct)


# Each force exercise's own timings (CLINICAL.md: "timings belong to the exercise").
# The games start from these; a level file's ``detector:`` block overrides them.
EXERCISE_TIMINGS: dict[str, dict[str, float]] = {
    "power_grip": {},
    "pinch": {},
    "finger_flexion": {
        "hold_s": 0.0,  # press and release: no hold
        # A press can be over in 0.1 s (CLINICAL.md); above the start level that is
        # ~0.07 s wide (crossings interpolated), while a 40 ms knock or a one-sample
        # glitch through the 10 Hz filter is under 0.05 s.
        "start_confirm_s": 0.04,
        "end_confirm_s": 0.08,
        "min_rep_s": 0.06,
        "min_gap_s": 0.20,
        "settle_s": 0.15,
        "valley_split": 0.35,
    },
    "finger_squeeze": {
        "start_confirm_s": 0.04,
        "end_confirm_s": 0.10,
        "min_rep_s": 0.06,
        "min_gap_s": 0.20,
        "settle_s": 0.2,
        "valley_split": 0.35,
    },
}


def exercise_settings(exercise: str, **overrides: float) -> ForceRepSettings:
    """The detector settings an exercise plays with, with level-file style overrides."""
    if exercise not in EXERCISE_TIMINGS:
        raise ValueError(f"'{exercise}' is not a force exercise (one of: {', '.join(EXERCISE_TIMINGS)})")
    return replace(ForceRepSettings(), **{**EXERCISE_TIMINGS[exercise], **overrides})


# A level that has not moved for this long is where the ball rests, not a squeeze
# (a hand holding a ball is never this still; a ball on a table is).
STILL_IS_REST_S = 2.0
# Time constant (s) with which the rest level follows a small fall; a fall beyond
# the rest noise is followed at once. Rises are followed far more slowly.
REST_FALL_S = 0.3


class Failure(str, Enum):
    BELOW_TARGET = "below_target"
    HOLD_TOO_SHORT = "hold_too_short"
    SLOW_RELEASE = "slow_release"
    NO_FULL_RELEASE = "no_full_release"


@dataclass(frozen=True, slots=True)
class ForceRep:
    """The measurements of one repetition, as logged. Force is %MVC above the rest level before the rep."""

    number: int
    t_start: float
    t_peak: float
    t_end: float
    peak_pct: float
    peak_device: float
    target_pct: float
    hold_target_s: float
    time_to_peak_s: float
    rfd_pct_per_s: float
    hold_s: float
    hold_cv: float | None
    release_s: float | None
    residual_pct: float
    full_release: bool
    reaction_s: float | None
    success: bool
    failure: Failure | None
    rest_device: float = math.nan  # the rest level the rep was measured from, device units
    ended_by: str = "rest"  # "rest", "settled", "valley" (quick press) or "timeout" (no full release)

    @property
    def duration_s(self) -> float:
        return self.t_end - self.t_start

    def as_record(self) -> dict:
        d = asdict(self)
        d["failure"] = self.failure.value if self.failure else None
        return d


class _State(Enum):
    REST = "rest"
    ACTIVE = "active"
    AWAIT_REARM = "await_rearm"


class ForceRepDetector:
    """Feed samples in time order; get finished reps back."""

    def __init__(self, calibration: Calibration, settings: ForceRepSettings | None = None) -> None:
        self.calibration = calibration
        self.settings = settings or ForceRepSettings()
        self._scale = 100.0 / calibration.mvc
        # How far force may wander and still be "still": the 10 Hz detection filter
        # leaves about half the raw noise SD, so 2 raw SDs is ~4 filtered ones.
        self._still_band = max(1.0, 2.0 * calibration.noise_pct)
        self._detect = LowPass2(self.settings.detect_cutoff_hz)
        self._display = LowPass2(self.settings.display_cutoff_hz)
        self._last_t: float | None = None
        self._state = _State.REST
        self._count = 0
        # Levels in %MVC relative to the calibration's rest reading.
        self._rest = 0.0  # the rest level seen now
        self._zero = 0.0  # what effort is measured from (stays below a hand that never opened)
        self._held = False  # a rep ended without a full release and the hand has not opened since
        self._armed_after = -math.inf
        self._cue_t: float | None = None
        self.dropped_samples = 0
        self._prev_y = 0.0
        self._dt = 0.0
        self._pending_cal: Calibration | None = None
        self._reset_candidate()
        self._reset_rep()

    # ---------------------------------------------------------------- public
    @property
    def start_level(self) -> float:
        s = self.settings
        return max(s.start_pct, s.noise_factor * self.calibration.noise_pct)

    @property
    def end_level(self) -> float:
        return self.start_level * self.settings.end_fraction

    @property
    def rest_pct(self) -> float:
        """The rest level the detector follows, %MVC relative to the calibration's rest."""
        return self._rest

    @property
    def start_at_pct(self) -> float:
        """Where a rep would start now (relative to the calibration's rest), for a live view."""
        return self._rest + self.start_level

    @property
    def end_at_pct(self) -> float:
        """Where the rep in progress (or the next one) counts as released, same basis."""
        base = self._rep_zero if self._state is _State.ACTIVE else self._rest
        return base + self.end_level

    @property
    def state(self) -> str:
        return self._state.value

    @property
    def level_pct(self) -> float:
        """Detection signal (10 Hz), %MVC above the level effort is measured from."""
        return self._detect.value - self._measure_from()

    @property
    def display_pct(self) -> float:
        """The gentler signal to draw (4-5 Hz), %MVC above the same level."""
        return self._display.value - self._measure_from()

    @property
    def baseline(self) -> float:
        """The rest level now, in device units."""
        return self.calibration.baseline + self._rest / self._scale

    @property
    def in_rep(self) -> bool:
        return self._state is _State.ACTIVE

    @property
    def reps_counted(self) -> int:
        return self._count

    @property
    def hold_progress(self) -> float:
        """0..1 of the hold time achieved so far in the current rep."""
        if self._state is not _State.ACTIVE or self.settings.hold_s <= 0:
            return 1.0 if self._state is _State.ACTIVE and self._peak >= self.settings.target_pct else 0.0
        run = self._best_hold
        if self._hold_run_start is not None:
            run = max(run, self._last_above - self._hold_run_start)
        return min(1.0, run / self.settings.hold_s)

    @property
    def awaiting_release(self) -> bool:
        return self._state is _State.AWAIT_REARM

    def cue(self, t: float) -> None:
        """The game asked for a squeeze at time ``t`` (for reaction time)."""
        self._cue_t = t

    def set_settings(self, settings: ForceRepSettings) -> None:
        """New target or timings (difficulty changes); takes effect for the next rep."""
        self.settings = settings

    def recalibrate(self, calibration: Calibration) -> None:
        """A better calibration (a stronger squeeze was seen while estimating).

        Takes effect from now on, between reps: reps already counted stand as they
        were reported. During a rep it waits for the rep to end.
        """
        self._pending_cal = calibration
        if self._state is not _State.ACTIVE:
            self._apply_calibration()

    def _apply_calibration(self) -> None:
        new, old = self._pending_cal, self.calibration
        self._pending_cal = None
        if new is None or new == old:
            return
        s1 = 100.0 / new.mvc
        k = s1 / self._scale
        off = (old.baseline - new.baseline) * s1
        self._detect.remap(k, off)
        self._display.remap(k, off)
        self._rest = self._rest * k + off
        self._zero = self._zero * k + off
        self._await_peak = self._await_peak * k + off
        self.calibration = new
        self._scale = s1
        self._still_band = max(1.0, 2.0 * new.noise_pct)
        self._reset_candidate()

    def feed(self, samples: list[Sample]) -> list[ForceRep]:
        reps: list[ForceRep] = []
        for s in samples:
            rep = self.step(s.t, s.force)
            if rep is not None:
                reps.append(rep)
        return reps

    def plausible(self, force: float) -> bool:
        """Could a hand on this sensor have made this reading? Read failures cannot.

        Read failures (:func:`is_read_failure`) cannot, nor can anything more than
        half an MVC below rest or four MVCs above it.
        """
        cal = self.calibration
        if force < cal.baseline - 0.5 * cal.mvc or force > cal.baseline + 4.0 * cal.mvc:
            return False
        return not is_read_failure(force, cal.baseline, cal.noise_sd)

    def step(self, t: float, force: float) -> ForceRep | None:
        if not (math.isfinite(t) and math.isfinite(force)):
            return None
        if not self.plausible(force):
            self.dropped_samples += 1
            return None
        x = (force - self.calibration.baseline) * self._scale
        last = self._last_t
        if last is None or t - last > self.settings.max_gap_s:
            self._restart(t, x)
            return None
        dt = t - last
        if dt <= 0:
            return None  # duplicate or out-of-order timestamp
        self._last_t = t
        self._prev_y = self._detect.value
        self._dt = dt
        y = self._detect.step(x, dt)
        self._display.step(x, dt)
        state = self._state
        if state is _State.REST:
            if self._pending_cal is not None:
                self._apply_calibration()
                y = self._detect.value
            self._rest_step(t, y, dt)
            return None
        if state is _State.AWAIT_REARM:
            self._await_step(t, y)
            return None
        return self._active_step(t, y)

    # --------------------------------------------------------------- states
    def _restart(self, t: float, x: float) -> None:
        """First sample, or the signal stopped (pause, unplug): a rep in progress
        cannot be judged across a hole, so it is dropped."""
        self._detect.reset(x)
        self._display.reset(x)
        self._reset_rep()
        self._reset_candidate()
        self._last_t = t
        self._held = False
        if x > self._rest + self.start_level:
            # Coming back (or booting) mid-squeeze, or the ball now rests higher:
            # wait for a release (or for stillness) before counting.
            self._state = _State.AWAIT_REARM
            self._await_peak = x
            self._settle_at(t, x)
        else:
            self._state = _State.REST
            self._rest = self._zero = x

    def _rest_step(self, t: float, y: float, dt: float) -> None:
        rest = self._rest
        lift = y - rest
        if lift <= -self._still_band:
            rest = y  # clearly lower: the ball rests lower now (creep relaxing, a leak)
        elif lift <= 0.0:
            rest += lift * min(1.0, dt / REST_FALL_S)
        elif lift < self.start_level and self._cand_t is None:
            # Follow a slow rise (drift, creep) with a time constant: a squeeze outruns it.
            rest += lift * min(1.0, dt / self.settings.rezero_after_s)
        self._rest = rest
        if not self._held:
            self._zero = rest
        elif rest <= self._zero + self.end_level:
            self._held = False  # the hand that had not let go has now opened
            self._zero = min(self._zero, rest)
        if lift > self.start_level and t >= self._armed_after:
            if self._cand_t is None:
                self._cand_t = self._crossing(t, y, rest + self.start_level)
            self._cand.append((t, y))
            if t - self._cand_t >= self.settings.start_confirm_s - 1e-9:
                self._begin_rep()
        elif self._cand_t is not None:
            self._reset_candidate()

    def _await_step(self, t: float, y: float) -> None:
        """After no full release, or starting mid-squeeze: wait until the hand lets go."""
        if y > self._await_peak:
            self._await_peak = y
        self._settle_track(t, y)
        rearm_at = self._rest + (self._await_peak - self._rest) * (1.0 - self.settings.rearm_fraction)
        still_for = t - self._settle_t
        if y <= rearm_at or still_for >= STILL_IS_REST_S:
            # Count further reps from the level the hand (or the ball) has settled at.
            self._state = _State.REST
            self._rest = y
            if not self._held:
                self._zero = y
            self._reset_candidate()

    def _begin_rep(self) -> None:
        assert self._cand_t is not None
        cand = self._cand
        t0 = self._cand_t
        self._state = _State.ACTIVE
        self._reset_rep()
        self._t_start = t0
        self._rep_rest = self._rest
        self._rep_zero = self._zero
        self._reset_candidate()
        for t, y in cand:
            self._active_track(t, y - self._rep_zero)

    def _active_step(self, t: float, y: float) -> ForceRep | None:
        s = self.settings
        r = y - self._rep_zero
        self._active_track(t, r)
        above_rest = y - self._rep_rest
        # 1. Back near the rest level it started from.
        if above_rest < self.end_level:
            if self._end_cand is None:
                self._end_cand = self._crossing(t, y, self._rep_rest + self.end_level)
            if t - self._end_cand >= s.end_confirm_s - 1e-9:
                return self._finish(self._end_cand, "rest")
        else:
            self._end_cand = None
        amp = self._peak - (self._rep_rest - self._rep_zero)
        # 2. Fallen most of the way and still there: the rest came back higher (creep).
        self._settle_track(t, y)
        # Low enough and not rising again since: falling (creep recovering after a
        # hard squeeze) or still.
        low_enough = above_rest <= max(self.start_level, (1.0 - s.release_share) * amp)
        if above_rest > self.start_level or y > self._low_ref + self._still_band:
            self._low_t, self._low_ref = t, y
        elif y < self._low_ref:
            self._low_ref = y
        back_on_shelf = (t - self._settle_t >= s.settle_s and y <= self._shelf + self._still_band
                         and self._rep_peak_level() - self._shelf >= self.start_level)
        if t - self._low_t >= s.settle_s or (low_enough and t - self._settle_t >= s.settle_s) or back_on_shelf:
            # (Back on a shelf: force sat still at a level, rose from it and came back
            # to it. The ball was resting there: put down differently, or pressed
            # into the table before the squeeze.)
            on_shelf = back_on_shelf and not low_enough
            if on_shelf:
                # Measure the squeeze from the shelf it rose from, not from below it.
                delta = self._shelf - self._rep_zero
                self._rep_zero = self._shelf
                self._peak -= delta
                self._buf = [(tt, rr - delta) for tt, rr in self._buf]
            rep = self._finish(min(self._low_t, self._settle_t), "settled")
            self._rest = y
            if not self._held:
                self._zero = y
            return rep
        # 3. Quick presses: a deep enough valley, then a new rise.
        if s.valley_split is not None:
            depth = s.valley_split * amp
            if r < self._valley:
                self._valley, self._t_valley = r, t
            if self._peak - self._valley >= depth and r - self._valley >= max(depth, self.start_level):
                return self._split_at_valley(t, y)
        if t >= self._no_release_deadline():
            if t - self._settle_t >= STILL_IS_REST_S and amp - above_rest <= max(self.start_level, 0.25 * amp):
                # A step that never moved again is the ball resting differently
                # (put down, pressed into the table), not a hand: no rep.
                self._state = _State.REST
                self._reset_rep()
                self._rest = self._zero = y
                return None
            rep = self._finish(t, "timeout")
            assert rep is not None
            self._state = _State.AWAIT_REARM
            self._held = True
            self._await_peak = self._rep_peak_abs
            self._settle_at(t, y)
            return rep
        return None

    def _split_at_valley(self, t: float, y: float) -> ForceRep | None:
        t_valley = self._t_valley
        tail = [(tt, yy) for tt, yy in self._buf if tt >= t_valley]
        rep = self._finish(t_valley, "valley")
        # The next press began at the valley: count it from there (no gap rule).
        self._state = _State.ACTIVE
        self._reset_rep()
        self._t_start = t_valley
        self._rep_rest = self._rest
        self._rep_zero = self._zero
        for tt, rr in tail:
            self._active_track(tt, rr)
        return rep

    def _active_track(self, t: float, r: float) -> None:
        s = self.settings
        self._buf.append((t, r))
        if r > self._peak:
            self._peak = r
            self._t_peak = t
            self._release_start = None
            self._valley = r
            self._t_valley = t
        elif self._release_start is None and r < 0.8 * self._peak:
            self._release_start = t
        hold_level = s.hold_fraction * s.target_pct
        if r >= hold_level:
            if self._hold_run_start is None or t - self._last_above > s.dip_tolerance_s:
                self._close_hold_run()
                self._hold_run_start = t
            self._last_above = t
            if self._hold_done_t is None and t - self._hold_run_start >= s.hold_s:
                self._hold_done_t = t

    def _close_hold_run(self) -> None:
        if self._hold_run_start is not None:
            run = self._last_above - self._hold_run_start
            if run > self._best_hold:
                self._best_hold = run
                self._best_hold_span = (self._hold_run_start, self._last_above)
        self._hold_run_start = None

    def _no_release_deadline(self) -> float:
        s = self.settings
        anchors = [a for a in (self._release_start, self._hold_done_t) if a is not None]
        backstop = self._t_start + s.hold_s + s.no_release_s + 3.0
        return min(min(anchors) + s.no_release_s, backstop) if anchors else backstop

    # ------------------------------------------------------ settling (still)
    def _settle_at(self, t: float, y: float) -> None:
        self._settle_t = t
        self._settle_ref = y

    def _settle_track(self, t: float, y: float) -> None:
        """Keep the start of the current still spell (force within the rest noise)."""
        if abs(y - self._settle_ref) > self._still_band:
            if (y > self._settle_ref and t - self._settle_t >= self.settings.settle_s
                    and self._settle_ref < self._shelf):
                self._shelf = self._settle_ref  # a level force sat still at, then rose from
            self._settle_at(t, y)

    def _crossing(self, t: float, y: float, level: float) -> float:
        """When, between the last sample and this one, the signal crossed ``level``
        (linear interpolation): a quick press is measured to the millisecond, not
        to the sample, so one that is over in 0.1 s is told from a twitch."""
        dy = y - self._prev_y
        if dy == 0.0:
            return t
        frac = min(1.0, max(0.0, (y - level) / dy))
        return t - frac * self._dt

    def _rep_peak_level(self) -> float:
        return self._peak + self._rep_zero

    def _measure_from(self) -> float:
        return self._rep_zero if self._state is _State.ACTIVE else self._zero

    # --------------------------------------------------------------- finish
    def _finish(self, t_end: float, ended_by: str) -> ForceRep | None:
        s = self.settings
        full_release = ended_by != "timeout"
        self._close_hold_run()
        t_start = self._t_start
        self._state = _State.REST
        if ended_by != "valley":
            self._armed_after = t_end + s.min_gap_s
        buf = self._buf
        if full_release and t_end - t_start < s.min_rep_s:
            self._reset_rep()
            return None  # a blip, not a squeeze
        peak = self._peak
        self._rep_peak_abs = peak + self._rep_zero
        # Rate of force development over the 20-80% rise of the peak.
        t20 = next((t for t, y in buf if y >= 0.2 * peak), t_start)
        t80 = next((t for t, y in buf if y >= 0.8 * peak), self._t_peak)
        rfd = 0.6 * peak / (t80 - t20) if t80 > t20 else 0.0
        # Steadiness over the middle 60% of the best hold, away from its ramps.
        h0, h1 = self._best_hold_span
        trim = 0.2 * (h1 - h0)
        hold_vals = [y for t, y in buf if h0 + trim <= t <= h1 - trim]
        hold_cv = None
        if len(hold_vals) >= 3:
            mean = sum(hold_vals) / len(hold_vals)
            var = sum((v - mean) ** 2 for v in hold_vals) / (len(hold_vals) - 1)
            hold_cv = math.sqrt(var) / mean if mean > 0 else None
        # Letting go starts when force last left the top 10% of the peak.
        near_peak = [t for t, y in buf if y >= 0.9 * peak and t <= t_end]
        release_s = (t_end - near_peak[-1]) if full_release and near_peak else None
        tail = [y for t, y in buf if t >= t_end]
        if ended_by == "valley":
            residual = self._valley
        else:
            residual = sum(tail) / len(tail) if tail else buf[-1][1]
        hold = self._best_hold
        failure: Failure | None = None
        if not full_release:
            failure = Failure.NO_FULL_RELEASE
        elif peak < s.target_pct - 1e-9:
            failure = Failure.BELOW_TARGET
        elif hold < s.hold_s - 1e-9:
            failure = Failure.HOLD_TOO_SHORT
        elif release_s is not None and release_s > s.release_window_s:
            failure = Failure.SLOW_RELEASE
        reaction = t_start - self._cue_t if self._cue_t is not None and self._cue_t <= t_start else None
        self._cue_t = None
        self._count += 1
        cal = self.calibration
        rep = ForceRep(
            number=self._count,
            t_start=t_start,
            t_peak=self._t_peak,
            t_end=t_end,
            peak_pct=peak,
            peak_device=cal.baseline + (peak + self._rep_zero) / self._scale,
            target_pct=s.target_pct,
            hold_target_s=s.hold_s,
            # On a plateau the exact maximum is noise; 95% of the peak is when it was reached.
            time_to_peak_s=next((t for t, y in buf if y >= 0.95 * peak), self._t_peak) - t_start,
            rfd_pct_per_s=rfd,
            hold_s=hold,
            hold_cv=hold_cv,
            release_s=release_s,
            residual_pct=residual,
            full_release=full_release,
            reaction_s=reaction,
            success=failure is None,
            failure=failure,
            rest_device=cal.baseline + self._rep_zero / self._scale,
            ended_by=ended_by,
        )
        self._reset_rep()
        return rep

    # ------------------------------------------------------------- helpers
    def _reset_candidate(self) -> None:
        self._cand_t: float | None = None
        self._cand: list[tuple[float, float]] = []

    def _reset_rep(self) -> None:
        self._buf: list[tuple[float, float]] = []
        self._peak = -math.inf
        self._t_peak = 0.0
        self._t_start = 0.0
        self._rep_rest = self._rest if hasattr(self, "_rest") else 0.0
        self._rep_zero = self._zero if hasattr(self, "_zero") else 0.0
        self._release_start: float | None = None
        self._hold_run_start: float | None = None
        self._last_above = 0.0
        self._best_hold = 0.0
        self._best_hold_span = (math.inf, -math.inf)
        self._hold_done_t: float | None = None
        self._end_cand: float | None = None
        self._valley = math.inf
        self._t_valley = 0.0
        self._settle_t = -math.inf
        self._settle_ref = math.inf
        self._shelf = math.inf
        self._low_t = math.inf
        self._low_ref = math.inf
        self._await_peak = -math.inf
