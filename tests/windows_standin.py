"""A Windows stand-in on Linux: the Unix-only modules cannot be imported, as on Windows.

Load it as a pytest plugin to run the suite so (``python -m pytest -p tests.windows_standin``):
tests marked ``posix_only`` are skipped, every other test must pass. Or import it first
thing in a process. Libraries that choose their own backend by platform (pyserial,
platformdirs, subprocess, getpass) never import these modules on Windows, so they are
imported before the block; after it, any import of a Unix-only module by the game, the
tests or the benchmarks fails as it would on Windows. With ``WINDOWS_STANDIN_OS=1`` the
Unix-only functions of ``os`` (geteuid, fchmod...) are removed too; pytest's own tmp_path
needs ``os.getuid`` on Linux, so the whole-suite run keeps them, and
tests/test_windows_standin.py checks the game, the imports and the collection without them.
"""

from __future__ import annotations

import importlib
import os
import sys

UNIX_ONLY_MODULES = ("pty", "tty", "termios", "fcntl", "resource", "grp", "pwd")
UNIX_ONLY_OS = ("geteuid", "getuid", "fchmod", "getloadavg")
PLATFORM_AWARE = ("subprocess", "getpass", "tempfile", "shutil", "platformdirs", "serial", "serial.tools.list_ports")


def install(os_functions: bool) -> None:
    for name in PLATFORM_AWARE:
        importlib.import_module(name)
    for name in UNIX_ONLY_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError, as on Windows
    if os_functions:
        for name in UNIX_ONLY_OS:
            if hasattr(os, name):
                delattr(os, name)


# The clinic server's tests run a throwaway PostgreSQL (initdb as the 'postgres' user, found
# with pwd): the server is deployed on Linux, its test harness is Unix-only.
POSTGRES_FIXTURES = frozenset({"pg_cluster", "pg_template", "pg_url", "clinic_server", "clinic_server_factory"})


def pytest_collection_modifyitems(config, items) -> None:  # noqa: ANN001, ARG001 - a pytest hook
    import pytest

    skip = pytest.mark.skip(reason="needs a Unix-only module (posix_only), skipped on the Windows stand-in")
    server = pytest.mark.skip(reason="needs the throwaway PostgreSQL of the clinic server's tests (Unix-only: "
                                     "the server runs on Linux), skipped on the Windows stand-in")
    for item in items:
        if item.get_closest_marker("posix_only"):
            item.add_marker(skip)
        elif POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(server)


install(os_functions=os.environ.get("WINDOWS_STANDIN_OS") == "1")
