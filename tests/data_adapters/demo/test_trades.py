"""The synthetic intraday tape: size, shape, prices against the NBBO, conditions, and the
snapshots' volume, which is the tape's counted prints summed up to ``as_of``."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_adapters.base import TRADES_SCHEMA
from data_adapters.demo import DemoSource
from data_adapters.demo.trades import COUNTED, DELAY_US, RE_REPORTS
from engine.chain import ChainSnapshot
from engine.flow.conditions import CONDITIONS, EXCLUDED_BY_DEFAULT

NY = ZoneInfo("America/New_York")
DAY = date(2024, 6, 12)
OPEN = datetime.combine(DAY, time(9, 30), tzinfo=NY).astimezone(UTC)
CLOSE = datetime.combine(DAY, time(16), tzinfo=NY).astimezone(UTC)


@pytest.fixture(scope="module")
def spx_tape(demo: DemoSource) -> pl.DataFrame:
    return demo.trades("SPX", DAY)


@pytest.fixture(scope="module")
def ndx_tape(demo: DemoSource) -> pl.DataFrame:
    return demo.trades("NDX", DAY)


def _printed(tape: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Σ size per contract of the counted prints (not excluded re-reports) up to ``as_of``."""
    return (
        tape.filter(
            (pl.col("timestamp") <= as_of) & ~pl.col("condition").is_in(sorted(EXCLUDED_BY_DEFAULT))
        )
        .group_by("contract")
        .agg(pl.col("size").sum().alias("printed"))
    )


def _assert_volume_is_the_tape(snap: ChainSnapshot, tape: pl.DataFrame) -> int:
    """Every row's volume (expired and duplicate rows included) is its tape up to as_of."""
    joined = (
        snap.frame.select("contract", "volume")
        .join(_printed(tape, snap.as_of), on="contract", how="left")
        .with_columns(pl.col("printed").fill_null(0))
    )
    wrong = joined.filter(pl.col("volume") != pl.col("printed"))
    assert wrong.height == 0, wrong.head()
    return int(joined["volume"].sum())


def test_schema_size_and_determinism(demo: DemoSource, spx_tape: pl.DataFrame) -> None:
    assert spx_tape.schema == pl.Schema(TRADES_SCHEMA)
    assert spx_tape.height >= 300_000
    assert spx_tape.null_count().sum_horizontal().item() == 0
    assert spx_tape.equals(DemoSource(seed=11).trades("spx", DAY))
    assert not spx_tape.equals(DemoSource(seed=12).trades("SPX", DAY))
    assert not spx_tape.equals(demo.trades("SPX", DAY + timedelta(days=1)))


def test_the_same_tape_in_another_process(ndx_tape: pl.DataFrame) -> None:
    code = (
        "import hashlib, datetime as d; from data_adapters.demo import DemoSource;"
        "t = DemoSource(seed=11).trades('NDX', d.date(2024, 6, 12));"
        "print(hashlib.sha256(t.write_csv().encode()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "777", "PATH": ""},
    )
    assert out.stdout.strip() == hashlib.sha256(ndx_tape.write_csv().encode()).hexdigest()


def test_a_frozen_clock_changes_nothing(demo: DemoSource, ndx_tape: pl.DataFrame) -> None:
    at = datetime(2024, 6, 12, 17, 0, 0, 250_000, tzinfo=UTC)
    clocked = DemoSource(seed=11, clock=at)
    assert clocked.trades("NDX", DAY).equals(ndx_tape)
    assert _assert_volume_is_the_tape(clocked.snapshot("NDX"), ndx_tape) > 0


