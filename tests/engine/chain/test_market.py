"""Market-wide validation: quarantine reasons and header errors per underlying, market-level
errors, and an underlying without a sign change."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from engine.analysis.market import analyze_market
from engine.analysis.single import analyze
from engine.chain import validate
from engine.errors import (
    ConfigurationError,
    EmptySnapshotError,
    InvalidHeaderError,
    InvalidSpotError,
)
from tests.engine import chain_factory as cf
from tests.engine.market_factory import assert_matches, market_of, sub_result


def call_only_chain(root: str, spot: float) -> pl.DataFrame:
    """Calls only: street GEX is positive at every level, so the profile never crosses zero."""
    rows = [
        cf.row(
            contract=f"{root}240119C{int(k * 1000):08d}", root=root, strike=k, is_call=True,
            underlying_price=spot, style="american", iv=0.2 + 0.001 * j, bid=1.0, ask=1.1,
        )
        for j, k in enumerate(np.arange(0.8 * spot, 1.2 * spot + 1e-9, 0.05 * spot))
    ]  # fmt: skip
    return cf.frame(rows)


def two_sided_chain(root: str, spot: float, **overrides: Any) -> list[dict[str, Any]]:
    out = []
    for j, k in enumerate(np.arange(0.85 * spot, 1.15 * spot + 1e-9, 0.05 * spot)):
        for call in (True, False):
            right = "C" if call else "P"
            intrinsic = max(0.0, (spot - k) if call else (k - spot))
            fields = {
                "contract": f"{root}240119{right}{int(k * 1000):08d}", "root": root,
                "strike": k, "is_call": call, "underlying_price": spot, "style": "american",
                "iv": 0.25, "bid": intrinsic + 1.0, "ask": intrinsic + 1.2,
                "open_interest": 100 + 37 * j + (50 if call else 0),
            }  # fmt: skip
            out.append(cf.row(**{**fields, **overrides})
            )  # fmt: skip
    return out


def test_no_sign_change_reports_no_boundary() -> None:
    m = market_of([("CALLS", 100.0, 0.0, call_only_chain("CALLS", 100.0))])
    res = analyze_market(*m.args())
    row = res.frame.row(0, named=True)
    a = analyze(m.snapshot(0))
    assert a.gamma_flip_status == "no_boundary" and a.gamma_flip is None
    assert row["gamma_flip_status"] == "no_boundary"
    assert row["gamma_flip"] is None and row["n_crossings"] == 0
    assert row["regime"] == a.regime == "positive_gamma"
    assert res.crossings.height == 0
    assert_matches(res, [a])


def test_quarantine_and_header_errors_per_underlying() -> None:
    good = two_sided_chain("AAA", 100.0)
    dup_across = two_sided_chain("BBB", 100.0)  # ids of its own ...
    dup_across[0]["contract"] = good[0]["contract"]  # ... but one equals AAA's: not a duplicate
    bad = two_sided_chain("CCC", 50.0)
    bad[1]["contract"] = bad[0]["contract"]  # duplicate within the chain
    bad[2]["strike"] = -5.0
    bad[3]["bid"], bad[3]["ask"], bad[3]["iv"] = 2.0, 1.0, float("nan")  # crossed, no IV
    bad[4]["bid"], bad[4]["ask"] = 2.0, 1.0  # crossed but with IV: kept
    bad[5]["model"] = "heston"
    bad[6]["contract"] = None
    bad[7]["last"] = -1.0
    bad[8]["open_interest"] = None
    bad[9]["expiration"] = date(2024, 1, 4)  # settled yesterday: expired
    bad[10]["contract"] = bad[9]["contract"]  # duplicate of an expired row: duplicate first
    no_iv = two_sided_chain("DDD", 80.0, iv=float("nan"), bid=0.0, ask=0.5)
    quarantined = two_sided_chain("EEE", 80.0, multiplier=0.0)
    frames = {
        "AAA": cf.frame(good), "BBB": cf.frame(dup_across),
        "CCC": cf.frame(bad),
        "DDD": cf.frame(no_iv), "EEE": cf.frame(quarantined),
    }  # fmt: skip
    chains = [
        ("AAA", 100.0, 0.01, frames["AAA"]),
        ("BBB", 100.0, 0.0, frames["BBB"]),
        ("CCC", 50.0, 0.02, frames["CCC"]),
        ("BADSPOT", float("nan"), 0.0, frames["AAA"]),
        ("BADDIV", 100.0, float("inf"), frames["AAA"]),
        ("", 100.0, 0.0, frames["AAA"]),
        ("EMPTY", 100.0, 0.0, cf.frame([])),
        ("DDD", 80.0, 0.0, frames["DDD"]),
        ("EEE", 80.0, 0.0, frames["EEE"]),
    ]
    m = market_of(chains)
    res = analyze_market(*m.args())
    status = res.frame["status"].to_list()
    assert status == [
        "ok", "ok", "ok", "invalid_spot", "invalid_header", "invalid_header", "empty", "no_iv", "empty",
    ]  # fmt: skip
    expected_errors = {
        3: InvalidSpotError, 4: InvalidHeaderError, 5: InvalidHeaderError,
        6: EmptySnapshotError, 7: EmptySnapshotError, 8: EmptySnapshotError,
    }  # fmt: skip
    for i, error in expected_errors.items():
        with pytest.raises(error):
            analyze(m.snapshot(i))
        row = res.frame.row(i, named=True)
        assert row["net_gex"] is None and row["regime"] is None and row["gamma_flip"] is None
        assert row["contracts_used"] == 0
        assert row["contracts_excluded"] == int(m.offsets[i + 1] - m.offsets[i])
    assert_matches(sub_result(res, [0, 1, 2]), [analyze(m.snapshot(i)) for i in range(3)])
    for i in (7, 8):
        theirs = {"invalid_multiplier": len(quarantined)} if i == 8 else {"no_iv": len(no_iv)}
        mine = res.excluded.filter(pl.col("underlying") == i)
        assert dict(zip(mine["reason"], mine["count"], strict=True)) == theirs
    ccc = res.excluded.filter(pl.col("symbol") == "CCC")
    assert dict(zip(ccc["reason"], ccc["count"], strict=True)) == validate(m.snapshot(2)).excluded
    assert set(ccc["reason"]) >= {
        "duplicate_contract",
        "invalid_strike",
        "crossed_quote",
        "expired",
    }


def test_market_level_errors() -> None:
    m = market_of([("AAA", 100.0, 0.0, cf.frame(two_sided_chain("AAA", 100.0)))])
    args = list(m.args())
    for name, value in (
        ("dealer_model", "flow"),
        ("dealer_model", "nope"),
        ("forward", "nope"),
        ("grid_points", 1),
        ("grid_widths", (0.2, 1.5)),
        ("grid_widths", ()),
        ("tol", 0.0),
    ):
        with pytest.raises(ConfigurationError):
            analyze_market(*args, **{name: value})  # type: ignore[arg-type]
    naive = args.copy()
    naive[5] = datetime(2024, 1, 5, 15, 0)
    bad_offsets = args.copy()
    bad_offsets[1] = np.array([0, 3])
    bad_rate = args.copy()
    bad_rate[6] = math.inf
    short_spots = args.copy()
    short_spots[3] = np.array([])
    for broken in (naive, bad_offsets, bad_rate, short_spots):
        with pytest.raises(InvalidHeaderError):
            analyze_market(*broken)


# --- twins ---------------------------------------------------------------------------


def test_the_caps_quarantine_the_same_rows_as_validate() -> None:
    """Every cap of the validator (docs/data-quality.md) gives the same reason per row on the
    market path, spot-relative ones against each underlying's own spot."""
    chain = two_sided_chain("FFF", 100.0)
    edits = [
        ("iv", 1e308), ("iv", math.inf), ("iv", 5e-5), ("multiplier", 1e308),
        ("open_interest", 9_200_000_000_000_000_000), ("strike", 1e300), ("strike", 1e-5),
        ("underlying_price", 1e300), ("underlying_price", 5.0), ("bid", 1e308),
        ("ask", 1e-300),
    ]  # fmt: skip
    for i, (column, value) in enumerate(edits):
        chain[i][column] = value
    far = datetime(2199, 1, 18, 21, tzinfo=UTC)  # beyond the 100-year horizon (a frame's own)
    fff = cf.frame(chain).with_columns(
        pl.when(pl.int_range(pl.len()) == len(edits))
        .then(pl.lit(far, dtype=pl.Datetime("us", "UTC")))
        .otherwise(pl.col("settlement"))
        .alias("settlement")
    )
    near = two_sided_chain("GGG", 2000.0)  # the same strikes are not implausible at spot 2000
    near[0]["strike"] = 1.0  # a real NDX listing: strike 1 with spot 14,694
    m = market_of(
        [("FFF", 100.0, 0.0, fff), ("GGG", 2000.0, 0.0, cf.frame(near)),
         ("HIGHQ", 100.0, 1.5, cf.frame(two_sided_chain("HIGHQ", 100.0))),
         ("HUGE", 2e9, 0.0, cf.frame(two_sided_chain("HUGE", 2e9)))]
    )  # fmt: skip
    res = analyze_market(*m.args())
    assert res.frame["status"].to_list() == ["ok", "ok", "invalid_header", "invalid_spot"]
    for i in (0, 1):
        mine = res.excluded.filter(pl.col("underlying") == i)
        assert (
            dict(zip(mine["reason"], mine["count"], strict=True))
            == validate(m.snapshot(i)).excluded
        )
    assert validate(m.snapshot(0)).excluded == {
        "invalid_strike": 2, "invalid_expiration": 1, "invalid_underlying_price": 2,
        "invalid_multiplier": 1, "invalid_open_interest": 1, "invalid_price": 2,
        "implausible_iv": 3,
    }  # fmt: skip
    assert validate(m.snapshot(1)).excluded == {}
    assert_matches(sub_result(res, [0, 1]), [analyze(m.snapshot(i)) for i in (0, 1)])
    with pytest.raises(InvalidHeaderError, match="div_yield"):
        analyze(m.snapshot(2))
    with pytest.raises(InvalidSpotError, match="plausible"):
        analyze(m.snapshot(3))
    with pytest.raises(InvalidHeaderError, match="implausible"):
        analyze_market(*m.args()[:6], 1e308)
