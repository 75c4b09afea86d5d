"""My progress: four big, plain charts drawn in pygame.

Squeezes per day and how many were on target (last two weeks), the strongest
squeeze over time, and the squeezes per exercise. The numbers are read once when
the screen opens; drawing only lays them out.
"""

from __future__ import annotations

import math

from game.i18n import N_, _, ngettext
from game.therapy.exercises import BY_ID
from game.records.records import (
    DayCount,
    ExerciseTotal,
    StrengthPoint,
    local_day,
    per_exercise,
    reps_per_day,
    strength_over_time,
    streak,
)
from game.scenes.back_only import BackOnlyScene
from game.ui import Canvas, LRect, Theme, draw_tick
from game.widgets import fit_size

DAYS = 14
PANELS = (LRect(40, 110, 590, 255), LRect(650, 110, 590, 255), LRect(40, 385, 590, 255), LRect(650, 385, 590, 255))
WEEKDAY = N_("MTWTFSS")  # one letter under each day's bar, Monday first (translated: seven letters)
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))
UNIT_NAMES = (N_("device units"), N_("kg"))  # the calibration's units as stored; translated where drawn


def short_date(d) -> str:  # noqa: ANN001
    """'29 Nov', in the patient's language."""
    return _("{day} {month}").format(day=d.day, month=_(MONTHS[d.month - 1]))


def nice_top(v: float) -> float:
    """A round axis top at or above ``v`` (10, 20, 50, 100...)."""
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= v)


