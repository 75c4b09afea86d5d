"""Table roll, the marble garden: roll the marble up the garden path to the next flower.

The same exercise, rep counter, pressure band and prescription as the boat (it is the
boat's game with another picture: :class:`TableRollGame` counts, this draws). The
marble follows the ball live: rolled out to the fingertips it runs up the path
towards the next flower (touching it at the target distance), rolled back it comes
back. Each counted roll opens that flower (a full bloom with a yellow star for a good
roll, a bud with an orange ring for a near miss) and the marble rolls on past it to
the next one. Pressing too hard or too softly slows the marble and the hint says
which. The lawn and its hedges are drawn once.
"""

from __future__ import annotations

import bisect
import functools
import math
from typing import Any

from game.games.base import GameSetup, StageLook, WorldView
from game.games.rolling import draw_rep_row, star_points
from game.games.table_roll import Gate, TableRollGame
from game.i18n import N_
from game.ui import LOGICAL_H, LOGICAL_W, Canvas, Color, LRect, Theme

MARBLE_Y = 540.0  # the marble's resting place on screen; the garden scrolls
MARBLE_R = 24.0
PATH_W = 150.0
SPACING = 320.0  # path distance between flowers (the first is in full view, under the row of marks)
FLOWER_BEFORE = 60.0  # the marble touches a flower this far before its centre
LAWN: Color = (44, 112, 60)
LAWN_STRIPE: Color = (52, 124, 68)
HEDGE: Color = (24, 70, 40)
PATH: Color = (196, 176, 138)
PATH_EDGE: Color = (150, 128, 94)
STEM: Color = (30, 90, 44)
PETALS: tuple[Color, ...] = ((204, 121, 167), (240, 228, 66), (86, 180, 233), (255, 255, 255))  # Okabe-Ito
MARBLE: Color = (0, 114, 178)
MARBLE_SWIRL: Color = (120, 200, 240)


def path_x(s: float) -> float:
    """The garden path's centre line at distance ``s`` (a gentle, fixed winding)."""
    return 720.0 + 100.0 * math.sin(s / 300.0 + 0.6) + 30.0 * math.sin(s / 117.0)


