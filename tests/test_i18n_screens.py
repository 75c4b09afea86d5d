"""The screens in every language: every character drawn is in the font chosen for it (no empty
boxes), text keeps 4.5:1 contrast, and no text runs off the screen or out of its button
(longer German words, wider Chinese glyphs). The contrast and glyph tests of the English game
(tests/test_contrast.py, tests/test_glyphs.py) run here for the other languages, on the screens
a patient sees most; the title, a game, the rating and the results screen are among them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from game import i18n
from game.resources import font_file
from game.ui import LOGICAL_H, LOGICAL_W, Canvas, Theme, _breaks_anywhere
from game.widgets import ButtonGroup
from tests.screens import SCREENS
from tests.test_contrast import AA, SHARE, TextWatcher, contrast

LANGUAGES = ("es", "de", "zh_Hans")
# The screens checked in each language (every screen is checked in English by the tests above).
CHECKED = ("title", "settings", "confirm_hand", "rating", "rating_confirm", "results", "session_summary", "rest",
           "rest_changes", "pause", "stop", "disconnected", "menu", "patient_profile", "level_picker",
           "calibrate_intro", "calibrate_squeeze", "calibrate_result", "staff_menu", "kiosk_start",
           "play_power_grip", "play_table_roll", "play_finger_squeeze", "demo_pinch", "progress",
           "stage_choice")
SLACK = 2.0  # logical units: anti-aliasing and rounding


@cache
def cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(path)).getBestCmap())


def font_for(text: str, bold: bool, lang: str) -> Path:
    """The font game.ui.Canvas.font picks for this text in this language."""
    if lang != "zh_Hans" and any(_breaks_anywhere(ch) for ch in text):
        lang = "zh_Hans"
    return font_file(bold, lang)


class Recorder(TextWatcher):
    """Every text drawn: contrast samples (TextWatcher), the font it used and where it landed."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn: list[tuple[str, bool, object]] = []

    def wrap(self, original):  # noqa: ANN001, ANN202
        sampled = super().wrap(original)
        drawn = self.drawn

        def text(canvas: Canvas, text: str, pos, *, size: float = 32, color=Theme.TEXT, bold: bool = False,
                 anchor: str = "center"):  # noqa: ANN001, ANN202
            r = sampled(canvas, text, pos, size=size, color=color, bold=bold, anchor=anchor)
            drawn.append((text, bold, r))
            return r

        return text


def _groups(app) -> list[ButtonGroup]:  # noqa: ANN001
    out = []
    for scene in app.stack:
        for value in vars(scene).values():
            if isinstance(value, ButtonGroup):
                out.append(value)
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", CHECKED)
def test_screen_in_every_language(name, lang, tmp_path, monkeypatch):
    monkeypatch.setenv("LANGUAGE", lang)  # the patients' language is automatic: the computer's
    i18n.set_language(lang)
    rec = Recorder()
    monkeypatch.setattr(Canvas, "text", rec.wrap(Canvas.text))
    app = SCREENS[name](tmp_path, (1280, 720))
    assert i18n.current_language() == lang
    rec.records.clear()
    rec.drawn.clear()
    app.draw(0.0)
    groups = _groups(app)
    app.shutdown()
    assert rec.drawn, f"{name}: no text drawn"

    # Glyphs: each character is in the font that drew it.
    missing = sorted({f"{ch!r} (U+{ord(ch):04X}) in {text!r}" for text, bold, _r in rec.drawn for ch in text
                      if not ch.isspace() and ord(ch) not in cmap(font_for(text, bold, lang))})
    assert not missing, f"{name} [{lang}]: characters the font does not have:\n" + "\n".join(missing)

    # Contrast, as tests/test_contrast.py.
    low = sorted({f"{text!r} {color} on {bg}: {contrast(color, bg):.2f}:1" for text, color, backgrounds in rec.records
                  for bg, share in backgrounds if share >= SHARE and contrast(color, bg) < AA})
    assert not low, f"{name} [{lang}]: text below {AA}:1\n" + "\n".join(low)

    # Nothing off the screen.
    off = [f"{text!r} at {r}" for text, _b, r in rec.drawn if text.strip() and (
        r.x < -SLACK or r.y < -SLACK or r.x + r.w > LOGICAL_W + SLACK or r.y + r.h > LOGICAL_H + SLACK)]
    assert not off, f"{name} [{lang}]: text runs off the screen:\n" + "\n".join(off)

    # Button words inside their button.
    out = []
    for g in groups:
        for b in g.buttons:
            for text, _b, r in rec.drawn:
                if text and text in (b.label, b.value, b.note) and abs(r.center[0] - b.rect.center[0]) < b.rect.w / 2 \
                        and b.rect.y - 4 <= r.center[1] <= b.rect.y + b.rect.h + 4:
                    if r.x < b.rect.x - SLACK or r.x + r.w > b.rect.x + b.rect.w + SLACK:
                        out.append(f"{text!r} ({r.w:.0f} wide) in the button {b.id!r} ({b.rect.w:.0f} wide)")
    assert not out, f"{name} [{lang}]: words wider than their button:\n" + "\n".join(out)


