"""ThetaData terminal: v3 CSV snapshots, v2 JSON fallback, statuses 47x/57x, trade_quote."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import polars as pl
import pytest

from data_adapters import thetadata
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
from data_adapters.http import HttpConfig, UnreachableError
from data_adapters.settings import Settings
from data_adapters.thetadata_v2 import THETADATA_CONDITIONS, condition_expr
from engine.chain import SCHEMA, validate
from engine.flow.conditions import CONDITIONS
from tests.data_adapters.conftest import ServeFactory, csv_reply, fixture_bytes, json_reply
from tests.data_adapters.loopback import Reply, closed_port_url

NO_DATA = Reply(472, b":No data for the specified timeframe & contract.", "text/plain")
SNAP = "/v3/option/snapshot"
BULK = "/v2/bulk_snapshot/option"


def v3_routes() -> dict:
    routes = {
        f"{SNAP}/{req}?symbol=SPXW": csv_reply(f"thetadata/v3/{name}_SPXW.csv")
        for req, name in [("quote", "quote"), ("open_interest", "open_interest"),
                          ("ohlc", "ohlc"), ("greeks/all", "greeks")]
    }  # fmt: skip
    routes |= {
        f"{SNAP}/quote?symbol=SPX": csv_reply("thetadata/v3/quote_SPX.csv"),
        f"{SNAP}/open_interest?symbol=SPX": csv_reply("thetadata/v3/open_interest_SPX.csv"),
        f"{SNAP}/ohlc?symbol=SPX": NO_DATA,
        f"{SNAP}/greeks/all?symbol=SPX": NO_DATA,
        "/v3/index/snapshot/price": csv_reply("thetadata/v3/index_price_SPX.csv"),
    }
    return routes


def v2_routes() -> dict:
    routes = {
        f"{BULK}/quote?root=SPXW": json_reply("thetadata/v2/quote_SPXW_page1.json"),
        "/v2/page/6f1c2b": json_reply("thetadata/v2/quote_SPXW_page2.json"),
        "/v2/snapshot/index/price": json_reply("thetadata/v2/index_price_SPX.json"),
        f"{BULK}/quote?root=SPX": NO_DATA,
        f"{BULK}/open_interest?root=SPX": NO_DATA,
        f"{BULK}/ohlc?root=SPX": NO_DATA,
        f"{BULK}/greeks?root=SPX": NO_DATA,
        f"{BULK}/greeks_second_order?root=SPX": NO_DATA,
    }
    for req in ("open_interest", "ohlc", "greeks", "greeks_second_order"):
        routes[f"{BULK}/{req}?root=SPXW"] = json_reply(f"thetadata/v2/{req}_SPXW.json")
    return routes


def source_for(served, version: str = "v3", **kw) -> thetadata.ThetaDataSource:
    return thetadata.ThetaDataSource(version=version, base_url=served.url, http=served.http, **kw)


def row(frame: pl.DataFrame, contract: str) -> dict:
    return frame.filter(pl.col("contract") == contract).row(0, named=True)


def test_v3_spx_snapshot(serve: ServeFactory) -> None:
    served = serve(v3_routes())
    snap = source_for(served).snapshot("SPX")
    quote = served.routes.requests[0]
    assert quote.path == f"{SNAP}/quote"
    assert quote.query == {"symbol": "SPX", "expiration": "*", "format": "csv"}
    assert (snap.underlying, snap.source, snap.spot) == ("SPX", "thetadata", 6012.34)
    assert snap.as_of == datetime(2025, 12, 17, 16, 59, 59, 805000, tzinfo=UTC)  # 11:59:59.805 ET
    assert snap.fetched_at is None  # the terminal's quote time is kept, no fetch time
    frame = snap.frame
    assert dict(frame.schema) == dict(SCHEMA) and frame.height == 4
    call = row(frame, "SPXW251219C06000000")
    assert (call["root"], call["strike"], call["is_call"], call["style"]) == (
        "SPXW",
        6000.0,
        True,
        "european",
    )
    assert (call["open_interest"], call["volume"], call["bid"], call["ask"]) == (
        15230,
        1202,
        40.1,
        40.9,
    )
    assert (call["last"], call["iv"], call["vendor_delta"], call["vendor_gamma"]) == (
        40.5,
        0.1402,
        0.5412,
        0.0031,
    )
    far = row(frame, "SPXW251219C06100000")  # no OHLC row, IV and gamma 0 = not computed
    assert far["volume"] == 0 and math.isnan(far["last"]) and math.isnan(far["iv"])
    assert math.isnan(far["vendor_gamma"]) and far["open_interest"] == 8744
    am = row(frame, "SPX251219C06000000")  # root SPX answered 472 for OHLC and greeks
    assert am["open_interest"] == 9120 and math.isnan(am["iv"])
    assert am["settlement"] == datetime(2025, 12, 19, 14, 30, tzinfo=UTC)
    assert validate(snap).contracts_used == 4


def test_v2_snapshot_matches_v3(serve: ServeFactory) -> None:
    served = serve(v2_routes())
    snap = source_for(served, "v2").snapshot("SPX")
    assert "/v2/page/6f1c2b" in served.routes.paths()  # header.next_page followed
    assert snap.spot == 6012.34
    assert snap.as_of == datetime(2025, 12, 17, 16, 59, 59, 805000, tzinfo=UTC)
    v3 = source_for(serve(v3_routes())).snapshot("SPX").frame
    v2 = snap.frame.sort("contract")
    same = v3.filter(pl.col("root") == "SPXW").sort("contract")
    assert v2.height == 3
    assert v2.drop("iv", "vendor_gamma", "last").equals(same.drop("iv", "vendor_gamma", "last"))
    for col in ("iv", "vendor_gamma", "last"):
        assert v2[col].fill_nan(None).to_list() == same[col].fill_nan(None).to_list()


def without_quote_times(name: str) -> Reply:
    """The v3 quote CSV ``name`` with its ``timestamp`` cells emptied."""
    lines = fixture_bytes(name).decode().splitlines()
    rows = [lines[0]] + ["," + line.split(",", 1)[1] for line in lines[1:]]
    return Reply(200, ("\n".join(rows) + "\n").encode(), "text/csv")


@pytest.mark.parametrize(
    ("clock", "as_of"),
    [
        # Saturday: Friday's close of SPX options, 16:15 EST
        (datetime(2025, 12, 20, 17, 0, tzinfo=UTC), datetime(2025, 12, 19, 21, 15)),
        # Christmas Day: the early close of Christmas Eve, 13:15 EST
        (datetime(2025, 12, 25, 17, 0, tzinfo=UTC), datetime(2025, 12, 24, 18, 15)),
        # inside the session: the clock itself
        (datetime(2025, 12, 17, 17, 0, tzinfo=UTC), datetime(2025, 12, 17, 17, 0)),
    ],
)
def test_clock_fallback_is_a_fetch_time(
    serve: ServeFactory, clock: datetime, as_of: datetime
) -> None:
    routes = v3_routes()
    for root in ("SPX", "SPXW"):
        routes[f"{SNAP}/quote?symbol={root}"] = without_quote_times(
            f"thetadata/v3/quote_{root}.csv"
        )
    snap = source_for(serve(routes), clock=lambda: clock).snapshot("SPX")
    assert snap.as_of == as_of.replace(tzinfo=UTC) and snap.fetched_at == clock
    assert snap.frame.height == 4


class RefuseV3(httpx.BaseTransport):
    """Connection refused for the v3 port, the wrapped transport for everything else."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.port == 25503:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return self.inner.handle_request(request)


