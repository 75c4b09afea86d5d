"""What App.present sends (game/present.py): the drawing calls that differ from the last frame's,
merged into whole tiles. Checked against real drawing on a canvas: outside the rectangles
reported, two frames are the same pixel for pixel, however the calls were moved, dropped,
added or reordered."""

from __future__ import annotations

import random

import numpy as np
import pygame

from game.present import REFRESH_FRAMES, changed_rects, merge_rects, refresh_strip
from game.ui import Canvas, LRect, Theme

COLORS = (Theme.FOCUS, Theme.SUCCESS, Theme.NEAR, Theme.SKY, Theme.TEXT, Theme.PANEL)


def random_call(rng: random.Random) -> tuple:
    kind = rng.choice(("circle", "rect", "round", "ellipse", "line", "polygon", "text", "clipped"))
    x, y = rng.uniform(-20, 300), rng.uniform(-20, 170)
    return (kind, rng.choice(COLORS), x, y, rng.uniform(4, 60), rng.uniform(4, 40), rng.choice("AB12"))


def draw(c: Canvas, calls: list[tuple]) -> None:
    c.clear()
    for kind, color, x, y, w, h, word in calls:
        if kind == "circle":
            c.circle(color, (x, y), w / 2, width=2 if h > 20 else 0)
        elif kind == "rect":
            c.rect(color, LRect(x, y, w, h))
        elif kind == "round":
            c.rect(color, LRect(x, y, w, h), radius=4)
        elif kind == "ellipse":
            c.ellipse(color, LRect(x, y, w, h))
        elif kind == "line":
            c.line(color, (x, y), (x + w, y + h), 3)
        elif kind == "polygon":
            c.polygon(color, [(x, y), (x + w, y + h / 2), (x, y + h)])
        elif kind == "text":
            c.text(word, (x, y), size=20, color=color)
        else:  # an ellipse cut off along a line, as the bird's hills (the word says where)
            with c.clip(LRect(0, 0, 320, y + h * "AB12".index(word) / 3)):
                c.ellipse(color, LRect(x, y, w, h))


def frame(c: Canvas, calls: list[tuple]) -> tuple[np.ndarray, list]:
    c.track_damage()
    draw(c, calls)
    _layer, ops = c.damage()
    return pygame.surfarray.array3d(c.surface).copy(), ops


def edited(calls: list[tuple], rng: random.Random) -> list[tuple]:
    """The next frame: some calls moved, recoloured, reworded, dropped, added or swapped."""
    out = list(calls)
    for _ in range(rng.randrange(0, 5)):
        what = rng.choice(("move", "colour", "word", "drop", "add", "swap"))
        i = rng.randrange(len(out)) if out else 0
        if what == "move" and out:
            k, col, x, y, w, h, word = out[i]
            out[i] = (k, col, x + rng.uniform(-9, 9), y + rng.uniform(-9, 9), w, h, word)
        elif what == "colour" and out:
            out[i] = (out[i][0], rng.choice(COLORS), *out[i][2:])
        elif what == "word" and out:  # other words, or the same ellipse cut off elsewhere
            out[i] = (*out[i][:6], rng.choice("AB12"))
        elif what == "drop" and out:
            del out[i]
        elif what == "add":
            out.insert(i, random_call(rng))
        elif what == "swap" and len(out) > 1:
            j = rng.randrange(len(out))
            out[i], out[j] = out[j], out[i]
    return out


def test_outside_the_changed_rectangles_two_frames_are_the_same():
    pygame.font.init()
    rng = random.Random(7)
    c = Canvas(pygame.Surface((320, 180)))
    bounds = c.surface.get_rect()
    sent_share = []
    for _ in range(150):
        calls = [random_call(rng) for _ in range(rng.randrange(1, 30))]
        a, ops_a = frame(c, calls)
        b, ops_b = frame(c, edited(calls, rng))
        rects = merge_rects(changed_rects(ops_a, ops_b), bounds) or [bounds]
        outside = np.ones(a.shape[:2], bool)
        for r in rects:
            outside[r.left:r.right, r.top:r.bottom] = False
        assert (a[outside] == b[outside]).all(), "a changed pixel was left out"
        sent_share.append(1 - outside.mean())
    assert np.median(sent_share) < 0.5, "unchanged calls must not be sent"


