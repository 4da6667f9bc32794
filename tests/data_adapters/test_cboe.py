"""Cboe: delayed-quotes JSON over HTTP (mock and loopback) and from files; quote-table CSVs."""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from data_adapters import cboe
from data_adapters.cboe_csv import parse_date_line, parse_quote_table
from data_adapters.errors import DataSourceError, NoHistoryError, SymbolNotFoundError
from data_adapters.settings import Settings
from engine.chain import SCHEMA, ChainSnapshot, validate
from tests.data_adapters.conftest import FIXTURES, ServeFactory, fixture_bytes, json_reply
from tests.data_adapters.loopback import Reply

FOLDER = "/api/global/delayed_quotes/options"


def source_for(served, **kw) -> cboe.CboeSource:
    return cboe.CboeSource(base_url=served.url + FOLDER, http=served.http, **kw)


def row(frame: pl.DataFrame, contract: str) -> dict:
    return frame.filter(pl.col("contract") == contract).row(0, named=True)


def test_spx_json_over_http(serve: ServeFactory) -> None:
    served = serve({f"{FOLDER}/_SPX.json": json_reply("cboe/SPX.json")})
    snap = source_for(served, rate=0.043, div_yield=0.012).snapshot("spx")
    assert served.routes.paths() == [f"{FOLDER}/_SPX.json"]
    assert "Mozilla" in served.routes.requests[0].headers["user-agent"]
    assert (snap.underlying, snap.source, snap.spot) == ("SPX", "cboe", 6012.34)
    # generated Thursday 17:05 EST, after the 16:15 close of SPX options: quotes of 16:15
    assert snap.as_of == datetime(2025, 12, 18, 21, 15, tzinfo=UTC)
    assert snap.fetched_at == datetime(2025, 12, 18, 22, 5, 3, tzinfo=UTC)
    assert (snap.rate, snap.div_yield) == (0.043, 0.012)
    frame = snap.frame
    assert dict(frame.schema) == dict(SCHEMA) and frame.height == 7
    am, pm = row(frame, "SPX251219C06000000"), row(frame, "SPXW251219C06000000")
    assert (am["root"], pm["root"]) == ("SPX", "SPXW")  # same strike and expiry, two contracts
    assert (am["open_interest"], pm["open_interest"]) == (1523, 30211)
    assert am["settlement"] == datetime(2025, 12, 19, 14, 30, tzinfo=UTC)  # AM, third Friday
    assert pm["settlement"] == datetime(2025, 12, 19, 21, 0, tzinfo=UTC)  # PM close
    assert pm["strike"] == 6000.0 and pm["is_call"] and pm["expiration"] == date(2025, 12, 19)
    assert (pm["style"], pm["model"], pm["multiplier"]) == ("european", "bsm", 100.0)
    assert pm["underlying_price"] == 6012.34 and pm["volume"] == 4120
    assert (pm["bid"], pm["ask"], pm["last"], pm["iv"]) == (124.0, 125.2, 124.6, 0.1398)
    assert (pm["vendor_delta"], pm["vendor_gamma"]) == (0.5534, 0.0022)
    deep = row(frame, "SPXW251219P04000000")  # iv, delta, gamma 0 = not computed
    assert all(math.isnan(deep[c]) for c in ("iv", "vendor_delta", "vendor_gamma", "last"))
    assert deep["bid"] == 0.0 and deep["open_interest"] == 12

    checked = validate(snap)
    assert checked.excluded == {"unknown_right": 1, "crossed_quote": 1}
    bad = checked.quarantine.filter(pl.col("reason") == "unknown_right")["contract"]
    assert bad.to_list() == ["SPXW2512X9C06000000"]  # kept, not silently dropped
    assert checked.contracts_used == 5


def test_equity_path_has_no_underscore(serve: ServeFactory) -> None:
    served = serve({f"{FOLDER}/SPY.json": json_reply("cboe/SPX.json")})
    snap = source_for(served).snapshot("SPY")
    assert served.routes.paths() == [f"{FOLDER}/SPY.json"]
    assert snap.as_of == datetime(2025, 12, 18, 21, 15, tzinfo=UTC)  # SPY options: 16:15 too


