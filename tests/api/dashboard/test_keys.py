"""The dashboard on a server with API keys (``live_server``: two keys, cache TTL one hour):
the key prompt, the key kept in localStorage and sent as ``X-Api-Key`` on every fetch, a
refused stored key, and the auto-refresh on the server's cache TTL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser

from tests.api.conftest import KEY
from tests.api.dashboard.conftest import Recorded, open_recorded
from tests.api.live import ServerProcess

STORAGE = "gex-dashboard-api-key"


def _refused(error: str) -> bool:
    """The browser logs every 401 answer as a console error: those are expected here."""
    return "status of 401" in error


@pytest.fixture
def keyed(browser: Browser, live_server: ServerProcess) -> Iterator[Recorded]:
    recorded = open_recorded(browser, live_server.base_url)
    try:
        yield recorded
    finally:
        recorded.page.context.close()


def _api_requests(recorded: Recorded, start: int = 0) -> list[tuple[str, dict[str, str]]]:
    return [(u, h) for u, h in recorded.requests[start:] if urlsplit(u).path.startswith("/v1/")]


def test_the_pages_need_no_key_but_the_data_does(live_server: ServerProcess) -> None:
    with httpx.Client(base_url=live_server.base_url, timeout=60.0) as http:
        assert http.get("/", follow_redirects=False).status_code == 404  # keys: no redirect
        assert http.get("/dashboard/symbol/SPX").status_code == 200
        assert http.get("/dashboard/static/common.js").status_code == 200
        config = http.get("/dashboard/config.json").json()
        assert config == {"cache_ttl": 3600.0, "keys_required": True, "key_header": "X-Api-Key"}
        assert http.get("/v1/exposure/summary/SPX").status_code == 401


def test_the_key_prompt_stores_the_key_and_every_fetch_sends_it(
    keyed: Recorded, shoot: Callable[..., Path]
) -> None:
    page = keyed.page
    page.goto(keyed.origin + "/dashboard/symbol/SPX")
    page.wait_for_selector("#key-prompt", state="visible")
    assert _api_requests(keyed) == []  # nothing is asked before a key is given
    shoot(page, "key-prompt", full_page=False)  # the prompt covers the viewport

    page.fill("#key-input", "not-the-key")
    page.click("#key-submit")
    page.wait_for_function(
        "() => document.getElementById('key-error').textContent.includes('refused')"
    )
    assert page.is_visible("#key-prompt")
    assert page.evaluate("k => localStorage.getItem(k)", STORAGE) is None
    start = len(keyed.requests)

    page.fill("#key-input", KEY)
    page.click("#key-submit")
    keyed.wait_loads(1)
    assert page.is_hidden("#key-prompt")
    assert page.evaluate("k => localStorage.getItem(k)", STORAGE) == KEY
    sent = _api_requests(keyed, start)
    assert len(sent) >= 10
    for url, headers in sent:
        assert headers.get("x-api-key") == KEY, url
        assert KEY not in url  # never in a URL (logs, history, referrers)
    assert page.get_attribute("#regime-badge", "data-regime") != "unknown"
    assert page.inner_text("#key-button") == "Change key"
    keyed.clean(allowed=_refused)


def test_a_stored_key_is_reused_and_the_page_refreshes_on_the_cache_ttl(
    keyed: Recorded,
) -> None:
    page = keyed.page
    page.add_init_script(f"window.localStorage.setItem({STORAGE!r}, {KEY!r})")
    page.clock.install()
    page.goto(keyed.origin + "/dashboard/scan")
    keyed.wait_loads(1)
    assert page.is_hidden("#key-prompt")
    assert page.inner_text("#refresh-period") == "3600 s"
    assert len(keyed.api("/v1/scan")) == 1
    page.clock.fast_forward(3_590_000)  # ten seconds short of the TTL: nothing
    page.wait_for_timeout(300)
    assert len(keyed.api("/v1/scan")) == 1
    page.clock.fast_forward(20_000)
    keyed.wait_loads(2)
    assert len(keyed.api("/v1/scan")) == 2
    assert all(h.get("x-api-key") == KEY for _, h in _api_requests(keyed))
    keyed.clean()


def test_a_refused_stored_key_brings_the_prompt_back_and_the_page_then_loads(
    keyed: Recorded,
) -> None:
    page = keyed.page
    page.add_init_script(f"window.localStorage.setItem({STORAGE!r}, 'revoked-key')")
    page.goto(keyed.origin + "/dashboard/symbol/SPX")
    page.wait_for_selector("#key-prompt", state="visible")
    assert "refused" in page.inner_text("#key-message")
    start = len(keyed.requests)
    page.fill("#key-input", KEY)
    page.click("#key-submit")
    keyed.wait_loads(1)
    assert page.is_hidden("#key-prompt")
    retried = _api_requests(keyed, start)
    assert retried and all(h.get("x-api-key") == KEY for _, h in retried)
    assert keyed.api("/v1/exposure/summary/SPX")  # asked again, with the new key
    assert page.is_hidden("#error-banner")
    assert page.get_attribute("#regime-badge", "data-regime") != "unknown"
    keyed.clean(allowed=_refused)
