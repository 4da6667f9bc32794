"""Black-Scholes-Merton and Black-76 greeks for arrays of contracts.

``bsm(spot, strike, t, rate, div_yield, vol, is_call)`` prices with carry ``b = rate -
div_yield``; ``black76(forward, strike, t, rate, vol, is_call)`` prices on a future or forward
(``b = 0``). Arguments are numpy arrays or scalars, broadcast against each other; ``t`` in
years, rates and vol as decimals. Both return :class:`Greeks`, a named tuple of float64
arrays of the broadcast shape in raw analytic units (docs/conventions.md):

=========  ==========================================================
price      premium per unit of underlying
delta      dV/dS
gamma      d²V/dS² (per unit of underlying)
vega       dV/dσ per 1.00 of vol (divide by 100 for per vol point)
vanna      dDelta/dσ per 1.00 of vol
charm      dDelta/dt, calendar time running forward, per year
theta      dV/dt, calendar time running forward, per year
=========  ==========================================================

``price`` is the textbook difference ``φ(S·e^{(b−r)T}·N(φd1) − K·e^{−rT}·N(φd2))``: far out of
the money it loses digits to cancellation (2.4e-10 relative on a 2.6e-55 premium); where a
premium must be exact in the wings use :func:`engine.iv.black_price`, which evaluates the
normalised Black function without cancellation. The greeks have no such loss.

Contracts with invalid inputs (S, K, t or vol not strictly positive, or not finite) get NaN
in every field. ``dealer_greeks`` computes only delta, gamma, vanna and charm (what the
exposures need) about a third faster.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from engine._jit import use_twins
from engine.greeks.kernels import all_greeks_kernel, dealer_greeks_kernel
from engine.greeks.twins import all_greeks_twin, dealer_greeks_twin
from engine.typing import FloatArray

__all__ = ["DealerGreeks", "Greeks", "black76", "bsm", "dealer_greeks"]


class Greeks(NamedTuple):
    """Price and six greeks per contract (raw units, see the module docstring)."""

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    vanna: FloatArray
    charm: FloatArray
    theta: FloatArray


class DealerGreeks(NamedTuple):
    """The four greeks dealer exposures are built from."""

    delta: FloatArray
    gamma: FloatArray
    vanna: FloatArray
    charm: FloatArray


def _prepare(
    s: npt.ArrayLike,
    k: npt.ArrayLike,
    t: npt.ArrayLike,
    r: npt.ArrayLike,
    b: npt.ArrayLike | None,
    q: npt.ArrayLike | None,
    v: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> tuple[tuple[int, ...], tuple[FloatArray, ...], npt.NDArray[np.bool_]]:
    floats = [np.asarray(a, dtype=np.float64) for a in (s, k, t, r, v)]
    calls = np.asarray(is_call, dtype=np.bool_)
    carry = None
    if q is not None:
        carry = np.asarray(r, dtype=np.float64) - np.asarray(q, dtype=np.float64)
    elif b is not None:
        carry = np.asarray(b, dtype=np.float64)
    assert carry is not None
    shape = np.broadcast_shapes(*(a.shape for a in floats), carry.shape, calls.shape)
    S, K, T, R, V = (np.ascontiguousarray(np.broadcast_to(a, shape)).ravel() for a in floats)
    B = np.ascontiguousarray(np.broadcast_to(carry, shape)).ravel()
    C = np.ascontiguousarray(np.broadcast_to(calls, shape)).ravel()
    return shape, (S, K, T, R, B, V), C


def _run_all(
    shape: tuple[int, ...], arrays: tuple[FloatArray, ...], calls: npt.NDArray[np.bool_]
) -> Greeks:
    S, K, T, R, B, V = arrays
    out = np.empty((7, S.shape[0]))
    if out.shape[1]:
        (all_greeks_twin if use_twins() else all_greeks_kernel)(S, K, T, R, B, V, calls, out)
    return Greeks(*(row.reshape(shape) for row in out))


def bsm(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    rate: npt.ArrayLike,
    div_yield: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> Greeks:
    """Generalized Black-Scholes-Merton greeks with carry ``b = rate - div_yield``."""
    shape, arrays, calls = _prepare(spot, strike, t, rate, None, div_yield, vol, is_call)
    return _run_all(shape, arrays, calls)


def black76(
    forward: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    rate: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> Greeks:
    """Black-76 greeks of an option on a future/forward (carry ``b = 0``, discounting at ``rate``)."""
    shape, arrays, calls = _prepare(forward, strike, t, rate, 0.0, None, vol, is_call)
    return _run_all(shape, arrays, calls)


def dealer_greeks(
    underlying: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    rate: npt.ArrayLike,
    carry: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> DealerGreeks:
    """Delta, gamma, vanna and charm with an explicit carry (``rate - q`` for BSM, 0 for Black-76)."""
    shape, arrays, calls = _prepare(underlying, strike, t, rate, carry, None, vol, is_call)
    S, K, T, R, B, V = arrays
    out = np.empty((4, S.shape[0]))
    if out.shape[1]:
        (dealer_greeks_twin if use_twins() else dealer_greeks_kernel)(S, K, T, R, B, V, calls, out)
    return DealerGreeks(*(row.reshape(shape) for row in out))
