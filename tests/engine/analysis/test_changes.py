"""``engine.analysis.changes``: open-interest changes per contract, per strike, the largest, totals.

Small hand-made chains with known answers, then a randomized check of the invariants: the
per-strike sums are the per-contract sums, the totals are the column sums, and a contract
the prior chain lacks counts 0 there.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from engine.analysis.changes import (
    CHANGE_COLUMNS,
    KEY,
    contract_changes,
    prior_open_interest,
    strike_changes,
    top_contract_changes,
    top_strike_changes,
    total_changes,
)

D1, D2 = date(2026, 12, 18), date(2027, 1, 15)


def chain(rows: list[tuple[str, date, float, bool, int | None, int]]) -> pl.DataFrame:
    """(root, expiration, strike, is_call, open_interest, volume) rows."""
    root, exp, strike, call, oi, vol = zip(*rows, strict=True)
    return pl.DataFrame(
        {
            "root": list(root),
            "expiration": list(exp),
            "strike": list(strike),
            "is_call": list(call),
            "open_interest": list(oi),
            "volume": list(vol),
        },
        schema={
            "root": pl.String,
            "expiration": pl.Date,
            "strike": pl.Float64,
            "is_call": pl.Boolean,
            "open_interest": pl.Int64,
            "volume": pl.Int64,
        },
    )


NOW = chain(
    [
        ("SPXW", D1, 5000.0, True, 120, 7),
        ("SPXW", D1, 5000.0, False, 80, 3),
        ("SPX", D1, 5000.0, True, 50, 1),  # same strike and expiry, another root
        ("SPXW", D2, 5000.0, True, 10, 0),  # new listing: absent before
        ("SPXW", D1, 5100.0, False, None, 2),  # missing OI now: 0
    ]
)
PRIOR = chain(
    [
        ("SPXW", D1, 5000.0, True, 100, 9),
        ("SPXW", D1, 5000.0, True, 999, 9),  # a duplicate: the first row counts
        ("SPXW", D1, 5000.0, False, 95, 0),
        ("SPX", D1, 5000.0, True, 40, 0),
        ("SPXW", D1, 5100.0, False, 30, 0),
        ("SPXW", D1, 4900.0, False, 500, 0),  # gone now: adds nothing
    ]
)


def test_contract_changes_follow_the_contracts_present_now() -> None:
    out = contract_changes(NOW, PRIOR)
    assert tuple(out.columns) == CHANGE_COLUMNS
    assert out["oi_change"].dtype == pl.Int64 and out["prior_oi"].dtype == pl.Int64
    assert out["open_interest"].to_list() == [120, 80, 50, 10, 0]
    assert out["prior_oi"].to_list() == [100, 95, 40, 0, 30]
    assert out["oi_change"].to_list() == [20, -15, 10, 10, -30]
    assert out["volume"].to_list() == [7, 3, 1, 0, 2]
    assert out.select(KEY).equals(NOW.select(KEY))  # the order of ``now`` is kept


def test_prior_open_interest_is_one_row_per_contract() -> None:
    prior = prior_open_interest(PRIOR)
    assert prior.height == 5 and prior.columns == [*KEY, "prior_oi"]
    first = prior.filter(
        (pl.col("root") == "SPXW") & (pl.col("strike") == 5000.0) & pl.col("is_call")
    )
    assert first["prior_oi"].to_list() == [100]
    # the reduced prior gives the same changes as the whole chain
    assert contract_changes(NOW, prior).equals(contract_changes(NOW, PRIOR))


def test_strike_changes_sum_each_side_over_roots_and_expiries() -> None:
    per_strike = strike_changes(contract_changes(NOW, PRIOR))
    assert per_strike.to_dicts() == [
        {"strike": 5000.0, "call_oi_change": 40, "put_oi_change": -15},
        {"strike": 5100.0, "call_oi_change": 0, "put_oi_change": -30},
    ]
    assert per_strike.schema["call_oi_change"] == pl.Int64


def test_top_strike_changes_are_largest_first_and_skip_zero() -> None:
    changes = contract_changes(NOW, PRIOR)
    top = top_strike_changes(changes, 10)
    assert top.to_dicts() == [
        {"strike": 5000.0, "is_call": True, "oi_change": 40, "volume": 8},
        {"strike": 5100.0, "is_call": False, "oi_change": -30, "volume": 2},
        {"strike": 5000.0, "is_call": False, "oi_change": -15, "volume": 3},
    ]
    assert top_strike_changes(changes, 1)["oi_change"].to_list() == [40]
    assert top_strike_changes(changes, 0).height == 0
    with pytest.raises(ValueError, match=">= 0"):
        top_strike_changes(changes, -1)


def test_top_contract_changes_break_ties_deterministically() -> None:
    top = top_contract_changes(contract_changes(NOW, PRIOR), 3)
    assert tuple(top.columns) == CHANGE_COLUMNS
    # |−30| first, then +20 and −15; the two +10s tie and are ordered by expiry, then root
    assert top["oi_change"].to_list() == [-30, 20, -15]
    tied = top_contract_changes(contract_changes(NOW, PRIOR), 10).filter(pl.col("oi_change") == 10)
    assert tied.select("root", "expiration").rows() == [("SPX", D1), ("SPXW", D2)]


def test_totals_are_the_sums_per_side() -> None:
    assert total_changes(contract_changes(NOW, PRIOR)) == (40, -45)
    empty = contract_changes(NOW.clear(), PRIOR)
    assert total_changes(empty) == (0, 0) and strike_changes(empty).height == 0


def test_no_prior_contracts_means_the_change_is_the_open_interest() -> None:
    out = contract_changes(NOW, PRIOR.clear())
    assert out["oi_change"].to_list() == [120, 80, 50, 10, 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_chains_keep_the_invariants(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    strikes = rng.choice(np.arange(90.0, 111.0), n)
    rows = {
        "root": rng.choice(["A", "AW"], n).tolist(),
        "expiration": [D1 if x else D2 for x in rng.random(n) < 0.5],
        "strike": strikes.tolist(),
        "is_call": (rng.random(n) < 0.5).tolist(),
        "open_interest": rng.integers(0, 10_000, n).tolist(),
        "volume": rng.integers(0, 500, n).tolist(),
    }
    frame = pl.DataFrame(rows).unique(subset=list(KEY), keep="first", maintain_order=True)
    prior = frame.sample(fraction=0.7, seed=seed).with_columns(
        pl.col("open_interest") + pl.Series(rng.integers(-500, 500, int(frame.height * 0.7)))
    )
    out = contract_changes(frame, prior)
    by_key = dict(zip(prior.select(KEY).rows(), prior["open_interest"].to_list(), strict=True))
    expected = [
        oi - by_key.get(key, 0)
        for key, oi in zip(frame.select(KEY).rows(), frame["open_interest"].to_list(), strict=True)
    ]
    assert out["oi_change"].to_list() == expected
    per_strike = strike_changes(out)
    calls, puts = total_changes(out)
    assert per_strike["call_oi_change"].sum() == calls
    assert per_strike["put_oi_change"].sum() == puts
    for strike, call, put in per_strike.iter_rows():
        at = out.filter(pl.col("strike") == strike)
        assert call == at.filter(pl.col("is_call"))["oi_change"].sum()
        assert put == at.filter(~pl.col("is_call"))["oi_change"].sum()
    top = top_contract_changes(out, 25)["oi_change"].abs().to_list()
    assert top == sorted(top, reverse=True) and 0 not in top
