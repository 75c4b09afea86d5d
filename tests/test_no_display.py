"""No screen at start-up: the game waits for it, then says so plainly (never a traceback).

A kiosk started with the computer can come before the desktop, and a busy display server takes a moment
to answer. Real processes, a real X server (Xvfb) started late."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from game.app import EXIT_NO_DISPLAY

ROOT = Path(__file__).resolve().parent.parent
WAIT_S = 120.0  # a deadline only a broken game reaches


def _env(display: str | None, wait_s: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDL_") and k != "DISPLAY"}
    env.update(SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1", LANGUAGE="en",
               SQUEEZE_QUEST_DISPLAY_WAIT_S=str(wait_s))
    if display:
        env["DISPLAY"] = display
    return env


def _game(tmp_path: Path, env: dict[str, str], *more: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--data-dir", str(tmp_path / "data"), "--input",
                             "keyboard", "--mute", *more], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_no_screen_is_said_plainly_and_the_records_stay_closed(tmp_path):
    game = _game(tmp_path, _env(None, 0.5))
    out, err = game.communicate(timeout=WAIT_S)
    assert game.returncode == EXIT_NO_DISPLAY, err
    assert "Traceback" not in err and "could not open its window" in err
    assert "waiting up to 0.5 s" in err  # what a kiosk's log shows while it waits
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.endswith(("-journal", "-wal"))], "records left open"


@pytest.mark.skipif(not shutil.which("Xvfb"), reason="needs Xvfb (apt-get install xvfb; .ci/run installs it)")
def test_a_screen_that_comes_late_is_waited_for(tmp_path):
    number = next(n for n in range(170, 400) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    game = _game(tmp_path, _env(f":{number}", WAIT_S), "--frames", "30")
    xvfb = None
    try:
        line = game.stderr.readline()  # the game has looked for the screen and found none
        assert "The screen is not there yet" in line, line
        xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out, err = game.communicate(timeout=WAIT_S)
        assert game.returncode == 0, line + err
        assert "Traceback" not in err
    finally:
        if game.poll() is None:
            game.kill()
            game.wait()
        if xvfb is not None:
            xvfb.terminate()
            try:
                xvfb.wait(30)
            except subprocess.TimeoutExpired:
                xvfb.kill()
                xvfb.wait()
