"""Issue 14: the therapist's program is the authority over adaptation.

Programs are written as level files and go through the real loader; sessions run through
the real SessionRunner, with simulated hands whose force traces go through the real
ForceRepDetector (game/therapy/patient_sim.py). Each rule is shown to bite: the same hand
with adapting allowed does what the issue measured (12% -> 39%, a 1 s hold cut to 0.5 s).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.levels import parse_level_text
from game.program import ExercisePlan, SessionPlan
from game.scene import Push
from game.session import RestStep, SessionRunner
from game.therapy.difficulty import CHANGE_REASONS, DifficultyController, DifficultyState, describe_change
from game.therapy.patient_sim import MEDIUM, STRONG, WEAK, PatientModel, simulate

# Strong enough for a 12% pinch every time; peaks 2-3 times the target when it tries hard.
HOLDS_BRIEFLY = PatientModel("holds briefly", mvc=600.0, capacity_pct=60.0, aim_over=2.5, peak_cv=0.08,
                             hold_limit_s=0.1, droop_per_s=0.0, rise_s=0.2, release_s=0.2)
# Lets go in about 7 s (paretic hands: ~5 s, Seo 2009) against a 3 s release window.
SLOW_TO_LET_GO = replace(STRONG, name="slow to let go", release_s=7.0, release_cv=0.05)
# Cannot reach 10% at all: every squeeze falls short of the target.
TOO_WEAK = replace(WEAK, name="too weak", capacity_pct=8.0)
# Today reaches about 12%: well under 80% of a 20% target, so the fatigue guard flags it.
FAR_BELOW = replace(MEDIUM, name="far below", capacity_pct=12.0)


def program(exercise_lines: str, top: str = "") -> SessionPlan:
    """A one-exercise pinch program (3 x 10, no warm-up) from level-file text."""
    text = f"name: Pinch\nwarmup: false\n{top}exercises:\n  - exercise: pinch\n" + "".join(
        f"    {line}\n" for line in exercise_lines.strip().splitlines())
    level, problems = parse_level_text(text, "pinch.yaml")
    assert not problems, [str(p) for p in problems]
    return level.to_plan()


def changes(run, reasons=None):
    return [d for _, k, d in run.events if k == "difficulty_change" and (reasons is None or d["reason"] in reasons)]


# ----------------------------------------------------------- the cases
@pytest.mark.parametrize("patient", [STRONG, MEDIUM, WEAK], ids=lambda p: p.name)
def test_a_fixed_pinch_target_of_12_stays_12_over_30_reps(patient):
    fixed = program("target_pct: 12\nhold_s: 1\nadapt: off")
    run = simulate(patient, fixed, seed=0)[0]
    assert len(run.reps) == 30 and all(r.success for r in run.reps)  # succeeds every time
    assert {r.target_before for r in run.reps} == {r.target_after for r in run.reps} == {12.0}
    assert {r.hold_s for r in run.reps} == {1.0}
    assert {r.cue_s for r in run.reps} == {3.0}
    assert changes(run) == []
    # The same hand with adapting allowed (bounds 5-40) is what the issue measured.
    if patient is STRONG:
        free = simulate(patient, program("target_pct: 12\nhold_s: 1"), seed=0)[0]
        assert max(r.target_after for r in free.reps[:10]) >= 35.0


def test_the_program_level_adapt_false_fixes_every_exercise_too():
    run = simulate(STRONG, program("target_pct: 12\nhold_s: 1", top="adapt: false\n"), seed=1)[0]
    assert {r.target_after for r in run.reps} == {12.0} and {r.hold_s for r in run.reps} == {1.0}


@pytest.mark.parametrize("patient", [STRONG, MEDIUM, WEAK, TOO_WEAK], ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_with_bounds_10_to_20_the_target_never_leaves_them(patient, seed):
    bounded = program("target_pct: 12\ntarget_min_pct: 10\ntarget_max_pct: 20\nhold_s: 1")
    runs = simulate(patient, bounded, seed=seed, days=2)
    targets = [t for run in runs for r in run.reps for t in (r.target_before, r.target_after)]
    assert min(targets) >= 10.0 and max(targets) <= 20.0
    for run in runs:
        for d in changes(run, {"success", "below target", "fatigue"}):
            assert 10.0 <= d["after"] <= 20.0
    if patient is STRONG:
        assert max(targets) == 20.0  # it was pushing at the top...
    if patient is TOO_WEAK:
        assert min(targets) == 10.0  # ...and at the bottom, and stopped there


def test_the_fatigue_guard_rests_but_never_goes_below_the_programs_lowest_and_says_so():
    plan = program("target_pct: 20\ntarget_min_pct: 20\ntarget_max_pct: 30")
    run = simulate(FAR_BELOW, plan, seed=0)[0]
    flags = [d for _, k, d in run.events if k == "fatigue_flag"]
    assert flags, "three weak squeezes in a row flag fatigue"
    assert all(r.target_after == 20.0 for r in run.reps)
    held = [d for _, k, d in run.events if k == "difficulty_held"]
    assert len(held) == len(flags) and all(d["reason"] == "fatigue" and d["value"] == 20.0 for d in held)
    said = [d for _, k, d in run.events if k == "rest" and d["reason"] == "fatigue"]
    assert said and said[0]["changes"] == ["The target stays at the lowest your program sets: 20%"]
    # With room below, it lowers 10% (a safety measure, even where the target is fixed)...
    fixed = simulate(FAR_BELOW, program("target_pct: 25\ntarget_min_pct: 21\nadapt: off"), seed=0)[0]
    lowered = changes(fixed, {"fatigue"})
    assert lowered[0]["before"] == 25.0 and lowered[0]["after"] == pytest.approx(22.5)
    assert lowered[1]["after"] == 21.0  # ...then only down to the program's lowest
    assert min(r.target_after for r in fixed.reps) == 21.0
    said = [d["changes"] for _, k, d in fixed.events if k == "rest" and d["reason"] == "fatigue"]
    assert said[0] == ["A little lighter after the rest"]


def runner_rests(plan: SessionPlan, outcomes_per_set, *, pacing=False, set_s=60.0):
    """Drive a runner by hand: each set's (success, failure, peak) reps; return its RestSteps and log."""
    log: list[tuple[str, dict]] = []
    r = SessionRunner(plan, log=lambda k, d: log.append((k, d)), pacing=pacing)
    t = 0.0
    r.rated("before", 0, 0, t)
    rests: list[RestStep] = []
    for reps in outcomes_per_set:
        step = r.next_step(t)
        while isinstance(step, RestStep):
            rests.append(step)
            step = r.next_step(t)
        r.set_started(step, t)
        for ok, why, peak in reps:
            r.rep_done(step, success=ok, peak_pct=peak, target_pct=step.target_pct, failure=why)
        t += set_s
        r.set_ended(step, t, "completed", len(reps))
    after = r.next_step(t)
    if isinstance(after, RestStep):
        rests.append(after)
    return r, rests, log


