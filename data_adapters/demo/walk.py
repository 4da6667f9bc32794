"""Deterministic price paths of the demo market.

Each path is ``level · exp(beta · M(n) + X(n))`` at the close of session ``n``:

- ``M`` is one market factor for the whole market: an Ornstein-Uhlenbeck process in log
  space (vol :data:`MARKET_VOL`, mean reversion :data:`MARKET_KAPPA` per year) run over
  every NYSE session from 1990, so index levels wander realistically but stay near their
  base level for decades.
- ``X`` is the symbol's own part: an exponentially weighted sum of its last
  :data:`WINDOW` daily shocks (a truncated OU with reversion :data:`IDIO_KAPPA`), cheap to
  evaluate at any session for thousands of symbols.
- Within a session, the price goes from the previous close to the session's close along a
  Brownian bridge sampled each minute (linear between minutes): before the open it is the
  previous close, after the close the close.

Shocks are :mod:`noise` values keyed by (seed, path key, session, minute), so a path is a
pure function of the seed and the instant. The volatility regime (a multiplier on implied
vols) rises after the market factor falls: ``exp(-2.5 · (M(n-1) - M(n-21)))`` clipped to
[0.75, 2.2], from closes only so it is constant within a day.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from data_adapters.demo.noise import key, normals
from data_adapters.demo.sessions import TradingDay, sessions

__all__ = [
    "IDIO_KAPPA",
    "MARKET_KAPPA",
    "MARKET_VOL",
    "WINDOW",
    "Path",
    "market_factor",
    "path",
    "regime",
]

FloatArray = npt.NDArray[np.float64]

SESSIONS_PER_YEAR: Final = 252.0
MARKET_VOL: Final = 0.16
MARKET_KAPPA: Final = 1.5
IDIO_KAPPA: Final = 3.0
WINDOW: Final = 256
BRIDGE_SHARE: Final = 0.6
"""Share of a day's volatility the intraday bridge adds on top of the close-to-close move."""


@functools.lru_cache(maxsize=8)
def market_factor(seed: int) -> FloatArray:
    """``M`` at the close of every session of the calendar (log units, read-only)."""
    n = sessions().days.size
    shocks = normals(key("demo.market-factor", seed), np.arange(n))
    phi = np.exp(-MARKET_KAPPA / SESSIONS_PER_YEAR)
    out = np.asarray(lfilter([MARKET_VOL / np.sqrt(SESSIONS_PER_YEAR)], [1.0, -phi], shocks))
    out.setflags(write=False)
    return out


def regime(seed: int, index: int) -> float:
    """Implied-vol multiplier for trading day ``index`` (see the module docstring)."""
    m = market_factor(seed)
    return float(np.clip(np.exp(-2.5 * (m[index - 1] - m[index - 21])), 0.75, 2.2))


def _idiosyncratic(keys: npt.NDArray[np.uint64], vols: FloatArray, index: int) -> FloatArray:
    """``X`` at sessions ``index - 1`` and ``index``: shape (n, 2)."""
    lags = np.arange(WINDOW + 1)
    shocks = normals(keys[:, None], 1, (index - lags)[None, :])
    phi = np.exp(-IDIO_KAPPA / SESSIONS_PER_YEAR)
    weights = phi ** np.arange(WINDOW) / np.sqrt(SESSIONS_PER_YEAR)
    today = shocks[:, :WINDOW] @ weights
    before = shocks[:, 1:] @ weights
    return np.stack([before, today], axis=1) * vols[:, None]


@dataclass(frozen=True, slots=True)
class Path:
    """Prices of ``n`` paths on one trading day (underlying units).

    ``prev_close`` (n,): close of the session before; ``close`` (n,): the day's close;
    ``spots`` (n, m): the price at each of the ``m`` requested session fractions.
    """

    prev_close: FloatArray
    close: FloatArray
    spots: FloatArray


def path(
    seed: int,
    keys: npt.NDArray[np.uint64],
    levels: FloatArray,
    betas: FloatArray,
    idio_vols: FloatArray,
    day: TradingDay,
    fractions: npt.ArrayLike,
) -> Path:
    """Evaluate ``n`` paths (keys, levels, betas, idiosyncratic vols) on ``day``.

    ``fractions`` are session fractions in [0, 1] (``day.elapsed`` for a snapshot, one per
    trade for the tape).
    """
    keys = np.atleast_1d(np.asarray(keys, dtype=np.uint64))
    levels, betas, idio_vols = (
        np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (levels, betas, idio_vols)
    )
    frac = np.clip(np.atleast_1d(np.asarray(fractions, dtype=np.float64)), 0.0, 1.0)
    m = market_factor(seed)
    x = _idiosyncratic(keys, idio_vols, day.index)
    log_prev = np.log(levels) + betas * m[day.index - 1] + x[:, 0]
    log_close = np.log(levels) + betas * m[day.index] + x[:, 1]
    minutes = day.minutes
    daily_vol = np.sqrt((betas * MARKET_VOL) ** 2 + idio_vols**2) / np.sqrt(SESSIONS_PER_YEAR)
    steps = normals(keys[:, None], 2, day.index, np.arange(minutes)[None, :])
    walk = np.cumsum(steps, axis=1) * (BRIDGE_SHARE * daily_vol / np.sqrt(minutes))[:, None]
    walk = np.concatenate([np.zeros((keys.size, 1)), walk], axis=1)
    bridge = walk - np.arange(minutes + 1)[None, :] / minutes * walk[:, -1:]
    pos = frac * minutes
    lo = np.minimum(np.floor(pos).astype(np.int64), minutes - 1)
    w = (pos - lo)[None, :]
    offset = bridge[:, lo] * (1.0 - w) + bridge[:, lo + 1] * w
    log_spot = (
        log_prev[:, None] * (1.0 - frac)[None, :] + log_close[:, None] * frac[None, :] + offset
    )
    return Path(np.exp(log_prev), np.exp(log_close), np.exp(log_spot))
