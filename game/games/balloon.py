"""Power grip, the hot-air balloon: squeeze to lift the balloon over the next hill.

The same exercise, rep counter and prescription as the bird (it is the bird's game
with another picture: :class:`PowerGripGame` counts, this draws). The burner flares
with the squeeze and the balloon rises with the force, live; each hill waits in
front of the balloon (a weak or slow hand is never rushed) with its top at the hold
level. The counted rep resolves it: a green flag on the top for a good squeeze, an
orange ring for a near miss; then the wind carries the balloon over, and it sinks
gently as the hand opens. The sky, the sun and the far mountains are drawn once.
"""

from __future__ import annotations

import contextlib
import functools
import math

from game.games.base import GameSetup, StageLook, WorldView
from game.games.power_grip import GROUND_Y, TOP_FACTOR, PowerGripGame, Ring
from game.i18n import N_
from game.ui import LOGICAL_H, LOGICAL_W, Canvas, Color, LRect, Theme, draw_cross, draw_tick

BALLOON_X = 400.0
HILL_AHEAD = 250.0  # a waiting hill's top is this far in front of the balloon
HILL_HALF = 190.0  # half a hill's width at its foot
RISE_S, SINK_S = 0.08, 0.45  # a balloon lifts at once with the burner and sinks slowly
CLEAR = 0.05  # the basket never touches the ground under it (altitude, 0..1)
BASKET_BELOW = 70.0  # logical px from the balloon's centre to the basket's floor

SKY_HIGH: Color = (96, 168, 224)
SKY_LOW: Color = (178, 218, 240)
FAR_HILLS: Color = (118, 150, 186)
MEADOW: Color = (70, 138, 76)
MEADOW_DARK: Color = (52, 110, 62)
HILL: Color = (92, 160, 84)
HILL_EDGE: Color = (46, 96, 52)
ENVELOPE: tuple[Color, Color] = (Theme.STOP, (240, 200, 120))  # vermillion and cream stripes
BASKET: Color = (150, 100, 52)
GROUND = LRect(0, GROUND_Y - 30, LOGICAL_W, LOGICAL_H - GROUND_Y + 30)  # the meadow, over the hills' feet
DARK_STRIP = LRect(0, GROUND_Y + 40, LOGICAL_W, LOGICAL_H - GROUND_Y - 40)  # the meadow's darker front


