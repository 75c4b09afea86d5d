"""The therapist's report: charts and tables, as PDF (every page) or PNG (the overview).

Drawn with matplotlib (its Figure API, no pyplot global state), in Atkinson
Hyperlegible like the game. The same records as the exports (:mod:`game.records.export`),
with their provenance:

1. overview: repetitions and success per day, the strongest squeeze over time (one
   device's units per axis; kg only for a weight-calibrated ball, with its basis),
   repetitions per exercise;
2. adherence (days played against days prescribed), pain and tiredness before/after;
3. one trend page per exercise: repetitions, success, target and hold time over the
   days (roll reached for the rolling exercises), with the input of each day marked;
4. what adaptation did: every stored difficulty change, summed per day and exercise;
5. provenance: input, device, calibration and program version of every session;
6. every session.

Force is never shown as a dynamometer reading: %MVC is "% of this patient's strongest
squeeze (device-derived)", and a keyboard's imitated squeeze is drawn apart from a ball's.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from game.i18n import N_, _
from game.therapy.exercises import BY_ID
from game.records.export import DEVICE_NOTE, END_WORDS, KINDS_WITHOUT_SENSOR, export_data
from game.records.provenance import input_words
from game.records.records import local_day, per_exercise, reps_per_day, streak

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from game.records.storage import Store

DAYS = 28
PNG_TABLE_ROWS = 20
PAGE = (11.7, 8.3)  # A4 landscape, inches
# Okabe-Ito, as in the game (colour-blind safe); every series also has a marker shape.
BLUE, GREEN, ORANGE, GREY, PURPLE, SKY = "#0072B2", "#009E73", "#D55E00", "#555555", "#CC79A7", "#56B4E9"
PCT_MVC = N_("percent of this patient's strongest squeeze (device-derived)")  # words: translated where drawn
TABLE_FONT = ("Atkinson Hyperlegible",)
# How each input is drawn on a chart: a ball's own marker; stand-ins hollow and grey.
INPUT_STYLE = {"ball": ("o", BLUE, N_("ball")), "keyboard": ("s", GREY, N_("keyboard (imitated)")),
               "mouse": ("s", GREY, N_("mouse (imitated)")), "gamepad": ("s", GREY, N_("gamepad (imitated)")),
               "simulator": ("x", PURPLE, N_("simulator")), "trace": ("x", PURPLE, N_("trace file")),
               "unknown": ("^", GREY, N_("input not recorded"))}
SHORT_INPUT = {"ball": N_("Ball"), "keyboard": N_("Keyboard"), "mouse": N_("Mouse"), "gamepad": N_("Gamepad"),
               "simulator": N_("Simulator"), "trace": N_("Trace file"), "unknown": N_("not recorded")}


class ReportError(ValueError):
    """A report that cannot be made; the message says why."""


def _need_matplotlib() -> None:
    """matplotlib is the optional ``[reports]`` extra: say how to add it, never a traceback."""
    from game.records.extras import missing_extra

    problem = missing_extra("matplotlib", "Reports")
    if problem:
        raise ReportError(problem)


@dataclass
class DayExercise:
    """One exercise on one day: what was asked and what was done."""

    day: date
    reps: int = 0
    successes: int = 0
    targets: list[float] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)
    reached: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # input kind -> values

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.reps if self.reps else None


@dataclass
class StrengthSeries:
    """Maximal squeezes of one device, in its own units (or kg, when weight-calibrated)."""

    device: str
    units: str
    basis: str
    points: list[tuple[date, float, str]]  # day, value, hand


@dataclass
class ReportData:
    patient: dict[str, Any]
    today: date
    days: list
    exercises: list
    streak: int
    sessions: list[dict[str, Any]]
    strength: list[StrengthSeries] = field(default_factory=list)
    trends: dict[str, list[DayExercise]] = field(default_factory=dict)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    adherence: dict[str, Any] = field(default_factory=dict)
    adaptation: list[dict[str, Any]] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)  # each distinct provenance, in full
    simulated_sessions: int = 0


# ----------------------------------------------------------------------- data
def gather(store: Store, patient_id: int, *, include_name: bool = True) -> ReportData:
    today = local_day(store.now())
    data = export_data(store, patient_id, include_name=include_name)
    rows, ratings, prov_rows, changes = [], [], [], []
    refs: dict[str, str] = {}  # provenance uid -> "D1", "D2"...: each input's details are listed once
    devices: dict[str, dict[str, str]] = {}
    trends: dict[str, dict[date, DayExercise]] = defaultdict(dict)
    for s in data["sessions"]:
        reps = s["reps"]
        n = len(reps)
        ok = sum(int(r["success"]) for r in reps)
        day = local_day(s["started_at"])
        # A keyboard's or simulator's "peak" is no one's strength: only a ball's reps count here.
        force = [r["peak_pct"] for r in reps if r["peak_pct"] is not None and not _rolling(r["exercise"])
                 and r["input_kind"] in ("ball", "unknown")]
        fatigue = [x["fatigue_index"] for x in s["sets"] if x["fatigue_index"] is not None]
        exercises = sorted({r["exercise"] for r in reps} | {x["exercise"] for x in s["sets"]})
        sprov = s["provenance"] or {}
        inputs = s["inputs"] or [sprov.get("input_kind") or "unknown"]
        rows.append({
            "when": datetime.fromtimestamp(s["started_at"]).strftime("%Y-%m-%d %H:%M"),
            "exercise": ", ".join(_name(e) for e in exercises) or "-",
            "input": " + ".join(_(SHORT_INPUT.get(k, k)) for k in inputs) + (" (sim)" if s.get("simulated") else ""),
            "reps": f"{n}" if n else "0",
            "on_target": f"{ok} ({ok / n:.0%})" if n else "-",
            "best": f"{max(force):.0f}%" if force else "-",
            "fatigue": f"{max(fatigue):.0f}%" if fatigue else "-",
            "active": f"{s['active_s'] / 60:.1f}" if s.get("active_s") else "-",
            "pain": _pair(s.get("pain_before"), s.get("pain_after")),
            "tired": _pair(s.get("fatigue_before"), s.get("fatigue_after")),
            "ended": _(END_WORDS.get(s["end_reason"] or "", s["end_reason"] or "open")).split(" (")[0],
        })
        ratings.append({"day": day, "at": s["started_at"], **{k: s.get(k) for k in (
            "pain_before", "pain_after", "fatigue_before", "fatigue_after")}})
        for r in reps:
            de = trends[r["exercise"]].setdefault(day, DayExercise(day))
            de.reps += 1
            de.successes += int(r["success"])
            if r["target_pct"] is not None:
                de.targets.append(float(r["target_pct"]))
            if r["hold_target_s"] is not None:
                de.holds.append(float(r["hold_target_s"]))
            value = r["roll_range"] if _rolling(r["exercise"]) else r["peak_pct"]
            if value is not None:
                de.reached[r["input_kind"]].append(float(value))
        # Provenance, per session (and a second line where some reps came from another input).
        by_prov = Counter(r["provenance_uid"] or s["provenance_uid"] for r in reps) or Counter({s["provenance_uid"]: 0})
        for uid, count in by_prov.most_common():
            p = data["provenance"].get(uid) or sprov
            ref = refs.setdefault(uid or "", f"D{len(refs) + 1}")
            program = (f"{Path(str(p.get('program_file') or s.get('level') or 'not recorded')).name}  "
                       f"{p.get('program_version') or 'version not recorded'}")
            word = _(input_words(p.get("input_kind"))).split(" (")[0] + (_(" (simulated)") if p.get("simulated") else "")
            if ref not in devices:
                devices[ref] = {"ref": ref, "input": word, "device": _device_words(p),
                                "calibration": p.get("calibration_basis") or "not recorded", "program": program}
            prov_rows.append({"when": rows[-1]["when"], "session": str(s["id"]), "reps": str(count), "input": word,
                              "ref": ref, "name": str(p.get("device_name") or "-"),
                              "calibration": devices[ref]["calibration"], "program": program})
        for c in s["difficulty_changes"]:
            changes.append({**c, "day": local_day(c["at"])})
    return ReportData(
        patient=data["patient"], today=today,
        days=reps_per_day(store, patient_id, today=today, days=DAYS),
        exercises=per_exercise(store, patient_id),
        streak=streak(store, patient_id, today=today),
        sessions=rows,
        strength=_strength(store, patient_id, data),
        trends={ex: [d for _, d in sorted(days.items())] for ex, days in trends.items()},
        ratings=ratings,
        adherence=_adherence(data, today),
        adaptation=_adaptation(changes),
        provenance=prov_rows,
        inputs=list(devices.values()),
        simulated_sessions=sum(1 for s in data["sessions"] if s.get("simulated")),
    )


def _rolling(exercise: str) -> bool:
    info = BY_ID.get(exercise)
    return bool(info and info.channel == "roll")


def _name(exercise: str) -> str:
    return _(BY_ID[exercise].name) if exercise in BY_ID else exercise


def _pair(a: Any, b: Any) -> str:
    return "-" if a is None and b is None else f"{_num(a)} / {_num(b)}"


def _num(v: Any) -> str:
    return "-" if v is None else str(v)


def _device_words(p: dict[str, Any]) -> str:
    parts = [str(p.get("device_name") or "-")]
    if p.get("device_id"):
        parts.append(str(p["device_id"]))
    extra = [_('firmware {value}').format(value=p['firmware']) if p.get("firmware") else "",
             _('profile {value}').format(value=p['device_profile']) if p.get("device_profile") else "",
             _('roll by {value}').format(value=p['roll_input']) if p.get("roll_input") else ""]
    extra = [e for e in extra if e]
    if extra:
        parts.append(", ".join(extra))
    return "\n".join(parts)


def _strength(store: Store, patient_id: int, data: dict[str, Any]) -> list[StrengthSeries]:
    """Maximal squeezes per device, never two devices on one axis: the calibrations of
    each ball (kg where weight-calibrated), else the MVC ball sessions were played with."""
    series: dict[tuple[str, str], StrengthSeries] = {}
    for c in data["calibrations"]:
        device = c.get("device") or _("ball (device not recorded)")
        kg = c.get("units") not in (None, "device units") and c.get("scale")
        units = str(c["units"]) if kg else "device units"
        key = (device, units)
        if key not in series:
            basis = (_('{units}, ball weight-calibrated ({value:.4g} {units} per unit)').format(units=units, value=c['scale']) if kg
                     else _('device units of {device} (not a dynamometer)').format(device=device))
            series[key] = StrengthSeries(device, units, basis, [])
        value = float(c["mvc"]) * float(c["scale"]) if kg else float(c["mvc"])
        series[key].points.append((local_day(c["recorded_at"]), value, c["hand"]))
    if not series:
        for s in data["sessions"]:
            p = s["provenance"] or {}
            if p.get("input_kind") != "ball" or s.get("mvc_device") is None:
                continue
            device = p.get("device_name") or "ball"
            key = (device, "device units")
            series.setdefault(key, StrengthSeries(device, "device units",
                                                  _('device units of {device}, as played (not a dynamometer)').format(device=device), []))
            series[key].points.append((local_day(s["started_at"]), float(s["mvc_device"]), ""))
    for ser in series.values():  # the best of each day and hand
        best: dict[tuple[date, str], float] = {}
        for d, v, h in ser.points:
            best[(d, h)] = max(v, best.get((d, h), v))
        ser.points = sorted((d, v, h) for (d, h), v in best.items())
    return sorted(series.values(), key=lambda x: -len(x.points))


def _adherence(data: dict[str, Any], today: date) -> dict[str, Any]:
    """Days with exercise against days prescribed, from the first session to today (at most DAYS)."""
    played = sorted({local_day(s["started_at"]) for s in data["sessions"] if s["reps"] and not s.get("simulated")})
    if not played:
        return {"first": None, "played": [], "window": [], "per_week": 7}
    first = max(played[0], today - timedelta(days=DAYS - 1))
    window = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    # The programs state no days per week yet: the prescription is taken as every day, and said so.
    return {"first": first, "played": [d for d in played if d >= first], "window": window, "per_week": 7}


def _adaptation(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored difficulty changes summed per day, exercise and setting: from, to, how many, why."""
    groups: dict[tuple[date, str, str], list[dict[str, Any]]] = defaultdict(list)
    for c in sorted(changes, key=lambda c: (c["at"], c["id"])):
        groups[(c["day"], c["exercise"], c["setting"])].append(c)
    out = []
    for (day, exercise, setting), cs in sorted(groups.items()):
        ups = sum(1 for c in cs if c["before"] is not None and c["after"] is not None and c["after"] > c["before"])
        downs = sum(1 for c in cs if c["before"] is not None and c["after"] is not None and c["after"] < c["before"])
        reasons = Counter((c["reason"] or _("not said")) for c in cs)
        between = sum(1 for c in cs if c["rep_number"] is None)
        out.append({"day": day, "exercise": exercise, "setting": setting, "from": cs[0]["before"],
                    "to": cs[-1]["after"], "n": len(cs), "ups": ups, "downs": downs, "between_sets": between,
                    "reasons": reasons})
    return out