def test_auto_falls_back_to_v2(serve: ServeFactory) -> None:
    served = serve(v2_routes())
    http = served.http
    v3_url = closed_port_url()
    if served.kind == "mock":
        http, v3_url = (
            dataclasses.replace(http, transport=RefuseV3(http.transport)),
            "http://127.0.0.1:25503",
        )
    source = thetadata.ThetaDataSource(base_url=v3_url, v2_base_url=served.url, http=http)
    assert source.snapshot("SPX").frame.height == 3
    assert source.resolved == "v2" and len(served.sleeps) == 3  # v3 retried, then given up
    source.snapshot("SPX")
    assert len(served.sleeps) == 3  # v2 is used directly from then on


def test_nothing_listening_is_a_clear_error() -> None:
    sleeps: list[float] = []
    config = HttpConfig(max_attempts=2, sleep=sleeps.append)
    source = thetadata.ThetaDataSource(
        base_url=closed_port_url(), v2_base_url=closed_port_url(), http=config
    )
    with pytest.raises(UnreachableError, match="is the Theta Terminal running"):
        source.snapshot("SPY")


def test_greeks_refused_for_the_tier(serve: ServeFactory) -> None:
    routes = v3_routes()
    routes[f"{SNAP}/greeks/all?symbol=SPXW"] = Reply(471, b":PERMISSION", "text/plain")
    snap = source_for(serve(routes)).snapshot("SPX")
    assert snap.frame["iv"].is_nan().all() and snap.spot == 6012.34


