"""The power-grip game played end to end by scripted hands and by the keyboard."""

import copy
import sqlite3

import pygame
import pytest

from game.games.power_grip import PowerGripGame
from game.loop import STEP
from game.scenes.play import PlayScene
from game.scenes.results import ResultsScene
from game.records.storage import DB_NAME
from tests.helpers import make_app, run_until, scripted_set


def reps_in_db(tmp_path):
    db = sqlite3.connect(tmp_path / DB_NAME)
    return db.execute("SELECT rep_number, success, failure, peak_pct FROM reps ORDER BY id").fetchall()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_set_by_script_counts_every_rep_and_only_reps(tmp_path, seed):
    trace, n_reps = scripted_set(7, n_weak=3, n_subthreshold=4, seed=seed)
    assert n_reps == 10
    app = make_app(tmp_path, trace, reps=10)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    summary = app.top.summary
    assert summary.reps == 10
    assert summary.successes == 7
    assert summary.ended == "completed"
    rows = reps_in_db(tmp_path)
    assert [r[0] for r in rows] == list(range(1, 11))
    assert sum(r[1] for r in rows) == 7
    assert sorted(r[2] for r in rows if r[2]) == ["below_target"] * 3
    app.shutdown()


def test_same_seed_same_run(tmp_path):
    results = []
    for i in range(2):
        trace, _ = scripted_set(8, n_weak=2, seed=5)
        d = tmp_path / str(i)
        app = make_app(d, trace)
        run_until(app, lambda: isinstance(app.top, ResultsScene))
        results.append((reps_in_db(d), app.frames))
        app.shutdown()
    assert results[0] == results[1]


def test_drawing_does_not_change_game_state(tmp_path):
    trace, _ = scripted_set(10, seed=3)
    app = make_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 3)
    game = app.top.game
    before = copy.deepcopy({k: v for k, v in vars(game).items() if k not in ("setup", "detector")})
    det_before = copy.deepcopy(vars(game.detector))
    for alpha in (0.0, 0.5, 1.0):
        app.draw(alpha)
    assert {k: v for k, v in vars(game).items() if k not in ("setup", "detector")} == before
    assert vars(game.detector) == det_before
    app.shutdown()


def test_each_rep_is_in_the_database_the_moment_it_is_made(tmp_path):
    trace, _ = scripted_set(10, seed=4)
    app = make_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 4)
    # The records writer thread commits each rep a moment after it is made (off the
    # frame); once it has, another connection (as after a crash) sees them.
    app.store.flush()
    assert len(reps_in_db(tmp_path)) == app.top.game.reps_done
    app.shutdown()


def test_pause_stops_the_game_and_keeps_reps(tmp_path):
    trace, _ = scripted_set(10, seed=6)
    app = make_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2)
    play = app.top
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_p, mod=0))
    app.clock.advance(STEP)
    app.frame()
    assert app.top is not play and app.top.overlay
    t_before = play.game.t
    for _ in range(600):  # ten seconds paused: squeezes in the trace must not count
        app.clock.advance(STEP)
        app.frame()
    assert play.game.t == t_before
    reps_paused = play.game.reps_done
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_p, mod=0))
    run_until(app, lambda: app.top is play)
    assert play.game.reps_done == reps_paused
    app.shutdown()


def test_stop_button_ends_the_set_and_logs_it(tmp_path):
    trace, _ = scripted_set(10, seed=7)
    app = make_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 1)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(1200, 60)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(1200, 60)))
    app.clock.advance(STEP)
    app.frame()
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT, mod=0))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0))
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.ended == "stopped"
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("SELECT end_reason FROM sessions").fetchall() == [("stopped",)]
    app.shutdown()


def test_keyboard_player_completes_a_set(tmp_path):
    from game.therapy.calibration import Calibration
    from hardware.keyboard import FULL_SCALE, KeyboardBall

    from game.app import App, AppOptions
    from game.context import PlaySettings
    from hardware.clock import ManualClock

    clock = ManualClock()
    kb = KeyboardBall(clock)
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise="power_grip", sound=False,
                         play=PlaySettings(reps_per_set=3)),
              clock=clock, source=kb, calibration=Calibration(0.0, FULL_SCALE))
    for _ in range(3):
        run_until(app, lambda: app.top.game.hint() == "Squeeze!")
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0))
        run_until(app, lambda: app.top.game.hint() == "Now open your hand")
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_SPACE, mod=0))
        n = app.top.game.reps_done
        run_until(app, lambda: isinstance(app.top, ResultsScene) or app.top.game.reps_done == n + 1)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.successes == 3
    app.shutdown()


def test_window_close_quits_and_marks_the_session(tmp_path):
    trace, _ = scripted_set(10, seed=8)
    app = make_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 1)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    app.clock.advance(STEP)
    app.frame()
    assert not app.running
    app.shutdown()
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("SELECT end_reason FROM sessions").fetchall() == [("quit",)]


def test_rings_wait_for_a_slow_patient(tmp_path):
    """Nobody squeezes: the ring parks in front of the bird and waits."""
    import numpy as np

    from game.scenes.keep_going import KeepGoingScene

    trace = np.column_stack([np.arange(0, 60, 0.01), np.full(6000, 40.0)])
    app = make_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.t > 14)
    game = app.top.game
    assert isinstance(game, PowerGripGame)
    assert game.waiting_ring is not None and game.waiting_ring.x == pytest.approx(400.0)
    assert game.reps_done == 0
    # still nothing after the patient's 15 s: the set pauses and asks "Keep going?"; the ring still waits
    run_until(app, lambda: isinstance(app.top, KeepGoingScene), max_seconds=5)
    assert game.waiting_ring.x == pytest.approx(400.0) and game.reps_done == 0
    app.shutdown()
