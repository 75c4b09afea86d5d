"""A ball played from the keyboard, mouse or gamepad.

Not a random-number stand-in: holding the grip control drives a second-order
(critically damped) force response towards an adjustable effort level, the way a
hand tightens on a soft ball, and letting go relaxes it with its own time
constant (set it long to imitate a slow paretic release). Direction controls
ramp roll rates the same way. The result is a real, explainable 100 Hz signal
that goes through exactly the same detector as the serial ball.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from hardware.clock import Clock
from hardware.sample import Sample
from hardware.source import SourceInfo, SourceStatus

FULL_SCALE = 1000.0  # device units of a full-effort squeeze at level 1.0
EFFORT_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True, slots=True)
class _Change:
    t: float
    grip: bool | None = None
    roll: tuple[float, float] | None = None
    move: tuple[float, float] | None = None  # a mouse movement, logical pixels


class KeyboardBall:
    """Keyboard/mouse/gamepad force and roll, as a 100 Hz sample stream."""

    # Which control squeezed last ("keyboard", "mouse", "gamepad"), set by the game's input
    # mapping: the records say which one played (game/records/provenance.py).
    control = "keyboard"

    def __init__(
        self,
        clock: Clock,
        *,
        rate_hz: float = 100.0,
        effort: float = 0.6,
        rise_tau: float = 0.12,
        release_tau: float = 0.15,
        roll_full_rate: float = 120.0,
        mouse_gain: float = 0.5,
        name: str = "Keyboard",
    ) -> None:
        self.info = SourceInfo(name=name, has_force=True, has_roll=True, nominal_full_scale=FULL_SCALE)
        self._clock = clock
        self._dt = 1.0 / rate_hz
        self.effort = effort
        self.rise_tau = rise_tau
        self.release_tau = release_tau
        self.roll_full_rate = roll_full_rate
        # Roll per logical pixel of mouse travel: the mouse is rolled like a trackball,
        # so a 180 px stroke is 90 units, the default comfortable roll range.
        self.mouse_gain = mouse_gain
        self._changes: deque[_Change] = deque()
        self._grip = False
        self._roll_cmd = (0.0, 0.0)
        # Two cascaded first-order stages give the S-shaped rise of a real squeeze.
        self._stage1 = 0.0
        self._force = 0.0
        self._roll = [0.0, 0.0]
        self._next_t = clock.now()

    # -- controls (called by the game's input mapping, never by game objects) --
    def set_grip(self, held: bool) -> None:
        self._changes.append(_Change(self._clock.now(), grip=held))

    def set_roll(self, x: float, y: float) -> None:
        """Roll command in -1..1 on each axis (arrow keys, mouse motion, stick)."""
        x = max(-1.0, min(1.0, x))
        y = max(-1.0, min(1.0, y))
        self._changes.append(_Change(self._clock.now(), roll=(x, y)))

    def move_roll(self, dx: float, dy: float) -> None:
        """The mouse moved by (dx, dy) logical pixels: the ball rolls that far (trackball-like)."""
        self._changes.append(_Change(self._clock.now(), move=(dx, dy)))

    def change_effort(self, steps: int) -> float:
        """Step the imitated strength up or down through EFFORT_LEVELS."""
        idx = min(range(len(EFFORT_LEVELS)), key=lambda i: abs(EFFORT_LEVELS[i] - self.effort))
        idx = max(0, min(len(EFFORT_LEVELS) - 1, idx + steps))
        self.effort = EFFORT_LEVELS[idx]
        return self.effort

    # -- InputSource --
    def start(self) -> None:
        self._next_t = self._clock.now()

    @property
    def status(self) -> SourceStatus:
        return SourceStatus.CONNECTED

    @property
    def status_message(self) -> str:
        return f"Keyboard: hold Space to squeeze (strength {round(self.effort * 100)}%)"

    def close(self) -> None:
        self._changes.clear()

    def poll(self) -> list[Sample]:
        now = self._clock.now()
        out: list[Sample] = []
        dt = self._dt
        a_rise = 1.0 - math.exp(-dt / self.rise_tau)
        a_rel = 1.0 - math.exp(-dt / self.release_tau)
        a_roll = 1.0 - math.exp(-dt / 0.08)
        t = self._next_t
        while t <= now + 1e-9:
            moved = [0.0, 0.0]
            while self._changes and self._changes[0].t <= t + 1e-9:
                change = self._changes.popleft()
                if change.grip is not None:
                    self._grip = change.grip
                if change.roll is not None:
                    self._roll_cmd = change.roll
                if change.move is not None:
                    moved[0] += change.move[0]
                    moved[1] += change.move[1]
            target = self.effort * FULL_SCALE if self._grip else 0.0
            a = a_rise if self._grip else a_rel
            self._stage1 += a * (target - self._stage1)
            self._force += a * (self._stage1 - self._force)
            for i in range(2):
                # A mouse movement is a rate over one sample step; the smoothing keeps its
                # integral, so the rolled distance is exactly mouse travel x gain.
                cmd = self._roll_cmd[i] * self.roll_full_rate + moved[i] * self.mouse_gain / dt
                self._roll[i] += a_roll * (cmd - self._roll[i])
            out.append(
                Sample(t=t, force=self._force, roll_x=self._roll[0], roll_y=self._roll[1], raw=(float(self._grip),))
            )
            t += dt
        self._next_t = t
        return out
