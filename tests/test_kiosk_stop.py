"""The supervisor's stop asks the game to save first on every system (issue 18).

Windows has no polite stop signal: ``terminate`` ends a program at once. So the supervisor
names a stop file to the game and creates it to stop it; the game answers as it does SIGTERM
(its scenes exit, the set and session are saved). These tests take the Windows way on Linux:
the supervisor sends no signal (``signal_stop=False``), only the file asks."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from game.kiosk import STOP_FILE_ENV, _stop_on_sigterm
from game.records.storage import Store
from game.supervisor import Supervisor
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, make_app, pct, run_until

ROOT = Path(__file__).resolve().parent.parent


def test_the_stop_file_ends_a_set_as_sigterm_does_and_every_rep_is_saved(tmp_path, monkeypatch):
    trace = synth_trace([Squeeze(1.0 + 3.0 * i, pct(40)) for i in range(10)], 40, baseline=BASE, seed=3)
    app = make_app(tmp_path, trace, exercise="power_grip", reps=10)
    run_until(app, lambda: len(app.store.reps()) >= 2)  # mid-set: two reps saved, eight to come
    session = app.store.sessions()[-1]
    assert session["end_reason"] is None
    stop = tmp_path / "stop"
    monkeypatch.setenv(STOP_FILE_ENV, str(stop))
    before = signal.getsignal(signal.SIGTERM)
    try:
        _stop_on_sigterm()  # what the kiosk does at start: the SIGTERM handler and the file watch
        frame = app.frame

        def real_time_frame() -> None:
            # A frame as long as the game's own (60 a second): the test's clock is not the wall's, and
            # unpaced the last eight reps played in a fraction of a second, the set ending "completed"
            # before the watch's next look on a busy machine. At this pace they take 24 s of real time.
            time.sleep(1 / 60)
            frame()

        def ask_then_frame() -> None:
            # The file is made from inside the loop: the watch's stop then comes while run() runs. Made
            # before it, the stop came in the test's own code on a busy machine (stop.touch() was cut short).
            app.frame = real_time_frame  # type: ignore[method-assign]
            stop.touch()
            frame()

        app.frame = ask_then_frame  # type: ignore[method-assign]
        app.opts.frames = app.frames + 6000  # bounded: without the watch the set would just play on
        with pytest.raises(SystemExit) as stopped:
            app.run()  # frames go on until the watch stops the main thread between two of them
    finally:
        signal.signal(signal.SIGTERM, before)
    assert stopped.value.code == 128 + signal.SIGTERM
    store = Store.in_dir(tmp_path, background=False)
    try:
        ended = [s for s in store.sessions() if s["id"] == session["id"]][0]
        assert ended["end_reason"] == "quit"  # the scene's own end: saved, not left open
        assert len(store.reps(session["id"])) >= 2
    finally:
        store.close()


def test_the_supervisors_stop_reaches_the_kiosk_without_a_signal(tmp_path):
    from game.staff import StaffLock

    store = Store.in_dir(tmp_path, background=False)
    StaffLock(store).set_pin("275113")
    store.close()
    status = tmp_path / "status.json"
    said: list[str] = []
    sup = Supervisor([sys.executable, str(ROOT / "main.py"), "--kiosk", "--headless", "--input", "keyboard",
                      "--data-dir", str(tmp_path), "--kiosk-status", str(status)],
                     signal_stop=False, grace_s=30, log=said.append, max_restarts=0)
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(sup.run()))
    runner.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a real process starting: its status file says when the picker is up
        try:
            if json.loads(status.read_text())["screen"] == "KioskPickerScene":
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    else:
        sup.stop()
        runner.join(35)
        pytest.fail(f"the kiosk did not start: {said}")
    sup.stop()
    runner.join(35)
    assert result == [0] and said[-1] == "stopped"
    assert sup.last_exit == 128 + signal.SIGTERM  # its own clean way out, not a kill
    assert not any("did not stop" in s for s in said)
    assert not Path(sup.stop_file).parent.exists()  # the supervisor's stop folder is cleaned up
