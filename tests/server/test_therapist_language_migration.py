"""Migration 0004 (the therapist's portal language) down and up again with therapists present."""

from __future__ import annotations

import pytest

pytest.importorskip("alembic")

from sqlalchemy import inspect, text

from server import admin, db
from server.testing import drop_database, new_database


def test_the_language_column_goes_and_comes_back_without_losing_therapists(pg_cluster):
    name, url = new_database(pg_cluster, "sq_mig4")
    engine = db.make_engine(url, pool_size=1)
    try:
        db.upgrade(engine)
        with engine.begin() as conn:
            clinic = admin.create_clinic(conn, "Ward 4")
            admin.create_therapist(conn, clinic, "eva", "a long enough password")
            conn.execute(text("UPDATE therapists SET language = 'de' WHERE username = 'eva'"))
        db.downgrade(engine, "0003_portal")
        assert "language" not in {c["name"] for c in inspect(engine).get_columns("therapists")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT username FROM therapists")).scalars().all() == ["eva"]
        db.upgrade(engine)
        with engine.connect() as conn:
            assert db.current_revision(conn) == db.head_revision()
            # back, empty: the therapist's portal follows the browser until they pick again
            assert conn.execute(text("SELECT language FROM therapists")).scalars().all() == [None]
    finally:
        engine.dispose()
        drop_database(pg_cluster, name)
