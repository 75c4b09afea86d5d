"""Table roll: row a boat up a winding river, one out-and-back roll per oar stroke.

The ball is on the table under the palm. Rolling it out to the fingertips and back
is one oar stroke: the oars follow the roll live, and each counted rep carries the
boat through the next pair of buoys (green with a tick for a good stroke, orange
with a ring for a near miss). The boat glides at full speed while the pressure on
the ball stays inside the band; too hard or too soft and it slows, and the gauge
beside the river says which. The river winds by itself: the patient never has to
steer, only roll and keep a moderate pressure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from game.games.base import SKIN, GameSetup, StageLook, WorldView, draw_arrow, draw_limb, mirror_x
from game.i18n import N_, _, pgettext
from game.games.rolling import REACH_TOP, RollGame, draw_ball, draw_reach_bar, draw_rep_row, star_points
from game.therapy.roll_reps import RollRepSettings
from game.ui import LOGICAL_H, Canvas, Color, LRect, Theme

BOAT_Y = 500.0  # the boat stays here on screen; the river scrolls
GATE_SPACING = 420.0  # world distance between buoy pairs
GLIDE = 260.0  # logical px per second with pressure in the band
SLOW = 0.4  # speed factor when pressure is outside the band
RIVER_W = 300.0
GRASS: Color = (34, 92, 58)
GRASS_DARK: Color = (26, 74, 46)
WATER: Color = (28, 96, 150)
WATER_LIGHT: Color = (60, 130, 184)
BAND_LOW, BAND_HIGH = 0.5, 2.5  # the pressure band, as multiples of the force target
PRESSURE_BAR = LRect(1084, 150, 56, 440)  # beside the roll bar, towards the middle (right-hand layout)


def river_x(s: float) -> float:
    """The river's centre line at world distance ``s`` (a fixed, gentle meander)."""
    return 600.0 + 150.0 * math.sin(s / 340.0) + 50.0 * math.sin(s / 133.0 + 1.0)


@dataclass
class Gate:
    s: float
    resolved: bool = False
    success: bool = False


