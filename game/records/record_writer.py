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

from game.records.spill_journal import SpillJournal

T = TypeVar("T")

# A few attempts for errors that can clear by themselves (another program holds a
# lock, the disk was briefly busy); a constraint error will not, so it fails at once.
# With a spill journal there is one attempt: a record that fails goes to the journal
# at once (durable), and the writer tries again every ``RETRY_S``.
RETRY_DELAYS_S = (0.05, 0.2, 0.5)
BUSY_TIMEOUT_MS = 5000
SPILL_BUSY_TIMEOUT_MS = 1000  # with a journal: wait this long for a lock, then journal the record
RETRY_S = 2.0
# At most this many queued jobs share one commit (bounds the time one commit takes).
MAX_BATCH = 64


def connect(path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection with the durability settings every part of the game uses.

    WAL: readers never block the writer (the progress screen can query while a
    rep is being saved) and a commit appends to one file. ``synchronous=FULL``:
    the WAL is fsynced at every commit, so a power cut cannot roll back a
    committed rep (with NORMAL it could, though a process crash could not).
    """
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000)
    try:
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        db.close()
        raise
    return db


def storage_trouble(exc: BaseException) -> bool:
    """The database or the disk refused (locked, full, read-only, I/O, damaged), not
    the record itself (a constraint, a bug): the record is kept and tried again."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


class _JobError(Exception):
    """A job failed by its own fault (not the disk's); retrying will not help."""


class WriteFailed(RuntimeError):
    """A record could not be written; the message says which and why."""


class SavingDelayed(WriteFailed):
    """The record is not in the database yet but is kept (spill journal, memory)."""


Job = Callable[[sqlite3.Connection], Any]


class _Item:
    __slots__ = ("fut", "job", "record", "what")

    def __init__(self, job: Job, fut: Future, what: str, record: dict[str, Any] | None) -> None:
        self.job, self.fut, self.what, self.record = job, fut, what, record


class RecordWriter:
    """Runs write jobs in order on its own connection.

    ``background=False`` runs each job at once on the caller's thread (same
    connection, same transactions): for the benchmark's comparison and for tools
    that write a few rows and exit.

    With a ``journal`` (and ``replay``, which turns a journaled record back into
    its write), a job submitted with a ``record`` is never lost to a locked or
    full database: it is journaled, held in memory (``held``) and merged, in
    order and ahead of newer jobs, by the next commit that succeeds or by the
    retry every ``retry_s``. Its future resolves once it is in the database.
    """

    def __init__(self, path: str | Path, *, background: bool = True, name: str = "records-writer",
                 journal: SpillJournal | None = None,
                 replay: Callable[[sqlite3.Connection, dict[str, Any]], Any] | None = None,
                 retry_s: float = RETRY_S, busy_timeout_ms: int | None = None) -> None:
        self.path = Path(path)
        self.background = background
        self.journal = journal
        self.retry_s = retry_s
        if busy_timeout_ms is None:
            busy_timeout_ms = SPILL_BUSY_TIMEOUT_MS if journal is not None else BUSY_TIMEOUT_MS
        self._db = connect(self.path, busy_timeout_ms=busy_timeout_ms)
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._held_lock = threading.Lock()
        self.errors: list[str] = []
        self.commits = 0
        self.held: list[_Item] = []  # journaled, not yet in the database (oldest first)
        self.spilled = 0  # records that went to the journal (or memory) since the start
        self.merged = 0  # of those, merged into the database since
        self.journal_ok = True  # False while the journal too could not be written
        self.last_trouble: str | None = None
        self._thread: threading.Thread | None = None
        if journal is not None:
            assert replay is not None, "a journal needs replay to turn its records back into writes"
            try:
                kept = journal.open()
            except BaseException:
                journal.close()
                self._db.close()
                raise
            for rec in kept:
                fut: Future = Future()
                fut.set_running_or_notify_cancel()
                self.held.append(_Item(lambda db, r=rec: replay(db, r), fut, "a record kept from an earlier run", rec))
            if self.held:
                self._retry_held()  # merged on the next start, before anything else
        if background:
            # Daemon: a forgotten close() must not hang the interpreter's exit; the
            # app closes the store on every way out, which drains the queue first.
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    # ------------------------------------------------------------ public
    def submit(self, job: Job, what: str = "record", *, record: dict[str, Any] | None = None) -> Future:
        """Queue ``job``; the future resolves after its transaction is committed.

        ``record``: the job's data as a JSON-able dict, journaled if the database
        cannot take it now (needs the writer's journal)."""
        fut: Future = Future()
        item = _Item(job, fut, what, record if self.journal is not None else None)
        with self._lock:
            if self._closed:
                fut.set_exception(WriteFailed(f"{what}: the records are already closed"))
                return fut
            if not self.background:
                self._execute_batch([item])
                return fut
            self._queue.put(item)
        return fut

    def call(self, job: Job, what: str = "record") -> Any:
        """Run ``job`` in order with the queued writes and wait for its result."""
        return self.submit(job, what).result()

    def flush(self) -> None:
        """Wait until every job queued so far is committed (or has failed, or is held)."""
        if self.background and self._thread is not None and self._thread.is_alive():
            self._queue.join()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    @property
    def delayed(self) -> bool:
        """Some records are kept (journal, memory) and not yet in the database."""
        return bool(self.held)

    def held_records(self) -> list[dict[str, Any]]:
        with self._held_lock:
            return [i.record for i in self.held if i.record is not None]

    def retry_now(self) -> None:
        """Try the held records at once (the writer also does every ``retry_s``)."""
        if not self.background:
            self._retry_held()
        else:
            self._queue.put(_Item(lambda db: None, Future(), "a retry", None))

    def close(self) -> None:
        """Finish every queued write, try the held ones once more, then close."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._thread is not None:
                self._queue.put(None)
        if self._thread is not None:
            self._thread.join()
        try:
            if self.held:
                self._retry_held()
            with self._held_lock:
                for item in self.held:
                    if not item.fut.done():
                        where = f"in {self.journal.path}" if self.journal is not None and self.journal_ok else "nowhere"
                        item.fut.set_exception(SavingDelayed(f"{item.what}: kept {where}, to be saved at the next start"))
        finally:  # the files are given back whatever the last try met
            if self.journal is not None:
                self.journal.close()
            self._db.close()

    # ----------------------------------------------------------- internals
    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.retry_s if self.held else None)
            except queue.Empty:
                self._retry_held()
                continue
            batch = [first]
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
            except BaseException as exc:  # noqa: BLE001 - the writer thread must not die with jobs waiting
                for item in jobs:
                    if not item.fut.done():
                        self._fail(item, exc, 1)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return

    def _retry_held(self) -> None:
        self._execute_batch([])

    def _execute_batch(self, jobs: list[_Item]) -> None:
        jobs = [j for j in jobs if j.fut.set_running_or_notify_cancel()]
        with self._held_lock:
            held = list(self.held)
        if not jobs and not held:
            return
        items = held + jobs  # the held ones first: the records stay in order
        try:
            results = self._commit(items)
        except _JobError:
            # One job is bad (a constraint, a bug): run each alone so the others are saved.
            for item in items:
                self._run_alone(item, item in held)
            return
        except sqlite3.DatabaseError as exc:
            self._spill(jobs, exc)
            return
        self._merged(held)
        for item, value in zip(items, results):
            if not item.fut.done():
                item.fut.set_result(value)

    def _run_alone(self, item: _Item, was_held: bool) -> None:
        try:
            (value,) = self._commit([item])
        except _JobError as err:
            if was_held:
                self._merged([item])  # it will never go in: drop it from the journal, say so
            self._fail(item, err.__cause__ or err, 1)
        except sqlite3.DatabaseError as exc:
            if not was_held:
                self._spill([item], exc)
        else:
            if was_held:
                self._merged([item])
            if not item.fut.done():
                item.fut.set_result(value)

    def _merged(self, items: list[_Item]) -> None:
        if not items:
            return
        with self._held_lock:
            gone = {id(i) for i in items}
            self.held = [i for i in self.held if id(i) not in gone]
            self.merged += sum(1 for i in items if i.record is not None)
            empty = not self.held
        if empty and self.journal is not None:
            self.journal.clear()
            self.journal_ok = True
            self.last_trouble = None
            print(f"squeeze-quest: saving works again; every kept record is in {self.path}", file=sys.stderr)

    def _spill(self, items: list[_Item], exc: BaseException) -> None:
        keep = [i for i in items if i.record is not None]
        for item in items:
            if item.record is None:
                self._fail(item, exc, 1 if self.journal is not None else len(RETRY_DELAYS_S) + 1)
        if not keep:
            return
        assert self.journal is not None
        first = not self.held
        ok = self.journal.append([i.record for i in keep])  # type: ignore[misc]
        with self._held_lock:
            self.held.extend(keep)
            self.spilled += len(keep)
        self.journal_ok = ok
        self.last_trouble = str(exc)
        if first or not ok:
            where = f"kept in {self.journal.path}" if ok else "kept in memory only (the journal could not be written)"
            msg = f"saving is delayed ({exc}); {len(self.held)} record(s) {where}, trying again every {self.retry_s:g} s"
            self.errors.append(msg)
            del self.errors[:-20]
            print(f"squeeze-quest: {msg}", file=sys.stderr)

    def _commit(self, jobs: list[_Item]) -> list[Any]:
        """Run ``jobs`` in one transaction and commit it; the results, once on disk.

        As few statements as possible: while the game thread is busy, each call into
        SQLite hands the interpreter lock over and waits to get it back.
        """
        db = self._db
        delays = () if self.journal is not None else RETRY_DELAYS_S
        for delay in (*delays, None):
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    results = []
                    for item in jobs:
                        try:
                            results.append(item.job(db))
                        except sqlite3.DatabaseError as exc:
                            if storage_trouble(exc):
                                raise  # locked, full, I/O: the whole batch is tried again
                            raise _JobError(str(exc)) from exc
                        except Exception as exc:
                            raise _JobError(str(exc)) from exc
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        try:
                            db.execute("ROLLBACK")
                        except sqlite3.DatabaseError:
                            pass  # SQLite rolls back by itself when it cannot
                    raise
            except sqlite3.DatabaseError as exc:
                if not storage_trouble(exc):
                    raise _JobError(str(exc)) from exc
                # Locked or I/O trouble can pass; try again a few times before giving up.
                if delay is None:
                    raise
                time.sleep(delay)
                continue
            self.commits += 1
            return results
        raise AssertionError("unreachable")

    def _fail(self, item: _Item, exc: BaseException, attempts: int) -> None:
        msg = f"could not save {item.what} in {self.path}: {exc} (after {attempts} attempt{'s' * (attempts > 1)})"
        self.errors.append(msg)
        del self.errors[:-20]
        print(f"squeeze-quest: {msg}", file=sys.stderr)
        if not item.fut.done():
            item.fut.set_exception(WriteFailed(msg))
