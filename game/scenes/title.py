"""The first screen: one big button, one squeeze to begin."""

from __future__ import annotations

from game.i18n import _
from game.input import Act, Action
from game.scene import Push, Quit, Scene, Transition
from game.ui import Canvas, LRect, Theme, draw_gear, draw_hand
from game.widgets import Button, ButtonGroup, ChoiceSwitch, draw_choose_hint, fit_size
from hardware.sample import Sample
from game.scenes.patients import who_and_program_buttons


class TitleScene(Scene):
    def enter(self) -> None:
        # Start runs the patient's program as a session; free play is the menu of single games.
        self.buttons = ButtonGroup([Button("start", _("Start"), LRect(440, 430, 400, 110)),
                                    Button("free", _("Free play"), LRect(870, 440, 240, 90))])
        self.buttons.buttons += who_and_program_buttons(self.ctx)
        # Settings: scan pace, text size, volumes, voice, hand (usable with the ball alone).
        self.buttons.buttons.append(Button("settings", _("Settings"), LRect(170, 440, 240, 90), size=32,
                                           icon=draw_gear))
        # The journey map (stages opened, the day's goal, streak, bests): last in the scan, so
        # the frame reaches the other choices when it always did.
        self.buttons.buttons.append(Button("journey", _("My journey"), LRect(870, 300, 240, 84), size=32))
        self.buttons.columns = len(self.buttons.buttons)
        self.switch = ChoiceSwitch(self.ctx)
        self.t = 0.0

    def resume(self) -> None:
        # Back from the patient or program picker: show who and what now.
        keep = [b for b in self.buttons.buttons if b.id not in ("who", "program", "settings", "journey")]
        last = [b for b in self.buttons.buttons if b.id in ("settings", "journey")]
        self.buttons.buttons = keep + who_and_program_buttons(self.ctx) + last
        # ...in their language (a new patient, or Settings, may have changed it).
        labels = {"start": _("Start"), "free": _("Free play"), "settings": _("Settings"), "journey": _("My journey")}
        for b in self.buttons.buttons:
            b.label = labels.get(b.id, b.label)
        self.buttons.focus = min(self.buttons.focus, len(self.buttons.buttons) - 1)

    def _start(self, chosen: str | None = "start") -> Transition:
        from game.scenes.menu import MenuScene
        from game.scenes.session import SessionScene

        if chosen == "start":
            from game.scenes.calibrate import before_play

            return Push(before_play(self.ctx, SessionScene()))
        if chosen == "free":
            return Push(MenuScene())
        if chosen == "who":
            from game.scenes.patients import PatientPickerScene

            return Push(PatientPickerScene())
        if chosen == "program":
            from game.scenes.levels import LevelPickerScene

            return Push(LevelPickerScene())
        if chosen == "settings":
            from game.scenes.settings import SettingsScene

            return Push(SettingsScene())
        if chosen == "journey":
            from game.scenes.journey import JourneyScene

            return Push(JourneyScene())
        return None

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples):
            return self._start(self.buttons.choose_focused())
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK and not self.ctx.kiosk:
            return Quit()
        chosen = self.buttons.handle(action)
        if chosen:
            return self._start(chosen)
        return None

    def update(self, dt: float) -> Transition:
        self.t += dt
        self.buttons.scan(dt, self.ctx, self.switch)
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Squeeze Quest"), (640, 120), size=84, bold=True, color=Theme.FOCUS)
        c.text(_("Hand exercise games"), (640, 200), size=fit_size(c, _("Hand exercise games"), 36, 1200),
               color=Theme.TEXT)
        closed = min(1.0, max(0.0, self.switch.level_pct / 30.0))
        draw_hand(c, (640, 320), 120, closed)
        self.buttons.draw(c, size=48)
        draw_choose_hint(c, self.buttons.scanning, (640, 596), size=30)
        c.text(self.ctx.hub.message, (640, 660), size=24, color=Theme.TEXT_DIM)
