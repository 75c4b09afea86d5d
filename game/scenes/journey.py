"""My journey: the day's goal, the streak, personal bests, the map of the last 30 days and
the places opened in each game.

Reached from the first screen and from the exercise menu (a squeeze on its button), and
shown for a few seconds after a session. Everything is read once when the screen opens
(``game/journey.py``); drawing only lays it out. Nothing here is a penalty: a missed day is
a plain stone on the path, a day short of the goal is progress towards it.

Opened from the menus (not after a session), each game's row is a button too: the yellow
frame walks from Back through the rows, and a squeeze on a row opens the choice of the
place that game is played at (``game/scenes/stage_choice.py``). A row whose place the
therapist's program pins says so and is passed over.
"""

from __future__ import annotations

import math

from game.games import GAMES
from game.i18n import _, ngettext
from game.input import Act, Action
from game.journey import Journey, load_for
from game.scene import Pop, Push, Transition
from game.scenes.back_only import BackOnlyScene
from game.therapy.exercises import BY_ID, EXERCISES
from game.therapy.stages import STAGE_COUNT
from game.ui import Canvas, LRect, Theme
from game.widgets import Button, ChoiceSwitch, draw_choose_hint, fit_size
from hardware.sample import Sample

BRIEF_S = 8.0  # after a session the screen goes by itself after this long
SETTLE_S = 1.5  # a squeeze closes it only after this long (not the release of the one that opened it)
GOAL = LRect(40, 100, 400, 150)
STREAK = LRect(460, 100, 400, 150)
BESTS = LRect(880, 100, 360, 150)
MAP = LRect(40, 266, 1200, 120)
GAMES_AREA = LRect(40, 400, 1200, 300)


