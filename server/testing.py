"""A real clinic server in a subprocess, for tests, benchmarks and chaos runs.

:class:`ServerProcess` starts ``python -m server serve`` on 127.0.0.1 with a free port
and waits until ``/api/v1/health`` answers; :meth:`kill` SIGKILLs it (nothing is flushed,
as when the power goes), :meth:`start` brings it back on the same port.
:func:`new_database` makes a fresh database in a throwaway cluster (server/throwaway_pg.py).
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from server.throwaway_pg import Cluster

ROOT = Path(__file__).resolve().parent.parent
_counter = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_database(cluster: Cluster, prefix: str = "sq", template: str | None = None) -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new empty database (or a copy of ``template``)."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name, cluster.url(name)


def drop_database(cluster: Cluster, name: str) -> None:
    import psycopg

    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ServerProcess:
    """``squeeze-quest-server serve`` on 127.0.0.1 in a child process."""

    def __init__(self, database_url: str, tls: bool = False, workers: int = 1, pool_size: int = 10,
                 port: int | None = None, cert_dir: str | Path | None = None, env: dict[str, str] | None = None,
                 migrate: bool = True):
        self.database_url = database_url
        self.migrate = migrate  # False: the database is migrated already (see start)
        self.tls = tls
        self.workers = workers
        self.pool_size = pool_size
        self.port = port or free_port()
        self.cert_dir = Path(cert_dir or tempfile.mkdtemp(prefix="sq-tls-"))
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        fd, log_path = tempfile.mkstemp(prefix="sq-server-", suffix=".log")
        os.close(fd)  # opened again for each start
        self.log_path = Path(log_path)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path | None:
        return self.cert_dir / "ca.pem" if self.tls else None

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=str(self.ca_file)) if self.tls else None

    def start(self, timeout: float = 30.0, migrate: bool | None = None) -> ServerProcess:
        """Start it and wait for its health check. ``migrate=False``: the database is already
        migrated (a quicker start, and one that waits for PostgreSQL instead of exiting)."""
        migrate = self.migrate if migrate is None else migrate
        cmd = [sys.executable, "-m", "server", "--database-url", self.database_url, "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(self.workers), "--pool-size", str(self.pool_size)]
        if not migrate:
            cmd.append("--no-migrate")
        if self.tls:  # made here first, so the health check can trust it (the server reuses them)
            from server.tls import make_self_signed

            make_self_signed(self.cert_dir)
        cmd += ["--self-signed", str(self.cert_dir)] if self.tls else ["--plain-http"]
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               **self.extra_env}
        log = self.log_path.open("ab")
        # A session of its own: kill() reaches uvicorn's worker processes too.
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        ctx = self.ssl_context() if self.tls else None
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the clinic server exited ({self.proc.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=2, context=ctx) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError, ssl.SSLError):
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the clinic server did not answer within {timeout:g} s:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the server and its workers (no clean shutdown)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None

    def restart(self, hard: bool = True) -> None:
        (self.kill if hard else self.stop)()
        self.start()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def __enter__(self) -> ServerProcess:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()
