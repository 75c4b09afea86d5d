"""The game, its tools, the benchmarks and the test suite's collection with the Unix-only
modules unimportable (tests/windows_standin.py: a Windows stand-in on Linux)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from game.records.storage import DB_NAME

ROOT = Path(__file__).resolve().parent.parent
# WINDOWS_STANDIN_OS: os.geteuid, os.fchmod... are gone too, as on Windows.
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1",
           WINDOWS_STANDIN_OS="1")
PRELUDE = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import tests.windows_standin\n"


def run_standin(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE + code, *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV, cwd=ROOT)


def test_the_stand_in_blocks_what_windows_lacks():
    out = run_standin(
        "import os\n"
        "for name in ('pty', 'termios', 'fcntl', 'resource', 'grp', 'pwd', 'tty'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "    except ImportError:\n"
        "        print('blocked', name)\n"
        "print('geteuid' in dir(os), 'fchmod' in dir(os))\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("blocked") == 7 and "False False" in out.stdout


def test_every_module_imports_without_unix_only_modules():
    out = run_standin(
        "import importlib, pkgutil\n"
        "bad = []\n"
        "for pkg in ('game', 'hardware', 'benchmarks'):\n"
        "    for info in pkgutil.walk_packages(importlib.import_module(pkg).__path__, pkg + '.'):\n"
        "        if info.name.endswith('__main__'):\n"
        "            continue  # runs the program\n"
        "        try:\n"
        "            importlib.import_module(info.name)\n"
        "        except Exception as exc:\n"
        "            bad.append(f'{info.name}: {exc!r}')\n"
        "print('\\n'.join(bad) or 'all imported')\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("all imported"), out.stdout


def test_test_suite_collects_and_only_posix_only_modules_skip():
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.windows_standin", "--collect-only", "-q",
                          "-p", "no:cacheprovider", "-rs", str(ROOT / "tests")],
                         capture_output=True, text=True, timeout=180, env=ENV, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert re.search(r"\d+ tests? collected", out.stdout)
    skipped = re.findall(r"SKIPPED \[\d+\] (tests/\S+?\.py):\d+", out.stdout)
    for path in skipped:  # a module skipped for a missing Unix module must say it needs one
        assert "posix_only" in (ROOT / path).read_text(encoding="utf-8"), f"{path} skips without the posix_only mark"


def test_a_headless_set_is_played_and_saved_without_unix_only_modules(tmp_path):
    out = run_standin("import runpy\n"
                      "sys.argv = ['main.py', *sys.argv[1:]]\n"
                      f"runpy.run_path({str(ROOT / 'main.py')!r}, run_name='__main__')\n",
                      "--headless", "--input", "sim", "--exercise", "power_grip", "--reps", "3", "--seconds", "30",
                      "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    db = sqlite3.connect(tmp_path / DB_NAME)
    try:
        assert db.execute("SELECT count(*) FROM reps").fetchone()[0] == 3
    finally:
        db.close()
