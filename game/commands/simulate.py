"""``main.py simulate``: the difficulty controller and session runner on simulated patients.

Prints a table per patient type (weak, medium, strong, fatiguing) and saves PNG
plots of the target, the running success rate and the force over a session; then a
table for thumbs rolling the ball in strokes (weak, weak and slow, medium, strong),
whose target is a stroke in % of the patient's roll range.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from game.cli import subcommand
from game.i18n import N_, _


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, default=3, help=_("sessions per patient, one a day (default 3)"))
    p.add_argument("--seed", type=int, default=0, help=_("seed: the same seed gives the same result"))
    p.add_argument("--out", type=Path, default=Path("docs/simulation"), help=_("folder for the PNG plots"))
    p.add_argument("--no-plots", action="store_true", help=_("print the table only"))


@subcommand("simulate", N_("run simulated patients through sessions and print how the difficulty adapted"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.program import SessionPlan
    from game.therapy.patient_sim import PATIENTS, simulate

    if ns.days < 1:
        print("main.py simulate: --days must be 1 or more")
        return 2
    if not ns.no_plots:
        from game.records.extras import missing_extra

        problem = missing_extra("matplotlib", "Plots")  # the optional [reports] extra
        if problem:
            print(f"main.py simulate: {problem} (or add --no-plots)", file=sys.stderr)
            return 2
    plan = SessionPlan()
    lo, hi = plan.success_band
    header = (f"{'patient':10} {'day':>3} {'reps':>7} {'success':>7} {'in band by rep':>14} {'minutes':>7} "
              f"{'budget':>6} {'target start-end':>16} {'hold s':>6} {'forced rests':>12} {'next reps/set':>13}")
    print(f"Program: {plan.name}; success aimed for {plan.target_success:.0%} (band {lo:.0%}-{hi:.0%})")
    print(header)
    print("-" * len(header))
    t0 = time.perf_counter()
    all_runs = {}
    for name, model in PATIENTS.items():
        runs = simulate(model, plan, days=ns.days, seed=ns.seed)
        all_runs[name] = runs
        for r in runs:
            rate = r.running_success
            settle = len(rate)
            for i in range(len(rate) - 1, -1, -1):
                if not lo <= rate[i] <= hi:
                    break
                settle = i
            settled = f"{settle + 1}" if settle < len(rate) else "never"
            st = r.states["power_grip"]
            s = r.summary
            print(f"{name:10} {r.day + 1:>3} {s.reps_done:>3}/{s.reps_planned:<3} {s.success_rate:>7.0%} {settled:>14} "
                  f"{s.elapsed_s / 60:>7.1f} {r.budget_s / 60:>6.0f} "
                  f"{r.reps[0].target_before:>7.1f}-{r.reps[-1].target_after:<8.1f} {st.hold_s:>6.1f} "
                  f"{len(r.rests('fatigue')):>12} {st.reps_per_set or 10:>13}")
    print(f"\n{sum(len(v) for v in all_runs.values())} sessions simulated in {time.perf_counter() - t0:.2f} s "
          f"(every rep through the real detector at 100 Hz)")
    _rolling_table(ns, (lo, hi))
    if not ns.no_plots:
        for name, runs in all_runs.items():
            path = ns.out / f"{name}.png"
            plot_session(runs[0], path, band=(lo, hi))
            print(f"plot: {path}")
    return 0


def _settled_at(rate: list[float], lo: float, hi: float) -> str:
    """The rep from which the running success stays inside the band, or "never"."""
    settle = len(rate)
    for i in range(len(rate) - 1, -1, -1):
        if not lo <= rate[i] <= hi:
            break
        settle = i
    return f"{settle + 1}" if settle < len(rate) else "never"


def _rolling_table(ns: argparse.Namespace, band: tuple[float, float]) -> None:
    from game.program import ExercisePlan, SessionPlan
    from game.therapy.patient_sim import ROLLERS, simulate_rolling

    plan = SessionPlan(name="Thumb strokes", exercises=(ExercisePlan("thumb_flex_ext"),))
    header = (f"{'thumb':10} {'day':>3} {'reps':>7} {'success':>7} {'at rep 15':>9} {'in band by rep':>14} "
              f"{'target start-end (% of range)':>30}")
    print(f"\nRolling strokes ({plan.exercises[0].exercise}): the target is how far a stroke goes, "
          "% of the thumb's own roll range")
    print(header)
    print("-" * len(header))
    t0 = time.perf_counter()
    n = 0
    for name, model in ROLLERS.items():
        for r in simulate_rolling(model, plan, days=ns.days, seed=ns.seed):
            n += 1
            rate = r.running_success
            s = r.summary
            at15 = f"{rate[14]:.0%}" if len(rate) >= 15 else "-"
            print(f"{name:10} {r.day + 1:>3} {s.reps_done:>3}/{s.reps_planned:<3} {s.success_rate:>7.0%} {at15:>9} "
                  f"{_settled_at(rate, *band):>14} {r.reps[0].target_before:>14.1f}-{r.reps[-1].target_after:<15.1f}")
    print(f"\n{n} rolling sessions simulated in {time.perf_counter() - t0:.2f} s "
          "(every stroke through the real stroke detector at 100 Hz)")


def plot_session(run, path: Path, *, band: tuple[float, float]) -> None:  # noqa: ANN001
    """Three panels over one session: force and target, running success, per-rep peaks."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(11, 9), constrained_layout=True)
    fig.suptitle(f"Simulated {run.patient} patient, session {run.day + 1}: "
                 f"{run.summary.reps_done} reps, {run.summary.success_rate:.0%} success", fontsize=14)
    t_min = run.trace_t / 60.0
    ax1.plot(t_min, run.trace_pct, color="#0072B2", lw=0.6, label="force (%MVC)")
    ax1.step([r.t / 60 for r in run.reps], [r.target_before for r in run.reps], where="post", color="#D55E00",
             lw=2, label="target (%MVC)")
    for t, d in run.rests():
        ax1.axvspan(t / 60, (t + d["seconds"]) / 60, color="#999999" if d["reason"] != "fatigue" else "#E69F00",
                    alpha=0.25, lw=0)
    ax1.set_xlabel("session time (min); grey: rest, orange: forced rest")
    ax1.set_ylabel("%MVC")
    ax1.legend(loc="upper right")
    n = range(1, len(run.reps) + 1)
    ax2.axhspan(band[0] * 100, band[1] * 100, color="#009E73", alpha=0.15, label="aimed band")
    ax2.plot(n, [100 * v for v in run.running_success], color="#000000", marker="o", ms=3, label="running success")
    ax2.set_ylim(0, 105)
    ax2.set_xlabel("rep")
    ax2.set_ylabel("success so far (%)")
    ax2.legend(loc="lower right")
    ok = [r for r in run.reps if r.success]
    bad = [r for r in run.reps if not r.success]
    ax3.plot(n, [r.target_before for r in run.reps], color="#D55E00", lw=2, label="target")
    ax3.plot(n, [r.capacity_pct for r in run.reps], color="#999999", ls="--", label="hand's capacity (hidden)")
    ax3.scatter([run.reps.index(r) + 1 for r in ok], [r.peak_pct for r in ok], marker="o", color="#009E73",
                label="peak, success")
    ax3.scatter([run.reps.index(r) + 1 for r in bad], [r.peak_pct for r in bad], marker="x", color="#CC79A7",
                s=50, label="peak, missed")
    ax3.set_xlabel("rep")
    ax3.set_ylabel("%MVC")
    ax3.legend(loc="upper right", fontsize=8)
    fig.savefig(path, dpi=90)
    plt.close(fig)
