"""Fixtures of the dashboard's browser tests.

``dashboard_server``: ``gex serve`` in a child process (:class:`tests.api.live.ServerProcess`)
over the demo market with its clock frozen on a Friday morning (10:00 New York: a same-day
expiry, and trades on the tape since the open) and the ``two_sessions`` snapshot store
(Thursday's close is the prior session, so ``/v1/exposure/oi-diff`` has rows), no API key,
cache TTL one hour (every page load and every check reads the same analyses).

``browser``: one headless Chromium per module (Debian's ``/usr/bin/chromium``; Playwright's
own browser download is not used), with the flags for running as root in a container.
``recorded``: a fresh browser context and page whose every request URL, request header set,
console error and page error is recorded (:class:`Recorded`). ``shoot`` writes a full-page
screenshot under a ``tmp_path``-based folder and copies it to ``$GEX_ARTIFACTS`` when set.

The pages' Content-Security-Policy forbids ``eval``: ``wait_for_function`` gets functions
(``"() => ..."``), never bare expressions (those Playwright evaluates with ``eval``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from tests.api.conftest import iso
from tests.api.live import FRIDAY, ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
LOAD_TIMEOUT_MS = 120_000

FIGURE_JS = """id => {
  const gd = document.getElementById(id);
  if (!gd || !gd.data) return null;
  return {
    data: gd.data.map(t => ({meta: t.meta ?? null, name: t.name ?? null, type: t.type,
                             x: Array.from(t.x), y: Array.from(t.y)})),
    shapes: (gd.layout.shapes || []).map(s => ({name: s.name ?? null, x0: s.x0, x1: s.x1})),
    meta: gd.layout.meta ?? null,
  };
}"""
"""A Plotly graph div's traces (meta, x, y), vertical lines (name, x0, x1) and layout meta."""


@dataclass
class Recorded:
    """A page and what it did: every request (URL and headers), console errors, page errors."""

    page: Page
    origin: str
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_request(self, request: Request) -> None:
        self.requests.append((request.url, dict(request.headers)))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.errors.append(f"console: {message.text} ({where})")

    def urls(self) -> list[str]:
        return [url for url, _ in self.requests]

    def foreign(self) -> list[str]:
        """Requested URLs outside the server's origin (none may leave it)."""
        return [url for url in self.urls() if not url.startswith(self.origin + "/")]

    def api(self, path: str) -> list[dict[str, list[str]]]:
        """The query parameters of every request to exactly ``path``."""
        return [parse_qs(urlsplit(url).query) for url in self.urls() if urlsplit(url).path == path]

    def wait_loads(self, count: int) -> None:
        """Until the page has finished ``count`` loads (body[data-loads], set by common.js)."""
        self.page.wait_for_function(
            "n => Number(document.body.dataset.loads || 0) >= n "
            "&& document.body.dataset.loading === 'false'",
            arg=count,
            timeout=LOAD_TIMEOUT_MS,
        )

    def figure(self, element_id: str) -> dict[str, Any]:
        found = self.page.evaluate(FIGURE_JS, element_id)
        assert found is not None, f"#{element_id} holds no Plotly figure"
        return found

    def clean(self, allowed: Callable[[str], bool] = lambda _: False) -> None:
        """No foreign request, and no console or page error but those ``allowed``."""
        assert self.foreign() == []
        assert [e for e in self.errors if not allowed(e)] == []


@pytest.fixture(scope="session")
def dashboard_server(two_sessions: Path) -> Iterator[ServerProcess]:
    env = {"GEX_DEMO_CLOCK": iso(FRIDAY), "GEX_STORE": str(two_sessions)}
    with ServerProcess(env=env, source="demo", ttl=3600.0) as server:
        yield server


@pytest.fixture(scope="session")
def api(dashboard_server: ServerProcess) -> Iterator[httpx.Client]:
    """An httpx client on the dashboard's server: what the endpoints answer."""
    with httpx.Client(base_url=dashboard_server.base_url, timeout=120.0) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def open_recorded(browser: Browser, origin: str, viewport: dict[str, int] = LAPTOP) -> Recorded:
    """A new context and page on ``browser``, recording from its first request."""
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    recorded = Recorded(page, origin)
    context.on("request", recorded.on_request)
    page.on("console", recorded.on_console)
    page.on("pageerror", lambda error: recorded.errors.append(f"page error: {error}"))
    return recorded


@pytest.fixture
def recorded(browser: Browser, dashboard_server: ServerProcess) -> Iterator[Recorded]:
    """A fresh laptop-sized page on the dashboard's server (its context closed after)."""
    page = open_recorded(browser, dashboard_server.base_url)
    try:
        yield page
    finally:
        page.page.context.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard-screenshots")


@pytest.fixture
def shoot(artifacts: Path) -> Callable[..., Path]:
    """``shoot(page, "name")``: a PNG of the whole page (``full_page=False``: of the
    viewport) as ``<tmp>/dashboard-screenshots*/name.png``, copied into ``$GEX_ARTIFACTS``
    when that is set."""

    def take(page: Page, name: str, full_page: bool = True) -> Path:
        path = artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > 0
        target = os.environ.get("GEX_ARTIFACTS")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, Path(target) / path.name)
        return path

    return take
