"""The command line in the reader's language (issue 18): main.py's --help texts, argparse's own
words (usage, options, -h, error) and the level checker's units, chosen by the computer's
locale (LANGUAGE) as the game's messages are. The clinic server's admin commands:
tests/server/test_admin_language.py."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game import i18n

ROOT = Path(__file__).resolve().parent.parent


def _help_texts(parser: argparse.ArgumentParser, where: str = "main.py") -> dict[str, str]:
    """Every description and help text of a parser and its subparsers, by where it is."""
    out = {}
    if parser.description:
        out[f"{where}: description"] = parser.description
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            out[f"{where} {'/'.join(action.option_strings) or action.dest}"] = action.help
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.update(_help_texts(sub, f"{where} {name}"))
    return out


def _built_in(lang: str, build) -> dict[str, str]:  # noqa: ANN001
    i18n.set_language(lang)
    try:
        return _help_texts(build())
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize("lang", ["es", "de", "zh_Hans"])
def test_every_help_text_of_main_py_and_the_server_is_in_the_readers_language(lang):
    """A help text that reads the same as the English one was not marked with _() (or not translated)."""
    from game.cli import build_parser
    from server.cli import _parser

    for build in (build_parser, _parser):
        english, theirs = _built_in("en", build), _built_in(lang, build)
        assert english.keys() == theirs.keys()
        assert len(english) > 40
        same = sorted(k for k in english if english[k] == theirs[k])
        assert not same, f"{lang}: still English: " + "; ".join(f"{k}: {english[k]!r}" for k in same[:10])


def test_levels_help_is_spanish_under_a_spanish_locale():
    """The real command, as a user runs it: LANGUAGE=es python main.py levels --help."""
    env = {**os.environ, "LANGUAGE": "es"}
    out = subprocess.run([sys.executable, "main.py", "levels", "--help"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for words in ("uso: main.py levels", "revisar archivos de nivel; mostrar o escribir su esquema JSON",
                  "argumentos posicionales:", "opciones:", "mostrar esta ayuda y salir",
                  "revisar archivos de nivel y explicar cada error"):
        assert words in text, text
    assert "usage:" not in text and "show this help" not in text and "options:" not in text


def test_argparse_errors_start_in_the_readers_language(monkeypatch, capsys):
    from game.cli import main

    monkeypatch.setenv("LANGUAGE", "de")
    with pytest.raises(SystemExit) as stop:
        main(["levels", "check", "--no-such-option"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Aufruf: main.py") and "main.py: Fehler: " in err, err
    monkeypatch.setenv("LANGUAGE", "zh_CN.UTF-8")
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：main.py") and "\n选项:\n" in out and "显示此帮助并退出" in out
    assert "检查关卡文件；输出或写入其 JSON Schema" in out  # a subcommand's help (an N_() constant)


def test_the_allowed_words_name_the_unit_with_the_plural_of_its_number():
    from game.levels import _with_unit, parse_level_text

    i18n.set_language("en")
    assert _with_unit("a number", "rest_s", 0, 600) == "a number from 0 to 600 seconds"
    assert _with_unit("a number", "hold_s", 0, 1) == "a number from 0 to 1 second"
    assert _with_unit("a number", "cue_s", 0.5, 1.5) == "a number from 0.5 to 1.5 seconds"
    assert _with_unit("a whole number", "session_cap_min", 1, 1) == "a whole number from 1 to 1 minute"
    assert _with_unit("a number", "rest_s", None, None) == "a number, in seconds"
    i18n.set_language("es")
    assert _with_unit("x", "hold_s", 0, 1).endswith("1 segundo") and _with_unit("x", "rest_s", 0, 600).endswith(
        "600 segundos")
    i18n.set_language("de")
    assert _with_unit("x", "hold_s", 0, 1).endswith("1 Sekunde")
    assert _with_unit("x", "session_cap_min", 1, 120) == "x von 1 bis 120 Minuten"
    i18n.set_language("zh_Hans")
    assert _with_unit("x", "rest_s", 0, 600).endswith("600 秒")
    # what `levels check` and the portal's editor say about a value out of bounds
    i18n.set_language("es")
    _level, problems = parse_level_text("name: T\nexercises:\n  - exercise: power_grip\n    rest_s: 900\n", "t.yaml")
    assert problems and "de 0 a 600 segundos" in problems[0].message, [str(p) for p in problems]
    i18n.set_language("de")
    _level, problems = parse_level_text("name: T\nexercises:\n  - exercise: power_grip\n    rest_s: 900\n", "t.yaml")
    assert "von 0 bis 600 Sekunden" in problems[0].message, problems[0].message
