"""``main.py staff set-pin|status|names``: the kiosk's staff PIN and settings from a shell."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from game.i18n import N_, _
from game.cli import subcommand


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help=_("folder of the records database (default: the user's data folder)"))
    sub = p.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    sp = sub.add_parser("set-pin", help=_("set the staff PIN that opens the kiosk's staff menu (asked twice, not shown)"))
    sp.add_argument("--pin-stdin", action="store_true",
                    help=_("read the PIN from the first line of standard input (for scripts), not from the terminal"))
    sub.add_parser("status", help=_("whether a PIN is set, and whether entry is locked after wrong tries"))
    names = sub.add_parser("names", help=_("show patients' full names on the kiosk tiles: on or off (default off)"))
    names.add_argument("state", choices=("on", "off"))


def _read_pin(from_stdin: bool) -> str | None:
    from game.staff import MAX_DIGITS, MIN_DIGITS

    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            print(_("main.py staff set-pin: no PIN on standard input"), file=sys.stderr)
            return None
        return line.strip()
    try:
        first = getpass.getpass(_('New staff PIN ({min_digits} to {max_digits} digits): ').format(min_digits=MIN_DIGITS, max_digits=MAX_DIGITS))
        again = getpass.getpass(_("The same PIN again: "))
    except (EOFError, KeyboardInterrupt):
        print(_("\nmain.py staff set-pin: no PIN set"), file=sys.stderr)
        return None
    if first != again:
        print(_("main.py staff set-pin: the two PINs differ; nothing was changed"), file=sys.stderr)
        return None
    return first


@subcommand("staff", N_("the clinic kiosk: set the staff PIN, see if entry is locked, names on tiles"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.staff import MIN_DIGITS, KioskSettings, PinError, StaffLock, format_wait
    from game.records.storage import Store

    store = Store.in_dir(getattr(ns, "data_dir", None), background=False)
    try:
        lock = StaffLock(store)
        if ns.staff_command == "set-pin":
            pin = _read_pin(ns.pin_stdin)
            if pin is None:
                return 1
            try:
                lock.set_pin(pin)
            except PinError as exc:
                print(_('main.py staff set-pin: {exc}; nothing was changed').format(exc=exc), file=sys.stderr)
                return 2
            print(_("Staff PIN set. In the kiosk, press Ctrl+Alt+S, then type the PIN."))
            return 0
        if ns.staff_command == "status":
            if not lock.has_pin:
                print(_("No staff PIN is set. Set one with: main.py staff set-pin"))
                return 0
            wait = lock.locked_for()
            print(_("Staff PIN is set."))
            if lock.needs_rehash():
                print(_('It is kept with an older, faster hash; it is hashed again (slower to guess) the next time it is typed in the kiosk. A PIN of fewer than {min_digits} digits should be replaced: main.py staff set-pin').format(min_digits=MIN_DIGITS))
            print(_('Locked after wrong tries: {value} left.').format(value=format_wait(wait)) if wait > 0
                  else _('Not locked; {value} tries before a lockout.').format(value=lock.tries_left()))
            print(_('Names on tiles: {value}').format(value=_('on') if KioskSettings(store).show_names else _('off')))
            return 0
        if ns.staff_command == "names":
            KioskSettings(store).set("show_names", ns.state == "on")
            print(_('Names on tiles: {state}').format(state=_(ns.state)))
            return 0
    finally:
        store.close()
    return 2
