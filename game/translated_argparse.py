"""argparse in the reader's language: the words argparse adds itself.

Our own help texts are marked with ``_()`` where the commands are defined. argparse adds
a few words of its own ("usage:", "options", "positional arguments", "show this help
message and exit", "error") from Python's ``argparse`` gettext domain, which no system
ships translated. :class:`Parser` says those in our catalogue's words, through argparse's
public hooks (the usage prefix, the group titles, our own ``-h`` and ``error``), so no
process-wide state of argparse is changed. Its longer error sentences ("the following
arguments are required: ...", "invalid choice: ...") stay Python's English.

Subparsers made with ``add_subparsers().add_parser`` are of the same class.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from game.i18n import _


class Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose own words (usage, section titles, -h, error) are translated
    when the parser is built: build it after the language is chosen."""

    def __init__(self, *args, **kwargs) -> None:
        add_help = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        if add_help:
            prefix = "-" if "-" in self.prefix_chars else self.prefix_chars[0]
            self.add_argument(prefix + "h", prefix * 2 + "help", action="help", default=argparse.SUPPRESS,
                              help=_("show this help message and exit"))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, _("{prog}: error: {message}").format(prog=self.prog, message=message) + "\n")
