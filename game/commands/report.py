"""``main.py report --patient P --out FILE.pdf|.png``: charts and a table of sessions for the therapist."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from game.i18n import N_, _
from game.cli import subcommand
from game.commands.export import data_dir_argument, open_records


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patient", required=True, help=_("the patient's number or name"))
    p.add_argument("--out", type=Path, required=True,
                   help=_("the report file: .pdf (overview, adherence with pain and tiredness, a trend page per "
                        "exercise, what adaptation did, the input and program of every session, every session) "
                        "or .png (the overview and the latest sessions)"))
    p.add_argument("--no-name", action="store_true", help=_("leave the patient's name out (number only)"))
    p.add_argument("--language", default=None, metavar="CODE",
                   help=_("the report's language: en, es, de or zh_Hans (default: this computer's, else English)"))
    data_dir_argument(p)


@subcommand("report", N_("make a report (PDF or PNG) of one patient's progress: trends, adherence, adaptation, "
                      "provenance and every session"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.records.export import ExportError, check_destination, find_patient, private_output
    from game.i18n import set_language
    from game.records.report import ReportError, build_report

    set_language(ns.language)  # the therapist's language (an unknown code: the computer's)
    suffix = ns.out.suffix.lower()
    if suffix not in (".pdf", ".png"):
        print(_("main.py report: --out must end in .pdf or .png, got '{name}'").format(name=ns.out.name), file=sys.stderr)
        return 2
    try:
        check_destination(ns.out)  # before the work, so a wrong --out is said at once
    except ExportError as exc:
        print(f"main.py report: {exc}", file=sys.stderr)
        return 2
    store = open_records(ns, "report")
    if store is None:
        return 78 if getattr(ns, "storage_fault", None) else 2  # 78: EXIT_STORAGE, the records cannot be used
    try:
        patient = find_patient(store, ns.patient)
        # Drawn into an owner-only temporary file beside --out, which then replaces it
        # in one step: never through a link, never half a report, 0600 even over a 0644 file.
        with private_output(ns.out, suffix=suffix) as tmp:
            build_report(store, int(patient["id"]), tmp, include_name=not ns.no_name)
    except (ExportError, ReportError) as exc:
        print(f"main.py report: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(_('wrote {out}').format(out=ns.out), file=sys.stderr)
    return 0
