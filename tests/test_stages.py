"""Stages, goals and rewards (issue 17).

- A 30-day history played through the real play scene, detector and store (an injected
  clock moves the days) opens each game's stages in order, on the practice days the rules
  say; the forgiving streak keeps one missed day and ends after two.
- A stage is drawing only: the same scripted set at stage 1 and stage 5 counts the same
  reps with the same outcomes, and the game's therapy settings are identical.
- A failed rep never brings a reward (no Reward, no success chime).
- Every stage of every game, for both hands: drawing changes no state, every word has
  contrast, every character is in the font, and the left world is the right one reflected.
"""

from __future__ import annotations

import copy
import pickle
import random
from dataclasses import fields
from datetime import date, datetime, timedelta

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.context import PlaySettings
from game.games import GAMES
from game.games.base import GameSetup, StageLook
from game.journey import load_journey, practice
from game.loop import STEP
from game.records.storage import Store
from game.scene import Pop, Push
from game.scenes.play import PlayScene
from game.scenes.results import ResultsScene
from game.therapy.force_reps import ForceRepSettings
from game.therapy.goals import daily_goal, forgiving_streak
from game.therapy.stages import STAGE_COUNT, ExercisePractice, next_stage, stage_for
from game.ui import Canvas
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, CAL, pct
from tests.left_hand_scripts import ALL_GAMES, feed_step, trace_for
from tests.test_contrast import AA, SHARE, TextWatcher, contrast
from tests.test_glyphs import missing
from tests.test_left_hand import world_pixels

FULL = (1280, 720)
DAY = 86400.0
START = datetime(2026, 5, 4, 10, 0).timestamp()  # local time: days fall on local calendar days


# ------------------------------------------------------------ pure rules
def test_stages_open_with_practice_never_with_strength():
    assert stage_for(ExercisePractice("pinch")) == 1
    assert [stage_for(ExercisePractice("pinch", 0, d)) for d in (1, 2, 5, 9, 14)] == [1, 2, 3, 4, 5]
    assert [stage_for(ExercisePractice("pinch", n, 1)) for n in (39, 40, 120, 250, 450)] == [1, 2, 3, 4, 5]
    assert next_stage(ExercisePractice("pinch", 30, 1)).reps_to_go == 10
    assert next_stage(ExercisePractice("pinch", 999, 99)) is None
    # nothing about strength can be handed to it
    assert {f.name for f in fields(ExercisePractice)} == {"exercise", "reps", "days"}


def test_a_stage_look_holds_drawing_parameters_only():
    assert {f.name for f in fields(StageLook)} == {"name", "palette", "twist"}
    with pytest.raises(ValueError):
        StageLook("x", {"target_pct": 30})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        StageLook("x", {"hold": (1.5, 0, 0)})  # type: ignore[dict-item]
    for ex, cls in GAMES.items():
        assert len(cls.stages) == STAGE_COUNT, ex
        assert len({look.name for look in cls.stages}) == STAGE_COUNT, f"{ex}: two stages share a name"


def test_the_streak_forgives_one_missed_day_in_seven_and_ends_after_two():
    d0 = date(2026, 3, 1)

    def played(*missed: int, upto: int = 10) -> list[date]:
        return [d0 + timedelta(i) for i in range(upto + 1) if i not in missed]

    today = d0 + timedelta(10)
    assert forgiving_streak(played(), today=today).days == 11
    one = forgiving_streak(played(5), today=today)
    assert (one.days, one.rest_days_used, one.since) == (10, 1, d0)
    assert forgiving_streak(played(5, 6), today=today).days == 4  # two in a row: starts again
    assert forgiving_streak(played(3, 6), today=today).days == 6  # two within 7 days: the second ends it
    assert forgiving_streak(played(2, 9, upto=12), today=d0 + timedelta(12)).days == 11  # 7 days apart: both kept
    # today not played yet never breaks it; yesterday missed is the one forgiven day
    assert forgiving_streak(played(upto=8), today=today).days == 9
    assert forgiving_streak(played(upto=7), today=today).days == 0