class BalloonGame(PowerGripGame):
    title = N_("Hot-air balloon")
    instruction = N_("Squeeze to lift the balloon over the hill. Then open your hand.")
    feedback_words = {None: N_("Over the hill!")}
    # Five places the balloon drifts over as the patient practises: only the picture changes.
    stages = (
        StageLook(N_("Green valley"), {}, "trees"),
        StageLook(N_("Lavender fields"), {"meadow": (96, 132, 76), "meadow_dark": (84, 70, 140),
                                          "hill": (140, 120, 190), "hill_edge": (80, 60, 130),
                                          "far": (150, 150, 196)}, "lavender"),
        StageLook(N_("Autumn hills"), {"sky_high": (130, 170, 210), "sky_low": (220, 206, 186),
                                       "meadow": (150, 110, 50), "meadow_dark": (120, 80, 40), "hill": (196, 120, 50),
                                       "hill_edge": (130, 70, 30), "far": (170, 140, 130), "tree": (213, 94, 0)},
                  "trees"),
        StageLook(N_("Snowy mountains"), {"sky_high": (140, 176, 214), "sky_low": (206, 222, 238),
                                          "meadow": (226, 234, 242), "meadow_dark": (196, 208, 222),
                                          "hill": (236, 242, 248), "hill_edge": (150, 170, 196),
                                          "far": (170, 186, 210), "tree": (40, 90, 70)}, "snow"),
        StageLook(N_("Evening festival"), {"sky_high": (54, 52, 110), "sky_low": (226, 140, 110),
                                           "meadow": (48, 86, 62), "meadow_dark": (34, 64, 48), "hill": (60, 110, 76),
                                           "hill_edge": (28, 56, 40), "far": (90, 76, 120), "tree": (34, 70, 50),
                                           "cloud": (150, 130, 170)},
                  "lanterns"),
    )

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        rng = setup.rng
        self.flame = 0.0  # the burner's flare, 0..1, following the squeeze
        self.prev_flame = 0.0
        self.trees = [(rng.uniform(0, LOGICAL_W + 400), rng.uniform(0.7, 1.2)) for _ in range(9)]

    # ----------------------------------------------------------- geometry
    def hill_top(self) -> float:
        """The hills' tops: the hold level (altitude 0..1), as the bird's rings' lower edge."""
        return self.ring_span()[0]

    def ground_alt(self, x: float, rings: list[Ring] | None = None) -> float:
        """The land's height (altitude 0..1) under world x: the meadow, or a hill's slope."""
        top = self.hill_top()
        h = 0.0
        for r in rings if rings is not None else self.rings:
            d = abs(x - (r.x + HILL_AHEAD)) / HILL_HALF
            if d < 1.0:
                h = max(h, top * (0.5 + 0.5 * math.cos(math.pi * d)))
        return h

    def _paint_backdrop(self, c: WorldView) -> None:
        _paint_sky(c, self.stage)
        if c.hides_below(GROUND):  # the meadow goes with the still picture (see draw_world)
            _paint_meadow(c, self.stage)

    focus_radius = 72.0  # the envelope glows as the squeeze builds; sparks burst from it

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        alt = self.prev_alt + (self.alt - self.prev_alt) * alpha
        return (BALLOON_X, self.alt_to_y(alt) - BASKET_BELOW - 27)

    # -------------------------------------------------------------- logic
    def on_rep(self, rep: object) -> None:
        ring = self.waiting_ring
        x = ring.x if ring is not None else None
        super().on_rep(rep)  # type: ignore[arg-type]
        if ring is not None and x is not None:
            ring.x = x  # an early squeeze: the hill comes on at the wind's pace, never jumps

    def step_world(self, dt: float) -> None:
        s = self.detector.settings
        prev_alt = self.alt
        super().step_world(dt)  # rings (here hills) move and wait exactly as the bird's do
        self.prev_alt = prev_alt
        self.prev_flame = self.flame
        goal = max(0.0, min(0.84, self.detector.display_pct / (s.target_pct * TOP_FACTOR)))
        tau = RISE_S if goal > prev_alt else SINK_S
        alt = prev_alt + (goal - prev_alt) * (1.0 - math.exp(-dt / tau))
        # Carried over a hill by the wind, the basket stays clear of the slope under it.
        self.alt = max(alt, self.ground_alt(BALLOON_X) + CLEAR)
        self.flame += (min(1.0, goal / 0.64) - self.flame) * (1.0 - math.exp(-dt / 0.06))

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        scroll = self.prev_scroll + (self.scroll - self.prev_scroll) * alpha
        alt = self.prev_alt + (self.alt - self.prev_alt) * alpha
        flame = self.prev_flame + (self.flame - self.prev_flame) * alpha
        look = self.stage
        dx = self.scroll - scroll  # the hills are drawn where this frame's scroll puts them
        # Where the meadow spans the window (no letterbox bars), it is part of the still picture:
        # the hills are cut off at its top edge, which hides their feet anyway, and nothing else
        # drawn before the dark strip reaches that strip (trees, flags and the basket stay above
        # it). The same pixels as painting the meadow over the hills and the strip last, with
        # less to fill each frame and less to send. In a letterboxed window both are drawn live.
        meadow_still = c.hides_below(GROUND)
        # The clouds, hills and trees move only while the wind carries the balloon on: while a
        # hill waits for the squeeze they are painted once onto the sky (draw_backdrop).
        hills = tuple(ring.x + dx for ring in self.rings)
        self.draw_backdrop(c, self._paint_backdrop, (self, scroll, hills, self.hill_top()),
                           functools.partial(self._draw_land, scroll=scroll, hills=hills, meadow_still=meadow_still))
        for ring in self.rings:
            self._draw_mark(c, ring, ring.x + dx)
        self._draw_balloon(c, alt, flame)
        if not meadow_still:
            c.rect(look.color("meadow_dark", MEADOW_DARK), DARK_STRIP)

    def _draw_land(self, c: WorldView, scroll: float, hills: tuple[float, ...], meadow_still: bool) -> None:
        """The clouds, the hills (their rings at ``hills``), the meadow (unless it is part of the
        still picture) and the trees, with the land scrolled to ``scroll``."""
        look = self.stage
        for x, y, sz in self.clouds:
            cx = (x - scroll * 0.2 * sz) % (LOGICAL_W + 300) - 150
            _draw_cloud(c, cx, y, sz, look.color("cloud", (248, 250, 255)))
        with c.above(GROUND) if meadow_still else contextlib.nullcontext():
            for ring, x in zip(self.rings, hills):
                self._draw_hill(c, ring, x)
        if not meadow_still:
            c.rect(look.color("meadow", MEADOW), GROUND)
        tree = look.color("tree", MEADOW_DARK)
        for i, (tx, size) in enumerate(self.trees):
            x = (tx - scroll * 0.8) % (LOGICAL_W + 400) - 200
            if look.twist == "lavender":  # rows of lavender instead of trees
                _draw_lavender(c, x)
            else:
                _draw_tree(c, x, GROUND_Y - 24, size, tree, lantern=look.twist == "lanterns" and i % 2 == 0)

    def _draw_hill(self, c: WorldView, ring: Ring, x: float) -> None:
        cx = x + HILL_AHEAD
        if cx < -HILL_HALF - 40 or cx > LOGICAL_W + HILL_HALF + 40:
            return
        top = self.hill_top()
        pts = [(cx + u * HILL_HALF, y) for u, y in _hill_profile(top)]
        _paint_hill(c, pts, self.stage.color("hill", HILL), self.stage.color("hill_edge", HILL_EDGE),
                    self.stage.twist == "snow")

    def _draw_mark(self, c: WorldView, ring: Ring, x: float) -> None:
        """The hill's top: a yellow flag to clear; then a green flag and a tick, or an orange cross."""
        cx = x + HILL_AHEAD
        if cx < -HILL_HALF - 40 or cx > LOGICAL_W + HILL_HALF + 40:
            return
        peak = (cx, self.alt_to_y(self.hill_top()))
        if not ring.resolved:
            # the top to clear, marked; the hold fills a band up the pole while the squeeze is held
            c.line(Theme.DARK_TEXT, (cx, peak[1]), (cx, peak[1] - 64), 5)
            c.polygon(Theme.FOCUS, [(cx, peak[1] - 64), (cx + 40, peak[1] - 52), (cx, peak[1] - 40)])
            if ring.x <= BALLOON_X + 1 and self.detector.in_rep:
                prog = self.detector.hold_progress
                band = LRect(cx - 70, peak[1] - 64, 16, 64)
                c.rect(Theme.PANEL, band, radius=6)
                c.rect(Theme.SUCCESS, LRect(band.x, band.y + band.h * (1 - prog), band.w, band.h * prog), radius=6)
            return
        c.group(functools.partial(_draw_flag, x=cx, y=peak[1], success=ring.success))

    def _draw_balloon(self, c: WorldView, alt: float, flame: float) -> None:
        x, y = BALLOON_X, self.alt_to_y(alt) - BASKET_BELOW
        # ropes, basket, then the envelope over them (each part one cached copy; the flame is live)
        c.group(functools.partial(_draw_basket, x=x, y=y))
        if flame > 0.05:  # the burner flares as the squeeze builds
            h = 14 + 34 * flame
            c.polygon(Theme.NEAR, [(x - 10, y + 50), (x, y + 50 - h), (x + 10, y + 50)])
            c.polygon(Theme.FOCUS, [(x - 5, y + 50), (x, y + 50 - h * 0.6), (x + 5, y + 50)])
        c.group(functools.partial(_draw_envelope, x=x, y=y))

    # -------------------------------------------------------- choice picture
    @staticmethod
    def draw_preview(c: Canvas, r: LRect) -> None:
        """A small picture of this game for the choice screen."""
        c.rect(SKY_LOW, r, radius=18)
        c.ellipse(HILL, LRect(r.x + r.w * 0.5, r.y + r.h * 0.42, r.w * 0.42, r.h * 0.52))
        c.rect(MEADOW, LRect(r.x, r.y + r.h * 0.82, r.w, r.h * 0.18), radius=12)
        x, y = r.x + r.w * 0.32, r.y + r.h * 0.38
        s = r.h / 300
        c.ellipse(ENVELOPE[1], LRect(x - 60 * s, y - 70 * s, 120 * s, 120 * s))
        c.ellipse(ENVELOPE[0], LRect(x - 30 * s, y - 70 * s, 60 * s, 120 * s))
        c.ellipse(Theme.DARK_TEXT, LRect(x - 60 * s, y - 70 * s, 120 * s, 120 * s), width=3)
        c.rect(BASKET, LRect(x - 18 * s, y + 64 * s, 36 * s, 26 * s), radius=4)
        c.rect(Theme.DARK_TEXT, r, radius=18, width=3)


