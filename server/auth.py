"""Who is asking: therapists (password, then a cookie session) and devices (a bearer token).

For the portal: :func:`attempt_login` checks a username and password within the limits on
guessing (server/throttle.py) and starts a new session (:func:`login` is the same check
without the limits, for tools and tests);
:func:`set_session_cookie` puts it on the response; :func:`require_therapist` is the
FastAPI dependency for every portal page (401 without a live session);
:func:`logout` ends it. Sessions expire after ``SESSION_IDLE`` without a request and
``SESSION_MAX`` after login whatever happens.

Passwords are hashed with Argon2id (argon2-cffi, the game's staff PIN uses it too).
Tokens and session ids are 256-bit random values; the database keeps only their
SHA-256, so a copy of the database cannot be used to log in or to upload.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request, Response
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from server import refusals, throttle
from server.schema import devices, therapist_sessions, therapists
from server.throttle import security

COOKIE_NAME = "sq_session"
SESSION_IDLE = timedelta(hours=8)
SESSION_MAX = timedelta(hours=24)
DEVICE_SEEN_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often per device

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both refusals take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

LOGIN_REFUSED = "The username or password is not right. Check them and try again."


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ therapists
@dataclass(frozen=True)
class Therapist:
    id: uuid.UUID
    clinic_id: uuid.UUID
    username: str
    display_name: str


def _therapist(row) -> Therapist:
    return Therapist(row.id, row.clinic_id, row.username, row.display_name)


def check_password(conn: Connection, username: str, password: str) -> Therapist | None:
    """The therapist if the username and password match (and the account is enabled)."""
    row = conn.execute(select(therapists).where(therapists.c.username == username.strip())).first()
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row.password_hash, password) or row.disabled:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        conn.execute(update(therapists).where(therapists.c.id == row.id).values(password_hash=hash_password(password)))
    return _therapist(row)


def start_session(conn: Connection, therapist_id: uuid.UUID, now: datetime | None = None) -> str:
    """A new session for the therapist; returns the cookie value (kept only as a hash)."""
    now = now or utcnow()
    token = new_token()
    conn.execute(therapist_sessions.insert().values(token_hash=token_hash(token), therapist_id=therapist_id,
                                                    created_at=now, last_seen_at=now, expires_at=now + SESSION_MAX))
    return token


def login(conn: Connection, username: str, password: str, now: datetime | None = None) -> tuple[Therapist, str] | None:
    """(therapist, session token) for a right username and password, else None."""
    t = check_password(conn, username, password)
    if t is None:
        return None
    return t, start_session(conn, t.id, now)


class LoginRefused(Exception):
    """A wrong username or password (LOGIN_REFUSED says so)."""


def attempt_login(engine: Engine, username: str, password: str, address: str | None, old_token: str | None = None,
                  now: datetime | None = None) -> tuple[Therapist, str]:
    """A login from the portal, with the limits on guessing (server/throttle.py): the
    therapist and a new session token; LoginRefused, or throttle.TooManyTries when the
    account or the address has had too many wrong tries (the password is then not checked).

    The session this browser had before (``old_token``) ends: a new id at every login, so a
    session id planted in a browser beforehand is worth nothing. Every refusal is logged
    (the account's id if the username is one, never what was typed)."""
    now = now or utcnow()
    name, address = username.strip(), address or "unknown"
    try:
        attempt = throttle.begin(engine, [(throttle.LOGIN_ACCOUNT, name), (throttle.LOGIN_ADDRESS, address)], now)
    except throttle.TooManyTries as e:
        security.warning("login refused from %s: too many tries (%s locked for %d more min)", address, e.rule.name,
                         e.minutes)
        raise
    with engine.begin() as conn:
        t = check_password(conn, name, password)
        if t is None:
            known = conn.execute(select(therapists.c.id).where(therapists.c.username == name)).scalar()
            locked = throttle.lock_set(attempt, now)
            security.warning("login refused from %s: wrong password for %s%s", address,
                             f"therapist:{known}" if known else "an unknown username",
                             f" ({locked.rule.name} now locked for {locked.minutes} min)" if locked else "")
            if locked:
                raise locked
            raise LoginRefused()
        throttle.succeeded(conn, attempt, clear=[throttle.LOGIN_ACCOUNT])
        logout(conn, old_token)
        return t, start_session(conn, t.id, now)


def session_therapist(conn: Connection, token: str | None, now: datetime | None = None) -> Therapist | None:
    """The therapist of a live session (and the session's idle clock restarts), else None."""
    if not token:
        return None
    now = now or utcnow()
    h = token_hash(token)
    row = conn.execute(
        select(therapists, therapist_sessions.c.last_seen_at, therapist_sessions.c.expires_at)
        .join(therapist_sessions, therapist_sessions.c.therapist_id == therapists.c.id)
        .where(therapist_sessions.c.token_hash == h)).first()
    if row is None:
        return None
    if row.disabled or now >= row.expires_at or now - row.last_seen_at >= SESSION_IDLE:
        conn.execute(therapist_sessions.delete().where(therapist_sessions.c.token_hash == h))
        return None
    conn.execute(update(therapist_sessions).where(therapist_sessions.c.token_hash == h).values(last_seen_at=now))
    return _therapist(row)


def logout(conn: Connection, token: str | None) -> None:
    if token:
        conn.execute(therapist_sessions.delete().where(therapist_sessions.c.token_hash == token_hash(token)))


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(COOKIE_NAME, token, max_age=int(SESSION_MAX.total_seconds()), httponly=True, secure=secure,
                        samesite="strict", path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")


def set_actor(request: Request, actor: str) -> None:
    """Name who made this request for the access log ("therapist:<id>", "device:<id>")."""
    request.state.actor = actor


def require_therapist(request: Request) -> Therapist:
    """FastAPI dependency for portal pages: the logged-in therapist, or 401."""
    engine = request.app.state.engine
    with engine.begin() as conn:
        t = session_therapist(conn, request.cookies.get(COOKIE_NAME))
    if t is None:
        raise HTTPException(401, "Please log in again: your session has ended.")
    set_actor(request, f"therapist:{t.id}")
    return t


# ------------------------------------------------------------------ devices
@dataclass(frozen=True)
class Device:
    id: uuid.UUID
    clinic_id: uuid.UUID
    name: str


def device_for_token(conn: Connection, token: str, now: datetime | None = None) -> Device | None:
    """The enrolled, not revoked device holding this token, else None."""
    now = now or utcnow()
    row = conn.execute(select(devices.c.id, devices.c.clinic_id, devices.c.name, devices.c.revoked,
                              devices.c.last_seen_at).where(devices.c.token_hash == token_hash(token))).first()
    if row is None or row.revoked:
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= DEVICE_SEEN_EVERY:
        conn.execute(update(devices).where(devices.c.id == row.id).values(last_seen_at=now))
    return Device(row.id, row.clinic_id, row.name)


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def client_address(request: Request) -> str:
    """The peer's address (behind a reverse proxy on this machine: the address it was asked
    from, as uvicorn takes X-Forwarded-For from 127.0.0.1)."""
    return request.client.host if request.client else "unknown"


def require_device(request: Request) -> Device:
    """FastAPI dependency for the sync API: the device of the bearer token, or 401."""
    token = bearer_token(request)
    if token is None:
        security.warning("sync refused from %s: no token", client_address(request))
        raise refusals.Refused(401, refusals.DEVICE_NOT_ENROLLED, "This computer is not enrolled with the clinic "
                               "server. Enrol it with a code from your therapist.", headers={"WWW-Authenticate": "Bearer"})
    with request.app.state.engine.begin() as conn:
        d = device_for_token(conn, token)
        gone = None if d else conn.execute(select(devices.c.id)
                                           .where(devices.c.token_hash == token_hash(token))).scalar()
    if d is None:
        security.warning("sync refused from %s: %s", client_address(request),
                         f"device:{gone} is revoked" if gone else "a token nobody holds")
        raise refusals.Refused(401, refusals.DEVICE_REVOKED if gone else refusals.DEVICE_UNKNOWN,
                               "This computer's access to the clinic server has ended. Ask your therapist for a new "
                               "enrolment code.", headers={"WWW-Authenticate": "Bearer"})
    set_actor(request, f"device:{d.id}")
    return d


# ------------------------------------------------------------------ enrolment codes
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 8


def new_enrolment_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return token_hash("enrol:" + normalise_code(code))
