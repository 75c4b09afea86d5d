"""Shoot every stage of every game, for the right and the left hand, into stages/.

    python docs/screenshots/make_stage_screenshots.py [exercise ...]

Each game plays its scripted set (``tests/left_hand_scripts.py``: good reps and near
misses) through the real play scene with a scripted ball, headless, at 1280x720, and is
shot about three quarters of the way through, so the marks, the pot or the bucket show
the reps made. The journey screen (after three weeks of practice) is shot there too.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from shots import shoot_screen  # noqa: E402 - this folder is on the path when a script is run

OUT = HERE / "stages"
SIZE = (1280, 720)
AT = 0.72  # the share of the scripted set played before the shot


def shoot(exercise: str, stage: int, hand: str, out: Path) -> None:
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.loop import STEP
    from game.records.storage import Store
    from game.scene import Push
    from game.scenes.play import PlayScene
    from hardware.clock import ManualClock
    from hardware.scripted import ScriptedSource
    from tests.helpers import CAL
    from tests.left_hand_scripts import trace_for

    trace, reps = trace_for(exercise)
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock()
        app = App(AppOptions(headless=True, data_dir=Path(tmp), window_size=SIZE, sound=False,
                             play=PlaySettings(reps_per_set=reps, hand=hand)),
                  clock=clock, source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL,
                  store=Store.in_dir(Path(tmp)))
        app.apply(Push(PlayScene(exercise, stage=stage)))
        draw = app.draw
        app.draw = lambda alpha: None  # type: ignore[method-assign]  # drawing changes nothing: draw once
        for _ in range(round(float(trace[-1, 0]) * AT / STEP)):
            clock.advance(STEP)
            app.frame()
        app.draw = draw  # type: ignore[method-assign]
        app.draw(0.0)
        app.save_screenshot(out)
        app.shutdown()


def main(names: list[str]) -> int:
    from game.games import GAMES
    from game.therapy.stages import STAGE_COUNT

    OUT.mkdir(exist_ok=True)
    for exercise in names or list(GAMES):
        for stage in range(1, STAGE_COUNT + 1):
            for hand in ("right", "left"):
                out = OUT / f"{exercise}_stage{stage}_{hand}.png"
                shoot(exercise, stage, hand, out)
                print(out.relative_to(HERE.parent.parent))
    if not names:
        from tests.screens import SCREENS

        for name in ("journey",):
            shoot_screen(SCREENS[name], SIZE, OUT / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