def _paint_sky(c: WorldView, look: StageLook) -> None:
    """The still part of the picture: the sky's bands, the sun (or the evening's lanterns) and
    the far mountains (snow-capped in the mountains)."""
    high, low = look.color("sky_high", SKY_HIGH), look.color("sky_low", SKY_LOW)
    c.clear(high)
    for i in range(8):  # a soft gradient to the horizon, in bands
        u = i / 7
        col = tuple(round(a + (b - a) * u) for a, b in zip(high, low))
        c.rect(col, (0, i * GROUND_Y / 8, LOGICAL_W, GROUND_Y / 8 + 2))  # type: ignore[arg-type]
    if look.twist == "lanterns":  # an evening: the first star, and sky lanterns rising far away
        c.circle((250, 246, 220), (1010, 90), 8)
        for k in range(14):
            x, y = 90 + (k * 283) % 1100, 60 + (k * 97) % 300
            c.ellipse(Theme.NEAR, LRect(x - 7, y - 10, 14, 20))
            c.ellipse(Theme.FOCUS, LRect(x - 3, y - 4, 6, 10))
    else:
        c.circle((252, 236, 150), (1010, 120), 56)
        c.circle((255, 246, 190), (1010, 120), 42)
    peaks = [(0, 520), (120, 430), (260, 500), (420, 400), (600, 490), (760, 420), (930, 500), (1080, 410),
             (1280, 480)]
    c.polygon(look.color("far", FAR_HILLS), [(0, GROUND_Y), *peaks, (LOGICAL_W, GROUND_Y)])
    if look.twist == "snow":
        for (x0, y0), (x1, y1), (x2, y2) in zip(peaks, peaks[1:], peaks[2:]):
            if y1 < y0 and y1 < y2:  # a peak: its cap
                c.polygon((246, 248, 252), [(x1 - (x1 - x0) * 0.3, y1 + (y0 - y1) * 0.3), (x1, y1),
                                            (x1 + (x2 - x1) * 0.3, y1 + (y2 - y1) * 0.3)])


