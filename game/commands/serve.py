"""``main.py serve``: run the clinic server (the ``squeeze-quest-server serve`` command).

The server is its own package (server/, the ``[server]`` extra); this only hands over.
Its other commands (migrate, create-clinic, ...) are ``squeeze-quest-server``'s. A copy of
the game without the server package (the desktop build) says how to get it.
"""

from __future__ import annotations

import argparse
import sys

from game.cli import subcommand
from game.i18n import N_, _


def _add_args(p: argparse.ArgumentParser) -> None:
    try:
        from server.cli import add_serve_arguments
    except ImportError:  # a build without the server package
        p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        return
    p.add_argument("--database-url", help=_("PostgreSQL URL (default: $DATABASE_URL)"))
    add_serve_arguments(p)


@subcommand("serve", N_("run the clinic server (needs the [server] extra; see docs/clinic-server/README.md)"))(_add_args)
def run(args: argparse.Namespace) -> int:
    try:
        from server.cli import serve
    except ImportError:
        print(_("This copy of Squeeze Quest has no clinic server. Install it with: "
                "pip install 'squeeze-quest[server]'"), file=sys.stderr)
        return 2
    return serve(args)
