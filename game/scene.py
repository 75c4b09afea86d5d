"""Scenes on a stack (a pushdown automaton): title, menu, play, pause, results.

A scene never reaches for a global manager; its ``update``/``handle`` return a
transition and the app applies it. Drawing must not change game state: every
draw is the same for a given game time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from game.context import AppContext
    from game.input import Action
    from game.ui import Canvas
    from hardware.sample import Sample


@dataclass(frozen=True)
class Push:
    scene: Scene


@dataclass(frozen=True)
class Pop:
    pass


@dataclass(frozen=True)
class Replace:
    scene: Scene


@dataclass(frozen=True)
class PopTo:
    """Pop scenes until one of this type is on top (e.g. back to the menu)."""

    scene_type: type


@dataclass(frozen=True)
class Quit:
    pass


Transition = Union[Push, Pop, Replace, PopTo, Quit, None]


class Scene:
    """Base scene. ``ctx`` is set by the app when the scene is pushed."""

    ctx: AppContext
    #: Scenes below an overlay keep drawing (pause draws on top of the game).
    overlay: bool = False

    def enter(self) -> None:
        """Called once when first pushed."""

    def resume(self) -> None:
        """Called when the scene above was popped."""

    def pause(self) -> None:
        """Called when another scene is pushed on top."""

    def exit(self) -> None:
        """Called when removed from the stack (also when the app quits)."""

    def on_samples(self, samples: list[Sample]) -> Transition:
        """New device samples, once per frame, in time order."""
        return None

    def handle(self, action: Action) -> Transition:
        return None

    def update(self, dt: float) -> Transition:
        return None

    def draw(self, canvas: Canvas, alpha: float) -> None:
        raise NotImplementedError