@functools.lru_cache(maxsize=8)
def _hill_profile(top: float) -> tuple[tuple[float, float], ...]:
    """A hill's outline for a top at altitude ``top``: (u, y) of its 25 points, u -1..1 across
    its foot (the x of each point is the hill's centre + u * HILL_HALF)."""
    out = []
    for i in range(25):
        u = -1.0 + i / 12.0
        out.append((u, PowerGripGame.alt_to_y(top * (0.5 + 0.5 * math.cos(math.pi * u)))))
    return tuple(out)


def _paint_hill(c: WorldView, pts: list[tuple[float, float]], fill: Color, edge: Color, snow: bool) -> None:
    c.polygon(fill, pts)
    c.lines(edge, pts, 5)
    if snow:  # a snowy top
        c.polygon((250, 252, 255), pts[9:16])


def _paint_meadow(c: WorldView, look: StageLook) -> None:
    """The meadow and, at the front, its darker strip."""
    c.rect(look.color("meadow", MEADOW), GROUND)
    c.rect(look.color("meadow_dark", MEADOW_DARK), DARK_STRIP)


def _draw_tree(c: WorldView, x: float, ground: float, size: float, crown: Color = MEADOW_DARK,
               lantern: bool = False) -> None:
    c.rect(BASKET, LRect(x - 5 * size, ground - 30 * size, 10 * size, 30 * size))
    c.circle(crown, (x, ground - 44 * size), 24 * size)
    c.circle(_lighter(crown), (x - 8 * size, ground - 50 * size), 14 * size)
    if lantern:  # the evening festival: a lantern hung in every other tree
        c.circle(Theme.NEAR, (x + 20 * size, ground + 24 - 70 * size), 7)


