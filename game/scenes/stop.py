"""The stop button's question: keep going, stop for today, or stop because it hurts."""

from __future__ import annotations

from collections.abc import Callable

from game.i18n import _
from game.input import Act, Action
from game.scene import Pop, Scene, Transition
from game.ui import Canvas, LRect, Theme, draw_cross, draw_stop_icon
from game.widgets import Button, ButtonGroup


def draw_keep_going_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    """A play triangle: 'Keep going' (also on the pause screen)."""
    x, y = center
    c.polygon(Theme.SUCCESS, [(x - size * 0.3, y - size * 0.4), (x + size * 0.4, y), (x - size * 0.3, y + size * 0.4)])


def draw_stop_today_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    """The stop sign: 'Stop for today' (also on the pause screen)."""
    draw_stop_icon(c, center, size, Theme.STOP)


def _hurt_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    draw_cross(c, center, size, Theme.NEAR)


class StopScene(Scene):
    """Overlay. ``on_stop("stopped")`` or ``on_stop("pain")``; closing it keeps going."""

    overlay = True

    def __init__(self, on_stop: Callable[[str], None]) -> None:
        self.on_stop = on_stop

    def enter(self) -> None:
        self.buttons = ButtonGroup([
            Button("resume", _("Keep going"), LRect(170, 320, 300, 200), icon=draw_keep_going_icon),
            Button("stop", _("Stop for today"), LRect(490, 320, 300, 200), icon=draw_stop_today_icon),
            Button("pain", _("It hurts"), LRect(810, 320, 300, 200), icon=_hurt_icon),
        ])

    def handle(self, action: Action) -> Transition:
        if action.kind in (Act.BACK, Act.PAUSE):
            return Pop()
        chosen = self.buttons.handle(action)
        if chosen == "resume":
            return Pop()
        if chosen in ("stop", "pain"):
            self.on_stop("stopped" if chosen == "stop" else "pain")
            return Pop()
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.rect(Theme.BG, LRect(140, 110, 1000, 500), radius=30)
        c.rect(Theme.FOCUS, LRect(140, 110, 1000, 500), radius=30, width=4)
        c.text(_("Stop now?"), (640, 190), size=60, bold=True)
        c.text(_("If anything hurts, stop. That is always right."), (640, 260), size=32, color=Theme.TEXT_DIM)
        self.buttons.draw(c, size=34)
        c.text(_("Your squeezes so far are saved."), (640, 570), size=26, color=Theme.TEXT_DIM)
