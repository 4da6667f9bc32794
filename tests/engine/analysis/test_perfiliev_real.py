"""The perfiliev preset against the script itself, run on the five real Cboe quote tables.

The script reads the raw CSV with pandas; here it is :func:`_script_on_file`: the file read as
the script reads it, then the script's computation with ``calcGammaEx`` applied to whole
columns instead of row by row (same formulas, same pandas sums;
:func:`test_vectorized_script_is_the_literal_script` checks it against the literal loop of
``tests.engine.analysis.test_perfiliev._script``). Two departures from the file reading, both forced
by the files: the data start after the header line (the script's ``skiprows=4`` assumes a
leading blank line, which ``spx_2022-07-12`` lacks), and the date line is read by one regex
(the script's split takes ``February 5 2022`` for a European day-month-year and fails).

The preset runs on snapshots built both ways an adapter may deliver them: ``as_of`` = the
file's printed stamp with no ``fetched_at``, and ``as_of`` = the quote time with the stamp in
``fetched_at`` (how the Cboe adapter reads a download taken after the close).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from data_adapters import get_source
from engine.analysis.perfiliev import SCRIPT_IGNORES, file_date, script_rows
from engine.analysis.single import Analysis, analyze
from engine.chain import ChainSnapshot, validate
from tests.conftest import shared_path
from tests.engine.analysis.test_perfiliev import _script

NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Chain:
    symbol: str
    printed: date  # the date on the file's date line (the script's todayDate)
    quoted: datetime  # when the quotes were made (as_of of the "fetched" variant)


CHAINS = {
    "spx_2024-01-05_close.csv": Chain(
        "SPX", date(2024, 1, 7), datetime(2024, 1, 5, 16, 15, tzinfo=NEW_YORK)
    ),
    "spx_2022-07-12_1155et.csv": Chain(
        "SPX", date(2022, 7, 12), datetime(2022, 7, 12, 11, 55, tzinfo=NEW_YORK)
    ),
    "ndx_2022-02-04_close.csv": Chain(
        "NDX", date(2022, 2, 5), datetime(2022, 2, 4, 16, 15, tzinfo=NEW_YORK)
    ),
    "spy_2025-05-01_close_nearterm.csv": Chain(
        "SPY", date(2025, 5, 1), datetime(2025, 5, 1, 16, 15, tzinfo=NEW_YORK)
    ),
    "spy_2023-09-14_close.csv": Chain(
        "SPY", date(2023, 9, 14), datetime(2023, 9, 14, 16, 15, tzinfo=NEW_YORK)
    ),
}
KNOBS = [(262, True), (262, False), (252, True), (252, False)]
VARIANTS = ["stamp", "fetched"]

# Net GEX as the script prints it (bn, rounded as published); vendor gamma only, so the
# same for every knob setting.
PUBLISHED = {
    "spx_2024-01-05_close.csv": (-10.999, 3),
    "spy_2023-09-14_close.csv": (4.94, 2),
    "spy_2025-05-01_close_nearterm.csv": (1.56, 2),
}

SCRIPT_COLUMNS = [
    "ExpirationDate", "Calls", "CallLastSale", "CallNet", "CallBid", "CallAsk", "CallVol",
    "CallIV", "CallDelta", "CallGamma", "CallOpenInt", "StrikePrice", "Puts", "PutLastSale",
    "PutNet", "PutBid", "PutAsk", "PutVol", "PutIV", "PutDelta", "PutGamma", "PutOpenInt",
]  # fmt: skip
_DATE_RE = re.compile(r"Date:\s*([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})")


# ---------------------------------------------------------------------------- the script


@cache
def _read_as_the_script(name: str) -> tuple[float, datetime, pd.DataFrame]:
    """``(spotPrice, todayDate, df)`` from the raw file, as the script builds them."""
    path = shared_path("data", "cboe-csv", name)
    lines = path.read_text().splitlines()
    title, date_line, header = [i for i, line in enumerate(lines) if line.strip()][:3]
    spotPrice = float(lines[title].split("Last:")[1].split(",")[0])
    m = _DATE_RE.search(lines[date_line])
    assert m is not None, lines[date_line]
    todayDate = datetime.strptime(m.group(1), "%B").replace(
        day=int(m.group(2)), year=int(m.group(3))
    )
    df = pd.read_csv(path, sep=",", header=None, skiprows=header + 1)
    df.columns = SCRIPT_COLUMNS
    df["ExpirationDate"] = pd.to_datetime(df["ExpirationDate"], format="%a %b %d %Y")
    df["ExpirationDate"] = df["ExpirationDate"] + timedelta(hours=16)
    for column in ("StrikePrice", "CallIV", "PutIV", "CallGamma", "PutGamma"):
        df[column] = df[column].astype(float)
    for column in ("CallOpenInt", "PutOpenInt"):
        df[column] = df[column].astype(float)
    return spotPrice, todayDate, df


def _script_vectorized(
    spotPrice: float, todayDate: datetime, df: pd.DataFrame, year_days: int, floor: bool
) -> dict[str, Any]:
    """``tests.engine.analysis.test_perfiliev._script`` with ``calcGammaEx`` over whole columns."""

    def calcGammaEx(S, K, vol, T, r, q, optType, OI):  # type: ignore[no-untyped-def]  # noqa: N802
        with np.errstate(divide="ignore", invalid="ignore"):  # the script's NaNs, summed away
            dp = (np.log(S / K) + (r - q + 0.5 * vol**2) * T) / (vol * np.sqrt(T))
            dm = dp - vol * np.sqrt(T)
            if optType == "call":
                gamma = np.exp(-q * T) * norm.pdf(dp) / (S * vol * np.sqrt(T))
            else:
                gamma = K * np.exp(-r * T) * norm.pdf(dm) / (S * S * vol * np.sqrt(T))
            # `if T == 0 or vol == 0: return 0`, row by row
            return np.where((T == 0) | (vol == 0), 0, OI * 100 * S * S * 0.01 * gamma)

    fromStrike = 0.8 * spotPrice
    toStrike = 1.2 * spotPrice

    df["CallGEX"] = df["CallGamma"] * df["CallOpenInt"] * 100 * spotPrice * spotPrice * 0.01
    df["PutGEX"] = df["PutGamma"] * df["PutOpenInt"] * 100 * spotPrice * spotPrice * 0.01 * -1
    df["TotalGamma"] = (df.CallGEX + df.PutGEX) / 10**9
    dfAgg = df.groupby(["StrikePrice"]).sum(numeric_only=True)

    levels = np.linspace(fromStrike, toStrike, 60)

    df["daysTillExp"] = [
        (1 / year_days if floor else 0)
        if (np.busday_count(todayDate.date(), x.date())) == 0
        else np.busday_count(todayDate.date(), x.date()) / year_days
        for x in df.ExpirationDate
    ]

    K, T = df["StrikePrice"].to_numpy(), df["daysTillExp"].to_numpy()
    totalGamma = []
    for level in levels:
        df["callGammaEx"] = calcGammaEx(
            level, K, df["CallIV"].to_numpy(), T, 0, 0, "call", df["CallOpenInt"].to_numpy()
        )
        df["putGammaEx"] = calcGammaEx(
            level, K, df["PutIV"].to_numpy(), T, 0, 0, "put", df["PutOpenInt"].to_numpy()
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


@cache
def _script_on_file(name: str, year_days: int, floor: bool) -> dict[str, Any]:
    spotPrice, todayDate, df = _read_as_the_script(name)
    return _script_vectorized(spotPrice, todayDate, df.copy(), year_days, floor)


# ---------------------------------------------------------------------------- snapshots


@cache
def _loaded(name: str) -> ChainSnapshot:
    path = shared_path("data", "cboe-csv", name)
    return get_source("cboe", file=str(path)).snapshot(CHAINS[name].symbol)


def _stamp(snap: ChainSnapshot) -> datetime:
    """The file's printed date line, wherever this version of the adapter put it."""
    return snap.fetched_at if snap.fetched_at is not None else snap.as_of