def _draw_flag(c: WorldView, x: float, y: float, success: bool) -> None:
    """A resolved hill's top (at ``x``, ``y``): a green flag and a tick, or an orange cross."""
    color = Theme.SUCCESS if success else Theme.NEAR
    c.line(Theme.DARK_TEXT, (x, y), (x, y - 84), 5)
    if success:
        c.polygon(color, [(x, y - 84), (x + 56, y - 68), (x, y - 52)])
    c.circle(Theme.BG, (x - 48, y - 60), 26)
    c.symbol(draw_tick if success else draw_cross, (x - 48, y - 60), 34, color)


def _draw_lavender(c: WorldView, x: float) -> None:
    for k in range(-2, 3):
        c.ellipse((124, 92, 184), LRect(x + 22 * k - 6, GROUND_Y - 40 + 3 * abs(k), 12, 22))


def _draw_cloud(c: WorldView, x: float, y: float, size: float, color: Color) -> None:
    for dx, dy, r in ((0, 0, 30), (30, -10, 36), (64, 0, 28)):
        c.circle(color, (x + dx * size, y - 20 + dy * size), r * size)


def _draw_basket(c: WorldView, x: float, y: float) -> None:
    c.line(Theme.DARK_TEXT, (x - 40, y + 20), (x - 18, y + 52), 3)
    c.line(Theme.DARK_TEXT, (x + 40, y + 20), (x + 18, y + 52), 3)
    c.rect(BASKET, LRect(x - 22, y + 50, 44, 30), radius=5)
    c.rect(Theme.DARK_TEXT, LRect(x - 22, y + 50, 44, 30), radius=5, width=3)


def _draw_envelope(c: WorldView, x: float, y: float) -> None:
    env = LRect(x - 66, y - 92, 132, 130)
    c.ellipse(ENVELOPE[1], env)
    for i, w in enumerate((112, 70, 24)):  # stripes: narrower towards the middle
        c.ellipse(ENVELOPE[i % 2 == 1], LRect(x - w / 2, y - 92, w, 130))
    c.ellipse(Theme.DARK_TEXT, env, width=3)
    c.polygon(ENVELOPE[0], [(x - 52, y + 8), (x + 52, y + 8), (x + 20, y + 34), (x - 20, y + 34)])
    c.polygon(Theme.DARK_TEXT, [(x - 52, y + 8), (x + 52, y + 8), (x + 20, y + 34), (x - 20, y + 34)], width=3)


@functools.lru_cache(maxsize=16)
def _lighter(color: Color) -> Color:
    return tuple(min(255, v + 14) for v in color)  # type: ignore[return-value]


