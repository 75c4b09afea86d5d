"""Choose an exercise: eight big tiles, the ones not built yet are marked."""

from __future__ import annotations

import math

from game.games import GAMES
from game.i18n import _
from game.input import Act, Action
from game.scene import Pop, Push, Scene, Transition
from game.scenes.choosing import SqueezeChooser
from game.therapy.exercises import EXERCISES
from game.ui import Canvas, LRect, Theme
from game.widgets import Button, ButtonGroup, ChoiceSwitch, draw_choose_hint


def _icon_for(channel: str):  # noqa: ANN202
    def force_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
        x, y = center
        c.circle(Theme.NEAR, center, size * 0.45)
        c.arc(Theme.TEXT, (x - size * 0.7, y - size * 0.7, size * 1.4, size * 1.4), -0.6, 0.6, 4)
        c.arc(Theme.TEXT, (x - size * 0.7, y - size * 0.7, size * 1.4, size * 1.4), math.pi - 0.6, math.pi + 0.6, 4)

    def roll_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
        x, y = center
        c.circle(Theme.SKY, center, size * 0.45)
        c.arc(Theme.TEXT, (x - size * 0.75, y - size * 0.75, size * 1.5, size * 1.5), 0.3, 2.6, 4)
        c.polygon(Theme.TEXT, [(x - size * 0.75, y - size * 0.05), (x - size * 0.9, y - size * 0.3),
                               (x - size * 0.55, y - size * 0.3)])

    return force_icon if channel == "force" else roll_icon


class MenuScene(SqueezeChooser, Scene):
    def enter(self) -> None:
        buttons = []
        for i, ex in enumerate(EXERCISES):
            col, row = i % 4, i // 4
            rect = LRect(70 + col * 290, 170 + row * 250, 270, 220)
            ready = ex.id in GAMES
            buttons.append(Button(ex.id, _(ex.name), rect, icon=_icon_for(ex.channel), enabled=ready,
                                  note="" if ready else _("coming soon")))
        # Calibrate: the ball learns this hand's strength (rest, three strong squeezes).
        buttons.append(Button("calibrate", _("Calibrate"), LRect(1030, 40, 220, 80)))
        # My journey: the places opened in each game, the day's goal, streak and bests.
        buttons.append(Button("journey", _("My journey"), LRect(1030, 648, 220, 64), size=26))
        # Back: the way out for a person using only the ball (no Esc key).
        buttons.append(Button("back", _("Back"), LRect(30, 40, 200, 80)))
        self.buttons = ButtonGroup(buttons, columns=4)
        self.switch = ChoiceSwitch(self.ctx)

    def _chose(self, exercise_id: str) -> Transition:
        if exercise_id == "back":
            return Pop()
        if exercise_id == "journey":
            from game.scenes.journey import JourneyScene

            return Push(JourneyScene())
        if exercise_id == "calibrate":
            from game.scenes.roll_calibrate import calibrate_entry

            return Push(calibrate_entry(self.ctx))  # strength, or a choice with rolling reach
        from game.scenes.calibrate import before_play
        from game.scenes.play import PlayScene

        return Push(before_play(self.ctx, PlayScene(exercise_id)))

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        chosen = self.buttons.handle(action)
        return self._chose(chosen) if chosen else None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Choose an exercise"), (640, 80), size=56, bold=True)
        self.buttons.draw(c, size=30)
        draw_choose_hint(c, self.buttons.scanning, (640, 686), size=24)
