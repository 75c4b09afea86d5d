"""Staff menu -> Clinic server: is this PC connected, how many records wait, the last sync;
connect it with the therapist's one-time code, or sync now.

Behind the staff PIN like the rest of the staff menu. Every network call and every count
of the outbox runs on a worker thread; the screen only looks at what it left, so a slow
or absent server never holds a frame. The clinic's own certificate, if it has one, is
the file ``clinic-ca.pem`` in the data folder (copied there by the clinic's IT), used
automatically when connecting.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from game.i18n import _
from game.input import Act, Action
from game.records import sync
from game.scene import Pop, Push, Replace, Transition
from game.scenes.staff import StaffScene, TextEntryScene
from game.ui import Canvas, LRect, Theme
from game.widgets import Button, ButtonGroup

CA_NAME = "clinic-ca.pem"
REFRESH_S = 2.0


class _Job:
    """One piece of work off the frame; ``result`` or ``error`` once ``done``."""

    def __init__(self, fn: Any) -> None:
        self.result: Any = None
        self.error: str | None = None
        self.done = False

        def run() -> None:
            try:
                self.result = fn()
            except sync.SyncError as exc:
                self.error = str(exc)
            except Exception as exc:  # noqa: BLE001 - shown on screen, never a crash of the kiosk
                self.error = _("Something went wrong: {problem}").format(problem=exc)
            self.done = True

        threading.Thread(target=run, name="clinic-server-screen", daemon=True).start()


class ClinicServerScene(StaffScene):
    def __init__(self) -> None:
        self.state: dict[str, Any] | None = None
        self.message = ""
        self.busy = ""  # what is being done in the background, in words
        self._status_job: _Job | None = None
        self._work: _Job | None = None
        self._since = REFRESH_S
        self._server = ""

    # ------------------------------------------------------------ where things are
    @property
    def data_dir(self) -> Path:
        return self.ctx.store.path.parent

    def _ca(self) -> str | None:
        ca = self.data_dir / CA_NAME
        return str(ca) if ca.is_file() else None

    def enter(self) -> None:
        self._buttons()
        self._refresh()

    def resume(self) -> None:
        self._buttons()

    def _buttons(self) -> None:
        focus = self.buttons.focus if hasattr(self, "buttons") else 0
        enrolled = bool(self.state and self.state.get("enrolled"))
        self.buttons = ButtonGroup([
            Button("connect", _("Connect again") if enrolled else _("Connect"), LRect(90, 470, 340, 130),
                   note=_("with a code from the therapist")),
            Button("sync", _("Sync now"), LRect(470, 470, 340, 130), enabled=enrolled,
                   note=_("send and receive now")),
            Button("back", _("Back"), LRect(850, 470, 340, 130)),
        ], columns=3, focus=focus)

    def _refresh(self) -> None:
        if self._status_job is None or self._status_job.done:
            store = self.ctx.store
            self._status_job = _Job(lambda: sync.status(self.data_dir, store.path))
        self._since = 0.0

    # ------------------------------------------------------------ connecting
    def _ask_server(self) -> Transition:
        st = self.state or {}
        return Push(TextEntryScene(_("Clinic server address"), initial=st.get("server") or "https://",
                                   on_done=self._got_server, max_len=120))

    def _got_server(self, text: str) -> tuple[str | None, Transition]:
        try:
            self._server = sync.check_server_url(text)
        except sync.SyncError as exc:
            return str(exc).rstrip("."), None
        return None, Replace(TextEntryScene(_("Code from the therapist"), on_done=self._got_code, max_len=20))

    def _got_code(self, code: str) -> tuple[str | None, Transition]:
        if not code.strip():
            return _("type the code the therapist gave you"), None
        server, data_dir, ca = self._server, self.data_dir, self._ca()

        def connect() -> sync.SyncConfig:
            return sync.enroll(data_dir, server, code, ca_file=ca)

        self._work = _Job(connect)
        self.busy = _("Connecting to {server}...").format(server=server)
        self.message = ""
        return None, Pop()

    def _sync_now(self) -> None:
        cfg_dir, db_path = self.data_dir, self.ctx.store.path

        def once() -> sync.SyncReport:
            cfg = sync.SyncConfig.load(cfg_dir)
            if cfg is None:
                raise sync.SyncError(_("This computer is not connected to a clinic server."), retry=False)
            client = sync.SyncClient(db_path, cfg)
            try:
                return client.sync_once()
            finally:
                client.close()

        self._work = _Job(once)
        self.busy = _("Sending and receiving...")
        self.message = ""

    def _work_done(self) -> None:
        job, self._work = self._work, None
        self.busy = ""
        if job.error:
            self.message = job.error
        elif isinstance(job.result, sync.SyncConfig):
            self.message = _("Connected to {clinic}. The records will go there.").format(
                clinic=job.result.clinic_name or _("the clinic"))
            self._restart_background()
        elif isinstance(job.result, sync.SyncReport):
            self.message = job.result.words()
        self._refresh()

    def _restart_background(self) -> None:
        old = getattr(self.ctx, "clinic_sync", None)
        if old is not None:
            threading.Thread(target=old.stop, daemon=True).start()  # it may be mid-request: never wait here
        self.ctx.clinic_sync = sync.start_if_enrolled(self.data_dir, self.ctx.store.path)

    # ------------------------------------------------------------ the loop
    def handle(self, action: Action) -> Transition:
        if action.kind is Act.BACK:
            return Pop()
        chosen = self.buttons.handle(action)
        if chosen == "back":
            return Pop()
        if self.busy:
            return None  # one thing at a time
        if chosen == "connect":
            return self._ask_server()
        if chosen == "sync":
            self._sync_now()
        return None

    def update(self, dt: float) -> Transition:
        if self._status_job is not None and self._status_job.done:
            job, self._status_job = self._status_job, None
            if job.result is not None:
                enrolled_before = bool(self.state and self.state.get("enrolled"))
                self.state = job.result
                if bool(self.state.get("enrolled")) != enrolled_before:
                    self._buttons()
            elif job.error and not self.message:
                self.message = job.error
        if self._work is not None and self._work.done:
            self._work_done()
        self._since += dt
        if self._since >= REFRESH_S:
            self._refresh()
        return None

    # ------------------------------------------------------------ drawing
    def _lines(self) -> list[tuple[str, str]]:
        st = self.state
        if st is None:
            return [(_("Clinic server"), _("Looking..."))]
        if not st.get("enrolled"):
            rows = [(_("Clinic server"), _("Not connected"))]
        else:
            rows = [(_("Clinic server"), st.get("server") or ""), (_("Clinic"), st.get("clinic") or "?")]
        rows.append((_("Records waiting to be sent"), str(st.get("pending", 0))))
        when = st.get("last_sync_at")
        rows.append((_("Last sync"), datetime.fromtimestamp(float(when)).strftime("%Y-%m-%d %H:%M") if when
                     else _("never")))
        return rows

    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        c.text(_("Clinic server"), (640, 70), size=56, bold=True)
        y = 150
        for label, value in self._lines():
            c.text(label, (560, y), size=30, color=Theme.TEXT_DIM, anchor="midright")
            c.text(value, (590, y), size=30, anchor="midleft")
            y += 56
        note = self.busy or self.message
        if not note and self.state and self.state.get("last_error"):
            note = _("Last problem: {error}").format(error=self.state["last_error"])
        if note:
            c.paragraph(note, (640, 372), 1100, size=24, color=Theme.FOCUS if self.busy else Theme.NEAR,
                        anchor="midtop")
        self.buttons.draw(c, size=36)
        c.text(_("Arrows to move, Enter or click to choose."), (640, 660), size=24, color=Theme.TEXT_DIM)
