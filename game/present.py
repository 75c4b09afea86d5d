"""What to send to the window each frame: only the pixels that changed (App.present).

The canvas records every drawing call of a frame as (rectangle, key), the key naming everything
the call's pixels depend on besides what lies under it (:meth:`game.ui.Canvas._hit`). When two
frames are drawn over the same full-window layer (a stage's scenery, a cleared screen), a pixel
covered only by calls both frames made, with the same keys and in the same order, is the same
in both; so the window needs only the rectangles of the calls that differ: this frame's new
ones and the last frame's gone ones (:func:`changed_rects`). Those are merged into a few
rectangles (:func:`merge_rects`: each rectangle sent is a separate copy in the X server), and one strip of the window goes along every frame (:func:`refresh_strip`), so every
pixel is sent again within 2 s whatever happens, without ever sending a whole frame at once.
"""

from __future__ import annotations

import pygame

REFRESH_FRAMES = 120  # frames: every row of the window is sent at least this often (2 s at 60 Hz)
DAMAGE_MAX_SHARE = 0.6  # above this share of the window, sending it all is as cheap
GAP_PX = 16  # pieces closer than this may be joined
JOIN_GROWTH, JOIN_SLACK_PX = 1.25, 1024  # joined only if no bigger than 1.25 x the two pieces + 32 x 32 px
MAX_RECTS = 120  # more pieces than this: the whole frame goes (each piece is a request to the X server)


def changed_rects(last: list[tuple], ops: list[tuple]) -> list[pygame.Rect]:
    """The rectangles of the drawing calls in ``ops`` (this frame) that do not match a call of
    ``last`` (the last frame), and of the calls of ``last`` left unmatched.

    Calls are matched by key, in order (each match lies after the previous one in both lists),
    so the calls matched cover every pixel outside the returned rectangles in the same order in
    both frames: those pixels are unchanged. A call with no key never matches."""
    keys = [key for _r, key in last]
    first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))  # each key's first call
    matched = bytearray(len(last))
    out = []
    j = 0  # the next call of ``last`` a match may take
    for r, key in ops:
        k = first.get(key, -1)
        if k >= j and key is not None:
            matched[k] = 1
            j = k + 1
        else:
            out.append(r)  # new, moved or changed (a repeated key past its first call: counted too)
    out.extend(r for (r, _key), m in zip(last, matched) if not m)
    return out


def merge_rects(rects: list[pygame.Rect], bounds: pygame.Rect) -> list[pygame.Rect] | None:
    """A few rectangles covering ``rects`` (grown by 2 px for rounding) inside ``bounds``: pieces
    within GAP_PX of each other are joined while the joined rectangle is not much bigger than
    the two (a moving shape's old and new places become one; shapes far apart on a diagonal stay
    apart); None when they cover most of the window or are too many (send it whole). The
    searches are pygame's own (collidelistall): a frame may change a few hundred shapes."""
    rs = [r.inflate(4, 4) for r in rects if r[2] > 0 and r[3] > 0]
    rs.sort(key=_area)  # the biggest are taken first (from the end) and gather the pieces round them
    out = []
    area = 0
    while rs:
        r = rs.pop()
        ra = r.w * r.h
        grew = True
        while grew:
            grew = False
            for i in reversed(r.inflate(GAP_PX, GAP_PX).collidelistall(rs)):
                s = rs[i]
                u = r.union(s)
                ua = u.w * u.h
                if ua <= JOIN_GROWTH * (ra + s.w * s.h) + JOIN_SLACK_PX:
                    r, ra = u, ua
                    del rs[i]
                    grew = True
        r = r.clip(bounds)
        if r.w and r.h:
            out.append(r)
            area += r.w * r.h
    if len(out) > MAX_RECTS or area > DAMAGE_MAX_SHARE * bounds.w * bounds.h:
        return None
    return out


def _area(r: pygame.Rect) -> int:
    return r.w * r.h


def refresh_strip(frame: int, bounds: pygame.Rect) -> pygame.Rect:
    """This frame's strip of the window (REFRESH_FRAMES strips, top to bottom, then again)."""
    h = -(-bounds.h // REFRESH_FRAMES)
    return pygame.Rect(bounds.x, bounds.y + (frame % REFRESH_FRAMES) * h, bounds.w, h).clip(bounds)
