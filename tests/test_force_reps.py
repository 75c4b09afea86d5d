"""The force rep detector on synthetic traces shaped like real (and paretic) squeezes."""

import numpy as np
import pytest

from game.therapy.calibration import Calibration
from game.therapy.force_reps import Failure, ForceRepDetector, ForceRepSettings
from hardware.traces import Squeeze, regular_squeezes, synth_trace

BASE = 50.0
MVC = 400.0  # device units above rest
CAL = Calibration(baseline=BASE, mvc=MVC, noise_sd=2.0)


def pct(p: float) -> float:
    return p / 100.0 * MVC


def run(trace, settings=None, cal=CAL):
    det = ForceRepDetector(cal, settings or ForceRepSettings(target_pct=20.0, hold_s=0.5))
    reps = []
    for t, f, *_ in trace:
        rep = det.step(float(t), float(f))
        if rep is not None:
            reps.append(rep)
    return det, reps


def test_clean_squeezes_count_exactly_and_succeed():
    trace = synth_trace(regular_squeezes(10, pct(40)), 33.0, baseline=BASE, noise_sd=2.0, seed=1)
    _, reps = run(trace)
    assert len(reps) == 10
    assert all(r.success for r in reps)
    for r in reps:
        assert r.peak_pct == pytest.approx(40, abs=2)
        assert 0.15 < r.time_to_peak_s < 0.6
        assert r.hold_s >= 0.9
        assert r.release_s is not None and r.release_s < 1.0
        assert r.rfd_pct_per_s > 30
        assert r.hold_cv is not None and r.hold_cv < 0.05
        assert abs(r.residual_pct) < 3


def test_slow_paretic_release_of_five_seconds_counts_once_and_succeeds():
    squeezes = [Squeeze(2 + i * 9, pct(35), rise=1.0, hold=1.0, release=5.0) for i in range(4)]
    _, reps = run(synth_trace(squeezes, 40.0, baseline=BASE, noise_sd=1.0))
    assert len(reps) == 4
    assert all(r.success for r in reps)
    # Release time runs from leaving the top 10% of the peak until force is below the
    # start level and no longer rising (a sensor may rest higher after a squeeze, so the
    # old rest level cannot be the finish line): most of a 5 s cosine release.
    assert all(2.5 < r.release_s < 6.0 for r in reps)


def test_slow_release_beyond_window_is_logged_as_slow():
    squeezes = [Squeeze(2, pct(35), hold=1.0, release=5.0)]
    settings = ForceRepSettings(target_pct=20, hold_s=0.5, release_window_s=2.0)
    _, reps = run(synth_trace(squeezes, 12.0, baseline=BASE), settings)
    assert len(reps) == 1
    assert reps[0].failure is Failure.SLOW_RELEASE


def test_incomplete_release_is_logged_then_rearms_and_counts_the_next_squeeze():
    # The hand squeezes, relaxes only to 45% of the peak and stays there for 12 s,
    # then squeezes again from that level and finally lets go.
    peak = pct(40)
    frames = [
        (2.0, 0.0), (2.5, peak), (3.5, peak), (4.0, 0.45 * peak),  # incomplete release
        (16.0, 0.45 * peak), (16.5, 0.45 * peak + pct(25)), (17.5, 0.45 * peak + pct(25)),
        (18.0, 0.45 * peak), (20.0, 0.45 * peak), (21.0, 0.0),
    ]
    from hardware.traces import keyframe_curve

    t = np.arange(0, 25, 0.01)
    trace = np.column_stack([t, BASE + keyframe_curve(t, frames)])
    det, reps = run(trace)
    assert reps[0].failure is Failure.NO_FULL_RELEASE
    assert not reps[0].full_release
    # logged about 8 s after the hold was done / letting go began
    assert 10.5 <= reps[0].t_end <= 12.5
    # The second squeeze, made from the unreleased level, is still a rep.
    assert len(reps) == 2
    assert reps[1].peak_pct > 30


def test_tremor_8_to_12_hz_does_not_split_or_add_reps():
    for hz in (8.0, 10.0, 12.0):
        trace = synth_trace(
            regular_squeezes(8, pct(30), hold=1.5, period=4.0), 35.0,
            baseline=BASE, noise_sd=2.0, tremor_hz=hz, tremor_amp=pct(6), seed=3,
        )
        _, reps = run(trace)
        assert len(reps) == 8, hz
        assert sum(r.success for r in reps) == 8, hz


def test_baseline_drift_is_followed_and_does_not_create_reps():
    # 1.5 %MVC per second of upward drift: after 30 s of rest alone the raw
    # signal would sit at 45 %MVC, far above the start threshold.
    drift = pct(1.5)
    trace = synth_trace([], 30.0, baseline=BASE, drift_per_s=drift, noise_sd=1.0)
    det, reps = run(trace)
    assert reps == []
    # The rest level it follows is the drifted one (45 %MVC by the end), not the calibration's.
    assert det.rest_pct == pytest.approx(45.0, abs=4.0)
    # And squeezes on top of the drift still count, with sensible peaks.
    trace = synth_trace(regular_squeezes(6, pct(30), first=5, period=5.0), 40.0, baseline=BASE, drift_per_s=pct(0.5))
    _, reps = run(trace)
    assert len(reps) == 6
    assert all(25 < r.peak_pct < 36 for r in reps)


