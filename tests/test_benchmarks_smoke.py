"""The benchmark suite in miniature: every part runs, prints its table and writes its figures.

Absolute times are not judged here (CI machines differ and are busy); what is judged
is what does not depend on the machine: each benchmark runs to the end, the soak
loses no rep and meets no error, no serial line is lost, the memory figures exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)  # ~40-90 s; a deadline for a hung run only
    return proc, (json.loads(out.read_text()) if out.exists() else {})


def test_one_command_runs_every_part_and_exits_0(smoke):
    proc, res = smoke
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert set(res["parts"]) == {"startup", "frames", "variants", "serial", "storage", "memory", "detection",
                                  "report", "soak"}
    assert not [n for n, r in res["parts"].items() if "failed" in r]


def test_the_summary_table_and_the_machine_are_printed_and_saved(smoke):
    proc, res = smoke
    assert "measure" in proc.stdout and "verdict" in proc.stdout
    for words in ("startup to title", "frame p99", "pty byte to game input", "serial parser throughput",
                  "per-rep DB write", "longest frame while writing", "RSS after start", "soak: no lost rep",
                  "rep detection F1", "rep detector cost per sample", "PDF report"):
        assert words in proc.stdout, words
        assert any(words in row["measure"] for row in res["summary"]), words
    m = res["machine"]
    assert m["cores"] >= 1 and m["python"] and m["pygame_ce"] and m["cpu"]


def test_figures_are_real_measurements(smoke):
    _, res = smoke
    p = res["parts"]
    from game.games import GAMES

    assert {r["game"] for r in p["frames"]["rows"]} == set(GAMES)
    assert {r["game"] for r in p["variants"]["rows"]} == {"bird", "balloon", "boat", "marble"}
    assert all(0 < r["cpu_p50"] <= r["cpu_p99"] for r in p["variants"]["rows"])
    assert p["variants"]["music"]["render_cpu_s"] > 0 and p["variants"]["music"]["sounds_mb"] > 1
    assert all(0 < r["p50"] <= r["p99"] <= r["max"] for r in p["frames"]["rows"])
    assert all(v > 0 for v in p["serial"]["parser_lines_per_s"].values())
    assert 0 < p["serial"]["latency_ms"]["p50"] <= p["serial"]["latency_ms"]["p99"]
    assert p["startup"]["modes"][0]["scene"] == "TitleScene" and p["startup"]["modes"][0]["median_s"] > 0
    assert p["memory"]["after_start_mb"]["headless"] > 10
    d = p["detection"]
    assert d["true_reps"] > 100 and d["current"]["us_per_sample"] > 0
    assert 0.0 <= d["current"]["overall"]["f1"] <= 1.0 and d["current"]["overall"]["true"] > 0
    rp = p["report"]
    assert rp["pages"] >= 6 and rp["reps"] > 0 and 0 < rp["median_cpu_s"] and 0 < rp["first_wall_s"]


def test_soak_and_stream_lose_nothing(smoke):
    _, res = smoke
    soak = res["parts"]["soak"]
    assert soak["errors"] == []
    assert soak["reps_reported"] == soak["reps_in_db"] > 0
    st = res["parts"]["serial"]["stream"]
    assert st["dropped"] == 0 and st["unaccounted"] <= 0


def test_single_benchmarks_refuse_bad_arguments_clearly():
    proc = subprocess.run([sys.executable, "benchmarks/soak.py", "--hours", "0"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "--hours must be more than 0" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "nonsense"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "unknown part nonsense" in proc.stderr


def test_soak_hand_unplugs_lose_samples_and_report_disconnected():
    from benchmarks.soak import SoakHand, plan_unplugs
    from hardware.clock import ManualClock
    from hardware.source import SourceStatus

    clock = ManualClock()
    hand = SoakHand(clock, baseline=40.0)
    hand.start()
    clock.advance(0.1)
    assert len(hand.poll()) == 11 and hand.status is SourceStatus.CONNECTED  # 100 Hz, both ends
    hand.plugged = False
    clock.advance(0.5)
    assert hand.poll() == [] and hand.status is SourceStatus.DISCONNECTED
    hand.plugged = True
    clock.advance(0.05)
    assert [s.force for s in hand.poll()] == [40.0] * 5  # the rest while away is gone, as with a real cable
    plan = plan_unplugs(4.0, seed=0)
    assert plan == plan_unplugs(4.0, seed=0) and 20 <= len(plan) <= 120
    assert all(1.0 <= u.seconds <= 30.0 for u in plan) and any(u.use_keyboard for u in plan)


def test_a_saved_run_prints_its_table_again(smoke, tmp_path):
    _, res = smoke
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(res))
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--table", str(saved)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "pty byte to game input" in proc.stdout and "machine:" in proc.stdout
    assert json.loads(saved.read_text())["summary"] == res["summary"]


def test_detection_benchmark_runs_alone_and_matches_reps_one_to_one(tmp_path):
    from types import SimpleNamespace as R

    from benchmarks.bench_detection import match

    truth = [R(t_start=0.0, t_end=1.0), R(t_start=2.0, t_end=3.0)]
    # one long detection over both true reps matches one of them only; a stray one matches nothing
    assert match(truth, [R(t_start=0.1, t_end=2.5), R(t_start=5.0, t_end=6.0)]) == [(0, 0)]
    assert sorted(match(truth, [R(t_start=2.1, t_end=3.2), R(t_start=0.2, t_end=0.9)])) == [(0, 1), (1, 0)]
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "benchmarks/bench_detection.py", "--smoke", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for words in ("by exercise", "by reality", "OVERALL", "QUICK PRESSES", "detector cost", "success"):
        assert words in proc.stdout, words
    saved = json.loads(out.read_text())
    assert saved["parts"]["detection"]["level"] == "smoke"
    assert any("rep detection F1" in row["measure"] for row in saved["summary"])
