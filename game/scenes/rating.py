"""How does your hand feel? Pain, then tiredness, on a 0-10 scale of faces.

A rating is chosen, then confirmed: "Pain 2. Is that right?" Yes / Change. Only
the confirmed value is saved, so a squeeze that came late (the frame had moved
on to the next face) or a slip of a key is caught before it reaches the record.

The frame walks by itself only when switch scanning is on for the patient (the
"Moving frame" setting: with the ball, or always); then a squeeze chooses the
lit face and, on the question, the lit answer. Arrow keys move the frame (and
stop its walking), Space or Enter chooses, a click chooses the face or answer
under the pointer. After "Change" the frame starts again one face before the
one chosen: a late squeeze was usually meant for that one.
"""

from __future__ import annotations

from collections.abc import Callable

from game.i18n import N_, _
from game.input import Act, Action
from game.scene import Pop, Scene, Transition
from game.settings import scan_every
from game.ui import Canvas, LRect, Theme, draw_tick
from game.widgets import Button, ButtonGroup, ChoiceSwitch, Scanner, draw_frame_icon, draw_hint, fit_size
from hardware.sample import Sample

SCAN_S = 1.6  # the patient's default scan step (their own "Frame speed" is used)
SETTLE_S = 1.0  # a squeeze counts only after this long (the last rep's release cannot choose)
FACE_W, FACE_Y = 108, 380
QUESTIONS = {
    "pain": (N_("How much does your hand hurt?"), N_("no pain"), N_("worst pain")),
    "fatigue": (N_("How tired is your hand?"), N_("not tired"), N_("very tired")),
}
NAMES = {"pain": N_("Pain"), "fatigue": N_("Tiredness")}
# "Pain 7": the rating's name with its number, as one phrase a language may order its own way.
RATED = {"pain": N_("Pain {n}"), "fatigue": N_("Tiredness {n}")}
YES_RECT, CHANGE_RECT = LRect(300, 470, 320, 120), LRect(660, 470, 320, 120)


def face_rect(i: int) -> LRect:
    return LRect(46 + i * FACE_W, FACE_Y - 70, FACE_W - 12, 190)


def face_colour(v: int) -> tuple[int, int, int]:
    return Theme.SUCCESS if v <= 3 else (Theme.FOCUS if v <= 6 else Theme.NEAR)


def _change_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    """'Change': an arrow turning back (drawn: the font has no arrow glyphs)."""
    x, y = center
    w = max(3.0, size * 0.12)
    c.arc(Theme.TEXT, (x - size * 0.35, y - size * 0.35, size * 0.7, size * 0.7), -1.2, 3.3, w)
    c.polygon(Theme.TEXT, [(x + size * 0.1, y - size * 0.5), (x + size * 0.42, y - size * 0.33),
                           (x + size * 0.1, y - size * 0.12)])


