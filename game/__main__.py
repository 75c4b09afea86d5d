"""``python -m game``: the same as ``python main.py`` or the ``squeeze-quest`` command
(the kiosk supervisor starts the game this way, so an installed copy needs no main.py)."""

import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from game.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
