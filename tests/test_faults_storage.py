"""Fault injection on the records: nothing crashes, nothing is lost silently.

Start-up faults (each: exit code 78, plain words with what to do, no traceback,
the records untouched): a full disk and a read-only mount (a real tmpfs, as root;
skipped with the reason otherwise), a read-only folder, a database replaced by
random bytes, zeros, a truncated copy or damaged pages (moved aside to a backup
only with --repair-database), another process holding an exclusive lock (named),
a newer version's database; export and report on a damaged database; the kiosk
supervisor stops on 78 instead of restarting.

During play: a real exclusive lock from another process over 30 s of game time and
a disk filling mid-set; every rep and trace chunk arrives exactly once, the screen
says saving is delayed meanwhile. SIGKILL while the spill journal holds records:
the next start merges them. Permission repairs: an existing 0644 database is 0600.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from game import cli
from game.records import storage_faults
from game.records.spill_journal import SpillJournal, journal_path
from game.records.storage import DB_NAME, RepRow, Store
from game.records.storage_faults import EXIT_STORAGE, StorageFault, open_store
from game.supervisor import Backoff, Supervisor

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # Windows has no geteuid
GAME = ["--headless", "--frames", "2", "--input", "keyboard", "--mute"]


# --------------------------------------------------------------------- helpers
def make_records(folder: Path, reps: int = 25) -> Path:
    """A database with one patient and one session of ``reps`` reps; its path."""
    store = Store.in_dir(folder)
    pid = store.ensure_patient("Ann")
    sid = store.start_session(pid, input_device="keyboard")
    for i in range(reps):
        store.add_rep(sid, RepRow("power_grip", "right", 1, i + 1, {"success": i % 3 != 0, "peak_pct": 30.0 + i}))
    store.end_session(sid, "completed")
    store.close()
    return folder / DB_NAME


def rep_count(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
    finally:
        con.close()


def play(data_dir: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    rc = cli.main([*GAME, "--data-dir", str(data_dir), *extra])
    return rc, capsys.readouterr().err


def play_process(data_dir: Path, *extra: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, str(ROOT / "main.py"), *GAME, "--data-dir", str(data_dir), *extra],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60, check=False)


HOLDER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("LOCKED", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
"""


