"""Big, simple buttons that work with one key, a mouse click or a squeeze."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from game.input import Act, Action
from game.ui import Canvas, LRect, Theme

IconFn = Callable[[Canvas, tuple[float, float], float], None]


@dataclass
class Button:
    id: str
    label: str
    rect: LRect
    icon: IconFn | None = None
    enabled: bool = True
    note: str = ""
    size: float | None = None  # label size, if not the group's


class ButtonGroup:
    """A row or grid of buttons with one focused. Arrows move focus, confirm or a
    squeeze chooses the focused one, a click chooses the one under the pointer."""

    def __init__(self, buttons: list[Button], columns: int | None = None, focus: int = 0) -> None:
        self.buttons = buttons
        self.columns = columns or len(buttons)
        self.focus = focus

    @property
    def focused(self) -> Button:
        return self.buttons[self.focus]

    def move(self, d: int) -> None:
        n = len(self.buttons)
        for _ in range(n):
            self.focus = (self.focus + d) % n
            if self.buttons[self.focus].enabled:
                return

    def handle(self, action: Action) -> str | None:
        k = action.kind
        if k is Act.LEFT:
            self.move(-1)
        elif k is Act.RIGHT:
            self.move(1)
        elif k is Act.UP and self.columns < len(self.buttons):
            self.move(-self.columns)
        elif k is Act.DOWN and self.columns < len(self.buttons):
            self.move(self.columns)
        elif k is Act.CONFIRM:
            return self.focused.id if self.focused.enabled else None
        elif k is Act.CLICK and action.pos is not None:
            for i, b in enumerate(self.buttons):
                if b.enabled and b.rect.contains(action.pos):
                    self.focus = i
                    return b.id
        return None

    def choose_focused(self) -> str | None:
        return self.focused.id if self.focused.enabled else None

    def draw(self, c: Canvas, *, size: float = 34) -> None:
        for i, b in enumerate(self.buttons):
            focused = i == self.focus
            bg = Theme.PANEL_HI if focused else Theme.PANEL
            c.rect(bg, b.rect, radius=18)
            if focused:
                c.rect(Theme.FOCUS, b.rect.inflate(6), radius=22, width=6)
            color = Theme.TEXT if b.enabled else Theme.TEXT_DIM
            cx, cy = b.rect.center
            label_size = b.size or size
            if b.icon is not None:
                icon_size = min(b.rect.h * 0.42, 64)
                b.icon(c, (cx, b.rect.y + b.rect.h * 0.36), icon_size)
                c.text(b.label, (cx, b.rect.y + b.rect.h * 0.74), size=label_size, bold=True, color=color)
            else:
                c.text(b.label, (cx, cy - (10 if b.note else 0)), size=label_size, bold=True, color=color)
            if b.note:
                c.text(b.note, (cx, b.rect.y + b.rect.h - 18), size=20, color=Theme.TEXT_DIM)
