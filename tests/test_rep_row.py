"""The row of rep marks (game/games/rolling.py draw_rep_row; issue 17, frame budget) brought up to
date mark by mark is the same pixels as the whole row drawn afresh.

A rep used to redraw the whole cached row (300 overlapping marks: ~1 ms at 1080p, on the frame
the garden starts to roll on); now the copy is updated round the new marks only. The reference is
the row painted straight onto the window, mark by mark, as it always was. Compared for rows of
1 to 300 marks, random good and near-miss reps, one or a few at a time, a full window and two
letterboxed ones; the update must really be in use for this to test anything.
"""

from __future__ import annotations

import random

import pygame
import pytest

from game.games import rolling
from game.ui import Canvas, LRect

SIZES = ((1920, 1080), (1366, 768), (1000, 700))  # a full window and two with bars
BG = (30, 40, 60)
ROW = LRect(300, 150, 680, 52)  # the panel the marble garden draws the row on (x 340..940, y 176)


def _pixels(c: Canvas) -> bytes:
    return pygame.image.tobytes(c.surface.subsurface(c.prect(ROW).clip(c.surface.get_rect())), "RGB")


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("target", [300, 40, 7, 2, 1])
def test_the_row_updated_rep_by_rep_is_the_row_drawn_afresh(monkeypatch, size, target):
    rng = random.Random(target * 7919 + size[0])
    updated = []
    real = rolling.repaint_rep_row

    def counted(c, old, row):
        done = real(c, old, row)
        updated.append(done)
        return done

    monkeypatch.setattr(rolling, "repaint_rep_row", counted)
    cached, fresh = Canvas(pygame.Surface(size)), Canvas(pygame.Surface(size))
    results: list[bool] = []
    steps = 0
    while True:
        for c in (cached, fresh):
            c.surface.fill(BG)
        rolling.draw_rep_row(cached, results, target, y=176, x0=340, x1=940)
        rolling.paint_rep_row(fresh, results, target, y=176, x0=340, x1=940)
        assert _pixels(cached) == _pixels(fresh), f"{len(results)} of {target} reps"
        steps += 1
        if len(results) >= target:
            break
        # mostly one rep a frame; now and then two or three land together
        results += [rng.random() < 0.7 for _ in range(min(target - len(results), rng.choice((1, 1, 1, 2, 3))))]
    assert updated and all(updated) and len(updated) == steps - 1  # every later row was an update
    # A new set (fewer reps than the row shows) is drawn whole, and is still the same pixels.
    for c in (cached, fresh):
        c.surface.fill(BG)
    first = [not results[0]]  # a row this canvas has not drawn
    rolling.draw_rep_row(cached, first, target, y=176, x0=340, x1=940)
    rolling.paint_rep_row(fresh, first, target, y=176, x0=340, x1=940)
    assert len(updated) == steps and updated[-1] is False
    assert _pixels(cached) == _pixels(fresh)