def test_the_same_frame_sends_nothing_and_reordered_calls_are_sent():
    pygame.font.init()
    c = Canvas(pygame.Surface((320, 180)))
    calls = [("rect", Theme.FOCUS, 10, 10, 50, 30, "A"), ("circle", Theme.SKY, 40, 20, 40, 5, "A"),
             ("text", Theme.TEXT, 200, 100, 0, 0, "B")]
    _a, ops_a = frame(c, calls)
    _b, ops_b = frame(c, calls)
    assert changed_rects(ops_a, ops_b) == []
    _c, ops_c = frame(c, [calls[1], calls[0], calls[2]])  # the circle now under the rectangle
    changed = changed_rects(ops_a, ops_c)
    assert changed and all(r.colliderect(pygame.Rect(0, 0, 160, 90)) for r in changed)


def test_merged_rectangles_cover_every_change_inside_the_window():
    rng = random.Random(3)
    bounds = pygame.Rect(0, 0, 400, 300)
    joined = 0
    for _ in range(200):
        rects = [pygame.Rect(rng.randrange(-50, 420), rng.randrange(-50, 320), rng.randrange(0, 120),
                             rng.randrange(0, 90)) for _ in range(rng.randrange(0, 25))]
        out = merge_rects(rects, bounds)
        if out is None:
            continue  # most of the window: sent whole
        sent = np.zeros((bounds.w, bounds.h), bool)
        for r in out:
            assert bounds.contains(r)
            sent[r.left:r.right, r.top:r.bottom] = True
        for r in rects:
            r = r.clip(bounds)
            if r.w and r.h:
                assert sent[r.left:r.right, r.top:r.bottom].all(), "a change left out"
        joined += len(out) < sum(1 for r in rects if r.clip(bounds).w and r.clip(bounds).h)
    assert joined > 50, "pieces close together must be joined"
    # a moving shape's old and new places go as one; two far apart on a diagonal stay two
    assert len(merge_rects([pygame.Rect(10, 10, 40, 40), pygame.Rect(14, 12, 40, 40)], bounds)) == 1
    assert len(merge_rects([pygame.Rect(0, 0, 30, 30), pygame.Rect(300, 200, 30, 30)], bounds)) == 2


def test_the_refresh_strips_cover_the_window_every_two_seconds():
    for size in ((1920, 1080), (320, 180), (801, 599)):
        bounds = pygame.Rect((0, 0), size)
        seen = np.zeros(size, bool)
        for f in range(1000, 1000 + REFRESH_FRAMES):
            r = refresh_strip(f, bounds)
            seen[r.left:r.right, r.top:r.bottom] = True
        assert seen.all(), size


def test_the_birds_hills_cut_off_under_the_ground_are_the_same_pixels(tmp_path, monkeypatch):
    """The bird's hills are drawn only above the ground that hides their lower halves (a smaller
    change to send): the same frame as drawing them whole, in a full window and a letterboxed one
    (where nothing is cut, since the bars would show it)."""
    import contextlib

    from game.scenes.play import PlayScene
    from tests.helpers import make_app, run_until, scripted_set

    trace, _ = scripted_set(2, seed=3)
    app = make_app(tmp_path, trace, exercise="power_grip", reps=2, size=(480, 270))
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.t > 1.0)
    cuts = []
    real_clip = Canvas.clip

    def spy(self, r):
        cuts.append(r)
        return real_clip(self, r)

    for size, cut in (((480, 270), True), ((560, 270), False), ((480, 330), False)):
        app.canvas.set_surface(pygame.Surface(size))
        with monkeypatch.context() as m:
            m.setattr(Canvas, "clip", spy)
            cuts.clear()
            app.top.draw(app.canvas, 0.5)
            new = pygame.surfarray.array3d(app.canvas.surface).copy()
            assert bool(cuts) == cut, size
            m.setattr(Canvas, "clip", lambda self, r: contextlib.nullcontext())
            app.top.draw(app.canvas, 0.5)
            whole = pygame.surfarray.array3d(app.canvas.surface)
        assert (new == whole).all(), f"{size}: {int((new != whole).any(axis=2).sum())} pixels differ"
    app.shutdown()
