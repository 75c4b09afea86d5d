"""Pinch: lift a paper lantern into a glowing band and hold it there.

The lantern's height follows the pinch force live, scaled to the patient's own
target (pinch is the lower force range, so the sky is scaled to the target, not to
MVC). The band runs from the hold level (90% of target) upwards; while the lantern
is inside it a ring round the lantern fills with the hold time. Each rep the
detector counts lights one star: a bright filled star for a good hold, a hollow
orange star for a near miss. Holding longer as it gets easier is the difficulty
hook's job (``retune(hold_s=...)``); the ring simply takes longer to fill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from game.games.base import (
    SKIN,
    GameSetup,
    MiniGame,
    StageLook,
    WorldView,
    draw_arrow,
    draw_demo_meter,
    draw_limb,
    effort_curve,
    mirror_rect,
    mirror_x,
    star_points,
)
from game.i18n import N_, _
from game.ui import LOGICAL_W, Canvas, Color, LRect, Theme

LANTERN_X = 560.0
GROUND_Y = 600.0
SKY_TOP = 240.0
STAR_PAGE = 20  # stars in one row; longer sets start a new row
TOP_FACTOR = 1.6  # the top of the sky is this many times the target
BAND_TOP_FACTOR = 1.4  # the band reaches up to this many times the target
SKY: Color = (18, 30, 62)
HILLS: Color = (12, 22, 40)
BAND: Color = (62, 58, 40)
BAND_LIT: Color = (104, 92, 36)
LANTERN: Color = (213, 94, 0)  # Okabe-Ito vermillion
LANTERN_LIT: Color = (240, 140, 40)


@dataclass
class Star:
    success: bool
    lit_at: float


class PinchGame(MiniGame):
    exercise = "pinch"
    title = N_("Pinch")
    instruction = N_("Pinch to lift the lantern into the glow. Hold it there.")
    rep_word = N_("pinches")
    feedback_words = {
        None: N_("Lovely hold!"),
        "below_target": N_("Almost! Pinch a little more."),
        "hold_too_short": N_("Good! Hold it a bit longer."),
        "slow_release": N_("Good! Now let go."),
        "no_full_release": N_("Let go of the ball."),
    }
    demo_caption = N_("Pinch the ball between thumb and straight fingers. Hold. Let go.")
    demo_cycle_s = 4.0
    hint_at = (860, 540)
    # Where the lantern is lifted: the same band, the same pinch; the night sky stays dark.
    stages = (
        StageLook(N_("Quiet hills"), {"sky": SKY, "hills": HILLS, "lantern": LANTERN, "lantern_lit": LANTERN_LIT},
                  "hills"),
        StageLook(N_("Still lake"), {"sky": (16, 34, 58), "hills": (10, 26, 44), "lantern": (0, 140, 110),
                                     "lantern_lit": (60, 200, 160), "water": (20, 52, 84)}, "lake"),
        StageLook(N_("Town roofs"), {"sky": (26, 24, 56), "hills": (16, 14, 34), "lantern": (204, 121, 167),
                                     "lantern_lit": (236, 160, 200)}, "roofs"),
        StageLook(N_("Snowy peaks"), {"sky": (20, 30, 56), "hills": (40, 54, 80), "lantern": (0, 114, 178),
                                      "lantern_lit": (86, 180, 233), "snow": (200, 210, 226)}, "peaks"),
        StageLook(N_("Lantern festival"), {"sky": (34, 20, 50), "hills": (20, 12, 32), "lantern": (213, 94, 0),
                                           "lantern_lit": (240, 140, 40)}, "festival"),
    )

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        rng = setup.rng
        self.alt = 0.0  # lantern height, 0 (ground) .. 1 (top of the sky)
        self.prev_alt = 0.0
        self.stars: list[Star] = []
        self.cue_at = 1.0  # game time of the next "pinch now" cue
        self.sky_stars = [(rng.uniform(0, LOGICAL_W), rng.uniform(20, 560), rng.uniform(1.5, 3.0)) for _ in range(40)]
        self.hills = [(i * 300 + rng.uniform(-60, 60), rng.uniform(40, 90)) for i in range(6)]

    # ----------------------------------------------------------- geometry
    def band(self) -> tuple[float, float]:
        """Heights (0..1) of the glowing band: from the hold level to a little above target."""
        s = self.detector.settings
        return s.hold_fraction / TOP_FACTOR, BAND_TOP_FACTOR / TOP_FACTOR

    @staticmethod
    def alt_to_y(alt: float) -> float:
        return GROUND_Y - alt * (GROUND_Y - SKY_TOP)

    @property
    def in_band(self) -> bool:
        return self.alt >= self.band()[0]

    def star_page(self) -> tuple[int, int]:
        """First rep and number of slots of the row of stars on show (a long set turns the page)."""
        start = (len(self.stars) // STAR_PAGE) * STAR_PAGE
        if start >= self.setup.reps_target:  # the set is done: keep the last row up
            start = max(0, start - STAR_PAGE)
        return start, max(1, min(STAR_PAGE, self.setup.reps_target - start))

    def star_slot(self, i: int, n: int) -> tuple[tuple[float, float], float]:
        span = 760.0
        step = span / max(1, n - 1) if n > 1 else 0.0
        x = 240.0 + (i * step if n > 1 else span / 2)
        y = 176.0 + 18 * math.sin(i * 0.9)
        return (x, y), max(9.0, min(24.0, step * 0.42 if n > 1 else 24.0))

    # -------------------------------------------------------------- logic
    def on_rep(self, rep) -> None:  # noqa: ANN001
        self.stars.append(Star(bool(rep.success), self.t))
        self.cue_at = self.t + self.setup.rest_between_reps_s * 0.4

    def step_world(self, dt: float) -> None:
        s = self.detector.settings
        self.prev_alt = self.alt
        # A harder pinch is never rewarded over a gentle one: the lantern stops at the band's top.
        _, high = self.band()
        goal = max(0.0, min(high - 0.02, self.detector.display_pct / max(1e-6, s.target_pct * TOP_FACTOR)))
        self.alt += (goal - self.alt) * (1.0 - math.exp(-dt / 0.1))
        if self.cue_at is not None and self.t >= self.cue_at and not self.detector.in_rep:
            self.cue_detector()
            self.cue_at = None

    focus_radius = 72.0

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        return (LANTERN_X, self.alt_to_y(self.prev_alt + (self.alt - self.prev_alt) * alpha))

    def hint(self) -> str | None:
        if self.set_complete:
            return None
        d = self.detector
        if d.awaiting_release or (d.in_rep and d.hold_progress >= 1.0):
            return N_("Now let go")
        if d.in_rep and self.in_band:
            return N_("Hold...")
        if d.in_rep:
            return N_("A little more")
        return N_("Pinch gently")

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        alt = self.prev_alt + (self.alt - self.prev_alt) * alpha
        self.draw_backdrop(c, self._paint_backdrop)
        self._draw_band(c, alt)
        self._draw_star_row(c.plain)  # the row of stars reads left to right for either hand
        self._draw_lantern(c, alt)

    def _paint_backdrop(self, c: WorldView) -> None:
        """The stage's night scenery (nothing in it moves)."""
        look = self.stage
        hills = look.color("hills", HILLS)
        c.clear(look.color("sky", SKY))
        for x, y, r in self.sky_stars:
            c.circle((150, 160, 190), (x, y), r * 0.6)
        if look.twist == "peaks":
            for k in range(6):
                x = 60 + k * 240
                h = 200 + 60 * (k % 2)
                c.polygon(hills, [(x - 180, GROUND_Y + 20), (x, GROUND_Y - h), (x + 180, GROUND_Y + 20)])
                c.polygon(look.color("snow", (200, 210, 226)), [(x - 45, GROUND_Y - h + 50), (x, GROUND_Y - h),
                                                                (x + 45, GROUND_Y - h + 50)])
        elif look.twist == "roofs":
            for k in range(11):
                x, w, h = k * 122, 110, 70 + (k * 37) % 90
                c.rect(hills, (x, GROUND_Y - h, w, h + 40))
                c.polygon(hills, [(x - 6, GROUND_Y - h), (x + w / 2, GROUND_Y - h - 44), (x + w + 6, GROUND_Y - h)])
                c.rect((150, 130, 60), (x + 40, GROUND_Y - h + 20, 22, 20))  # a lit window
        else:
            for hx, hh in self.hills:
                c.ellipse(hills, (hx - 200, GROUND_Y - hh, 400, hh * 2 + 40))
        c.rect(hills, (0, GROUND_Y + 20, LOGICAL_W, 200))
        if look.twist == "lake":
            c.rect(look.color("water", (20, 52, 84)), (0, GROUND_Y + 40, LOGICAL_W, 200))
            for k in range(9):
                c.line((60, 90, 130), (80 + k * 140, GROUND_Y + 70 + (k % 3) * 22), (150 + k * 140,
                                                                                  GROUND_Y + 70 + (k % 3) * 22), 3)
        elif look.twist == "festival":  # far lanterns already up in the sky
            for k in range(14):
                x, y = 330 + (k * 173) % 620, 40 + (k * 71) % 90  # above the row of stars, clear of the buttons
                c.ellipse((150, 70, 20) if k % 2 else (120, 60, 90), (x - 12, y - 15, 24, 30))
                c.circle((200, 150, 60), (x, y + 4), 4)

    def _draw_band(self, c: WorldView, alt: float) -> None:
        low, high = self.band()
        y0, y1 = self.alt_to_y(high), self.alt_to_y(low)
        lit = self.in_band and self.detector.in_rep
        c.rect(BAND_LIT if lit else BAND, LRect(120, y0, 920, y1 - y0), radius=18)
        c.rect(Theme.FOCUS, LRect(120, y0, 920, y1 - y0), radius=18, width=4 if not lit else 7)
        c.text(_("hold here"), (200, (y0 + y1) / 2), size=24, color=Theme.FOCUS, bold=True)

    def _draw_star_row(self, c: Canvas) -> None:
        start, n = self.star_page()
        for i in range(n):
            center, r = self.star_slot(i, n)
            if start + i < len(self.stars):
                st = self.stars[start + i]
                grow = min(1.0, (self.t - st.lit_at) / 0.4)
                if st.success:
                    c.polygon(Theme.FOCUS, star_points(center, r * (0.6 + 0.4 * grow)))
                else:
                    c.polygon(Theme.NEAR, star_points(center, r), width=3)
            else:
                c.circle((110, 120, 150), center, 6, width=2)

    def _draw_lantern(self, c: WorldView, alt: float) -> None:
        x, y = LANTERN_X, self.alt_to_y(alt)
        d = self.detector
        glow = 0.5 + 0.5 * math.sin(self.t * 7.0)  # a candle's flicker, from game time only
        if self.in_band:
            c.circle((90, 80, 40), (x, y), 92 + 6 * glow)
        c.circle((60, 50, 40), (x, y), 70)
        body = self.stage.color("lantern_lit", LANTERN_LIT) if self.in_band else self.stage.color("lantern", LANTERN)
        c.ellipse(body, (x - 44, y - 52, 88, 104))
        c.ellipse(Theme.DARK_TEXT, (x - 44, y - 52, 88, 104), width=3)
        for dx in (-22, 0, 22):
            c.line((150, 60, 0), (x + dx * 0.9, y - 48), (x + dx * 0.9, y + 48), 2)
        c.rect(Theme.DARK_TEXT, (x - 26, y - 62, 52, 14), radius=4)
        c.rect(Theme.DARK_TEXT, (x - 22, y + 48, 44, 12), radius=4)
        c.circle(Theme.FOCUS, (x, y + 14), 8 + 3 * glow)
        # the string down to the hand that holds it: pinch force is what lifts it
        c.line((200, 200, 210), (x, y + 60), (x, GROUND_Y + 60), 2)
        if d.in_rep and self.in_band:
            prog = d.hold_progress
            rect = LRect(x - 80, y - 80, 160, 160)
            c.circle(Theme.PANEL, (x, y), 80, width=10)
            if prog > 0:
                c.arc(Theme.SUCCESS, rect, math.pi / 2 - 2 * math.pi * prog, math.pi / 2, 10)

    # ---------------------------------------------------------- demonstration
    def draw_demo(self, c: Canvas, t: float, mirror: bool) -> None:
        e = effort_curve(t / self.demo_cycle_s, rise=0.2, hold=0.4, release=0.2)
        squeeze = 16 * e
        m = mirror
        # side view: palm on the left, straight fingers above the ball, thumb below
        c.rect(SKIN, mirror_rect(330, 250, 190, 230, m), radius=40)
        c.rect(Theme.DARK_TEXT, mirror_rect(330, 250, 190, 230, m), radius=40, width=3)
        ball_w, ball_h = 120 + squeeze, 120 - 2 * squeeze
        bx = mirror_x(680, m)
        c.ellipse(Theme.NEAR, (bx - ball_w / 2, 370 - ball_h / 2, ball_w, ball_h))
        c.ellipse(Theme.DARK_TEXT, (bx - ball_w / 2, 370 - ball_h / 2, ball_w, ball_h), width=3)
        fy = 370 - 60 - 18 + squeeze  # straight fingers rest on the top of the ball
        for k, dy in enumerate((-26, -13, 0)):
            shade = (SKIN[0] - 12 * (2 - k), SKIN[1] - 14 * (2 - k), SKIN[2] - 14 * (2 - k))
            draw_limb(c, [(mirror_x(500, m), fy + dy + 10), (mirror_x(760, m), fy + dy)], 34, shade)
        ty = 370 + 60 + 18 - squeeze
        draw_limb(c, [(mirror_x(470, m), 450), (mirror_x(590, m), ty + 4), (mirror_x(700, m), ty)], 38)
        if 0.05 < e < 0.95 or e >= 1.0:
            ax = mirror_x(830, m)
            draw_arrow(c, (ax, 230), (ax, 280))
            draw_arrow(c, (ax, 510), (ax, 460))
        draw_demo_meter(c, LRect(mirror_x(980, m) - 20, 200, 40, 300), 0.75 * e)
        if e >= 1.0:
            c.text(_("hold"), (mirror_x(1000, m), 540), size=28, bold=True, color=Theme.SUCCESS)
