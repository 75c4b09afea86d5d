"""The game in four languages (game/i18n.py): catalogues complete and current, placeholders and
plural forms right, no text drawn that was not marked for translation, the language chosen by
the computer or the patient, and the Chinese font holding every character the catalogue uses.

The screens themselves, drawn in every language (glyphs, contrast, text inside its box), are in
tests/test_i18n_screens.py."""

from __future__ import annotations

import ast
import gettext
import io
import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from game import i18n
from game.resources import CJK_FONT_FILES, FONT_FILES, fonts_dir

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("es", "de", "zh_Hans")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "pgettext": ((1, "c"), 2)}


def po_path(lang: str) -> Path:
    return i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


@cache
def catalogue(lang: str):  # noqa: ANN201
    with open(po_path(lang), "rb") as fp:
        return read_po(fp, locale=lang)


@cache
def code_messages() -> frozenset:
    """Every message the code marks (game/, hardware/, and the clinic server's portal: its Python
    and its Jinja2 templates), as Babel extracts it with packaging/babel.cfg."""
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "packaging" / "babel.cfg", encoding="utf-8") as fp:
        method_map, options_map = parse_mapping_cfg(fp)
    found = set()
    for top in ("game", "hardware", "server"):
        for _fn, _line, msg, _comments, context in extract_from_dir(
                ROOT / top, method_map=method_map, options_map=options_map, keywords=KEYWORDS):
            found.add((context, msg))
    return frozenset(found)


def fields(text: str) -> set[str]:
    """The {placeholders} of a brace-format string (with their format spec)."""
    return {f"{name}:{spec}" for _lit, name, spec, _conv in string.Formatter().parse(text) if name is not None}


# ------------------------------------------------------------------ catalogues
def test_the_code_marks_messages_and_the_check_sees_them():
    ids = {m for _c, m in code_messages()}
    assert "Keep going?" in ids and ("second", "seconds") in ids
    assert "Needs attention" in ids and "Falling adherence" in ids  # the portal: a template, an N_() constant
    assert len(ids) > 500


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_marked_message_is_translated_and_none_is_fuzzy(lang):
    cat = catalogue(lang)
    have = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)): m for m in cat if m.id}
    missing, empty, fuzzy = [], [], []
    for context, msg in sorted(code_messages(), key=str):
        m = have.get((context, msg))
        if m is None:
            missing.append(msg)
            continue
        strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
        if not all(strings):
            empty.append(msg)
        if m.fuzzy:
            fuzzy.append(msg)
    assert not missing, f"{lang}: not in the catalogue (run the pybabel commands in the README):\n{missing[:20]}"
    assert not empty, f"{lang}: untranslated:\n{empty[:20]}"
    assert not fuzzy, f"{lang}: fuzzy (check and clear the flag):\n{fuzzy[:20]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_the_english(lang):
    bad = []
    for m in catalogue(lang):
        if not m.id:
            continue
        ids = (m.id,) if isinstance(m.id, str) else tuple(m.id)
        strings = (m.string,) if isinstance(m.string, str) else tuple(m.string)
        for s in strings:
            # each form says the singular's or the plural's placeholders (one-form Chinese: the plural's)
            if s and fields(s) not in (fields(ids[0]), fields(ids[-1])):
                bad.append(f"{ids[0]!r} -> {s!r}")
    assert not bad, f"{lang}: placeholders differ from the English:\n" + "\n".join(bad[:20])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalogue_is_the_current_one(lang):
    """The .mo shipped in the wheel is the .po compiled (pybabel compile after every change)."""
    buf = io.BytesIO()
    write_mo(buf, catalogue(lang))
    fresh = gettext.GNUTranslations(io.BytesIO(buf.getvalue()))
    with open(po_path(lang).with_suffix(".mo"), "rb") as fp:
        shipped = gettext.GNUTranslations(fp)
    assert shipped._catalog == fresh._catalog, f"{lang}: compile it: pybabel compile -D squeeze_quest -d game/locale"
    assert shipped.plural(1) == fresh.plural(1) and shipped.plural(5) == fresh.plural(5)


def test_plural_forms_come_from_each_language():
    from babel import Locale

    for lang, n in (("es", 3), ("de", 2), ("zh_Hans", 1)):
        assert catalogue(lang).num_plurals == n == len(Locale.parse(lang).plural_form.rules) + 1
    t = i18n.translations
    assert [t("de").ngettext("{n} day in a row", "{n} days in a row", n).format(n=n) for n in (1, 2)] == \
        ["1 Tag in Folge", "2 Tage in Folge"]
    assert [t("es").ngettext("second", "seconds", n) for n in (1, 0, 2)] == ["segundo", "segundos", "segundos"]
    assert {t("zh_Hans").ngettext("{n} exercise", "{n} exercises", n).format(n=n) for n in (1, 3)} == \
        {"1 个练习", "3 个练习"}
    assert gettext.NullTranslations().ngettext("second", "seconds", 1) == "second"


def test_weekday_letters_are_seven_in_every_language():
    for lang in LANGUAGES:
        assert len(i18n.translations(lang).gettext("MTWTFSS")) == 7, lang