def test_greeks_none_and_spot_from_greeks(serve: ServeFactory) -> None:
    served = serve({
        f"{SNAP}/quote": csv_reply("thetadata/v3/quote_SPXW.csv"),
        f"{SNAP}/open_interest": csv_reply("thetadata/v3/open_interest_SPXW.csv"),
        f"{SNAP}/ohlc": csv_reply("thetadata/v3/ohlc_SPXW.csv"),
        f"{SNAP}/greeks/all": csv_reply("thetadata/v3/greeks_SPXW.csv"),
    })  # fmt: skip
    snap = source_for(served, max_dte=30).snapshot("SPXW")  # not an index: spot from greeks
    assert snap.spot == 6012.30 and served.routes.requests[0].query["max_dte"] == "30"
    with pytest.raises(DataSourceError, match="no spot"):
        source_for(served, greeks="none").snapshot("SPXW")


@pytest.mark.parametrize(
    ("reply", "error", "text", "status"),
    [
        (Reply(473, b":Invalid params: symbol", "text/plain"), DataSourceError,
         "invalid parameters", 473),
        (Reply(570, b":Too large", "text/plain"), DataSourceError, "request too large", 570),
        (Reply(500, b"boom", "text/plain"), DataSourceError, "after 2 attempts", 500),
        (Reply(200, b"<html><body>Theta Terminal</body></html>", "text/html"),
         UpstreamInvalidError, "HTML page", None),
        (Reply(200, b"timestamp,symbol,strike\r\n2025-12-17T11:00:00,SPXW,6000.000\r\n",
               "text/csv"), UpstreamInvalidError, "lacks column(s) ['expiration', 'right'", None),
        (Reply(200, b":Invalid session ID\r\n", "text/plain"), UpstreamInvalidError,
         "(the body starts ':Invalid session ID')", None),
        (Reply(471, b":PERMISSION", "text/plain"), UpstreamAuthError,
         "permission denied (subscription tier): PERMISSION", 471),
        (Reply(476, b":WRONG_IP", "text/plain"), UpstreamAuthError, "wrong IP", 476),
        (Reply(478, b":INVALID_SESSION_ID", "text/plain"), UpstreamAuthError,
         "invalid session", 478),
        (Reply(429, b":OS_LIMIT", "text/plain"), UpstreamRateLimitedError,
         "rate limited: OS_LIMIT (after 2 attempts)", 429),
        (NO_DATA, SymbolNotFoundError, "no snapshot data for SPY", None),
        (Reply(200, b"", delay=5.0), UpstreamTimeoutError, "timed out", None),
    ],
)  # fmt: skip
def test_failures_are_clear(serve: ServeFactory, reply, error, text, status) -> None:
    served = serve({f"{SNAP}/quote": reply, f"{SNAP}/open_interest": NO_DATA,
                    f"{SNAP}/ohlc": NO_DATA, f"{SNAP}/greeks/all": NO_DATA}, timeout=0.2, max_attempts=2)  # fmt: skip
    with pytest.raises(error) as info:
        source_for(served).snapshot("SPY")
    assert type(info.value) is error
    assert text in info.value.message and info.value.provider == "thetadata"
    assert info.value.status == status


