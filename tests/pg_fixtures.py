"""PostgreSQL and clinic-server fixtures, shared by every test that needs them
(imported by tests/conftest.py).

- ``pg_cluster`` (session): the throwaway cluster .ci/run started (``SQ_TEST_*`` variables),
  or one started here the same way (server/throwaway_pg.py) and removed at the end. Skips
  only when no PostgreSQL binaries exist, or the server's packages are missing.
- ``pg_url`` (module): a fresh, migrated database for the test module (a copy of a
  template migrated once per run), dropped afterwards.
- ``engine`` (module): a SQLAlchemy engine on ``pg_url`` (a pool of 2), disposed afterwards.
- ``clinic_server`` (module): the real app under uvicorn in a subprocess on 127.0.0.1,
  on ``pg_url``; ``.url``, ``.kill()`` (SIGKILL), ``.start()``, ``.restart()``, and
  ``.pg_restart()`` (pg_ctl restart of the cluster).
- ``clinic_server_factory``: more servers (TLS, workers) on databases of your own.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

_MISSING = [m for m in ("fastapi", "uvicorn", "sqlalchemy", "psycopg", "alembic") if importlib.util.find_spec(m) is None]


@pytest.fixture(scope="session")
def pg_cluster(tmp_path_factory):
    if _MISSING:
        pytest.skip(f"the [server] extra is not installed ({', '.join(_MISSING)}): pip install -e '.[server,test]'")
    from server import throwaway_pg

    cluster = throwaway_pg.Cluster.from_env()
    if cluster is not None:
        yield cluster
        return
    if throwaway_pg.find_bindir() is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql")
    base = tmp_path_factory.mktemp("pg") if os.geteuid() != 0 else None  # root: /tmp, readable by postgres
    cluster = throwaway_pg.create(base)
    try:
        yield cluster
    finally:
        throwaway_pg.destroy(cluster)


@pytest.fixture(scope="session")
def pg_template(pg_cluster):
    """A database migrated to head once; each test module gets a copy."""
    from server import db
    from server.testing import drop_database, new_database

    name, url = new_database(pg_cluster, "sq_template")
    engine = db.make_engine(url, pool_size=1, max_overflow=0)
    db.upgrade(engine)
    engine.dispose()
    yield name
    drop_database(pg_cluster, name)


@pytest.fixture(scope="module")
def pg_url(pg_cluster, pg_template):
    from server.testing import drop_database, new_database

    name, url = new_database(pg_cluster, "sq_test", template=pg_template)
    yield url
    drop_database(pg_cluster, name)


@pytest.fixture(scope="module")
def engine(pg_url):
    from server import db

    e = db.make_engine(pg_url, pool_size=2)
    yield e
    e.dispose()


class _ClinicServer:
    def __init__(self, proc, cluster, database_url):
        self.proc = proc
        self.cluster = cluster
        self.database_url = database_url

    def __getattr__(self, name):
        return getattr(self.proc, name)

    def pg_restart(self, mode: str = "fast") -> None:
        """pg_ctl restart: every connection is cut; committed data stays."""
        self.cluster.restart(mode)


@pytest.fixture(scope="module")
def clinic_server_factory(pg_cluster):
    from server.testing import ServerProcess

    started = []

    def make(database_url: str, **kw) -> _ClinicServer:
        proc = ServerProcess(database_url, **kw).start()
        started.append(proc)
        return _ClinicServer(proc, pg_cluster, database_url)

    yield make
    for p in started:
        p.stop()


@pytest.fixture(scope="module")
def clinic_server(clinic_server_factory, pg_url):
    return clinic_server_factory(pg_url)
