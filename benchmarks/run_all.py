"""Every benchmark with one command: a table of figures against their targets, and JSON.

    python -m benchmarks                 # the full suite (about 25 minutes, most of it the 4 h soak)
    python -m benchmarks --no-soak       # everything but the soak (a few minutes)
    python -m benchmarks --only detection  # rep-detection quality on sensor-physics profiles
    python -m benchmarks --quick         # short runs of everything (about a minute)
    python -m benchmarks --smoke         # tiny runs that prove each benchmark works (CI; times not judged)
    python -m benchmarks --json out.json # where the figures go (default benchmarks/results.json)

Each part runs in its own fresh Python process (so one part's memory or warm caches
cannot flatter another's) and calls the measuring code of the single benchmarks
(bench_startup, bench_frames, bench_serial, bench_storage, bench_memory, bench_detection, bench_report, soak);
their own detailed output is shown as they run. The table at the end says, for
each target, "ok" or "MISSED"; frame-time verdicts use this thread's CPU time when
the machine is busy (wall times are printed beside them). Exit status 1 if a
correctness check fails (a lost rep, an error in the soak, a lost serial line);
missed time targets and detection-quality targets are reported, not failed, unless --check.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, describe_machine, headless_env, machine, percentile  # noqa: E402

SECTIONS = ("startup", "frames", "variants", "serial", "storage", "memory", "detection", "report", "soak", "portal",
            "sync_load")
# Parts left out of a level's default run (a PostgreSQL cluster, a server and a year of data are not a smoke test;
# `--only portal --smoke` still runs it small).
NOT_BY_DEFAULT = {"smoke": {"portal", "sync_load"}}
DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"

# How much of each part a run level does.
LEVELS = {
    "smoke": {"startup_runs": 1, "startup_window": False, "frames": 20, "frame_sizes": ((1280, 720),),
              "frames_window": False, "parse_lines": 5_000, "latency_n": 40, "stream_s": 1.0, "db_reps": 20,
              "db_seconds": 0.5, "mem_runs": 1, "mem_window": False, "mem_hours": 0.01, "soak_hours": 0.03,
              "detect": "smoke", "report_days": 3, "report_runs": 1,
              "portal_patients": 5, "portal_days": 14, "portal_requests": 5,
              "sync_devices": 3, "sync_minutes": 2.0, "sync_rounds": 1},
    "quick": {"startup_runs": 3, "startup_window": True, "frames": 240, "frame_sizes": ((1920, 1080), (1280, 720)),
              "frames_window": True, "parse_lines": 50_000, "latency_n": 300, "stream_s": 5.0, "db_reps": 100,
              "db_seconds": 3.0, "mem_runs": 2, "mem_window": True, "mem_hours": 0.1, "soak_hours": 0.25,
              "detect": "quick", "report_days": 14, "report_runs": 2,
              "portal_patients": 50, "portal_days": 90, "portal_requests": 20,
              "sync_devices": 50, "sync_minutes": 45.0, "sync_rounds": 1},
    "full": {"startup_runs": 7, "startup_window": True, "frames": 1200, "frame_sizes": ((1920, 1080), (1280, 720)),
             "frames_window": True, "parse_lines": 300_000, "latency_n": 2000, "stream_s": 60.0, "db_reps": 300,
             "db_seconds": 5.0, "mem_runs": 5, "mem_window": True, "mem_hours": 1.0, "soak_hours": 4.0,
             "detect": "full", "report_days": 14, "report_runs": 5,
              "portal_patients": 200, "portal_days": 365, "portal_requests": 40,
              "sync_devices": 50, "sync_minutes": 45.0, "sync_rounds": 2},
}


# ------------------------------------------------------------------ the parts (each in its own process)
def part_startup(lv: dict) -> dict:
    from benchmarks import bench_startup

    res = bench_startup.run(lv["startup_runs"], window=lv["startup_window"], program=lv["startup_window"])
    bench_startup.print_table(res)
    return res


def part_frames(lv: dict) -> dict:
    headless_env()
    from benchmarks import bench_frames
    from game.games import GAMES

    rows = []
    modes = ["headless"] + (["window"] if lv["frames_window"] and os.environ.get("DISPLAY") else [])
    print(f"update+draw per frame, {lv['frames']} frames after {bench_frames.WARMUP_FRAMES} warm-up "
          f"(window: drawn and flipped to a real X window)")
    print(f"{'game':<18} {'mode':<9} {'size':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu p50':>8} {'cpu p99':>8}"
          f" {'present p50':>11} {'p99':>6}")
    for mode in modes:
        if mode == "window":
            os.environ.pop("SDL_VIDEODRIVER", None)
        for ex in GAMES:
            for w, h in lv["frame_sizes"]:
                # present: the flip of the frame to the window (the software copy; headless it is nothing)
                wall, cpu, present = bench_frames.bench_game_timed(ex, (w, h), lv["frames"], window=mode == "window")
                row = {"game": ex, "mode": mode, "size": f"{w}x{h}", "p50": percentile(wall, 50),
                       "p99": percentile(wall, 99), "max": max(wall), "cpu_p50": percentile(cpu, 50),
                       "cpu_p99": percentile(cpu, 99), "present_p50": percentile(present, 50),
                       "present_p99": percentile(present, 99)}
                rows.append(row)
                print(f"{ex:<18} {mode:<9} {row['size']:>10} {row['p50']:7.2f} {row['p99']:7.2f} {row['max']:7.2f} "
                      f"{row['cpu_p50']:8.2f} {row['cpu_p99']:8.2f} {row['present_p50']:11.2f} "
                      f"{row['present_p99']:6.2f}", flush=True)
    return {"target_p99_ms": bench_frames.TARGET_P99_MS, "rows": rows}


def part_variants(lv: dict) -> dict:
    """The second games (balloon, marble garden) beside the first, first and last stage; and the music."""
    from benchmarks import bench_variants

    return bench_variants.run(lv["frames"], lv["frame_sizes"], stages=(1,) if lv["frames"] < 100 else (1, 5))


def part_serial(lv: dict) -> dict:
    from benchmarks import bench_serial

    tp = bench_serial.parser_throughput(lv["parse_lines"])
    for fmt, v in tp.items():
        print(f"parser {fmt:9s} {v:>12,.0f} lines/s")
    p50, p99, worst = bench_serial.latency(lv["latency_n"])
    print(f"pty line -> game input latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms")
    s = bench_serial.stream(lv["stream_s"])
    s["unaccounted"] = s["written"] - s["received"] - s["boot_lines"]
    print(f"{s['seconds']:.0f} s at 1 kHz: written {s['written']}, received {s['received']}, dropped {s['dropped']}, "
          f"unaccounted {s['unaccounted']}, max backlog {s['max_backlog_ms']:.1f} ms")
    return {"parser_lines_per_s": tp, "latency_ms": {"p50": p50, "p99": p99, "max": worst}, "stream": s}


def part_storage(lv: dict) -> dict:
    import statistics

    from benchmarks import bench_storage

    out: dict = {"commit_ms": {}, "frames": {}}
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        for journal, sync in (("WAL", "FULL"), ("WAL", "NORMAL"), ("DELETE", "FULL")):
            ts = bench_storage.commit_times(folder, journal, sync, lv["db_reps"])
            out["commit_ms"][f"{journal}+{sync}"] = {"median": statistics.median(ts) * 1000,
                                                     "p99": bench_storage.pct(ts, 99) * 1000, "max": max(ts) * 1000}
            print(f"per-rep commit {journal:6} synchronous={sync:6} median {statistics.median(ts) * 1000:6.2f} ms  "
                  f"p99 {bench_storage.pct(ts, 99) * 1000:6.2f} ms")
        for background in (None, False, True):
            frames, calls, reps = bench_storage.frame_loop(folder, background, lv["db_seconds"])
            how = {None: "no saving", False: "on the frame", True: "writer thread"}[background]
            out["frames"][how] = {"longest_frame_ms": max(frames) * 1000, "p99_frame_ms": bench_storage.pct(frames, 99) * 1000,
                                  "longest_save_call_ms": max(calls) * 1000, "reps": reps}
            print(f"60 fps loop, {how:<13} longest frame {max(frames) * 1000:6.2f} ms, "
                  f"longest save call {max(calls) * 1000:6.2f} ms ({reps} reps)")
        # The database locked all along: every write fails and goes to the spill journal.
        sp = out["spill"] = bench_storage.spill_frame_loop(folder, lv["db_seconds"])
        print(f"60 fps loop, locked+journal longest frame {sp['longest_frame_ms']:6.2f} ms, "
              f"{sp['records_journaled']} records journaled, journal append p99 {sp['append_p99_ms']:.2f} ms, "
              f"all stored after: {sp['all_stored_after']}")
    return out


def part_memory(lv: dict) -> dict:
    from benchmarks import bench_memory

    res = bench_memory.run(lv["mem_hours"], runs=lv["mem_runs"], window=lv["mem_window"])
    bench_memory.print_table(res)
    return res


def part_detection(lv: dict) -> dict:
    from benchmarks import bench_detection

    res = bench_detection.run(lv["detect"])
    bench_detection.print_table(res)
    return res


def part_report(lv: dict) -> dict:
    from benchmarks import bench_report

    res = bench_report.run(lv["report_days"], lv["report_runs"])
    bench_report.print_table(res)
    return res


def part_soak(lv: dict) -> dict:
    from dataclasses import asdict

    from benchmarks import soak

    res = soak.run_soak(lv["soak_hours"], progress=True)
    print(soak.report(res))
    out = asdict(res)
    out["ok"] = res.ok
    return out


def part_portal(lv: dict) -> dict:
    from benchmarks import bench_portal

    res = bench_portal.run(lv["portal_patients"], lv["portal_days"], lv["portal_requests"])
    bench_portal.print_table(res)
    return res


def part_sync_load(lv: dict) -> dict:
    from benchmarks import bench_sync_load

    return bench_sync_load.run(lv["sync_devices"], lv["sync_minutes"], lv["sync_rounds"])


PARTS = {"startup": part_startup, "frames": part_frames, "variants": part_variants, "serial": part_serial,
         "storage": part_storage,
         "memory": part_memory, "detection": part_detection, "report": part_report, "soak": part_soak,
         "portal": part_portal, "sync_load": part_sync_load}


# ------------------------------------------------------------------ the summary
def summary_rows(r: dict, level: str) -> list[dict]:
    """One row per target: what was measured, the target, ok or MISSED."""
    rows: list[dict] = []

    def add(measure: str, figure: str, target: str, ok: bool | None, kind: str = "time") -> None:
        rows.append({"measure": measure, "figure": figure, "target": target,
                     "verdict": "-" if ok is None else ("ok" if ok else "MISSED"), "kind": kind})

    if "startup" in r:
        for m in r["startup"]["modes"]:
            add(f"startup to title, {m['mode']}", f"median {m['median_s']:.2f} s, p90 {m.get('p90_s', m['max_s']):.2f} s"
                f", RSS {m['rss_mb']:.0f} MB", f"median <= {r['startup']['target_s']:.1f} s", m["ok"])
    if "frames" in r:
        target = r["frames"]["target_p99_ms"]
        for mode in ("headless", "window"):
            for size in ("1280x720", "1920x1080"):
                sel = [x for x in r["frames"]["rows"] if x["mode"] == mode and x["size"] == size]
                if not sel:
                    continue
                worst = max(sel, key=lambda x: x["p99"])
                worst_cpu = max(sel, key=lambda x: x["cpu_p99"])
                add(f"frame p99, {mode} {size} (worst of {len(sel)} games)",
                    f"{worst['p99']:.2f} ms ({worst['game']}); cpu {worst_cpu['cpu_p99']:.2f} ms",
                    f"<= {target:.0f} ms", worst["p99"] <= target or worst_cpu["cpu_p99"] <= target)
                if worst["p99"] > target and worst_cpu["cpu_p99"] <= target:
                    rows[-1]["verdict"] = "ok (cpu)"  # the wall p99 has other programs (and the X server) in it
    if "variants" in r:
        v = r["variants"]
        for size in sorted({x["size"] for x in v["rows"]}):
            sel = [x for x in v["rows"] if x["size"] == size]
            worst = max(sel, key=lambda x: x["cpu_p99"])
            add(f"frame p99, second games, headless {size} (worst of {len(sel)} game-stages)",
                f"cpu {worst['cpu_p99']:.2f} ms ({worst['game']} stage {worst['stage']}); wall {worst['p99']:.2f} ms",
                f"<= {v['target_p99_ms']:.0f} ms", worst["cpu_p99"] <= v["target_p99_ms"])
        m = v["music"]
        add("music: loops made (worker thread), per-frame follow",
            f"{m['render_cpu_s']:.2f} s CPU, {m['sounds_mb']:.1f} MB; follow p99 {m['follow_us_p99']:.0f} us",
            "off the frame; follow < 100 us", m["follow_us_p99"] < 100)
    if "serial" in r:
        s = r["serial"]
        add("pty byte to game input, p99", f"{s['latency_ms']['p99']:.2f} ms (max {s['latency_ms']['max']:.1f})",
            "<= 20 ms", s["latency_ms"]["p99"] <= 20.0)
        slowest = min(s["parser_lines_per_s"].items(), key=lambda kv: kv[1])
        add("serial parser throughput (slowest format)", f"{slowest[1]:,.0f} lines/s ({slowest[0]})",
            ">= 200,000 lines/s", slowest[1] >= 200_000)
        st = s["stream"]
        # Losing a line is a fault on any machine; how far the reader fell behind is a time, and a busy machine's
        # (the smoke run in CI shares two cores with the tests) is reported, not failed.
        add(f"1 kHz stream for {st['seconds']:.0f} s", f"{st['dropped']} dropped, {st['unaccounted']} unaccounted",
            "none lost", st["dropped"] == 0 and st["unaccounted"] <= 0, "check")
        add("1 kHz stream: reader's backlog", f"max {st['max_backlog_ms']:.0f} ms", "< 100 ms",
            st["max_backlog_ms"] < 100)
    if "storage" in r:
        c = r["storage"]["commit_ms"]["WAL+FULL"]
        add("per-rep DB write (WAL, synchronous=FULL)", f"median {c['median']:.2f} ms, p99 {c['p99']:.2f} ms",
            "off the frame (writer thread)", None)
        f = r["storage"]["frames"]
        wt, base = f["writer thread"], f["no saving"]
        # The loop's own noise (the OS, other programs) is in both; saving must add nothing beyond it.
        add("longest frame while writing (writer thread)",
            f"{wt['longest_frame_ms']:.2f} ms (no saving: {base['longest_frame_ms']:.2f} ms); "
            f"longest save call {wt['longest_save_call_ms']:.2f} ms", "within 1 ms of no saving",
            wt["longest_frame_ms"] <= base["longest_frame_ms"] + 1.0)
        if "spill" in r["storage"]:
            sp = r["storage"]["spill"]
            add("longest frame while writes fail and are journaled (database locked)",
                f"{sp['longest_frame_ms']:.2f} ms; {sp['records_journaled']} records journaled, append p99 "
                f"{sp['append_p99_ms']:.2f} ms (writer thread); all stored after: {sp['all_stored_after']}",
                "<= 16.7 ms, every rep stored", sp["longest_frame_ms"] <= 16.7 and sp["all_stored_after"])
    if "memory" in r:
        m = r["memory"]
        for mode, mb in m["after_start_mb"].items():
            add(f"RSS after start, {mode}", f"{mb:.1f} MB", f"<= {m['budget_mb']:.0f} MB", mb <= m["budget_mb"], "memory")
        s = m["session"]
        add(f"RSS after a {s['hours']:g} h session", f"{s['rss_end_mb']:.1f} MB (highest {s['rss_max_mb']:.1f}, "
            f"growth {s['growth_mb']:+.1f})", f"<= {m['budget_mb']:.0f} MB", s["rss_max_mb"] <= m["budget_mb"], "memory")
    if "detection" in r:
        d = r["detection"]
        judged = level != "smoke"  # a few reps per case cannot judge a 0.98 target
        for key, label in (("overall", "overall"), ("quick_presses", "quick presses")):
            x = d["current"][key]
            add(f"rep detection F1, {label} ({x['true']} true reps)",
                f"{x['f1']:.3f} (precision {x['precision']:.3f}, recall {x['recall']:.3f})",
                f">= {d['target_f1']}", x["f1"] >= d["target_f1"] if judged else None, "quality")
        x = d["current"]["all_profiles"]
        add("rep success agrees with the truth (weak/strong)",
            f"{x['success_agreement']:.3f} over {x['matched']} matched reps" if x["success_agreement"] is not None
            else "no matched reps", "reported", None, "quality")
        b = d.get("baseline")
        add("rep detector cost per sample", f"{d['current']['us_per_sample']:.2f} us" + (
            f" ({d['baseline_commit']}: {b['us_per_sample']:.2f} us)" if b else f" ({d['baseline_commit']}: skipped)"),
            "reported", None)
    if "report" in r:
        x = r["report"]
        target = x["target_s"]
        add(f"PDF report, {x['days']}-day history ({x['pages']} pages, {x['reps']} reps)",
            f"median {x['median_wall_s']:.2f} s, cpu {x['median_cpu_s']:.2f} s (first in process "
            f"{x['first_wall_s']:.2f} s, cpu {x['first_cpu_s']:.2f} s)", f"< {target:.0f} s",
            (x["median_wall_s"] < target or x["median_cpu_s"] < target) if level != "smoke" else None)
        if level != "smoke" and x["median_wall_s"] >= target and x["median_cpu_s"] < target:
            rows[-1]["verdict"] = "ok (cpu)"  # the wall time had other programs in it
    if "portal" in r:
        x = r["portal"]
        for page, p in x["pages"].items():
            cpu = f", server cpu {p['server_cpu_ms']:.1f} ms" if p.get("server_cpu_ms") is not None else ""
            add(f"portal page p95, {page} ({x['patients']} patients x {x['days']} days)",
                f"{p['p95_ms']:.0f} ms (p50 {p['p50_ms']:.0f}{cpu})", f"< {x['target_p95_ms']:.0f} ms",
                p["p95_ms"] < x["target_p95_ms"] if level != "smoke" else None)
    if "sync_load" in r:
        x = r["sync_load"]
        worst = max(x["rounds"], key=lambda o: o["total_s"])
        cpu = (worst["server_cpu_s"] + worst["postgres_cpu_s"] + worst["client_cpu_s"]) / 2
        add(f"clinic server: {worst['devices']} devices upload a {x['minutes']:g} min session each",
            f"{worst['total_s']:.1f} s (p99 {worst['p99_ms']:.0f} ms, {worst['reps_per_s']:,.0f} reps/s; "
            f"CPU on 2 cores {cpu:.1f} s)", "< 10 s", (worst["total_s"] < 10 or cpu < 10) if level != "smoke" else None)
        add("clinic server: every record stored exactly once", str(x["exactly_once"]), "True", x["exactly_once"],
            "check")
        rss, rounds = x["rss_mb"], x["rounds"]
        flat = rounds[-1]["rss_mb_after"] <= rounds[0]["rss_mb_after"] * 1.1 + 20 if len(rounds) > 1 else None
        add("clinic server RSS over the run", f"{rss['before']:.0f} -> max {rss['max']:.0f}, after each round "
            + ", ".join(f"{o['rss_mb_after']:.0f}" for o in rounds) + " MB", "flat from round to round", flat,
            "memory")
    if "soak" in r:
        s = r["soak"]
        hours = f"{s['hours']:g} h soak"
        for name, ok in s["checks"].items():
            detail = {
                "no error": f"{len(s['errors'])} errors, {s['unplugs']} unplugs, {s['sets']} sets",
                "no lost rep": f"{s['reps_reported']} reported, {s['reps_in_db']} in the database",
                "frame time unchanged": (f"cpu p50 {s['segments'][0]['cpu_p50']:.2f} -> {s['segments'][-1]['cpu_p50']:.2f} ms, "
                                         f"p99 {s['segments'][0]['cpu_p99']:.2f} -> {s['segments'][-1]['cpu_p99']:.2f} ms"
                                         if len(s["segments"]) >= 2 else "too short to compare"),
            }.get(name, f"{s['rss_end_mb'] - s['rss_baseline_mb']:+.2f} MB")
            kind = "memory" if name.startswith("memory") else ("time" if name.startswith("frame") else "check")
            if level == "smoke" and kind != "check":
                ok = None  # a one-minute soak cannot judge growth or trends
            add(f"{hours}: {name}", detail, name, ok, kind)
    return rows


def print_summary(rows: list[dict], info: dict) -> None:
    w1 = max(len(x["measure"]) for x in rows)
    w2 = max(len(x["figure"]) for x in rows)
    w3 = max(len(x["target"]) for x in rows)
    print("\n" + "=" * (w1 + w2 + w3 + 16))
    print(f"{'measure':<{w1}}  {'figure':<{w2}}  {'target':<{w3}}  verdict")
    for x in rows:
        print(f"{x['measure']:<{w1}}  {x['figure']:<{w2}}  {x['target']:<{w3}}  {x['verdict']}")
    print(f"machine: {describe_machine(info)}")


# ------------------------------------------------------------------ driver
def run_part(name: str, level: str, env: dict[str, str], extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / f"{name}.json"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "benchmarks.run_all", "--part", name, "--part-json", str(out),
                               *({"full": [], "quick": ["--quick"], "smoke": ["--smoke"]}[level]), *extra],
                              cwd=ROOT, env=env)
        if proc.returncode != 0 or not out.exists():
            return {"failed": f"exit {proc.returncode}"}
        res = json.loads(out.read_text())
        res["seconds"] = time.perf_counter() - t0
        return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--quick", action="store_const", dest="level", const="quick", help="short runs (about a minute)")
    how.add_argument("--smoke", action="store_const", dest="level", const="smoke", help="tiny runs for CI")
    ap.set_defaults(level="full")
    ap.add_argument("--only", help=f"comma-separated parts to run (of {', '.join(SECTIONS)})")
    ap.add_argument("--no-soak", action="store_true", help="leave out the soak")
    ap.add_argument("--soak-hours", type=float, help="game time for the soak (default 4 in the full suite)")
    ap.add_argument("--json", type=Path, default=None, help=f"where to write the figures (default {DEFAULT_JSON})")
    ap.add_argument("--check", action="store_true", help="exit 1 also when a time or memory target is missed")
    ap.add_argument("--table", type=Path, metavar="JSON", help="print the table of a saved run again, and stop")
    ap.add_argument("--part", choices=SECTIONS, help=argparse.SUPPRESS)
    ap.add_argument("--part-json", type=Path, help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    lv = dict(LEVELS[ns.level])
    if ns.soak_hours:
        lv["soak_hours"] = ns.soak_hours
    if ns.part:  # a child process: one part
        res = PARTS[ns.part](lv)
        ns.part_json.write_text(json.dumps(res, default=float))
        return 0

    if ns.table:
        saved = json.loads(ns.table.read_text())
        ok_parts = {n: r for n, r in saved["parts"].items() if "failed" not in r}
        saved["summary"] = summary_rows(ok_parts, saved["level"])
        print_summary(saved["summary"], saved["machine"])
        ns.table.write_text(json.dumps(saved, indent=1, default=float))
        return 0

    parts = ns.only.split(",") if ns.only else [p for p in SECTIONS if p not in NOT_BY_DEFAULT.get(ns.level, ())]
    unknown = [p for p in parts if p not in SECTIONS]
    if unknown:
        print(f"benchmarks: unknown part {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    if ns.no_soak and "soak" in parts:
        parts.remove("soak")
    info = machine()
    print(f"Squeeze Quest benchmarks ({ns.level}) on {describe_machine(info)}", flush=True)
    env = dict(os.environ, PYGAME_HIDE_SUPPORT_PROMPT="1", SDL_AUDIODRIVER="dummy")
    results: dict = {}
    from benchmarks.bench_startup import Xvfb

    with Xvfb() as x:  # one X server for the window frame runs
        for name in parts:
            print(f"\n--- {name} ---", flush=True)
            part_env = dict(env)
            if name == "frames":
                if x is not None and lv["frames_window"]:
                    part_env["DISPLAY"] = x.display
                else:
                    part_env.pop("DISPLAY", None)
            extra = ["--soak-hours", str(ns.soak_hours)] if ns.soak_hours else []
            results[name] = run_part(name, ns.level, part_env, extra)
    failed = [n for n, r in results.items() if "failed" in r]
    ok_results = {n: r for n, r in results.items() if "failed" not in r}
    rows = summary_rows(ok_results, ns.level)
    for n in failed:
        rows.append({"measure": n, "figure": f"benchmark failed ({results[n]['failed']})", "target": "runs",
                     "verdict": "MISSED", "kind": "check"})
    if rows:
        print_summary(rows, info)
    info_end = machine()
    out = {"level": ns.level, "machine": info, "load_average_at_end": info_end.get("load_average"),
           "finished_at": time.strftime("%Y-%m-%d %H:%M:%S"), "summary": rows, "parts": results}
    path = ns.json or DEFAULT_JSON
    path.write_text(json.dumps(out, indent=1, default=float))
    print(f"figures written to {path}")
    broken = [x for x in rows if x["verdict"] == "MISSED" and (x["kind"] == "check" or ns.check)]
    print("verdicts: ok (cpu) = the game's own CPU time meets the target; the wall time had other programs in it")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
