"""One event router, and the hub that gathers device samples.

``InputRouter.poll`` is the only function that takes events from the pygame
queue. It maps every device once: keys, mouse and gamepad become the same
named actions (confirm, back, up...), and the grip and roll controls drive the
:class:`~hardware.keyboard.KeyboardBall`, whose samples go through the same
pipeline as the serial ball. Game objects never look at a device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import pygame

from game.i18n import N_, _
from game.therapy.calibration import Calibration
from hardware.keyboard import KeyboardBall

if TYPE_CHECKING:
    from hardware.discovery import BallWatcher
from hardware.sample import Sample
from hardware.source import InputSource, SourceStatus

# hardware/ knows nothing of the game, so its status lines are English; the ones a patient
# sees are translated here, where they reach the screen (a line not listed stays as it is).
STATUS_WORDS = (
    (r"Keyboard: hold Space to squeeze \(strength (?P<pct>\d+)%\)", N_("Keyboard: hold Space to squeeze (strength {pct}%)")),
    (r"(?P<name>.+): playing a recorded trace", N_("{name}: playing a recorded trace")),
    (r"(?P<reason>.*) Playing with the keyboard: hold Space to squeeze\.",
     N_("{reason} Playing with the keyboard: hold Space to squeeze.")),
    (r"Ball disconnected \((?P<port>[^)]*)\) - plug it back in", N_("Ball disconnected ({port}) - plug it back in")),
    (r"No readings from the ball on (?P<port>.+) - check the cable", N_("No readings from the ball on {port} - check the cable")),
    (r"(?P<name>.+): waiting for readings on (?P<port>.+)", N_("{name}: waiting for readings on {port}")),
    (r"(?P<name>.+): cannot open (?P<port>.+); still trying", N_("{name}: cannot open {port}; still trying")),
    (r"(?P<name>.+): connecting to (?P<port>.+)", N_("{name}: connecting to {port}")),
    (r"(?P<name>.+) on (?P<port>.+): readings again", N_("{name} on {port}: readings again")),
)


def status_words(line: str) -> str:
    """An input's English status line in the current language."""
    import re

    for pattern, words in STATUS_WORDS:
        m = re.fullmatch(pattern, line)
        if m:
            return _(words).format(**m.groupdict())
    return line


class Act(Enum):
    CONFIRM = "confirm"
    BACK = "back"
    PAUSE = "pause"
    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"
    CLICK = "click"
    QUIT = "quit"  # the window's close button
    EFFORT_UP = "effort_up"
    EFFORT_DOWN = "effort_down"
    FULLSCREEN = "fullscreen"
    STAFF = "staff"  # the staff key chord
    TEXT = "text"  # typed text (a PIN, a patient's name), in ``Action.text``


@dataclass(frozen=True, slots=True)
class Action:
    kind: Act
    pos: tuple[float, float] | None = None  # logical coordinates, for clicks
    text: str = ""  # for TEXT
    key: int | None = None  # the key behind a key action (Backspace deletes in a text field, Esc does not)


KEY_ACTIONS = {
    pygame.K_RETURN: Act.CONFIRM,
    pygame.K_KP_ENTER: Act.CONFIRM,
    pygame.K_SPACE: Act.CONFIRM,
    pygame.K_ESCAPE: Act.BACK,
    pygame.K_BACKSPACE: Act.BACK,
    pygame.K_p: Act.PAUSE,
    pygame.K_UP: Act.UP,
    pygame.K_DOWN: Act.DOWN,
    pygame.K_LEFT: Act.LEFT,
    pygame.K_RIGHT: Act.RIGHT,
    pygame.K_EQUALS: Act.EFFORT_UP,
    pygame.K_PLUS: Act.EFFORT_UP,
    pygame.K_KP_PLUS: Act.EFFORT_UP,
    pygame.K_MINUS: Act.EFFORT_DOWN,
    pygame.K_KP_MINUS: Act.EFFORT_DOWN,
    pygame.K_F11: Act.FULLSCREEN,
}
GRIP_KEYS = {pygame.K_SPACE}
ROLL_KEYS = {pygame.K_LEFT: (-1, 0), pygame.K_RIGHT: (1, 0), pygame.K_UP: (0, -1), pygame.K_DOWN: (0, 1)}
PAD_CONFIRM, PAD_BACK, PAD_PAUSE = 0, 1, 7
PERSON_EVENTS = frozenset({pygame.KEYDOWN, pygame.MOUSEBUTTONDOWN, pygame.MOUSEMOTION, pygame.MOUSEWHEEL,
                           pygame.JOYBUTTONDOWN, pygame.JOYHATMOTION, pygame.JOYAXISMOTION, pygame.FINGERDOWN})
