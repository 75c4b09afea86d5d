"""What the left-hand (mirrored) layout costs to draw: each game's draw time, right vs left.

Each game is played headless to the middle of a set by the scripted hand of
``tests/left_hand_scripts.py`` (the same trace for both hands), then its frame is
drawn ``--frames`` times at 1920x1080 and the median and p99 draw times are
printed for each hand. The mirror reflects every coordinate in Python, so this
shows it stays far inside a 60 Hz frame (16.7 ms).

    python benchmarks/bench_left_hand.py [--frames 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

SIZE = (1920, 1080)


def draw_times(game: str, hand: str, frames: int) -> list[float]:
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.loop import STEP
    from game.scenes.play import PlayScene
    from hardware.clock import ManualClock
    from hardware.scripted import ScriptedSource
    from tests.helpers import CAL
    from tests.left_hand_scripts import trace_for

    trace, reps = trace_for(game)
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock()
        app = App(AppOptions(headless=True, data_dir=Path(tmp), exercise=game, window_size=SIZE, sound=False,
                             play=PlaySettings(reps_per_set=reps, hand=hand)),
                  clock=clock, source=ScriptedSource(clock, trace, name="Bench"), calibration=CAL)
        app.draw = lambda alpha: None  # type: ignore[method-assign]
        while not (isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2 and app.top.game.detector.in_rep):
            clock.advance(STEP)
            app.frame()
        del app.draw
        for _ in range(20):  # fonts and text surfaces are cached on first use
            app.draw(0.5)
        out = []
        for _ in range(frames):
            t0 = time.perf_counter()
            app.draw(0.5)
            out.append((time.perf_counter() - t0) * 1000.0)
        app.shutdown()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300, help="frames drawn per game and hand")
    args = ap.parse_args(argv)
    from tests.left_hand_scripts import ALL_GAMES

    print(f"draw time per frame at {SIZE[0]}x{SIZE[1]}, ms (median / p99), {args.frames} frames")
    print(f"{'game':18} {'right':>15} {'left':>15} {'left - right':>13}")
    for g in ALL_GAMES:
        r, lt = draw_times(g, "right", args.frames), draw_times(g, "left", args.frames)
        rm, lm = float(np.median(r)), float(np.median(lt))
        print(f"{g:18} {rm:6.2f} / {np.percentile(r, 99):5.2f} {lm:6.2f} / {np.percentile(lt, 99):5.2f} "
              f"{lm - rm:+12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
