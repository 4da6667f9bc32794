"""Compile (or load from cache) every engine kernel, so no request pays compilation.

The server calls :func:`compile_all` at start-up; the ``kernel start-up`` benchmark times it.
Each new kernel module adds its warm-up call here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["compile_all"]


def compile_all() -> None:
    """Run every kernel once on a tiny input."""
    from engine.analysis.hedging import hedging_estimate
    from engine.analysis.profile import gamma_profile
    from engine.greeks import bsm, dealer_greeks
    from engine.iv.kernels import implied_vol_kernel
    from engine.iv.solve import black_price, implied_vol, implied_vol_from_quotes

    one = np.ones(2)
    calls = np.array([True, False])
    bsm(one * 100.0, one * 100.0, one * 0.1, one * 0.05, one * 0.01, one * 0.2, calls)
    dealer_greeks(one * 100.0, one * 100.0, one * 0.1, one * 0.05, one * 0.04, one * 0.2, calls)
    # Implied vols: the vectorized passes, their scalar fallback, and the pricing map.
    contract = (one * 100.0, one * 100.0, one * 0.1, one * 0.05, one * 0.04)
    price = black_price(*contract, one * 0.2, calls)
    implied_vol(price, *contract, calls)
    implied_vol_from_quotes(price * 0.99, price * 1.01, *contract, calls)
    implied_vol_kernel(price, *contract, calls, np.empty(2), np.empty(2, dtype=np.int8))
    # Gamma profile and hedging (one input signature each).
    gamma_profile(one * 100.0, 100.0, one * 100.0, one * 100.0, one * 0.1, one * 0.2,
                  one * 0.05, one * 0.04, one, one * 100.0)  # fmt: skip
    hedging_estimate([0.01], 100.0, one * 100.0, one * 100.0, one * 0.1, one * 0.2,
                     one * 0.05, one * 0.04, one, one * 100.0, calls)  # fmt: skip
    # The validator's row rules, strike groups and sums (float and integer), level picks.
    _warm_chain_kernels(one, calls)


def _warm_chain_kernels(one: np.ndarray, calls: np.ndarray) -> None:
    from datetime import UTC, date, datetime

    import polars as pl

    from engine.analysis.segmented import pick_strikes, strike_groups, strike_sums
    from engine.chain import SCHEMA
    from engine.chain.columns import frame_columns
    from engine.chain.rules import row_reasons

    row = {
        "contract": "W", "root": "W", "expiration": date(2000, 1, 3),
        "settlement": datetime(2000, 1, 3, 21, tzinfo=UTC), "strike": 100.0, "is_call": True,
        "style": "european", "model": "bsm", "multiplier": 100.0, "underlying_price": 100.0,
        "open_interest": 1, "volume": 1, "bid": 1.0, "ask": 1.1, "last": 1.0, "iv": 0.2,
        "vendor_delta": 0.5, "vendor_gamma": 0.01,
    }  # fmt: skip
    frame = pl.DataFrame([row, {**row, "contract": "X"}], schema=dict(SCHEMA))
    offsets = np.array([0, 2], dtype=np.int64)
    row_reasons(frame_columns(frame), offsets, one[:1] * 100.0, datetime(2000, 1, 1, tzinfo=UTC))
    starts, stops = offsets[:1], offsets[1:]
    group, _, head = strike_groups(starts, stops, one * 100.0)
    strike_sums(starts, stops, group, head.shape[0], calls, np.ones((1, 2)))
    strike_sums(starts, stops, group, head.shape[0], calls, np.ones((1, 2), dtype=np.int64))
    pick_strikes(starts, stops, one * 100.0, one, one[:1] * 100.0)
