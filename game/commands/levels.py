"""``main.py levels check [FILES]`` and ``main.py levels schema``: for therapists
writing level files, and for the schema their editor reads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from game.i18n import N_, _, ngettext
from game.cli import subcommand


def _add(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="levels_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help=_("check level files and explain any mistake (exit code 1 if any)"),
                           description=_("Check level files. With no FILES, checks every file in the level folders."))
    check.add_argument("files", nargs="*", type=Path, metavar="FILES", help=_("level files (.yaml) to check"))
    check.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                       help=_("the therapist's own levels are in DATA_DIR/levels (default: the user's data folder)"))
    check.add_argument("--quiet", action="store_true", help=_("print only the problems"))
    schema = sub.add_parser("schema", help=_("print the JSON Schema for level files, or write it"),
                            description=_("Print the JSON Schema that editors use to autocomplete and check "
                                        "level files, or write it to a file."))
    schema.add_argument("--write", action="store_true",
                        help=_("write it to levels/schema.json (in a source checkout; else use --out)"))
    schema.add_argument("--out", type=Path, help=_("write it to this file"))


@subcommand("levels", N_("check level files; print or write their JSON Schema"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.levels import SCHEMA_FILE, SHIPPED_DIR, check_files, level_dirs, level_files, schema_text
    from game.resources import checkout_root, user_levels_dir

    if ns.levels_command == "schema":
        text = schema_text()
        if ns.write and ns.out is None and checkout_root() is None:
            # An installed game's shipped files are read-only: never rewrite them in place.
            print("main.py levels schema: --write updates levels/schema.json in a source checkout; "
                  "here, name a file with --out FILE", file=sys.stderr)
            return 2
        out = ns.out or (SHIPPED_DIR / SCHEMA_FILE if ns.write else None)
        if out is None:
            sys.stdout.write(text)
            return 0
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"main.py levels schema: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {out}")
        return 0

    data_dir = getattr(ns, "data_dir", None)
    files = ns.files or level_files(level_dirs(data_dir))
    if not files:
        print(_("no level files found"), file=sys.stderr)
        return 1
    if not ns.files and not ns.quiet:
        own = user_levels_dir(data_dir)
        print(_("shipped programs (read-only): {folder}").format(folder=SHIPPED_DIR))
        print(_("your own level files: {folder}").format(folder=own) if own.is_dir() else
              _("your own level files: {folder} (none yet: put .yaml files there)").format(folder=own))
    results = check_files(files)
    bad = 0
    for r in results:
        if r.ok:
            if not ns.quiet:
                assert r.level is not None
                print(ngettext("ok   {file}: {name} ({n} repetition)", "ok   {file}: {name} ({n} repetitions)",
                               r.level.total_reps).format(file=r.display, name=r.level.name, n=r.level.total_reps))
        else:
            bad += 1
            for p in r.problems:
                print(str(p))
    if not ns.quiet or bad:
        print(ngettext("{n} file checked: {fine} fine, {bad} with problems",
                       "{n} files checked: {fine} fine, {bad} with problems", len(results))
              .format(n=len(results), fine=len(results) - bad, bad=bad))
    return 1 if bad else 0
