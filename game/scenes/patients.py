"""Who is playing: big patient tiles, then that patient's profile.

Each tile has a colour, a shape and initials, so a patient who cannot read well
still finds their own. Choosing a tile makes that patient the one playing (and the
one the game starts with next time) and opens their profile: the program, the
hand, the calibration. New patients and renaming are done by the therapist with
``main.py patients`` (typing a name needs a keyboard a patient may not have).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from game.i18n import _, language_name
from game.input import Act, Action
from game.profiles import TILE_COLOURS, Profile, ProfileError, Profiles, plan_for, profiles_held
from game.scene import Pop, PopTo, Push, Scene, Transition
from game.settings import apply_patient_settings, scan_every
from game.ui import Canvas, Color, LRect, Theme, draw_tick, ellipsize
from game.widgets import Button, ButtonGroup, ChoiceSwitch, Scanner, draw_choose_hint, fit_size
from hardware.sample import Sample

COLUMNS, ROWS = 4, 2
TILE_W, TILE_H = 270, 226
GRID_X, GRID_Y = 70, 140
TILE_RGB: dict[str, Color] = {
    "orange": Theme.NEAR, "sky": Theme.SKY, "green": Theme.SUCCESS, "yellow": Theme.FOCUS,
    "blue": Theme.BLUE, "vermillion": Theme.STOP, "purple": Theme.PURPLE,
}
assert set(TILE_RGB) == set(TILE_COLOURS)


def grid_step(kind: Act, columns: int = COLUMNS) -> int | None:
    """How far an arrow key moves the focus over tiles ``columns`` wide (None: not an arrow)."""
    return {Act.LEFT: -1, Act.RIGHT: 1, Act.UP: -columns, Act.DOWN: columns}.get(kind)


def _luminance(rgb: Color) -> float:
    def ch(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)


def contrast(a: Color, b: Color) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_on(bg: Color) -> Color:
    """Dark or light text, whichever reads better on ``bg``."""
    return Theme.DARK_TEXT if contrast(Theme.DARK_TEXT, bg) >= contrast(Theme.TEXT, bg) else Theme.TEXT


def draw_tile_badge(c: Canvas, p: Profile, center: tuple[float, float], size: float,
                    bg: Color = Theme.PANEL) -> None:
    """The patient's badge: their shape in their colour, their initials on it."""
    x, y = center
    fill = TILE_RGB.get(p.colour, Theme.SKY)
    s = size
    shape = p.icon
    if shape == "square":
        c.rect(fill, (x - s * 0.8, y - s * 0.8, s * 1.6, s * 1.6), radius=s * 0.18)
    elif shape == "triangle":
        c.polygon(fill, [(x, y - s * 1.0), (x + s * 1.05, y + s * 0.8), (x - s * 1.05, y + s * 0.8)])
        y += s * 0.25  # initials sit in the wide part
    elif shape == "diamond":
        c.polygon(fill, [(x, y - s), (x + s, y), (x, y + s), (x - s, y)])
    elif shape == "star":
        pts = []
        for i in range(10):
            r = s if i % 2 == 0 else s * 0.55
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((x + r * math.cos(a), y + r * math.sin(a)))
        c.polygon(fill, pts)
        y += s * 0.08
    elif shape == "heart":
        c.circle(fill, (x - s * 0.42, y - s * 0.3), s * 0.5)
        c.circle(fill, (x + s * 0.42, y - s * 0.3), s * 0.5)
        c.polygon(fill, [(x - s * 0.9, y - s * 0.15), (x + s * 0.9, y - s * 0.15), (x, y + s * 0.9)])
        y -= s * 0.1
    elif shape == "moon":
        c.circle(fill, (x, y), s * 0.9)
        # A crescent: a bite out of the top right, the initials in the full part.
        c.circle(bg, (x + s * 0.62, y - s * 0.55), s * 0.42)
        x -= s * 0.12
        y += s * 0.12
    elif shape == "leaf":
        c.ellipse(fill, (x - s * 0.7, y - s * 0.95, s * 1.4, s * 1.9))
    else:  # circle
        c.circle(fill, (x, y), s * 0.9)
    ink = ink_on(fill)
    text_size = s * (0.62 if len(p.initials) > 2 else 0.78)
    c.text(p.initials, (x, y), size=text_size, bold=True, color=ink)


