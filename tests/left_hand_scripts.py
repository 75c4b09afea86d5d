"""A scripted set for each game, the same for both hands (left-hand layout tests, screenshots).

Force games get good squeezes and two weak ones (near misses), in a seeded order,
with sensor noise and tremor; rolling games get the scripted rolls of
``tests/roll_scripts.py``. Each builder returns the trace and how many reps it holds.
"""

from __future__ import annotations

import numpy as np

from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, pct
from tests.roll_scripts import circle_script, stroke_script

FORCE_GAMES = ("power_grip", "pinch", "finger_flexion", "finger_squeeze")
STROKE_AXIS = {"thumb_flex_ext": "y", "table_roll": "y", "thumb_opposition": "x"}
ROLL_GAMES = (*STROKE_AXIS, "thumb_roll")
ALL_GAMES = FORCE_GAMES + ROLL_GAMES


def force_set(seed: int = 7, n_good: int = 4, n_weak: int = 2) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed)
    kinds = ["good"] * n_good + ["weak"] * n_weak
    rng.shuffle(kinds)
    squeezes, t = [], 2.5
    for k in kinds:
        peak = pct(rng.uniform(28, 38)) if k == "good" else pct(rng.uniform(10, 14))
        squeezes.append(Squeeze(t, peak, rise=rng.uniform(0.3, 0.7), hold=rng.uniform(0.9, 1.3),
                                release=rng.uniform(0.4, 1.5)))
        t = squeezes[-1].end + rng.uniform(1.2, 2.5)
    trace = synth_trace(squeezes, t + 5, baseline=BASE, noise_sd=1.5, tremor_hz=9, tremor_amp=pct(2), seed=seed)
    return trace, len(kinds)


def trace_for(game: str, seed: int = 7) -> tuple[np.ndarray, int]:
    """The game's scripted set and the number of reps in it."""
    if game in FORCE_GAMES:
        return force_set(seed)
    if game == "thumb_roll":
        sc = circle_script(["good"] * 3 + ["small", "tiny", "slow"], seed=seed)
    else:
        sc = stroke_script(["good"] * 3 + ["weak", "tiny", "slow"], axis=STROKE_AXIS[game], seed=seed)
    return sc.trace, sc.reps


def feed_step(g, trace: np.ndarray, i: int, t: float) -> int:  # noqa: ANN001 - a MiniGame
    """Feed game ``g`` the trace's rows from row ``i`` up to time ``t``, then update it one frame.

    Returns the index of the first row not yet fed.
    """
    from game.loop import STEP
    from hardware.sample import Sample

    batch = []
    while i < len(trace) and trace[i, 0] <= t:
        row = trace[i]
        batch.append(Sample(float(row[0]), float(row[1]), *(float(v) for v in row[2:4])))
        i += 1
    g.feed(batch)
    g.update(STEP)
    return i
