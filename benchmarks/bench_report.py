"""The therapist's PDF report for a 14-day history: how long it takes to make.

    python benchmarks/bench_report.py [--days 14] [--runs 5]

The history is made by the real session code (tests/session_history.py: the
SessionRunner, its difficulty controllers and the rep detector on a simulated hand,
written through the Store with provenance), then ``build_report`` writes the whole
PDF (overview, adherence, a trend page per exercise, adaptation, provenance,
sessions) ``runs`` times. Printed: the first report in this process (matplotlib and
the fonts loaded: what ``main.py report`` pays) and the median and worst of the next
ones, wall and CPU (this process's; the wall has other programs in it on a busy
machine). Target: under 3 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import describe_machine, headless_env, load_average, machine, percentile

TARGET_S = 3.0


def run(days: int = 14, runs: int = 5) -> dict:
    headless_env()
    from game.records.report import build_report, gather
    from game.records.storage import Store
    from tests.session_history import build_session_history

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        t0 = time.perf_counter()
        h = build_session_history(folder / "records", days=days)
        made_s = time.perf_counter() - t0
        path = h.store.path
        last = h.wall[0] + 3600
        h.store.close()
        store = Store(path, wall=lambda: last, background=False)
        try:
            n_sessions, n_reps = len(h.session_ids), h.reps
            walls, cpus, pages = [], [], 0
            for i in range(runs + 1):
                out = folder / f"report{i}.pdf"
                w0, c0 = time.perf_counter(), time.process_time()
                build_report(store, h.patient_id, out)
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
                pages = out.read_bytes().count(b"/Type /Page\n") or out.read_bytes().count(b"/Type /Page ")
            w0 = time.perf_counter()
            gather(store, h.patient_id)
            gather_s = time.perf_counter() - w0
        finally:
            store.close()
    return {"days": days, "sessions": n_sessions, "reps": n_reps, "history_made_s": made_s, "pages": pages,
            "first_wall_s": walls[0], "first_cpu_s": cpus[0],
            "median_wall_s": percentile(walls[1:], 50), "max_wall_s": max(walls[1:]),
            "median_cpu_s": percentile(cpus[1:], 50), "max_cpu_s": max(cpus[1:]), "gather_s": gather_s,
            "target_s": TARGET_S, "runs": runs, "load_average": load_average(),
            "at": datetime.now().isoformat(timespec="seconds")}


def print_table(r: dict) -> None:
    print(f"history: {r['days']} days, {r['sessions']} sessions, {r['reps']} reps "
          f"(made by the real session code in {r['history_made_s']:.1f} s); report: {r['pages']} PDF pages")
    print(f"PDF report, first in the process: wall {r['first_wall_s']:.2f} s, cpu {r['first_cpu_s']:.2f} s")
    print(f"PDF report, next {r['runs']}: median wall {r['median_wall_s']:.2f} s (worst {r['max_wall_s']:.2f}), "
          f"median cpu {r['median_cpu_s']:.2f} s (worst {r['max_cpu_s']:.2f}); reading the records "
          f"{r['gather_s'] * 1000:.0f} ms; target < {r['target_s']:.0f} s; load average {r['load_average']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=14, help="days of history (default 14)")
    ap.add_argument("--runs", type=int, default=5, help="reports after the first (default 5)")
    args = ap.parse_args()
    print(describe_machine(machine()))
    print_table(run(args.days, args.runs))


if __name__ == "__main__":
    main()
