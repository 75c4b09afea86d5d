"""The screen that chooses a game's place (stage), for the screen tests and the screenshots.

Added to ``tests/screens.py``'s SCREENS, so the contrast, glyph and language tests check every
word on it; ``docs/screenshots/make_stage_screenshots.py`` shoots it. The patient has practised
three weeks or so (``screens.practice_history``): thumb roll has opened some of its places and
not others, and the patient chose an earlier one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from game.app import App
from game.scene import Push

EXERCISE = "thumb_roll"


def stage_choice_app(tmp: Path, size: tuple[int, int], hand: str = "right", *, exercise: str = EXERCISE,
                     settings: dict | None = None, journey: bool = False, plan: object = None) -> App:
    """The place chooser for ``exercise`` (or, ``journey``: the journey screen opened from the menus)."""
    import time

    from game.journey import load_for
    from game.scenes.journey import JourneyScene
    from game.scenes.stage_choice import StageChoiceScene
    from tests.screens import _app, practice_history, run

    wall = [time.time()]
    app = _app(tmp, size, squeezes=False, hand=hand, settings=settings if settings is not None else
               {f"stage_{exercise}": 2}, store_kw={"wall": lambda: wall[0]})
    app.ctx.play.hand = hand
    now = wall[0]
    practice_history(app.store, app.ctx.patient_id, wall)
    wall[0] = now
    if plan is not None:
        app.ctx.plan = plan  # the therapist's program (a pinned stage)
    if journey:
        app.apply(Push(JourneyScene()))
    else:
        app.apply(Push(StageChoiceScene(load_for(app.ctx, [exercise]).games[0])))
    return run(app, 1.0)


STAGE_SCREENS: dict[str, Callable[[Path, tuple[int, int]], App]] = {
    "stage_choice": stage_choice_app,
    "stage_choice_left_hand": lambda tmp, size: stage_choice_app(tmp, size, "left"),
}
