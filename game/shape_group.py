"""A few shapes drawn as one copy: the same pixels as drawing them one by one, for less CPU.

A scrolling scene draws the same small pictures (a flower of seven discs, a cloud of three, a
tree, the balloon) over and over at moving places. :func:`draw_group` works out each shape's
pixel geometry exactly as :class:`game.ui.Canvas` would (the same rounding of the same logical
coordinates), then moves the lot by whole pixels to the origin of a small surface: that
normalised list is the key. pygame's drawing at whole-pixel coordinates does not depend on
where on the surface it happens, so a picture whose shapes land on the same pixels relative to
each other is the same pixels, and is drawn once and then copied (a colour-keyed blit, not a
blend). A picture seen for the first time (a flame of a new height) is drawn straight onto
the canvas, shape by shape, as before: a copy is made only for a key asked for twice.

Only filled and outlined circles, ellipses, rectangles (rounded too), lines, polylines and
polygons can be grouped: anything else (words, copies) is drawn live, outside the group.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from game.ui import SPRITE_KEY, Canvas, Color, LRect

PAD_PX = 4  # pixels kept round a group's shapes beyond their own extent (line ends, rounding)


class ShapeRecorder:
    """A canvas that draws nothing: it lists each shape as (kind, colour, pixel geometry...), with
    the pixel geometry of :class:`Canvas` (its own px, prect and plen); it has no other calls."""

    px, prect, plen = Canvas.px, Canvas.prect, Canvas.plen

    def __init__(self) -> None:  # the geometry is the target canvas's (set by draw_group)
        self.ops: list[tuple] = []
        self.scale, self.ox, self.oy = 1.0, 0.0, 0.0

    def circle(self, color: Color, center: tuple[float, float], radius: float, *, width: float = 0) -> None:
        self.ops.append(("c", color, self.px(*center), self.plen(radius), self.plen(width) if width else 0))

    def ellipse(self, color: Color, r: LRect | tuple, *, width: float = 0) -> None:
        self.ops.append(("e", color, tuple(self.prect(r)), self.plen(width) if width else 0))

    def line(self, color: Color, a: tuple[float, float], b: tuple[float, float], width: float = 2) -> None:
        self.ops.append(("l", color, self.px(*a), self.px(*b), self.plen(width)))

    def lines(self, color: Color, points: list[tuple[float, float]], width: float = 2, closed: bool = False) -> None:
        if len(points) >= 2:
            self.ops.append(("L", color, closed, tuple(self.px(*p) for p in points), self.plen(width)))

    def polygon(self, color: Color, points: list[tuple[float, float]], *, width: float = 0) -> None:
        self.ops.append(("p", color, tuple(self.px(*p) for p in points), self.plen(width) if width else 0))

    def rect(self, color: Color, r: LRect | tuple, *, radius: float = 0, width: float = 0) -> None:
        self.ops.append(("R", color, tuple(self.prect(r)), self.plen(width) if width else 0,
                         self.plen(radius) if radius else -1))


def _extent(op: tuple) -> tuple[int, int, int, int]:
    """The pixels ``op`` may touch, as (left, top, right, bottom), padded."""
    kind = op[0]
    if kind == "c":
        (x, y), r = op[2], op[3]
        return x - r - PAD_PX, y - r - PAD_PX, x + r + PAD_PX, y + r + PAD_PX
    if kind in ("e", "R"):
        x, y, w, h = op[2]
        return x - PAD_PX, y - PAD_PX, x + w + PAD_PX, y + h + PAD_PX
    if kind == "l":
        pts, w = (op[2], op[3]), op[4]
    elif kind == "L":
        pts, w = op[3], op[4]
    else:
        pts, w = op[2], op[3]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    m = w + PAD_PX
    return min(xs) - m, min(ys) - m, max(xs) + m, max(ys) + m


def _moved(op: tuple, dx: int, dy: int) -> tuple:
    """``op`` moved by whole pixels."""
    kind = op[0]
    if kind == "c":
        return ("c", op[1], (op[2][0] + dx, op[2][1] + dy), op[3], op[4])
    if kind == "e":
        x, y, w, h = op[2]
        return ("e", op[1], (x + dx, y + dy, w, h), op[3])
    if kind == "R":
        x, y, w, h = op[2]
        return ("R", op[1], (x + dx, y + dy, w, h), op[3], op[4])
    if kind == "l":
        return ("l", op[1], (op[2][0] + dx, op[2][1] + dy), (op[3][0] + dx, op[3][1] + dy), op[4])
    if kind == "L":
        return ("L", op[1], op[2], tuple((x + dx, y + dy) for x, y in op[3]), op[4])
    return ("p", op[1], tuple((x + dx, y + dy) for x, y in op[2]), op[3])


def _paint(surf: pygame.Surface, op: tuple) -> pygame.Rect:
    """Draw ``op`` as :class:`Canvas` draws that shape (the same pygame call, the same arguments)."""
    kind, color = op[0], op[1]
    if kind == "c":
        return pygame.draw.circle(surf, color, op[2], op[3], op[4])
    if kind == "e":
        return pygame.draw.ellipse(surf, color, op[2], op[3])
    if kind == "R":
        if op[3] == 0 and op[4] < 0:
            return surf.fill(color, op[2])  # as Canvas.rect fills a plain rectangle
        return pygame.draw.rect(surf, color, op[2], op[3], border_radius=op[4])
    if kind == "l":
        return pygame.draw.line(surf, color, op[2], op[3], op[4])
    if kind == "L":
        return pygame.draw.lines(surf, color, op[2], op[3], op[4])
    return pygame.draw.polygon(surf, color, op[2], op[3])


def _key(op: tuple) -> tuple:
    """The key :class:`Canvas` gives the same shape drawn alone (see Canvas._hit)."""
    kind = op[0]
    if kind == "R":  # Canvas.rect: a plain fill is keyed "f", any other rectangle "r"
        if op[3] == 0 and op[4] < 0:
            return ("f", op[1], op[2])
        return ("r", op[1], op[2], op[3], op[4])
    return op


def draw_group(c: Canvas, paint: Callable[[Canvas], None]) -> None:
    """Draw what ``paint`` draws on ``c`` (shapes only), as one cached copy when it has been
    drawn before with its shapes on the same pixels relative to each other."""
    if type(c).px is not Canvas.px:  # a canvas of another geometry (an off-screen sprite's)
        paint(c)
        return
    rec = c.__dict__.get("_group_recorder")
    if rec is None:
        rec = c._group_recorder = ShapeRecorder()  # type: ignore[attr-defined]
    rec.ops = []
    rec.scale, rec.ox, rec.oy = c.scale, c.ox, c.oy
    paint(rec)
    draw_ops(c, rec.ops)


def draw_discs(c: Canvas, discs: list[tuple[Color, float, float, float]], mirror: bool = False,
               axis: float = 0.0) -> None:
    """Filled circles (colour, logical x, y, radius), reflected about x = ``axis`` if ``mirror``,
    as :func:`draw_group` draws them (WorldView.circle's geometry, worked out without the calls)."""
    if type(c).px is not Canvas.px:
        for color, x, y, r in discs:
            c.circle(color, (2 * axis - x if mirror else x, y), r)
        return
    scale, ox, oy = c.scale, c.ox, c.oy
    # The same arithmetic as WorldView.circle then Canvas.circle (mx, px, plen), in one loop.
    px = [(color, round(ox + (2 * axis - x if mirror else x) * scale), round(oy + y * scale), max(1, round(r * scale)))
          for color, x, y, r in discs]
    if len(px) < 2 or c.surface.get_flags() & pygame.SRCALPHA:
        draw_ops(c, [("c", color, (x, y), r, 0) for color, x, y, r in px])
        return
    x0, y0 = min(x - r for _c, x, _y, r in px) - PAD_PX, min(y - r for _c, _x, y, r in px) - PAD_PX
    x1, y1 = max(x + r for _c, x, _y, r in px) + PAD_PX, max(y + r for _c, _x, y, r in px) + PAD_PX
    _draw_cached(c, ("group", *[("c", color, (x - x0, y - y0), r, 0) for color, x, y, r in px]), x0, y0, x1, y1)


def draw_ops(c: Canvas, ops: list[tuple]) -> None:
    """Draw recorded shapes ``ops`` on ``c``: from a cached copy, or straight on (see draw_group)."""
    if not ops:
        return
    if len(ops) > 1 and not c.surface.get_flags() & pygame.SRCALPHA:
        boxes = [_extent(op) for op in ops]
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
        _draw_cached(c, ("group", *(_moved(op, -x0, -y0) for op in ops)), x0, y0, x1, y1)
        return
    for op in ops:  # drawn straight on, shape by shape, exactly as before
        c._hit(_paint(c.surface, op), _key(op))


def _draw_cached(c: Canvas, key: tuple, x0: int, y0: int, x1: int, y1: int) -> None:
    """The shapes of ``key`` (moved to the origin) drawn at ``(x0, y0)``: copied from the cache
    when they have been asked for before, else drawn straight on, shape by shape."""
    surface = c.surface
    surf = c._sprites.get(key)
    if surf is not None:
        c._sprites.move_to_end(key)
    elif key in c._shapes_seen:
        surf = pygame.Surface((x1 - x0, y1 - y0), 0, surface)
        surf.fill(SPRITE_KEY)
        for op in key[1:]:
            _paint(surf, op)
        surf.set_colorkey(SPRITE_KEY, pygame.RLEACCEL)
        c._keep_sprite(key, surf)
    else:
        if len(c._shapes_seen) > 4096:
            c._shapes_seen.clear()
        c._shapes_seen.add(key)
    if surf is not None:
        c._hit(surface.blit(surf, (x0, y0)), (surf, (x0, y0)))
        return
    for op in key[1:]:  # drawn straight on, shape by shape, exactly as before
        op = _moved(op, x0, y0)
        c._hit(_paint(surface, op), _key(op))