def test_json_timestamp_is_a_fetch_time() -> None:
    body = json.loads(fixture_bytes("cboe/SPX.json"))
    cases = [
        ("2025-12-18 18:30:00", "_SPX", datetime(2025, 12, 18, 18, 30)),  # in session: kept
        ("2025-12-20 15:00:00", "_SPX", datetime(2025, 12, 19, 21, 15)),  # Saturday: Friday
        ("2025-12-22 13:00:00", "AAPL", datetime(2025, 12, 19, 21)),  # Monday 08:00 EST
        ("2025-12-26 01:00:00", "_SPX", datetime(2025, 12, 24, 18, 15)),  # early close 13:15
    ]
    for stamp, symbol, expected in cases:
        body["timestamp"], body["data"]["symbol"] = stamp, symbol
        _, as_of, fetched_at, _, _ = cboe.parse_delayed_quotes(body)
        assert as_of == expected.replace(tzinfo=UTC), stamp
        assert fetched_at == datetime.fromisoformat(stamp).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("reply", "error", "text"),
    [
        (Reply(403, b"<?xml version='1.0'?><Error>AccessDenied</Error>", "application/xml"),
         SymbolNotFoundError, "no delayed quotes for SPX"),
        (Reply(404, b"Not Found", "text/plain"), SymbolNotFoundError, "not found"),
        (Reply(200, b"<html><body>Access denied</body></html>", "text/html"),
         DataSourceError, "HTML page"),
        (Reply(200, fixture_bytes("cboe/SPX.json")[:900]), DataSourceError, "invalid JSON"),
        (Reply(500, b"oops", "text/plain"), DataSourceError, "after 2 attempts"),
        (Reply(200, b'{"unexpected": true}'), DataSourceError, "no data.options"),
        (json_reply("cboe/empty.json"), SymbolNotFoundError, "empty"),
        (Reply(200, b"{}", delay=5.0), DataSourceError, "timed out"),
    ],
)  # fmt: skip
def test_http_failures_are_clear(serve: ServeFactory, reply: Reply, error: type, text: str) -> None:
    served = serve({f"{FOLDER}/_SPX.json": reply}, timeout=0.2, max_attempts=2)
    with pytest.raises(error) as info:
        source_for(served).snapshot("SPX")
    assert text in str(info.value) and info.value.provider == "cboe"


def test_rate_limit_then_success(serve: ServeFactory) -> None:
    limited = Reply(429, b"", headers={"Retry-After": "2"})
    served = serve({f"{FOLDER}/_SPX.json": [limited, json_reply("cboe/SPX.json")]})
    assert source_for(served).snapshot("SPX").frame.height == 7
    assert served.sleeps == [2.0]


def test_no_history() -> None:
    with pytest.raises(NoHistoryError):
        cboe.CboeSource().snapshot("SPX", as_of=datetime(2024, 1, 5, tzinfo=UTC))


def test_json_file_and_create(tmp_path: Path) -> None:
    path = FIXTURES / "cboe" / "SPX.json"
    source = cboe.create(Settings("cboe", {"file": str(path), "rate": "0.05"}, {}, {}))
    assert source.symbols() == ["SPX"]
    snap = source.snapshot("SPX", as_of=datetime(2025, 12, 18, 21, 15, tzinfo=UTC))
    assert snap.rate == 0.05 and snap.frame.height == 7
    assert snap.fetched_at == datetime(2025, 12, 18, 22, 5, 3, tzinfo=UTC)
    stamped = source.snapshot("SPX", as_of=datetime(2025, 12, 18, 22, 5, 3, tzinfo=UTC))
    assert stamped.as_of == snap.as_of  # the file's own stamp is accepted too
    with pytest.raises(NoHistoryError):
        source.snapshot("SPX", as_of=datetime(2025, 12, 1, tzinfo=UTC))
    with pytest.raises(SymbolNotFoundError, match="holds SPX, not SPY"):
        source.snapshot("SPY")
    broken = tmp_path / "cut.json"
    broken.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataSourceError, match="invalid JSON"):
        cboe.CboeSource(file=broken).snapshot("SPX")
    with pytest.raises(DataSourceError, match="cannot read"):
        cboe.CboeSource(file=tmp_path / "missing.csv").snapshot("SPX")


def test_create_defaults() -> None:
    source = cboe.create(Settings("cboe", {}, {}, {}))
    assert source.file is None and source.base_url == cboe.DEFAULT_BASE_URL
    assert "SPX" in source.symbols()


