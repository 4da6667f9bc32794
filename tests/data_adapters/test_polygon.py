"""Polygon/Massive: chain snapshot pages, index path, auth modes, failures, trades + NBBO."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import polars as pl
import pytest

from data_adapters import polygon
from data_adapters.base import TRADES_SCHEMA
from data_adapters.errors import (
    DataSourceError,
    InvalidSymbolError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
    UpstreamAuthError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)
from data_adapters.http import HttpConfig
from data_adapters.settings import Settings
from engine.chain import SCHEMA, validate
from engine.errors import EmptySnapshotError
from engine.flow.conditions import CONDITIONS
from tests.data_adapters.conftest import ServeFactory, fixture_bytes, json_reply
from tests.data_adapters.loopback import Reply

KEY = "pk_test_9f8e7d6c5b4a39281706"
NOW = datetime(2025, 12, 17, 17, 0, tzinfo=UTC)
SPY = "/v3/snapshot/options/SPY"
SPX = "/v3/snapshot/options/I:SPX"
CURSOR = "YXA9U1BZMjUxMjE5QzAwNjUwMDAwJmFzPSZsaW1pdD0y"
CONTRACT = "O:SPY251219C00650000"


def source_for(served, **kw) -> polygon.PolygonSource:
    kw.setdefault("strike_band", None)
    return polygon.PolygonSource(
        KEY, base_url=served.url, http=served.http, clock=lambda: NOW, **kw
    )


def spy_routes() -> dict:
    return {SPY: json_reply("polygon/spy_page1.json"),
            f"{SPY}?cursor={CURSOR}": json_reply("polygon/spy_page2.json")}  # fmt: skip


def row(frame: pl.DataFrame, contract: str) -> dict:
    return frame.filter(pl.col("contract") == contract).row(0, named=True)


def test_two_pages_with_bearer_auth(serve: ServeFactory) -> None:
    served = serve(spy_routes())
    snap = source_for(served).snapshot("spy")
    first, second = served.routes.requests
    assert first.query == {"limit": "250", "expiration_date.gte": "2025-12-17",
                           "expiration_date.lte": "2026-02-15"}  # fmt: skip
    assert second.path == SPY and second.query == {"cursor": CURSOR}
    assert all(s.headers["authorization"] == f"Bearer {KEY}" for s in served.routes.requests)
    assert (snap.underlying, snap.source, snap.spot) == ("SPY", "polygon", 653.35)
    assert snap.as_of == datetime(2025, 12, 17, 16, 59, 59, 990000, tzinfo=UTC)
    assert snap.fetched_at is None  # a quote time from the provider: no fetch time to keep
    frame = snap.frame
    assert dict(frame.schema) == dict(SCHEMA) and frame.height == 5
    call = row(frame, "SPY251219C00650000")
    assert (call["root"], call["strike"], call["is_call"]) == ("SPY", 650.0, True)
    assert (call["open_interest"], call["volume"], call["style"]) == (48211, 5231, "american")
    assert (call["bid"], call["ask"], call["last"], call["iv"]) == (11.35, 11.45, 11.4, 0.17)
    assert (call["vendor_delta"], call["vendor_gamma"]) == (0.612, 0.0121)
    assert call["settlement"] == datetime(2025, 12, 19, 21, 0, tzinfo=UTC)
    quiet = row(frame, "SPY251219P00640000")  # day {} and last_trade {}
    assert quiet["volume"] == 0 and math.isnan(quiet["last"]) and quiet["open_interest"] == 0
    bare = row(frame, "SPY251219P00650000")  # no greeks, no IV
    assert math.isnan(bare["iv"]) and math.isnan(bare["vendor_gamma"])
    adjusted = row(frame, "SPY1251219C00650000")
    assert (adjusted["root"], adjusted["multiplier"]) == ("SPY1", 10.0)
    checked = validate(snap)
    assert checked.excluded == {"unknown_right": 1}  # contract_type "other"
    assert checked.contracts_used == 4


def unstamped(name: str) -> Reply:
    """A single page of ``name`` without any ``last_updated`` of the underlying or quotes."""
    body = json.loads(fixture_bytes(name))
    body.pop("next_url", None)
    for result in body["results"]:
        for key in ("underlying_asset", "last_quote"):
            if isinstance(result.get(key), dict):
                result[key].pop("last_updated", None)
    return Reply(200, json.dumps(body).encode(), "application/json")


@pytest.mark.parametrize(
    ("symbol", "clock", "as_of"),
    [
        # Saturday: the clock is a fetch time, the quotes are Friday's close (16:15 for SPY)
        ("SPY", datetime(2025, 12, 13, 17, 0, tzinfo=UTC), datetime(2025, 12, 12, 21, 15)),
        ("AAPL", datetime(2025, 12, 13, 17, 0, tzinfo=UTC), datetime(2025, 12, 12, 21, 0)),
        # inside the session the clock is kept
        ("SPY", NOW, datetime(2025, 12, 17, 17, 0)),
    ],
)
def test_clock_fallback_is_a_fetch_time(
    serve: ServeFactory, symbol: str, clock: datetime, as_of: datetime
) -> None:
    served = serve({f"/v3/snapshot/options/{symbol}": unstamped("polygon/spy_page1.json")})
    source = polygon.PolygonSource(
        KEY, base_url=served.url, http=served.http, strike_band=None, clock=lambda: clock
    )
    snap = source.snapshot(symbol)
    assert snap.as_of == as_of.replace(tzinfo=UTC) and snap.fetched_at == clock
    assert snap.frame.height == 2  # the rows are read as before


def test_query_auth_is_added_to_every_page(serve: ServeFactory) -> None:
    served = serve(spy_routes())
    source_for(served, auth="query").snapshot("SPY")
    queries = [s.query for s in served.routes.requests]
    assert [q["apiKey"] for q in queries] == [KEY, KEY]
    assert queries[1] == {"cursor": CURSOR, "apiKey": KEY}
    assert all("authorization" not in s.headers for s in served.routes.requests)


def test_index_path_value_and_strike_band(serve: ServeFactory) -> None:
    served = serve({SPX: json_reply("polygon/spx_index.json")})
    snap = source_for(served, strike_band=0.25, max_dte=0).snapshot("SPX")
    probe, full = served.routes.requests
    assert probe.path == SPX and probe.query["limit"] == "1"
    assert full.query["strike_price.gte"] == "4509.225"
    assert full.query["strike_price.lte"] == "7515.375"
    assert "expiration_date.lte" not in full.query
    assert snap.spot == 6012.3
    frame = snap.frame
    assert set(frame["root"]) == {"SPX", "SPXW"} and set(frame["style"]) == {"european"}
    am, pm = row(frame, "SPX251219C06000000"), row(frame, "SPXW251219C06000000")
    assert (am["open_interest"], pm["open_interest"]) == (9120, 15230)
    assert am["settlement"] != pm["settlement"]
    assert validate(snap).contracts_used == 3


@pytest.mark.parametrize(
    ("reply", "error", "text", "status"),
    [
        (json_reply("polygon/error_401.json", 401), UpstreamAuthError, "Unknown API Key", 401),
        (Reply(403, b'{"status":"NOT_AUTHORIZED","request_id":"r","message":"You are not '
               b'entitled to this data."}'), UpstreamAuthError, "not entitled", 403),
        (Reply(500, b""), DataSourceError, "after 2 attempts", 500),
        (Reply(200, b"<!doctype html><title>Maintenance</title>", "text/html"),
         UpstreamInvalidError, "HTML page", None),
        (Reply(200, fixture_bytes("polygon/spy_page1.json")[:700]), UpstreamInvalidError,
         "invalid JSON", None),
        (Reply(200, b'{"status":"ERROR","request_id":"r","error":"bad cursor"}'),
         DataSourceError, "bad cursor", None),
        (Reply(200, b'{"status":"OK","results":{"a":1}}'), UpstreamInvalidError,
         "'results' is not a list", None),
        (Reply(200, b'[1, 2]'), UpstreamInvalidError, "not a JSON object", None),
        (json_reply("polygon/empty.json"), SymbolNotFoundError, "empty", None),
        (Reply(200, b"{}", delay=5.0), UpstreamTimeoutError, "timed out", None),
    ],
)  # fmt: skip
def test_failures_are_clear(serve: ServeFactory, reply, error, text, status) -> None:
    served = serve({SPY: reply}, timeout=0.2, max_attempts=2)
    with pytest.raises(error) as info:
        source_for(served, auth="query").snapshot("SPY")
    err = info.value
    assert type(err) is error
    assert text in err.message and err.provider == "polygon"
    if status:
        assert err.status == status
    assert KEY not in str(err) and KEY not in repr(err)


def test_empty_chain_with_strike_band(serve: ServeFactory) -> None:
    served = serve({SPY: json_reply("polygon/empty.json")})
    with pytest.raises(SymbolNotFoundError):
        source_for(served, strike_band=0.2).snapshot("SPY")


def test_rate_limited_then_served(serve: ServeFactory) -> None:
    limited = json_reply("polygon/error_429.json", 429, headers={"Retry-After": "12"})
    routes = spy_routes()
    routes[SPY] = [limited, routes[SPY]]
    served = serve(routes)
    assert source_for(served).snapshot("SPY").frame.height == 5
    assert served.sleeps == [12.0]


def test_page_two_failing_returns_nothing(serve: ServeFactory) -> None:
    routes = spy_routes()
    routes[f"{SPY}?cursor={CURSOR}"] = Reply(502, b"Bad Gateway", "text/plain")
    served = serve(routes)
    with pytest.raises(DataSourceError, match="after 4 attempts"):
        source_for(served).snapshot("SPY")


def test_no_history(serve: ServeFactory) -> None:
    served = serve({})
    with pytest.raises(NoHistoryError):
        source_for(served).snapshot("SPY", as_of=datetime(2025, 1, 2, tzinfo=UTC))
    assert served.routes.requests == []


def test_trades_with_nbbo(serve: ServeFactory) -> None:
    served = serve({
        f"/v3/trades/{CONTRACT}": json_reply("polygon/trades_page1.json"),
        f"/v3/trades/{CONTRACT}?cursor=YWN0aXZlPXRydWUmZGF0ZT0yMDI1":
            json_reply("polygon/trades_page2.json"),
        f"/v3/quotes/{CONTRACT}": json_reply("polygon/quotes.json"),
    })  # fmt: skip
    trades = source_for(served).trades("O:SPY251219C00650000", date(2025, 12, 17))
    first = served.routes.requests[0]
    assert first.query["timestamp.gte"] == "1765947600000000000"  # 00:00 New York
    assert first.query["timestamp.lt"] == "1766034000000000000"
    assert first.query["order"] == "asc" and first.query["limit"] == "50000"
    assert dict(trades.schema) == TRADES_SCHEMA and trades.height == 3
    assert trades["contract"].unique().to_list() == ["SPY251219C00650000"]
    assert trades["timestamp"][0] == datetime(2025, 12, 17, 14, 30, 0, 100000, tzinfo=UTC)
    # 209 auto-execution; no ids: a regular print; ISO + auto-execution: the sweep
    assert trades["condition"].to_list() == ["auto_execution", "regular", "intermarket_sweep"]
    assert trades["size"].to_list() == [2, 1, 10]
    assert trades["bid"].to_list() == [11.1, 11.15, 11.3]  # quote at or before each trade
    assert trades["ask"].to_list() == [11.3, 11.35, 11.5]


@pytest.mark.parametrize(
    ("trade", "condition"),
    [
        ({"conditions": [201]}, "cancelled"),
        ({"conditions": [209, 204]}, "late"),  # excluded conditions win
        ({"conditions": [232, 209]}, "multi_leg"),
        ({"conditions": [245]}, "stock_option"),
        ({"conditions": [228]}, "single_leg_auction"),
        ({"conditions": [999]}, "unknown"),
        ({"conditions": [999, 209]}, "auto_execution"),  # a known id names it
        ({"conditions": ["209"]}, "unknown"),  # not an id
        ({"conditions": 209}, "unknown"),
        ({"conditions": []}, "regular"),
        ({"conditions": [209], "correction": 1}, "corrected"),
        ({"conditions": [201], "correction": 1}, "cancelled"),
    ],
)
def test_condition_ids_are_canonical(trade: dict, condition: str) -> None:
    assert polygon._condition(trade) == condition
    assert set(polygon.POLYGON_CONDITIONS.values()) <= set(CONDITIONS)
    assert set(polygon.CONDITION_PRECEDENCE) == set(CONDITIONS)


def test_trades_without_prints_and_bad_symbol(serve: ServeFactory) -> None:
    served = serve({f"/v3/trades/{CONTRACT}": json_reply("polygon/empty.json")})
    trades = source_for(served).trades("SPY251219C00650000", date(2025, 12, 17))
    assert trades.is_empty() and dict(trades.schema) == TRADES_SCHEMA
    assert served.routes.paths() == [f"/v3/trades/{CONTRACT}"]  # no quotes needed
    with pytest.raises(DataSourceError, match="option contract"):
        source_for(served).trades("SPY", date(2025, 12, 17))


def test_create_reads_settings() -> None:
    env = {"GEX_POLYGON_API_KEY": KEY, "GEX_POLYGON_AUTH": "query"}
    config = {"sources": {"polygon": {"base_url": "https://api.polygon.io", "max_dte": 30}}}
    source = polygon.create(Settings("polygon", {"strike_band": 0.1}, env, config))
    assert (source.base_url, source.auth, source.max_dte) == ("https://api.polygon.io", "query", 30)
    assert source.strike_band == 0.1 and KEY not in repr(source)
    default = polygon.create(Settings("polygon", {"api_key": KEY}, {}, {}))
    assert (default.base_url, default.auth) == ("https://api.massive.com", "header")
    with pytest.raises(SourceConfigError, match="api_key"):
        polygon.create(Settings("polygon", {}, {}, {}))
    with pytest.raises(SourceConfigError, match="auth"):
        polygon.create(Settings("polygon", {"api_key": KEY, "auth": "cookie"}, {}, {}))


def vendor_source(body: bytes) -> polygon.PolygonSource:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    http = HttpConfig(transport=httpx.MockTransport(handler), sleep=lambda _: None)
    return polygon.PolygonSource(KEY, http=http, strike_band=None, clock=lambda: NOW)


def test_vendor_examples(shared_data: Path) -> None:
    samples = shared_data / "provider-samples"
    examples = json.loads((samples / "polygon_openapi_examples.json").read_text())
    chain = json.dumps(examples["/v3/snapshot/options/{underlyingAsset}"]).encode()
    snap = vendor_source(chain).snapshot("AAPL")
    (got,) = snap.frame.to_dicts()
    assert got["contract"] == "AAPL211022C000150000"  # the vendor's malformed ticker, kept
    assert (got["root"], got["strike"], got["expiration"]) == ("AAPL", 150.0, date(2022, 1, 21))
    assert (got["open_interest"], got["volume"], snap.spot) == (1543, 868, 147.0)
    mock = (samples / "polygon_v3_snapshot_options_AAPL.mock.json").read_bytes()
    (got,) = vendor_source(mock).snapshot("AAPL").frame.to_dicts()
    assert (got["contract"], got["iv"], got["bid"]) == (
        "AAPL230616C00150000",
        0.3570277203465058,
        28.9,
    )


ENTITLEMENT = json.dumps({
    "status": "NOT_AUTHORIZED", "request_id": "r",
    "message": "You are not entitled to this data. Please upgrade your plan at https://massive.com/pricing",
}).encode()  # fmt: skip


@pytest.mark.parametrize("band", [0.25, None])  # with the spot probe, and without
@pytest.mark.parametrize(
    ("reply", "error", "text"),
    [
        (Reply(200, ENTITLEMENT), UpstreamAuthError,
         "status NOT_AUTHORIZED: You are not entitled to this data"),
        (Reply(403, ENTITLEMENT), UpstreamAuthError, "You are not entitled to this data"),
        (Reply(200, b'{"status":"ERROR","error":"Your plan doesn\'t include this data timeframe."}'),
         UpstreamAuthError, "status ERROR: Your plan doesn't include this data timeframe."),
        (Reply(200, f'{{"status":"ERROR","error":"Unknown API Key {KEY}"}}'), UpstreamAuthError,
         "Unknown API Key ***"),
        (Reply(200, b'{"status":"ERROR","error":"You\'ve exceeded the maximum requests per '
               b'minute, please wait or upgrade your subscription to continue."}'),
         UpstreamRateLimitedError, "exceeded the maximum requests"),
        (Reply(200, b'{"status":"NOT_FOUND","message":"Ticker not found."}'),
         SymbolNotFoundError, "status NOT_FOUND: Ticker not found."),
        (Reply(200, b'{"status":{"code":7},"results":[]}'), UpstreamInvalidError,
         "status {'code': 7}"),
    ],
)  # fmt: skip
def test_status_error_bodies_are_the_providers_errors(
    serve: ServeFactory, band: float | None, reply: Reply, error: type, text: str
) -> None:
    served = serve({SPY: reply})
    with pytest.raises(DataSourceError) as info:
        source_for(served, strike_band=band).snapshot("SPY")
    err = info.value
    assert type(err) is error and text in err.message
    assert KEY not in str(err) and KEY not in repr(err)
    assert len(served.routes.requests) == 1 and served.sleeps == []


@pytest.mark.parametrize("symbol", ["..", "SPY?x=1", "SPY#frag", "SP Y", "", "ÅAPL"])
def test_bad_symbols_never_reach_the_provider(serve: ServeFactory, symbol: str) -> None:
    served = serve({})
    with pytest.raises(InvalidSymbolError):
        source_for(served).snapshot(symbol)
    assert served.routes.requests == []


def test_symbols_are_one_encoded_path_segment(serve: ServeFactory) -> None:
    served = serve({})
    with pytest.raises(SymbolNotFoundError):
        source_for(served).snapshot("bf/b")
    with pytest.raises(SymbolNotFoundError):
        source_for(served).snapshot("^spx")
    with pytest.raises(SymbolNotFoundError):
        source_for(served).snapshot("SPY/../../v1")  # in the grammar: stays one segment
    raw = [s.path for s in served.routes.requests]
    assert raw[1] == SPX
    if served.kind == "loopback":  # the wire shows the encoding; the mock decodes it
        assert raw[0] == "/v3/snapshot/options/BF%2FB"
        assert raw[2] == "/v3/snapshot/options/SPY%2F..%2F..%2FV1"
    else:
        assert raw[0] == "/v3/snapshot/options/BF/B"
        assert raw[2] == "/v3/snapshot/options/SPY/../../V1"  # decoded, not resolved


def test_wrong_types_in_rows_are_quarantined_not_raised(serve: ServeFactory) -> None:
    body = json.loads(fixture_bytes("polygon/spy_page1.json"))
    body.pop("next_url", None)
    body["results"][0]["details"] |= {"expiration_date": {"y": 2025}, "exercise_style": [1],
                                      "strike_price": "650", "contract_type": 7}  # fmt: skip
    body["results"][1]["open_interest"] = [1]
    body["results"][1]["last_quote"] = {"bid": "1.0", "ask": {"a": 1}, "last_updated": "x"}
    body["results"].append("not an object")
    served = serve({SPY: Reply(200, json.dumps(body))})
    snap = source_for(served).snapshot("SPY")
    assert snap.frame.height == 2 and snap.spot == 653.35
    first, second = snap.frame.sort("contract").to_dicts()
    assert first["expiration"] is None and first["strike"] is None and first["is_call"] is None
    assert second["open_interest"] is None and math.isnan(second["bid"])
    with pytest.raises(EmptySnapshotError, match="unknown_right"):  # quarantined with reasons
        validate(snap)


def test_probe_without_a_usable_spot_is_invalid_not_missing(serve: ServeFactory) -> None:
    body = {"status": "OK", "results": [{"underlying_asset": {"price": "653.35"}}]}
    served = serve({SPY: Reply(200, json.dumps(body))})
    with pytest.raises(UpstreamInvalidError, match="no underlying price"):
        source_for(served, strike_band=0.25).snapshot("SPY")


def test_create_reads_the_http_limits() -> None:
    env = {"GEX_POLYGON_API_KEY": KEY, "GEX_POLYGON_DEADLINE": "9"}
    source = polygon.create(Settings("polygon", {"max_body_bytes": 4096}, env, {}))
    assert (source._http.deadline, source._http.max_body_bytes) == (9.0, 4096)
    with pytest.raises(SourceConfigError, match="deadline"):
        polygon.create(Settings("polygon", {"api_key": KEY, "deadline": "-1"}, {}, {}))