# ------------------------------------------------------------------ choosing the language
def test_the_computer_chooses_by_default_and_english_is_the_fallback():
    sl = i18n.system_language
    assert sl({"LANG": "de_AT.UTF-8"}) == "de"
    assert sl({"LANGUAGE": "fr:es_MX", "LANG": "fr_FR.UTF-8"}) == "es"  # the first it has, in order
    assert sl({"LANG": "zh_CN.UTF-8"}) == "zh_Hans" and sl({"LANG": "zh_SG"}) == "zh_Hans"
    assert sl({"LANG": "zh_TW.UTF-8"}) == "en"  # traditional script: not this catalogue
    assert sl({"LC_ALL": "C", "LANG": "de_DE"}) == "en"
    assert sl({}) == "en" and sl({"LANG": "fr_FR.UTF-8"}) == "en"
    assert i18n.available_languages() == ("en", "de", "es", "zh_Hans")


def test_set_language_switches_every_later_word(monkeypatch):
    seen = []
    monkeypatch.setattr(i18n, "_listeners", [seen.append])
    assert i18n.set_language("de") == "de" and i18n._("Keep going?") == "Weitermachen?"
    assert i18n.set_language("zh-CN") == "zh_Hans" and i18n._("Keep going?") == "继续吗？"
    monkeypatch.setenv("LANGUAGE", "es")
    assert i18n.set_language(None) == "es" and i18n.current_language() == "es"
    assert i18n.set_language("xx") == "es"  # unknown: the computer's
    assert seen == ["de", "zh_Hans", "es"]
    assert i18n.N_("Keep going?") == "Keep going?"


def test_a_patient_language_is_a_checked_setting(tmp_path):
    from game.profiles import ProfileError, Profiles
    from game.records.storage import Store
    from game.settings import AccessSettings, check_setting, save_access

    assert check_setting("language", "de_DE") == "de" and check_setting("language", "AUTO") == "auto"
    with pytest.raises(ValueError, match="en, es, de or zh_Hans"):
        check_setting("language", "klingon")
    store = Store.in_dir(tmp_path)
    p = Profiles(store).create("Ana")
    saved = save_access(store, p.id, "language", "es", where="test")
    assert saved.language == "es" and Profiles(store).get(p.id).settings["language"] == "es"
    with pytest.raises(ProfileError):
        Profiles(store).update_settings(p.id, language="xx")
    assert AccessSettings.from_profile({"language": "xx"}).language == "auto"  # a bad cell never locks out
    store.close()


# ------------------------------------------------------------------ no unmarked text
# Calls that put words on screen (or in the voice, or in the report), and which argument is the text.
DRAWING = {"text": 0, "paragraph": 0, "wrap": 0, "draw_hint": 1, "say": 0, "_empty": 2, "_panel": 2,
           "set_title": 0, "set_ylabel": 0, "set_caption": 0, "Button": 1, "ConfirmScene": 0, "TextEntryScene": 0,
           "_page_title": 2, "ellipsize": 1, "fit_size": 1}
TEXT_KEYWORDS = {"label", "note", "value", "title", "subtitle", "question", "before", "after", "yes", "no", "empty"}
MARKS = {"_", "ngettext", "pgettext", "N_"}
# Left in English on purpose, each with why.
EXEMPT = {"game/commands/simulate.py": "a developer's tool: plots of simulated patients for tuning the difficulty"}


