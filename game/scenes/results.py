"""After a set: big friendly numbers."""

from __future__ import annotations

from dataclasses import dataclass

from game.i18n import _, ngettext
from game.input import Act, Action
from game.records.records import TodaySummary, local_day, today_summary
from game.scene import Pop, Push, Replace, Scene, Transition
from game.ui import Canvas, LRect, Theme, draw_tick
from game.widgets import Button, ButtonGroup, ChoiceSwitch, fit_size
from hardware.sample import Sample


@dataclass(frozen=True)
class SetSummary:
    exercise: str
    title: str
    reps: int
    target: int
    successes: int
    best_peak_pct: float | None
    ended: str
    rep_word: str = "squeezes"  # what one rep is called in this game ("rolls", "pinches")
    rolling: bool = False  # a rolling exercise: its best is the widest roll, not the strongest squeeze
    best_roll_pct: float | None = None  # widest roll this set, % of the patient's calibrated range
    session_id: int | None = None  # where the set's reps are recorded (to tell the ones not saved yet)
    set_number: int = 1


class ResultsScene(Scene):
    def __init__(self, summary: SetSummary, *, saving_was_delayed: bool = False) -> None:
        self.summary = summary
        self._was_delayed = saving_was_delayed

    def enter(self) -> None:
        self.buttons = ButtonGroup([
            Button("again", _("Play again"), LRect(140, 560, 300, 110)),
            Button("progress", _("My progress"), LRect(490, 560, 300, 110)),
            Button("menu", _("Menu"), LRect(840, 560, 300, 110)),
        ])
        # The day's totals, read once (the read waits for this set's reps to be saved).
        self.today: TodaySummary = today_summary(self.ctx.store, self.ctx.patient_id,
                                                 today=local_day(self.ctx.store.now()))
        self.switch = ChoiceSwitch(self.ctx)
        self.ctx.audio.play("done")
        self.shown_for = 0.0
        self.unsaved = self._unsaved()
        # Saving was delayed when the set ended (as the set's screen last said it): once it
        # works again, this screen says so in the records.
        self._delayed = self._was_delayed

    def _unsaved(self) -> int:
        """This set's reps that are kept but not in the records yet (saving delayed)."""
        s = self.summary
        if s.session_id is None:
            return 0
        return self.ctx.store.held_reps(s.session_id, exercise=s.exercise, set_number=s.set_number)

    def update(self, dt: float) -> Transition:
        self.shown_for += dt
        if self._delayed and not self.ctx.store.saving_delayed:
            # The set ended while saving was delayed; it works again now: said in the records.
            self._delayed = False
            if self.summary.session_id is not None:
                self.ctx.store.log_event(self.summary.session_id, "saving_resumed",
                                         {"exercise": self.summary.exercise, "set": self.summary.set_number,
                                          "after_set": True})
        if self.unsaved:
            # Saving may work again while the screen is up: then the counts are the records' own.
            now = self._unsaved()
            if now != self.unsaved:
                self.unsaved = now
                self.today = today_summary(self.ctx.store, self.ctx.patient_id, today=local_day(self.ctx.store.now()))
        self.buttons.scan(dt, self.ctx, self.switch)
        return None

    def _choose(self, chosen: str | None) -> Transition:
        if chosen == "again":
            from game.scenes.play import PlayScene

            return Replace(PlayScene(self.summary.exercise))
        if chosen == "progress":
            from game.scenes.progress import ProgressScene

            return Push(ProgressScene())
        if chosen == "menu":
            return Pop()
        return None

    def on_samples(self, samples: list[Sample]) -> Transition:
        # A squeeze only chooses after 2 s, so the last rep's release cannot press a button.
        if self.switch.feed(samples) and self.shown_for >= 2.0:
            return self._choose(self.buttons.choose_focused())
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        return self._choose(self.buttons.handle(action))

    def draw(self, c: Canvas, alpha: float) -> None:
        s = self.summary
        c.clear()
        head = _("Well done!") if s.ended == "completed" else _("Good work today")
        c.text(head, (640, 100 if self.unsaved else 90), size=fit_size(c, head, 70, 1040, bold=True), bold=True,
               color=Theme.FOCUS)
        c.text(_(s.title), (640, 160), size=34, color=Theme.TEXT_DIM)
        t = self.today
        if s.rolling:
            best, best_label, best_when = s.best_roll_pct, _("widest roll"), _("this set")
            unit_note = _("Percent of how far you can roll (from the ball, not a medical measure)")
        else:
            best, best_label, best_when = t.best_peak_pct_today, _("best squeeze"), _("today")
            unit_note = _("Percent of your strongest squeeze (from the ball, not a medical measure)")
        # Never claim a rep the records do not hold: those kept for later are said to be.
        set_note = (_("{n} kept, saving delayed").format(n=self.unsaved) if self.unsaved
                    else _("{n} on target").format(n=s.successes))
        from game.games.base import rep_count_word

        cards = [
            (f"{s.reps}", rep_count_word(s.rep_word, s.reps), set_note),
            (f"{t.reps_today}", _("today"), _("{n} on target").format(n=t.successes_today)),
            (f"{best:.0f}%" if best is not None else "-", best_label, best_when),
            (f"{t.streak_days}", ngettext("day in a row", "days in a row", t.streak_days),
             _("One day off in 7 keeps it")),  # the forgiving streak, said plainly
        ]
        for i, (big, small, note) in enumerate(cards):
            r = LRect(75 + i * 290, 210, 260, 270)
            c.rect(Theme.PANEL, r, radius=24)
            c.text(big, (r.center[0], r.y + 100), size=96, bold=True)
            c.text(small, (r.center[0], r.y + 190), size=fit_size(c, small, 30, r.w - 16))
            if note:
                c.text(note, (r.center[0], r.y + 232), size=fit_size(c, note, 26, r.w - 16), color=Theme.TEXT_DIM)
        draw_tick(c, (1180, 90), 60)
        c.text(unit_note, (640, 515), size=fit_size(c, unit_note, 22, 1180), color=Theme.TEXT_DIM)
        if self.unsaved:
            from game.scenes.play import draw_saving_delayed

            draw_saving_delayed(c, LRect(275, 4, 730, 50))
        self.buttons.draw(c, size=40)
