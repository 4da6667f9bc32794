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
premium must be exact in the wings use :func:`engine.iv.solve.black_price`, which evaluates the
normalised Black function without cancellation. The greeks have no such loss.

Contracts with invalid inputs (S, K, t or vol not strictly positive, or not finite) get NaN
in every field. ``dealer_greeks`` computes what the dealer exposures need — delta, gamma,
vanna, charm and the second-order ``speed`` (dGamma/dS) and ``vomma`` (dVega/dσ) — faster
than the seven outputs of ``bsm``.

Preallocated outputs (``out=``)
-------------------------------
Every function takes an optional keyword ``out`` and then writes into it instead of
allocating; the returned named tuple holds views of ``out``. With ``shape`` the broadcast
shape of the arguments and ``m`` the number of fields (7 for ``bsm``/``black76``, 6 for
``dealer_greeks``), ``out`` is either

- one C-contiguous float64 array of shape ``(m, *shape)``, ``out[j]`` receiving field ``j``
  in the order above (``price, delta, gamma, vega, vanna, charm, theta``; ``delta, gamma,
  vanna, charm, speed, vomma``), or
- a sequence of ``m`` C-contiguous float64 arrays of shape ``shape`` in that order — for
  instance the :class:`Greeks` of an earlier call of the same size.

``out`` must not overlap the arguments (``ValueError`` otherwise). Reusing outputs matters
for large batches: a fresh 56 MB result for 1e6 contracts costs its page faults (the kernel
zeroing new pages), 5–25 ns per contract depending on transparent huge pages, as much as
computing the greeks.

Arguments are not copied when they already are C-contiguous float64 arrays of the broadcast
shape (bool for ``is_call``); scalars and other shapes are broadcast into one new array each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

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
    """The greeks dealer exposures are built from (:mod:`engine.exposure.metrics`): delta,
    gamma, vanna, charm as in :class:`Greeks`; ``speed`` dGamma/dS (per unit of underlying
    squared); ``vomma`` dVega/dσ (per 1.00 of vol, squared)."""

    delta: FloatArray
    gamma: FloatArray
    vanna: FloatArray
    charm: FloatArray
    speed: FloatArray
    vomma: FloatArray


Out = npt.NDArray[np.float64] | Sequence[npt.NDArray[np.float64]]


def _flat(a: npt.NDArray[Any], shape: tuple[int, ...], n: int) -> npt.NDArray[Any]:
    """``a`` broadcast to ``shape`` as a read-only 1-D C-contiguous array of length ``n``.

    A view when ``a`` already has that shape and is C-contiguous, else one copy. Always
    read-only, so every call reaches the kernel with one and the same Numba signature (a
    writable and a read-only array are different Numba types: mixing them would compile a
    specialization per combination).
    """
    if a.shape == shape and a.flags.c_contiguous:
        flat = a.reshape(n)  # a view: no copy
    elif a.size == 1:
        flat = np.full(n, a.reshape(1)[0], dtype=a.dtype)
    else:
        flat = np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(n)
    if flat.flags.writeable:
        flat = flat.view()
        flat.flags.writeable = False
    return flat


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
    S, K, T, R, V = (np.asarray(a, dtype=np.float64) for a in (s, k, t, r, v))
    calls = np.asarray(is_call, dtype=np.bool_)
    if q is not None:
        carry = R - np.asarray(q, dtype=np.float64)
    else:
        assert b is not None
        carry = np.asarray(b, dtype=np.float64)
    arrays = (S, K, T, R, carry, V)
    shape = np.broadcast_shapes(*(a.shape for a in arrays), calls.shape)
    n = math.prod(shape)
    S_, K_, T_, R_, B_, V_ = (_flat(a, shape, n) for a in arrays)
    return shape, (S_, K_, T_, R_, B_, V_), _flat(calls, shape, n)


