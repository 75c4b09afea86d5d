"""``main.py kiosk-supervise [-- GAME OPTIONS]``: run the clinic kiosk and restart it after a crash."""

from __future__ import annotations

import argparse

from game.cli import subcommand
from game.i18n import N_, _


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-pause", type=float, default=60.0, metavar="SECONDS",
                   help=_("longest pause between restarts when the kiosk keeps failing (default 60)"))
    p.add_argument("game_args", nargs=argparse.REMAINDER, metavar="-- GAME OPTIONS",
                   help=_("options for the game after --, e.g. -- --data-dir /srv/squeeze --input auto"))


@subcommand("kiosk-supervise",
            N_("run the clinic kiosk (main.py --kiosk) and start it again whenever it stops without staff closing it"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.supervisor import Backoff, supervise

    args = list(ns.game_args)
    if args and args[0] == "--":
        args = args[1:]
    return supervise(args, backoff=Backoff(max_s=max(1.0, ns.max_pause)))
