"""The clinic server's admin commands speak the computer's language (LANGUAGE, LC_ALL,
LC_MESSAGES, LANG), as main.py does: their results, their refusals and their --help, run
against a real PostgreSQL database."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(pg_url, capsys, monkeypatch):
    from server.cli import main

    def run(lang: str, *args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setenv("LANGUAGE", lang)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        rc = main(["--database-url", pg_url, *args])
        out = capsys.readouterr()
        return rc, out.out.strip(), out.err.strip()

    return run


def test_admin_commands_answer_in_german(cli):
    rc, clinic_id, err = cli("de", "create-clinic", "Nordstation")
    assert rc == 0 and len(clinic_id) == 36, err
    assert cli("de", "create-clinic", "  ")[2] == "Eine Klinik braucht einen Namen."
    rc, _out, err = cli("de", "create-therapist", "--clinic", "Nordstation", "--username", "ute", "--password-stdin",
                        stdin="kurz\n")
    assert rc == 1 and err == "Das Passwort ist zu kurz: Verwenden Sie mindestens 10 Zeichen.", err
    rc, code, err = cli("de", "enrolment-code", "--clinic", "Nordstation", "--hours", "2")
    assert rc == 0 and len(code) == 9
    assert err == (f"Geben Sie diesen Code am PC ein (main.py sync --server URL --enroll {code}). "
                   "Er gilt einmal, 2 Stunden lang."), err
    assert cli("de", "unlock") == (1, "", "Geben Sie --username, --address oder beides an.")
    assert cli("de", "unlock", "--username", "ute") == (0, "nichts war gesperrt", "")
    assert cli("de", "set-password", "--username", "niemand", "--password-stdin", stdin="x" * 12 + "\n")[2] == \
        "Es gibt keine Therapeutin und keinen Therapeuten 'niemand'."
    assert cli("de", "revoke-device", "kein-geraet")[2] == \
        "Das ist keine Geräte-ID; anzeigen mit: squeeze-quest-server list-devices"
    # the same commands in Chinese and, with the locale unset or unknown, in English
    assert cli("zh_CN.UTF-8", "enrolment-code", "--clinic", "Südstation")[2] == \
        "没有诊所 'Südstation'。可用此命令查看列表：squeeze-quest-server list-clinics"
    assert cli("fr_FR.UTF-8", "unlock", "--username", "ute") == (0, "nothing was locked", "")


def test_the_console_command_speaks_the_locale_of_its_shell(pg_url):
    """The real process, as an administrator runs it: LANG=es_ES.UTF-8 python -m server ..."""
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(LANG="es_ES.UTF-8", DATABASE_URL=pg_url)
    run = subprocess.run([sys.executable, "-m", "server", "unlock", "--address", "10.9.8.7"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout.strip()) == (0, "no había nada bloqueado"), run.stderr
    run = subprocess.run([sys.executable, "-m", "server", "set-password", "--help"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.startswith("uso: squeeze-quest-server set-password"), run.stdout
    assert "nueva contraseña de un terapeuta" in run.stdout and "el nombre de usuario del terapeuta" in run.stdout
