"""Shapes drawn as one cached copy (game/shape_group.py; issue 17, frame budget) are the same
pixels as the same shapes drawn one by one.

The reference is the old drawing, computed here: the same game drawn with ``WorldView.group``
painting its shapes straight onto the canvas, as the games did before. Compared for the two
second games (the marble garden and the balloon), every stage, both hands, a full window and two
letterboxed ones, at moments while the scene scrolls; and for random groups of every kind of shape
at random sub-pixel places. The copies must really be in use for either to test anything.
"""

from __future__ import annotations

import math
import random

import pygame
import pytest

from game.games import base
from game.games.balloon import BalloonGame
from game.games.base import GameSetup, MiniGame, WorldView
from game.games.marble import MarbleGame, _bloom_discs
from game.loop import STEP
from game.shape_group import draw_group
from game.therapy.force_reps import ForceRepSettings
from game.ui import Canvas, LRect
from tests.helpers import CAL
from tests.left_hand_scripts import feed_step, force_set, trace_for

SIZES = ((1920, 1080), (1366, 768), (1000, 700))  # a full window and two with bars


def _direct(self: WorldView, paint) -> None:
    paint(self)


def _circles(self: WorldView, discs) -> None:
    for color, x, y, r in discs:
        self.circle(color, (x, y), r)


_cached_backdrop = MiniGame.draw_backdrop


def _live(self, w, paint, still=None, paint_still=None) -> None:
    _cached_backdrop(self, w, paint)
    if paint_still is not None:
        paint_still(w)


def _groups(c: Canvas) -> int:
    return sum(1 for k in c._sprites if k[0] == "group")


@pytest.mark.parametrize("game_class", [MarbleGame, BalloonGame], ids=["marble", "balloon"])
def test_a_second_game_draws_the_same_frames_through_the_cached_groups(monkeypatch, game_class):
    pygame.font.init()
    if game_class is MarbleGame:
        trace, n = trace_for("table_roll", seed=7)
        moments = (4.0, 13.0, 15.0, 20.0)  # waiting at a flower, rolling on to the next, waiting, rolling
    else:
        trace, n = force_set(seed=11, n_good=5, n_weak=2)
        moments = (3.3, 5.1, 6.6, 9.0)  # a hold on the waiting hill, hills coming in and leaving
    compared = still = 0
    for stage in range(1, 6):
        for hand in ("right", "left"):
            setup = GameSetup(CAL, ForceRepSettings(), n, random.Random(stage), hand=hand, stage=stage)
            g = game_class(setup)
            surfs = {size: (pygame.Surface(size), pygame.Surface(size)) for size in SIZES}
            canvases = {size: (Canvas(a), Canvas(b)) for size, (a, b) in surfs.items()}
            i, t = 0, 0.0
            for moment in moments:
                while t < moment:
                    t += STEP
                    i = feed_step(g, trace, i, t)
                size = SIZES[(stage + moments.index(moment)) % len(SIZES)]
                new_c, old_c = canvases[size]
                for alpha in (0.0, 0.5):
                    for _ in range(2):  # a group is copied once it has been asked for twice
                        g.draw(new_c, alpha)
                    still += base._still["key"] is not None and base._still["key"][1][0] is g
                    with monkeypatch.context() as m:
                        m.setattr(WorldView, "group", _direct)
                        m.setattr(WorldView, "discs", _circles)
                        m.setattr(MiniGame, "draw_backdrop", _live)
                        g.draw(old_c, alpha)
                    new, old = (pygame.surfarray.pixels3d(s) for s in surfs[size])
                    diff = int((new != old).any(axis=2).sum())
                    del new, old
                    assert diff == 0, f"{game_class.__name__} stage {stage} {hand} t={moment} {size}: {diff} pixels differ"
                    compared += 1
            assert sum(_groups(a) for a, _b in canvases.values()) >= 3, "the cached copies must be in use"
    assert compared == 5 * 2 * len(moments) * 2
    assert still >= compared // 4, f"the still picture was in use in {still} of {compared} frames"


def _random_group(rng: random.Random, x: float, y: float):
    shapes = []
    for _ in range(rng.randint(2, 6)):
        kind = rng.choice("celLpR")
        col = (rng.randrange(250), rng.randrange(256), rng.randrange(256))
        dx, dy = rng.uniform(-30, 30), rng.uniform(-30, 30)
        w = rng.choice((0, 0, 1, 3, 5))
        pts = [(dx + rng.uniform(-20, 20), dy + rng.uniform(-20, 20)) for _ in range(rng.randint(3, 7))]
        shapes.append((kind, col, dx, dy, w, pts, rng.uniform(3, 30), rng.uniform(3, 30), rng.choice((0, 0, 6))))

    def paint(c: WorldView) -> None:
        for kind, col, dx, dy, w, pts, a, b, radius in shapes:
            moved = [(x + px, y + py) for px, py in pts]
            if kind == "c":
                c.circle(col, (x + dx, y + dy), a, width=w)
            elif kind == "e":
                c.ellipse(col, LRect(x + dx, y + dy, a, b), width=w)
            elif kind == "l":
                c.line(col, moved[0], moved[1], max(1, w))
            elif kind == "L":
                c.lines(col, moved, max(1, w))
            elif kind == "p":
                c.polygon(col, moved, width=w)
            else:
                c.rect(col, LRect(x + dx, y + dy, a, b), radius=radius, width=w)
    return paint


