import os

# Every test runs without a screen or a sound card.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# PostgreSQL and clinic-server fixtures (pg_cluster, pg_url, clinic_server, ...): tests/pg_fixtures.py
from tests.pg_fixtures import (  # noqa: E402,F401
    clinic_server, clinic_server_factory, engine, pg_cluster, pg_template, pg_url,
)

# The game's words in English whatever this machine's locale (game/i18n.py follows LANGUAGE/LANG
# when a patient has no language of their own); tests of other languages choose theirs, and each
# test starts in English again.
os.environ["LANGUAGE"] = "en"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _english_again_after_each_test():
    yield
    from game.i18n import set_language

    set_language("en")


# Threads, child processes and open files a test leaves behind: listed at the end of the report
# (never failing a test; see tests/leaks.py).
from tests.leaks import LeakWatch  # noqa: E402

_leaks = LeakWatch()


@pytest.fixture(autouse=True)
def _leak_watch(request):
    before = _leaks.snapshot()
    yield
    _leaks.after(request.node.nodeid, before)


_leak_lines: list[str] = []


def pytest_sessionfinish(session):
    # Before pytest prints its summary: the list is made once, and SQ_LEAKS=fail fails the run on it.
    _leak_lines[:] = _leaks.still_there()
    if _leak_lines and os.environ.get("SQ_LEAKS") == "fail" and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    lines = _leak_lines
    if lines:
        terminalreporter.section(f"left behind at the end of the run by {len(lines)} test(s) (tests/leaks.py)")
        for line in lines:
            terminalreporter.write_line(line)
        if os.environ.get("SQ_LEAKS") == "fail":
            terminalreporter.write_line("SQ_LEAKS=fail: the run fails because of what is listed above", red=True)
