"""The balloon's cheaper drawing (issue 17, frame budget) is the same picture pixel for pixel.

Where the meadow spans the window, it is painted once with the stage's still picture (the cached
backdrop, per stage, window size and hand) and the hills are cut off at its top edge; in a
letterboxed window both are drawn live as before (the bars would show the cut). The reference
frame is the old order: the backdrop without the meadow, whole hills, the meadow over them, the
dark strip last. Compared at moments with a hill crossing each edge of the window, for both
hands, stages with each twist, a full window and letterboxed ones.
"""

from __future__ import annotations

import random

import numpy as np
import pygame
import pytest

from game.games import base
from game.games.balloon import GROUND, HILL_AHEAD, HILL_HALF, BalloonGame
from game.games.base import GameSetup, WorldView
from game.loop import STEP
from game.therapy.force_reps import ForceRepSettings
from game.ui import LOGICAL_W, Canvas
from tests.helpers import CAL
from tests.left_hand_scripts import feed_step, force_set

MOMENTS = (3.3, 5.1, 6.6)  # a hold on the waiting hill; a hill coming in on the right; one leaving on the left


def frames(g: BalloonGame, size: tuple[int, int]) -> list[np.ndarray]:
    surf = pygame.Surface(size)
    c = Canvas(surf)
    out = []
    for alpha in (0.0, 0.6):
        g.draw(c, alpha)
        out.append(pygame.surfarray.array3d(surf).copy())
    return out


@pytest.mark.parametrize("size", [(1920, 1080), (1000, 700)])  # a full window, and one with bars
def test_the_balloon_draws_the_same_frame_as_painting_the_meadow_over_whole_hills(monkeypatch, size):
    pygame.init()
    spans = WorldView(Canvas(pygame.Surface(size)), False).hides_below(GROUND)
    assert spans == (size == (1920, 1080)), "both ways of drawing must be under test"
    trace, n = force_set(seed=11, n_good=5, n_weak=2)
    edges = set()
    for stage, hand in ((1, "right"), (4, "left"), (5, "right"), (5, "left")):
        g = BalloonGame(GameSetup(CAL, ForceRepSettings(), n, random.Random(0), hand=hand, stage=stage))
        i, t = 0, 0.0
        for moment in MOMENTS:
            while t < moment:
                t += STEP
                i = feed_step(g, trace, i, t)
            for r in g.rings:
                cx = r.x + HILL_AHEAD
                edges |= {"left"} if cx - HILL_HALF < 0 < cx + HILL_HALF else set()
                edges |= {"right"} if cx - HILL_HALF < LOGICAL_W < cx + HILL_HALF else set()
            new = frames(g, size)
            with monkeypatch.context() as m:  # the old order, with a backdrop painted that way
                m.setattr(WorldView, "hides_below", lambda self, cover: False)
                m.setattr(base, "_backdrops", type(base._backdrops)())
                olds = frames(g, size)
            for frame, old in zip(new, olds):
                assert (frame == old).all(), (f"stage {stage} {hand} t={moment} {size}: "
                                              f"{int((frame != old).any(axis=2).sum())} pixels differ")
    assert edges == {"left", "right"}, edges
