"""What every mini-game shares: its settings, its rep detector, the HUD, the demonstration.

A game is one module with one :class:`MiniGame` subclass. The base owns the flow
(feed samples to the detector, keep the reps, show feedback, finish the set) so a
game only builds its world: ``on_rep`` turns each counted rep into one clear game
event, ``step_world`` moves things on, ``draw`` draws them, ``draw_demo`` shows the
hand movement before the first set.

The detector is duck-typed (:class:`RepDetector`): the force games use
:class:`~game.therapy.force_reps.ForceRepDetector`, the rolling games override
:meth:`MiniGame.make_detector` to return their roll detector. Anything with
``feed(samples) -> reps`` whose reps carry ``number``, ``success``, ``failure`` and
``as_record()`` fits.

**Stages** (issue 17): every game has five stages that open with practice (the rules:
:mod:`game.therapy.stages`; counted from the records by :mod:`game.journey`). The play
scene passes the stage as a number, ``GameSetup.stage`` (1..5); the game turns it into a
:class:`StageLook` from its ``stages`` class variable and draws with ``self.stage``. A
look holds drawing parameters only (a name, colours, a twist word naming what is drawn),
so a stage can never change the target, hold, pace, reps or the detector's settings:
those come from the setup alone (``force_settings``, ``make_detector``), before the look
is chosen. To adopt stages in a new game:

1. give the class ``stages = (StageLook(N_("Spring"), {"sky": (...)}, "blossom"), ...)``,
   five of them (fewer repeat the last; none keeps the game's plain look);
2. draw with ``self.stage.color("sky", DEFAULT)`` and branch on ``self.stage.twist``;
3. draw the static scenery of a stage (sky, far hills: whatever does not move) through
   :meth:`MiniGame.draw_backdrop`, which caches it per game, stage, window size and hand.

**Rewards**: ``self.rewards`` gets one :class:`Reward` per *successful* rep and nothing
for a failed one (CLINICAL.md: reward success; a near miss gets kind words, not a prize).
Particles, chimes and collection pieces hang off these, never off ``self.reps``.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import pygame

from game.effects import GameFeel, ease_out_cubic
from game.i18n import N_, _, ngettext
from game.shape_group import draw_discs, draw_group
from game.therapy.calibration import Calibration
from game.therapy.force_reps import EXERCISE_TIMINGS, ForceRepDetector, ForceRepSettings
from game.ui import LOGICAL_H, LOGICAL_W, Canvas, Color, LRect, Theme, draw_cross, draw_hand, draw_tick
from game.widgets import fit_size  # shrink-to-fit for longer words (German)
from hardware.sample import Sample

if TYPE_CHECKING:
    from game.program import ExercisePlan

FEEDBACK = {
    None: N_("Great!"),
    "below_target": N_("Almost! A little stronger."),
    "hold_too_short": N_("Good! Hold a bit longer."),
    "slow_release": N_("Good! Now open your hand."),
    "no_full_release": N_("Open your hand wide."),
}
NEAR_MISS_DEFAULT = N_("Almost! Try again.")


def rep_count_word(rep_word: str, n: int) -> str:
    """A game's word for its reps ("squeezes", "rolls"...) in the language's form for ``n`` of them."""
    forms = {
        "squeezes": lambda: ngettext("squeeze", "squeezes", n),
        "presses": lambda: ngettext("press", "presses", n),
        "pinches": lambda: ngettext("pinch", "pinches", n),
        "rolls": lambda: ngettext("roll", "rolls", n),
        "strokes": lambda: ngettext("stroke", "strokes", n),
        "circles": lambda: ngettext("circle", "circles", n),
    }
    return forms[rep_word]() if rep_word in forms else _(rep_word)
FEEDBACK_S = 2.0  # how long the success / near-miss banner stays up
FINISH_DELAY_S = 1.5  # the last rep's event plays out before the results screen

SIGNAL_BAR = LRect(1180, 150, 56, 440)  # the live signal, for the right hand (mirrored for the left)

SKIN: Color = (250, 214, 180)
SKIN_SHADE: Color = (222, 176, 140)
BALL: Color = Theme.NEAR


class Rep(Protocol):
    """One counted repetition, whatever the channel (force or roll)."""

    number: int
    success: bool
    failure: Any  # an Enum with ``.value`` (or a plain string), None on success

    def as_record(self) -> dict: ...


class RepDetector(Protocol):
    settings: Any

    def feed(self, samples: list[Sample]) -> list[Any]: ...


@dataclass(frozen=True)
class StageLook:
    """How one stage of a game is drawn: a name, colours and a twist. Drawing only.

    ``name`` is marked with ``N_`` and translated where drawn; ``palette`` maps a game's
    own colour names to RGB; ``twist`` names what the stage draws differently (e.g.
    ``"snow"``, ``"shells"``). Nothing here is a number the therapy could read: the
    check below refuses anything in the palette that is not a colour."""

    name: str
    palette: Mapping[str, Color] = field(default_factory=dict)
    twist: str = ""

    def __post_init__(self) -> None:
        for key, value in self.palette.items():
            ok = isinstance(value, tuple) and len(value) == 3 and all(isinstance(v, int) and 0 <= v <= 255
                                                                       for v in value)
            if not ok:
                raise ValueError(f"stage {self.name!r}: palette[{key!r}] must be an RGB colour, got {value!r}")

    def color(self, key: str, default: Color) -> Color:
        return self.palette.get(key, default)


PLAIN_STAGE = StageLook("")


@dataclass(frozen=True)
class Reward:
    """A successful rep's reward moment (a star, a chime, a piece of the collection)."""

    t: float  # game time
    rep_number: int


