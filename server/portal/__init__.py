"""The therapist's portal (issue 16): patients, program editor, progress, devices.

Served by the clinic server: ``server.app`` calls :func:`register` when it builds the app.
Server-rendered pages (Jinja2 templates in ``templates/``), a stylesheet and a few lines of
script in ``static/`` (every page works without the script). See docs/clinic-server/PORTAL.md.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


def register(app) -> None:  # type: ignore[no-untyped-def]
    """Add the portal's pages and its static files to the clinic server's app."""
    from fastapi.staticfiles import StaticFiles

    from server.portal.views import PREFIX, router

    from game.resources import fonts_dir

    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="portal-static")
    # The game's fonts as web fonts: Atkinson Hyperlegible, and the Noto Sans CJK subset so a
    # Chinese page has its glyphs on a computer without a CJK font (portal.css, @font-face).
    app.mount(f"{PREFIX}/fonts", StaticFiles(directory=fonts_dir()), name="portal-fonts")