def test_the_daily_goal_is_the_prescription_shown_as_progress():
    g = daily_goal(12, [(3, 10), (2, 8)])
    assert (g.goal, g.done, g.reached) == (46, 12, False) and g.fraction == pytest.approx(12 / 46)
    over = daily_goal(60, [(3, 10)])
    assert over.reached and over.fraction == 1.0  # past the goal is not a race


# ------------------------------------------------- a month through the real code
def _month_trace(seconds: float, seed: int = 2) -> np.ndarray:
    """Squeezes every 3.2 s, one in four too weak to reach the target (a near miss)."""
    rng = np.random.default_rng(seed)
    sq = []
    for i in range(int(seconds / 3.2)):
        weak = i % 4 == 3
        sq.append(Squeeze(1.0 + 3.2 * i, pct(12 if weak else rng.uniform(28, 36)), rise=0.4, hold=0.9, release=0.5))
    return synth_trace(sq, seconds, baseline=BASE, noise_sd=1.0, seed=seed)


def test_thirty_days_of_practice_open_the_stages_in_order(tmp_path):
    skipped = {6, 20, 21}  # one day off, then two in a row
    days = [d for d in range(30) if d not in skipped]
    clock = ManualClock()
    base = [START]
    store = Store.in_dir(tmp_path, wall=lambda: base[0] + clock.now())
    trace = _month_trace(len(days) * 16.0 + 30)
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=(320, 180), sound=False,
                         play=PlaySettings(reps_per_set=3)),
              clock=clock, source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL, store=store)
    pid = app.ctx.patient_id
    draw = app.draw
    app.draw = lambda alpha: None  # type: ignore[method-assign]  # drawing is tested below, per stage
    stage_on: dict[int, int] = {}
    streak_after: dict[int, int] = {}
    opened: dict[int, bool] = {}
    outcomes = []
    for day in days:
        base[0] = START + day * DAY - clock.now()  # the store's clock reads this day, 10:00 onwards
        app.apply(Push(PlayScene("power_grip")))
        stage_on[day] = app.top.game.stage_number
        while not isinstance(app.top, ResultsScene):
            clock.advance(STEP)
            app.frame()
            assert clock.now() < len(days) * 16.0, "the set did not end"
        outcomes.append(app.top.summary.successes)
        app.apply(Pop())
        today = date.fromtimestamp(START + day * DAY)
        j = load_journey(store, pid, today=today, exercises=["power_grip"])
        streak_after[day] = j.streak.days
        opened[day] = j.games[0].opened_today
    app.draw = draw  # type: ignore[method-assign]
    stages = [stage_on[d] for d in days]
    assert stages == sorted(stages), f"stages went back: {stages}"
    # the first practice day (1-based) each stage was played on: 2 days open stage 2, 5 stage 3...
    first = [days.index(next(d for d in days if stage_on[d] == s)) + 1 for s in range(1, STAGE_COUNT + 1)]
    assert first == [1, 3, 6, 10, 15]
    # the journey says "new place opened today" on exactly the days whose practice opened one
    assert [opened[a] for a, b in zip(days, days[1:])] == [stage_on[b] > stage_on[a] for a, b in zip(days, days[1:])]
    assert sum(opened.values()) == STAGE_COUNT - 1
    # every rep counted (near misses too) is practice; the records hold them all
    p = practice(store, pid, "power_grip")
    assert (p.reps, p.days) == (3 * len(days), len(days))
    assert 0 < sum(outcomes) < 3 * len(days)  # successes and near misses both happened
    # the streak: day 6 off is forgiven, 20 and 21 off start it again
    assert streak_after[5] == 6 and streak_after[7] == 7 and streak_after[19] == 19
    assert streak_after[22] == 1 and streak_after[29] == 8
    app.shutdown()


# ----------------------------------------------------- stages are drawing only
def _play(exercise: str, stage: int, hand: str = "right", seconds: float | None = None):
    """A game built at ``stage`` and fed its scripted set (the left-hand tests' own scripts)."""
    trace, n = trace_for(exercise)
    g = GAMES[exercise](GameSetup(CAL, ForceRepSettings(), n, random.Random(0), hand=hand, stage=stage))
    end = float(trace[-1, 0]) if seconds is None else seconds
    i, t = 0, 0.0
    while t < end and not g.finished:
        t += STEP
        i = feed_step(g, trace, i, t)
    return g


