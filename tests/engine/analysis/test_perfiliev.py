"""The perfiliev preset against hand-computed values and a literal transcription of the script."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from engine.analysis.perfiliev import (
    SCRIPT_IGNORES,
    busday_years,
    file_date,
    first_crossing,
    perfiliev_analysis,
    script_rows,
)
from engine.analysis.single import analyze
from engine.chain import REASONS, SCHEMA, validate
from engine.errors import ConfigurationError
from tests.engine import chain_factory as cf

FILE_DATE = date(2024, 1, 5)  # a Friday
NAN = float("nan")


# ---------------------------------------------------------------------------- literal script


def _script(
    spotPrice: float, todayDate: datetime, df: pd.DataFrame, year_days: int, floor: bool
) -> dict[str, Any]:
    """The widely copied script's computation, transcribed line by line (loops and all).

    The only changes: ``262`` is the ``year_days`` argument, and ``floor=False`` gives a
    same-day expiry ``T = 0`` (which ``calcGammaEx`` turns into 0) instead of ``1/262``.
    """

    def calcGammaEx(S, K, vol, T, r, q, optType, OI):  # type: ignore[no-untyped-def]  # noqa: N802
        if T == 0 or vol == 0:
            return 0

        dp = (np.log(S / K) + (r - q + 0.5 * vol**2) * T) / (vol * np.sqrt(T))
        dm = dp - vol * np.sqrt(T)

        if optType == "call":
            gamma = np.exp(-q * T) * norm.pdf(dp) / (S * vol * np.sqrt(T))
            return OI * 100 * S * S * 0.01 * gamma
        else:  # Gamma is same for calls and puts. This is just to cross-check
            gamma = K * np.exp(-r * T) * norm.pdf(dm) / (S * S * vol * np.sqrt(T))
            return OI * 100 * S * S * 0.01 * gamma

    fromStrike = 0.8 * spotPrice
    toStrike = 1.2 * spotPrice

    df["CallGEX"] = df["CallGamma"] * df["CallOpenInt"] * 100 * spotPrice * spotPrice * 0.01
    df["PutGEX"] = df["PutGamma"] * df["PutOpenInt"] * 100 * spotPrice * spotPrice * 0.01 * -1
    df["TotalGamma"] = (df.CallGEX + df.PutGEX) / 10**9
    dfAgg = df.groupby(["StrikePrice"]).sum(numeric_only=True)

    levels = np.linspace(fromStrike, toStrike, 60)

    # For 0DTE options, I'm setting DTE = 1 day, otherwise they get excluded
    df["daysTillExp"] = [
        (1 / year_days if floor else 0)
        if (np.busday_count(todayDate.date(), x.date())) == 0
        else np.busday_count(todayDate.date(), x.date()) / year_days
        for x in df.ExpirationDate
    ]

    totalGamma = []
    for level in levels:
        df["callGammaEx"] = df.apply(
            lambda row, level=level: calcGammaEx(
                level,
                row["StrikePrice"],
                row["CallIV"],
                row["daysTillExp"],
                0,
                0,
                "call",
                row["CallOpenInt"],
            ),
            axis=1,
        )
        df["putGammaEx"] = df.apply(
            lambda row, level=level: calcGammaEx(
                level,
                row["StrikePrice"],
                row["PutIV"],
                row["daysTillExp"],
                0,
                0,
                "put",
                row["PutOpenInt"],
            ),
            axis=1,
        )
        totalGamma.append(df["callGammaEx"].sum() - df["putGammaEx"].sum())

    totalGamma = np.array(totalGamma) / 10**9  # type: ignore[assignment]

    zeroCrossIdx = np.where(np.diff(np.sign(totalGamma)))[0]
    negGamma = totalGamma[zeroCrossIdx]
    posGamma = totalGamma[zeroCrossIdx + 1]
    negStrike = levels[zeroCrossIdx]
    posStrike = levels[zeroCrossIdx + 1]
    zeroGamma = posStrike - ((posStrike - negStrike) * posGamma / (posGamma - negGamma))
    return {
        "total_gamma_bn": df["TotalGamma"].sum(),
        "agg": dfAgg,
        "levels": levels,
        "profile_bn": totalGamma,
        "zero_gamma": zeroGamma[0] if zeroGamma.size else None,
    }


def _random_wide_chain(seed: int, spot: float) -> pd.DataFrame:
    """One row per (expiry, strike) with call and put columns, as in the Cboe file."""
    rng = np.random.default_rng(seed)
    expiries = [
        date(2024, 1, 5),  # same day: 0 business days
        date(2024, 1, 8),
        date(2024, 1, 12),
        date(2024, 1, 19),
        date(2024, 1, 20),  # a Saturday (legacy AM monthly listing)
        date(2024, 2, 16),
        date(2024, 3, 15),
    ]
    strikes = np.arange(round(spot * 0.85 / 50) * 50, spot * 1.15, 50.0)
    rows = []
    for e in expiries:
        for k in strikes:
            moneyness = (k - spot) / spot
            rows.append(
                {
                    "ExpirationDate": pd.Timestamp(e) + timedelta(hours=16),
                    "StrikePrice": float(k),
                    "CallIV": float(rng.uniform(0.08, 0.5)),
                    "PutIV": float(rng.uniform(0.08, 0.5)),
                    "CallGamma": float(rng.uniform(0.0, 0.003)),
                    "PutGamma": float(rng.uniform(0.0, 0.003)),
                    "CallOpenInt": float(rng.integers(0, 2000) * (1 + 3 * max(moneyness, 0))),
                    "PutOpenInt": float(rng.integers(0, 2000) * (1 + 6 * max(-moneyness, 0))),
                }
            )
    df = pd.DataFrame(rows)
    n = len(df)
    df.loc[rng.choice(n, 5, replace=False), "CallIV"] = 0.0
    df.loc[rng.choice(n, 5, replace=False), "PutIV"] = 0.0
    df.loc[rng.choice(n, 3, replace=False), "CallIV"] = NAN
    df.loc[rng.choice(n, 3, replace=False), "PutIV"] = NAN
    return df


def _long(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """The wide frame as per-contract arrays: all calls, then all puts."""
    exp = np.array([ts.date() for ts in df["ExpirationDate"]] * 2, dtype="datetime64[D]")
    return {
        "expiration": exp,
        "strike": np.concatenate([df["StrikePrice"], df["StrikePrice"]]),
        "is_call": np.concatenate([np.ones(len(df), bool), np.zeros(len(df), bool)]),
        "open_interest": np.concatenate([df["CallOpenInt"], df["PutOpenInt"]]),
        "vendor_gamma": np.concatenate([df["CallGamma"], df["PutGamma"]]),
        "iv": np.concatenate([df["CallIV"], df["PutIV"]]),
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "spot", "year_days", "floor"),
    [(1, 4712.37, 262, True), (2, 4700.0, 252, True), (3, 4698.5, 262, False)],
)
def test_matches_literal_script(seed: int, spot: float, year_days: int, floor: bool) -> None:
    df = _random_wide_chain(seed, spot)
    expected = _script(spot, datetime(2024, 1, 5), df.copy(), year_days, floor)
    result = perfiliev_analysis(
        spot, FILE_DATE, **_long(df), year_days=year_days, zero_dte_floor=floor
    )
    np.testing.assert_array_equal(result.levels, expected["levels"])
    profile_bn = result.profile / 1e9
    scale = float(np.max(np.abs(expected["profile_bn"])))
    np.testing.assert_allclose(profile_bn, expected["profile_bn"], rtol=1e-12, atol=1e-13 * scale)
    assert result.net_gex / 1e9 == pytest.approx(expected["total_gamma_bn"], rel=1e-12)
    agg = expected["agg"]
    assert isinstance(agg, pd.DataFrame)
    np.testing.assert_array_equal(result.strike, agg.index.to_numpy())
    np.testing.assert_allclose(result.call_gex, agg["CallGEX"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(result.put_gex, agg["PutGEX"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        result.strike_net_gex / 1e9, agg["TotalGamma"].to_numpy(), rtol=1e-12, atol=1e-15
    )
    assert expected["zero_gamma"] is not None
    assert result.status == "available"
    assert result.gamma_flip == pytest.approx(expected["zero_gamma"], rel=1e-12)


# ---------------------------------------------------------------------------- hand computed


def test_net_and_per_strike_gex_by_hand() -> None:
    # S² · 0.01 · 100 = 10,000 at S = 100
    result = perfiliev_analysis(
        100.0,
        FILE_DATE,
        expiration=[date(2024, 1, 19)] * 3,
        strike=[100.0, 100.0, 110.0],
        is_call=[True, False, True],
        open_interest=[10, 5, 3],
        vendor_gamma=[0.05, 0.04, 0.02],
        iv=[0.2, 0.2, 0.2],
    )
    assert result.net_gex == pytest.approx(5000.0 - 2000.0 + 600.0, rel=1e-14)
    np.testing.assert_array_equal(result.strike, [100.0, 110.0])
    np.testing.assert_allclose(result.call_gex, [5000.0, 600.0], rtol=1e-14)
    np.testing.assert_allclose(result.put_gex, [-2000.0, 0.0], rtol=1e-14)
    np.testing.assert_allclose(result.strike_net_gex, [3000.0, 600.0], rtol=1e-14)


def _hand_gamma_exposure(level: float, k: float, vol: float, t: float, oi: float) -> float:
    d1 = (math.log(level / k) + 0.5 * vol * vol * t) / (vol * math.sqrt(t))
    gamma = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi) / (level * vol * math.sqrt(t))
    return oi * 100 * level * level * 0.01 * gamma


def test_flip_by_hand_for_a_put_and_a_call() -> None:
    # put at 90, call at 110, same OI, IV and expiry (20 business days): the continuous
    # profile vanishes where d1(K=90) = −d1(K=110), i.e. at sqrt(90·110)·exp(−σ²T/2)
    vol, oi, expiry = 0.2, 1000.0, date(2024, 2, 2)
    t = 20 / 262
    assert np.busday_count(FILE_DATE, expiry) == 20
    result = perfiliev_analysis(
        100.0,
        FILE_DATE,
        expiration=[expiry, expiry],
        strike=[90.0, 110.0],
        is_call=[False, True],
        open_interest=[oi, oi],
        vendor_gamma=[0.01, 0.01],
        iv=[vol, vol],
    )
    levels = np.linspace(80.0, 120.0, 60)
    np.testing.assert_array_equal(result.levels, levels)
    hand = [
        _hand_gamma_exposure(L, 110.0, vol, t, oi) - _hand_gamma_exposure(L, 90.0, vol, t, oi)
        for L in levels
    ]
    np.testing.assert_allclose(result.profile, hand, rtol=1e-12)
    root = math.sqrt(90.0 * 110.0) * math.exp(-0.5 * vol * vol * t)
    i = int(np.searchsorted(levels, root)) - 1
    assert hand[i] < 0 < hand[i + 1]
    interpolated = levels[i + 1] - (levels[i + 1] - levels[i]) * hand[i + 1] / (
        hand[i + 1] - hand[i]
    )
    assert result.status == "available"
    assert result.gamma_flip == pytest.approx(interpolated, rel=1e-12)
    assert levels[i] < result.gamma_flip < levels[i + 1]
    assert result.gamma_flip == pytest.approx(root, abs=0.05)


def test_first_crossing_rules() -> None:
    levels = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    # first change between 2 and 3: 3 − 1·1/(1 − (−1)) = 2.5 (the later one is ignored)
    assert first_crossing(levels, np.array([-2.0, -1.0, 1.0, 3.0, -1.0])) == (2.5, "available")
    # a zero counts as a sign change, as np.sign makes it: lands on the zero level
    assert first_crossing(levels, np.array([2.0, 0.0, -1.0, -1.0, -1.0])) == (2.0, "available")
    assert first_crossing(levels, np.array([1.0, 2.0, 3.0, 2.0, 1.0])) == (None, "no_boundary")
    assert first_crossing(levels, np.zeros(5)) == (None, "no_boundary")


def test_no_boundary_for_calls_only() -> None:
    result = perfiliev_analysis(
        100.0,
        FILE_DATE,
        expiration=[date(2024, 1, 19)],
        strike=[100.0],
        is_call=[True],
        open_interest=[10],
        vendor_gamma=[0.05],
        iv=[0.2],
    )
    assert np.all(result.profile > 0)
    assert result.gamma_flip is None and result.status == "no_boundary"


# ---------------------------------------------------------------------------- knobs and time


def test_busday_years_rules() -> None:
    expiries = [date(2024, 1, 5), date(2024, 1, 8), date(2024, 1, 19), date(2024, 1, 4)]
    np.testing.assert_array_equal(
        busday_years(FILE_DATE, expiries), [1 / 262, 1 / 262, 10 / 262, NAN]
    )
    np.testing.assert_array_equal(
        busday_years(FILE_DATE, expiries, year_days=252, zero_dte_floor=False),
        [NAN, 1 / 252, 10 / 252, NAN],
    )
    # a Saturday file date: Monday is 0 business days away
    assert busday_years(date(2024, 1, 6), [date(2024, 1, 8)]).tolist() == [1 / 262]
    # a Sunday file date (a download after Friday's close): numpy counts a past expiry over
    # (expiration, file date], so Friday is 0 days away too and Thursday −1 (dropped)
    sunday = date(2024, 1, 7)
    np.testing.assert_array_equal(
        busday_years(sunday, [date(2024, 1, 5), date(2024, 1, 4)]), [1 / 262, NAN]
    )


@pytest.mark.parametrize("year_days", [0, -1, True, 2.5])
def test_bad_year_days(year_days: int) -> None:
    with pytest.raises(ConfigurationError):
        busday_years(FILE_DATE, [FILE_DATE], year_days=year_days)


def _single(expiry: date, **kwargs: object):  # type: ignore[no-untyped-def]
    return perfiliev_analysis(
        100.0,
        FILE_DATE,
        expiration=[expiry, expiry],
        strike=[95.0, 105.0],
        is_call=[False, True],
        open_interest=[100.0, 100.0],
        vendor_gamma=[0.02, 0.03],
        iv=[0.25, 0.2],
        **kwargs,  # type: ignore[arg-type]
    )


def test_zero_dte_floor_knob() -> None:
    floored = _single(FILE_DATE)
    dropped = _single(FILE_DATE, zero_dte_floor=False)
    assert np.any(floored.profile != 0.0)
    np.testing.assert_array_equal(dropped.profile, np.zeros(60))
    assert dropped.status == "no_boundary" and dropped.gamma_flip is None
    # net GEX comes from the vendor's gamma: the knob does not touch it
    assert floored.net_gex == dropped.net_gex == pytest.approx((0.03 - 0.02) * 100 * 100 * 100)
    # a floored same-day expiry is priced exactly like one 1 business day away
    np.testing.assert_array_equal(floored.profile, _single(date(2024, 1, 8)).profile)


def test_year_days_knob() -> None:
    expiry = date(2024, 1, 19)  # 10 business days
    a = _single(expiry, year_days=252)
    b = _single(expiry)
    assert not np.array_equal(a.profile, b.profile)
    # T = 10/252 equals T = 20/504: the profile depends on year_days only through T
    c = _single(date(2024, 2, 2), year_days=504)
    np.testing.assert_allclose(a.profile, c.profile, rtol=1e-14)


def test_past_expiry_and_missing_iv_add_nothing() -> None:
    e, past = date(2024, 1, 19), date(2024, 1, 4)
    base = _single(e)
    # past expiry; missing IV and vendor gamma; zero IV; non-positive strike
    extra = perfiliev_analysis(
        100.0,
        FILE_DATE,
        expiration=[e, e, past, e, e, e],
        strike=[95.0, 105.0, 100.0, 100.0, 100.0, 0.0],
        is_call=[False, True, True, True, False, True],
        open_interest=[100.0, 100.0, 50.0, 50.0, 50.0, 50.0],
        vendor_gamma=[0.02, 0.03, 0.0, NAN, 0.0, 0.0],
        iv=[0.25, 0.2, 0.3, NAN, 0.0, 0.3],
    )
    np.testing.assert_array_equal(extra.profile, base.profile)
    assert extra.net_gex == base.net_gex
    assert extra.gamma_flip == base.gamma_flip
    assert np.isfinite(extra.strike_net_gex).all()


def test_bad_inputs() -> None:
    with pytest.raises(ConfigurationError):
        perfiliev_analysis(0.0, FILE_DATE, [FILE_DATE], [1.0], [True], [1.0], [0.1], [0.2])
    with pytest.raises(ValueError, match="length"):
        perfiliev_analysis(100.0, FILE_DATE, [FILE_DATE], [1.0, 2.0], [True], [1.0], [0.1], [0.2])


def test_empty_chain() -> None:
    result = perfiliev_analysis(100.0, FILE_DATE, [], [], [], [], [], [])
    assert result.net_gex == 0.0 and result.strike.size == 0
    assert result.status == "no_boundary"


# ---------------------------------------------------------------------------- rows and file date

QUOTED = datetime(2024, 1, 5, 21, 15, tzinfo=UTC)  # Friday 16:15 New York, after the 16:00 close
FETCHED = datetime(2024, 1, 7, 15, 52, tzinfo=UTC)  # Sunday 10:52 New York (the download)


def test_file_date_is_the_printed_stamp() -> None:
    snap = cf.snapshot([cf.row()], as_of=QUOTED)
    assert file_date(snap) == date(2024, 1, 5)
    assert file_date(replace(snap, fetched_at=FETCHED)) == date(2024, 1, 7)
    # New York dates, not UTC ones: 03:00 UTC on Saturday is Friday evening in New York
    late = datetime(2024, 1, 6, 3, 0, tzinfo=UTC)
    assert file_date(replace(snap, fetched_at=late)) == date(2024, 1, 5)
    tokyo = late.astimezone(ZoneInfo("Asia/Tokyo"))
    assert file_date(validate(replace(snap, fetched_at=tokyo)).snapshot) == date(2024, 1, 5)
    assert file_date(replace(snap, as_of=tokyo)) == date(2024, 1, 5)


def test_script_ignores_are_reasons() -> None:
    # the script reads every line it can parse; rows a source could not read, rows of another
    # underlying and corrupt vendor IVs stay out
    assert set(REASONS) - SCRIPT_IGNORES == {
        "unknown_right", "invalid_strike", "implausible_iv", "malformed_row", "foreign_underlying"
    }  # fmt: skip


TAKEN_BACK = [
    ({"contract": ""}, "missing_contract"),
    ({"underlying_price": 0.0}, "invalid_underlying_price"),
    ({"multiplier": NAN}, "invalid_multiplier"),
    ({"model": "heston"}, "unknown_model"),
    ({"style": "bermudan"}, "unknown_style"),
    ({"open_interest": None}, "invalid_open_interest"),
    ({"open_interest": -1}, "invalid_open_interest"),
    ({"bid": -0.05}, "invalid_price"),
    ({"ask": float("inf")}, "invalid_price"),
    ({"contract": "GOOD"}, "duplicate_contract"),
    ({"expiration": date(2024, 1, 4)}, "expired"),
    ({"iv": NAN, "bid": 5.0, "ask": 4.0}, "crossed_quote"),
    ({"iv": 0.0, "bid": 5.0, "ask": 4.0, "expiration": date(2024, 1, 4)}, "expired"),
]
LEFT_OUT = [
    ({"is_call": None}, "unknown_right"),
    ({"strike": -5.0}, "invalid_strike"),
    ({"strike": 0.0}, "invalid_strike"),
    ({"strike": NAN}, "invalid_strike"),
    ({"strike": float("inf")}, "invalid_strike"),
    ({"expiration": None}, "invalid_expiration"),
    # the first reason is one the script ignores, but the row has no right or strike
    ({"contract": None, "is_call": None}, "missing_contract"),
    ({"contract": "", "strike": None}, "missing_contract"),
    ({"contract": "GOOD", "is_call": None}, "unknown_right"),
]


def _good_and_bad(bad: dict[str, object]):  # type: ignore[no-untyped-def]
    rows = [cf.row(contract="GOOD"), cf.row(**{"contract": "BAD", **bad})]
    return validate(cf.snapshot(rows))


@pytest.mark.parametrize(("bad", "reason"), TAKEN_BACK)
def test_script_rows_take_back_what_the_script_reads(bad: dict[str, object], reason: str) -> None:
    v = _good_and_bad(bad)
    assert v.used.height == 1 and v.quarantine["reason"].to_list() == [reason]
    rows = script_rows(v.used, v.quarantine)
    assert rows.schema == pl.Schema(dict(SCHEMA))
    assert rows.height == 2
    assert sorted(rows["contract"].to_list()) == sorted(["GOOD", bad.get("contract", "BAD")])


@pytest.mark.parametrize(("bad", "reason"), LEFT_OUT)
def test_script_rows_leave_out_rows_without_side_strike_or_date(
    bad: dict[str, object], reason: str
) -> None:
    v = _good_and_bad(bad)
    assert v.quarantine["reason"].to_list() == [reason]
    assert script_rows(v.used, v.quarantine).equals(v.used)


def test_script_rows_take_a_date_without_settlement_instant() -> None:
    frame = cf.frame([cf.row(contract="GOOD"), cf.row(contract="BAD", strike=4800.0)])
    frame = frame.with_columns(
        pl.when(pl.col("contract") == "BAD").then(None).otherwise(pl.col("settlement"))
        .alias("settlement")
    )  # fmt: skip
    v = validate(replace(cf.snapshot([cf.row()]), frame=frame))
    assert v.quarantine["reason"].to_list() == ["invalid_expiration"]
    assert script_rows(v.used, v.quarantine)["contract"].to_list() == ["GOOD", "BAD"]


def test_script_rows_are_normalized_and_sorted_like_used_rows() -> None:
    rows = [
        cf.row(contract="A", strike=4800.0),
        # crossed, IV 0 (missing), no volume, no last, no vendor gamma: quarantined
        cf.row(contract="B", strike=4600.0, iv=0.0, bid=5.0, ask=4.0, volume=None, last=None,
               vendor_gamma=None),
        cf.row(contract="C", strike=4700.0, expiration=date(2024, 1, 4), iv=-0.2),
    ]  # fmt: skip
    v = validate(cf.snapshot(rows))
    out = script_rows(v.used, v.quarantine)
    assert out["contract"].to_list() == ["C", "B", "A"]
    b = out.row(1, named=True)
    assert b["volume"] == 0
    assert math.isnan(b["iv"]) and math.isnan(b["last"]) and math.isnan(b["vendor_gamma"])
    assert math.isnan(out["iv"][0])
    assert out["iv"][2] == 0.15


def _script_chain() -> list[dict[str, object]]:
    """Used rows, a crossed quote and a same-day expiry settled before ``QUOTED``."""
    today, later = date(2024, 1, 5), date(2024, 1, 19)
    return [
        cf.row(contract="P4600", strike=4600.0, is_call=False, expiration=later, iv=0.18,
               vendor_gamma=0.0007, open_interest=900),
        cf.row(contract="C4800", strike=4800.0, expiration=later, iv=0.12,
               vendor_gamma=0.0005, open_interest=700),
        cf.row(contract="X4700", strike=4700.0, expiration=later, iv=NAN, bid=9.0, ask=8.0,
               vendor_gamma=0.0011, open_interest=300),
        cf.row(contract="Z4650", strike=4650.0, is_call=False, expiration=today, iv=0.25,
               vendor_gamma=0.004, open_interest=2000),
        cf.row(contract="Z4750", strike=4750.0, expiration=today, iv=0.2,
               vendor_gamma=0.003, open_interest=500),
    ]  # fmt: skip


def _direct(rows: list[dict[str, object]], day: date, **knobs: Any):  # type: ignore[no-untyped-def]
    return perfiliev_analysis(
        4700.0,
        day,
        [r["expiration"] for r in rows],
        [r["strike"] for r in rows],
        [r["is_call"] for r in rows],
        [r["open_interest"] for r in rows],
        [r["vendor_gamma"] for r in rows],
        [r["iv"] for r in rows],
        **knobs,
    )


@pytest.mark.parametrize("floor", [True, False])
@pytest.mark.parametrize("fetched", [None, FETCHED])
def test_analyze_takes_every_row_the_script_reads(fetched: datetime | None, floor: bool) -> None:
    rows = _script_chain()
    snap = cf.snapshot(rows, as_of=QUOTED, fetched_at=fetched)
    assert validate(snap).excluded == {"expired": 2, "crossed_quote": 1}
    a = analyze(snap, preset="perfiliev", zero_dte_floor=floor)
    day = date(2024, 1, 5) if fetched is None else date(2024, 1, 7)
    expected = _direct(rows, day, zero_dte_floor=floor)
    assert a.net_gex == pytest.approx(expected.net_gex, rel=1e-14)
    np.testing.assert_array_equal(a.strikes["strike"].to_numpy(), expected.strike)
    np.testing.assert_allclose(a.strikes["net_gex"].to_numpy(), expected.strike_net_gex, rtol=1e-14)
    np.testing.assert_allclose(a.profile_values, expected.profile, rtol=1e-13)
    assert a.gamma_flip == pytest.approx(expected.gamma_flip, rel=1e-13)
    # the 0DTE block counts the same-day expiry the script counts (today: as_of's date)
    assert a.zero_dte.expiration == date(2024, 1, 5)
    assert a.zero_dte.net_gex == pytest.approx(
        (0.003 * 500 - 0.004 * 2000) * 100 * 4700.0**2 * 0.01
    )
    # Friday's expiry is 0 business days from Friday, and from Sunday too (numpy counts a
    # past date over (expiration, file date]): floored into the profile, or dropped
    without_it = _direct(rows[:3], day).profile
    if floor:
        assert not np.allclose(a.profile_values, without_it, rtol=1e-6)
    else:
        np.testing.assert_allclose(a.profile_values, without_it, rtol=1e-13)
    # the later expiry: 10 business days from Friday, 9 from Sunday
    assert busday_years(day, [date(2024, 1, 19)]).tolist() == [(10 if fetched is None else 9) / 262]


def test_analyze_filters_apply_to_the_rows_taken_back() -> None:
    rows = _script_chain()
    snap = cf.snapshot(rows, as_of=QUOTED)
    later = analyze(snap, preset="perfiliev", expiration="2024-01-19")
    assert later.net_gex == pytest.approx(_direct(rows[:3], date(2024, 1, 5)).net_gex, rel=1e-14)
    big = analyze(snap, preset="perfiliev", min_oi=800)
    kept = [rows[0], rows[3]]  # strikes with at least 800 contracts
    assert big.net_gex == pytest.approx(_direct(kept, date(2024, 1, 5)).net_gex, rel=1e-14)
    np.testing.assert_array_equal(big.strikes["strike"].to_numpy(), [4600.0, 4650.0])


# ---------------------------------------------------------------------------- invariants

chains = st.lists(
    st.tuples(
        st.integers(0, 30),  # days after the file date
        st.floats(60.0, 140.0),  # strike
        st.booleans(),
        st.integers(0, 5000),  # open interest
        st.floats(0.0, 0.1),  # vendor gamma
        st.floats(0.05, 1.5),  # iv
    ),
    min_size=1,
    max_size=25,
)


def _run(
    rows: list[tuple[int, float, bool, int, float, float]],
    oi_scale: float = 1.0,
    swap: bool = False,
):  # type: ignore[no-untyped-def]
    return perfiliev_analysis(
        100.0,
        FILE_DATE,
        expiration=[FILE_DATE + timedelta(days=r[0]) for r in rows],
        strike=[r[1] for r in rows],
        is_call=[r[2] != swap for r in rows],
        open_interest=[r[3] * oi_scale for r in rows],
        vendor_gamma=[r[4] for r in rows],
        iv=[r[5] for r in rows],
    )


@settings(max_examples=100, deadline=None)
@given(chains)
def test_swapping_rights_negates_and_scaling_oi_scales(
    rows: list[tuple[int, float, bool, int, float, float]],
) -> None:
    base = _run(rows)
    swapped = _run(rows, swap=True)
    doubled = _run(rows, oi_scale=2.0)
    np.testing.assert_array_equal(swapped.profile, -base.profile)
    assert swapped.gamma_flip == base.gamma_flip
    # doubling is exact in floating point except where gamma underflows to subnormals
    np.testing.assert_allclose(doubled.profile, 2.0 * base.profile, rtol=1e-15, atol=1e-300)
    assert np.array_equal(np.sign(doubled.profile), np.sign(base.profile))
    assert swapped.status == base.status == doubled.status
    normal = (base.profile == 0.0) | (np.abs(base.profile) > 1e-290)
    if base.gamma_flip is not None and normal.all():
        assert doubled.gamma_flip == pytest.approx(base.gamma_flip, rel=1e-12)
    assert swapped.net_gex == pytest.approx(-base.net_gex, abs=1e-9)
    np.testing.assert_allclose(base.call_gex + base.put_gex, base.strike_net_gex, rtol=0, atol=0)
    assert float(np.sum(base.strike_net_gex)) == pytest.approx(base.net_gex, rel=1e-12, abs=1e-6)
    if base.gamma_flip is not None:
        # the script's interpolation (ΔL·p / p) loses digits when p is subnormal (a deep
        # out-of-the-money, low-vol chain): it may then land a hair outside the grid
        slack = 0.0 if normal.all() else 1e-6 * (base.levels[-1] - base.levels[0])
        assert base.levels[0] - slack <= base.gamma_flip <= base.levels[-1] + slack


def test_implausible_and_missing_vendor_gammas_are_counted_not_summed() -> None:
    """A vendor gamma of 1e308 used to vanish silently from net GEX: now it is excluded
    and counted, like a missing one (which the script's sums skip)."""
    from engine.analysis.perfiliev import perfiliev_analysis

    day = date(2024, 1, 5)
    res = perfiliev_analysis(
        100.0, day, [date(2024, 1, 19)] * 4, [95.0, 100.0, 105.0, 110.0],
        [True, False, True, True], [10, 20, 30, 40], [0.02, 0.03, float("nan"), 1e308],
        [0.2, 0.2, 0.2, 0.2],
    )  # fmt: skip
    assert res.excluded == {"no_vendor_gamma": 1, "implausible_vendor_gamma": 1}
    expected = (0.02 * 10 - 0.03 * 20) * 100.0 * 100.0 * 100.0 * 0.01
    assert res.net_gex == pytest.approx(expected, rel=1e-15)
    assert np.isfinite(res.call_gex).all() and np.isfinite(res.put_gex).all()