def test_terminal_starting_is_retried(serve: ServeFactory) -> None:
    routes = v3_routes()
    starting = Reply(571, b":SERVER_STARTING", "text/plain")
    routes[f"{SNAP}/quote?symbol=SPXW"] = [starting, routes[f"{SNAP}/quote?symbol=SPXW"]]
    served = serve(routes)
    assert source_for(served).snapshot("SPX").frame.height == 4
    assert len(served.sleeps) == 1


def test_no_history(serve: ServeFactory) -> None:
    with pytest.raises(NoHistoryError):
        source_for(serve({})).snapshot("SPX", as_of=datetime(2024, 1, 5, tzinfo=UTC))


def test_v3_trades(serve: ServeFactory) -> None:
    served = serve({
        "/v3/option/history/trade_quote?symbol=SPXW":
            csv_reply("thetadata/v3/trade_quote_SPXW.csv"),
        "/v3/option/history/trade_quote?symbol=SPX": NO_DATA,
    })  # fmt: skip
    trades = source_for(served).trades("SPX", date(2025, 12, 17))
    assert {s.query["symbol"] for s in served.routes.requests} == {"SPX", "SPXW"}
    assert served.routes.requests[0].query["date"] == "20251217"
    assert dict(trades.schema) == TRADES_SCHEMA and trades.height == 2
    first = trades.row(0, named=True)
    assert first == {
        "contract": "SPXW251219C06000000",
        "timestamp": datetime(2025, 12, 17, 14, 30, 0, 471000, tzinfo=UTC),
        "price": 39.9, "size": 2, "condition": "multi_leg", "bid": 39.8, "ask": 40.5,
    }  # fmt: skip
    assert trades["contract"][1] == "SPXW251219P06000000"
    assert trades["condition"][1] == "auto_execution"  # ThetaData code 18


@pytest.mark.parametrize(
    ("code", "condition"),
    [("0", "regular"), ("18", "auto_execution"), ("40", "cancelled"), ("13", "late"),
     ("95", "intermarket_sweep"), ("125", "single_leg_auction"), ("132", "multi_leg_cross"),
     ("138", "stock_option"), ("117", "corrected"), ("7", "opening"), ("999", "unknown"),
     ("", "unknown"), ("AUTO", "unknown")],
)  # fmt: skip
def test_condition_codes_are_canonical(code: str, condition: str) -> None:
    frame = pl.DataFrame({"condition": [code]}, schema={"condition": pl.String})
    assert frame.select(condition_expr(pl.col("condition"))).item() == condition
    assert set(THETADATA_CONDITIONS.values()) <= set(CONDITIONS)


def test_v3_trades_of_one_contract(serve: ServeFactory) -> None:
    served = serve({"/v3/option/history/trade_quote":
                    csv_reply("thetadata/v3/trade_quote_SPXW.csv")})  # fmt: skip
    source_for(served).trades("SPXW251219C06000000", date(2025, 12, 17))
    (seen,) = served.routes.requests
    assert seen.query == {"symbol": "SPXW", "expiration": "20251219", "strike": "6000.000",
                          "right": "call", "date": "20251217", "format": "csv"}  # fmt: skip


def test_v2_trades_match_v3(serve: ServeFactory) -> None:
    served = serve({
        "/v2/bulk_hist/option/trade_quote?root=SPXW":
            json_reply("thetadata/v2/trade_quote_SPXW.json"),
        "/v2/bulk_hist/option/trade_quote?root=SPX": NO_DATA,
    })  # fmt: skip
    v2 = source_for(served, "v2").trades("SPX", date(2025, 12, 17))
    assert served.routes.requests[0].query["start_date"] == "20251217"
    v3 = source_for(
        serve({"/v3/option/history/trade_quote": csv_reply("thetadata/v3/trade_quote_SPXW.csv")})
    ).trades("SPXW", date(2025, 12, 17))
    assert v2.equals(v3)


