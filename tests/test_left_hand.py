"""Left-hand layouts: every game laid out mirrored for a patient training the left hand.

The same scripted set is played with the trained hand set to right and to left:
the reps counted and saved must be identical (only drawing changes), the live
signal must be drawn on the left half of the screen for the left hand (checked
on the pixels of a rendered frame), the world must be the right-hand world
reflected, words must read normally, the Pause and Stop buttons must still be hit
where they are drawn, and drawing must change no state.
"""

from __future__ import annotations

import pickle
import sqlite3

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.context import PlaySettings
from game.games.base import WorldView
from game.input import Act, Action
from game.loop import STEP
from game.scenes.pause import PauseScene
from game.scenes.play import PAUSE_BUTTON, STOP_BUTTON, PlayScene
from game.scenes.results import ResultsScene
from game.scenes.stop import StopScene
from game.records.storage import DB_NAME, Store
from game.ui import Canvas, LRect, Theme
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from tests.helpers import CAL
from tests.left_hand_scripts import ALL_GAMES, trace_for
from tests.test_contrast import AA, SHARE, TextWatcher, contrast

FULL = (1280, 720)  # logical size: one logical unit is one pixel, so pixel checks read layout directly
SMALL = (320, 180)
BLANK = (255, 0, 255)  # a colour no game draws: what is not painted stays this


def app_for(tmp_path, game: str, hand: str, trace: np.ndarray, reps: int, size=SMALL) -> App:
    clock = ManualClock()
    return App(AppOptions(headless=True, data_dir=tmp_path, exercise=game, window_size=size, sound=False,
                          play=PlaySettings(reps_per_set=reps, hand=hand)),
               clock=clock, source=ScriptedSource(clock, trace, name="Script"), calibration=CAL,
               store=Store.in_dir(tmp_path))


def step(app: App, *, draw: bool) -> None:
    app.clock.advance(STEP)
    if draw:
        app.frame()
        return
    real = app.draw
    app.draw = lambda alpha: None  # type: ignore[method-assign]
    try:
        app.frame()
    finally:
        app.draw = real  # type: ignore[method-assign]


def play_until(app: App, cond, *, draw_every: int = 0, max_s: float = 200.0) -> None:
    for i in range(int(max_s / STEP)):
        if cond():
            return
        step(app, draw=bool(draw_every) and i % draw_every == 0)
    raise AssertionError("not reached in time")


def saved_reps(path) -> list[tuple]:
    db = sqlite3.connect(path / DB_NAME)
    rows = db.execute("SELECT hand, set_number, rep_number, success, failure, peak_pct, detail FROM reps "
                      "ORDER BY id").fetchall()
    db.close()
    return rows


def mid_set(tmp_path, game: str, hand: str, size=FULL) -> App:
    """A left or right game two reps in, with the third under way (bars up, marks shown)."""
    trace, reps = trace_for(game)
    app = app_for(tmp_path, game, hand, trace, reps, size)
    play_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2
               and app.top.game.detector.in_rep)
    return app


def signal_only(app: App) -> np.ndarray:
    """The pixels the live signal paints, drawn alone on a blank screen: (w, h) bool mask."""
    game = app.top.game
    surf = pygame.Surface(FULL)
    surf.fill(BLANK)
    game.draw_signal(Canvas(surf), game.signal_rect)
    return np.any(pygame.surfarray.array3d(surf) != BLANK, axis=2)


# ---------------------------------------------------------------- counting
@pytest.mark.parametrize("game", ALL_GAMES)
def test_left_hand_counts_exactly_what_the_right_hand_counts(tmp_path, game):
    """Same trace, both hands: the same reps, with the same results and measurements.

    The left-hand run draws every fourth frame and the right-hand run never draws,
    so this also shows that drawing (mirrored or not) changes nothing the detector sees."""
    trace, reps = trace_for(game)
    runs = {}
    for hand, draw_every in (("right", 0), ("left", 4)):
        d = tmp_path / hand
        d.mkdir()
        app = app_for(d, game, hand, trace, reps)
        play_until(app, lambda: isinstance(app.top, ResultsScene), draw_every=draw_every)
        assert (app.top.summary.reps, app.top.summary.ended) == (reps, "completed")
        app.shutdown()
        runs[hand] = saved_reps(d)
    right, left = runs["right"], runs["left"]
    assert len(right) == reps
    assert {r[0] for r in right} == {"right"} and {r[0] for r in left} == {"left"}  # saved with the hand trained
    assert [r[1:] for r in left] == [r[1:] for r in right]
    assert any(not r[3] for r in right) and any(r[3] for r in right)  # near misses and good reps both there


