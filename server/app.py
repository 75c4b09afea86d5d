"""The clinic server's HTTP API (docs/clinic-server/API.md) as a FastAPI app.

Handlers that touch the database are plain ``def`` functions: FastAPI runs them in its
thread pool, and psycopg releases the GIL while it waits on PostgreSQL, so two cores
stay busy without an async driver. Request bodies may be gzip-compressed.

Every request goes through :class:`AccessLogMiddleware`: who (the device or therapist
the request was authorised as, else "anonymous"), what (method, path, status), when.
The log holds no bodies, no query strings and no names.

The therapist portal (``server/portal``, a package of its own) is added to the app if
it is there: its ``register(app)`` is called.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated

import orjson
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from server import admin, auth, db, refusals, sync, throttle
from server.auth import Device, require_device
from server.schema import access_log
from server.throttle import security

log = logging.getLogger("squeeze_quest.server")
access = logging.getLogger("squeeze_quest.server.access")

API = "/api/v1"
MAX_BODY = 64 * 1024 * 1024  # bytes once unzipped
DB_DOWN = "The clinic server cannot reach its database just now. Nothing was lost; try again in a minute."


# ------------------------------------------------------------------ access log
class AccessLogWriter:
    """Writes access-log rows in batches from a thread of its own (a request never waits
    on the log). Bounded: if the database is away for long, the oldest unwritten rows
    are dropped from the table (they are still in the server's own log output)."""

    def __init__(self, engine: Engine, max_pending: int = 50_000):
        self.engine = engine
        self.q: queue.Queue = queue.Queue(maxsize=max_pending)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def add(self, row: dict) -> None:
        try:
            self.q.put_nowait(row)
        except queue.Full:
            pass

    def _run(self) -> None:
        pending: list[dict] = []
        while not self._stop.is_set() or not self.q.empty() or pending:
            try:
                pending.append(self.q.get(timeout=0.5))
                while len(pending) < 1000:
                    pending.append(self.q.get_nowait())
            except queue.Empty:
                pass
            if not pending:
                continue
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(access_log), pending)
                pending = []
            except Exception:  # noqa: BLE001 - the database is away: keep them and try again
                if self._stop.is_set():
                    return
                pending = pending[-10_000:]
                self._stop.wait(1.0)

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


class AccessLogMiddleware:
    def __init__(self, app, writer_getter):
        self.app = app
        self.writer_getter = writer_getter

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            client = scope.get("client")
            row = {"at": datetime.now(timezone.utc), "actor": state.get("actor", "anonymous"),
                   "method": scope["method"], "path": scope["path"][:300], "status": status[0],
                   "client": client[0] if client else None,
                   "duration_ms": int((time.perf_counter() - start) * 1000)}
            access.info("%s %s %s %s %d %dms", row["client"], row["actor"], row["method"], row["path"], row["status"],
                        row["duration_ms"])
            writer = self.writer_getter()
            if writer is not None:
                writer.add(row)


def _too_many(locked: throttle.TooManyTries) -> HTTPException:
    return refusals.Refused(429, refusals.TOO_MANY_TRIES, locked.words(),
                            headers={"Retry-After": str(int(locked.wait.total_seconds()) + 1)})


# ------------------------------------------------------------------ security headers
# Every page's script and style are files of the server's own (server/portal/static): no
# inline script, no other site's, no framing. The API's own docs page (Swagger UI, from a
# CDN with an inline script) is left without the policy: it is for developers.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
HSTS = b"max-age=31536000"


class SecurityHeadersMiddleware:
    """The headers above on every answer; over TLS (or from a TLS proxy on this machine,
    which uvicorn believes about X-Forwarded-Proto) also HSTS, and every cookie Secure."""

    def __init__(self, app, no_csp_paths: tuple[str, ...] = ()):
        self.app = app
        self.no_csp_paths = no_csp_paths

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"
        csp = scope["path"] not in self.no_csp_paths

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"x-frame-options", b"referrer-policy")]
                if tls:
                    headers = [(k, _secure_cookie(v) if k.lower() == b"set-cookie" else v) for k, v in headers]
                    headers.append((b"strict-transport-security", HSTS))
                headers.extend(SECURITY_HEADERS)
                if csp:
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _secure_cookie(value: bytes) -> bytes:
    attrs = {a.strip().lower() for a in value.split(b";")[1:]}
    return value if b"secure" in attrs else value + b"; Secure"


