"""Scripted rolling hands: roll traces built from ball positions, with what they hold.

A script is a list of movements of the ball along one axis (or round a circle);
positions are joined by smooth cosine ramps (hardware.traces.keyframe_curve) and
differentiated into the roll *rates* a gyro ball reports, then sensor effects are
added: seeded rate noise, a small tremor and a constant gyro bias. Each builder
returns the (N, 4) trace (t, force, roll_x, roll_y) and how many reps (and good
reps) the script holds, so a test can check the detector counts exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hardware.traces import keyframe_curve

FS = 100.0
RANGE = 90.0  # the default RollRange: target stroke 45 units, start threshold 13.5


@dataclass(frozen=True)
class Script:
    trace: np.ndarray
    reps: int
    good: int
    kinds: tuple[str, ...]


# What each kind of movement is, and whether it is a rep / a good rep.
STROKE_KINDS = {
    "good": (True, True),  # out 55-75 units in 0.6-1.5 s, back
    "weak": (True, False),  # out 22-35: an attempt short of the target (a near miss)
    "slow": (True, True),  # out 55-70 over 3-6 s, a pause, back over 3-6 s
    "tiny": (False, False),  # a 4-9 unit wiggle: not a stroke
    "partial": (False, False),  # rolls out and stays out (never comes back)
    "drift": (False, False),  # a slow creep below the motion threshold
}


def _finish(t: np.ndarray, rate_main: np.ndarray, axis: str, *, force: float, seed: int,
            noise: float, bias: float, tremor: float) -> np.ndarray:
    rng = np.random.default_rng(seed + 1000)
    rx = np.zeros_like(t)
    ry = np.zeros_like(t)
    if axis == "x":
        rx = rate_main.copy()
    else:
        ry = rate_main.copy()
    for r in (rx, ry):
        r += rng.normal(0.0, noise, size=t.shape) + bias
        r += tremor * np.sin(2 * np.pi * 9.0 * t)
    return np.column_stack([t, np.full_like(t, force), rx, ry])


def stroke_script(kinds: list[str], *, axis: str = "y", seed: int = 0, force: float = 100.0,
                  noise: float = 1.0, bias: float = 1.5, tremor: float = 2.0) -> Script:
    """Strokes along one axis in a seeded shuffle; each in a seeded direction."""
    rng = np.random.default_rng(seed)
    kinds = list(kinds)
    rng.shuffle(kinds)
    frames: list[tuple[float, float]] = [(0.0, 0.0)]
    t, p = 4.0, 0.0  # the first seconds are still, so the gyro bias is learnt
    drift_segments: list[tuple[float, float, float]] = []
    for k in kinds:
        sign = 1.0 if rng.random() < 0.5 else -1.0
        frames.append((t, p))
        if k in ("good", "weak", "slow", "tiny"):
            amp = {"good": (55, 75), "weak": (22, 35), "slow": (55, 70), "tiny": (4, 9)}[k]
            a = sign * rng.uniform(*amp)
            out = rng.uniform(3.0, 6.0) if k == "slow" else rng.uniform(0.6, 1.5)
            hold = rng.uniform(0.2, 2.0)
            back = rng.uniform(3.0, 6.0) if k == "slow" else rng.uniform(0.6, 1.5)
            frames += [(t + out, p + a), (t + out + hold, p + a), (t + out + hold + back, p)]
            t += out + hold + back
        elif k == "partial":
            a = sign * rng.uniform(50, 65)
            out = rng.uniform(0.8, 1.5)
            frames += [(t + out, p + a)]
            p += a
            t += out + 7.0  # it stays out there
            frames.append((t, p))
        elif k == "drift":
            dur = rng.uniform(6.0, 9.0)
            drift_segments.append((t, t + dur, sign * 1.2))  # units/s, under the dead-band
            t += dur
        t += rng.uniform(1.0, 2.5)
    duration = t + 4.0
    tt = np.arange(0.0, duration, 1.0 / FS)
    pos = keyframe_curve(tt, frames)
    rate = np.gradient(pos, 1.0 / FS)
    for a, b, r in drift_segments:
        rate[(tt >= a) & (tt < b)] += r
    reps = sum(STROKE_KINDS[k][0] for k in kinds)
    good = sum(STROKE_KINDS[k][1] for k in kinds)
    trace = _finish(tt, rate, axis, force=force, seed=seed, noise=noise, bias=bias, tremor=tremor)
    return Script(trace, reps, good, tuple(kinds))


CIRCLE_KINDS = {
    "good": (True, True),  # one circle of diameter 55-70
    "small": (True, False),  # diameter 22-35: a circle short of the target size
    "slow": (True, True),  # a good circle taking 5-8 s
    "tiny": (False, False),  # a tremor-sized circle (diameter 6): not a rep
    "half": (False, False),  # three-quarters round, then a long stop: not a full circle
    "line": (False, False),  # back and forth along a line: not a circle
}


def circle_script(kinds: list[str], *, seed: int = 0, force: float = 100.0, noise: float = 1.0,
                  bias: float = 1.5, tremor: float = 2.0) -> Script:
    """Separate circles (each from rest) of a seeded size, speed and direction."""
    rng = np.random.default_rng(seed)
    kinds = list(kinds)
    rng.shuffle(kinds)
    segs = []
    t = 4.0
    for k in kinds:
        d = {"good": (55, 70), "small": (22, 35), "slow": (55, 70), "tiny": (5, 7), "half": (55, 65),
             "line": (55, 65)}[k]
        diam = rng.uniform(*d)
        dur = rng.uniform(5.0, 8.0) if k == "slow" else rng.uniform(1.2, 2.5)
        turns = 0.75 if k == "half" else 1.0
        direction = 1.0 if rng.random() < 0.5 else -1.0
        segs.append((k, t, dur, diam, turns, direction, rng.uniform(0, 2 * np.pi)))
        t += dur + (4.0 if k == "half" else 0.0) + rng.uniform(1.5, 3.0)
    duration = t + 4.0
    tt = np.arange(0.0, duration, 1.0 / FS)
    px = np.zeros_like(tt)
    py = np.zeros_like(tt)
    ox = oy = 0.0
    for k, t0, dur, diam, turns, direction, phase in segs:
        m = tt >= t0
        u = np.clip((tt[m] - t0) / dur, 0.0, 1.0)
        s = (1 - np.cos(np.pi * u)) / 2  # starts and stops smoothly
        r = diam / 2
        if k == "line":
            # two strokes out and back along a diagonal: direction flips, never turns round
            w = np.sin(2 * np.pi * s) * r * 1.4
            dx, dy = w * np.cos(phase), w * np.sin(phase)
            end = (0.0, 0.0)
        else:
            ang = phase + direction * 2 * np.pi * turns * s
            dx = r * np.cos(ang) - r * np.cos(phase)
            dy = r * np.sin(ang) - r * np.sin(phase)
            end = (dx[-1], dy[-1])
        px[m] = ox + dx
        py[m] = oy + dy
        ox, oy = ox + end[0], oy + end[1]
    rx = np.gradient(px, 1.0 / FS)
    ry = np.gradient(py, 1.0 / FS)
    rng2 = np.random.default_rng(seed + 1000)
    rx += rng2.normal(0.0, noise, size=tt.shape) + bias + tremor * np.sin(2 * np.pi * 9.0 * tt)
    ry += rng2.normal(0.0, noise, size=tt.shape) + bias + tremor * np.cos(2 * np.pi * 9.0 * tt)
    trace = np.column_stack([tt, np.full_like(tt, force), rx, ry])
    reps = sum(CIRCLE_KINDS[k][0] for k in kinds)
    good = sum(CIRCLE_KINDS[k][1] for k in kinds)
    return Script(trace, reps, good, tuple(kinds))