BACKDROP_CACHE = 3  # static scenery surfaces kept (one full window each: ~8 MB at 1920x1080)
_backdrops: OrderedDict[tuple, pygame.Surface] = OrderedDict()
# draw_backdrop(still=...): the scenery with what lies still on it this frame (one full window),
# the key it was painted for, the drawing calls it holds, and the key seen on the last frame.
_still: dict[str, Any] = {"key": None, "surf": None, "hits": None, "seen": None}


@dataclass
class GameSetup:
    calibration: Calibration
    detector: ForceRepSettings
    reps_target: int
    rng: random.Random
    hand: str = "right"
    rest_between_reps_s: float = 2.5
    extra: dict = field(default_factory=dict)
    # The prescription this set is played from (finger pairs, roll target, timing
    # overrides); None when played straight from the menu with default settings.
    plan: ExercisePlan | None = None
    set_number: int = 1
    # The stage this set is drawn at (1..5, from the patient's practice): drawing only.
    stage: int = 1


@dataclass
class Feedback:
    text: str
    success: bool
    until: float


def failure_key(rep: Any) -> str | None:
    """The failure reason of any detector's rep as a plain string (None = success)."""
    f = getattr(rep, "failure", None)
    return None if f is None else str(getattr(f, "value", f))


def effort_curve(phase: float, rise: float = 0.25, hold: float = 0.3, release: float = 0.25) -> float:
    """0..1 effort of one demonstrated rep over a cycle phase 0..1 (smooth ramps, then rest)."""
    phase %= 1.0
    if phase < rise:
        return 0.5 - 0.5 * math.cos(math.pi * phase / rise)
    if phase < rise + hold:
        return 1.0
    if phase < rise + hold + release:
        return 0.5 + 0.5 * math.cos(math.pi * (phase - rise - hold) / release)
    return 0.0


