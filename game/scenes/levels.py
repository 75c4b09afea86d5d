"""Choose a program: every level file, the broken ones listed with their error.

The picker re-reads the level folders once a second while it is open (only the
files whose time, size or inode changed), so a therapist who edits a file in
another window sees the change, or the mistake, without restarting. It never
reloads anything during a session: it only runs while it is the top scene.
"""

from __future__ import annotations

from game.i18n import _, ngettext
from game.therapy.exercises import BY_ID
from game.input import Act, Action
from game.levels import LevelLibrary, LoadedLevel, level_dirs, level_ref
from game.scene import Pop, Push, Scene, Transition
from game.settings import scan_every
from game.ui import Canvas, LRect, Theme, draw_cross, draw_tick, ellipsize
from game.widgets import ChoiceSwitch, Scanner, draw_choose_hint, fit_size
from hardware.sample import Sample

RESCAN_S = 1.0
ROWS_VISIBLE = 5
ROW_H, ROW_GAP = 84, 10
LIST_X, LIST_Y, LIST_W = 50, 138, 560
PANEL = LRect(640, 138, 590, 470)
BACK = LRect(50, 630, 200, 66)


def ellipsize_plain(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 3].rstrip() + "..."


def exercise_line(ex) -> str:  # noqa: ANN001  (an ExercisePlan)
    e = BY_ID.get(ex.exercise)
    name = _(e.name) if e else ex.exercise
    if ex.finger_pairs:
        from game.games.finger_squeeze import FINGER_NAMES

        def pair(p: str) -> str:
            a, _sep, b = p.partition("-")
            return _("{first} and {second}").format(first=_(FINGER_NAMES.get(a, a)), second=_(FINGER_NAMES.get(b, b)))

        name += " " + ", ".join(pair(p) for p in ex.finger_pairs)
    dose = f"{ex.sets} × {ex.reps}"
    if e is not None and e.channel == "force":
        return _("{name}: {dose}, target {target}%").format(name=name, dose=dose, target=f"{ex.target_pct:g}")
    return _("{name}: {dose}").format(name=name, dose=dose)


