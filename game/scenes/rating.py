"""How does your hand feel? Pain, then tiredness, on a 0-10 scale of faces.

Chosen with the ball alone: the highlight walks slowly along the faces and a
squeeze picks the one it is on. Arrow keys move it (and stop the walking), Space
or Enter picks, a click picks the face under the pointer.
"""

from __future__ import annotations

from collections.abc import Callable

from game.input import Act, Action
from game.scene import Pop, Scene, Transition
from game.settings import scan_every
from game.ui import Canvas, LRect, Theme
from game.widgets import ChoiceSwitch, draw_frame_icon, draw_hint
from hardware.sample import Sample

SCAN_S = 1.6  # the highlight moves on every this many seconds
SETTLE_S = 1.0  # a squeeze counts only after this long (the last rep's release cannot choose)
FACE_W, FACE_Y = 108, 380
QUESTIONS = {
    "pain": ("How much does your hand hurt?", "no pain", "worst pain"),
    "fatigue": ("How tired is your hand?", "not tired", "very tired"),
}


def face_rect(i: int) -> LRect:
    return LRect(46 + i * FACE_W, FACE_Y - 70, FACE_W - 12, 190)


def face_colour(v: int) -> tuple[int, int, int]:
    return Theme.SUCCESS if v <= 3 else (Theme.FOCUS if v <= 6 else Theme.NEAR)


class RatingScene(Scene):
    def __init__(self, when: str, on_done: Callable[[int, int], None]) -> None:
        self.when = when  # "before" or "after"
        self.on_done = on_done
        self.answers: dict[str, int] = {}
        self.question = "pain"
        self.focus = 0
        self.scanning = True
        self.t = 0.0
        self.shown_for = 0.0

    def enter(self) -> None:
        self.switch = ChoiceSwitch(self.ctx)
        self.ctx.speech.say(QUESTIONS[self.question][0])

    def _choose(self, value: int) -> Transition:
        self.answers[self.question] = value
        if self.question == "pain":
            self.question = "fatigue"
            self.focus, self.t, self.shown_for, self.scanning = 0, 0.0, 0.0, True
            self.ctx.speech.say(QUESTIONS[self.question][0])
            return None
        self.on_done(self.answers["pain"], self.answers["fatigue"])
        return Pop()

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples) and self.shown_for >= SETTLE_S:
            return self._choose(self.focus)
        return None

    def handle(self, action: Action) -> Transition:
        k = action.kind
        if k in (Act.LEFT, Act.RIGHT):
            self.scanning = False
            self.focus = max(0, min(10, self.focus + (1 if k is Act.RIGHT else -1)))
        elif k is Act.CONFIRM:
            return self._choose(self.focus)
        elif k is Act.CLICK and action.pos is not None:
            for i in range(11):
                if face_rect(i).contains(action.pos):
                    return self._choose(i)
        return None

    def update(self, dt: float) -> Transition:
        self.shown_for += dt
        if self.scanning and not self.switch.building:
            # The patient's own scan pace (the rating always walks, even with the keyboard: arrows stop it).
            every = scan_every(self.ctx) or SCAN_S
            self.t += dt
            focus = int(self.t // every) % 11
            if focus != self.focus:
                self.focus = focus
                self.ctx.speech.say(str(focus))
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        title, low, high = QUESTIONS[self.question]
        c.text("Before we start" if self.when == "before" else "All done. One last thing", (640, 70), size=34,
               color=Theme.TEXT_DIM)
        c.text(title, (640, 150), size=58, bold=True)
        for i in range(11):
            self._draw_face(c, i, i == self.focus)
        c.text(low, (face_rect(0).center[0], FACE_Y + 150), size=26, anchor="midtop")
        c.text(high, (face_rect(10).center[0], FACE_Y + 150), size=26, anchor="midtop")
        hint = "Squeeze when the yellow frame is on your answer" if self.scanning else "Space or Enter to choose"
        draw_hint(c, hint, (640, 610), size=32, icon=draw_frame_icon if self.scanning else None)
        c.text("or click a face. Arrows move the frame.", (640, 655), size=26, color=Theme.TEXT_DIM)

    def _draw_face(self, c: Canvas, v: int, focused: bool) -> None:
        r = face_rect(v)
        cx, cy = r.center[0], FACE_Y
        c.rect(Theme.PANEL_HI if focused else Theme.PANEL, r, radius=16)
        if focused:
            c.rect(Theme.FOCUS, r.inflate(6), radius=20, width=6)
        c.circle(face_colour(v), (cx, cy), 38)
        c.circle(Theme.DARK_TEXT, (cx - 13, cy - 10), 5)
        c.circle(Theme.DARK_TEXT, (cx + 13, cy - 10), 5)
        # The mouth goes from a smile (0) through flat (5) to a frown (10): shape, not only colour.
        bend = (5 - v) / 5.0
        pts = [(cx - 18 + 36 * k / 8, cy + 14 + bend * 10 * (1 - ((k - 4) / 4) ** 2)) for k in range(9)]
        c.lines(Theme.DARK_TEXT, pts, width=4)
        if v >= 7:  # a worried brow for strong pain
            c.line(Theme.DARK_TEXT, (cx - 20, cy - 18), (cx - 6, cy - 25), 3)  # inner ends up: worried, not cross
            c.line(Theme.DARK_TEXT, (cx + 20, cy - 18), (cx + 6, cy - 25), 3)
        c.text(str(v), (cx, FACE_Y + 80), size=40, bold=True)
