"""Charts over days as inline SVG, drawn on the server: real text, no pictures of text.

Each chart is an ``<svg role="img">`` with a title and a description a screen reader
reads, axis labels and tick labels as ``<text>`` elements (they scale, translate and can
be selected), one polyline or bar set per series with a marker shape of its own (never
colour alone), and each point's value in a ``<title>`` for a pointer or keyboard user.
Colours are the game's Okabe-Ito set, each at least 3:1 against the white page (WCAG
1.4.11, graphics) and the text at least 4.5:1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from itertools import pairwise

from markupsafe import Markup

from game.i18n import _, ngettext
from server.portal import language as lang

# Okabe-Ito, darkened where needed to reach 3:1 on white.
BLUE, GREEN, ORANGE, PURPLE, GREY, SKY = "#0072B2", "#007A5E", "#B84A00", "#A6477F", "#555555", "#1F78B4"
MARKERS = ("circle", "square", "diamond", "triangle")
W, H = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 34, 44


@dataclass
class Series:
    label: str
    points: list[tuple[date, float]]
    color: str = BLUE
    marker: str = "circle"
    bars: bool = False
    unit: str = ""
    dashed: bool = False


@dataclass
class Chart:
    title: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    y_min: float | None = 0.0
    y_max: float | None = None
    chart_id: str = "chart"

    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(1, ticks)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _fmt(v: float) -> str:
    """A value as the request's language writes it (1,234 / 1.234; 2.5 / 2,5)."""
    return lang.number(v, 0 if abs(v) >= 100 or float(v).is_integer() else 1)


def _text_width(text: str, size: float = 13) -> float:
    """About how wide a label is drawn: a CJK character is a full em, a Latin letter about half
    (a digit a little more). It errs wide: the portal's fonts draw every date label of the four languages narrower
    (tests/portal/test_chart_labels.py measures them with the fonts themselves)."""
    return sum(size if ord(ch) >= 0x2E80 else size * (0.64 if ch.isdigit() else 0.58) for ch in text)


MIN_LABEL_GAP = 12  # px kept between two date labels of the x axis


def _date_labels(days: Sequence[date], x_of) -> list[tuple[float, str, str, date]]:
    """The x axis's date labels as (text x, anchor, words, day): the first day, every k-th
    day and the last day, k the smallest stride from about seven labels at which no two
    labels come closer than MIN_LABEL_GAP in this language's words and script ("30 Nov",
    "30. Nov.", "11月30日"); a label too close to the last one is left out."""
    n = len(days)
    words: dict[int, str] = {}

    def box(i: int) -> tuple[float, float, float, str]:
        if i not in words:
            words[i] = lang.day_month(days[i])
        w, x = _text_width(words[i]), x_of(days[i])
        if i == n - 1 and n > 1:  # the last date ends at its tick, so a long one stays inside the chart
            right = min(x + 8, W - 2)
            return right - w, right, right, "end"
        return x - w / 2, x + w / 2, x, "middle"

    every = max(1, math.ceil(n / 7))
    while True:
        chosen = list(range(0, n, every))
        if chosen[-1] != n - 1:
            last_left = box(n - 1)[0]
            while chosen and box(chosen[-1])[1] + MIN_LABEL_GAP > last_left:
                chosen.pop()
            chosen.append(n - 1)
        boxes = [box(i) for i in chosen]
        if every >= n or all(b[0] - a[1] >= MIN_LABEL_GAP for a, b in pairwise(boxes)):
            return [(b[2], b[3], words[i], days[i]) for i, b in zip(chosen, boxes)]
        every += 1


def _marker(shape: str, x: float, y: float, color: str, tip: str) -> str:
    t = f"<title>{escape(tip)}</title>"
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}">{t}</rect>'
    if shape == "diamond":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}" '
                f'fill="{color}">{t}</polygon>')
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" '
                f'fill="{color}">{t}</polygon>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}">{t}</circle>'


