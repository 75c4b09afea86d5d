"""The force games (power grip, pinch, finger press, finger squeeze) played end to end.

Each set is played headless by a scripted hand whose movements are known: good
squeezes and slow paretic ones count as successes, weak ones count as near misses,
and movements too small or too brief to be a rep (sub-threshold pushes, twitches)
must not count at all.
"""

from __future__ import annotations

import copy
import json
import random
import sqlite3

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.context import PlaySettings
from game.games import GAMES
from game.games.base import GameSetup
from game.games.finger_squeeze import DEFAULT_PAIRS, FingerSqueezeGame
from game.loop import STEP
from game.program import ExercisePlan
from game.scenes.demo import DemoScene
from game.scenes.play import PlayScene
from game.scenes.results import ResultsScene
from game.records.storage import DB_NAME
from game.therapy.force_reps import EXERCISE_TIMINGS, ForceRepSettings
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, CAL, make_app, pct, run_until

FORCE_GAMES = ["power_grip", "pinch", "finger_flexion", "finger_squeeze"]
SMALL = (320, 180)  # drawing still runs every frame, on a small window to keep the suite quick

# kind -> (counted, success)
OUTCOME = {"good": (True, True), "slow": (True, True), "weak": (True, False), "tiny": (False, False),
           "twitch": (False, False), "quick": (True, True)}


def movement(kind: str, t: float, rng: np.random.Generator) -> Squeeze:
    if kind == "good":
        return Squeeze(t, pct(rng.uniform(28, 40)), rise=rng.uniform(0.3, 0.8), hold=rng.uniform(0.8, 1.4),
                       release=rng.uniform(0.3, 1.0))
    if kind == "slow":  # a paretic hand: slow to close, very slow to let go
        return Squeeze(t, pct(rng.uniform(28, 36)), rise=2.0, hold=1.0, release=4.5)
    if kind == "weak":
        return Squeeze(t, pct(rng.uniform(10, 15)), rise=0.5, hold=1.0, release=0.6)
    if kind == "tiny":  # a push that never reaches the start threshold
        return Squeeze(t, pct(2.5), rise=0.5, hold=1.0, release=0.5)
    if kind == "twitch":  # strong but far too brief to be a squeeze: a knock on the ball, 40 ms in all
        # (an 80 ms flick at 30% MVC is, after the 10 Hz tremor filter, as wide as a
        # 0.1 s finger press, and the finger press game counts it as one)
        return Squeeze(t, pct(30), rise=0.02, hold=0.0, release=0.02)
    if kind == "quick":  # a quick finger press
        return Squeeze(t, pct(rng.uniform(28, 36)), rise=0.08, hold=0.05, release=0.12)
    raise ValueError(kind)


def scripted(kinds: list[str], seed: int, gap: tuple[float, float] = (1.2, 2.5)) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    kinds = list(kinds)
    rng.shuffle(kinds)
    squeezes, t = [], 3.0
    for k in kinds:
        squeezes.append(movement(k, t, rng))
        t = squeezes[-1].end + rng.uniform(*gap)
    trace = synth_trace(squeezes, t + 6, baseline=BASE, noise_sd=1.5, tremor_hz=9, tremor_amp=pct(2), seed=seed)
    return trace, kinds


def reps_in_db(path):
    db = sqlite3.connect(path / DB_NAME)
    rows = db.execute("SELECT rep_number, success, failure, peak_pct, detail FROM reps ORDER BY id").fetchall()
    db.close()
    return rows


def play_set(tmp_path, exercise: str, trace: np.ndarray, reps: int, **kw) -> App:
    app = make_app(tmp_path, trace, exercise=exercise, reps=reps, size=SMALL, **kw)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    return app


MIX = ["good"] * 5 + ["slow"] * 2 + ["weak"] * 3 + ["tiny"] * 2 + ["twitch"] * 2


@pytest.mark.parametrize("exercise", FORCE_GAMES)
def test_full_set_counts_exactly_the_scripted_reps(tmp_path, exercise):
    # finger press: two of the good squeezes are quick presses instead
    kinds = MIX if exercise != "finger_flexion" else ["quick"] * 2 + MIX[2:]
    trace, order = scripted(kinds, seed=11)
    counted = [k for k in order if OUTCOME[k][0]]
    assert len(counted) == 10
    app = play_set(tmp_path, exercise, trace, reps=len(counted))
    s = app.top.summary
    assert (s.reps, s.ended) == (10, "completed")
    assert s.successes == sum(OUTCOME[k][1] for k in counted)
    app.shutdown()
    rows = reps_in_db(tmp_path)
    assert [r[0] for r in rows] == list(range(1, 11))
    # rep by rep, in the order the script made them: success where it should be, below target where weak
    assert [bool(r[1]) for r in rows] == [OUTCOME[k][1] for k in counted]
    assert [r[2] for r in rows if not r[1]] == ["below_target"] * 3