class MiniGame:
    """Base for the eight games. Subclasses implement the world; reps come from the detector."""

    exercise: ClassVar[str]
    title: ClassVar[str]
    instruction: ClassVar[str]  # one plain line, shown under the game
    rep_word: ClassVar[str] = N_("squeezes")  # the HUD says "3 / 10 squeezes"
    channel: ClassVar[str] = "force"  # "force" or "roll"
    # Feedback words for this game, by failure reason (None = success); falls back to FEEDBACK.
    feedback_words: ClassVar[dict[str | None, str]] = {}
    demo_caption: ClassVar[str] = N_("Watch, then do the same.")
    demo_cycle_s: ClassVar[float] = 3.0  # one demonstrated rep
    demo_cycles: ClassVar[int] = 3  # the demonstration ends by itself after this many
    hint_at: ClassVar[tuple[float, float]] = (780, 558)  # where the hint sits in the (right-hand) world
    # The game's stages, first to last (see the module docstring); empty: one plain look.
    stages: ClassVar[tuple[StageLook, ...]] = ()

    def __init__(self, setup: GameSetup) -> None:
        self.setup = setup
        self.detector = self.make_detector(setup)
        self.t = 0.0
        self.reps: list[Any] = []
        self.feedback: Feedback | None = None
        self.finished = False
        self._done_at: float | None = None
        self.last_sample_t: float | None = None
        self.cues_given = 0  # how many times the game has asked for a rep (the scene plays "your turn")
        # Sparks, the squeeze's charge, the end-of-set celebration: their randomness is drawn from
        # the set's seed without consuming the scenery's random numbers.
        self.feel = GameFeel(random.Random(hash(setup.rng.getstate()[1][1:9])))
        self.rewards: list[Reward] = []  # one per successful rep, never for a failed one
        # The look of this stage, chosen after the detector: it holds colours and names only.
        self.stage_number = max(1, int(setup.stage))
        self.stage: StageLook = self.look_for(self.stage_number)

    @classmethod
    def look_for(cls, stage: int) -> StageLook:
        """The look of stage ``stage`` (1-based); past the last, the last; none: the plain look."""
        if not cls.stages:
            return PLAIN_STAGE
        return cls.stages[max(1, min(stage, len(cls.stages))) - 1]

    # ------------------------------------------------------------ settings
    @classmethod
    def force_settings(cls, setup: GameSetup) -> ForceRepSettings:
        """The setup's target and hold, with this exercise's timings and the plan's overrides."""
        s = setup.detector
        # The exercise's own timings (a quick finger press is not a slow power grip);
        # the plan's ``detector`` overrides from the level file win over these.
        defaults = EXERCISE_TIMINGS.get(cls.exercise)
        if defaults:
            s = replace(s, **defaults)
        if setup.plan is not None and setup.plan.detector:
            s = replace(s, **setup.plan.detector)
        return s

    def make_detector(self, setup: GameSetup) -> RepDetector:
        """The rep detector for this exercise; rolling games return their roll detector."""
        return ForceRepDetector(setup.calibration, self.force_settings(setup))

    def retune(self, **changes: Any) -> None:
        """Difficulty hook: change target, hold or timings; takes effect from the next rep."""
        self.detector.set_settings(replace(self.detector.settings, **changes))

    # ---------------------------------------------------------------- flow
    @property
    def reps_done(self) -> int:
        return len(self.reps)

    @property
    def successes(self) -> int:
        return sum(bool(r.success) for r in self.reps)

    @property
    def set_complete(self) -> bool:
        return self.reps_done >= self.setup.reps_target

    @property
    def mirror(self) -> bool:
        """Left hand: the game world, the live signal and the demonstrations are drawn mirrored."""
        return self.setup.hand == "left"

    def on_hand_side(self, r: LRect) -> LRect:
        """A layout rectangle given for the right hand, placed for the trained hand."""
        return mirror_rect(r.x, r.y, r.w, r.h, self.mirror)

    @property
    def signal_rect(self) -> LRect:
        """Where the live signal bar goes: beside the trained hand."""
        return self.on_hand_side(SIGNAL_BAR)

    def feed(self, samples: list[Sample]) -> list[Any]:
        if self.set_complete:
            return []
        if samples:
            self.last_sample_t = samples[-1].t
        new = []
        for rep in self.detector.feed(samples):
            if self.set_complete:
                break
            self.reps.append(rep)
            new.append(rep)
            self.on_rep(rep)
            if rep.success:  # sparks for a success only: a near miss gets kind words, no prize
                self.feel.success(self.focus_point())
            if rep.success:
                self.rewards.append(Reward(self.t, rep.number))
            self.feedback = Feedback(self.feedback_text(rep), bool(rep.success), self.t + FEEDBACK_S)
        return new

    def update(self, dt: float) -> None:
        self.t += dt
        self.step_world(dt)
        self.feel.step(dt, self.effort_fraction(), self.set_complete)
        if self.set_complete and self._done_at is None:
            self._done_at = self.t
        if self._done_at is not None and self.t - self._done_at >= FINISH_DELAY_S:
            self.finished = True

    def feedback_text(self, rep: Any) -> str:
        key = failure_key(rep)
        return _(self.feedback_words.get(key) or FEEDBACK.get(key) or NEAR_MISS_DEFAULT)

    def cue_detector(self) -> None:
        """Tell the detector the game asked for a rep now (for reaction time)."""
        self.cues_given += 1
        cue = getattr(self.detector, "cue", None)
        if cue is not None and self.last_sample_t is not None:
            cue(self.last_sample_t)

    def record_extra(self, rep: Any) -> dict:
        """Extra fields saved with a rep (e.g. the finger pair); merged into its measurements."""
        return {}

    # ------------------------------------------------------- for subclasses
    def on_rep(self, rep: Any) -> None:
        """React to a finished rep (one clear game event)."""

    def step_world(self, dt: float) -> None:
        """Advance the world by one fixed step."""

    def hint(self) -> str | None:
        """What to do right now, in a few plain words (None: nothing to say)."""
        return None

    focus_radius: ClassVar[float] = 44.0  # the size of the thing the squeeze moves (for its glow)

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        """Where, in the (right-hand) world, the thing the patient moves is: sparks burst from it
        and the squeeze's charge glows round it. ``alpha`` places it between fixed steps."""
        return (640.0, 380.0)

    def effort_fraction(self) -> float:
        """How far the effort is toward the target now (0 at rest, 1 at the target)."""
        s = self.detector.settings
        return float(self.detector.display_pct) / max(1e-6, s.target_pct)

    def effort_now(self) -> bool:
        """The patient is working this moment: a rep under way, or the force off rest.

        The play scene asks "Keep going?" only after a while without effort. "Off rest"
        is above half the rep's start threshold, so a weak attempt counts as effort."""
        d = self.detector
        return bool(d.in_rep or d.awaiting_release or d.level_pct >= d.end_level)

    def draw(self, c: Canvas, alpha: float) -> None:
        """The world through a mirror for the left hand, then the upright HUD and words."""
        world = WorldView(c, self.mirror)
        self.draw_world(world, alpha)
        self.feel.draw_world(world, self.focus_point(alpha), self.focus_radius, alpha)
        self.draw_hint(world, self.hint(), self.hint_at)
        self.feel.draw_front(c)
        self.draw_front(c)
        self.draw_instruction(c)
        self.draw_hud(c)

    def draw_world(self, w: WorldView, alpha: float) -> None:
        """The game's world, laid out for the right hand; ``w`` mirrors it for the left."""
        raise NotImplementedError

    def draw_backdrop(self, w: WorldView, paint: Callable[[WorldView], None], still: tuple | None = None,
                      paint_still: Callable[[WorldView], None] | None = None) -> None:
        """The stage's static scenery, painted once per game, stage, window size and hand, then
        copied: ``paint`` draws it (no words: they are drawn live, upright) through a world view.
        The cache is the drawing's, not the game's: drawing still changes no game state.

        ``paint_still``: shapes drawn over the scenery that only move now and then (the garden
        path and its flowers while the marble waits at a flower), and ``still`` a key naming
        everything they depend on (the game itself, the scroll...). Drawn live, except when the
        last frame had the same key: then the window as it is once they are drawn (the scenery
        and them) is kept, and that copy is the frame's bottom (the same pixels) while the key
        stays the same. One copy is kept (a full window)."""
        c = w.plain
        key = (type(self).__name__, self.stage_number, c.surface.get_size(), w.mirror, w.axis)
        surf = _backdrops.get(key)
        if surf is None:
            surf = pygame.Surface(c.surface.get_size(), 0, c.surface)
            paint(WorldView(type(c)(surf), w.mirror, w.axis))
            _backdrops[key] = surf
            while len(_backdrops) > BACKDROP_CACHE:
                _backdrops.popitem(last=False)
        else:
            _backdrops.move_to_end(key)
        if paint_still is None:
            c.layer(surf, key)  # a layer: the window is then sent only what is drawn over it
            return
        full = (key, still)
        whole = c.surface.get_clip() == c.surface.get_rect() and not c.surface.get_flags() & pygame.SRCALPHA
        if _still["key"] == full and whole:
            # Recorded as the scenery with the still shapes' drawing calls over it, which is what
            # the copy holds: the window is sent only what changes, as when they are drawn live.
            c.layer_drawn_over(surf, key, _still["surf"], _still["hits"])
            return
        c.layer(surf, key)
        if _still["seen"] != full or not whole:  # moving: drawn live over the scenery
            _still["seen"] = full
            paint_still(w)
            return
        # The same key twice running: drawn live once more, and the window as it is then (the
        # scenery and the still shapes, nothing else yet) is kept, with the calls that drew it.
        hits = c.recorded(lambda _c: paint_still(w))
        comp = _still["surf"]
        if comp is None or comp.get_size() != surf.get_size() or comp.get_bitsize() != surf.get_bitsize():
            comp = surf.copy()  # one full window, then reused: a new 8 MB surface is slower to make
        comp.blit(c.surface, (0, 0))
        _still.update(key=full, surf=comp, hits=hits)

    def draw_front(self, c: Canvas) -> None:
        """Panels over the world that have no side (drawn upright, never mirrored)."""

    def draw_demo(self, c: Canvas, t: float, mirror: bool) -> None:
        """The hand movement, animated at demo time ``t`` (s), mirrored for the left hand.

        Draws inside the demonstration area LRect(240, 150, 800, 400). The default is
        a whole-hand squeeze; each game draws its own movement.
        """
        e = effort_curve(t / self.demo_cycle_s)
        draw_hand(c, (640, 360), 260, e, SKIN, mirror=mirror)
        draw_demo_meter(c, LRect(980, 200, 40, 300), e)

    # ---------------------------------------------------------------- HUD
    def draw_hud(self, c: Canvas) -> None:
        c.rect(Theme.PANEL, LRect(20, 16, 250, 96), radius=16)
        c.text(f"{self.reps_done} / {self.setup.reps_target}", (145, 56), size=52, bold=True)
        word = rep_count_word(self.rep_word, self.setup.reps_target)
        c.text(word, (145, 96), size=fit_size(c, word, 22, 236), color=Theme.TEXT_DIM)
        self.draw_signal(c, self.signal_rect)
        if self.feedback and self.t < self.feedback.until:
            fb = self.feedback
            color = Theme.SUCCESS if fb.success else Theme.NEAR
            size = fit_size(c, fb.text, 44, 1080, bold=True)  # longer words (German) shrink to fit
            w = c.text_width(fb.text, size, True) + 110
            shown = self.t - (fb.until - FEEDBACK_S)  # the banner eases down into place
            box = LRect(640 - w / 2, 130 - 26 * (1.0 - ease_out_cubic(shown / 0.3)), w, 76)
            c.rect(Theme.BG, box, radius=20)
            c.rect(color, box, radius=20, width=5)
            icon = (box.x + 44, box.y + 38)
            (draw_tick if fb.success else draw_cross)(c, icon, 40, color)
            c.text(fb.text, (box.x + 80, box.y + 38), size=size, bold=True, anchor="midleft")

    @property
    def feedback_showing(self) -> bool:
        return self.feedback is not None and self.t < self.feedback.until

    def draw_signal(self, c: Canvas, r: LRect) -> None:
        """The live signal beside the game; the force bar unless a game draws its own."""
        self.draw_force_bar(c, r)

    def draw_force_bar(self, c: Canvas, r: LRect) -> None:
        """Live force, 0 to 1.5 x target, with the target line."""
        s = self.detector.settings
        top_pct = max(s.target_pct * 1.5, 1e-6)
        level = max(0.0, min(1.0, self.detector.display_pct / top_pct))
        c.rect(Theme.PANEL, LRect(r.x - 6, r.y - 6, r.w + 12, r.h + 56), radius=14)
        fill_h = r.h * level
        reached = self.detector.display_pct >= s.target_pct * s.hold_fraction
        c.rect(Theme.SUCCESS if reached else Theme.SKY, LRect(r.x, r.y + r.h - fill_h, r.w, fill_h), radius=8)
        ty = r.y + r.h * (1 - s.target_pct / top_pct)
        c.line(Theme.FOCUS, (r.x - 14, ty), (r.x + r.w + 14, ty), 5)
        draw_target_arrow(c, r, ty)
        c.text(_("force"), (r.x + r.w / 2, r.y + r.h + 24), size=fit_size(c, _("force"), 22, r.w + 40),
               color=Theme.TEXT)

    def draw_instruction(self, c: Canvas) -> None:
        """The one line of plain instruction, at the bottom."""
        text = _(self.instruction)
        size = fit_size(c, text, 26, 1180)
        w = c.text_width(text, size) + 60
        c.rect(Theme.BG, LRect(640 - w / 2, 664, w, 46), radius=14)
        c.text(text, (640, 687), size=size)

    def draw_hint(self, c: Canvas | WorldView, hint: str | None, center: tuple[float, float] = (780, 558)) -> None:
        """What to do right now, in big words (hidden while feedback shows)."""
        if not hint or self.feedback_showing:
            return
        hint = _(hint)  # games return their hints marked with N_
        size = fit_size(c, hint, 44, 760, bold=True)
        w = c.text_width(hint, size, True) + 60
        c.rect(Theme.BG, LRect(center[0] - w / 2, center[1] - 38, w, 76), radius=20)
        c.text(hint, center, size=size, bold=True, color=Theme.FOCUS)


