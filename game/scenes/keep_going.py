"""'Keep going?': asked by a set that has seen no effort for a while, answered with the ball.

During a set a squeeze is the exercise, so a person who can only squeeze cannot
reach the Pause or Stop buttons. After the patient's ``ask_after_s`` seconds with
no effort (no rep under way and the force at rest), the play scene pauses the set
and asks this: the stop question's three choices (Keep going, Stop for today, It
hurts), the moving frame starting on Keep going, a squeeze choosing the lit one.
While the question is up the set is paused (the game gets no samples and no
time), so the squeeze that answers is never a rep. "Keep going" closes the
question only once the hand has let go (or the key is up): play goes on from
rest, and a hand that cannot let go is met by the detector, which after the gap
in samples waits for a release before counting again.
"""

from __future__ import annotations

from collections.abc import Callable

from game.i18n import _
from game.input import Act, Action
from game.scene import Pop, Transition
from game.scenes.stop import StopScene
from game.ui import Canvas, LRect, Theme
from game.widgets import ChoiceSwitch, draw_choose_hint, fit_size
from hardware.sample import Sample

SETTLE_S = 1.0  # a squeeze counts as an answer only after the question has been up this long
LET_GO_MAX_S = 3.0  # "Keep going" closes after this long even if the hand stays closed
# "Let go" is the force at rest this long, and not before this long after the answer (a key's
# imitated squeeze only starts to rise as the key goes down).
QUIET_S, LET_GO_MIN_S = 0.3, 0.5
ANSWERS = {"resume": "resume", "stop": "stopped", "pain": "pain"}


class StillnessWatch:
    """How long a set has gone without effort, in game time; says when to ask.

    ``ask_after_s`` 0 never asks. Only the play scene's own updates feed it, so
    time under a demonstration, a pause or this question never counts.
    """

    def __init__(self, ask_after_s: float) -> None:
        self.ask_after_s = ask_after_s
        self.still_s = 0.0

    def reset(self) -> None:
        self.still_s = 0.0

    def step(self, dt: float, effort: bool) -> bool:
        """One game step; True when the set should stop and ask."""
        if self.ask_after_s <= 0:
            return False
        self.still_s = 0.0 if effort else self.still_s + dt
        return self.still_s >= self.ask_after_s


class KeepGoingScene(StopScene):
    """Overlay over a paused set. ``on_stop("stopped")`` or ``on_stop("pain")`` ends the set
    as the Stop button's question does; "Keep going" (or Esc/P) just closes it."""

    def __init__(self, on_stop: Callable[[str], None], session_id: int | None = None) -> None:
        super().__init__(on_stop)
        self.session_id = session_id
        self.shown_for = 0.0
        self.resuming_at: float | None = None  # "Keep going" chosen: closes once the hand lets go
        self._quiet_since: float | None = None

    def enter(self) -> None:
        super().enter()
        self.buttons.focus = 0  # Keep going is lit first: a squeeze straight away carries on
        self.switch = ChoiceSwitch(self.ctx)
        self.ctx.speech.say(_("Keep going?"))

    @property
    def _ball_input(self) -> bool:
        return self.ctx.hub.source is not self.ctx.hub.keyboard

    def _answer(self, chosen: str | None) -> Transition:
        if chosen not in ANSWERS:
            return None
        self.ctx.store.log_event(self.session_id, "keep_going_answer", {"choice": ANSWERS[chosen]})
        if chosen == "resume":
            self.resuming_at = self.shown_for
            return None
        self.on_stop(ANSWERS[chosen])
        return Pop()

    def on_samples(self, samples: list[Sample]) -> Transition:
        pressed = self.switch.feed(samples)  # keyboard samples too: their level says when the key is let go
        if self.resuming_at is not None:
            if self.switch.level_pct >= self.switch.release_pct:
                self._quiet_since = None
            elif self._quiet_since is None:
                self._quiet_since = self.shown_for
            waited = self.shown_for - self.resuming_at
            let_go = self._quiet_since is not None and self.shown_for - self._quiet_since >= QUIET_S
            return Pop() if (let_go and waited >= LET_GO_MIN_S) or waited >= LET_GO_MAX_S else None
        if pressed and self.shown_for >= SETTLE_S:
            return self._answer(self.buttons.choose_focused())
        return None

    def update(self, dt: float) -> Transition:
        self.shown_for += dt
        if self.resuming_at is not None:
            return None  # the frame stays on the answer
        # With a ball the frame always walks (even if set off), so "It hurts" is always in reach.
        self.buttons.scan(dt, self.ctx, self.switch, always=self._ball_input)
        return None

    def handle(self, action: Action) -> Transition:
        if self.resuming_at is not None:
            return None  # answered: waiting for the hand to let go
        if action.kind in (Act.BACK, Act.PAUSE):
            return self._answer("resume")
        return self._answer(self.buttons.handle(action))

    def draw(self, c: Canvas, alpha: float) -> None:
        box = LRect(140, 120, 1000, 522)  # clear of the count and the Pause/Stop buttons above
        c.rect(Theme.BG, box, radius=30)
        c.rect(Theme.FOCUS, box, radius=30, width=4)
        c.text(_("Keep going?"), (640, 182), size=60, bold=True)
        rested = _("You have rested a while. If anything hurts, stop.")
        c.text(rested, (640, 248), size=fit_size(c, rested, 32, 960), color=Theme.TEXT_DIM)
        self.buttons.draw(c, size=34)
        c.text(_("Your squeezes so far are saved."), (640, 557), size=26, color=Theme.TEXT_DIM)
        if self.resuming_at is not None:
            c.text(_("Let go. Then play on."), (640, 603), size=30, bold=True, color=Theme.FOCUS)
        else:
            draw_choose_hint(c, self.buttons.scanning, (640, 603), size=26)
