"""The database connection: one SQLAlchemy engine (psycopg 3 driver, a connection pool)
and the Alembic migrations in ``server/migrations``."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ENV_URL = "DATABASE_URL"


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// (as Docker images and hosts give them) use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def url_from_env() -> str:
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        from game.i18n import _

        raise SystemExit(_("Set {variable} to the clinic database, e.g. {example}").format(
            variable=ENV_URL, example="postgresql://squeeze:PASSWORD@localhost/squeeze_quest"))
    return normalise_url(url)


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    # pre_ping: after a PostgreSQL restart the pooled connections are dead; each is
    # checked (one round trip) when taken, so a request never fails on a stale one.
    return create_engine(normalise_url(url), pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                         pool_recycle=1800, pool_timeout=30)


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(connection=conn), revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def schema_number(revision: str | None) -> int:
    """The schema version a client sees in /health: the migration's leading number (0 = none)."""
    digits = "".join(itertools.takewhile(str.isdigit, revision or ""))
    return int(digits) if digits else 0
