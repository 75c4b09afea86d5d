"""The four rolling games played end to end: scripted hands, the keyboard, the mouse."""

import pickle
import sqlite3

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.context import PlaySettings
from game.games import GAMES
from game.games.rolling import RollGame
from game.loop import STEP
from game.scenes.play import PlayScene
from game.scenes.results import ResultsScene
from game.records.storage import DB_NAME
from game.therapy.calibration import Calibration
from hardware.clock import ManualClock
from hardware.keyboard import FULL_SCALE, KeyboardBall
from hardware.scripted import ScriptedSource
from tests.helpers import CAL, make_app, run_until
from tests.roll_scripts import circle_script, stroke_script

STROKE_GAMES = {"thumb_flex_ext": "y", "table_roll": "y", "thumb_opposition": "x"}
ROLL_GAMES = [*STROKE_GAMES, "thumb_roll"]
STROKE_MIX = ["good"] * 4 + ["weak"] * 2 + ["slow"] * 2 + ["tiny"] * 2 + ["partial", "drift"]
CIRCLE_MIX = ["good"] * 4 + ["small"] * 2 + ["slow"] * 2 + ["tiny", "half", "line"]
SMALL = (320, 180)  # long headless runs draw into a small window: same logic, less pixel work


def script_for(exercise: str, seed: int, **kw):
    if exercise == "thumb_roll":
        return circle_script(CIRCLE_MIX, seed=seed, **kw)
    return stroke_script(STROKE_MIX, axis=STROKE_GAMES[exercise], seed=seed, **kw)


def reps_in_db(path):
    db = sqlite3.connect(path / DB_NAME)
    return db.execute("SELECT exercise, rep_number, success, failure, roll_range, target_pct FROM reps ORDER BY id"
                      ).fetchall()


def keyboard_app(tmp_path, exercise: str, reps: int, size: tuple[int, int] = SMALL) -> App:
    clock = ManualClock()
    kb = KeyboardBall(clock)
    return App(AppOptions(headless=True, data_dir=tmp_path, exercise=exercise, sound=False, window_size=size,
                          play=PlaySettings(reps_per_set=reps)),
               clock=clock, source=kb, calibration=Calibration(0.0, FULL_SCALE))


def hold(app: App, seconds: float) -> None:
    for _ in range(round(seconds / STEP)):
        app.clock.advance(STEP)
        app.frame()


def key(app: App, k: int, down: bool) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=k, mod=0))


def press(app: App, keys: list[int], seconds: float) -> None:
    for k in keys:
        key(app, k, True)
    hold(app, seconds)
    for k in keys:
        key(app, k, False)
    hold(app, 0.4)


def test_all_four_are_registered_rolling_games():
    for ex in ROLL_GAMES:
        assert issubclass(GAMES[ex], RollGame)
        assert GAMES[ex].exercise == ex and GAMES[ex].instruction


@pytest.mark.parametrize("exercise", ROLL_GAMES)
def test_full_set_by_script_counts_every_rep_and_only_reps(tmp_path, exercise):
    sc = script_for(exercise, seed=3)
    assert sc.reps == 8
    app = make_app(tmp_path, sc.trace, exercise=exercise, reps=sc.reps, size=SMALL)
    run_until(app, lambda: isinstance(app.top, ResultsScene), max_seconds=sc.trace[-1, 0] + 10)
    summary = app.top.summary
    assert summary.reps == sc.reps
    assert summary.successes == sc.good
    assert summary.ended == "completed"
    rows = reps_in_db(tmp_path)
    assert [r[1] for r in rows] == list(range(1, sc.reps + 1))
    assert sum(r[2] for r in rows) == sc.good
    assert sorted(r[3] for r in rows if r[3]) == ["too_small"] * (sc.reps - sc.good)
    assert all(r[0] == exercise and r[4] > 0 and r[5] == pytest.approx(50.0) for r in rows)
    app.shutdown()


def test_table_roll_pressing_too_hard_is_a_near_miss(tmp_path):
    sc = stroke_script(["good"] * 3, axis="y", seed=1, force=CAL.to_device(75.0))  # band is 10-50% MVC
    app = make_app(tmp_path, sc.trace, exercise="table_roll", reps=3, size=SMALL)
    run_until(app, lambda: isinstance(app.top, ResultsScene), max_seconds=sc.trace[-1, 0] + 10)
    assert app.top.summary.reps == 3 and app.top.summary.successes == 0
    assert [r[3] for r in reps_in_db(tmp_path)] == ["pressure_high"] * 3
    app.shutdown()


def test_same_seed_same_run(tmp_path):
    results = []
    for i in range(2):
        sc = script_for("thumb_roll", seed=5)
        d = tmp_path / str(i)
        app = make_app(d, sc.trace, exercise="thumb_roll", reps=sc.reps, size=SMALL)
        run_until(app, lambda: isinstance(app.top, ResultsScene), max_seconds=sc.trace[-1, 0] + 10)
        results.append((reps_in_db(d), app.frames))
        app.shutdown()
    assert results[0] == results[1]


