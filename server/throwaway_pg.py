"""A throwaway PostgreSQL cluster for tests, benchmarks and a developer's first look.

Made with the distribution's own ``initdb``/``pg_ctl`` in a temporary folder, listening
only on a Unix socket inside that folder (no TCP port, so nothing outside this machine
can reach it), and removed afterwards. ``initdb`` refuses to run as root, so as root the
cluster belongs to the ``postgres`` user (made by Debian's ``postgresql`` package) and its
commands run through ``runuser``.

Standard library only: ``.ci/run`` uses it before anything is pip-installed::

    eval "$(python3 -m server.throwaway_pg start /tmp/sq-pg)"   # prints export lines
    python3 -m server.throwaway_pg stop /tmp/sq-pg               # stops it and removes the folder
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ENV_URL = "SQ_TEST_DATABASE_URL"  # the cluster's maintenance database (postgres), SQLAlchemy form
ENV_BINDIR = "SQ_TEST_PG_BINDIR"
ENV_DATADIR = "SQ_TEST_PG_DATADIR"
ENV_USER = "SQ_TEST_PG_USER"  # who owns the cluster ("" = the current user)


def find_bindir() -> str | None:
    """The folder of initdb/pg_ctl: $SQ_TEST_PG_BINDIR, PATH, pg_config, or Debian's layout."""
    if os.environ.get(ENV_BINDIR):
        return os.environ[ENV_BINDIR]
    # Debian's /usr/lib/postgresql/N/bin first: /usr/bin holds only wrappers there.
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if found:
        return str(Path(found[0]).parent)
    initdb = shutil.which("initdb")
    if initdb:
        return str(Path(initdb).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], check=False, capture_output=True, text=True).stdout.strip()
        if out and Path(out, "initdb").exists():
            return out
    return None


@dataclass
class Cluster:
    bindir: str
    datadir: str
    user: str  # "" = the current user

    @property
    def socket_dir(self) -> str:
        return str(Path(self.datadir).parent / "sock")

    @property
    def superuser(self) -> str:
        return self.user or _current_user()

    def url(self, dbname: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3) for one database of this cluster."""
        return f"postgresql+psycopg://{self.superuser}@/{dbname}?host={self.socket_dir}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq connection string (for psycopg.connect)."""
        return f"host={self.socket_dir} user={self.superuser} dbname={dbname}"

    def _run(self, *args: str, check: bool = True, quiet: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(Path(self.bindir, args[0])), *args[1:]]
        if self.user and self.user != _current_user():
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL if quiet else None,
                              stderr=subprocess.PIPE, text=True)

    def pg_ctl(self, action: str, *extra: str) -> None:
        log = str(Path(self.datadir).parent / "postgres.log")
        try:
            self._run("pg_ctl", "-D", self.datadir, "-l", log, "-w", "-t", "60", action, *extra)
        except subprocess.CalledProcessError as exc:
            tail = Path(log).read_text(errors="replace")[-2000:] if Path(log).exists() else ""
            raise RuntimeError(f"pg_ctl {action} failed: {exc.stderr}\n{tail}") from exc

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", self.datadir, "-w", "-m", mode, "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        """pg_ctl restart (the chaos tests: connections are cut, committed data stays)."""
        self.pg_ctl("restart", "-m", mode)

    def env(self) -> dict[str, str]:
        return {ENV_URL: self.url(), ENV_BINDIR: self.bindir, ENV_DATADIR: self.datadir, ENV_USER: self.user}

    @classmethod
    def from_env(cls) -> Cluster | None:
        """The cluster CI started (its variables are exported), or None."""
        if not os.environ.get(ENV_URL) or not os.environ.get(ENV_DATADIR):
            return None
        return cls(os.environ.get(ENV_BINDIR) or find_bindir() or "", os.environ[ENV_DATADIR],
                   os.environ.get(ENV_USER, ""))


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _owner_for_root() -> str:
    import pwd

    try:
        pwd.getpwnam("postgres")
        return "postgres"
    except KeyError:
        raise RuntimeError("initdb refuses to run as root and there is no 'postgres' user: "
                           "install Debian's postgresql package (it makes one)") from None


def create(base: str | Path | None = None) -> Cluster:
    """initdb + start a cluster in ``base`` (made if missing; a new temp folder if None)."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) found: apt-get install postgresql")
    base = Path(base) if base else Path(tempfile.mkdtemp(prefix="sq-pg-"))
    base.mkdir(parents=True, exist_ok=True)
    user = _owner_for_root() if os.geteuid() == 0 else ""
    cluster = Cluster(bindir, str(base / "data"), user)
    Path(cluster.socket_dir).mkdir(exist_ok=True)
    if user:
        shutil.chown(base, user)
        shutil.chown(cluster.socket_dir, user)
    os.chmod(base, 0o700)
    os.chmod(cluster.socket_dir, 0o700)
    cluster._run("initdb", "-D", cluster.datadir, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
                 "-U", cluster.superuser)
    conf = Path(cluster.datadir, "postgresql.conf")
    # Only the socket in our 0700 folder; sized for 2 cores and short test runs.
    with conf.open("a") as f:
        f.write(f"\nlisten_addresses = ''\nunix_socket_directories = '{cluster.socket_dir}'\n"
                "max_connections = 200\nshared_buffers = 128MB\nmax_wal_size = 1GB\n"
                "checkpoint_timeout = 30min\nlog_min_messages = warning\nlogging_collector = off\n")
    cluster.start()
    return cluster


def destroy(cluster: Cluster) -> None:
    cluster.stop("immediate")
    shutil.rmtree(Path(cluster.datadir).parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("start", "stop"):
        print("usage: python -m server.throwaway_pg start|stop FOLDER", file=sys.stderr)
        return 2
    action, folder = args
    if action == "start":
        c = create(folder)
        for k, v in c.env().items():
            print(f"export {k}={shlex.quote(v)}")
        return 0
    bindir = find_bindir()
    owner = ""
    data = Path(folder, "data")
    if data.exists() and os.geteuid() == 0:
        import pwd

        owner = pwd.getpwuid(data.stat().st_uid).pw_name
    if bindir and data.exists():
        destroy(Cluster(bindir, str(data), owner))
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
