"""Snapshots of the named demo symbols: validity, realism and the deliberate bad rows."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from data_adapters.demo import DemoSource
from data_adapters.demo.universe import STANDARD
from engine.chain import SCHEMA, ChainSnapshot, validate
from engine.greeks import bsm
from engine.settlement import with_settlement
from engine.time import years_to_settlement
from tests.data_adapters.demo.conftest import WEDNESDAY

NEW_YORK = ZoneInfo("America/New_York")


def _live(snap: ChainSnapshot) -> pl.DataFrame:
    return snap.frame.filter(pl.col("settlement") > snap.as_of)


@pytest.mark.parametrize("symbol", list(STANDARD))
def test_every_symbol_validates_with_counted_bad_rows(
    friday_snapshots: dict[str, ChainSnapshot], symbol: str
) -> None:
    snap = friday_snapshots[symbol]
    assert snap.frame.schema == pl.Schema(dict(SCHEMA))
    checked = validate(snap)
    assert checked.excluded["expired"] == 2
    assert checked.excluded["duplicate_contract"] == 1
    assert checked.excluded["crossed_quote"] >= 1
    assert set(checked.excluded) == {"expired", "duplicate_contract", "crossed_quote"}
    assert checked.contracts_used + sum(checked.excluded.values()) == snap.frame.height
    assert checked.contracts_used > 500
    assert snap.underlying == symbol and snap.source == "demo"


def test_settlement_matches_the_engine(friday_snapshots: dict[str, ChainSnapshot]) -> None:
    for snap in friday_snapshots.values():
        recomputed = with_settlement(snap.frame.with_columns(pl.lit(None).alias("settlement")))
        assert recomputed["settlement"].equals(snap.frame["settlement"])


def test_only_the_deliberate_rows_have_settled(friday_snapshots: dict[str, ChainSnapshot]) -> None:
    for snap in friday_snapshots.values():
        settled = snap.frame.filter(pl.col("settlement") <= snap.as_of)
        assert settled.height == 2
        assert sorted(settled["is_call"].to_list()) == [False, True]


def test_same_seed_and_instant_give_identical_frames(demo: DemoSource) -> None:
    a = demo.snapshot("SPX", WEDNESDAY)
    b = DemoSource(seed=11).snapshot("spx", WEDNESDAY)
    assert a.frame.equals(b.frame, null_equal=True)
    assert (a.spot, a.rate, a.div_yield) == (b.spot, b.rate, b.div_yield)
    other = DemoSource(seed=12).snapshot("SPX", WEDNESDAY)
    assert other.spot != a.spot


def _digest(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


def test_identical_bytes_in_another_process(demo: DemoSource) -> None:
    code = (
        "import hashlib, datetime as d; from data_adapters.demo import DemoSource;"
        "s = DemoSource(seed=11).snapshot('QQQ', d.datetime(2024, 6, 12, 17, 30, tzinfo=d.UTC));"
        "print(hashlib.sha256(s.frame.write_csv().encode()).hexdigest(), repr(s.spot))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    snap = demo.snapshot("QQQ", WEDNESDAY)
    assert out.stdout.split() == [_digest(snap.frame), repr(snap.spot)]


@pytest.mark.parametrize("symbol", ["SPX", "SPY", "QQQ", "ES=F"])
def test_zero_dte_on_a_weekday_session(demo: DemoSource, symbol: str) -> None:
    snap = demo.snapshot(symbol, WEDNESDAY)
    today = WEDNESDAY.astimezone(NEW_YORK).date()
    zero = _live(snap).filter(pl.col("expiration") == today)
    assert zero.height > 40
    assert zero["volume"].sum() > 0.1 * _live(snap)["volume"].sum()


def test_after_the_close_today_is_gone(demo: DemoSource) -> None:
    after = datetime.combine(date(2024, 6, 12), time(16, 30), tzinfo=NEW_YORK)
    snap = demo.snapshot("SPX", after)
    assert _live(snap).filter(pl.col("expiration") == date(2024, 6, 12)).height == 0


def test_spx_has_am_monthlies_and_pm_weeklies(demo: DemoSource) -> None:
    snap = demo.snapshot("SPX", WEDNESDAY)
    live = _live(snap)
    assert set(live["root"].unique()) == {"SPX", "SPXW"}
    monthly = live.filter((pl.col("root") == "SPX") & (pl.col("expiration") == date(2024, 6, 21)))
    assert monthly.height > 100 and (monthly["style"] == "european").all()
    settle = monthly["settlement"][0].astimezone(NEW_YORK)
    assert (settle.date(), settle.time()) == (date(2024, 6, 21), time(9, 30))
    weekly = live.filter((pl.col("root") == "SPXW") & (pl.col("expiration") == date(2024, 6, 21)))
    assert weekly["settlement"][0].astimezone(NEW_YORK).time() == time(16, 0)
    assert live["expiration"].max() > date(2027, 1, 1)  # LEAPS


def test_spx_looks_like_spx(friday_snapshots: dict[str, ChainSnapshot]) -> None:
    snap = friday_snapshots["SPX"]
    assert 3000 < snap.spot < 12000
    assert 15_000 < snap.frame.height < 40_000
    assert friday_snapshots["SPY"].spot == pytest.approx(snap.spot * 0.0998)
    assert 12_000 < friday_snapshots["NDX"].spot < 40_000
    strikes = np.sort(
        _live(snap).filter(pl.col("expiration") == date(2025, 3, 21))["strike"].unique().to_numpy()
    )
    gaps = np.diff(strikes)
    near = np.abs(strikes[1:] / snap.spot - 1) < 0.02
    assert set(gaps[near]) == {5.0} and gaps.max() >= 100.0


@pytest.mark.parametrize(
    ("symbol", "multiplier", "quarterly"), [("ES=F", 50.0, "ES"), ("NQ=F", 20.0, "NQ")]
)
def test_futures_are_black76_on_the_future(
    friday_snapshots: dict[str, ChainSnapshot], symbol: str, multiplier: float, quarterly: str
) -> None:
    snap = friday_snapshots[symbol]
    live = _live(snap)
    assert (live["model"] == "black76").all() and (live["multiplier"] == multiplier).all()
    assert snap.div_yield == 0.0
    index = friday_snapshots["SPX" if symbol == "ES=F" else "NDX"].spot
    assert snap.spot > index  # positive carry: rate above the dividend yield
    assert snap.spot == pytest.approx(index, rel=0.02)
    roots = set(live["root"].unique())
    assert quarterly in roots and len(roots) >= 8
    styles = dict(live.select("root", "style").unique().iter_rows())
    assert styles[quarterly] == "american" and {styles[r] for r in roots - {quarterly}} == {
        "european"
    }
    prices = live.group_by("expiration").agg(pl.col("underlying_price").first()).sort("expiration")
    assert prices["underlying_price"].n_unique() >= 4  # one price per quarterly future
    assert live["contract"].str.contains(" ").all()


def test_open_interest_skew(friday_snapshots: dict[str, ChainSnapshot]) -> None:
    for symbol in ("SPX", "SPY", "AAPL", "ES=F"):
        live = _live(friday_snapshots[symbol])
        spot = friday_snapshots[symbol].spot
        below = live.filter(pl.col("strike") < spot)
        above = live.filter(pl.col("strike") > spot)
        assert (
            below.filter(~pl.col("is_call"))["open_interest"].sum()
            > 2 * below.filter(pl.col("is_call"))["open_interest"].sum()
        )
        assert (
            above.filter(pl.col("is_call"))["open_interest"].sum()
            > 2 * above.filter(~pl.col("is_call"))["open_interest"].sum()
        )


def test_open_interest_clusters_near_the_money_and_round_strikes(
    friday_snapshots: dict[str, ChainSnapshot],
) -> None:
    snap = friday_snapshots["SPX"]
    live = _live(snap).filter(pl.col("expiration") == date(2025, 3, 21))
    per_strike = live.group_by("strike").agg(pl.col("open_interest").sum())
    round_ = per_strike.filter(pl.col("strike") % 100 == 0)["open_interest"].mean()
    odd = per_strike.filter(pl.col("strike") % 25 != 0)["open_interest"].mean()
    assert round_ > 4 * odd
    near = per_strike.filter((pl.col("strike") / snap.spot - 1).abs() < 0.1)["open_interest"].sum()
    assert near > 0.5 * per_strike["open_interest"].sum()


def test_quotes_and_vendor_fields(friday_snapshots: dict[str, ChainSnapshot]) -> None:
    snap = friday_snapshots["SPX"]
    live = _live(snap)
    crossed = live.filter(pl.col("ask") < pl.col("bid"))
    assert crossed.height >= 1 and crossed["iv"].is_nan().all()
    fine = live.filter(pl.col("ask") >= pl.col("bid"))
    assert (fine["bid"] >= 0).all() and (fine["ask"] > 0).all()
    assert (fine["bid"] == 0).sum() > 20  # far out-of-the-money zero bids
    missing = live["iv"].is_nan().mean()
    assert 0.01 < missing < 0.06
    sample = live.filter(pl.col("iv").is_not_nan()).gather_every(97)
    t = years_to_settlement(sample["settlement"], snap.as_of)
    g = bsm(
        sample["underlying_price"],
        sample["strike"],
        t,
        snap.rate,
        snap.div_yield,
        sample["iv"],
        sample["is_call"],
    )
    np.testing.assert_allclose(sample["vendor_delta"].to_numpy(), g.delta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sample["vendor_gamma"].to_numpy(), g.gamma, rtol=1e-9, atol=1e-15)
    mid = ((fine["bid"] + fine["ask"]) / 2).to_numpy()
    width = (fine["ask"] - fine["bid"]).to_numpy()
    liquid = (fine["bid"] > 1).to_numpy()
    assert np.median(width[liquid] / mid[liquid]) < 0.05


def test_contract_ids_are_osi_without_padding(friday_snapshots: dict[str, ChainSnapshot]) -> None:
    frame = _live(friday_snapshots["SPX"])
    expected = frame.select(
        pl.concat_str(
            "root",
            pl.col("expiration").dt.strftime("%y%m%d"),
            pl.when("is_call").then(pl.lit("C")).otherwise(pl.lit("P")),
            (pl.col("strike") * 1000).round().cast(pl.Int64).cast(pl.String).str.zfill(8),
        )
    ).to_series()
    assert frame["contract"].equals(expected, check_names=False)
    assert frame["contract"].n_unique() == frame.height - 1  # the deliberate duplicate


def test_a_weekend_holds_the_friday_close(demo: DemoSource) -> None:
    saturday = demo.snapshot("AAPL", datetime(2024, 6, 15, 15, tzinfo=UTC))
    sunday = demo.snapshot("AAPL", datetime(2024, 6, 16, 20, tzinfo=UTC))
    friday_close = demo.snapshot("AAPL", datetime(2024, 6, 14, 20, 0, tzinfo=UTC))
    assert saturday.spot == sunday.spot == friday_close.spot
    assert saturday.frame["volume"].sum() == 0


def test_the_spot_moves_within_the_day(demo: DemoSource) -> None:
    spots = [
        demo.snapshot("SPY", datetime(2024, 6, 12, h, 0, tzinfo=UTC)).spot for h in (14, 16, 18, 20)
    ]
    assert len(set(spots)) == 4
    assert max(spots) / min(spots) < 1.05
