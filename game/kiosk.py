"""The clinic kiosk: one PC left running for many patients.

:class:`KioskMode` is the app's kiosk half. It keeps the window from being left
by a patient (the app asks it before it quits), opens the staff PIN entry on the
staff key chord, hides the pointer unless the mouse moves, and watches for idleness:
with no key, click, mouse movement or squeeze for ``idle_timeout_s``, a warning
shows for the last few seconds, then whatever the patient was doing is saved and
ended (end reason ``idle``) and the patient picker comes back, so the next person
never sees the last one's screen.

Idleness counts in game time (the app's injected clock), so tests drive it by
hand. A rest between sets and an exercise demonstration are waiting the game asked
for: they do not count as idle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from game.i18n import _
from game.scene import PopTo, Push, Quit, Scene, Transition
from game.therapy.switch import SqueezeSwitch
from game.ui import Canvas, LRect, Theme
from game.widgets import fit_size

if TYPE_CHECKING:
    import threading

    from game.app import App
    from game.input import Action
    from hardware.sample import Sample

DEFAULT_IDLE_TIMEOUT_S = 180.0  # a slow paretic set never goes this long without a squeeze
WARNING_S = 15.0  # "Still there?" shows this long before the end (less for short timeouts)
POINTER_SHOWN_S = 3.0  # the pointer shows this long after the mouse last moved
SQUEEZE_PCT = 10.0  # a squeeze above this (% of the patient's strongest) is a person there

# Exit codes of the kiosk process: the supervisor restarts on anything but these.
EXIT_STAFF = 0  # staff chose "Close the kiosk": stop
EXIT_SETUP = 2  # the kiosk cannot start (no staff PIN, a bad option): restarting will not help
EXIT_UNEXPECTED = 75  # the kiosk stopped without staff: start it again


class StaffExit(Quit):
    """The one Quit a kiosk obeys: staff closing it from the staff menu."""


class KioskError(ValueError):
    """The kiosk cannot start; the message says what to do."""


class KioskMode:
    def __init__(self, app: App, *, idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
                 status_file: Path | None = None) -> None:
        from game.staff import StaffLock

        if idle_timeout_s <= 0:
            raise KioskError(f"the idle timeout must be more than 0 seconds, got {idle_timeout_s:g}")
        if not StaffLock(app.store).has_pin:
            where = f" --data-dir {app.opts.data_dir}" if app.opts.data_dir else ""
            raise KioskError("the kiosk needs a staff PIN first, so staff (and only staff) can leave it: "
                             f"main.py staff{where} set-pin")
        self.app = app
        self.idle_timeout_s = float(idle_timeout_s)
        self.warning_s = min(WARNING_S, self.idle_timeout_s / 4)
        self.staff_exited = False
        now = app.clock.now()
        self.last_input_at = now
        self._seen_events = app.router.input_events
        self._seen_moves = app.router.mouse_moves
        self._pointer_until = now
        self._pointer_shown: bool | None = None
        self._switch: SqueezeSwitch | None = None
        self.idle_endings = 0
        self.status_file = status_file
        self._status: tuple | None = None
        if not app.opts.headless or os.environ.get(STOP_FILE_ENV):
            _stop_on_sigterm()

    # ------------------------------------------------------------ scenes
    @staticmethod
    def picker() -> Scene:
        from game.scenes.kiosk import KioskPickerScene

        return KioskPickerScene()

    def allows(self, tr: Quit) -> bool:
        """Only staff can close the kiosk; any other Quit (a scene's 'back to quit') is ignored."""
        if isinstance(tr, StaffExit):
            self.staff_exited = True
            return True
        return False

    def exit_code(self) -> int:
        return EXIT_STAFF if self.staff_exited else EXIT_UNEXPECTED

    def handle(self, action: Action) -> bool:
        """The staff chord opens PIN entry (once: not over itself or the staff menu). True: used here."""
        from game.input import Act
        from game.scenes.staff import StaffPinScene, is_staff_scene

        if action.kind is not Act.STAFF:
            return False
        if not any(is_staff_scene(s) for s in self.app.stack):
            self.app.apply(Push(StaffPinScene(on_unlock=self.open_staff_menu)))
        return True

    def open_staff_menu(self) -> Transition:
        """The right PIN: what a patient was doing is saved and ended (reason ``staff``),
        so the menu never acts on a session under way; the menu opens over the picker."""
        from game.scenes.staff import StaffMenuScene

        end_activity(self.app.stack, self.app.ctx, "staff")
        self.back_to_picker()
        self.touch()
        return Push(StaffMenuScene())

    # -------------------------------------------------------------- idle
    @property
    def idle_for(self) -> float:
        return max(0.0, self.app.clock.now() - self.last_input_at)

    @property
    def warning_shown(self) -> bool:
        return self._counts_idle() and self.idle_for >= self.idle_timeout_s - self.warning_s

    def touch(self) -> None:
        self.last_input_at = self.app.clock.now()

    def _counts_idle(self) -> bool:
        from game.scenes.demo import DemoScene
        from game.scenes.kiosk import KioskPickerScene
        from game.scenes.rest import RestScene

        top = self.app.top
        if isinstance(top, KioskPickerScene) and len(self.app.stack) == 1 and top.at_rest:
            return False  # the picker as the next person finds it: nothing to clear
        return not isinstance(top, (RestScene, DemoScene))  # waiting the game asked for

    def _squeezed(self, samples: list[Sample]) -> bool:
        cal = self.app.ctx.calibration
        if self._switch is None or self._switch.calibration is not cal:
            self._switch = SqueezeSwitch(cal)
        squeezed = False
        for s in samples:
            self._switch.feed([s])
            squeezed = squeezed or self._switch.level_pct >= SQUEEZE_PCT
        return squeezed

    def update(self, samples: list[Sample]) -> None:
        """Once a frame, after input: note activity, show or hide the pointer, end an idle session."""
        router = self.app.router
        now = self.app.clock.now()
        if router.input_events != self._seen_events:
            self._seen_events = router.input_events
            self.last_input_at = now
        if router.mouse_moves != self._seen_moves:
            self._seen_moves = router.mouse_moves
            self._pointer_until = now + POINTER_SHOWN_S
        if self._squeezed(samples):
            self.last_input_at = now
        if not self._counts_idle():
            self.last_input_at = now
        self._show_pointer(now < self._pointer_until)
        if self.idle_for >= self.idle_timeout_s:
            self.end_for_idle()
        self._write_status()

    def _write_status(self) -> None:
        """The screen shown, written when it changes (atomically: a reader never sees half a file)."""
        if self.status_file is None or not self.app.stack:
            return
        status = (type(self.app.top).__name__, self.idle_endings, self.warning_shown)
        if status == self._status:
            return
        self._status = status
        data = {"screen": status[0], "screens": [type(s).__name__ for s in self.app.stack],
                "idle_endings": status[1], "idle_warning": status[2], "pid": os.getpid(),
                "at": self.app.store.now()}
        tmp = self.status_file.with_name(self.status_file.name + ".tmp")
        try:
            tmp.write_text(json.dumps(data))
            os.replace(tmp, self.status_file)
        except OSError:
            pass  # monitoring must never stop the kiosk

    def _show_pointer(self, shown: bool) -> None:
        if shown != self._pointer_shown:
            self._pointer_shown = shown
            self.app.pg.mouse.set_visible(shown)

    def end_for_idle(self, reason: str = "idle") -> None:
        """Save and end what is under way, then show the picker, fresh."""
        self.idle_endings += 1
        end_activity(self.app.stack, self.app.ctx, reason)
        self.back_to_picker()
        self.touch()

    def back_to_picker(self) -> None:
        from game.scenes.kiosk import KioskPickerScene

        self.app.apply(PopTo(KioskPickerScene))
        if not self.app.stack:  # the picker was gone somehow: a new one
            self.app.apply(Push(self.picker()))
        top = self.app.top
        if isinstance(top, KioskPickerScene):
            top.reset()

    # -------------------------------------------------------------- draw
    def draw(self, c: Canvas) -> None:
        """The idle warning, over whatever is on screen (drawing only)."""
        if not self.warning_shown:
            return
        left = max(0.0, self.idle_timeout_s - self.idle_for)
        box = LRect(240, 230, 800, 260)
        c.rect(Theme.BG, box, radius=28)
        c.rect(Theme.FOCUS, box, radius=28, width=6)
        c.text(_("Still there?"), (640, 300), size=60, bold=True, color=Theme.FOCUS)
        keep = _("Squeeze, press a key or move the mouse to keep going.")
        c.text(keep, (640, 372), size=fit_size(c, keep, 30, 760))
        ends = _("Otherwise your exercise is saved and ends in {seconds} s.").format(seconds=int(left + 0.999))
        c.text(ends, (640, 428), size=fit_size(c, ends, 28, 760), color=Theme.TEXT_DIM)


# The supervisor names a file here; its creation asks the game to stop (game/supervisor.py).
STOP_FILE_ENV = "SQUEEZE_QUEST_STOP_FILE"


def _stop_on_sigterm() -> None:
    """A service manager's stop (SIGTERM) ends the kiosk cleanly: scenes exit, the session is saved.
    So does the supervisor's stop file, on every system (Windows has no polite stop signal)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    asked: list[int] = []

    def stop(signum: int, frame: object) -> None:
        if asked:
            return  # asked twice (the signal and the file, or two signals): never cut into the saving
        asked.append(signum)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    path = os.environ.get(STOP_FILE_ENV)
    if path:
        watch_stop_file(Path(path))


def watch_stop_file(path: Path, poll_s: float = 0.2) -> threading.Thread:
    """Once ``path`` exists, stop the main thread as SIGTERM does (its handler raises SystemExit
    there, between two frames). Windows' terminate ends a program at once, unsaved; this file is
    how the supervisor asks first, there and everywhere."""
    import _thread
    import signal
    import threading
    import time

    def watch() -> None:
        while not path.exists():
            time.sleep(poll_s)  # a file check five times a second; the game's frames never wait on it
        _thread.interrupt_main(signal.SIGTERM)

    thread = threading.Thread(target=watch, name="kiosk-stop-file", daemon=True)
    thread.start()
    return thread


def end_activity(stack: list[Scene], ctx, reason: str) -> None:  # noqa: ANN001
    """End every set and session on the stack the way they end themselves, with ``reason``
    as the end reason, so every rep is kept and the records say why it stopped."""
    from game.scenes.play import PlayScene
    from game.scenes.session import SessionScene

    now = ctx.clock.now()
    for scene in reversed(stack):
        if isinstance(scene, PlayScene):
            if scene.ended is None:
                scene._stop(reason)
            scene.update(0.0)  # its own end path: the set's record, then the link or the session
        elif isinstance(scene, SessionScene) and scene.runner is not None and not scene.saved:
            scene.runner.stop(reason, now)  # first, so the set below ends the session, not the set alone
            if scene.link is not None:
                link, scene.link = scene.link, None
                scene.runner.set_ended(link.step, now, "quit", link.reps_played)
            scene._save()