def draw_demo_meter(c: Canvas, r: LRect, effort: float, target: float = 0.7) -> None:
    """A small force meter beside a demonstration: how hard, and the target line."""
    c.rect(Theme.PANEL, r.inflate(5), radius=10)
    h = r.h * max(0.0, min(1.0, effort))
    reached = effort >= target * 0.9
    c.rect(Theme.SUCCESS if reached else Theme.SKY, LRect(r.x, r.y + r.h - h, r.w, h), radius=6)
    ty = r.y + r.h * (1 - target)
    c.line(Theme.FOCUS, (r.x - 10, ty), (r.x + r.w + 10, ty), 4)


def draw_target_arrow(c: Canvas, r: LRect, ty: float) -> None:
    """The arrow at a bar's target line, on the side facing the game (the middle of the screen)."""
    if r.center[0] > LOGICAL_W / 2:
        c.polygon(Theme.FOCUS, [(r.x - 26, ty - 12), (r.x - 10, ty), (r.x - 26, ty + 12)])
    else:
        x1 = r.x + r.w
        c.polygon(Theme.FOCUS, [(x1 + 26, ty - 12), (x1 + 10, ty), (x1 + 26, ty + 12)])


def mirror_x(x: float, mirror: bool, axis: float = 640.0) -> float:
    """x reflected about ``axis`` when drawing for the left hand."""
    return 2 * axis - x if mirror else x