# ------------------------------------------------------------------ bodies
async def read_body(request: Request) -> bytes:
    """The request body, gunzipped if sent with Content-Encoding: gzip (bounded size)."""
    raw = await request.body()
    enc = request.headers.get("content-encoding", "").strip().lower()
    if enc in ("", "identity"):
        if len(raw) > MAX_BODY:
            raise refusals.Refused(413, refusals.REQUEST_TOO_LARGE, "The request is too large.")
        return raw
    if enc != "gzip":
        raise refusals.Refused(415, refusals.REQUEST_INVALID,
                               f"Content-Encoding {enc!r} is not accepted; send gzip or nothing.")
    return await run_in_threadpool(_gunzip, raw)


def _gunzip(raw: bytes) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(raw, MAX_BODY + 1)
    except zlib.error:
        raise refusals.Refused(400, refusals.REQUEST_INVALID, "The request's gzip body is damaged.") from None
    if len(out) > MAX_BODY:
        raise refusals.Refused(413, refusals.REQUEST_TOO_LARGE, "The request is too large.")
    if not d.eof:
        raise refusals.Refused(400, refusals.REQUEST_INVALID, "The request's gzip body is cut short.")
    return out


# ------------------------------------------------------------------ models (for the OpenAPI description)
class Health(BaseModel):
    status: str
    schema_: int = Field(alias="schema")


class EnrollIn(BaseModel):
    code: str = Field(max_length=40)
    device_uid: uuid.UUID
    device_name: str = Field(max_length=200)


class EnrollOut(BaseModel):
    device_id: uuid.UUID
    token: str
    clinic_id: uuid.UUID
    clinic_name: str


class RecordIn(BaseModel):
    uid: str
    kind: str = Field(description="one of " + ", ".join(sync.RECORD_KINDS))
    patient_uid: str | None = None
    session_uid: str | None = None
    recorded_at: str = Field(description="ISO-8601 UTC")
    body: dict


class UploadIn(BaseModel):
    records: list[RecordIn] = Field(max_length=sync.MAX_RECORDS)


class UploadOut(BaseModel):
    stored: int
    duplicates: int
    acked: list[str]


def _body_doc(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema(
        ref_template="#/components/schemas/{model}")}}}}