@pytest.mark.parametrize("exercise", FORCE_GAMES)
def test_movements_that_are_not_reps_never_count(tmp_path, exercise):
    """Only sub-threshold pushes and twitches: the set must stay at 0 and wait."""
    trace, _ = scripted(["tiny"] * 4 + ["twitch"] * 4, seed=3)
    app = make_app(tmp_path, trace, exercise=exercise, reps=3, size=SMALL)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.t >= 28.0)
    assert app.top.game.reps_done == 0
    assert not app.top.game.finished
    app.shutdown()


def test_quick_finger_presses_count_with_the_exercise_timings(tmp_path):
    """Presses 0.25 s long, 0.35 s apart: finger press counts every one; power grip's slower timings would not."""
    trace, _ = scripted(["quick"] * 8, seed=5, gap=(0.35, 0.4))
    app = play_set(tmp_path, "finger_flexion", trace, reps=8)
    assert (app.top.summary.reps, app.top.summary.successes) == (8, 8)
    app.shutdown()
    # the same hand in the power-grip game: several presses merge or fall under the minimums
    grip_dir = tmp_path / "grip"
    app = make_app(grip_dir, trace, exercise="power_grip", reps=8, size=SMALL)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.t >= 12.0)
    assert app.top.game.successes < 8
    app.shutdown()


@pytest.mark.parametrize("exercise", FORCE_GAMES)
def test_same_seed_same_run(tmp_path, exercise):
    runs = []
    for i in range(2):
        trace, _ = scripted(["good"] * 3 + ["weak"], seed=21)
        d = tmp_path / str(i)
        app = play_set(d, exercise, trace, reps=4)
        runs.append((app.frames, app.top.summary))
        app.shutdown()
        runs[-1] += (reps_in_db(d),)
    assert runs[0] == runs[1]


@pytest.mark.parametrize("exercise", FORCE_GAMES)
def test_the_seed_drives_the_scenery_and_nothing_else(exercise):
    def world(seed: int):
        setup = GameSetup(CAL, ForceRepSettings(), 10, random.Random(seed))
        g = GAMES[exercise](setup)
        return {k: v for k, v in vars(g).items() if k not in ("setup", "detector", "rng")}

    assert world(1) == world(1)
    assert world(1) != world(2)


def _state(game):
    return copy.deepcopy({k: v for k, v in vars(game).items() if k not in ("setup", "detector", "rng")})


@pytest.mark.parametrize("exercise", FORCE_GAMES)
def test_drawing_twice_changes_no_game_state(tmp_path, exercise):
    trace, _ = scripted(["good"] * 6, seed=4)
    app = make_app(tmp_path, trace, exercise=exercise, reps=6, size=SMALL)
    # mid-set, in the middle of a squeeze, with feedback on screen
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2
              and app.top.game.detector.in_rep)
    game = app.top.game
    before, det_before = _state(game), copy.deepcopy(vars(game.detector))
    for alpha in (0.0, 0.5, 1.0, 1.0):
        app.draw(alpha)
    for t in (0.0, 1.3, 5.0):
        game.draw_demo(app.canvas, t, False)
        game.draw_demo(app.canvas, t, True)
    assert _state(game) == before
    assert vars(game.detector) == det_before
    app.shutdown()


@pytest.mark.parametrize("exercise", ["pinch", "finger_flexion", "finger_squeeze"])
@pytest.mark.parametrize("device", ["keyboard", "mouse"])
def test_keyboard_and_mouse_play_a_set(tmp_path, exercise, device):
    from game.therapy.calibration import Calibration
    from hardware.keyboard import FULL_SCALE, KeyboardBall

    clock = ManualClock()
    kb = KeyboardBall(clock)
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise=exercise, sound=False, window_size=SMALL,
                         play=PlaySettings(reps_per_set=3)),
              clock=clock, source=kb, calibration=Calibration(0.0, FULL_SCALE))
    down = (pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0) if device == "keyboard"
            else pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(100, 120)))
    up = (pygame.event.Event(pygame.KEYUP, key=pygame.K_SPACE, mod=0) if device == "keyboard"
          else pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(100, 120)))
    for _ in range(3):
        t0 = app.top.game.t
        run_until(app, lambda: app.top.game.t >= t0 + 2.5)
        n = app.top.game.reps_done
        pygame.event.post(down)
        run_until(app, lambda: app.top.game.t >= t0 + 4.0)
        pygame.event.post(up)
        run_until(app, lambda: isinstance(app.top, ResultsScene) or app.top.game.reps_done == n + 1)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert (app.top.summary.reps, app.top.summary.successes) == (3, 3)
    app.shutdown()


