"""Crossings and the gamma flip: bracketing rule, refinement, widening, continuity."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine._jit import PURE_PYTHON_ENV
from engine.analysis.flip import (
    DEFAULT_TOL,
    crossings_of,
    find_crossings,
    masked_crossings,
    refine_brackets,
    sign_change_brackets,
)
from engine.analysis.profile import evaluate_profile, profile_terms
from tests.engine.analysis.test_profile import DAY, synthetic_chain, terms_of


def _pair(root: float, spot: float = 100.0, put_strike: float = 60.0):  # type: ignore[no-untyped-def]
    """A street call (weight +1) and put (weight -1) whose only crossing is ``root``.

    Same T, vol, carry and weight size: the terms are equal when d1_call = -d1_put, i.e.
    at S' = √(K_c K_p) · e^{-(b + σ²/2)T} (U = spot), positive above, negative below.
    """
    T, vol = 0.5, 0.3
    call_strike = (root * math.exp(0.5 * vol * vol * T)) ** 2 / put_strike
    return profile_terms(
        spot, spot, [call_strike, put_strike], T, vol, 0.0, 0.0, [1.0, -1.0], 100.0
    )


@pytest.mark.parametrize(
    "values,brackets",
    [
        ([1.0, 2.0, 3.0], []),
        ([1.0, -1.0], [(0, 1)]),
        ([1.0, 0.0, 1.0], []),  # a touch is not a crossing
        ([1.0, 0.0, -1.0], [(0, 1)]),  # a zero between opposite signs is
        ([0.0, 0.0, 1.0, 2.0], []),  # a zero run at the edge is not
        ([2.0, 0.0, 0.0, -1.0, -2.0, 3.0], [(0, 1), (4, 5)]),
        ([-1.0, 0.0, 0.0, 0.0, -3.0, 0.0], []),
        ([0.0, 0.0, 0.0], []),
        ([], []),
    ],
)
def test_sign_change_brackets(values: list[float], brackets: list[tuple[int, int]]) -> None:
    lo, hi = sign_change_brackets(np.array(values))
    assert list(zip(lo.tolist(), hi.tolist(), strict=True)) == brackets


def test_exact_zero_on_the_grid_is_the_crossing() -> None:
    result = crossings_of(lambda x: x - 100.0, 100.0)
    assert result.crossings.tolist() == [100.0]
    assert result.gamma_flip == 100.0
    assert result.status == "available"


def test_touch_is_not_a_crossing() -> None:
    result = crossings_of(lambda x: (x - 100.0) ** 2, 100.0)
    assert result.status == "no_boundary"
    assert result.gamma_flip is None
    assert result.crossings.size == 0


def test_zero_interval_between_signs_reports_its_left_end() -> None:
    f = np.vectorize(lambda x: 1.0 if x < 97.03 else (0.0 if x <= 104.0 else -1.0))
    result = crossings_of(lambda x: f(x).astype(float), 100.0)
    assert result.crossings.size == 1
    assert result.crossings[0] == pytest.approx(97.03, abs=DEFAULT_TOL * 100.0)


def test_refine_brackets_to_tolerance() -> None:
    a = np.array([1.0, -3.0, 0.5])
    b = np.array([2.0, -1.0, 1.5])

    def f(x: np.ndarray) -> np.ndarray:
        return x**3 - 2.0 * x  # roots -√2, 0, √2; 0 is not bracketed

    fa, fb = f(a), f(b)
    roots = refine_brackets(lambda _, x: f(x), a, b, fa, fb, 1e-9)
    assert roots[0] == pytest.approx(math.sqrt(2.0), abs=1e-9)
    assert roots[1] == pytest.approx(-math.sqrt(2.0), abs=1e-9)
    assert roots[2] == pytest.approx(math.sqrt(2.0), abs=1e-9)


@pytest.mark.parametrize("root", [96.5, 103.2, 81.0])
def test_two_contract_crossing_by_hand(root: float) -> None:
    result = find_crossings(_pair(root))
    assert result.status == "available"
    assert result.crossings.size == 1
    assert result.gamma_flip == pytest.approx(root, abs=DEFAULT_TOL * 100.0)
    assert result.levels[0] == pytest.approx(80.0) and result.levels[-1] == pytest.approx(120.0)


@pytest.mark.parametrize("root,width", [(72.0, 0.35), (128.0, 0.35), (58.0, 0.50)])
def test_grid_widens_when_no_sign_change(root: float, width: float) -> None:
    terms = _pair(root, put_strike=50.0 if root < 60 else 60.0)
    result = find_crossings(terms)
    assert result.status == "available"
    assert result.levels.size == 201
    assert result.levels[0] == pytest.approx(100.0 * (1 - width))
    assert result.levels[-1] == pytest.approx(100.0 * (1 + width))
    assert result.crossings.tolist() == [result.gamma_flip]
    assert result.levels[100] == 100.0  # spot is on every grid, which is symmetric
    np.testing.assert_allclose(result.levels[::-1] - 100.0, 100.0 - result.levels, atol=1e-12)
    assert result.values[100] == evaluate_profile(terms, [100.0])[0]
    assert result.gamma_flip == pytest.approx(root, abs=DEFAULT_TOL * 100.0)
    narrow = find_crossings(terms, widths=(0.2,))
    assert narrow.status == "no_boundary"


def test_no_boundary_for_calls_only() -> None:
    chain = synthetic_chain(4)
    calls = chain["is_call"]
    terms = profile_terms(
        chain["spot"],
        chain["underlying_price"][calls],
        chain["strike"][calls],
        chain["t"][calls],
        chain["vol"][calls],
        chain["rate"][calls],
        chain["carry"][calls],
        chain["weight"][calls],
        chain["multiplier"][calls],
    )
    result = find_crossings(terms)
    assert result.status == "no_boundary"
    assert result.gamma_flip is None
    assert result.crossings.size == 0
    assert result.levels[0] == pytest.approx(2500.0) and result.levels[-1] == pytest.approx(7500.0)
    assert np.all(result.values > 0.0)


def test_empty_chain_has_no_boundary() -> None:
    terms = profile_terms(100.0, [], [], [], [], [], [], [], [])
    assert find_crossings(terms).status == "no_boundary"


def _assert_true_sign_changes(terms: Any, crossings: np.ndarray, spot: float) -> None:
    step = 2.0 * DEFAULT_TOL * spot
    below = evaluate_profile(terms, crossings - step)
    above = evaluate_profile(terms, crossings + step)
    assert np.all(np.sign(below) * np.sign(above) < 0.0)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    skew=st.floats(0.3, 6.0),
    b76=st.floats(0.0, 1.0),
)
def test_crossings_are_true_sign_changes(seed: int, skew: float, b76: float) -> None:
    chain = synthetic_chain(seed, put_skew=skew, black76_share=b76)
    terms = terms_of(chain)
    result = find_crossings(terms)
    spot = chain["spot"]
    if result.status == "no_boundary":
        assert np.all(result.values > 0.0) or np.all(result.values < 0.0)
        return
    crossings = result.crossings
    assert np.all(np.diff(crossings) > 0.0)
    _assert_true_sign_changes(terms, crossings, spot)
    # the grid's sign changes are all accounted for, one crossing per bracket
    lo, _ = sign_change_brackets(result.values)
    assert crossings.size == lo.size
    nearest = crossings[np.argmin(np.abs(crossings - spot))]
    assert result.gamma_flip == nearest


def test_flip_is_the_crossing_nearest_spot() -> None:
    result = crossings_of(lambda x: (x - 90.0) * (x - 104.0) * (x - 113.0), 100.0)
    assert result.crossings == pytest.approx([90.0, 104.0, 113.0], abs=1e-4)
    assert result.gamma_flip == pytest.approx(104.0, abs=1e-4)
    tie = crossings_of(lambda x: (x - 95.0) * (x - 105.0), 100.0)
    assert tie.gamma_flip == pytest.approx(95.0, abs=1e-4)  # the lower one on a tie


def _nudged(chain: dict[str, Any], factor: float, move_underlyings: bool) -> dict[str, Any]:
    out = dict(chain)
    out["spot"] = chain["spot"] * factor
    if move_underlyings:
        out["underlying_price"] = chain["underlying_price"] * factor
    return out


@pytest.mark.parametrize("move_underlyings", [True, False])
def test_flip_is_continuous_in_spot(move_underlyings: bool) -> None:
    chain = synthetic_chain(11, black76_share=0.3)
    base = find_crossings(terms_of(chain))
    assert base.status == "available"
    assert abs(base.gamma_flip - chain["spot"]) < 0.1 * chain["spot"]  # type: ignore[operator]
    for factor in (1.0 - 1e-4, 1.0 + 1e-4):
        moved = find_crossings(terms_of(_nudged(chain, factor, move_underlyings)))
        assert moved.status == "available"
        jump = abs(moved.gamma_flip - base.gamma_flip)  # type: ignore[operator]
        assert jump <= 1e-3 * chain["spot"]


def test_masked_crossings_equal_filtered_chain() -> None:
    chain = synthetic_chain(8)
    keep = chain["t"] > DAY  # exclude 0DTE
    filtered = {k: (v[keep] if isinstance(v, np.ndarray) else v) for k, v in chain.items()}
    got = masked_crossings(terms_of(chain), keep)
    want = find_crossings(terms_of(filtered))
    assert got.status == want.status
    np.testing.assert_allclose(got.crossings, want.crossings, rtol=1e-12)


def test_twins_give_the_same_flip(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = synthetic_chain(9)
    keep = np.zeros(chain["t"].size, dtype=bool)
    keep[::5] = True  # a smaller chain keeps the pure-Python run short
    terms = terms_of(chain).select(keep)
    compiled = find_crossings(terms)
    monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    twin = find_crossings(terms)
    assert compiled.status == twin.status == "available"
    np.testing.assert_allclose(twin.crossings, compiled.crossings, rtol=1e-10)


@pytest.mark.parametrize(
    "kwargs",
    [{"points": 1}, {"widths": ()}, {"widths": (0.2, 1.0)}, {"widths": (-0.1,)}, {"tol": 0.0}],
)
def test_bad_parameters_raise(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        find_crossings(_pair(96.0), **kwargs)


def test_non_finite_profile_raises() -> None:
    with pytest.raises(ValueError, match="finite"):
        crossings_of(lambda x: np.where(x > 110.0, np.nan, x - 100.0), 100.0)


def test_grid_size_and_width_are_parameters() -> None:
    result = find_crossings(_pair(96.5), widths=(0.1,), points=51)
    assert result.levels.size == 51
    assert result.levels[0] == pytest.approx(90.0)
    assert result.gamma_flip == pytest.approx(96.5, abs=DEFAULT_TOL * 100.0)
