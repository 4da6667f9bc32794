"""Key strike levels from a per-strike table, and max pain for one expiry (docs/conventions.md).

Inputs are the per-strike tables of :func:`engine.exposure.strikes.strike_table` (polars frames with
the columns of :data:`engine.exposure.strikes.STRIKE_COLUMNS`; only the columns a level needs are
read). Strikes are in the underlying's price units; GEX in USD of dealer delta change per 1 %
move; open interest in contracts. Every level is a strike from the table, or ``None``.

==================  =====================================================================
call_wall           the strike at or above spot with the largest call GEX; any strike when
                    none at or above spot has call GEX > 0 (``None`` unless some has)
put_wall            the strike at or below spot with the most negative put GEX; any strike
                    when none at or below spot has put GEX < 0 (``None`` unless some has)
max_positive_gamma  argmax of net GEX (``None`` unless some net GEX > 0)
max_negative_gamma  argmin of net GEX (``None`` unless some net GEX < 0)
highest_oi_strike   argmax of call OI + put OI (``None`` unless some OI > 0)
zero_dte_magnet     on the table of contracts settling today: argmax of |net GEX|
                    (``None`` when nothing settles today or every |net GEX| is 0)
==================  =====================================================================

Ties: when several strikes share the extreme value exactly, the one nearest spot wins; when
two tied strikes are equally far from spot (one below, one above), the lower one. Rows whose
value is null or not finite are ignored. An empty table gives ``None`` everywhere. The rule
is written once, as the segmented kernel :func:`engine.analysis.segmented.pick_strikes`
(a market's walls pick every underlying's in one call); :func:`levels_of` takes the table's
columns as arrays.

Max pain (:func:`max_pain`) works on the contracts of one expiry: the candidate settlement
prices are the expiry's strikes, and the payout to holders at a price ``P`` is
``Σ_calls OI·m·max(0, P−K) + Σ_puts OI·m·max(0, K−P)`` (USD). It is evaluated at every strike
in O(n log n) with sorted cumulative sums; ties go to the lower strike.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.analysis.segmented import pick_strikes
from engine.typing import FloatArray, IntArray

__all__ = [
    "StrikeLevels",
    "call_wall",
    "highest_oi_strike",
    "levels_of",
    "max_negative_gamma",
    "max_pain",
    "max_positive_gamma",
    "put_wall",
    "strike_levels",
    "walls",
    "zero_dte_magnet",
]


class StrikeLevels(NamedTuple):
    """All table-based levels at once (strikes, or ``None``); see the module docstring."""

    call_wall: float | None
    put_wall: float | None
    max_positive_gamma: float | None
    max_negative_gamma: float | None
    highest_oi_strike: float | None
    zero_dte_magnet: float | None


def _column(table: pl.DataFrame, name: str) -> FloatArray:
    """A column as float64 with nulls turned into NaN."""
    return table.get_column(name).cast(pl.Float64).fill_null(float("nan")).to_numpy()


def _pick(strike: FloatArray, score: FloatArray, spot: float) -> float | None:
    """Strike with the largest positive ``score``; ties nearest spot, then the lower strike.

    Rows with a non-finite strike or score, and scores ``<= 0``, are never chosen.
    """
    one = np.zeros(1, dtype=np.int64)
    k = np.ascontiguousarray(strike, dtype=np.float64)
    chosen = pick_strikes(
        one, one + k.shape[0], k, np.ascontiguousarray(score, dtype=np.float64), np.array([spot])
    )
    return None if np.isnan(chosen[0]) else float(chosen[0])


def _pick_side(strike: FloatArray, score: FloatArray, spot: float, above: bool) -> float | None:
    """:func:`_pick` among the strikes on one side of spot (inclusive); all strikes when that
    side has no positive score."""
    one = np.zeros(1, dtype=np.int64)
    k = np.ascontiguousarray(strike, dtype=np.float64)
    chosen = _sided(one, one + k.shape[0], k, score, np.array([spot]), above)[0]
    return None if np.isnan(chosen) else float(chosen)


def _sided(
    starts: IntArray,
    stops: IntArray,
    strike: FloatArray,
    score: FloatArray,
    spots: FloatArray,
    above: bool,
) -> FloatArray:
    """Per segment of strikes (``starts``/``stops``, spot ``spots[u]``): the strike with the
    largest positive score at or above (``above``) or at or below spot, else anywhere."""
    spot_of = np.repeat(spots, stops - starts)
    side = strike >= spot_of if above else strike <= spot_of
    s = np.ascontiguousarray(score, dtype=np.float64)
    wall = pick_strikes(starts, stops, strike, np.where(side, s, np.nan), spots)
    anywhere = pick_strikes(starts, stops, strike, s, spots)
    return np.where(np.isfinite(wall), wall, anywhere)


def walls(
    starts: IntArray,
    stops: IntArray,
    strike: FloatArray,
    call_gex: FloatArray,
    put_gex: FloatArray,
    spots: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """``call_wall`` and ``put_wall`` (NaN: none) of every underlying of a per-strike table
    whose strikes of underlying ``u`` are ``starts[u] .. stops[u]`` (ascending)."""
    return (
        _sided(starts, stops, strike, call_gex, spots, above=True),
        _sided(starts, stops, strike, -put_gex, spots, above=False),
    )


def call_wall(table: pl.DataFrame, spot: float) -> float | None:
    """The strike at or above spot with the largest call GEX (any strike when none above
    has call GEX > 0); ``None`` when no strike has call GEX > 0."""
    return _pick_side(_column(table, "strike"), _column(table, "call_gex"), spot, above=True)


def put_wall(table: pl.DataFrame, spot: float) -> float | None:
    """The strike at or below spot with the most negative put GEX (any strike when none
    below has put GEX < 0); ``None`` when no strike has put GEX < 0."""
    return _pick_side(_column(table, "strike"), -_column(table, "put_gex"), spot, above=False)


def max_positive_gamma(table: pl.DataFrame, spot: float) -> float | None:
    """Strike with the largest net GEX; ``None`` when no strike has net GEX > 0."""
    return _pick(_column(table, "strike"), _column(table, "net_gex"), spot)


def max_negative_gamma(table: pl.DataFrame, spot: float) -> float | None:
    """Strike with the most negative net GEX; ``None`` when no strike has net GEX < 0."""
    return _pick(_column(table, "strike"), -_column(table, "net_gex"), spot)


def highest_oi_strike(table: pl.DataFrame, spot: float) -> float | None:
    """Strike with the largest call OI + put OI; ``None`` when every strike has none."""
    oi = _column(table, "call_oi") + _column(table, "put_oi")
    return _pick(_column(table, "strike"), oi, spot)


def zero_dte_magnet(zero_dte_table: pl.DataFrame, spot: float) -> float | None:
    """Strike with the largest |net GEX| among contracts settling today.

    ``zero_dte_table`` is the per-strike table of today's (not yet settled) contracts only;
    ``None`` when it is empty or every |net GEX| is 0.
    """
    return _pick(
        _column(zero_dte_table, "strike"), np.abs(_column(zero_dte_table, "net_gex")), spot
    )


def levels_of(
    strike: FloatArray,
    call_gex: FloatArray,
    put_gex: FloatArray,
    net_gex: FloatArray,
    open_interest: FloatArray,
    spot: float,
    zero_dte: tuple[FloatArray, FloatArray] | None = None,
) -> StrikeLevels:
    """Every table-based level from the table's columns as arrays (one entry per strike;
    ``open_interest`` = call OI + put OI); ``zero_dte``: the 0DTE table's strikes and net
    GEX, or None."""
    with np.errstate(invalid="ignore"):
        magnet = None if zero_dte is None else _pick(zero_dte[0], np.abs(zero_dte[1]), spot)
        return StrikeLevels(
            call_wall=_pick_side(strike, call_gex, spot, above=True),
            put_wall=_pick_side(strike, -put_gex, spot, above=False),
            max_positive_gamma=_pick(strike, net_gex, spot),
            max_negative_gamma=_pick(strike, -net_gex, spot),
            highest_oi_strike=_pick(strike, open_interest, spot),
            zero_dte_magnet=magnet,
        )


def strike_levels(
    table: pl.DataFrame, spot: float, zero_dte_table: pl.DataFrame | None = None
) -> StrikeLevels:
    """Every table-based level; ``zero_dte_magnet`` is ``None`` without a 0DTE table."""
    zero = None
    if zero_dte_table is not None:
        zero = (_column(zero_dte_table, "strike"), _column(zero_dte_table, "net_gex"))
    return levels_of(
        _column(table, "strike"),
        _column(table, "call_gex"),
        _column(table, "put_gex"),
        _column(table, "net_gex"),
        _column(table, "call_oi") + _column(table, "put_oi"),
        spot,
        zero,
    )


def _payouts(
    strike: FloatArray, is_call: npt.NDArray[np.bool_], weight: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Distinct strikes (ascending) and the total payout to holders at each of them (USD).

    Built from sums of non-negative terms only (no cancellation): the call payout grows
    from the lowest strike by ``gap · (call weight at or below)``, the put payout from the
    highest strike downwards by ``gap · (put weight above)``.
    """
    grid, where = np.unique(strike, return_inverse=True)
    call_w = np.bincount(where, weights=np.where(is_call, weight, 0.0), minlength=grid.size)
    put_w = np.bincount(where, weights=np.where(is_call, 0.0, weight), minlength=grid.size)
    gap = np.diff(grid)
    calls_below = np.cumsum(call_w)[:-1]  # call weight at strikes <= grid[j], j < last
    puts_above = np.cumsum(put_w[::-1])[::-1][1:]  # put weight at strikes > grid[j]
    call_pay = np.concatenate(([0.0], np.cumsum(gap * calls_below)))
    put_pay = np.concatenate((np.cumsum((gap * puts_above)[::-1])[::-1], [0.0]))
    return grid, call_pay + put_pay


