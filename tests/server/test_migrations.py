"""Migrations up and down on a database holding data, and the code's tables matching
what the migrations make."""

from __future__ import annotations

import uuid

import pytest

pytest.importorskip("alembic")

from sqlalchemy import inspect, text

from server import admin, db
from server.schema import metadata
from server.testing import drop_database, new_database


@pytest.fixture
def empty_db(pg_cluster):
    name, url = new_database(pg_cluster, "sq_mig")
    engine = db.make_engine(url, pool_size=1)
    yield engine
    engine.dispose()
    drop_database(pg_cluster, name)


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_migrations_up_and_down_with_data_present(empty_db):
    engine = empty_db
    head = db.head_revision()
    db.upgrade(engine)
    with engine.connect() as conn:
        assert db.current_revision(conn) == head
    assert {"clinics", "therapists", "devices", "enrolment_codes", "patients", "programs", "records",
            "access_log"} <= _tables(engine)
    # Data in every table a step down keeps.
    with engine.begin() as conn:
        clinic = admin.create_clinic(conn, "North Ward")
        admin.create_therapist(conn, clinic, "ana", "a long enough password")
        code = admin.make_enrolment_code(conn, clinic)
        dev = admin.enroll_device(conn, code, uuid.uuid4(), "kiosk")
        patient = admin.create_patient(conn, clinic, "Ann Brown")
        admin.save_program(conn, clinic, "Start", "name: Start\nexercises:\n  - exercise: pinch\n",
                           patient_uid=patient)
        conn.execute(text("INSERT INTO records (uid, clinic_id, device_id, kind, patient_uid, recorded_at, exercise, "
                          "success, body) VALUES (:u, :c, :d, 'rep', :p, now(), 'pinch', true, '{\"peak\": 3}')"),
                     {"u": uuid.uuid4(), "c": clinic, "d": dev.device_id, "p": patient})
        conn.execute(text("INSERT INTO access_log (at, actor, method, path, status, duration_ms) "
                          "VALUES (now(), 'anonymous', 'GET', '/x', 200, 1)"))

    def counts() -> tuple[int, ...]:
        with engine.connect() as conn:
            return tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                         for t in ("clinics", "therapists", "devices", "patients", "programs", "records"))

    assert counts() == (1, 1, 1, 1, 1, 1)
    db.downgrade(engine, "0001")  # every later migration undone (the access log goes)
    assert "access_log" not in _tables(engine)
    assert counts() == (1, 1, 1, 1, 1, 1)
    db.upgrade(engine)  # and up again over the same data
    with engine.connect() as conn:
        assert db.current_revision(conn) == head
    assert counts() == (1, 1, 1, 1, 1, 1)
    db.downgrade(engine, "base")
    assert _tables(engine) <= {"alembic_version"}
    db.upgrade(engine)
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_the_code_tables_match_the_migrations(pg_url):
    """server/schema.py (what the code queries) and the migrations agree, column by column."""
    engine = db.make_engine(pg_url, pool_size=1)
    try:
        insp = inspect(engine)
        for table in metadata.sorted_tables:
            live = {c["name"]: c for c in insp.get_columns(table.name)}
            assert set(live) >= set(table.c.keys()), table.name
            for col in table.c:
                assert live[col.name]["nullable"] == col.nullable, f"{table.name}.{col.name}"
            live_idx = {i["name"] for i in insp.get_indexes(table.name)}
            assert {i.name for i in table.indexes} <= live_idx, table.name
    finally:
        engine.dispose()


def test_the_migrate_command(empty_db, capsys):
    from server.cli import main

    url = empty_db.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "migrate"]) == 0
    assert db.head_revision() in capsys.readouterr().out
    assert main(["--database-url", url, "migrate", "--down", "base"]) == 0
    assert "empty" in capsys.readouterr().out
