"""The roll-range calibration: protocol on synthetic roll traces, records, scenes, and play.

The rolling games judge every stroke against the patient's own calibrated range, so a
calibration must measure what the hand really rolls (slow strokes, a gyro bias, tremor),
be kept per patient, hand and device, and change what counts in the game.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from game.input import Act, Action
from game.loop import STEP
from game.scene import Push
from game.scenes.calibrate import CalibrateScene, before_play
from game.scenes.play import PlayScene
from game.scenes.roll_calibrate import (
    CalibrateChoiceScene,
    RollCalibrateScene,
    before_roll_play,
    calibrate_entry,
    needs_roll_calibration,
    roll_range_for_play,
    stored_roll_range,
)
from game.records.storage import MIGRATIONS, SCHEMA_VERSION, Store, _statements
from game.therapy.calibration import Calibration
from game.therapy.roll_calibration import RollCalibrationRun, RollStep
from game.therapy.roll_reps import RollRange, StrokeDetector
from hardware.clock import ManualClock
from hardware.keyboard import FULL_SCALE, KeyboardBall
from hardware.sample import Sample
from hardware.scripted import ScriptedSource
from hardware.traces import keyframe_curve
from tests.helpers import make_app

FS = 100.0
BIAS = (2.0, -1.5)  # a gyro's rest rate, device units per second


# ------------------------------------------------------------------ traces
def strokes(t0: float, t1: float, amp: float, out_s: float, back_s: float, pause_s: float = 0.3,
            rng: np.random.Generator | None = None) -> list[tuple[float, float]]:
    """Keyframes of the ball's position: out ``amp`` and back, again and again, inside [t0, t1]."""
    frames = [(t0, 0.0)]
    t = t0
    while t + out_s + back_s + 2 * pause_s <= t1:
        a = amp * (rng.uniform(0.93, 1.07) if rng is not None else 1.0)
        frames += [(t + out_s, a), (t + out_s + pause_s, a), (t + out_s + pause_s + back_s, 0.0)]
        t += out_s + back_s + 2 * pause_s
        frames.append((t, 0.0))
    return frames


def roll_trace(duration: float, y_frames, x_frames, *, seed: int = 0, noise: float = 1.0,
               tremor: float = 2.0, bias=BIAS, force: float = 100.0) -> np.ndarray:
    """(N, 4) t, force, roll_x, roll_y: rates of the keyframed positions, with sensor effects."""
    t = np.arange(0.0, duration, 1.0 / FS)
    rng = np.random.default_rng(seed)
    out = [t, np.full_like(t, force)]
    for frames, b in ((x_frames, bias[0]), (y_frames, bias[1])):
        pos = keyframe_curve(t, frames) if frames else np.zeros_like(t)
        rate = np.gradient(pos, 1.0 / FS) + b + rng.normal(0.0, noise, t.shape)
        rate += tremor * np.sin(2 * np.pi * 9.0 * t + rng.uniform(0, 6.28))
        out.append(rate)
    t_, f, rx, ry = out
    return np.column_stack([t_, f, rx, ry])


def protocol_trace(y_amp: float, x_amp: float, *, start: float, out_s: float = 0.9, back_s: float = 0.9,
                   seed: int = 0, **kw) -> np.ndarray:
    """What a hand does through the protocol begun at ``start``: still, ready, roll y, ready, roll x."""
    rng = np.random.default_rng(seed + 7)
    y0 = start + 2.0 + 2.0  # still, then ready
    x0 = y0 + 8.0 + 2.0
    y = strokes(y0 + 0.3, y0 + 7.7, y_amp, out_s, back_s, rng=rng)
    x = strokes(x0 + 0.3, x0 + 7.7, x_amp, out_s, back_s, rng=rng)
    return roll_trace(x0 + 10.0, y, x, seed=seed, **kw)


