"""Squeeze Quest: hand-therapy exercise as play."""

import os as _os

__version__ = "0.1.0"

# pygame prints a banner on import; an installed ``squeeze-quest`` (no main.py) must not either.
_os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
