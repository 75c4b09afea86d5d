"""``main.py serve``: run the clinic server (the ``squeeze-quest-server serve`` command).

The server is its own package (server/, the ``[server]`` extra); this only hands over.
Its other commands (migrate, create-clinic, ...) are ``squeeze-quest-server``'s.
"""

from __future__ import annotations

import argparse

from game.cli import subcommand


def _add_args(p: argparse.ArgumentParser) -> None:
    from server.cli import add_serve_arguments

    p.add_argument("--database-url", help="PostgreSQL URL (default: $DATABASE_URL)")
    add_serve_arguments(p)


@subcommand("serve", "run the clinic server (needs the [server] extra; see docs/clinic-server/README.md)")(_add_args)
def run(args: argparse.Namespace) -> int:
    from server.cli import serve

    return serve(args)
