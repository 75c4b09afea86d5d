"""Command-line tools (``main.py COMMAND``). Each module registers its commands
with :func:`game.cli.subcommand`; add new modules to the import list below."""

from game.commands import levels, patients  # noqa: E402, F401
from game.commands import export, replay_session, report  # noqa: E402, F401
from game.commands import simulate  # noqa: E402, F401
from game.commands import devices  # noqa: E402, F401
from game.commands import staff  # noqa: E402, F401
from game.commands import kiosk  # noqa: E402, F401
from game.commands import sync  # noqa: E402, F401
from game.commands import serve  # noqa: E402, F401