class RatingScene(Scene):
    def __init__(self, when: str, on_done: Callable[[int, int], None]) -> None:
        self.when = when  # "before" or "after"
        self.on_done = on_done
        self.answers: dict[str, int] = {}
        self.question = "pain"
        self.focus = 0
        self.scan_from = 0  # the face the walking frame starts on (lit a little longer)
        self.proposed: int | None = None  # chosen, waiting for "Yes" or "Change"
        self.shown_for = 0.0
        self.scanner = Scanner()

    def enter(self) -> None:
        self.switch = ChoiceSwitch(self.ctx)
        self.ctx.speech.say(QUESTIONS[self.question][0])

    @property
    def scanning(self) -> bool:
        return self.scanner.active if self.proposed is None else self.buttons.scanning

    @property
    def lit(self) -> str:
        """What the frame is on: a face ("0".."10"), or "yes"/"change" on the question."""
        return str(self.focus) if self.proposed is None else self.buttons.focused.id

    def _propose(self, value: int) -> Transition:
        self.proposed = value
        self.focus = value
        self.shown_for = 0.0  # the squeeze that chose must let go, and time passes, before one answers
        self.buttons = ButtonGroup([Button("yes", _("Yes"), YES_RECT, icon=draw_tick),
                                    Button("change", _("Change"), CHANGE_RECT, icon=_change_icon)])
        if self.scanner.stopped:
            self.buttons.scanner.stop()  # the arrows took over: they stay in charge
        self.ctx.speech.say(_(RATED[self.question]).format(n=value) + ". " + _("Is that right?"))
        return None

    def _answer(self, chosen: str | None) -> Transition:
        if chosen == "change":
            value = self.proposed if self.proposed is not None else 0
            self.proposed = None
            self.shown_for = 0.0
            self.focus = self.scan_from = max(0, value - 1)
            self.scanner.restart()
            self.ctx.speech.say(QUESTIONS[self.question][0])
            return None
        if chosen != "yes" or self.proposed is None:
            return None
        self.answers[self.question] = self.proposed
        self.proposed = None
        if self.question == "pain":
            self.question = "fatigue"
            self.focus = self.scan_from = 0
            self.shown_for = 0.0
            self.scanner.restart()
            self.ctx.speech.say(QUESTIONS[self.question][0])
            return None
        self.on_done(self.answers["pain"], self.answers["fatigue"])
        return Pop()

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples) and self.shown_for >= SETTLE_S:
            if self.proposed is None:
                return self._propose(self.focus)
            return self._answer(self.buttons.choose_focused())
        return None

    def handle(self, action: Action) -> Transition:
        k = action.kind
        if self.proposed is not None:
            if k in (Act.BACK, Act.PAUSE):
                return self._answer("change")
            return self._answer(self.buttons.handle(action))
        if k in (Act.LEFT, Act.RIGHT):
            self.scanner.stop()
            self.focus = max(0, min(10, self.focus + (1 if k is Act.RIGHT else -1)))
        elif k is Act.CONFIRM:
            return self._propose(self.focus)
        elif k is Act.CLICK and action.pos is not None:
            for i in range(11):
                if face_rect(i).contains(action.pos):
                    return self._propose(i)
        return None

    def update(self, dt: float) -> Transition:
        self.shown_for += dt
        # The frame walks only when switch scanning is on for this patient (with the ball, or always),
        # at the patient's own pace; it stands still while a squeeze is building.
        every = scan_every(self.ctx)
        # Nothing can be chosen in the first SETTLE_S (the hand is letting go): the frame waits too.
        settling = self.shown_for < SETTLE_S
        if self.proposed is not None:
            if not settling:
                self.buttons.scan(dt, self.ctx, self.switch)
            return None
        if self.scanner.tick(dt, every, first=self.focus == self.scan_from,
                             holding=self.switch.building or settling):
            self.focus = (self.focus + 1) % 11
            self.ctx.speech.say(str(self.focus))
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        title, low, high = (_(s) for s in QUESTIONS[self.question])
        c.text(_("Before we start") if self.when == "before" else _("All done. One last thing"), (640, 70), size=34,
               color=Theme.TEXT_DIM)
        if self.proposed is not None:
            self._draw_confirm(c, title)
            return
        c.text(title, (640, 150), size=fit_size(c, title, 58, 1200, bold=True), bold=True)
        for i in range(11):
            self._draw_face(c, i, i == self.focus)
        c.text(low, (face_rect(0).center[0], FACE_Y + 150), size=fit_size(c, low, 26, 190), anchor="midtop")
        c.text(high, (face_rect(10).center[0], FACE_Y + 150), size=fit_size(c, high, 26, 190), anchor="midtop")
        hint = _("Squeeze when the yellow frame is on your answer") if self.scanning else _("Space or Enter to choose")
        draw_hint(c, hint, (640, 610), size=32, icon=draw_frame_icon if self.scanning else None)
        c.text(_("or click a face. Arrows move the frame."), (640, 655), size=26, color=Theme.TEXT_DIM)

    def _draw_confirm(self, c: Canvas, title: str) -> None:
        assert self.proposed is not None
        c.text(title, (640, 130), size=36, color=Theme.TEXT_DIM)
        # The chosen face, big, with its number and the words: what will be saved.
        self._draw_face(c, self.proposed, False, center=(420, 300), scale=1.5)
        rated = _(RATED[self.question]).format(n=self.proposed)
        c.text(rated, (560, 270), size=fit_size(c, rated, 72, 680, bold=True), bold=True, anchor="midleft")
        c.text(_("Is that right?"), (560, 345), size=fit_size(c, _("Is that right?"), 44, 680), anchor="midleft")
        self.buttons.draw(c, size=48)
        hint = (_("Squeeze when the yellow frame is on your answer") if self.buttons.scanning
                else _("Space or Enter to choose, or click"))
        draw_hint(c, hint, (640, 650), size=30, icon=draw_frame_icon if self.buttons.scanning else None)

    def _draw_face(self, c: Canvas, v: int, focused: bool, *, center: tuple[float, float] | None = None,
                   scale: float = 1.0) -> None:
        """Face ``v`` on its tile in the row, or alone (no tile, no number) at ``center``, ``scale`` times bigger."""
        k = scale
        if center is None:
            r = face_rect(v)
            cx, cy = r.center[0], FACE_Y
            c.rect(Theme.PANEL_HI if focused else Theme.PANEL, r, radius=16)
            if focused:
                c.rect(Theme.FOCUS, r.inflate(6), radius=20, width=6)
            c.text(str(v), (cx, FACE_Y + 80), size=40, bold=True)
        else:
            cx, cy = center
        c.circle(face_colour(v), (cx, cy), 38 * k)
        c.circle(Theme.DARK_TEXT, (cx - 13 * k, cy - 10 * k), 5 * k)
        c.circle(Theme.DARK_TEXT, (cx + 13 * k, cy - 10 * k), 5 * k)
        # The mouth goes from a smile (0) through flat (5) to a frown (10): shape, not only colour.
        bend = (5 - v) / 5.0
        pts = [(cx + k * (-18 + 36 * j / 8), cy + k * (14 + bend * 10 * (1 - ((j - 4) / 4) ** 2))) for j in range(9)]
        c.lines(Theme.DARK_TEXT, pts, width=4 * k)
        if v >= 7:  # a worried brow for strong pain
            # inner ends up: worried, not cross
            c.line(Theme.DARK_TEXT, (cx - 20 * k, cy - 18 * k), (cx - 6 * k, cy - 25 * k), 3 * k)
            c.line(Theme.DARK_TEXT, (cx + 20 * k, cy - 18 * k), (cx + 6 * k, cy - 25 * k), 3 * k)
