"""The clinic server's defences, against a real server process and a real PostgreSQL: limits
on guessing passwords and enrolment codes (counted in the database, before the secret is
checked, so parallel guesses get no more tries), refusals logged without secrets, the
portal's security headers and cookies, CSRF tokens on every form, a new session id at
login, logout ending the session on the server, and a PC whose token is revoked mid-sync
told so in plain words on the Staff -> Clinic server screen.

Addresses: uvicorn believes X-Forwarded-For from 127.0.0.1 (as from a reverse proxy on the
same machine), so each test speaks from an address of its own (10.0.0.x)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import timedelta

import pygame
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("sqlalchemy")

from sqlalchemy import func, select, text

from server import admin, auth, throttle
from server.schema import auth_throttle
from tests.test_kiosk import PIN, cheap_pin_hash, chord, key, kiosk_app, step, type_text  # noqa: F401

API = "/api/v1"
PASSWORD = "a long enough password"
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]*)"')


@pytest.fixture(scope="module")
def cheap_password_hash():
    """Argon2 at its full cost takes most of a second per hash on a busy machine; these tests
    count tries, not hash cost. (The server process verifies a hash with the parameters
    written in it, and rehashes at its full cost at a right login.)"""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "_hasher", cheap)
        mp.setattr(auth, "_DUMMY_HASH", cheap.hash("dummy"))
        yield


@pytest.fixture(scope="module")
def clinic(engine, cheap_password_hash):
    with engine.begin() as conn:
        cid = admin.create_clinic(conn, "Secure Ward")
        for user in ("ana", "bo", "cy", "dee", "eli", "fay"):
            admin.create_therapist(conn, cid, user, PASSWORD)
    return cid


class Portal:
    """A browser's worth of the portal over HTTP: its cookies, from one address."""

    def __init__(self, server, address: str, **kw) -> None:
        self.c = httpx.Client(base_url=server.url, headers={"X-Forwarded-For": address}, timeout=30,
                              verify=server.ssl_context() or True, **kw)

    def login(self, user: str, password: str = PASSWORD) -> httpx.Response:
        page = self.c.get("/portal/login")
        return self.c.post("/portal/login", data={"csrf": CSRF_INPUT.search(page.text).group(1), "username": user,
                                                  "password": password, "next": ""})

    def session(self) -> str | None:
        return self.c.cookies.get(auth.COOKIE_NAME)

    def csrf(self, path: str = "/portal/patients") -> str:
        return CSRF_INPUT.search(self.c.get(path).text).group(1)

    def close(self) -> None:
        self.c.close()


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def _failures(engine, rule: throttle.Rule, subject: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(auth_throttle.c.failures).where(
            auth_throttle.c.key == throttle.key(rule, subject))).scalar()


# ------------------------------------------------------------------ limits on guessing
def test_wrong_passwords_lock_the_account_for_longer_each_time(engine, clinic):
    t0 = auth.utcnow()
    addr = "10.0.0.1"

    def attempt(password: str, at: timedelta, user: str = "ana"):
        return auth.attempt_login(engine, user, password, addr, now=t0 + at)

    for i in range(4):
        with pytest.raises(auth.LoginRefused):
            attempt("wrong one", timedelta(seconds=i))
    with pytest.raises(throttle.TooManyTries) as fifth:  # the fifth wrong one says so at once
        attempt("wrong one", timedelta(seconds=5))
    assert fifth.value.minutes == 1 and fifth.value.rule is throttle.LOGIN_ACCOUNT
    sessions = _count(engine, "SELECT count(*) FROM therapist_sessions")
    with pytest.raises(throttle.TooManyTries):  # locked: even the right password is not checked
        attempt(PASSWORD, timedelta(seconds=30))
    assert _count(engine, "SELECT count(*) FROM therapist_sessions") == sessions
    assert attempt(PASSWORD, timedelta(seconds=30), user="bo")[0].username == "bo"  # the others log in
    with pytest.raises(throttle.TooManyTries) as sixth:  # after the minute: one more try, then 2 minutes
        attempt("wrong again", timedelta(seconds=66))
    assert sixth.value.minutes == 2
    with pytest.raises(throttle.TooManyTries) as seventh:
        attempt("and again", timedelta(seconds=66 + 121))
    assert seventh.value.minutes == 4
    therapist, token = attempt(PASSWORD, timedelta(seconds=66 + 121 + 241))
    assert therapist.username == "ana" and token
    assert _failures(engine, throttle.LOGIN_ACCOUNT, "ana") is None  # the right password clears the count
    assert _failures(engine, throttle.LOGIN_ADDRESS, addr) == 7  # the address keeps its wrong tries
    # A day with no wrong try and the count starts again.
    for i in range(4):
        with pytest.raises(auth.LoginRefused):
            attempt("wrong", timedelta(days=1, seconds=i), user="cy")
    with pytest.raises(auth.LoginRefused):
        attempt("wrong", timedelta(days=2, seconds=5), user="cy")
    assert _failures(engine, throttle.LOGIN_ACCOUNT, "cy") == 1


