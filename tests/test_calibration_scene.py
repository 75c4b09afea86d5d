"""The calibration protocol and its scene: rest, three maximal squeezes, MVC, records."""

from __future__ import annotations

import numpy as np
import pytest

from game.loop import STEP
from game.scenes.calibrate import (
    CalibrateScene,
    CalibrationRun,
    Step,
    before_play,
    stored_calibration,
)
from game.records.storage import Store
from game.therapy.calibration import Calibration
from hardware.clock import ManualClock
from hardware.sample import Sample
from hardware.scripted import ScriptedSource
from hardware.traces import Squeeze, synth_trace
from tests.helpers import make_app

BASE = 80.0


def _drive(run: CalibrationRun, force_at, seconds: float, fs: float = 100.0, t0: float = 0.0) -> float:
    t = t0
    for _ in range(int(seconds * fs)):
        run.feed([Sample(t, force_at(run, t))])
        run.update(1 / fs)
        t += 1 / fs
    return t


def test_run_measures_baseline_noise_and_best_250ms():
    rng = np.random.default_rng(1)
    peaks = iter([400.0, 520.0, 480.0])
    current = {"peak": 0.0, "trial": -1}

    def force(run, t):
        if run.step is Step.SQUEEZE:
            if current["trial"] != len(run.trials):
                current["trial"] = len(run.trials)
                current["peak"] = next(peaks)
            return BASE + current["peak"] + rng.normal(0, 2)
        return BASE + rng.normal(0, 2)

    run = CalibrationRun()
    run.begin()
    _drive(run, force, 3 + 3 * (2 + 4) + 2 * 5 + 1)
    assert run.step is Step.RESULT
    assert run.baseline == pytest.approx(BASE, abs=1)
    assert run.noise_sd == pytest.approx(2, abs=0.6)
    assert run.mvc == pytest.approx(520, abs=3)  # the best trial
    assert [round(v) for v in run.trial_mvcs()] == pytest.approx([400, 520, 480], abs=3)


def test_no_squeeze_is_a_kind_message_not_a_calibration():
    run = CalibrationRun()
    run.begin()
    _drive(run, lambda r, t: BASE + (0.5 if int(t * 100) % 2 else -0.5), 35)
    assert run.step is Step.PROBLEM and "could not measure a squeeze" in run.problem


def test_known_weight_gives_kg_per_unit():
    run = CalibrationRun(baseline=BASE, trials=[BASE + 500], step=Step.RESULT)
    run.start_weighing(2.0)
    _drive(run, lambda r, t: BASE + 100.0, 3.2)
    assert run.step is Step.RESULT and run.scale_kg_per_unit == pytest.approx(0.02)


def test_stored_calibration_uses_median_of_last_three(tmp_path):
    now = [0.0]
    store = Store.in_dir(tmp_path, wall=lambda: now[0])
    pid = store.ensure_patient()
    for mvc in (100.0, 300.0, 200.0, 900.0):
        now[0] += 1
        store.save_calibration(pid, "right", baseline=10 + mvc / 100, mvc=mvc, device="Ball")
    cal = stored_calibration(store, pid, "right", "Ball")
    assert cal.mvc == 300.0 and cal.baseline == 19.0  # median of 300, 200, 900; newest baseline
    assert stored_calibration(store, pid, "left") is None
    store.close()


class _Serialish(ScriptedSource):
    needs_calibration = True


def test_scene_calibrates_saves_and_goes_on_to_play(tmp_path):
    clock = ManualClock()
    sq = [Squeeze(8.0 + i * 11.0, 450.0, rise=0.4, hold=3.0, release=0.4) for i in range(3)]
    trace = synth_trace(sq, 60, baseline=BASE, noise_sd=1.5, seed=4)
    src = _Serialish(clock, trace, name="Ball")
    app = make_app(tmp_path, exercise=None, source=src, calibration=Calibration(0, 1000))
    from game.scene import Push
    from game.scenes.play import PlayScene

    first = before_play(app.ctx, PlayScene("power_grip"))
    assert isinstance(first, CalibrateScene)
    app.apply(Push(first))
    from game.input import Act, Action

    app.apply(app.top.handle(Action(Act.CONFIRM)))  # Start
    shot = None
    for _ in range(int(45 / STEP)):
        clock.advance(STEP)  # the source's clock
        app.clock.advance(STEP)
        app.frame()
        if shot is None and first.run.step is Step.SQUEEZE and first.run.elapsed > 2:
            shot = tmp_path / "squeeze.png"
            app.save_screenshot(shot)
        if first.run.step is Step.RESULT:
            break
    assert first.run.step is Step.RESULT, (first.run.problem, app.stack, first.run.elapsed)
    app.draw(0)
    app.save_screenshot(tmp_path / "result.png")
    app.apply(app.top.handle(Action(Act.CONFIRM)))  # Save (focused)
    assert isinstance(app.top, PlayScene)
    rows = app.store.calibrations(app.ctx.patient_id, "right")
    assert len(rows) == 1 and rows[0]["device"] == "Ball"
    assert app.ctx.calibration.mvc == pytest.approx(450, rel=0.03)
    assert app.ctx.calibration.baseline == pytest.approx(BASE, abs=1)
    assert not isinstance(before_play(app.ctx, PlayScene("power_grip")), CalibrateScene)
    app.shutdown()
