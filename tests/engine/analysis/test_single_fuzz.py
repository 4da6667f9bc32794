"""Fuzzing chain cells through ``engine.analyze``: totals are always finite, every row counted.

A small two-sided chain gets a few of its cells (IV, bid, ask, open interest, multiplier,
strike, underlying price) replaced by extreme, non-finite, negative or tiny values, and its
header rate sometimes too. Whatever comes in, ``analyze`` either raises a typed
:class:`~engine.errors.GexError` or returns finite net exposures, a finite profile at spot,
and a ``data_quality`` whose used and excluded contracts add up to every row of the chain.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import analyze
from engine.chain import REASONS
from engine.errors import GexError
from engine.exposure.metrics import METRICS
from tests.engine import chain_factory as cf

SPOT = 100.0
EXPIRIES = (date(2024, 1, 19), date(2024, 2, 16))


def base_rows() -> list[dict[str, Any]]:
    """Calls and puts at 80..120 on two expiries, two-sided quotes, vendor IV 25 %; more
    put than call open interest on the downside, so net GEX is not zero."""
    rows = []
    for day in EXPIRIES:
        for k in range(80, 125, 5):
            for call in (True, False):
                intrinsic = max(0.0, (SPOT - k) if call else (k - SPOT))
                right = "C" if call else "P"
                rows.append(
                    cf.row(
                        contract=f"AAA{day:%y%m%d}{right}{k * 1000:08d}", root="AAA",
                        expiration=day, strike=float(k), is_call=call, style="american",
                        underlying_price=SPOT, iv=0.25, vendor_gamma=0.05, bid=intrinsic + 1.0,
                        ask=intrinsic + 1.2, open_interest=100 + k if call else 3 * k,
                    )
                )  # fmt: skip
    return rows


EXTREMES = [
    math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 1e308, -1e308, 1.7976931348623157e308,
    5e-324, 1e-300, 1e-200, 1e-100, 1e-12, 1e-5, 1e5, 1e12, 1e30, 150.0,
]  # fmt: skip
FLOATS = st.one_of(st.sampled_from(EXTREMES), st.floats(allow_nan=True, allow_infinity=True))
CELLS: dict[str, st.SearchStrategy[Any]] = {
    "iv": FLOATS,
    "bid": FLOATS,
    "ask": FLOATS,
    "multiplier": FLOATS,
    "strike": FLOATS,
    "underlying_price": FLOATS,
    "open_interest": st.one_of(
        st.none(),
        st.sampled_from([-1, 0, 2**63 - 1, 9_200_000_000_000_000_000, 10**9, 10**9 + 1]),
        st.integers(-(2**63), 2**63 - 1),
    ),
}
N_ROWS = len(base_rows())
EDITS = st.lists(
    st.tuples(st.integers(0, N_ROWS - 1), st.sampled_from(sorted(CELLS))).flatmap(
        lambda rc: st.tuples(st.just(rc[0]), st.just(rc[1]), CELLS[rc[1]])
    ),
    min_size=1,
    max_size=8,
)
RATES = st.one_of(
    st.just(0.05), st.sampled_from([0.0, -0.02, 0.99, 1e308, -1e308, math.nan, math.inf])
)


def check(snapshot: Any, preset: str = "native") -> None:
    try:
        a = analyze(snapshot, preset=preset)
    except GexError:
        return  # a typed error: the whole chain (or header) is unusable, and says so
    for name, value in a.exposures.items():
        assert math.isfinite(value), (name, value)
    for name, value in a.zero_dte_exposures.items():
        assert math.isfinite(value), (name, value)
    assert a.regime in ("positive_gamma", "negative_gamma", "unknown")
    assert a.strikes.height > 0
    for column in (c for m in METRICS for c in m.columns()):
        if column in a.strikes.columns:
            assert a.strikes[column].is_finite().all(), column
    if preset == "native":  # the perfiliev preset counts the script's own exclusions too
        quality = a.data_quality
        excluded: dict[str, int] = dict(quality["excluded"])  # type: ignore[call-overload]
        assert set(excluded) <= set(REASONS) | {"no_iv"}
        assert quality["contracts_used"] + sum(excluded.values()) == snapshot.frame.height


@settings(max_examples=250, deadline=None)
@given(edits=EDITS, rate=RATES)
def test_extreme_cells_never_give_a_non_finite_total(
    edits: list[tuple[int, str, Any]], rate: float
) -> None:
    rows = base_rows()
    for i, column, value in edits:
        rows[i][column] = value
    snapshot = cf.snapshot(rows, underlying="AAA", spot=SPOT, rate=rate, div_yield=0.0)
    check(snapshot)


PERFILIEV_EDITS = st.lists(
    st.tuples(
        st.integers(0, N_ROWS - 1), st.sampled_from([*sorted(CELLS), "vendor_gamma"])
    ).flatmap(lambda rc: st.tuples(st.just(rc[0]), st.just(rc[1]), CELLS.get(rc[1], FLOATS))),
    min_size=1,
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(edits=PERFILIEV_EDITS)
def test_extreme_cells_under_the_perfiliev_preset(edits: list[tuple[int, str, Any]]) -> None:
    """The script's net GEX reads the vendor's gamma: fuzzed too; totals stay finite."""
    rows = base_rows()
    for i, column, value in edits:
        rows[i][column] = value
    check(cf.snapshot(rows, underlying="AAA", spot=SPOT, rate=0.05, div_yield=0.0), "perfiliev")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("iv", 1e308, "implausible_iv"),
        ("iv", math.inf, "implausible_iv"),
        ("iv", 1e-300, "implausible_iv"),
        ("multiplier", 1e308, "invalid_multiplier"),
        ("open_interest", 9_200_000_000_000_000_000, "invalid_open_interest"),
        ("strike", 1e300, "invalid_strike"),
        ("underlying_price", 1e300, "invalid_underlying_price"),
        ("bid", 1e308, "invalid_price"),
        ("ask", 1e-300, "invalid_price"),
    ],
)
def test_one_implausible_cell_is_one_counted_exclusion(
    column: str, value: object, reason: str
) -> None:
    """The reported defects: one IV of 1e308 used to turn every net exposure into NaN (null
    beside a "positive" label) with nothing excluded; a multiplier of 1e308 raised a bare
    ValueError (HTTP 500); open interest near 2^63 overflowed the call + put sums."""
    rows = base_rows()
    rows[7][column] = value
    clean = analyze(cf.snapshot(base_rows(), underlying="AAA", spot=SPOT))
    a = analyze(cf.snapshot(rows, underlying="AAA", spot=SPOT))
    assert all(math.isfinite(v) for v in a.exposures.values())
    assert dict(a.data_quality["excluded"]) == {reason: 1}  # type: ignore[call-overload]
    assert a.data_quality["contracts_used"] == N_ROWS - 1
    assert a.regime == clean.regime


def test_open_interest_sums_stay_exact_at_the_cap() -> None:
    rows = base_rows()
    for r in rows:
        r["open_interest"] = 10**9  # the cap itself is allowed
    a = analyze(cf.snapshot(rows, underlying="AAA", spot=SPOT))
    table = a.strikes
    assert table["call_oi"].sum() + table["put_oi"].sum() == 10**9 * N_ROWS
    assert (
        table.select(pl.col("call_oi") + pl.col("put_oi"))["call_oi"] == 4 * 10**9
    ).all()  # 2 expiries x (call + put)


def test_implausible_header_rate_is_a_typed_error() -> None:
    """A header rate of 1e308 used to zero every exposure; now it is refused by name."""
    from engine.errors import InvalidHeaderError

    snap = cf.snapshot(base_rows(), underlying="AAA", spot=SPOT)
    for name in ("rate", "div_yield"):
        for value in (1e308, -1.5, 1.0000001):
            with pytest.raises(InvalidHeaderError, match=name):
                analyze(replace(snap, **{name: value}))
    assert math.isfinite(analyze(replace(snap, rate=1.0, div_yield=-1.0)).net_gex)


def test_perfiliev_takes_back_no_implausible_iv() -> None:
    """A row quarantined as invalid_price whose vendor IV is also implausible (only the first
    reason is recorded) must not come back for the script's profile, which squares the IV."""
    rows = base_rows()
    rows[5]["bid"], rows[5]["iv"] = -1.0, 1e200
    a = analyze(cf.snapshot(rows, underlying="AAA", spot=SPOT), preset="perfiliev")
    assert all(math.isfinite(v) for v in a.exposures.values())
