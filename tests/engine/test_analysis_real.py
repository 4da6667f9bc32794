"""The native analysis and the perfiliev preset on the five real Cboe chains in ../shared."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
import polars as pl
import pytest

from data_adapters import get_source
from engine.analysis import Analysis, analyze
from engine.chain import ChainSnapshot
from engine.profile import evaluate_profile, profile_terms
from tests.conftest import shared_path

CHAINS = [
    "spx_2024-01-05_close.csv",
    "spx_2022-07-12_1155et.csv",
    "ndx_2022-02-04_close.csv",
    "spy_2025-05-01_close_nearterm.csv",
    "spy_2023-09-14_close.csv",
]


@cache
def _snapshot(name: str) -> ChainSnapshot:
    path = shared_path("data", "cboe-csv", name)
    symbol = name.split("_")[0].upper()
    return get_source("cboe", file=str(path)).snapshot(symbol)


def _exact_profile(a: Analysis, levels: np.ndarray) -> np.ndarray:
    c = a.priced.contracts
    terms = profile_terms(
        a.underlying_price,
        c["underlying_price"].to_numpy(),
        c["strike"].to_numpy(),
        c["t"].to_numpy(),
        c["iv"].to_numpy(),
        c["rate"].to_numpy(),
        c["carry"].to_numpy(),
        c["gex_weight"].to_numpy(),
        c["multiplier"].to_numpy(),
    )
    return evaluate_profile(terms, levels)


def _check_common(a: Analysis, snap: ChainSnapshot) -> None:
    strikes = set(snap.frame["strike"].to_list())
    lv = a.levels
    for level in (lv.call_wall, lv.put_wall, lv.max_positive_gamma, lv.max_negative_gamma,
                  lv.highest_oi_strike, lv.zero_dte_magnet, a.max_pain):  # fmt: skip
        assert level is None or level in strikes
    for name in ("gex", "dex", "vex", "chex"):
        total = a.exposures[f"net_{name}"]
        col = a.strikes[f"net_{name}"]
        scale = float(a.strikes[f"call_{name}"].abs().sum() + a.strikes[f"put_{name}"].abs().sum())
        assert np.isfinite(total)
        assert float(col.sum()) == pytest.approx(total, abs=1e-9 * scale)
    assert a.data_quality["contracts_used"] > 1000


@pytest.mark.parametrize("name", CHAINS)
def test_native_on_real_chain(name: str) -> None:
    snap = _snapshot(name)
    a = analyze(snap)
    _check_common(a, snap)
    at_spot = _exact_profile(a, np.array([a.underlying_price]))[0]
    assert at_spot == pytest.approx(a.exposures["net_gex"], rel=1e-9)
    assert a.regime == ("positive_gamma" if at_spot > 0 else "negative_gamma")
    spot = a.underlying_price
    for x in a.crossings:
        below, above = _exact_profile(a, np.array([x - 2e-6 * spot, x + 2e-6 * spot]))
        assert below * above < 0, (name, x)
    if a.crossings:
        assert a.gamma_flip == min(a.crossings, key=lambda x: abs(x - spot))
        assert a.gamma_flip_status == "available"
    else:
        assert a.gamma_flip is None and a.gamma_flip_status == "no_boundary"


@pytest.mark.parametrize("name", CHAINS)
def test_perfiliev_on_real_chain(name: str) -> None:
    snap = _snapshot(name)
    a = analyze(snap, preset="perfiliev")
    _check_common(a, snap)
    assert a.profile_levels.shape == (60,)
    assert a.profile_levels[0] == pytest.approx(0.8 * snap.spot)
    assert a.profile_levels[-1] == pytest.approx(1.2 * snap.spot)
    if a.gamma_flip is not None:
        i = int(np.searchsorted(a.profile_levels, a.gamma_flip))
        assert np.sign(a.profile_values[i - 1]) != np.sign(a.profile_values[i])


def _nudged(snap: ChainSnapshot, factor: float) -> ChainSnapshot:
    frame = snap.frame.with_columns(
        pl.when(pl.col("model") == "bsm")
        .then(pl.col("underlying_price") * factor)
        .otherwise(pl.col("underlying_price"))
        .alias("underlying_price")
    )
    return replace(snap, spot=snap.spot * factor, frame=frame)


@pytest.mark.parametrize("name", CHAINS)
def test_flip_moves_continuously_when_spot_is_nudged(name: str) -> None:
    snap = _snapshot(name)
    base = analyze(snap).gamma_flip
    for factor in (1 - 1e-4, 1 + 1e-4):
        moved = analyze(_nudged(snap, factor)).gamma_flip
        assert (base is None) == (moved is None)
        if base is not None and moved is not None:
            assert abs(moved - base) <= 1e-3 * snap.spot, (name, factor, base, moved)