class ProgressScene(BackOnlyScene):
    def enter(self) -> None:
        store, pid = self.ctx.store, self.ctx.patient_id
        today = local_day(store.now())
        self.days: list[DayCount] = reps_per_day(store, pid, today=today, days=DAYS)
        self.strength: list[StrengthPoint] = strength_over_time(store, pid)[-12:]
        self.exercises: list[ExerciseTotal] = per_exercise(store, pid)[:5]
        self.streak = streak(store, pid, today=today)
        self.setup_back()

    # ---------------------------------------------------------------- draw
    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("My progress"), (40, 55), size=fit_size(c, _("My progress"), 52, 330, bold=True), bold=True,
               anchor="midleft")
        total = sum(d.reps for d in self.days)
        line = (ngettext("{n} squeeze in {days} days", "{n} squeezes in {days} days", total).format(n=total, days=DAYS)
                + "  \u00b7  " + ngettext("{n} day in a row", "{n} days in a row", self.streak).format(n=self.streak))
        c.text(line, (380, 58), size=fit_size(c, line, 28, 690), color=Theme.TEXT_DIM, anchor="midleft")
        self.buttons.draw(c, size=30)
        self._reps_chart(c, PANELS[0])
        self._success_chart(c, PANELS[1])
        self._strength_chart(c, PANELS[2])
        self._exercise_chart(c, PANELS[3])
        c.text(_("From the ball: a guide for you and your therapist, not a medical test."), (640, 690), size=22,
               color=Theme.TEXT_DIM)

    def _panel(self, c: Canvas, r: LRect, title: str) -> LRect:
        c.rect(Theme.PANEL, r, radius=18)
        title = _(title)
        c.text(title, (r.x + 20, r.y + 26), size=fit_size(c, title, 28, r.w - 220, bold=True), bold=True,
               anchor="midleft")
        return LRect(r.x + 76, r.y + 58, r.w - 96, r.h - 100)  # the plot area

    def _day_labels(self, c: Canvas, area: LRect, n: int) -> None:
        bw = area.w / n
        for i, d in enumerate(self.days):
            label = _("today") if i == n - 1 else _(WEEKDAY)[d.day.weekday()]
            if i == n - 1 or i % 2 == (n - 1) % 2:
                c.text(label, (area.x + bw * (i + 0.5), area.y + area.h + 20), size=20, color=Theme.TEXT_DIM)

    def _axis(self, c: Canvas, area: LRect, top: float, fmt: str) -> None:
        for frac in (0.0, 0.5, 1.0):
            y = area.y + area.h * (1 - frac)
            c.line(Theme.PANEL_HI, (area.x, y), (area.x + area.w, y), 2)
            c.text(fmt.format(top * frac), (area.x - 8, y), size=20, color=Theme.TEXT_DIM, anchor="midright")

    def _empty(self, c: Canvas, area: LRect, text: str) -> None:
        c.text(_(text), area.center, size=fit_size(c, _(text), 26, area.w), color=Theme.TEXT_DIM)

    def _reps_chart(self, c: Canvas, r: LRect) -> None:
        area = self._panel(c, r, N_("Squeezes each day"))
        n = len(self.days)
        top = nice_top(max((d.reps for d in self.days), default=0) or 10)
        self._axis(c, area, top, "{:.0f}")
        bw = area.w / n
        for i, d in enumerate(self.days):
            if d.reps:
                h = area.h * d.reps / top
                c.rect(Theme.SKY, (area.x + bw * i + 4, area.y + area.h - h, bw - 8, h), radius=4)
        self._day_labels(c, area, n)
        today = self.days[-1].reps
        c.text(_("today {n}").format(n=today), (r.x + r.w - 20, r.y + 26), size=26, color=Theme.FOCUS, anchor="midright")

    def _success_chart(self, c: Canvas, r: LRect) -> None:
        area = self._panel(c, r, N_("On target"))
        n = len(self.days)
        self._axis(c, area, 100, "{:.0f}%")
        bw = area.w / n
        points = []
        for i, d in enumerate(self.days):
            if d.success_rate is None:
                continue
            x = area.x + bw * (i + 0.5)
            y = area.y + area.h * (1 - d.success_rate)
            points.append((x, y))
        if not points:
            self._empty(c, area, N_("No squeezes yet"))
        c.lines(Theme.SUCCESS, points, width=4)
        for p in points:
            # A diamond, not only a colour, marks each day played.
            x, y = p
            c.polygon(Theme.SUCCESS, [(x, y - 9), (x + 9, y), (x, y + 9), (x - 9, y)])
        self._day_labels(c, area, n)
        played = [d for d in self.days if d.reps]
        if played:
            rate = sum(d.successes for d in played) / sum(d.reps for d in played)
            c.text(_("{rate} overall").format(rate=f"{rate:.0%}"), (r.x + r.w - 20, r.y + 26), size=26, color=Theme.FOCUS, anchor="midright")

    def _strength_chart(self, c: Canvas, r: LRect) -> None:
        area = self._panel(c, r, N_("Strongest squeeze"))
        pts = self.strength
        if not pts:
            self._empty(c, area, N_("Calibrate the ball to see this"))
            return
        units = pts[-1].units
        top = nice_top(max(p.mvc for p in pts) * 1.1)
        self._axis(c, area, top, "{:.0f}")
        step = area.w / max(1, len(pts))
        xy = [(area.x + step * (i + 0.5), area.y + area.h * (1 - p.mvc / top)) for i, p in enumerate(pts)]
        c.lines(Theme.NEAR, xy, width=4)
        for (x, y), p in zip(xy, pts):
            c.circle(Theme.NEAR, (x, y), 9)
        for i in sorted({0, len(pts) - 1}):
            c.text(short_date(pts[i].day), (xy[i][0], area.y + area.h + 20), size=20, color=Theme.TEXT_DIM)
        c.text(f"{pts[-1].mvc:.0f} {_(units)}", (r.x + r.w - 20, r.y + 26), size=26, color=Theme.FOCUS,
               anchor="midright")

    def _exercise_chart(self, c: Canvas, r: LRect) -> None:
        c.rect(Theme.PANEL, r, radius=18)
        c.text(_("Each exercise"), (r.x + 20, r.y + 26), size=28, bold=True, anchor="midleft")
        if not self.exercises:
            self._empty(c, LRect(r.x, r.y + 50, r.w, r.h - 50), N_("No squeezes yet"))
            return
        top = max(e.reps for e in self.exercises)
        row_h = min(42, (r.h - 64) / len(self.exercises))
        label_w = 200
        bar_x, bar_w = r.x + 20 + label_w, r.w - label_w - 230
        for i, e in enumerate(self.exercises):
            y = r.y + 60 + i * row_h
            name = _(BY_ID[e.exercise].name) if e.exercise in BY_ID else e.exercise
            c.text(name, (r.x + 20, y + row_h / 2), size=fit_size(c, name, 22, label_w - 6), anchor="midleft")
            w = bar_w * e.reps / top
            c.rect(Theme.SKY, (bar_x, y + 6, max(4, w), row_h - 12), radius=4)
            ok = e.success_rate or 0.0
            c.text(f"{e.reps}", (bar_x + max(4, w) + 8, y + row_h / 2), size=22, anchor="midleft")
            draw_tick(c, (r.x + r.w - 100, y + row_h / 2), 18)
            c.text(f"{ok:.0%}", (r.x + r.w - 80, y + row_h / 2), size=22, anchor="midleft")
