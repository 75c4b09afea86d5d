"""The mini-games, registered explicitly: one module per exercise."""

from __future__ import annotations

from game.games.base import GameSetup, MiniGame
from game.games.finger_flexion import FingerFlexionGame
from game.games.finger_squeeze import FingerSqueezeGame
from game.games.pinch import PinchGame
from game.games.power_grip import PowerGripGame

GAMES: dict[str, type[MiniGame]] = {
    PowerGripGame.exercise: PowerGripGame,
    PinchGame.exercise: PinchGame,
    FingerFlexionGame.exercise: FingerFlexionGame,
    FingerSqueezeGame.exercise: FingerSqueezeGame,
}

__all__ = ["GAMES", "GameSetup", "MiniGame"]
