"""Customer and dealer premium over a trailing window (``/v1/flow/options/{symbol}/dealer-premium``).

The premium of a counted print is ``price × size × multiplier`` in dollars (price on the
micro-dollar grid, each print rounded to a micro-dollar; sums are exact integers until they
are turned into dollars). By side: a customer buy is a dealer *write* (the dealer sells the
option), a customer sell is a dealer *buy*. Unclassified prints (at the midpoint, or
without a valid quote) are kept apart and are in no side.

The vendor's type names ``dealer_buy_premium = Σ sellVolume × vwap × 100`` per minute
bucket; summing each print's own ``price × size × multiplier`` is that with each side's own
VWAP (and each contract's own multiplier), without the rounding of an average.

Window: whole minute buckets. ``window_minutes = N`` at instant ``end`` covers the N
minutes ending with the minute that contains ``end`` — buckets ``[m − N + 1, m]`` with
``m = ⌊end / 1 min⌋`` (UTC). A print is in the minute of its own timestamp; the last bucket
counts every print of that minute, including any later than ``end`` (none when live).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import numpy as np

from engine.errors import ConfigurationError
from engine.flow._math import GRID, MT_COLS, US_PER_MINUTE
from engine.flow.state import FlowState

__all__ = ["MAX_WINDOW_MINUTES", "DealerPremium", "dealer_premium", "to_micros"]

MAX_WINDOW_MINUTES = 10_080
"""Longest window accepted (one week, as the vendor's ``minutes`` parameters)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class DealerPremium(NamedTuple):
    """Premium (dollars), volume (contracts) and prints over one window.

    ``dealer_buy_premium = customer_sell_premium``, ``dealer_write_premium =
    customer_buy_premium``, ``net_dealer_premium = dealer_buy − dealer_write`` (positive:
    dealers net long premium), ``total_premium = dealer_buy + dealer_write`` (unclassified
    prints excluded), ``net_customer_premium = −net_dealer_premium``; each side is the sum
    of its ``_call`` and ``_put`` parts. ``trade_count`` counts every counted print in the
    window (classified or not), ``classified_count`` the buys and sells;
    ``bucket_count`` the minutes with at least one counted print. ``window_start`` /
    ``window_end`` bound the window's buckets in microseconds since the epoch (UTC),
    start inclusive, end exclusive.
    """

    window_minutes: int
    window_start: int
    window_end: int
    dealer_buy_premium: float
    dealer_write_premium: float
    net_dealer_premium: float
    total_premium: float
    customer_buy_premium: float
    customer_sell_premium: float
    net_customer_premium: float
    customer_buy_call_premium: float
    customer_buy_put_premium: float
    customer_sell_call_premium: float
    customer_sell_put_premium: float
    unclassified_premium: float
    customer_buy_volume: int
    customer_sell_volume: int
    unclassified_volume: int
    trade_count: int
    classified_count: int
    bucket_count: int


def to_micros(instant: datetime | int) -> int:
    """``instant`` as microseconds since the epoch, UTC (an int is taken as that already;
    a naive datetime is ``ValueError``)."""
    if isinstance(instant, datetime):
        if instant.tzinfo is None:
            raise ValueError("end must be timezone-aware")
        return (instant - _EPOCH) // _US
    if isinstance(instant, bool) or not isinstance(instant, int | np.integer):
        raise ValueError(f"end must be a datetime or int microseconds, got {instant!r}")
    return int(instant)


def _check_window(window_minutes: int) -> int:
    if isinstance(window_minutes, bool) or not isinstance(window_minutes, int | np.integer):
        raise ConfigurationError(f"window_minutes must be an integer, got {window_minutes!r}")
    w = int(window_minutes)
    if not 1 <= w <= MAX_WINDOW_MINUTES:
        raise ConfigurationError(f"window_minutes must be in 1..{MAX_WINDOW_MINUTES}, got {w}")
    return w


def dealer_premium(
    state: FlowState,
    end: datetime | int,
    window_minutes: int,
    *,
    groups: Iterable[int] | None = None,
) -> DealerPremium:
    """Premium by side over the ``window_minutes`` minutes ending at ``end`` (module
    docstring), over every contract or only those whose group is in ``groups`` (with
    :meth:`FlowState.from_chain`, the positions of the expirations in ``group_labels``).

    ``ConfigurationError`` for a window outside 1..10080 minutes.
    """
    w = _check_window(window_minutes)
    last_minute = to_micros(end) // US_PER_MINUTE
    first_minute = last_minute - w + 1
    g = state.n_groups
    keys = state.minute_keys
    lo = int(np.searchsorted(keys, first_minute * g, side="left"))
    hi = int(np.searchsorted(keys, (last_minute + 1) * g, side="left"))
    k = keys[lo:hi]
    rows = state.minute_table[lo:hi]
    if groups is not None:
        wanted = np.fromiter((int(x) for x in groups), dtype=np.int64)
        keep = np.isin(k % g, wanted)
        k, rows = k[keep], rows[keep]
    s = [int(x) for x in rows.sum(axis=0, dtype=np.int64)] if rows.shape[0] else [0] * MT_COLS
    buy_call, buy_put, sell_call, sell_put, mid_call, mid_put = s[:6]
    buy, sell = buy_call + buy_put, sell_call + sell_put

    def usd(micros: int) -> float:
        return micros / GRID

    return DealerPremium(
        window_minutes=w,
        window_start=first_minute * US_PER_MINUTE,
        window_end=(last_minute + 1) * US_PER_MINUTE,
        dealer_buy_premium=usd(sell),
        dealer_write_premium=usd(buy),
        net_dealer_premium=usd(sell - buy),
        total_premium=usd(buy + sell),
        customer_buy_premium=usd(buy),
        customer_sell_premium=usd(sell),
        net_customer_premium=usd(buy - sell),
        customer_buy_call_premium=usd(buy_call),
        customer_buy_put_premium=usd(buy_put),
        customer_sell_call_premium=usd(sell_call),
        customer_sell_put_premium=usd(sell_put),
        unclassified_premium=usd(mid_call + mid_put),
        customer_buy_volume=s[6],
        customer_sell_volume=s[7],
        unclassified_volume=s[8],
        trade_count=s[9] + s[10] + s[11],
        classified_count=s[9] + s[10],
        bucket_count=int(np.unique(k // g).shape[0]),
    )
