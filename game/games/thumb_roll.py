"""Thumb circles: turn a potter's wheel, one full circle of the ball per turn of clay.

The wheel turns with the thumb, live: it follows the angle the ball has travelled
round. Each full circle the detector counts adds one band to the pot: a glazed band
with a yellow stripe for a circle big enough, a thin plain band for a small one (a
near miss: "make bigger circles"). A dial beside the wheel fills as the circle in
progress goes round, and a small pad shows the ball's path against the target size.
"""

from __future__ import annotations

import math
from typing import Any

from game.games.base import GameSetup, StageLook, WorldView, draw_arrow, mirror_x
from game.i18n import N_, _
from game.games.rolling import RollGame, draw_ball, draw_palm_top, draw_thumb_to
from game.ui import Canvas, Color, LRect, Theme

WHEEL_X, WHEEL_Y = 520.0, 560.0
WHEEL_RX, WHEEL_RY = 230.0, 46.0
BAND_H = 30.0
THIN_H = 14.0
BG: Color = (30, 26, 40)
FLOOR: Color = (46, 38, 52)
CLAY: Color = (176, 116, 84)
CLAY_DARK: Color = (120, 76, 56)
GLAZE: Color = (0, 114, 178)  # Okabe-Ito blue
DIAL_C = (1130.0, 300.0)
PAD = LRect(1050, 420, 160, 160)