def test_one_address_trying_many_usernames_is_locked(engine, clinic):
    t0 = auth.utcnow()
    addr = "10.0.0.2"
    for i in range(throttle.LOGIN_ADDRESS.limit - 1):
        with pytest.raises(auth.LoginRefused):
            auth.attempt_login(engine, f"guess{i}", "password1", addr, now=t0)
    with pytest.raises(throttle.TooManyTries) as last:
        auth.attempt_login(engine, "guess-last", "password1", addr, now=t0)
    assert last.value.rule is throttle.LOGIN_ADDRESS
    with pytest.raises(throttle.TooManyTries):  # a real therapist at that computer waits too
        auth.attempt_login(engine, "dee", PASSWORD, addr, now=t0 + timedelta(seconds=1))
    assert auth.attempt_login(engine, "dee", PASSWORD, "10.0.0.99", now=t0)[0].username == "dee"
    assert _failures(engine, throttle.LOGIN_ADDRESS, addr) == throttle.LOGIN_ADDRESS.limit
    with engine.connect() as conn:  # what was counted is not in the table: only its hash
        keys = [k for (k,) in conn.execute(select(auth_throttle.c.key))]
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)


def test_parallel_guesses_get_no_more_tries_and_the_administrator_unlocks(clinic_server, engine, clinic, pg_url,
                                                                         capsys):
    addr = "10.0.0.3"
    portals = [Portal(clinic_server, addr) for _ in range(12)]
    for p in portals:  # each with its login form open
        p.c.get("/portal/login")
    answers: list[httpx.Response] = []
    go = threading.Barrier(len(portals))

    def guess(p: Portal) -> None:
        nonce = p.c.cookies.get("sq_login_csrf")
        go.wait()
        answers.append(p.c.post("/portal/login", data={"csrf": nonce, "username": "eli", "password": "guess"}))

    threads = [threading.Thread(target=guess, args=(p,)) for p in portals]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(r.status_code for r in answers)
    # Counted before checking, under a row lock: exactly 5 were checked, however many came at once.
    assert _failures(engine, throttle.LOGIN_ACCOUNT, "eli") == 5
    assert statuses == [401] * 4 + [429] * 8, statuses
    locked = next(r for r in answers if r.status_code == 429)
    assert "Too many tries. Wait 1 minute, or ask the clinic&#39;s administrator." in locked.text
    # Another process (this test, on the same database) sees the lock: it is not in the server's memory.
    with pytest.raises(throttle.TooManyTries):
        auth.attempt_login(engine, "eli", PASSWORD, "10.0.0.33")
    from server.cli import main

    assert main(["--database-url", pg_url, "unlock", "--username", "eli"]) == 0
    assert "unlocked" in capsys.readouterr().out
    right = Portal(clinic_server, addr)
    assert right.login("eli").status_code == 303 and right.session()
    for p in [*portals, right]:
        p.close()


