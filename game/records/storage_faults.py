"""Start-up faults of the records, in plain words with what to do.

Opening the records can fail for reasons a restart will not fix: the disk is full,
the folder or the disk is read-only, the database file is damaged (random bytes,
zeros, a truncated copy, bad pages), another program holds it locked, or a newer
version wrote it. :func:`open_store` turns each into a :class:`StorageFault` that
says what happened and what to do; the game shows it on screen and on the command
line and exits with :data:`EXIT_STORAGE` (78, ``EX_CONFIG`` of BSD sysexits), which
the kiosk supervisor treats as "setup problem: stop and show staff", not a crash.

A damaged database is never deleted: with the user's consent (the screen's choice
or ``--repair-database``) it is moved aside to a named backup, with its WAL and
spill journal, and a fresh one is started.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from game.records.spill_journal import journal_path
from game.records.storage import DB_NAME, Store, default_data_dir

EXIT_STORAGE = 78  # EX_CONFIG: the records cannot be used; a restart will not help
MIN_FREE_BYTES = 1024 * 1024  # below this the game would not have room for a session's records
STARTUP_BUSY_TIMEOUT_MS: int | None = None  # None: the store's own (5 s to read, 1 s to write); tests shorten it

DISK_FULL = "disk_full"
READ_ONLY_DISK = "read_only_disk"
READ_ONLY_FOLDER = "read_only_folder"
DAMAGED = "damaged"
LOCKED = "locked"
NEWER = "newer_version"
UNKNOWN = "unknown"


@dataclass(eq=False)  # an exception: compared and hashed by identity
class StorageFault(Exception):
    """Why the records cannot be used, for a patient, a therapist or staff."""

    kind: str
    path: Path
    title: str  # one line: what is wrong
    explanation: str  # a sentence or two: what it means
    what_to_do: str  # what to do about it
    detail: str = ""  # the technical cause, for whoever fixes it
    holders: list[tuple[int, str]] = field(default_factory=list)  # (pid, program) with the file open

    def __post_init__(self) -> None:
        super().__init__(self.title)

    @property
    def can_repair(self) -> bool:
        return self.kind == DAMAGED

    def message(self, prog: str = "main.py") -> str:
        lines = [f"{prog}: {self.title}.", f"  {self.explanation}", f"  What to do: {self.what_to_do}"]
        if self.detail:
            lines.append(f"  (technical detail: {self.detail})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message()


def db_path_for(data_dir: str | Path | None) -> Path:
    return Path(data_dir or default_data_dir()) / DB_NAME


# ------------------------------------------------------------------ holders
def lock_holders(path: str | Path) -> list[tuple[int, str]]:
    """Other processes that have the database (or its WAL/shared memory) open: from
    ``/proc/*/fd`` on Linux; empty where that cannot be read."""
    p = Path(path)
    targets = {str(p.resolve()) if p.exists() else str(p)}
    targets |= {t + suffix for t in list(targets) for suffix in ("-wal", "-shm", "-journal")}
    me = os.getpid()
    found: list[tuple[int, str]] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue  # another user's process, or it ended
        for fd in fds:
            try:
                if os.readlink(fd) in targets:
                    found.append((int(entry.name), _program(entry)))
                    break
            except OSError:
                continue
    return found


def _program(proc_dir: Path) -> str:
    try:
        args = (proc_dir / "cmdline").read_bytes().split(b"\0")
        words = [a.decode(errors="replace") for a in args if a]
    except OSError:
        words = []
    try:
        comm = (proc_dir / "comm").read_text().strip()
    except OSError:
        comm = "?"
    if words:
        shown = " ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words[:3]))
        return shown if len(shown) <= 60 else shown[:57] + "..."
    return comm


# ------------------------------------------------------------------ diagnosis
def _read_only_mount(folder: Path) -> bool:
    p = folder
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return bool(os.statvfs(p).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _free_bytes(folder: Path) -> int | None:
    p = folder
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def diagnose(exc: BaseException, path: str | Path) -> StorageFault:
    """Put a failure to open or write the records into plain words."""
    path = Path(path)
    folder = path.parent
    text = str(exc)
    low = text.lower()
    code = getattr(exc, "errno", None)
    detail = f"{type(exc).__name__}: {text}"
    other_dir = "or start Squeeze Quest with --data-dir and a folder you can write to"
    free = _free_bytes(folder)
    # SQLite reports a full disk as "disk I/O error" when its shared memory cannot grow.
    io_and_full = "i/o error" in low and free is not None and free < MIN_FREE_BYTES
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or "disk is full" in low or "no space" in low \
            or io_and_full:
        left = f" (only {_size(free)} free)" if free is not None else ""
        return StorageFault(
            DISK_FULL, path, "The disk is full",
            f"Squeeze Quest cannot save exercise records in {folder}: the disk has no room left{left}.",
            "free some space on that disk (delete or move large files, empty the bin), then start Squeeze Quest "
            "again. The records already saved are safe.", detail)
    if "locked" in low or "busy" in low:
        holders = lock_holders(path)
        who = ", ".join(f"{name} (process {pid})" for pid, name in holders) if holders else "another program"
        return StorageFault(
            LOCKED, path, "The records are in use by another program",
            f"{who[:1].upper() + who[1:]} is holding the records database {path} locked, so Squeeze Quest cannot "
            "save to it.",
            f"close {'that program' if holders else 'the other program using it (another Squeeze Quest, a backup tool or a database viewer)'}"
            ", or wait for it to finish, then start Squeeze Quest again.", detail, holders)
    read_only = (code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in low or "read-only" in low
                 or "unable to open" in low or "permission denied" in low)
    if read_only and _read_only_mount(folder):
        return StorageFault(
            READ_ONLY_DISK, path, "The records are on a read-only disk",
            f"The disk holding {folder} is mounted read-only, so Squeeze Quest cannot save exercise records there.",
            f"mount the disk so it can be written (or ask whoever looks after this computer), {other_dir}.", detail)
    if read_only:
        return StorageFault(
            READ_ONLY_FOLDER, path, "The records folder cannot be written",
            f"This user may not write in {folder} (or to {path.name} in it), so Squeeze Quest cannot save "
            "exercise records.",
            f"give this user permission to write there (for example: chmod u+rwx '{folder}'), {other_dir}.", detail)
    if "newer squeeze quest" in low:
        return StorageFault(
            NEWER, path, "The records were written by a newer Squeeze Quest",
            f"{path} comes from a newer version of the game; this one cannot use it without risking the records.",
            "update Squeeze Quest on this computer, then start it again.", detail)
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError) or any(
            w in low for w in ("not a database", "malformed", "corrupt")):
        return StorageFault(
            DAMAGED, path, "The records database is damaged",
            f"{path} cannot be read as a Squeeze Quest database (it may have been damaged by a power cut, a failing "
            "disk or a bad copy).",
            "Squeeze Quest can move it aside to a backup named squeeze_quest.damaged-<date>.sqlite3 in the same "
            "folder (nothing is deleted) and start fresh records: choose 'Move aside and start fresh' on the screen, "
            "or run again with --repair-database. Keep the backup: it may still be recovered by an expert.", detail)
    return StorageFault(
        UNKNOWN, path, "The records could not be opened",
        f"Squeeze Quest could not open its records in {folder}.",
        f"check that the disk is working and the folder can be written, {other_dir}; then start again.", detail)


# ------------------------------------------------------------------ repair
def move_aside(path: str | Path, *, wall: Callable[[], float] = time.time) -> Path:
    """Move a damaged database (and its WAL, shared memory and spill journal) to
    ``squeeze_quest.damaged-YYYYmmdd-HHMMSS.sqlite3`` beside it. Nothing is deleted."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(wall()))
    stem, suffix = path.name.split(".", 1) if "." in path.name else (path.name, "")
    n = 0
    while True:
        name = f"{stem}.damaged-{stamp}{'-' + str(n) if n else ''}" + (f".{suffix}" if suffix else "")
        backup = path.with_name(name)
        if not backup.exists():
            break
        n += 1
    os.rename(path, backup)
    for extra in ("-wal", "-shm"):
        side = path.with_name(path.name + extra)
        if side.exists():
            os.rename(side, backup.with_name(backup.name + extra))
    journal = journal_path(path)
    if journal.exists():
        os.rename(journal, journal_path(backup))
    for p in (backup, *backup.parent.glob(backup.name + "*")):
        try:
            os.chmod(p, 0o600)
        except OSError:
            pass
    return backup


# ------------------------------------------------------------------ opening
def open_store(data_dir: str | Path | None = None, *, path: str | Path | None = None, repair: bool = False,
               min_free_bytes: int = MIN_FREE_BYTES, check_write: bool = True, **kw: Any) -> Store:
    """The records, checked at start-up: readable whole (``quick_check``) and
    writable, else a :class:`StorageFault`. ``repair=True`` (the user agreed) moves
    a damaged database aside and starts fresh; ``store.repaired_from`` names the
    backup. ``check_write=False`` (tools that only read: export, report) checks the
    database is whole but not that the disk has room. Changes nothing else."""
    db = Path(path) if path is not None else db_path_for(data_dir)
    if STARTUP_BUSY_TIMEOUT_MS is not None:
        kw.setdefault("busy_timeout_ms", STARTUP_BUSY_TIMEOUT_MS)
    try:
        return _open_checked(db, min_free_bytes, check_write, **kw)
    except StorageFault:
        raise
    except (sqlite3.Error, OSError, RuntimeError) as exc:
        fault = diagnose(exc, db)
    if fault.kind == DAMAGED and repair:
        try:
            backup = move_aside(db, wall=kw.get("wall", time.time))
        except OSError as exc:
            raise diagnose(exc, db) from exc
        try:
            store = _open_checked(db, min_free_bytes, check_write, **kw)
        except (sqlite3.Error, OSError, RuntimeError) as exc:
            raise diagnose(exc, db) from exc
        store.repaired_from = backup  # type: ignore[attr-defined]
        store.log_event(None, "database_moved_aside", {"backup": str(backup), "reason": fault.detail})
        return store
    raise fault


def _open_checked(db: Path, min_free_bytes: int, check_write: bool, **kw: Any) -> Store:
    store = Store(db, **kw)
    try:
        store.check_writable(min_free_bytes=min_free_bytes if check_write else 0, write=check_write)
    except BaseException:
        store.close()
        raise
    for note in store.permission_notes:
        print(f"squeeze-quest: {note}", file=sys.stderr)
        store.log_event(None, "permissions_fixed", {"note": note})
    return store