class MarbleGame(TableRollGame):
    title = N_("Marble garden")
    instruction = N_("Roll the ball to your fingertips and back. The marble rolls to the flower.")
    feedback_words = {
        None: N_("The flower opens!"),
        "too_small": N_("Almost! Roll a bit further."),
        "pressure_low": N_("Good roll! Press a little more."),
        "pressure_high": N_("Good roll! Press more gently."),
    }
    hint_at = (290, 440)  # beside the path, clear of the marble and the bars
    # Five gardens that open as the patient practises: only the picture changes.
    stages = (
        StageLook(N_("Cottage garden"), {}, "daisies"),
        StageLook(N_("Rose garden"), {"petal": (213, 94, 0), "bloom": (204, 121, 167)}, "roses"),
        StageLook(N_("Sunflower field"), {"lawn": (70, 120, 50), "stripe": (80, 132, 58), "petal": (240, 228, 66),
                                          "bloom": (213, 94, 0)}, "sunflowers"),
        StageLook(N_("Stone garden"), {"lawn": (60, 96, 70), "stripe": (66, 104, 76), "hedge": (40, 60, 50),
                                       "path": (170, 170, 164), "path_edge": (120, 120, 116),
                                       "petal": (255, 255, 255), "bloom": (204, 121, 167)}, "stones"),
        StageLook(N_("Moonlit garden"), {"lawn": (26, 52, 44), "stripe": (30, 60, 50), "hedge": (14, 34, 28),
                                         "path": (120, 116, 140), "path_edge": (84, 80, 104),
                                         "petal": (86, 180, 233), "bloom": (255, 255, 255)}, "fireflies"),
    )

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        rng = setup.rng
        self.nudge = 0.0  # how far up the path the marble is rolled, live (world px ahead of dist)
        self.prev_nudge = 0.0
        self.roll_angle = 0.0
        self.prev_roll_angle = 0.0
        self.gates = [Gate(SPACING * (k + 1)) for k in range(setup.reps_target)]
        n = setup.reps_target + 3
        # Flowers along the path, in order of distance so a frame draws only those in view.
        self.border = sorted(((rng.choice((-1, 1)), rng.uniform(0, SPACING * n), rng.randrange(len(PETALS)))
                              for _ in range(12 * n)), key=lambda b: b[1])
        self.border_s = [b[1] for b in self.border]

    def _paint_backdrop(self, c: WorldView) -> None:
        _paint_lawn(c, self.stage)

    focus_radius = MARBLE_R + 10

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        dist = self.prev_dist + (self.dist - self.prev_dist) * alpha
        at = dist + self.prev_nudge + (self.nudge - self.prev_nudge) * alpha
        return (path_x(at), self._y(at, dist))

    # -------------------------------------------------------------- logic
    def step_world(self, dt: float) -> None:
        super().step_world(dt)  # the rolling on to the next flower, slower outside the pressure band
        self.prev_nudge = self.nudge
        self.prev_roll_angle = self.roll_angle
        gate = self.next_gate
        reach = min(1.0, max(0.0, self.live_reach()))
        room = max(0.0, gate.s - FLOWER_BEFORE - self.dist) if gate is not None and not self.set_complete else 0.0
        goal = reach * room
        self.nudge += (goal - self.nudge) * (1.0 - math.exp(-dt / 0.08))
        self.roll_angle = (self.dist + self.nudge) / MARBLE_R

    def on_rep(self, rep: Any) -> None:
        at = self.dist + self.nudge
        super().on_rep(rep)
        # The marble rolls on from where it is drawn: no jump when the next flower takes over.
        self.dist, self.nudge = at, 0.0
        self.prev_dist, self.prev_nudge = self.dist, 0.0

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        dist = self.prev_dist + (self.dist - self.prev_dist) * alpha
        nudge = self.prev_nudge + (self.nudge - self.prev_nudge) * alpha
        spin = self.prev_roll_angle + (self.roll_angle - self.prev_roll_angle) * alpha
        look = self.stage
        # The path and its border of flowers move only while the marble rolls on to the next
        # flower: while it waits there, they are painted once onto the lawn (draw_backdrop).
        self.draw_backdrop(c, self._paint_backdrop, (self, dist), functools.partial(self._draw_garden, dist=dist))
        if look.twist == "fireflies":  # a few lights drifting in the dark, from game time only
            for k in range(10):
                fx = 140 + (k * 113 + 40 * math.sin(self.t * 0.7 + k)) % 1000
                fy = 120 + (k * 67 + 30 * math.cos(self.t * 0.5 + 2 * k)) % 480
                c.circle(Theme.FOCUS, (fx, fy), 3 + (k % 2))
        first = max(0, int((dist - (LOGICAL_H - MARBLE_Y)) // SPACING) - 1)
        for g in self.gates[first: first + int(LOGICAL_H // SPACING) + 3]:  # the flowers in view
            if -80 < self._y(g.s, dist) < LOGICAL_H + 40:
                c.group(functools.partial(self._draw_flower, g=g, dist=dist))
        self._draw_marble(c, dist + nudge, dist, spin)
        c.plain.rect(Theme.BG, LRect(300, 150, 680, 52), radius=16)
        draw_rep_row(c.plain, [g.success for g in self.gates if g.resolved], self.setup.reps_target,
                     y=176, x0=340, x1=940)

    def _draw_garden(self, c: WorldView, dist: float) -> None:
        """The path and the flowers along it, the garden scrolled to ``dist``."""
        look = self.stage
        self._draw_path(c, dist)
        lo = bisect.bisect_left(self.border_s, dist - (LOGICAL_H - MARBLE_Y) - 30)
        hi = bisect.bisect_right(self.border_s, dist + MARBLE_Y + 30)
        for k in range(lo, hi):
            side, s0, colour = self.border[k]
            y = self._y(s0, dist)
            if -30 < y < LOGICAL_H + 30:
                x = path_x(s0) + side * (PATH_W / 2 + 40)
                # Each bloom (seven discs) is one cached copy wherever its discs fall on the same
                # pixels relative to each other: the same pixels, a fraction of the CPU.
                if look.twist == "stones" and k % 2:
                    c.ellipse((150, 150, 146), LRect(x - 14, y - 9, 28, 18))
                elif look.twist == "sunflowers" and k % 3 == 0:
                    c.discs(_bloom_discs((x, y), 20, (240, 228, 66), (120, 76, 40)))
                else:
                    c.discs(_bloom_discs((x, y), 12, look.color("petal", PETALS[colour]) if k % 2 else PETALS[colour]))

    def _y(self, s: float, dist: float) -> float:
        return MARBLE_Y - (s - dist)

    def _draw_path(self, c: WorldView, dist: float) -> None:
        left, right = [], []
        s = dist - (LOGICAL_H - MARBLE_Y) - 40
        while s <= dist + MARBLE_Y + 40:
            y = self._y(s, dist)
            left.append((path_x(s) - PATH_W / 2, y))
            right.append((path_x(s) + PATH_W / 2, y))
            s += 30.0
        c.polygon(self.stage.color("path", PATH), left + right[::-1])
        c.lines(self.stage.color("path_edge", PATH_EDGE), left, 5)
        c.lines(self.stage.color("path_edge", PATH_EDGE), right, 5)

    def _draw_flower(self, c: WorldView, g: Gate, dist: float) -> None:
        y = self._y(g.s, dist)
        if not -80 < y < LOGICAL_H + 40:
            return
        x = path_x(g.s)
        c.line(STEM, (x, y + 30), (x, y), 8)
        if not g.resolved:  # a closed bud, yellow-ringed: the next place to reach
            c.ellipse((214, 120, 160), LRect(x - 16, y - 26, 32, 44))
            c.ellipse(Theme.DARK_TEXT, LRect(x - 16, y - 26, 32, 44), width=3)
            c.circle(Theme.FOCUS, (x, y), 40, width=4)
        elif g.success:
            _draw_bloom(c, (x, y), 36, self.stage.color("bloom", PETALS[0]))
            c.polygon(Theme.FOCUS, star_points((x, y), 20))
        else:
            c.ellipse((214, 120, 160), LRect(x - 16, y - 26, 32, 44))
            c.circle(Theme.NEAR, (x, y), 34, width=5)

    def _draw_marble(self, c: WorldView, s: float, dist: float, spin: float) -> None:
        x, y = path_x(s), self._y(s, dist)
        c.ellipse((30, 60, 40), LRect(x - MARBLE_R + 6, y - MARBLE_R * 0.4 + 14, MARBLE_R * 2, MARBLE_R))
        c.circle(MARBLE, (x, y), MARBLE_R)
        # the swirl turns as the marble rolls, so its rolling is visible
        a = c.same_turn(spin)
        c.line(MARBLE_SWIRL, (x - math.cos(a) * MARBLE_R * 0.7, y - math.sin(a) * MARBLE_R * 0.7),
               (x + math.cos(a) * MARBLE_R * 0.7, y + math.sin(a) * MARBLE_R * 0.7), 6)
        c.circle((230, 244, 255), (x - 8, y - 9), 6)
        c.circle(Theme.DARK_TEXT, (x, y), MARBLE_R, width=3)

    # -------------------------------------------------------- choice picture
    @staticmethod
    def draw_preview(c: Canvas, r: LRect) -> None:
        """A small picture of this game for the choice screen."""
        c.rect(LAWN, r, radius=18)
        x0 = r.x + r.w / 2
        pts_l = [(x0 - 40 + 30 * math.sin(i / 2), r.y + r.h - i * r.h / 8) for i in range(9)]
        pts_r = [(x + 80, y) for x, y in pts_l]
        c.polygon(PATH, pts_l + pts_r[::-1])
        _draw_bloom(c, (pts_l[6][0] + 40, pts_l[6][1]), 28, PETALS[0])
        c.circle(MARBLE, (pts_l[2][0] + 40, pts_l[2][1]), 20)
        c.circle(Theme.DARK_TEXT, (pts_l[2][0] + 40, pts_l[2][1]), 20, width=3)
        c.rect(Theme.DARK_TEXT, r, radius=18, width=3)


def _draw_bloom(c: Canvas | WorldView, center: tuple[float, float], r: float, colour: Color,
                heart: Color | None = None) -> None:
    for col, x, y, rad in _bloom_discs(center, r, colour, heart):
        c.circle(col, (x, y), rad)


def _bloom_discs(center: tuple[float, float], r: float, colour: Color,
                 heart: Color | None = None) -> list[tuple[Color, float, float, float]]:
    """A bloom's six petals and its heart, as (colour, x, y, radius)."""
    x, y = center
    out = [(colour, x + dx, y + dy, r * 0.45) for dx, dy in _petal_offsets(r)]
    out.append((heart or ((240, 228, 66) if colour != (240, 228, 66) else (230, 159, 0)), x, y, r * 0.35))
    return out


@functools.lru_cache(maxsize=8)
def _petal_offsets(r: float) -> tuple[tuple[float, float], ...]:
    return tuple((math.cos(k * math.pi / 3) * r * 0.6, math.sin(k * math.pi / 3) * r * 0.6) for k in range(6))


def _paint_lawn(c: WorldView, look: StageLook) -> None:
    """The still part: a mown lawn in stripes and the hedges on either side."""
    c.clear(look.color("lawn", LAWN))
    for i in range(0, LOGICAL_W, 160):
        c.rect(look.color("stripe", LAWN_STRIPE), (i, 0, 80, LOGICAL_H))
    hedge = look.color("hedge", HEDGE)
    c.rect(hedge, (0, 0, 90, LOGICAL_H))
    c.rect(hedge, (LOGICAL_W - 90, 0, 90, LOGICAL_H))
    if look.twist == "roses":  # roses along the hedges
        for y in range(40, LOGICAL_H, 90):
            for x in (45, LOGICAL_W - 45):
                c.circle((213, 94, 0), (x, y), 9)
    edge = tuple(min(255, v + 12) for v in hedge)
    c.rect(edge, (80, 0, 14, LOGICAL_H))  # type: ignore[arg-type]
    c.rect(edge, (LOGICAL_W - 94, 0, 14, LOGICAL_H))  # type: ignore[arg-type]