def drive(run: RollCalibrationRun, trace: np.ndarray, until: float | None = None) -> None:
    """Feed a run sample by sample, its time advancing with the trace's."""
    last = trace[0, 0]
    for row in trace:
        if until is not None and row[0] > until:
            break
        run.feed([Sample(float(row[0]), float(row[1]), float(row[2]), float(row[3]))])
        run.update(float(row[0]) - last)
        last = float(row[0])


# ---------------------------------------------------------------- protocol
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_protocol_measures_each_axis_range_despite_bias_noise_and_tremor(seed):
    run = RollCalibrationRun()
    run.begin()
    drive(run, protocol_trace(60.0, 35.0, start=0.0, seed=seed))
    assert run.step is RollStep.RESULT, run.problem
    rr = run.roll_range()
    assert rr.y == pytest.approx(60.0, rel=0.12)
    assert rr.x == pytest.approx(35.0, rel=0.12)
    assert run.bias == pytest.approx(BIAS, abs=0.5)  # learnt while still, taken out of the rolls
    # the rest noise as the detector sees it (through its low-pass): tremor and sensor noise mostly gone
    raw_sd = float(np.std(np.asarray(run.still)[:, 1]))
    assert 0.05 < rr.noise_rate < 0.5 * raw_sd


def test_slow_paretic_strokes_are_measured_in_full():
    # 3.5 s out and 3 s back: one slow stroke per axis in the 8 s
    run = RollCalibrationRun()
    run.begin()
    drive(run, protocol_trace(50.0, 30.0, start=0.0, out_s=3.5, back_s=3.0, seed=3))
    assert run.step is RollStep.RESULT, run.problem
    assert run.roll_range().y == pytest.approx(50.0, rel=0.12)
    assert run.roll_range().x == pytest.approx(30.0, rel=0.12)


def test_uncorrected_bias_would_inflate_the_range():
    """Why the still rest matters: the same recording without bias removal measures more."""
    trace = protocol_trace(20.0, 20.0, start=0.0, seed=5, bias=(6.0, 6.0))
    run = RollCalibrationRun()
    run.begin()
    drive(run, trace)
    assert run.roll_range().y == pytest.approx(20.0, rel=0.15)
    unbiased = RollCalibrationRun()
    unbiased.begin()
    drive(unbiased, trace, until=2.0)
    unbiased.bias = (0.0, 0.0)  # pretend nothing was learnt
    for row in trace[trace[:, 0] > 2.0]:
        unbiased.feed([Sample(*map(float, row))])
        unbiased.update(1 / FS)
    assert unbiased.roll_range().y > 1.5 * run.roll_range().y


def test_a_hand_that_does_not_roll_gets_a_kind_message():
    run = RollCalibrationRun()
    run.begin()
    drive(run, roll_trace(30.0, [], [], seed=1))
    assert run.step is RollStep.PROBLEM
    assert "could not see the ball roll forward and back" in run.problem
    assert not run.ranges


def test_no_readings_and_moving_during_the_rest_are_explained():
    run = RollCalibrationRun()
    run.begin()
    run.update(2.5)
    assert run.step is RollStep.PROBLEM and "No readings" in run.problem

    run = RollCalibrationRun()
    run.begin()
    # rolled steadily the whole time it should be still
    drive(run, roll_trace(3.0, [(0.0, 0.0), (3.0, 150.0)], [], seed=2))
    assert run.step is RollStep.PROBLEM and "moved" in run.problem


def test_broken_readings_are_dropped_not_integrated():
    trace = protocol_trace(40.0, 40.0, start=0.0, seed=4)
    trace[::37, 3] = np.nan
    trace[::41, 2] = np.inf
    run = RollCalibrationRun()
    run.begin()
    drive(run, trace)
    assert run.step is RollStep.RESULT
    assert run.roll_range().y == pytest.approx(40.0, rel=0.12)


