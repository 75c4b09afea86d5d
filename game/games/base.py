"""What every mini-game shares: its settings, its rep detector, the HUD."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import ClassVar

from game.therapy.calibration import Calibration
from game.therapy.force_reps import ForceRep, ForceRepDetector, ForceRepSettings
from game.ui import Canvas, LRect, Theme, draw_cross, draw_tick
from hardware.sample import Sample

FEEDBACK = {
    None: "Great!",
    "below_target": "Almost! A little stronger.",
    "hold_too_short": "Good! Hold a bit longer.",
    "slow_release": "Good! Now open your hand.",
    "no_full_release": "Open your hand wide.",
}


@dataclass
class GameSetup:
    calibration: Calibration
    detector: ForceRepSettings
    reps_target: int
    rng: random.Random
    hand: str = "right"
    rest_between_reps_s: float = 2.5
    extra: dict = field(default_factory=dict)


@dataclass
class Feedback:
    text: str
    success: bool
    until: float


class MiniGame:
    """Base for the eight games. Subclasses implement the world; reps come from the detector."""

    exercise: ClassVar[str]
    title: ClassVar[str]
    instruction: ClassVar[str]

    def __init__(self, setup: GameSetup) -> None:
        self.setup = setup
        self.detector = ForceRepDetector(setup.calibration, setup.detector)
        self.t = 0.0
        self.reps: list[ForceRep] = []
        self.feedback: Feedback | None = None
        self.finished = False
        self._done_at: float | None = None
        self.last_sample_t: float | None = None

    # ---------------------------------------------------------------- flow
    @property
    def reps_done(self) -> int:
        return len(self.reps)

    @property
    def successes(self) -> int:
        return sum(r.success for r in self.reps)

    @property
    def set_complete(self) -> bool:
        return self.reps_done >= self.setup.reps_target

    def feed(self, samples: list[Sample]) -> list[ForceRep]:
        if self.set_complete:
            return []
        if samples:
            self.last_sample_t = samples[-1].t
        new = []
        for rep in self.detector.feed(samples):
            if self.set_complete:
                break
            self.reps.append(rep)
            new.append(rep)
            self.on_rep(rep)
            self.feedback = Feedback(FEEDBACK[rep.failure.value if rep.failure else None], rep.success, self.t + 2.0)
        return new

    def update(self, dt: float) -> None:
        self.t += dt
        self.step_world(dt)
        if self.set_complete and self._done_at is None:
            self._done_at = self.t
        if self._done_at is not None and self.t - self._done_at >= 1.5:
            self.finished = True

    # ------------------------------------------------------- for subclasses
    def on_rep(self, rep: ForceRep) -> None:
        """React to a finished rep (one clear game event)."""

    def step_world(self, dt: float) -> None:
        """Advance the world by one fixed step."""

    def draw(self, c: Canvas, alpha: float) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- HUD
    def draw_hud(self, c: Canvas) -> None:
        c.rect(Theme.PANEL, LRect(20, 16, 250, 96), radius=16)
        c.text(f"{self.reps_done} / {self.setup.reps_target}", (145, 56), size=52, bold=True)
        c.text("squeezes", (145, 96), size=22, color=Theme.TEXT_DIM)
        self.draw_force_bar(c, LRect(1180, 150, 56, 440))
        if self.feedback and self.t < self.feedback.until:
            fb = self.feedback
            color = Theme.SUCCESS if fb.success else Theme.NEAR
            w = c.text_width(fb.text, 44, True) + 110
            box = LRect(640 - w / 2, 130, w, 76)
            c.rect(Theme.BG, box, radius=20)
            c.rect(color, box, radius=20, width=5)
            icon = (box.x + 44, box.y + 38)
            (draw_tick if fb.success else draw_cross)(c, icon, 40, color)
            c.text(fb.text, (box.x + 80, box.y + 38), size=44, bold=True, anchor="midleft")

    def draw_force_bar(self, c: Canvas, r: LRect) -> None:
        """Live force, 0 to 1.5 x target, with the target line."""
        s = self.detector.settings
        top_pct = max(s.target_pct * 1.5, 1e-6)
        level = max(0.0, min(1.0, self.detector.display_pct / top_pct))
        c.rect(Theme.PANEL, LRect(r.x - 6, r.y - 6, r.w + 12, r.h + 56), radius=14)
        fill_h = r.h * level
        reached = self.detector.display_pct >= s.target_pct * s.hold_fraction
        c.rect(Theme.SUCCESS if reached else Theme.SKY, LRect(r.x, r.y + r.h - fill_h, r.w, fill_h), radius=8)
        ty = r.y + r.h * (1 - s.target_pct / top_pct)
        c.line(Theme.FOCUS, (r.x - 14, ty), (r.x + r.w + 14, ty), 5)
        c.polygon(Theme.FOCUS, [(r.x - 26, ty - 12), (r.x - 10, ty), (r.x - 26, ty + 12)])
        c.text("force", (r.x + r.w / 2, r.y + r.h + 24), size=22, color=Theme.TEXT)
