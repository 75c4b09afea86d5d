"""What is opened is given back: a closed store leaves no thread and no file, a store nobody
closed does not keep its spill journal's descriptor for the life of the process (a kiosk runs
for days), and tests/leaks.py can fail a run that leaves something behind (SQ_LEAKS=fail)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.records.storage import RepRow, Store
from tests.leaks import drop_process_caches, open_files

ROOT = Path(__file__).resolve().parent.parent
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="open files are listed from Linux's /proc")


def files_under(folder: Path) -> list[str]:
    return sorted(f for f in open_files().values() if f.startswith(str(folder)))


@needs_proc
def test_a_closed_store_leaves_no_thread_and_no_file(tmp_path):
    store = Store.in_dir(tmp_path)
    pid = store.ensure_patient("Ann", "left")
    sid = store.start_session(pid, input_device="Keyboard")
    store.add_rep(sid, RepRow("power_grip", "left", 1, 1, {"success": True})).result()
    writer = store.writer._thread
    assert writer is not None and writer.is_alive() and writer.name == "records-writer"
    assert any(f.endswith(".spill.jsonl") for f in files_under(tmp_path))
    store.close()
    assert not writer.is_alive()  # joined by close(), not left to end some time later
    assert files_under(tmp_path) == []  # the database, its -wal and -shm, the journal


@needs_proc
def test_a_store_nobody_closed_gives_its_journal_back(tmp_path):
    held = [Store.in_dir(tmp_path, background=False)]  # as the command-line tools open it
    held[0].ensure_patient("Ann", "left")
    assert files_under(tmp_path)
    with pytest.warns(ResourceWarning, match="spill journal"):
        forget(held)
    assert files_under(tmp_path) == []


def forget(held: list) -> None:
    held.clear()
    gc.collect()


@needs_proc
def test_the_end_of_run_look_closes_only_matplotlibs_font_cache(tmp_path):
    from matplotlib import font_manager

    from game.resources import fonts_dir

    font = os.path.realpath(fonts_dir() / "AtkinsonHyperlegible-Regular.ttf")
    font_manager.get_font(font)
    mine = open(font, "rb")  # noqa: SIM115 - a font file opened by someone else stays listed
    try:
        assert list(open_files().values()).count(font) >= 2
        drop_process_caches()
        assert list(open_files().values()).count(font) == 1
    finally:
        mine.close()


@needs_proc
def test_sq_leaks_fail_fails_a_run_that_leaves_a_file_open(tmp_path):
    test = tmp_path / "test_leaky.py"
    test.write_text("KEPT = []\n\n\ndef test_leaves_a_file_open(tmp_path):\n"
                    "    KEPT.append(open(tmp_path / 'left-open.txt', 'w'))\n", encoding="utf-8")

    # The test itself passes; the run fails on what it left (by default the same list is only
    # reported: every ordinary run of the suite shows that).
    failing = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                              "-p", "tests.conftest", str(test)], check=False, cwd=ROOT, capture_output=True,
                             text=True, env={**os.environ, "SQ_LEAKS": "fail"}, timeout=300)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "1 passed" in failing.stdout
    assert "test_leaves_a_file_open: fd" in failing.stdout and "left-open.txt" in failing.stdout
