"""``squeeze-quest-server``: run and administer the clinic server.

    squeeze-quest-server migrate                      # create or update the database's tables
    squeeze-quest-server create-clinic "North Ward" [--timezone Europe/Berlin]
    squeeze-quest-server set-timezone "North Ward" America/Los_Angeles   # the portal's days
    squeeze-quest-server create-therapist --clinic "North Ward" --username ana
    squeeze-quest-server enrolment-code --clinic "North Ward"
    squeeze-quest-server list-devices [--clinic ...]
    squeeze-quest-server revoke-device DEVICE_ID
    squeeze-quest-server unlock --username ana        # after too many wrong passwords
    squeeze-quest-server set-password --username ana  # (their sessions end)
    squeeze-quest-server disable-therapist --username ana
    squeeze-quest-server serve --ssl-certfile cert.pem --ssl-keyfile key.pem

The database is named by ``DATABASE_URL`` (or ``--database-url``).
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import os
import sys
import uuid
from collections.abc import Sequence
from datetime import timedelta

from game.i18n import _, set_language
from game.translated_argparse import Parser
from server import missing_server_packages


def add_serve_arguments(s: argparse.ArgumentParser) -> None:
    """The options of ``serve`` (also ``python main.py serve``, game/commands/serve.py)."""
    s.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1; 0.0.0.0 for all)"))
    s.add_argument("--port", type=int, default=8443, help=_("port to listen on (default 8443)"))
    s.add_argument("--ssl-certfile", help=_("the server's certificate (PEM, with its chain)"))
    s.add_argument("--ssl-keyfile", help=_("the certificate's private key (PEM)"))
    s.add_argument("--self-signed", metavar="DIR", help=_("make (once) and use a self-signed CA and certificate in DIR; "
                                                          "give the PCs DIR/ca.pem"))
    s.add_argument("--hostname", action="append", default=[], help=_("a name or address the self-signed "
                                                                    "certificate is for (repeatable)"))
    s.add_argument("--plain-http", action="store_true", help=_("no TLS: only behind a TLS reverse proxy on this "
                                                               "machine, or on 127.0.0.1 for tests"))
    s.add_argument("--workers", type=int, default=int(os.environ.get("SQ_SERVER_WORKERS", "0")) or
                   min(2, os.cpu_count() or 1), help=_("server processes (default 2, or 1 on a one-core machine)"))
    s.add_argument("--pool-size", type=int, default=10, help=_("database connections per process"))
    s.add_argument("--no-migrate", action="store_true", help=_("do not update the database's tables at start"))


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="squeeze-quest-server", description=_("The Squeeze Quest clinic server."))
    p.add_argument("--database-url", help=_("PostgreSQL URL (default: $DATABASE_URL)"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    add_serve_arguments(sub.add_parser("serve", help=_("run the server (HTTPS)"), description=_("run the server (HTTPS)")))

    m = _command(sub, "migrate", _("create or update the database's tables"))
    m.add_argument("revision", nargs="?", default="head", help=_("target (default head)"))
    m.add_argument("--down", action="store_true", help=_("go down to the revision given (e.g. base)"))

    c = _command(sub, "create-clinic", _("add a clinic; prints its id"))
    c.add_argument("name", help=_("the clinic's name"))
    c.add_argument("--timezone", help=_zone_help())
    _command(sub, "list-clinics", _("list the clinics"))
    z = _command(sub, "set-timezone", _("the time zone the portal counts the clinic's days in"))
    z.add_argument("clinic", help=_("clinic name or id"))
    z.add_argument("timezone", help=_zone_help())

    t = _command(sub, "create-therapist", _("add a therapist login (asks for the password)"))
    t.add_argument("--clinic", required=True, help=_("clinic name or id"))
    t.add_argument("--username", required=True, help=_("the therapist's username"))
    t.add_argument("--name", help=_("name shown in the portal"))
    t.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))

    e = _command(sub, "enrolment-code", _("make a one-time code to enrol a PC"))
    e.add_argument("--clinic", required=True, help=_("clinic name or id"))
    e.add_argument("--hours", type=float, default=24, help=_("how long the code works (default 24)"))

    d = _command(sub, "list-devices", _("list enrolled PCs"))
    d.add_argument("--clinic", help=_("clinic name or id"))

    r = _command(sub, "revoke-device", _("stop a PC's token from working"))
    r.add_argument("device_id", help=_("the device's id (see list-devices)"))

    pw = _command(sub, "set-password", _("a therapist's new password (their sessions end; asks for it)"))
    pw.add_argument("--username", required=True, help=_("the therapist's username"))
    pw.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))

    dis = _command(sub, "disable-therapist", _("a therapist who left: no more logins, sessions end"))
    dis.add_argument("--username", required=True, help=_("the therapist's username"))
    dis.add_argument("--enable", action="store_true", help=_("let them log in again"))

    u = _command(sub, "unlock", _("end a lock after too many wrong passwords or codes"))
    u.add_argument("--username", help=_("the therapist's username"))
    u.add_argument("--address", help=_("the computer's address (logins and enrolment codes from it)"))
    return p


def _zone_help() -> str:
    return _("IANA time zone, e.g. Europe/Berlin (a new clinic's default: this server's)")


def _command(sub, name: str, words: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=words, description=words)


def main(argv: Sequence[str] | None = None) -> int:
    set_language(None)  # the administrator's words in the computer's language, as main.py's
    missing = missing_server_packages()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    from server import admin, db

    url = db.normalise_url(args.database_url) if args.database_url else db.url_from_env()
    if args.command == "serve":
        return _serve(args, url)
    engine = db.make_engine(url, pool_size=1, max_overflow=0)
    try:
        if args.command == "migrate":
            if args.down:
                db.downgrade(engine, args.revision)
            else:
                db.upgrade(engine, args.revision)
            with engine.connect() as conn:
                print(_("database schema: {revision}").format(revision=db.current_revision(conn) or _("empty")))
            return 0
        with engine.begin() as conn:
            return _admin(args, conn, admin)
    except admin.AdminError as err:
        print(err, file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _admin(args, conn, admin) -> int:
    if args.command == "create-clinic":
        print(admin.create_clinic(conn, args.name, timezone=args.timezone))
    elif args.command == "list-clinics":
        from sqlalchemy import select

        from server import zones
        from server.schema import clinics

        for row in conn.execute(select(clinics.c.id, clinics.c.name, clinics.c.settings).order_by(clinics.c.name)):
            print(f"{row.id}  {row.name}  ({zones.zone_name(row.settings)})")
    elif args.command == "set-timezone":
        print(admin.set_clinic_zone(conn, admin.find_clinic(conn, args.clinic), args.timezone))
    elif args.command == "create-therapist":
        clinic = admin.find_clinic(conn, args.clinic)
        password = _read_password(args, _("Password for the new therapist: "))
        if password is None:
            return 1
        print(admin.create_therapist(conn, clinic, args.username, password, args.name))
    elif args.command == "enrolment-code":
        clinic = admin.find_clinic(conn, args.clinic)
        code = admin.make_enrolment_code(conn, clinic, ttl=timedelta(hours=args.hours))
        print(code)
        print(_("Type this code on the PC (main.py sync --server URL --enroll {code}). "
                "It works once, for {hours} hours.").format(code=code, hours=f"{args.hours:g}"), file=sys.stderr)
    elif args.command == "list-devices":
        clinic = admin.find_clinic(conn, args.clinic) if args.clinic else None
        for d in admin.list_devices(conn, clinic):
            seen = d.last_seen_at.strftime("%Y-%m-%d %H:%M") if d.last_seen_at else _("never")
            state = _("REVOKED") if d.revoked else _("active")
            print(_("{id}  {state}  last seen {seen}  {clinic}: {name}").format(
                id=d.id, state=f"{state:7}", seen=seen, clinic=d.clinic, name=d.name))
    elif args.command == "revoke-device":
        try:
            device_id = uuid.UUID(args.device_id)
        except ValueError:
            print(_("That is not a device id; see them with: squeeze-quest-server list-devices"), file=sys.stderr)
            return 1
        admin.revoke_device(conn, device_id)
        print(_("revoked"))
    elif args.command == "set-password":
        tid = admin.find_therapist(conn, args.username)
        password = _read_password(args, _("New password: "))
        if password is None:
            return 1
        admin.set_password(conn, tid, password)
        from server import throttle

        throttle.unlock(conn, throttle.LOGIN_ACCOUNT, args.username.strip())
        print(_("password set; their sessions have ended"))
    elif args.command == "disable-therapist":
        admin.set_disabled(conn, admin.find_therapist(conn, args.username), not args.enable)
        print(_("enabled") if args.enable else _("disabled; their sessions have ended"))
    elif args.command == "unlock":
        from server import throttle

        if not (args.username or args.address):
            print(_("Give --username, --address or both."), file=sys.stderr)
            return 1
        ended = []
        if args.username:
            ended += [throttle.unlock(conn, throttle.LOGIN_ACCOUNT, args.username.strip())]
        if args.address:
            ended += [throttle.unlock(conn, rule, args.address.strip())
                      for rule in (throttle.LOGIN_ADDRESS, throttle.ENROL_ADDRESS)]
        print(_("unlocked") if any(ended) else _("nothing was locked"))
    return 0


def _read_password(args, prompt: str) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(prompt)
    if getpass.getpass(_("Again: ")) != password:
        print(_("The two passwords differ; nothing was changed."), file=sys.stderr)
        return None
    return password


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(args: argparse.Namespace) -> int:
    """Run the server with parsed ``serve`` options (and ``database_url``, or $DATABASE_URL)."""
    missing = missing_server_packages()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    from server import db

    url = db.normalise_url(args.database_url) if getattr(args, "database_url", None) else db.url_from_env()
    return _serve(args, url)


def _serve(args, url: str) -> int:
    import uvicorn

    from server import db

    certfile, keyfile = args.ssl_certfile, args.ssl_keyfile
    if args.self_signed:
        from server.tls import make_self_signed

        ca, certfile, keyfile = make_self_signed(args.self_signed, args.hostname or None)
        print(_("self-signed TLS: give the PCs {file}").format(file=ca), file=sys.stderr)
    if bool(certfile) != bool(keyfile):
        print(_("Give both --ssl-certfile and --ssl-keyfile."), file=sys.stderr)
        return 2
    if not certfile and not args.plain_http:
        print(_("The server sends health data: give it a certificate (--ssl-certfile and --ssl-keyfile, or "
                "--self-signed DIR), or --plain-http behind a TLS proxy."), file=sys.stderr)
        return 2
    if not certfile and not _is_loopback(args.host):
        print(_("Plain HTTP is allowed only on this machine (--host 127.0.0.1), behind a TLS proxy."), file=sys.stderr)
        return 2
    if not args.no_migrate:
        engine = db.make_engine(url, pool_size=1, max_overflow=0)
        db.upgrade(engine)
        engine.dispose()
    os.environ["DATABASE_URL"] = url
    os.environ["SQ_SERVER_POOL_SIZE"] = str(args.pool_size)
    # glibc gives each thread its own malloc arena; with uploads of megabytes on many
    # threads the process keeps growing. Two arenas keep its memory flat. (Read by the
    # worker processes uvicorn starts; the first process is already running.)
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    os.environ["SQ_SERVER_SECURE_COOKIES"] = "1" if certfile else "0"
    uvicorn.run("server.app:app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
                ssl_certfile=str(certfile) if certfile else None, ssl_keyfile=str(keyfile) if keyfile else None,
                log_level=os.environ.get("SQ_SERVER_LOG_LEVEL", "warning"), access_log=False,
                timeout_graceful_shutdown=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
