"""The portal's progress charts: the dates under the x axis never touch, in any language.

The labels' widths are measured with the fonts the portal serves (portal.css: Atkinson
Hyperlegible, then the Chinese subset for what it lacks), at the size the chart draws them,
from the rendered SVG: where each label's text starts and ends for its text-anchor."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache

import pytest

from game import i18n
from game.resources import CJK_FONT_FILES, FONT_FILES, fonts_dir
from server.portal import charts
from server.portal import language as lang

LANGUAGES = ("en", "es", "de", "zh_Hans")
SIZE = 13  # the charts' tick labels: font-size="13"
LABEL = re.compile(r'<text x="([\d.]+)" y="([\d.]+)" font-size="13" text-anchor="(middle|end)" fill="#333">([^<]*)</text>')


@cache
def _fonts():  # noqa: ANN202
    from fontTools.ttLib import TTFont

    out = []
    for f in (FONT_FILES[False], CJK_FONT_FILES[False]):
        font = TTFont(str(fonts_dir() / f))
        out.append((font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm))
    return out


def drawn_width(text: str, size: float = SIZE) -> float:
    """The advance width of ``text`` in the portal's fonts (the first that has each character)."""
    width = 0.0
    for ch in text:
        for cmap, hmtx, upm in _fonts():
            glyph = cmap.get(ord(ch))
            if glyph is not None:
                width += hmtx[glyph][0] * size / upm
                break
        else:
            raise AssertionError(f"no portal font has {ch!r}")
    return width


def date_labels(svg: str) -> list[tuple[float, float, str]]:
    """(left, right, words) of each date label under the x axis, left to right."""
    axis_y = charts.H - charts.BOTTOM + 20
    out = []
    for x, y, anchor, words in LABEL.findall(svg):
        if float(y) != axis_y:
            continue
        w, x = drawn_width(words), float(x)
        out.append((x - w / 2, x + w / 2, words) if anchor == "middle" else (x - w, x, words))
    return out


def render(days: list[date]) -> str:
    chart = charts.Chart("Repetitions per day", "repetitions",
                         [charts.Series("repetitions", [(d, 10.0 + i % 5) for i, d in enumerate(days)])])
    return str(charts.render(chart, days))


@pytest.mark.parametrize("lang_code", ["zh_Hans", "de", "en", "es"])
@pytest.mark.parametrize("n_days", [7, 14, 28, 31, 90, 365])
def test_date_labels_keep_apart_and_inside_the_chart(lang_code, n_days):
    last = date(2026, 11, 30)
    days = [last - timedelta(days=n_days - 1 - i) for i in range(n_days)]
    with i18n.language_for(lang_code):
        labels = date_labels(render(days))
        last_words = lang.day_month(last)
    assert labels[-1][2] == last_words  # the newest day is always named
    assert len(labels) >= min(n_days, 4)
    for (_l1, right, a), (left, _r2, b) in zip(labels, labels[1:]):
        assert left - right >= 4, f"{lang_code}, {n_days} days: {a!r} and {b!r} are {left - right:.1f} px apart"
    assert labels[0][0] >= 0 and labels[-1][1] <= charts.W


def test_the_width_the_server_reckons_is_never_less_than_drawn():
    """The chart spaces its labels by charts._text_width; every short date of a year, in
    every language, is drawn narrower than that (so the spacing it plans holds on screen)."""
    for code in LANGUAGES:
        with i18n.language_for(code):
            for i in range(366):
                words = lang.day_month(date(2028, 1, 1) + timedelta(days=i))
                assert charts._text_width(words) >= drawn_width(words), (code, words)
