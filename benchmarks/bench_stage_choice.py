"""What the place chooser and the journey's rows cost to draw (issue 17), headless.

    python benchmarks/bench_stage_choice.py [--frames 300]

The chooser (``game/scenes/stage_choice.py``) shows each opened place as a picture of the
game's own scenery: a fresh game is built and its world drawn once per place, hand and window
size (``Canvas.sprite``), then copied. The figures: the first frame (every picture painted)
and the frames after it while the yellow frame walks (median and 99th percentile of this
thread's CPU time for the whole ``App.draw``, ms), for the chooser with all five places of
power grip open, and for the journey screen with its rows, at 1920x1080 and 1280x720.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def measure(screen: str, size: tuple[int, int], frames: int) -> dict:
    from benchmarks.common import percentile
    from game.loop import STEP
    from tests.stage_screens import stage_choice_app

    with tempfile.TemporaryDirectory() as tmp:
        if screen == "chooser":
            app = stage_choice_app(Path(tmp), size, exercise="power_grip", settings={"stage_power_grip": 3})
        else:
            app = stage_choice_app(Path(tmp), size, journey=True)
        draw = app.draw
        t0 = time.thread_time()
        draw(0.0)
        first = (time.thread_time() - t0) * 1000
        app.draw = lambda alpha: None  # type: ignore[method-assign]  # the frame's own work is not timed here
        times = []
        for _ in range(frames):
            app.clock.advance(STEP)
            app.frame()
            t0 = time.thread_time()
            draw(1.0)
            times.append((time.thread_time() - t0) * 1000)
        app.draw = draw  # type: ignore[method-assign]
        app.shutdown()
    return {"screen": screen, "size": f"{size[0]}x{size[1]}", "first_ms": round(first, 2),
            "p50_ms": round(percentile(times, 50), 3), "p99_ms": round(percentile(times, 99), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()
    print(f"{'screen':10} {'size':>10} {'first frame':>12} {'p50':>8} {'p99':>8}   (CPU ms)")
    for screen in ("chooser", "journey"):
        for size in ((1920, 1080), (1280, 720)):
            r = measure(screen, size, args.frames)
            print(f"{r['screen']:10} {r['size']:>10} {r['first_ms']:12.1f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