def test_random_groups_of_shapes_are_the_same_pixels_as_drawn_one_by_one():
    pygame.font.init()
    rng = random.Random(3)
    copied = 0
    for size in SIZES:
        for mirror in (False, True):
            a, b = pygame.Surface(size), pygame.Surface(size)
            ca, cb = Canvas(a), Canvas(b)
            for _ in range(30):
                x, y = rng.uniform(-20, 1300), rng.uniform(-20, 740)  # some cross the window's edges
                paint = _random_group(rng, x, y)
                for _ in range(3):  # drawn straight on, then copied from a new copy, then from the cache
                    WorldView(ca, mirror).group(paint)
                    paint(WorldView(cb, mirror))
                    px, py = ca.px(WorldView(ca, mirror).mx(x), y)  # the pixels round the group: ±60 logical
                    m = ca.plen(90)
                    area = (slice(max(0, px - m), max(0, px + m)), slice(max(0, py - m), max(0, py + m)))
                    diff = pygame.surfarray.pixels3d(a)[area] != pygame.surfarray.pixels3d(b)[area]
                    diff = diff.any(axis=2)
                    assert not diff.any(), f"{size} mirror={mirror} at ({x:.2f}, {y:.2f}): {int(diff.sum())} pixels"
            copied += _groups(ca)
    assert copied >= 150


def test_a_bloom_is_the_discs_it_always_was():
    """The marble garden's bloom as (colour, x, y, radius) is the old drawing's arithmetic exactly."""
    rng = random.Random(4)
    for _ in range(500):
        x, y, r = rng.uniform(-50, 1400), rng.uniform(-50, 800), rng.choice((12, 20, 36, 28))
        colour, heart = (204, 121, 167), rng.choice((None, (120, 76, 40)))
        old = []
        for k in range(6):  # the old _draw_bloom, as it was written
            a = k * math.pi / 3
            old.append((colour, x + math.cos(a) * r * 0.6, y + math.sin(a) * r * 0.6, r * 0.45))
        old.append((heart or (240, 228, 66), x, y, r * 0.35))
        assert _bloom_discs((x, y), r, colour, heart) == old


def test_a_group_cannot_hold_words():
    c = Canvas(pygame.Surface((320, 180)))
    with pytest.raises(AttributeError):
        draw_group(c, lambda rec: rec.text("Hello", (10, 10)))


@pytest.mark.parametrize(("exercise", "game"), [("table_roll", "marble"), ("power_grip", "balloon")])
def test_the_window_shows_every_frame_of_a_second_game_though_only_changes_are_sent(tmp_path, monkeypatch,
                                                                                  exercise, game):
    """The still picture is recorded as the scenery with the still shapes' drawing calls over it,
    so App.present sends the window exactly what changed, as when they are drawn live."""
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.records.storage import Store
    from game.scene import Push
    from game.scenes.play import PlayScene
    from hardware.clock import ManualClock
    from hardware.scripted import ScriptedSource
    from tests.test_presentation import ShadowScreen

    trace, reps = trace_for(exercise, seed=5)
    clock = ManualClock()
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise=None, window_size=(320, 180), sound=False,
                         game=game, play=PlaySettings(reps_per_set=reps)),
              clock=clock, source=ScriptedSource(clock, trace, name="Script"), calibration=CAL,
              store=Store.in_dir(tmp_path))
    screen = ShadowScreen(monkeypatch)
    app.apply(Push(PlayScene(exercise, stage=5)))
    frames, bad, still = 0, [], 0
    while frames < 600 and app.running:  # 10 s: moving and waiting, feedback, sparks
        clock.advance(1 / 60)
        app.frame()
        frames += 1
        still += base._still["key"] is not None and base._still["key"][1][0] is app.top.game
        if not screen.matches():
            bad.append(frames)
    app.shutdown()
    assert not bad, f"the window differed from the frame on {len(bad)} frames, first {bad[:5]}"
    assert still > frames / 4, f"the still picture was in use on {still} of {frames} frames"
    assert screen.partial > frames / 2, "most frames should send only what changed"
