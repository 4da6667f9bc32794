"""Cboe: delayed-quotes JSON over HTTP (mock and loopback) and from files; quote-table CSVs."""

from __future__ import annotations

import csv
import json
import math
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_adapters import cboe
from data_adapters._frames import number_expr, parse_number, unreadable_expr
from data_adapters.cboe_csv import parse_date_line, parse_quote_table
from data_adapters.errors import (
    DataSourceError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
)
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
    spx_options = body["data"]["options"]
    for stamp, symbol, expected in cases:
        body["timestamp"], body["data"]["symbol"] = stamp, symbol
        root = symbol.lstrip("_")  # the options must belong to the symbol (foreign_underlying)
        body["data"]["options"] = [
            o | {"option": re.sub(r"^SPXW?", root, o["option"])} for o in spx_options
        ]
        _, as_of, fetched_at, *_ = cboe.parse_delayed_quotes(body)
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
    assert frame.height == 5 and dict(frame.schema) == dict(SCHEMA)
    call = row(frame, "SPY230915C00450000")
    assert (call["volume"], call["open_interest"], call["iv"]) == (1204, 12345, 0.1102)
    assert (call["style"], call["strike"], call["last"]) == ("american", 450.0, 2.1)
    otm = row(frame, "SPY230915C00455000")
    assert math.isnan(otm["last"])  # Last Sale 0: no trade
    itm = row(frame, "SPY230914C00360000")
    assert math.isnan(itm["iv"]) and math.isnan(itm["vendor_gamma"]) and itm["vendor_delta"] == 1
    assert chain.set_aside is not None  # open interest "abc": unreadable, set aside
    assert chain.set_aside.select("contract", "reason").rows() == [
        ("SPY230915P00455000", "malformed_row")
    ]
    assert chain.set_aside["bid"].to_list() == [4.2]  # what could be read is kept for a look
    assert chain.warnings == ()
    checked = validate(parse_snapshot(chain))
    assert checked.excluded == {"malformed_row": 1, "expired": 2}  # 0DTE after 16:00


def parse_snapshot(chain) -> ChainSnapshot:
    return ChainSnapshot(
        chain.underlying, chain.as_of, chain.spot, "cboe", chain.frame,
        fetched_at=chain.fetched_at, set_aside=chain.set_aside, warnings=chain.warnings,
    )  # fmt: skip


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
    assert snap.set_aside is None and snap.warnings == ()
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
    assert checked.warnings == ()  # no strike gap on a whole file
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
    underlying, as_of, fetched_at, spot, frame, aside, warnings = cboe.parse_delayed_quotes(
        json.loads(body)
    )
    assert aside is None and warnings == ()
    assert (underlying, spot, frame.height) == ("CLX", 95.55, 11)
    # generated Friday 20:43 EDT: a stock's options closed at 16:00
    assert fetched_at == datetime(2026, 7, 25, 0, 43, 14, tzinfo=UTC)
    assert as_of == datetime(2026, 7, 24, 20, 0, tzinfo=UTC)
    deep = row(frame, "CLX260821C00055000")  # iv 0.0 and gamma 0.0 in the capture
    assert math.isnan(deep["iv"]) and math.isnan(deep["vendor_gamma"])
    assert deep["open_interest"] == 6 and deep["vendor_delta"] == 0.9998
    assert frame["open_interest"].dtype == pl.Int64 and frame["volume"].min() >= 0
    assert math.isnan(row(frame, "CLX260821P00115000")["last"])  # last_trade_time null


# --- implausible and broken input: counted exclusions, warnings, typed errors -------------

TABLE = fixture_bytes("cboe/quote_table.csv").decode()
QQQ_ROW = (
    "Fri Sep 15 2023,QQQ230915C00370000,2.1,0.9,2.05,2.12,1,0.11,0.53,0.09,100,370.00,"
    "QQQ230915P00370000,1.3,-1.1,1.28,1.31,987,0.12,-0.46,0.09,200\n"
)


def table_lines() -> list[str]:
    return TABLE.splitlines()


@pytest.mark.parametrize(
    ("title", "spot"),
    [
        ("Last: 5.5765e2", 557.65),
        ("Last: 5.5765E+2", 557.65),
        ('"Last: 4,697.24"', 4697.24),
        ("Last: 4,697.24", 4697.24),  # unquoted thousands: the number still reads whole
        ("Last: .5", 0.5),
    ],
)
def test_the_last_price_is_read_as_a_whole_number(title: str, spot: float) -> None:
    """``Last: 5.5765e2`` used to be read as a spot of 5.5765."""
    chain = parse_quote_table(TABLE.replace("Last: 450.81", title))
    assert chain.spot == spot
    assert chain.frame["underlying_price"].unique().to_list() == [spot]