def render(chart: Chart, days: Sequence[date]) -> Markup:
    """The chart over ``days`` (the x axis: every day of the window, first to last)."""
    days = list(days)
    cid = escape(chart.chart_id)
    caption = f'<figcaption>{escape(chart.title)}</figcaption>'
    head = (f'{caption}<svg class="chart" role="img" viewBox="0 0 {W} {H}" aria-labelledby="{cid}-t {cid}-d" '
            f'xmlns="http://www.w3.org/2000/svg" font-family="inherit">'
            f'<title id="{cid}-t">{escape(chart.title)}</title>')
    values = [v for s in chart.series for _d, v in s.points if v is not None]
    if not days or not values:
        desc = _("No data in these days.")
        return Markup(f'{head}<desc id="{cid}-d">{escape(desc)}</desc>'
                      f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" font-size="16" fill="#333">'
                      f'{escape(desc)}</text></svg>')
    lo = chart.y_min if chart.y_min is not None else min(values)
    hi = chart.y_max if chart.y_max is not None else max(values)
    if hi <= lo:
        hi = lo + 1
    step = _nice_step(hi - lo)
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = len(days)
    index = {d: i for i, d in enumerate(days)}

    def x_of(d: date) -> float:
        return LEFT + (index[d] + 0.5) * pw / n

    def y_of(v: float) -> float:
        return TOP + ph * (1 - (v - lo) / (hi - lo))

    parts = [head]
    summary = "; ".join(
        ngettext("{label}: {n} day", "{label}: {n} days", len(s.points)).format(label=s.label, n=len(s.points)) + (
            _(", latest {value}").format(value=f"{_fmt(s.points[-1][1])}{s.unit}") if s.points else "")
        for s in chart.series)
    parts.append(f'<desc id="{cid}-d">{escape(summary)}</desc>')
    parts.append(f'<text x="{LEFT}" y="18" font-size="14" fill="#222">{escape(chart.y_label)}</text>')
    # y grid and ticks
    v = lo
    while v <= hi + step / 2:
        y = y_of(v)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#D0D0D0" />')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 5:.1f}" font-size="13" text-anchor="end" fill="#333">'
                     f'{_fmt(v)}</text>')
        v += step
    # x ticks: at most about seven dates, never touching each other
    for tx, anchor, words, d in _date_labels(days, x_of):
        x = x_of(d)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + ph}" y2="{TOP + ph + 5}" stroke="#555" />')
        parts.append(f'<text x="{tx:.1f}" y="{TOP + ph + 20}" font-size="13" text-anchor="{anchor}" fill="#333">'
                     f'{escape(words)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{TOP + ph}" y2="{TOP + ph}" stroke="#555" />')
    bar_series = [s for s in chart.series if s.bars]
    bw = max(1.0, pw / n * 0.8 / max(1, len(bar_series)))
    for k, s in enumerate(chart.series):
        pts = [(d, val) for d, val in s.points if d in index and val is not None]
        if s.bars:
            for d, val in pts:
                x = x_of(d) - bw * len(bar_series) / 2 + k * bw
                y = y_of(max(val, lo))
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{TOP + ph - y:.1f}" '
                             f'fill="{s.color}"><title>{escape(f"{lang.day(d)}: {s.label} {_fmt(val)}{s.unit}")}'
                             f'</title></rect>')
            continue
        if len(pts) > 1:
            line = " ".join(f"{x_of(d):.1f},{y_of(val):.1f}" for d, val in pts)
            dash = ' stroke-dasharray="6 4"' if s.dashed else ""
            parts.append(f'<polyline points="{line}" fill="none" stroke="{s.color}" stroke-width="2"{dash} />')
        if len(pts) <= 120:  # a year of points is a line; markers would be a smear
            for d, val in pts:
                parts.append(_marker(s.marker, x_of(d), y_of(val), s.color,
                                     f"{lang.day(d)}: {s.label} {_fmt(val)}{s.unit}"))
    # legend, as text beside a sample of each mark
    lx = LEFT
    for s in chart.series:
        ly = H - 10
        if s.bars:
            parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{s.color}" />')
        else:
            parts.append(_marker(s.marker, lx + 6, ly - 4, s.color, s.label))
        parts.append(f'<text x="{lx + 16}" y="{ly}" font-size="13" fill="#222">{escape(s.label)}</text>')
        lx += 28 + _text_width(s.label)
    parts.append("</svg>")
    return Markup("".join(parts))
