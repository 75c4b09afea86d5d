"""A Windows stand-in on Linux: the Unix-only modules cannot be imported, and the Unix-only
functions of ``os`` are gone, as on Windows.

Load it as a pytest plugin (``python -m pytest -p tests.windows_standin``) or import it
first thing in a process. Libraries that choose their own backend by platform (pyserial,
subprocess, getpass) never import these modules on Windows, so they are imported before
the block; after it, any import of a Unix-only module by the game, the tests or the
benchmarks fails as it would on Windows. Tests that need one are marked ``posix_only``
and skip themselves (``pytest.importorskip``). Checked by tests/test_windows_standin.py.
"""

from __future__ import annotations

import importlib
import os
import sys

UNIX_ONLY_MODULES = ("pty", "tty", "termios", "fcntl", "resource", "grp", "pwd")
UNIX_ONLY_OS = ("geteuid", "getuid", "fchmod", "getloadavg")
PLATFORM_AWARE = ("subprocess", "getpass", "tempfile", "shutil", "platformdirs", "serial", "serial.tools.list_ports")


def install() -> None:
    for name in PLATFORM_AWARE:
        importlib.import_module(name)
    for name in UNIX_ONLY_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError, as on Windows
    for name in UNIX_ONLY_OS:
        if hasattr(os, name):
            delattr(os, name)


install()
