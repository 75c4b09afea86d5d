"""Big, simple buttons that work with one squeeze, one key or one click.

Switch scanning: for a person who can only squeeze the ball (or press one big
switch), the highlight steps through the choices by itself at the patient's pace
and a squeeze chooses the lit one. The first choice is lit a little longer so
there is time to get ready, and the highlight stands still while a squeeze is
building, so a slow hand chooses what was lit when it started. An arrow key
stops the stepping (that person moves the frame themselves); a click chooses
what is under the pointer. Nothing needs a double click or two things held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from game.i18n import _
from game.input import Act, Action
from game.therapy.switch import SqueezeSwitch
from game.ui import Canvas, LRect, Theme
from hardware.sample import Sample

IconFn = Callable[[Canvas, tuple[float, float], float], None]

FIRST_DWELL = 1.5  # the first choice is lit this many scan steps
HOLD_PAUSE_MAX_S = 2.0  # a squeeze that builds longer than this no longer holds the highlight still
ARROWS = (Act.LEFT, Act.RIGHT, Act.UP, Act.DOWN)
FLOOR_CLIMB_PCT_S = 2.0  # the switch's resting level climbs at most this fast (%MVC per second)


class ChoiceSwitch(SqueezeSwitch):
    """The squeeze-as-a-button for menus.

    Samples from the keyboard stand-in are not presses here: Space, a click or
    gamepad A already arrive as actions, and counting their imitated squeeze as
    well would choose twice.
    """

    def __init__(self, ctx: Any, **kwargs: Any) -> None:
        super().__init__(ctx.calibration, **kwargs)
        self._hub = ctx.hub
        self._rise_t: float | None = None
        self._t = 0.0
        # The resting level, followed here: before calibration (or with a drifting sensor)
        # the hand at rest may read above the calibration's baseline, and a switch that
        # never sees "released" would never press. It falls at once and climbs slowly.
        self._floor: float | None = None
        self._floor_t = 0.0
        self._stand_in = bool(getattr(ctx.hub, "keyboard_only", False))
        self._climb = FLOOR_CLIMB_PCT_S / 100.0 * max(ctx.calibration.mvc, 1e-9)

    def _from_rest(self, samples: list[Sample]) -> list[Sample]:
        out = []
        base = self.calibration.baseline
        for s in samples:
            if self._floor is None or s.t - self._floor_t > 0.5:
                self._floor = s.force
            else:
                self._floor = min(s.force, self._floor + self._climb * max(0.0, s.t - self._floor_t))
            self._floor_t = s.t
            out.append(Sample(s.t, base + s.force - self._floor, s.roll_x, s.roll_y, s.raw))
        return out

    def feed(self, samples: list[Sample]) -> int:
        if samples:
            self._t = samples[-1].t
        stand_in = bool(getattr(self._hub, "keyboard_only", False))
        if stand_in != self._stand_in:
            # Another source now (a ball found after the keyboard stood in, or away):
            # take its rest afresh. A ball resting at 99 counts is not a squeeze because
            # the keyboard rested at 0.
            self._floor = None
            self._armed = False
            self._last_t = None
            self._rise_t = None
            self._stand_in = stand_in
        presses = super().feed(self._from_rest(samples))
        rising = self._armed and self.level_pct >= self.release_pct
        if not rising:
            self._rise_t = None
        elif self._rise_t is None:
            self._rise_t = self._t
        if stand_in:
            return 0
        return presses

    @property
    def building(self) -> bool:
        """A squeeze has started (and could still become a press): scanning waits for it."""
        return (self._rise_t is not None and self._t - self._rise_t < HOLD_PAUSE_MAX_S
                and not getattr(self._hub, "keyboard_only", False))


class Scanner:
    """Where the scanning highlight is among ``n`` choices, stepping with time.

    Used by :class:`ButtonGroup`, and by screens with their own grid (patient tiles,
    program list) that keep their own focus index.
    """

    def __init__(self) -> None:
        self.t = 0.0  # time on the current choice
        self.stopped = False  # an arrow key took over
        self.every: float | None = None  # the last step time used (None: not scanning)

    @property
    def active(self) -> bool:
        return self.every is not None and not self.stopped

    def restart(self) -> None:
        """The lit choice stays lit a full step again (after a choice that stays on screen)."""
        self.t = 0.0

    def stop(self) -> None:
        self.stopped = True

    def dwell(self, first: bool) -> float:
        assert self.every is not None
        return self.every * (FIRST_DWELL if first else 1.0)

    def tick(self, dt: float, every: float | None, *, first: bool, holding: bool = False) -> bool:
        """Advance by ``dt``; True when the highlight should move to the next choice."""
        self.every = every
        if not self.active or holding:
            return False
        self.t += dt
        if self.t >= self.dwell(first):
            self.t = 0.0
            return True
        return False

    def fraction(self, first: bool) -> float:
        """How far through its time on this choice the highlight is, 0..1 (for drawing)."""
        if not self.active:
            return 0.0
        return min(1.0, self.t / self.dwell(first))


@dataclass
class Button:
    id: str
    label: str
    rect: LRect
    icon: IconFn | None = None
    enabled: bool = True
    note: str = ""
    size: float | None = None  # label size, if not the group's
    scan: bool = True  # False: the scanning highlight passes over it (a staff action needing a key)
    value: str = ""  # a setting's current value, shown big under its name


class ButtonGroup:
    """A row or grid of buttons with one focused. Arrows move focus, confirm or a
    squeeze chooses the focused one, a click chooses the one under the pointer.
    Call :meth:`scan` from the scene's update so the highlight steps by itself
    when the patient's settings say so."""

    def __init__(self, buttons: list[Button], columns: int | None = None, focus: int = 0) -> None:
        self.buttons = buttons
        self.columns = columns or len(buttons)
        self.focus = focus
        self.scanner = Scanner()

    @property
    def focused(self) -> Button:
        return self.buttons[self.focus]

    @property
    def scanning(self) -> bool:
        return self.scanner.active

    def move(self, d: int) -> None:
        n = len(self.buttons)
        for _step in range(n):
            self.focus = (self.focus + d) % n
            if self.buttons[self.focus].enabled:
                return

    def _scannable(self) -> list[int]:
        return [i for i, b in enumerate(self.buttons) if b.enabled and b.scan]

    def scan(self, dt: float, ctx: Any, switch: ChoiceSwitch | SqueezeSwitch | None = None, *,
             always: bool = False) -> None:
        """One update of switch scanning with the patient's pace (no-op when scanning is off,
        unless ``always``)."""
        from game.settings import AccessSettings, scan_every

        order = self._scannable()
        if not order:
            return
        every = scan_every(ctx)
        if every is None and always:
            every = (getattr(ctx, "access", None) or AccessSettings()).scan_s
        if self.focus not in order and every is not None and not self.scanner.stopped:
            self.focus = order[0]
            self.scanner.restart()
        first = self.focus == order[0]
        holding = bool(getattr(switch, "building", False))
        if self.scanner.tick(dt, every, first=first, holding=holding):
            self.focus = order[(order.index(self.focus) + 1) % len(order)] if self.focus in order else order[0]
            speech = getattr(ctx, "speech", None)
            if speech is not None:
                speech.say(self.focused.label)

    def handle(self, action: Action) -> str | None:
        k = action.kind
        if k in ARROWS:
            self.scanner.stop()
        if k is Act.LEFT:
            self.move(-1)
        elif k is Act.RIGHT:
            self.move(1)
        elif k is Act.UP and self.columns < len(self.buttons):
            self.move(-self.columns)
        elif k is Act.DOWN and self.columns < len(self.buttons):
            self.move(self.columns)
        elif k is Act.CONFIRM:
            return self.choose_focused()
        elif k is Act.CLICK and action.pos is not None:
            for i, b in enumerate(self.buttons):
                if b.enabled and b.rect.contains(action.pos):
                    self.focus = i
                    self.scanner.restart()
                    return b.id
        return None

    def choose_focused(self) -> str | None:
        if not self.focused.enabled:
            return None
        self.scanner.restart()  # if the screen stays, the choice stays lit a full step
        return self.focused.id

    def draw(self, c: Canvas, *, size: float = 34) -> None:
        order = self._scannable()
        for i, b in enumerate(self.buttons):
            focused = i == self.focus
            bg = Theme.PANEL_HI if focused else Theme.PANEL
            c.rect(bg, b.rect, radius=18)
            if focused:
                c.rect(Theme.FOCUS, b.rect.inflate(6), radius=22, width=6)
            color = Theme.TEXT if b.enabled else Theme.TEXT_DIM
            cx, cy = b.rect.center
            label_size = fit_size(c, b.label, b.size or size, b.rect.w - 24, bold=True)
            if b.value:
                if b.icon is not None:
                    b.icon(c, (cx, b.rect.y + b.rect.h * 0.26), min(b.rect.h * 0.3, 56))
                c.text(b.label, (cx, b.rect.y + b.rect.h * 0.55), size=fit_size(c, b.label, 26, b.rect.w - 20),
                       color=Theme.TEXT_DIM)
                c.text(b.value, (cx, b.rect.y + b.rect.h * 0.79), size=fit_size(c, b.value, label_size, b.rect.w - 20,
                                                                                bold=True), bold=True, color=color)
            elif b.icon is not None and b.rect.h < 120:
                # A low button: the icon sits in front of the label.
                icon_size = b.rect.h * 0.5
                b.icon(c, (b.rect.x + b.rect.h * 0.45, cy), icon_size)
                left = b.rect.h * 0.8
                label_size = fit_size(c, b.label, b.size or size, b.rect.w - left - 14, bold=True)
                c.text(b.label, (b.rect.x + left + (b.rect.w - left - 8) / 2, cy), size=label_size, bold=True,
                       color=color)
            elif b.icon is not None:
                icon_size = min(b.rect.h * 0.42, 64)
                b.icon(c, (cx, b.rect.y + b.rect.h * 0.36), icon_size)
                c.text(b.label, (cx, b.rect.y + b.rect.h * 0.74), size=label_size, bold=True, color=color)
            else:
                c.text(b.label, (cx, cy - (10 if b.note else 0)), size=label_size, bold=True, color=color)
            if b.note:
                c.text(b.note, (cx, b.rect.y + b.rect.h - 18), size=fit_size(c, b.note, 20, b.rect.w - 20),
                       color=Theme.TEXT_DIM)
            if focused and self.scanning:
                # A bar along the bottom edge fills until the frame moves on: when to squeeze, without words.
                frac = self.scanner.fraction(first=bool(order) and i == order[0])
                r = b.rect
                c.rect(Theme.FOCUS, LRect(r.x + 14, r.y + r.h - 9, (r.w - 28) * frac, 5), radius=2)


