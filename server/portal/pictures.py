"""Build step: the eight exercises' pictures for the portal, drawn by the game's own code.

The game draws each exercise's movement in code (``MiniGame.draw_demo``); the portal shows
the same drawing as a PNG, so a therapist sees in the browser what the patient sees before a
set. The server never imports pygame: run this once after a game's drawing changes and
commit the files it writes (``python -m server.portal.pictures``). The pictures hold no
text (words the game writes beside a movement are left out); each is shown with alt text from
:data:`game.exercises.EXERCISES`. ``tests/portal`` checks that every exercise has one.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

OUT = Path(__file__).parent / "static" / "exercises"
# The demonstration area every game draws in (game/games/base.py, draw_demo).
AREA = (200, 110, 880, 460)  # with room for hands drawn past its edge
SCALE = 0.6  # 1280x720 logical drawing at 768x432: pictures of 480x240


def render_all(out: Path = OUT) -> list[Path]:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    import pygame

    from game.games import GAMES, GameSetup
    from game.therapy.calibration import Calibration
    from game.therapy.force_reps import ForceRepSettings
    from game.ui import LOGICAL_H, LOGICAL_W, Canvas, Theme

    class _NoTextCanvas(Canvas):
        # Words drawn beside a movement ("hold", "forward") belong in the page's own text,
        # where they can be read aloud, translated and enlarged: never in a picture.
        def text(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    pygame.init()
    out.mkdir(parents=True, exist_ok=True)
    surface = pygame.Surface((round(LOGICAL_W * SCALE), round(LOGICAL_H * SCALE)))
    canvas = _NoTextCanvas(surface)
    written = []
    for exercise, cls in GAMES.items():
        game = cls(GameSetup(Calibration(baseline=40.0, mvc=300.0, noise_sd=1.5), ForceRepSettings(), 5,
                             random.Random(0), hand="right"))
        canvas.clear(Theme.BG)
        # Half-way through a cycle: the hand at work (squeezing, or the ball rolled out).
        game.draw_demo(canvas, game.demo_cycle_s * 0.45, False)
        crop = canvas.prect(AREA)
        path = out / f"{exercise}.png"
        pygame.image.save(surface.subsurface(crop).copy(), str(path))
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a build step
    for p in render_all():
        print(p)
