"""Implied vols, theoretical values and quotes of the demo market.

Smile (per expiry, vol as a decimal)::

    atm(T) = atm_long + (atm_short - atm_long) · exp(-T / 0.25)
    u      = ln(K / F) / (atm(T) · √max(T, 1 hour))
    iv     = atm(T) · (1 + wing · (√(1 + u²) - 1) - skew · u / √(1 + (u/3)²))

clipped to [0.25 · atm(T), 5.0]: a put skew that saturates, convex wings, and a term
structure from ``atm_short`` (the front, which jumps with the regime) to ``atm_long``.
``F`` is the forward (``S·e^{(r-q)T}``) or the futures price.

Quotes: the spread is ``min(a, theo) + b·√theo`` (premium units) times ``(1 + 0.3·T)`` and a
per-contract factor in [0.8, 1.3]; bid and ask are the theoretical value ∓ half of it rounded outward to
the tick, a bid under one tick is 0 and the ask is at least one tick. Tick schemes:
``index`` (SPX, NDX) 0.05 below 3.00 and 0.10 from 3.00; ``penny`` (ETFs, stocks) 0.01 / 0.05;
``cme`` 0.05 up to and including 5.00, 0.25 above (docs/providers.md §7).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from engine.greeks import Greeks, bsm

__all__ = ["TICK_SCHEMES", "quotes", "round_to_tick", "smile", "theoretical", "tick_size"]

Float = npt.NDArray[np.float64]

TICK_SCHEMES: Final = ("index", "penny", "cme")
_SMALL: Final = np.array([0.05, 0.01, 0.05])
_LARGE: Final = np.array([0.10, 0.05, 0.25])
_BREAK: Final = np.array([3.0, 3.0, 5.0])
_INCLUSIVE: Final = np.array([False, False, True])
_SPREAD_A: Final = np.array([0.10, 0.01, 0.25])
_SPREAD_B: Final = np.array([0.08, 0.02, 0.08])
TERM_TAU: Final = 0.25
ONE_HOUR: Final = 1.0 / (365.0 * 24.0)


def smile(
    log_moneyness: Float,
    t: Float,
    atm_short: Float,
    atm_long: Float,
    wing: Float,
    skew: Float,
) -> Float:
    """Implied vol at ``ln(K/F)`` and ``t`` years (arrays broadcast together)."""
    atm = atm_long + (atm_short - atm_long) * np.exp(-t / TERM_TAU)
    u = log_moneyness / (atm * np.sqrt(np.maximum(t, ONE_HOUR)))
    shape = 1.0 + wing * (np.sqrt(1.0 + u * u) - 1.0) - skew * u / np.sqrt(1.0 + (u / 3.0) ** 2)
    return np.clip(atm * shape, 0.25 * atm, 5.0)


def theoretical(
    underlying: Float,
    strike: Float,
    t: Float,
    rate: float,
    q: Float,
    iv: Float,
    is_call: npt.NDArray[np.bool_],
) -> Greeks:
    """Price and greeks through :func:`engine.greeks.bsm`.

    Black-76 rows pass the futures price as ``underlying`` and ``q = rate`` (carry 0), which
    is exactly Black-76.
    """
    return bsm(underlying, strike, t, rate, q, iv, is_call)


def tick_size(price: Float, scheme: npt.NDArray[np.int8]) -> Float:
    """Minimum increment at ``price`` under each row's tick scheme (index into TICK_SCHEMES)."""
    brk = _BREAK[scheme]
    small = (price < brk) | (_INCLUSIVE[scheme] & (price == brk))
    return np.where(small, _SMALL[scheme], _LARGE[scheme])


def round_to_tick(price: Float, tick: Float, how: str = "nearest") -> Float:
    """Round to a multiple of ``tick`` (``nearest``, ``down`` or ``up``), to 1e-8 exactness."""
    units = price / tick
    op = {"nearest": np.round, "down": np.floor, "up": np.ceil}[how]
    nudge = {"nearest": 0.0, "down": 1e-9, "up": -1e-9}[how]
    return np.round(op(units + nudge) * tick, 8)


def quotes(
    theo: Float, t: Float, scheme: npt.NDArray[np.int8], factor: Float
) -> tuple[Float, Float]:
    """(bid, ask) around ``theo`` (see the module docstring); ``factor`` in [0.8, 1.3]."""
    value = np.maximum(theo, 0.0)
    fixed = np.minimum(_SPREAD_A[scheme], value)
    spread = (fixed + _SPREAD_B[scheme] * np.sqrt(value)) * (1.0 + 0.3 * t) * factor
    tick = tick_size(theo, scheme)
    bid = round_to_tick(theo - spread / 2.0, tick, "down")
    bid = np.where(bid < tick, 0.0, bid)
    ask = np.maximum(round_to_tick(theo + spread / 2.0, tick, "up"), tick)
    return bid, ask