class PatientPickerScene(Scene):
    """Big tiles, one per patient; arrows or a click to move, Space or a squeeze to choose."""

    def __init__(self) -> None:
        self.focus = 0
        self.top_row = 0
        self.scanner = Scanner()

    def enter(self) -> None:
        self.switch = ChoiceSwitch(self.ctx)
        self.reload()

    def resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.profiles = Profiles(self.ctx.store)
        self.patients = self.profiles.list()
        ids = [p.id for p in self.patients]
        if self.ctx.patient_id in ids:
            self.focus = ids.index(self.ctx.patient_id)
        self.focus = min(self.focus, max(0, len(self.patients) - 1))
        self.levels: dict[int, str] = {}
        for p in self.patients:
            self.levels[p.id] = _level_title(p, self.ctx.level_dirs)
        self._scroll()

    def _scroll(self) -> None:
        row = self.focus // COLUMNS
        if row < self.top_row:
            self.top_row = row
        elif row >= self.top_row + ROWS:
            self.top_row = row - ROWS + 1

    def _tile(self, i: int) -> LRect:
        col, row = i % COLUMNS, i // COLUMNS - self.top_row
        return LRect(GRID_X + col * (TILE_W + 20), GRID_Y + row * (TILE_H + 24), TILE_W, TILE_H)

    def _visible(self) -> range:
        return range(self.top_row * COLUMNS, min(len(self.patients), (self.top_row + ROWS) * COLUMNS))

    def _move(self, d: int) -> None:
        if self.patients:
            self.focus = max(0, min(len(self.patients) - 1, self.focus + d))
            self._scroll()

    def choose(self) -> Transition:
        if not self.patients:
            return None
        p = self.patients[self.focus]
        select_patient(self.ctx, p.id)
        return Push(PatientProfileScene(p.id))

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples):
            return self.choose()
        return None

    def update(self, dt: float) -> Transition:
        # Switch scanning: the frame walks the tiles (and round again) until a squeeze chooses.
        if self.patients and self.scanner.tick(dt, scan_every(self.ctx), first=self.focus == 0,
                                               holding=self.switch.building):
            self.focus = (self.focus + 1) % len(self.patients)
            self._scroll()
            self.ctx.speech.say(self.patients[self.focus].name)
        return None

    def handle(self, action: Action) -> Transition:
        k = action.kind
        if k in (Act.LEFT, Act.RIGHT, Act.UP, Act.DOWN):
            self.scanner.stop()
        if k is Act.BACK:
            return Pop()
        step = grid_step(k)
        if step is not None:
            self._move(step)
        elif k is Act.CONFIRM:
            return self.choose()
        elif k is Act.CLICK and action.pos is not None:
            for i in self._visible():
                if self._tile(i).contains(action.pos):
                    self.focus = i
                    return self.choose()
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Who is playing?"), (640, 72), size=56, bold=True)
        if not self.patients:
            c.paragraph(_("No patients yet. A therapist adds one with: main.py patients add NAME"), (640, 320), 900,
                        size=32)
        for i in self._visible():
            p = self.patients[i]
            r = self._tile(i)
            focused = i == self.focus
            c.rect(Theme.PANEL_HI if focused else Theme.PANEL, r, radius=18)
            if focused:
                c.rect(Theme.FOCUS, r.inflate(6), radius=22, width=6)
            draw_tile_badge(c, p, (r.center[0], r.y + 82), 56, Theme.PANEL_HI if focused else Theme.PANEL)
            if p.id == self.ctx.patient_id:
                draw_tick(c, (r.x + r.w - 30, r.y + 30), 34)
            c.text(ellipsize(c, p.name, 30, r.w - 24), (r.center[0], r.y + 168), size=30, bold=True)
            c.text(ellipsize(c, self.levels.get(p.id, ""), 21, r.w - 24), (r.center[0], r.y + 204), size=21,
                   color=Theme.TEXT_DIM)
        if self.top_row > 0:
            c.polygon(Theme.TEXT, [(622, 128), (658, 128), (640, 110)])
        if (self.top_row + ROWS) * COLUMNS < len(self.patients):
            c.polygon(Theme.TEXT, [(622, 630), (658, 630), (640, 648)])
        draw_choose_hint(c, self.scanner.active, (640, 686), size=24)


def _level_title(p: Profile, dirs: tuple) -> str:
    from game.levels import level_dirs, load_level, resolve_level

    if not p.level:
        return _("Default program")
    path = resolve_level(p.level, dirs or level_dirs(None))
    if path is None:
        return _("Program file missing")
    loaded = load_level(path)
    return loaded.level.name if loaded.ok and loaded.level else _("Program has a problem")