def test_hold_failures_never_lower_the_force_target():
    # Through the detector: peaks 2-3 times the target, held 0.1 s against a 1 s hold.
    run = simulate(HOLDS_BRIEFLY, program("target_pct: 12\nhold_s: 1"), seed=0)[0]
    assert Counter(r.failure for r in run.reps) == {"hold_too_short": 30}
    assert min(r.peak_pct for r in run.reps) >= 2.0 * 12.0
    assert all(r.target_after >= r.target_before for r in run.reps)
    assert {r.target_after for r in run.reps} == {12.0}
    # What failed was the hold: between sets the hold shortens (inside hold_min_s), said on screen.
    (ch,) = changes(run)
    assert (ch["setting"], ch["before"], ch["after"], ch["reason"]) == ("hold_s", 1.0, 0.5, "holds too short")
    assert ch["said"] == "A shorter hold this set: 0.5 s"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([(True, None), (False, "below_target"), (False, "hold_too_short"),
                                  (False, "slow_release"), (False, "no_full_release")]), max_size=60),
       st.floats(5.0, 40.0))
def test_no_hold_or_release_failure_ever_lowers_the_target(reps, start):
    c = DifficultyController(ExercisePlan("pinch", target_pct=round(start, 1)))
    for ok, why in reps:
        before = c.target_pct
        ch = c.record(ok, why)
        if why in ("hold_too_short", "slow_release", "no_full_release"):
            assert c.target_pct == before and ch is None
        if ch is not None:
            assert ch.reason in CHANGE_REASONS


def test_an_unnamed_failure_is_judged_by_its_peak():
    plan = SessionPlan(exercises=(ExercisePlan("pinch", sets=2, reps=3),), warmup=False)
    # Reached 30% against 20% but failed: not the force; 15% against 20%: below target.
    r, _, _ = runner_rests(plan, [[(False, None, 30.0)] * 3])
    assert r.controllers["pinch"].target_pct == 20.0
    r, _, _ = runner_rests(plan, [[(False, None, 15.0)]])
    assert r.controllers["pinch"].target_pct < 20.0


