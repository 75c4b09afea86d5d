"""Repetition detection for the force exercises (see shared CLINICAL.md).

A hysteresis state machine on force above the baseline in %MVC, run on a causal
~10 Hz low-pass so 6-12 Hz tremor cannot split a squeeze in two:

* a rep starts when force stays above ``max(start_pct, 3 x rest noise)`` for
  ``start_confirm_s``; it ends when force stays below half that for
  ``end_confirm_s``; shorter reps than ``min_rep_s`` are noise, and a new rep
  cannot start within ``min_gap_s`` of the last one's end;
* success = the peak reached the target, force stayed >= 90% of the target for
  the hold time (dips shorter than ``dip_tolerance_s`` are bridged, so tremor
  does not break a hold), and the hand released within the release window;
* a hand that does not release within ``no_release_s`` gets the rep logged as
  "no full release"; detection re-arms once force has fallen by half from the
  peak, counting further reps from the level the hand has settled at;
* after ``rezero_after_s`` of stable rest the baseline is re-zeroed, so sensor
  drift does not creep towards the start threshold.

Timings are per exercise (a quick finger press is not a slow power grip), so
they live in :class:`ForceRepSettings`, which level files fill in.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from enum import Enum

from game.therapy.calibration import Calibration
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
    rezero_after_s: float = 2.0
    max_gap_s: float = 0.5

    def with_target(self, target_pct: float) -> ForceRepSettings:
        return replace(self, target_pct=target_pct)


class Failure(str, Enum):
    BELOW_TARGET = "below_target"
    HOLD_TOO_SHORT = "hold_too_short"
    SLOW_RELEASE = "slow_release"
    NO_FULL_RELEASE = "no_full_release"


@dataclass(frozen=True, slots=True)
class ForceRep:
    """The measurements of one repetition, as logged."""

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
        self._baseline = calibration.baseline
        self._detect = LowPass2(self.settings.detect_cutoff_hz)
        self._display = LowPass2(self.settings.display_cutoff_hz)
        self._last_t: float | None = None
        self._state = _State.REST
        self._count = 0
        self._floor = 0.0
        self._armed_after = -math.inf
        self._cue_t: float | None = None
        self._reset_candidate()
        self._reset_rep()
        self._reset_stability(None, 0.0)
        self.rezero_count = 0

    # ---------------------------------------------------------------- public
    @property
    def start_level(self) -> float:
        s = self.settings
        return max(s.start_pct, s.noise_factor * self.calibration.noise_pct)

    @property
    def end_level(self) -> float:
        return self.start_level * self.settings.end_fraction

    @property
    def level_pct(self) -> float:
        """Detection signal (10 Hz), %MVC above the current baseline."""
        return self._detect.value

    @property
    def display_pct(self) -> float:
        """The gentler signal to draw (4-5 Hz), %MVC."""
        return self._display.value

    @property
    def baseline(self) -> float:
        return self._baseline

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

    def feed(self, samples: list[Sample]) -> list[ForceRep]:
        reps: list[ForceRep] = []
        for s in samples:
            rep = self.step(s.t, s.force)
            if rep is not None:
                reps.append(rep)
        return reps

    def step(self, t: float, force: float) -> ForceRep | None:
        if not (math.isfinite(t) and math.isfinite(force)):
            return None
        cal = self.calibration
        x = (force - self._baseline) / cal.mvc * 100.0
        if self._last_t is None or t - self._last_t > self.settings.max_gap_s:
            # First sample, or the signal stopped (pause, unplug): a rep in
            # progress cannot be judged across a hole, so it is dropped.
            self._detect.reset(x)
            self._display.reset(x)
            self._reset_rep()
            self._reset_candidate()
            # Coming back mid-squeeze: wait for a release before counting again.
            self._state = _State.AWAIT_REARM if x > self._floor + self.start_level else _State.REST
            self._rearm_level = self._floor + self.end_level
            self._reset_stability(t, x)
            self._last_t = t
            return None
        dt = t - self._last_t
        if dt <= 0:
            return None  # duplicate or out-of-order timestamp
        self._last_t = t
        y = self._detect.step(x, dt)
        self._display.step(x, dt)
        if self._state is _State.REST:
            self._rest_step(t, y)
            return None
        if self._state is _State.AWAIT_REARM:
            if y <= self._rearm_level:
                self._state = _State.REST
                self._floor = max(0.0, y)
                self._reset_stability(t, y)
            return None
        return self._active_step(t, y)

    # --------------------------------------------------------------- states
    def _rest_step(self, t: float, y: float) -> None:
        s = self.settings
        if y < self.end_level:
            self._floor = 0.0
        elif self._floor > 0:
            self._floor = min(self._floor, y)
        self._track_stability(t, y)
        if y > self._floor + self.start_level and t >= self._armed_after:
            if self._cand_t is None:
                self._cand_t = t
            self._cand.append((t, y))
            if t - self._cand_t >= s.start_confirm_s - 1e-9:
                self._begin_rep()
        else:
            self._reset_candidate()

    def _begin_rep(self) -> None:
        assert self._cand_t is not None
        self._state = _State.ACTIVE
        self._reset_rep()
        self._t_start = self._cand_t
        self._rep_floor = self._floor
        for t, y in self._cand:
            self._active_track(t, y)
        self._reset_candidate()

    def _active_step(self, t: float, y: float) -> ForceRep | None:
        s = self.settings
        self._active_track(t, y)
        if y < self._rep_floor + self.end_level:
            if self._end_cand is None:
                self._end_cand = t
            if t - self._end_cand >= s.end_confirm_s - 1e-9:
                return self._finish(self._end_cand, full_release=True)
        else:
            self._end_cand = None
        if t >= self._no_release_deadline():
            floor = self._rep_floor
            rep = self._finish(t, full_release=False)
            assert rep is not None
            self._state = _State.AWAIT_REARM
            self._rearm_level = floor + (rep.peak_pct - floor) * (1.0 - s.rearm_fraction)
            return rep
        return None

    def _active_track(self, t: float, y: float) -> None:
        s = self.settings
        self._buf.append((t, y))
        if y > self._peak:
            self._peak = y
            self._t_peak = t
            self._release_start = None
        elif self._release_start is None and y < 0.8 * self._peak:
            self._release_start = t
        hold_level = s.hold_fraction * s.target_pct
        if y >= hold_level:
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

    def _finish(self, t_end: float, *, full_release: bool) -> ForceRep | None:
        s = self.settings
        self._close_hold_run()
        t_start = self._t_start
        self._state = _State.REST
        self._armed_after = t_end + s.min_gap_s
        self._reset_stability(None, 0.0)
        buf = self._buf
        if full_release and t_end - t_start < s.min_rep_s:
            self._reset_rep()
            return None  # a blip, not a squeeze
        peak = self._peak
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
        rep = ForceRep(
            number=self._count,
            t_start=t_start,
            t_peak=self._t_peak,
            t_end=t_end,
            peak_pct=peak,
            peak_device=self._baseline + peak / 100.0 * self.calibration.mvc,
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
        )
        self._reset_rep()
        return rep

    # ------------------------------------------------------ drift re-zeroing
    def _reset_stability(self, t: float | None, y: float) -> None:
        self._stab_t0 = t
        self._stab_min = self._stab_max = y
        self._stab_sum = 0.0
        self._stab_n = 0

    def _track_stability(self, t: float, y: float) -> None:
        if self._stab_t0 is None:
            self._reset_stability(t, y)
        lo, hi = min(self._stab_min, y), max(self._stab_max, y)
        if hi - lo > self.start_level or self._cand_t is not None:
            self._reset_stability(t, y)
            return
        self._stab_min, self._stab_max = lo, hi
        self._stab_sum += y
        self._stab_n += 1
        assert self._stab_t0 is not None
        if t - self._stab_t0 >= self.settings.rezero_after_s and self._stab_n > 0:
            mean = self._stab_sum / self._stab_n
            if abs(mean) < self.start_level:
                self._baseline += mean / 100.0 * self.calibration.mvc
                self._detect.shift(-mean)
                self._display.shift(-mean)
                self._floor = max(0.0, self._floor - mean)
                self.rezero_count += 1
            self._reset_stability(t, y - mean)

    # ------------------------------------------------------------- helpers
    def _reset_candidate(self) -> None:
        self._cand_t: float | None = None
        self._cand: list[tuple[float, float]] = []

    def _reset_rep(self) -> None:
        self._buf: list[tuple[float, float]] = []
        self._peak = -math.inf
        self._t_peak = 0.0
        self._t_start = 0.0
        self._rep_floor = 0.0
        self._release_start: float | None = None
        self._hold_run_start: float | None = None
        self._last_above = 0.0
        self._best_hold = 0.0
        self._best_hold_span = (math.inf, -math.inf)
        self._hold_done_t: float | None = None
        self._end_cand: float | None = None
        self._rearm_level = 0.0