def select_patient(ctx, patient_id: int) -> Profile:  # noqa: ANN001
    """Make this patient the one playing: their program, hand and calibration note."""
    from game.levels import level_dirs

    profiles = Profiles(ctx.store)
    p = profiles.select(patient_id)
    ctx.patient_id = p.id
    ctx.plan, _path, ctx.level_note = plan_for(p, ctx.level_dirs or level_dirs(None))
    ctx.play.hand = p.hand
    apply_patient_settings(ctx)  # their scan pace, text size, volumes and voice
    return p


class PatientProfileScene(Scene):
    """One patient: program, hand, calibration; change the program or hand here."""

    def __init__(self, patient_id: int) -> None:
        self.patient_id = patient_id
        self.confirm_archive = False

    def enter(self) -> None:
        self.switch = ChoiceSwitch(self.ctx)
        self.reload()

    def resume(self) -> None:
        self.reload()

    def update(self, dt: float) -> Transition:
        self.buttons.scan(dt, self.ctx, self.switch)
        return None

    def reload(self) -> None:
        profiles = Profiles(self.ctx.store)
        self.p = profiles.get(self.patient_id)
        self.level_title = _level_title(self.p, self.ctx.level_dirs)
        self.calibration = profiles.calibration(self.p)
        buttons = [Button("done", _("Done"), LRect(70, 560, 210, 110))]
        if not self.ctx.kiosk:  # in the clinic kiosk, changes are for staff only
            buttons += [
                Button("program", _("Program"), LRect(300, 560, 210, 110)),
                Button("hand", _("Hand"), LRect(530, 560, 210, 110)),
                Button("language", _("Language"), LRect(760, 560, 210, 110)),
                # Archiving is the therapist's job: the moving frame never stops on it.
                Button("archive", _("Press again") if self.confirm_archive else _("Archive"),
                       LRect(990, 560, 220, 110), scan=False),
            ]
        old = getattr(self, "buttons", None)
        focus = old.focus if old is not None and old.focus < len(buttons) else 0
        self.buttons = ButtonGroup(buttons, focus=focus)
        if old is not None:
            self.buttons.scanner = old.scanner  # a change on this screen keeps the frame where it was

    def _do(self, chosen: str | None) -> Transition:
        if chosen is None:
            return None
        if chosen != "archive":
            self.confirm_archive = False
        if chosen == "done":
            from game.scenes.title import TitleScene

            return PopTo(TitleScene)
        if chosen == "program":
            from game.scenes.levels import LevelPickerScene

            return Push(LevelPickerScene())
        profiles = Profiles(self.ctx.store, where="patient screen")
        if chosen == "hand":
            return ask_hand_change(self.ctx, self.p, profiles, self.reload)
        if chosen == "language":
            return ask_language_change(self.ctx, self.p, self.reload, where="patient screen")
        elif chosen == "archive":
            if not self.confirm_archive:
                self.confirm_archive = True  # a second press, so one slip never hides a patient
            else:
                try:
                    profiles.archive(self.p.id)
                except ProfileError:  # a simulator or trace-file run changes no profile
                    self.confirm_archive = False
                    self.reload()
                    return None
                self._after_archive(profiles)
                return Pop()
        self.reload()
        return None

    def _after_archive(self, profiles: Profiles) -> None:
        if self.ctx.patient_id == self.p.id:
            nxt = profiles.current()
            try:
                select_patient(self.ctx, nxt.id if nxt else self.ctx.store.ensure_patient())
            except ProfileError:
                pass

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples):
            return self._do(self.buttons.choose_focused())
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        return self._do(self.buttons.handle(action))

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        p = self.p
        c.rect(Theme.PANEL, LRect(70, 60, 1140, 460), radius=22)
        draw_tile_badge(c, p, (240, 250), 110)
        c.text(ellipsize(c, p.name, 52, 760), (420, 120), size=52, bold=True, anchor="midleft")
        rows = [
            (_("Program"), self.level_title),
            (_("Hand"), hand_words(p.hand)),
            (_("Strongest squeeze"), _("Measured") if self.calibration else _("Not measured yet")),
            (_("Language"), patient_language_words(p)),
        ]
        y = 190
        for label, value in rows:
            c.text(label, (420, y), size=fit_size(c, label, 28, 270), color=Theme.TEXT_DIM, anchor="midleft")
            c.text(ellipsize(c, value, 32, 480), (700, y), size=32, bold=True, anchor="midleft")
            y += 56
        note = self.ctx.level_note if self.ctx.patient_id == p.id else ""
        if note:
            c.paragraph(note, (420, y - 10), 760, size=22, color=Theme.FOCUS, anchor="topleft")
        elif self.confirm_archive:
            c.paragraph(_("Press Archive again to hide {name} from the list. Their records are kept.").format(name=p.name),
                        (420, y - 10), 760, size=24, color=Theme.FOCUS, anchor="topleft")
        self.buttons.draw(c, size=36)