def _therapy(g) -> dict:
    """What the therapy is made of: the detector's settings and the set's prescription."""
    s = g.setup
    return {"detector": g.detector.settings, "reps": s.reps_target, "pace": s.rest_between_reps_s,
            "plan": s.plan, "calibration": s.calibration}


@pytest.mark.parametrize("exercise", ALL_GAMES)
def test_the_stage_never_changes_the_target_hold_pace_or_reps(exercise):
    first, last = _play(exercise, 1), _play(exercise, STAGE_COUNT)
    assert first.stage != last.stage  # the stage did change what is drawn
    assert _therapy(first) == _therapy(last)
    assert first.reps_done == last.reps_done > 0
    a = [r.as_record() for r in first.reps]
    b = [r.as_record() for r in last.reps]
    assert a == b  # every rep: the same outcome, reason and measurements
    assert any(not r.success for r in first.reps) and any(r.success for r in first.reps)


def test_a_chosen_or_pinned_earlier_stage_never_changes_the_target_hold_pace_or_reps(tmp_path):
    """The set the real play scene builds at the newest place (3), at the patient's chosen place
    (2) and at the program's pinned place (1): the same therapy, the same reps counted."""
    from game.profiles import Profiles
    from game.program import ExercisePlan, SessionPlan
    from tests.test_stage_choice import practise

    trace, n = trace_for("pinch")
    games = []
    for case, settings, pin in (("newest", {}, None), ("chosen", {"stage_pinch": 2}, None),
                                ("pinned", {"stage_pinch": 2}, 1)):
        store = Store.in_dir(tmp_path / case)
        pid = Profiles(store).create("Ann", settings=settings).id
        Profiles(store).select(pid)
        practise(store, pid, "pinch", 130)
        clock = ManualClock()
        app = App(AppOptions(headless=True, data_dir=tmp_path / case, window_size=(320, 180), sound=False,
                             play=PlaySettings(reps_per_set=n)),
                  clock=clock, source=ScriptedSource(clock, trace, name="Script"), calibration=CAL, store=store)
        if pin is not None:
            app.ctx.plan = SessionPlan(exercises=(ExercisePlan("pinch", stage=pin),))
        app.apply(Push(PlayScene("pinch")))
        g = app.top.game
        app.shutdown()
        i, t = 0, 0.0
        while t < float(trace[-1, 0]) and not g.finished:
            t += STEP
            i = feed_step(g, trace, i, t)
        games.append(g)
    assert [g.stage_number for g in games] == [3, 2, 1]
    assert _therapy(games[0]) == _therapy(games[1]) == _therapy(games[2])
    records = [[r.as_record() for r in g.reps] for g in games]
    assert records[0] == records[1] == records[2] and len(records[0]) == n


@pytest.mark.parametrize("exercise", ALL_GAMES)
def test_a_failed_rep_never_brings_a_reward(exercise):
    g = _play(exercise, 3)
    good = {r.number for r in g.reps if r.success}
    assert [w.rep_number for w in g.rewards] == sorted(good)
    assert len(g.rewards) < g.reps_done  # the near misses got none


def test_the_play_scene_chimes_only_for_good_reps(tmp_path):
    trace, n = trace_for("power_grip")
    clock = ManualClock()
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise="power_grip", window_size=(320, 180),
                         sound=False, play=PlaySettings(reps_per_set=n)),
              clock=clock, source=ScriptedSource(clock, trace, name="Script"), calibration=CAL,
              store=Store.in_dir(tmp_path))
    heard: list[tuple[str, int]] = []
    game = app.top.game
    app.ctx.audio.play = lambda name: heard.append((name, game.reps_done))  # type: ignore[method-assign]
    app.draw = lambda alpha: None  # type: ignore[method-assign]  # (drawing changes nothing: tested below)
    while not isinstance(app.top, ResultsScene):
        clock.advance(STEP)
        app.frame()
    chimes = [k for name, k in heard if name == "success"]
    assert chimes == [r.number for r in game.reps if r.success]
    assert len(chimes) < n
    app.shutdown()


# --------------------------------------------- every stage: drawing rules hold
def _state(g) -> dict:
    return copy.deepcopy({k: v for k, v in vars(g).items() if k not in ("setup", "detector", "rng")})