def test_a_new_password_or_a_disabled_account_ends_the_sessions(clinic_server, engine, clinic, pg_url, capsys,
                                                                 monkeypatch):
    import io
    import sys

    from server.cli import main

    def cli(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        rc = main(["--database-url", pg_url, *args])
        capsys.readouterr()
        return rc

    with engine.begin() as conn:
        admin.create_therapist(conn, clinic, "gus", PASSWORD)
    p = Portal(clinic_server, "10.0.0.12")
    assert p.login("gus").status_code == 303
    assert cli("set-password", "--username", "gus", "--password-stdin", stdin="a brand new password\n") == 0
    assert p.c.get("/portal/patients").status_code == 401  # logged out everywhere
    assert p.login("gus").status_code == 401
    assert p.login("gus", "a brand new password").status_code == 303
    assert cli("disable-therapist", "--username", "gus") == 0
    assert p.c.get("/portal/patients").status_code == 401
    assert p.login("gus", "a brand new password").status_code == 401
    assert cli("disable-therapist", "--username", "gus", "--enable") == 0
    assert p.login("gus", "a brand new password").status_code == 303
    assert cli("set-password", "--username", "nobody", "--password-stdin", stdin="a brand new password\n") == 1
    p.close()


def _enroll(server, code: str, address: str) -> httpx.Response:
    return httpx.post(server.url + API + "/devices/enroll", headers={"X-Forwarded-For": address},
                      json={"code": code, "device_uid": str(uuid.uuid4()), "device_name": "kiosk"})


def test_enrolment_codes_are_limited_per_address(clinic_server, engine, clinic, pg_url, capsys, tmp_path):
    addr = "10.0.0.4"
    with engine.begin() as conn:
        good = admin.make_enrolment_code(conn, clinic)
    codes = [auth.new_enrolment_code() for _ in range(throttle.ENROL_ADDRESS.limit)]
    answers = [_enroll(clinic_server, c, addr) for c in codes]
    assert [r.status_code for r in answers] == [403] * 9 + [429]
    assert answers[-1].json()["detail"] == "Too many tries. Wait 5 minutes, or ask the clinic's administrator."
    assert 290 <= int(answers[-1].headers["retry-after"]) <= 301
    refused = _enroll(clinic_server, good, addr)  # locked: not even a right code is looked at
    assert refused.status_code == 429
    from game.records.sync import SyncError, enroll

    pc = httpx.Client(base_url=clinic_server.url + API, headers={"X-Forwarded-For": addr})
    with pytest.raises(SyncError) as told:  # the PC's Connect says the server's words, not "sync will try again"
        enroll(tmp_path, clinic_server.url, good, http=pc)
    pc.close()
    assert str(told.value) == "Too many tries. Wait 5 minutes, or ask the clinic's administrator."
    assert not told.value.retry
    assert _count(engine, "SELECT count(*) FROM enrolment_codes WHERE used_at IS NULL AND code_hash = :h",
                  h=auth.code_hash(good)) == 1
    from server.cli import main

    assert main(["--database-url", pg_url, "unlock", "--address", addr]) == 0
    capsys.readouterr()
    assert _enroll(clinic_server, good, addr).status_code == 201
    assert _failures(engine, throttle.ENROL_ADDRESS, addr) == 0  # the right code took its try back


def test_refusals_are_logged_without_the_secrets(clinic_server, engine, clinic):
    addr = "10.0.0.5"
    typed_password, typed_code = "Hunter2-never-logged", "ZQXW-VYTS"
    p = Portal(clinic_server, addr)
    assert p.login("fay", typed_password).status_code == 401
    assert p.login(typed_password, typed_password).status_code == 401  # a password typed as the username
    assert _enroll(clinic_server, typed_code, addr).status_code == 403
    with engine.begin() as conn:
        enrolled = admin.enroll_device(conn, admin.make_enrolment_code(conn, clinic), uuid.uuid4(), "old laptop")
        admin.revoke_device(conn, enrolled.device_id)
    for token in (enrolled.token, auth.new_token()):
        r = httpx.get(clinic_server.url + API + "/sync/changes", headers={"Authorization": f"Bearer {token}",
                                                                          "X-Forwarded-For": addr})
        assert r.status_code == 401
    assert p.c.post("/portal/logout", data={"csrf": "forged"}).status_code == 401  # no session: the login page
    p.login("fay")
    assert p.c.post("/portal/patients", data={"csrf": "forged", "display_name": "X"}).status_code == 403
    p.close()
    with engine.connect() as conn:
        fay = conn.execute(text("SELECT id FROM therapists WHERE username='fay'")).scalar_one()
    deadline = time.monotonic() + 60  # the server process writes its log as it goes; only a broken one takes this
    lines: list[str] = []
    while len(lines) < 6 and time.monotonic() < deadline:
        lines = [ln for ln in clinic_server.log_path.read_text(errors="replace").splitlines() if addr in ln]
        time.sleep(0.05)
    log = "\n".join(lines)
    assert f"login refused from {addr}: wrong password for therapist:{fay}" in log
    assert f"login refused from {addr}: wrong password for an unknown username" in log
    assert f"enrolment refused from {addr}: the code is not valid" in log
    assert f"sync refused from {addr}: device:{enrolled.device_id} is revoked" in log
    assert f"sync refused from {addr}: a token nobody holds" in log
    assert f"form refused from {addr}: /portal/patients without this session's token" in log
    whole = clinic_server.log_path.read_text(errors="replace")
    for secret in (typed_password, typed_code, typed_code.replace("-", ""), enrolled.token, p.session() or "-"):
        assert secret not in whole


# ------------------------------------------------------------------ the portal: headers, cookies, forms, sessions
def test_portal_pages_forbid_framing_inline_script_and_referrers(clinic_server, clinic):
    p = Portal(clinic_server, "10.0.0.6")
    pages = {"login": p.c.get("/portal/login")}
    assert p.login("ana").status_code == 303
    pages["patients"] = p.c.get("/portal/patients")
    pages["devices with a QR code"] = p.c.post("/portal/devices/code", data={"csrf": p.csrf()})
    pages["API"] = p.c.get(API + "/health")
    for name, r in pages.items():
        assert r.status_code == 200, name
        h = r.headers
        csp = {d.split()[0]: d.split()[1:] for d in h["content-security-policy"].split("; ")}
        assert csp["script-src"] == ["'self'"] and csp["default-src"] == ["'self'"], name  # no 'unsafe-inline'
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"], name
        assert h["x-frame-options"] == "DENY" and h["referrer-policy"] == "no-referrer", name
        assert h["x-content-type-options"] == "nosniff", name
        assert "strict-transport-security" not in h  # plain HTTP on 127.0.0.1: nothing to pin
        if name != "API":  # what the policy allows is all the pages use: no inline script, handler or style
            html = r.text
            assert "<svg" in html or name != "devices with a QR code"
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), name
            assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), name
            assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE), name
    p.close()


