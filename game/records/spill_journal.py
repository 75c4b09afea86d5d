"""The spill journal: records the database could not take yet, kept on disk.

When a write fails (the database is locked by another program, the disk is full,
the file went read-only), each record that was not committed is appended here as
one JSON line with its own unique id, then fsynced, and kept in memory too. The
records writer retries, and once the database takes them the journal is cleared.
A merge is idempotent (every record carries a ``uid`` and is inserted with
``INSERT OR IGNORE`` or an upsert), so a crash between the database's commit and
the journal's clearing stores nothing twice.

Why a reserve: the journal sits next to the database, on the same disk. If it
grew only when needed, a full disk would refuse the journal exactly when it is
needed. So the file is given ``RESERVE_BYTES`` of allocated space up front
(``posix_fallocate``, filled with zeros) and records are written into that space:
writing into blocks the file already owns needs no free space. The records end
at the first zero byte (JSON text never holds a NUL). When the reserve is used up
it grows, if the disk allows.

Owner-only (0600) like every file of the records.
"""

from __future__ import annotations

import base64
import json
import os
import warnings
from pathlib import Path
from typing import Any

RESERVE_BYTES = 2 * 1024 * 1024  # ~10 minutes of play: reps and the 100 Hz trace take ~3 KB a second
JOURNAL_SUFFIX = ".spill.jsonl"


def journal_path(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + JOURNAL_SUFFIX)


def _encode(rec: dict[str, Any]) -> str:
    def default(v: Any) -> Any:
        if isinstance(v, (bytes, bytearray, memoryview)):
            return {"$b64": base64.b64encode(bytes(v)).decode("ascii")}
        return str(v)

    return json.dumps(rec, default=default, separators=(",", ":"))


def _decode_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$b64" in obj:
        return base64.b64decode(obj["$b64"])
    return obj


class SpillJournal:
    """An append-only file of JSON lines, fsynced on every append."""

    def __init__(self, path: str | Path, *, reserve: int = RESERVE_BYTES) -> None:
        self.path = Path(path)
        self.reserve = reserve
        self._fd: int | None = None
        self._end = 0  # where the next record goes
        self._size = 0  # bytes the file has (allocated)
        self.usable = True  # False once the journal could not be written (memory only)

    # ------------------------------------------------------------ opening
    def open(self) -> list[dict[str, Any]]:
        """Open (create) the file and return the records it holds (from a run that
        could not merge them). A torn last line (a crash mid-write) is left out."""
        self.close()  # opened again: the earlier descriptor is not left behind
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if hasattr(os, "fchmod"):  # not on Windows, where modes do not protect files
                os.fchmod(fd, 0o600)  # an existing journal is the owner's only too
        except OSError:
            pass
        self._fd = fd
        st = os.fstat(fd)
        self._size = st.st_size
        data = os.pread(fd, st.st_size, 0) if st.st_size else b""
        end = data.find(b"\0")
        body = data if end < 0 else data[:end]
        records: list[dict[str, Any]] = []
        good = 0
        for line in body.split(b"\n"):
            if not line:
                continue
            try:
                records.append(json.loads(line, object_hook=_decode_hook))
            except ValueError:
                break  # torn by a crash: the rest cannot be trusted (records after it were never fsynced)
            good += len(line) + 1
        self._end = min(good, len(body))
        if self._end < len(body):
            try:  # zero the torn tail so the next append starts clean
                os.pwrite(fd, b"\0" * (len(body) - self._end), self._end)
                os.fsync(fd)
            except OSError:
                pass
        self._ensure_reserve()
        return records

    def _ensure_reserve(self) -> None:
        want = self._end + self.reserve
        if self._size >= want or self._fd is None:
            return
        try:
            os.posix_fallocate(self._fd, 0, want)
            self._size = want
        except OSError:
            pass  # no space for a reserve now: appends will still try to grow the file

    # ------------------------------------------------------------ writing
    def append(self, records: list[dict[str, Any]]) -> bool:
        """Write ``records`` after the last one and fsync. False if the disk refused
        (the records then live in memory only, and the caller says so)."""
        if not records or self._fd is None:
            return self._fd is not None
        data = "".join(_encode(r) + "\n" for r in records).encode("utf-8")
        try:
            written = os.pwrite(self._fd, data, self._end)
            if written != len(data):
                raise OSError("short write")
            os.fsync(self._fd)
        except OSError:
            # Nothing half-written may stay after the good records: zero it again.
            try:
                os.pwrite(self._fd, b"\0" * len(data), self._end)
            except OSError:
                pass
            self.usable = False
            return False
        self._end += len(data)
        self._size = max(self._size, self._end)
        self.usable = True
        return True

    def clear(self) -> None:
        """Every record here is in the database now: zero them (the reserve stays allocated)."""
        if self._fd is None or self._end == 0:
            return
        try:
            os.pwrite(self._fd, b"\0" * self._end, 0)
            os.fsync(self._fd)
        except OSError:
            return  # they stay; a later merge skips them (idempotent)
        self._end = 0
        self._ensure_reserve()

    @property
    def bytes_used(self) -> int:
        return self._end

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        # Dropped without close() (a store nobody closed): give the descriptor back, as a Python
        # file object would, instead of keeping it for the life of the process (a clinic kiosk
        # runs for days), and warn like one.
        fd = getattr(self, "_fd", None)
        if fd is not None:
            self._fd = None
            try:
                os.close(fd)
                warnings.warn(f"spill journal {self.path} was not closed", ResourceWarning, stacklevel=1)
            except Exception:  # noqa: BLE001, S110 - closed already, or the interpreter is shutting down
                pass
