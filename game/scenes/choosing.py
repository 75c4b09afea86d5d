"""What every choosing screen does with the ball: a squeeze chooses the framed button, and
between squeezes the frame walks on by itself (scanning), so one squeeze is all a patient needs."""

from __future__ import annotations

from game.scene import Transition
from game.widgets import ButtonGroup, ChoiceSwitch
from hardware.sample import Sample


class SqueezeChooser:
    """Mixed into a Scene that sets ``self.buttons`` and ``self.switch`` and says in ``_chose``
    what choosing a button (by its id) does."""

    buttons: ButtonGroup
    switch: ChoiceSwitch

    def _chose(self, button_id: str) -> Transition:
        raise NotImplementedError

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples) and (chosen := self.buttons.choose_focused()):
            return self._chose(chosen)
        return None

    def update(self, dt: float) -> Transition:
        self.buttons.scan(dt, self.ctx, self.switch)  # type: ignore[attr-defined]
        return None