# ------------------------------------------------------------------ finger pairs
def test_finger_squeeze_works_through_the_pairs_set_by_set():
    plan = ExercisePlan("finger_squeeze", sets=4, finger_pairs=("index-middle", "middle-ring", "ring-little"))
    pairs = [FingerSqueezeGame(GameSetup(CAL, ForceRepSettings(), 10, random.Random(0), plan=plan, set_number=n))
             .finger_pair for n in (1, 2, 3, 4)]
    assert pairs == ["index-middle", "middle-ring", "ring-little", "index-middle"]
    no_plan = FingerSqueezeGame(GameSetup(CAL, ForceRepSettings(), 10, random.Random(0), set_number=2))
    assert no_plan.finger_pair == DEFAULT_PAIRS[1]


def test_finger_squeeze_saves_the_pair_with_every_rep(tmp_path):
    trace, _ = scripted(["good"] * 3, seed=8)
    app = play_set(tmp_path, "finger_squeeze", trace, reps=3)
    app.shutdown()
    details = [json.loads(r[4]) for r in reps_in_db(tmp_path)]
    assert [d["finger_pair"] for d in details] == ["index-middle"] * 3


def test_plan_timing_overrides_win_over_the_exercise_defaults():
    plan = ExercisePlan("finger_flexion", detector={"min_gap_s": 0.5})
    g = GAMES["finger_flexion"](GameSetup(CAL, ForceRepSettings(hold_s=1.0), 10, random.Random(0), plan=plan))
    s = g.detector.settings
    assert s.min_gap_s == 0.5  # the level file's word
    assert s.min_rep_s == EXERCISE_TIMINGS["finger_flexion"]["min_rep_s"] < ForceRepSettings().min_rep_s and s.hold_s == 0.0  # the exercise's own timings
    g.retune(target_pct=30.0)
    assert g.detector.settings.target_pct == 30.0


# ------------------------------------------------------------------ demonstration
def _demo_app(tmp_path, trace, exercise="pinch", hand="right"):
    clock = ManualClock()
    src = ScriptedSource(clock, trace, name="Script")
    return App(AppOptions(headless=True, data_dir=tmp_path, exercise=exercise, window_size=SMALL, sound=False,
                          demos=True, play=PlaySettings(reps_per_set=2, hand=hand)),
               clock=clock, source=src, calibration=CAL)


def test_demonstration_comes_first_and_a_squeeze_skips_it(tmp_path):
    # the first squeeze (at 3 s) only skips the demonstration; the next two are the set
    trace = synth_trace([Squeeze(3.0, pct(30)), Squeeze(7.0, pct(30)), Squeeze(11.0, pct(30))], 20, baseline=BASE)
    app = _demo_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, DemoScene))
    demo = app.top
    assert not demo.mirror
    run_until(app, lambda: isinstance(app.top, PlayScene))
    assert app.clock.now() < 4.5  # skipped by the squeeze, long before it would end by itself
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    assert app.top.summary.reps == 2
    # playing again: no second demonstration for the same exercise
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0))
    run_until(app, lambda: isinstance(app.top, PlayScene))
    for _ in range(5):
        app.clock.advance(STEP)
        app.frame()
    assert isinstance(app.top, PlayScene)
    app.shutdown()


def test_demonstration_ends_by_itself_and_is_mirrored_for_the_left_hand(tmp_path):
    trace = np.column_stack([np.arange(0, 40, 0.01), np.full(4000, BASE)])
    app = _demo_app(tmp_path, trace, exercise="finger_squeeze", hand="left")
    run_until(app, lambda: isinstance(app.top, DemoScene))
    demo = app.top
    assert demo.mirror
    run_until(app, lambda: isinstance(app.top, PlayScene))
    assert app.clock.now() == pytest.approx(demo.duration, abs=0.1)
    # the left-hand drawing is the right-hand one reflected, not the same picture
    c = app.canvas
    shots = []
    for mirror in (False, True):
        c.clear()
        demo.game.draw_demo(c, 1.0, mirror)
        shots.append(pygame.surfarray.array3d(c.surface).copy())
    assert not np.array_equal(shots[0], shots[1])
    app.shutdown()


def test_a_held_squeeze_from_the_menu_does_not_skip_the_demonstration(tmp_path):
    trace = synth_trace([Squeeze(0.0, pct(30), rise=0.1, hold=4.0, release=0.5)], 30, baseline=BASE)
    trace[:20, 1] = BASE + pct(30)  # already squeezing when the demonstration opens
    app = _demo_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, DemoScene))
    demo = app.top
    run_until(app, lambda: demo.t >= 5.0)
    assert app.top is demo
    app.shutdown()


def test_long_sets_page_the_marks_instead_of_drawing_one_per_rep():
    """300 reps (the daily ceiling): a row of 20 stars and a tankful of 20 presses at a time."""
    from types import SimpleNamespace

    pinch = GAMES["pinch"](GameSetup(CAL, ForceRepSettings(), 300, random.Random(0)))
    pinch.stars = [SimpleNamespace(success=True, lit_at=0.0)] * 45
    assert pinch.star_page() == (40, 20)
    pinch.setup.reps_target = 45
    assert pinch.star_page() == (40, 5)