def test_sorted_within_the_session_and_u_shaped(spx_tape: pl.DataFrame) -> None:
    stamps = spx_tape["timestamp"]
    assert stamps.is_sorted()
    assert stamps.min() > OPEN and stamps.max() < CLOSE  # type: ignore[operator]
    since_open = stamps.dt.epoch("us") - int(OPEN.timestamp()) * 1_000_000
    half_hours = (since_open // 1_800_000_000).value_counts().sort(since_open.name)["count"]
    assert half_hours.len() == 13
    midday = half_hours[4:9].mean()
    assert half_hours[0] > 2 * midday and half_hours[12] > 2 * midday  # type: ignore[operator]
    assert 0.1 < half_hours[0] / spx_tape.height < 0.2


def test_sizes_are_small_with_a_heavy_tail_and_rare_blocks(spx_tape: pl.DataFrame) -> None:
    size = spx_tape["size"]
    assert size.min() >= 1
    assert 0.4 < (size == 1).mean() < 0.6  # type: ignore[operator]
    assert (size <= 10).mean() > 0.9  # type: ignore[operator]
    assert 0.002 < (size > 50).mean() < 0.02  # type: ignore[operator]
    blocks = spx_tape.filter(pl.col("size") >= 500)
    assert 10 <= blocks.height < 0.001 * spx_tape.height
    assert (blocks["size"] % 500 == 0).all()
    assert 3 < size.mean() < 6  # type: ignore[operator]


def test_conditions_are_canonical_with_a_few_excluded(spx_tape: pl.DataFrame) -> None:
    counts = dict(spx_tape["condition"].value_counts().iter_rows())
    assert set(counts) <= set(CONDITIONS)
    names = {c for c, _, _ in COUNTED} | {c for c, _, _ in RE_REPORTS} | {"opening"}
    assert names == set(counts) and set(counts) >= EXCLUDED_BY_DEFAULT
    excluded = sum(counts[c] for c in EXCLUDED_BY_DEFAULT) / spx_tape.height
    assert 0.001 < excluded < 0.01  # a fraction of a percent
    assert max(counts, key=counts.__getitem__) == "auto_execution"
    legs = sum(v for c, v in counts.items() if c.startswith("multi_leg")) / spx_tape.height
    assert 0.1 < legs < 0.3
    opening = spx_tape.filter(pl.col("condition") == "opening")
    assert opening["timestamp"].max() < OPEN + timedelta(minutes=1)  # type: ignore[operator]
    assert opening["contract"].n_unique() == opening.height
    large = spx_tape.filter(pl.col("size") >= 50)["condition"]
    assert (large == "auto_execution").mean() < 0.35  # type: ignore[operator]


def test_excluded_prints_repeat_earlier_prints(spx_tape: pl.DataFrame) -> None:
    excluded = pl.col("condition").is_in(sorted(EXCLUDED_BY_DEFAULT))
    again = spx_tape.filter(excluded).with_row_index("copy")
    counted = spx_tape.filter(~excluded).select("contract", "size", pl.col("timestamp").alias("t0"))
    lag = (pl.col("timestamp") - pl.col("t0")).dt.total_microseconds()
    matched = (
        again.join(counted, on=["contract", "size"])
        .filter((lag >= 0) & (lag <= DELAY_US[1]))
        .select("copy")
        .unique()
    )
    assert matched.height == again.height  # each repeats a counted print shortly before it


def test_prices_against_the_nbbo(spx_tape: pl.DataFrame) -> None:
    price, bid, ask = spx_tape["price"], spx_tape["bid"], spx_tape["ask"]
    assert (bid <= price).all() and (price <= ask).all() and (price > 0).all()
    assert (bid < ask).all()
    mid = (bid + ask) / 2
    at_ask, at_bid, at_mid = (price == ask).mean(), (price == bid).mean(), (price == mid).mean()
    inside = ((price > bid) & (price < ask) & (price != mid)).mean()
    assert 0.35 < at_ask < 0.5 and 0.25 < at_bid < 0.4  # type: ignore[operator]
    assert 0.1 < inside < 0.3  # type: ignore[operator]
    assert 0.03 < at_mid < 0.08  # type: ignore[operator]  # the simulator's unclassified prints
    assert not ((bid == 0) & (price == bid)).any()  # nobody sells at a zero bid


def test_flow_concentrates_near_the_money_and_on_0dte(
    demo: DemoSource, spx_tape: pl.DataFrame
) -> None:
    chain = demo.snapshot("SPX", OPEN - timedelta(hours=1)).frame.unique("contract")
    traded = spx_tape.join(chain, on="contract", how="left")
    assert traded["expiration"].null_count() == 0  # every traded contract is listed
    lots = traded.group_by("expiration").agg(pl.col("size").sum()).sort("size", descending=True)
    assert lots["expiration"][0] == DAY
    assert lots["size"][0] > 0.5 * lots["size"].sum()  # 0DTE dominates
    spot = demo.snapshot("SPX", datetime.combine(DAY, time(12), tzinfo=NY)).spot
    near = traded.filter((pl.col("strike") / spot - 1).abs() < 0.02)
    assert near["size"].sum() > 0.6 * traded["size"].sum()
    assert not traded["settlement"].le(OPEN).any()  # AM-settled expiries do not trade


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2024, 6, 12, 12, 0, tzinfo=UTC),  # before the open
        OPEN,
        OPEN + timedelta(microseconds=1),
        OPEN + timedelta(minutes=1),
        datetime(2024, 6, 12, 15, 0, tzinfo=UTC),
        datetime(2024, 6, 12, 17, 30, 0, 123_456, tzinfo=UTC),
        CLOSE - timedelta(microseconds=1),
        CLOSE,  # today's 0DTE has settled: its ATM pair is the snapshot's expired rows
        datetime(2024, 6, 12, 21, 0, tzinfo=UTC),
        datetime(2024, 6, 13, 3, 0, tzinfo=UTC),  # 23:00 New York, still the 12th
    ],
)
def test_snapshot_volume_is_the_tape_so_far(
    demo: DemoSource, spx_tape: pl.DataFrame, as_of: datetime
) -> None:
    snap = demo.snapshot("SPX", as_of)
    total = _assert_volume_is_the_tape(snap, spx_tape)
    if as_of <= OPEN:
        assert total == 0
    elif as_of >= OPEN + timedelta(minutes=1):
        assert total > 0
    if as_of >= CLOSE:
        expired = snap.frame.filter(pl.col("settlement") <= as_of)
        assert (expired["expiration"] == DAY).all() and (expired["volume"] > 0).all()


