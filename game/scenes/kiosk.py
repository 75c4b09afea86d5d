"""The clinic kiosk's patient picker, and the patient's start screen.

Big tiles, each with the patient's colour, shape and initials; full names only if
the clinic (or the patient) turns them on. Choosing works with a touch or click on
the tile, with the arrows and Enter, or with the ball alone: a first squeeze starts
a frame walking slowly over the tiles, a second squeeze picks the tile it is on.
The start screen shows the patient's badge and program with Start ready: one more
squeeze and the program runs. When it ends, the picker returns for the next person.
"""

from __future__ import annotations

from game.i18n import _, set_language
from game.input import Act, Action
from game.profiles import Profile, Profiles
from game.scene import Pop, Push, Scene, Transition
from game.scenes.patients import draw_tile_badge, grid_step, select_patient
from game.therapy.switch import SqueezeSwitch
from game.ui import Canvas, LRect, Theme, ellipsize
from game.widgets import Button, ButtonGroup, fit_size
from hardware.sample import Sample

COLUMNS, ROWS = 4, 2
TILE_W, TILE_H = 280, 222
GRID_X, GRID_Y = 60, 118
GAP_X, GAP_Y = 20, 22
SCAN_S = 2.0  # the frame moves to the next tile every this many seconds
SETTLE_S = 1.0  # a squeeze chooses only this long after the frame started walking
NEXT, PREV = -1, -2  # page arrows, as tile indexes


