"""Command line: ``python main.py`` plays; subcommands are tools for therapists and makers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from game.i18n import _
from game.translated_argparse import Parser

# Subcommands register here: name -> (help, add_arguments, run). Each lives in its
# own module so the play path never imports the tools.
Subcommand = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(name: str, help: str):  # noqa: A002, ANN201
    def register(add_args: Callable[[argparse.ArgumentParser], None]):  # noqa: ANN202
        def with_run(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
            SUBCOMMANDS[name] = (help, add_args, run)
            return run

        return with_run

    return register


def _load_subcommands() -> None:
    # Explicit list: each module registers its commands when imported.
    import game.commands  # noqa: F401


def build_parser() -> argparse.ArgumentParser:
    _load_subcommands()
    p = Parser(
        prog="main.py",
        description=_("Squeeze Quest: hand-therapy exercise games for a squeeze ball, keyboard or mouse."),
    )
    add_play_arguments(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_, add_args, _run) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=_(help_), description=_(help_))
        add_args(sp)
    return p


def add_play_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", default="auto",
                   help=_("input device: auto (default: find a ball on the serial ports, else the keyboard), "
                        "keyboard, sim (a simulated patient), a port (COM3, /dev/ttyACM0, /dev/cu.usbmodem1101), "
                        "a pyserial URL "
                        "(socket://host:port, rfc2217://, hwgrep://Arduino, loop://) or a trace .csv file"))
    p.add_argument("--baud", type=int, default=None,
                   help=_("serial ball baud rate (default: try 115200, then 9600)"))
    p.add_argument("--profile", default=None,
                   help=_("serial ball device profile: a shipped name (see `main.py devices`) or a YAML file"))
    p.add_argument("--data-dir", type=Path, default=None,
                   help=_("folder for the records database (default: the user's data folder)"))
    p.add_argument("--repair-database", action="store_true",
                   help=_("if the records database is damaged, move it aside to a dated backup (never deleted) "
                        "and start fresh records"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--windowed", dest="fullscreen", action="store_false", help=_("play in a window (default)"))
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", help=_("play full screen"))
    p.set_defaults(fullscreen=False)
    p.add_argument("--headless", action="store_true",
                   help=_("no window; game time advances one 1/60 s step per frame (for tests and demos); "
                        "with a serial ball it follows the real clock, as the ball does"))
    run_for = p.add_mutually_exclusive_group()
    run_for.add_argument("--frames", type=int, help=_("stop after this many frames"))
    run_for.add_argument("--seconds", type=float, help=_("stop after this many seconds of game time"))
    p.add_argument("--exercise", help=_("go straight to this exercise (e.g. power_grip)"))
    from game.game_choices import GAME_IDS

    p.add_argument("--game", choices=GAME_IDS, help=_("the game for an exercise that has more than one "
                   "(power_grip: bird or balloon; table_roll: boat or marble); the program's `game:` wins"))
    p.add_argument("--reps", type=int, default=10, help=_("repetitions in a set (default 10)"))
    p.add_argument("--screenshot", type=Path, help=_("save the last frame to this PNG file"))
    p.add_argument("--size", default="1280x720", help=_("window size, e.g. 1920x1080"))
    p.add_argument("--seed", type=int, default=0, help=_("seed for the games' randomness"))
    p.add_argument("--mute", action="store_true", help=_("no sound"))
    p.add_argument("--patient", help=_("who is playing: a patient's number or name (default: the last one)"))
    p.add_argument("--record-as", metavar="PATIENT", default=None,
                   help=_("with --input sim or a trace .csv: keep the records under this patient (marked simulated); "
                        "without it, scripted play is kept apart under 'Simulated play (not a patient)'"))
    p.add_argument("--kiosk", action="store_true",
                   help=_("clinic kiosk: full screen, a patient picker, no way out without the staff PIN "
                        "(set it first with `main.py staff set-pin`); see docs/kiosk/"))
    p.add_argument("--idle-timeout", type=float, default=None, metavar="SECONDS",
                   help=_("kiosk: with no input for this long, the exercise is saved and ended and the picker "
                        "returns (default 180)"))
    p.add_argument("--kiosk-status", type=Path, default=None, metavar="FILE",
                   help=_("kiosk: keep FILE naming the screen shown (JSON), for monitoring and tests"))
    p.add_argument("--level", help=_("the program to play: a level name (e.g. classic_home) or a .yaml file "
                                   "(default: the patient's assigned level)"))


def play(ns: argparse.Namespace) -> int:
    from game.app import EXIT_NO_DISPLAY, App, AppOptions, NoDisplay
    from game.context import PlaySettings
    from game.therapy.exercises import BY_ID

    if ns.exercise and ns.exercise not in BY_ID:
        print(f"main.py: unknown exercise '{ns.exercise}'; choose from {', '.join(BY_ID)}", file=sys.stderr)
        return 2
    try:
        w, h = (int(v) for v in ns.size.lower().split("x"))
    except ValueError:
        print(f"main.py: --size must look like 1280x720, got '{ns.size}'", file=sys.stderr)
        return 2
    opts = AppOptions(
        input=ns.input, baud=ns.baud, profile=ns.profile, data_dir=ns.data_dir, fullscreen=ns.fullscreen, headless=ns.headless,
        frames=ns.frames, seconds=ns.seconds, exercise=ns.exercise, game=ns.game, screenshot=ns.screenshot,
        window_size=(w, h), seed=ns.seed, sound=not ns.mute, play=PlaySettings(reps_per_set=ns.reps),
        patient=ns.patient, level=ns.level, kiosk=ns.kiosk, idle_timeout_s=ns.idle_timeout,
        kiosk_status=ns.kiosk_status, record_as=ns.record_as,
    )
    if ns.idle_timeout is not None and not ns.kiosk:
        print("main.py: --idle-timeout is for the clinic kiosk; add --kiosk", file=sys.stderr)
        return 2
    store = open_records_for_play(opts, repair=ns.repair_database)
    if not hasattr(store, "close"):
        return store  # the exit code of a start-up fault (EXIT_STORAGE)
    try:
        app = App(opts, store=store)
    except ValueError as exc:
        store.close()
        print(f"main.py: {exc}", file=sys.stderr)
        return 2
    except NoDisplay as exc:
        store.close()
        print(f"main.py: {exc}", file=sys.stderr)
        return EXIT_NO_DISPLAY
    return app.run()


def open_records_for_play(opts, *, repair: bool = False):  # noqa: ANN001, ANN201 - AppOptions -> Store | int
    """The records for a game, or EXIT_STORAGE after the fault was told on the command
    line and on screen (where a damaged database can be moved aside with consent)."""
    from game.scenes.storage_fault import REPAIR, show_fault_screen
    from game.records.storage_faults import EXIT_STORAGE, StorageFault, open_store

    try:
        store = open_store(opts.data_dir, repair=repair)
    except StorageFault as fault:
        print(fault.message(), file=sys.stderr)
        choice = show_fault_screen(fault, headless=opts.headless, kiosk=opts.kiosk, fullscreen=opts.fullscreen,
                                   window_size=opts.window_size, frames=opts.frames, screenshot=opts.screenshot)
        if choice != REPAIR:
            return EXIT_STORAGE
        try:
            store = open_store(opts.data_dir, repair=True)
        except StorageFault as again:
            print(again.message(), file=sys.stderr)
            return EXIT_STORAGE
    backup = getattr(store, "repaired_from", None)
    if backup is not None:
        print(f"main.py: the damaged records were moved to {backup} (kept, not deleted); "
              "the game starts with fresh records", file=sys.stderr)
    return store


def main(argv: Sequence[str] | None = None) -> int:
    from game.i18n import set_language

    set_language(None)  # messages in the computer's language (the game itself follows each patient's)
    parser = build_parser()
    ns = parser.parse_args(argv)
    if ns.command:
        return SUBCOMMANDS[ns.command][2](ns)
    return play(ns)