def ask_hand_change(ctx, p: Profile, profiles: Profiles, after: Callable[[], None]) -> Transition:  # noqa: ANN001
    """"Change Ann's hand to left?" Yes / No; Yes saves it (an event row records it) and plays with it.
    In a simulator or trace-file run the hand changes for that run only."""
    from game.scenes.confirm import ConfirmScene

    new = "left" if p.hand == "right" else "right"

    def change() -> None:
        try:
            profiles.set_hand(p.id, new)
        except ProfileError:
            if profiles_held(ctx.store) is None:
                raise
            if ctx.patient_id == p.id:
                ctx.play.hand = new  # this run only: the stored profile is left as it was
                ctx.access = replace(ctx.access, hand=new)
            after()
            return
        if ctx.patient_id == p.id:
            select_patient(ctx, p.id)
        after()

    question = (_("Change {name}'s hand to left?") if new == "left" else _("Change {name}'s hand to right?"))
    return Push(ConfirmScene(question.format(name=p.name), change, before=hand_words(p.hand), after=hand_words(new)))


def hand_words(hand: str) -> str:
    """'Left hand' / 'Right hand' in the patient's language."""
    return _("Left hand") if hand == "left" else _("Right hand")


def patient_language_words(p: Profile) -> str:
    """The patient's language as they would name it, or 'Automatic (English)' when it follows the computer."""
    from game.i18n import system_language

    code = p.settings.get("language", "auto") if isinstance(p.settings, dict) else "auto"
    if code in (None, "", "auto"):
        return _("Automatic ({language})").format(language=language_name(system_language()))
    return language_name(code)


def ask_language_change(ctx, p: Profile, after: Callable[[], None], *, where: str) -> Transition:  # noqa: ANN001
    """"Change Ann's language to Deutsch?" Yes / No: the next language in the list (Automatic, English,
    Español, Deutsch, 中文); Yes saves it in the profile (an event row records it) and, for the patient
    playing, the screens change to it at once. A simulator or trace-file run changes it for that run only."""
    from game.scenes.confirm import ConfirmScene
    from game.settings import AccessSettings, save_access

    access = AccessSettings.from_profile(p.settings if isinstance(p.settings, dict) else {}, p.hand)
    new = access.next_choice("language")
    after_words = language_name(new) if new != "auto" else _("Automatic")

    def change() -> None:
        try:
            save_access(ctx.store, p.id, "language", new, where=where)
        except ProfileError:
            if profiles_held(ctx.store) is None:
                raise
            if ctx.patient_id == p.id:  # this run only: the stored profile is left as it was
                from game.settings import apply_access

                apply_access(ctx, ctx.access.with_value("language", new))
            after()
            return
        if ctx.patient_id == p.id:
            select_patient(ctx, p.id)
        after()

    question = _("Change {name}'s language to {language}?").format(name=p.name, language=after_words)
    return Push(ConfirmScene(question, change, before=patient_language_words(p), after=after_words))


def who_and_program_buttons(ctx) -> list[Button]:  # noqa: ANN001
    """The title screen's way to the patient picker and the program picker."""
    from game.profiles import ProfileError as _PE

    try:
        name = Profiles(ctx.store).get(ctx.patient_id).name
    except _PE:
        name = _("Choose")
    name = name if len(name) <= 16 else name[:15] + "…"
    plan = _(ctx.plan.name)  # a level file's own name passes through unchanged
    plan = plan if len(plan) <= 16 else plan[:15] + "…"
    buttons = [Button("who", name, LRect(20, 16, 290, 86), size=28, note=_("who is playing"))]
    if not ctx.kiosk:  # in the clinic kiosk, programs are assigned by staff
        buttons.append(Button("program", plan, LRect(970, 16, 290, 86), size=28,
                              note=_("program (has a problem)") if ctx.level_note else _("program")))
    return buttons
