"""Every character drawn on every screen exists in the font.

Atkinson Hyperlegible has no check mark or arrows: such a character renders as an
empty box (the font's .notdef glyph), which a reader cannot make sense of. Ticks,
crosses and arrows are drawn as shapes (game.ui.draw_tick and friends) instead.

A missing glyph is recognised the way pygame-ce sees it: its metrics are those of
.notdef, i.e. of a private-use character no font maps (U+E000); a glyph that only
happens to have the same metrics is told apart by its pixels.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pygame
import pytest
import yaml

from game.scene import Push
from game.scenes.results import ResultsScene, SetSummary
from game.ui import FONT_BOLD, FONT_REGULAR, Canvas
from tests.screens import SCREENS, _app, run

ROOT = Path(__file__).resolve().parent.parent
PROBE_PX = 40
NOTDEF = "\ue000"  # private use: never in a text font, so it draws as .notdef


def _font(bold: bool) -> pygame.font.Font:
    pygame.font.init()  # a font does not outlive pygame.quit (each app's shutdown)
    return pygame.font.Font(FONT_BOLD if bold else FONT_REGULAR, PROBE_PX)


def _pixels(font: pygame.font.Font, ch: str) -> bytes:
    return pygame.image.tobytes(font.render(ch, True, (255, 255, 255), (0, 0, 0)), "RGB")


@cache
def missing(ch: str, bold: bool) -> bool:
    """True when the font has no glyph for ``ch`` (it would draw the empty box)."""
    f = _font(bold)
    if f.metrics(ch) != f.metrics(NOTDEF):
        return False
    return _pixels(f, ch) == _pixels(f, NOTDEF)


class GlyphWatcher:
    """Wraps Canvas.text_surface (every text on screen goes through it) to note each character."""

    def __init__(self) -> None:
        self.drawn: dict[tuple[str, bool], str] = {}  # (char, bold) -> a text it appeared in

    def wrap(self, original):  # noqa: ANN001, ANN202
        drawn = self.drawn

        def text_surface(canvas: Canvas, text: str, size: float, color, bold: bool = False):  # noqa: ANN001, ANN202
            for ch in text:
                if not ch.isspace():
                    drawn.setdefault((ch, bool(bold)), text)
            return original(canvas, text, size, color, bold)

        return text_surface

    def missing(self) -> list[str]:
        return sorted(f"{ch!r} (U+{ord(ch):04X}{', bold' if bold else ''}) in {text!r}"
                      for (ch, bold), text in self.drawn.items() if missing(ch, bold))


def test_the_check_catches_missing_glyphs_and_passes_real_ones():
    for ch in ("\u2713", "\u2192", "\u2190", "\U0001F600"):  # check mark, arrows, an emoji
        assert missing(ch, False) and missing(ch, True), repr(ch)
    for ch in "Aa%?!1-.,:'\u00d7\u2026\u2019\u2013":  # letters, signs, times, ellipsis, quote, dash
        assert not missing(ch, False) and not missing(ch, True), repr(ch)


def _rolling_results(tmp: Path, size: tuple[int, int]):  # noqa: ANN202
    app = _app(tmp, size, squeezes=False)
    app.apply(Push(ResultsScene(SetSummary("thumb_roll", "Potter's wheel", 6, 8, 5, 12.0, "completed",
                                           rep_word="circles", rolling=True, best_roll_pct=64.0))))
    return run(app, 0.5)


GLYPH_SCREENS = {**SCREENS, "results_rolling": _rolling_results}


@pytest.mark.parametrize("name", sorted(GLYPH_SCREENS))
def test_every_character_on_every_screen_is_in_the_font(name, tmp_path, monkeypatch):
    watcher = GlyphWatcher()
    monkeypatch.setattr(Canvas, "text_surface", watcher.wrap(Canvas.text_surface))
    app = GLYPH_SCREENS[name](tmp_path, (1280, 720))
    app.draw(0.0)
    app.shutdown()
    assert watcher.drawn, f"{name}: no text drawn"
    bad = watcher.missing()
    assert not bad, f"{name}: characters the font does not have (drawn as an empty box):\n" + "\n".join(bad)


def test_the_watcher_sees_a_missing_glyph_on_a_screen(tmp_path, monkeypatch):
    watcher = GlyphWatcher()
    monkeypatch.setattr(Canvas, "text_surface", watcher.wrap(Canvas.text_surface))
    app = _app(tmp_path, (1280, 720), squeezes=False)
    app.canvas.text("Next \u2192", (640, 360), size=40, bold=True)
    app.canvas.text("fine \u00d7 2", (640, 460), size=40)
    app.shutdown()
    assert watcher.missing() == ["'\u2192' (U+2192, bold) in 'Next \u2192'"]


def _non_ascii_in_code_strings() -> dict[str, str]:
    """Non-ASCII characters in the game's string literals (not docstrings), each with where it is.

    The screen catalogue cannot reach every state of every screen; this catches a
    symbol written into any text the game could draw."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "game").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.value) for n in ast.walk(tree)
                      if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                for ch in node.value:
                    if ord(ch) > 127 and not ch.isspace():
                        found.setdefault(ch, f"{path.relative_to(ROOT)}:{node.lineno}")
    for path in sorted((ROOT / "levels").glob("*.yaml")):  # the shipped programs' names and notes are shown
        for ch in str(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if ord(ch) > 127 and not ch.isspace():
                found.setdefault(ch, str(path.relative_to(ROOT)))
    return found


def test_every_symbol_written_in_the_game_is_in_the_font():
    found = _non_ascii_in_code_strings()
    assert "\u2026" in found  # the ellipsis that shortens long names: the scan does see the code
    # Chinese characters and their punctuation are drawn with the Chinese font (game.ui picks it
    # for them in any language): they must be in that one (tests/test_i18n.py checks the catalogue's).
    from fontTools.ttLib import TTFont

    from game.resources import CJK_FONT_FILES, fonts_dir
    from game.ui import _breaks_anywhere

    cjk = [set(TTFont(str(fonts_dir() / CJK_FONT_FILES[b])).getBestCmap()) for b in (False, True)]

    def lacks(ch: str) -> bool:
        if _breaks_anywhere(ch):
            return not all(ord(ch) in c for c in cjk)
        return missing(ch, False) or missing(ch, True)

    bad = sorted(f"{ch!r} (U+{ord(ch):04X}) at {where}" for ch, where in found.items() if lacks(ch))
    assert not bad, "characters the font does not have (drawn as an empty box):\n" + "\n".join(bad)