@contextlib.contextmanager
def locked_by_other_process(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds an exclusive (write) lock on ``db`` until the block ends."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "LOCKED"
        yield proc
    finally:
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.write("\n")
            proc.stdin.flush()
        proc.wait(10)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MB disk (tmpfs) that can be filled and remounted read-only."""
    if not IS_ROOT:
        pytest.skip("a real full or read-only disk needs root to mount a small tmpfs")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mnt)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mnt)], capture_output=True, check=False)
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; the filler file's path (remove it to free the space)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 14, 1 << 10, 64, 1):
            try:
                while True:
                    fh.write(b"x" * size)
            except OSError:
                pass
    assert shutil.disk_usage(disk).free < 4096
    return filler


def assert_told(rc: int, err: str, *words: str) -> None:
    assert rc == EXIT_STORAGE, err
    assert "Traceback" not in err, err
    assert "What to do:" in err, err
    for w in words:
        assert w in err, f"{w!r} not in {err!r}"


# ------------------------------------------------------------- start-up faults
DAMAGE = {
    "random_bytes": lambda b: random.Random(1).randbytes(len(b)),
    "zeros": lambda b: b"\0" * len(b),
    "truncated": lambda b: b[: len(b) // 2],
    "damaged_pages": lambda b: b[:4096 * 2] + bytes(
        x ^ 0x5A if (i % 4096) > 100 else x for i, x in enumerate(b[4096 * 2:])),
}


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_database_is_told_and_moved_aside_only_when_asked(how, tmp_path, capsys):
    db = make_records(tmp_path / "data", reps=300)  # several pages, so damage can hit pages beyond the first
    db.write_bytes(DAMAGE[how](db.read_bytes()))
    damaged = db.read_bytes()

    rc, err = play(tmp_path / "data", capsys)
    assert_told(rc, err, "The records database is damaged", "--repair-database", "nothing is deleted")
    assert db.read_bytes() == damaged  # untouched without consent
    assert not list(db.parent.glob("*.damaged-*"))

    rc, err = play(tmp_path / "data", capsys, "--repair-database")
    assert rc == 0, err
    backups = list(db.parent.glob("squeeze_quest.damaged-*.sqlite3"))
    assert len(backups) == 1 and backups[0].read_bytes() == damaged  # kept whole, never deleted
    assert "moved to" in err and str(backups[0]) in err
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    store = Store(db)
    try:
        assert [e["kind"] for e in store.events()][:1] == ["database_moved_aside"]
    finally:
        store.close()


def test_export_and_report_on_a_damaged_database_print_the_message(tmp_path, capsys):
    db = make_records(tmp_path / "data")
    db.write_bytes(DAMAGE["random_bytes"](db.read_bytes()))
    for args in (["export", "--patient", "1"], ["report", "--patient", "1", "--out", str(tmp_path / "r.pdf")]):
        rc = cli.main([*args, "--data-dir", str(tmp_path / "data")])
        err = capsys.readouterr().err
        assert_told(rc, err, "The records database is damaged", f"main.py {args[0]}:")


def test_damaged_database_in_a_real_process_no_traceback(tmp_path):
    db = make_records(tmp_path / "data")
    db.write_bytes(b"\0" * db.stat().st_size)
    done = play_process(tmp_path / "data", "--screenshot", str(tmp_path / "fault.png"))
    assert_told(done.returncode, done.stderr, "damaged")
    assert (tmp_path / "fault.png").stat().st_size > 10_000  # the fault screen was drawn


def test_another_process_holding_the_lock_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(storage_faults, "STARTUP_BUSY_TIMEOUT_MS", 100)
    db = make_records(tmp_path / "data")
    with locked_by_other_process(db) as holder:
        rc, err = play(tmp_path / "data", capsys)
    assert_told(rc, err, "in use by another program", f"process {holder.pid}", "close that program")
    assert rep_count(db) == 25


def test_a_lock_holder_that_cannot_be_found_is_another_program(tmp_path, monkeypatch):
    monkeypatch.setattr(storage_faults, "lock_holders", lambda path: [])
    fault = storage_faults.diagnose(sqlite3.OperationalError("database is locked"), tmp_path / DB_NAME)
    assert fault.kind == storage_faults.LOCKED and fault.explanation.startswith("Another program")


def test_a_newer_database_is_told(tmp_path, capsys):
    db = make_records(tmp_path / "data")
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version=999")
    con.close()
    rc, err = play(tmp_path / "data", capsys)
    assert_told(rc, err, "newer Squeeze Quest", "update Squeeze Quest")
    assert rep_count(db) == 25


def test_a_read_only_folder_is_told(tmp_path):
    data = tmp_path / "data"
    db = make_records(data)
    prefix: tuple[str, ...] = ()
    if IS_ROOT:
        if not shutil.which("setpriv"):
            pytest.skip("as root, a read-only folder needs setpriv to drop the override of file permissions")
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner")
    os.chmod(data, 0o500)
    try:
        done = play_process(data, prefix=prefix)
    finally:
        os.chmod(data, 0o700)
    assert_told(done.returncode, done.stderr, "The records folder cannot be written", "--data-dir", "chmod")
    assert rep_count(db) == 25


def test_a_full_disk_at_start_is_told_and_loses_nothing(small_disk, capsys):
    db = make_records(small_disk / "data")
    filler = fill(small_disk)
    rc, err = play(small_disk / "data", capsys)
    assert_told(rc, err, "The disk is full", "free some space")
    filler.unlink()
    assert rep_count(db) == 25
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_read_only_mount_is_told(small_disk, capsys):
    db = make_records(small_disk / "data")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    rc, err = play(small_disk / "data", capsys)
    assert_told(rc, err, "read-only disk", "--data-dir")
    rc, err = play(small_disk / "new", capsys)  # a folder that does not exist yet, on the same disk
    assert_told(rc, err, "read-only disk")
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert rep_count(db) == 25


def test_the_kiosk_supervisor_stops_on_a_records_fault(tmp_path):
    logs: list[str] = []
    sup = Supervisor([sys.executable, "-c", f"raise SystemExit({EXIT_STORAGE})"],
                     backoff=Backoff(first_s=0.01, max_s=0.02), log=logs.append, max_restarts=3)
    assert sup.run() == EXIT_STORAGE
    assert sup.restarts == 0
    assert "not a crash" in logs[-1]


# ------------------------------------------------------------------ privacy
def test_existing_files_readable_by_others_become_the_owners_only(tmp_path, capsys):
    data = tmp_path / "data"
    db = make_records(data)
    os.chmod(data, 0o755)
    os.chmod(db, 0o644)
    (data / "notes.txt").write_text("x")
    os.chmod(data / "notes.txt", 0o664)
    store = open_store(data)
    try:
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert stat.S_IMODE((data / "notes.txt").stat().st_mode) == 0o600
        for p in data.iterdir():  # WAL, shared memory, spill journal too
            assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p
        notes = [e["detail"] for e in store.events() if e["kind"] == "permissions_fixed"]
        assert len(notes) == 3 and any("0644" in n for n in notes)
    finally:
        store.close()
    assert "now the owner's only" in capsys.readouterr().err


# --------------------------------------------------------- faults during play
def _play_a_set(store: Store, tmp: Path, during: callable, reps: int = 12, before_set=None):
    """Play one set through the real game; ``during(app, t)`` is called each game second,
    ``before_set(app)`` once the game is up, before the set starts."""
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.loop import STEP
    from game.profiles import Profiles
    from game.scene import Push
    from game.scenes.play import PlayScene
    from game.scenes.results import ResultsScene
    from hardware.clock import ManualClock
    from hardware.scripted import ScriptedSource
    from hardware.traces import Squeeze, synth_trace
    from tests.helpers import BASE, CAL, pct

    seconds = 3.2 * reps + 10
    trace = synth_trace([Squeeze(1.0 + 3.2 * i, pct(32), rise=0.4, hold=0.9, release=0.5) for i in range(reps + 2)],
                        seconds, baseline=BASE, noise_sd=1.0, seed=5)
    clock = ManualClock()
    profiles = Profiles(store)
    profiles.select(profiles.list()[0].id)  # Ann, from make_records
    app = App(AppOptions(headless=True, data_dir=tmp, sound=False, play=PlaySettings(reps_per_set=reps)), clock=clock,
              source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL, store=store)
    app.draw = lambda alpha: None  # type: ignore[method-assign]
    if before_set is not None:
        before_set(app)
    scene = PlayScene("power_grip")
    app.apply(Push(scene))
    banner_seen = False
    t = 0.0
    while not isinstance(app.top, ResultsScene) and t < seconds:
        for _ in range(round(1 / STEP)):
            clock.advance(STEP)
            app.frame()
        # The writer is a real thread: wait until it has met (or not) what the disk does to the writes queued so
        # far, so the next second's frames see it whatever the machine's load (it fell behind once in CI).
        app.store.flush()
        t += 1
        banner_seen |= bool(getattr(scene, "_saving_delayed", False))
        during(app, t)
    assert isinstance(app.top, ResultsScene), "the set went on to its end"
    return app, scene, banner_seen


def _all_saved(store: Store) -> None:
    for _ in range(200):
        store.retry_saving()
        store.flush()
        if not store.saving_delayed:
            return
    raise AssertionError(f"still delayed: {store.write_errors}")


def _assert_exactly_once(store: Store, scene, reps: int) -> None:
    rows = store.reps(scene.session_id)
    assert sorted(r["rep_number"] for r in rows) == list(range(1, reps + 1))  # every rep, once
    con = store.db
    seqs = [r[0] for r in con.execute("SELECT seq FROM trace_chunks WHERE session_id=? ORDER BY seq",
                                      (scene.session_id,))]
    assert seqs == list(range(store._trace_seq[scene.session_id]))  # every trace chunk, once, no gap
    assert len(store.sets(scene.session_id)) == 1 and store.sets(scene.session_id)[0]["reps_attempted"] == reps
    assert store.sessions()[-1]["end_reason"] == "completed"
    assert journal_path(store.path).read_bytes().rstrip(b"\0") == b""  # the journal is empty again


def test_reps_during_a_30_s_lock_by_another_process_all_arrive_once(tmp_path):
    db = make_records(tmp_path, reps=0)
    store = Store(db, busy_timeout_ms=10, retry_s=0.02)
    holder: list[contextlib.ExitStack] = []
    seen: dict[str, object] = {}

    def during(app, t: float) -> None:
        if t == 2:  # the lock comes before the set's first rep and lasts 30 s of play
            stack = contextlib.ExitStack()
            stack.enter_context(locked_by_other_process(db))
            holder.append(stack)
        elif t == 32:
            app.store.flush()
            seen["held"] = app.store.held_reps()
            seen["journal_lines"] = journal_path(db).read_bytes().rstrip(b"\0").count(b"\n")
            holder.pop().close()

    app, scene, banner = _play_a_set(store, tmp_path, during)
    assert seen["held"] >= 8 and seen["journal_lines"] >= seen["held"]  # kept on disk, not only in memory
    assert banner
    _all_saved(store)
    _assert_exactly_once(store, scene, 12)
    app.frame()  # the screen up when saving works again (play, or results if the set ended first) says so
    store.flush()
    kinds = [e["kind"] for e in store.events(scene.session_id)]
    assert "saving_delayed" in kinds and "saving_resumed" in kinds
    app.shutdown()


def test_a_set_started_while_locked_does_not_stop(tmp_path):
    db = make_records(tmp_path, reps=0)
    store = Store(db, busy_timeout_ms=10, retry_s=0.02)
    with locked_by_other_process(db):
        sid = store.start_session(1, input_device="keyboard")  # what a set does first: no wait, no error
        store.add_rep(sid, RepRow("power_grip", "right", 1, 1, {"success": True}))
        store.flush()
        assert store.saving_delayed and store.held_reps(sid) == 1
    _all_saved(store)
    assert [r["rep_number"] for r in store.reps(sid)] == [1]
    store.close()


def test_reps_during_a_full_disk_all_arrive_once(small_disk):
    data = small_disk / "data"
    make_records(data, reps=0)
    store = Store(data / DB_NAME, busy_timeout_ms=10, retry_s=0.02)
    filler: list[Path] = []
    seen: dict[str, object] = {}

    def during(app, t: float) -> None:
        if t == 5:  # the disk fills mid-set
            filler.append(fill(small_disk))
        elif t == 25:
            app.store.flush()
            seen["held"] = app.store.held_reps()
            seen["journal_ok"] = app.store.writer.journal_ok
            filler.pop().unlink()

    app, scene, banner = _play_a_set(store, data, during)
    assert seen["held"] >= 4 and seen["journal_ok"]  # the journal's reserve took them on the full disk
    assert banner
    _all_saved(store)
    _assert_exactly_once(store, scene, 12)
    app.shutdown()


def test_a_set_started_on_a_full_disk_plays_on_and_loses_nothing(small_disk):
    data = small_disk / "data"
    make_records(data, reps=0)
    store = Store(data / DB_NAME, busy_timeout_ms=10, retry_s=0.02)
    filler: list[Path] = []

    def during(app, t: float) -> None:
        if t == 20:
            app.store.flush()
            assert app.store.held_reps() >= 4 and app.store.writer.journal_ok
            filler.pop().unlink()

    app, scene, banner = _play_a_set(store, data, during, before_set=lambda app: filler.append(fill(small_disk)))
    assert banner
    _all_saved(store)
    _assert_exactly_once(store, scene, 12)
    app.shutdown()


KEEPER = """
import sys, time
from game.records.storage import RepRow, Store
store = Store(sys.argv[1], busy_timeout_ms=10, retry_s=3600)
sid = store.start_session(1, input_device=sys.argv[2])
for i in range(int(sys.argv[3])):
    store.add_rep(sid, RepRow("power_grip", "right", 1, i + 1, {"success": True, "peak_pct": 40.0}))
store.flush()
print("HELD", sid, store.held_reps(), flush=True)
time.sleep(600)
"""


def killed_while_kept(db: Path, device: str = "keyboard", reps: int = 15) -> tuple[int, int]:
    """A game process makes a session of ``reps`` reps while another process locks the
    database, then is killed by SIGKILL: (its session id, the reps it held)."""
    with locked_by_other_process(db):
        proc = subprocess.Popen([sys.executable, "-c", KEEPER, str(db), device, str(reps)], cwd=ROOT, env=ENV,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        _, sid, held = proc.stdout.readline().split()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    return int(sid), int(held)


def test_sigkill_while_the_journal_holds_records_merges_them_at_the_next_start(tmp_path):
    db = make_records(tmp_path, reps=3)
    sid, held = killed_while_kept(db)
    assert held == 15
    assert rep_count(db) == 3  # none of them made it into the database before the kill
    store = open_store(tmp_path)  # the next start
    try:
        assert not store.saving_delayed
        rows = store.reps(sid)
        assert [r["rep_number"] for r in rows] == list(range(1, 16))
        assert len(store.reps()) == 18
    finally:
        store.close()
    again = Store(db)  # and once only: a second start finds nothing more to merge
    assert len(again.reps()) == 18
    again.close()


def test_a_merge_repeated_after_a_crash_stores_nothing_twice(tmp_path):
    db = make_records(tmp_path, reps=0)
    store = Store(db, busy_timeout_ms=10, retry_s=3600)
    with locked_by_other_process(db):
        sid = store.start_session(1, input_device="keyboard")
        for i in range(5):
            store.add_rep(sid, RepRow("power_grip", "right", 1, i + 1, {"success": True}))
        store.log_event(sid, "set_start", {"set": 1})
        store.finish_set(sid, exercise="power_grip", set_number=1)
        store.flush()
        kept = journal_path(db).read_bytes()
    _all_saved(store)
    store.close()
    journal_path(db).write_bytes(kept)  # as if killed after the commit, before the journal was cleared
    again = Store(db)
    try:
        assert len(again.reps(sid)) == 5 and len(again.sessions()) == 2  # make_records' and this one
        assert [e["kind"] for e in again.events(sid)] == ["set_start"]
        assert again.sets(sid)[0]["reps_attempted"] == 5
    finally:
        again.close()


def test_a_session_id_taken_by_another_program_meanwhile_gets_its_own(tmp_path):
    db = make_records(tmp_path, reps=0)
    sid, _ = killed_while_kept(db, "ball", 4)
    other = Store(db, spill=False)  # another program (not merging the journal) starts a session: the same id
    assert other.start_session(1, input_device="keyboard") == sid
    other.close()
    merged = Store(db)
    try:
        ours = [s for s in merged.sessions() if s["input_device"] == "ball"]
        assert len(ours) == 1 and ours[0]["id"] != sid
        assert len(merged.reps(ours[0]["id"])) == 4 and merged.reps(sid) == []
    finally:
        merged.close()


# ------------------------------------------------------------------ journal
def test_a_torn_last_line_is_left_out_and_overwritten(tmp_path):
    j = SpillJournal(tmp_path / "j.jsonl", reserve=4096)
    j.open()
    assert j.append([{"kind": "rep", "uid": "a", "data": b"\x00\x01"}, {"kind": "rep", "uid": "b"}])
    j.close()
    raw = (tmp_path / "j.jsonl").read_bytes().rstrip(b"\0")
    (tmp_path / "j.jsonl").write_bytes(raw + b'{"kind": "rep", "ui')  # a crash mid-write
    j = SpillJournal(tmp_path / "j.jsonl", reserve=4096)
    recs = j.open()
    assert [r["uid"] for r in recs] == ["a", "b"] and recs[0]["data"] == b"\x00\x01"
    assert j.append([{"kind": "rep", "uid": "c"}])
    j.close()
    j = SpillJournal(tmp_path / "j.jsonl", reserve=4096)
    assert [r["uid"] for r in j.open()] == ["a", "b", "c"]
    j.clear()
    j.close()
    j = SpillJournal(tmp_path / "j.jsonl")
    assert j.open() == []
    j.close()
    assert stat.S_IMODE((tmp_path / "j.jsonl").stat().st_mode) == 0o600


def test_a_fault_is_a_storage_fault_with_words_for_each_kind(tmp_path):
    cases = {
        storage_faults.DISK_FULL: sqlite3.OperationalError("database or disk is full"),
        storage_faults.DAMAGED: sqlite3.DatabaseError("file is not a database"),
        storage_faults.NEWER: RuntimeError("x was written by a newer Squeeze Quest (schema 9)"),
    }
    for kind, exc in cases.items():
        fault = storage_faults.diagnose(exc, tmp_path / DB_NAME)
        assert isinstance(fault, StorageFault) and fault.kind == kind
        assert fault.what_to_do and fault.title and "Traceback" not in fault.message()