# The window needs all of its picture again (App.draw presents only what changed otherwise).
WINDOW_REDRAW_EVENTS = frozenset({pygame.VIDEOEXPOSE, pygame.VIDEORESIZE, pygame.WINDOWEXPOSED, pygame.WINDOWSHOWN,
                                  pygame.WINDOWRESIZED, pygame.WINDOWSIZECHANGED, pygame.WINDOWRESTORED,
                                  pygame.WINDOWMAXIMIZED, pygame.WINDOWDISPLAYCHANGED})


class InputHub:
    """The active device, plus the keyboard that always stands by."""

    def __init__(self, source: InputSource, keyboard: KeyboardBall | None = None) -> None:
        self.source = source
        self.keyboard = keyboard if keyboard is not None else (source if isinstance(source, KeyboardBall) else None)
        self._kb_roll = (0.0, 0.0)  # the mouse/keys' latest roll, lent to a ball without a motion sensor
        # While the keyboard stands in for an absent ball its effort is expressed in the
        # ball's units (effort level = %MVC), so the same detector and targets still apply.
        self.ball_calibration: Callable[[], Calibration] | None = None
        # Looks for a ball plugged in after start-up (see hardware.discovery.BallWatcher).
        self.watcher: BallWatcher | None = None

    def start(self) -> None:
        self.source.start()
        if self.watcher is not None:
            self.watcher.start()

    def adopt_found_ball(self) -> InputSource | None:
        """Switch to a ball the watcher found; the keyboard goes back to standing by."""
        if self.watcher is None:
            return None
        ball = self.watcher.take()
        if ball is None:
            return None
        self.watcher.close()
        self.watcher = None
        if isinstance(self.source, KeyboardBall):
            self.keyboard = self.source
        self.source = ball
        ball.start()
        return ball

    @property
    def roll_from_mouse(self) -> bool:
        """The ball cannot feel rolling (no motion sensor): the mouse and arrow keys roll for it."""
        return (self.keyboard is not None and self.keyboard is not self.source
                and not self.source.info.has_roll)

    def poll(self) -> list[Sample]:
        samples = self.source.poll()
        if self.keyboard is not None and self.keyboard is not self.source:
            # The keyboard is polled so its clock keeps up; its samples are used
            # only while the ball is away (so a patient is never stuck).
            kb = self.keyboard.poll()
            if self.source.status is not SourceStatus.CONNECTED:
                samples = self._in_ball_units(kb)
            elif self.roll_from_mouse:
                samples = self._with_keyboard_roll(samples, kb)
        return samples

    def _in_ball_units(self, kb: list[Sample]) -> list[Sample]:
        if self.ball_calibration is None or self.keyboard is None:
            return kb
        cal = self.ball_calibration()
        scale = cal.mvc / self.keyboard.info.nominal_full_scale
        return [Sample(s.t, cal.baseline + s.force * scale, s.roll_x, s.roll_y, s.raw) for s in kb]

    @property
    def keyboard_standing_in(self) -> bool:
        """The ball is away and the keyboard is playing for it."""
        return self.keyboard is not None and self.keyboard is not self.source and not self.connected

    def _with_keyboard_roll(self, samples: list[Sample], kb: list[Sample]) -> list[Sample]:
        """The ball's force with the mouse/keys' roll, matched by time (latest roll at or before)."""
        if not kb and self._kb_roll == (0.0, 0.0):
            return samples  # nothing rolling: the ball's own samples as they are
        out, j = [], 0
        for s in samples:
            while j < len(kb) and kb[j].t <= s.t:
                self._kb_roll = (kb[j].roll_x, kb[j].roll_y)
                j += 1
            out.append(Sample(s.t, s.force, self._kb_roll[0], self._kb_roll[1], s.raw))
        if kb:
            self._kb_roll = (kb[-1].roll_x, kb[-1].roll_y)
        return out

    @property
    def connected(self) -> bool:
        return self.source.status is SourceStatus.CONNECTED

    @property
    def keyboard_only(self) -> bool:
        """The samples now come from the keyboard/mouse stand-in (no ball, or the ball is away),
        whose presses already arrive as actions: menus must not count them twice."""
        return self.keyboard is not None and (self.source is self.keyboard or not self.connected)

    @property
    def message(self) -> str:
        """The input's status line, in the patient's language (see :func:`status_words`)."""
        return status_words(self.source.status_message)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
        self.source.close()