# ----------------------------------------------------------------- records
def test_store_round_trip_and_median_of_the_last_three(tmp_path):
    store = Store.in_dir(tmp_path, background=False)
    pid = store.ensure_patient("Ann")
    now = [1000.0]
    store._wall = lambda: now[0]
    for rx, ry in ((40.0, 60.0), (10.0, 20.0), (44.0, 66.0), (42.0, 90.0)):
        now[0] += 60
        store.save_roll_calibration(pid, "right", range_x=rx, range_y=ry, noise_rate=1.2, device="Ball",
                                    trials={"bias": [1.0, 2.0]})
    store.save_roll_calibration(pid, "left", range_x=5.0, range_y=6.0, device="Ball")
    store.save_roll_calibration(pid, "right", range_x=500.0, range_y=600.0, device="Other ball")
    rows = store.roll_calibrations(pid, "right", device="Ball")
    assert [r["range_x"] for r in rows] == [42.0, 44.0, 10.0, 40.0]  # newest first
    rr = stored_roll_range(store, pid, "right", "Ball")
    assert (rr.x, rr.y) == (42.0, 66.0)  # per axis, the median of the last three
    assert rr.noise_rate == 1.2
    assert stored_roll_range(store, pid, "left", "Ball").x == 5.0
    assert stored_roll_range(store, pid, "right", "Other ball").y == 600.0
    assert stored_roll_range(store, pid, "right", "Keyboard") is None
    with pytest.raises(sqlite3.IntegrityError):
        store.save_roll_calibration(pid, "right", range_x=0.0, range_y=10.0)
    store.close()