@cache
def _snapshot(name: str, variant: str) -> ChainSnapshot:
    snap = _loaded(name)
    if variant == "stamp":
        return replace(snap, as_of=_stamp(snap), fetched_at=None)
    return replace(snap, as_of=CHAINS[name].quoted.astimezone(UTC), fetched_at=_stamp(snap))


@cache
def _preset(name: str, variant: str, year_days: int, floor: bool) -> Analysis:
    return analyze(
        _snapshot(name, variant), preset="perfiliev", year_days=year_days, zero_dte_floor=floor
    )


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", CHAINS)
def test_the_file_dates(name: str) -> None:
    _, todayDate, _ = _read_as_the_script(name)
    assert todayDate.date() == CHAINS[name].printed
    for variant in VARIANTS:
        assert file_date(_snapshot(name, variant)) == CHAINS[name].printed
    # the quote time alone would give another date to the downloads taken after the close
    quoted_only = replace(_snapshot(name, "fetched"), fetched_at=None)
    assert file_date(quoted_only) == CHAINS[name].quoted.date()


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", CHAINS)
def test_every_row_of_the_file_is_taken(name: str, variant: str) -> None:
    _, _, df = _read_as_the_script(name)
    validated = validate(_snapshot(name, variant))
    assert set(validated.quarantine["reason"].unique()) <= SCRIPT_IGNORES
    rows = script_rows(validated.used, validated.quarantine)
    assert rows.height == 2 * len(df)  # a call and a put per line of the file
    assert rows["contract"].n_unique() == rows.height


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("year_days", "floor"), KNOBS)
@pytest.mark.parametrize("name", CHAINS)
def test_preset_is_the_script_on_the_real_file(
    name: str, year_days: int, floor: bool, variant: str
) -> None:
    expected = _script_on_file(name, year_days, floor)
    a = _preset(name, variant, year_days, floor)

    assert a.exposures["net_gex"] / 1e9 == pytest.approx(expected["total_gamma_bn"], rel=1e-12)

    agg = expected["agg"]
    np.testing.assert_array_equal(a.strikes["strike"].to_numpy(), agg.index.to_numpy())
    for column, script_column in (("call_gex", "CallGEX"), ("put_gex", "PutGEX")):
        want = agg[script_column].to_numpy()
        scale = float(np.max(np.abs(want)))
        np.testing.assert_allclose(
            a.strikes[column].to_numpy(), want, rtol=1e-12, atol=1e-13 * scale
        )
    want = agg["TotalGamma"].to_numpy()
    np.testing.assert_allclose(
        a.strikes["net_gex"].to_numpy() / 1e9, want, rtol=1e-12, atol=1e-13 * np.abs(want).max()
    )

    np.testing.assert_array_equal(a.profile_levels, expected["levels"])
    profile = expected["profile_bn"]
    np.testing.assert_allclose(
        a.profile_values / 1e9, profile, rtol=1e-12, atol=1e-13 * np.abs(profile).max()
    )
    np.testing.assert_array_equal(np.sign(a.profile_values), np.sign(profile))

    if expected["zero_gamma"] is None:
        assert a.gamma_flip is None and a.gamma_flip_status == "no_boundary"
    else:
        # same crossing interval; the value agrees to the last bit or two (sums in another order)
        assert a.gamma_flip_status == "available"
        assert a.gamma_flip == pytest.approx(expected["zero_gamma"], rel=1e-14)
    assert a.regime == ("positive_gamma" if expected["total_gamma_bn"] > 0 else "negative_gamma")


