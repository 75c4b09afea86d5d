"""Thumb bend and stretch: roll the ball forward to lift the paddle to the star, then back.

The paddle's height follows the ball's roll live (the stroke's distance, scaled to
the patient's own target), so the thumb visibly drives it. A star waits at the
target height; the paddle touching it lights it. One back-and-forth stroke is one
rep: when the paddle comes home the star flies up to the row (a good stroke) or
the row gets an orange ring (a near miss: "roll a bit further"). Nothing is timed:
the star waits for a slow thumb.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from game.games.base import GameSetup, StageLook, WorldView, draw_arrow
from game.i18n import N_, _
from game.games.rolling import (
    REACH_TOP,
    RollGame,
    draw_ball,
    draw_palm_top,
    draw_rep_row,
    draw_thumb_to,
    star_points,
)
from game.ui import LOGICAL_W, Canvas, Color, LRect, Theme

SHAFT_X = 560.0
HOME_Y = 590.0
TOP_Y = 230.0
BG: Color = (16, 34, 58)
SHAFT: Color = (36, 60, 92)
FLY_S = 0.7  # a collected star's flight to the row


@dataclass
class Flight:
    success: bool
    start: float
    from_y: float


class ThumbFlexExtGame(RollGame):
    exercise = "thumb_flex_ext"
    title = N_("Thumb bend and stretch")
    instruction = N_("Roll the ball forward with your thumb to reach the star. Then roll back.")
    rep_word = N_("strokes")
    axis = "y"
    demo_caption = N_("Ball on a flat hand. Bend the thumb to roll it, then stretch.")
    hint_at = (930, 420)
    # What waits at the top of the track: the same stroke reaches a star, a moon, a planet...
    stages = (
        StageLook(N_("Evening star"), {"bg": BG, "ground": (22, 44, 72), "shaft": SHAFT}, "star"),
        StageLook(N_("Moonrise"), {"bg": (20, 30, 60), "ground": (30, 40, 70), "shaft": (44, 56, 96)}, "moon"),
        StageLook(N_("Ringed planet"), {"bg": (26, 20, 52), "ground": (40, 30, 70), "shaft": (56, 44, 96)}, "planet"),
        StageLook(N_("Comet trail"), {"bg": (12, 28, 46), "ground": (18, 40, 60), "shaft": (30, 60, 86)}, "comet"),
        StageLook(N_("Northern lights"), {"bg": (10, 30, 40), "ground": (16, 44, 52), "shaft": (30, 64, 76)},
                  "aurora"),
    )

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        self.height = 0.0  # paddle height 0 (home) .. 1 (top), smoothed
        self.prev_height = 0.0
        self.flights: list[Flight] = []
        self.results: list[bool] = []

    @staticmethod
    def height_to_y(h: float) -> float:
        return HOME_Y - h * (HOME_Y - TOP_Y)

    @property
    def star_y(self) -> float:
        return self.height_to_y(1.0 / REACH_TOP) - 40

    # -------------------------------------------------------------- logic
    def on_rep(self, rep: Any) -> None:
        self.results.append(bool(rep.success))
        self.flights.append(Flight(bool(rep.success), self.t, self.star_y))

    def step_world(self, dt: float) -> None:
        self.prev_height = self.height
        goal = max(0.0, min(1.0, self.live_reach() / REACH_TOP))
        self.height += (goal - self.height) * (1.0 - math.exp(-dt / 0.05))
        self.flights = [f for f in self.flights if self.t - f.start < FLY_S]

    focus_radius = 34.0

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        h = self.prev_height + (self.height - self.prev_height) * alpha
        return (SHAFT_X, self.height_to_y(h) - 28)

    def hint(self) -> str | None:
        if self.set_complete:
            return None
        d = self.detector
        if d.awaiting_return:
            return N_("Now roll back")
        if d.in_stroke:
            return N_("A little further")
        return N_("Roll forward")

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        h = self.prev_height + (self.height - self.prev_height) * alpha
        self.draw_backdrop(c, self._paint_backdrop)
        draw_rep_row(c.plain, self.results, self.setup.reps_target)  # reads left to right for either hand
        self._draw_star(c, h)
        for f in self.flights:
            self._draw_flight(c, f)
        self._draw_paddle(c, h)
        c.rect(Theme.PANEL, LRect(SHAFT_X - 110, HOME_Y + 34, 220, 40), radius=12)
        c.text(_("home"), (SHAFT_X, HOME_Y + 54), size=24, color=Theme.TEXT_DIM)

    def _paint_backdrop(self, c: WorldView) -> None:
        """The sky, the ground and the track (the paddle's marks): none of it moves."""
        look = self.stage
        c.clear(look.color("bg", BG))
        if look.twist == "aurora":
            for k, color in enumerate(((20, 90, 70), (30, 110, 80), (40, 80, 100))):
                pts = [(x, 280 + 40 * k + 40 * math.sin(x / 160 + k)) for x in range(0, LOGICAL_W + 40, 40)]
                c.lines(color, pts, 26)
        elif look.twist == "comet":
            for k in range(30):
                c.circle((90, 110, 140), ((k * 229) % LOGICAL_W, 230 + (k * 53) % 330), 2)
        elif look.twist in ("planet", "moon"):
            for k in range(24):
                c.circle((120, 120, 160), ((k * 179) % LOGICAL_W, 240 + (k * 61) % 320), 2)
        c.rect(look.color("ground", (22, 44, 72)), (0, HOME_Y + 30, LOGICAL_W, 200))
        # the track the paddle runs on, with a mark every quarter of the target
        c.rect(look.color("shaft", SHAFT), LRect(SHAFT_X - 14, TOP_Y - 20, 28, HOME_Y - TOP_Y + 40), radius=14)
        for k in range(1, 6):
            y = self.height_to_y(k * 0.25 / REACH_TOP)
            c.line((70, 96, 130), (SHAFT_X - 30, y), (SHAFT_X + 30, y), 3)
        ty = self.height_to_y(1.0 / REACH_TOP)
        c.line(Theme.FOCUS, (SHAFT_X - 150, ty), (SHAFT_X + 150, ty), 4)

    def _draw_star(self, c: WorldView, h: float) -> None:
        lit = self.detector.awaiting_return
        y = self.star_y
        if any(self.t - f.start < 0.05 for f in self.flights):
            return  # the star has just left for the row
        pulse = 0.5 + 0.5 * math.sin(self.t * 4.0)
        if lit:
            c.circle((70, 74, 40), (SHAFT_X, y), 58 + 4 * pulse)
        twist = self.stage.twist
        body = Theme.FOCUS if lit else (150, 140, 60)
        if twist == "moon":
            c.circle(body, (SHAFT_X, y), 38)
            c.circle(Theme.DARK_TEXT, (SHAFT_X, y), 38, width=3)
            c.circle(self.stage.color("bg", BG), (SHAFT_X + 16, y - 8), 30)
            return
        if twist == "planet":
            c.circle(body, (SHAFT_X, y), 32)
            c.circle(Theme.DARK_TEXT, (SHAFT_X, y), 32, width=3)
            c.ellipse((204, 121, 167), (SHAFT_X - 60, y - 10, 120, 20), width=5)
            return
        if twist == "comet":
            for k in range(1, 5):
                c.circle((120, 140, 170), (SHAFT_X - 26 * k, y - 14 * k), 20 - 4 * k)
        c.polygon(Theme.FOCUS if lit else (150, 140, 60), star_points((SHAFT_X, y), 40, 0.1 * pulse))
        c.polygon(Theme.DARK_TEXT, star_points((SHAFT_X, y), 40, 0.1 * pulse), width=3)

    def _draw_flight(self, c: WorldView, f: Flight) -> None:
        u = min(1.0, (self.t - f.start) / FLY_S)
        n = max(1, self.setup.reps_target)
        i = len(self.results) - 1
        # the star lands on its mark in the (upright) row: that place, seen in the world
        tx = c.mx(330 + (950 - 330) * (i / max(1, n - 1) if n > 1 else 0.5))
        x = SHAFT_X + (tx - SHAFT_X) * u
        y = f.from_y + (176 - f.from_y) * u - 80 * math.sin(math.pi * u)
        if f.success:
            c.polygon(Theme.FOCUS, star_points((x, y), 40 - 20 * u))
        else:
            c.circle(Theme.NEAR, (x, y), 30 - 12 * u, width=4)

    def _draw_paddle(self, c: WorldView, h: float) -> None:
        y = self.height_to_y(h)
        reached = self.detector.awaiting_return
        c.rect(Theme.SUCCESS if reached else Theme.SKY, LRect(SHAFT_X - 90, y, 180, 26), radius=12)
        c.rect(Theme.DARK_TEXT, LRect(SHAFT_X - 90, y, 180, 26), radius=12, width=3)
        draw_ball(c, (SHAFT_X, y - 28), 28, spin=h * 6.0)

    # ---------------------------------------------------------- demonstration
    def draw_demo(self, c: Canvas, t: float, mirror: bool) -> None:
        u = (t % self.demo_cycle_s) / self.demo_cycle_s
        reach = 0.5 - 0.5 * math.cos(2 * math.pi * u)  # forward and back once per cycle
        cx, cy = 600.0, 420.0
        base = draw_palm_top(c, (cx, cy), 300, mirror)
        ball = (cx, cy + 40 - 150 * reach)
        draw_ball(c, ball, 42, spin=reach * 5)
        sign = -1 if mirror else 1
        draw_thumb_to(c, base, (ball[0] + sign * 30, ball[1] + 18), 40)
        ax = cx + sign * 250
        if u < 0.5:
            draw_arrow(c, (ax, 420), (ax, 250))
            c.text(_("forward"), (ax + sign * 20, 220), size=28, bold=True, color=Theme.FOCUS)
        else:
            draw_arrow(c, (ax, 250), (ax, 420))
            c.text(_("back"), (ax + sign * 20, 450), size=28, bold=True, color=Theme.FOCUS)
