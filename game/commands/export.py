"""``main.py export --patient P --format csv|json|fhir [--out FILE]``: the records
of one patient for the therapist. The only way data leaves the machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from game.cli import subcommand
from game.i18n import N_, _


def data_dir_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help=_("folder of the records database (default: the user's data folder)"))


def open_records(ns: argparse.Namespace, prog: str):  # noqa: ANN201 - returns a Store or None
    """The existing records (never a new empty database), or None after a message."""
    from game.records.storage import DB_NAME, Store, default_data_dir

    folder = Path(getattr(ns, "data_dir", None) or default_data_dir())
    path = folder / DB_NAME
    if not path.is_file():
        print(_("main.py {command}: no records at {path}; play a session first, or give --data-dir").format(
            command=prog, path=path), file=sys.stderr)
        return None
    from game.records.storage_faults import StorageFault, open_store

    try:
        # Checked like the game's start: a damaged, locked or unwritable database is told
        # in plain words (the exit code is EXIT_STORAGE), never a traceback.
        return open_store(path=path, background=False, check_write=False)
    except StorageFault as fault:
        print(fault.message(f"main.py {prog}"), file=sys.stderr)
        ns.storage_fault = fault
        return None


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patient", required=True, help=_("the patient's number or name"))
    p.add_argument("--format", choices=("csv", "json", "fhir"), default="csv",
                   help=_("csv: one row per repetition; json: everything recorded; fhir: a FHIR Bundle of "
                        "Observations (device-derived force, not a dynamometer reading)"))
    p.add_argument("--out", type=Path, help=_("file to write (default: print to the screen)"))
    p.add_argument("--no-name", action="store_true", help=_("leave the patient's name out (number only)"))
    data_dir_argument(p)


@subcommand("export", N_("export one patient's records as CSV, JSON or FHIR"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.records.export import ExportError, check_destination, export, find_patient, write_private

    if ns.out is not None:
        try:
            check_destination(ns.out)  # before the work, so a wrong --out is said at once
        except ExportError as exc:
            print(f"main.py export: {exc}", file=sys.stderr)
            return 2
    store = open_records(ns, "export")
    if store is None:
        return 78 if getattr(ns, "storage_fault", None) else 2  # 78: EXIT_STORAGE, the records cannot be used
    try:
        patient = find_patient(store, ns.patient)
        text = export(store, int(patient["id"]), ns.format, include_name=not ns.no_name)
    except ExportError as exc:
        print(f"main.py export: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if ns.out is None:
        sys.stdout.write(text)
        return 0
    try:
        write_private(ns.out, text)  # atomic, owner-only, never through a link
    except ExportError as exc:
        print(f"main.py export: {exc}", file=sys.stderr)
        return 2
    print(_("wrote {file} ({format}, patient {id})").format(file=ns.out, format=ns.format, id=patient["id"]),
          file=sys.stderr)
    return 0