class InputRouter:
    def __init__(self, keyboard: KeyboardBall | None, to_logical) -> None:  # noqa: ANN001
        self.keyboard = keyboard
        self._to_logical = to_logical
        self._roll_keys: set[int] = set()
        self._mouse_grip = False
        self._pads: dict[int, pygame.joystick.JoystickType] = {}
        # Counts of a person's input (any key, button, stick or mouse movement), for the
        # kiosk's idle timeout and its pointer that shows only while the mouse moves.
        self.input_events = 0
        self.mouse_moves = 0
        # The window was uncovered, resized or restored: the next frame is sent whole (App.draw).
        self.needs_full_present = False

    def poll(self) -> list[Action]:
        actions: list[Action] = []
        for ev in pygame.event.get():
            if ev.type in WINDOW_REDRAW_EVENTS:
                self.needs_full_present = True
            if ev.type in PERSON_EVENTS:
                self.input_events += 1
                if ev.type == pygame.MOUSEMOTION:
                    self.mouse_moves += 1
            actions.extend(self.translate(ev))
        return actions

    def translate(self, ev: pygame.event.Event) -> list[Action]:
        kb = self.keyboard
        out: list[Action] = []
        if ev.type == pygame.QUIT:
            out.append(Action(Act.QUIT))
        elif ev.type == pygame.KEYDOWN:
            mods = ev.mod
            if ev.key == pygame.K_s and mods & pygame.KMOD_CTRL and mods & pygame.KMOD_ALT:
                out.append(Action(Act.STAFF))
            elif ev.key in KEY_ACTIONS:
                out.append(Action(KEY_ACTIONS[ev.key], key=ev.key))
            if kb is not None:
                if ev.key in GRIP_KEYS or ev.key in ROLL_KEYS:
                    kb.control = "keyboard"  # what played, for the records' provenance
                if ev.key in GRIP_KEYS:
                    kb.set_grip(True)
                if ev.key in ROLL_KEYS:
                    self._roll_keys.add(ev.key)
                    self._send_roll()
                if ev.key in (pygame.K_EQUALS, pygame.K_PLUS, pygame.K_KP_PLUS):
                    kb.change_effort(+1)
                if ev.key in (pygame.K_MINUS, pygame.K_KP_MINUS):
                    kb.change_effort(-1)
        elif ev.type == pygame.TEXTINPUT:
            out.append(Action(Act.TEXT, text=ev.text))
        elif ev.type == pygame.KEYUP and kb is not None:
            if ev.key in GRIP_KEYS:
                kb.set_grip(False)
            if ev.key in ROLL_KEYS:
                self._roll_keys.discard(ev.key)
                self._send_roll()
        elif ev.type == pygame.MOUSEBUTTONDOWN and ev.button == 1:
            out.append(Action(Act.CLICK, self._to_logical(ev.pos)))
            if kb is not None:
                self._mouse_grip = True
                kb.control = "mouse"
                kb.set_grip(True)
        elif ev.type == pygame.MOUSEMOTION and kb is not None:
            # The mouse rolls the ball like a trackball (the rolling exercises' stand-in).
            (x1, y1), (x0, y0) = self._to_logical(ev.pos), self._to_logical((ev.pos[0] - ev.rel[0],
                                                                               ev.pos[1] - ev.rel[1]))
            if x1 != x0 or y1 != y0:
                kb.move_roll(x1 - x0, y1 - y0)
        elif ev.type == pygame.MOUSEBUTTONUP and ev.button == 1:
            if kb is not None and self._mouse_grip:
                self._mouse_grip = False
                kb.set_grip(False)
        elif ev.type == pygame.JOYDEVICEADDED:
            pad = pygame.joystick.Joystick(ev.device_index)
            self._pads[pad.get_instance_id()] = pad
        elif ev.type == pygame.JOYDEVICEREMOVED:
            self._pads.pop(ev.instance_id, None)
        elif ev.type == pygame.JOYBUTTONDOWN:
            if ev.button == PAD_CONFIRM:
                out.append(Action(Act.CONFIRM))
                if kb is not None:
                    kb.control = "gamepad"
                    kb.set_grip(True)
            elif ev.button == PAD_BACK:
                out.append(Action(Act.BACK))
            elif ev.button == PAD_PAUSE:
                out.append(Action(Act.PAUSE))
        elif ev.type == pygame.JOYBUTTONUP and ev.button == PAD_CONFIRM and kb is not None:
            kb.set_grip(False)
        elif ev.type == pygame.JOYHATMOTION:
            hx, hy = ev.value
            if hx:
                out.append(Action(Act.RIGHT if hx > 0 else Act.LEFT))
            if hy:
                out.append(Action(Act.UP if hy > 0 else Act.DOWN))
            if kb is not None:
                kb.control = "gamepad"
                kb.set_roll(hx, -hy)
        elif ev.type == pygame.JOYAXISMOTION and kb is not None and ev.axis in (0, 1):
            pad = self._pads.get(ev.instance_id)
            if pad is not None:
                x, y = pad.get_axis(0), pad.get_axis(1)
                dead = 0.15
                kb.control = "gamepad"
                kb.set_roll(x if abs(x) > dead else 0.0, y if abs(y) > dead else 0.0)
        return out

    def _send_roll(self) -> None:
        assert self.keyboard is not None
        x = sum(ROLL_KEYS[k][0] for k in self._roll_keys)
        y = sum(ROLL_KEYS[k][1] for k in self._roll_keys)
        self.keyboard.set_roll(x, y)