def test_every_post_route_of_the_portal_refuses_a_form_without_its_token(clinic_server, engine, clinic):
    from server.portal.views import router

    with engine.begin() as conn:
        patient = admin.create_patient(conn, clinic, "Ann Brown")
        dev = admin.enroll_device(conn, admin.make_enrolment_code(conn, clinic), uuid.uuid4(), "kiosk")
    mine, other = Portal(clinic_server, "10.0.0.7"), Portal(clinic_server, "10.0.0.7")
    mine.login("bo")
    other.login("cy")
    other_token = other.csrf()  # a real token, of another session
    posts = [r.path for r in router.routes if "POST" in r.methods and not r.path.endswith("/login")]
    assert len(posts) >= 7, posts
    for path in posts:
        url = path.replace("{uid}", str(patient)).replace("{device_id}", str(dev.device_id))
        for sent in ({}, {"csrf": ""}, {"csrf": other_token}):
            r = mine.c.post(url, data={**sent, "display_name": "Mallory", "language": "de", "action": "save"})
            assert r.status_code == 403 and "Nothing was changed" in r.text, (url, sent, r.status_code)
    assert _count(engine, "SELECT count(*) FROM patients WHERE display_name = 'Mallory'") == 0
    assert _count(engine, "SELECT count(*) FROM patients WHERE uid = :u AND NOT archived", u=patient) == 1
    assert _count(engine, "SELECT count(*) FROM devices WHERE id = :d AND NOT revoked", d=dev.device_id) == 1
    # The login form has its own token (no session yet): without it, no login.
    fresh = Portal(clinic_server, "10.0.0.7")
    r = fresh.c.post("/portal/login", data={"username": "bo", "password": PASSWORD})
    assert r.status_code == 400 and not fresh.session()
    for p in (mine, other, fresh):
        p.close()


