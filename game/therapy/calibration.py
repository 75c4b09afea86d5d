"""Per-patient, per-hand force calibration (see shared CLINICAL.md).

3 s at rest give the baseline and its noise; three maximal squeezes give MVC as
the highest 250 ms moving average; targets use the median MVC of the last three
calibrations so one bad day does not swing them.
"""

from __future__ import annotations

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


def rest_stats(force: Sequence[float]) -> tuple[float, float]:
    """Baseline (median) and noise SD of a rest recording."""
    arr = np.asarray(force, dtype=float)
    if len(arr) < 2:
        raise ValueError("need at least two rest samples")
    return float(np.median(arr)), float(np.std(arr, ddof=1))


def calibrate(
    rest_force: Sequence[float], trials: Sequence[tuple[np.ndarray, np.ndarray]], units: str = "device units"
) -> Calibration:
    """Calibration from a rest recording and (t, force) arrays of maximal squeezes."""
    baseline, noise = rest_stats(rest_force)
    best = max(moving_average_max(t, f) for t, f in trials)
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