def max_pain(
    strike: npt.ArrayLike,
    is_call: npt.ArrayLike,
    open_interest: npt.ArrayLike,
    multiplier: npt.ArrayLike = 100.0,
) -> float | None:
    """Max pain of one expiry: the strike minimizing the total intrinsic payout to holders.

    ``strike``, ``is_call`` and ``open_interest`` are per contract of that expiry;
    ``multiplier`` per contract or a scalar. Candidates are the expiry's distinct finite
    strikes; contracts with a non-finite or negative OI or multiplier add no payout. Ties go
    to the lower strike. ``None`` when there is no finite strike or no open interest at all.
    """
    k = np.asarray(strike, dtype=np.float64).ravel()
    calls = np.broadcast_to(np.asarray(is_call, dtype=np.bool_), k.shape)
    oi = np.broadcast_to(np.asarray(open_interest, dtype=np.float64), k.shape)
    m = np.broadcast_to(np.asarray(multiplier, dtype=np.float64), k.shape)
    weight = oi * m
    weight = np.where(np.isfinite(weight) & (oi >= 0.0) & (m >= 0.0), weight, 0.0)
    keep = np.isfinite(k)
    if not keep.any() or not (weight[keep] > 0.0).any():
        return None
    grid, payout = _payouts(k[keep], calls[keep], weight[keep])
    return float(grid[int(np.argmin(payout))])