def mirror_rect(x: float, y: float, w: float, h: float, mirror: bool, axis: float = 640.0) -> LRect:
    """A rectangle reflected about ``axis`` when drawing for the left hand."""
    return LRect(2 * axis - x - w if mirror else x, y, w, h)


_ANCHOR_MIRROR = {"topleft": "topright", "topright": "topleft", "midleft": "midright", "midright": "midleft",
                  "bottomleft": "bottomright", "bottomright": "bottomleft", "left": "right", "right": "left"}


class WorldView:
    """A canvas that draws the game world mirrored about the screen's centre line.

    For a left-hand patient the world is the right-hand layout reflected: shapes are
    reflected, words are placed where the reflection puts them but never drawn
    backwards, and :meth:`symbol` draws a tick or cross upright at its reflected
    place. With ``mirror`` False it draws exactly as the canvas does, so a game has
    one drawing path for both hands. Drawing only: nothing here holds game state.
    """

    def __init__(self, canvas: Canvas, mirror: bool, axis: float = LOGICAL_W / 2) -> None:
        self.plain = canvas  # upright, unmirrored drawing (marks rows, readouts)
        self.mirror = mirror
        self.axis = axis

    def mx(self, x: float) -> float:
        """World x to screen x (and back: a reflection is its own inverse)."""
        return 2 * self.axis - x if self.mirror else x

    def _p(self, p: tuple[float, float]) -> tuple[float, float]:
        return (self.mx(p[0]), p[1])

    def _r(self, r: LRect | tuple) -> LRect | tuple:
        if not self.mirror:
            return r
        x, y, w, h = (r.x, r.y, r.w, r.h) if isinstance(r, LRect) else r
        return LRect(2 * self.axis - x - w, y, w, h)

    def same_turn(self, angle: float) -> float:
        """An angle to draw with so that, after the mirror, a turning thing still turns the
        way the ball does (a wheel that follows the thumb must not run backwards)."""
        return math.pi - angle if self.mirror else angle

    # the Canvas drawing calls, reflected
    def clear(self, color: Color = Theme.BG) -> None:
        self.plain.clear(color)

    def above(self, cover: LRect) -> contextlib.AbstractContextManager:
        """Draw only above ``cover`` for the calls in the block, when ``cover`` (something opaque
        drawn after them, such as the ground) hides the whole window below its top edge: the
        same pixels, and a smaller change to send to the window. In a letterboxed window, where
        what lies under it still shows in the bars, nothing is cut."""
        if not self.hides_below(cover):
            return contextlib.nullcontext()
        return self.plain.clip((-LOGICAL_W, -LOGICAL_H, 3 * LOGICAL_W, LOGICAL_H + cover.y))

    def hides_below(self, cover: LRect) -> bool:
        """``cover`` spans the whole window from its top edge down (no letterbox bars beside or
        under it): drawn opaque, it hides everything drawn below that edge before it."""
        c = self.plain
        pr, window = c.prect(self._r(cover)), c.surface.get_rect()
        return not (pr.left > window.left or pr.right < window.right or pr.bottom < window.bottom)

    def rect(self, color: Color, r: LRect | tuple, *, radius: float = 0, width: float = 0) -> None:
        self.plain.rect(color, self._r(r), radius=radius, width=width)

    def circle(self, color: Color, center: tuple[float, float], radius: float, *, width: float = 0) -> None:
        self.plain.circle(color, self._p(center), radius, width=width)

    def ellipse(self, color: Color, r: LRect | tuple, *, width: float = 0) -> None:
        self.plain.ellipse(color, self._r(r), width=width)

    def line(self, color: Color, a: tuple[float, float], b: tuple[float, float], width: float = 2) -> None:
        self.plain.line(color, self._p(a), self._p(b), width)

    def lines(self, color: Color, points: list[tuple[float, float]], width: float = 2, closed: bool = False) -> None:
        self.plain.lines(color, [self._p(p) for p in points], width, closed)

    def polygon(self, color: Color, points: list[tuple[float, float]], *, width: float = 0) -> None:
        self.plain.polygon(color, [self._p(p) for p in points], width=width)

    def arc(self, color: Color, r: LRect | tuple, start: float, stop: float, width: float = 4) -> None:
        if self.mirror:  # reflecting about a vertical line turns angle a into pi - a
            start, stop = math.pi - stop, math.pi - start
        self.plain.arc(color, self._r(r), start, stop, width)

    def text(self, text: str, pos: tuple[float, float], *, size: float = 32, color: Color = Theme.TEXT,
             bold: bool = False, anchor: str = "center") -> LRect:
        """Words at the reflected place, reading left to right as always."""
        if self.mirror:
            anchor = _ANCHOR_MIRROR.get(anchor, anchor)
        r = self.plain.text(text, self._p(pos), size=size, color=color, bold=bold, anchor=anchor)
        return self._r(r)  # type: ignore[return-value]

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        return self.plain.text_width(text, size, bold)

    def symbol(self, draw: Callable[..., None], center: tuple[float, float], *args: Any, **kw: Any) -> None:
        """An icon (tick, cross) at its reflected place, drawn upright."""
        draw(self.plain, self._p(center), *args, **kw)

    def group(self, paint: Callable[[WorldView], None]) -> None:
        """The shapes ``paint`` draws (through a world view, mirrored as this one), as one cached
        copy where they fall on the same pixels relative to each other as before: the same
        pixels as drawing them one by one (:func:`game.shape_group.draw_group`)."""
        mirror, axis = self.mirror, self.axis
        draw_group(self.plain, lambda rec: paint(WorldView(rec, mirror, axis)))  # type: ignore[arg-type]

    def discs(self, discs: list[tuple[Color, float, float, float]]) -> None:
        """Filled circles (colour, x, y, radius) as :meth:`group` draws them, their pixel places
        worked out in one loop: the same pixels as ``circle`` for each (a flower's petals)."""
        draw_discs(self.plain, discs, self.mirror, self.axis)