def test_a_1_s_hold_with_adapt_hold_off_stays_1_s():
    hold_fixed = program("target_pct: 12\nhold_s: 1\nadapt: {target: true, hold: false, pace: true}")
    for patient in (HOLDS_BRIEFLY, STRONG):  # failing every hold, and passing every hold
        run = simulate(patient, hold_fixed, seed=0)[0]
        assert {r.hold_s for r in run.reps} == {1.0}
        assert not [d for d in changes(run) if d["setting"] == "hold_s"]
    # Allowed to adapt, the strong hand's holds grow between sets (said on screen), and the
    # hand that fails its holds gets a shorter one: the rule above is what kept them at 1 s.
    grown = simulate(STRONG, program("target_pct: 12\ntarget_max_pct: 20\nhold_s: 1"), seed=0)[0]
    assert max(r.hold_s for r in grown.reps) > 1.0
    cut = simulate(HOLDS_BRIEFLY, program("target_pct: 12\nhold_s: 1"), seed=0)[0]
    assert min(r.hold_s for r in cut.reps) == 0.5


def test_a_good_set_while_the_target_is_still_climbing_changes_nothing_else():
    # The issue: 12% climbed in set 1, the hold rose too, and set 2 failed 7 of 10.
    run = simulate(STRONG, program("target_pct: 12\nhold_s: 1"), seed=0)[0]
    first = [r for r in run.reps if r.set_number == 1]
    assert sum(r.success for r in first) >= 9 and first[-1].target_after > 30.0
    assert {r.hold_s for r in run.reps} == {1.0} and {r.cue_s for r in run.reps} == {3.0}
    assert [d for d in changes(run) if d["rep"] is None] == []
    # What fails later is force near the hand's limit: the target (and only it) answers.
    later = [r for r in run.reps if r.set_number > 1 and not r.success]
    assert later and all(r.failure == "below_target" and r.target_after < r.target_before for r in later)


def test_a_slow_release_changes_nothing_about_force_and_gives_more_time():
    run = simulate(SLOW_TO_LET_GO, program("target_pct: 12\nhold_s: 1\nrelease_window_s: 3"), seed=0)[0]
    fails = Counter(r.failure for r in run.reps)
    assert fails["slow_release"] >= 20
    for r in run.reps:
        if r.failure == "slow_release":
            assert r.target_after >= r.target_before
    between = [d for d in changes(run) if d["rep"] is None]
    assert between and all(d["setting"] == "cue_s" and d["reason"] == "slow release" and d["after"] > d["before"]
                           for d in between)


def test_one_setting_changes_between_sets_and_only_inside_the_bounds():
    plan = program("target_pct: 25\ntarget_max_pct: 25\nhold_s: 4.5\nhold_max_s: 5\ncue_min_s: 2.5")
    good = [(True, None, 30.0)] * 10
    r, rests, log = runner_rests(plan, [good, good, good])
    said = [rest.changes for rest in rests]
    assert said == [("Hold a little longer this set: 5 s",), ("A little quicker this set: one every 2.5 s",)]
    between = [d for k, d in log if k == "difficulty_change" and d["rep"] is None]
    assert [(d["setting"], d["set"]) for d in between] == [("hold_s", 1), ("cue_s", 2)]
    c = r.controllers["pinch"]
    assert c.hold_s == 5.0 and c.cue_s == 2.5  # the third set's end changed nothing: no set after it


# ------------------------------------------------------- records and start values
def test_every_change_row_is_complete():
    run = simulate(MEDIUM, program("target_pct: 12\nhold_s: 1"), seed=2, days=2)
    rows = [d for r in run for d in changes(r)]
    assert rows
    for d in rows:
        assert d["reason"] in CHANGE_REASONS
        assert {"exercise", "setting", "before", "after", "set", "rep"} <= set(d)
        if d["reason"] in ("success", "below target", "fatigue"):
            assert d["set"] >= 1 and d["rep"] >= 1
        else:
            assert d["rep"] is None


