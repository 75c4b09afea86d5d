"""Issue 15's "done when" for sync, against the real clinic server (a subprocess on
127.0.0.1) on a throwaway PostgreSQL cluster: two kiosks and a home PC play sessions
through the real game and sync to one server; the server SIGKILLed and PostgreSQL
restarted mid-sync 20 times; connections cut mid-request by a proxy; a PC offline for a
simulated week. Every time: each rep on the server exactly once, none lost."""

from __future__ import annotations

import asyncio
import os
import queue
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from game.records import sync
from game.records.storage import DB_NAME, RepRow, Store

pytest.importorskip("httpx")
ROOT = Path(__file__).resolve().parent.parent
DAY = 86400.0


# ---------------------------------------------------------------------------- helpers
def new_clinic(engine, name: str):
    from server import admin

    with engine.begin() as conn:
        return admin.create_clinic(conn, name)


def code_for(engine, clinic) -> str:
    from server import admin

    with engine.begin() as conn:
        return admin.make_enrolment_code(conn, clinic)


def server_reps(engine, clinic) -> Counter:
    """(rep uid, patient uid) -> how many times the server holds it."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT uid, patient_uid FROM records WHERE kind='rep' AND clinic_id=:c"),
                            {"c": clinic}).all()
    return Counter((r[0].hex, r[1].hex) for r in rows)


def local_reps(*folders: Path) -> Counter:
    """(rep uid, patient uid) over every PC's own records (scripted play's own patient left out)."""
    out: Counter = Counter()
    for folder in folders:
        db = sqlite3.connect(folder / DB_NAME)
        out.update(tuple(r) for r in db.execute(
            "SELECT r.uid, p.uid FROM reps r JOIN sessions s ON s.id = r.session_id "
            "JOIN patients p ON p.id = s.patient_id"))
        db.close()
    return out


def outbox_count(folder: Path, state: str) -> int:
    """How many records of the computer's outbox are in ``state`` ("pending" or "sent")."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        return sync.outbox_counts(db)[state]
    finally:
        db.close()


def pending(folder: Path) -> int:
    return outbox_count(folder, "pending")


def sent(folder: Path) -> int:
    return outbox_count(folder, "sent")


