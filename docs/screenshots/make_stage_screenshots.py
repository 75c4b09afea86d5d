"""Shoot every stage of every game, for the right and the left hand, into stages/.

    python docs/screenshots/make_stage_screenshots.py [exercise ... | choice]

Each game plays its scripted set (``tests/left_hand_scripts.py``: good reps and near
misses) through the real play scene with a scripted ball, headless, at 1280x720, and is
shot about three quarters of the way through, so the marks, the pot or the bucket show
the reps made. The journey screen (after three weeks of practice) is shot there too, and the
chooser of a game's place (right hand, left hand, German; ``choice`` shoots only those).
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


def shoot_choice() -> None:
    """The chooser of a game's place: power grip (all five open, place 3 chosen) for each hand and
    in German; thumb roll (place 2 chosen of 3 open); the journey's rows that open it."""
    from tests.stage_screens import stage_choice_app

    def grip(hand: str, **settings: object):
        return lambda tmp, size: stage_choice_app(tmp, size, hand, exercise="power_grip",
                                                  settings={"stage_power_grip": 3, **settings})

    shoot_screen(grip("right"), SIZE, OUT / "choice_right.png")
    shoot_screen(grip("left"), SIZE, OUT / "choice_left.png")
    shoot_screen(grip("right", language="de"), SIZE, OUT / "choice_right_de.png")
    shoot_screen(stage_choice_app, SIZE, OUT / "choice_some_not_open.png")
    def journey(tmp, size):  # the thumb roll row framed; pinch pinned by the program
        from game.program import ExercisePlan, SessionPlan

        app = stage_choice_app(tmp, size, journey=True, plan=SessionPlan(exercises=(ExercisePlan("pinch", stage=1),)))
        app.top.buttons.focus = [b.id for b in app.top.buttons.buttons].index("stage:thumb_roll")
        return app

    shoot_screen(journey, SIZE, OUT / "journey_rows.png")


def main(names: list[str]) -> int:
    from game.games import GAMES
    from game.therapy.stages import STAGE_COUNT

    OUT.mkdir(exist_ok=True)
    if names == ["choice"]:  # the chooser only
        shoot_choice()
        return 0
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
        shoot_choice()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