def test_v2_next_page_header(serve: ServeFactory) -> None:
    body = b'{"header":{"next_page":"null","format":["ms_of_day","open_interest","date"]},'
    page1 = (
        body + b'"response":[{"contract":{"root":"SPY","expiration":20251219,'
        b'"strike":650000,"right":"C"},"ticks":[[23413000,48211,20251217]]}]}'
    )
    page2 = body + b'"response":[]}'
    served = serve({
        f"{BULK}/open_interest": Reply(200, page1, headers={"Next-Page": "http://127.0.0.1:25510/v2/page/9"}),
        "/v2/page/9": Reply(200, page2),
    })  # fmt: skip
    with thetadata.HttpClient("thetadata", served.url, config=served.http) as http:
        got = thetadata.V2Api(http).open_interest("SPY")
    assert got.to_dicts() == [{"open_interest": 48211.0, "root": "SPY",
                               "expiration": date(2025, 12, 19), "strike": 650.0,
                               "is_call": True}]  # fmt: skip


def test_create_reads_settings() -> None:
    env = {"GEX_THETADATA_VERSION": "v2", "GEX_THETADATA_BASE_URL": "http://10.0.0.5:25510"}
    source = thetadata.create(Settings("thetadata", {"greeks": "none"}, env, {}))
    assert source.resolved == "v2" and source.urls["v2"] == "http://10.0.0.5:25510"
    assert source.greeks == "none"
    auto = thetadata.create(Settings("thetadata", {}, {}, {}))
    assert auto.resolved is None
    assert auto.urls == {"v3": "http://127.0.0.1:25503", "v2": "http://127.0.0.1:25510"}
    with pytest.raises(SourceConfigError, match="version"):
        thetadata.create(Settings("thetadata", {"version": "v9"}, {}, {}))


def test_vendor_v3_examples(shared_data: Path) -> None:
    examples = json.loads(
        (shared_data / "provider-samples" / "thetadata_v3_openapi_examples.json").read_text()
    )

    def handler(request: httpx.Request) -> httpx.Response:
        body = examples.get(request.url.path, {}).get("text/csv")
        if body is None:
            return httpx.Response(472, text=":No data")
        return httpx.Response(200, text=body, headers={"content-type": "text/csv"})

    http = HttpConfig(transport=httpx.MockTransport(handler), sleep=lambda _: None)
    source = thetadata.ThetaDataSource(version="v3", http=http)
    snap = source.snapshot("AAPL")
    assert snap.spot == 225.74  # greeks' underlying_price
    assert snap.as_of == datetime(2025, 8, 20, 19, 59, 59, 805000, tzinfo=UTC)
    may = row(snap.frame, "AAPL260515C00170000")
    assert (may["iv"], may["vendor_delta"], may["vendor_gamma"]) == (0.3075, 0.9085, 0.0027)
    jan = row(snap.frame, "AAPL260116C00275000")
    assert (jan["open_interest"], jan["volume"], jan["bid"], jan["ask"]) == (8066, 202, 1.47, 1.5)
    trades = source.trades("AAPL", date(2024, 11, 4))
    assert trades.height == 5 and trades["bid"].to_list() == [3.9, 4.15, 4.15, 4.15, 4.15]
    assert trades["timestamp"][0] == datetime(2024, 11, 4, 14, 30, 0, 471000, tzinfo=UTC)


def v2_error(kind: str, message: str = "null") -> Reply:
    header = {"latency_ms": 2, "error_type": kind, "error_msg": message, "next_page": "null",
              "format": ["ms_of_day", "bid", "ask", "date"]}  # fmt: skip
    return Reply(200, json.dumps({"header": header, "response": []}))


@pytest.mark.parametrize(
    ("reply", "error", "text"),
    [
        (v2_error("PERMISSION", "Your subscription does not include this data"),
         UpstreamAuthError, "terminal error PERMISSION: Your subscription does not include"),
        (v2_error("INVALID_SESSION_ID"), UpstreamAuthError, "terminal error INVALID_SESSION_ID"),
        (v2_error("OS_LIMIT", "too many"), UpstreamRateLimitedError, "OS_LIMIT: too many"),
        (v2_error("UNCAUGHT", "java.lang.NullPointerException"), DataSourceError,
         "terminal error UNCAUGHT: java.lang.NullPointerException"),
        (v2_error("NO_DATA", "No data"), SymbolNotFoundError, "no snapshot data for SPY"),
        (Reply(200, b'{"header":{"format":"ms_of_day,bid"},"response":[]}'),
         UpstreamInvalidError, "header.format is not a list of names"),
        (Reply(200, b'{"header":{"format":["ms_of_day","bid","ask","date"]},'
               b'"response":[{"contract":{},"ticks":7}]}'),
         UpstreamInvalidError, "ticks are not a list"),
        (Reply(200, b'{"header":[],"response":{"a":1}}'), UpstreamInvalidError,
         "no response list"),
    ],
)  # fmt: skip
def test_v2_errors_in_the_body(serve: ServeFactory, reply: Reply, error: type, text: str) -> None:
    served = serve({f"{BULK}/quote": reply, f"{BULK}/open_interest": NO_DATA,
                    f"{BULK}/ohlc": NO_DATA, f"{BULK}/greeks": NO_DATA,
                    f"{BULK}/greeks_second_order": NO_DATA})  # fmt: skip
    with pytest.raises(DataSourceError) as info:
        source_for(served, "v2").snapshot("SPY")
    assert type(info.value) is error and text in info.value.message
    assert served.sleeps == []