@pytest.mark.parametrize("exercise", ALL_GAMES)
def test_every_stage_draws_purely_readably_and_mirrored(exercise, monkeypatch):
    pygame.init()
    watcher = TextWatcher()
    monkeypatch.setattr(Canvas, "text", watcher.wrap(Canvas.text))
    for stage in range(1, STAGE_COUNT + 1):
        for hand in ("right", "left"):
            g = _play(exercise, stage, hand, seconds=7.0)
            before, det = _state(g), pickle.dumps(vars(g.detector))
            surf = pygame.Surface(FULL)
            watcher.records.clear()
            for alpha in (0.0, 0.5, 1.0):
                g.draw(Canvas(surf), alpha)
            assert _state(g) == before and pickle.dumps(vars(g.detector)) == det, f"{exercise} stage {stage}: drawing changed state"
            bad = [f"'{t}' {col} on {bg}: {contrast(col, bg):.2f}:1" for t, col, bgs in watcher.records
                   for bg, share in bgs if share >= SHARE and contrast(col, bg) < AA]
            assert not bad, f"{exercise} stage {stage} {hand}: " + "; ".join(sorted(set(bad)))
            chars = {(ch, False) for t, _, _ in watcher.records for ch in t}
            assert not [ch for ch, _b in chars if not ch.isspace() and (missing(ch, False) or missing(ch, True))]
        # the left world is the right world reflected at this stage too (the row of marks stays upright)
        right, left = world_pixels(g, False), world_pixels(g, True)
        flipped = right[::-1, :, :]
        keep = np.ones(FULL[::-1], dtype=bool).T
        keep[:, 130:215] = False
        best = max(np.all(left[a:FULL[0] - b] == flipped[b:FULL[0] - a], axis=2)[keep[a:FULL[0] - b]].mean()
                   for a, b in ((0, 0), (1, 0), (0, 1)))
        assert best > 0.97, f"{exercise} stage {stage}: the left world matches the mirrored right on {best:.1%}"


# ------------------------------------------------------- the journey screen
def test_the_journey_is_reached_and_left_with_the_ball_alone_from_the_title_and_the_menu(tmp_path):
    from game.scenes.journey import JourneyScene
    from game.scenes.menu import MenuScene
    from game.scenes.title import TitleScene
    from tests.test_journey import SIZE, SqueezingHand, frame, patients_with, squeeze_on

    store, _ann, _bob = patients_with(tmp_path)
    clock = ManualClock()
    hand = SqueezingHand(clock, seed=5)
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=SIZE, sound=False), clock=clock,
              source=hand, calibration=CAL.__class__(baseline=50.0, mvc=500.0), store=store)
    app.draw = lambda alpha: None  # type: ignore[method-assign]  # choosing is tested, not drawing
    frame(app, 2)
    squeeze_on(app, hand, "journey")
    assert isinstance(app.top, JourneyScene) and not app.top.brief
    squeeze_on(app, hand, "back")
    assert isinstance(app.top, TitleScene)
    squeeze_on(app, hand, "free")
    assert isinstance(app.top, MenuScene)
    squeeze_on(app, hand, "journey")
    assert isinstance(app.top, JourneyScene)
    squeeze_on(app, hand, "back")
    assert isinstance(app.top, MenuScene)
    app.shutdown()


def test_drawing_the_journey_changes_nothing_and_it_goes_by_itself_after_a_session(tmp_path):
    from tests.screens import SCREENS

    app = SCREENS["journey_after_session"](tmp_path, (640, 360))
    scene = app.top
    j = scene.journey
    assert j.streak.days > 0 and j.goal.goal == 30 and any(d.reps for d in j.days)
    assert sum(g.stage for g in j.games) > len(j.games)  # some places opened
    before = pickle.dumps((vars(j), scene.shown_for, scene.buttons.focus))
    for alpha in (0.0, 0.5, 1.0):
        app.draw(alpha)
    assert pickle.dumps((vars(j), scene.shown_for, scene.buttons.focus)) == before
    for _ in range(int(9.0 / STEP)):
        app.clock.advance(STEP)
        app.frame()
    assert app.top is not scene  # gone by itself after a few seconds
    app.shutdown()
