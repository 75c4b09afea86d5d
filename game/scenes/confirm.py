"""One more choice before a change to how the game treats the patient: "Change hand to left?" Yes / No.

The trained hand, the game speed, the moving frame and its speed, the voice and the
program change only by a deliberate act: a first choice proposes the change, this
screen asks, and only Yes makes it. Usable with the ball alone (the yellow frame
walks Yes and No; a squeeze chooses, but only a fresh one, begun after the question
was up a moment, so the squeeze that opened it never answers it), one key (Space or
Enter chooses, arrows move, Esc is No) or the mouse (a click on Yes or No).
"""

from __future__ import annotations

from collections.abc import Callable

from game.i18n import _
from game.input import Act, Action
from game.scene import Pop, Scene, Transition
from game.ui import Canvas, LRect, Theme, draw_cross, draw_tick
from game.widgets import Button, ButtonGroup, ChoiceSwitch, IconFn, draw_choose_hint, fit_size
from hardware.sample import Sample

SETTLE_S = 1.0  # a squeeze answers only after the question has been up this long
# After a squeezed answer the screen closes once the hand has let go (force at rest this long), or
# after LET_GO_MAX_S: the screen below must not take the end of the same squeeze as a new one.
QUIET_S, LET_GO_MAX_S = 0.3, 3.0


class ConfirmScene(Scene):
    """Ask ``question``; ``on_yes()`` runs only on Yes. Either answer closes the screen.

    ``before`` and ``after`` (optional) are shown as "now: ..." and "after: ..." so the
    person sees what changes; ``icon`` draws the setting's picture beside the question.
    """

    def __init__(self, question: str, on_yes: Callable[[], None], *, before: str = "", after: str = "",
                 icon: IconFn | None = None, yes: str | None = None, no: str | None = None,
                 on_no: Callable[[], None] | None = None) -> None:
        self.question = question
        self.on_yes = on_yes
        self.on_no = on_no
        self.before, self.after = before, after
        self.icon = icon
        self.yes_label, self.no_label = yes or _("Yes"), no or _("No")
        self.shown_for = 0.0
        self.answer: str | None = None
        self._answered_at: float | None = None
        self._quiet_since: float | None = None

    def enter(self) -> None:
        self.switch = ChoiceSwitch(self.ctx)  # new: it must see the hand let go before a squeeze counts
        self.buttons = ButtonGroup([Button("yes", self.yes_label, LRect(250, 440, 360, 130), icon=draw_tick),
                                    Button("no", self.no_label, LRect(670, 440, 360, 130), icon=draw_cross)])
        self.ctx.speech.say(self.question)

    @property
    def _ball_input(self) -> bool:
        return self.ctx.hub.source is not self.ctx.hub.keyboard

    def _answer(self, chosen: str | None, *, squeezed: bool = False) -> Transition:
        if chosen not in ("yes", "no") or self.answer is not None:
            return None
        self.answer = chosen
        if chosen == "yes":
            self.on_yes()
        elif self.on_no is not None:
            self.on_no()
        if squeezed:
            self._answered_at = self.shown_for  # closes once the hand has let go
            return None
        return Pop()

    def on_samples(self, samples: list[Sample]) -> Transition:
        pressed = self.switch.feed(samples)
        if self._answered_at is not None:
            if self.switch.level_pct >= self.switch.release_pct:
                self._quiet_since = None
            elif self._quiet_since is None:
                self._quiet_since = self.shown_for
            let_go = self._quiet_since is not None and self.shown_for - self._quiet_since >= QUIET_S
            return Pop() if let_go or self.shown_for - self._answered_at >= LET_GO_MAX_S else None
        if pressed and self.shown_for >= SETTLE_S:
            return self._answer(self.buttons.choose_focused(), squeezed=True)
        return None

    def handle(self, action: Action) -> Transition:
        if self.answer is not None:
            return None
        if action.kind in (Act.BACK, Act.PAUSE):
            return self._answer("no")
        return self._answer(self.buttons.handle(action))

    def update(self, dt: float) -> Transition:
        self.shown_for += dt
        if self.answer is not None:
            return None  # the frame stays on the answer while the hand lets go
        # With a ball the frame always walks, so No is always in reach of a person who can only squeeze.
        self.buttons.scan(dt, self.ctx, self.switch, always=self._ball_input)
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        if self.icon is not None:
            self.icon(c, (640, 120), 110)
        c.text(self.question, (640, 225), size=fit_size(c, self.question, 60, 1180, bold=True), bold=True)
        if self.before or self.after:
            now = _("Now: {value}").format(value=self.before)
            c.text(now, (600, 330), size=fit_size(c, now, 36, 560), color=Theme.TEXT_DIM, anchor="midright")
            # An arrow drawn as a shape (the font has no arrow glyphs).
            c.line(Theme.TEXT_DIM, (616, 330), (656, 330), 5)
            c.polygon(Theme.TEXT_DIM, [(664, 330), (650, 318), (650, 342)])
            after = _("After: {value}").format(value=self.after)
            c.text(after, (680, 330), size=fit_size(c, after, 36, 560, bold=True), bold=True, anchor="midleft")
        self.buttons.draw(c, size=48)
        draw_choose_hint(c, self.buttons.scanning, (640, 640), size=30)
