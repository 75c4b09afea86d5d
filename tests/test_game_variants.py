"""The second games (issue 17): the hot-air balloon for power grip, the marble garden for table roll.

A second game changes the picture, never the counting: played by the same scripted
hand with the same settings, it saves exactly the reps the first game saves (number,
outcome, every measurement). It draws without changing state, for either hand, its
left-hand world is its right-hand world reflected, and the patient chooses it with the
ball (remembered per patient) unless the therapist's program fixes the game.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path
from typing import get_args

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.context import PlaySettings
from game.game_choices import BY_GAME_ID, GAME_CHOICES, GAME_IDS, resolve_game
from game.games import GAMES, VARIANTS, game_class
from game.games.balloon import BalloonGame
from game.games.marble import MarbleGame
from game.games.power_grip import PowerGripGame
from game.input import Act, Action
from game.levels import GameId, level_schema, parse_level_text
from game.loop import STEP
from game.profiles import ProfileError, Profiles
from game.program import ExercisePlan, SessionPlan
from game.records.storage import DB_NAME, Store
from game.scene import Push
from game.scenes.calibrate import before_play
from game.scenes.game_choice import GameChoiceScene, game_for
from game.scenes.play import PlayScene
from game.scenes.results import ResultsScene
from game.ui import Canvas
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, CAL, pct, run_until
from tests.left_hand_scripts import force_set
from tests.roll_scripts import stroke_script
from tests.test_left_hand import mirror_match

SMALL = (320, 180)  # every frame is drawn, on a small window to keep the suite quick
FULL = (1280, 720)
NEW = {"balloon": ("power_grip", "bird"), "marble": ("table_roll", "boat")}  # game -> (exercise, its first game)


def script(exercise: str) -> tuple[np.ndarray, int, int]:
    """(trace, reps in it, good reps in it) for a full set of the exercise."""
    if exercise == "power_grip":
        trace, n = force_set(seed=11, n_good=5, n_weak=2)
        return trace, n, 5
    sc = stroke_script(["good"] * 3 + ["weak", "tiny", "slow", "partial"], axis="y", seed=11)
    return sc.trace, sc.reps, sc.good


def app_for(tmp: Path, exercise: str, game: str | None, trace: np.ndarray, reps: int, *, hand: str = "right",
            size: tuple[int, int] = SMALL) -> App:
    clock = ManualClock()
    return App(AppOptions(headless=True, data_dir=tmp, exercise=exercise, window_size=size, sound=False, game=game,
                          play=PlaySettings(reps_per_set=reps, target_pct=20.0, hold_s=0.5, hand=hand)),
               clock=clock, source=ScriptedSource(clock, trace, name="Script"), calibration=CAL,
               store=Store.in_dir(tmp))


def saved(path: Path) -> list[tuple]:
    db = sqlite3.connect(path / DB_NAME)
    rows = db.execute("SELECT exercise, hand, set_number, rep_number, success, failure, peak_pct, detail "
                      "FROM reps ORDER BY id").fetchall()
    db.close()
    return rows


def set_start_games(path: Path) -> list[str | None]:
    db = sqlite3.connect(path / DB_NAME)
    rows = db.execute("SELECT detail FROM events WHERE kind='set_start' ORDER BY id").fetchall()
    db.close()
    return [json.loads(r[0]).get("game") for r in rows]


# ---------------------------------------------------------------- registry
def test_every_game_id_has_its_game_and_the_level_files_know_them_all():
    assert set(get_args(GameId)) == set(GAME_IDS)
    for exercise, games in GAME_CHOICES.items():
        assert set(VARIANTS[exercise]) == {g.id for g in games}
        assert VARIANTS[exercise][games[0].id] is GAMES[exercise]  # the first is the exercise's own game
        for g in games:
            cls = game_class(exercise, g.id)
            assert cls.exercise == exercise and BY_GAME_ID[g.id].exercise == exercise
    assert game_class("power_grip", "balloon") is BalloonGame and game_class("table_roll", "marble") is MarbleGame
    assert game_class("pinch", "balloon") is GAMES["pinch"]  # a game of another exercise is never played
    # two games each for power grip and a rolling exercise
    assert len(VARIANTS["power_grip"]) >= 2 and len(VARIANTS["table_roll"]) >= 2


# ----------------------------------------------------- the counting is the same
@pytest.mark.parametrize("game", sorted(NEW))
def test_a_full_set_counts_exactly_what_the_first_game_counts(tmp_path, game):
    exercise, first = NEW[game]
    trace, n, good = script(exercise)
    runs = {}
    for g in (first, game):
        app = app_for(tmp_path / g, exercise, g, trace, n)
        run_until(app, lambda app=app: isinstance(app.top, ResultsScene), max_seconds=trace[-1, 0] + 15)
        app.shutdown()
        runs[g] = saved(tmp_path / g)
        assert set_start_games(tmp_path / g) == [g]
    assert len(runs[game]) == n, f"{game} counted {len(runs[game])} of the {n} reps"
    assert sum(r[4] for r in runs[game]) == good
    assert runs[game] == runs[first]  # every rep, outcome and measurement the same


# ------------------------------------------------------------------ drawing
def mid_set(tmp: Path, game: str, hand: str, size: tuple[int, int] = SMALL) -> App:
    exercise = NEW[game][0]
    trace, n, _good = script(exercise)
    app = app_for(tmp, exercise, game, trace, n, hand=hand, size=size)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2
              and app.top.game.detector.in_rep, max_seconds=80)
    for _ in range(round(0.3 / STEP)):
        app.clock.advance(STEP)
        app.frame()
    return app


@pytest.mark.parametrize("hand", ["right", "left"])
@pytest.mark.parametrize("game", sorted(NEW))
def test_drawing_changes_no_game_state_and_the_signal_sits_by_the_hand(tmp_path, monkeypatch, game, hand):
    cls = game_class(NEW[game][0], game)
    calls = []
    real = cls._paint_backdrop
    monkeypatch.setattr(cls, "_paint_backdrop", lambda self, c: (calls.append(c.mirror), real(self, c)))
    app = mid_set(tmp_path, game, hand)
    g = app.top.game
    assert type(g) is cls
    r = g.signal_rect
    assert (r.x > 1000) if hand == "right" else (r.x + r.w < 280)  # the live bar beside the trained hand
    before = pickle.dumps(vars(g))
    calls.clear()
    for alpha in (0.0, 0.5, 1.0, 1.0):
        app.draw(alpha)
        g.draw_demo(app.canvas, 1.3, mirror=hand == "left")
    assert pickle.dumps(vars(g)) == before
    # The static scenery (sky and far hills; lawn and hedges) is painted once, then copied each frame.
    assert len(calls) <= 1
    app.shutdown()


@pytest.mark.parametrize("game", sorted(NEW))
def test_the_left_hand_world_is_the_right_hand_world_reflected(tmp_path, game):
    app = mid_set(tmp_path, game, "left")
    best, plain = mirror_match(app.top.game)  # the marble garden's row of marks reads left to right for both hands
    assert best > 0.97, f"{game}: the left world matches the mirrored right world on only {best:.1%}"
    assert plain < best - 0.05, f"{game}: the world looks the same unmirrored ({plain:.1%})"
    app.shutdown()


@pytest.mark.parametrize("game", sorted(NEW))
def test_five_stages_change_the_picture_never_the_counting(game):
    """Each stage is a look (colours, a twist); the detector's settings are the setup's alone."""
    import random

    from game.games.base import GameSetup
    from game.therapy.force_reps import ForceRepSettings

    cls = game_class(NEW[game][0], game)
    assert len(cls.stages) == 5 and len({s.name for s in cls.stages}) == 5
    assert cls.stages is not GAMES[NEW[game][0]].stages  # its own places, not the first game's
    made = [cls(GameSetup(CAL, ForceRepSettings(target_pct=22, hold_s=1.0), 6, random.Random(1), stage=n))
            for n in range(1, 6)]
    assert len({repr(g.detector.settings) for g in made}) == 1
    pygame.font.init()
    surf = pygame.Surface(SMALL)
    pictures = set()
    for g in made:
        g.draw(Canvas(surf), 0.0)
        pictures.add(pygame.image.tobytes(surf, "RGB"))
    assert len(pictures) == 5


# ------------------------------------------------------------------ choosing
def choosing_app(tmp: Path, trace: np.ndarray | None = None, *, settings: dict | None = None,
                 plan: SessionPlan | None = None, input_sim: bool = False) -> App:
    clock = ManualClock()
    store = Store.in_dir(tmp)
    profiles = Profiles(store)
    if not profiles.list():
        profiles.select(profiles.create("Ann", settings=settings or {}).id)
    trace = trace if trace is not None else synth_trace([], 30.0, baseline=BASE, noise_sd=1.0, seed=1)
    app = App(AppOptions(headless=True, data_dir=tmp, window_size=SMALL, sound=False,
                         input="sim" if input_sim else "keyboard", play=PlaySettings(reps_per_set=3)),
              clock=clock, source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL, store=store)
    app.ctx.ask_game = True  # as in a windowed run: someone is there to choose
    if plan is not None:
        app.ctx.plan = plan
    return app


def frames(app: App, seconds: float) -> None:
    for _ in range(round(seconds / STEP)):
        app.clock.advance(STEP)
        app.frame()


def test_the_choice_is_made_with_the_ball_and_remembered_for_the_patient(tmp_path):
    # One squeeze at 3 s: the frame starts on the bird (the default), moves on to the
    # balloon after 2.4 s (1.5 steps of 1.6 s), and the squeeze chooses what it is on.
    trace = synth_trace([Squeeze(3.0, pct(35), rise=0.3, hold=0.5, release=0.4)], 30.0, baseline=BASE,
                        noise_sd=1.0, seed=2)
    app = choosing_app(tmp_path, trace)
    app.apply(Push(before_play(app.ctx, PlayScene("power_grip"))))
    assert isinstance(app.top, GameChoiceScene) and app.top.buttons.focused.id == "bird"
    run_until(app, lambda: isinstance(app.top, PlayScene), max_seconds=6)
    assert type(app.top.game) is BalloonGame
    pid = app.ctx.patient_id
    assert Profiles(app.store).get(pid).settings["game_power_grip"] == "balloon"
    events = [json.loads(d) for (d,) in app.store.db.execute(
        "SELECT detail FROM events WHERE kind='profile_change' ORDER BY id").fetchall()]
    assert {"what": "game_power_grip", "old": None, "new": "balloon", "where": "game choice screen"}.items() <= \
        events[-1].items()
    app.shutdown()
    # Next run: the screen starts on the remembered game, and a set started without asking plays it.
    app = choosing_app(tmp_path)
    app.apply(Push(GameChoiceScene(PlayScene("power_grip"))))
    assert app.top.buttons.focused.id == "balloon"
    app.apply(app.top.handle(Action(Act.CONFIRM)))
    assert type(app.top.game) is BalloonGame
    app.shutdown()
    app = choosing_app(tmp_path)
    app.ctx.ask_game = False
    app.apply(Push(before_play(app.ctx, PlayScene("power_grip"))))
    assert type(app.top.game) is BalloonGame
    app.shutdown()


def test_keys_choose_too_and_back_never_strands_the_patient(tmp_path):
    app = choosing_app(tmp_path)
    app.apply(Push(before_play(app.ctx, PlayScene("table_roll"))))
    assert isinstance(app.top, GameChoiceScene)
    app.apply(app.top.handle(Action(Act.RIGHT)))
    app.apply(app.top.handle(Action(Act.BACK)))  # Esc: plays on with the game framed
    assert isinstance(app.top, PlayScene) and type(app.top.game) is MarbleGame
    assert Profiles(app.store).get(app.ctx.patient_id).settings["game_table_roll"] == "marble"
    app.shutdown()


def test_the_program_fixes_the_game_over_the_patients_choice(tmp_path):
    plan = SessionPlan(exercises=(ExercisePlan("power_grip", game="bird"),))
    app = choosing_app(tmp_path, settings={"game_power_grip": "balloon"}, plan=plan)
    scene = before_play(app.ctx, PlayScene("power_grip"))
    assert isinstance(scene, PlayScene)  # no choice screen: the therapist chose
    app.apply(Push(scene))
    assert type(app.top.game) is PowerGripGame
    app.shutdown()

    class Step:  # a session's set carries its exercise plan
        exercise = ExercisePlan("table_roll", game="marble")

    class Link:
        step = Step()
        session_id = 1

    app = choosing_app(tmp_path / "b", settings={"game_table_roll": "boat"})
    assert game_for(app.ctx, "table_roll", Link()) == "marble"
    assert game_for(app.ctx, "table_roll") == "boat"
    assert game_for(app.ctx, "pinch") is None
    app.shutdown()


def test_scripted_play_chooses_for_the_run_only(tmp_path):
    app = choosing_app(tmp_path, input_sim=True)
    from game.scenes.game_choice import remember_game

    remember_game(app.ctx, "power_grip", "balloon")
    assert game_for(app.ctx, "power_grip") == "balloon"
    assert "game_power_grip" not in Profiles(app.store).get(app.ctx.patient_id).settings
    app.shutdown()


def test_resolve_order_and_profile_checks(tmp_path):
    assert resolve_game("power_grip") == "bird"
    assert resolve_game("power_grip", remembered="balloon") == "balloon"
    assert resolve_game("power_grip", chosen="bird", remembered="balloon") == "bird"
    assert resolve_game("power_grip", program="balloon", chosen="bird") == "balloon"
    assert resolve_game("power_grip", program="marble") == "bird"  # another exercise's game is ignored
    assert resolve_game("pinch", chosen="balloon") is None
    store = Store.in_dir(tmp_path)
    p = Profiles(store).create("Bo")
    assert Profiles(store).update_settings(p.id, game_table_roll="marble").settings["game_table_roll"] == "marble"
    with pytest.raises(ProfileError, match="'game_power_grip' must be bird or balloon"):
        Profiles(store).update_settings(p.id, game_power_grip="marble")
    store.close()


# ------------------------------------------------------------------ level files
def test_level_files_fix_the_game_and_explain_mistakes():
    level, problems = parse_level_text("name: Home\nexercises:\n  - exercise: power_grip\n    game: balloon\n"
                                       "  - exercise: table_roll\n    game: marble\n", "home.yaml")
    assert not problems
    assert [p.game for p in level.to_plan().exercises] == ["balloon", "marble"]
    _level, problems = parse_level_text("name: Home\nexercises:\n  - exercise: pinch\n    game: balloon\n"
                                        "  - exercise: power_grip\n    game: boat\n", "home.yaml")
    msgs = [str(p) for p in problems]
    assert msgs == [("home.yaml line 4: exercise 1 (pinch): `game: balloon` is a power_grip game; pinch has one "
                     "game, so remove `game` here"),
                    ("home.yaml line 6: exercise 2 (power_grip): `game: boat` is a table_roll game; for power_grip "
                     "choose bird or balloon")]
    _level, problems = parse_level_text("name: Home\nexercises:\n  - exercise: power_grip\n    game: baloon\n",
                                        "home.yaml")
    assert "Did you mean `balloon`?" in str(problems[0]) and "line 4" in str(problems[0])
    field = level_schema()["$defs"]["ExerciseEntry"]["properties"]["game"]
    assert "balloon" in json.dumps(field) and "patient choose" in json.dumps(field)
    readme = (Path(__file__).resolve().parent.parent / "levels" / "README.md").read_text()
    assert "`game`" in readme and "balloon" in readme and "marble" in readme
