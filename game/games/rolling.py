"""What the four rolling games share: the roll detector, its settings, the HUD.

The roll range comes from ``setup.extra["roll_range"]`` (a :class:`RollRange`, the
patient's comfortable roll) or a default; the stroke target from the plan's
``roll_target`` (a fraction of that range). The plan's ``detector`` overrides apply
where they name a roll setting. When the connected ball has no motion sensor, the
play scene sets ``setup.extra["roll_from_mouse"]`` and the game says so on screen.
"""

from __future__ import annotations

import math
from dataclasses import fields, replace
from typing import Any, ClassVar

from game.widgets import fit_size
from game.i18n import N_, _, pgettext
from game.games.base import SKIN, GameSetup, MiniGame, RepDetector, draw_limb, draw_target_arrow, star_points
from game.therapy.roll_reps import CircleDetector, RollRange, RollRepSettings, StrokeDetector
from game.ui import SPRITE_KEY, Canvas, Color, LRect, Theme

ROLL_FIELDS = frozenset(f.name for f in fields(RollRepSettings))
ROLL_FEEDBACK: dict[str | None, str] = {
    None: N_("Great roll!"),
    "too_small": N_("Almost! Roll a bit further."),
    "pressure_low": N_("Good roll! Press a little more."),
    "pressure_high": N_("Good roll! Press more gently."),
}
REACH_TOP = 1.4  # the live bar shows up to this many times the target
MOUSE_NOTE = N_("This ball cannot feel rolling. Roll with the mouse or arrow keys.")


class RollGame(MiniGame):
    """Base for the rolling exercises: a stroke or circle detector instead of a force one."""

    channel = "roll"
    rep_word = N_("rolls")
    feedback_words = ROLL_FEEDBACK
    kind: ClassVar[str] = "stroke"  # "stroke" or "circle"
    axis: ClassVar[str] = "y"  # the stroke's axis
    roll_defaults: ClassVar[dict[str, Any]] = {}  # this exercise's own roll settings
    demo_cycle_s = 4.0

    # ------------------------------------------------------------ settings
    @classmethod
    def roll_settings(cls, setup: GameSetup) -> RollRepSettings:
        s = RollRepSettings(**cls.roll_defaults)
        plan = setup.plan
        if plan is not None:
            s = replace(s, target_fraction=plan.roll_target)
            s = replace(s, **{k: v for k, v in plan.detector.items() if k in ROLL_FIELDS})
        return s

    def make_detector(self, setup: GameSetup) -> RepDetector:
        roll_range = setup.extra.get("roll_range") or RollRange()
        settings = self.roll_settings(setup)
        if self.kind == "circle":
            return CircleDetector(roll_range, settings, setup.calibration)
        return StrokeDetector(self.axis, roll_range, settings, setup.calibration)

    def retune(self, **changes: Any) -> None:
        """Difficulty hook. Only roll settings apply (target_fraction, timings); a force
        target or hold time means nothing to a rolling exercise and is left out."""
        known = {k: v for k, v in changes.items() if k in ROLL_FIELDS}
        if known:
            self.detector.set_settings(replace(self.detector.settings, **known))

    def effort_fraction(self) -> float:
        return self.live_reach()  # how far this stroke or circle has gone, of the target

    def effort_now(self) -> bool:
        """Rolling is the effort here: a stroke or circle under way, or the ball on the move."""
        d = self.detector
        moved = abs(getattr(d, "turn_progress", 0.0)) >= 0.1 or float(getattr(d, "reach", 0.0)) >= 0.15
        return bool(d.in_rep or moved)

    @property
    def roll_from_mouse(self) -> bool:
        return bool(self.setup.extra.get("roll_from_mouse"))

    # ---------------------------------------------------------------- HUD
    def draw_hud(self, c: Canvas) -> None:
        super().draw_hud(c)
        if self.roll_from_mouse:
            note = _(MOUSE_NOTE)
            size = fit_size(c, note, 24, 1160, bold=True)
            w = c.text_width(note, size, True) + 40
            box = LRect(640 - w / 2, 612, w, 44)
            c.rect(Theme.BG, box, radius=12)
            c.rect(Theme.NEAR, box, radius=12, width=3)
            c.text(note, box.center, size=size, bold=True)

    def draw_signal(self, c: Canvas, r: LRect) -> None:
        """How far the ball has rolled in this stroke, with the target line."""
        draw_reach_bar(c, r, self.live_reach(), pgettext("bar label", "roll"))

    def live_reach(self) -> float:
        """The live signal: this stroke's distance as a fraction of the target."""
        return float(getattr(self.detector, "reach", 0.0))


def draw_reach_bar(c: Canvas, r: LRect, reach: float, label: str) -> None:
    """A vertical bar: how far, 0 to REACH_TOP x target, with the target line and arrow."""
    level = max(0.0, min(1.0, reach / REACH_TOP))
    c.rect(Theme.PANEL, LRect(r.x - 6, r.y - 6, r.w + 12, r.h + 56), radius=14)
    fill_h = r.h * level
    c.rect(Theme.SUCCESS if reach >= 1.0 else Theme.SKY, LRect(r.x, r.y + r.h - fill_h, r.w, fill_h), radius=8)
    ty = r.y + r.h * (1 - 1.0 / REACH_TOP)
    c.line(Theme.FOCUS, (r.x - 14, ty), (r.x + r.w + 14, ty), 5)
    draw_target_arrow(c, r, ty)
    c.text(label, (r.x + r.w / 2, r.y + r.h + 24), size=fit_size(c, label, 22, r.w + 40), color=Theme.TEXT)


