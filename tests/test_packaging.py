"""What an installed copy needs: every package and data file listed for the wheel, the
shipped files found through game/resources.py, the optional [reports] extra imported only
when used (with a plain message when it is missing), and port names of all three platforms.
The wheel itself is built, installed outside the checkout and played in .ci/run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from game import resources
from game.records.extras import REPORTS_INSTALL, missing_extra
from game.levels import SHIPPED_DIR, level_dirs, level_files
from game.supervisor import kiosk_command, kiosk_env
from hardware.discovery import is_port_spec, normalize_port
from hardware.line_formats import PROFILE_DIR, load_profile, shipped_profiles

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")


def pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_folder_is_in_the_wheel():
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for top in ("game", "hardware")
               for p in (ROOT / top).rglob("__init__.py") if "__pycache__" not in p.parts}
    assert on_disk - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert {"squeeze_quest_data", "squeeze_quest_data.assets", "squeeze_quest_data.levels"} <= listed


def test_package_data_patterns_cover_every_shipped_file():
    from fnmatch import fnmatch

    setuptools = pyproject()["tool"]["setuptools"]
    dirs, data = setuptools["package-dir"], setuptools["package-data"]
    shipped = {
        "squeeze_quest_data.assets": [p for p in (ROOT / "assets").rglob("*") if p.is_file()],
        "squeeze_quest_data.levels": [p for p in (ROOT / "levels").iterdir() if p.is_file()],
        "hardware": list((ROOT / "hardware" / "profiles").glob("*")),
    }
    for pkg, files in shipped.items():
        base = ROOT / dirs.get(pkg, pkg.replace(".", "/"))
        assert files
        for f in files:
            rel = f.relative_to(base).as_posix()
            assert any(fnmatch(rel, pat) for pat in data[pkg]), f"{rel} would be left out of the wheel ({pkg})"


def test_shipped_files_are_found():
    assert resources.font_file(False).is_file() and resources.font_file(True).is_file()
    assert resources.font_file(True).parent == resources.fonts_dir()
    assert SHIPPED_DIR == resources.shipped_levels_dir() and (SHIPPED_DIR / "schema.json").is_file()
    assert len(level_files([SHIPPED_DIR])) >= 5
    assert PROFILE_DIR.is_dir() and load_profile("squeeze_ball") is not None and len(shipped_profiles()) >= 5


def test_missing_font_is_said_in_plain_words(tmp_path):
    with pytest.raises(resources.MissingGameFile, match="font is missing.*Install Squeeze Quest again"):
        resources.check_font(tmp_path / "gone.ttf")


def test_own_levels_live_in_the_data_folder_beside_the_shipped_ones(tmp_path):
    assert level_dirs(tmp_path) == (SHIPPED_DIR,)  # no folder of one's own yet
    own = resources.user_levels_dir(tmp_path)
    own.mkdir()
    (own / "mine.yaml").write_text((SHIPPED_DIR / "gentle_start.yaml").read_text(encoding="utf-8")
                                   .replace("Gentle start", "Mine"), encoding="utf-8")
    assert level_dirs(tmp_path) == (SHIPPED_DIR, own)
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "levels", "check", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "mine.yaml: Mine" in out.stdout and "gentle_start.yaml" in out.stdout
    assert f"your own level files: {own}" in out.stdout


def test_kiosk_supervisor_starts_the_game_as_a_module_not_main_py():
    cmd = kiosk_command(["--data-dir", "/srv/sq", "--kiosk"])
    assert cmd == [sys.executable, "-m", "game", "--kiosk", "--data-dir", "/srv/sq"]
    env = kiosk_env()  # a checkout: the child runs this same code
    assert env is not None and env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
    out = subprocess.run([sys.executable, "-m", "game", "--help"], capture_output=True, text=True, timeout=60,
                         env=env, cwd=Path("/"))
    assert out.returncode == 0 and "--kiosk" in out.stdout


def test_kiosk_supervisor_in_a_pyinstaller_build_starts_the_program_itself(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert kiosk_command(["--input", "auto"]) == [sys.executable, "--kiosk", "--input", "auto"]


@pytest.mark.parametrize("spec, shown", [
    ("COM10", "COM10"), ("\\\\.\\COM10", "COM10"), ("com3", "COM3"), ("\\\\?\\COM4", "COM4"),
    ("/dev/cu.usbmodem1101", "/dev/cu.usbmodem1101"), ("/dev/ttyACM0", "/dev/ttyACM0"),
    ("/dev/ttyUSB1", "/dev/ttyUSB1"), ("socket://localhost:7777", "socket://localhost:7777"),
])
def test_port_names_of_every_platform_are_accepted_and_shown(spec, shown):
    assert is_port_spec(spec) and normalize_port(spec) == shown


@pytest.mark.parametrize("spec", ["sim", "keyboard", "trace.csv", "COMX", "COM", "\\\\.\\pipe\\x"])
def test_other_inputs_are_not_ports(spec):
    assert not is_port_spec(spec)


def test_a_ball_named_by_any_spelling_shows_the_plain_port_name():
    from hardware.clock import ManualClock
    from hardware.discovery import open_ball

    def opener(url: str, baud: int):  # noqa: ARG001 - not plugged in: the ball waits for it
        raise OSError(2, "could not open port")

    ball = open_ball("\\\\.\\COM10", ManualClock(), opener=opener, comports=lambda: [])
    try:
        assert ball.url == "COM10"
    finally:
        ball.close()


def test_missing_extra_is_named_with_the_install_command():
    assert missing_extra("json") is None
    assert missing_extra("no_such_module_xyz") == f"Reports need an extra package: {REPORTS_INSTALL}"
    assert missing_extra("no_such_pkg_xyz.sub", "FHIR exports").startswith("FHIR exports need an extra package")


def test_report_and_fhir_without_the_extra_say_how_to_add_it(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None; sys.modules['fhir'] = None  # the [reports] extra not installed\n"
        "from game.records.storage import Store\n"
        "from game.records.report import ReportError, build_report\n"
        "from game.records.export import ExportError, export\n"
        f"store = Store.in_dir({str(tmp_path)!r}); pid = store.ensure_patient()\n"
        "for call, err in ((lambda: build_report(store, pid, sys.argv[1]), ReportError),\n"
        "                  (lambda: export(store, pid, 'fhir'), ExportError)):\n"
        "    try:\n"
        "        call()\n"
        "    except err as exc:\n"
        "        print(exc)\n"
        "store.close()\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "r.pdf")], capture_output=True, text=True,
                         timeout=60, env=ENV, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"Reports need an extra package: {REPORTS_INSTALL}",
                                       f"FHIR exports need an extra package: {REPORTS_INSTALL}"]


def test_starting_the_game_imports_no_report_packages(tmp_path):
    out = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "main.py"), "--headless", "--frames", "3",
                          "--input", "keyboard", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "pygame" in imported  # the measurement saw the game start
    heavy = sorted(m for m in imported if m.split(".")[0] in ("matplotlib", "fhir"))
    assert heavy == []
