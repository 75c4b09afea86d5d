"""Small helpers the benchmarks share: percentiles, memory, the machine they ran on.

Plain standard library (numpy only for percentiles), so a benchmark child process
that imports this adds nothing measurable to what it measures.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def headless_env() -> None:
    """No screen, no sound card: what every benchmark of the app runs under."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def on_path() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def print_and_save(res: dict, print_table, path: Path | None) -> None:  # noqa: ANN001 - the benchmark's table printer
    """Print a benchmark's figures as its table, and write them to ``path`` as JSON when one is given."""
    print_table(res)
    if path:
        path.write_text(json.dumps(res, indent=1))


def end_server_run(server, cluster, name: str, own_cluster: bool) -> None:  # noqa: ANN001 - ServerProcess, Cluster
    """After a benchmark of the clinic server: stop the server (if it started), drop the run's
    database, and remove the PostgreSQL cluster if the run made its own."""
    from server import throwaway_pg
    from server.testing import drop_database

    if server is not None:
        server.stop()
    drop_database(cluster, name)
    if own_cluster:
        throwaway_pg.destroy(cluster)


def percentile(values, p: float) -> float:  # noqa: ANN001 - any sequence or array of numbers
    import numpy as np

    arr = np.asarray(values, dtype=float)
    return float(np.percentile(arr, p)) if arr.size else float("nan")


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc; elsewhere the peak)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * PAGE / 1e6
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """The most resident memory this process has had, in MB (nan on Windows, which has no
    ``resource`` module: the benchmarks measure memory on Linux and macOS)."""
    try:
        import resource  # Unix only: imported here so the benchmarks still import on Windows
    except ImportError:
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3  # macOS counts bytes, Linux KB


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except (OSError, AttributeError):  # AttributeError: Windows has no load average
        return None


def machine() -> dict[str, object]:
    """What the figures came from: CPU, cores, memory, OS, Python, pygame-ce and SDL."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1e6, 1)
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.system()} {platform.release()})"
    except OSError:
        pass
    info: dict[str, object] = {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb, "os": os_name,
                               "python": platform.python_version()}
    try:
        headless_env()
        import pygame

        info["pygame_ce"] = pygame.version.ver
        info["sdl"] = ".".join(str(v) for v in pygame.get_sdl_version())
    except ImportError:
        pass
    try:
        import sqlite3

        info["sqlite"] = sqlite3.sqlite_version
    except ImportError:
        pass
    load = load_average()
    if load is not None:
        info["load_average"] = [round(v, 2) for v in load]
    return info


def describe_machine(info: dict[str, object]) -> str:
    load = info.get("load_average")
    return (f"{info.get('cpu')}, {info.get('cores')} cores, {info.get('ram_gb')} GB RAM, {info.get('os')}, "
            f"Python {info.get('python')}, pygame-ce {info.get('pygame_ce')} (SDL {info.get('sdl')}), "
            f"SQLite {info.get('sqlite')}" + (f"; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
                                              if load else ""))