def test_weak_squeezes_below_target_count_as_attempts_but_fail():
    trace = synth_trace(regular_squeezes(5, pct(12)), 20.0, baseline=BASE, noise_sd=1.0)
    _, reps = run(trace)
    assert len(reps) == 5
    assert all(r.failure is Failure.BELOW_TARGET for r in reps)


def test_movements_below_start_threshold_are_not_reps():
    trace = synth_trace(regular_squeezes(5, pct(3)), 20.0, baseline=BASE, noise_sd=1.0)
    _, reps = run(trace)
    assert reps == []


def test_a_very_weak_hand_works_relative_to_its_own_mvc():
    # MVC of 20 device units (a tenth of a weak ball's range): thresholds are relative.
    cal = Calibration(baseline=10.0, mvc=20.0, noise_sd=0.2)
    trace = synth_trace(regular_squeezes(5, 6.0, rise=0.8, release=3.0, period=7), 40.0, baseline=10.0, noise_sd=0.2)
    _, reps = run(trace, cal=cal)
    assert len(reps) == 5
    assert all(r.success for r in reps)


def test_double_bounce_counts_once():
    peak = pct(40)
    from hardware.traces import keyframe_curve

    frames = []
    for i in range(5):
        s = 2 + i * 5.0
        # squeeze, sag to 35% of the peak, squeeze again, release fully
        frames += [(s, 0), (s + 0.4, peak), (s + 0.9, peak), (s + 1.1, 0.35 * peak),
                   (s + 1.3, 0.35 * peak), (s + 1.6, peak), (s + 2.2, peak), (s + 2.7, 0)]
    t = np.arange(0, 30, 0.01)
    trace = np.column_stack([t, BASE + keyframe_curve(t, frames)])
    _, reps = run(trace)
    assert len(reps) == 5


def test_brief_dip_below_the_end_level_is_bridged():
    peak = pct(40)
    from hardware.traces import keyframe_curve

    s = 2.0
    frames = [(s, 0), (s + 0.3, peak), (s + 0.8, peak), (s + 0.9, 0.0), (s + 0.95, 0.0), (s + 1.05, peak),
              (s + 1.8, peak), (s + 2.2, 0)]
    t = np.arange(0, 8, 0.01)
    _, reps = run(np.column_stack([t, BASE + keyframe_curve(t, frames)]))
    assert len(reps) == 1


def test_hold_too_short_fails_with_reason():
    trace = synth_trace(regular_squeezes(3, pct(30), hold=0.1), 12.0, baseline=BASE)
    _, reps = run(trace, ForceRepSettings(target_pct=20, hold_s=2.0))
    assert len(reps) == 3
    assert all(r.failure is Failure.HOLD_TOO_SHORT for r in reps)


def test_reaction_time_from_cue():
    trace = synth_trace([Squeeze(3.0, pct(30))], 8.0, baseline=BASE)
    det = ForceRepDetector(CAL, ForceRepSettings())
    det.cue(2.5)
    reps = [r for t, f, *_ in trace if (r := det.step(t, f))]
    assert reps[0].reaction_s == pytest.approx(0.5 + 0.1, abs=0.15)


def test_gap_in_signal_drops_the_rep_in_progress():
    trace = synth_trace([Squeeze(2.0, pct(30), hold=2.0)], 8.0, baseline=BASE)
    keep = (trace[:, 0] < 2.8) | (trace[:, 0] > 4.5)  # the ball was unplugged mid-squeeze
    _, reps = run(trace[keep])
    assert reps == []


def test_non_finite_and_out_of_order_samples_are_ignored():
    trace = synth_trace(regular_squeezes(3, pct(30)), 12.0, baseline=BASE)
    det = ForceRepDetector(CAL, ForceRepSettings())
    reps = []
    for t, f, *_ in trace:
        for tt, ff in ((t, f), (t, float("nan")), (t - 0.5, f)):
            r = det.step(tt, ff)
            if r:
                reps.append(r)
    assert len(reps) == 3


def test_a_slow_release_that_starts_the_next_squeeze_soon_keeps_every_peak():
    # A weak hand (MVC 60 units, 14% squeezes, 5 s releases, next cue 8 s later):
    # the still spells of a slow release are not a "shelf" the ball rests on, so no
    # squeeze is measured from partway down the previous one.
    cal = Calibration(baseline=60.0, mvc=60.0, noise_sd=0.8)
    squeezes = [Squeeze(2 + i * 8, 0.14 * 60, rise=1.0, hold=1.3, release=5.0) for i in range(5)]
    trace = synth_trace(squeezes, 45.0, baseline=60.0, noise_sd=0.8, tremor_hz=8, tremor_amp=0.67, seed=2)
    _, reps = run(trace, ForceRepSettings(target_pct=12.0), cal=cal)
    assert len(reps) == 5
    assert all(r.peak_pct == pytest.approx(16.0, abs=2.0) for r in reps)
    assert all(r.success for r in reps)
