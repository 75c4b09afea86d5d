"""Memory: resident memory (RSS) after start, and after a long session of play.

- After start: ``main.py`` in a fresh process at the title screen's first frame
  (headless, and in a real window on Xvfb when installed), the median of a few runs.
- After a long session: the soak's scripted hand plays every game through the real
  screens for an hour of game time (headless, 1280x720), unplugging the ball now and
  then; RSS at the start, after the first round of games, at the end and the highest.

Budget: 200 MB at any time (an old clinic PC with 4 GB shares it with the OS and a
browser), and no growth over a session beyond the soak's 10 MB.

    python benchmarks/bench_memory.py             # 1 hour of game time (a few minutes here)
    python benchmarks/bench_memory.py --quick     # 3 minutes of game time, headless start only
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_startup  # noqa: E402
from benchmarks.common import headless_env, print_and_save  # noqa: E402

BUDGET_MB = 200.0
GROWTH_MB = 10.0


def after_start(runs: int, window: bool) -> dict[str, float]:
    """RSS (MB) at the first frame of the title screen, per mode."""
    env = dict(os.environ, PYGAME_HIDE_SUPPORT_PROMPT="1", SDL_AUDIODRIVER="dummy")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = {"headless": bench_startup.measure("headless", runs, dict(env, SDL_VIDEODRIVER="dummy"))[0]["rss_mb"]}
    if window:
        with bench_startup.Xvfb() as x:
            if x is not None:
                win_env = {k: v for k, v in env.items() if k != "SDL_VIDEODRIVER"}
                win_env["DISPLAY"] = x.display
                out["window"] = bench_startup.measure("window", runs, win_env)[0]["rss_mb"]
    return out


def after_session(hours: float) -> dict[str, float]:
    """Play ``hours`` of game time in this process (fresh, so its RSS is the game's own)."""
    headless_env()
    from benchmarks.soak import run_soak

    r = run_soak(hours, heap=False, progress=False)
    return {"hours": hours, "rss_start_mb": r.rss_start_mb, "rss_after_first_round_mb": r.rss_baseline_mb,
            "rss_end_mb": r.rss_end_mb, "rss_max_mb": r.rss_max_mb, "growth_mb": r.rss_end_mb - r.rss_baseline_mb,
            "errors": len(r.errors), "reps": r.reps_in_db}


def run(hours: float, runs: int, window: bool) -> dict[str, object]:
    start = after_start(runs, window)
    session = after_session(hours)
    worst = max([*start.values(), session["rss_max_mb"], session["rss_end_mb"]])
    return {"budget_mb": BUDGET_MB, "after_start_mb": start, "session": session,
            "ok": worst <= BUDGET_MB and session["growth_mb"] < GROWTH_MB and not session["errors"]}


def print_table(res: dict[str, object]) -> None:
    s = res["session"]
    print(f"resident memory (RSS), budget {BUDGET_MB:.0f} MB:")
    for mode, mb in res["after_start_mb"].items():
        print(f"  after start, {mode:<9} {mb:7.1f} MB")
    print(f"  {s['hours']:g} h session: start {s['rss_start_mb']:.1f} MB, after the first round of games "
          f"{s['rss_after_first_round_mb']:.1f} MB, end {s['rss_end_mb']:.1f} MB, highest {s['rss_max_mb']:.1f} MB, "
          f"growth {s['growth_mb']:+.2f} MB ({s['reps']} reps saved)")
    print("  " + ("ok" if res["ok"] else "OVER BUDGET OR GROWING"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 minutes of game time, headless start only")
    ap.add_argument("--hours", type=float, help="game time of the long session (default 1)")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    ns = ap.parse_args(argv)
    hours = ns.hours or (0.05 if ns.quick else 1.0)
    res = run(hours, runs=2 if ns.quick else 5, window=not ns.quick)
    print_and_save(res, print_table, ns.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
