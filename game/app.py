"""The application: window, scene stack, the one event loop.

Each frame: route events (the only ``pygame.event.get``), hand the new device
samples to the top scene, run fixed 1/60 s updates, draw the stack once. Time
comes from an injected clock; in headless runs a manual clock advances exactly
one step per frame, so a run is the same every time and as fast as the CPU.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from game import __version__
from game.i18n import N_, _
from game.audio import Audio
from game.music import Music
from game.context import AppContext, PlaySettings
from game.loop import STEP, FixedStep
from game.settings import apply_patient_settings
from game.speech import Speech
from game.scene import Pop, PopTo, Push, Quit, Replace, Scene, Transition
from game.records.storage import Store, WriteFailed
from game.therapy.calibration import Calibration
from hardware.clock import Clock, ManualClock, SystemClock
from hardware.keyboard import FULL_SCALE, KeyboardBall
from hardware.scripted import ScriptedSource, load_trace_csv
from hardware.source import InputSource
from hardware.traces import Squeeze, synth_trace

if TYPE_CHECKING:
    import numpy as np

WINDOW_SIZE = (1280, 720)
# The window's screen may not be there yet: a kiosk started with the computer can come before the desktop,
# and a display server busy starting takes a moment to answer. So many seconds are waited for it (the
# SQUEEZE_QUEST_DISPLAY_WAIT_S setting), then the game says so and ends with EXIT_NO_DISPLAY.
DISPLAY_WAIT_S = 20.0
EXIT_NO_DISPLAY = 69  # EX_UNAVAILABLE: the kiosk supervisor starts it again (the desktop may come later)


class NoDisplay(RuntimeError):
    """The game's window could not be opened: no screen, or the desktop not started."""


def open_display(pygame, wait_s: float | None = None) -> None:  # noqa: ANN001 - the pygame module
    """Start pygame's display, waiting up to ``wait_s`` seconds for a display that is not there yet."""
    if pygame.display.get_init():
        return
    if wait_s is None:
        try:
            wait_s = max(0.0, float(os.environ.get("SQUEEZE_QUEST_DISPLAY_WAIT_S", DISPLAY_WAIT_S)))
        except ValueError:
            wait_s = DISPLAY_WAIT_S
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            pygame.display.init()
            return
        except pygame.error as exc:
            if not told and wait_s > 0:
                told = True
                print(_("The screen is not there yet ({error}); waiting up to {seconds:g} s for it.").format(
                    error=exc, seconds=wait_s), file=sys.stderr, flush=True)
            if time.monotonic() >= deadline:
                raise NoDisplay(_("The game could not open its window ({error}). Check that the screen is on and "
                                  "the desktop has started, then start the game again.").format(error=exc)) from exc
            time.sleep(0.25)
SIM_BASELINE = 60.0
SIM_MVC = 500.0


@dataclass
class AppOptions:
    input: str = "keyboard"
    baud: int | None = None  # serial ball: None finds it (115200, then 9600)
    profile: str | None = None  # serial ball: a device profile name or YAML file
    data_dir: Path | None = None
    fullscreen: bool = False
    headless: bool = False
    frames: int | None = None
    seconds: float | None = None
    exercise: str | None = None
    screenshot: Path | None = None
    window_size: tuple[int, int] = WINDOW_SIZE
    seed: int = 0
    kiosk: bool = False
    idle_timeout_s: float | None = None  # kiosk: seconds without input before the picker returns
    kiosk_status: Path | None = None  # kiosk: a file that always names the screen shown (for monitoring)
    sound: bool = True
    demos: bool | None = None  # None: on, except in headless runs
    play: PlaySettings = field(default_factory=PlaySettings)
    patient: str | None = None  # number or name; default: the last patient used
    level: str | None = None  # level name or file; default: the patient's assigned level
    # Scripted play (--input sim / a trace .csv) is recorded under a simulated-play record unless
    # a patient is named here; it is marked simulated either way.
    record_as: str | None = None
    game: str | None = None  # the game for an exercise that has more than one (e.g. balloon): game/game_choices.py


