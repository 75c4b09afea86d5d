"""What to send to the window each frame: only the pixels that changed (App.present).

The canvas records every drawing call of a frame as (rectangle, key), the key naming everything
the call's pixels depend on besides what lies under it (:meth:`game.ui.Canvas._hit`). When two
frames are drawn over the same full-window layer (a stage's scenery, a cleared screen), a pixel
covered only by calls both frames made, with the same keys and in the same order, is the same
in both; so the window needs only the rectangles of the calls that differ: this frame's new
ones and the last frame's gone ones (:func:`changed_rects`). Those are merged into a few
rectangles of whole tiles (:func:`merge_rects`: each rectangle sent is a separate copy in the X
server), and one strip of the window goes along every frame (:func:`refresh_strip`), so every
pixel is sent again within 2 s whatever happens, without ever sending a whole frame at once.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import pygame

REFRESH_FRAMES = 120  # frames: every row of the window is sent at least this often (2 s at 60 Hz)
DAMAGE_MAX_SHARE = 0.6  # above this share of the window, sending it all is as cheap
TILE_PX = 16  # the changes are sent in whole tiles of this many pixels square
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
    """A few rectangles covering ``rects`` inside ``bounds``: the tiles of TILE_PX they touch
    (grown by 2 px for rounding), joined along each row of tiles, and equal pieces of
    neighbouring rows joined; None when they cover most of the window or are too many (send
    it whole). Vectorised: a frame may change a few hundred shapes."""
    bx, by, bw, bh = bounds
    a = np.fromiter(chain.from_iterable(rects), np.int64, 4 * len(rects)).reshape(-1, 4)
    a = a[(a[:, 2] > 0) & (a[:, 3] > 0)]
    if not len(a):
        return []
    gw, gh = -(-bw // TILE_PX), -(-bh // TILE_PX)
    lo = np.clip((a[:, :2] - (2 + bx, 2 + by)) // TILE_PX, 0, (gw, gh))
    hi = np.clip((a[:, :2] + a[:, 2:] + (2 + TILE_PX - 1 - bx, 2 + TILE_PX - 1 - by)) // TILE_PX, 0, (gw, gh))
    d = np.zeros((gh + 1, gw + 1), np.int32)  # +1/-1 at each rectangle's corners; two running sums fill it in
    n = len(a)
    np.add.at(d, (np.concatenate((lo[:, 1], lo[:, 1], hi[:, 1], hi[:, 1])),
                  np.concatenate((lo[:, 0], hi[:, 0], lo[:, 0], hi[:, 0]))),
              np.repeat(np.array([1, -1, -1, 1], np.int32), n))
    cover = np.zeros((gh, gw + 2), np.int8)
    cover[:, 1:-1] = d.cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)[:gh, :gw] > 0
    edge = np.diff(cover, axis=1)
    rows, left = np.nonzero(edge == 1)  # row-major: the n-th start and the n-th end are one run
    right = np.nonzero(edge == -1)[1]
    order = np.lexsort((rows, right, left))  # equal runs in neighbouring rows become one rectangle
    rows, left, right = rows[order], left[order], right[order]
    first = np.ones(len(rows), bool)
    first[1:] = (left[1:] != left[:-1]) | (right[1:] != right[:-1]) | (rows[1:] != rows[:-1] + 1)
    starts = np.flatnonzero(first)
    if not len(starts):
        return []  # all outside the window
    if len(starts) > MAX_RECTS:
        return None
    last = np.append(starts[1:], len(rows)) - 1
    x0, y0 = left[starts] * TILE_PX + bx, rows[starts] * TILE_PX + by
    w = np.minimum(right[starts] * TILE_PX + bx, bx + bw) - x0
    h = np.minimum((rows[last] + 1) * TILE_PX + by, by + bh) - y0
    if int((w * h).sum()) > DAMAGE_MAX_SHARE * bw * bh:
        return None
    return [pygame.Rect(r) for r in np.stack((x0, y0, w, h), axis=1).tolist()]


def refresh_strip(frame: int, bounds: pygame.Rect) -> pygame.Rect:
    """This frame's strip of the window (REFRESH_FRAMES strips, top to bottom, then again)."""
    h = -(-bounds.h // REFRESH_FRAMES)
    return pygame.Rect(bounds.x, bounds.y + (frame % REFRESH_FRAMES) * h, bounds.w, h).clip(bounds)