def _words(node: ast.AST) -> str:
    """The literal words of a string or f-string node ('' for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _words(node.left) + _words(node.right)
    if isinstance(node, ast.IfExp):
        return _words(node.body) + " " + _words(node.orelse)
    return ""


def _is_words(text: str) -> bool:
    import re

    return bool(re.search(r"[A-Za-z]{2}", text))


def unmarked(source: str, name: str = "<code>") -> list[str]:
    tree = ast.parse(source)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        fname = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if fname in MARKS or fname not in DRAWING:
            continue
        args = []
        k = DRAWING[fname]
        if len(node.args) > k:
            args.append(node.args[k])
        args += [kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS]
        for a in args:
            if _is_words(_words(a)):
                out.append(f"{name}:{a.lineno}: {fname}({ast.unparse(a)[:70]})")
    return out


def test_the_unmarked_text_check_finds_unmarked_words():
    code = ('c.text("Hello", (1, 2))\nc.text(_("Hello"), (1, 2))\nc.text(f"{n} reps", (1, 2))\n'
            'Button("go", "Start", r)\nButton("go", _("Start"), r)\nc.text(str(n), (1, 2))\nc.text("A", p)\n'
            'ax.set_title(f"Reps per day (last {n})", loc="left")\nspeech.say("Settings")\n'
            'c.text("x" if a else "Stop now", p)\nc.text(_("{n} reps").format(n=n), p)\n')
    found = unmarked(code)
    assert [x.split(":")[1] for x in found] == ["1", "3", "4", "8", "9", "10"], found


def test_no_text_is_drawn_without_being_marked_for_translation():
    bad = []
    for top in ("game",):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.relative_to(ROOT).as_posix() in EXEMPT:
                continue
            bad += unmarked(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not bad, "words drawn without _() (see game/i18n.py):\n" + "\n".join(bad)


def test_no_function_hides_the_translation_function():
    """`for _ in ...` or `x, _ = ...` inside a function that also calls _() breaks it (UnboundLocalError)."""
    bad = []
    for path in sorted((ROOT / "game").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = [n for stmt in fn.body for n in ast.walk(stmt)]
            calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" for n in body)
            comp_targets = {id(t) for c in body if isinstance(c, (ast.ListComp, ast.SetComp, ast.GeneratorExp,
                                                                       ast.DictComp))
                            for g in c.generators for t in ast.walk(g.target)}
            binds = any(isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)
                        and id(n) not in comp_targets for n in body)
            if calls and binds:
                bad.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}")
    assert not bad, "functions that assign to _ and also translate with _():\n" + "\n".join(bad)


# ------------------------------------------------------------------ fonts
def _cmap(path: Path) -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(str(path)).getBestCmap())


def _translated_chars(lang: str) -> set[str]:
    chars = set()
    for m in catalogue(lang):
        if m.id:
            for s in (m.string,) if isinstance(m.string, str) else m.string:
                chars.update(ch for ch in s if not ch.isspace())
    return chars


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_font_of_each_language_has_every_character_of_its_catalogue(lang):
    """Chinese: the shipped subset (packaging/make_cjk_font.py) covers the catalogue, so a new
    translation cannot silently draw empty boxes; Spanish and German: Atkinson Hyperlegible has
    their letters (ñ ¿ ¡ ä ö ü ß „ “ –)."""
    files = CJK_FONT_FILES if lang == "zh_Hans" else FONT_FILES
    for bold in (False, True):
        have = _cmap(fonts_dir() / files[bold])
        missing = sorted(ch for ch in _translated_chars(lang) if ord(ch) not in have)
        assert not missing, (f"{lang}: {files[bold]} lacks {''.join(missing)!r}; "
                             "rebuild it: python packaging/make_cjk_font.py")


def test_the_chinese_subset_is_small_and_keeps_its_licence():
    for bold in (False, True):
        path = fonts_dir() / CJK_FONT_FILES[bold]
        assert path.stat().st_size < 2_500_000
    assert "SIL Open Font License" in (fonts_dir() / "OFL-NotoSansCJK.txt").read_text(encoding="utf-8")
    from fontTools.ttLib import TTFont

    name = TTFont(str(fonts_dir() / CJK_FONT_FILES[False]))["name"]
    assert "Open Font License" in name.getDebugName(13)


# ------------------------------------------------------------------ the therapist's words
def test_level_file_problems_are_said_in_the_therapists_language():
    from game.levels import parse_level_text

    i18n.set_language("de")
    level, problems = parse_level_text("name: Test\nexercises: []\n", "test.yaml")
    assert level is None and "muss mindestens eine Übung enthalten" in problems[0].message
    level, problems = parse_level_text("name: Test\nexercises:\n  - exercise: power_grip\n\tsets: 3\n", "t.yaml")
    assert "Tabulator" in problems[0].message and problems[0].position.startswith("Zeile 4")
    i18n.set_language("zh_Hans")
    level, problems = parse_level_text("name: Test\nexercises:\n  - exercise: power_grip\n    sets: many\n", "t.yaml")
    assert level is None and "必须是" in problems[0].message and "`sets`" in problems[0].message
    i18n.set_language("en")
    assert "must be" in parse_level_text("name: Test\nexercises:\n  - exercise: power_grip\n    sets: many\n",
                                         "t.yaml")[1][0].message


def test_the_report_is_written_in_the_readers_language(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import warnings

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from game.records.report import build_report
    from tests.records_history import build_history

    h = build_history(tmp_path / "records", days=2)
    seen: list[str] = []
    fig_text, ax_text, ax_title = Figure.text, Axes.text, Axes.set_title
    monkeypatch.setattr(Figure, "text", lambda self, x, y, s, *a, **k: (seen.append(s), fig_text(self, x, y, s, *a, **k))[1])
    monkeypatch.setattr(Axes, "text", lambda self, x, y, s, *a, **k: (seen.append(s), ax_text(self, x, y, s, *a, **k))[1])
    monkeypatch.setattr(Axes, "set_title", lambda self, s, *a, **k: (seen.append(s), ax_title(self, s, *a, **k))[1])
    i18n.set_language("es")
    build_report(h.store, h.patient_id, tmp_path / "es.png")
    assert "Squeeze Quest: informe de ejercicios de mano" in seen
    assert any(s.startswith("Repeticiones por día") for s in seen) and any("Fecha" in s for s in seen)
    seen.clear()
    i18n.set_language("zh_Hans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_report(h.store, h.patient_id, tmp_path / "zh.png")
    assert "握力大冒险：手部锻炼报告" in seen
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing[:3]  # every Chinese character had a glyph (the CJK subset)
    h.store.close()