class LevelPickerScene(Scene):
    """Lists the level files; choosing a good one assigns it to the current patient."""

    def __init__(self, library: LevelLibrary | None = None) -> None:
        self.library = library
        self.focus = 0
        self.top_row = 0
        self.since_scan = 0.0
        self.message = ""
        self.scanner = Scanner()
        self.on_back = False  # the moving frame is on Back (after the last file)
        self.assigned = False  # a program was chosen and confirmed

    def enter(self) -> None:
        dirs = self.ctx.level_dirs or level_dirs(None)
        if self.library is None:
            self.library = LevelLibrary(dirs)
        else:
            self.library.refresh()
        self.switch = ChoiceSwitch(self.ctx)
        from game.profiles import ProfileError, Profiles

        try:
            self.who = Profiles(self.ctx.store).get(self.ctx.patient_id).name
        except ProfileError:
            self.who = ""
        current = self.ctx.plan.source_file
        for i, e in enumerate(self.entries):
            if current and str(e.path) == current:
                self.focus = i
        self._scroll()

    def resume(self) -> None:
        self.rescan()

    @property
    def entries(self) -> list[LoadedLevel]:
        assert self.library is not None
        return self.library.entries

    @property
    def focused(self) -> LoadedLevel | None:
        return self.entries[self.focus] if self.entries else None

    # ------------------------------------------------------------ logic
    def rescan(self) -> bool:
        """Reload changed files, keeping the focus on the same file."""
        assert self.library is not None
        keep = self.focused.path if self.focused else None
        if not self.library.refresh():
            return False
        paths = [e.path for e in self.entries]
        self.focus = paths.index(keep) if keep in paths else min(self.focus, max(0, len(paths) - 1))
        self._scroll()
        # The program in use follows its file, here between sessions only.
        current = self.ctx.plan.source_file
        for e in self.entries:
            if current and str(e.path) == current and e.ok:
                self.ctx.plan = e.plan()
        return True

    def _scroll(self) -> None:
        if self.focus < self.top_row:
            self.top_row = self.focus
        elif self.focus >= self.top_row + ROWS_VISIBLE:
            self.top_row = self.focus - ROWS_VISIBLE + 1

    def _row_rect(self, i: int) -> LRect:
        return LRect(LIST_X, LIST_Y + (i - self.top_row) * (ROW_H + ROW_GAP), LIST_W, ROW_H)

    def _move(self, d: int) -> None:
        if self.entries:
            self.focus = max(0, min(len(self.entries) - 1, self.focus + d))
            self._scroll()
            self.message = ""

    def choose(self) -> Transition:
        if self.on_back:
            return Pop()
        e = self.focused
        if e is None:
            return None
        if not e.ok:
            self.message = _("This file has a problem, so it cannot be used yet. Fix it and it will appear here.")
            return None
        if self.ctx.plan.source_file and str(e.path) == self.ctx.plan.source_file:
            return Pop()  # the program already played: nothing changes
        from game.scenes.confirm import ConfirmScene

        question = (_("Change {name}'s program to {program}?").format(name=self.who, program=e.title) if self.who
                    else _("Change the program to {program}?").format(program=e.title))
        now = self.ctx.plan.name if self.ctx.plan.source_file else _("Default program")
        # The program changes how the game treats the patient: asked first, Yes assigns it.
        return Push(ConfirmScene(question, lambda: self._assign(e),
                                 before=ellipsize_plain(now), after=ellipsize_plain(e.title)))

    def _assign(self, e: LoadedLevel) -> None:
        from game.profiles import ProfileError, Profiles, profiles_held

        assert self.library is not None
        try:
            Profiles(self.ctx.store, where="program screen").assign_level(self.ctx.patient_id,
                                                                          level_ref(e.path, self.library.dirs))
        except ProfileError:
            if profiles_held(self.ctx.store) is None:
                raise
            # A simulator or trace-file run plays the program for this run only; the profile is left as it was.
        self.ctx.plan = e.plan()
        self.ctx.level_note = ""
        self.assigned = True  # back from the question: this screen closes

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples):
            return self.choose()
        return None

    def handle(self, action: Action) -> Transition:
        k = action.kind
        if k is Act.BACK:
            return Pop()
        if k in (Act.UP, Act.LEFT, Act.DOWN, Act.RIGHT):
            self.scanner.stop()
            self.on_back = False
        if k in (Act.UP, Act.LEFT):
            self._move(-1)
        elif k in (Act.DOWN, Act.RIGHT):
            self._move(1)
        elif k is Act.CONFIRM:
            return self.choose()
        elif k is Act.CLICK and action.pos is not None:
            if BACK.contains(action.pos):
                return Pop()
            for i in range(self.top_row, min(len(self.entries), self.top_row + ROWS_VISIBLE)):
                if self._row_rect(i).contains(action.pos):
                    self.focus = i
                    self.on_back = False
                    return self.choose()
        return None

    def update(self, dt: float) -> Transition:
        if self.assigned:
            return Pop()
        # Switch scanning: the frame walks the files, then Back, and round again.
        first = self.focus == 0 and not self.on_back
        if self.scanner.tick(dt, scan_every(self.ctx), first=first, holding=self.switch.building):
            if self.on_back or not self.entries:
                self.on_back = False
                self.focus = 0
            elif self.focus + 1 < len(self.entries):
                self.focus += 1
            else:
                self.on_back = True
            self._scroll()
            self.message = ""
            self.ctx.speech.say(_("Back") if self.on_back or not self.focused else self.focused.title)
        self.since_scan += dt
        if self.since_scan >= RESCAN_S:
            self.since_scan = 0.0
            self.rescan()
        return None

    # ------------------------------------------------------------ drawing
    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Choose a program"), (640, 62), size=52, bold=True)
        if self.who:
            c.text(_("for {name}").format(name=self.who), (640, 112), size=26, color=Theme.TEXT_DIM)
        if not self.entries:
            c.text(_("No level files found"), (640, 360), size=36)
        current = self.ctx.plan.source_file
        for i in range(self.top_row, min(len(self.entries), self.top_row + ROWS_VISIBLE)):
            self._draw_row(c, i, self.entries[i], current)
        if self.top_row > 0:
            c.polygon(Theme.TEXT, [(LIST_X + LIST_W / 2 - 18, LIST_Y - 8), (LIST_X + LIST_W / 2 + 18, LIST_Y - 8),
                                   (LIST_X + LIST_W / 2, LIST_Y - 24)])
        if self.top_row + ROWS_VISIBLE < len(self.entries):
            y = LIST_Y + ROWS_VISIBLE * (ROW_H + ROW_GAP) - 4
            c.polygon(Theme.TEXT, [(LIST_X + LIST_W / 2 - 18, y), (LIST_X + LIST_W / 2 + 18, y),
                                   (LIST_X + LIST_W / 2, y + 16)])
        if self.focused is not None:
            self._draw_panel(c, self.focused)
        c.rect(Theme.PANEL_HI if self.on_back else Theme.PANEL, BACK, radius=16)
        if self.on_back:
            c.rect(Theme.FOCUS, BACK.inflate(6), radius=22, width=6)
        c.text(_("Back"), BACK.center, size=fit_size(c, _("Back"), 32, BACK.w - 12, bold=True), bold=True)
        if self.message:
            c.text(self.message, (740, 663), size=22, color=Theme.FOCUS)
        else:
            draw_choose_hint(c, self.scanner.active, (740, 663), size=22)

    def _draw_row(self, c: Canvas, i: int, e: LoadedLevel, current: str | None) -> None:
        r = self._row_rect(i)
        focused = i == self.focus and not self.on_back
        c.rect(Theme.PANEL_HI if focused else Theme.PANEL, r, radius=14)
        if focused:
            c.rect(Theme.FOCUS, r.inflate(5), radius=18, width=5)
        icon = (r.x + 40, r.y + r.h / 2)
        if e.ok:
            draw_tick(c, icon, 40)
        else:
            draw_cross(c, icon, 40)
        c.text(ellipsize(c, e.title, 30, r.w - 200), (r.x + 80, r.y + 26), size=30, bold=True, anchor="midleft")
        if e.ok and e.level is not None:
            n = len(e.level.exercises)
            sub = (ngettext("{n} exercise", "{n} exercises", n).format(n=n) + ", "
                   + ngettext("{n} repetition", "{n} repetitions", e.level.total_reps).format(n=e.level.total_reps))
            color = Theme.TEXT_DIM
        else:
            sub, color = _("Has a problem: cannot be used"), Theme.NEAR
        c.text(sub, (r.x + 80, r.y + 60), size=22, color=color, anchor="midleft")
        if current and str(e.path) == current:
            c.rect(Theme.SUCCESS, (r.x + r.w - 108, r.y + 22, 92, 40), radius=20)
            c.text(_("in use"), (r.x + r.w - 62, r.y + 42), size=fit_size(c, _("in use"), 22, 90, bold=True), bold=True,
                   color=Theme.DARK_TEXT)

    def _draw_panel(self, c: Canvas, e: LoadedLevel) -> None:
        p = PANEL
        c.rect(Theme.PANEL, p, radius=18)
        x, w = p.x + 28, p.w - 56
        if e.ok and e.level is not None:
            level = e.level
            c.text(ellipsize(c, level.name, 34, w), (x, p.y + 40), size=34, bold=True, anchor="midleft")
            y = p.y + 74
            if level.description:
                y = c.paragraph(level.description, (x, y), w, size=22, color=Theme.TEXT_DIM, anchor="topleft")
            y += 10
            hand = {"either": _("Either hand"), "left": _("Left hand"), "right": _("Right hand")}[level.hand]
            c.text(_("{hand}, up to {minutes} minutes").format(hand=hand, minutes=f"{level.session_cap_min:g}"), (x, y),
                   size=22, anchor="topleft")
            y += 38
            plans = level.exercise_plans()
            room = int((p.y + p.h - 20 - y) // 32)
            shown = plans if len(plans) <= room else plans[: max(0, room - 1)]
            for ex in shown:
                c.circle(Theme.SKY, (x + 8, y + 14), 6)
                c.text(ellipsize(c, exercise_line(ex), 24, w - 30), (x + 26, y), size=24, anchor="topleft")
                y += 32
            if len(shown) < len(plans):
                c.text(_("and {n} more").format(n=len(plans) - len(shown)), (x + 26, y), size=22, color=Theme.TEXT_DIM,
                       anchor="topleft")
        else:
            draw_cross(c, (x + 20, p.y + 40), 34)
            c.text(_("This file has a problem"), (x + 52, p.y + 40), size=32, bold=True, color=Theme.NEAR,
                   anchor="midleft")
            y = p.y + 84
            for prob in e.problems[:3]:
                where = prob.position.capitalize() + ": " if prob.line else ""
                y = c.paragraph(where + prob.message, (x, y), w, size=24, anchor="topleft") + 12
                if y > p.y + p.h - 80:
                    break
            if len(e.problems) > 3:
                c.text(_("and {n} more").format(n=len(e.problems) - 3), (x, y), size=22, color=Theme.TEXT_DIM, anchor="topleft")
            c.text(ellipsize(c, _("File: {name}").format(name=e.display), 22, w), (x, p.y + p.h - 30), size=22, color=Theme.TEXT_DIM,
                   anchor="midleft")
