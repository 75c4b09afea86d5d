"""Short force profiles for the simulated Uno: a calibration phase, then a set of squeezes.

``short_power_grip_profile`` is the test bed's own small generator (until the
sensor-physics generator is used here): 200 rows a second of force in %MVC
with 8 Hz tremor, a rest and one maximal squeeze to calibrate from, then
``n_reps`` squeezes of which ``weak_fraction`` peak well below the target (they
must be counted and must not pass as strong). ``to_volts`` and ``to_hx711``
turn %MVC into what the sensor puts on the pin: an FSR divider on A0, or a
load cell's HX711 counts, with the sensor's own noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE_HZ = 200.0


@dataclass(frozen=True)
class TrueRep:
    t_start: float
    t_end: float
    peak_pct: float
    strong: bool


@dataclass(frozen=True)
class ShortProfile:
    t: np.ndarray
    pct: np.ndarray
    reps: tuple[TrueRep, ...]
    rest_window: tuple[float, float]  # calibration: the hand at rest
    squeeze_window: tuple[float, float]  # calibration: one maximal squeeze
    calibration_end_s: float

    @property
    def duration_s(self) -> float:
        return float(self.t[-1])


def _squeeze(t: np.ndarray, t0: float, rise: float, hold: float, release: float, peak: float) -> np.ndarray:
    """A smooth squeeze: raised-cosine rise, a plateau, a raised-cosine release."""
    out = np.zeros_like(t)
    a = (t >= t0) & (t < t0 + rise)
    out[a] = peak * 0.5 * (1 - np.cos(np.pi * (t[a] - t0) / rise))
    b = (t >= t0 + rise) & (t < t0 + rise + hold)
    out[b] = peak
    t1 = t0 + rise + hold
    c = (t >= t1) & (t < t1 + release)
    out[c] = peak * 0.5 * (1 + np.cos(np.pi * (t[c] - t1) / release))
    return out


def short_power_grip_profile(seed: int, *, n_reps: int = 10, weak_fraction: float = 0.3, target_pct: float = 20.0,
                             first_rest_s: float = 4.5) -> ShortProfile:
    """About 24 s: rest until ``first_rest_s``, one maximal squeeze, then the set.

    The first rest is long enough for a 9600-baud sketch to be found after the
    reader's first try at 115200 baud (about 3 s of garbage, as on a real port).
    """
    rng = np.random.default_rng(seed)
    n_weak = round(n_reps * weak_fraction)
    weak = set(rng.choice(n_reps, size=n_weak, replace=False).tolist())
    spans = []
    mvc_t0 = first_rest_s
    t = mvc_t0 + 0.3 + 0.8 + 0.3 + 0.8  # the maximal squeeze, then a rest
    cal_end = t
    reps = []
    for i in range(n_reps):
        rise, release = rng.uniform(0.2, 0.3), rng.uniform(0.2, 0.3)
        if i in weak:
            peak, hold = rng.uniform(0.4, 0.65) * target_pct, rng.uniform(0.4, 0.6)
        else:
            peak, hold = rng.uniform(1.6, 2.8) * target_pct, rng.uniform(0.55, 0.75)
        spans.append((t, rise, hold, release, peak))
        reps.append(TrueRep(t, t + rise + hold + release, peak, i not in weak))
        t += rise + hold + release + rng.uniform(0.55, 0.7)
    duration = t + 0.4
    tt = np.arange(0.0, duration, 1.0 / RATE_HZ)
    pct = _squeeze(tt, mvc_t0, 0.3, 0.8, 0.3, 100.0)
    for s in spans:
        pct += _squeeze(tt, *s)
    # Physiological tremor (8 Hz), larger under effort; never below rest.
    tremor = np.sin(2 * np.pi * 8.0 * tt + rng.uniform(0, 2 * np.pi)) * (0.3 + 0.02 * pct)
    pct = np.maximum(0.0, pct + tremor)
    return ShortProfile(tt, pct, tuple(reps), (first_rest_s - 1.1, first_rest_s - 0.1),
                        (mvc_t0, mvc_t0 + 1.4), cal_end)


def to_volts(pct: np.ndarray, seed: int, *, rest_v: float = 0.4, full_v: float = 3.4, noise_v: float = 0.0015) -> np.ndarray:
    """An FSR in a divider on A0: volts at the pin (noise under one 4.9 mV ADC count)."""
    rng = np.random.default_rng(seed + 1000)
    return rest_v + pct / 100.0 * (full_v - rest_v) + rng.normal(0.0, noise_v, len(pct))


def to_hx711(pct: np.ndarray, seed: int, *, offset: float = 15000.0, full: float = 250000.0,
             noise: float = 120.0) -> np.ndarray:
    """A load cell through an HX711 at gain 128: signed 24-bit counts."""
    rng = np.random.default_rng(seed + 2000)
    return offset + pct / 100.0 * full + rng.normal(0.0, noise, len(pct))
