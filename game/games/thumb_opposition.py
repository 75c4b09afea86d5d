"""Thumb side to side: slide the basket to the tree, catch the fruit, bring it home.

The basket follows the ball's side-to-side roll live. An apple hangs on the tree at
the target distance and waits (nothing falls on a timer, so a slow thumb is never
rushed); when the basket gets under it, it drops in. One left-right-left stroke is
one rep: when the basket is back home the apple goes into the crate (a good stroke),
or the tree gives a shake and the row gets an orange ring (a near miss: the basket
did not reach the tree). The tree stands on the thumb's side away from the palm:
the whole world is mirrored for the left hand.
"""

from __future__ import annotations

import math
from typing import Any

from game.games.base import GameSetup, StageLook, WorldView, draw_arrow
from game.i18n import N_, _
from game.games.rolling import REACH_TOP, RollGame, draw_ball, draw_palm_top, draw_rep_row, draw_thumb_to
from game.ui import LOGICAL_W, Canvas, Color, LRect, Theme

GROUND_Y = 560.0
HOME_X = 250.0  # the basket's home beside the crate
TREE_X = HOME_X + (900.0 - HOME_X)  # where the target distance takes it
BG: Color = (120, 186, 226)
GRASS: Color = (64, 140, 76)
TRUNK: Color = (110, 72, 40)
LEAVES: Color = (40, 110, 60)
APPLE: Color = (213, 94, 0)  # Okabe-Ito vermillion
WOOD: Color = (176, 124, 70)
DROP_S = 0.35
TO_CRATE_S = 0.6


