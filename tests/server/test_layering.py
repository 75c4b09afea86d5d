"""The server is its own layer: it imports the records layer and the level models of
game/, never pygame; and the game runs without the server's packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_python(code: str) -> subprocess.CompletedProcess:
    """``code`` run by a fresh Python in the repository, its output captured."""
    return subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_the_server_never_imports_pygame():
    pytest.importorskip("fastapi")
    code = (
        "import sys\n"
        "import server.app, server.cli, server.sync, server.admin, server.auth, server.tls, server.testing\n"
        "app = server.app.create_app('postgresql+psycopg://nobody@/none?host=/nonexistent')\n"
        "assert server.admin.validate_program_yaml('name: x\\nexercises:\\n  - exercise: pinch\\n') == []\n"
        "bad = [m for m in sys.modules if m == 'pygame' or m.startswith('pygame.')]\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    r = _run_python(code)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_without_the_server_packages_the_command_says_how_to_add_them():
    # The [server] packages hidden (None in sys.modules: "not installed"), as on a plain install.
    code = (
        "import sys\n"
        "for m in ('fastapi', 'uvicorn', 'sqlalchemy', 'psycopg', 'alembic'):\n"
        "    sys.modules[m] = None\n"
        "from server.cli import main\n"
        "sys.exit(main(['migrate']))\n"
    )
    r = _run_python(code)
    assert r.returncode == 2
    assert "pip install 'squeeze-quest[server]'" in r.stderr


def test_main_py_serve_hands_over_to_the_server():
    pytest.importorskip("fastapi")
    r = subprocess.run([sys.executable, "main.py", "serve", "--help"], check=False, cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "--ssl-certfile" in r.stdout and "--self-signed" in r.stdout
    # Health data never crosses the network unencrypted: plain HTTP only on this machine.
    r = subprocess.run([sys.executable, "main.py", "serve", "--database-url", "postgresql://nobody@/none",
                        "--host", "0.0.0.0", "--plain-http"], check=False, cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "Plain HTTP is allowed only on this machine" in r.stderr