def demo_trace(seed: int = 0) -> np.ndarray:
    """A patient's set as the simulator plays it: squeezes of varying strength and
    pace (some short of the target), with rest noise and a little tremor."""
    import numpy as np  # only the simulator needs it here

    rng = np.random.default_rng(seed)
    squeezes, t = [], 2.0
    for _ in range(40):
        peak = SIM_MVC * rng.uniform(0.14, 0.45)
        rise, hold, release = rng.uniform(0.3, 0.8), rng.uniform(0.4, 1.5), rng.uniform(0.3, 2.0)
        squeezes.append(Squeeze(t, peak, rise=rise, hold=hold, release=release))
        t += rise + hold + release + rng.uniform(1.5, 3.0)
    return synth_trace(squeezes, t + 2.0, baseline=SIM_BASELINE, noise_sd=2.0, tremor_hz=9.0,
                       tremor_amp=4.0, seed=seed)


def make_source(spec: str, clock: Clock, seed: int = 0, *, baud: int | None = None,
                profile: str | None = None) -> tuple[InputSource, Calibration]:
    """Build the input device named on the command line, with its starting calibration."""
    from hardware.discovery import is_port_spec

    if spec == "auto" or is_port_spec(spec):
        # A serial ball: its calibration is the patient's stored one (or the calibration
        # scene's); until then a placeholder spanning the sensor's range.
        from hardware.discovery import open_ball
        from hardware.line_formats import load_profile

        prof = load_profile(profile) if profile else None
        src = open_ball(spec, clock, baud=baud, profile=prof)
        if isinstance(src, KeyboardBall):
            return src, Calibration(baseline=0.0, mvc=FULL_SCALE)
        return src, placeholder_ball_calibration(prof)
    if spec == "keyboard":
        return KeyboardBall(clock), Calibration(baseline=0.0, mvc=FULL_SCALE)
    if spec == "sim":
        src = ScriptedSource(clock, demo_trace(seed), loop=True, name="Simulator")
        return src, Calibration(baseline=SIM_BASELINE, mvc=SIM_MVC, noise_sd=2.0)
    if spec.endswith(".csv") and Path(spec).is_file():
        trace = load_trace_csv(spec)
        from game.therapy.calibration import estimate_from_signal

        return ScriptedSource(clock, trace, name=f"Trace {Path(spec).name}"), estimate_from_signal(trace[:, 0], trace[:, 1])
    raise ValueError(f"unknown input '{spec}': use auto, keyboard, sim, a port (COM3, /dev/ttyACM0, "
                     "/dev/cu.usbmodem1101), "
                     "a pyserial URL (socket://host:port, loop://, hwgrep://...) or a trace .csv file")


def is_scripted_input(spec: str) -> bool:
    """``--input sim`` or a trace file: play no person made."""
    return spec == "sim" or spec.lower().endswith(".csv")


def records_owner(store: Store, opts: AppOptions) -> tuple[bool, int | None]:
    """(simulated, the patient its records go under; None: the player's own). Scripted play
    goes under the simulated-play record, or under the patient named with --record-as;
    a ValueError names a wrong --record-as."""
    if not is_scripted_input(opts.input):
        if opts.record_as:
            raise ValueError("--record-as is for scripted play (--input sim or a trace .csv); a real input is "
                             "recorded under the patient playing")
        return False, None
    if opts.record_as:
        from game.profiles import ProfileError, Profiles

        try:
            return True, Profiles(store).find(opts.record_as, include_archived=False).id
        except ProfileError as exc:
            raise ValueError(f"--record-as: {exc}") from exc
    return True, store.simulated_patient()


class HeadlessClock(ManualClock):
    """Headless game time: one fixed step per frame, as fast as the CPU, until a real serial ball
    is the input (:meth:`follow_real_time`); from then on the wall clock, never going back."""

    def __init__(self) -> None:
        super().__init__()
        self._real_from: tuple[float, float] | None = None

    def follow_real_time(self) -> None:
        if self._real_from is None:
            self._real_from = (time.monotonic(), self._t)

    def now(self) -> float:
        if self._real_from is None:
            return self._t
        return self._real_from[1] + time.monotonic() - self._real_from[0]

    def advance(self, seconds: float) -> None:
        if self._real_from is None:
            super().advance(seconds)


def placeholder_ball_calibration(profile: object | None) -> Calibration:
    """Until the patient calibrates: a span over most of the sensor's range."""
    force_range = getattr(profile, "force_range", None)
    high = force_range[1] if force_range else 1023.0
    return Calibration(baseline=0.0, mvc=max(1.0, 0.6 * high))