# ---------------------------------------------------------------------- drawing
def _setup_fonts(fonts: Path | None) -> str | list[str]:
    """The game's own font (Atkinson Hyperlegible) from ``fonts``; None: where it ships
    (:func:`game.resources.fonts_dir`, a data location, no UI)."""
    from matplotlib import font_manager

    if fonts is None:
        from game.resources import fonts_dir

        fonts = fonts_dir()
    for f in sorted(Path(fonts).glob("*.ttf")):
        _add_font(font_manager.fontManager, f)
    from game.i18n import current_language
    from game.resources import CJK_LANGUAGES

    if current_language() in CJK_LANGUAGES:  # the Chinese subset has Latin letters and digits too
        for f in sorted(Path(fonts).glob("*.otf")):
            _add_font(font_manager.fontManager, f)
        return ["Noto Sans CJK SC", "Atkinson Hyperlegible"]
    return "Atkinson Hyperlegible"


def _add_font(manager: Any, path: Path) -> None:
    """Add a font file to matplotlib's process-wide font list once. addfont appends on every
    call and empties the font lookup cache: one report after another (the clinic server's
    portal, for days) would grow the list, and every lookup with it, without end."""
    name = os.path.realpath(path)
    if not any(entry.fname == name for entry in manager.ttflist):
        manager.addfont(name)


