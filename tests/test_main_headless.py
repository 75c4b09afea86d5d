"""``python main.py`` run headless as a user would, checked through its database."""

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from game.records.storage import DB_NAME, SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent


def run_main(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def test_help_lists_the_options():
    out = run_main("--help")
    assert out.returncode == 0
    for opt in ("--input", "--data-dir", "--windowed", "--fullscreen", "--headless", "--frames", "--seconds"):
        assert opt in out.stdout


def test_headless_run_records_reps_and_a_screenshot(tmp_path):
    shot = tmp_path / "shot.png"
    out = run_main("--headless", "--input", "sim", "--exercise", "power_grip", "--reps", "5", "--seconds", "40",
                   "--data-dir", str(tmp_path), "--screenshot", str(shot))
    assert out.returncode == 0, out.stderr
    db_path = tmp_path / DB_NAME
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600  # health data: owner only
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    sessions = db.execute("SELECT id, end_reason, input_device FROM sessions ORDER BY id").fetchall()
    assert sessions[0][1] == "completed" and sessions[0][2] == "Simulator"
    reps = db.execute("SELECT session_id, exercise, rep_number, peak_pct, target_pct FROM reps WHERE session_id=?",
                      (sessions[0][0],)).fetchall()
    assert [r[2] for r in reps] == [1, 2, 3, 4, 5]
    assert all(r[1] == "power_grip" and r[3] > 5 and r[4] == 20.0 for r in reps)
    assert shot.stat().st_size > 1000


def test_headless_frames_option_and_bad_arguments(tmp_path):
    assert run_main("--headless", "--frames", "30", "--data-dir", str(tmp_path)).returncode == 0
    bad = run_main("--headless", "--exercise", "juggling", "--data-dir", str(tmp_path))
    assert bad.returncode == 2 and "unknown exercise" in bad.stderr
    bad = run_main("--headless", "--input", "nonsense", "--frames", "3", "--data-dir", str(tmp_path))
    assert bad.returncode == 2 and "unknown input" in bad.stderr
