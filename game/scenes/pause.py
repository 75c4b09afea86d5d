"""Pause and stop: always one press away during play."""

from __future__ import annotations

from game.i18n import N_, _
from game.input import Act, Action
from game.scene import Pop, Scene, Transition
from game.scenes.stop import draw_keep_going_icon, draw_stop_today_icon
from game.ui import Canvas, LRect, Theme
from game.widgets import Button, ButtonGroup


class PauseScene(Scene):
    """Overlay on the game. ``on_stop`` tells the game below to end the set."""

    overlay = True

    def __init__(self, on_stop, title: str = N_("Paused")) -> None:  # noqa: ANN001
        self.on_stop = on_stop
        self.title = title

    def enter(self) -> None:
        self.buttons = ButtonGroup([
            Button("resume", _("Keep going"), LRect(250, 330, 360, 200), icon=draw_keep_going_icon),
            Button("stop", _("Stop for today"), LRect(670, 330, 360, 200), icon=draw_stop_today_icon),
        ])

    def handle(self, action: Action) -> Transition:
        if action.kind in (Act.BACK, Act.PAUSE):
            return Pop()
        chosen = self.buttons.handle(action)
        if chosen == "resume":
            return Pop()
        if chosen == "stop":
            self.on_stop("stopped")
            return Pop()
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.rect(Theme.BG, LRect(180, 120, 920, 480), radius=30)
        c.rect(Theme.FOCUS, LRect(180, 120, 920, 480), radius=30, width=4)
        c.text(_(self.title), (640, 200), size=60, bold=True)
        c.text(_("Stop if anything hurts."), (640, 270), size=32, color=Theme.TEXT_DIM)
        self.buttons.draw(c, size=34)
