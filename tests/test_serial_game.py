"""A set played with a ball on a pty, unplugged mid-set and plugged back in elsewhere: no rep lost."""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import pytest

from game.loop import STEP
from game.scene import Push
from game.scenes.play import DisconnectedScene, PlayScene
from game.records.storage import Store
from hardware.fake_ball import PtyBall
from hardware.line_formats import firmware_line
from hardware.serial_ball import SerialBall
from hardware.source import SourceStatus
from hardware.traces import regular_squeezes, synth_trace
from tests.helpers import CAL, make_app

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only"),
              pytest.mark.posix_only]
pty = pytest.importorskip("pty", reason="pseudo-terminals are POSIX only")  # after the skip: Windows has no pty
WAIT = 30.0  # real seconds a background thread may take; only a broken reader needs them
FS = 100.0


def test_unplug_mid_set_keeps_every_rep_and_resumes(tmp_path):
    store = Store.in_dir(tmp_path)
    pid = store.ensure_patient()
    store.save_calibration(pid, "right", baseline=CAL.baseline, mvc=CAL.mvc, noise_sd=CAL.noise_sd,
                           device="Squeeze ball")
    store.close()
    squeezes = regular_squeezes(6, 0.4 * CAL.mvc, first=1.0, period=2.2, rise=0.3, hold=0.8, release=0.3)
    trace = synth_trace(squeezes, 15.0, fs=FS, baseline=CAL.baseline, noise_sd=1.0, seed=3)
    unplug_at = int(7.6 * FS)  # resting between the 3rd and 4th squeeze

    with PtyBall() as dev:
        app = make_app(tmp_path, source=None, calibration=None, exercise=None, reps=6, size=(320, 180))
        # The fake ball sends only when the test writes: a test held up over a second (a long garbage collection)
        # would be a silent ball, rightly reported, and the set paused. This test is about the pulled cable.
        ball = SerialBall(app.clock, dev.port, finder=lambda: [dev.port], retry_seconds=0.02, boot_seconds=0.5,
                          silence_seconds=60.0)
        app.hub.source = ball
        app.ctx.calibration = CAL
        ball.start()
        spare = None
        try:
            assert ball.port_open.wait(WAIT)
            app.apply(Push(PlayScene("power_grip")))
            scene = app.top
            sent = 0

            def send(i: int, force: float | None = None) -> None:
                nonlocal sent
                sent += 1  # the device's own line counter and clock keep running
                dev.write(firmware_line(sent, int(sent * 1000 / FS), float(trace[i, 1]) if force is None else force))

            def play(i0: int, i1: int) -> None:
                for i in range(i0, i1):
                    before = ball.snapshot().lines_ok
                    send(i)
                    assert ball.wait_for_samples(before + 1, WAIT), ball.status_message
                    app.clock.advance(1.0 / FS)
                    if i % 2:
                        app.frame()

            # connect: the fake ball streams (the hand at rest) until the game says it is connected; the reader
            # may get the core late on a busy machine, so a count of lines is no deadline
            deadline = time.monotonic() + WAIT
            while ball.status is not SourceStatus.CONNECTED and time.monotonic() < deadline:
                send(0, CAL.baseline)
                threading.Event().wait(0.005)
            assert ball.status is SourceStatus.CONNECTED
            play(0, unplug_at)
            reps_before = scene.game.reps_done
            assert reps_before == 3

            dev.unplug()
            assert ball.wait_for_status(SourceStatus.DISCONNECTED, WAIT)
            for _ in range(30):  # half a second of game with the ball away
                app.clock.advance(STEP)
                app.frame()
            assert isinstance(app.top, DisconnectedScene)
            assert scene.game.reps_done == 3  # kept
            kinds = [e["kind"] for e in app.store.events()]
            assert "disconnected" in kinds

            spare = pty.openpty()  # occupy the old number: the ball comes back under another name
            dev.replug()
            dev.boot("firmware")
            j = unplug_at
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:  # the hand rests while the ball boots and is found again
                if ball.status is SourceStatus.CONNECTED:
                    break
                send(j, CAL.baseline)
                threading.Event().wait(0.005)
            assert ball.status is SourceStatus.CONNECTED, ball.status_message
            app.clock.advance(STEP)
            app.frame()
            app.clock.advance(STEP)
            app.frame()
            assert app.top is scene  # resumed by itself
            play(j, len(trace))
            for _ in range(10):
                app.clock.advance(STEP)
                app.frame()
        finally:
            ball.close()
            if spare:
                for fd in spare:
                    os.close(fd)
        reps = app.store.reps()
        assert len(reps) == 6, [r["peak_pct"] for r in reps]
        assert np.all([r["peak_pct"] > 30 for r in reps])
        kinds = [e["kind"] for e in app.store.events()]
        assert "reconnected" in kinds
        app.shutdown()
