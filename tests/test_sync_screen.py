"""Staff menu -> Clinic server in the kiosk, against the real clinic server: behind the
staff PIN, keyboard only, a wrong code refused in plain words, a right one connects the
PC and the game's background sync sends its records; the frame never waits for it."""

from __future__ import annotations

import threading
import time

import pygame
import pytest

from game.records import sync
from game.scenes.clinic_server import ClinicServerScene
from game.scenes.staff import StaffMenuScene, TextEntryScene
from tests.test_kiosk import PIN, cheap_pin_hash, chord, key, kiosk_app, screens, step, type_text  # noqa: F401
from tests.test_sync_e2e import DroppingProxy

pytest.importorskip("httpx")


def wait_for(app, cond, seconds: float = 60.0) -> None:
    """Frames at game pace while real time passes for the worker threads."""
    deadline = time.monotonic() + seconds
    while not cond() and time.monotonic() < deadline:
        step(app)
        time.sleep(0.01)
    assert cond()


def test_staff_connect_the_kiosk_with_a_code_and_its_records_go_up(tmp_path, clinic_server, pg_url):
    from server import admin, db

    engine = db.make_engine(pg_url, pool_size=1)
    with engine.begin() as conn:
        clinic = admin.create_clinic(conn, "Hillside Kiosks")
        code = admin.make_enrolment_code(conn, clinic)
    app = kiosk_app(tmp_path)
    try:
        assert app.ctx.clinic_sync is None  # not connected: no sync thread
        chord(app)
        type_text(app, PIN)
        key(app, pygame.K_RETURN)
        assert isinstance(app.top, StaffMenuScene)
        key(app, pygame.K_DOWN)  # the second row starts with Clinic server
        assert app.top.buttons.focused.id == "clinic"
        key(app, pygame.K_RETURN)
        assert isinstance(app.top, ClinicServerScene)
        wait_for(app, lambda: app.top.state is not None)
        assert app.top.state["enrolled"] is False and app.top.state["pending"] > 0  # the two patients
        assert ("Clinic server", "Not connected") in app.top._lines()

        def connect(server: str, typed_code: str) -> None:
            key(app, pygame.K_RETURN)  # Connect is focused first
            assert isinstance(app.top, TextEntryScene)
            app.top.text = ""
            type_text(app, server)
            key(app, pygame.K_RETURN)
            assert isinstance(app.top, TextEntryScene) and "Code" in app.top.title
            type_text(app, typed_code)
            key(app, pygame.K_RETURN)
            assert isinstance(app.top, ClinicServerScene)

        # Plain http to another machine is refused before anything is sent.
        key(app, pygame.K_RETURN)
        app.top.text = ""
        type_text(app, "http://192.168.4.20:8000")
        key(app, pygame.K_RETURN)
        assert isinstance(app.top, TextEntryScene) and "https://" in app.top.message
        key(app, pygame.K_ESCAPE)
        assert isinstance(app.top, ClinicServerScene)

        # A code nobody made, to a server slow to answer: its connection is held until the test lets it go.
        # Frames go on while it is held and the screen says it is connecting: the frame does not wait for
        # the server. (Not judged by how long a frame took: a busy machine or a garbage collection can make
        # any frame long.)
        slow = DroppingProxy(clinic_server.port, hold=threading.Event())
        try:
            connect(slow.url, "AAAA-BBBB")
            wait_for(app, lambda: slow.held >= 1)
            step(app)
            assert app.top.busy and not app.top.message  # still connecting, and the frames went on
            slow.hold.set()
            wait_for(app, lambda: not app.top.busy)
        finally:
            slow.close()
        assert "not valid. Ask your therapist for a new code" in app.top.message
        assert app.ctx.clinic_sync is None

        connect(clinic_server.url, code.lower())  # typed as it comes: case and dashes do not matter
        wait_for(app, lambda: not app.top.busy)
        assert "Connected to Hillside Kiosks" in app.top.message
        assert app.ctx.clinic_sync is not None and app.ctx.clinic_sync.running
        wait_for(app, lambda: (app.top.state or {}).get("enrolled") and app.top.state["pending"] == 0
                 and app.top.state["last_sync_at"])
        with engine.connect() as conn:
            from sqlalchemy import text

            names = {r[0] for r in conn.execute(text("SELECT display_name FROM patients WHERE clinic_id=:c"),
                                                {"c": clinic})}
        assert names == {"Ann Byrne", "Bob Kelly"}
        app.save_screenshot(tmp_path / "clinic_server.png")
        key(app, pygame.K_ESCAPE)
        assert screens(app)[-1] == "StaffMenuScene"
    finally:
        app.shutdown()
        engine.dispose()
    assert not app.ctx.clinic_sync.running  # stopped with the game
    assert sync.SyncConfig.load(tmp_path).clinic_name == "Hillside Kiosks"