def test_login_gives_a_new_session_id_and_ends_the_one_before(clinic_server, engine, clinic):
    p = Portal(clinic_server, "10.0.0.8")
    p.c.cookies.set(auth.COOKIE_NAME, "planted-by-someone-else", domain="127.0.0.1", path="/")
    assert p.login("dee").status_code == 303
    first = p.session()
    assert first and first != "planted-by-someone-else"
    assert p.login("dee").status_code == 303  # logging in again in the same browser
    second = p.session()
    assert second != first
    assert p.c.get("/portal/patients").status_code == 200
    replay = httpx.get(clinic_server.url + "/portal/patients", cookies={auth.COOKIE_NAME: first})
    assert replay.status_code == 401  # the session before this login has ended
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(auth.therapist_sessions)
                         .where(auth.therapist_sessions.c.token_hash == auth.token_hash(first))).scalar_one()
    assert n == 0
    p.close()


def test_logout_ends_the_session_on_the_server(clinic_server, engine, clinic):
    p = Portal(clinic_server, "10.0.0.9")
    p.login("ana")
    token = p.session()
    assert p.c.post("/portal/logout", data={"csrf": p.csrf()}).status_code == 303
    assert not p.session()  # the cookie is gone from the browser...
    replay = httpx.get(clinic_server.url + "/portal/patients", cookies={auth.COOKIE_NAME: token})
    assert replay.status_code == 401  # ...and a copy of it is worth nothing
    assert _count(engine, "SELECT count(*) FROM therapist_sessions WHERE token_hash = :h", h=auth.token_hash(token)) == 0
    p.close()


def _cookie_attrs(r: httpx.Response) -> dict[str, set[str]]:
    out = {}
    for raw in r.headers.get_list("set-cookie"):
        name = raw.split("=", 1)[0]
        out[name] = {a.strip().lower() for a in raw.split(";")[1:]}
    return out


def test_cookies_are_httponly_strict_and_secure_over_tls(clinic_server, clinic_server_factory, pg_url, clinic,
                                                         tmp_path):
    def check(p: Portal, secure: bool, via: str) -> None:
        page = p.c.get("/portal/login")
        nonce = CSRF_INPUT.search(page.text).group(1)
        # Sent by hand: this client speaks plain HTTP even where it plays the TLS proxy, and a
        # client keeps a Secure cookie to itself over plain HTTP.
        r = p.c.post("/portal/login", data={"csrf": nonce, "username": "bo", "password": PASSWORD},
                     headers={"Cookie": f"sq_login_csrf={nonce}"})
        assert r.status_code == 303, via
        cookies = {**_cookie_attrs(page), **_cookie_attrs(r)}
        assert {"sq_login_csrf", auth.COOKIE_NAME} <= set(cookies), via
        for name, attrs in cookies.items():
            if "max-age=0" in attrs:
                continue  # a cookie being removed
            assert "httponly" in attrs and "samesite=strict" in attrs, (via, name)
            assert ("secure" in attrs) == secure, (via, name)
        assert ("strict-transport-security" in r.headers) == secure, via

    tls = clinic_server_factory(pg_url, tls=True, cert_dir=tmp_path / "tls")
    portals = [Portal(tls, "10.0.0.10"), Portal(clinic_server, "10.0.0.10"), Portal(clinic_server, "10.0.0.10")]
    check(portals[0], True, "TLS")
    # Plain HTTP behind a TLS reverse proxy on this machine (it says so in X-Forwarded-Proto).
    portals[1].c.headers["X-Forwarded-Proto"] = "https"
    check(portals[1], True, "behind a TLS proxy")
    check(portals[2], False, "plain HTTP on 127.0.0.1 (tests)")
    for p in portals:
        p.close()
    tls.stop()