def _tidy(ax: Any) -> None:
    from matplotlib.ticker import AutoLocator, MaxNLocator

    ax.spines[["top", "right"]].set_visible(False)
    if type(ax.yaxis.get_major_locator()) is AutoLocator:
        ax.yaxis.set_major_locator(MaxNLocator(5))  # enough to read; each tick label costs as much as a line


def _date_axis(ax: Any, days: list[date] | list[datetime]) -> None:
    """Whole days on the x axis: a date is drawn at its midnight (a bar centred there); with
    times of day (ratings) each day spans midnight to midnight and its label sits at noon."""
    import matplotlib.dates as mdates

    if not days:
        return
    timed = any(isinstance(d, datetime) for d in days)
    first = min(d.date() if isinstance(d, datetime) else d for d in days)
    last = max(d.date() if isinstance(d, datetime) else d for d in days)
    start = datetime.combine(first, datetime.min.time())
    n = (last - first).days + 1
    if timed:
        ax.set_xlim(start, start + timedelta(days=n))
        ticks = [start + timedelta(days=i, hours=12) for i in range(0, n, max(1, -(-n // 6)))]
    else:
        ax.set_xlim(start - timedelta(days=0.6), start + timedelta(days=n - 1 + 0.6))
        ticks = [start + timedelta(days=i) for i in range(0, n, max(1, -(-n // 6)))]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))


def _legend(ax: Any, handles: list | None = None, labels: list | None = None) -> None:
    """On its own line between the title and the chart: never over the data or the title."""
    title = ax.get_title(loc="left")
    if title:
        ax.set_title(title, loc="left", fontweight="bold", pad=18)
    kw = {"frameon": False, "loc": "lower left", "bbox_to_anchor": (0.0, 1.0), "fontsize": 8, "ncol": 4,
          "borderaxespad": 0.1, "handlelength": 1.6, "columnspacing": 1.0}
    if handles is not None:
        ax.legend(handles, labels, **kw)
    else:
        ax.legend(**kw)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=GREY)


def _page_title(fig: Figure, d: ReportData, title: str, subtitle: str = "") -> None:
    p = d.patient
    fig.text(0.06, 0.965, title, fontsize=16, fontweight="bold", va="top")
    fig.text(0.97, 0.965, _('{value} (no. {value2}), {today:%d %b %Y}').format(value=p['name'], value2=p['id'], today=d.today), fontsize=9, color=GREY, va="top",
             ha="right")
    if subtitle:
        fig.text(0.06, 0.925, subtitle, fontsize=9.5, color=GREY, va="top", wrap=True)


def _charts(fig: Figure, grid: Any, d: ReportData) -> None:
    ax = fig.add_subplot(grid[0, 0])
    xs = list(range(len(d.days)))
    ax.bar(xs, [x.reps for x in d.days], color=BLUE, label=_("all"))
    ax.bar(xs, [x.successes for x in d.days], color=GREEN, width=0.45, label=_("on target"))
    ax.set_title(_('Repetitions per day (last {days} days)').format(days=DAYS), loc="left", fontweight="bold")
    ticks = xs[::7] + ([xs[-1]] if xs[-1] % 7 else [])
    ax.set_xticks(ticks, [d.days[i].day.strftime("%d %b") for i in ticks])
    ax.legend(frameon=False, loc="upper left")
    _tidy(ax)

    ax = fig.add_subplot(grid[0, 1])
    pts = [(i, x.success_rate * 100) for i, x in enumerate(d.days) if x.success_rate is not None]
    ax.axhspan(65, 85, color=GREEN, alpha=0.12, label=_("aim: 65-85%"))
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="D", color=GREEN, linewidth=2)
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.5, len(d.days) - 0.5)
    ax.set_xticks(ticks, [d.days[i].day.strftime("%d %b") for i in ticks])
    ax.set_title(_("Success rate per day (%)"), loc="left", fontweight="bold")
    ax.legend(frameon=False, loc="lower left")
    _tidy(ax)

    ax = fig.add_subplot(grid[1, 0])
    _strength_chart(ax, d)

    ax = fig.add_subplot(grid[1, 1])
    if d.exercises:
        names = [_name(e.exercise) for e in d.exercises][::-1]
        reps = [e.reps for e in d.exercises][::-1]
        oks = [e.successes for e in d.exercises][::-1]
        ax.barh(names, reps, color=BLUE, label=_("all"))
        ax.barh(names, oks, color=GREEN, height=0.4, label=_("on target"))
        for y, (n, ok) in enumerate(zip(reps, oks)):
            ax.text(n, y, f"  {n} ({ok / n:.0%})", va="center")
        ax.set_xlim(0, max(reps) * 1.35)
        ax.legend(frameon=False, loc="lower right")
    else:
        _empty(ax, _("no repetitions yet"))
    ax.set_title(_("Repetitions per exercise (all time)"), loc="left", fontweight="bold")
    _tidy(ax)


def _strength_chart(ax: Any, d: ReportData) -> None:
    """One device's maximal squeezes on this axis (its units, or kg with their basis); others named below."""
    ax.set_title(_("Strongest squeeze (MVC) over time"), loc="left", fontweight="bold")
    _tidy(ax)
    if not d.strength:
        _empty(ax, _("no ball calibrations yet\n(keyboard and simulator play measure no force)"))
        return
    ser = d.strength[0]
    hands = sorted({h for _, _, h in ser.points})
    for hand, marker, colour in zip(hands, ("o", "s"), (ORANGE, BLUE)):
        sel = [(day, v) for day, v, h in ser.points if h == hand]
        ax.plot([p[0] for p in sel], [p[1] for p in sel], marker=marker, color=colour, linewidth=2,
                label=(_("Left hand") if hand == "left" else _("Right hand")) if hand else ser.device)
    ax.legend(frameon=False, loc="lower right")
    ax.set_ylim(bottom=0)
    ax.set_ylabel(_(ser.units))
    _date_axis(ax, [p[0] for p in ser.points])
    note = f"{ser.device}: {ser.basis}"
    if len(d.strength) > 1:
        note += _("; not on this axis (other units): ") + ", ".join(f"{o.device} ({o.units})" for o in d.strength[1:])
    ax.text(0, -0.2, note, transform=ax.transAxes, fontsize=8, color=GREY, va="top", wrap=True)


def _header(fig: Figure, d: ReportData, top: float) -> None:
    p = d.patient
    fig.text(0.06, top, _("Squeeze Quest: hand exercise report"), fontsize=20, fontweight="bold", va="top")
    total = sum(x.reps for x in d.days)
    fig.text(0.06, top - 0.035,
             _('Patient: {value} (no. {value2}), {value3} hand    Report date: {today:%d %b %Y}    Last {days} days: {total} repetitions; {streak} day(s) in a row').format(value=p['name'], value2=p['id'], value3=_("left") if p["hand"] == "left" else _("right"), today=d.today, days=DAYS, total=total, streak=d.streak), fontsize=11, va="top")
    note = _(DEVICE_NOTE)
    if d.simulated_sessions:
        note += _(" {simulated_sessions} session(s) here are SIMULATED play (marked 'sim'), not the patient's.").format(simulated_sessions=d.simulated_sessions)
    fig.text(0.06, top - 0.058, note, fontsize=9, color=GREY, va="top", wrap=True)


def _page_adherence(fig: Figure, d: ReportData) -> None:
    a = d.adherence
    window, played = a.get("window") or [], set(a.get("played") or [])
    _page_title(fig, d, _("Adherence, pain and tiredness"),
                _("Prescribed: every day (the program states no days per week). Ratings are the patient's own, "
                "0 (none) to 10 (worst), before and after each session."))
    grid = fig.add_gridspec(3, 1, left=0.07, right=0.97, top=0.83, bottom=0.07, hspace=0.6,
                            height_ratios=[0.7, 1, 1])
    ax = fig.add_subplot(grid[0])
    if window:
        # Each day's bar spans its day (from noon), on the same time axis as the ratings below.
        noon = [datetime.combine(x, datetime.min.time()) + timedelta(hours=12) for x in window]
        ax.bar(noon, [1] * len(window), color="#E6E6E6", width=0.85, label=_("prescribed"))
        ax.bar([t for t, x in zip(noon, window) if x in played], [1] * sum(1 for x in window if x in played),
               color=GREEN, width=0.85, label=_("played"))
        ax.set_yticks([])
        _date_axis(ax, noon)
        n = sum(1 for x in window if x in played)
        ax.set_title(_('Days played: {n} of {n2} prescribed ({value:.0%}), {value2:%d %b} to {value3:%d %b}').format(n=n, n2=len(window), value=n / len(window), value2=window[0], value3=window[-1]), loc="left", fontweight="bold")
        _legend(ax)
    else:
        _empty(ax, _("no sessions yet"))
        ax.set_title(_("Days played"), loc="left", fontweight="bold")
    _tidy(ax)
    for i, (what, colour) in enumerate((("pain", ORANGE), ("fatigue", BLUE)), 1):
        ax = fig.add_subplot(grid[i])
        label = _("Pain") if what == "pain" else _("Tiredness")
        rows = [r for r in d.ratings if r[f"{what}_before"] is not None or r[f"{what}_after"] is not None]
        ax.set_title(_('{label} before and after (0-10)').format(label=label), loc="left", fontweight="bold")
        if rows:
            xs = [datetime.fromtimestamp(r["at"]) for r in rows]
            for when, marker, style in (("before", "o", "-"), ("after", "s", "--")):
                pts = [(x, r[f"{what}_{when}"]) for x, r in zip(xs, rows) if r[f"{what}_{when}"] is not None]
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, linestyle=style, color=colour,
                            markerfacecolor=colour if when == "before" else "white", linewidth=1.6,
                            label=_('{when} the session').format(when=when))
            _legend(ax)
            _date_axis(ax, [datetime.combine(x, datetime.min.time()) + timedelta(hours=12) for x in window]
                       if window else xs)
        else:
            _empty(ax, _('no {value} ratings yet').format(value=label.lower()))
        ax.set_ylim(-0.3, 10.3)
        ax.set_yticks([0, 2, 4, 6, 8, 10])
        _tidy(ax)


def _page_exercise(fig: Figure, d: ReportData, exercise: str) -> None:
    days = d.trends[exercise]
    rolling = _rolling(exercise)
    xs = [x.day for x in days]
    kinds = sorted({k for x in days for k in x.reached})
    _page_title(fig, d, _('{value}: trend over the days').format(value=_name(exercise)),
                (_("Rolling exercise: target and reach as a percentage of this patient's comfortable roll range (calibrated).")
                 if rolling else _('Target and peak in {pct_mvc}.').format(pct_mvc=_(PCT_MVC)))
                + _(' Inputs: {value}.').format(value=', '.join((_(INPUT_STYLE.get(k, INPUT_STYLE['unknown'])[2]) for k in kinds)) or _('none')))
    grid = fig.add_gridspec(2, 2, left=0.07, right=0.95, top=0.82, bottom=0.07, hspace=0.45, wspace=0.32)

    ax = fig.add_subplot(grid[0, 0])
    ax.bar(xs, [x.reps for x in days], color=BLUE, width=0.8, label=_("all"))
    ax.bar(xs, [x.successes for x in days], color=GREEN, width=0.4, label=_("on target"))
    ax.set_title(_("Repetitions per day"), loc="left", fontweight="bold")
    _legend(ax)
    _date_axis(ax, xs)
    _tidy(ax)

    ax = fig.add_subplot(grid[0, 1])
    ax.axhspan(65, 85, color=GREEN, alpha=0.12, label=_("aim 65-85%"))
    pts = [(x.day, x.success_rate * 100) for x in days if x.success_rate is not None]
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="D", color=GREEN, linewidth=2, label=_("success"))
    ax.set_ylim(0, 100)
    ax.set_title(_("Success rate per day (%)"), loc="left", fontweight="bold")
    _legend(ax)
    _date_axis(ax, xs)
    _tidy(ax)

    ax = fig.add_subplot(grid[1, 0])
    tdays = [x for x in days if x.targets]
    if tdays:
        lo = [min(x.targets) for x in tdays]
        hi = [max(x.targets) for x in tdays]
        mid = [sum(x.targets) / len(x.targets) for x in tdays]
        ax.fill_between([x.day for x in tdays], lo, hi, color=ORANGE, alpha=0.18, step="mid", label=_("lowest-highest"))
        ax.plot([x.day for x in tdays], mid, marker="o", color=ORANGE, linewidth=2, label=_("mean target"))
        ax.set_ylabel(_("percent of roll range") if rolling else _("percent of strongest squeeze"))
        ax.set_ylim(0, max(hi) * 1.15)
    else:
        _empty(ax, _("no target recorded"))
    ax.set_title(_("Target asked per day"), loc="left", fontweight="bold")
    hdays = [x for x in days if x.holds]
    if hdays and not rolling:
        ax2 = ax.twinx()
        ax2.plot([x.day for x in hdays], [sum(x.holds) / len(x.holds) for x in hdays], marker="s", color=BLUE,
                 linestyle="--", linewidth=1.6, label=_("hold asked (s)"))
        ax2.set_ylabel(_("hold asked (s)"), color=BLUE)
        ax2.set_ylim(0, max(2.0, max(max(x.holds) for x in hdays) * 1.3))
        ax2.spines[["top"]].set_visible(False)
        from matplotlib.ticker import MaxNLocator

        ax2.yaxis.set_major_locator(MaxNLocator(5))
        _tidy(ax)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        _legend(ax, h1 + h2, l1 + l2)
    else:
        _legend(ax)
        _tidy(ax)
    _date_axis(ax, xs)

    ax = fig.add_subplot(grid[1, 1])
    drawn = False
    for kind in kinds:
        if kind in KINDS_WITHOUT_SENSOR:
            continue  # an imitated squeeze or roll is no one's strength or reach: said below, not drawn
        marker, colour, label = INPUT_STYLE.get(kind, INPUT_STYLE["unknown"])
        sel = [(x.day, sum(x.reached[kind]) / len(x.reached[kind])) for x in days if x.reached.get(kind)]
        if sel:
            ax.plot([p[0] for p in sel], [p[1] for p in sel], marker=marker, color=colour, linewidth=1.8, label=_(label))
            drawn = True
    stand_in = [x.day for x in days if any(k in KINDS_WITHOUT_SENSOR for k in x.reached)]
    if stand_in:
        ax.text(0, -0.14, _("Not drawn: keyboard/mouse/gamepad reps (imitated, no sensor) on ")
                + ", ".join(f"{x:%d %b}" for x in stand_in), transform=ax.transAxes, fontsize=8, color=GREY,
                va="top")
    ax.set_title(_("Roll reached per day (mean)") if rolling else _("Peak squeeze per day (mean, device-derived)"),
                 loc="left", fontweight="bold")
    if drawn:
        ax.set_ylim(0, max(max(line.get_ydata()) for line in ax.get_lines()) * 1.15)
        _legend(ax)
        ax.set_ylabel(_("percent of roll range") if rolling else _("percent of strongest squeeze"))
    else:
        _empty(ax, _("nothing measured"))
    _date_axis(ax, xs)
    _tidy(ax)


ADAPT_COLUMNS = (("day", N_("Date")), ("exercise", N_("Exercise")), ("setting", N_("Setting")),
                 ("change", N_("From -> to")), ("n", N_("Changes\n(up / down)")), ("between", N_("Between\nsets")),
                 ("why", N_("Reasons (count)")))
ADAPT_WIDTHS = (0.1, 0.14, 0.12, 0.13, 0.1, 0.07, 0.34)
SETTING_WORDS = {"target_pct": N_("target"), "roll_target_pct": N_("roll target"), "hold_s": N_("hold time (s)"),
                 "cue_s": N_("pace (s per rep)"), "reps_per_set": N_("reps per set")}


def _adapt_rows(d: ReportData) -> list[dict[str, str]]:
    out = []
    for a in d.adaptation:
        unit = "%" if a["setting"] in ("target_pct", "roll_target_pct") else ""
        out.append({
            "day": f"{a['day']:%Y-%m-%d}", "exercise": _name(a["exercise"]),
            "setting": _(SETTING_WORDS.get(a["setting"], a["setting"])),
            "change": f"{_fmt(a['from'])}{unit} -> {_fmt(a['to'])}{unit}",
            "n": f"{a['n']} ({a['ups']} / {a['downs']})", "between": str(a["between_sets"]),
            "why": ", ".join(f"{k} ({v})" for k, v in a["reasons"].most_common()),
        })
    return out


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{float(v):.1f}".rstrip("0").rstrip(".")


INPUT_COLUMNS = (("ref", N_("Ref")), ("input", N_("Input")), ("device", N_("Device")),
                 ("calibration", N_("Calibration used")), ("program", N_("Program (version)")))
INPUT_WIDTHS = (0.04, 0.1, 0.34, 0.28, 0.24)
PROV_COLUMNS = (("when", N_("Date")), ("session", N_("Session")), ("reps", N_("Reps")), ("input", N_("Input")),
                ("ref", N_("Ref")), ("name", N_("Device")), ("program", N_("Program (version)")))
PROV_WIDTHS = (0.14, 0.07, 0.06, 0.14, 0.05, 0.26, 0.28)
COLUMNS = (("when", N_("Date")), ("exercise", N_("Exercise")), ("input", N_("Input")), ("reps", N_("Reps")),
           ("on_target", N_("On target")), ("best", N_("Best peak\n(% MVC)")), ("fatigue", N_("Fatigue\nindex")),
           ("active", N_("Active\nmin")), ("pain", N_("Pain 0-10\nbefore / after")),
           ("tired", N_("Tired 0-10\nbefore / after")), ("ended", N_("Ended")))
WIDTHS = (0.12, 0.17, 0.09, 0.05, 0.08, 0.08, 0.07, 0.06, 0.1, 0.1, 0.1)


def _line_pitch(font: float, linespacing: float) -> float:
    """One line of a multi-line text, in points: matplotlib gives every line of a text with a
    numeric line spacing ``linespacing`` x (ascent + descent) of the font's OS/2 (or hhea) table."""
    from matplotlib.font_manager import FontProperties, fontManager, get_font

    from game.i18n import current_language
    from game.resources import CJK_LANGUAGES

    # the report's font: Chinese has its own (loaded by _setup_fonts before any table is laid out)
    family = "Noto Sans CJK SC" if current_language() in CJK_LANGUAGES else TABLE_FONT[0]
    ft = get_font(fontManager.findfont(FontProperties(family=[family])))
    em = ft.get_sfnt_table("head")["unitsPerEm"]
    os2 = ft.get_sfnt_table("OS/2")
    if os2 is not None:
        asc, desc = os2["sTypoAscender"], -os2["sTypoDescender"]
    else:
        hhea = ft.get_sfnt_table("hhea")
        asc, desc = hhea["ascent"], -hhea["descent"]
    return linespacing * (asc + desc) / em * font


def _table(fig: Figure, rect: tuple[float, float, float, float], rows: list[dict[str, Any]],
           columns: tuple = COLUMNS, widths: tuple = WIDTHS, empty: str = _("No sessions recorded yet."),
           font: float = 9, scale: float = 1.5) -> None:
    """A table on shaded rows, each column one multi-line text: every line of a text gets the
    same height, so the columns' lines stay level (a text per cell, or matplotlib's Table,
    costs several times more to draw: the report's tables have hundreds of cells)."""
    from matplotlib.patches import Rectangle

    ax = fig.add_axes(rect)
    ax.axis("off")
    if not rows:
        ax.text(0, 1, empty, va="top")
        return
    spacing = 1.0 + 0.25 * scale
    line = _line_pitch(font, spacing) / 72.0 / (rect[3] * fig.get_figheight())  # axes units
    lefts = [0.0]
    for w in widths[:-1]:
        lefts.append(lefts[-1] + w)
    total = sum(widths)
    keys = [k for k, _ in columns]
    # Every row padded to its tallest cell; a column is its cells' lines, top to bottom.
    heads = [_(h) for _key, h in columns]  # the column titles are marked with N_
    n_head = max(h.count("\n") + 1 for h in heads)
    cols: list[list[str]] = [[] for _ in keys]
    spans = []
    for r in rows:
        cells = [str(r[k]).split("\n") for k in keys]
        n = max(len(c) for c in cells)
        spans.append(n)
        for col, c in zip(cols, cells):
            col.extend(c + [""] * (n - len(c)))
    top = 1.0
    ax.add_patch(Rectangle((0, top - n_head * line), total, n_head * line, facecolor="#E8EEF4", edgecolor="none",
                           transform=ax.transAxes))
    y = top - n_head * line
    for i, n in enumerate(spans):
        if i % 2:
            ax.add_patch(Rectangle((0, y - n * line), total, n * line, facecolor="#F6F6F6", edgecolor="none",
                                   transform=ax.transAxes))
        y -= n * line
    for x, head, col in zip(lefts, heads, cols):
        ax.text(x + 0.004, top, head + "\n" * (n_head - head.count("\n") - 1), va="top", ha="left",
                fontsize=font, fontweight="bold", linespacing=spacing, transform=ax.transAxes)
        ax.text(x + 0.004, top - n_head * line, "\n".join(col), va="top", ha="left", fontsize=font,
                linespacing=spacing, transform=ax.transAxes)
    ax.plot([0, total], [y, y], color="#BBBBBB", linewidth=0.6, transform=ax.transAxes)


def _wrapped(rows: list[dict[str, Any]], columns: tuple, widths: tuple, *, font: float = 9,
             width: float = 0.9) -> list[dict[str, Any]]:
    """Each cell's text wrapped to its column (about half an em a character in this font)."""
    import textwrap

    chars = {k: max(6, int(w * width * PAGE[0] * 72.0 / (font * 0.47))) for (k, _), w in zip(columns, widths)}
    out = []
    for r in rows:
        out.append({**r, **{k: "\n".join(textwrap.fill(part, chars[k]) or part for part in str(r[k]).split("\n"))
                           for k, _ in columns}})
    return out


def _paged(rows: list[dict[str, Any]], columns: tuple, *, font: float = 9, scale: float = 1.5,
           height: float = 0.84) -> list[list[dict[str, Any]]]:
    """Rows split into pages that fit a table of ``height`` (figure fraction) on an A4 page,
    counting each row's lines as :func:`_table` draws them."""
    line = _line_pitch(font, 1.0 + 0.25 * scale) / 72.0
    room = height * PAGE[1] - max(h.count("\n") + 1 for _, h in columns) * line
    pages: list[list[dict[str, Any]]] = [[]]
    used = 0.0
    for r in rows:
        need = max(str(r[k]).count("\n") + 1 for k, _ in columns) * line
        if pages[-1] and used + need > room:
            pages.append([])
            used = 0.0
        pages[-1].append(r)
        used += need
    return pages


def _pages(d: ReportData) -> list[tuple[str, Callable[[Figure], None]]]:
    """Every page of the PDF, in order: (name, draw into an A4 landscape figure)."""
    pages: list[tuple[str, Callable[[Figure], None]]] = []

    def overview(fig: Figure) -> None:
        grid = fig.add_gridspec(2, 2, left=0.07, right=0.97, top=0.80, bottom=0.1, hspace=0.5, wspace=0.3)
        _header(fig, d, 0.96)
        _charts(fig, grid, d)

    pages.append(("overview", overview))
    pages.append(("adherence", lambda fig: _page_adherence(fig, d)))
    for exercise in sorted(d.trends, key=lambda e: list(BY_ID).index(e) if e in BY_ID else 99):
        pages.append((f"exercise-{exercise}", lambda fig, e=exercise: _page_exercise(fig, d, e)))
    adapt = _paged(_wrapped(_adapt_rows(d), ADAPT_COLUMNS, ADAPT_WIDTHS), ADAPT_COLUMNS, height=0.84)
    for i, page in enumerate(adapt, 1):
        def adaptation(fig: Figure, page: list = page, i: int = i, n: int = len(adapt)) -> None:
            _page_title(fig, d, _('What adaptation did (page {i} of {n})').format(i=i, n=n),
                        _("Every change the game made to a setting, as stored, summed per day, exercise and setting: "
                        "first value, last value, how many changes (up / down), how many between sets, and why."))
            _table(fig, (0.06, 0.04, 0.9, 0.84), page, ADAPT_COLUMNS, ADAPT_WIDTHS,
                   empty=_("No changes: the program's values were kept as written."))
        pages.append((f"adaptation-{i}", adaptation))
    # Provenance: each input's details once (D1, D2...), then a line per session and input.
    detail_pages = _paged(_wrapped(d.inputs, INPUT_COLUMNS, INPUT_WIDTHS, font=8), INPUT_COLUMNS, font=8, scale=1.4,
                          height=0.84)
    session_pages = _paged(d.provenance[::-1], PROV_COLUMNS, font=8, scale=1.4, height=0.84)
    prov = [(INPUT_COLUMNS, INPUT_WIDTHS, p) for p in detail_pages] + [(PROV_COLUMNS, PROV_WIDTHS, p)
                                                                      for p in session_pages]
    for i, (cols, widths, page) in enumerate(prov, 1):
        def provenance(fig: Figure, page: list = page, i: int = i, n: int = len(prov), cols: tuple = cols,
                       widths: tuple = widths) -> None:
            what = (_("each input once: its device, the calibration its force was measured against, the program "
                    "and its content hash") if cols is INPUT_COLUMNS else
                    _("each session, newest first, with its input (Ref: its details on the page before); the keyboard "
                    "standing in for an unplugged ball has a line of its own"))
            _page_title(fig, d, _('Provenance: what each session was played with (page {i} of {n})').format(i=i, n=n), what[0].upper()
                        + what[1:] + ".")
            _table(fig, (0.06, 0.04, 0.9, 0.84), page, cols, widths, font=8, scale=1.4)
        pages.append((f"provenance-{i}", provenance))
    rows = _paged(_wrapped(d.sessions[::-1], COLUMNS, WIDTHS), COLUMNS, height=0.86)
    for i, page in enumerate(rows, 1):
        def sessions(fig: Figure, page: list = page, i: int = i, n: int = len(rows)) -> None:
            fig.text(0.06, 0.95, _('Sessions, newest first (page {i} of {n})').format(i=i, n=n), fontsize=14, fontweight="bold", va="top")
            _table(fig, (0.06, 0.04, 0.9, 0.86), page)
        pages.append((f"sessions-{i}", sessions))
    return pages


def _prepare(out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    # Health data: the file is the owner's only from the start (savefig keeps the mode).
    os.close(os.open(out, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
    os.chmod(out, 0o600)


def build_report(store: Store, patient_id: int, out: str | Path, *, include_name: bool = True,
                 fonts: Path | None = None) -> Path:
    """Write the report; the format follows the file name (.pdf: every page; .png: the overview and sessions)."""
    _need_matplotlib()
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    out = Path(out)
    kind = out.suffix.lower()
    if kind not in (".pdf", ".png"):
        raise ReportError(_("the report file must end in .pdf or .png, got '{name}'").format(name=out.name))
    d = gather(store, patient_id, include_name=include_name)
    family = _setup_fonts(fonts)
    _prepare(out)
    # Hinting fits glyphs to a pixel grid: nothing for a PDF's outlines, and 2-3x the cost of
    # measuring every text; the PNG keeps it.
    rc = {"font.family": family, "font.size": 10, "axes.titlesize": 12}
    with matplotlib.rc_context(rc if kind == ".png" else {**rc, "text.hinting": "no_hinting"}):
        if kind == ".png":
            rows = d.sessions[-PNG_TABLE_ROWS:][::-1]
            fig = Figure(figsize=(11.7, 8.8 + 0.28 * len(rows) + 0.8), dpi=110)
            h = fig.get_figheight()
            grid = fig.add_gridspec(2, 2, left=0.07, right=0.97, top=1 - 1.75 / h, bottom=1 - 8.0 / h,
                                    hspace=0.5, wspace=0.3)
            _header(fig, d, 1 - 0.3 / h)
            _charts(fig, grid, d)
            more = len(d.sessions) - len(rows)
            title = _("Sessions, newest first") + (_(' ({more} earlier ones are in the PDF and the exports)').format(more=more) if more else "")
            fig.text(0.06, 1 - 8.55 / h, title, fontsize=12, fontweight="bold", va="top")
            _table(fig, (0.06, 0.02, 0.9, 1 - 8.8 / h - 0.02), rows)
            fig.savefig(out)
        else:
            from matplotlib.backends.backend_pdf import PdfPages

            with PdfPages(out, metadata={"Title": _("Squeeze Quest hand exercise report"), "Creator": "Squeeze Quest"}) as pdf:
                for _name_, draw in _pages(d):
                    fig = Figure(figsize=PAGE)
                    draw(fig)
                    pdf.savefig(fig)
    return out


def render_pages(store: Store, patient_id: int, folder: str | Path, *, include_name: bool = True,
                 dpi: int = 80, fonts: Path | None = None) -> list[Path]:
    """Every PDF page as its own PNG (``folder/NN-name.png``): to look at, and for the docs."""
    _need_matplotlib()
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    folder = Path(folder)
    d = gather(store, patient_id, include_name=include_name)
    family = _setup_fonts(fonts)
    written = []
    with matplotlib.rc_context({"font.family": family, "font.size": 10, "axes.titlesize": 12}):
        for i, (name, draw) in enumerate(_pages(d), 1):
            out = folder / f"{i:02d}-{name}.png"
            _prepare(out)
            fig = Figure(figsize=PAGE, dpi=dpi)
            draw(fig)
            fig.savefig(out)
            written.append(out)
    return written
