"""The therapist's report: charts and a table of sessions, as PDF or PNG.

Drawn with matplotlib (its Figure API, no pyplot global state), in Atkinson
Hyperlegible like the game. The same queries as the progress screen
(:mod:`game.records`), over a longer window.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from game.exercises import BY_ID
from game.export import DEVICE_NOTE, END_WORDS, export_data
from game.records import local_day, per_exercise, reps_per_day, strength_over_time, streak

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from game.storage import Store

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
DAYS = 28
TABLE_ROWS_PER_PAGE = 28
PNG_TABLE_ROWS = 20
# Okabe-Ito, as in the game (colour-blind safe); every series also has a marker shape.
BLUE, GREEN, ORANGE, GREY = "#0072B2", "#009E73", "#D55E00", "#555555"


class ReportError(ValueError):
    """A report that cannot be made; the message says why."""


@dataclass
class ReportData:
    patient: dict[str, Any]
    today: date
    days: list
    strength: list
    exercises: list
    streak: int
    sessions: list[dict[str, Any]]


def gather(store: Store, patient_id: int, *, include_name: bool = True) -> ReportData:
    today = local_day(store.now())
    data = export_data(store, patient_id, include_name=include_name)
    rows = []
    for s in data["sessions"]:
        reps = s["reps"]
        n = len(reps)
        ok = sum(int(r["success"]) for r in reps)
        peaks = [r["peak_pct"] for r in reps if r["peak_pct"] is not None]
        fatigue = [x["fatigue_index"] for x in s["sets"] if x["fatigue_index"] is not None]
        exercises = sorted({r["exercise"] for r in reps} | {x["exercise"] for x in s["sets"]})
        pain = "-" if s.get("pain_before") is None and s.get("pain_after") is None else (
            f"{_num(s.get('pain_before'))} / {_num(s.get('pain_after'))}")
        rows.append({
            "when": datetime.fromtimestamp(s["started_at"]).strftime("%Y-%m-%d %H:%M"),
            "exercise": ", ".join(BY_ID[e].name if e in BY_ID else e for e in exercises) or "-",
            "reps": f"{n}" if n else "0",
            "on_target": f"{ok} ({ok / n:.0%})" if n else "-",
            "best": f"{max(peaks):.0f}%" if peaks else "-",
            "fatigue": f"{max(fatigue):.0f}%" if fatigue else "-",
            "active": f"{s['active_s'] / 60:.1f}" if s.get("active_s") else "-",
            "pain": pain,
            "ended": END_WORDS.get(s["end_reason"] or "", s["end_reason"] or "open").split(" (")[0],
        })
    return ReportData(
        patient=data["patient"], today=today,
        days=reps_per_day(store, patient_id, today=today, days=DAYS),
        strength=strength_over_time(store, patient_id),
        exercises=per_exercise(store, patient_id),
        streak=streak(store, patient_id, today=today),
        sessions=rows,
    )


def _num(v: Any) -> str:
    return "-" if v is None else str(v)


def _setup_fonts() -> str:
    from matplotlib import font_manager

    for f in sorted(FONT_DIR.glob("*.ttf")):
        font_manager.fontManager.addfont(str(f))
    return "Atkinson Hyperlegible"


def _charts(fig: Figure, grid: Any, d: ReportData) -> None:
    import matplotlib.dates as mdates

    ax = fig.add_subplot(grid[0, 0])
    xs = list(range(len(d.days)))
    ax.bar(xs, [x.reps for x in d.days], color=BLUE, label="all")
    ax.bar(xs, [x.successes for x in d.days], color=GREEN, width=0.45, label="on target")
    ax.set_title(f"Repetitions per day (last {DAYS} days)", loc="left", fontweight="bold")
    ticks = xs[::7] + ([xs[-1]] if xs[-1] % 7 else [])
    ax.set_xticks(ticks, [d.days[i].day.strftime("%d %b") for i in ticks])
    ax.legend(frameon=False, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)

    ax = fig.add_subplot(grid[0, 1])
    pts = [(i, x.success_rate * 100) for i, x in enumerate(d.days) if x.success_rate is not None]
    ax.axhspan(65, 85, color=GREEN, alpha=0.12, label="aim: 65-85%")
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="D", color=GREEN, linewidth=2)
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.5, len(d.days) - 0.5)
    ax.set_xticks(ticks, [d.days[i].day.strftime("%d %b") for i in ticks])
    ax.set_title("Success rate per day (%)", loc="left", fontweight="bold")
    ax.legend(frameon=False, loc="lower left")
    ax.spines[["top", "right"]].set_visible(False)

    ax = fig.add_subplot(grid[1, 0])
    if d.strength:
        hands = sorted({p.hand or "" for p in d.strength})
        for hand, marker in zip(hands, ("o", "s")):
            sel = [p for p in d.strength if (p.hand or "") == hand]
            ax.plot([p.day for p in sel], [p.mvc for p in sel], marker=marker, color=ORANGE if marker == "o" else BLUE,
                    linewidth=2, label=f"{hand} hand" if hand else "MVC")
        ax.legend(frameon=False, loc="lower right")
        ax.set_ylim(bottom=0)
        ax.set_ylabel(d.strength[-1].units)
        loc = mdates.AutoDateLocator(maxticks=6)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    else:
        ax.text(0.5, 0.5, "no calibrations yet", ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_title("Maximal squeeze (MVC) over time, device-derived", loc="left", fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)

    ax = fig.add_subplot(grid[1, 1])
    if d.exercises:
        names = [BY_ID[e.exercise].name if e.exercise in BY_ID else e.exercise for e in d.exercises][::-1]
        reps = [e.reps for e in d.exercises][::-1]
        oks = [e.successes for e in d.exercises][::-1]
        ax.barh(names, reps, color=BLUE, label="all")
        ax.barh(names, oks, color=GREEN, height=0.4, label="on target")
        for y, (n, ok) in enumerate(zip(reps, oks)):
            ax.text(n, y, f"  {n} ({ok / n:.0%})", va="center")
        ax.set_xlim(0, max(reps) * 1.35)
        ax.legend(frameon=False, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no repetitions yet", ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_title("Repetitions per exercise (all time)", loc="left", fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)


COLUMNS = (("when", "Date"), ("exercise", "Exercise"), ("reps", "Reps"), ("on_target", "On target"),
           ("best", "Best peak\n(% MVC)"), ("fatigue", "Fatigue\nindex"), ("active", "Active\nmin"),
           ("pain", "Pain 0-10\nbefore / after"), ("ended", "Ended"))
WIDTHS = (0.15, 0.19, 0.06, 0.1, 0.09, 0.08, 0.07, 0.12, 0.14)


def _table(fig: Figure, rect: tuple[float, float, float, float], rows: list[dict[str, Any]]) -> None:
    ax = fig.add_axes(rect)
    ax.axis("off")
    if not rows:
        ax.text(0, 1, "No sessions recorded yet.", va="top")
        return
    cells = [[r[k] for k, _ in COLUMNS] for r in rows]
    t = ax.table(cellText=cells, colLabels=[h for _, h in COLUMNS], colWidths=WIDTHS, loc="upper center",
                 cellLoc="left")
    t.auto_set_font_size(False)
    t.set_fontsize(9)
    t.scale(1, 1.5)
    for (row, _col), cell in t.get_celld().items():
        cell.set_edgecolor("#BBBBBB")
        if row == 0:
            cell.set_text_props(fontweight="bold")
            cell.set_facecolor("#E8EEF4")
            cell.set_height(cell.get_height() * 1.6)
        elif row % 2 == 0:
            cell.set_facecolor("#F6F6F6")


def _header(fig: Figure, d: ReportData, top: float) -> None:
    p = d.patient
    fig.text(0.06, top, "Squeeze Quest: hand exercise report", fontsize=20, fontweight="bold", va="top")
    total = sum(x.reps for x in d.days)
    fig.text(0.06, top - 0.035,
             f"Patient: {p['name']} (no. {p['id']}), {p['hand']} hand    Report date: {d.today:%d %b %Y}    "
             f"Last {DAYS} days: {total} repetitions; {d.streak} day(s) in a row", fontsize=11, va="top")
    fig.text(0.06, top - 0.058, DEVICE_NOTE, fontsize=9, color=GREY, va="top", wrap=True)


def build_report(store: Store, patient_id: int, out: str | Path, *, include_name: bool = True) -> Path:
    """Write the report; the format follows the file name (.pdf or .png)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    out = Path(out)
    kind = out.suffix.lower()
    if kind not in (".pdf", ".png"):
        raise ReportError(f"the report file must end in .pdf or .png, got '{out.name}'")
    d = gather(store, patient_id, include_name=include_name)
    family = _setup_fonts()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Health data: the file is the owner's only from the start (savefig keeps the mode).
    os.close(os.open(out, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    os.chmod(out, 0o600)
    with matplotlib.rc_context({"font.family": family, "font.size": 10, "axes.titlesize": 12}):
        if kind == ".png":
            rows = d.sessions[-PNG_TABLE_ROWS:][::-1]
            fig = Figure(figsize=(11.7, 8.8 + 0.28 * len(rows) + 0.8), dpi=110)
            h = fig.get_figheight()
            grid = fig.add_gridspec(2, 2, left=0.07, right=0.97, top=1 - 1.75 / h, bottom=1 - 8.0 / h,
                                    hspace=0.4, wspace=0.18)
            _header(fig, d, 1 - 0.3 / h)
            _charts(fig, grid, d)
            more = len(d.sessions) - len(rows)
            title = "Sessions, newest first" + (f" ({more} earlier ones are in the PDF and the exports)" if more else "")
            fig.text(0.06, 1 - 8.55 / h, title, fontsize=12, fontweight="bold", va="top")
            _table(fig, (0.06, 0.02, 0.9, 1 - 8.8 / h - 0.02), rows)
            fig.savefig(out)
        else:
            from matplotlib.backends.backend_pdf import PdfPages

            with PdfPages(out, metadata={"Title": "Squeeze Quest hand exercise report", "Creator": "Squeeze Quest"}) as pdf:
                fig = Figure(figsize=(11.7, 8.3))  # A4 landscape
                grid = fig.add_gridspec(2, 2, left=0.07, right=0.97, top=0.80, bottom=0.07, hspace=0.4, wspace=0.18)
                _header(fig, d, 0.96)
                _charts(fig, grid, d)
                pdf.savefig(fig)
                rows = d.sessions[::-1]
                pages = [rows[i:i + TABLE_ROWS_PER_PAGE] for i in range(0, len(rows), TABLE_ROWS_PER_PAGE)] or [[]]
                for i, page in enumerate(pages, 1):
                    fig = Figure(figsize=(11.7, 8.3))
                    fig.text(0.06, 0.95, f"Sessions, newest first (page {i} of {len(pages)})", fontsize=14,
                             fontweight="bold", va="top")
                    _table(fig, (0.06, 0.04, 0.9, 0.86), page)
                    pdf.savefig(fig)
    return out