def draw_palm_top(c: Canvas, center: tuple[float, float], size: float, mirror: bool) -> tuple[float, float]:
    """An open right hand seen from above, palm up, fingers pointing up; returns the thumb's base.

    Mirrored for the left hand (thumb on the other side).
    """
    x, y = center
    s = size
    sign = -1 if mirror else 1
    outline: Color = Theme.DARK_TEXT
    for i in range(4):
        fx = x + sign * (-0.27 + 0.18 * i) * s
        length = s * (0.62, 0.72, 0.68, 0.52)[3 - i if not mirror else 3 - i]
        draw_limb(c, [(fx, y - s * 0.3), (fx, y - s * 0.3 - length)], s * 0.15)
    c.ellipse(outline, (x - s * 0.42 - 3, y - s * 0.42 - 3, s * 0.84 + 6, s * 0.9 + 6))
    c.ellipse(SKIN, (x - s * 0.42, y - s * 0.42, s * 0.84, s * 0.9))
    return (x + sign * s * 0.46, y + s * 0.22)


def draw_thumb_to(c: Canvas, base: tuple[float, float], tip: tuple[float, float], width: float) -> None:
    """A thumb from its base on the palm to a tip resting on the ball (one bend in the middle)."""
    mx, my = (base[0] + tip[0]) / 2, (base[1] + tip[1]) / 2
    dx, dy = tip[0] - base[0], tip[1] - base[1]
    n = math.hypot(dx, dy) or 1.0
    bend = 0.12 * n
    joint = (mx - dy / n * bend, my + dx / n * bend)
    draw_limb(c, [base, joint, tip], width)


def draw_ball(c: Canvas, center: tuple[float, float], r: float, spin: float = 0.0) -> None:
    """The therapy ball, with a stripe that turns so rolling is visible."""
    c.circle(Theme.NEAR, center, r)
    c.circle(Theme.DARK_TEXT, center, r, width=3)
    x, y = center
    a = spin
    c.line((170, 100, 0), (x - math.cos(a) * r * 0.8, y - math.sin(a) * r * 0.8),
           (x + math.cos(a) * r * 0.8, y + math.sin(a) * r * 0.8), 4)


def draw_rep_row(c: Canvas, results: list[bool], target: int, y: float = 176.0,
                 x0: float = 330.0, x1: float = 950.0) -> None:
    """One mark per rep of the set: a yellow star for a good one, an orange ring for a near
    miss, a small dot for those still to come (shapes as well as colours).

    Drawn once per change and copied after (a 300-rep row is 300 shapes: 1.3 ms a frame at 1080p)."""
    row = tuple(bool(r) for r in results)
    c.sprite(("rep_row", row, target, y, x0, x1), LRect(x0 - 22, y - 22, x1 - x0 + 44, 44),
             lambda s: paint_rep_row(s, row, target, y, x0, x1), slot="rep_row",
             repaint=lambda s, old: repaint_rep_row(s, old, row))


def paint_rep_row(c: Canvas, results: tuple[bool, ...] | list[bool], target: int, y: float = 176.0,
                  x0: float = 330.0, x1: float = 950.0, marks: range | None = None) -> None:
    """The row of marks itself (:func:`draw_rep_row` draws it through the sprite cache);
    ``marks``: only those, in the same order."""
    n = max(1, target)
    step = (x1 - x0) / max(1, n - 1)
    r = max(9.0, min(22.0, step * 0.42))
    for i in marks if marks is not None else range(n):
        x = x0 + i * step if n > 1 else (x0 + x1) / 2
        if i < len(results):
            if results[i]:
                c.polygon(Theme.FOCUS, star_points((x, y), r))
            else:
                c.circle(Theme.NEAR, (x, y), r * 0.7, width=4)
        else:
            c.circle((120, 132, 160), (x, y), 6, width=2)


def repaint_rep_row(c: Canvas, old: tuple, row: tuple[bool, ...]) -> bool:
    """Bring a copy of the row drawn for key ``old`` up to ``row`` (the same row with more reps
    after it): a 300-rep row's marks overlap, so round each new mark the pixels are cleared and
    every mark reaching them redrawn in the row's order, under a clip. Drawing is the same
    pixels under a clip, so this is the whole row's picture; False when the row is not a longer
    version of the old one (a new set)."""
    _name, old_row, target, y, x0, x1 = old
    if len(old_row) >= len(row) or row[:len(old_row)] != old_row:
        return False
    n = max(1, target)
    step = (x1 - x0) / max(1, n - 1)
    reach = max(9.0, min(22.0, step * 0.42)) + 4  # a mark's half-width, its outline and rounding included
    left = x0 + len(old_row) * step - reach if n > 1 else x0
    right = x0 + (len(row) - 1) * step + reach if n > 1 else x1
    surf = c.surface
    clip = c.prect(LRect(left, y - reach, right - left, 2 * reach)).clip(surf.get_rect())
    surf.set_clip(clip)
    try:
        surf.fill(SPRITE_KEY)
        # every mark whose own reach meets the cleared pixels (the rest leave them alone)
        lo = 0 if n == 1 else max(0, math.floor((left - reach - x0) / step) - 1)
        hi = n if n == 1 else min(n, math.ceil((right + reach - x0) / step) + 2)
        paint_rep_row(c, row, target, y, x0, x1, marks=range(lo, hi))
    finally:
        surf.set_clip(None)
    return True