class App:
    def __init__(
        self,
        opts: AppOptions,
        *,
        clock: Clock | None = None,
        source: InputSource | None = None,
        calibration: Calibration | None = None,
        store: Store | None = None,
        first_scene: Scene | None = None,
    ) -> None:
        if opts.kiosk:
            # SDL turns SIGTERM/SIGINT into a window-close event, which a kiosk ignores;
            # a service manager's stop must still stop it.
            os.environ["SDL_NO_SIGNAL_HANDLERS"] = "1"
        if opts.headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
            os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        from game.input import InputHub, InputRouter
        from game.ui import Canvas

        self.pg = pygame
        self.opts = opts
        self.fixed_time = opts.headless or isinstance(clock, ManualClock)
        self.clock: Clock = clock or (HeadlessClock() if opts.headless else SystemClock())
        pygame.init()
        open_display(pygame)  # NoDisplay: no screen came (game.cli says so)
        if pygame.display.get_driver() == "x11":
            # SDL's default X11 window framebuffer goes through OpenGL; with a software GL
            # (no GPU driver, a VM, an old clinic PC) a 1080p flip costs 10-30 ms and 100 MB.
            # Shared-memory blits cost under 1 ms (benchmarks/bench_frames.py --window).
            os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
        pygame.display.set_caption(_("Squeeze Quest"))
        flags = pygame.RESIZABLE
        if opts.fullscreen or opts.kiosk:
            flags = pygame.FULLSCREEN
        self.screen = pygame.display.set_mode(opts.window_size, flags)
        self.canvas = Canvas(self.screen)
        if source is None:
            source, default_cal = make_source(opts.input, self.clock, opts.seed, baud=opts.baud,
                                              profile=opts.profile)
            calibration = calibration or default_cal
            self._real_time_for(source)
        assert calibration is not None, "a source given without its calibration"
        keyboard = source if isinstance(source, KeyboardBall) else KeyboardBall(self.clock)
        self.hub = InputHub(source, keyboard)
        from hardware.discovery import BallWatcher, KeyboardFallback

        if opts.input == "auto" and isinstance(source, KeyboardFallback):
            # No ball at start-up: keep looking, so plugging one in later just works.
            from hardware.line_formats import load_profile

            self.hub.watcher = BallWatcher(self.clock, baud=opts.baud,
                                           profile=load_profile(opts.profile) if opts.profile else None)
        self.router = InputRouter(keyboard, self.canvas.to_logical)
        if store is None:
            from game.records.storage_faults import open_store

            store = open_store(opts.data_dir)  # StorageFault: the records cannot be used (game.cli shows it)
        self.store = store
        try:
            self.store.mark_unfinished_sessions_interrupted()
        except WriteFailed as exc:  # the game can still be played; they are marked at a later start
            print(f"squeeze-quest: {exc}", file=sys.stderr)
        from game.profiles import starting_patient
        from game.resources import level_dirs  # not game.levels: no level models before the first frame

        dirs = level_dirs(opts.data_dir)
        if opts.input == "sim" or opts.input.lower().endswith(".csv"):
            # Scripted play squeezes through menus as well as games: it must never change the
            # patient's settings, hand, program or targets, nor mark them as the last one played.
            from game.profiles import hold_profiles

            # marked for translation: the settings screen says it in the patient's language
            hold_profiles(self.store, N_("a simulator run") if opts.input == "sim" else N_("a run played from a trace file"))
        start = starting_patient(self.store, opts.patient, opts.level, dirs)  # ValueError: a wrong --patient/--level
        self.ctx = AppContext(
            clock=self.clock, hub=self.hub, store=self.store, audio=Audio(enabled=opts.sound and not opts.headless),
            calibration=calibration, patient_id=start.patient_id, seed=opts.seed, play=opts.play,
            kiosk=opts.kiosk, app_version=__version__, plan=start.plan, level_dirs=dirs, level_note=start.note,
            demos=(not opts.headless) if opts.demos is None else opts.demos,
            speech=Speech(allowed=opts.sound and not opts.headless),
        )
        self.ctx.simulated, self.ctx.records_patient_id = records_owner(self.store, opts)
        # A PC connected to a clinic server sends its records there on a thread of its own (never a frame).
        from game.records.sync import start_if_enrolled

        self.ctx.clinic_sync = start_if_enrolled(self.store.path.parent, self.store.path)
        # Music only where the sound is on (never in headless runs); its volume is the patient's.
        self.ctx.music = Music(enabled=self.ctx.audio.enabled)
        # The choice of game before a set is asked only where someone is there to choose it: in a
        # window, with a person's input (headless runs and scripted play take the remembered game).
        self.ctx.ask_game = not opts.headless and not self.ctx.simulated
        if opts.game:
            from game.game_choices import BY_GAME_ID

            self.ctx.game_choices[BY_GAME_ID[opts.game].exercise] = opts.game
        # The patient's own settings (scan pace, volumes, voice, text size, trained hand) before anything uses them.
        explicit_hand = opts.play.hand
        apply_patient_settings(self.ctx)
        if explicit_hand in ("left", "right"):
            self.ctx.play.hand = explicit_hand  # a hand given in the options wins over the profile's
        from game.scenes.calibrate import apply_stored_calibration

        apply_stored_calibration(self.ctx)  # a serial ball plays with this patient's own calibration
        self.hub.ball_calibration = lambda: self.ctx.calibration
        self.loop = FixedStep()
        self.stack: list[Scene] = []
        self.frames = 0
        self.running = True
        self._pace = pygame.time.Clock()
        self.hub.start()
        self.kiosk = None
        if opts.kiosk:
            from game.kiosk import DEFAULT_IDLE_TIMEOUT_S, KioskMode

            try:
                self.kiosk = KioskMode(self, idle_timeout_s=opts.idle_timeout_s or DEFAULT_IDLE_TIMEOUT_S,
                                       status_file=opts.kiosk_status)
            except ValueError:
                self.hub.close()
                self.store.close()
                pygame.quit()
                raise
        self.apply(Push(first_scene or self._first_scene()))

    def _patient_busy(self) -> bool:
        """A set, session or calibration is on: the input device must not change under it."""
        from game.scenes.calibrate import CalibrateScene
        from game.scenes.play import PlayScene
        from game.scenes.session import SessionScene

        return any(isinstance(s, (PlayScene, SessionScene, CalibrateScene)) for s in self.stack)

    def _real_time_for(self, source: object) -> None:
        """A real serial ball streams at its own pace: headless game time must then be the real clock,
        or game time runs many times faster than the ball and no squeeze is ever long enough to count."""
        if getattr(source, "needs_real_time", False) and isinstance(self.clock, HeadlessClock):
            self.clock.follow_real_time()
            self.fixed_time = False

    def _adopt_found_ball(self) -> None:
        from game.scenes.calibrate import apply_stored_calibration

        ball = self.hub.adopt_found_ball()
        if ball is None:
            return
        self._real_time_for(ball)
        self.ctx.calibration = placeholder_ball_calibration(getattr(ball, "profile", None))
        apply_stored_calibration(self.ctx)  # this patient's own, if the ball was calibrated before
        self.store.log_event(None, "ball_found", {"device": ball.info.name, "status": ball.status_message})

    def _first_scene(self) -> Scene:
        if self.kiosk is not None:
            return self.kiosk.picker()  # the clinic kiosk starts, and always returns, at the patient picker
        if self.opts.exercise:
            from game.scenes.menu import MenuScene
            from game.scenes.play import PlayScene
            from game.scenes.title import TitleScene

            self.apply(Push(TitleScene()))
            self.apply(Push(MenuScene()))
            from game.scenes.calibrate import before_play

            return before_play(self.ctx, PlayScene(self.opts.exercise))
        from game.scenes.title import TitleScene

        return TitleScene()

    # --------------------------------------------------------- scene stack
    @property
    def top(self) -> Scene:
        return self.stack[-1]

    def apply(self, tr: Transition) -> None:
        if tr is None:
            return
        if isinstance(tr, Push):
            if self.stack:
                self.top.pause()
            tr.scene.ctx = self.ctx
            self.stack.append(tr.scene)
            tr.scene.enter()
        elif isinstance(tr, Pop):
            self.stack.pop().exit()
            if not self.stack:
                self._stack_emptied()
            else:
                self.top.resume()
        elif isinstance(tr, Replace):
            self.stack.pop().exit()
            tr.scene.ctx = self.ctx
            self.stack.append(tr.scene)
            tr.scene.enter()
        elif isinstance(tr, PopTo):
            while self.stack and not isinstance(self.top, tr.scene_type):
                self.stack.pop().exit()
            if self.stack:
                self.top.resume()
            else:
                self._stack_emptied()
        elif isinstance(tr, Quit):
            if self.kiosk is not None and not self.kiosk.allows(tr):
                return  # in the clinic kiosk only staff can quit
            self.running = False

    def _stack_emptied(self) -> None:
        if self.kiosk is not None:
            self.apply(Push(self.kiosk.picker()))  # a kiosk never runs out of screens
        else:
            self.running = False

    # --------------------------------------------------------------- frame
    def frame(self) -> None:
        from game.input import Act

        pg = self.pg
        if self.hub.watcher is not None and not self._patient_busy():
            self._adopt_found_ball()
        for action in self.router.poll():
            if action.kind is Act.QUIT:
                if not self.ctx.kiosk:
                    self.running = False
                continue
            if action.kind is Act.FULLSCREEN and not self.ctx.kiosk:
                pg.display.toggle_fullscreen()
                continue
            if self.kiosk is not None and self.kiosk.handle(action):
                continue  # the staff chord
            self.apply(self.top.handle(action))
            if not self.running:
                return
        samples = self.hub.poll()
        if self.kiosk is not None:
            self.kiosk.update(samples)  # idle: the session is saved and ended, the picker returns
        self.apply(self.top.on_samples(samples))
        steps, alpha = self.loop.advance(self.clock.now())
        for _ in range(steps):
            if not self.running:
                return
            self.apply(self.top.update(STEP))
        # The music follows what the screen on top is doing (a set's phase, a rest; else none).
        phase = getattr(self.top, "music_phase", None)
        self.ctx.music.follow(phase() if callable(phase) else None, steps * STEP)
        if not self.running:
            return
        self.draw(alpha)
        self.frames += 1

    def draw(self, alpha: float) -> None:
        surface = self.pg.display.get_surface()
        resized = surface is not self.canvas.surface or surface.get_size() != self.canvas.surface.get_size()
        if resized:
            self.canvas.set_surface(surface)
        self.canvas.text_scale = self.ctx.access.text_scale
        first = len(self.stack) - 1
        while first > 0 and self.stack[first].overlay:
            first -= 1
        self.canvas.track_damage()
        for scene in self.stack[first:]:
            scene.draw(self.canvas, alpha)
        if self.kiosk is not None:
            self.kiosk.draw(self.canvas)
        self.present(full=resized)

    _last_present: tuple | None = None

    def present(self, *, full: bool = False) -> None:
        """Send the frame to the window: when this frame and the last lie on the same full-window
        layer (a stage's scenery, a cleared screen), only where their drawing calls differ
        (game/present.py), plus one strip of the window that takes turns, so every row is sent
        again within 2 s; else all of it. The copy to the window is the frame's biggest cost in
        software (no GPU, a VM, Xvfb). A whole frame goes when the changes cover most of it,
        after the window is uncovered or resized, and always with SQUEEZE_QUEST_FULL_FLIP=1."""
        from game.present import changed_rects, merge_rects, refresh_strip

        layer, ops = self.canvas.damage()
        last, self._last_present = self._last_present, (layer, ops)
        full = (full or layer is None or ops is None or last is None or last[0] != layer
                or self.router.needs_full_present or os.environ.get("SQUEEZE_QUEST_FULL_FLIP") == "1")
        self.router.needs_full_present = False
        if not full:
            bounds = self.canvas.surface.get_rect()
            try:
                changed = changed_rects(last[1], ops)
            except TypeError:  # a colour that cannot be a key (a pygame.Color): every call counts
                changed = [r for r, _key in ops + last[1]]
            rects = merge_rects(changed, bounds)
            if rects is not None:
                rects.append(refresh_strip(self.frames, bounds))
                self.pg.display.update(rects)
                return
        self.pg.display.flip()

    def run(self) -> int:
        o = self.opts
        max_frames = o.frames
        if o.seconds is not None:
            max_frames = round(o.seconds / STEP)
        try:
            while self.running and (max_frames is None or self.frames < max_frames):
                if self.fixed_time and isinstance(self.clock, ManualClock):
                    self.clock.advance(STEP)
                self.frame()
                if not self.fixed_time:
                    self._pace.tick(60)
            if o.screenshot:
                self.save_screenshot(o.screenshot)
        finally:
            self.shutdown()
        return self.kiosk.exit_code() if self.kiosk is not None else 0

    def save_screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pg.image.save(self.screen, str(path))

    def shutdown(self) -> None:
        while self.stack:
            self.stack.pop().exit()
        self.ctx.speech.close()
        if self.ctx.clinic_sync is not None:
            self.ctx.clinic_sync.stop(timeout=2.0)  # mid-request it is left to end with the program
        self.hub.close()
        self.store.close()
        self.pg.quit()
