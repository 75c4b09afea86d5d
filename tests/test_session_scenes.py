"""A whole therapy session played headless through the real scenes by a scripted ball."""

import sqlite3

import pygame

from game.loop import STEP
from game.program import ExercisePlan, SessionPlan
from game.scenes.play import PlayScene
from game.scenes.rating import SCAN_S, SETTLE_S, RatingScene
from game.scenes.rest import RestScene
from game.scenes.session import SessionScene
from game.scenes.title import TitleScene
from game.scene import Push
from game.records.storage import DB_NAME
from hardware.traces import regular_squeezes, synth_trace
from tests.helpers import BASE, make_app, pct, run_until

PLAN = SessionPlan(name="Test program", exercises=(ExercisePlan("power_grip", sets=2, reps=3, rest_s=5.0),))


def squeezing_trace(seconds=400.0, peak=30.0):
    return synth_trace(regular_squeezes(int(seconds / 4), pct(peak), first=2.0, period=4.0), seconds,
                       baseline=BASE, noise_sd=1.0, seed=1)


def key(k):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0))


def step(app, n=1):
    for _ in range(n):
        app.clock.advance(STEP)
        app.frame()


def answer_rating(app, pain, fatigue):
    run_until(app, lambda: isinstance(app.top, RatingScene))
    for value in (pain, fatigue):
        key(pygame.K_RIGHT)  # stops the walking highlight, then move it to the value
        key(pygame.K_LEFT)
        for _ in range(value):
            key(pygame.K_RIGHT)
        key(pygame.K_RETURN)  # chosen ...
        step(app)
        key(pygame.K_RETURN)  # ... and confirmed: "Yes" is lit first
        step(app)


def test_a_whole_session_ratings_warmup_sets_rest_summary(tmp_path):
    app = make_app(tmp_path, squeezing_trace(), exercise=None)
    app.ctx.plan = PLAN
    assert isinstance(app.top, TitleScene)
    key(pygame.K_RETURN)  # "Start" is focused: the program runs as a session
    step(app)
    assert isinstance(app.stack[1], SessionScene)
    answer_rating(app, 2, 3)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    assert app.top.set_number == 0  # the warm-up comes first
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.set_number == 1)
    run_until(app, lambda: isinstance(app.top, RestScene))
    rest = app.top
    assert rest.seconds == 5.0
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.set_number == 2)
    answer_rating(app, 1, 4)
    session = app.stack[1]
    run_until(app, lambda: session.summary is not None)
    s = session.summary
    assert s.end_reason == "completed" and s.reps_done == 6 and s.reps_planned == 6
    app.draw(0.0)
    app.save_screenshot(tmp_path / "summary.png")
    key(pygame.K_RETURN)
    step(app, 2)
    from game.scenes.journey import JourneyScene

    assert isinstance(app.top, JourneyScene)  # the journey map for a few seconds after a session
    key(pygame.K_RETURN)
    step(app, 2)
    assert isinstance(app.top, TitleScene)
    app.shutdown()
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.row_factory = sqlite3.Row
    (sess,) = db.execute("SELECT * FROM sessions").fetchall()
    assert sess["end_reason"] == "completed"
    assert (sess["pain_before"], sess["fatigue_before"], sess["pain_after"], sess["fatigue_after"]) == (2, 3, 1, 4)
    reps = db.execute("SELECT set_number, difficulty_before, difficulty_after, target_pct FROM reps").fetchall()
    assert [r["set_number"] for r in reps] == [0] * 5 + [1] * 3 + [2] * 3
    working = reps[5:]
    assert all(r["difficulty_before"] == r["target_pct"] for r in working)
    # 30% squeezes against a 20% start: the staircase raises the target rep by rep.
    assert working[0]["difficulty_after"] > working[0]["difficulty_before"]
    assert [r["difficulty_before"] for r in working[1:]] == [r["difficulty_after"] for r in working[:-1]][:5]
    kinds = [r[0] for r in db.execute("SELECT kind FROM events")]
    assert "rest" in kinds and "rating" in kinds and "difficulty_change" in kinds
    assert db.execute("SELECT COUNT(*) FROM difficulty_changes").fetchone()[0] >= 1
    # The difficulty state is kept for the next session.
    import json

    state = json.loads(db.execute("SELECT difficulty FROM patients").fetchone()[0])["power_grip"]
    assert state["target_pct"] == working[-1]["difficulty_after"]


def test_stop_for_pain_ends_the_session_gently_and_is_logged(tmp_path):
    app = make_app(tmp_path, squeezing_trace(), exercise=None)
    app.ctx.plan = SessionPlan(exercises=(ExercisePlan("power_grip", sets=3, reps=5, rest_s=5.0),), warmup=False)
    key(pygame.K_RETURN)
    step(app)
    answer_rating(app, 0, 0)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done >= 2)
    # The stop button, then "It hurts".
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(1200, 60)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(1200, 60)))
    step(app)
    assert app.top.overlay
    app.draw(0.0)
    app.save_screenshot(tmp_path / "stop.png")
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(960, 420)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(960, 420)))
    step(app)
    answer_rating(app, 4, 2)  # no more sets: straight to the rating after
    session = app.stack[1]
    run_until(app, lambda: session.summary is not None)
    assert session.summary.end_reason == "pain"
    app.shutdown()
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("SELECT end_reason, pain_after FROM sessions").fetchall() == [("stopped_pain", 4)]
    assert db.execute("SELECT COUNT(*) FROM events WHERE kind='session_stop'").fetchone()[0] == 1


def test_the_rating_is_chosen_with_the_ball_alone(tmp_path):
    # Nothing but squeezes: the highlight walks (face 0 lit 1.5 steps, then one step a face), a squeeze
    # picks where it is, and a second squeeze on "Yes" (lit first) confirms it.
    from hardware.traces import Squeeze

    # Face 3 is lit from SETTLE_S + 3.5 x SCAN_S (the frame waits while the screen settles); the press
    # registers ~0.3 s into the squeeze.
    squeeze_at = SETTLE_S + 3.5 * SCAN_S + 0.2
    times = (squeeze_at, squeeze_at + 1.8, squeeze_at + 4.0, squeeze_at + 5.8)  # pain 3, yes, tiredness 0, yes
    trace = synth_trace([Squeeze(t, pct(40), rise=0.3, hold=0.3, release=0.4) for t in times], 40.0,
                        baseline=BASE, seed=2)
    app = make_app(tmp_path, trace, exercise=None)
    chosen = []
    app.apply(Push(RatingScene("before", lambda p, f: chosen.append((p, f)))))
    run_until(app, lambda: bool(chosen), max_seconds=40)
    assert chosen == [(3, 0)]
    app.shutdown()
