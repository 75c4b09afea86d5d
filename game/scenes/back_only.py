"""A screen to look at whose one button is Back (the journey, the progress charts).

Back, Pause, the Back button or a squeeze close it; the squeeze only once the screen has
been shown for :attr:`BackOnlyScene.settle_s`, so the release of the squeeze that opened
it does not close it again.
"""

from __future__ import annotations

from game.i18n import _
from game.input import Act, Action
from game.scene import Pop, Scene, Transition
from game.ui import LRect
from game.widgets import Button, ButtonGroup, ChoiceSwitch
from hardware.sample import Sample

SETTLE_S = 1.5


class BackOnlyScene(Scene):
    settle_s = SETTLE_S

    def setup_back(self) -> None:
        """The Back button, the squeeze switch and the time shown; call from ``enter``."""
        self.buttons = ButtonGroup([Button("back", _("Back"), LRect(1090, 20, 150, 70))])
        self.switch = ChoiceSwitch(self.ctx)
        self.shown_for = 0.0

    def update(self, dt: float) -> Transition:
        self.shown_for += dt
        return None

    def on_samples(self, samples: list[Sample]) -> Transition:
        # The one button is Back: a squeeze chooses it (once the squeeze that opened the screen is over).
        if self.switch.feed(samples) and self.shown_for >= self.settle_s:
            return Pop()
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind in (Act.BACK, Act.PAUSE):
            return Pop()
        return Pop() if self.buttons.handle(action) == "back" else None
