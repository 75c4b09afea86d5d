"""Shoot every game laid out for a left-hand patient: docs/screenshots/<game>_left.png.

    python docs/screenshots/make_left_hand.py [game ...] [--right] [--keep-going]

Each game is played headless by a scripted hand (squeezes for the force games,
rolls for the rolling ones) with the patient's trained hand set to left, and the
frame is saved mid-rep. ``--right`` also shoots the right-hand layout beside it
(<game>_right.png) for comparison. ``--keep-going`` also shoots the question a set
asks after a while with no effort (keep_going_1280x720.png, keep_going_1920x1080.png).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

GAMES = ("power_grip", "pinch", "finger_flexion", "finger_squeeze", "thumb_flex_ext", "table_roll", "thumb_roll",
         "thumb_opposition")
SIZE = (1280, 720)


def shoot(game: str, hand: str, out: Path) -> None:
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.loop import STEP
    from game.scenes.play import PlayScene
    from hardware.clock import ManualClock
    from hardware.scripted import ScriptedSource
    from tests.left_hand_scripts import trace_for

    trace, _ = trace_for(game)
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock()
        from tests.helpers import CAL

        app = App(AppOptions(headless=True, data_dir=Path(tmp), exercise=game, window_size=SIZE, sound=False,
                             play=PlaySettings(reps_per_set=6, hand=hand)),
                  clock=clock, source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL)
        app.draw = lambda alpha: None  # type: ignore[method-assign]  # play without drawing; one frame at the end
        try:
            # mid-set: two reps done and the third under way, so feedback, marks and the live bar show
            while not (isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2
                       and app.top.game.detector.in_rep):
                clock.advance(STEP)
                app.frame()
            for _ in range(round(0.4 / STEP)):
                clock.advance(STEP)
                app.frame()
        finally:
            del app.draw
        app.draw(0.0)
        app.save_screenshot(out)
        app.shutdown()


def shoot_keep_going(size: tuple[int, int], out: Path) -> None:
    """A left-hand power-grip set, the hand resting on the ball long enough to be asked."""
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.loop import STEP
    from game.scenes.keep_going import KeepGoingScene
    from hardware.clock import ManualClock
    from hardware.scripted import ScriptedSource
    from hardware.traces import Squeeze, synth_trace
    from tests.helpers import BASE, CAL, pct

    trace = synth_trace([Squeeze(2.0, pct(32), rise=0.5, hold=1.0, release=0.8)], 40.0, baseline=BASE,
                        noise_sd=1.5, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock()
        app = App(AppOptions(headless=True, data_dir=Path(tmp), exercise="power_grip", window_size=size,
                             sound=False, play=PlaySettings(reps_per_set=6, hand="left")),
                  clock=clock, source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL)
        app.draw = lambda alpha: None  # type: ignore[method-assign]
        try:
            while not (isinstance(app.top, KeepGoingScene) and app.top.shown_for > 0.8):
                clock.advance(STEP)
                app.frame()
        finally:
            del app.draw
        app.draw(0.0)
        app.save_screenshot(out)
        app.shutdown()


def main(args: list[str]) -> int:
    right = "--right" in args
    if "--keep-going" in args:
        for w, h in ((1280, 720), (1920, 1080)):
            out = HERE / f"keep_going_{w}x{h}.png"
            shoot_keep_going((w, h), out)
            print(out.relative_to(HERE.parent.parent))
    names = [a for a in args if not a.startswith("--")] or list(GAMES)
    for g in names:
        for hand in ("left", "right") if right else ("left",):
            out = HERE / f"{g}_{hand}.png"
            shoot(g, hand, out)
            print(out.relative_to(HERE.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
