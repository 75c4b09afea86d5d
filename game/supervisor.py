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
first, cleanly, and does not restart it: on every system it creates the stop file it named to
the game (``SQUEEZE_QUEST_STOP_FILE``), which the game answers as it does SIGTERM, saving the
session first; on Linux and macOS it sends SIGTERM too. Windows has no polite stop signal (its
terminate ends a program at once), so only a game that has not stopped after ``grace_s`` is
ended that way.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from game.kiosk import EXIT_SETUP, EXIT_STAFF, STOP_FILE_ENV
from game.records.storage_faults import EXIT_STORAGE

STOP_GRACE_S = 10.0  # the game saves and stops in well under a second; a hung one is ended after this


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
                 max_restarts: int | None = None, env: dict[str, str] | None = None,
                 signal_stop: bool = os.name != "nt", grace_s: float = STOP_GRACE_S) -> None:
        self.command = list(command)
        self.env = env  # None: this process's environment
        self.signal_stop = signal_stop  # also SIGTERM (a polite stop where there is one)
        self.grace_s = grace_s  # then a game that has not stopped is ended
        self.last_exit: int | None = None
        self._stop_dir = tempfile.mkdtemp(prefix="squeeze-quest-kiosk-")
        self.stop_file = os.path.join(self._stop_dir, "stop")
        self.backoff = backoff or Backoff()
        self.log = log or (lambda msg: print(f"kiosk-supervise: {msg}", file=sys.stderr, flush=True))
        self.clock = clock
        self.max_restarts = max_restarts  # None: for ever (tests set a bound)
        self.restarts = 0
        self.child: subprocess.Popen | None = None
        self._stopping = threading.Event()

    def stop(self, *_: object) -> None:
        """Stop the game, asking it to save first, and do not restart it (the service is being stopped)."""
        self._stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            with open(self.stop_file, "w"):
                pass  # the game sees it within a fifth of a second and stops as on SIGTERM
            if self.signal_stop:
                child.terminate()
            threading.Thread(target=self._end_after_grace, args=(child,), name="kiosk-stop", daemon=True).start()

    def _end_after_grace(self, child: subprocess.Popen) -> None:
        try:
            child.wait(self.grace_s)
        except subprocess.TimeoutExpired:
            self.log(f"the kiosk did not stop within {self.grace_s:g} s of being asked; ending it")
            child.kill()

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ if self.env is None else self.env)
        env[STOP_FILE_ENV] = self.stop_file
        return env

    def run(self) -> int:
        try:
            return self._run()
        finally:
            shutil.rmtree(self._stop_dir, ignore_errors=True)

    def _run(self) -> int:
        while True:
            started = self.clock()
            if os.path.exists(self.stop_file):
                os.remove(self.stop_file)
            if self._stopping.is_set():
                self.log("stopped")
                return 0
            self.child = subprocess.Popen(self.command, env=self._child_env())
            self.log(f"started the kiosk (pid {self.child.pid})")
            code = self.child.wait()
            self.last_exit = code
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
    if hasattr(signal, "SIGBREAK"):  # Windows: Ctrl+Break in the supervisor's console
        signal.signal(signal.SIGBREAK, sup.stop)
    return sup.run()
