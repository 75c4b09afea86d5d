"""Alembic migrations of the clinic server's database (run by ``squeeze-quest-server migrate``)."""
