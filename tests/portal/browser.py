"""A real headless browser for the portal's tests: Debian's chromium driven by Playwright
(its own browser download is never used), and axe-core run inside each page.

- chromium: ``/usr/bin/chromium`` (``apt-get install chromium``; .ci/run installs it).
- axe-core: the npm package's ``axe.min.js``, from ``$SQ_AXE_JS`` or the cache .ci/run
  fills (``~/.cache/squeeze-quest/axe-core``).

Outside CI a missing piece skips the tests with the command that adds it; under CI
(``CI`` set) it fails them, so a CI run can never pass without the browser checks.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("SQ_CHROMIUM", "/usr/bin/chromium")
AXE_CACHE = Path.home() / ".cache" / "squeeze-quest" / "axe-core" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# How long a page may take to do what is awaited (load, an element, the focus): only a broken page takes this;
# a busy 2-core machine running chromium, the server and PostgreSQL at once takes seconds.
WAIT_MS = 60_000
# axe-core's rule sets for WCAG 2.0/2.1 A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI must run the browser tests)")
    pytest.skip(what)


def axe_js() -> Path:
    path = Path(os.environ.get("SQ_AXE_JS", AXE_CACHE))
    if not path.is_file():
        _missing(f"axe-core not found at {path}: npm install --prefix ~/.cache/squeeze-quest/axe-core axe-core@4")
    return path


class Browser:
    """One chromium with a fresh profile folder, removed on close."""

    def __init__(self) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            _missing("Playwright is not installed: pip install -e '.[test]'")
        if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
            _missing(f"no chromium at {CHROMIUM}: apt-get install chromium")
        self.profile = tempfile.mkdtemp(prefix="sq-chromium-")
        self._pw = sync_playwright().start()
        # A persistent context is how a user-data folder of our own is given: a fresh one per run.
        self.context = self._pw.chromium.launch_persistent_context(
            self.profile, executable_path=CHROMIUM, args=ARGS, headless=True, accept_downloads=True,
            viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="UTC")
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self._pw.stop()
            shutil.rmtree(self.profile, ignore_errors=True)


def axe_violations(page: Any, script: Path) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's driver rather than added as a <script>: the pages' own
        # Content-Security-Policy (script-src 'self') rightly refuses an inline script.
        page.evaluate(script.read_text(encoding="utf-8") + "\n;void 0")
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                           "resultTypes: ['violations']})", AXE_TAGS)
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> "
                     + "; ".join(n["target"][0] if n.get("target") else "?" for n in v["nodes"][:4])
                     for v in violations)
