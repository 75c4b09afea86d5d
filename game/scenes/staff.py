"""Staff screens in the clinic kiosk: the PIN, the staff menu, patients.

The PIN is typed on the keyboard or on the big on-screen keypad (a click or a touch
per digit); it shows as dots. Wrong tries count down to a lockout that holds over a
restart (see :mod:`game.staff`). Once in, staff add and edit patients (name, tile,
hand, program, calibration, progress, names on tiles), and close the kiosk.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pygame

from game.i18n import _, pgettext
from game.input import Act, Action
from game.profiles import TILE_COLOURS, TILE_ICONS, ProfileError, Profiles
from game.scene import Pop, Push, Replace, Scene, Transition
from game.scenes.patients import draw_tile_badge, hand_words, patient_language_words, select_patient
from game.ui import Canvas, LRect, Theme
from game.widgets import Button, ButtonGroup, fit_size

def tile_words() -> dict[str, str]:
    """The tile's colour and shape names as stored (game/profiles.py), in the reader's language."""
    return {"orange": pgettext("tile", "orange"), "sky": pgettext("tile", "sky"), "green": pgettext("tile", "green"),
            "yellow": pgettext("tile", "yellow"), "blue": pgettext("tile", "blue"),
            "vermillion": pgettext("tile", "vermillion"), "purple": pgettext("tile", "purple"),
            "circle": pgettext("tile", "circle"), "square": pgettext("tile", "square"),
            "triangle": pgettext("tile", "triangle"), "diamond": pgettext("tile", "diamond"),
            "star": pgettext("tile", "star"), "heart": pgettext("tile", "heart"), "moon": pgettext("tile", "moon"),
            "leaf": pgettext("tile", "leaf")}


class StaffScene(Scene):
    """Marker: a staff screen (the chord does not open the PIN over these)."""


def is_staff_scene(scene: Scene) -> bool:
    return isinstance(scene, StaffScene)


def _is_key(action: Action, *keys: int) -> bool:
    return action.key in keys


# ------------------------------------------------------------------ the PIN
KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok"]
KEY_W, KEY_H, KEY_X, KEY_Y = 150, 96, 415, 250


class StaffPinScene(StaffScene):
    """Type the staff PIN. ``on_unlock`` is called on the right PIN (the kiosk then ends
    what a patient was doing and opens the menu); without it the menu replaces this."""

    def __init__(self, on_unlock: Callable[[], Transition] | None = None) -> None:
        self.on_unlock = on_unlock
        self.pin = ""
        self.message = ""
        self.locked_for = 0.0
        self._recheck = 0.0

    def enter(self) -> None:
        from game.staff import StaffLock

        self.lock = StaffLock(self.ctx.store)
        buttons = []
        for i, k in enumerate(KEYPAD):
            col, row = i % 3, i // 3
            label = {"del": _("Delete"), "ok": _("OK")}.get(k, k)
            buttons.append(Button(k, label, LRect(KEY_X + col * (KEY_W + 10), KEY_Y + row * (KEY_H + 10),
                                                  KEY_W, KEY_H), size=44 if k.isdigit() else 32))
        buttons.append(Button("cancel", _("Cancel"), LRect(1000, 600, 240, 90), size=32))
        self.buttons = ButtonGroup(buttons, columns=3)
        self._read_lock()

    def _read_lock(self) -> None:
        self.locked_for = self.lock.locked_for()
        if self.locked_for > 0:
            from game.staff import format_wait

            self.message = _("Too many wrong tries. Locked for {wait}.").format(wait=format_wait(self.locked_for))
            self.pin = ""

    def _press(self, k: str) -> Transition:
        from game.staff import MAX_DIGITS

        if k == "cancel":
            return Pop()
        if self.locked_for > 0:
            return None
        if k == "del":
            self.pin = self.pin[:-1]
        elif k == "ok":
            return self._submit()
        elif k.isdigit() and len(self.pin) < MAX_DIGITS:
            self.pin += k
            self.message = ""
        return None

    def _submit(self) -> Transition:
        if not self.pin:
            self.message = _("Type the staff PIN first.")
            return None
        result = self.lock.check(self.pin)
        self.pin = ""
        if result.ok:
            done = self.on_unlock() if self.on_unlock is not None else Replace(StaffMenuScene())
            menu = getattr(done, "scene", None)
            if result.short_pin and isinstance(menu, StaffMenuScene):
                menu.note = result.message  # an older 4-5 digit PIN opens, but staff are asked to set a longer one
            return done
        self.message = result.message
        self.locked_for = result.locked_for_s
        return None

    def handle(self, action: Action) -> Transition:
        k = action.kind
        if k is Act.TEXT:
            for ch in action.text:
                if ch.isdigit() and ch.isascii():
                    self._press(ch)
            return None
        if k is Act.BACK:
            if _is_key(action, pygame.K_BACKSPACE):
                return self._press("del")
            return Pop()
        if k is Act.CONFIRM and _is_key(action, pygame.K_RETURN, pygame.K_KP_ENTER):
            return self._press("ok")
        chosen = self.buttons.handle(action)
        return self._press(chosen) if chosen else None

    def update(self, dt: float) -> Transition:
        if self.locked_for > 0:
            self._recheck -= dt
            if self._recheck <= 0:  # the lock is wall time; look again once a second
                self._recheck = 1.0
                self._read_lock()
                if self.locked_for <= 0:
                    self.message = _("You can try again.")
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Staff only"), (640, 60), size=56, bold=True)
        c.text(_("Type the staff PIN"), (640, 122), size=32, color=Theme.TEXT_DIM)
        box = LRect(415, 160, 470, 76)
        c.rect(Theme.PANEL, box, radius=14)
        for i in range(len(self.pin)):
            c.circle(Theme.TEXT, (box.x + 40 + i * 36, box.center[1]), 11)
        if self.message:
            c.paragraph(self.message, (190, 300), 200, size=28,
                        color=Theme.FOCUS if self.locked_for <= 0 else Theme.NEAR, anchor="midtop")
        self.buttons.draw(c, size=40)
        c.text(_("Enter to check, Esc to cancel"), (640, 690), size=24, color=Theme.TEXT_DIM)


# ------------------------------------------------------------------ the menu
class StaffMenuScene(StaffScene):
    def __init__(self) -> None:
        self.confirm_close = False
        self.note = ""  # set when the PIN typed is shorter than a new PIN may be

    def enter(self) -> None:
        self._buttons()

    def resume(self) -> None:
        self._buttons()

    def _buttons(self) -> None:
        from game.staff import KioskSettings

        names = _("on") if KioskSettings(self.ctx.store).show_names else _("off")
        focus = self.buttons.focus if hasattr(self, "buttons") else 0
        self.buttons = ButtonGroup([
            Button("patients", _("Patients"), LRect(90, 170, 340, 150), note=_("edit, program, calibrate")),
            Button("add", _("Add patient"), LRect(470, 170, 340, 150)),
            Button("names", _("Names: {setting}").format(setting=names), LRect(850, 170, 340, 150),
                   note=_("full names on tiles")),
            Button("clinic", _("Clinic server"), LRect(90, 370, 340, 150), note=_("connect, send the records")),
            Button("done", _("Done"), LRect(470, 370, 340, 150), note=_("back to the picker, for the next patient")),
            Button("close", _("Press again") if self.confirm_close else _("Close the kiosk"), LRect(850, 370, 340, 150),
                   note=_("stop the game on this PC")),
        ], columns=3, focus=focus)

    def _do(self, chosen: str | None) -> Transition:
        if chosen is None:
            return None
        if chosen != "close":
            self.confirm_close = False
        if chosen == "patients":
            return Push(StaffPatientsScene())
        if chosen == "add":
            return Push(TextEntryScene(_("Name of the new patient"), on_done=self._add))
        if chosen == "clinic":
            from game.scenes.clinic_server import ClinicServerScene

            return Push(ClinicServerScene())
        if chosen == "names":
            from game.staff import KioskSettings

            settings = KioskSettings(self.ctx.store)
            settings.set("show_names", not settings.show_names)
        elif chosen == "done":
            return Pop()
        elif chosen == "close":
            if not self.confirm_close:
                self.confirm_close = True  # a second press, so one slip never closes the clinic's kiosk
            else:
                from game.kiosk import StaffExit

                self.ctx.store.log_event(None, "kiosk_closed_by_staff", {})
                return StaffExit()
        self._buttons()
        return None

    def _add(self, name: str) -> tuple[str | None, Transition]:
        try:
            p = Profiles(self.ctx.store, where="staff screen").create(name)
        except ProfileError as exc:
            return str(exc), None
        return None, Replace(StaffPatientScene(p.id))

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        return self._do(self.buttons.handle(action))

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Staff menu"), (640, 80), size=60, bold=True)
        self.buttons.draw(c, size=40)
        if self.confirm_close:
            c.paragraph(_("Press Close the kiosk again to stop the game. Patients cannot use this PC until it is "
                          "started again."), (640, 556), 1100, size=24, color=Theme.FOCUS, anchor="midtop")
        elif self.note:
            c.paragraph(self.note, (640, 548), 1100, size=24, color=Theme.NEAR, anchor="midtop")
        c.text(_("Left alone, this menu closes by itself."), (640, 650), size=26,
               color=Theme.TEXT_DIM)


# ------------------------------------------------------------------ patients
ROW_H, LIST_Y, PER_PAGE = 78, 130, 6


class StaffPatientsScene(StaffScene):
    """Every patient, with name and program; choose one to edit."""

    def __init__(self) -> None:
        self.focus = 0

    def enter(self) -> None:
        self.reload()

    def resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        from game.scenes.patients import _level_title

        self.patients = Profiles(self.ctx.store).list()
        self.titles = {p.id: _level_title(p, self.ctx.level_dirs) for p in self.patients}
        self.focus = min(self.focus, max(0, len(self.patients) - 1))

    def row_rect(self, i: int) -> LRect:
        return LRect(90, LIST_Y + (i % PER_PAGE) * (ROW_H + 10), 1100, ROW_H)

    def handle(self, action: Action) -> Transition:
        k = action.kind
        if k is Act.BACK:
            return Pop()
        if k in (Act.UP, Act.LEFT) and self.patients:
            self.focus = max(0, self.focus - 1)
        elif k in (Act.DOWN, Act.RIGHT) and self.patients:
            self.focus = min(len(self.patients) - 1, self.focus + 1)
        elif k is Act.CONFIRM and self.patients:
            return Push(StaffPatientScene(self.patients[self.focus].id))
        elif k is Act.CLICK and action.pos is not None:
            page = self.focus // PER_PAGE
            for i in range(page * PER_PAGE, min(len(self.patients), (page + 1) * PER_PAGE)):
                if self.row_rect(i).contains(action.pos):
                    self.focus = i
                    return Push(StaffPatientScene(self.patients[i].id))
            if BACK_RECT.contains(action.pos):
                return Pop()
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Patients"), (640, 64), size=52, bold=True)
        c.rect(Theme.PANEL, BACK_RECT, radius=14)
        c.text(_("Back"), BACK_RECT.center, size=fit_size(c, _("Back"), 30, BACK_RECT.w - 12, bold=True), bold=True)
        if not self.patients:
            c.text(_("No patients yet: use Add patient in the staff menu."), (640, 300), size=32)
        page = self.focus // PER_PAGE
        for i in range(page * PER_PAGE, min(len(self.patients), (page + 1) * PER_PAGE)):
            p, r = self.patients[i], self.row_rect(i)
            on = i == self.focus
            c.rect(Theme.PANEL_HI if on else Theme.PANEL, r, radius=14)
            if on:
                c.rect(Theme.FOCUS, r.inflate(5), radius=18, width=5)
            draw_tile_badge(c, p, (r.x + 50, r.center[1]), 30, Theme.PANEL_HI if on else Theme.PANEL)
            c.text(p.name, (r.x + 110, r.center[1]), size=32, bold=True, anchor="midleft")
            c.text(self.titles.get(p.id, ""), (r.x + 620, r.center[1]), size=26, color=Theme.TEXT_DIM,
                   anchor="midleft")
        pages = max(1, -(-len(self.patients) // PER_PAGE))
        c.text(_("Arrows to move, Enter or click to edit. Page {page} of {pages}").format(page=page + 1, pages=pages),
               (640, 690), size=24,
               color=Theme.TEXT_DIM)


BACK_RECT = LRect(1060, 24, 180, 74)


class StaffPatientScene(StaffScene):
    """One patient, for staff: program, hand, tile, name, calibration, progress, archive."""

    def __init__(self, patient_id: int) -> None:
        self.patient_id = patient_id
        self.confirm_archive = False
        self.message = ""

    def enter(self) -> None:
        self.reload()

    def resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        from game.scenes.patients import _level_title

        profiles = Profiles(self.ctx.store)
        self.p = profiles.get(self.patient_id)
        self.level_title = _level_title(self.p, self.ctx.level_dirs)
        self.calibrated = profiles.calibration(self.p) is not None
        focus = self.buttons.focus if hasattr(self, "buttons") else 0
        specs = [("program", _("Program")), ("hand", _("Hand")), ("language", _("Language")),
                 ("calibrate", _("Calibrate")), ("progress", _("Progress")), ("colour", _("Colour")),
                 ("shape", _("Shape")), ("rename", _("Rename")), ("name", _("Name on tile")),
                 ("archive", _("Press again") if self.confirm_archive else _("Archive")), ("back", _("Back"))]
        buttons = []
        for i, (bid, label) in enumerate(specs):
            col, row = i % 6, i // 6
            buttons.append(Button(bid, label, LRect(40 + col * 202, 470 + row * 118, 186, 100), size=30))
        self.buttons = ButtonGroup(buttons, columns=6, focus=min(focus, len(buttons) - 1))

    def _select(self) -> None:
        select_patient(self.ctx, self.p.id)  # the program, hand and calibration screens act on this patient

    def _do(self, chosen: str | None) -> Transition:
        if chosen is None:
            return None
        if chosen != "archive":
            self.confirm_archive = False
        self.message = ""
        profiles = Profiles(self.ctx.store, where="staff screen")
        if chosen == "back":
            return Pop()
        if chosen == "program":
            from game.scenes.levels import LevelPickerScene

            self._select()
            return Push(LevelPickerScene())
        if chosen == "calibrate":
            from game.scenes.roll_calibrate import calibrate_entry

            self._select()
            return Push(calibrate_entry(self.ctx))  # as the menu: strength, or a choice with rolling reach
        if chosen == "progress":
            from game.scenes.progress import ProgressScene

            self._select()
            return Push(ProgressScene())
        if chosen == "rename":
            return Push(TextEntryScene(_("New name for {name}").format(name=self.p.name), initial=self.p.name,
                                       on_done=self._rename))
        if chosen == "hand":
            from game.scenes.patients import ask_hand_change

            return ask_hand_change(self.ctx, self.p, profiles, self.reload)  # "Change Ann's hand to left?"
        if chosen == "language":
            from game.scenes.patients import ask_language_change

            self._select()
            return ask_language_change(self.ctx, self.p, self.reload, where="staff screen")
        if chosen == "colour":
            profiles.set_tile(self.p.id, colour=TILE_COLOURS[(TILE_COLOURS.index(self.p.colour) + 1) % len(TILE_COLOURS)])
        elif chosen == "shape":
            profiles.set_tile(self.p.id, icon=TILE_ICONS[(TILE_ICONS.index(self.p.icon) + 1) % len(TILE_ICONS)])
        elif chosen == "name":
            own = self.p.settings.get("show_full_name")
            # Cycles: the clinic's choice -> always shown -> never shown -> the clinic's choice.
            nxt = {None: True, True: False, False: None}[own if isinstance(own, bool) else None]
            settings = dict(self.p.settings)
            settings.pop("show_full_name", None)
            if nxt is not None:
                settings["show_full_name"] = nxt
            # update_settings only adds keys; going back to the clinic's choice removes one.
            profiles._update(self.p.id, settings=json.dumps(settings))
        elif chosen == "archive":
            if not self.confirm_archive:
                self.confirm_archive = True
                self.message = _("Press Archive again to hide {name} from the picker. Their records are kept.").format(
                    name=self.p.name)
            else:
                profiles.archive(self.p.id)
                return Pop()
        self.reload()
        return None

    def _rename(self, name: str) -> tuple[str | None, Transition]:
        try:
            Profiles(self.ctx.store, where="staff screen").rename(self.p.id, name)
        except ProfileError as exc:
            return str(exc), None
        return None, Pop()

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        return self._do(self.buttons.handle(action))

    def draw(self, c: Canvas, alpha: float) -> None:
        from game.staff import KioskSettings

        c.clear()
        p = self.p
        c.rect(Theme.PANEL, LRect(40, 30, 1200, 410), radius=22)
        draw_tile_badge(c, p, (200, 200), 100)
        c.text(p.name, (360, 90), size=50, bold=True, anchor="midleft")
        own = p.settings.get("show_full_name")
        clinic = KioskSettings(self.ctx.store).show_names
        name_rule = {True: _("always shown"), False: _("never shown")}.get(
            own, _("clinic setting ({setting})").format(setting=_("on") if clinic else _("off")))
        rows = [(_("Program"), self.level_title), (_("Hand"), hand_words(p.hand)),
                (_("Strongest squeeze"), _("Measured") if self.calibrated else _("Not measured yet")),
                (_("Tile"), _("{colour} {shape}, {initials}").format(colour=tile_words().get(p.colour, p.colour),
                                                                  shape=tile_words().get(p.icon, p.icon),
                                                                  initials=p.initials)),
                (_("Name on tile"), name_rule), (_("Language"), patient_language_words(p))]
        for i, (label, value) in enumerate(rows):
            y = 140 + i * 48
            c.text(label, (360, y), size=fit_size(c, label, 26, 270), color=Theme.TEXT_DIM, anchor="midleft")
            c.text(value, (640, y), size=30, bold=True, anchor="midleft")
        if self.message:
            c.text(self.message, (640, 420), size=24, color=Theme.FOCUS)
        self.buttons.draw(c)


# ------------------------------------------------------------------ typing
class TextEntryScene(StaffScene):
    """A line of text typed on the keyboard. ``on_done(text)`` answers (problem, transition):
    a problem is shown and the text kept for fixing; otherwise the transition is applied."""

    def __init__(self, title: str, *, on_done: Callable[[str], tuple[str | None, Transition]],
                 initial: str = "", max_len: int = 40) -> None:
        self.title = title
        self.on_done = on_done
        self.text = initial
        self.max_len = max_len
        self.message = ""

    def handle(self, action: Action) -> Transition:
        k = action.kind
        if k is Act.TEXT:
            self.text = (self.text + action.text)[: self.max_len]
            self.message = ""
        elif k is Act.BACK:
            if _is_key(action, pygame.K_BACKSPACE):
                self.text = self.text[:-1]
            else:
                return Pop()
        elif k is Act.CONFIRM and _is_key(action, pygame.K_RETURN, pygame.K_KP_ENTER):
            problem, tr = self.on_done(self.text)
            if problem:
                self.message = problem[0].upper() + problem[1:] + "."
                return None
            return tr
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(self.title, (640, 150), size=52, bold=True)
        box = LRect(190, 260, 900, 100)
        c.rect(Theme.PANEL, box, radius=16)
        c.rect(Theme.FOCUS, box, radius=16, width=4)
        c.text(self.text + "|", (box.x + 30, box.center[1]), size=48, anchor="midleft")
        if self.message:
            c.paragraph(self.message, (640, 400), 1000, size=28, color=Theme.FOCUS)
        c.text(_("Type, then Enter to save. Esc to cancel."), (640, 620), size=30, color=Theme.TEXT_DIM)