def test_the_check_sees_a_word_wider_than_its_button(tmp_path, monkeypatch):
    """The overflow check can fail: a long word drawn at a fixed size in a narrow button."""
    rec = Recorder()
    monkeypatch.setattr(Canvas, "text", rec.wrap(Canvas.text))
    app = SCREENS["title"](tmp_path, (1280, 720))
    c = app.canvas
    r = c.text("Einstellungsmöglichkeiten", (290, 485), size=32, bold=True)
    assert r.w > 240  # wider than the title's Settings button: what the test above would report
    app.shutdown()


def test_switching_language_redraws_the_words_and_keeps_each_languages_text_apart(tmp_path):
    """The text cache is keyed by language: the same digits in Chinese use the Chinese font."""
    app = SCREENS["title"](tmp_path, (1280, 720))
    c = app.canvas
    i18n.set_language("en")
    latin = c.text_surface("12 / 30", 40, Theme.TEXT)
    i18n.set_language("zh_Hans")
    chinese = c.text_surface("12 / 30", 40, Theme.TEXT)
    assert latin is not chinese and latin.get_size() != chinese.get_size()
    i18n.set_language("de")
    app.top.resume()  # back on the title (e.g. from Settings): its buttons in the new language
    assert {b.label for b in app.top.buttons.buttons} >= {"Start", "Freies Spiel", "Einstellungen"}
    app.shutdown()


def test_chinese_lines_break_between_characters(tmp_path):
    app = SCREENS["title"](tmp_path, (1280, 720))
    c = app.canvas
    i18n.set_language("zh_Hans")
    text = i18n._("Rest your hand on the ball for 3 seconds. Then squeeze as hard as you comfortably can, "
                  "three times. Stop if it hurts.")
    lines = c.wrap(text, 30, 400)
    assert len(lines) >= 3 and "".join(lines) == text.replace(" ", "") or " ".join(lines).replace(" ", "") == \
        text.replace(" ", "")
    assert all(c.text_width(line, 30) <= 400 for line in lines)
    assert not any(line[0] in "，。！？：；" for line in lines)  # punctuation never starts a line
    assert c.wrap("Hand exercise games", 30, 2000) == ["Hand exercise games"]  # spaces kept between words
    app.shutdown()


def test_the_settings_language_tile_switches_the_screen_and_saves_it(tmp_path):
    """Ball-navigable like every tile: choosing it asks first, Yes switches the words at once and
    saves the language in the patient's profile (automatic -> English -> Deutsch ...)."""
    from game.profiles import Profiles
    from game.scene import Push

    app = SCREENS["settings"](tmp_path, (1280, 720))
    settings = app.top
    for expected in ("en", "de"):
        t = settings.change("language")
        assert isinstance(t, Push)
        t.scene.on_yes()  # the question's Yes
        assert i18n.current_language() == expected
    assert Profiles(app.store).get(app.ctx.patient_id).settings["language"] == "de"
    labels = {b.id: b.label for b in settings.buttons.buttons}
    assert labels["language"] == "Sprache" and labels["done"] == "Fertig"
    assert settings.change("language").scene.question == "Sprache auf Español ändern?"
    app.shutdown()