@pytest.mark.parametrize("exercise", ROLL_GAMES)
def test_drawing_does_not_change_game_state(tmp_path, exercise):
    sc = script_for(exercise, seed=2)
    app = make_app(tmp_path, sc.trace, exercise=exercise, reps=sc.reps)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2)
    hold(app, 0.5)  # mid-movement or just after a rep: feedback and animations on screen
    game = app.top.game
    before = pickle.dumps(vars(game))
    for alpha in (0.0, 0.5, 1.0):
        app.draw(alpha)
        game.draw_demo(app.canvas, 1.3, mirror=True)
    assert pickle.dumps(vars(game)) == before
    app.shutdown()


def test_keyboard_thumb_flex_ext(tmp_path):
    app = keyboard_app(tmp_path, "thumb_flex_ext", reps=2)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    for _ in range(2):
        press(app, [pygame.K_UP], 0.6)  # 0.6 s at 120 units/s: 72 units, past the 45 target
        assert app.top.game.hint() == "Now roll back"
        press(app, [pygame.K_DOWN], 0.6)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.successes == 2
    app.shutdown()


def test_keyboard_short_tap_is_a_near_miss_and_a_tiny_one_nothing(tmp_path):
    app = keyboard_app(tmp_path, "thumb_opposition", reps=1)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    press(app, [pygame.K_RIGHT], 0.05)  # 6 units: a wiggle
    press(app, [pygame.K_LEFT], 0.05)
    assert app.top.game.reps_done == 0
    press(app, [pygame.K_RIGHT], 0.25)  # 30 units: short of the target
    press(app, [pygame.K_LEFT], 0.25)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.reps == 1 and app.top.summary.successes == 0
    app.shutdown()


def test_keyboard_table_roll_with_a_lighter_hand(tmp_path):
    app = keyboard_app(tmp_path, "table_roll", reps=1)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    key(app, pygame.K_MINUS, True)  # the imitated hand 60% -> 40%: inside the 10-50% band
    key(app, pygame.K_MINUS, False)
    key(app, pygame.K_MINUS, True)
    key(app, pygame.K_MINUS, False)
    key(app, pygame.K_SPACE, True)  # press on the ball...
    hold(app, 0.8)
    assert app.top.game.detector.pressure_state == "ok"
    press(app, [pygame.K_UP], 0.6)  # ...while rolling out and back
    press(app, [pygame.K_DOWN], 0.6)
    key(app, pygame.K_SPACE, False)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.successes == 1
    app.shutdown()


def test_keyboard_thumb_roll_circles_with_the_arrows(tmp_path):
    app = keyboard_app(tmp_path, "thumb_roll", reps=2)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    k = pygame
    # round the square twice: up, up-right, right, ... back to up (the turn is smoothed like a ball's)
    seq = [[k.K_UP], [k.K_UP, k.K_RIGHT], [k.K_RIGHT], [k.K_RIGHT, k.K_DOWN], [k.K_DOWN], [k.K_DOWN, k.K_LEFT],
           [k.K_LEFT], [k.K_LEFT, k.K_UP]]
    for keys in seq * 2 + [[k.K_UP]]:
        for kk in keys:
            key(app, kk, True)
        hold(app, 0.2)
        for kk in keys:
            key(app, kk, False)
    hold(app, 1.0)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.reps == 2
    app.shutdown()


def mouse_stroke(app: App, dx: float, dy: float, seconds: float = 0.6, steps: int = 12) -> None:
    """Move the mouse by (dx, dy) window pixels over ``seconds``, then back again."""
    for sign in (1, -1):
        for _ in range(steps):
            pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(640, 360),
                                                 rel=(sign * dx / steps, sign * dy / steps), buttons=(0, 0, 0)))
            hold(app, seconds / steps)
        hold(app, 0.8)  # a moment's rest at each end


def test_mouse_plays_thumb_opposition(tmp_path):
    app = keyboard_app(tmp_path, "thumb_opposition", reps=2, size=(1280, 720))
    run_until(app, lambda: isinstance(app.top, PlayScene))
    mouse_stroke(app, 160, 0)  # 160 px x 0.5 units/px = 80 units across, and back
    mouse_stroke(app, -160, 0)  # the other way round counts too
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.successes == 2
    app.shutdown()


def test_ball_without_motion_sensor_says_so_and_rolls_with_the_mouse(tmp_path):
    # A force-only ball (no roll channels): the game shows the note and the mouse rolls for it.
    t = np.arange(0, 60, 0.01)
    trace = np.column_stack([t, np.full_like(t, CAL.to_device(3.0))])
    clock = ManualClock()
    src = ScriptedSource(clock, trace, name="Ball")
    assert not src.info.has_roll
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise="thumb_flex_ext", sound=False,
                         window_size=(640, 360), play=PlaySettings(reps_per_set=1)),
              clock=clock, source=src, calibration=CAL)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    assert app.hub.roll_from_mouse and app.top.game.roll_from_mouse
    mouse_stroke(app, 0, -80)  # 80 window px in a half-size window: 160 logical px, 80 units
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.successes == 1
    app.shutdown()
