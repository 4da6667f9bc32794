"""Dealer exposures per contract: every number is the dealer's own (``docs/conventions.md``).

Per contract the dealer position is ``p = s · OI`` contracts, with ``s`` from the dealer
model; with ``m`` the multiplier and ``S`` the contract's underlying price:

====  =====================================  ===========================================
GEX   ``p · gamma · m · S² · 0.01``          USD of dealer delta change per 1 % move
DEX   ``p · delta · m · S``                  USD of delta the dealers hold through options
VEX   ``p · vanna · m · S · 0.01``           USD of dealer delta change per +1 vol point
CHEX  ``p · charm · m · S / 365``            USD of dealer delta change per calendar day
====  =====================================  ===========================================

Dealer models (one sign ``s`` per contract, the same for all four exposures):

``street`` (default)
    The market convention (SqueezeMetrics, Perfiliev, the mirrored vendor API): dealers are
    long the calls and short the puts customers trade: ``s = +1`` for calls, ``-1`` for puts.
``short_all``
    Dealers are short every open contract: ``s = -1``. Row by row,
    ``short_all.call_x = -street.call_x`` and ``short_all.put_x = street.put_x``.
``flow``
    Signed dealer inventory per contract (contracts, + = dealers long) from the intraday OI
    simulator replaces ``s · OI``: pass it as ``dealer_position``.

Dealers hedge against their option delta: hedge flow = −(change of dealer delta). Positive
VEX: IV up → dealers sell; positive CHEX: a day passes → dealers sell; positive GEX: spot up
→ dealers sell (:func:`engine.analysis.narrative.hedge_flows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, get_args

import numpy as np
import numpy.typing as npt

from engine.errors import ConfigurationError
from engine.exposure.metrics import METRICS, Exposures
from engine.greeks import DealerGreeks
from engine.typing import DealerModel, FloatArray

__all__ = ["DEALER_MODELS", "contract_exposures", "dealer_positions"]

DEALER_MODELS: Final = get_args(DealerModel)
PCT: Final = 0.01
DAYS_PER_YEAR: Final = 365.0


def dealer_positions(
    model: str,
    is_call: npt.NDArray[np.bool_],
    open_interest: npt.ArrayLike | None = None,
    dealer_position: FloatArray | None = None,
) -> FloatArray:
    """The dealer position ``p`` per contract, in contracts (``s · OI``; the inventory under
    ``flow``). Without ``open_interest`` the signs ``s`` alone (``±1``)."""
    if model not in DEALER_MODELS:
        raise ConfigurationError(f"unknown dealer model {model!r}; choose one of {DEALER_MODELS}")
    calls = np.asarray(is_call, dtype=np.bool_)
    if model == "flow":
        if dealer_position is None:
            raise ConfigurationError(
                "dealer model 'flow' needs the signed dealer inventory per contract"
            )
        return np.asarray(dealer_position, dtype=np.float64)
    sign = np.where(calls, 1.0, -1.0) if model == "street" else -np.ones(calls.shape)
    if open_interest is None:
        return sign
    return sign * np.asarray(open_interest, dtype=np.float64)


def contract_exposures(
    greeks: Mapping[str, FloatArray] | DealerGreeks,
    *,
    open_interest: npt.ArrayLike,
    multiplier: FloatArray,
    underlying_price: FloatArray,
    is_call: npt.NDArray[np.bool_],
    dealer_model: str = "street",
    dealer_position: FloatArray | None = None,
) -> Exposures:
    """Every metric of :data:`engine.exposure.metrics.METRICS` per contract under a dealer
    model: ``p · greek · m · S^power · scale`` (see the module docstring).

    ``greeks``: the :class:`engine.greeks.DealerGreeks` of the contracts (or any mapping
    from greek name to array). Under ``flow`` the inventory replaces open interest
    (``open_interest`` is then unused).
    """
    named = greeks._asdict() if isinstance(greeks, DealerGreeks) else greeks
    p = dealer_positions(dealer_model, is_call, open_interest, dealer_position)
    units = p * multiplier  # underlying units the dealers hold per 1.00 of the greek
    notional = units * underlying_price  # USD per 1.00 of the greek
    out: dict[str, FloatArray] = {}
    for metric in METRICS:
        value = named[metric.greek] * (units if metric.power == 0 else notional)
        for _ in range(metric.power - 1):
            value = value * underlying_price
        out[metric.name] = value * metric.scale / metric.divisor
    return Exposures(out)
