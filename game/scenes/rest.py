"""A calm rest between sets: a slow countdown ring, nothing to do but rest.

What will be different in the next set (a longer hold, a quicker pace, a lighter target
after a tired spell) is said here in plain words, shown and spoken, so no change is silent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from game.i18n import _, ngettext
from game.input import Act, Action
from game.scene import Pop, Push, Scene, Transition
from game.ui import Canvas, LRect, Theme, draw_stop_icon
from game.widgets import fit_size
from hardware.sample import Sample

STOP_BUTTON = LRect(1096, 20, 164, 84)


class RestScene(Scene):
    """Counts down ``seconds`` of game time, then pops. The stop button still works."""

    def __init__(self, seconds: float, *, reason: str = "between_sets", next_label: str = "",
                 on_stop: Callable[[str], None] | None = None, changes: Sequence[str] = ()) -> None:
        self.seconds = max(0.0, seconds)
        self.reason = reason
        self.next_label = next_label
        self.changes = tuple(changes)  # what the next set changes, in the patient's words
        self.on_stop = on_stop
        self.left = self.seconds
        self.stopped: str | None = None

    def enter(self) -> None:
        if self.changes:
            self.ctx.speech.say(". ".join(self.changes))

    def _stop(self, reason: str) -> None:
        self.stopped = reason
        if self.on_stop is not None:
            self.on_stop(reason)

    def on_samples(self, samples: list[Sample]) -> Transition:
        return None  # squeezes during the rest are not counted, and do not skip it

    def handle(self, action: Action) -> Transition:
        from game.scenes.stop import StopScene

        if action.kind in (Act.BACK, Act.PAUSE) or (
                action.kind is Act.CLICK and action.pos is not None and STOP_BUTTON.contains(action.pos)):
            return Push(StopScene(self._stop))
        return None

    def music_phase(self) -> str | None:
        return "rest"  # the calm layer of the music plays on through the rest (game/music.py)

    def update(self, dt: float) -> Transition:
        if self.stopped is not None:
            return Pop()
        self.left = max(0.0, self.left - dt)
        return Pop() if self.left <= 0.0 else None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        tired = self.reason == "fatigue"
        title = _("Rest your hand") if not tired else _("Time for a good rest")
        c.text(title, (640, 110), size=fit_size(c, title, 64, 1200, bold=True), bold=True)
        sub = _("Let it lie open and soft.") if not tired else _("Your hand is tired. Rest helps it come back stronger.")
        c.text(sub, (640, 180), size=fit_size(c, sub, 32, 1200), color=Theme.TEXT_DIM)
        # With changes to say, the ring is a little smaller and higher to leave them room.
        lines = self.changes[:3]  # one setting, the pace for the time cap, a tired spell's lighter target
        if not lines:
            centre, r = (640, 400), 150
        elif len(lines) <= 2:
            centre, r = (640, 360), 110
        else:
            centre, r = (640, 330), 96
        frac = self.left / self.seconds if self.seconds > 0 else 0.0
        c.circle(Theme.PANEL, centre, r + 14)
        # The ring empties clockwise as the rest runs out: position, not colour, tells the time.
        if frac > 0:
            c.arc(Theme.SKY, LRect(centre[0] - r, centre[1] - r, 2 * r, 2 * r),
                  math.pi / 2, math.pi / 2 + 2 * math.pi * frac, 22)
        c.text(f"{math.ceil(self.left)}", (centre[0], centre[1] - round(10 * r / 150)),
               size=round(96 * min(1.0, r / 130)), bold=True)
        c.text(ngettext("second", "seconds", math.ceil(self.left)), (centre[0], centre[1] + round(60 * r / 150)),
               size=28, color=Theme.TEXT_DIM)
        if lines:
            y = 520 if len(lines) <= 2 else 470
            gap = 50 if len(lines) <= 2 else 46
            if self.next_label:
                c.text(_("Next: {what}").format(what=self.next_label), (640, y), size=34)
                y += 52
            panel = LRect(140, y - 6, 1000, 14 + gap * len(lines))
            c.rect(Theme.PANEL, panel, radius=16)
            for i, words in enumerate(lines):
                size = 36 if len(lines) <= 2 else 32
                while size > 22 and c.text_width(words, size, bold=True) > 970:  # large text: fit the panel
                    size -= 2
                c.text(words, (640, y + 30 + gap * i), size=size, bold=True, color=Theme.FOCUS)
        elif self.next_label:
            c.text(_("Next: {what}").format(what=self.next_label), (640, 630), size=34)
        c.rect(Theme.STOP, STOP_BUTTON, radius=16)
        draw_stop_icon(c, (STOP_BUTTON.x + 36, STOP_BUTTON.center[1]), 34, Theme.TEXT)
        c.text(_("Stop"), (STOP_BUTTON.x + 104, STOP_BUTTON.center[1]),
               size=fit_size(c, _("Stop"), 30, STOP_BUTTON.w - 76, bold=True), bold=True)
