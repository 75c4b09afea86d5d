"""After a set: big friendly numbers."""

from __future__ import annotations

from dataclasses import dataclass

from game.input import Act, Action
from game.scene import Pop, Replace, Scene, Transition
from game.therapy.switch import SqueezeSwitch
from game.ui import Canvas, LRect, Theme, draw_tick
from game.widgets import Button, ButtonGroup
from hardware.sample import Sample


@dataclass(frozen=True)
class SetSummary:
    exercise: str
    title: str
    reps: int
    target: int
    successes: int
    best_peak_pct: float | None
    ended: str


class ResultsScene(Scene):
    def __init__(self, summary: SetSummary) -> None:
        self.summary = summary

    def enter(self) -> None:
        self.buttons = ButtonGroup([
            Button("again", "Play again", LRect(290, 540, 330, 110)),
            Button("menu", "Menu", LRect(660, 540, 330, 110)),
        ])
        self.switch = SqueezeSwitch(self.ctx.calibration)
        self.ctx.audio.play("done")
        self.shown_for = 0.0

    def update(self, dt: float) -> Transition:
        self.shown_for += dt
        return None

    def _choose(self, chosen: str | None) -> Transition:
        if chosen == "again":
            from game.scenes.play import PlayScene

            return Replace(PlayScene(self.summary.exercise))
        if chosen == "menu":
            return Pop()
        return None

    def on_samples(self, samples: list[Sample]) -> Transition:
        # A squeeze only chooses after 2 s, so the last rep's release cannot press a button.
        if self.switch.feed(samples) and self.shown_for >= 2.0:
            return self._choose(self.buttons.choose_focused())
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        return self._choose(self.buttons.handle(action))

    def draw(self, c: Canvas, alpha: float) -> None:
        s = self.summary
        c.clear()
        head = "Well done!" if s.ended == "completed" else "Good work today"
        c.text(head, (640, 90), size=70, bold=True, color=Theme.FOCUS)
        c.text(s.title, (640, 160), size=34, color=Theme.TEXT_DIM)
        cards = [
            (f"{s.reps}", f"of {s.target} squeezes"),
            (f"{s.successes}", "on target"),
            (f"{s.best_peak_pct:.0f}%" if s.best_peak_pct is not None else "-", "best squeeze"),
        ]
        for i, (big, small) in enumerate(cards):
            r = LRect(110 + i * 370, 220, 320, 250)
            c.rect(Theme.PANEL, r, radius=24)
            c.text(big, (r.center[0], r.y + 110), size=96, bold=True)
            c.text(small, (r.center[0], r.y + 200), size=30, color=Theme.TEXT_DIM)
        draw_tick(c, (1180, 90), 60)
        c.text("% of your strongest squeeze (from the ball, not a medical measure)", (640, 495), size=22,
               color=Theme.TEXT_DIM)
        self.buttons.draw(c, size=40)
