"""Power grip: squeeze to make the bird climb through a ring, open the hand to glide down.

Each ring asks for exactly one squeeze-and-release. A ring flies in and waits in
front of the bird (a weak or slow hand is never rushed); the rep the detector
reports resolves it: through the ring on success, a soft "almost" otherwise.
The bird's height follows the force live, so the game visibly answers effort.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from game.games.base import GameSetup, MiniGame, StageLook, WorldView
from game.i18n import N_
from game.therapy.force_reps import ForceRep
from game.effects import approach, ease_out_cubic
from game.ui import LOGICAL_H, LOGICAL_W, LRect, Theme, draw_cross, draw_tick

BIRD_X = 400.0
GROUND_Y = 620.0
SKY_TOP = 150.0
SPEED = 260.0  # logical px per second
RING_GROW_S = 0.45  # a new ring opens out over this long
TOP_FACTOR = 1.4  # the top of the sky is this many times the target


@dataclass
class Ring:
    x: float
    resolved: bool = False
    success: bool = False
    grow: float = 1.0  # 0..1: a new ring opens out where it appears (no pop into view)


class PowerGripGame(MiniGame):
    exercise = "power_grip"
    title = N_("Power grip")
    instruction = N_("Squeeze to fly up through the ring. Then open your hand.")
    feedback_words = {None: N_("Through the ring!")}
    demo_caption = N_("Squeeze the ball hard with fingers and thumb. Then open your hand wide.")
    # The bird's route through the seasons: the same rings, the same squeeze.
    stages = (
        StageLook(N_("Spring meadow"), {"sky": (120, 190, 235), "sky_top": (160, 210, 240), "hill": (70, 150, 90),
                                        "ground": (56, 120, 70), "cloud": (250, 252, 255)}, "blossom"),
        StageLook(N_("Summer fields"), {"sky": (96, 176, 232), "sky_top": (140, 200, 240), "hill": (150, 160, 60),
                                        "ground": (190, 160, 60), "cloud": (250, 252, 255)}, "sun"),
        StageLook(N_("Autumn woods"), {"sky": (150, 180, 210), "sky_top": (196, 186, 196), "hill": (170, 90, 40),
                                       "ground": (110, 70, 40), "cloud": (236, 236, 240)}, "leaves"),
        StageLook(N_("Winter snow"), {"sky": (150, 176, 200), "sky_top": (190, 204, 220), "hill": (226, 234, 242),
                                      "ground": (240, 244, 250), "cloud": (214, 222, 232)}, "snow"),
        StageLook(N_("Starry night"), {"sky": (24, 36, 78), "sky_top": (14, 22, 54), "hill": (30, 60, 60),
                                       "ground": (20, 46, 40), "cloud": (70, 84, 120)}, "stars"),
    )

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        rng = setup.rng
        self.alt = 0.0  # bird altitude 0 (ground) .. 1 (top)
        self.prev_alt = 0.0
        self.wing = 0.0
        self.scroll = 0.0
        self.prev_scroll = 0.0
        self.spacing = SPEED * setup.rest_between_reps_s + 120
        self.rings: list[Ring] = [Ring(BIRD_X + 520)]
        self.clouds = [(rng.uniform(0, LOGICAL_W * 2), rng.uniform(170, 380), rng.uniform(0.6, 1.3)) for _ in range(7)]
        self.hills = [(i * 320 + rng.uniform(-60, 60), rng.uniform(50, 110)) for i in range(10)]
        self.cued = False

    # ----------------------------------------------------------- geometry
    def ring_span(self) -> tuple[float, float]:
        """Altitudes (0..1) of the ring's opening: from the hold level to the top."""
        s = self.detector.settings
        low = s.hold_fraction * s.target_pct / (s.target_pct * TOP_FACTOR)
        return low, 1.0

    @staticmethod
    def alt_to_y(alt: float) -> float:
        return GROUND_Y - alt * (GROUND_Y - SKY_TOP)

    @property
    def waiting_ring(self) -> Ring | None:
        return next((r for r in self.rings if not r.resolved), None)

    # -------------------------------------------------------------- logic
    def on_rep(self, rep: ForceRep) -> None:
        ring = self.waiting_ring
        if ring is not None:
            ring.resolved = True
            ring.success = rep.success
            # An early squeeze resolves the ring ahead: it glides to the bird (step_world), never jumps.
        self.cued = False
        remaining = self.setup.reps_target - self.reps_done
        last = self.rings[-1]
        if remaining > len([r for r in self.rings if not r.resolved]):
            self.rings.append(Ring(max(last.x + self.spacing, BIRD_X + self.spacing), grow=0.0))

    def step_world(self, dt: float) -> None:
        s = self.detector.settings
        self.prev_alt = self.alt
        self.prev_scroll = self.scroll
        # Over-squeezing is never rewarded: the bird stays inside the ring's opening.
        goal = max(0.0, min(0.84, self.detector.display_pct / (s.target_pct * TOP_FACTOR)))
        self.alt += (goal - self.alt) * (1.0 - math.exp(-dt / 0.08))
        self.wing = (self.wing + dt * (4.0 + 18.0 * max(0.0, goal - self.alt + 0.1))) % (2 * math.pi)
        ring = self.waiting_ring
        moving = ring is None or ring.x > BIRD_X or self.set_complete
        if moving:
            dx = SPEED * dt
            self.scroll += dx
            for r in self.rings:
                r.x -= dx
            for r in self.rings:
                if r.resolved and r.x > BIRD_X:  # resolved early: eased to the bird in a fraction of a second
                    r.x = max(BIRD_X, approach(r.x, BIRD_X - 4.0, dt, 0.09))
            if ring is not None and not ring.resolved and ring.x <= BIRD_X:
                ring.x = BIRD_X
        if ring is not None and ring.x <= BIRD_X + SPEED * 0.5 and not self.cued:
            self.cued = True
            self.cue_detector()
        for r in self.rings:
            r.grow = min(1.0, r.grow + dt / RING_GROW_S)
        self.rings = [r for r in self.rings if r.x > -200]
        if not self.rings and not self.set_complete:
            self.rings.append(Ring(BIRD_X + self.spacing, grow=0.0))

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        return (BIRD_X, self.alt_to_y(self.prev_alt + (self.alt - self.prev_alt) * alpha))

    def hint(self) -> str | None:
        """What to do right now, in a few plain words."""
        if self.set_complete:
            return None
        if self.detector.awaiting_release:
            return N_("Open your hand wide")
        if self.detector.in_rep and self.detector.hold_progress >= 1.0:
            return N_("Now open your hand")
        if self.detector.in_rep:
            return N_("Hold...")
        ring = self.waiting_ring
        if ring is not None and ring.x <= BIRD_X + 1:
            return N_("Squeeze!")
        return None

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        scroll = self.prev_scroll + (self.scroll - self.prev_scroll) * alpha
        alt = self.prev_alt + (self.alt - self.prev_alt) * alpha
        look = self.stage
        self.draw_backdrop(c, self._paint_backdrop)
        cloud = look.color("cloud", (250, 252, 255))
        for x, y, sz in self.clouds:
            cx = (x - scroll * 0.3 * sz) % (LOGICAL_W + 300) - 150
            for dx, dy, r in ((0, 0, 34), (34, -12, 40), (72, 0, 32)):
                c.circle(cloud, (cx + dx * sz, y + dy * sz), r * sz)
        hill = look.color("hill", (70, 150, 90))
        # The ground hides the hills' lower halves: cut off there, they send the window only what shows.
        with c.above(LRect(0, GROUND_Y, LOGICAL_W, LOGICAL_H - GROUND_Y)):
            for i, (hx, hh) in enumerate(self.hills):
                x = (hx - scroll * 0.5) % (LOGICAL_W + 320) - 160
                c.ellipse(hill, (x - 160, GROUND_Y - hh, 320, hh * 2))
                if look.twist == "blossom":  # spring flowers on the hills
                    for k in (-1, 0, 1):
                        c.circle((204, 121, 167) if (i + k) % 2 else (250, 250, 250), (x + 60 * k, GROUND_Y - hh * 0.6),
                                 6)
        c.rect(look.color("ground", (56, 120, 70)), (0, GROUND_Y, LOGICAL_W, LOGICAL_H - GROUND_Y))
        self._draw_weather(c, scroll)
        low, high = self.ring_span()
        for ring in self.rings:
            self._draw_ring(c, ring, low, high, back=True)
        self._draw_bird(c, alt)
        for ring in self.rings:
            self._draw_ring(c, ring, low, high, back=False)

    def _paint_backdrop(self, c: WorldView) -> None:
        """What does not move: the sky, and the stage's sun, moon or far stars."""
        look = self.stage
        c.clear(look.color("sky", (120, 190, 235)))
        c.rect(look.color("sky_top", (160, 210, 240)), (0, 0, LOGICAL_W, 260))
        if look.twist == "sun":
            c.circle((250, 220, 90), (900, 72), 52)  # clear of Pause and Stop, and of the count for the left hand
            c.circle((255, 240, 150), (900, 72), 38)
        elif look.twist == "stars":
            for k in range(36):
                c.circle((220, 226, 240), ((k * 197) % LOGICAL_W, 30 + (k * 89) % 300), 2 + k % 2)
            c.circle((240, 236, 200), (900, 72), 44)
            c.circle(look.color("sky_top", (14, 22, 54)), (920, 60), 38)  # a crescent
        elif look.twist == "snow":
            for k in range(5):  # far white peaks
                x = 80 + k * 290
                c.polygon((206, 216, 230), [(x - 170, GROUND_Y), (x, GROUND_Y - 230), (x + 170, GROUND_Y)])

    def _draw_weather(self, c: WorldView, scroll: float) -> None:
        """Falling leaves or snow, from game time only (drawing changes nothing)."""
        twist = self.stage.twist
        if twist not in ("leaves", "snow"):
            return
        for k in range(18):
            fall = (self.t * (40 + 7 * (k % 5)) + k * 53) % (GROUND_Y - 120)
            x = (k * 151 - scroll * 0.4 + 30 * math.sin(self.t * 0.8 + k)) % (LOGICAL_W + 40) - 20
            y = 120 + fall
            if twist == "snow":
                c.circle((250, 252, 255), (x, y), 4 + k % 3)
            else:
                color = ((213, 94, 0), (230, 159, 0), (170, 60, 30))[k % 3]
                c.ellipse(color, (x - 8, y - 4, 16, 8))

    def _draw_ring(self, c: WorldView, ring: Ring, low: float, high: float, *, back: bool) -> None:
        y0, y1 = self.alt_to_y(high), self.alt_to_y(low)
        x = ring.x
        color = Theme.SUCCESS if ring.success else (Theme.NEAR if ring.resolved else Theme.FOCUS)
        k = ease_out_cubic(ring.grow)  # a new ring opens out from a point at its middle
        if k < 1.0:
            mid = (y0 + y1) / 2
            y0, y1 = mid - (mid - y0) * k, mid + (y1 - mid) * k
        rect = LRect(x - 34 * k, y0, max(2.0, 68 * k), max(2.0, y1 - y0))
        if back:
            c.line((90, 90, 90), (x, y1), (x, GROUND_Y), 6)
            c.arc(color, rect, math.pi / 2, 3 * math.pi / 2, 12)
            return
        c.arc(color, rect, -math.pi / 2, math.pi / 2, 12)
        if not ring.resolved and ring.x <= BIRD_X + 1 and self.detector.in_rep:
            # hold progress fills a band beside the ring
            prog = self.detector.hold_progress
            c.rect(Theme.PANEL, LRect(x + 50, y0, 16, y1 - y0), radius=6)
            c.rect(Theme.SUCCESS, LRect(x + 50, y1 - (y1 - y0) * prog, 16, (y1 - y0) * prog), radius=6)
        if ring.resolved:
            c.symbol(draw_tick if ring.success else draw_cross, (x, (y0 + y1) / 2), 40, color)

    def _draw_bird(self, c: WorldView, alt: float) -> None:
        y = self.alt_to_y(alt)
        x = BIRD_X
        c.ellipse((250, 200, 40), (x - 36, y - 26, 72, 52))
        c.ellipse(Theme.DARK_TEXT, (x - 36, y - 26, 72, 52), width=2)
        flap = math.sin(self.wing) * 22
        c.polygon((235, 150, 30), [(x - 14, y - 2), (x + 10, y - 2), (x - 6, y - 8 - flap)])
        c.circle((255, 255, 255), (x + 18, y - 8), 9)
        c.circle(Theme.DARK_TEXT, (x + 20, y - 8), 4)
        c.polygon((230, 120, 20), [(x + 34, y - 4), (x + 52, y + 2), (x + 34, y + 8)])
