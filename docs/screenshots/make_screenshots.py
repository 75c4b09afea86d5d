"""Shoot the main screens at 1280x720 and 1920x1080 into this folder.

    python docs/screenshots/make_screenshots.py [screen ...]

The screens come from ``tests/screens.py`` (the same states the contrast test
checks), played headless with a scripted ball.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from shots import shoot_screen  # noqa: E402 - this folder is on the path when a script is run

SIZES = ((1280, 720), (1920, 1080))


def main(names: list[str]) -> int:
    from tests.screens import MAIN_SCREENS, SCREENS

    for name in names or MAIN_SCREENS:
        for w, h in SIZES:
            shoot_screen(SCREENS[name], (w, h), HERE / f"{name}_{w}x{h}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