# ------------------------------------------------------------------- layout
@pytest.mark.parametrize("game", ALL_GAMES)
def test_left_hand_draws_the_live_signal_on_the_left_half(tmp_path, game):
    shown = {}
    for hand in ("right", "left"):
        d = tmp_path / hand
        d.mkdir()
        app = mid_set(d, game, hand)
        mask = signal_only(app)
        app.draw(0.0)
        frame = pygame.surfarray.array3d(app.screen)
        # the rendered frame shows the signal there: the signal is drawn over the world
        alone = pygame.Surface(FULL)
        alone.fill(BLANK)
        app.top.game.draw_signal(Canvas(alone), app.top.game.signal_rect)
        same = np.all(frame == pygame.surfarray.array3d(alone), axis=2)[mask].mean()
        assert same > 0.97, f"{hand}: only {same:.0%} of the signal's pixels are on screen"
        xs = np.nonzero(mask.any(axis=1))[0]
        shown[hand] = (xs.min(), xs.max())
        app.shutdown()
    (r0, r1), (l0, l1) = shown["right"], shown["left"]
    assert l1 < 640 - 200, f"left hand: the signal spans x {l0}..{l1}, not on the left"
    assert r0 > 640 + 200, f"right hand: the signal spans x {r0}..{r1}, not on the right"
    # the same width and the same distance from the edge: a true mirror of the layout
    assert abs((l1 - l0) - (r1 - r0)) <= 2 and abs(l0 - (FULL[0] - 1 - r1)) <= 2


def world_pixels(game_obj, mirror: bool) -> np.ndarray:
    """The world layer alone (no words), drawn for one hand: (w, h, 3)."""
    surf = pygame.Surface(FULL)
    c = Canvas(surf)
    c.text = lambda *a, **k: LRect(0, 0, 0, 0)  # type: ignore[method-assign]  # words never mirror: not compared
    game_obj.draw_world(WorldView(c, mirror), 0.0)
    return pygame.surfarray.array3d(surf)


def mirror_match(g) -> tuple[float, float]:  # noqa: ANN001 - a MiniGame
    """The share of the left world that matches the right world flipped, and unflipped
    (the row of marks at the top left out: it reads left to right for both hands)."""
    right, left = world_pixels(g, False), world_pixels(g, True)
    flipped = right[::-1, :, :]
    keep = np.ones(FULL[::-1], dtype=bool).T  # (w, h)
    keep[:, 130:215] = False  # the row of marks / finger-pair band: upright on purpose
    # a reflection about x = 640 lands one pixel off a flip of pixel columns: allow that shift
    best = max(np.all(left[a:FULL[0] - b] == flipped[b:FULL[0] - a], axis=2)[keep[a:FULL[0] - b]].mean()
               for a, b in ((0, 0), (1, 0), (0, 1)))
    plain = np.all(left == right, axis=2)[keep].mean()
    return best, plain


@pytest.mark.parametrize("game", ALL_GAMES)
def test_the_world_is_the_right_hand_world_reflected(tmp_path, game):
    """Drawn from the very same game state, the left world is the right world flipped
    (apart from the row of marks at the top, which reads left to right for both)."""
    app = mid_set(tmp_path, game, "left")
    best, plain = mirror_match(app.top.game)
    assert best > 0.97, f"{game}: the left world matches the mirrored right world on only {best:.1%}"
    # and it is not simply symmetric: unmirrored, it would not match
    assert plain < best - 0.01, f"{game}: the world looks the same unmirrored ({plain:.1%})"
    app.shutdown()


def test_words_in_a_mirrored_world_read_normally(tmp_path, monkeypatch):
    """Pinch's 'hold here' label moves to the other end of the band, letters not reversed."""
    calls = []
    real = Canvas.text

    def spy(self, text, pos, **kw):  # noqa: ANN001, ANN202, ANN003
        r = real(self, text, pos, **kw)
        calls.append((text, pos, kw, r))
        return r

    app = mid_set(tmp_path, "pinch", "left")
    monkeypatch.setattr(Canvas, "text", spy)
    app.draw(0.0)
    (text, pos, kw, r), = [c for c in calls if c[0] == "hold here"]
    assert pos[0] == pytest.approx(FULL[0] - 200)  # the right-hand layout has it at x = 200
    glyphs = app.canvas.text_surface(text, kw["size"], kw["color"], kw["bold"])
    alpha = pygame.surfarray.array_alpha(glyphs) > 250  # the letters' solid cores
    shown = pygame.surfarray.array3d(app.screen)[round(r.x): round(r.x) + glyphs.get_width(),
                                                 round(r.y): round(r.y) + glyphs.get_height()].astype(int)
    is_text = np.all(np.abs(shown - np.array(kw["color"])) <= 30, axis=2)
    as_drawn = (is_text & alpha).sum() / alpha.sum()
    reversed_ = (is_text & alpha[::-1, :]).sum() / alpha.sum()
    assert as_drawn > 0.95, as_drawn  # the letters as rendered, reading left to right
    assert reversed_ < 0.75, reversed_  # not their mirror image
    app.shutdown()


