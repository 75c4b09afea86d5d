"""Shoot the second games (the balloon, the marble garden) for each hand, and their choice screen.

    python docs/screenshots/make_variant_screenshots.py

Writes docs/screenshots/balloon.png, balloon_left.png, marble.png, marble_left.png and
game_choice.png at 1280x720, from the states in ``tests/variant_screens.py`` (the same
ones the contrast and glyph tests check), and every stage of both games for each hand
into docs/screenshots/stages/ (balloon_stage3_left.png...).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from shots import shoot_screen  # noqa: E402 - this folder is on the path when a script is run

SIZE = (1280, 720)
SHOTS = {"balloon": "play_balloon", "balloon_left": "play_balloon_left_hand", "marble": "play_marble",
         "marble_left": "play_marble_left_hand", "game_choice": "game_choice"}


def main() -> int:
    from tests.variant_screens import VARIANT_SCREENS

    for out_name, screen in SHOTS.items():
        shoot_screen(VARIANT_SCREENS[screen], SIZE, HERE / f"{out_name}.png")
    from game.therapy.stages import STAGE_COUNT
    from tests.variant_screens import VARIANT_GAMES, variant_app

    for game in VARIANT_GAMES:
        for stage in range(1, STAGE_COUNT + 1):
            for hand in ("right", "left"):
                shoot_screen(lambda d, size, game=game, hand=hand, stage=stage:
                             variant_app(d, size, game, hand, stage=stage),
                             SIZE, HERE / "stages" / f"{game}_stage{stage}_{hand}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
