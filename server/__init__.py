"""The clinic server: one store for a clinic's kiosks and home PCs (issue 15).

A FastAPI app served by uvicorn, storing in PostgreSQL through SQLAlchemy 2 and
psycopg 3, with Alembic migrations. It imports the records layer and the level models
of ``game`` but never pygame (``tests/server/test_layering.py`` checks that), and its
packages are the ``[server]`` extra: the game runs without them.

    server/app.py        the HTTP API (docs/clinic-server/API.md), access log
    server/sync.py       storing uploaded records, the changes feed for devices
    server/auth.py       passwords, therapist sessions (the portal's cookies), device tokens
    server/admin.py      clinics, therapists, enrolment codes, devices, patients, programs
    server/db.py         engine, pool, migrations
    server/tls.py        the self-signed CA and certificate for tests and a first try
    server/cli.py        ``squeeze-quest-server`` (serve, migrate, create-clinic, ...)
    server/throwaway_pg.py  a temporary PostgreSQL cluster for tests and benchmarks
"""

from __future__ import annotations

import importlib.util

SERVER_INSTALL = "pip install 'squeeze-quest[server]'"
_NEEDED = ("fastapi", "uvicorn", "sqlalchemy", "psycopg", "alembic", "orjson")


def _find(module: str):
    try:
        return importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None


def missing_server_packages() -> str | None:
    """None if the [server] extra is installed, else a message saying how to add it."""
    missing = [m for m in _NEEDED if _find(m) is None]
    if not missing:
        return None
    from game.i18n import _

    return _("The clinic server needs packages that are not installed ({names}). "
             "Install them with: {command}").format(names=", ".join(missing), command=SERVER_INSTALL)