@pytest.mark.parametrize("title", ["Last: abc", "Last: 0", "Last: -5", "Last: nan", "Last: inf"])
def test_an_unreadable_last_price_names_the_line(title: str) -> None:
    with pytest.raises(DataSourceError, match="line 2: "):
        parse_quote_table(TABLE.replace("Last: 450.81", title))


def test_rows_of_another_underlying_are_set_aside_and_counted() -> None:
    """A QQQ row inside a SPY file used to be counted as SPY."""
    chain = parse_quote_table(TABLE + QQQ_ROW)
    assert chain.underlying == "SPY"
    assert not chain.frame["root"].is_in(["QQQ"]).any()
    assert chain.set_aside is not None
    foreign = chain.set_aside.filter(pl.col("reason") == "foreign_underlying")
    assert sorted(foreign["contract"]) == ["QQQ230915C00370000", "QQQ230915P00370000"]
    assert foreign["open_interest"].to_list() == [100, 200]  # read, kept for a look
    checked = validate(parse_snapshot(chain))
    assert checked.excluded == {"malformed_row": 1, "foreign_underlying": 2, "expired": 2}
    # the underlying is the one most rows belong to, whatever comes first
    lines = table_lines()
    first = "\n".join([*lines[:4], QQQ_ROW.strip(), *lines[4:]])
    assert parse_quote_table(first).underlying == "SPY"


def test_adjusted_and_weekly_roots_belong_to_their_underlying() -> None:
    lines = table_lines()
    adjusted = lines[5].replace("SPY230915", "SPY1230915")  # an adjusted root: SPY's
    chain = parse_quote_table("\n".join([*lines[:5], adjusted, *lines[6:]]) + "\n")
    assert "SPY1" in chain.frame["root"].to_list()
    assert chain.set_aside is None or "foreign_underlying" not in chain.set_aside["reason"]


@pytest.mark.parametrize("keep", [1, 5, 11, 12, 21])
@pytest.mark.parametrize("where", [4, 5])
def test_a_short_row_is_set_aside_not_an_error(keep: int, where: int) -> None:
    """A row one (or more) cells short used to be a polars error (HTTP 500) or to shift
    values; now both its contracts are set aside as ``malformed_row`` and counted."""
    lines = table_lines()
    lines[where] = ",".join(lines[where].split(",")[:keep])
    chain = parse_quote_table("\n".join(lines) + "\n")
    assert chain.set_aside is not None
    aside = chain.set_aside.filter(pl.col("reason") == "malformed_row")
    assert aside.height == 2 + 1  # both sides of the short row, and the "abc" cell
    assert chain.warnings == ()  # not the last row: not a truncation
    checked = validate(parse_snapshot(chain))
    assert checked.excluded["malformed_row"] == 3


def test_extra_cells_are_malformed_but_trailing_commas_are_not() -> None:
    lines = table_lines()
    extra = [*lines[:5], lines[5] + ",1,2", *lines[6:]]
    chain = parse_quote_table("\n".join(extra) + "\n")
    assert chain.set_aside is not None and chain.set_aside.height == 3
    commas = [*lines[:5], lines[5] + ",,", *lines[6:]]
    assert parse_quote_table("\n".join(commas) + "\n").set_aside.height == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("cut", "warning"),
    [
        (lambda line: line[:60], "truncated: the last row (line 7) has 9 of 22 cells"),
        (lambda line: line[: line.index(",455.00")], "truncated: the last row (line 7) has 11 of 22 cells"),
        (lambda line: line.replace(",abc", ",4"), "possibly truncated: the file ends without a newline"),
    ],
)  # fmt: skip
def test_a_cut_last_row_is_set_aside_and_warned_about(cut, warning: str) -> None:
    lines = table_lines()
    text = "\n".join([*lines[:-1], cut(lines[-1])])
    chain = parse_quote_table(text)
    (found,) = chain.warnings
    assert found.startswith(warning)
    snap = parse_snapshot(chain)
    assert validate(snap).warnings == chain.warnings
    if found.startswith("truncated"):
        assert chain.set_aside is not None
        assert chain.set_aside["contract"].to_list()[0] == "SPY230915C00455000"
        assert "SPY230915C00455000" not in chain.frame["contract"].to_list()


def test_a_last_line_without_newline_that_cannot_be_read_is_truncated() -> None:
    lines = table_lines()
    cut = lines[-1].replace(",abc", ',"1,2')  # "1,234" cut inside: 22 cells, the last unreadable
    chain = parse_quote_table("\n".join([*lines[:-1], cut]))
    assert chain.warnings == (
        "truncated: the last row (line 7) ends without a newline and cannot be read",
    )
    assert chain.set_aside is not None and chain.set_aside.height == 2  # both its contracts
    whole = parse_quote_table("\n".join([*lines[:-1], lines[-1].replace(",abc", ',"1,234"')]))
    assert whole.set_aside is None
    assert row(whole.frame, "SPY230915P00455000")["open_interest"] == 1234


