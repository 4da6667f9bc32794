"""The native analysis and the perfiliev preset on the five real Cboe chains in ../shared."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

import numpy as np
import polars as pl
import pytest

from data_adapters import get_source
from engine.analysis.profile import evaluate_profile, profile_terms
from engine.analysis.single import Analysis, analyze
from engine.chain import ChainSnapshot
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


# ------------------------------------------------------------- fidelity on the real chains
# (docs/conventions.md: one dealer sign, one smile per expiry, the quotes' own time, levels
# and sentences that agree with the numbers)

QUOTE_TIMES = {
    "spx_2024-01-05_close.csv": "2024-01-05T21:15:00+00:00",  # downloaded Sunday 10:52 EST
    "spx_2022-07-12_1155et.csv": "2022-07-12T15:55:00+00:00",  # intraday: as stamped
    "ndx_2022-02-04_close.csv": "2022-02-04T21:15:00+00:00",  # downloaded Saturday evening
    "spy_2025-05-01_close_nearterm.csv": "2025-05-01T20:15:00+00:00",  # 16:49 ET -> 16:15
    "spy_2023-09-14_close.csv": "2023-09-14T20:15:00+00:00",  # 16:31 ET -> 16:15
}


@cache
def _model(name: str, model: str) -> Analysis:
    return analyze(_snapshot(name), dealer_model=model)


@pytest.mark.parametrize("name", CHAINS)
def test_as_of_is_the_quote_time(name: str) -> None:
    assert _snapshot(name).as_of.isoformat() == QUOTE_TIMES[name]
    assert _model(name, "street").as_of.isoformat() == QUOTE_TIMES[name]


@pytest.mark.parametrize("model", ["street", "short_all"])
@pytest.mark.parametrize("name", CHAINS)
def test_vanna_and_charm_words_match_hedge_flows(name: str, model: str) -> None:
    a = _model(name, model)
    for key, sentence, net in (
        ("vol_up_1pt", a.interpretation["vanna"], a.exposures["net_vex"]),
        ("one_day", a.interpretation["charm"], a.exposures["net_chex"]),
    ):
        flow = a.hedge_flows[key]
        assert flow.direction == ("sell" if net > 0 else "buy")
        assert flow.notional_usd == abs(net)
        other = "buy" if flow.direction == "sell" else "sell"
        # the first direction word of the sentence is the flow's (IV rising / a day passing)
        words = [w.strip(",.:") for w in sentence.lower().split()]
        first = next(w for w in words if w in ("buy", "sell"))
        assert first == flow.direction, sentence
        assert f"dealers {flow.direction}" in sentence.lower()
        if key == "one_day":
            assert other not in words


@pytest.mark.parametrize("name", CHAINS)
def test_short_all_against_street_row_by_row(name: str) -> None:
    street, short = _model(name, "street"), _model(name, "short_all")
    assert street.strikes["strike"].to_list() == short.strikes["strike"].to_list()
    for x in ("gex", "dex", "vex", "chex"):
        np.testing.assert_allclose(
            short.strikes[f"call_{x}"].to_numpy(), -street.strikes[f"call_{x}"].to_numpy(),
            rtol=1e-13, atol=0,
        )  # fmt: skip
        np.testing.assert_array_equal(
            short.strikes[f"put_{x}"].to_numpy(), street.strikes[f"put_{x}"].to_numpy()
        )


@pytest.mark.parametrize("name", CHAINS)
def test_call_and_put_gamma_are_equal_at_each_strike_of_an_expiry(name: str) -> None:
    c = _model(name, "street").priced.contracts
    pairs = (
        c.group_by("settlement", "root", "strike")
        .agg(
            pl.col("gamma").filter(pl.col("is_call")).first().alias("call_gamma"),
            pl.col("gamma").filter(~pl.col("is_call")).first().alias("put_gamma"),
            pl.col("iv").n_unique().alias("ivs"),
        )
        .drop_nulls(["call_gamma", "put_gamma"])
    )
    assert pairs.height > 1000
    assert (pairs["ivs"] == 1).all()
    np.testing.assert_allclose(pairs["call_gamma"], pairs["put_gamma"], rtol=1e-12, atol=0)
    # visible in the per-strike table: call_gex/call_oi = −put_gex/put_oi (one root per expiry)
    for expiration in c["expiration"].unique().to_list()[:5]:
        rows = c.filter(pl.col("expiration") == expiration)
        if rows["root"].n_unique() != 1:
            continue
        t = analyze(_snapshot(name), expiration=expiration).strikes.filter(
            (pl.col("call_oi") > 0) & (pl.col("put_oi") > 0)
        )
        np.testing.assert_allclose(
            (t["call_gex"] / t["call_oi"]).to_numpy(),
            (-t["put_gex"] / t["put_oi"]).to_numpy(),
            rtol=1e-12,
        )


@pytest.mark.parametrize("name", CHAINS)
def test_walls_lie_on_their_side_of_spot(name: str) -> None:
    a = _model(name, "street")
    spot = a.underlying_price
    assert a.levels.call_wall is not None and a.levels.call_wall >= spot
    assert a.levels.put_wall is not None and a.levels.put_wall <= spot


@pytest.mark.parametrize("name", CHAINS)
def test_gamma_sentence_never_contradicts_the_hedging_estimate(name: str) -> None:
    a = _model(name, "street")
    down, up = a.hedging[-0.01], a.hedging[0.01]
    text = a.interpretation["gamma"].lower()
    if down.direction == up.direction:
        assert "crosses the gamma flip" in text
        assert "buy into dips" not in text and "sell into declines" not in text
    elif down.direction == "buy":
        assert "buy into dips" in text
    else:
        assert "sell into declines" in text


@pytest.mark.parametrize("name", CHAINS)
def test_data_quality_describes_the_filtered_contracts(name: str) -> None:
    whole = _model(name, "street")
    per_expiry: dict[str, int] = whole.data_quality["contracts_per_expiry"]  # type: ignore[assignment]
    expiration = date.fromisoformat(max(per_expiry, key=per_expiry.__getitem__))
    a = analyze(_snapshot(name), expiration=expiration, min_oi=100)
    q = a.data_quality
    used = a.priced.contracts.filter(pl.col("expiration") == expiration)
    assert q["contracts_per_expiry"] == {expiration.isoformat(): q["contracts_used"]}
    assert q["contracts_used"] + q["filtered_out"]["min_oi"] == used.height
    assert sum(q["iv_sources"].values()) == q["contracts_used"]
    quarantined = a.priced.validated.quarantine.filter(pl.col("expiration") == expiration)
    assert sum(v for k, v in q["excluded"].items() if k != "no_iv") == quarantined.height


def test_next_day_expiry_across_an_ex_dividend_date_uses_the_quotes_forward() -> None:
    """SPY 2023-09-14: the 09-15 expiry crosses the ex-dividend date; Cboe's call IVs ignore
    it. The engine's IVs are solved on its own parity forward (spot − dividend), so the
    450 call and put share one IV and net GEX is not inflated by the vendor's."""
    a = _model("spy_2023-09-14_close.csv", "street")
    fw = a.priced.forwards.filter(pl.col("expiration") == date(2023, 9, 15)).row(0, named=True)
    assert fw["method"] == "parity"
    assert 449.0 < fw["forward"] < 450.0 < a.underlying_price  # ~$1.58 dividend out
    at = a.priced.contracts.filter(
        (pl.col("expiration") == date(2023, 9, 15)) & (pl.col("strike") == 450.0)
    )
    assert at.height == 2 and at["iv"].n_unique() == 1
    assert 0.0 < a.exposures["net_gex"] < 1.0e9  # vendor IVs gave +3.18 bn


def test_fitted_rates_follow_the_term_structure_of_the_day() -> None:
    """SPX 2024-01-05: the rates parity implies (box rates) for the long expiries, from the
    quotes alone — an inverted curve around 5 % (Treasury bills were ~5.3 % that day)."""
    fw = _model("spx_2024-01-05_close.csv", "street").priced.forwards
    fitted = fw.filter(pl.col("method") == "parity_fit")
    assert fitted.height >= 10
    assert fitted["rate"].is_between(0.035, 0.06).all()
    year = fitted.filter(pl.col("t").is_between(0.5, 1.5))["rate"]
    assert 0.045 < float(year.median()) < 0.056
