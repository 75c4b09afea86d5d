"""Choosing the place (stage) a game is played at (issue 17).

Reached from the journey screen (a squeeze on a game's row). The patient picks any place
their practice has opened, or "Always the newest" (the default, which follows each new
place as it opens); places not open yet are shown, but cannot be chosen. The choice is
kept in the patient's profile (``stage_<exercise>``; scripted play: for the run only) and
the sets of that game are drawn there from then on. Only the picture changes: the
target, hold, pace and reps never depend on the stage. A therapist who pinned the stage
in the program is obeyed: the journey screen does not offer this screen for that game.

Works with the ball alone: the yellow frame starts on the current choice and walks
through the places, then Back; a squeeze chooses. Arrows, Space, Esc and a click too.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pygame

from game.games import game_class
from game.games.base import GameSetup, MiniGame, WorldView
from game.i18n import _
from game.input import Act, Action
from game.journey import GameJourney, remember_stage
from game.scene import Pop, Scene, Transition
from game.scenes.choosing import SqueezeChooser
from game.scenes.journey import draw_star
from game.therapy.exercises import BY_ID
from game.therapy.force_reps import ForceRepSettings
from game.therapy.stages import NEWEST, STAGE_COUNT
from game.ui import Canvas, LRect, Theme
from game.widgets import Button, ButtonGroup, ChoiceSwitch, draw_choose_hint, fit_size

TILE_W, TILE_H, GAP = 380.0, 262.0, 30.0
TILE_Y = (130.0, 400.0)
PIC_W, PIC_H = 304.0, 171.0  # the place's picture: the game's own scenery, 16:9


def tile_rect(i: int) -> LRect:
    """Tile ``i`` (0: "Always the newest", then stages 1..5) in a grid of three columns."""
    return LRect(40 + (i % 3) * (TILE_W + GAP), TILE_Y[i // 3], TILE_W, TILE_H)


class _PictureCanvas(Canvas):
    """A canvas for a place's picture: the scenery without its words (too small to read)."""

    def text(self, text: str, pos: tuple[float, float], **kwargs: object) -> LRect:  # type: ignore[override]
        return LRect(pos[0], pos[1], 0, 0)


def paint_place(c: Canvas, game: type[MiniGame], stage: int, hand: str, area: LRect, calibration: object) -> None:
    """The game's world at ``stage`` (before the first rep), as the patient's hand sees it
    (mirrored for the left hand), shrunk into ``area``. A fresh game is built to draw it:
    nothing of any running game is touched."""
    r = c.prect(area)
    pic = pygame.Surface(r.size, 0, c.surface)
    g = game(GameSetup(calibration, ForceRepSettings(), 10, random.Random(stage), hand=hand,  # type: ignore[arg-type]
                       extra={"roll_from_mouse": False}, stage=stage))
    g.draw_world(WorldView(_PictureCanvas(pic), g.mirror), 0.0)
    c.surface.blit(pic, r.topleft)


