"""The session runner as plain logic: order of steps, rests, stops, pacing, ceiling."""

import pytest

from game.program import ExercisePlan, SessionPlan
from game.session import RatingStep, RestStep, SessionRunner, SetStep, SummaryStep

PLAN = SessionPlan(exercises=(ExercisePlan("power_grip", sets=2, reps=3, rest_s=20.0),
                              ExercisePlan("pinch", sets=1, reps=2, rest_s=10.0)))


def play(runner, step, now, successes):
    runner.set_started(step, now)
    for ok in successes:
        runner.rep_done(step, success=ok, peak_pct=25.0 if ok else 15.0, target_pct=step.target_pct)
    runner.set_ended(step, now + 10 * len(successes), "completed", len(successes))
    return now + 10 * len(successes)


def test_steps_come_in_order():
    log = []
    r = SessionRunner(PLAN, log=lambda k, d: log.append(k))
    t = 0.0
    assert r.next_step(t) == RatingStep("before")
    r.rated("before", 1, 2, t)
    warm = r.next_step(t)
    assert isinstance(warm, SetStep) and warm.warmup and warm.target_pct == 10.0 and warm.hold_s == 0.5
    t = play(r, warm, t, [True] * 5)
    s1 = r.next_step(t)
    assert (s1.exercise.exercise, s1.set_number, s1.reps) == ("power_grip", 1, 3)
    t = play(r, s1, t, [True, True, False])
    rest = r.next_step(t)
    assert isinstance(rest, RestStep) and rest.reason == "between_sets" and rest.next_label == "Set 2 of 2"
    s2 = r.next_step(t)
    assert s2.set_number == 2 and s2.target_pct == r.controllers["power_grip"].target_pct
    t = play(r, s2, t, [True, True, True])
    assert isinstance(r.next_step(t), RestStep)
    s3 = r.next_step(t)
    assert s3.exercise.exercise == "pinch" and s3.reps == 2
    t = play(r, s3, t, [True, False])
    assert r.next_step(t) == RatingStep("after")
    r.rated("after", 1, 3, t)
    summary = r.next_step(t)
    assert isinstance(summary, SummaryStep)
    assert summary.summary.end_reason == "completed" and summary.summary.reps_done == 8
    assert [s.set_number for s in summary.summary.sets] == [1, 2, 1]
    assert {"rating", "set_start", "set_end", "rest", "difficulty_change", "progression"} <= set(log)


def test_stop_for_pain_goes_to_the_rating_after_then_ends():
    r = SessionRunner(PLAN)
    r.rated("before", 0, 0, 0.0)
    warm = r.next_step(0.0)
    r.set_started(warm, 0.0)
    r.set_ended(warm, 5.0, "pain", 1)
    assert r.next_step(5.0) == RatingStep("after")
    r.rated("after", 5, 5, 6.0)
    s = r.next_step(6.0).summary
    assert s.end_reason == "pain"
    assert s.progression["power_grip"] == "session not finished"


def test_high_pain_before_means_no_exercise_today():
    r = SessionRunner(PLAN)
    r.rated("before", 8, 3, 0.0)
    step = r.next_step(0.0)
    assert isinstance(step, SummaryStep) and step.summary.end_reason == "pain_before"


def test_a_forced_rest_splits_the_set_and_it_goes_on_after():
    r = SessionRunner(SessionPlan(exercises=(ExercisePlan("power_grip", sets=1, reps=6),), warmup=False))
    r.rated("before", 0, 0, 0.0)
    s = r.next_step(0.0)
    r.set_started(s, 0.0)
    results = [r.rep_done(s, success=False, peak_pct=5.0, target_pct=20.0) for _ in range(3)]
    assert results[-1].rest_now and results[-1].fatigue.reason == "weak_reps"
    assert r.controllers["power_grip"].paused
    r.set_ended(s, 30.0, "fatigue", 3)
    rest = r.next_step(30.0)
    assert isinstance(rest, RestStep) and rest.reason == "fatigue" and rest.seconds == 90.0
    again = r.next_step(120.0)
    assert again.resumed and again.reps == 3 and again.set_number == 1


def test_daily_ceiling_limits_the_session():
    r = SessionRunner(PLAN, reps_done_today=295)
    # 5 left today: 2 per set for power grip's 2 sets, then 1 for pinch's single set.
    assert r.reps_per_set == [2, 1] and r.reps_planned == 5


def test_bad_ratings_are_refused_with_a_clear_message():
    r = SessionRunner(PLAN)
    with pytest.raises(ValueError, match="pain rating must be a whole number from 0 to 10"):
        r.rated("before", 11, 0, 0.0)


def test_an_empty_program_is_refused():
    with pytest.raises(ValueError, match="no exercises"):
        SessionRunner(SessionPlan(exercises=()))