def game_row(k: int) -> LRect:
    """The box of the ``k``-th game's row: two columns of four."""
    area = GAMES_AREA
    cols, rows = 2, 4
    w, h = (area.w - 20) / cols, (area.h - 6 * (rows - 1)) / rows
    return LRect(area.x + (k % cols) * (w + 20), area.y + (k // cols) * (h + 6), w, h)


def draw_star(c: Canvas, center: tuple[float, float], r: float, color: tuple[int, int, int]) -> None:
    x, y = center
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.45
        pts.append((x + rr * math.cos(a), y + rr * math.sin(a)))
    c.polygon(color, pts)


class JourneyScene(BackOnlyScene):
    """``brief``: shown after a session; it closes by itself after :data:`BRIEF_S`."""

    settle_s = SETTLE_S

    def __init__(self, *, brief: bool = False) -> None:
        self.brief = brief

    def enter(self) -> None:
        self.journey: Journey
        self._read()
        self.setup_back()
        if not self.brief:  # each game's row chooses its place (not in the few seconds after a session)
            self.buttons.buttons += [
                Button(f"stage:{g.exercise}", _(BY_ID[g.exercise].name) if g.exercise in BY_ID else g.exercise,
                       game_row(k), enabled=not g.pinned) for k, g in enumerate(self.journey.games)]

    def resume(self) -> None:
        # Back from choosing a place: read the choice, and wait for the squeeze that chose to end.
        self._read()
        self.switch = ChoiceSwitch(self.ctx)
        self.buttons.scanner.restart()

    def update(self, dt: float) -> Transition:
        super().update(dt)
        if self.brief and self.shown_for >= BRIEF_S:
            return Pop()
        if not self.brief:
            self.buttons.scan(dt, self.ctx, self.switch)
        return None

    def _chose(self, chosen: str | None) -> Transition:
        if chosen == "back":
            return Pop()
        if chosen and chosen.startswith("stage:"):
            from game.scenes.game_choice import game_for
            from game.scenes.stage_choice import StageChoiceScene

            row = next(g for g in self.journey.games if g.exercise == chosen.removeprefix("stage:"))
            return Push(StageChoiceScene(row, game_for(self.ctx, row.exercise)))  # the game played now
        return None

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.brief:
            return super().on_samples(samples)
        if self.switch.feed(samples) and self.shown_for >= self.settle_s:
            return self._chose(self.buttons.choose_focused())
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind in (Act.BACK, Act.PAUSE):
            return Pop()
        return self._chose(self.buttons.handle(action))

    # ---------------------------------------------------------------- draw
    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("My journey"), (40, 55), size=52, bold=True, anchor="midleft")
        self._back(c)
        j = self.journey
        self._goal(c, j)
        self._streak(c, j)
        self._bests(c, j)
        self._map(c, j)
        self._games(c, j)
        new = [g for g in j.games if g.opened_today]
        if new:
            game = self._game(new[0].exercise)
            place = _(game.look_for(new[0].stage).name) if game is not None else ""  # type: ignore[attr-defined]
            if place:
                line = _("New place opened today: {place}").format(place=place)
                size = fit_size(c, line, 26, 660, bold=True)
                box = LRect(340, 28, c.text_width(line, size, True) + 80, 56)  # between the title and Back
                c.rect(Theme.PANEL, box, radius=16)
                draw_star(c, (box.x + 32, box.y + 28), 16, Theme.FOCUS)
                c.text(line, (box.x + 56, box.y + 28), size=size, bold=True, color=Theme.FOCUS, anchor="midleft")
        if self.brief:
            c.text(_("Squeeze or press Space to go on"), (640, 708), size=20, color=Theme.TEXT_DIM)
        else:  # how to open a game's row (or go back)
            draw_choose_hint(c, self.buttons.scanning, (640, 709), size=19)

    def _back(self, c: Canvas) -> None:
        b = self.buttons.buttons[0]
        focused = self.buttons.focus == 0
        c.rect(Theme.PANEL_HI if focused else Theme.PANEL, b.rect, radius=18)
        if focused:
            c.rect(Theme.FOCUS, b.rect.inflate(6), radius=22, width=6)
        c.text(b.label, b.rect.center, size=fit_size(c, b.label, 30, b.rect.w - 24, bold=True), bold=True)
        self._scan_bar(c, 0)

    def _scan_bar(self, c: Canvas, i: int) -> None:
        """The bar along the framed button's bottom edge that fills until the frame moves on."""
        if i != self.buttons.focus or not self.buttons.scanning:
            return
        order = self.buttons._scannable()
        r = self.buttons.buttons[i].rect
        frac = self.buttons.scanner.fraction(first=bool(order) and i == order[0])
        c.rect(Theme.FOCUS, LRect(r.x + 14, r.y + r.h - 7, (r.w - 28) * frac, 4), radius=2)

    def _panel(self, c: Canvas, r: LRect, title: str) -> None:
        c.rect(Theme.PANEL, r, radius=18)
        c.text(title, (r.x + 20, r.y + 26), size=26, bold=True, anchor="midleft")

    def _goal(self, c: Canvas, j: Journey) -> None:
        r = GOAL
        self._panel(c, r, _("Today"))
        g = j.goal
        if g.reached:
            line = _("{done} today (goal {goal})").format(done=g.done, goal=g.goal)
        elif g.goal > 0:
            line = _("{done} of {goal} for today").format(done=g.done, goal=g.goal)
        else:
            line = ngettext("{n} rep today", "{n} reps today", g.done).format(n=g.done)
        c.text(line, (r.x + 20, r.y + 70), size=fit_size(c, line, 32, r.w - 40, bold=True), bold=True, anchor="midleft")
        bar = LRect(r.x + 20, r.y + 100, r.w - 40, 26)
        c.rect(Theme.PANEL_HI, bar, radius=12)
        if g.fraction > 0:
            c.rect(Theme.SUCCESS, LRect(bar.x, bar.y, max(24.0, bar.w * g.fraction), bar.h), radius=12)
        if g.reached:
            note = _("Goal reached. Well done!")
            c.text(note, (r.x + r.w - 20, r.y + 26), size=fit_size(c, note, 22, 220), color=Theme.FOCUS,
                   anchor="midright")

    def _streak(self, c: Canvas, j: Journey) -> None:
        r = STREAK
        self._panel(c, r, _("Days of practice"))
        s = j.streak
        big = ngettext("{n} day in a row", "{n} days in a row", s.days).format(n=s.days)
        c.text(big, (r.x + 20, r.y + 68), size=fit_size(c, big, 34, r.w - 40, bold=True), bold=True, anchor="midleft")
        rule = _("One missed day in any 7 keeps your streak.")
        c.text(rule, (r.x + 20, r.y + 104), size=fit_size(c, rule, 22, r.w - 40), anchor="midleft")
        if s.rest_day_in_use:
            note = _("Your rest day this week is used.")
            c.text(note, (r.x + 20, r.y + 132), size=fit_size(c, note, 22, r.w - 40), color=Theme.TEXT_DIM,
                   anchor="midleft")

    def _bests(self, c: Canvas, j: Journey) -> None:
        r = BESTS
        self._panel(c, r, _("My bests"))
        b = j.bests
        rows = [_("Most in a day: {n}").format(n=b.most_reps_day)]
        if b.longest_hold_s is not None:
            rows.append(_("Longest hold: {s:.1f} s").format(s=b.longest_hold_s))
        if b.strongest_month_pct is not None:
            if b.strongest_month_kg is not None:
                rows.append(_("Strongest this month: {kg:.1f} kg").format(kg=b.strongest_month_kg))
            else:
                rows.append(_("Strongest this month: {p:.0f} percent of your best").format(p=b.strongest_month_pct))
        for i, row in enumerate(rows):
            c.text(row, (r.x + 20, r.y + 62 + 30 * i), size=fit_size(c, row, 24, r.w - 40), anchor="midleft")

    def _map(self, c: Canvas, j: Journey) -> None:
        """A path of stepping stones, one per day: filled for a day practised, a star for a day
        the goal was reached, a plain small stone for a day off (never a mark against it)."""
        r = MAP
        c.rect(Theme.PANEL, r, radius=18)
        c.text(_("The last 30 days"), (r.x + 20, r.y + 22), size=22, bold=True, anchor="midleft")
        n = len(j.days)
        pts = []
        for i in range(n):
            x = r.x + 40 + (r.w - 80) * i / max(1, n - 1)
            y = r.y + 74 + 18 * math.sin(i * 0.7)
            pts.append((x, y))
        c.lines(Theme.PANEL_HI, pts, width=6)
        for (x, y), d in zip(pts, j.days):
            if d.goal_reached:
                draw_star(c, (x, y), 17, Theme.FOCUS)
            elif d.reps:
                c.circle(Theme.SKY, (x, y), 12)
            else:
                c.circle(Theme.PANEL_HI, (x, y), 7)
            if d.day == j.today:
                c.circle(Theme.TEXT, (x, y), 21, width=3)
        c.text(_("today"), (pts[-1][0], r.y + 22), size=20, color=Theme.TEXT_DIM)

    def _games(self, c: Canvas, j: Journey) -> None:
        """Each game's places: the ones opened in their colours, the next one as an outline; the
        place its sets are played at has a mark under it (and its name under the game's)."""
        rows = {b.id: i for i, b in enumerate(self.buttons.buttons)}
        for k, g in enumerate(j.games):
            box = game_row(k)
            x, y, h = box.x, box.y, box.h
            i = rows.get(f"stage:{g.exercise}")
            focused = i is not None and i == self.buttons.focus
            c.rect(Theme.PANEL, box, radius=14)  # the places not open yet are outlines in PANEL_HI
            if focused:
                c.rect(Theme.FOCUS, box.inflate(5), radius=18, width=5)
            name = _(BY_ID[g.exercise].name) if g.exercise in BY_ID else g.exercise
            game = self._game(g.exercise)
            look = game.look_for(g.played) if game is not None else None
            c.text(name, (x + 16, y + h / 2 - 12), size=fit_size(c, name, 22, 250, bold=True), bold=True, anchor="midleft")
            if look is not None and look.name:
                place = _(look.name)
                if g.pinned:
                    place = _("{place}: set by your therapist").format(place=place)
                c.text(place, (x + 16, y + h / 2 + 14), size=fit_size(c, place, 18, 270), color=Theme.TEXT_DIM,
                       anchor="midleft")
            for s in range(1, STAGE_COUNT + 1):
                cx, cy = x + 310 + (s - 1) * 58, y + h / 2 - 3
                if s <= g.stage:
                    col = self._stage_color(game, s)
                    c.circle(col, (cx, cy), 20)
                    c.circle(Theme.TEXT, (cx, cy), 20, width=3)
                    if s == g.stage and g.opened_today:  # a star on the place opened today
                        draw_star(c, (cx + 16, cy - 16), 11, Theme.FOCUS)
                else:
                    c.circle(Theme.PANEL_HI, (cx, cy), 20, width=3)
                if s == g.played:  # the place played: a mark under it
                    c.polygon(Theme.TEXT, [(cx - 9, cy + 32), (cx + 9, cy + 32), (cx, cy + 23)])
            if i is not None:
                self._scan_bar(c, i)

    def _game(self, exercise: str) -> object:
        return self.game_classes.get(exercise)

    def _read(self) -> None:
        """The journey, and the game each exercise is played with (its places' names and colours)."""
        from game.games import game_class
        from game.scenes.game_choice import game_for

        self.journey = load_for(self.ctx, [e.id for e in EXERCISES])
        self.game_classes = {g.exercise: game_class(g.exercise, game_for(self.ctx, g.exercise))
                             for g in self.journey.games if g.exercise in GAMES}

    @staticmethod
    def _stage_color(game: object, stage: int) -> tuple[int, int, int]:
        look = game.look_for(stage) if game is not None else None  # type: ignore[attr-defined]
        if look is None or not look.palette:
            return Theme.SKY
        # the stage's most colourful colour: its lantern, fruit or glaze rather than a night sky
        return max(look.palette.values(), key=lambda col: (max(col) - min(col), sum(col)))