class StageChoiceScene(SqueezeChooser, Scene):
    """One tile per place (the newest first), a squeeze chooses the one framed."""

    def __init__(self, journey: GameJourney, game: str | None = None) -> None:
        self.row = journey
        self.exercise = journey.exercise
        self.game_id = game

    def enter(self) -> None:
        ctx = self.ctx
        self.game: type[MiniGame] = game_class(self.exercise, self.game_id)
        self.hand = ctx.play.hand
        opened = self.row.stage
        label = _("Always the newest")
        buttons = [Button(NEWEST, label, tile_rect(0))]
        buttons += [Button(f"stage{s}", _(self.game.look_for(s).name) or str(s), tile_rect(s))
                    for s in range(1, opened + 1)]
        buttons.append(Button("back", _("Back"), LRect(1090, 20, 150, 70)))
        current = NEWEST if self.row.choice in (None, NEWEST) else f"stage{self.row.played}"
        focus = next((i for i, b in enumerate(buttons) if b.id == current), 0)
        self.buttons = ButtonGroup(buttons, columns=3, focus=focus)
        self.current = current
        self.switch = ChoiceSwitch(ctx)
        ctx.speech.say(_("Choose where to play"))

    # ------------------------------------------------------------- input
    def _chose(self, chosen: str) -> Transition:
        if chosen == "back":
            return Pop()
        choice: int | str = NEWEST if chosen == NEWEST else int(chosen.removeprefix("stage"))
        remember_stage(self.ctx, self.exercise, choice)
        self.ctx.store.log_event(None, "stage_chosen", {"exercise": self.exercise, "stage": choice})
        return Pop()

    def handle(self, action: Action) -> Transition:
        if action.kind in (Act.BACK, Act.PAUSE):
            return Pop()  # the choice stays as it was
        chosen = self.buttons.handle(action)
        return self._chose(chosen) if chosen else None

    # ------------------------------------------------------------- draw
    def _picture(self, c: Canvas, stage: int, area: LRect) -> None:
        game, hand, cal = self.game, self.hand, self.ctx.calibration
        paint: Callable[[Canvas], None] = lambda sub: paint_place(sub, game, stage, hand, area, cal)
        c.sprite(("place", game.__name__, stage, hand == "left", area.x, area.y), area, paint)
        c.rect(Theme.DARK_TEXT, area, width=3)

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        title = _("Choose where to play")
        c.text(title, (40, 55), size=fit_size(c, title, 52, 1020, bold=True), bold=True, anchor="midleft")
        name = _(BY_ID[self.exercise].name) if self.exercise in BY_ID else self.exercise
        c.text(name, (40, 104), size=fit_size(c, name, 28, 1020), color=Theme.TEXT_DIM, anchor="midleft")
        order = self.buttons._scannable()
        by_id = {b.id: (i, b) for i, b in enumerate(self.buttons.buttons)}
        newest = self.row.stage
        for k in range(STAGE_COUNT + 1):
            r = tile_rect(k)
            bid = NEWEST if k == 0 else f"stage{k}"
            if bid not in by_id:  # a place not open yet: shown, never chosen
                c.rect(Theme.PANEL_HI, r, radius=22, width=3)
                c.text(str(k), (r.center[0], r.y + 96), size=64, bold=True, color=Theme.TEXT_DIM)
                locked = _("Not open yet")
                c.text(locked, (r.center[0], r.y + 205), size=fit_size(c, locked, 26, r.w - 30), color=Theme.TEXT_DIM)
                continue
            i, b = by_id[bid]
            focused = i == self.buttons.focus
            c.rect(Theme.PANEL_HI if focused else Theme.PANEL, r, radius=22)
            if focused:
                c.rect(Theme.FOCUS, r.inflate(8), radius=28, width=8)
            self._picture(c, newest if k == 0 else k, LRect(r.x + (r.w - PIC_W) / 2, r.y + 12, PIC_W, PIC_H))
            if k == newest and self.row.opened_today:  # the place opened today
                draw_star(c, (r.x + r.w - 40, r.y + 34), 20, Theme.FOCUS)
            c.text(b.label, (r.center[0], r.y + 204), size=fit_size(c, b.label, 28, r.w - 30, bold=True), bold=True)
            if bid == self.current:
                note = _("Your choice")
                c.text(note, (r.center[0], r.y + 234), size=fit_size(c, note, 22, r.w - 30), color=Theme.FOCUS)
            elif k == 0:
                place = _(self.game.look_for(newest).name)
                c.text(place, (r.center[0], r.y + 234), size=fit_size(c, place, 22, r.w - 30), color=Theme.TEXT_DIM)
            if focused and self.buttons.scanning:
                frac = self.buttons.scanner.fraction(first=bool(order) and i == order[0])
                c.rect(Theme.FOCUS, LRect(r.x + 16, r.y + r.h - 8, (r.w - 32) * frac, 5), radius=2)
        back_i, back = by_id["back"]
        self._draw_back(c, back, back_i == self.buttons.focus)
        draw_choose_hint(c, self.buttons.scanning, (640, 694), size=24)

    def _draw_back(self, c: Canvas, b: Button, focused: bool) -> None:
        c.rect(Theme.PANEL_HI if focused else Theme.PANEL, b.rect, radius=18)
        if focused:
            c.rect(Theme.FOCUS, b.rect.inflate(6), radius=22, width=6)
        c.text(b.label, b.rect.center, size=fit_size(c, b.label, 30, b.rect.w - 24, bold=True), bold=True)
