"""Keep the clinic kiosk running: start it, and start it again whenever it stops
without staff closing it (a crash, a killed process, a lost display).

Exit codes say what happened (see :mod:`game.kiosk`): 0 is staff closing the
kiosk, so the supervisor stops too; 2 is a setup problem (no staff PIN, a bad
option) and 78 (``EX_CONFIG``) a problem with the records (disk full, read-only,
damaged, locked: see :mod:`game.records.storage_faults`; the game has shown it on screen)
that a restart cannot fix, so it stops and says so. Anything else restarts
after a pause that doubles with each quick failure (1 s, 2 s, 4 s ... up to a
minute), so a kiosk that cannot start does not spin the CPU, and drops back to
the shortest pause once a run has lasted a while. The game marks the session the
crash interrupted as ``interrupted`` when it starts again; nothing is lost.

Stopping the supervisor (SIGTERM from a service manager, or Ctrl+C) stops the game
first, cleanly, and does not restart it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from game.kiosk import EXIT_SETUP, EXIT_STAFF
from game.records.storage_faults import EXIT_STORAGE


@dataclass
class Backoff:
    """Pause before a restart: doubles after each quick failure, resets after a stable run."""

    first_s: float = 1.0
    max_s: float = 60.0
    stable_s: float = 60.0  # a run this long was not a crash loop
    current_s: float = 0.0

    def after_run(self, ran_s: float) -> float:
        if ran_s >= self.stable_s or self.current_s == 0.0:
            self.current_s = self.first_s
        else:
            self.current_s = min(self.max_s, self.current_s * 2)
        return self.current_s


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    def __init__(self, command: Sequence[str], *, backoff: Backoff | None = None,
                 log: Callable[[str], None] | None = None, clock: Callable[[], float] = time.monotonic,
                 max_restarts: int | None = None, env: dict[str, str] | None = None) -> None:
        self.command = list(command)
        self.env = env  # None: this process's environment
        self.backoff = backoff or Backoff()
        self.log = log or (lambda msg: print(f"kiosk-supervise: {msg}", file=sys.stderr, flush=True))
        self.clock = clock
        self.max_restarts = max_restarts  # None: for ever (tests set a bound)
        self.restarts = 0
        self.child: subprocess.Popen | None = None
        self._stopping = threading.Event()

    def stop(self, *_: object) -> None:
        """Stop the game and do not restart it (the service is being stopped)."""
        self._stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.terminate()

    def run(self) -> int:
        while True:
            started = self.clock()
            self.child = subprocess.Popen(self.command, env=self.env)
            self.log(f"started the kiosk (pid {self.child.pid})")
            code = self.child.wait()
            ran = self.clock() - started
            if self._stopping.is_set():
                self.log("stopped")
                return 0
            if code == EXIT_STAFF:
                self.log("staff closed the kiosk; not restarting")
                return 0
            if code == EXIT_SETUP:
                self.log("the kiosk cannot start (see the message above); fix that, then start it again")
                return EXIT_SETUP
            if code == EXIT_STORAGE:
                self.log("the kiosk cannot use its records (see the message above and on the screen): a setup "
                         "problem for staff, not a crash; fix it, then start the kiosk again")
                return EXIT_STORAGE
            if self.max_restarts is not None and self.restarts >= self.max_restarts:
                self.log(f"the kiosk stopped ({describe_exit(code)}); restart limit reached")
                return 1
            pause = self.backoff.after_run(ran)
            self.log(f"the kiosk stopped ({describe_exit(code)}) after {ran:.1f} s; restarting in {pause:g} s")
            if self._stopping.wait(pause):
                self.log("stopped")
                return 0
            self.restarts += 1


def kiosk_command(game_args: Sequence[str]) -> list[str]:
    """The game in kiosk mode, run by this same Python as a module (``python -m game``),
    so an installed copy (a wheel, pipx) needs no ``main.py``."""
    args = [a for a in game_args if a != "--kiosk"]
    if getattr(sys, "frozen", False):  # a PyInstaller build: the program itself is the game
        return [sys.executable, "--kiosk", *args]
    return [sys.executable, "-m", "game", "--kiosk", *args]


def kiosk_env() -> dict[str, str] | None:
    """The game's environment: from a source checkout that is not installed, the checkout is
    put on the child's path so ``-m game`` runs this same code; an installed copy needs nothing."""
    from game.resources import checkout_root

    root = checkout_root()
    if root is None:
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    return env


def supervise(game_args: Sequence[str], **kw: object) -> int:
    sup = Supervisor(kiosk_command(game_args), env=kiosk_env(), **kw)  # type: ignore[arg-type]
    signal.signal(signal.SIGTERM, sup.stop)
    signal.signal(signal.SIGINT, sup.stop)
    return sup.run()
