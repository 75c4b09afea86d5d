"""Drawing in logical 1280x720 coordinates on a window of any size.

Scenes lay out on a fixed 1280x720 design grid; the canvas scales every
coordinate, line width and font size to the real window (letterboxed to keep the
aspect), so text stays crisp at 1920x1080 instead of being a blurred upscale.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pygame

from game.i18n import current_language
from game.resources import CJK_LANGUAGES, check_font, font_file

LOGICAL_W, LOGICAL_H = 1280, 720
FONT_REGULAR = font_file(bold=False)  # shipped with the game: see game/resources.py
FONT_BOLD = font_file(bold=True)

Color = tuple[int, int, int]
TEXT_SCALE_CAP = 48.0  # logical size above which the text-size setting no longer enlarges text



@functools.lru_cache(maxsize=8)
def _font_bytes(path) -> bytes:
    """A font file's bytes, read once. Fonts are made from memory, not the path: SDL keeps a
    font's file open for as long as the font lives, and every canvas, size and language has its
    own fonts, so a long session (or a test run) would pile up open files."""
    with open(path, "rb") as fh:
        return fh.read()

class Theme:
    """Colours: high contrast on a calm dark background; Okabe-Ito hues are
    colour-blind safe, and every status also has a shape (tick, dot, cross)."""

    BG: Color = (14, 26, 44)
    PANEL: Color = (28, 46, 74)
    PANEL_HI: Color = (44, 68, 104)
    TEXT: Color = (246, 246, 240)
    TEXT_DIM: Color = (190, 200, 214)
    FOCUS: Color = (240, 228, 66)  # Okabe-Ito yellow
    SUCCESS: Color = (0, 170, 125)  # bluish green
    NEAR: Color = (230, 159, 0)  # orange
    STOP: Color = (176, 58, 0)  # dark vermillion: white text on it is 5.9:1
    SKY: Color = (86, 180, 233)  # sky blue
    BLUE: Color = (0, 114, 178)
    PURPLE: Color = (204, 121, 167)
    DARK_TEXT: Color = (10, 18, 30)


@dataclass(frozen=True)
class LRect:
    """A rectangle in logical coordinates."""

    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def contains(self, p: tuple[float, float]) -> bool:
        return self.x <= p[0] <= self.x + self.w and self.y <= p[1] <= self.y + self.h

    def inflate(self, d: float) -> LRect:
        return LRect(self.x - d, self.y - d, self.w + 2 * d, self.h + 2 * d)


SPRITE_CACHE_BYTES = 12_000_000  # static art and rounded panels (Canvas.sprite, Canvas.rect) at 1920x1080
SPRITE_MARGIN = 8.0  # logical units round a sprite's area, for line widths and rounding
SPRITE_KEY = (255, 0, 254)  # the transparent colour of sprite surfaces: in no palette of the game
TEXT_WIDTH_CACHE = 4000  # measured strings kept (a few hundred bytes each)
SHAPE_MIN_PIXELS = 2000  # rounded rectangles at least this big are drawn once and copied
TEXT_CACHE_BYTES = 8_000_000  # a few screens of text even at 1920x1080 (benchmarks/soak.py)


def _pixel_bytes(surf: pygame.Surface) -> int:
    return surf.get_width() * surf.get_height() * surf.get_bytesize()


class Canvas:
    def __init__(self, surface: pygame.Surface) -> None:
        self._fonts: dict[tuple[int, bool, str], pygame.font.Font] = {}
        self._text_cache: OrderedDict[tuple, pygame.Surface] = OrderedDict()
        self._text_bytes = 0  # pixels held by the text cache
        self._sprites: OrderedDict[tuple, pygame.Surface] = OrderedDict()  # Canvas.sprite: static art
        self._sprite_bytes = 0
        self._shapes_seen: set[tuple] = set()
        self._widths: dict[tuple, int] = {}  # text_width: pixel widths of measured strings
        self._slots: dict[str, tuple] = {}  # Canvas.sprite(slot=...): the one current entry of each
        self._ops: list[tuple] | None = None  # track_damage: (rectangle, key) of each drawing call
        self._frame_layer: tuple | None = None
        self._clip: tuple | None = None  # Canvas.clip: the clip the drawing calls are made under
        # The patient's text size (1.0 normal): grows small and middle text; headings are big already.
        self.text_scale = 1.0
        self.set_surface(surface)

    # ------------------------------------------------------------ geometry
    def set_surface(self, surface: pygame.Surface) -> None:
        self.surface = surface
        w, h = surface.get_size()
        self.scale = min(w / LOGICAL_W, h / LOGICAL_H)
        self.ox = (w - LOGICAL_W * self.scale) / 2
        self.oy = (h - LOGICAL_H * self.scale) / 2

    def px(self, x: float, y: float) -> tuple[int, int]:
        return (round(self.ox + x * self.scale), round(self.oy + y * self.scale))

    def prect(self, r: LRect | tuple[float, float, float, float]) -> pygame.Rect:
        x, y, w, h = (r.x, r.y, r.w, r.h) if isinstance(r, LRect) else r
        x0, y0 = self.px(x, y)
        x1, y1 = self.px(x + w, y + h)
        return pygame.Rect(x0, y0, max(1, x1 - x0), max(1, y1 - y0))

    def plen(self, v: float) -> int:
        return max(1, round(v * self.scale))

    def to_logical(self, pos: tuple[int, int]) -> tuple[float, float]:
        return ((pos[0] - self.ox) / self.scale, (pos[1] - self.oy) / self.scale)

    # ------------------------------------------------------------- drawing
    def clear(self, color: Color = Theme.BG) -> None:
        area = self.prect((0, 0, LOGICAL_W, LOGICAL_H))
        self._layer(("clear", tuple(color), tuple(area), self.surface.get_size()))
        if area.contains(self.surface.get_rect()):
            self.surface.fill(color)  # no letterbox bars: one fill, not two (0.25 ms a frame at 1080p)
            return
        self.surface.fill((0, 0, 0))
        self.surface.fill(color, area)

    def layer(self, surf: pygame.Surface, key: tuple) -> None:
        """A full-window picture under everything else (a stage's static scenery), copied whole;
        ``key`` names its content: the same key, the same pixels (the presentation then sends
        the window only what was drawn over it, this frame and the last)."""
        self._layer(("layer", key, surf))  # the surface itself: identity, held while compared
        self.surface.blit(surf, (0, 0))

    def layer_drawn_over(self, surf: pygame.Surface, key: tuple, copy: pygame.Surface, calls: list) -> None:
        """:meth:`layer` ``surf`` with ``calls`` (from :meth:`recorded`) drawn over it, where ``copy``
        is the window as it stood after those calls (the same pixels): copied whole, and recorded
        as the layer with those calls over it, so the window is still sent only what changes."""
        self._layer(("layer", key, surf))
        self.surface.blit(copy, (0, 0))
        if getattr(self, "_ops", None) is not None:
            self._ops.extend(calls)

    def recorded(self, paint: Callable[[Canvas], None]) -> list:
        """Draw with ``paint`` and return the drawing calls it made, as damage tracking records
        them (whether or not this frame is tracked)."""
        tracking = getattr(self, "_ops", None) is not None
        if not tracking:
            self._ops = []
        start = len(self._ops)
        paint(self)
        calls = self._ops[start:]
        if not tracking:
            self._ops = None
        return calls

    # -------------------------------------------------------------- damage
    # What a frame changed, for presenting only that (App.draw): the drawing calls record the
    # rectangles they touch; a full-window layer (clear, layer) starts the frame's list afresh.
    def track_damage(self) -> None:
        self._ops: list[tuple[pygame.Rect, tuple | None]] | None = []
        self._frame_layer: tuple | None = None

    def damage(self) -> tuple[tuple | None, list[tuple[pygame.Rect, tuple | None]] | None]:
        """(the frame's bottom layer, the drawing calls made over it as (rectangle, key)) and stop
        tracking; (None, None) when not tracking."""
        ops, layer = getattr(self, "_ops", None), getattr(self, "_frame_layer", None)
        self._ops = None
        return layer, ops

    def _layer(self, key: tuple) -> None:
        if getattr(self, "_ops", None) is not None:
            self._ops = []  # everything drawn before is under the new layer
            self._frame_layer = key

    def _hit(self, r: pygame.Rect, key: tuple | None = None) -> None:
        """Record a drawing call's rectangle and ``key``: everything its pixels depend on besides
        what lies under it (the same key over the same pixels draws the same pixels; App.present
        sends only the calls that differ from the last frame's). None: always counted as changed."""
        ops = getattr(self, "_ops", None)
        if ops is not None:
            clip = getattr(self, "_clip", None)
            ops.append((r, key if clip is None or key is None else (key, clip)))

    @contextlib.contextmanager
    def clip(self, r: LRect | tuple) -> Iterator[None]:
        """Draw only inside ``r`` for the calls in the block (e.g. hills cut off where the ground
        covers them anyway: the same pixels, and a smaller rectangle sent to the window)."""
        pr = self.prect(r).clip(self.surface.get_clip())
        old, old_key = self.surface.get_clip(), getattr(self, "_clip", None)
        self.surface.set_clip(pr)
        self._clip = tuple(pr)
        try:
            yield
        finally:
            self.surface.set_clip(old)
            self._clip = old_key

    def sprite(self, key: tuple, area: LRect | tuple, paint: Callable[[Canvas], None], *,
               slot: str | None = None, repaint: Callable[[Canvas, tuple], bool] | None = None) -> None:
        """Static art drawn once per ``key`` and window geometry, then copied: ``paint`` draws it
        in logical coordinates on an off-screen canvas covering ``area`` (plus a margin), whose
        pixels land exactly where drawing straight onto this canvas would put them (the offset
        is whole pixels; the copy is a colour-keyed blit, not a blend). For shapes, not words:
        text is drawn live. ``key`` must name everything the art depends on. ``slot``: art that
        replaces its own earlier state (a row of marks that grows rep by rep) keeps one entry.
        ``repaint(canvas, old_key)``, with a slot: bring a copy of the slot's art drawn for
        ``old_key`` (same area and geometry) up to ``key`` by redrawing only what differs, and
        return True; False: ``paint`` draws it whole. It must give the pixels ``paint`` gives."""
        if self.surface.get_flags() & pygame.SRCALPHA:
            paint(self)  # a copy onto a see-through surface would blend: draw directly
            return
        pad = self.plen(SPRITE_MARGIN)
        r = self.prect(area).inflate(2 * pad, 2 * pad)
        full = (key, self.scale, self.ox, self.oy, r.topleft, r.size)
        surf = self._sprites.get(full)
        if surf is None:
            old_full = self._slots.get(slot) if slot is not None and repaint is not None else None
            before = self._sprites.get(old_full) if old_full is not None and old_full[1:] == full[1:] else None
            if before is not None:  # a new surface, not the old one changed: the window's sends compare them
                surf = before.copy()
                surf.set_colorkey(None)
            if surf is None or not repaint(_SpriteCanvas(surf, self, r.topleft), old_full[0]):
                surf = pygame.Surface(r.size, 0, self.surface)
                surf.fill(SPRITE_KEY)
                paint(_SpriteCanvas(surf, self, r.topleft))
            surf.set_colorkey(SPRITE_KEY, pygame.RLEACCEL)
            if slot is not None:
                old = self._slots.get(slot)
                if old is not None and old in self._sprites:
                    gone = self._sprites.pop(old)
                    self._sprite_bytes -= gone.get_width() * gone.get_height() * 4
                self._slots[slot] = full
            self._keep_sprite(full, surf)
        else:
            self._sprites.move_to_end(full)
        self._hit(self.surface.blit(surf, r.topleft), (surf, r.topleft))

    def rect(self, color: Color, r: LRect | tuple, *, radius: float = 0, width: float = 0) -> None:
        pr = self.prect(r)
        w = self.plen(width) if width else 0
        if not radius and not w:
            self._hit(self.surface.fill(color, pr), ("f", color, tuple(pr)))  # as draw.rect, several times faster
            return
        br = self.plen(radius) if radius else -1
        if radius and pr.w * pr.h >= SHAPE_MIN_PIXELS:
            # A rounded panel (HUD, buttons, banners) is the same shape frame after frame: drawn once
            # at its pixel size, then copied (a rounded fill is 4-6 times slower than the copy).
            key = ("rect", tuple(color), pr.size, br, w)
            surf = self._cached_shape(key, pr.size, lambda s: pygame.draw.rect(s, color, s.get_rect(), w,
                                                                               border_radius=br))
            if surf is not None:
                self._hit(self.surface.blit(surf, pr.topleft), (surf, pr.topleft))
                return
        self._hit(pygame.draw.rect(self.surface, color, pr, w, border_radius=br), ("r", color, tuple(pr), w, br))

    def _cached_shape(self, key: tuple, size: tuple[int, int], paint: Callable[[pygame.Surface], None]
                      ) -> pygame.Surface | None:
        """A shape's surface once it has been asked for twice (a bar whose height changes every
        frame is drawn directly rather than filling the cache); None: draw it directly."""
        if self.surface.get_flags() & pygame.SRCALPHA:
            return None  # a copy onto a see-through surface would blend: draw directly
        surf = self._sprites.get(key)
        if surf is not None:
            self._sprites.move_to_end(key)
            return surf
        if key not in self._shapes_seen:
            if len(self._shapes_seen) > 4096:
                self._shapes_seen.clear()
            self._shapes_seen.add(key)
            return None
        surf = pygame.Surface(size, 0, self.surface)
        surf.fill(SPRITE_KEY)
        paint(surf)
        surf.set_colorkey(SPRITE_KEY, pygame.RLEACCEL)
        self._keep_sprite(key, surf)
        return surf

    def _keep_sprite(self, key: tuple, surf: pygame.Surface) -> None:
        self._sprites[key] = surf
        self._sprite_bytes += surf.get_width() * surf.get_height() * 4
        while self._sprite_bytes > SPRITE_CACHE_BYTES and len(self._sprites) > 1:
            old = self._sprites.popitem(last=False)[1]
            self._sprite_bytes -= old.get_width() * old.get_height() * 4

    def circle(self, color: Color, center: tuple[float, float], radius: float, *, width: float = 0) -> None:
        p, rad, w = self.px(*center), self.plen(radius), self.plen(width) if width else 0
        self._hit(pygame.draw.circle(self.surface, color, p, rad, w), ("c", color, p, rad, w))

    def ellipse(self, color: Color, r: LRect | tuple, *, width: float = 0) -> None:
        pr, w = self.prect(r), self.plen(width) if width else 0
        self._hit(pygame.draw.ellipse(self.surface, color, pr, w), ("e", color, tuple(pr), w))

    def line(self, color: Color, a: tuple[float, float], b: tuple[float, float], width: float = 2) -> None:
        pa, pb, w = self.px(*a), self.px(*b), self.plen(width)
        self._hit(pygame.draw.line(self.surface, color, pa, pb, w), ("l", color, pa, pb, w))

    def lines(self, color: Color, points: list[tuple[float, float]], width: float = 2, closed: bool = False) -> None:
        if len(points) >= 2:
            pts, w = tuple(self.px(*p) for p in points), self.plen(width)
            self._hit(pygame.draw.lines(self.surface, color, closed, pts, w), ("L", color, closed, pts, w))

    def polygon(self, color: Color, points: list[tuple[float, float]], *, width: float = 0) -> None:
        pts, w = tuple(self.px(*p) for p in points), self.plen(width) if width else 0
        self._hit(pygame.draw.polygon(self.surface, color, pts, w), ("p", color, pts, w))

    def arc(self, color: Color, r: LRect | tuple, start: float, stop: float, width: float = 4) -> None:
        pr, w = self.prect(r), self.plen(width)
        self._hit(pygame.draw.arc(self.surface, color, pr, start, stop, w), ("a", color, tuple(pr), start, stop, w))

    def font(self, size: float, bold: bool = False, text: str = "") -> pygame.font.Font:
        px = max(8, round(size * self.scale))
        lang = current_language()  # the font follows the language (Chinese needs its own glyphs)
        if text and lang not in CJK_LANGUAGES and any(_breaks_anywhere(ch) for ch in text):
            lang = "zh_Hans"  # a name written in Chinese on a screen in another language
        key = (px, bold, lang)
        f = self._fonts.get(key)
        if f is None:
            f = pygame.font.Font(io.BytesIO(_font_bytes(check_font(font_file(bold, lang)))), px)
            self._fonts[key] = f
        return f

    def scaled(self, size: float) -> float:
        """A text size after the patient's text scale (never past 48, never below the size asked)."""
        if self.text_scale == 1.0:
            return size
        return max(size, min(size * self.text_scale, TEXT_SCALE_CAP))

    def text_surface(self, text: str, size: float, color: Color, bold: bool = False) -> pygame.Surface:
        size = self.scaled(size)
        key = (text, round(size * self.scale), color, bold, current_language())
        surf = self._text_cache.get(key)
        if surf is None:
            surf = self.font(size, bold, text).render(text, True, color)
            self._text_cache[key] = surf
            self._text_bytes += _pixel_bytes(surf)
            # Bounded by pixels as well as entries: numbers that change all day (today's
            # squeezes, percentages) would otherwise fill 600 entries, some 20-40 MB.
            while len(self._text_cache) > 600 or (self._text_bytes > TEXT_CACHE_BYTES and len(self._text_cache) > 1):
                self._text_bytes -= _pixel_bytes(self._text_cache.popitem(last=False)[1])
        else:
            self._text_cache.move_to_end(key)
        return surf

    def text(
        self,
        text: str,
        pos: tuple[float, float],
        *,
        size: float = 32,
        color: Color = Theme.TEXT,
        bold: bool = False,
        anchor: str = "center",
    ) -> LRect:
        """Draw one line of text; ``anchor`` is a pygame.Rect attribute name."""
        surf = self.text_surface(text, size, color, bold)
        r = surf.get_rect()
        setattr(r, anchor, self.px(*pos))
        self._hit(self.surface.blit(surf, r), (surf, r.topleft))
        return LRect((r.x - self.ox) / self.scale, (r.y - self.oy) / self.scale, r.w / self.scale, r.h / self.scale)

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        # Measured once per (string, pixel size, weight, language): banners, hints and fit_size
        # measure the same words every frame, and choosing the font scans the string.
        scaled = self.scaled(size)
        key = (text, round(scaled * self.scale), bold, current_language())
        w = self._widths.get(key)
        if w is None:
            if len(self._widths) >= TEXT_WIDTH_CACHE:
                self._widths.clear()
            w = self._widths[key] = self.font(scaled, bold, text).size(text)[0]
        return w / self.scale

    def wrap(self, text: str, size: float, max_w: float, bold: bool = False) -> list[str]:
        # Chinese has no spaces between words: a line may break between any two characters.
        lines, cur = [], ""
        for w, spaced in wrap_units(text):
            trial = f"{cur} {w}" if cur and spaced else cur + w
            if cur and self.text_width(trial, size, bold) > max_w:
                lines.append(cur)
                cur = w
            else:
                cur = trial
        if cur:
            lines.append(cur)
        return lines

    def paragraph(self, text: str, pos: tuple[float, float], max_w: float, *, size: float = 30,
                  color: Color = Theme.TEXT, line_gap: float = 1.25, anchor: str = "midtop") -> float:
        """Wrapped text; returns the logical y below the last line."""
        x, y = pos
        for line in self.wrap(text, size, max_w):
            self.text(line, (x, y), size=size, color=color, anchor=anchor)
            y += self.scaled(size) * line_gap
        return y


def _breaks_anywhere(ch: str) -> bool:
    """CJK ideographs, kana, hangul and their punctuation: a line may break before or after them."""
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF


NO_LINE_START = set("，。、；：！？）」』》〉】…,.;:!?)%")  # stays on the line before it (CJK line-breaking rule)


def wrap_units(text: str) -> list[tuple[str, bool]]:
    """``text`` as the pieces a line may break between, each with whether a space came before it:
    space-separated words, and single CJK characters (punctuation kept with the one before)."""
    units: list[tuple[str, bool]] = []
    cur, cur_spaced, spaced = "", False, False
    for ch in text:
        if ch.isspace():
            if cur:
                units.append((cur, cur_spaced))
                cur = ""
            spaced = True
        elif _breaks_anywhere(ch) or (ch in NO_LINE_START and not cur and units and not spaced):
            if cur:
                units.append((cur, cur_spaced))
                cur = ""
            if ch in NO_LINE_START and units and not spaced:
                units[-1] = (units[-1][0] + ch, units[-1][1])
            else:
                units.append((ch, spaced))
            spaced = False
        else:
            if not cur:
                cur_spaced, spaced = spaced, False
            cur += ch
    if cur:
        units.append((cur, cur_spaced))
    return units


class _SpriteCanvas(Canvas):
    """An off-screen canvas for :meth:`Canvas.sprite`: the parent's geometry moved by whole pixels
    after rounding, so every shape lands on exactly the parent's pixels."""

    def __init__(self, surface: pygame.Surface, parent: Canvas, offset: tuple[int, int]) -> None:
        super().__init__(surface)
        self.scale, self.ox, self.oy = parent.scale, parent.ox, parent.oy
        self.dx, self.dy = offset
        self.text_scale = parent.text_scale

    def set_surface(self, surface: pygame.Surface) -> None:
        self.surface = surface  # the geometry is the parent's (set in __init__)

    def px(self, x: float, y: float) -> tuple[int, int]:
        return (round(self.ox + x * self.scale) - self.dx, round(self.oy + y * self.scale) - self.dy)


def ellipsize(c: Canvas, text: str, size: float, max_w: float, bold: bool = False) -> str:
    """``text`` shortened with an ellipsis to fit ``max_w`` logical units (measured bold or not)."""
    if c.text_width(text, size, bold) <= max_w:
        return text
    while text and c.text_width(text + "…", size, bold) > max_w:
        text = text[:-1]
    return text.rstrip() + "…"


# ------------------------------------------------------------------ icons
def draw_tick(c: Canvas, center: tuple[float, float], size: float, color: Color = Theme.SUCCESS) -> None:
    x, y = center
    c.lines(color, [(x - size * 0.5, y), (x - size * 0.15, y + size * 0.35), (x + size * 0.55, y - size * 0.4)],
            width=max(3, size * 0.18))


def draw_cross(c: Canvas, center: tuple[float, float], size: float, color: Color = Theme.NEAR) -> None:
    x, y = center
    s = size * 0.45
    w = max(3, size * 0.16)
    c.line(color, (x - s, y - s), (x + s, y + s), w)
    c.line(color, (x - s, y + s), (x + s, y - s), w)


def draw_pause_icon(c: Canvas, center: tuple[float, float], size: float, color: Color = Theme.TEXT) -> None:
    x, y = center
    c.rect(color, (x - size * 0.35, y - size * 0.4, size * 0.25, size * 0.8))
    c.rect(color, (x + size * 0.1, y - size * 0.4, size * 0.25, size * 0.8))


def draw_stop_icon(c: Canvas, center: tuple[float, float], size: float, color: Color = Theme.TEXT) -> None:
    x, y = center
    c.rect(color, (x - size * 0.35, y - size * 0.35, size * 0.7, size * 0.7), radius=size * 0.08)


def draw_hand(c: Canvas, center: tuple[float, float], size: float, closed: float, color: Color = (250, 214, 180),
              mirror: bool = False) -> None:
    """A simple hand around a ball; ``closed`` 0 (open) .. 1 (fist)."""
    x, y = center
    s = size
    ball_r = s * 0.28
    c.circle(Theme.NEAR, (x, y), ball_r)
    c.circle(Theme.DARK_TEXT, (x, y), ball_r, width=2)
    # palm
    c.ellipse(color, (x - s * 0.42, y + s * 0.1, s * 0.84, s * 0.55))
    sign = -1 if mirror else 1
    # four fingers curl over the ball as ``closed`` grows
    for i in range(4):
        fx = x + (-0.3 + 0.2 * i) * s
        reach = s * (0.75 - 0.45 * closed)
        top = y + s * 0.15 - reach
        c.rect(color, (fx - s * 0.08, top, s * 0.16, reach), radius=s * 0.07)
        c.rect(Theme.DARK_TEXT, (fx - s * 0.08, top, s * 0.16, reach), radius=s * 0.07, width=1.5)
    # thumb
    tx = x + sign * s * (0.5 - 0.22 * closed)
    c.rect(color, (tx - s * 0.09, y - s * 0.05, s * 0.18, s * 0.42), radius=s * 0.08)
    c.rect(Theme.DARK_TEXT, (tx - s * 0.09, y - s * 0.05, s * 0.18, s * 0.42), radius=s * 0.08, width=1.5)


def draw_gear(c: Canvas, center: tuple[float, float], size: float, color: Color = Theme.TEXT) -> None:
    """A cog wheel: 'settings'."""
    import math

    x, y = center
    pts = []
    for i in range(32):
        a = i * math.pi / 16
        r = size * (0.5 if (i // 2) % 2 == 0 else 0.36)
        pts.append((x + r * math.cos(a), y + r * math.sin(a)))
    c.polygon(color, pts)
    c.circle(Theme.PANEL, (x, y), size * 0.16)
