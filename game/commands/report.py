"""``main.py report --patient P --out FILE.pdf|.png``: charts and a table of sessions for the therapist."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from game.cli import subcommand
from game.commands.export import data_dir_argument, open_records


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patient", required=True, help="the patient's number or name")
    p.add_argument("--out", type=Path, required=True, help="the report file: .pdf (charts, then every session) or .png")
    p.add_argument("--no-name", action="store_true", help="leave the patient's name out (number only)")
    data_dir_argument(p)


@subcommand("report", "make a report (PDF or PNG) of one patient's progress, with a table of sessions")(_add)
def run(ns: argparse.Namespace) -> int:
    from game.export import ExportError, find_patient
    from game.report import ReportError, build_report

    if ns.out.suffix.lower() not in (".pdf", ".png"):
        print(f"main.py report: --out must end in .pdf or .png, got '{ns.out.name}'", file=sys.stderr)
        return 2
    store = open_records(ns, "report")
    if store is None:
        return 2
    try:
        patient = find_patient(store, ns.patient)
        out = build_report(store, int(patient["id"]), ns.out, include_name=not ns.no_name)
    except (ExportError, ReportError) as exc:
        print(f"main.py report: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"wrote {out}", file=sys.stderr)
    return 0
