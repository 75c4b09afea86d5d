"""Contrast of every text on every screen: at least 4.5:1 (WCAG 2 AA for body text).

Canvas.text is watched while each screen of ``tests/screens.py`` is drawn: for
every line of text, the colours already on screen under the letters (the glyph
pixels, not the box round them) are read just before the text is blitted, and the
WCAG contrast of the text colour against each background colour that covers a
real part of the letters is computed. Any pair under 4.5:1 fails, named by screen,
text and colours. The theme's declared pairs are checked too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pygame
import pytest

from game.ui import Canvas, Theme
from tests.screens import SCREENS

AA = 4.5
SHARE = 0.08  # a background colour must lie under this share of the letters to count (not an edge pixel)


def luminance(rgb: tuple[int, int, int]) -> float:
    c = np.asarray(rgb, dtype=float) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)  # WCAG 2.x relative luminance
    return float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_formula_matches_known_values():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert contrast(Theme.TEXT, Theme.TEXT) == pytest.approx(1.0)


class TextWatcher:
    """Wraps Canvas.text to record (text, colour, background colours under the glyphs)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, tuple[int, int, int], list[tuple[tuple[int, int, int], float]]]] = []

    def wrap(self, original):  # noqa: ANN001, ANN202
        watcher = self

        def text(canvas: Canvas, text: str, pos, *, size: float = 32, color=Theme.TEXT, bold: bool = False,
                 anchor: str = "center"):  # noqa: ANN001, ANN202
            surf = canvas.text_surface(text, size, color, bold)
            r = surf.get_rect()
            setattr(r, anchor, canvas.px(*pos))
            watcher.sample(canvas.surface, surf, r, text, tuple(color))
            return original(canvas, text, pos, size=size, color=color, bold=bold, anchor=anchor)

        return text

    def sample(self, screen: pygame.Surface, glyphs: pygame.Surface, r: pygame.Rect, text: str,
               color: tuple[int, int, int]) -> None:
        clip = r.clip(screen.get_rect())
        if clip.w <= 0 or clip.h <= 0 or not text.strip():
            return
        alpha = pygame.surfarray.array_alpha(glyphs)[clip.x - r.x: clip.x - r.x + clip.w,
                                                     clip.y - r.y: clip.y - r.y + clip.h]
        under = pygame.surfarray.array3d(screen.subsurface(clip))
        mask = alpha > 160  # the solid part of the letters
        if not mask.any():
            return
        colours = Counter(map(tuple, under[mask].tolist()))
        total = mask.sum()
        self.records.append((text, color, [(c, n / total) for c, n in colours.items()]))


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_every_text_on_every_screen_has_contrast(name, tmp_path, monkeypatch):
    watcher = TextWatcher()
    monkeypatch.setattr(Canvas, "text", watcher.wrap(Canvas.text))
    app = SCREENS[name](tmp_path, (1280, 720))
    watcher.records.clear()  # only the final frame: what the person sees now
    app.draw(0.0)
    app.shutdown()
    assert watcher.records, f"{name}: no text drawn"
    bad = []
    for text, color, backgrounds in watcher.records:
        for bg, share in backgrounds:
            if share >= SHARE and contrast(color, bg) < AA:
                bad.append(f"'{text}' {color} on {bg} ({share:.0%} of the letters): {contrast(color, bg):.2f}:1")
    assert not bad, f"{name}: text below {AA}:1\n" + "\n".join(sorted(set(bad)))


# The theme's own pairs: text colours on the surfaces they are drawn on.
THEME_PAIRS = [
    ("TEXT", "BG"), ("TEXT", "PANEL"), ("TEXT", "PANEL_HI"), ("TEXT_DIM", "BG"), ("TEXT_DIM", "PANEL"),
    ("TEXT_DIM", "PANEL_HI"), ("FOCUS", "BG"), ("FOCUS", "PANEL"), ("FOCUS", "PANEL_HI"), ("SUCCESS", "BG"),
    ("NEAR", "BG"), ("NEAR", "PANEL"), ("SKY", "BG"), ("TEXT", "STOP"), ("DARK_TEXT", "SUCCESS"),
    ("DARK_TEXT", "NEAR"), ("DARK_TEXT", "FOCUS"), ("DARK_TEXT", "SKY"),
]


@pytest.mark.parametrize("fg,bg", THEME_PAIRS)
def test_theme_pairs_reach_aa(fg, bg):
    ratio = contrast(getattr(Theme, fg), getattr(Theme, bg))
    assert ratio >= AA, f"Theme.{fg} on Theme.{bg} is {ratio:.2f}:1"


def test_the_watcher_catches_low_contrast(tmp_path, monkeypatch):
    # The check can fail: grey text on the panel is caught.
    from tests.screens import _app

    watcher = TextWatcher()
    monkeypatch.setattr(Canvas, "text", watcher.wrap(Canvas.text))
    app = _app(Path(tmp_path), (1280, 720), squeezes=False)
    c = app.canvas
    c.clear()
    c.rect(Theme.PANEL, (100, 100, 600, 200))
    c.text("Hard to read", (400, 200), size=40, color=(80, 90, 110))
    app.shutdown()
    (text, color, bgs) = watcher.records[-1]
    assert text == "Hard to read" and max(bgs, key=lambda x: x[1])[0] == Theme.PANEL
    assert contrast(color, Theme.PANEL) < AA
