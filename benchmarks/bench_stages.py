"""What a stage costs to draw: each game's world and HUD at every stage, 1920x1080, headless.

    python benchmarks/bench_stages.py [--frames 300] [--size 1920x1080]

Each game is fed its scripted set (tests/left_hand_scripts.py) and drawn every frame; the
figure is this thread's CPU time for ``game.draw`` (median and 99th percentile, ms), per
game and stage. The static scenery of a stage is painted once and then copied
(``MiniGame.draw_backdrop``), so stage 5 should cost about what stage 1 does. The whole
frame (events, detector, presenting) is measured by bench_frames.py.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def measure(exercise: str, stage: int, frames: int, size: tuple[int, int]) -> list[float]:
    import pygame

    from game.games import GAMES
    from game.games.base import GameSetup
    from game.loop import STEP
    from game.therapy.force_reps import ForceRepSettings
    from game.ui import Canvas
    from tests.helpers import CAL
    from tests.left_hand_scripts import feed_step, trace_for

    trace, n = trace_for(exercise)
    g = GAMES[exercise](GameSetup(CAL, ForceRepSettings(), n, random.Random(0), stage=stage))
    canvas = Canvas(pygame.Surface(size))
    times, i, t = [], 0, 0.0
    for _ in range(frames):
        t += STEP
        i = feed_step(g, trace, i, t)
        c0 = time.thread_time()
        g.draw(canvas, 0.5)
        times.append((time.thread_time() - c0) * 1000.0)
    return times[10:]  # the first frames paint the backdrop and warm the text cache


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="1920x1080")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    import pygame

    pygame.init()
    pygame.display.set_mode((1, 1))
    from benchmarks.common import percentile
    from game.games import GAMES
    from game.therapy.stages import STAGE_COUNT

    print(f"draw CPU ms per frame at {size[0]}x{size[1]}, median / p99, {args.frames} frames")
    print(f"{'game':18s}" + "".join(f"{'stage ' + str(s):>14s}" for s in range(1, STAGE_COUNT + 1)))
    worst = 0.0
    for ex in GAMES:
        cells = []
        for s in range(1, STAGE_COUNT + 1):
            ts = sorted(measure(ex, s, args.frames, size))
            p50, p99 = percentile(ts, 50), percentile(ts, 99)
            worst = max(worst, p99)
            cells.append(f"{p50:6.2f} / {p99:5.2f}")
        print(f"{ex:18s}" + "".join(f"{c:>14s}" for c in cells))
    print(f"worst p99: {worst:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
