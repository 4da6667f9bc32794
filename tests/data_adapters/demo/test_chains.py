"""The vectorized chain builder on hand-made slices."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import polars as pl

from data_adapters.demo.chains import BadRows, build, build_with_rows, contract_ids
from data_adapters.demo.sessions import to_us, trading_day
from engine.chain import SCHEMA
from tests.data_adapters.demo.conftest import make_slices

AS_OF = datetime(2024, 6, 12, 17, 30, tzinfo=UTC)
DAY = trading_day(AS_OF)


def test_the_frame_is_canonical() -> None:
    frame = build(make_slices(), to_us(AS_OF), DAY, 0.04)
    assert frame.schema == pl.Schema(dict(SCHEMA))
    assert frame["contract"].str.contains(r"^XYZ\d{6}[CP]\d{8}$").all()
    assert frame.filter(pl.col("is_call"))["strike"].equals(
        frame.filter(~pl.col("is_call"))["strike"]
    )
    assert (frame["open_interest"] >= 0).all() and (frame["volume"] >= 0).all()


def test_bad_rows_are_deterministic_shares() -> None:
    frame = build(make_slices(), to_us(AS_OF), DAY, 0.04, BadRows(crossed=0.01, missing_iv=0.2))
    crossed = frame["ask"] < frame["bid"]
    assert 0.001 < crossed.mean() < 0.05  # type: ignore[operator]
    assert frame.filter(crossed)["iv"].is_nan().all()
    assert 0.1 < frame["iv"].is_nan().mean() < 0.3  # type: ignore[operator]
    clean = build(make_slices(), to_us(AS_OF), DAY, 0.04, BadRows(crossed=0.0, missing_iv=0.0))
    assert not (clean["ask"] < clean["bid"]).any() and not clean["iv"].is_nan().any()


def test_at_least_one_crossed_quote_per_underlying() -> None:
    frame, rows = build_with_rows(
        make_slices((0, 1, 2)), to_us(AS_OF), DAY, 0.04, BadRows(crossed=1e-9)
    )
    owners = make_slices((0, 1, 2)).owner[rows.slice_of]
    crossed = (frame["ask"] < frame["bid"]).to_numpy()
    assert sorted(set(owners[crossed].tolist())) == [0, 1, 2]


def test_an_underlying_alone_equals_its_rows_in_a_bigger_build() -> None:
    both = make_slices((0, 1))
    frame, rows = build_with_rows(both, to_us(AS_OF), DAY, 0.04)
    alone = build(both.take(both.owner == 1), to_us(AS_OF), DAY, 0.04)
    mine = frame.filter(pl.Series(both.owner[rows.slice_of] == 1))
    assert mine.equals(alone)


def test_volume_grows_through_the_day() -> None:
    def at(hour: int, minute: int = 0) -> pl.DataFrame:
        instant = datetime(2024, 6, 12, hour, minute, tzinfo=UTC)
        return build(make_slices(), to_us(instant), DAY, 0.04)

    early, late, after = at(14), at(19, 30), at(21)
    assert early["open_interest"].equals(late["open_interest"])
    assert (late["volume"] >= early["volume"]).all() and late["volume"].sum() > 5 * early[
        "volume"
    ].sum()
    assert (after["volume"] >= late["volume"]).all()
    none = at(13, 30)  # the open itself: nothing has printed yet
    assert none["volume"].sum() == 0 and none["last"].is_nan().all()


def test_cme_style_contract_ids() -> None:
    slices = make_slices(future=True)
    frame, rows = build_with_rows(slices, to_us(AS_OF), DAY, 0.04)
    assert frame["contract"].equals(contract_ids(slices, rows), check_names=False)
    first = frame.filter(pl.col("expiration") == date(2024, 9, 20)).row(0, named=True)
    assert re.fullmatch(r"ESU4 [CP]\d+", first["contract"])
    assert first["contract"].endswith(str(int(first["strike"])))
