"""A played session's stored trace replays through the detector to the same reps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from game.replay import replay_trace
from game.scenes.results import ResultsScene
from tests.helpers import make_app, run_until, scripted_set

ROOT = Path(__file__).resolve().parent.parent


def test_replay_of_a_played_set_gives_the_logged_reps(tmp_path):
    trace, n = scripted_set(6, n_weak=2, n_subthreshold=2, seed=5)
    app = make_app(tmp_path, trace, reps=8)
    run_until(app, lambda: isinstance(app.top, ResultsScene))
    store = app.store
    sid = store.sessions()[-1]["id"]
    stored, settings = store.trace(sid)
    assert settings["calibration"]["mvc"] == 300.0 and settings["filters"]["detect_cutoff_hz"] == 10.0
    assert len(stored) > 1000
    logged = [dict(r) for r in store.reps(sid)]
    result = replay_trace(stored, settings, logged=logged)
    assert len(result.reps) == n == len(logged)
    assert result.matches
    assert [r.failure.value if r.failure else None for r in result.reps] == [r["failure"] for r in logged]
    (s,) = store.sets(sid)
    assert s["reps_attempted"] == 8 and s["reps_successful"] == 6 and s["active_s"] > 0
    app.shutdown()
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "replay-session", str(sid), "--data-dir",
                          str(tmp_path)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "replayed 8 reps, logged 8: the same reps as logged" in run.stdout
    none = subprocess.run([sys.executable, str(ROOT / "main.py"), "replay-session", "999", "--data-dir",
                           str(tmp_path)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert none.returncode == 2 and "there is no session 999" in none.stderr