def fit_size(c: Canvas, text: str, size: float, max_w: float, *, bold: bool = False) -> float:
    """The largest size up to ``size`` at which ``text`` fits in ``max_w`` (at the patient's text scale)."""
    w = c.text_width(text, size, bold)
    if w <= max_w or w <= 0:
        return size
    return max(12.0, size * max_w / w * 0.98)


# ---------------------------------------------------------------- hints
def draw_squeeze_icon(c: Canvas, center: tuple[float, float], size: float, color: tuple[int, int, int] = Theme.NEAR
                      ) -> None:
    """A ball with two arrows pressing in from the sides: 'squeeze'."""
    x, y = center
    s = size
    c.circle(color, (x, y), s * 0.26)
    for side in (-1, 1):
        tip = x + side * s * 0.3
        c.polygon(Theme.TEXT, [(tip, y), (tip + side * s * 0.22, y - s * 0.2), (tip + side * s * 0.22, y + s * 0.2)])


def draw_frame_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    """A yellow frame round a choice: 'the moving frame'."""
    x, y = center
    c.rect(Theme.PANEL_HI, (x - size * 0.42, y - size * 0.3, size * 0.84, size * 0.6), radius=size * 0.08)
    c.rect(Theme.FOCUS, (x - size * 0.5, y - size * 0.38, size, size * 0.76), radius=size * 0.12,
           width=max(2.0, size * 0.09))


def choose_hint(scanning: bool) -> str:
    """The one line that tells a person how to choose, in plain words."""
    if scanning:
        return _("Squeeze when the yellow frame is on your choice")
    return _("Squeeze, press Space, or click to choose")


def draw_hint(c: Canvas, text: str, center: tuple[float, float], *, size: float = 28,
              icon: IconFn | None = None, color: tuple[int, int, int] = Theme.TEXT) -> None:
    """One instruction line with its icon in front (every instruction has a picture)."""
    icon = icon or draw_squeeze_icon
    size = fit_size(c, text, size, 1100)
    w = c.text_width(text, size)
    icon_w = size * 1.9
    x0 = center[0] - (w + icon_w) / 2
    icon(c, (x0 + icon_w * 0.4, center[1]), size * 1.3)
    c.text(text, (x0 + icon_w, center[1]), size=size, color=color, anchor="midleft")


def draw_choose_hint(c: Canvas, scanning: bool, center: tuple[float, float] = (640, 686), size: float = 26) -> None:
    draw_hint(c, choose_hint(scanning), center, size=size, icon=draw_frame_icon if scanning else draw_squeeze_icon)
