"""The records writer: one thread that owns one SQLite connection and does every
game-time write, in order, each in its own committed transaction.

Why a thread: with ``synchronous=FULL`` a commit waits for the disk (an fsync),
which takes from well under a millisecond on an SSD to tens of milliseconds on an
SD card or a busy laptop disk. Done on the game thread that would stall a frame
now and then; done here, the frame only puts a small job on a queue. Each job is
still committed and synced on its own, so a rep is durable as soon as the writer
has run it (``benchmarks/bench_storage.py`` measures both).

A job is a function of the connection; :meth:`RecordWriter.submit` returns a
:class:`concurrent.futures.Future` that resolves (to the function's result) only
after the COMMIT has returned, i.e. when the data is on disk.
"""

from __future__ import annotations

import queue
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# A few attempts for errors that can clear by themselves (another program holds a
# lock, the disk was briefly busy); a constraint error will not, so it fails at once.
RETRY_DELAYS_S = (0.05, 0.2, 0.5)
BUSY_TIMEOUT_MS = 5000
# At most this many queued jobs share one commit (bounds the time one commit takes).
MAX_BATCH = 64


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the durability settings every part of the game uses.

    WAL: readers never block the writer (the progress screen can query while a
    rep is being saved) and a commit appends to one file. ``synchronous=FULL``:
    the WAL is fsynced at every commit, so a power cut cannot roll back a
    committed rep (with NORMAL it could, though a process crash could not).
    """
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return db


class _JobError(Exception):
    """A job failed by its own fault (not the disk's); retrying will not help."""


class WriteFailed(RuntimeError):
    """A record could not be written; the message says which and why."""


class RecordWriter:
    """Runs write jobs in order on its own connection.

    ``background=False`` runs each job at once on the caller's thread (same
    connection, same transactions): for the benchmark's comparison and for tools
    that write a few rows and exit.
    """

    def __init__(self, path: str | Path, *, background: bool = True, name: str = "records-writer") -> None:
        self.path = Path(path)
        self.background = background
        self._db = connect(self.path)
        self._queue: queue.Queue[tuple[Callable[[sqlite3.Connection], Any], Future, str] | None] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self.errors: list[str] = []
        self.commits = 0
        self._thread: threading.Thread | None = None
        if background:
            # Daemon: a forgotten close() must not hang the interpreter's exit; the
            # app closes the store on every way out, which drains the queue first.
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    # ------------------------------------------------------------ public
    def submit(self, job: Callable[[sqlite3.Connection], T], what: str = "record") -> Future[T]:
        """Queue ``job``; the future resolves after its transaction is committed."""
        fut: Future[T] = Future()
        with self._lock:
            if self._closed:
                fut.set_exception(WriteFailed(f"{what}: the records are already closed"))
                return fut
            if not self.background:
                self._execute(job, fut, what)
                return fut
            self._queue.put((job, fut, what))
        return fut

    def call(self, job: Callable[[sqlite3.Connection], T], what: str = "record") -> T:
        """Run ``job`` in order with the queued writes and wait for its result."""
        return self.submit(job, what).result()

    def flush(self) -> None:
        """Wait until every job queued so far is committed (or has failed)."""
        if self.background and self._thread is not None and self._thread.is_alive():
            self._queue.join()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Finish every queued write, then close the connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._thread is not None:
                self._queue.put(None)
        if self._thread is not None:
            self._thread.join()
        self._db.close()

    # ----------------------------------------------------------- internals
    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            # Group commit: whatever queued up while the last commit was syncing goes
            # into the next one. Each job still has its own savepoint (one bad row
            # cannot take the others with it) and nothing waits for a later job.
            while len(batch) < MAX_BATCH and batch[-1] is not None:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = batch[-1] is None
            jobs = [item for item in batch if item is not None]
            try:
                if jobs:
                    self._execute_batch(jobs)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return

    def _execute(self, job: Callable[[sqlite3.Connection], Any], fut: Future, what: str) -> None:
        self._execute_batch([(job, fut, what)])

    def _execute_batch(self, jobs: list[tuple[Callable[[sqlite3.Connection], Any], Future, str]]) -> None:
        jobs = [j for j in jobs if j[1].set_running_or_notify_cancel()]
        if not jobs:
            return
        try:
            results = self._commit(jobs)
        except _JobError:
            # One job is bad (a constraint, a bug): run each alone so the others are saved.
            for job in jobs:
                self._run_alone(job)
            return
        except sqlite3.OperationalError as exc:
            for _job, fut, what in jobs:
                self._fail(fut, what, exc, len(RETRY_DELAYS_S) + 1)
            return
        for (_job, fut, _what), value in zip(jobs, results):
            fut.set_result(value)

    def _run_alone(self, item: tuple[Callable[[sqlite3.Connection], Any], Future, str]) -> None:
        _job, fut, what = item
        try:
            (value,) = self._commit([item])
        except _JobError as err:
            self._fail(fut, what, err.__cause__ or err, 1)
        except sqlite3.OperationalError as exc:
            self._fail(fut, what, exc, len(RETRY_DELAYS_S) + 1)
        else:
            fut.set_result(value)

    def _commit(self, jobs: list[tuple[Callable[[sqlite3.Connection], Any], Future, str]]) -> list[Any]:
        """Run ``jobs`` in one transaction and commit it; the results, once on disk.

        As few statements as possible: while the game thread is busy, each call into
        SQLite hands the interpreter lock over and waits to get it back.
        """
        db = self._db
        for delay in (*RETRY_DELAYS_S, None):
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    results = []
                    for job, _fut, _what in jobs:
                        try:
                            results.append(job(db))
                        except sqlite3.OperationalError:
                            raise  # locked, I/O: the whole batch is tried again
                        except Exception as exc:  # noqa: BLE001 - one job's own fault
                            raise _JobError(str(exc)) from exc
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError:
                # Locked or I/O trouble can pass; try again a few times before giving up.
                if delay is None:
                    raise
                time.sleep(delay)
                continue
            self.commits += 1
            return results
        raise AssertionError("unreachable")

    def _fail(self, fut: Future, what: str, exc: BaseException, attempts: int) -> None:
        msg = f"could not save {what} in {self.path}: {exc} (after {attempts} attempt{'s' * (attempts > 1)})"
        self.errors.append(msg)
        del self.errors[:-20]
        print(f"squeeze-quest: {msg}", file=sys.stderr)
        fut.set_exception(WriteFailed(msg))
