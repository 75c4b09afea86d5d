import os

# Every test runs without a screen or a sound card.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# PostgreSQL and clinic-server fixtures (pg_cluster, pg_url, clinic_server, ...): tests/pg_fixtures.py
from tests.pg_fixtures import (  # noqa: E402,F401
    clinic_server, clinic_server_factory, pg_cluster, pg_template, pg_url,
)
