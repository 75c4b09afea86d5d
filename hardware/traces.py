"""Synthetic force traces shaped like real squeezes.

Used by the simulator input, by tests and by benchmarks. A trace is built from
keyframes (time, effort) joined by smooth (cosine) ramps, then optional sensor
effects are added: physiological tremor, slow baseline drift, and seeded sensor
noise. Everything is deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Squeeze:
    """One squeeze: rise to ``peak`` (device units above rest), hold, release.

    ``residual`` is the fraction of the peak the hand stays at after releasing
    (an incomplete release), for ``residual_hold`` seconds before letting go.
    """

    start: float
    peak: float
    rise: float = 0.4
    hold: float = 1.0
    release: float = 0.5
    residual: float = 0.0
    residual_hold: float = 0.0

    def keyframes(self) -> list[tuple[float, float]]:
        t0 = self.start
        t1 = t0 + self.rise
        t2 = t1 + self.hold
        t3 = t2 + self.release
        frames = [(t0, 0.0), (t1, self.peak), (t2, self.peak), (t3, self.residual * self.peak)]
        if self.residual > 0:
            t4 = t3 + self.residual_hold
            frames += [(t4, self.residual * self.peak), (t4 + 0.5, 0.0)]
        return frames

    @property
    def end(self) -> float:
        return self.keyframes()[-1][0]


def keyframe_curve(t: np.ndarray, frames: Sequence[tuple[float, float]]) -> np.ndarray:
    """Effort at times ``t``: flat outside the frames, cosine ramps between them."""
    frames = sorted(frames)
    out = np.zeros_like(t, dtype=float)
    if not frames:
        return out
    out[t < frames[0][0]] = frames[0][1]
    for (ta, va), (tb, vb) in zip(frames, frames[1:]):
        m = (t >= ta) & (t < tb)
        if tb > ta:
            u = (t[m] - ta) / (tb - ta)
            out[m] = va + (vb - va) * (1 - np.cos(np.pi * u)) / 2
    out[t >= frames[-1][0]] = frames[-1][1]
    return out


def synth_trace(
    squeezes: Sequence[Squeeze],
    duration: float,
    *,
    fs: float = 100.0,
    baseline: float = 50.0,
    noise_sd: float = 0.0,
    tremor_hz: float = 0.0,
    tremor_amp: float = 0.0,
    drift_per_s: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """An (N, 4) array of t, force, roll_x, roll_y sampled at ``fs``."""
    t = np.arange(0.0, duration, 1.0 / fs)
    force = np.full_like(t, baseline)
    for sq in squeezes:
        force += keyframe_curve(t, sq.keyframes())
    if tremor_amp and tremor_hz:
        # Tremor rides on the effort (it is a muscle oscillation, absent at rest).
        effort = force - baseline
        force += tremor_amp * np.sin(2 * np.pi * tremor_hz * t) * (effort > 0.05 * max(1.0, effort.max()))
    force += drift_per_s * t
    if noise_sd:
        force += np.random.default_rng(seed).normal(0.0, noise_sd, size=t.shape)
    return np.column_stack([t, force, np.zeros_like(t), np.zeros_like(t)])


def regular_squeezes(
    n: int,
    peak: float,
    *,
    first: float = 2.0,
    period: float = 3.0,
    rise: float = 0.4,
    hold: float = 1.0,
    release: float = 0.5,
) -> list[Squeeze]:
    return [Squeeze(first + i * period, peak, rise=rise, hold=hold, release=release) for i in range(n)]
