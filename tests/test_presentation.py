"""Frame-time work changes no pixel: a frame drawn through the caches (one fill where no
letterbox shows, static art copied from Canvas.sprite, rounded panels copied once drawn, plain
rectangles filled) is the same, pixel for pixel, as the same frame drawn the old way (two
fills, every shape drawn each frame with pygame.draw)."""

from __future__ import annotations

import contextlib

import numpy as np
import pygame
import pytest

from game.scenes.play import PlayScene
from game.ui import LOGICAL_H, LOGICAL_W, Canvas, LRect, Theme
from tests.helpers import make_app, run_until
from tests.test_games_roll import script_for


def old_clear(self: Canvas, color=Theme.BG) -> None:
    self.surface.fill((0, 0, 0))
    self.surface.fill(color, self.prect((0, 0, LOGICAL_W, LOGICAL_H)))


def direct_sprite(self: Canvas, key, area, paint, *, slot=None, repaint=None) -> None:
    paint(self)


def old_rect(self: Canvas, color, r, *, radius=0, width=0) -> None:
    pygame.draw.rect(self.surface, color, self.prect(r), self.plen(width) if width else 0,
                     border_radius=self.plen(radius) if radius else -1)


def frame_pixels(app) -> np.ndarray:
    app.draw(0.5)
    return pygame.surfarray.array3d(app.pg.display.get_surface()).copy()


def no_clip(self: Canvas, r):
    return contextlib.nullcontext()


def old_frame_pixels(app, monkeypatch) -> np.ndarray:
    """The frame drawn the old way: two fills, no sprite cache, every rectangle with pygame.draw,
    nothing clipped (the bird's hills are drawn whole, their lower halves under the ground)."""
    with monkeypatch.context() as m:
        m.setattr(Canvas, "clear", old_clear)
        m.setattr(Canvas, "sprite", direct_sprite)
        m.setattr(Canvas, "rect", old_rect)
        m.setattr(Canvas, "clip", no_clip)
        return frame_pixels(app)


@pytest.mark.parametrize(("exercise", "size"), [("thumb_opposition", (1920, 1080)),
                                                ("table_roll", (1000, 700))])  # full screen, and letterboxed
def test_a_frame_through_the_caches_matches_the_old_drawing(tmp_path, monkeypatch, exercise, size):
    sc = script_for(exercise, seed=2)
    app = make_app(tmp_path, sc.trace, exercise=exercise, reps=sc.reps, size=(320, 180))  # played small: quick
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2)
    pygame.display.set_mode(size)  # then drawn at the size under test
    results = [g.success for g in getattr(app.top.game, "gates", [])] or app.top.game.results
    assert any(results), "the row must hold marks for this to test anything"
    new = frame_pixels(app)
    again = frame_pixels(app)  # the second frame copies the cached row
    third = frame_pixels(app)  # and the rounded panels (cached once seen twice)
    assert app.canvas._sprites, "the caches must be in use for this to test anything"
    old = old_frame_pixels(app, monkeypatch)
    app.shutdown()
    assert (new == old).all(), f"{int((new != old).any(axis=2).sum())} pixels differ"
    assert (again == old).all() and (third == old).all()


def test_a_sprite_lands_where_direct_drawing_would_at_any_scale():
    for size in ((1920, 1080), (1366, 768), (801, 599), (320, 180)):
        a, b = pygame.Surface(size), pygame.Surface(size)
        ca, cb = Canvas(a), Canvas(b)

        def art(c: Canvas) -> None:
            c.circle(Theme.FOCUS, (413.3, 207.7), 19.4)
            c.rect(Theme.SUCCESS, LRect(401.5, 190.25, 33.3, 12.7), radius=4)
            c.line(Theme.NEAR, (380.1, 230.9), (470.6, 185.2), 3)
            c.circle(Theme.SKY, (455.0, 220.0), 9, width=2)

        ca.clear()
        cb.clear()
        ca.sprite(("art",), LRect(370, 180, 110, 60), art)
        art(cb)
        assert (pygame.surfarray.array3d(a) == pygame.surfarray.array3d(b)).all(), size


