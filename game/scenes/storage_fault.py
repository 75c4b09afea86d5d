"""The screen shown when the records cannot be used at start-up (disk full,
read-only, damaged, locked): what is wrong and what to do, in plain words.

It comes before the game (there is no store to run the game with), so
:func:`show_fault_screen` runs it in its own small loop on the same Canvas and
input router as the game. A damaged database offers "Move aside and start fresh"
(nothing is deleted); every fault offers "Close", which ends the program with
exit code 78 so a kiosk supervisor stops and waits for staff instead of
restarting.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from game.i18n import _
from game.input import Act, Action
from game.scene import Scene, Transition
from game.ui import Canvas, LRect, Theme, draw_cross
from game.widgets import Button, ButtonGroup

if TYPE_CHECKING:
    from game.records.storage_faults import StorageFault

CLOSE = "close"
REPAIR = "repair"


def _warning_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    x, y = center
    c.polygon(Theme.NEAR, [(x, y - size * 0.55), (x + size * 0.6, y + size * 0.45), (x - size * 0.6, y + size * 0.45)])
    c.rect(Theme.DARK_TEXT, LRect(x - size * 0.06, y - size * 0.22, size * 0.12, size * 0.4), radius=3)
    c.circle(Theme.DARK_TEXT, (x, y + size * 0.3), size * 0.07)


def _close_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    draw_cross(c, center, size * 0.8, Theme.TEXT)


def _fresh_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    # a box (the backup) with an arrow out of it
    x, y = center
    c.rect(Theme.SKY, LRect(x - size * 0.45, y - size * 0.1, size * 0.6, size * 0.5), radius=4, width=4)
    c.line(Theme.SUCCESS, (x - size * 0.15, y + size * 0.15), (x + size * 0.45, y - size * 0.4), 6)
    c.polygon(Theme.SUCCESS, [(x + size * 0.5, y - size * 0.5), (x + size * 0.5, y - size * 0.15),
                              (x + size * 0.2, y - size * 0.45)])


class StorageFaultScene(Scene):
    """What went wrong and what to do; ``choice`` is set when a button is chosen."""

    def __init__(self, fault: StorageFault, *, kiosk: bool = False) -> None:
        self.fault = fault
        self.kiosk = kiosk
        self.choice: str | None = None

    def enter(self) -> None:
        buttons = []
        if self.fault.can_repair:
            buttons.append(Button(REPAIR, _("Move aside and start fresh"), LRect(170, 580, 520, 100),
                                  icon=_fresh_icon))
            buttons.append(Button(CLOSE, _("Close"), LRect(730, 580, 380, 100), icon=_close_icon))
        else:
            buttons.append(Button(CLOSE, _("Close"), LRect(450, 580, 380, 100), icon=_close_icon))
        # The safe choice first: nothing moves unless someone asks for it.
        self.buttons = ButtonGroup(buttons, focus=len(buttons) - 1)

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.QUIT or action.kind is Act.BACK:
            self.choice = CLOSE
            return None
        chosen = self.buttons.handle(action)
        if chosen is not None:
            self.choice = chosen
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        f = self.fault
        c.clear()
        _warning_icon(c, (640, 70), 70)
        c.text(f.title, (640, 150), size=48, bold=True, color=Theme.FOCUS)
        y = c.paragraph(f.explanation, (640, 200), 1080, size=28, color=Theme.TEXT)
        c.rect(Theme.PANEL, LRect(90, y + 10, 1100, 560 - y - 30), radius=20)
        c.text(_("What to do"), (130, y + 30), size=28, bold=True, anchor="topleft")
        end = c.paragraph(f.what_to_do[:1].upper() + f.what_to_do[1:], (130, y + 72), 1020, size=26,
                          color=Theme.TEXT, anchor="topleft")
        if self.kiosk:
            c.text(_("Please ask a member of staff."), (130, end + 6), size=26, bold=True, color=Theme.TEXT,
                   anchor="topleft")
        self.buttons.draw(c, size=32)
        c.text(_("Records: {path}").format(path=f.path), (640, 700), size=18, color=Theme.TEXT_DIM)


def show_fault_screen(fault: StorageFault, *, headless: bool = False, kiosk: bool = False,
                      fullscreen: bool = False, window_size: tuple[int, int] = (1280, 720),
                      frames: int | None = None, screenshot: Path | None = None) -> str:
    """Show the fault until a choice is made: ``"repair"`` or ``"close"``. Headless
    runs draw ``frames`` frames (default 1), save ``screenshot`` and close."""
    import os

    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    import pygame

    from game.input import InputRouter

    try:
        pygame.init()
        pygame.display.set_caption(_("Squeeze Quest: the records need attention"))
        flags = pygame.FULLSCREEN if (fullscreen or kiosk) and not headless else pygame.RESIZABLE
        screen = pygame.display.set_mode(window_size, flags)
    except pygame.error:
        return CLOSE  # no display at all: the command-line message is all there is
    try:
        canvas = Canvas(screen)
        router = InputRouter(None, canvas.to_logical)
        scene = StorageFaultScene(fault, kiosk=kiosk)
        scene.enter()
        pace = pygame.time.Clock()
        drawn = 0
        limit = frames if frames is not None else (1 if headless else None)
        while scene.choice is None and (limit is None or drawn < limit):
            for action in router.poll():
                scene.handle(action)
            surface = pygame.display.get_surface()
            if surface is not canvas.surface or surface.get_size() != canvas.surface.get_size():
                canvas.set_surface(surface)
            scene.draw(canvas, 0.0)
            pygame.display.flip()
            drawn += 1
            if not headless:
                pace.tick(30)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            pygame.image.save(screen, str(screenshot))
        return scene.choice or CLOSE
    finally:
        pygame.quit()
