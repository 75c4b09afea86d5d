"""The mini-games, registered explicitly: one module per exercise."""

from __future__ import annotations

from game.games.base import GameSetup, MiniGame
from game.games.pinch import PinchGame
from game.games.power_grip import PowerGripGame

GAMES: dict[str, type[MiniGame]] = {
    PowerGripGame.exercise: PowerGripGame,
    PinchGame.exercise: PinchGame,
}

__all__ = ["GAMES", "GameSetup", "MiniGame"]