class TableRollGame(RollGame):
    exercise = "table_roll"
    title = N_("Table roll")
    instruction = N_("Roll the ball to your fingertips and back. Press gently all the way.")
    rep_word = N_("rolls")
    axis = "y"
    demo_caption = N_("Palm on the ball. Roll it to your fingertips and back.")
    demo_cycle_s = 4.0
    hint_at = (900, 420)
    # Up the river through changing country: the same buoys, the same roll and pressure.
    stages = (
        StageLook(N_("Green river"), {"grass": GRASS, "bank": GRASS_DARK, "water": WATER, "water_light": WATER_LIGHT},
                  "reeds"),
        StageLook(N_("Autumn forest"), {"grass": (92, 70, 36), "bank": (200, 100, 30), "water": (30, 90, 130),
                                        "water_light": (70, 130, 170)}, "trees"),
        StageLook(N_("Red canyon"), {"grass": (150, 80, 50), "bank": (110, 56, 36), "water": (20, 100, 140),
                                     "water_light": (60, 140, 180)}, "rocks"),
        StageLook(N_("Snowy valley"), {"grass": (210, 220, 232), "bank": (40, 80, 60), "water": (40, 90, 140),
                                       "water_light": (120, 160, 200)}, "pines"),
        StageLook(N_("Flower meadow"), {"grass": (60, 120, 60), "bank": (204, 121, 167), "water": (24, 92, 150),
                                        "water_light": (70, 140, 190)}, "flowers"),
    )

    @classmethod
    def roll_settings(cls, setup: GameSetup) -> RollRepSettings:
        s = super().roll_settings(setup)
        target = setup.detector.target_pct  # the force target the plan prescribes, %MVC
        return replace(s, pressure_low_pct=BAND_LOW * target, pressure_high_pct=BAND_HIGH * target)

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        self.dist = 0.0  # how far up the river the boat is
        self.prev_dist = 0.0
        self.goal = 0.0  # where the boat glides to (just past the last gate earned)
        self.gates = [Gate(GATE_SPACING * (k + 1)) for k in range(setup.reps_target)]
        rng = setup.rng
        self.reeds = [(rng.uniform(-1, 1), rng.uniform(0, GATE_SPACING * (setup.reps_target + 3)))
                      for _ in range(70)]

    # -------------------------------------------------------------- logic
    @property
    def next_gate(self) -> Gate | None:
        return next((g for g in self.gates if not g.resolved), None)

    def on_rep(self, rep: Any) -> None:
        gate = self.next_gate
        if gate is not None:
            gate.resolved = True
            gate.success = bool(rep.success)
            self.goal = gate.s + 80.0

    @property
    def speed_factor(self) -> float:
        return 1.0 if self.detector.pressure_state == "ok" else SLOW

    def step_world(self, dt: float) -> None:
        self.prev_dist = self.dist
        if self.dist < self.goal:
            self.dist = min(self.goal, self.dist + GLIDE * self.speed_factor * dt)

    focus_radius = 50.0

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        d = self.prev_dist + (self.dist - self.prev_dist) * alpha
        return (river_x(d), BOAT_Y)

    def hint(self) -> str | None:
        if self.set_complete:
            return None
        d = self.detector
        state = d.pressure_state
        if state == "low":
            return N_("Press a little more")
        if state == "high":
            return N_("Press more gently")
        if d.awaiting_return:
            return N_("Now roll back")
        if d.in_stroke:
            return N_("A little further")
        return N_("Roll out")

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        dist = self.prev_dist + (self.dist - self.prev_dist) * alpha
        c.clear(self.stage.color("grass", GRASS))
        self._draw_river(c, dist)
        for g in self.gates:
            self._draw_gate(c, g, dist)
        self._draw_boat(c, dist)
        # the row of marks reads left to right for either hand
        c.plain.rect(Theme.BG, LRect(300, 150, 680, 52), radius=16)
        draw_rep_row(c.plain, [g.success for g in self.gates if g.resolved], self.setup.reps_target,
                     y=176, x0=340, x1=940)

    def _screen_y(self, s: float, dist: float) -> float:
        return BOAT_Y - (s - dist)

    def _draw_river(self, c: WorldView, dist: float) -> None:
        left, right = [], []
        s = dist - (LOGICAL_H - BOAT_Y) - 40
        while s <= dist + BOAT_Y + 40:
            y = self._screen_y(s, dist)
            x = river_x(s)
            left.append((x - RIVER_W / 2, y))
            right.append((x + RIVER_W / 2, y))
            s += 30.0
        look = self.stage
        light = look.color("water_light", WATER_LIGHT)
        c.polygon(look.color("water", WATER), left + right[::-1])
        c.lines(light, left, 6)
        c.lines(light, right, 6)
        bank, twist = look.color("bank", GRASS_DARK), look.twist
        for i, (side, s0) in enumerate(self.reeds):
            y = self._screen_y(s0, dist)
            if -40 < y < LOGICAL_H + 40:
                x = river_x(s0) + math.copysign(RIVER_W / 2 + 36 + 220 * abs(side), side)
                if twist == "trees":
                    c.circle(bank if i % 3 else (230, 159, 0), (x, y), 26)
                elif twist == "rocks":
                    c.ellipse(bank, (x - 24, y - 14, 48, 28))
                elif twist == "pines":
                    c.polygon(bank, [(x - 18, y + 16), (x, y - 26), (x + 18, y + 16)])
                elif twist == "flowers":
                    c.circle(bank if i % 2 else (240, 228, 66), (x, y), 9)
                else:
                    c.circle(bank, (x, y), 14)

    def _draw_gate(self, c: WorldView, g: Gate, dist: float) -> None:
        y = self._screen_y(g.s, dist)
        if not -40 < y < LOGICAL_H + 40:
            return
        x = river_x(g.s)
        color = (Theme.SUCCESS if g.success else Theme.NEAR) if g.resolved else Theme.FOCUS
        for dx in (-RIVER_W / 2 + 26, RIVER_W / 2 - 26):
            c.circle(color, (x + dx, y), 16)
            c.circle(Theme.DARK_TEXT, (x + dx, y), 16, width=3)
        if not g.resolved:
            c.line((200, 200, 180), (x - RIVER_W / 2 + 42, y), (x + RIVER_W / 2 - 42, y), 2)
        elif g.success:
            c.polygon(Theme.FOCUS, star_points((x, y), 18))
        else:
            c.circle(Theme.NEAR, (x, y), 13, width=4)

    def _draw_boat(self, c: WorldView, dist: float) -> None:
        x = river_x(dist)
        slope = (river_x(dist + 5) - river_x(dist - 5)) / 10.0
        ang = math.atan(slope)  # the boat points along the river
        # The oars sweep with the stroke in progress: the patient's roll, live.
        sweep = max(0.0, min(1.0, self.live_reach() / REACH_TOP))
        oar = -0.9 + 1.5 * sweep
        ca, sa = math.cos(ang), math.sin(ang)

        def at(px: float, py: float) -> tuple[float, float]:
            return (x + px * ca - py * sa, BOAT_Y + px * sa + py * ca)

        for side in (-1, 1):
            root = at(side * 22, 4)
            tip = (root[0] + side * 90 * math.cos(oar), root[1] + 90 * math.sin(oar))
            c.line((120, 80, 40), root, tip, 7)
            c.ellipse((150, 100, 50), (tip[0] - 12, tip[1] - 8, 24, 16))
        hull = [at(0, -64), at(26, -24), at(26, 40), at(0, 52), at(-26, 40), at(-26, -24)]
        c.polygon((196, 120, 60), hull)
        c.polygon(Theme.DARK_TEXT, hull, width=3)
        c.circle((240, 228, 66), at(0, 4), 13)
        c.circle(Theme.DARK_TEXT, at(0, 4), 13, width=2)

    def draw_signal(self, c: Canvas, r: LRect) -> None:
        draw_reach_bar(c, r, self.live_reach(), pgettext("bar label", "roll"))
        self._draw_pressure(c, self.on_hand_side(PRESSURE_BAR))

    def _draw_pressure(self, c: Canvas, r: LRect) -> None:
        """Pressure on the ball, with the band it should stay in shaded."""
        s = self.detector.settings
        top = max(s.pressure_high_pct * 1.3, 1e-6)
        c.rect(Theme.PANEL, LRect(r.x - 6, r.y - 6, r.w + 12, r.h + 56), radius=14)
        y_hi = r.y + r.h * (1 - s.pressure_high_pct / top)
        y_lo = r.y + r.h * (1 - s.pressure_low_pct / top)
        c.rect((60, 90, 70), LRect(r.x - 8, y_hi, r.w + 16, y_lo - y_hi), radius=6)
        level = max(0.0, min(1.0, self.detector.pressure_pct / top))
        state = self.detector.pressure_state
        fill = Theme.SUCCESS if state == "ok" else Theme.NEAR
        c.rect(fill, LRect(r.x + 8, r.y + r.h * (1 - level), r.w - 16, r.h * level), radius=6)
        for y in (y_hi, y_lo):
            c.line(Theme.FOCUS, (r.x - 10, y), (r.x + r.w + 10, y), 4)
        c.text(pgettext("bar label", "press"), (r.x + r.w / 2, r.y + r.h + 24), size=22, color=Theme.TEXT)

    # ---------------------------------------------------------- demonstration
    def draw_demo(self, c: Canvas, t: float, mirror: bool) -> None:
        u = (t % self.demo_cycle_s) / self.demo_cycle_s
        reach = 0.5 - 0.5 * math.cos(2 * math.pi * u)
        m = mirror
        table_y = 470.0
        c.rect((120, 86, 60), (260, table_y, 760, 30), radius=6)
        # side view: the ball under the palm, rolled from the palm's base to the fingertips
        bx = mirror_x(480 + 260 * reach, m)
        draw_ball(c, (bx, table_y - 45), 45, spin=(-1 if m else 1) * reach * 6)
        palm_y = table_y - 95
        wrist = (mirror_x(330 + 260 * reach - 80, m), palm_y - 20)
        heel = (mirror_x(440 + 260 * reach - 40, m), palm_y)
        knuckle = (mirror_x(600 + 260 * reach - 80, m), palm_y - 4)
        tip = (mirror_x(760 + 260 * reach - 120, m), table_y - 12)
        draw_limb(c, [wrist, heel, knuckle], 60, SKIN)
        draw_limb(c, [knuckle, (mirror_x(690 + 260 * reach - 100, m), palm_y + 14), tip], 34, SKIN)
        ax = 230
        if u < 0.5:
            draw_arrow(c, (mirror_x(520, m), ax), (mirror_x(760, m), ax))
            c.text(_("to the fingertips"), (640, ax - 40), size=28, bold=True, color=Theme.FOCUS)
        else:
            draw_arrow(c, (mirror_x(760, m), ax), (mirror_x(520, m), ax))
            c.text(_("back to the palm"), (640, ax - 40), size=28, bold=True, color=Theme.FOCUS)
        draw_arrow(c, (bx, palm_y - 110), (bx, palm_y - 60), Theme.SKY, 5)
        c.text(_("press gently"), (bx, palm_y - 130), size=24, color=Theme.SKY)

