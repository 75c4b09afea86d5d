"""Finger press: pump water up into a tower, one press-and-release per stroke.

The pump handle follows the fingers' force live; every press the detector counts
sends one gush of water up the pipe and fills one band of the tank: a full blue
band for a press that reached the target, a paler striped band for a near miss.
Presses here are quick (CLINICAL.md: a finger press can be over in 0.1 s, the next
one 0.2 s later), so this exercise brings its own short detector timings, and a
rep is a press and release with no hold. A level file can still override both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from game.games.base import (
    SKIN,
    MiniGame,
    StageLook,
    WorldView,
    draw_arrow,
    draw_demo_meter,
    draw_limb,
    effort_curve,
    mirror_rect,
    mirror_x,
)
from game.i18n import N_
from game.ui import LOGICAL_W, Canvas, Color, LRect, Theme

GROUND_Y = 600.0
TANK = LRect(700, 190, 240, 330)
PUMP_X = 330.0
PIPE_Y = 560.0
TANK_CAP = 20  # presses one tankful shows
POUR_S = 0.7  # one gush of water, seconds
FILL_TAU = 0.25  # how quickly the water settles at its new level
WATER: Color = Theme.BLUE
WATER_NEAR: Color = (120, 190, 230)
SKY: Color = (176, 214, 238)
GRASS: Color = (56, 120, 70)
WOOD: Color = (120, 78, 40)
METAL: Color = (70, 84, 100)


@dataclass
class Gush:
    at: float
    success: bool


class FingerFlexionGame(MiniGame):
    exercise = "finger_flexion"
    title = N_("Finger press")
    instruction = N_("Press the ball with four fingers to pump. Let go between presses.")
    rep_word = N_("presses")
    feedback_words = {
        None: N_("Splash!"),
        "below_target": N_("Almost! Press a little harder."),
        "hold_too_short": N_("Almost! Press a little longer."),
        "slow_release": N_("Good! Let go quicker."),
        "no_full_release": N_("Open your fingers."),
    }
    demo_caption = N_("Press the ball into your palm with four fingers. Keep the thumb out. Let go.")
    demo_cycle_s = 2.0
    hint_at = (PUMP_X + 20, 180)
    # Where the water goes: the same pump, the same press; the water itself stays blue.
    stages = (
        StageLook(N_("Garden tower"), {"sky": SKY, "grass": GRASS, "roof": (176, 58, 0)}, "garden"),
        StageLook(N_("Farm field"), {"sky": (186, 218, 236), "grass": (120, 130, 50), "roof": (150, 40, 30)}, "farm"),
        StageLook(N_("Orchard"), {"sky": (170, 210, 230), "grass": (70, 130, 60), "roof": (120, 60, 120)}, "orchard"),
        StageLook(N_("Village well"), {"sky": (196, 214, 230), "grass": (96, 110, 80), "roof": (60, 80, 120)},
                  "village"),
        StageLook(N_("Evening glow"), {"sky": (236, 176, 120), "grass": (70, 90, 50), "roof": (120, 40, 20)},
                  "evening"),
    )

    def __init__(self, setup) -> None:  # noqa: ANN001
        super().__init__(setup)
        rng = setup.rng
        self.gushes: list[Gush] = []
        self.level = 0.0  # water shown in the tank, in reps (eases towards reps_done)
        self.prev_level = 0.0
        self.handle = 0.0  # pump handle 0 (up) .. 1 (pressed down)
        self.prev_handle = 0.0
        self.cued = False
        self.clouds = [(rng.uniform(0, LOGICAL_W), rng.uniform(60, 200), rng.uniform(0.6, 1.1)) for _ in range(4)]

    # -------------------------------------------------------------- logic
    def on_rep(self, rep) -> None:  # noqa: ANN001
        self.gushes.append(Gush(self.t, bool(rep.success)))
        self.cued = False

    def step_world(self, dt: float) -> None:
        s = self.detector.settings
        self.prev_level, self.prev_handle = self.level, self.handle
        target = max(1e-6, s.target_pct)
        goal = max(0.0, min(1.0, self.detector.display_pct / target))
        self.handle += (goal - self.handle) * (1.0 - math.exp(-dt / 0.05))
        # The water arrives once the gush has climbed the pipe.
        arrived = sum(1 for g in self.gushes if self.t - g.at >= POUR_S * 0.5)
        self.level += (arrived - self.level) * (1.0 - math.exp(-dt / FILL_TAU))
        if not self.cued and not self.detector.in_rep:
            self.cue_detector()
            self.cued = True

    @property
    def pouring(self) -> Gush | None:
        g = self.gushes[-1] if self.gushes else None
        return g if g is not None and self.t - g.at < POUR_S else None

    focus_radius = 50.0

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        return (PUMP_X + 10, 372.0)

    def hint(self) -> str | None:
        if self.set_complete:
            return None
        d = self.detector
        if d.awaiting_release or (d.in_rep and d.level_pct >= d.settings.target_pct):
            return N_("Let go")
        if d.in_rep:
            return N_("Press!")
        return N_("Press!")

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        level = self.prev_level + (self.level - self.prev_level) * alpha
        handle = self.prev_handle + (self.handle - self.prev_handle) * alpha
        self.draw_backdrop(c, self._paint_backdrop)
        self._draw_tower(c, level)
        self._draw_pipe(c)
        self._draw_pump(c, handle)

    def _paint_backdrop(self, c: WorldView) -> None:
        """Sky, clouds, ground and what the water is for at this stage (nothing here moves)."""
        look = self.stage
        c.clear(look.color("sky", SKY))
        if look.twist == "evening":
            c.circle((250, 210, 120), (1010, 420), 80)
        for x, y, sz in self.clouds:
            for dx, dy, r in ((0, 0, 30), (30, -10, 36), (64, 0, 28)):
                c.circle((250, 240, 230) if look.twist == "evening" else (250, 252, 255), (x + dx * sz, y + dy * sz),
                         r * sz)
        grass = look.color("grass", GRASS)
        c.rect(grass, (0, GROUND_Y, LOGICAL_W, 200))
        if look.twist == "farm":  # rows of crops the water feeds
            for k in range(12):
                x = 20 + k * 105
                c.rect((90, 60, 30), (x, GROUND_Y + 30, 80, 14), radius=6)
                for j in range(3):
                    c.circle((60, 150, 60), (x + 14 + 26 * j, GROUND_Y + 26), 11)
        elif look.twist == "orchard":
            for x in (80, 1010, 1180):
                c.rect((110, 72, 40), (x - 10, GROUND_Y - 120, 20, 124))
                c.circle((50, 120, 60), (x, GROUND_Y - 150), 56)
                for dx, dy in ((-20, -150), (18, -170), (10, -130)):
                    c.circle((213, 94, 0), (x + dx, GROUND_Y + dy), 8)
        elif look.twist == "village":
            for x in (40, 1000, 1140):
                c.rect((214, 200, 176), (x, GROUND_Y - 90, 110, 94))
                c.polygon(look.color("roof", (60, 80, 120)), [(x - 10, GROUND_Y - 90), (x + 55, GROUND_Y - 140),
                                                              (x + 120, GROUND_Y - 90)])
                c.rect((90, 110, 140), (x + 40, GROUND_Y - 60, 28, 28))
        elif look.twist == "garden":
            for k in range(9):
                x = 40 + k * 140
                c.circle((204, 121, 167) if k % 2 else (240, 228, 66), (x, GROUND_Y + 40), 9)

    def _draw_tower(self, c: WorldView, level: float) -> None:
        r = TANK
        for lx in (r.x + 30, r.x + r.w - 30):
            c.line(WOOD, (lx, r.y + r.h), (lx, GROUND_Y + 10), 14)
        c.line(WOOD, (r.x + 30, r.y + r.h + 20), (r.x + r.w - 30, GROUND_Y - 10), 6)
        c.line(WOOD, (r.x + r.w - 30, r.y + r.h + 20), (r.x + 30, GROUND_Y - 10), 6)
        c.rect((236, 240, 244), r, radius=12)
        # One band per press; a long set fills the tower again (the full tank drains to the garden).
        first = (int(level + 1e-6) // TANK_CAP) * TANK_CAP if level < self.setup.reps_target else 0
        first = min(first, max(0, self.setup.reps_target - 1) // TANK_CAP * TANK_CAP)
        n = max(1, min(TANK_CAP, self.setup.reps_target - first))
        band_h = (r.h - 12) / n
        in_tank = max(0.0, min(float(n), level - first))
        full = int(in_tank)
        frac = in_tank - full
        for i in range(min(n, full + 1)):
            h = band_h if i < full else band_h * frac
            if h <= 0.5:
                continue
            y = r.y + r.h - 6 - i * band_h - h
            g = self.gushes[first + i] if first + i < len(self.gushes) else None
            ok = g.success if g else True
            c.rect(WATER if ok else WATER_NEAR, LRect(r.x + 6, y, r.w - 12, h))
            if not ok:  # near misses are striped as well as paler (not colour alone)
                for sx in range(int(r.x + 16), int(r.x + r.w - 12), 26):
                    c.line(WATER, (sx, y + h * 0.5), (sx + 12, y + h * 0.5), 3)
        for i in range(1, n):
            y = r.y + r.h - 6 - i * band_h
            c.line((150, 160, 172), (r.x + r.w - 22, y), (r.x + r.w - 6, y), 2)
        c.rect(Theme.DARK_TEXT, r, radius=12, width=5)
        c.polygon(self.stage.color("roof", (176, 58, 0)), [(r.x - 16, r.y + 4), (r.center[0], r.y - 56),
                                                           (r.x + r.w + 16, r.y + 4)])

    def _draw_pipe(self, c: WorldView) -> None:
        top_x = TANK.x + 30
        path = [(PUMP_X + 60, PIPE_Y), (TANK.x - 40, PIPE_Y), (TANK.x - 40, TANK.y + 30), (TANK.x + 14, TANK.y + 30)]
        c.lines(METAL, path, 16)
        g = self.pouring
        if g is not None:
            u = (self.t - g.at) / POUR_S
            color = WATER if g.success else WATER_NEAR
            # a slug of water travelling up the pipe, then falling into the tank
            seg = self._point_on(path, min(1.0, u * 1.3))
            c.circle(color, seg, 14)
            if u > 0.6:
                for k in range(3):
                    c.circle(color, (top_x + 6 * k, TANK.y + 50 + 60 * (u - 0.6) * (k + 1)), 8)

    @staticmethod
    def _point_on(path: list[tuple[float, float]], u: float) -> tuple[float, float]:
        lengths = [math.dist(a, b) for a, b in zip(path, path[1:])]
        d = u * sum(lengths)
        for (a, b), ln in zip(zip(path, path[1:]), lengths):
            if d <= ln:
                k = d / ln if ln else 0.0
                return (a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k)
            d -= ln
        return path[-1]

    def _draw_pump(self, c: WorldView, handle: float) -> None:
        x = PUMP_X
        c.rect(METAL, (x - 40, 380, 100, GROUND_Y - 380 + 10), radius=10)
        c.rect(Theme.DARK_TEXT, (x - 40, 380, 100, GROUND_Y - 380 + 10), radius=10, width=3)
        pivot = (x + 10, 372)
        ang = math.radians(-28 + 50 * min(1.2, handle))  # up at rest, down when pressed to target
        end = (pivot[0] - 200 * math.cos(ang), pivot[1] + 200 * math.sin(ang))
        c.line(Theme.DARK_TEXT, pivot, end, 20)
        c.line((200, 200, 210), pivot, end, 14)
        reached = self.detector.display_pct >= self.detector.settings.target_pct
        c.circle(Theme.SUCCESS if reached else Theme.FOCUS, end, 22)
        c.circle(Theme.DARK_TEXT, end, 22, width=3)
        c.circle(Theme.DARK_TEXT, pivot, 12)

    # ---------------------------------------------------------- demonstration
    def draw_demo(self, c: Canvas, t: float, mirror: bool) -> None:
        e = effort_curve(t / self.demo_cycle_s, rise=0.2, hold=0.15, release=0.2)
        m = mirror
        # side view, palm up: palm along the bottom, ball in the palm, fingers curl over it
        c.rect(SKIN, mirror_rect(380, 440, 360, 80, m), radius=36)
        c.rect(Theme.DARK_TEXT, mirror_rect(380, 440, 360, 80, m), radius=36, width=3)
        squash = 12 * e
        bx = mirror_x(600, m)
        c.ellipse(Theme.NEAR, (bx - 52 - squash / 2, 348 + squash, 104 + squash, 94 - squash))
        knuckle = (mirror_x(712, m), 450.0)
        for k in range(3, -1, -1):  # four fingers, the back ones a shade darker
            off = 9 * k
            shade = (SKIN[0] - 10 * k, SKIN[1] - 12 * k, SKIN[2] - 12 * k)
            pts = [(knuckle[0] + (off if not m else -off), knuckle[1] - off * 0.6)]
            angle = -75.0
            for seg_len, bend in ((92, 30), (64, 70), (46, 60)):
                angle -= bend * e
                a = math.radians(angle)
                dx = seg_len * math.cos(a)
                px, py = pts[-1]
                pts.append((px + (-dx if m else dx), py + seg_len * math.sin(a)))
            draw_limb(c, pts, 30, shade)
        # the thumb stays out of it
        draw_limb(c, [(mirror_x(420, m), 460), (mirror_x(350, m), 400), (mirror_x(310, m), 360)], 34)
        if e > 0.05:
            tip = (mirror_x(640, m), 240)
            draw_arrow(c, tip, (mirror_x(560, m), 300))
        draw_demo_meter(c, LRect(mirror_x(980, m) - 20, 200, 40, 300), 0.8 * e)
