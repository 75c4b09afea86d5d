"""The patient chooses the place (stage) a game is played at; the therapist may pin it (issue 17).

- With the ball alone (a scripted hand squeezing when the yellow frame is on the wanted
  choice, through the real title, journey and choice screens): a place already opened is
  chosen, kept in the profile, and the next set is drawn there. A place opened later is
  announced on the journey screen but does not replace the choice until the patient takes it.
- With keys and the mouse, posted to the pygame queue and read by the one event router:
  arrows and Space choose, Esc leaves the choice as it was, a click on a place not open
  yet chooses nothing.
- The program's ``stage:`` wins over the patient's choice, and the journey screen passes
  the pinned game's row over; level files explain a bad ``stage`` by file, line and field.
- The chooser draws without changing state, and its pictures for the left hand are the
  right hand's reflected while its words stay where they were.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pygame
import pytest

from game.app import App, AppOptions
from game.journey import stage_to_play
from game.levels import parse_level_text
from game.profiles import ProfileError, Profiles
from game.program import ExercisePlan, SessionPlan
from game.records.storage import RepRow, Store
from game.scene import Pop, Push
from game.scenes.journey import JourneyScene
from game.scenes.play import PlayScene
from game.scenes.stage_choice import PIC_H, PIC_W, StageChoiceScene, tile_rect
from game.scenes.title import TitleScene
from game.therapy.calibration import Calibration
from game.therapy.stages import NEWEST, resolve_stage
from hardware.clock import ManualClock
from tests.test_journey import SIZE, SqueezingHand, frame, patients_with, squeeze_on


def practise(store: Store, patient_id: int, exercise: str, reps: int) -> None:
    """``reps`` counted reps of ``exercise`` today, through the store (40 open stage 2, 120 stage 3, 250 stage 4)."""
    sid = store.start_session(patient_id, input_device="Squeeze ball")
    for n in range(reps):
        store.add_rep(sid, RepRow(exercise, "right", 1, n + 1, {"success": n % 4 != 0, "peak_pct": 30.0,
                                                               "target_pct": 20.0, "hold_s": 0.6}))
    store.end_session(sid, "completed")
    store.flush()


def row(app: App, exercise: str):
    return next(g for g in app.top.journey.games if g.exercise == exercise)


def ball_app(tmp_path, **settings) -> tuple[App, SqueezingHand, int]:
    store, ann, _bob = patients_with(tmp_path, **settings)
    practise(store, ann, "pinch", 130)  # today: places 1 to 3 of the lantern game are open
    clock = ManualClock()
    hand = SqueezingHand(clock, seed=5)
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=SIZE, sound=False), clock=clock,
              source=hand, calibration=Calibration(baseline=50.0, mvc=500.0), store=store)
    app.draw = lambda alpha: None  # type: ignore[method-assign]  # choosing is tested here, drawing below
    frame(app, 2)
    return app, hand, ann


# ------------------------------------------------------------------ the ball alone
def test_a_place_is_chosen_with_the_ball_alone_kept_and_a_new_place_waits_until_taken(tmp_path):
    app, hand, ann = ball_app(tmp_path)
    squeeze_on(app, hand, "journey")
    assert isinstance(app.top, JourneyScene) and row(app, "pinch").played == 3  # the newest, by default
    squeeze_on(app, hand, "stage:pinch")
    picker = app.top
    assert isinstance(picker, StageChoiceScene) and picker.buttons.focused.id == NEWEST
    # only the places opened can be chosen (4 and 5 are drawn, never framed)
    assert [b.id for b in picker.buttons.buttons] == [NEWEST, "stage1", "stage2", "stage3", "back"]
    squeeze_on(app, hand, "stage2")
    assert isinstance(app.top, JourneyScene)
    pinch = row(app, "pinch")
    assert (pinch.stage, pinch.played, pinch.choice) == (3, 2, 2)
    assert Profiles(app.store).get(ann).settings["stage_pinch"] == 2
    change = json.loads(app.store.db.execute(
        "SELECT detail FROM events WHERE kind='profile_change' ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert {"what": "stage_pinch", "old": None, "new": 2, "where": "stage choice screen"}.items() <= change.items()
    assert stage_to_play(app.ctx, "pinch") == 2 and stage_to_play(app.ctx, "power_grip") == 1

    # More practice opens place 4: the journey announces it; the sets stay at the chosen place.
    practise(app.store, ann, "pinch", 130)
    squeeze_on(app, hand, "back")
    assert isinstance(app.top, TitleScene)
    squeeze_on(app, hand, "journey")
    pinch = row(app, "pinch")
    assert (pinch.stage, pinch.opened_today, pinch.played) == (4, True, 2)
    app.apply(Push(PlayScene("pinch")))
    assert app.top.game.stage_number == 2  # the set is drawn at the chosen place
    app.apply(Pop())
    assert isinstance(app.top, JourneyScene)

    # The patient takes the new place: "Always the newest" again.
    squeeze_on(app, hand, "stage:pinch")
    assert app.top.buttons.focused.id == "stage2"  # the frame starts on the choice made
    squeeze_on(app, hand, NEWEST)
    assert row(app, "pinch").played == 4 and Profiles(app.store).get(ann).settings["stage_pinch"] == NEWEST
    app.shutdown()

# ------------------------------------------------------------ keys and the mouse
def post(*events: pygame.event.Event) -> None:
    for e in events:
        pygame.event.post(e)


def key(k: int) -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=0)


def press(app: App, *keys: int) -> None:
    for k in keys:
        post(key(k), pygame.event.Event(pygame.KEYUP, key=k, mod=0))
        frame(app, 2)


def click(app: App, logical: tuple[float, float]) -> None:
    pos = app.canvas.px(*logical)
    post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=pos),
         pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos))
    frame(app, 2)


def test_keys_and_clicks_choose_too_esc_keeps_the_choice_and_a_closed_place_is_never_chosen(tmp_path):
    store, ann, _bob = patients_with(tmp_path)
    practise(store, ann, "pinch", 130)
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=SIZE, sound=False, input="keyboard"),
              clock=ManualClock(), store=store)
    app.draw = lambda alpha: None  # type: ignore[method-assign]
    frame(app, 2)
    app.apply(Push(JourneyScene()))
    frame(app, 2)
    assert not app.top.buttons.scanning  # keys: the frame waits for the arrows
    press(app, pygame.K_RIGHT, pygame.K_RIGHT, pygame.K_SPACE)  # Back, power grip, pinch: Space
    assert isinstance(app.top, StageChoiceScene) and app.top.exercise == "pinch"
    press(app, pygame.K_RIGHT, pygame.K_SPACE)  # "Always the newest", then place 1
    assert isinstance(app.top, JourneyScene) and row(app, "pinch").played == 1
    press(app, pygame.K_SPACE, pygame.K_RIGHT, pygame.K_RIGHT, pygame.K_ESCAPE)  # looked, changed nothing
    assert isinstance(app.top, JourneyScene) and row(app, "pinch").played == 1
    press(app, pygame.K_SPACE)
    click(app, tile_rect(4).center)  # place 4 is not open yet: nothing happens
    assert isinstance(app.top, StageChoiceScene)
    click(app, tile_rect(3).center)
    assert isinstance(app.top, JourneyScene) and row(app, "pinch").played == 3
    assert Profiles(store).get(ann).settings["stage_pinch"] == 3
    app.shutdown()


# ------------------------------------------------------------------ the therapist's pin
def test_the_programs_stage_wins_over_the_patients_choice(tmp_path):
    store, ann, _bob = patients_with(tmp_path, stage_pinch=2, stage_power_grip=1)
    practise(store, ann, "pinch", 130)
    practise(store, ann, "power_grip", 50)  # power grip: places 1 and 2 open
    app = App(AppOptions(headless=True, data_dir=tmp_path, window_size=SIZE, sound=False), clock=ManualClock(),
              source=SqueezingHand(ManualClock()), calibration=Calibration(baseline=50.0, mvc=500.0), store=store)
    app.draw = lambda alpha: None  # type: ignore[method-assign]
    app.ctx.plan = SessionPlan(exercises=(ExercisePlan("pinch", stage=1), ExercisePlan("power_grip", stage=NEWEST)))
    app.apply(Push(JourneyScene()))
    j = {g.exercise: g for g in app.top.journey.games}
    assert (j["pinch"].played, j["pinch"].pinned, j["pinch"].choice) == (1, True, 2)
    assert (j["power_grip"].played, j["power_grip"].pinned) == (2, True)
    assert (j["thumb_roll"].played, j["thumb_roll"].pinned) == (1, False)
    scanned = [app.top.buttons.buttons[i].id for i in app.top.buttons._scannable()]
    assert "stage:pinch" not in scanned and "stage:power_grip" not in scanned and "stage:thumb_roll" in scanned
    app.apply(Push(PlayScene("pinch")))
    assert app.top.game.stage_number == 1

    class Step:  # a session's set carries its exercise plan
        exercise = ExercisePlan("pinch", stage=3)

    class Link:
        step = Step()

    assert stage_to_play(app.ctx, "pinch", Link()) == 3  # the session's own plan
    app.shutdown()


def test_stage_rules_profile_checks_and_level_file_messages(tmp_path):
    assert resolve_stage(3) == 3 and resolve_stage(3, chosen=NEWEST) == 3
    assert resolve_stage(3, chosen=2) == 2 and resolve_stage(2, chosen=5) == 2  # never a place not open
    assert resolve_stage(1, program=4, chosen=1) == 4 and resolve_stage(4, program=NEWEST, chosen=1) == 4
    store = Store.in_dir(tmp_path)
    p = Profiles(store).create("Bo")
    assert Profiles(store).update_settings(p.id, stage_pinch="2").settings["stage_pinch"] == 2
    with pytest.raises(ProfileError, match="'stage_pinch' must be newest or a stage from 1 to 5, got 9"):
        Profiles(store).update_settings(p.id, stage_pinch=9)
    store.close()
    text = "name: Low vision\ndefaults:\n  stage: 1\nexercises:\n  - exercise: pinch\n  - exercise: thumb_roll\n" \
           "    stage: newest\n  - exercise: power_grip\n    stage: 7\n"
    level, problems = parse_level_text(text, "low_vision.yaml")
    assert level is None and [str(x) for x in problems] == [
        "low_vision.yaml line 9: `stage` in exercise 3 (power_grip) must be one of: 1, 2, 3, 4, 5, newest, got 7"]
    level, problems = parse_level_text(text.replace("stage: 7", "stage: 2"), "low_vision.yaml")
    assert not problems
    assert [(e.exercise, e.stage) for e in level.to_plan().exercises] == [("pinch", 1), ("thumb_roll", NEWEST),
                                                                          ("power_grip", 2)]


# ------------------------------------------------------------------ drawing
FULL = (1280, 720)


def pixels(app: App) -> np.ndarray:
    app.draw(0.0)
    return pygame.surfarray.array3d(app.canvas.surface).copy()


def test_the_chooser_draws_purely_and_mirrors_only_its_pictures_for_the_left_hand(tmp_path):
    from tests.stage_screens import stage_choice_app

    right = stage_choice_app(tmp_path / "r", FULL)
    left = stage_choice_app(tmp_path / "l", FULL, "left")
    scene = left.top
    assert isinstance(scene, StageChoiceScene) and scene.current == "stage2"
    before = pickle.dumps((scene.row, scene.current, scene.buttons.focus, scene.buttons.scanner.t, scene.hand))
    a, b = pixels(right), pixels(left)
    for alpha in (0.5, 1.0):
        left.draw(alpha)
    assert pickle.dumps((scene.row, scene.current, scene.buttons.focus, scene.buttons.scanner.t, scene.hand)) == before
    words = np.ones(FULL, dtype=bool)  # everything but the pictures: the same for both hands
    opened = [k for k in range(6) if k == 0 or f"stage{k}" in {x.id for x in scene.buttons.buttons}]
    assert opened == [0, 1, 2, 3]
    for k in opened:
        r = tile_rect(k)
        x0, y0 = round(r.x + (r.w - PIC_W) / 2), round(r.y + 12)
        words[x0 - 2:x0 + round(PIC_W) + 2, y0 - 2:y0 + round(PIC_H) + 2] = False
        pr, pl = a[x0 + 4:x0 + round(PIC_W) - 4, y0 + 4:y0 + round(PIC_H) - 4], \
            b[x0 + 4:x0 + round(PIC_W) - 4, y0 + 4:y0 + round(PIC_H) - 4]
        assert not np.array_equal(pr, pl)  # the picture is the hand's own
        best = max(np.all(pl[s:pl.shape[0] - t] == pr[::-1][t:pr.shape[0] - s], axis=2).mean()
                   for s, t in ((0, 0), (1, 0), (0, 1), (2, 0), (0, 2)))
        assert best > 0.97, f"place {k}: the left picture matches the mirrored right one on {best:.1%}"
    assert np.all(a[words] == b[words])  # the words and tiles stay where they are, reading left to right
    right.shutdown()
    left.shutdown()


def test_the_journey_draws_its_rows_and_the_frame_without_changing_anything(tmp_path):
    from tests.stage_screens import stage_choice_app

    app = stage_choice_app(tmp_path, (640, 360), journey=True)
    scene = app.top
    assert isinstance(scene, JourneyScene) and not scene.brief
    app.apply(scene.handle(pygame_action("RIGHT")))
    before = pickle.dumps((vars(scene.journey), scene.shown_for, scene.buttons.focus, scene.buttons.scanner.t))
    for alpha in (0.0, 0.5, 1.0):
        app.draw(alpha)
    assert pickle.dumps((vars(scene.journey), scene.shown_for, scene.buttons.focus, scene.buttons.scanner.t)) == before
    assert row(app, "thumb_roll").played == 2 and row(app, "thumb_roll").stage >= 3
    app.shutdown()


def pygame_action(name: str):
    from game.input import Act, Action

    return Action(getattr(Act, name))
