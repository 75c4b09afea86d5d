"""What every scene may use, handed to it by the app (no globals)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from game.audio import Audio
from game.music import Music
from game.input import InputHub
from game.program import SessionPlan
from game.settings import AccessSettings
from game.speech import Speech
from game.records.storage import Store
from game.therapy.calibration import Calibration
from hardware.clock import Clock


@dataclass
class PlaySettings:
    """How a set is played, until level files (and the session program) say otherwise."""

    reps_per_set: int = 10
    target_pct: float = 20.0
    hold_s: float = 0.5
    rest_between_reps_s: float = 2.5
    hand: str | None = None  # None: the patient's trained hand (from their profile, set at start)


@dataclass
class AppContext:
    clock: Clock
    hub: InputHub
    store: Store
    audio: Audio
    calibration: Calibration
    patient_id: int
    seed: int = 0
    play: PlaySettings = field(default_factory=PlaySettings)
    kiosk: bool = False
    app_version: str = ""
    # The selected patient's program (from their level file); changed only by the
    # patient and level pickers, never during a session.
    plan: SessionPlan = field(default_factory=SessionPlan)
    level_dirs: tuple[Path, ...] = ()
    level_note: str = ""  # why the default program is played, if the assigned level is broken
    # Show the drawn demonstration before an exercise's first set (off in headless runs: nobody watches).
    demos: bool = True
    demos_seen: set[str] = field(default_factory=set)
    # "Not now" to the roll calibration before a rolling set: not asked again this run.
    roll_calibration_declined: bool = False
    # The patient's access settings (scan pace, text size, volumes, voice, hand), from game/settings.py.
    access: AccessSettings = field(default_factory=AccessSettings)
    speech: Speech = field(default_factory=Speech)
    # Scripted play (--input sim or a trace file): its records go under this patient (the
    # simulated-play record, or the one named with --record-as), never the player's own.
    records_patient_id: int | None = None
    simulated: bool = False
    # Exercises with more than one game (game/game_choices.py): the game chosen this run, by
    # exercise (the choice screen, or --game), and whether to ask before an exercise's first set
    # (off in headless and scripted runs: nobody is there to choose).
    game_choices: dict[str, str] = field(default_factory=dict)
    ask_game: bool = False
    games_asked: set[str] = field(default_factory=set)
    # The stage (place) chosen this run, by exercise, where the profile cannot keep it (scripted
    # play): 1..5 or "newest" (game/therapy/stages.py).
    stage_choices: dict[str, int | str] = field(default_factory=dict)
    # Background music following the set (game/music.py): its own volume, off in the kiosk by default.
    music: Music = field(default_factory=Music)
    # Sync with the clinic server on its own thread (game.records.sync.BackgroundSync), while this
    # PC is connected to one; None otherwise.
    clinic_sync: Any = None

    def rng(self, salt: str) -> random.Random:
        """A seeded generator per use, so one game's randomness never shifts another's."""
        return random.Random(f"{self.seed}:{salt}")
