"""Shoot the title, a game, the rating and the results screens in every language into i18n/.

    python docs/screenshots/make_i18n.py [language ...]

The screens come from ``tests/screens.py`` (the same states the contrast test checks),
drawn at 1280x720 after switching the game's language (game/i18n.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from shots import shoot_screen  # noqa: E402 - this folder is on the path when a script is run

SCREENS_SHOT = ("title", "play_power_grip", "rating", "results", "settings")


def main(languages: list[str]) -> int:
    from game.i18n import available_languages, set_language
    from tests.screens import SCREENS

    out_dir = HERE / "i18n"
    out_dir.mkdir(exist_ok=True)
    for lang in languages or available_languages():
        for name in SCREENS_SHOT:
            # The patients' language is automatic: the computer's, which is this one now.
            os.environ["LANGUAGE"] = lang
            set_language(lang)
            shoot_screen(SCREENS[name], (1280, 720), out_dir / f"{name}_{lang}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
