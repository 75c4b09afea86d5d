"""``main.py sync``: connect this PC to the clinic server, sync once, or show the state.

    main.py sync --server https://clinic.example:8443 --enroll ABCD-EFGH [--ca clinic-ca.pem]
    main.py sync            # send what is waiting, receive programs and patients; say what moved
    main.py sync --status   # connected to which server, records waiting, last sync
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from game.cli import subcommand
from game.i18n import N_, _


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help=_("folder of the records database (default: the user's data folder)"))
    p.add_argument("--server", help=_("the clinic server's address (https://...; http:// only to this computer)"))
    p.add_argument("--enroll", metavar="CODE", help=_("the one-time code from the therapist (with --server)"))
    p.add_argument("--ca", metavar="FILE", help=_("the clinic's certificate file, when its certificate is its own"))
    p.add_argument("--name", help=_("this computer's name on the server (default: its network name)"))
    p.add_argument("--status", action="store_true", help=_("show the server, the records waiting and the last sync"))


def _when(value: str | None) -> str:
    if not value:
        return _("never")
    return datetime.fromtimestamp(float(value)).strftime("%Y-%m-%d %H:%M")


@subcommand("sync", N_("connect this computer to the clinic server and send the records there"))(_add)
def run(ns: argparse.Namespace) -> int:
    from game.records import sync
    from game.records.storage import DB_NAME, Store, default_data_dir

    data_dir = Path(getattr(ns, "data_dir", None) or default_data_dir())
    db_path = data_dir / DB_NAME
    # Open (and upgrade) the records once, so the outbox exists even on a new computer.
    Store(db_path, background=False).close()
    try:
        if ns.enroll or ns.server:
            if not (ns.enroll and ns.server):
                print(_("main.py sync: to connect, give both --server URL and --enroll CODE"), file=sys.stderr)
                return 2
            cfg = sync.enroll(data_dir, ns.server, ns.enroll, ca_file=ns.ca, device_name=ns.name)
            print(_("Connected to {clinic} at {server}. The records will go there.").format(
                clinic=cfg.clinic_name or _("the clinic"), server=cfg.server))
            if ns.status:
                return 0
        if ns.status:
            st = sync.status(data_dir, db_path)
            if not st["enrolled"]:
                print(_("Not connected to a clinic server. Connect with: main.py sync --server URL --enroll CODE"))
            else:
                print(_("Clinic server: {server} ({clinic})").format(server=st["server"], clinic=st["clinic"] or "?"))
            print(_("Records waiting to be sent: {n}").format(n=st["pending"]))
            print(_("Records sent: {n}").format(n=st["sent"]))
            print(_("Last sync: {when}").format(when=_when(st["last_sync_at"])))
            if st["last_report"]:
                print(st["last_report"])
            if st["last_error"]:
                print(_("Last problem: {error}").format(error=st["last_error"]))
            return 0
        cfg = sync.SyncConfig.load(data_dir)
        if cfg is None:
            print(_("Not connected to a clinic server. Connect with: main.py sync --server URL --enroll CODE"),
                  file=sys.stderr)
            return 2
        client = sync.SyncClient(db_path, cfg)
        try:
            report = client.sync_once()
        finally:
            client.close()
        print(report.words())
        return 0
    except sync.SyncError as exc:
        print(f"main.py sync: {exc}", file=sys.stderr)
        return 1
