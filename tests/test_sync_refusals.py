"""The clinic server's refusals reach the PC's staff in their language (issues 15, 18).

Each refusal of the server carries a code ({"error": ..., "detail": English words}, the status
as before for PCs from before the codes), and the PC says it as a plain sentence in its
reader's language. Here: a server from before the codes is understood by its status and words;
a server that cannot be reached or does not answer has sentences of its own; every code the
server sends has words on the PC. Against the real clinic server (tests/test_sync_client.py,
"Refusals", which shares that module's server): a used code, an expired code, a code the PC
does not know (a newer server), a revoked computer. The language is chosen as the other
language tests do: LANGUAGE for the command line, set_language for the rest.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from game import i18n
from game.records import sync
from game.records.storage import DB_NAME, Store

API = "/api/v1"

USED_DE = ("Dieser Registrierungscode wurde schon benutzt. Bitten Sie Ihre Therapeutin oder Ihren Therapeuten "
           "um einen neuen.")
USED_EN = "This enrolment code was already used. Ask your therapist for a new one."
EXPIRED_ES = "Este código de registro ha caducado. Pida uno nuevo a su terapeuta."
EXPIRED_EN = "This enrolment code has expired. Ask your therapist for a new one."
ENDED_ES = ("El servidor de la clínica ya no acepta este ordenador (se le quitó el acceso). Pida un código nuevo "
            "al terapeuta y vuelva a conectarlo.")
ENDED_EN = ("The clinic server no longer accepts this computer (its access was removed). Ask the therapist for a "
            "new code and connect again.")
OTHER_ES = ("El servidor de la clínica rechazó a este ordenador. Pregunte al administrador de la clínica. "
            "El servidor dijo: {detail}")
OTHER_EN = "The clinic server refused this computer. Ask the clinic's administrator. The server said: {detail}"
UNREACHABLE_DE = ("Der Klinik-Server ist nicht erreichbar. Prüfen Sie die Adresse und das Netzwerk; die Daten "
                  "bleiben auf diesem Computer und es wird später wieder versucht.")
UNREACHABLE_EN = ("The clinic server cannot be reached. Check the address and the network; the records stay on "
                  "this computer and sync will try again.")
SILENT_DE = "Der Klinik-Server hat nicht rechtzeitig geantwortet; es wird später wieder versucht."
SILENT_EN = "The clinic server did not answer in time; sync will try again."


def said(exc: Exception, lang: str) -> str:
    """What the PC shows for ``exc`` to a reader of ``lang``."""
    i18n.set_language(lang)
    try:
        return str(exc)
    finally:
        i18n.set_language("en")


class _OldServer(BaseHTTPRequestHandler):
    """Answers as the clinic server did before the codes: {"detail": ...} and a status."""

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("/devices/enroll"):
            self._answer(403, {"detail": "This enrolment code is not valid. Ask your therapist for a new code."})
        else:
            self._answer(401, {"detail": "This computer's access to the clinic server has ended. Ask your therapist "
                                         "for a new enrolment code."})

    def do_GET(self) -> None:
        if self.path.endswith("/health"):
            self._answer(200, {"status": "ok", "schema": 7})
        else:
            self._answer(401, {"detail": "This computer's access to the clinic server has ended. Ask your therapist "
                                         "for a new enrolment code."})

    def log_message(self, *args) -> None:
        pass


def test_a_server_from_before_the_codes_is_still_understood(tmp_path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _OldServer)
    serving = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with pytest.raises(sync.SyncError) as refused:
            sync.enroll(tmp_path, url, "ABCD-EFGH")
        detail = "This enrolment code is not valid. Ask your therapist for a new code."
        assert refused.value.code is None and not refused.value.retry
        assert said(refused.value, "es") == OTHER_ES.format(detail=detail)
        Store.in_dir(tmp_path).close()
        cfg = sync.SyncConfig(server=url, token="old", device_uid=uuid.uuid4().hex)
        client = sync.SyncClient(tmp_path / DB_NAME, cfg)
        try:
            with pytest.raises(sync.SyncError) as refused:
                client.sync_once()  # its 401 without a code: the computer's access has ended
        finally:
            client.close()
        assert not refused.value.retry and said(refused.value, "es") == ENDED_ES
    finally:
        httpd.shutdown()
        httpd.server_close()
        serving.join(5)


def test_a_server_that_cannot_be_reached_or_does_not_answer(tmp_path):
    with socket.socket() as closed, socket.socket() as silent:
        closed.bind(("127.0.0.1", 0))  # bound but not listening: every connection is refused
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # connections are taken by the system, and nothing ever answers
        with pytest.raises(sync.SyncError) as refused:
            sync.enroll(tmp_path, f"http://127.0.0.1:{closed.getsockname()[1]}", "ABCD-EFGH")
        assert refused.value.code == "cannot_connect" and refused.value.retry
        assert said(refused.value, "de") == UNREACHABLE_DE and said(refused.value, "en") == UNREACHABLE_EN
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        http = sync._http(url, ca_file=None, timeout=0.3)
        try:
            with pytest.raises(sync.SyncError) as refused:
                sync.enroll(tmp_path, url, "ABCD-EFGH", http=http)
        finally:
            http.close()
        assert refused.value.code == "timeout" and refused.value.retry
        assert said(refused.value, "de") == SILENT_DE and said(refused.value, "en") == SILENT_EN
    assert sync.SyncConfig.load(tmp_path) is None


def test_every_code_the_server_sends_has_words_on_the_pc():
    pytest.importorskip("fastapi")
    from server import refusals

    assert refusals.CODES - set(sync.REFUSAL_WORDS) == {"too_many_tries"}  # said with its minutes (ngettext)
    i18n.set_language("de")
    try:
        assert sync.refusal_words("too_many_tries", minutes=5) == ("Zu viele Versuche. Warten Sie 5 Minuten oder "
                                                                   "fragen Sie die Administration der Klinik.")
    finally:
        i18n.set_language("en")