class KioskPickerScene(Scene):
    """Who is exercising? The kiosk's first screen, and where it always comes back to."""

    def __init__(self) -> None:
        self.patients: list[Profile] = []
        self.page = 0
        self.focus: int | None = None  # None: no tile highlighted (how the next person finds it)
        self.scanning = False
        self.scan_t = 0.0
        self.show_names = False

    @property
    def at_rest(self) -> bool:
        return self.focus is None and not self.scanning and self.page == 0

    def enter(self) -> None:
        self.switch = SqueezeSwitch(self.ctx.calibration)
        self.reload()

    def resume(self) -> None:
        self.switch = SqueezeSwitch(self.ctx.calibration)  # the ball may have been calibrated meanwhile
        self.reload()
        self.reset()
        set_language(None)  # the next person finds the picker in the clinic's language, not the last patient's

    def reset(self) -> None:
        """Back to how the next person should find it: first page, nothing highlighted."""
        self.page, self.focus, self.scanning, self.scan_t = 0, None, False, 0.0

    def reload(self) -> None:
        from game.staff import KioskSettings, name_on_tile

        self.patients = Profiles(self.ctx.store).list()
        clinic = KioskSettings(self.ctx.store).show_names
        self.named = {p.id: name_on_tile(p, clinic) for p in self.patients}
        self.page = min(self.page, self.pages - 1)

    @property
    def per_page(self) -> int:
        return COLUMNS * ROWS

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.patients) // self.per_page))

    def visible(self) -> range:
        start = self.page * self.per_page
        return range(start, min(len(self.patients), start + self.per_page))

    def tile_rect(self, i: int) -> LRect:
        j = i - self.page * self.per_page
        col, row = j % COLUMNS, j // COLUMNS
        return LRect(GRID_X + col * (TILE_W + GAP_X), GRID_Y + row * (TILE_H + GAP_Y), TILE_W, TILE_H)

    def _targets(self) -> list[int]:
        """What the frame walks over: this page's tiles, then the page arrows."""
        out = list(self.visible())
        if self.pages > 1:
            out.append(NEXT)
        return out

    # ------------------------------------------------------------- choose
    def choose(self, i: int) -> Transition:
        if i == NEXT:
            self.page = (self.page + 1) % self.pages
            self.focus = self.page * self.per_page if self.visible() else None
            self.scan_t = 0.0
            return None
        if i == PREV:
            self.page = (self.page - 1) % self.pages
            self.focus = self.page * self.per_page
            return None
        if not 0 <= i < len(self.patients):
            return None
        p = self.patients[i]
        select_patient(self.ctx, p.id)
        self.ctx.demos_seen.clear()  # a new person sees each exercise's demonstration
        return Push(KioskStartScene(p.id))

    def _move(self, d: int) -> None:
        if not self.patients:
            return
        self.scanning = False
        cur = self.focus if self.focus is not None and self.focus >= 0 else self.page * self.per_page - d
        nxt = max(0, min(len(self.patients) - 1, cur + d))
        self.focus = nxt
        self.page = nxt // self.per_page

    def on_samples(self, samples: list[Sample]) -> Transition:
        if not self.switch.feed(samples) or not self.patients:
            return None
        if not self.scanning:
            self.scanning, self.scan_t = True, 0.0
            self.focus = self._targets()[0]
            return None
        if self.scan_t >= SETTLE_S and self.focus is not None:
            return self.choose(self.focus)
        return None

    def handle(self, action: Action) -> Transition:
        k = action.kind
        step = grid_step(k, COLUMNS)
        if step is not None:
            self._move(step)
        elif k is Act.CONFIRM:
            if self.focus is None:
                self._move(0)  # a first press highlights the first tile
            elif not self.scanning:
                return self.choose(self.focus)
        elif k is Act.CLICK and action.pos is not None:
            self.scanning = False
            if self.pages > 1 and NEXT_RECT.contains(action.pos):
                return self.choose(NEXT)
            if self.pages > 1 and PREV_RECT.contains(action.pos):
                return self.choose(PREV)
            for i in self.visible():
                if self.tile_rect(i).contains(action.pos):
                    self.focus = i
                    return self.choose(i)
        # Esc, Back and everything else: a patient cannot leave the kiosk from here.
        return None

    def update(self, dt: float) -> Transition:
        if self.scanning:
            self.scan_t += dt
            targets = self._targets()
            self.focus = targets[int(self.scan_t // SCAN_S) % len(targets)]
        return None

    # --------------------------------------------------------------- draw
    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Hello! Find your picture"), (640, 62), size=56, bold=True)
        if not self.patients:
            c.paragraph(_("No patients yet. Staff: press Ctrl+Alt+S to add one."), (640, 300), 900, size=36)
            return
        for i in self.visible():
            p = self.patients[i]
            r = self.tile_rect(i)
            focused = i == self.focus
            bg = Theme.PANEL_HI if focused else Theme.PANEL
            c.rect(bg, r, radius=20)
            if focused:
                c.rect(Theme.FOCUS, r.inflate(7), radius=24, width=7)
            if self.named.get(p.id):
                draw_tile_badge(c, p, (r.center[0], r.y + 90), 64, bg)
                name = ellipsize(c, p.name, 32, r.w - 24, bold=True)
                c.text(name, (r.center[0], r.y + 190), size=32, bold=True)
            else:
                draw_tile_badge(c, p, (r.center[0], r.center[1]), 84, bg)
        if self.pages > 1:
            for rect, label, right in ((PREV_RECT, _("Page back"), False), (NEXT_RECT, _("More"), True)):
                on = self.focus == (NEXT if right else PREV)
                c.rect(Theme.PANEL_HI if on else Theme.PANEL, rect, radius=16)
                if on:
                    c.rect(Theme.FOCUS, rect.inflate(6), radius=20, width=6)
                x, y = rect.center
                tip = 26 if right else -26
                c.polygon(Theme.TEXT, [(x + tip - (10 if right else -10), y - 32), (x + tip + (24 if right else -24), y - 12),
                                       (x + tip - (10 if right else -10), y + 8)])
                c.text(label, (x, y + 30), size=fit_size(c, label, 26, rect.w - 12, bold=True), bold=True)
            c.text(_("Page {page} of {pages}").format(page=self.page + 1, pages=self.pages), (640, 628), size=24,
                   color=Theme.TEXT_DIM)
        hint = (_("Squeeze when the yellow frame is on your picture") if self.scanning
                else _("Touch your picture, or squeeze the ball to begin"))
        c.text(hint, (640, 686), size=fit_size(c, hint, 30, 820), color=Theme.TEXT)


PREV_RECT = LRect(16, 610, 200, 100)
NEXT_RECT = LRect(1064, 610, 200, 100)


class KioskStartScene(Scene):
    """One patient: their badge and program, Start ready for a squeeze."""

    def __init__(self, patient_id: int) -> None:
        self.patient_id = patient_id
        self.session: Scene | None = None
        self.finished = False

    def enter(self) -> None:
        from game.staff import KioskSettings, name_on_tile

        self.p = Profiles(self.ctx.store).get(self.patient_id)
        self.show_name = name_on_tile(self.p, KioskSettings(self.ctx.store).show_names)
        self.switch = SqueezeSwitch(self.ctx.calibration)
        self.buttons = ButtonGroup([Button("start", _("Start"), LRect(330, 500, 420, 140)),
                                    Button("back", _("Not me"), LRect(790, 515, 260, 110))])

    def resume(self) -> None:
        # Back from the program: the next person gets the picker. Back from a calibration
        # that was put off ("Not now"): still here, Start still ready.
        if self.session is not None and getattr(self.session, "runner", None) is not None:
            self.finished = True
        self.switch = SqueezeSwitch(self.ctx.calibration)

    def _do(self, chosen: str | None) -> Transition:
        if chosen == "start":
            from game.scenes.calibrate import before_play
            from game.scenes.session import SessionScene

            self.session = SessionScene()
            return Push(before_play(self.ctx, self.session))
        if chosen == "back":
            return Pop()
        return None

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples):
            return self._do(self.buttons.choose_focused())
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        return self._do(self.buttons.handle(action))

    def update(self, dt: float) -> Transition:
        return Pop() if self.finished else None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        p = self.p
        draw_tile_badge(c, p, (640, 190), 120)
        y = 350
        if self.show_name:
            c.text(p.name, (640, y), size=54, bold=True)
            y += 64
        c.text(_(self.ctx.plan.name), (640, y), size=40, color=Theme.TEXT)
        c.text(_("Left hand") if p.hand == "left" else _("Right hand"), (640, y + 52), size=30, color=Theme.TEXT_DIM)
        if self.ctx.level_note:
            c.text(_("Ask your therapist to check your program."), (640, 300), size=26, color=Theme.FOCUS)
        self.buttons.draw(c, size=52)
        c.text(_("Squeeze the ball or press Start"), (640, 680), size=30, color=Theme.TEXT_DIM)