def _outputs(
    out: Out | None,
    m: int,
    shape: tuple[int, ...],
    inputs: tuple[npt.NDArray[Any], ...],
) -> tuple[list[FloatArray], tuple[FloatArray, ...]]:
    """(the arrays to return, their 1-D views for the kernel) for ``m`` output fields."""
    n = math.prod(shape)
    if out is None:
        block = np.empty((m, n))
        return [row.reshape(shape) for row in block], tuple(block)
    if isinstance(out, np.ndarray):
        if out.shape != (m, *shape):
            raise ValueError(f"out has shape {out.shape}, expected {(m, *shape)}")
        if out.dtype != np.float64 or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError("out must be a writable C-contiguous float64 array")
        block = out.reshape(m, n)  # a view: out is C-contiguous
        rows = [row.reshape(shape) for row in block]
    else:
        rows = list(out)
        if len(rows) != m:
            raise ValueError(f"out has {len(rows)} arrays, expected {m}")
        for row in rows:
            if not isinstance(row, np.ndarray) or row.shape != shape:
                raise ValueError(f"every array of out must be a numpy array of shape {shape}")
            if row.dtype != np.float64 or not row.flags.c_contiguous or not row.flags.writeable:
                raise ValueError("every array of out must be writable C-contiguous float64")
    if n:
        for j, row in enumerate(rows):
            if any(np.may_share_memory(row, other) for other in rows[j + 1 :]):
                raise ValueError("the arrays of out overlap each other")
            if any(np.may_share_memory(row, a) for a in inputs):
                raise ValueError("out overlaps an argument")
    return rows, tuple(row.reshape(n) for row in rows)


def _run_all(
    shape: tuple[int, ...],
    arrays: tuple[FloatArray, ...],
    calls: npt.NDArray[np.bool_],
    out: Out | None,
) -> Greeks:
    S, K, T, R, B, V = arrays
    rows, flat = _outputs(out, 7, shape, (S, K, T, R, B, V, calls))
    if calls.shape[0]:
        (all_greeks_twin if use_twins() else all_greeks_kernel)(S, K, T, R, B, V, calls, flat)
    return Greeks(*rows)


def bsm(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    rate: npt.ArrayLike,
    div_yield: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
    *,
    out: Out | None = None,
) -> Greeks:
    """Generalized Black-Scholes-Merton greeks with carry ``b = rate - div_yield``.

    ``out``: optional preallocated outputs, (7, *shape) or seven arrays (module docstring).
    """
    shape, arrays, calls = _prepare(spot, strike, t, rate, None, div_yield, vol, is_call)
    return _run_all(shape, arrays, calls, out)


def black76(
    forward: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    rate: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
    *,
    out: Out | None = None,
) -> Greeks:
    """Black-76 greeks of an option on a future/forward (carry ``b = 0``, discounting at ``rate``).

    ``out``: optional preallocated outputs, (7, *shape) or seven arrays (module docstring).
    """
    shape, arrays, calls = _prepare(forward, strike, t, rate, 0.0, None, vol, is_call)
    return _run_all(shape, arrays, calls, out)


def dealer_greeks(
    underlying: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    rate: npt.ArrayLike,
    carry: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
    *,
    out: Out | None = None,
) -> DealerGreeks:
    """Delta, gamma, vanna, charm, speed and vomma with an explicit carry (``rate - q`` for
    BSM, 0 for Black-76).

    ``out``: optional preallocated outputs, (6, *shape) or six arrays (module docstring).
    """
    shape, arrays, calls = _prepare(underlying, strike, t, rate, carry, None, vol, is_call)
    S, K, T, R, B, V = arrays
    rows, flat = _outputs(out, 6, shape, (S, K, T, R, B, V, calls))
    if calls.shape[0]:
        (dealer_greeks_twin if use_twins() else dealer_greeks_kernel)(S, K, T, R, B, V, calls, flat)
    return DealerGreeks(*rows)