def test_a_broken_file_is_one_error_naming_the_line() -> None:
    lines = table_lines()
    with pytest.raises(DataSourceError, match=r"line 5: a row of 3 cells under a header of 22"):
        parse_quote_table("\n".join([*lines[:4], "a,b,c", "d,e"]) + "\n")
    with pytest.raises(DataSourceError, match="line 4: the CSV header lacks"):
        parse_quote_table("\n".join([*lines[:3], "Expiration Date,Calls,Strike"]) + "\n")
    with pytest.raises(DataSourceError, match="line 3: cannot read the date line"):
        parse_quote_table(TABLE.replace("September 14", "Smarch 14"))
    garbage = [*lines[:4], *("x," * 21 + "y" for _ in range(3))]
    with pytest.raises(DataSourceError, match="line 5: the quote table holds no readable"):
        parse_quote_table("\n".join(garbage) + "\n")


def test_a_csv_file_source_carries_set_aside_rows_and_warnings(tmp_path: Path) -> None:
    lines = table_lines()
    path = tmp_path / "cut.csv"
    path.write_text("\n".join([*lines[:-1], lines[-1][:60]]) + "\n" + "")
    snap = cboe.CboeSource(file=path).snapshot("SPY")
    assert snap.warnings == ("truncated: the last row (line 7) has 9 of 22 cells",)
    checked = validate(snap)
    assert checked.warnings == snap.warnings
    assert checked.excluded == {"malformed_row": 2, "expired": 2}
    path.write_text(TABLE + QQQ_ROW)
    assert validate(cboe.CboeSource(file=path).snapshot("SPY")).excluded["foreign_underlying"] == 2


def spx_body() -> dict:
    return json.loads(fixture_bytes("cboe/SPX.json"))


@pytest.mark.parametrize(
    "bad",
    [
        {"bid": "abc"},
        {"ask": True},
        {"iv": [0.2]},
        {"open_interest": {"value": 3}},
        {"option": {"x": 1}},
        {"last_trade_time": 5},
    ],
)
def test_json_values_of_the_wrong_type_are_set_aside(bad: dict) -> None:
    """``"bid": "abc"`` (or any value of the wrong type) used to be a polars error (HTTP
    500); now that option is set aside as ``malformed_row`` and counted."""
    body = spx_body()
    body["data"]["options"][1] |= bad
    parsed = cboe.parse_delayed_quotes(body)
    assert parsed.frame.height == 6
    assert parsed.set_aside is not None and parsed.set_aside["reason"].to_list() == [
        "malformed_row"
    ]
    snap = ChainSnapshot(
        parsed.underlying, parsed.as_of, parsed.spot, "cboe", parsed.frame,
        set_aside=parsed.set_aside,
    )  # fmt: skip
    assert validate(snap).excluded["malformed_row"] == 1


def test_json_entries_that_are_not_objects_and_numeric_strings() -> None:
    body = spx_body()
    options = body["data"]["options"]
    options[1]["bid"] = "124.0"  # a number written as text is still a number
    options.append("SPXW251219C06100000")
    options.append(None)
    parsed = cboe.parse_delayed_quotes(body)
    assert row(parsed.frame, "SPXW251219C06000000")["bid"] == 124.0
    assert parsed.set_aside is not None
    assert parsed.set_aside["reason"].to_list() == ["malformed_row", "malformed_row"]


def test_json_options_of_another_underlying_are_set_aside() -> None:
    body = spx_body()
    body["data"]["options"].append(body["data"]["options"][1] | {"option": "QQQ251219C00500000"})
    parsed = cboe.parse_delayed_quotes(body)
    assert parsed.set_aside is not None
    assert parsed.set_aside.select("contract", "reason").rows() == [
        ("QQQ251219C00500000", "foreign_underlying")
    ]
    body["data"]["symbol"] = "QQQ"
    body["data"]["options"] = body["data"]["options"][:3]
    with pytest.raises(DataSourceError, match="no option of the body belongs to QQQ"):
        cboe.parse_delayed_quotes(body)
    body["data"]["symbol"] = {"nested": "symbol"}
    with pytest.raises(DataSourceError, match=r"data\.symbol is not text"):
        cboe.parse_delayed_quotes(body)


def test_deeply_nested_json_file_is_a_typed_error(tmp_path: Path) -> None:
    """A JSON file nested deeper than the reader's recursion limit used to escape as a
    RecursionError (HTTP 500)."""
    path = tmp_path / "deep.json"
    path.write_text('{"data": {"options": [' + "[" * 100_000 + "]" * 100_000 + "]}}")
    with pytest.raises(DataSourceError, match="nested too deeply"):
        cboe.CboeSource(file=path).snapshot("SPX")


