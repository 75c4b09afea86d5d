"""A ball plugged in after start-up is found and adopted (not in the middle of a set)."""

import threading
import time
from types import SimpleNamespace

import pytest

from hardware.clock import ManualClock, SystemClock
from hardware.discovery import BallWatcher, KeyboardFallback
from hardware.line_formats import firmware_line

pytestmark = pytest.mark.posix_only  # a fake ball on a pseudo-terminal
pytest.importorskip("pty", reason="pseudo-terminals are POSIX only")
from hardware.fake_ball import PtyBall  # noqa: E402

WAIT = 30.0  # a bound on waits for the watcher and the ball threads: a probe takes ~2 s; only a broken one reaches it


class Streaming:
    """The fake ball streams firmware lines continuously, like a real one."""

    def __init__(self, dev: PtyBall) -> None:
        self.dev = dev
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        i = 0
        while not self.stop.wait(0.005):
            try:
                self.dev.write(firmware_line(i, 5 * i, 100.0))
            except OSError:
                return
            i += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def arduino(port: str) -> SimpleNamespace:
    return SimpleNamespace(device=port, description="Arduino Uno", vid=0x2341, pid=0x0043, serial_number="SQ1")


def wait_for(cond, timeout=WAIT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_watcher_finds_a_ball_plugged_in_later_and_never_touches_known_ports():
    ports: list = []
    opened: list[str] = []
    from hardware.serial_ball import open_url

    def opener(url, baud):
        opened.append(url)
        return open_url(url, baud)

    with PtyBall() as other:
        ports.append(arduino(other.port))  # already there at start: must never be opened
        watcher = BallWatcher(SystemClock(), comports=lambda: list(ports), opener=opener, interval=0.05,
                              boot_seconds=2.0)
        watcher.start()
        try:
            assert wait_for(lambda: watcher.looks >= 2)
            assert watcher.take() is None and opened == []
            with PtyBall() as dev, Streaming(dev):
                ports.append(arduino(dev.port))
                assert wait_for(lambda: watcher._found is not None)
                ball = watcher.take()
                assert ball is not None and watcher.take() is None
                ball.start()
                try:
                    assert ball.wait_for_samples(5, WAIT)
                    assert ball.poll()[-1].force == 100.0
                finally:
                    ball.close()
            assert opened == [dev.port]
        finally:
            watcher.close()


def test_the_game_adopts_the_new_ball_on_the_title_screen_but_not_mid_set(tmp_path):
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.scenes.play import PlayScene
    from game.records.storage import Store
    from game.therapy.calibration import Calibration
    from hardware.keyboard import FULL_SCALE
    from hardware.serial_ball import SerialBall

    clock = ManualClock()
    fallback = KeyboardFallback(clock, "No ball found.")
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise="power_grip", sound=False, demos=False,
                         play=PlaySettings(reps_per_set=3)),
              clock=clock, source=fallback, calibration=Calibration(0.0, FULL_SCALE), store=Store.in_dir(tmp_path))
    ports: list = []
    app.hub.watcher = BallWatcher(SystemClock(), comports=lambda: list(ports), interval=0.05, boot_seconds=2.0)
    app.hub.watcher.start()
    try:
        with PtyBall() as dev, Streaming(dev):
            ports.append(arduino(dev.port))
            assert wait_for(lambda: app.hub.watcher._found is not None)
            # Mid-set: the device must not change under the patient.
            assert isinstance(app.top, PlayScene)
            for _ in range(10):
                clock.advance(1 / 60)
                app.frame()
            assert app.hub.source is fallback
            app.stack.pop().exit()  # the set is over; back on the menu
            clock.advance(1 / 60)
            app.frame()
            assert isinstance(app.hub.source, SerialBall)
            assert app.hub.keyboard is fallback  # the keyboard stands by again
            assert app.ctx.calibration.mvc != FULL_SCALE  # the ball's own span, not the keyboard's
            assert [e["kind"] for e in app.store.events()].count("ball_found") == 1
    finally:
        app.shutdown()


def test_a_watcher_closed_while_it_probes_a_ball_leaves_no_port_open():
    """close() waits a few seconds at most; a ball the probe confirms after it is closed, not kept
    open with nobody to take it (the kiosk would hold the port until it ends)."""
    from hardware.serial_ball import open_url
    from tests.leaks import open_files

    ports: list = []
    entered, release = threading.Event(), threading.Event()

    def opener(url, baud):
        entered.set()
        assert release.wait(WAIT)  # the probe is still opening the port when the watcher is closed
        return open_url(url, baud)

    watcher = BallWatcher(SystemClock(), comports=lambda: list(ports), opener=opener, interval=0.05,
                          boot_seconds=2.0)
    with PtyBall() as dev, Streaming(dev):
        held_before = list(open_files().values()).count(dev.port)
        watcher.start()
        ports.append(arduino(dev.port))
        assert entered.wait(WAIT)
        watcher.close(timeout=0.05)  # returns while the probe goes on
        thread = watcher._thread
        release.set()
        thread.join(WAIT)
        assert not thread.is_alive()
        assert watcher.take() is None
        assert list(open_files().values()).count(dev.port) == held_before
