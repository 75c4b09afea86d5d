"""What the screenshot scripts share: build a screen in a fresh data folder, draw it once and save it."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


def shoot_screen(make: Callable[[Path, tuple[int, int]], Any], size: tuple[int, int], out: Path) -> None:
    """``make(data_dir, size)`` builds the app (in a temporary folder); it is drawn, saved to ``out`` and shut.

    Prints the path of the picture, from the repository's root.
    """
    with tempfile.TemporaryDirectory() as tmp:
        app = make(Path(tmp), size)
        app.draw(0.0)
        app.save_screenshot(out)
        app.shutdown()
    print(out.relative_to(ROOT))
