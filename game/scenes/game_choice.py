"""Choosing the game for an exercise that has more than one (issue 17).

Before an exercise's first set the patient picks the picture they play it with (the
bird or the balloon for power grip; the boat or the marble garden for table roll).
The movement, the rep counter and the prescription are the same whichever they pick.
The screen works with the ball alone: the yellow frame starts on the game played
last time and a squeeze chooses. The choice is remembered in the patient's profile
(``game_<exercise>``), except in scripted play, where it holds for the run only. A
therapist who fixed the game in the program (``game: balloon``) is obeyed: the
screen is not shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from game.game_choices import choices_for, fits, has_choice, remembered_game, resolve_game, setting_key
from game.i18n import _
from game.input import Act, Action
from game.scene import Replace, Scene, Transition
from game.scenes.choosing import SqueezeChooser
from game.ui import Canvas, LRect, Theme
from game.widgets import Button, ButtonGroup, ChoiceSwitch, draw_choose_hint, fit_size

TILE_W, TILE_H = 500, 430
TILE_Y = 170.0


# ----------------------------------------------------------------- which game
def program_game(ctx: Any, exercise: str, link: Any = None) -> str | None:
    """The game the therapist's program fixes for this exercise, if any."""
    if link is not None:
        game = getattr(link.step.exercise, "game", None)
        return game if fits(exercise, game) else None
    for plan in getattr(ctx.plan, "exercises", ()):
        game = getattr(plan, "game", None)
        if plan.exercise == exercise and fits(exercise, game):
            return game
    return None


def remembered(ctx: Any, exercise: str) -> str | None:
    """The patient's remembered game for the exercise (None if never chosen or unreadable)."""
    try:
        from game.profiles import Profiles

        return remembered_game(Profiles(ctx.store).get(ctx.patient_id).settings, exercise)
    except Exception:  # noqa: BLE001 - an unreadable profile must not stop the exercise
        return None


def game_for(ctx: Any, exercise: str, link: Any = None) -> str | None:
    """The game to play ``exercise`` with now (None: the exercise has only its own game)."""
    if not choices_for(exercise):
        return None
    return resolve_game(exercise, program=program_game(ctx, exercise, link),
                        chosen=ctx.game_choices.get(exercise), remembered=remembered(ctx, exercise))


def remember_game(ctx: Any, exercise: str, game: str) -> None:
    """This run plays ``game`` for ``exercise`` from now on, and the profile keeps it for next
    time (a ``profile_change`` event says so), unless the profiles are held (scripted play)."""
    ctx.game_choices[exercise] = game  # holds for this run whether or not the profile keeps it
    from game.profiles import keep_choice

    keep_choice(ctx.store, ctx.patient_id, setting_key(exercise), game, where="game choice screen")


def with_game_choice(ctx: Any, scene: Scene) -> Scene:
    """``scene`` (a set), with the choice of game first when the exercise has more than one,
    the program leaves it open, and the patient has not chosen for this session yet."""
    exercise = getattr(scene, "exercise", None)
    if not isinstance(exercise, str) or not has_choice(exercise) or not getattr(ctx, "ask_game", False):
        return scene
    link = getattr(scene, "link", None)
    if program_game(ctx, exercise, link) is not None:
        return scene
    if link is not None:  # in a session: once, before the exercise's first set
        key = f"{link.session_id}:{exercise}"
        if key in ctx.games_asked:
            return scene
        ctx.games_asked.add(key)
    return GameChoiceScene(scene)