def test_the_sprite_cache_is_bounded_and_keyed():
    c = Canvas(pygame.Surface((1920, 1080)))
    calls = []

    def art(s: Canvas) -> None:
        calls.append(1)
        s.rect(Theme.FOCUS, LRect(0, 0, 1280, 100))

    c.sprite(("a",), LRect(0, 0, 1280, 100), art)
    c.sprite(("a",), LRect(0, 0, 1280, 100), art)
    assert len(calls) == 1  # drawn once, copied after
    c.sprite(("b",), LRect(0, 0, 1280, 100), art)
    assert len(calls) == 2  # another key is other art
    for i in range(60):
        c.sprite(("many", i), LRect(0, 0, 1280, 100), art)
    assert c._sprite_bytes <= 12_000_000
    before = len(c._sprites)
    for i in range(5):  # a row that grows rep by rep keeps only its current picture
        c.sprite(("row", i), LRect(0, 0, 600, 40), art, slot="row")
    assert len(c._sprites) == before + 1


@pytest.mark.parametrize("exercise", ["power_grip", "finger_squeeze"])  # the other force games: bench_frames
def test_force_games_through_the_caches_match_the_old_drawing(tmp_path, monkeypatch, exercise):
    from tests.helpers import scripted_set

    trace, _ = scripted_set(4, seed=3)
    app = make_app(tmp_path, trace, exercise=exercise, reps=4, size=(320, 180))
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 1
              and app.top.game.feedback_showing)
    pygame.display.set_mode((1920, 1080))
    new = [frame_pixels(app) for _ in range(3)]
    old = old_frame_pixels(app, monkeypatch)
    app.shutdown()
    for frame in new:
        assert (frame == old).all(), f"{int((frame != old).any(axis=2).sum())} pixels differ"


class ShadowScreen:
    """What the window shows: the frame is copied to it only where App.present sends it
    (all of it on flip, the given rectangles on update), as SDL does to a real window."""

    def __init__(self, monkeypatch) -> None:
        self.shadow: pygame.Surface | None = None
        self.partial = self.full = 0
        self.sent_pixels = 0
        monkeypatch.setattr(pygame.display, "flip", self.flip)
        monkeypatch.setattr(pygame.display, "update", self.update)

    def flip(self) -> None:
        self.full += 1
        self.shadow = pygame.display.get_surface().copy()

    def update(self, rects=None) -> None:
        screen = pygame.display.get_surface()
        if rects is None or self.shadow is None or self.shadow.get_size() != screen.get_size():
            return self.flip()
        self.partial += 1
        for r in rects:
            self.shadow.blit(screen, r, r)
            self.sent_pixels += r.w * r.h

    def matches(self) -> bool:
        a = pygame.surfarray.array3d(pygame.display.get_surface())
        return bool((pygame.surfarray.array3d(self.shadow) == a).all())


# finger squeeze moves weeds and bubbles all over the screen, small pieces each (game/present.py)
@pytest.mark.parametrize(("exercise", "partial"), [("thumb_opposition", True), ("pinch", True),
                                                   ("finger_squeeze", True)])
def test_the_window_shows_every_frame_exactly_though_only_changes_are_sent(tmp_path, monkeypatch, exercise,
                                                                           partial):
    if exercise == "thumb_opposition":
        sc = script_for(exercise, seed=2)
        trace, reps = sc.trace, sc.reps
    else:
        from tests.helpers import scripted_set

        trace, reps = scripted_set(3, n_weak=1, seed=3)
    screen = ShadowScreen(monkeypatch)
    app = make_app(tmp_path, trace, exercise=exercise, reps=reps, size=(320, 180))
    frames, bad = 0, []
    while frames < 600 and app.running:  # 10 s: squeezes or rolls, feedback, sparks
        app.clock.advance(1 / 60)
        app.frame()
        frames += 1
        if not screen.matches():
            bad.append(frames)
    app.shutdown()
    assert not bad, f"the window differed from the frame on {len(bad)} frames, first {bad[:5]}"
    if partial:
        assert screen.partial > frames / 2, "most frames should send only what changed"
        assert screen.sent_pixels < 0.6 * screen.partial * 320 * 180
