"""Before the first set of an exercise: a short drawn demonstration of the hand movement.

The game draws its own movement (``MiniGame.draw_demo``), mirrored for the left
hand. It loops a few times and then the set begins by itself; one squeeze, one
press or one click starts straight away. A squeeze still held from choosing the
exercise does not count: the hand has to let go first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from game.i18n import _
from game.input import Act, Action
from game.scene import Pop, Scene, Transition
from game.therapy.switch import SqueezeSwitch
from game.ui import Canvas, LRect, Theme
from game.widgets import fit_size
from hardware.sample import Sample

if TYPE_CHECKING:
    from game.games.base import MiniGame

SKIP_ACTIONS = (Act.CONFIRM, Act.CLICK, Act.BACK, Act.PAUSE)


class DemoScene(Scene):
    def __init__(self, game: MiniGame, hand: str | None = None) -> None:
        self.game = game
        self.hand = hand or game.setup.hand
        self.t = 0.0

    @property
    def mirror(self) -> bool:
        return self.hand == "left"

    @property
    def duration(self) -> float:
        return self.game.demo_cycle_s * self.game.demo_cycles

    def enter(self) -> None:
        self.switch = SqueezeSwitch(self.ctx.calibration)
        self.ctx.audio.play("turn")

    def on_samples(self, samples: list[Sample]) -> Transition:
        return Pop() if self.switch.feed(samples) else None

    def handle(self, action: Action) -> Transition:
        return Pop() if action.kind in SKIP_ACTIONS else None

    def update(self, dt: float) -> Transition:
        self.t += dt
        return Pop() if self.t >= self.duration else None

    def draw(self, c: Canvas, alpha: float) -> None:
        g = self.game
        c.clear()
        c.text(_(g.title), (640, 58), size=fit_size(c, _(g.title), 56, 760, bold=True), bold=True, color=Theme.FOCUS)
        hand = _("Left hand") if self.mirror else _("Right hand")
        c.rect(Theme.PANEL, LRect(40, 30, 220, 60), radius=14)
        c.text(hand, (150, 60), size=fit_size(c, hand, 30, 200, bold=True), bold=True)
        c.text(_("Watch"), (1150, 60), size=fit_size(c, _("Watch"), 30, 200), color=Theme.TEXT_DIM)
        g.draw_demo(c, self.t, self.mirror)
        c.rect(Theme.PANEL, LRect(80, 590, 1120, 56), radius=16)
        c.text(_(g.demo_caption), (640, 618), size=fit_size(c, _(g.demo_caption), 30, 1100))
        # how long until the set starts by itself
        frac = min(1.0, self.t / max(1e-6, self.duration))
        c.rect(Theme.PANEL, LRect(340, 666, 600, 12), radius=6)
        c.rect(Theme.SKY, LRect(340, 666, 600 * frac, 12), radius=6)
        c.text(_("Squeeze or press Space to start"), (640, 700), size=26, color=Theme.TEXT_DIM)