def test_a_database_from_before_roll_calibration_upgrades(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    version = MIGRATIONS.index(next(m for m in MIGRATIONS if "roll_calibrations" in m))
    for script in MIGRATIONS[:version]:
        for stmt in _statements(script):
            db.execute(stmt)
    db.execute(f"PRAGMA user_version={version}")
    db.execute("INSERT INTO patients(id, name, hand, created_at) VALUES (1, 'Ann', 'left', 1000.0)")
    db.execute("INSERT INTO calibrations(patient_id, hand, recorded_at, baseline, mvc) VALUES (1, 'left', 1, 40, 300)")
    db.commit()
    db.close()
    store = Store(path, background=False)
    assert store.version == SCHEMA_VERSION
    assert store.calibrations(1)[0]["mvc"] == 300  # nothing lost
    assert store.roll_calibrations(1) == []
    store.save_roll_calibration(1, "left", range_x=30.0, range_y=50.0, device="Ball")
    assert stored_roll_range(store, 1, "left", "Ball") == RollRange(30.0, 50.0)
    store.close()


# ------------------------------------------------------------------ scenes
class MotionBall(ScriptedSource):
    """A serial ball with a motion sensor, as the game sees one (calibrated per patient)."""

    needs_calibration = True


def motion_app(tmp_path, trace: np.ndarray, *, has_roll: bool = True, exercise: str | None = None):
    clock = ManualClock()
    src = MotionBall(clock, trace, name="Ball")
    if not has_roll:
        src.info = type(src.info)(name="Ball", has_force=True, has_roll=False)
    app = make_app(tmp_path, exercise=exercise, source=src, calibration=Calibration(0, 1000))
    # The force side is calibrated already: these tests are about the roll.
    app.store.save_calibration(app.ctx.patient_id, app.ctx.play.hand, baseline=100.0, mvc=400.0, noise_sd=1.0,
                               device="Ball")
    app.ctx.calibration = Calibration(100.0, 400.0, 1.0)
    return app, clock


def advance(app, clock, seconds: float) -> None:
    for _ in range(round(seconds / STEP)):
        clock.advance(STEP)
        app.clock.advance(STEP)
        app.frame()


def test_before_a_rolling_set_the_scene_measures_saves_and_plays_on(tmp_path):
    start = 1.0 + 0.6 + STEP  # Start chosen at 1 s; the hand is already at rest (let go 0.6 s)
    trace = protocol_trace(70.0, 45.0, start=start, seed=11)
    app, clock = motion_app(tmp_path, trace)
    assert needs_roll_calibration(app.ctx)
    first = before_play(app.ctx, PlayScene("thumb_flex_ext"))
    assert isinstance(first, RollCalibrateScene) and first.automatic
    assert not isinstance(before_play(app.ctx, PlayScene("power_grip")), RollCalibrateScene)
    app.apply(Push(first))
    advance(app, clock, 1.0)
    app.draw(0)
    app.save_screenshot(tmp_path / "roll_intro.png")
    app.apply(app.top.handle(Action(Act.CONFIRM)))  # Start
    shots = {}
    for _ in range(int(40 / STEP)):
        advance(app, clock, STEP)
        r = first.run
        key = (r.step, r.axis_index)
        if r.step is RollStep.ROLL and r.elapsed > 5 and key not in shots:
            shots[key] = tmp_path / f"roll_{r.axis}.png"
            app.save_screenshot(shots[key])
        if r.step in (RollStep.RESULT, RollStep.PROBLEM):
            break
    assert first.run.step is RollStep.RESULT, first.run.problem
    app.draw(0)
    app.save_screenshot(tmp_path / "roll_result.png")
    assert first.run.ranges["y"] == pytest.approx(70.0, rel=0.12)
    assert first.run.ranges["x"] == pytest.approx(45.0, rel=0.12)
    app.apply(app.top.handle(Action(Act.CONFIRM)))  # Save (focused)
    assert isinstance(app.top, PlayScene)
    rows = app.store.roll_calibrations(app.ctx.patient_id, "right")
    assert len(rows) == 1 and rows[0]["device"] == "Ball"
    # the game plays on the range just measured, and nothing asks again
    det = app.top.game.detector
    assert det.roll_range.y == pytest.approx(rows[0]["range_y"]) and det.roll_range.x == rows[0]["range_x"]
    assert not needs_roll_calibration(app.ctx)
    assert isinstance(before_play(app.ctx, PlayScene("thumb_roll")), PlayScene)
    events = [r["kind"] for r in app.store.events()]
    assert "roll_calibrated" in events
    app.shutdown()


def test_not_now_plays_on_the_nominal_range_and_is_not_asked_again(tmp_path):
    app, clock = motion_app(tmp_path, roll_trace(60.0, [], []))
    first = before_play(app.ctx, PlayScene("table_roll"))
    app.apply(Push(first))
    advance(app, clock, 0.5)
    app.apply(app.top.handle(Action(Act.RIGHT)))
    app.apply(app.top.handle(Action(Act.CONFIRM)))  # Not now
    assert isinstance(app.top, PlayScene)
    assert app.top.game.detector.roll_range == RollRange()
    assert app.store.roll_calibrations(app.ctx.patient_id) == []
    assert isinstance(before_play(app.ctx, PlayScene("thumb_roll")), PlayScene)  # once per run
    app.shutdown()


def test_stopping_half_way_saves_nothing(tmp_path):
    app, clock = motion_app(tmp_path, protocol_trace(60.0, 40.0, start=0.6, seed=2))
    scene = RollCalibrateScene()
    app.apply(Push(scene))
    app.apply(app.top.handle(Action(Act.CONFIRM)))  # Start
    advance(app, clock, 8.0)
    assert scene.run.step is RollStep.ROLL
    app.apply(app.top.handle(Action(Act.BACK)))
    assert scene.run.step is RollStep.INTRO
    app.apply(app.top.handle(Action(Act.BACK)))
    assert app.top is not scene
    assert app.store.roll_calibrations(app.ctx.patient_id) == []
    app.shutdown()


def test_the_menu_offers_rolling_reach_for_a_motion_ball(tmp_path):
    app, clock = motion_app(tmp_path, roll_trace(30.0, [], []))
    entry = calibrate_entry(app.ctx)
    assert isinstance(entry, CalibrateChoiceScene)
    app.apply(Push(entry))
    app.draw(0)
    app.save_screenshot(tmp_path / "calibrate_choice.png")
    app.apply(app.top.handle(Action(Act.RIGHT)))
    app.apply(app.top.handle(Action(Act.CONFIRM)))
    assert isinstance(app.top, RollCalibrateScene) and not app.top.nominal
    app.shutdown()


def test_a_ball_without_a_motion_sensor_is_never_asked_to_calibrate_rolling(tmp_path):
    app, clock = motion_app(tmp_path, np.column_stack([np.arange(0, 30, 0.01), np.full(3000, 100.0)]),
                            has_roll=False)
    assert not needs_roll_calibration(app.ctx)
    for ex in ("thumb_flex_ext", "table_roll", "thumb_roll", "thumb_opposition"):
        assert isinstance(before_play(app.ctx, PlayScene(ex)), PlayScene)
        assert roll_range_for_play(app.ctx, ex) is None
    assert isinstance(calibrate_entry(app.ctx), CalibrateScene)
    app.shutdown()


def test_keyboard_and_mouse_say_their_range_is_the_same_for_everyone(tmp_path):
    clock = ManualClock()
    kb = KeyboardBall(clock)
    app = make_app(tmp_path, exercise=None, source=kb, calibration=Calibration(0.0, FULL_SCALE))
    assert not needs_roll_calibration(app.ctx)
    assert isinstance(before_roll_play(app.ctx, PlayScene("thumb_roll"), "thumb_roll"), PlayScene)
    assert roll_range_for_play(app.ctx, "thumb_roll") is None  # the nominal range
    entry = calibrate_entry(app.ctx)
    assert isinstance(entry, CalibrateChoiceScene)
    app.apply(Push(entry))
    app.apply(app.top.handle(Action(Act.RIGHT)))
    app.apply(app.top.handle(Action(Act.CONFIRM)))
    scene = app.top
    assert isinstance(scene, RollCalibrateScene) and scene.nominal
    app.draw(0)
    app.save_screenshot(tmp_path / "roll_nominal.png")
    app.apply(app.top.handle(Action(Act.CONFIRM)))  # OK
    assert app.top is not scene
    app.shutdown()


# -------------------------------------------------------------------- play
STROKE = 40.0  # device units out and back


def one_size_strokes(n: int = 6, seed: int = 0) -> np.ndarray:
    frames = strokes(4.0, 4.0 + n * 3.0, STROKE, 0.9, 0.9, pause_s=0.6)
    return roll_trace(4.0 + n * 3.0 + 4.0, frames, [], seed=seed)


@pytest.mark.parametrize("range_y,reps,good", [(60.0, 6, 6), (120.0, 6, 0), (400.0, 0, 0)])
def test_the_calibrated_range_changes_what_counts(tmp_path, range_y, reps, good):
    """The same 40-unit strokes: good for a small range, too small for a larger one, and
    not even a stroke (a wiggle) for a very large one."""
    app, clock = motion_app(tmp_path, one_size_strokes(6), exercise=None)
    app.store.save_roll_calibration(app.ctx.patient_id, "right", range_x=range_y, range_y=range_y,
                                    noise_rate=1.0, device="Ball")
    scene = before_play(app.ctx, PlayScene("thumb_flex_ext"))
    assert isinstance(scene, PlayScene)
    app.apply(Push(scene))
    advance(app, clock, 30.0)
    game = scene.game
    assert game.detector.roll_range.y == range_y
    assert game.reps_done == reps
    assert game.successes == good
    if reps and not good:
        assert {r.failure.value for r in game.reps} == {"too_small"}
    app.shutdown()


def test_detector_alone_agrees_with_the_game():
    """The same judgement without the app: only the range differs."""
    trace = one_size_strokes(5, seed=3)
    counts = []
    for rng_y in (60.0, 120.0, 400.0):
        det = StrokeDetector("y", RollRange(rng_y, rng_y, noise_rate=1.0))
        reps = det.feed([Sample(*map(float, row)) for row in trace])
        counts.append((len(reps), sum(r.success for r in reps)))
    assert counts == [(5, 5), (5, 0), (0, 0)]