def test_small_quote_table() -> None:
    chain = parse_quote_table(fixture_bytes("cboe/quote_table.csv"))
    assert (chain.underlying, chain.spot) == ("SPY", 450.81)
    assert chain.as_of == datetime(2023, 9, 14, 20, 15, tzinfo=UTC)  # 16:31 EDT -> 16:15
    assert chain.fetched_at == datetime(2023, 9, 14, 20, 31, tzinfo=UTC)
    frame = chain.frame
    assert frame.height == 6 and dict(frame.schema) == dict(SCHEMA)
    call = row(frame, "SPY230915C00450000")
    assert (call["volume"], call["open_interest"], call["iv"]) == (1204, 12345, 0.1102)
    assert (call["style"], call["strike"], call["last"]) == ("american", 450.0, 2.1)
    otm = row(frame, "SPY230915C00455000")
    assert math.isnan(otm["last"])  # Last Sale 0: no trade
    itm = row(frame, "SPY230914C00360000")
    assert math.isnan(itm["iv"]) and math.isnan(itm["vendor_gamma"]) and itm["vendor_delta"] == 1
    assert row(frame, "SPY230915P00455000")["open_interest"] is None  # "abc": quarantined
    checked = validate(parse_snapshot(chain))
    assert checked.excluded == {"invalid_open_interest": 1, "expired": 2}  # 0DTE after 16:00


def parse_snapshot(chain) -> ChainSnapshot:
    return ChainSnapshot(
        chain.underlying, chain.as_of, chain.spot, "cboe", chain.frame, fetched_at=chain.fetched_at
    )


def test_csv_without_header_is_an_error() -> None:
    with pytest.raises(DataSourceError, match="Last:"):
        parse_quote_table(b"hello\nworld\nagain\n")
    bad_header = b'X,Last: 1,Change: 0\n"Date: May 1, 2025 at 4:49 PM EDT"\nA,B,C\n'
    with pytest.raises(DataSourceError, match="Calls, Strike or Puts"):
        parse_quote_table(bad_header)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"Date: January 7, 2024 at 10:52 AM EST",Bid: 4645.23', datetime(2024, 1, 7, 15, 52)),
        ('"Date: February 5 2022, 8:26 PM EST",Bid: 0', datetime(2022, 2, 6, 1, 26)),
        ('"Date: July 12, 2022, 11:55 AM EDT",Bid: 3855.37,,,', datetime(2022, 7, 12, 15, 55)),
        ('"Date: September 14, 2023 at 4:31 PM EDT"', datetime(2023, 9, 14, 20, 31)),
        ('"Date: December 1, 2023 at 12:05 AM ET"', datetime(2023, 12, 1, 5, 5)),
    ],
)
def test_date_lines(line: str, expected: datetime) -> None:
    assert parse_date_line(line) == expected.replace(tzinfo=UTC)


def test_bad_date_line() -> None:
    with pytest.raises(DataSourceError, match="date line"):
        parse_date_line('"Date: Smarch 40, 2024 at 1:00 PM EST"')
    table = fixture_bytes("cboe/quote_table.csv").replace(b"2023", b"1985", 1)
    assert b"1985" in table
    with pytest.raises(DataSourceError, match="unusable stamp 1985"):  # outside the calendar
        parse_quote_table(table)
    body = json.loads(fixture_bytes("cboe/SPX.json")) | {"timestamp": "2070-01-02 12:00:00"}
    with pytest.raises(DataSourceError, match="unusable stamp 2070"):
        cboe.parse_delayed_quotes(body)


REAL = {
    "spx_2024-01-05_close.csv": ("SPX", 10_519, 4697.2402, datetime(2024, 1, 5, 21, 15)),
    "spx_2022-07-12_1155et.csv": ("SPX", 9_689, 3856.28, datetime(2022, 7, 12, 15, 55)),
    "ndx_2022-02-04_close.csv": ("NDX", 9_193, 14694.3506, datetime(2022, 2, 4, 21, 15)),
    "spy_2025-05-01_close_nearterm.csv": ("SPY", 2_438, 557.65, datetime(2025, 5, 1, 20, 15)),
    "spy_2023-09-14_close.csv": ("SPY", 3_646, 450.81, datetime(2023, 9, 14, 20, 15)),
}
"""file -> underlying, rows, spot, ``as_of`` (UTC): the quote time of the date line."""
DATE_LINES = {
    "spx_2024-01-05_close.csv": datetime(2024, 1, 7, 15, 52),  # Sunday 10:52 AM EST
    "spx_2022-07-12_1155et.csv": datetime(2022, 7, 12, 15, 55),  # intraday 11:55 AM EDT
    "ndx_2022-02-04_close.csv": datetime(2022, 2, 6, 1, 26),  # Saturday 8:26 PM EST
    "spy_2025-05-01_close_nearterm.csv": datetime(2025, 5, 1, 20, 49),  # 4:49 PM EDT
    "spy_2023-09-14_close.csv": datetime(2023, 9, 14, 20, 31),  # 4:31 PM EDT
}
"""file -> its date line in UTC, the download time kept as ``fetched_at``."""
ROOTS = {"SPX": {"SPX", "SPXW"}, "NDX": {"NDX", "NDXP"}, "SPY": {"SPY"}}