class ThumbOppositionGame(RollGame):
    exercise = "thumb_opposition"
    title = N_("Thumb side to side")
    instruction = N_("Roll the ball across with your thumb to catch the fruit. Then roll back home.")
    rep_word = N_("strokes")
    axis = "x"
    demo_caption = N_("Ball on your palm. Thumb rolls it across, then back.")
    hint_at = (640, 290)
    # The orchard through the year: a different fruit on the tree, the same stroke to reach it.
    # Skies stay light and grass mid-green: the crate's count is dark text on the grass.
    stages = (
        StageLook(N_("Apple tree"), {"sky": BG, "grass": GRASS, "leaves": LEAVES, "fruit": APPLE}, "apple"),
        StageLook(N_("Pear tree"), {"sky": (170, 210, 226), "grass": (90, 150, 70), "leaves": (60, 120, 50),
                                    "fruit": (200, 200, 60)}, "pear"),
        StageLook(N_("Orange grove"), {"sky": (150, 200, 236), "grass": (120, 160, 70), "leaves": (30, 100, 50),
                                       "fruit": (240, 150, 20)}, "orange"),
        StageLook(N_("Plum garden"), {"sky": (200, 190, 220), "grass": (96, 150, 90), "leaves": (50, 96, 60),
                                      "fruit": (130, 50, 120)}, "plum"),
        StageLook(N_("Cherry blossom"), {"sky": (176, 214, 236), "grass": (100, 160, 90), "leaves": (230, 170, 200),
                                         "fruit": (190, 20, 50)}, "cherry"),
    )

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        self.pos = 0.0  # basket place, 0 (home) .. 1 (the far end), smoothed
        self.prev_pos = 0.0
        self.results: list[bool] = []
        self.in_crate = 0
        self.last_rep_at: float | None = None

    @staticmethod
    def to_x(p: float) -> float:
        """World x of a basket place (the world view mirrors it for the left hand)."""
        return HOME_X + p * REACH_TOP * (TREE_X - HOME_X)

    # -------------------------------------------------------------- logic
    @property
    def carrying(self) -> bool:
        """The apple is in the basket: the stroke in progress reached the tree."""
        return self.detector.awaiting_return

    def on_rep(self, rep: Any) -> None:
        self.results.append(bool(rep.success))
        if rep.success:
            self.in_crate += 1
        self.last_rep_at = self.t

    def step_world(self, dt: float) -> None:
        self.prev_pos = self.pos
        goal = max(0.0, min(1.0, self.live_reach() / REACH_TOP))
        self.pos += (goal - self.pos) * (1.0 - math.exp(-dt / 0.05))

    focus_radius = 50.0

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        p = self.prev_pos + (self.pos - self.prev_pos) * alpha
        return (self.to_x(p), GROUND_Y - 40)

    def hint(self) -> str | None:
        if self.set_complete:
            return None
        d = self.detector
        if d.awaiting_return:
            return N_("Now roll back home")
        if d.in_stroke:
            return N_("A little further")
        return N_("Roll across")

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        p = self.prev_pos + (self.pos - self.prev_pos) * alpha
        self.draw_backdrop(c, self._paint_backdrop)
        # the row of marks reads left to right for either hand
        c.plain.rect(Theme.BG, LRect(300, 150, 680, 52), radius=16)
        draw_rep_row(c.plain, self.results, self.setup.reps_target, y=176, x0=340, x1=940)
        self._draw_tree(c)
        self._draw_crate(c)
        self._draw_basket(c, p)

    def _paint_backdrop(self, c: WorldView) -> None:
        look = self.stage
        c.clear(look.color("sky", BG))
        if look.twist == "orange":
            c.circle((250, 220, 120), (880, 72), 40)  # clear of Pause and Stop
        c.rect(look.color("grass", GRASS), (0, GROUND_Y, LOGICAL_W, 200))
        if look.twist == "cherry":  # petals on the grass
            for k in range(16):
                c.circle((240, 200, 220), (40 + k * 78, GROUND_Y + 60 + (k % 3) * 30), 6)
        elif look.twist == "plum":  # a garden fence far back
            for k in range(20):
                c.rect((150, 120, 90), (k * 66, GROUND_Y - 50, 12, 50))
            c.rect((150, 120, 90), (0, GROUND_Y - 40, LOGICAL_W, 8))

    def _fruit(self, c: WorldView, p: tuple[float, float], r: float, outline: bool = True) -> None:
        """One piece of this stage's fruit."""
        x, y = p
        color = self.stage.color("fruit", APPLE)
        if self.stage.twist == "pear":
            c.circle(color, (x, y + r * 0.25), r)
            c.circle(color, (x, y - r * 0.55), r * 0.65)
            if outline:
                c.circle(Theme.DARK_TEXT, (x, y + r * 0.25), r, width=2)
        elif self.stage.twist == "cherry":
            for dx in (-r * 0.5, r * 0.5):
                c.circle(color, (x + dx, y + r * 0.2), r * 0.62)
                if outline:
                    c.circle(Theme.DARK_TEXT, (x + dx, y + r * 0.2), r * 0.62, width=2)
        else:
            c.circle(color, (x, y), r)
            if outline:
                c.circle(Theme.DARK_TEXT, (x, y), r, width=3 if r > 16 else 2)

    def _draw_tree(self, c: WorldView) -> None:
        x = self.to_x(1.0 / REACH_TOP)
        shake = 0.0
        if self.last_rep_at is not None and self.results and not self.results[-1]:
            age = self.t - self.last_rep_at
            if age < 0.6:
                shake = 8 * math.sin(age * 40) * (1 - age / 0.6)
        c.rect(TRUNK, LRect(x - 18, GROUND_Y - 200, 36, 200), radius=8)
        for dx, dy, r in ((0, -270, 95), (-70, -230, 70), (70, -230, 70)):
            c.circle(self.stage.color("leaves", LEAVES), (x + dx + shake, GROUND_Y + dy), r)
        # the fruit hangs low over the target place until the basket comes for it
        if not self.carrying and not self.set_complete:
            ay = GROUND_Y - 180
            c.line((80, 50, 20), (x + shake, ay - 30), (x + shake, ay - 16), 4)
            self._fruit(c, (x + shake, ay), 22)
        ty = GROUND_Y + 14
        c.line(Theme.FOCUS, (x, ty), (x, ty + 40), 5)
        c.polygon(Theme.FOCUS, [(x - 14, ty + 54), (x + 14, ty + 54), (x, ty + 40)])

    def _draw_crate(self, c: WorldView) -> None:
        cx = self.to_x(0.0) - 150
        r = LRect(cx - 70, GROUND_Y - 90, 140, 90)
        for i in range(min(self.in_crate, 10)):
            ax = r.x + 22 + (i % 5) * 24
            ay = r.y + 6 - (i // 5) * 20
            self._fruit(c, (ax, ay), 13)
        c.rect(WOOD, r, radius=6)
        for k in range(3):
            c.line((130, 88, 50), (r.x, r.y + 22 + 24 * k), (r.x + r.w, r.y + 22 + 24 * k), 3)
        c.rect(Theme.DARK_TEXT, r, radius=6, width=3)
        c.text(str(self.in_crate), (r.center[0], r.y + r.h + 30), size=30, bold=True, color=Theme.DARK_TEXT)

    def _draw_basket(self, c: WorldView, p: float) -> None:
        x = self.to_x(p)
        y = GROUND_Y - 10
        reached = self.carrying
        if reached:
            self._fruit(c, (x, y - 58), 22)
        # a just-finished good stroke: the apple hops from the basket into the crate
        if self.last_rep_at is not None and self.results and self.results[-1]:
            u = (self.t - self.last_rep_at) / TO_CRATE_S
            if u < 1.0:
                crate_x = self.to_x(0.0) - 150
                ax = x + (crate_x - x) * u
                ay = y - 58 - 120 * math.sin(math.pi * u)
                self._fruit(c, (ax, ay), 22, outline=False)
        body = [(x - 70, y - 60), (x + 70, y - 60), (x + 52, y), (x - 52, y)]
        c.polygon(Theme.SUCCESS if reached else WOOD, body)
        c.polygon(Theme.DARK_TEXT, body, width=3)
        c.arc(Theme.DARK_TEXT, LRect(x - 50, y - 110, 100, 100), 0.2, math.pi - 0.2, 5)
        for k in (-1, 0, 1):
            c.line((120, 80, 40), (x + 40 * k, y - 56), (x + 32 * k, y - 4), 2)

    # ---------------------------------------------------------- demonstration
    def draw_demo(self, c: Canvas, t: float, mirror: bool) -> None:
        u = (t % self.demo_cycle_s) / self.demo_cycle_s
        across = 0.5 - 0.5 * math.cos(2 * math.pi * u)
        cx, cy = 600.0, 390.0
        sign = -1 if mirror else 1
        base = draw_palm_top(c, (cx, cy), 260, mirror)
        # from the thumb's side of the palm across towards the little finger, and back
        ball = (cx + sign * (60 - 130 * across), cy - 10)
        draw_ball(c, ball, 38, spin=across * 5)
        draw_thumb_to(c, base, (ball[0] + sign * 28, ball[1] + 18), 36)
        y = 545
        a, b = (cx + sign * 90, y), (cx - sign * 110, y)
        if u < 0.5:
            draw_arrow(c, a, b)
            c.text(_("across"), (cx + sign * 250, y), size=28, bold=True, color=Theme.FOCUS)
        else:
            draw_arrow(c, b, a)
            c.text(_("back"), (cx + sign * 250, y), size=28, bold=True, color=Theme.FOCUS)
