"""The mini-games, registered explicitly: one module per exercise."""

from __future__ import annotations

from game.games.base import GameSetup, MiniGame
from game.games.finger_flexion import FingerFlexionGame
from game.games.finger_squeeze import FingerSqueezeGame
from game.games.pinch import PinchGame
from game.games.power_grip import PowerGripGame
from game.games.table_roll import TableRollGame
from game.games.thumb_flex_ext import ThumbFlexExtGame
from game.games.thumb_opposition import ThumbOppositionGame
from game.games.thumb_roll import ThumbRollGame

GAMES: dict[str, type[MiniGame]] = {
    PowerGripGame.exercise: PowerGripGame,
    PinchGame.exercise: PinchGame,
    FingerFlexionGame.exercise: FingerFlexionGame,
    FingerSqueezeGame.exercise: FingerSqueezeGame,
    ThumbFlexExtGame.exercise: ThumbFlexExtGame,
    TableRollGame.exercise: TableRollGame,
    ThumbRollGame.exercise: ThumbRollGame,
    ThumbOppositionGame.exercise: ThumbOppositionGame,
}

__all__ = ["GAMES", "GameSetup", "MiniGame"]
