"""Per-patient, per-hand force calibration (see shared CLINICAL.md).

3 s at rest give the baseline and its noise; three maximal squeezes give MVC as
the highest 250 ms moving average; targets use the median MVC of the last three
calibrations so one bad day does not swing them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MVC_WINDOW_S = 0.25


@dataclass(frozen=True, slots=True)
class Calibration:
    """How device units map to effort for one patient's hand.

    ``baseline``: device reading at rest. ``mvc``: maximal voluntary contraction in
    device units *above* the baseline. ``noise_sd``: rest noise, device units.
    ``units`` says what a device unit is; force from a squeeze ball is
    device-derived, not a dynamometer reading, unless it was weight-calibrated.
    """

    baseline: float
    mvc: float
    noise_sd: float = 0.0
    units: str = "device units"

    def __post_init__(self) -> None:
        if not self.mvc > 0:
            raise ValueError(f"MVC must be above the rest level, got {self.mvc}")

    def to_pct(self, force: float) -> float:
        return (force - self.baseline) / self.mvc * 100.0

    def to_device(self, pct: float) -> float:
        return self.baseline + pct / 100.0 * self.mvc

    @property
    def noise_pct(self) -> float:
        return self.noise_sd / self.mvc * 100.0


def moving_average_max(t: np.ndarray, force: np.ndarray, window_s: float = MVC_WINDOW_S) -> float:
    """Highest mean of ``force`` over any ``window_s`` span (time-weighted by samples)."""
    t = np.asarray(t, dtype=float)
    force = np.asarray(force, dtype=float)
    if len(t) == 0:
        raise ValueError("no samples")
    csum = np.concatenate([[0.0], np.cumsum(force)])
    # For each start i, the first index j with t[j] >= t[i] + window.
    ends = np.searchsorted(t, t + window_s, side="left")
    valid = ends < len(t) + 1
    starts = np.arange(len(t))[valid]
    ends = ends[valid]
    counts = ends - starts
    ok = counts > 0
    if not ok.any():
        return float(force.max())
    means = (csum[ends[ok]] - csum[starts[ok]]) / counts[ok]
    return float(means.max())


def is_read_failure(force: float, baseline: float, noise_sd: float) -> bool:
    """Is this reading a board's failed read rather than a force?

    An ADC that rests above zero reads zero or less only when a read fails (a
    broken lead, a firmware error code), and boards send exactly 0 or -1 for a
    failed read (an HX711's time-out and its stuck-high 0xFFFFFF) even where real
    readings are far from them (a load cell resting at -112,000).
    """
    far = abs(baseline - force) > 20.0 * max(noise_sd, 1.0)
    return (force <= 0.0 and baseline > 0.0 and far) or (force in (0.0, -1.0) and far)


def rest_stats(force: Sequence[float]) -> tuple[float, float]:
    """Baseline (median) and noise SD of a rest recording, robust to read failures.

    The SD is taken over the readings within 6 robust SDs (1.4826 x MAD, at least
    2 units) of the median, so a failed read (0, -1) cannot pass for noise.
    """
    arr = np.asarray(force, dtype=float)
    if len(arr) < 2:
        raise ValueError("need at least two rest samples")
    med = float(np.median(arr))
    mad = 1.4826 * float(np.median(np.abs(arr - med)))
    keep = arr[np.abs(arr - med) <= max(6.0 * mad, 2.0)]
    return med, float(np.std(keep, ddof=1)) if len(keep) >= 2 else 0.0


def calibrate(
    rest_force: Sequence[float], trials: Sequence[tuple[np.ndarray, np.ndarray]], units: str = "device units"
) -> Calibration:
    """Calibration from a rest recording and (t, force) arrays of maximal squeezes.

    Failed reads (see :func:`is_read_failure`) are left out of the squeezes.
    """
    baseline, noise = rest_stats(rest_force)
    best = -math.inf
    for t, f in trials:
        t, f = np.asarray(t, dtype=float), np.asarray(f, dtype=float)
        ok = np.array([not is_read_failure(v, baseline, noise) for v in f], dtype=bool)
        if ok.any():
            best = max(best, moving_average_max(t[ok], f[ok]))
    if not math.isfinite(best):
        raise ValueError("no readings in the squeezes")
    return Calibration(baseline=baseline, mvc=best - baseline, noise_sd=noise, units=units)


def target_mvc(recent_mvcs: Sequence[float]) -> float:
    """MVC that targets are based on: median of the last three calibrations."""
    if not recent_mvcs:
        raise ValueError("no calibrations")
    return float(statistics.median(list(recent_mvcs)[-3:]))


def estimate_from_signal(t: np.ndarray, force: np.ndarray, quiet_window_s: float = 1.0) -> Calibration:
    """Guess a calibration from an uncalibrated recording.

    Rest level and noise come from the quietest stretches (lowest-variance
    windows among the lower half of levels); MVC from the strongest 250 ms.
    """
    t = np.asarray(t, dtype=float)
    force = np.asarray(force, dtype=float)
    if len(t) < 4:
        raise ValueError("too few samples to estimate a calibration")
    span = t[-1] - t[0]
    n_win = max(1, int(span / quiet_window_s))
    edges = np.linspace(t[0], t[-1], n_win + 1)
    idx = np.searchsorted(t, edges)
    stats = []
    for a, b in zip(idx[:-1], idx[1:]):
        if b - a >= 2:
            seg = force[a:b]
            stats.append((float(np.std(seg)), float(np.median(seg))))
    if not stats:
        stats = [(float(np.std(force)), float(np.median(force)))]
    level_cut = np.median([m for _, m in stats])
    quiet = sorted(s for s in stats if s[1] <= level_cut)[: max(1, len(stats) // 4)]
    baseline = float(np.median([m for _, m in quiet]))
    noise = float(np.median([s for s, _ in quiet]))
    peak = moving_average_max(t, force)
    mvc = max(peak - baseline, 1e-6)
    return Calibration(baseline=baseline, mvc=mvc, noise_sd=noise)


class FirstSqueezeEstimate:
    """A calibration estimated from a live stream, honestly: none until a credible squeeze.

    For ``monitor`` and ``replay`` when nobody has calibrated. Drift, creep, a ball
    put down differently and rest noise must never pass for a squeeze, so a squeeze
    is credible only when the force rose quickly (within ``rise_s``) by at least
    ``max(10 x rest noise, 6 quantisation steps)`` above the level just before it,
    *and came back down* by half of that rise (a step that stays up is the ball
    resting differently). Until then :attr:`calibration` is None and nothing may
    be counted. Afterwards MVC is the strongest 250 ms seen so far, so it only
    grows; the rest level is the one just before the first squeeze.
    Causal and O(1) per sample: samples are folded into 50 ms bins.
    """

    BIN_S = 0.05
    RISE_S = 3.0
    STEP_S = 30.0  # a rise that has not come back down after this long is not a squeeze
    MIN_QUIET_BINS = 10  # half a second of rest before anything can be called a squeeze

    def __init__(self, *, quantum: float | None = None) -> None:
        self.quantum = quantum  # the device's smallest step (1 for ADC counts); learnt if None
        self.calibration: Calibration | None = None
        self._bin_t0: float | None = None
        self._bin_sum = self._bin_sq = 0.0
        self._bin_n = 0
        self._bins: list[float] = []  # recent bin means (the last RISE_S)
        self._quiet_sd: list[float] = []  # SDs of bins that looked like rest
        self._rise_from: float | None = None
        self._rise_bins = 0
        self._peak = -math.inf
        self._best = -math.inf  # strongest 250 ms (5 bins) mean so far
        self._seen_integer_only = True
        self.samples_seen = 0

    @property
    def status(self) -> str:
        if self.calibration is not None:
            return "estimated"
        return "waiting for a first squeeze" if self.samples_seen else "waiting for readings"

    @property
    def noise_sd(self) -> float:
        q = self._quantum()
        floor = q / math.sqrt(12.0) if q else 0.0  # quantisation noise of an ideal converter
        if not self._quiet_sd:
            return floor
        return max(floor, statistics.median(self._quiet_sd[-200:]))

    def _quantum(self) -> float:
        if self.quantum is not None:
            return self.quantum
        return 1.0 if self._seen_integer_only else 0.0

    def add(self, t: float, force: float) -> Calibration | None:
        """Fold in one sample; returns the calibration when it is first known or grows."""
        if not (math.isfinite(t) and math.isfinite(force)):
            return None
        force = float(force)
        if self._bins and is_read_failure(force, self._bins[-1], self.noise_sd):
            return None  # a failed read is not a reading
        self.samples_seen += 1
        if self._seen_integer_only and force != int(force):
            self._seen_integer_only = False
        if self._bin_t0 is None:
            self._bin_t0 = t
        if t - self._bin_t0 >= self.BIN_S and self._bin_n:
            changed = self._close_bin()
            self._bin_t0 = t
            self._bin_sum = self._bin_sq = 0.0
            self._bin_n = 0
        else:
            changed = None
        self._bin_sum += force
        self._bin_sq += force * force
        self._bin_n += 1
        return changed

    def _close_bin(self) -> Calibration | None:
        n = self._bin_n
        mean = self._bin_sum / n
        var = max(0.0, self._bin_sq / n - mean * mean)
        bins = self._bins
        bins.append(mean)
        keep = int(self.RISE_S / self.BIN_S)
        if len(bins) > keep:
            del bins[0]
        window = bins[-5:]
        avg250 = sum(window) / len(window)
        low = min(bins)
        threshold = max(10.0 * self.noise_sd, 6.0 * (self._quantum() or 0.0))
        if self._rise_from is None:
            if n >= 2:
                sd = math.sqrt(var * n / (n - 1))
                if mean - low <= max(threshold / 2, 2.0 * sd):
                    self._quiet_sd.append(sd)
            if len(self._quiet_sd) >= self.MIN_QUIET_BINS and mean - low >= threshold:
                self._rise_from = low
                self._rise_bins = 0
                self._peak = avg250
        else:
            self._peak = max(self._peak, avg250)
            self._rise_bins += 1
            rise = self._peak - self._rise_from
            if mean <= self._peak - 0.5 * rise:
                base, self._rise_from = self._rise_from, None
                if self.calibration is None:
                    self._best = self._peak
                    self.calibration = Calibration(baseline=base, mvc=rise, noise_sd=self.noise_sd)
                    return self.calibration
            elif self._rise_bins * self.BIN_S > self.STEP_S:
                self._rise_from = None  # up and never down again: the ball rests differently
        if self.calibration is not None and avg250 > self._best:
            self._best = avg250
            if avg250 - self.calibration.baseline > 1.1 * self.calibration.mvc:
                self.calibration = Calibration(baseline=self.calibration.baseline,
                                               mvc=avg250 - self.calibration.baseline,
                                               noise_sd=self.calibration.noise_sd)
                return self.calibration
        return None