@pytest.mark.parametrize(("year_days", "floor"), KNOBS)
@pytest.mark.parametrize("name", PUBLISHED)
def test_published_totals(name: str, year_days: int, floor: bool) -> None:
    value, digits = PUBLISHED[name]
    assert round(_script_on_file(name, year_days, floor)["total_gamma_bn"], digits) == value
    for variant in VARIANTS:
        assert round(_preset(name, variant, year_days, floor).net_gex / 1e9, digits) == value


def test_the_download_stamp_decides_the_business_days() -> None:
    # SPX 2024-01-05 downloaded on Sunday: counted from Friday, the profile is another one
    name = "spx_2024-01-05_close.csv"
    quoted_only = replace(_snapshot(name, "fetched"), fetched_at=None)
    wrong = analyze(quoted_only, preset="perfiliev")
    right = _preset(name, "fetched", 262, True)
    assert wrong.net_gex == right.net_gex  # vendor gamma: no clock involved
    assert not np.allclose(wrong.profile_values, right.profile_values, rtol=1e-6)


@pytest.mark.slow
def test_vectorized_script_is_the_literal_script() -> None:
    name = "spy_2025-05-01_close_nearterm.csv"
    spotPrice, todayDate, df = _read_as_the_script(name)
    literal = _script(spotPrice, todayDate, df.copy(), 262, True)
    fast = _script_on_file(name, 262, True)
    assert fast["total_gamma_bn"] == literal["total_gamma_bn"]
    pd.testing.assert_frame_equal(fast["agg"], literal["agg"])
    np.testing.assert_array_equal(fast["profile_bn"], literal["profile_bn"])
    assert fast["zero_gamma"] == literal["zero_gamma"]