def play_game(folder: Path, patient: str, seed: int) -> subprocess.Popen:
    """A session through the real game: main.py headless, a simulated patient squeezing,
    kept under ``patient`` (marked simulated)."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--headless", "--input", "sim", "--record-as",
                             patient, "--exercise", "power_grip", "--reps", "5", "--seconds", "32", "--seed", str(seed),
                             "--mute", "--data-dir", str(folder)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def sync_now(folder: Path, **kw) -> sync.SyncReport:
    client = sync.SyncClient(folder / DB_NAME, sync.SyncConfig.load(folder), **kw)
    try:
        return client.sync_once()
    finally:
        client.close()


def kiosk_with_session(folder: Path, patient_name: str, n_reps: int) -> Path:
    """A game data folder with one patient and a session of ``n_reps`` reps from a day ago."""
    store = Store.in_dir(folder)
    store.ensure_patient(patient_name)
    store.close()
    bulk_session(folder, patient_name, n_reps, at=time.time() - DAY)
    return folder


def bulk_session(folder: Path, patient_name: str, n_reps: int, *, at: float) -> None:
    """Many reps at once (one transaction, as the spill journal's merge writes them): the
    outbox triggers are the same as for reps the game writes one by one."""
    db = sqlite3.connect(folder / DB_NAME)
    with db:
        pid = db.execute("SELECT id FROM patients WHERE name=?", (patient_name,)).fetchone()[0]
        sid = db.execute("INSERT INTO sessions(patient_id, started_at, ended_at, end_reason, input_device) "
                         "VALUES (?, ?, ?, 'completed', 'Script')", (pid, at, at + 600)).lastrowid
        db.executemany("INSERT INTO reps(session_id, recorded_at, exercise, hand, set_number, rep_number, success, "
                       "peak_pct) VALUES (?, ?, 'power_grip', 'right', ?, ?, ?, ?)",
                       [(sid, at + i, i // 10 + 1, i % 10 + 1, i % 3 != 0, 20.0 + i % 17) for i in range(n_reps)])
    db.close()


class DroppingProxy:
    """A TCP proxy on 127.0.0.1 that can cut connections: ``cut_ratio`` of them are
    aborted (RST) after a random number of bytes, in the request (up) or the answer
    (down: the server has stored the batch, the PC never hears so); ``online`` False
    closes every connection at once (a PC with no network). ``hold`` (an event): a connection
    waits for it to be set before it reaches the server (a server slow to answer); ``held``
    counts the connections that waited."""

    def __init__(self, target_port: int, *, cut_ratio: float = 0.0, seed: int = 0,
                 hold: threading.Event | None = None) -> None:
        from server.testing import free_port

        self.target = target_port  # may be changed: the next connections go to the new port
        self.port = free_port()
        self.cut_ratio = cut_ratio
        self.online = True
        self.hold = hold
        self.held = 0
        self.rng = random.Random(seed)
        self.cuts: Counter = Counter()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self.loop).result(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.online:
            self.cuts["offline"] += 1
            writer.transport.abort()
            return
        if self.hold is not None and not self.hold.is_set():
            self.held += 1
            while not self.hold.is_set():  # polled: the proxy's loop serves other connections meanwhile
                await asyncio.sleep(0.01)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        plan = None
        if self.rng.random() < self.cut_ratio:
            # Somewhere in the first few requests (up: batches of ~10 KB) or answers (down: ~1 KB).
            direction = self.rng.choice(("up", "down"))
            plan = (direction, self.rng.randint(1, 40000 if direction == "up" else 4000))
        done = asyncio.Event()

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, direction: str) -> None:
            n = 0
            try:
                while not done.is_set():
                    data = await src.read(4096)
                    if not data:
                        break
                    if plan and plan[0] == direction and n + len(data) >= plan[1]:
                        dst.write(data[: plan[1] - n])
                        self.cuts[direction] += 1
                        writer.transport.abort()
                        up_writer.transport.abort()
                        break
                    n += len(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                done.set()
                for w in (writer, up_writer):
                    if not w.transport.is_closing():
                        w.close()

        await asyncio.gather(pipe(reader, up_writer, "up"), pipe(up_reader, writer, "down"))

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()

        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


# ---------------------------------------------------------------------------- the tests
def test_two_kiosks_and_a_home_pc_play_and_every_rep_arrives_once(tmp_path, clinic_server, engine):
    from game.profiles import Profiles

    clinic = new_clinic(engine, "Two kiosks and a home")
    kiosk1, kiosk2, home = tmp_path / "kiosk1", tmp_path / "kiosk2", tmp_path / "home"
    store = Store.in_dir(kiosk1)
    Profiles(store).create("Ann Brown")
    Profiles(store).create("Ben Cole", hand="left")
    store.close()
    for folder in (kiosk1, kiosk2, home):
        Store.in_dir(folder).close()
        sync.enroll(folder, clinic_server.url, code_for(engine, clinic), device_name=folder.name)
    sync_now(kiosk1)  # the patients go up with kiosk 1...
    for folder in (kiosk2, home):  # ...and come down to the others, with the same uids
        assert sync_now(folder).patients == 2
    games = [play_game(kiosk1, "Ann Brown", 1), play_game(kiosk2, "Ben Cole", 2), play_game(home, "Ann Brown", 3)]
    for g in games:
        out, _ = g.communicate(timeout=120)
        assert g.returncode == 0, out
    here = local_reps(kiosk1, kiosk2, home)
    assert sum(here.values()) >= 3 * 3 and set(here.values()) == {1}
    # All three at once, in the background as the game does (a busy server's 5xx is tried again).
    syncs = [sync.BackgroundSync(f / DB_NAME, sync.SyncConfig.load(f), interval=0.1, batch=7,
                                 backoff=sync.Backoff(first=0.05, most=0.5)).start() for f in (kiosk1, kiosk2, home)]
    deadline = time.monotonic() + 60
    while any(pending(f) for f in (kiosk1, kiosk2, home)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for bg in syncs:
        bg.stop()
    up = server_reps(engine, clinic)
    assert up == here  # every rep once: same uids, none twice, none missing
    per_patient = Counter(p for _, p in up.elements())
    assert per_patient == Counter(p for _, p in here.elements()) and len(per_patient) == 2
    assert all(pending(f) == 0 for f in (kiosk1, kiosk2, home))


def test_server_killed_and_postgresql_restarted_20_times_mid_sync(tmp_path, clinic_server, clinic_server_factory,
                                                                   engine):
    """Twenty times, mid-sync, the server answering the PC is SIGKILLed (the next of three
    processes on the same database takes over at once, as a supervisor's restart would, and
    the killed one is started again meanwhile) and then, mid-sync again, PostgreSQL is
    stopped at once (immediate: no checkpoint, crash recovery at start) and started under
    them: 20 SIGKILLs and 20 PostgreSQL restarts. The game keeps recording reps all along."""
    clinic = new_clinic(engine, "Chaos ward")
    folder = kiosk_with_session(tmp_path / "kiosk", "Fay Green", 1000)
    cfg = sync.enroll(folder, clinic_server.url, code_for(engine, clinic))
    # Started without migrating: quicker, and a start while PostgreSQL is down waits for it.
    servers = [clinic_server] + [clinic_server_factory(clinic_server.database_url, migrate=False) for _ in range(2)]
    proxy = DroppingProxy(servers[0].port)
    cfg.server = proxy.url

    # The game keeps playing meanwhile (its own thread, its own store), one rep every 50 ms.
    stop_game = threading.Event()

    def game() -> None:
        s = Store.in_dir(folder)
        sid = s.start_session(s.ensure_patient("Fay Green"), input_device="Script")
        i = 0
        while not stop_game.wait(0.05):
            i += 1
            s.add_rep(sid, RepRow("power_grip", "right", 1 + i // 10, i, {"success": True, "peak_pct": 30.0}))
        s.end_session(sid, "completed")
        s.close()

    player = threading.Thread(target=game)
    player.start()
    bg = sync.BackgroundSync(folder / DB_NAME, cfg, interval=0.05, backoff=sync.Backoff(first=0.05, most=0.4, seed=3),
                             batch=10, timeout=3).start()
    kills: Counter = Counter()
    restarting: dict[int, threading.Thread] = {}  # by the server's place in ``servers``

    def start_again(server) -> None:
        for _ in range(8):
            try:
                server.start(migrate=False)
                return
            except RuntimeError:
                time.sleep(0.3)

    def mid_sync() -> None:
        """Until a batch more has gone up: records are flowing (and more are waiting)."""
        before = sent(folder)
        deadline = time.monotonic() + 30
        while sent(folder) < before + 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pending(folder) > 0, "the sync finished before the kill: not mid-sync"

    live = 0
    try:
        for _ in range(20):
            mid_sync()
            nxt = (live + 1) % len(servers)
            if nxt in restarting:
                restarting.pop(nxt).join(60)  # killed two rounds ago: up again by now
                assert servers[nxt].pid is not None, "the killed server did not start again"
            servers[live].kill()  # SIGKILL: nothing flushed, requests in flight cut
            proxy.target = servers[nxt].port
            restarting[live] = threading.Thread(target=start_again, args=(servers[live],))
            restarting[live].start()
            kills["server SIGKILL"] += 1
            live = nxt
            mid_sync()
            clinic_server.cluster.stop("immediate")  # every connection cut, nothing flushed
            clinic_server.cluster.start()
            kills["PostgreSQL restart"] += 1
    finally:
        stop_game.set()
        player.join(30)
        for t in restarting.values():
            t.join(60)
    deadline = time.monotonic() + 60
    while pending(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    bg.stop()
    proxy.close()
    assert kills == {"server SIGKILL": 20, "PostgreSQL restart": 20}
    assert all(s.pid is not None for s in servers), "a killed server did not start again"
    assert pending(folder) == 0, bg.last_error
    here = local_reps(folder)
    assert len(here) > 1000 and server_reps(engine, clinic) == here


def test_connections_cut_mid_request_lose_and_double_nothing(tmp_path, clinic_server, engine):
    clinic = new_clinic(engine, "Flaky network")
    folder = kiosk_with_session(tmp_path / "kiosk", "Gus Hill", 1200)
    proxy = DroppingProxy(clinic_server.port, cut_ratio=1.0, seed=11)
    try:
        cfg = sync.enroll(folder, clinic_server.url, code_for(engine, clinic))
        cfg.server = proxy.url  # all traffic through the proxy from here on (127.0.0.1 only)
        cfg.save(folder)
        bg = sync.BackgroundSync(folder / DB_NAME, cfg, interval=0.05, backoff=sync.Backoff(first=0.01, most=0.1),
                                 batch=25, timeout=3).start()
        deadline = time.monotonic() + 60
        while pending(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        bg.stop()
    finally:
        proxy.close()
    assert pending(folder) == 0, bg.last_error
    assert proxy.cuts["up"] >= 3 and proxy.cuts["down"] >= 3, proxy.cuts
    assert server_reps(engine, clinic) == local_reps(folder)


def test_a_pc_offline_for_a_week_syncs_when_back(tmp_path, clinic_server, engine):
    clinic = new_clinic(engine, "Home programme")
    folder = tmp_path / "home"
    start = 1_790_000_000.0
    now = [start]
    store = Store.in_dir(folder, wall=lambda: now[0])
    pid = store.ensure_patient("Ida Jones")
    cfg = sync.enroll(folder, clinic_server.url, code_for(engine, clinic))
    proxy = DroppingProxy(clinic_server.port)
    proxy.online = False  # the network is gone for a week
    cfg.server = proxy.url
    asked: queue.Queue = queue.Queue()
    go = threading.Semaphore(0)

    def sleep(seconds: float, stop: threading.Event) -> None:  # time moves only when the test says
        asked.put(seconds)
        go.acquire()

    bg = sync.BackgroundSync(folder / DB_NAME, cfg, sleep=sleep, backoff=sync.Backoff(seed=5), timeout=3,
                             wall=lambda: now[0]).start()
    day = 0
    tries = 0
    try:
        while True:
            wait = asked.get(timeout=30)
            tries += 1
            if proxy.online:
                break  # the sync after coming back has finished
            now[0] += wait
            while now[0] >= start + day * DAY and day < 7:  # a session a day, at home, offline
                sid = store.start_session(pid, input_device="Script")
                for i in range(12):
                    store.add_rep(sid, RepRow("power_grip", "right", 1 + i // 6, i % 6 + 1, {"success": i % 5 != 0}))
                store.end_session(sid, "completed")
                store.flush()
                day += 1
            if now[0] >= start + 7 * DAY:
                assert pending(folder) > 0 and "try again" in bg.last_error
                proxy.online = True
            go.release()
    finally:
        bg.stop(timeout=0.1)
        go.release()
        bg.stop()
        proxy.close()
    assert day == 7 and proxy.cuts["offline"] == tries - 1
    # Backed off to about one try per 5 minutes (300-375 s apart), not one a minute nor none for days.
    assert 7 * DAY / 375 - 20 < tries < 7 * DAY / 300 + 20
    assert pending(folder) == 0
    here = local_reps(folder)
    assert len(here) == 7 * 12 and server_reps(engine, clinic) == here
    from sqlalchemy import text

    with engine.connect() as conn:
        days = conn.execute(text("SELECT COUNT(DISTINCT date_trunc('day', recorded_at)) FROM records "
                                 "WHERE kind='rep' AND clinic_id=:c"), {"c": clinic}).scalar_one()
    assert days == 7  # the records keep the (simulated) days they were played on
    store.close()
