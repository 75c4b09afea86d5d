"""Keyboard and scripted sources produce real, time-stamped signals."""

import numpy as np
import pytest

from hardware.clock import ManualClock
from hardware.keyboard import FULL_SCALE, KeyboardBall
from hardware.scripted import ScriptedSource, TraceFormatError, load_trace_csv, save_trace_csv
from hardware.source import InputSource


def test_sources_follow_the_protocol():
    clock = ManualClock()
    assert isinstance(KeyboardBall(clock), InputSource)
    assert isinstance(ScriptedSource(clock, np.array([[0.0, 1.0], [0.01, 2.0]])), InputSource)


def test_keyboard_force_rises_smoothly_while_held_and_falls_on_release():
    clock = ManualClock()
    kb = KeyboardBall(clock, effort=0.5)
    kb.start()
    kb.set_grip(True)
    clock.advance(1.0)
    held = kb.poll()
    assert len(held) == 101  # 100 Hz, both ends
    forces = [s.force for s in held]
    assert all(b >= a for a, b in zip(forces, forces[1:]))  # monotonic rise
    assert forces[5] < 0.3 * 0.5 * FULL_SCALE  # not a jump: an S-shaped rise
    assert forces[-1] == pytest.approx(0.5 * FULL_SCALE, rel=0.02)
    kb.set_grip(False)
    clock.advance(1.0)
    released = kb.poll()
    assert released[-1].force < 0.02 * FULL_SCALE


def test_keyboard_effort_level_is_adjustable_to_imitate_weak_and_strong_hands():
    clock = ManualClock()
    kb = KeyboardBall(clock, effort=0.6)
    assert kb.change_effort(-10) == pytest.approx(0.1)
    kb.set_grip(True)
    clock.advance(2.0)
    assert kb.poll()[-1].force == pytest.approx(0.1 * FULL_SCALE, rel=0.02)
    assert kb.change_effort(+20) == pytest.approx(1.0)


def test_keyboard_arrows_give_roll_rates():
    clock = ManualClock()
    kb = KeyboardBall(clock, roll_full_rate=100.0)
    kb.set_roll(1, -1)
    clock.advance(1.0)
    last = kb.poll()[-1]
    assert last.roll_x == pytest.approx(100.0, rel=0.01)
    assert last.roll_y == pytest.approx(-100.0, rel=0.01)


def test_scripted_source_plays_in_clock_time(tmp_path):
    trace = np.column_stack([np.arange(0, 2, 0.01), np.linspace(0, 100, 200)])
    path = tmp_path / "trace.csv"
    save_trace_csv(path, np.hstack([trace, np.zeros((200, 2))]))
    loaded = load_trace_csv(path)
    clock = ManualClock(5.0)
    src = ScriptedSource(clock, loaded)
    src.start()
    clock.advance(0.5)
    got = src.poll()
    assert len(got) == 51
    assert got[0].t == pytest.approx(5.0)
    clock.advance(5.0)
    assert len(src.poll()) == 149
    assert src.finished


def test_bad_trace_files_name_file_and_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("t,force\n0,1\n0.01,abc\n")
    with pytest.raises(TraceFormatError, match=r"bad.csv: line 3"):
        load_trace_csv(p)
    p.write_text("time,f\n0,1\n")
    with pytest.raises(TraceFormatError, match="needs a 't' column"):
        load_trace_csv(p)