def count_rows(path: Path) -> int:
    """Data rows counted independently: lines after the ``Expiration Date`` header."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Expiration Date")
    return sum(1 for r in rows[start + 1 :] if any(cell.strip() for cell in r))


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_quote_tables(shared_data: Path, name: str) -> None:
    path = shared_data / "cboe-csv" / name
    symbol, rows, spot, as_of = REAL[name]
    assert count_rows(path) == rows
    source = cboe.CboeSource(file=path)
    assert source.symbols() == [symbol]
    snap = source.snapshot(symbol)
    assert snap.frame.height == 2 * rows  # a call and a put per row, none dropped
    assert snap.spot == spot and snap.as_of == as_of.replace(tzinfo=UTC)
    assert snap.fetched_at == DATE_LINES[name].replace(tzinfo=UTC)
    with path.open(newline="") as fh:  # fetched_at is the file's date line, read independently
        (date_cell, *_), *_ = (r for r in csv.reader(fh) if r and r[0].startswith("Date:"))
    assert snap.fetched_at == parse_date_line(date_cell)
    assert snap.frame["contract"].n_unique() == 2 * rows
    assert set(snap.frame["root"].unique()) == ROOTS[symbol]
    assert snap.frame["is_call"].sum() == rows
    style = "european" if symbol != "SPY" else "american"
    assert snap.frame["style"].unique().to_list() == [style]
    checked = validate(snap)
    assert set(checked.excluded) <= {"expired", "crossed_quote"}
    assert checked.contracts_used > 0.9 * 2 * rows
    assert checked.snapshot.fetched_at == snap.fetched_at
    if symbol == "SPX":  # AM monthlies settle at 09:30 ET, PM weeklies at the close
        third_friday = checked.used.filter(
            (pl.col("root") == "SPX") & (pl.col("expiration").dt.weekday() == 5)
            & (pl.col("expiration").dt.day().is_between(15, 21))
        )["settlement"]  # fmt: skip
        assert (third_friday.dt.convert_time_zone("America/New_York").dt.hour() == 9).all()
    spot_near = checked.used.filter((pl.col("strike") - snap.spot).abs() < 0.02 * snap.spot)
    assert spot_near["iv"].drop_nans().median() < 1.0  # IVs are decimals


def test_real_spx_close_gives_monday_its_three_days(shared_data: Path) -> None:
    """The Sunday download of Friday's close: T to Monday's PM expiry is 2.99 days, not 1.21."""
    snap = cboe.CboeSource(file=shared_data / "cboe-csv" / "spx_2024-01-05_close.csv").snapshot(
        "SPX"
    )
    monday = validate(snap).used.filter(
        (pl.col("root") == "SPXW") & (pl.col("expiration") == date(2024, 1, 8))
    )
    (settlement,) = monday["settlement"].unique().to_list()
    assert settlement == datetime(2024, 1, 8, 21, tzinfo=UTC)
    assert settlement - snap.as_of == timedelta(days=2, hours=23, minutes=45)
    assert snap.fetched_at is not None and settlement - snap.fetched_at < timedelta(days=1.25)


def test_real_clx_capture(shared_data: Path) -> None:
    body = (shared_data / "provider-samples" / "cboe_delayed_quotes_CLX.excerpt.json").read_bytes()
    underlying, as_of, fetched_at, spot, frame = cboe.parse_delayed_quotes(json.loads(body))
    assert (underlying, spot, frame.height) == ("CLX", 95.55, 11)
    # generated Friday 20:43 EDT: a stock's options closed at 16:00
    assert fetched_at == datetime(2026, 7, 25, 0, 43, 14, tzinfo=UTC)
    assert as_of == datetime(2026, 7, 24, 20, 0, tzinfo=UTC)
    deep = row(frame, "CLX260821C00055000")  # iv 0.0 and gamma 0.0 in the capture
    assert math.isnan(deep["iv"]) and math.isnan(deep["vendor_gamma"])
    assert deep["open_interest"] == 6 and deep["vendor_delta"] == 0.9998
    assert frame["open_interest"].dtype == pl.Int64 and frame["volume"].min() >= 0
    assert math.isnan(row(frame, "CLX260821P00115000")["last"])  # last_trade_time null