# ------------------------------------------------------------------ the app
def create_app(database_url: str | None = None, engine: Engine | None = None, pool_size: int = 10,
               secure_cookies: bool = True, access_log_to_db: bool = True, max_uploads: int = 8,
               now: Callable[[], datetime] | None = None) -> FastAPI:
    """The clinic server app on ``database_url`` (or an engine). The schema must be migrated.
    ``now``: the portal's clock ("today" in each clinic's zone); default the real time."""
    if engine is None:
        engine = db.make_engine(database_url or db.url_from_env(), pool_size=pool_size)
    app = FastAPI(title="Squeeze Quest clinic server", version="1", openapi_url=f"{API}/openapi.json",
                  docs_url=f"{API}/docs", redoc_url=None)
    app.state.engine = engine
    app.state.secure_cookies = secure_cookies
    app.state.now = now
    app.state.access_writer = None

    @app.on_event("startup")
    def _start() -> None:
        if access_log_to_db:
            app.state.access_writer = AccessLogWriter(engine)

    @app.on_event("shutdown")
    def _stop() -> None:
        if app.state.access_writer is not None:
            app.state.access_writer.close()
        engine.dispose()

    app.add_middleware(SecurityHeadersMiddleware, no_csp_paths=(f"{API}/docs",))
    app.add_middleware(AccessLogMiddleware, writer_getter=lambda: app.state.access_writer)

    @app.exception_handler(sa_exc.OperationalError)
    @app.exception_handler(sa_exc.InterfaceError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def _db_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unreachable: %s", str(exc).splitlines()[0][:200])
        return JSONResponse(refusals.body(refusals.SERVER_UNAVAILABLE, DB_DOWN), status_code=503,
                            headers={"Retry-After": "5"})

    @app.exception_handler(sync.SyncError)
    async def _sync_error(request: Request, exc: sync.SyncError) -> JSONResponse:
        return JSONResponse(refusals.body(exc.code, exc.detail), status_code=exc.status)

    @app.exception_handler(refusals.Refused)
    async def _refused(request: Request, exc: refusals.Refused) -> JSONResponse:
        return JSONResponse(refusals.body(exc.code, exc.detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where}: {e.get('msg', 'not valid')}" if where else e.get("msg", "not valid"))
        return JSONResponse(refusals.body(refusals.REQUEST_INVALID, "The request is not valid: " + "; ".join(parts)),
                            status_code=422)

    @app.get(f"{API}/health", response_model=Health, tags=["health"])
    def health() -> dict:
        with engine.connect() as conn:
            rev = db.current_revision(conn)
        return {"status": "ok", "schema": db.schema_number(rev)}

    @app.post(f"{API}/devices/enroll", status_code=201, response_model=EnrollOut, tags=["devices"],
              openapi_extra=_body_doc(EnrollIn))
    async def enroll(request: Request) -> dict:
        raw = await read_body(request)
        try:
            body = EnrollIn.model_validate_json(raw)
        except ValueError as e:
            raise refusals.Refused(422, refusals.REQUEST_INVALID, "The enrolment request is not valid: send code, "
                                   "device_uid (a uid) and device_name.") from e
        return await run_in_threadpool(_enroll, body, auth.client_address(request))

    def _enroll(body: EnrollIn, address: str) -> dict:
        now = auth.utcnow()
        try:  # wrong codes from one address are limited (server/throttle.py); the code is never logged
            attempt = throttle.begin(engine, [(throttle.ENROL_ADDRESS, address)], now)
        except throttle.TooManyTries as locked:
            security.warning("enrolment refused from %s: too many wrong codes (locked for %d more min)", address,
                             locked.minutes)
            raise _too_many(locked) from None
        try:
            with engine.begin() as conn:
                e = admin.enroll_device(conn, body.code, body.device_uid, body.device_name, now=now)
                throttle.succeeded(conn, attempt)
        except admin.AdminError as err:
            locked = throttle.lock_set(attempt, now)
            reason = getattr(err, "reason", "unknown")
            security.warning("enrolment refused from %s: the code is not valid (%s)%s", address, reason,
                             f" (now locked for {locked.minutes} min)" if locked else "")
            code = {"used": refusals.ENROLMENT_CODE_USED, "expired": refusals.ENROLMENT_CODE_EXPIRED}.get(
                reason, refusals.ENROLMENT_CODE_UNKNOWN)
            raise (_too_many(locked) if locked else refusals.Refused(403, code, str(err))) from None
        log.info("device %s enrolled in clinic %s", e.device_id, e.clinic_id)
        return {"device_id": str(e.device_id), "token": e.token, "clinic_id": str(e.clinic_id),
                "clinic_name": e.clinic_name}

    # At most this many uploads are read and stored at once per process; the others wait
    # with their bodies still unread, so memory stays bounded however many PCs sync at once.
    upload_slots = asyncio.Semaphore(max_uploads)

    @app.post(f"{API}/sync/records", response_model=UploadOut, tags=["sync"], openapi_extra=_body_doc(UploadIn))
    async def upload(request: Request) -> Response:
        device = await run_in_threadpool(require_device, request)
        async with upload_slots:
            raw = await read_body(request)
            result = await run_in_threadpool(_upload, device, raw)
            del raw
        return Response(orjson.dumps(result), media_type="application/json")

    def _upload(device: Device, raw: bytes) -> dict:
        recs = sync.parse_batch(raw)
        return sync.store_batch(engine, device, recs)

    @app.get(f"{API}/sync/changes", tags=["sync"])
    def changes(device: Annotated[Device, Depends(require_device)], since: str = "") -> dict:
        return sync.changes(engine, device, since)

    _include_portal(app)
    return app


def _include_portal(app: FastAPI) -> None:
    import importlib.util

    if importlib.util.find_spec("server.portal") is None:
        return
    from server import portal

    register = getattr(portal, "register", None)
    if register is not None:
        register(app)


def log_to_stderr(level: str) -> None:
    """The server's own messages (refusals, the access log at "info") on its output, once."""
    logger = logging.getLogger("squeeze_quest.server")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False


def app_from_env() -> FastAPI:
    """The app uvicorn's workers build (``squeeze-quest-server serve`` sets the variables)."""
    log_to_stderr(os.environ.get("SQ_SERVER_LOG_LEVEL", "warning"))
    return create_app(db.url_from_env(), pool_size=int(os.environ.get("SQ_SERVER_POOL_SIZE", "10")),
                      secure_cookies=os.environ.get("SQ_SERVER_SECURE_COOKIES", "1") != "0",
                      max_uploads=int(os.environ.get("SQ_SERVER_MAX_UPLOADS", "8")))