@settings(max_examples=25)
@given(st.integers(0, int((CLOSE - OPEN) / timedelta(microseconds=1))))
def test_snapshot_volume_is_the_tape_at_any_microsecond(
    demo: DemoSource, ndx_tape: pl.DataFrame, offset: int
) -> None:
    _assert_volume_is_the_tape(
        demo.snapshot("NDX", OPEN + timedelta(microseconds=offset)), ndx_tape
    )


def test_futures_options_trade_and_match_their_snapshots(demo: DemoSource) -> None:
    es = demo.trades("ES=F", DAY)
    assert es.height > 50_000 and es["contract"].str.contains(" ").all()
    assert (es["bid"] <= es["price"]).all() and (es["price"] <= es["ask"]).all()
    cents = (es["bid"] * 100).round().cast(pl.Int64)
    assert ((cents % 5) == 0).all()  # CME ticks: 0.05 up to 5.00, 0.25 above
    assert ((es["bid"] <= 5) | (cents % 25 == 0)).all()
    for as_of in (datetime(2024, 6, 12, 16, 45, tzinfo=UTC), CLOSE):
        assert _assert_volume_is_the_tape(demo.snapshot("ES=F", as_of), es) > 0


def test_synthetic_stocks_trade_a_little(demo: DemoSource) -> None:
    market = DemoSource(seed=11, universe="market")
    for rank in (100, 3000):
        stock = market.symbols()[rank]
        tape = market.trades(stock, DAY)
        assert 0 < tape.height < 20_000 and tape["contract"].str.starts_with(stock).all()
        as_of = datetime(2024, 6, 12, 18, 0, tzinfo=UTC)
        assert _assert_volume_is_the_tape(market.snapshot(stock, as_of), tape) > 0
    big, small = (market.trades(market.symbols()[r], DAY).height for r in (20, 3000))
    assert big > 10 * small


def test_no_session_no_trades_and_until(demo: DemoSource, ndx_tape: pl.DataFrame) -> None:
    assert demo.trades("SPX", date(2024, 6, 15)).height == 0  # Saturday
    assert demo.trades("SPX", date(2024, 6, 19)).schema == pl.Schema(TRADES_SCHEMA)  # Juneteenth
    until = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)
    cut = demo.trades("NDX", DAY, until=until)
    assert 0 < cut.height < ndx_tape.height
    assert cut.equals(ndx_tape.filter(pl.col("timestamp") <= until))
    assert demo.trades("NDX", DAY, until=OPEN).height == 0


@pytest.mark.parametrize(
    ("day", "instants"),
    [
        # the January monthly: NDX's AM-settled monthly settles at the open and never trades
        (date(2025, 1, 17), [datetime(2025, 1, 17, 15, 0, tzinfo=UTC)]),
        # an early close at 13:00 New York
        (
            date(2024, 11, 29),
            [datetime(2024, 11, 29, 17, 0, tzinfo=UTC), datetime(2024, 11, 29, 18, 30, tzinfo=UTC)],
        ),
    ],
)
def test_expiration_days_and_early_closes(
    demo: DemoSource, day: date, instants: list[datetime]
) -> None:
    tape = demo.trades("NDX", day)
    first, last = tape["timestamp"].min(), tape["timestamp"].max()
    assert first > datetime.combine(day, time(9, 30), tzinfo=NY)  # type: ignore[operator]
    for as_of in instants:
        snap = demo.snapshot("NDX", as_of)
        assert _assert_volume_is_the_tape(snap, tape) > 0
        am = snap.frame.filter((pl.col("root") == "NDX") & (pl.col("expiration") == day))
        assert (am["volume"] == 0).all()
    if day.month == 11:
        assert last < datetime.combine(day, time(13), tzinfo=NY)  # type: ignore[operator]


def test_until_is_a_prefix_of_the_kept_whole_day_tape() -> None:
    """``trades(until=)`` is the whole day's tape cut at ``until`` (the tape is generated
    once per day and kept; later calls slice it), for instants in and around the session."""
    source = DemoSource(seed=3)
    day = date(2026, 11, 18)
    whole = source.trades("QQQ", day)
    assert whole["timestamp"].is_sorted() and whole.height > 0
    for hour, minute in ((9, 0), (9, 30), (12, 17), (15, 59), (16, 30)):
        until = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo("America/New_York"))
        cut = source.trades("QQQ", day, until=until)
        want = whole.filter(pl.col("timestamp") <= until.astimezone(UTC))
        assert cut.equals(want), (hour, minute)
    # a fresh source with the same settings serves the same tape (deterministic, not state)
    assert DemoSource(seed=3).trades("QQQ", day).equals(whole)
