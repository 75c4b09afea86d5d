"""What a test leaves behind: threads, child processes and open files, reported at the end of the run.

tests/conftest.py looks before and after each test (an autouse fixture, so the test's own fixtures
are set up after it and torn down before it; module and session fixtures are set up before it and
not counted). It never fails a test: a thread or a child may end a moment after its test returns,
so what a test left is looked at again when the whole run is over, and only what is still there
then is listed, under the test that started it, at the end of pytest's report. About 0.2 ms a test
(Linux's /proc; elsewhere threads only).

``SQ_LEAKS=fail`` makes a run that leaves anything behind fail (exit status 1) after the same
list; by default it is only reported. Before the last look, threads a test started get a few
seconds to end, and matplotlib's font cache is emptied (see :func:`drop_process_caches`).
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from dataclasses import dataclass, field


def open_files() -> dict[int, str]:
    """This process's descriptors and what each is open on (empty where there is no /proc)."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return {}
    out: dict[int, str] = {}
    for name in names:
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the listing's own descriptor, closed already
        if not target.startswith("/proc/"):
            out[int(name)] = target
    return out


def children() -> set[int]:
    """Child processes of this process, running or exited and not waited for (Linux)."""
    pids: set[int] = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return pids
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as f:
                pids.update(int(p) for p in f.read().split())
        except OSError:
            continue
    return pids


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:100] or "(exited, not waited for)"
    except OSError:
        return "?"


def drop_process_caches() -> None:
    """Empty matplotlib's font cache, so the font files it holds open are not listed.

    Not a leak: matplotlib keeps the fonts it has drawn with (one FreeType object per set of font
    files and thread, each holding its files open) in one process-wide cache bounded at 64 entries
    (font_manager._get_font, an lru_cache; matplotlib 3.11). The report fills it (our Atkinson
    Hyperlegible, the Chinese Noto subset and matplotlib's LastResortHE fallback), and it is
    refilled on the next report; game/records/report.py adds the fonts themselves only once a
    process (tests/test_report.py). Emptying it here closes exactly those files: any other open
    font file is still listed. The run is over, so nothing else can need it.
    """
    fm = sys.modules.get("matplotlib.font_manager")
    clear = getattr(getattr(fm, "_get_font", None), "cache_clear", None)
    if clear is not None:
        clear()
        gc.collect()


@dataclass
class Left:
    test: str
    threads: list[threading.Thread] = field(default_factory=list)
    pids: set[int] = field(default_factory=set)
    files: dict[int, str] = field(default_factory=dict)


class LeakWatch:
    def __init__(self) -> None:
        self.left: list[Left] = []

    @staticmethod
    def snapshot() -> tuple[set[threading.Thread], set[int], dict[int, str]]:
        return set(threading.enumerate()), children(), open_files()

    def after(self, test: str, before: tuple[set[threading.Thread], set[int], dict[int, str]]) -> None:
        threads0, pids0, files0 = before
        left = Left(test, [t for t in threading.enumerate() if t not in threads0], children() - pids0,
                    {fd: f for fd, f in open_files().items() if files0.get(fd) != f})
        if left.threads or left.pids or left.files:
            self.left.append(left)

    def still_there(self, grace_s: float = 5.0) -> list[str]:
        """One line per test whose leftovers are still there now (the end of the run). A thread
        still running gets up to ``grace_s`` in all to end (one ending a moment late is no leak)."""
        deadline = time.monotonic() + grace_s
        for left in self.left:
            for t in left.threads:
                t.join(max(0.0, deadline - time.monotonic()))
        drop_process_caches()
        pids_now, files_now = children(), open_files()
        lines = []
        for left in self.left:
            parts = [f"thread {t.name!r}" for t in left.threads if t.is_alive()]
            parts += [f"child {pid} ({_command(pid)})" for pid in sorted(left.pids & pids_now)]
            parts += [f"fd {fd} on {f}" for fd, f in sorted(left.files.items()) if files_now.get(fd) == f]
            if parts:
                lines.append(f"{left.test}: {', '.join(parts)}")
        return lines