def test_a_new_start_value_in_the_level_file_is_started_from():
    state = DifficultyState.from_dict(DifficultyController(ExercisePlan("pinch", target_pct=12.0)).state.to_dict())
    state.target_pct, state.hold_s = 30.0, 2.0  # where adapting had taken it
    same = DifficultyController(ExercisePlan("pinch", target_pct=12.0, hold_s=0.5),
                                state=DifficultyState.from_dict(state.to_dict()))
    assert (same.target_pct, same.hold_s) == (30.0, 2.0) and same.start_changes == []
    edited = DifficultyController(ExercisePlan("pinch", target_pct=15.0, hold_s=1.0),
                                  state=DifficultyState.from_dict(state.to_dict()))
    assert (edited.target_pct, edited.hold_s) == (15.0, 1.0)
    assert [(c.setting, c.before, c.after, c.reason) for c in edited.start_changes] == [
        ("target_pct", 30.0, 15.0, "program changed"), ("hold_s", 2.0, 1.0, "program changed")]
    # Adapting switched off since: the program's values, whatever was saved.
    fixed = DifficultyController(ExercisePlan("pinch", target_pct=12.0, adapt_target=False),
                                 state=DifficultyState.from_dict(state.to_dict()))
    assert fixed.target_pct == 12.0 and fixed.start_changes[0].reason == "fixed by program"
    # The runner records these like any change.
    log = []
    SessionRunner(SessionPlan(exercises=(ExercisePlan("pinch", target_pct=15.0),)),
                  states={"pinch": DifficultyState.from_dict(state.to_dict())}, log=lambda k, d: log.append((k, d)))
    assert ("difficulty_change", {"setting": "target_pct", "before": 30.0, "after": 15.0, "reason": "program changed",
                                  "exercise": "pinch", "set": None, "rep": None}) in log


# ------------------------------------------------------------------ level files
def test_level_files_say_per_exercise_what_may_adapt():
    plans = program("adapt: {hold: false}").exercises
    assert [(p.adapt_target, p.adapt_hold, p.adapt_pace) for p in plans] == [(True, False, True)]
    assert [(p.adapt_target, p.adapt_hold, p.adapt_pace) for p in program("adapt: off").exercises] == [
        (False, False, False)]
    text = ("name: A\ndefaults:\n  adapt: {pace: false}\nexercises:\n  - exercise: pinch\n    adapt: {target: false}\n"
            "  - exercise: power_grip\n")
    level, problems = parse_level_text(text, "a.yaml")
    assert not problems
    assert [(p.adapt_target, p.adapt_hold, p.adapt_pace) for p in level.to_plan().exercises] == [
        (False, True, False), (True, True, False)]


@pytest.mark.parametrize("line, message", [
    ("adapt: maybe", "line 5: `adapt` in exercise 1 (pinch) must be `off`, `on`, or a group of `target`, `hold` and "
                     "`pace`"),
    ("adapt: {hld: false}", "line 5: `hld` is not a setting in exercise 1 (pinch). Did you mean `hold`?"),
    ("adapt: {target: 3}", "line 5: `target` in exercise 1 (pinch) must be true or false, got 3"),
])
def test_a_wrong_adapt_is_explained_by_line(line, message):
    _, problems = parse_level_text(f"name: A\nwarmup: false\nexercises:\n  - exercise: pinch\n    {line}\n", "a.yaml")
    assert any(message in str(p) for p in problems), [str(p) for p in problems]


def test_an_exercise_may_not_adapt_what_the_program_turns_off():
    _, problems = parse_level_text("name: A\nadapt: false\nexercises:\n  - exercise: pinch\n    adapt: {hold: true}\n",
                                   "a.yaml")
    assert [str(p) for p in problems] == [
        "a.yaml line 5: exercise 1 (pinch): `adapt` lets the game change target, hold, pace, but the program's "
        "`adapt: false` turns all adapting off; remove one of them"]


# ------------------------------------------------------------------ on screen
def test_describe_change_words():
    from game.therapy.difficulty import DifficultyChange

    longer = describe_change(DifficultyChange("hold_s", 1.0, 1.5, "set too easy"))
    assert longer == "Hold a little longer this set: 1.5 s"
    assert describe_change(DifficultyChange("target_pct", 20, 18, "fatigue")) == "A little lighter this set"
    assert describe_change(DifficultyChange("cue_s", 3, 3.5, "slow release"), when="after the rest") == \
        "A little more time for each one after the rest: one every 3.5 s"