def test_real_spy_cut_after_1200_lines(shared_data: Path, tmp_path: Path) -> None:
    """The first 1,200 lines of SPY 2025-05-01 end on a whole row inside the 2025-05-09
    expiry, below spot: its strikes stop at 430 while 2025-05-08 reaches 635. The regime of
    the cut file differs from the whole file's; the warning and the per-expiry counts show it."""
    from engine import analyze

    full_path = shared_data / "cboe-csv" / "spy_2025-05-01_close_nearterm.csv"
    text = full_path.read_text()
    cut_path = tmp_path / "spy_cut.csv"
    cut_path.write_text("".join(text.splitlines(keepends=True)[:1200]))
    full = analyze(cboe.CboeSource(file=full_path).snapshot("SPY"))
    snap = cboe.CboeSource(file=cut_path).snapshot("SPY")
    assert snap.warnings == () and snap.set_aside is None  # the cut is on a line end
    checked = validate(snap)
    assert checked.warnings == (
        "expiry 2025-05-09 (SPY): strikes stop at 430 while neighbours reach 635 "
        "(spot 557.65); the data may be cut short",
    )
    cut = analyze(snap)
    assert full.regime == "negative_gamma" and cut.regime == "positive_gamma"
    per_expiry: dict[str, int] = dict(cut.data_quality["contracts_per_expiry"])  # type: ignore[call-overload]
    assert per_expiry["2025-05-09"] == 74
    assert dict(full.data_quality["contracts_per_expiry"])["2025-05-09"] == 382  # type: ignore[call-overload]
    # cut in the middle of line 1,200: the short last row is set aside and named
    mid = "".join(text.splitlines(keepends=True)[:1199]) + text.splitlines()[1199][:70]
    cut_path.write_text(mid)
    snap = cboe.CboeSource(file=cut_path).snapshot("SPY")
    (warning,) = snap.warnings
    assert warning.startswith("truncated: the last row (line 1200) has ")
    assert validate(snap).warnings[0] == warning
    assert validate(snap).excluded["malformed_row"] == 2


NUMBER_TEXTS = [
    "5.5765e2", "1,204", "71,039,449", " 12 ", "", "   ", "abc", "1,2", "12,34", "inf",
    "-Infinity", "NaN", ".5", "5.", "-0.035", "+3", "1e999", "0x10", "1_000", "--1", "1.2.3",
    "4,697.2402", "1,000e3", "e5", ".", "-",
]  # fmt: skip


@settings(max_examples=200)
@given(
    st.one_of(
        st.sampled_from(NUMBER_TEXTS), st.text(alphabet="0123456789,.-+eE nafiNI", max_size=12)
    )
)
def test_one_number_parser_for_cells_and_columns(text: str) -> None:
    """The scalar and the column reader of the adapters agree on every text."""
    column = pl.DataFrame({"t": [text]}).select(
        number_expr(pl.col("t")).alias("n"), unreadable_expr(pl.col("t")).alias("u")
    )
    value, unreadable = column.row(0)
    try:
        scalar = parse_number(text)
    except ValueError:
        assert unreadable and value is None
        return
    assert not unreadable
    if scalar is None:
        assert value is None and not text.strip()
    else:
        assert value is not None and (value == scalar or (math.isnan(value) and math.isnan(scalar)))


def test_parse_number_values() -> None:
    assert parse_number("5.5765e2") == 557.65 and parse_number("1,204") == 1204.0
    assert parse_number(None) is None and parse_number(" ") is None
    assert parse_number(3) == 3.0 and parse_number(10**400) == math.inf
    for bad in ("abc", "1,2", True, [1.0], {"v": 1}):
        with pytest.raises(ValueError):
            parse_number(bad)


def test_rate_settings_are_bounded() -> None:
    with pytest.raises(SourceConfigError, match="within ±1"):
        cboe.create(Settings("cboe", {"rate": "4"}, {}, {}))  # 4 % written as 4
    with pytest.raises(SourceConfigError, match="must be a number"):
        cboe.create(Settings("cboe", {"div_yield": "abc"}, {}, {}))
    assert cboe.create(Settings("cboe", {"rate": "4e-2"}, {}, {}))._rates[0] == 0.04


def test_cboe_reads_the_deadline_and_body_cap_settings() -> None:
    """Like every HTTP source, the Cboe source honours ``deadline`` and ``max_body_bytes``."""
    from data_adapters._frames import http_config_from
    from data_adapters.settings import Settings

    config = http_config_from(Settings("cboe", overrides={"deadline": 7, "max_body_bytes": 1024}))
    assert config.deadline == 7.0 and config.max_body_bytes == 1024
