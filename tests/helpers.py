"""Building a headless app around a scripted or keyboard source."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from game.app import App, AppOptions
from game.context import PlaySettings
from game.records.storage import Store
from game.therapy.calibration import Calibration
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from hardware.traces import Squeeze, synth_trace

BASE, MVC = 40.0, 300.0
CAL = Calibration(baseline=BASE, mvc=MVC, noise_sd=1.5)


def pct(p: float) -> float:
    return p / 100 * MVC


def scripted_set(n_good: int, n_weak: int = 0, n_subthreshold: int = 0, *, seed: int = 0) -> tuple[np.ndarray, int]:
    """A set's trace: good squeezes, weak ones (counted, below target), and tiny ones
    under the start threshold (not reps at all), shuffled with a seed. Returns the
    trace and the number of reps it holds."""
    rng = np.random.default_rng(seed)
    kinds = ["good"] * n_good + ["weak"] * n_weak + ["tiny"] * n_subthreshold
    rng.shuffle(kinds)
    squeezes, t = [], 3.0
    for k in kinds:
        peak = {"good": pct(rng.uniform(28, 40)), "weak": pct(rng.uniform(10, 15)), "tiny": pct(2.5)}[k]
        release = rng.uniform(0.4, 5.0)
        squeezes.append(Squeeze(t, peak, rise=rng.uniform(0.3, 1.0), hold=rng.uniform(0.8, 1.5), release=release))
        t = squeezes[-1].end + rng.uniform(1.0, 3.0)
    trace = synth_trace(squeezes, t + 5, baseline=BASE, noise_sd=1.5, tremor_hz=9, tremor_amp=pct(2), seed=seed)
    return trace, n_good + n_weak


def make_app(tmp_path: Path, trace: np.ndarray | None = None, *, exercise: str | None = "power_grip",
             reps: int = 10, size: tuple[int, int] = (1280, 720), source=None, calibration=None) -> App:
    clock = ManualClock()
    if source is None and trace is not None:
        source = ScriptedSource(clock, trace, name="Script")
        calibration = CAL
    opts = AppOptions(headless=True, data_dir=tmp_path, exercise=exercise, window_size=size, sound=False,
                      play=PlaySettings(reps_per_set=reps))
    return App(opts, clock=clock, source=source, calibration=calibration,
               store=Store.in_dir(tmp_path))


def run_until(app: App, cond, max_seconds: float = 600.0) -> None:
    from game.loop import STEP

    for _ in range(int(max_seconds / STEP)):
        if cond():
            return
        app.clock.advance(STEP)
        app.frame()
    raise AssertionError("condition not reached in time")


def run_until_thread(app: App, cond, wall_s: float = 60.0) -> None:
    """Frames until ``cond``, when a thread of the game's own brings it about (the records writer): each frame
    takes a real frame's time, as the game's own do, so that thread runs however busy the machine is. Unpaced,
    hundreds of frames pass in a moment and a thread held up that long missed a bound counted in frames."""
    from game.loop import STEP

    deadline = time.monotonic() + wall_s  # real seconds: only a broken game reaches it
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {wall_s:g} s")
        time.sleep(STEP)
        app.clock.advance(STEP)
        app.frame()
