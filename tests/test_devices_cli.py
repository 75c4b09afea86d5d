"""The devices, monitor and replay commands."""

from __future__ import annotations

import json
import sys
import threading
import time

import pytest

from game.cli import main
from hardware.fake_ball import PtyBall
from hardware.line_formats import firmware_line
from hardware.scripted import save_trace_csv
from hardware.traces import regular_squeezes, synth_trace


def _trace(tmp_path):
    tr = synth_trace(regular_squeezes(4, 300, first=2, period=3), 16, baseline=50, noise_sd=2, seed=1)
    path = tmp_path / "trace.csv"
    save_trace_csv(path, tr)
    return path


def test_replay_estimates_calibration_and_prints_reps(tmp_path, capsys):
    assert main(["replay", str(_trace(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "estimated from the trace" in out and out.count("rep ") == 4 and "4 reps" in out


def test_replay_json_with_given_calibration(tmp_path, capsys):
    assert main(["replay", str(_trace(tmp_path)), "--baseline", "50", "--mvc", "600", "--json"]) == 0
    lines = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    reps = [ln for ln in lines if ln["type"] == "rep"]
    assert len(reps) == 4 and all(45 < r["peak_pct"] < 55 for r in reps)
    assert lines[-1]["calibration"] == "given on the command line"


def test_replay_uses_the_patients_calibration(tmp_path, capsys):
    from game.records.storage import Store

    store = Store.in_dir(tmp_path)
    pid = store.ensure_patient("Ann")
    store.save_calibration(pid, "left", baseline=50, mvc=300, device="Squeeze ball")
    store.close()
    trace = _trace(tmp_path)
    assert main(["replay", str(trace), "--patient", "Ann", "--hand", "left", "--data-dir", str(tmp_path)]) == 0
    assert "Ann's left hand calibration" in capsys.readouterr().out
    assert main(["replay", str(trace), "--patient", "Ann", "--data-dir", str(tmp_path)]) == 2
    assert "no calibration for the right hand" in capsys.readouterr().err


def test_replay_bad_input_is_a_clear_message(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,value\n1,2\n")
    assert main(["replay", str(bad)]) == 2
    assert "needs a 't' column" in capsys.readouterr().err
    assert main(["replay", str(_trace(tmp_path)), "--mvc", "5"]) == 2


def test_devices_lists_without_probing(capsys):
    assert main(["devices", "--no-probe", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"ports", "profiles"} <= set(data)
    assert any(p["name"] == "squeeze_ball" for p in data["profiles"])


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")
@pytest.mark.posix_only
def test_monitor_prints_reps_from_a_pty_ball(capsys, monkeypatch):
    from game.commands import devices
    from hardware import discovery
    from hardware.source import SourceStatus

    tr = synth_trace(regular_squeezes(2, 300, first=0.4, period=0.9, rise=0.15, hold=0.3, release=0.15), 2.4,
                     fs=200, baseline=50, noise_sd=1, seed=2)
    balls = []  # the ball the monitor opened
    real_open = discovery.open_ball
    monkeypatch.setattr(discovery, "open_ball", lambda *a, **kw: balls.append(real_open(*a, **kw)) or balls[-1])
    reps_printed = []
    captured = sys.stdout

    class Out:  # what the monitor prints, seen as it prints it
        def write(self, s: str) -> int:
            reps_printed.extend(ln for ln in s.splitlines() if '"type": "rep"' in ln)
            return captured.write(s)

        def flush(self) -> None:
            captured.flush()

    # The monitor's clock stands still until the whole trace is played and two reps are printed (60 s at most),
    # then its --seconds have run out: on a busy machine the monitor may find the ball late, and its wall clock
    # must not end the squeezes early.
    done = threading.Event()
    monitor_time = type("MonitorTime", (), {"sleep": staticmethod(time.sleep), "monotonic": staticmethod(
        lambda: 1e6 if done.is_set() else 0.0)})
    monkeypatch.setattr(devices, "time", monitor_time)
    stop = threading.Event()
    with PtyBall() as dev:
        def stream() -> None:
            # 200 lines a second of the wall clock, as a board sends them: woken late (a busy machine), the
            # thread catches up with a burst, as a USB link delivers one; the device's ms keep their spacing.
            # (One line per wake-up fell behind: 1.5 s of the trace in the monitor's 3.2 s, one rep of two.)
            # The hand rests until the monitor has found the ball: what a port gets before it is opened is lost
            # (a monitor started late on a busy machine missed the first squeeze).
            i, t0, start = 0, time.monotonic(), None
            while not stop.is_set():
                if start is None and balls and balls[0].status is SourceStatus.CONNECTED:
                    start = i
                while i <= (time.monotonic() - t0) / 0.005:
                    k = 0 if start is None else i - start
                    dev.write(firmware_line(i, 5 * i, float(tr[min(k, len(tr) - 1), 1])))
                    i += 1
                played = start is not None and i - start >= len(tr)
                if (played and len(reps_printed) >= 2) or time.monotonic() - t0 > 60:
                    done.set()
                stop.wait(0.005)

        th = threading.Thread(target=stream, daemon=True)
        th.start()
        try:
            monkeypatch.setattr(sys, "stdout", Out())
            rc = main(["monitor", "--input", dev.port, "--seconds", "3.2", "--json", "--baseline", "50",
                       "--mvc", "300", "--target", "50", "--hold", "0.2"])
        finally:
            stop.set()
            th.join()
    assert rc == 0
    lines = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    reps = [ln for ln in lines if ln["type"] == "rep"]
    assert len(reps) == 2 and all(r["success"] for r in reps)
    assert lines[-1]["type"] == "summary" and lines[-1]["format"].startswith("Squeeze Quest firmware")
