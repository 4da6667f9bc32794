"""The scan page in Chromium: the table is ``/v1/scan`` (with the flow direction of
``/v1/flow/summary``), its headers sort both ways, and each row links to its symbol page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from playwright.sync_api import Browser, Page

from tests.api.dashboard.conftest import PHONE, Recorded, open_recorded
from tests.api.live import ServerProcess

SCAN = "/dashboard/scan"

ROWS_JS = """() => Array.from(document.querySelectorAll('#scan-table tbody tr')).map(tr => {
  const row = {};
  for (const td of tr.querySelectorAll('td[data-key]')) row[td.dataset.key] = td.dataset.value ?? null;
  row.href = tr.querySelector('a').getAttribute('href');
  return row;
})"""


def _rows(page: Page) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = page.evaluate(ROWS_JS)
    return rows


def _number(raw: str | None) -> float | None:
    return None if raw is None else float(raw)


def _open(recorded: Recorded, path: str = SCAN) -> Page:
    recorded.page.goto(recorded.origin + path)
    recorded.wait_loads(1)
    return recorded.page


def test_the_table_is_the_scan_with_the_flow_direction(
    recorded: Recorded, api: httpx.Client, shoot: Callable[..., Path]
) -> None:
    page = _open(recorded)
    scan = api.get("/v1/scan").json()
    assert recorded.api("/v1/scan")[0] == {}  # every symbol of the source
    rows = _rows(page)
    assert [r["symbol"] for r in rows] == [r["symbol"] for r in scan["rows"]]  # server order
    assert len(rows) == scan["total"] > 1
    for shown, row in zip(rows, scan["rows"], strict=True):
        for key in ("underlying_price", "net_gex", "gamma_flip", "distance_to_flip_pct",
                    "call_wall", "put_wall", "zero_dte_pct"):  # fmt: skip
            assert _number(shown[key]) == row[key], (row["symbol"], key)
        assert shown["regime"] == row["regime"]
    directions = {r["symbol"]: r["flow_direction"] for r in rows}
    for symbol in ("SPX", "SPY"):
        flow = api.get(f"/v1/flow/summary/{symbol}").json()
        assert directions[symbol] == flow["flow_direction"]
    paths = [urlsplit(url).path for url in recorded.urls()]
    flows = [p for p in paths if p.startswith("/v1/flow/")]
    assert sorted(flows) == sorted(f"/v1/flow/summary/{quote(s, safe='')}" for s in directions)
    assert page.get_attribute("#as-of", "data-value") == scan["as_of"]
    shoot(page, "scan-laptop")
    recorded.clean()


def _sorted_by(page: Page, key: str) -> list[Any]:
    page.click(f'#scan-table th[data-key="{key}"] button')
    return [row[key] for row in _rows(page)]


def test_headers_sort_ascending_then_descending_with_blanks_last(recorded: Recorded) -> None:
    page = _open(recorded)
    for key in ("distance_to_flip_pct", "net_gex", "zero_dte_pct", "underlying_price"):
        up = [_number(v) for v in _sorted_by(page, key)]
        header = f'#scan-table th[data-key="{key}"]'
        assert page.get_attribute(header, "aria-sort") == "ascending"
        numbers = [v for v in up if v is not None]
        assert up == numbers + [None] * (len(up) - len(numbers))
        assert numbers == sorted(numbers), key
        down = [_number(v) for v in _sorted_by(page, key)]
        assert page.get_attribute(header, "aria-sort") == "descending"
        assert [v for v in down if v is not None] == sorted(numbers, reverse=True), key
    symbols = _sorted_by(page, "symbol")
    assert symbols == sorted(symbols)
    assert page.get_attribute('#scan-table th[data-key="net_gex"]', "aria-sort") == "none"
    assert _sorted_by(page, "symbol") == list(reversed(symbols))
    recorded.clean()


def test_each_row_links_to_its_symbol_page(recorded: Recorded) -> None:
    page = _open(recorded)
    rows = _rows(page)
    for row in rows:
        assert row["href"] == f"/dashboard/symbol/{quote(row['symbol'], safe='')}"
    target = "ES=F" if any(r["symbol"] == "ES=F" for r in rows) else rows[0]["symbol"]
    page.click(f'#scan-table tr[data-symbol="{target}"] a')
    page.wait_for_url(f"**/dashboard/symbol/{quote(target, safe='')}")
    recorded.wait_loads(1)
    assert page.inner_text("#symbol-title") == target
    escaped = quote(target, safe="")  # ES%3DF, as the SDKs send it
    assert recorded.api(f"/v1/exposure/summary/{escaped}") == [{"dealer_model": ["street"]}]
    assert page.get_attribute("#regime-badge", "data-regime") in (
        "positive_gamma",
        "negative_gamma",
    )
    recorded.clean()


def test_a_watchlist_scans_only_its_symbols(recorded: Recorded, api: httpx.Client) -> None:
    page = _open(recorded, f"{SCAN}?symbols=spy,SPX")
    assert recorded.api("/v1/scan") == [{"symbols": ["SPY,SPX"]}]
    scan = api.get("/v1/scan", params={"symbols": "SPY,SPX"}).json()
    assert [r["symbol"] for r in _rows(page)] == [r["symbol"] for r in scan["rows"]]
    assert page.input_value("#watchlist-input") == "SPY,SPX"
    recorded.clean()


def test_phone_width_scrolls_the_table_not_the_page(
    browser: Browser, dashboard_server: ServerProcess, shoot: Callable[..., Path]
) -> None:
    recorded = open_recorded(browser, dashboard_server.base_url, PHONE)
    try:
        page = _open(recorded)
        width, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width <= inner
        table, box = page.evaluate(
            "() => [document.getElementById('scan-table').scrollWidth,"
            " document.querySelector('.scroll').clientWidth]"
        )
        assert table > box  # the wide table scrolls inside its card
        shoot(page, "scan-phone")
        recorded.clean()
    finally:
        recorded.page.context.close()
