"""Spoken prompts, for people who read with difficulty (optional, off by default).

Speaks through the espeak-ng program (``apt install espeak-ng``; plain ``espeak``
also works) in its own process, so a frame never waits for speech. A new prompt
cuts off the one still being spoken: only the latest is useful. Without the
program, or with no sound device, the game stays silent and carries on.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import deque

PROGRAMS = ("espeak-ng", "espeak")
WORDS_PER_MINUTE = 135  # slower than espeak's 175: easier to follow after a stroke


class Speech:
    def __init__(self, enabled: bool = False, volume: float = 0.8, *, allowed: bool = True,
                 program: str | None = None, rate_wpm: int = WORDS_PER_MINUTE) -> None:
        self.enabled = enabled  # the patient's setting
        self.volume = volume
        self.allowed = allowed  # the app's: off in headless runs and with --no-sound
        self.rate_wpm = rate_wpm
        self._program = program
        self._looked = program is not None
        self._proc: subprocess.Popen | None = None
        self._dying: list[subprocess.Popen] = []
        self.said: deque[str] = deque(maxlen=50)  # what was sent to the voice, newest last

    @property
    def program(self) -> str | None:
        """The speech program's path, found on first use (no work at import or start-up)."""
        if not self._looked:
            self._looked = True
            self._program = next((p for p in (shutil.which(n) for n in PROGRAMS) if p), None)
        return self._program

    @property
    def available(self) -> bool:
        return self.program is not None

    @property
    def active(self) -> bool:
        return self.enabled and self.allowed and self.volume > 0

    def say(self, text: str) -> bool:
        """Start speaking ``text`` (cutting off the last prompt); True if it was sent."""
        text = " ".join(str(text).split())
        if not text or not self.active or self.program is None:
            return False
        self.stop()
        amplitude = str(max(0, min(200, round(self.volume * 200))))  # espeak's volume scale is 0-200
        try:
            self._proc = subprocess.Popen(
                [self.program, "-a", amplitude, "-s", str(self.rate_wpm), "--", text],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._program = None  # the program went away or cannot run: stay silent from now on
            return False
        self.said.append(text)
        return True

    @property
    def speaking(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """Cut off the prompt being spoken (only our own process; never waits on it)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            self._dying.append(proc)
        # Collect the ones already gone, so no zombie processes pile up.
        self._dying = [p for p in self._dying if p.poll() is None]

    def close(self) -> None:
        self.stop()
        for proc in self._dying:
            try:
                proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._dying.clear()
