"""Which games train each exercise, and which one a patient plays (no pygame).

Some exercises have more than one game: the same movement, the same rep counter and
the same prescription, with a different picture (the bird or the hot-air balloon for
power grip; the boat or the marble garden for table roll). The first game listed is
the exercise's own default. Who decides, first to last:

1. the therapist's program (``game: balloon`` on the exercise, ``ExercisePlan.game``);
2. the patient's choice this run (the choice screen before the set, or ``--game``);
3. the patient's remembered choice (their profile's ``game_<exercise>`` setting);
4. the exercise's default game.

Pure data and logic, no pygame: the level models and the profiles read it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from game.i18n import N_


@dataclass(frozen=True)
class GameChoice:
    id: str  # what a level file writes: `game: balloon`
    exercise: str
    name: str  # marked for translation; translate where drawn: _(choice.name)
    what: str  # one line for the choice screen, in the patient's words


GAME_CHOICES: dict[str, tuple[GameChoice, ...]] = {
    "power_grip": (
        GameChoice("bird", "power_grip", N_("Bird"), N_("Fly up through the rings")),
        GameChoice("balloon", "power_grip", N_("Hot-air balloon"), N_("Lift the balloon over the hills")),
    ),
    "table_roll": (
        GameChoice("boat", "table_roll", N_("Boat"), N_("Row up the river")),
        GameChoice("marble", "table_roll", N_("Marble garden"), N_("Roll the marble to the flowers")),
    ),
}
GAME_IDS: tuple[str, ...] = tuple(g.id for games in GAME_CHOICES.values() for g in games)
BY_GAME_ID: dict[str, GameChoice] = {g.id: g for games in GAME_CHOICES.values() for g in games}


def choices_for(exercise: str) -> tuple[GameChoice, ...]:
    """The games for an exercise, default first (empty: it has just its own game)."""
    return GAME_CHOICES.get(exercise, ())


def has_choice(exercise: str) -> bool:
    return len(choices_for(exercise)) > 1


def default_game(exercise: str) -> str | None:
    games = choices_for(exercise)
    return games[0].id if games else None


def fits(exercise: str, game: str | None) -> bool:
    """Is ``game`` one of this exercise's games?"""
    return game is not None and any(g.id == game for g in choices_for(exercise))


def setting_key(exercise: str) -> str:
    """The profile setting that remembers a patient's game for an exercise."""
    return f"game_{exercise}"


PROFILE_SETTINGS: dict[str, tuple[type, str]] = {
    setting_key(ex): (str, "the game played for " + ex.replace("_", " ") + ": " + " or ".join(g.id for g in games))
    for ex, games in GAME_CHOICES.items()
}


def check_game_setting(key: str, value: Any) -> str:
    """A profile's ``game_<exercise>`` value, checked; ValueError with a plain message."""
    exercise = key.removeprefix("game_")
    if not isinstance(value, str) or not fits(exercise, value.strip().lower()):
        games = " or ".join(g.id for g in choices_for(exercise))
        raise ValueError(f"'{key}' must be {games}, got {value!r}")
    return value.strip().lower()


def remembered_game(settings: dict[str, Any], exercise: str) -> str | None:
    """The game a profile's settings remember for ``exercise`` (None: none, or not one of its games)."""
    value = settings.get(setting_key(exercise))
    return value if isinstance(value, str) and fits(exercise, value) else None


def resolve_game(exercise: str, *, program: str | None = None, chosen: str | None = None,
                 remembered: str | None = None) -> str | None:
    """The game to play: the program's, else this run's choice, else the remembered one,
    else the default (None for an exercise with only its own game)."""
    for candidate in (program, chosen, remembered):
        if fits(exercise, candidate):
            return candidate
    return default_game(exercise)