class ThumbRollGame(RollGame):
    exercise = "thumb_roll"
    title = N_("Thumb circles")
    instruction = N_("Move the ball round in a circle with your thumb. Each circle turns the wheel.")
    rep_word = N_("circles")
    kind = "circle"
    feedback_words = {
        None: N_("Lovely circle!"),
        "too_small": N_("Almost! Make a bigger circle."),
    }
    demo_caption = N_("Ball on a flat hand. Thumb moves it round in a circle.")
    hint_at = (760, 200)
    # The potter's wheel makes a different pot at each stage; the pots made before stand on the
    # shelf. The same circles: a pot's shape is drawing only (band heights are the same).
    stages = (
        StageLook(N_("Tall vase"), {"bg": BG, "floor": FLOOR, "glaze": GLAZE}, "vase"),
        StageLook(N_("Wide bowl"), {"bg": (34, 30, 36), "floor": (54, 44, 40), "glaze": (0, 140, 110)}, "bowl"),
        StageLook(N_("Water jug"), {"bg": (26, 32, 44), "floor": (40, 48, 60), "glaze": (160, 80, 130)}, "jug"),
        StageLook(N_("Great urn"), {"bg": (36, 28, 30), "floor": (56, 40, 40), "glaze": (170, 90, 20)}, "urn"),
        StageLook(N_("Lamp"), {"bg": (20, 26, 44), "floor": (34, 40, 60), "glaze": (0, 114, 178)}, "lamp"),
    )

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        self.bands: list[bool] = []  # one per counted circle: glazed (good) or thin (small)
        self.angle = 0.0  # the wheel's drawn angle, smoothed from the detector
        self.prev_angle = 0.0
        self.new_band_at: float | None = None

    # -------------------------------------------------------------- logic
    def on_rep(self, rep: Any) -> None:
        self.bands.append(bool(rep.success))
        self.new_band_at = self.t

    def step_world(self, dt: float) -> None:
        self.prev_angle = self.angle
        goal = self.detector.wheel_angle
        self.angle += (goal - self.angle) * (1.0 - math.exp(-dt / 0.08))

    def live_reach(self) -> float:
        return abs(self.detector.turn_progress)

    focus_radius = 90.0

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        return (WHEEL_X, WHEEL_Y - 40)

    def hint(self) -> str | None:
        if self.set_complete:
            return None
        d = self.detector
        if d.in_circle and d.circle_size < 1.0 and abs(d.turn_progress) > 0.5:
            return N_("Bigger circle")
        if d.in_circle:
            return N_("Keep going round")
        return N_("Circle the ball")

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        ang = self.prev_angle + (self.angle - self.prev_angle) * alpha
        self.draw_backdrop(c, self._paint_backdrop)
        self._draw_wheel(c, ang)
        self._draw_pot(c)

    def _draw_wheel(self, c: WorldView, ang: float) -> None:
        # the wheel's stand, then its top with marks that turn with the thumb
        c.rect((70, 60, 74), LRect(WHEEL_X - 60, WHEEL_Y, 120, 110))
        c.ellipse((88, 80, 96), (WHEEL_X - WHEEL_RX, WHEEL_Y - WHEEL_RY + 14, 2 * WHEEL_RX, 2 * WHEEL_RY))
        c.ellipse((150, 140, 160), (WHEEL_X - WHEEL_RX, WHEEL_Y - WHEEL_RY, 2 * WHEEL_RX, 2 * WHEEL_RY))
        c.ellipse(Theme.DARK_TEXT, (WHEEL_X - WHEEL_RX, WHEEL_Y - WHEEL_RY, 2 * WHEEL_RX, 2 * WHEEL_RY), width=3)
        for k in range(8):
            a = c.same_turn(ang + k * math.pi / 4)  # the wheel turns the way the thumb does, either hand
            x = WHEEL_X + math.cos(a) * WHEEL_RX * 0.86
            y = WHEEL_Y + math.sin(a) * WHEEL_RY * 0.86
            front = math.sin(a) > -0.2
            c.circle(Theme.FOCUS if k == 0 else (60, 54, 70), (x, y), 9 if front else 6)

    def _paint_backdrop(self, c: WorldView) -> None:
        """The workshop: the floor, and a shelf with one pot of each stage already opened."""
        look = self.stage
        c.clear(look.color("bg", BG))
        c.rect(look.color("floor", FLOOR), (0, WHEEL_Y + 20, 1280, 200))
        c.rect((80, 60, 50), (60, 240, 300, 14))
        for k, earlier in enumerate(self.stages[: self.stage_number - 1]):
            x = 100 + k * 70
            color = earlier.color("glaze", GLAZE)
            for j in range(5):
                w = 0.22 * pot_width(earlier.twist, j / 4)
                c.rect(color, LRect(x - w / 2, 240 - 12 * (j + 1), w, 12))

    def _band_width(self, i: int) -> float:
        return pot_width(self.stage.twist, i / max(1, self.setup.reps_target - 1))

    def _draw_pot(self, c: WorldView) -> None:
        y = WHEEL_Y - 6
        for i, good in enumerate(self.bands):
            h = BAND_H if good else THIN_H
            w = self._band_width(i)
            grow = 1.0
            if i == len(self.bands) - 1 and self.new_band_at is not None:
                grow = min(1.0, (self.t - self.new_band_at) / 0.35)
            hh = h * grow
            r = LRect(WHEEL_X - w / 2, y - hh, w, hh)
            c.rect(self.stage.color("glaze", GLAZE) if good else CLAY, r, radius=6)
            if good:
                c.rect(Theme.FOCUS, LRect(r.x + 6, y - hh * 0.6, r.w - 12, max(1.0, hh * 0.2)), radius=3)
            c.rect(Theme.DARK_TEXT, r, radius=6, width=2)
            y -= hh
        # the clay waiting on top: it rises as the circle in progress goes round
        if not self.set_complete:
            w = self._band_width(len(self.bands))
            prog = min(1.0, abs(self.detector.turn_progress))
            c.rect(CLAY_DARK, LRect(WHEEL_X - w / 2, y - 10 - 20 * prog, w, 10 + 20 * prog), radius=6)
            c.rect(Theme.DARK_TEXT, LRect(WHEEL_X - w / 2, y - 10 - 20 * prog, w, 10 + 20 * prog), radius=6,
                   width=2)

    def draw_signal(self, c: Canvas, r: LRect) -> None:
        """A dial filling round with the circle in progress, and the ball's path on a pad."""
        d = self.detector
        cx, cy = mirror_x(DIAL_C[0], self.mirror), DIAL_C[1]  # beside the trained hand, drawn upright
        pad = self.on_hand_side(PAD)
        c.circle(Theme.PANEL, (cx, cy), 92)
        c.circle((60, 80, 110), (cx, cy), 70, width=14)
        prog = min(1.0, abs(d.turn_progress))
        if prog > 0:
            color = Theme.SUCCESS if d.circle_size >= 1.0 else Theme.SKY
            c.arc(color, LRect(cx - 77, cy - 77, 154, 154), math.pi / 2 - 2 * math.pi * prog, math.pi / 2, 16)
        c.text(f"{round(prog * 100)}%", (cx, cy - 4), size=34, bold=True)
        c.text(_("round"), (cx, cy + 30), size=20, color=Theme.TEXT_DIM)
        c.rect(Theme.PANEL, pad.inflate(8), radius=14)
        pc = pad.center
        # the target circle: a circle this big (in ball roll) is a good one
        scale = (pad.w * 0.42) / max(d.target_device, 1e-9)
        c.circle(Theme.FOCUS, pc, d.target_device / 2 * scale, width=3)
        # the ball's path as the ball moves (not mirrored: the dot goes where the ball goes)
        px, py = d.position
        bx = max(pad.x, min(pad.x + pad.w, pc[0] + px * scale))
        by = max(pad.y, min(pad.y + pad.h, pc[1] + py * scale))
        c.circle(Theme.NEAR, (bx, by), 12)
        c.circle(Theme.DARK_TEXT, (bx, by), 12, width=2)
        c.text(_("ball"), (pc[0], pad.y + pad.h + 26), size=22)

    # ---------------------------------------------------------- demonstration
    def draw_demo(self, c: Canvas, t: float, mirror: bool) -> None:
        u = (t % self.demo_cycle_s) / self.demo_cycle_s
        a = 2 * math.pi * u * (-1 if mirror else 1)
        cx, cy = 600.0, 420.0
        base = draw_palm_top(c, (cx, cy), 300, mirror)
        ball = (cx + 70 * math.cos(a), cy - 20 + 60 * math.sin(a))
        c.ellipse((200, 160, 130), (cx - 80, cy - 90, 160, 140), width=3)
        draw_ball(c, ball, 40, spin=a * 2)
        sign = -1 if mirror else 1
        draw_thumb_to(c, base, (ball[0] + sign * 28, ball[1] + 16), 38)
        # a round arrow beside the hand: which way round
        ax = cx + sign * 270
        c.arc(Theme.FOCUS, LRect(ax - 60, 250, 120, 120), 0.3, 5.6, 6)
        draw_arrow(c, (ax + 58, 320), (ax + 56, 300) if not mirror else (ax + 56, 340))
        c.text(_("round and round"), (ax, 400), size=28, bold=True, color=Theme.FOCUS)


def pot_width(shape: str, u: float) -> float:
    """A pot's width at height ``u`` (0 foot .. 1 lip), logical px, for each stage's shape."""
    if shape == "bowl":  # low and wide, opening out
        return 150 + 150 * math.sin(math.pi / 2 * min(1.0, u * 1.1))
    if shape == "jug":  # round belly, narrow neck, a lip
        return 130 + 110 * math.sin(math.pi * min(1.0, u * 1.4)) + (50 if u > 0.9 else 0)
    if shape == "urn":  # broad shoulders, a tall neck
        return 120 + 130 * math.sin(math.pi * min(1.0, u * 1.6)) + 30 * max(0.0, u - 0.8) * 5
    if shape == "lamp":  # a slim column with a wide shade at the top
        return 220 if u > 0.7 else 90 + 20 * math.sin(math.pi * u * 4)
    # a vase: wide belly, narrower neck, flaring lip
    return 150 + 70 * math.sin(math.pi * min(1.0, u * 1.2)) - 40 * max(0.0, u - 0.75) * 4 * 0.5