def test_the_between_set_words_are_drawn_on_the_rest_screen(tmp_path):
    from game.scenes.rest import RestScene
    from game.scenes.session import SessionScene
    from game.ui import Canvas
    from tests.screens import _app, run

    words = ("Hold a little longer this set: 1.5 s",)
    # The session scene hands the runner's words to the rest screen...
    app = _app(tmp_path, (1280, 720), squeezes=False)
    scene = SessionScene()
    scene.ctx = app.ctx

    class OneRest:
        def next_step(self, now):  # noqa: ANN001, ANN202
            return RestStep(30.0, "between_sets", "Set 2 of 3", words)

    scene.runner = OneRest()  # type: ignore[assignment]
    pushed = scene.update(0.0)
    assert isinstance(pushed, Push) and isinstance(pushed.scene, RestScene) and pushed.scene.changes == words
    # ...which draws them: watched as drawn, and the letters are really on the screen.
    drawn: list[tuple[str, object]] = []
    original = Canvas.text

    def watch(canvas, text, pos, **kw):  # noqa: ANN001, ANN202
        r = original(canvas, text, pos, **kw)
        drawn.append((text, r, kw.get("color")))
        return r

    app.apply(pushed)
    run(app, 2.0)
    Canvas.text = watch
    try:
        app.draw(0.0)
    finally:
        Canvas.text = original
    app.save_screenshot(tmp_path / "rest_changes.png")
    (hit,) = [(r, color) for text, r, color in drawn if text == words[0]]
    rect, color = hit
    shot = pygame.image.load(str(tmp_path / "rest_changes.png"))
    box = app.canvas.prect(rect)
    colours = Counter(tuple(shot.get_at((x, y)))[:3] for x in range(box.left, box.right, 2)
                      for y in range(box.top, box.bottom, 2))
    assert colours[tuple(color)[:3]] > 50, "the words' colour is on screen where they were drawn"
    app.shutdown()


def test_a_pace_quickened_for_the_time_cap_is_said_too_and_a_fixed_pace_is_not():
    ok = [(True, None, 30.0)] * 8 + [(False, "below_target", 24.0)] * 2  # 80%, in the band: nothing else changes
    # The first set took 250 s: 20 more reps and a rest fit what is left of 6 minutes only at 3.5 s each.
    plan = SessionPlan(exercises=(ExercisePlan("power_grip", target_pct=25.0, adapt_target=False, cue_s=4.0),),
                       session_cap_min=6.0, warmup=False)
    r, rests, log = runner_rests(plan, [ok], pacing=True, set_s=250.0)
    (pace,) = [d for k, d in log if k == "difficulty_change" and d["reason"] == "time budget"]
    assert (pace["before"], pace["after"], pace["set"]) == (4.0, 3.5, 1)
    assert rests[0].changes == (pace["said"],)  # said on the rest screen before set 2
    assert pace["said"] == f"A little quicker this set: one every {pace['after']:g} s"
    fixed = replace(plan, exercises=(replace(plan.exercises[0], adapt_pace=False),))
    r, rests, log = runner_rests(fixed, [ok], pacing=True, set_s=250.0)
    assert r.controllers["power_grip"].cue_s == 4.0 and rests[0].changes == ()


def test_the_session_scene_writes_complete_change_rows(tmp_path):
    """What the runner logs reaches the difficulty_changes table with its set and rep, also for
    a between-set change made after the set's scene has gone."""
    from game.scenes.session import SessionScene
    from tests.screens import _app

    app = _app(tmp_path, (1280, 720), squeezes=False)
    scene = SessionScene()
    scene.ctx = app.ctx
    sid = app.store.start_session(app.ctx.patient_id, input_device="test")
    scene.session_id = sid
    scene._log("difficulty_change", {"setting": "target_pct", "before": 12.0, "after": 15.0, "reason": "success",
                                     "exercise": "pinch", "set": 1, "rep": 4})
    scene._log("difficulty_change", {"setting": "hold_s", "before": 1.0, "after": 0.5, "reason": "holds too short",
                                     "exercise": "pinch", "set": 1, "rep": None,
                                     "said": "A shorter hold this set: 0.5 s"})
    app.store.flush()
    rows = [(r["exercise"], r["set_number"], r["rep_number"], r["setting"], r["before"], r["after"], r["reason"])
            for r in app.store.difficulty_changes(sid)]
    assert rows == [("pinch", 1, 4, "target_pct", 12.0, 15.0, "success"),
                    ("pinch", 1, None, "hold_s", 1.0, 0.5, "holds too short")]
    app.shutdown()