def test_v2_cells_of_the_wrong_type_are_nulls(serve: ServeFactory) -> None:
    body = {"header": {"format": ["ms_of_day", "open_interest", "date"], "next_page": "null"},
            "response": [{"contract": {"root": "SPY", "expiration": 20251219, "strike": 650000,
                                       "right": "C"}, "ticks": [["x", {"a": 1}, 20251217]]},
                         {"contract": {"root": ["SPY"], "expiration": "soon", "strike": "high",
                                       "right": 7}, "ticks": [[1, 2.0, True]]}]}  # fmt: skip
    served = serve({f"{BULK}/open_interest": Reply(200, json.dumps(body))})
    with thetadata.HttpClient("thetadata", served.url, config=served.http) as http:
        got = thetadata.V2Api(http).open_interest("SPY")
    assert got.to_dicts() == [
        {"open_interest": None, "root": "SPY", "expiration": date(2025, 12, 19), "strike": 650.0,
         "is_call": True},
        {"open_interest": 2.0, "root": None, "expiration": None, "strike": None, "is_call": None},
    ]  # fmt: skip


@pytest.mark.parametrize("version", ["v3", "v2"])
@pytest.mark.parametrize("symbol", ["..", "SPY?x=1", "SPY#frag", "SP Y", "SPY&root=QQQ"])
def test_bad_symbols_never_reach_the_terminal(
    serve: ServeFactory, version: str, symbol: str
) -> None:
    served = serve({})
    source = source_for(served, version)
    with pytest.raises(InvalidSymbolError):
        source.snapshot(symbol)
    with pytest.raises(InvalidSymbolError):
        source.trades(symbol, date(2025, 12, 17))
    with pytest.raises(InvalidSymbolError, match="no such expiry"):
        source.trades("SPXW251399C06000000", date(2025, 12, 17))
    assert served.routes.requests == []


class Clock:
    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_auto_shares_one_deadline_between_v3_and_v2(serve: ServeFactory) -> None:
    busy = Reply(503, b"busy", "text/plain")
    served = serve({f"{BULK}/quote": busy}, max_attempts=3)
    clock = Clock()
    http = dataclasses.replace(served.http, deadline=2.0, clock=clock, sleep=clock.sleep)
    v3_url = closed_port_url()
    if served.kind == "mock":
        http, v3_url = (
            dataclasses.replace(http, transport=RefuseV3(http.transport)),
            "http://127.0.0.1:25503",
        )
    source = thetadata.ThetaDataSource(base_url=v3_url, v2_base_url=served.url, http=http)
    with pytest.raises(UpstreamTimeoutError, match="would pass the 2 s deadline"):
        source.snapshot("SPY")
    # v3: refused 3 times (1.125 s of waits); v2 gets only what is left of the 2 s, not 2 s
    assert clock.sleeps == [0.375, 0.75, 0.375] and clock.now <= 2.0


def test_create_reads_the_http_limits() -> None:
    env = {"GEX_THETADATA_DEADLINE": "20", "GEX_THETADATA_MAX_BODY_BYTES": "1e6"}
    source = thetadata.create(Settings("thetadata", {}, env, {}))
    assert (source._http.deadline, source._http.max_body_bytes) == (20.0, 1_000_000)