def draw_limb(c: Canvas, points: list[tuple[float, float]], width: float, color: Color = SKIN,
              outline: Color = Theme.DARK_TEXT) -> None:
    """A finger or thumb as a chain of rounded segments (joints drawn as discs)."""
    for a, b in zip(points, points[1:]):
        c.line(outline, a, b, width + 4)
    for p in points:
        c.circle(outline, p, width / 2 + 2)
    for a, b in zip(points, points[1:]):
        c.line(color, a, b, width)
    for p in points:
        c.circle(color, p, width / 2)


def star_points(center: tuple[float, float], r: float, turn: float = 0.0) -> list[tuple[float, float]]:
    """A five-pointed star's outline."""
    x, y = center
    pts = []
    for i in range(10):
        a = -math.pi / 2 + turn + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.45
        pts.append((x + rr * math.cos(a), y + rr * math.sin(a)))
    return pts


def draw_arrow(c: Canvas, a: tuple[float, float], b: tuple[float, float], color: Color = Theme.FOCUS,
               width: float = 6) -> None:
    """A short arrow from a to b: which way the hand moves."""
    c.line(color, a, b, width)
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy) or 1.0
    ux, uy = dx / n, dy / n
    s = width * 2.6
    c.polygon(color, [b, (b[0] - ux * s - uy * s * 0.7, b[1] - uy * s + ux * s * 0.7),
                      (b[0] - ux * s + uy * s * 0.7, b[1] - uy * s - ux * s * 0.7)])