@pytest.mark.parametrize("game", ["power_grip", "finger_squeeze", "thumb_opposition"])
def test_every_word_on_a_left_hand_frame_keeps_its_contrast(tmp_path, monkeypatch, game):
    watcher = TextWatcher()
    monkeypatch.setattr(Canvas, "text", watcher.wrap(Canvas.text))
    app = mid_set(tmp_path, game, "left")
    watcher.records.clear()
    app.draw(0.0)
    app.shutdown()
    assert watcher.records
    bad = [f"'{t}' {c} on {bg}: {contrast(c, bg):.2f}" for t, c, bgs in watcher.records for bg, share in bgs
           if share >= SHARE and contrast(c, bg) < AA]
    assert not bad, "\n".join(bad)


# ------------------------------------------------------------------ buttons
@pytest.mark.parametrize("game", ["power_grip", "table_roll"])
def test_pause_and_stop_are_hit_where_they_are_drawn_for_the_left_hand(tmp_path, game):
    app = mid_set(tmp_path, game, "left")
    app.draw(0.0)
    frame = app.screen
    for rect, colour in ((PAUSE_BUTTON, Theme.PANEL), (STOP_BUTTON, Theme.STOP)):
        x, y = rect.x + 8, rect.y + rect.h - 8  # inside the button, clear of its icon and word
        assert tuple(frame.get_at((round(x), round(y))))[:3] == colour
    app.apply(app.top.handle(Action(Act.CLICK, pos=PAUSE_BUTTON.center)))
    assert isinstance(app.top, PauseScene)
    app.apply(app.top.handle(Action(Act.BACK)))
    app.apply(app.top.handle(Action(Act.CLICK, pos=STOP_BUTTON.center)))
    assert isinstance(app.top, StopScene)
    app.shutdown()


# ------------------------------------------------------------------ drawing
@pytest.mark.parametrize("game", ALL_GAMES)
def test_drawing_the_left_hand_layout_changes_no_state(tmp_path, game):
    app = mid_set(tmp_path, game, "left", size=SMALL)
    g = app.top.game
    before = pickle.dumps(vars(g))
    for alpha in (0.0, 0.5, 1.0, 1.0):
        app.draw(alpha)
        g.draw_demo(app.canvas, 1.1, mirror=True)
    assert pickle.dumps(vars(g)) == before
    app.shutdown()


# ------------------------------------------------------------ the world view
def test_world_view_reflects_shapes_and_keeps_symbols_upright():
    pygame.font.init()
    surf = pygame.Surface(FULL)
    c = Canvas(surf)
    w = WorldView(c, True)
    assert w.mx(400) == 880 and w.mx(w.mx(123.5)) == 123.5
    assert WorldView(c, False).mx(400) == 400
    placed = []
    c_text = c.text
    c.text = lambda text, pos, **kw: placed.append((pos, kw["anchor"])) or c_text(text, pos, **kw)  # type: ignore
    w.text("x", (100, 50), anchor="midleft")
    w.text("x", (100, 50))
    assert placed == [((1180, 50), "midright"), ((1180, 50), "center")]  # to the left of the mirrored point
    got = []
    w.symbol(lambda canvas, center, size: got.append((canvas, center, size)), (100, 60), 40)
    assert got == [(c, (1180, 60), 40)]  # drawn on the plain canvas: a tick stays a tick
    # an arc on the right of its box (a ring's front) lands on the left of the mirrored box
    surf.fill(BLANK)
    w.arc((0, 0, 0), (100, 100, 200, 200), -np.pi / 2, np.pi / 2, 6)
    px = pygame.surfarray.array3d(surf)
    painted = np.nonzero(np.any(px != BLANK, axis=2))[0]
    assert painted.min() >= 1280 - 300 - 1 and painted.max() <= 1280 - 200 + 1
    assert w.same_turn(0.3) == pytest.approx(np.pi - 0.3) and WorldView(c, False).same_turn(0.3) == 0.3
