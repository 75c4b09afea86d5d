"""Screens of the second games (issue 17: the balloon, the marble garden) and their choice screen.

Added to ``tests/screens.py``'s SCREENS, so the contrast and glyph tests check every word
on them, and ``docs/screenshots/make_variant_screenshots.py`` shoots them. Each game is
played headless by a scripted hand (squeezes, or rolls) and left mid-set: two reps done
and the third under way, so the flags, flowers, feedback and live bars all show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from game.app import App, AppOptions
from game.context import PlaySettings
from game.loop import STEP
from game.records.storage import Store
from game.scene import Push
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from tests.helpers import CAL
from tests.left_hand_scripts import trace_for

# game -> the exercise it trains
VARIANT_GAMES = {"balloon": "power_grip", "marble": "table_roll"}


def variant_app(tmp: Path, size: tuple[int, int], game: str, hand: str = "right", *, reps: int = 6,
                stage: int = 1) -> App:
    """A set of ``game`` (at ``stage``) played by the scripted hand, stopped mid-set (the third rep under way)."""
    from game.scenes.play import PlayScene

    exercise = VARIANT_GAMES.get(game, game)
    trace, _n = trace_for(exercise)
    clock = ManualClock()
    app = App(AppOptions(headless=True, data_dir=tmp, window_size=size, sound=False, game=game,
                         play=PlaySettings(reps_per_set=reps, hand=hand)),
              clock=clock, source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL,
              store=Store.in_dir(tmp))
    app.apply(Push(PlayScene(exercise, stage=stage)))
    draw = app.draw
    app.draw = lambda alpha: None  # type: ignore[method-assign]  # drawing never changes state: one frame at the end
    try:
        for _ in range(round(90 / STEP)):
            top = app.top
            if isinstance(top, PlayScene) and top.game.reps_done >= 2 and top.game.detector.in_rep:
                break
            clock.advance(STEP)
            app.frame()
        for _ in range(round(0.35 / STEP)):
            clock.advance(STEP)
            app.frame()
    finally:
        app.draw = draw  # type: ignore[method-assign]
    return app


def _play(game: str, hand: str = "right") -> Callable[[Path, tuple[int, int]], App]:
    return lambda tmp, size: variant_app(tmp, size, game, hand)


def _choice(tmp: Path, size: tuple[int, int]) -> App:
    from game.scenes.game_choice import GameChoiceScene
    from game.scenes.play import PlayScene
    from tests.screens import _app, run

    app = _app(tmp, size, squeezes=False, settings={"game_power_grip": "balloon"})
    app.apply(Push(GameChoiceScene(PlayScene("power_grip"))))
    return run(app, 1.0)


VARIANT_SCREENS: dict[str, Callable[[Path, tuple[int, int]], App]] = {
    "play_balloon": _play("balloon"),
    "play_balloon_left_hand": _play("balloon", "left"),
    "play_marble": _play("marble"),
    "play_marble_left_hand": _play("marble", "left"),
    "game_choice": _choice,
}
