"""The mini-games, registered explicitly: one module per exercise."""

from __future__ import annotations

from game.games.balloon import BalloonGame
from game.games.base import GameSetup, MiniGame
from game.games.finger_flexion import FingerFlexionGame
from game.games.finger_squeeze import FingerSqueezeGame
from game.games.marble import MarbleGame
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

# More than one game for an exercise (issue 17): the same movement, counter and prescription,
# another picture. Ids and names are in game/game_choices.py (no pygame, for the level files);
# GAMES above keeps each exercise's default game.
VARIANTS: dict[str, dict[str, type[MiniGame]]] = {
    "power_grip": {"bird": PowerGripGame, "balloon": BalloonGame},
    "table_roll": {"boat": TableRollGame, "marble": MarbleGame},
}


def game_class(exercise: str, game: str | None = None) -> type[MiniGame]:
    """The class that plays ``exercise`` as ``game`` (None or not one of its games: the default)."""
    return VARIANTS.get(exercise, {}).get(game or "", GAMES[exercise])


__all__ = ["GAMES", "VARIANTS", "GameSetup", "MiniGame", "game_class"]