# ------------------------------------------------------------------ a PC revoked mid-sync
def test_a_pc_revoked_mid_sync_is_refused_at_once_and_the_staff_screen_says_what_to_do(
        tmp_path, clinic_server, engine, clinic):
    from game.records import sync
    from game.records.storage import DB_NAME
    from game.scenes.clinic_server import ClinicServerScene
    from game.scenes.staff import StaffMenuScene
    from tests.test_sync_e2e import bulk_session, pending, sent

    folder = tmp_path / "kiosk"
    kiosk = kiosk_app(folder, patients=("Gil Park",))  # the staff PIN and a patient; closed again below
    kiosk.shutdown()
    bulk_session(folder, "Gil Park", 120, at=time.time() - 3600)
    with engine.begin() as conn:
        code = admin.make_enrolment_code(conn, clinic)
    cfg = sync.enroll(folder, clinic_server.url, code, device_name="ward kiosk")
    therapist = Portal(clinic_server, "10.0.0.11")
    therapist.login("ana")
    revoke_form = therapist.csrf("/portal/devices")
    batches: list[int] = []

    def revoke_after_the_second_batch(resp: httpx.Response) -> None:
        if resp.request.url.path.endswith("/sync/records") and resp.status_code == 200:
            batches.append(resp.status_code)
            if len(batches) == 2:  # between two batches of one sync, as a therapist clicks Revoke
                r = therapist.c.post(f"/portal/devices/{cfg.device_id}/revoke", data={"csrf": revoke_form})
                assert r.status_code == 303

    http = sync._http(cfg.server, ca_file=None, token=cfg.token)
    http.event_hooks["response"] = [revoke_after_the_second_batch]
    client = sync.SyncClient(folder / DB_NAME, cfg, http=http, batch=20)
    with pytest.raises(sync.SyncError) as refused:
        client.sync_once()
    client.close()
    http.close()
    therapist.close()
    assert refused.value.status == 401 and not refused.value.retry
    assert len(batches) == 2  # the very next request was refused
    up = sent(folder)
    assert up > 0 and pending(folder) > 0  # two batches arrived; the rest stays on the PC
    stored = _count(engine, "SELECT count(*) FROM records WHERE device_id = :d", d=uuid.UUID(cfg.device_id))

    # The staff open Staff menu -> Clinic server on that PC.
    app = kiosk_app(folder, patients=())
    try:
        chord(app)
        type_text(app, PIN)
        key(app, pygame.K_RETURN)
        assert isinstance(app.top, StaffMenuScene)
        key(app, pygame.K_DOWN)
        key(app, pygame.K_RETURN)
        assert isinstance(app.top, ClinicServerScene)
        deadline = time.monotonic() + 60  # the screen's sync runs on a thread; only a broken one takes this
        while not (app.top.state or {}).get("last_error") and time.monotonic() < deadline:
            step(app)
            time.sleep(0.01)
        drawn: list[str] = []
        paragraph = app.canvas.paragraph
        app.canvas.paragraph = lambda words, *a, **kw: (drawn.append(words), paragraph(words, *a, **kw))[1]
        step(app)
        app.canvas.paragraph = paragraph
        assert any("no longer accepts this computer" in w and "Ask the therapist for a new code" in w
                   for w in drawn), drawn
        app.save_screenshot(tmp_path / "revoked.png")
    finally:
        app.shutdown()
    # The game's own background sync (started with the app) was refused too: nothing more arrived.
    assert _count(engine, "SELECT count(*) FROM records WHERE device_id = :d", d=uuid.UUID(cfg.device_id)) == stored
    assert sent(folder) == up