# ----------------------------------------------------------------- the screen
class GameChoiceScene(SqueezeChooser, Scene):
    """Two (or more) big pictures, one per game; a squeeze chooses the one framed."""

    def __init__(self, then: Scene) -> None:
        self.then = then
        self.exercise: str = then.exercise  # type: ignore[attr-defined]

    def enter(self) -> None:
        ctx = self.ctx
        games = choices_for(self.exercise)
        self.last = remembered(ctx, self.exercise)
        current = game_for(ctx, self.exercise, getattr(self.then, "link", None))
        n = len(games)
        gap = 60
        x0 = 640 - (n * TILE_W + (n - 1) * gap) / 2
        buttons = [Button(g.id, _(g.name), LRect(x0 + i * (TILE_W + gap), TILE_Y, TILE_W, TILE_H))
                   for i, g in enumerate(games)]
        focus = next((i for i, g in enumerate(games) if g.id == current), 0)
        self.buttons = ButtonGroup(buttons, focus=focus)
        self.switch = ChoiceSwitch(ctx)
        ctx.speech.say(_("Choose your game"))

    def _chose(self, game: str) -> Transition:
        remember_game(self.ctx, self.exercise, game)
        self.ctx.store.log_event(None, "game_chosen", {"exercise": self.exercise, "game": game})
        return Replace(self.then)

    def handle(self, action: Action) -> Transition:
        if action.kind in (Act.BACK, Act.PAUSE):
            return self._chose(self.buttons.focused.id)  # never stuck: play on with the game framed
        chosen = self.buttons.handle(action)
        return self._chose(chosen) if chosen else None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Choose your game"), (640, 70), size=56, bold=True)
        sub = _("The same exercise whichever you choose. Only the picture changes.")
        c.text(sub, (640, 128), size=fit_size(c, sub, 28, 1160), color=Theme.TEXT_DIM)
        games = {g.id: g for g in choices_for(self.exercise)}
        order = self.buttons._scannable()
        for i, b in enumerate(self.buttons.buttons):
            g = games[b.id]
            focused = i == self.buttons.focus
            r = b.rect
            c.rect(Theme.PANEL_HI if focused else Theme.PANEL, r, radius=22)
            if focused:
                c.rect(Theme.FOCUS, r.inflate(8), radius=28, width=8)
            PREVIEWS.get(g.id, _plain_preview)(c, LRect(r.x + 24, r.y + 24, r.w - 48, 250))
            c.text(b.label, (r.center[0], r.y + 316), size=fit_size(c, b.label, 40, r.w - 30, bold=True), bold=True)
            what = _(g.what)
            c.text(what, (r.center[0], r.y + 362), size=fit_size(c, what, 26, r.w - 30), color=Theme.TEXT_DIM)
            if g.id == self.last:
                note = _("Played last time")
                c.text(note, (r.center[0], r.y + 400), size=fit_size(c, note, 22, r.w - 30), color=Theme.FOCUS)
            if focused and self.buttons.scanning:
                frac = self.buttons.scanner.fraction(first=bool(order) and i == order[0])
                c.rect(Theme.FOCUS, LRect(r.x + 16, r.y + r.h - 12, (r.w - 32) * frac, 6), radius=3)
        draw_choose_hint(c, self.buttons.scanning, (640, 660), size=26)


# ----------------------------------------------------------------- pictures
def _plain_preview(c: Canvas, r: LRect) -> None:
    c.rect(Theme.BG, r, radius=18)


def _bird_preview(c: Canvas, r: LRect) -> None:
    c.rect((120, 190, 235), r, radius=18)
    c.rect((56, 120, 70), LRect(r.x, r.y + r.h * 0.82, r.w, r.h * 0.18), radius=12)
    rx = r.x + r.w * 0.66
    c.arc(Theme.FOCUS, LRect(rx - 30, r.y + r.h * 0.15, 60, r.h * 0.5), -math.pi / 2, 3 * math.pi / 2, 10)
    x, y = r.x + r.w * 0.33, r.y + r.h * 0.45
    c.ellipse((250, 200, 40), LRect(x - 44, y - 30, 88, 60))
    c.ellipse(Theme.DARK_TEXT, LRect(x - 44, y - 30, 88, 60), width=3)
    c.polygon((235, 150, 30), [(x - 18, y), (x + 12, y), (x - 6, y - 34)])
    c.circle(Theme.DARK_TEXT, (x + 24, y - 8), 5)
    c.polygon((230, 120, 20), [(x + 42, y - 6), (x + 62, y + 2), (x + 42, y + 10)])
    c.rect(Theme.DARK_TEXT, r, radius=18, width=3)


def _boat_preview(c: Canvas, r: LRect) -> None:
    c.rect((34, 92, 58), r, radius=18)
    c.rect((28, 96, 150), LRect(r.x + r.w * 0.3, r.y, r.w * 0.4, r.h))
    x, y = r.x + r.w / 2, r.y + r.h * 0.55
    for side in (-1, 1):
        c.circle(Theme.FOCUS, (x + side * r.w * 0.15, r.y + r.h * 0.2), 12)
        c.line((120, 80, 40), (x, y), (x + side * 70, y + 20), 6)
    c.polygon((196, 120, 60), [(x, y - 50), (x + 22, y - 20), (x + 22, y + 36), (x, y + 46), (x - 22, y + 36),
                               (x - 22, y - 20)])
    c.rect(Theme.DARK_TEXT, r, radius=18, width=3)


def _previews() -> dict[str, Callable[[Canvas, LRect], None]]:
    from game.games.balloon import BalloonGame
    from game.games.marble import MarbleGame

    return {"bird": _bird_preview, "balloon": BalloonGame.draw_preview, "boat": _boat_preview,
            "marble": MarbleGame.draw_preview}


PREVIEWS = _previews()
