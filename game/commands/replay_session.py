"""``main.py replay-session SESSION``: run a logged session's raw sensor trace through
the rep detector again and compare the reps with the ones logged at the time."""

from __future__ import annotations

import argparse
import sys

from game.cli import subcommand
from game.commands.export import data_dir_argument, open_records
from game.i18n import N_, _


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", type=int, help=_("the session number (see main.py export --format csv)"))
    p.add_argument("--save-csv", metavar="FILE", help=_("also write the trace as a CSV (t, force, roll_x, roll_y) "
                   "that --input FILE can play"))
    data_dir_argument(p)


def _fmt(v: float | None, spec: str = ".1f") -> str:
    return "-" if v is None else format(v, spec)


@subcommand("replay-session", N_("replay a logged session's sensor trace through the rep detector"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.replay import ReplayError, replay_trace

    store = open_records(ns, "replay-session")
    if store is None:
        return 2
    try:
        if store.db.execute("SELECT 1 FROM sessions WHERE id=?", (ns.session,)).fetchone() is None:
            print(f"main.py replay-session: there is no session {ns.session}", file=sys.stderr)
            return 2
        trace, settings = store.trace(ns.session)
        logged = [dict(r) for r in store.reps(ns.session)]
        try:
            result = replay_trace(trace, settings, logged=logged)
        except ReplayError as exc:
            print(f"main.py replay-session: session {ns.session}: {exc}", file=sys.stderr)
            return 2
        if ns.save_csv:
            from hardware.scripted import save_trace_csv

            save_trace_csv(ns.save_csv, trace)
    finally:
        store.close()
    filt = settings.get("filters", {})
    print(f"session {ns.session}: {settings.get('exercise', '?')}, {result.samples} samples over "
          f"{result.duration_s:.1f} s, detect filter {filt.get('detect_cutoff_hz')} Hz")
    print(f"{'rep':>4} {'start s':>8} {'peak %MVC':>10} {'hold s':>7} {'result':<16} | logged")
    n = max(len(result.reps), len(logged))
    for i in range(n):
        rep = result.reps[i] if i < len(result.reps) else None
        row = logged[i] if i < len(logged) else None
        mine = (f"{rep.number:>4} {rep.t_start:>8.2f} {rep.peak_pct:>10.1f} {rep.hold_s:>7.2f} "
                f"{(rep.failure.value if rep.failure else 'success'):<16}") if rep else f"{'':>4} {'(none)':>8}{'':>36}"
        theirs = (f"rep {row['rep_number']} at {_fmt(row['t_start'], '.2f')} s, peak {_fmt(row['peak_pct'])}, "
                  f"{row['failure'] or 'success'}") if row else "(not logged)"
        print(f"{mine} | {theirs}")
    verdict = "the same reps as logged" if result.matches else "DIFFERENT from the log"
    print(f"replayed {len(result.reps)} reps, logged {len(logged)}: {verdict}")
    return 0 if result.matches else 1
