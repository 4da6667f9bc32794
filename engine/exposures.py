"""Dealer exposures per contract (DESIGN §5).

With ``OI`` the open interest, ``m`` the multiplier and ``S`` the contract's underlying price:

====  =====================================  ===========================================
GEX   ``s_g · gamma · OI · m · S² · 0.01``   USD of dealer delta change per 1 % move
DEX   ``s_o · delta · OI · m · S``           USD of delta held in open interest
VEX   ``s_o · vanna · OI · m · S · 0.01``    USD of delta change per +1 vol point
CHEX  ``s_o · charm · OI · m · S / 365``     USD of delta change per calendar day
====  =====================================  ===========================================

Dealer models (the signs ``s_g`` for GEX and ``s_o`` for the others):

``street`` (default)
    The market convention (SqueezeMetrics, Perfiliev, the mirrored vendor API): dealers are
    long the calls and short the puts customers trade, so ``s_g = +1`` for calls and ``-1``
    for puts; DEX, VEX and CHEX keep the greek's own sign (``s_o = +1``).
``short_all``
    Dealers are short every open contract: every exposure takes ``-1``.
``flow``
    Signed dealer inventory per contract (contracts, + = dealers long) from the intraday OI
    simulator replaces ``s · OI``: pass it as ``dealer_position``; every exposure takes
    the inventory's sign.
"""

from __future__ import annotations

from typing import Final, NamedTuple, get_args

import numpy as np
import numpy.typing as npt

from engine.errors import ConfigurationError
from engine.typing import DealerModel, FloatArray

__all__ = ["DEALER_MODELS", "Exposures", "contract_exposures", "dealer_signs"]

DEALER_MODELS: Final = get_args(DealerModel)
PCT: Final = 0.01
DAYS_PER_YEAR: Final = 365.0


class Exposures(NamedTuple):
    """Per-contract dealer exposures in USD (units in the module docstring)."""

    gex: FloatArray
    dex: FloatArray
    vex: FloatArray
    chex: FloatArray


def dealer_signs(
    model: str, is_call: npt.NDArray[np.bool_], dealer_position: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Position weights ``(w_gex, w_other)`` per contract, in contracts.

    ``street`` and ``short_all`` return ``±1`` (multiplied by open interest later); ``flow``
    returns the signed dealer inventory for both.
    """
    if model not in DEALER_MODELS:
        raise ConfigurationError(f"unknown dealer model {model!r}; choose one of {DEALER_MODELS}")
    calls = np.asarray(is_call, dtype=np.bool_)
    if model == "street":
        return np.where(calls, 1.0, -1.0), np.ones(calls.shape)
    if model == "short_all":
        minus = -np.ones(calls.shape)
        return minus, minus
    if dealer_position is None:
        raise ConfigurationError(
            "dealer model 'flow' needs the signed dealer inventory per contract"
        )
    pos = np.asarray(dealer_position, dtype=np.float64)
    return pos, pos


def contract_exposures(
    *,
    delta: FloatArray,
    gamma: FloatArray,
    vanna: FloatArray,
    charm: FloatArray,
    open_interest: npt.ArrayLike,
    multiplier: FloatArray,
    underlying_price: FloatArray,
    is_call: npt.NDArray[np.bool_],
    dealer_model: str = "street",
    dealer_position: FloatArray | None = None,
) -> Exposures:
    """GEX, DEX, VEX and CHEX per contract under a dealer model (see the module docstring).

    Under ``flow`` the inventory replaces open interest (``open_interest`` is then unused).
    """
    w_gex, w_other = dealer_signs(dealer_model, is_call, dealer_position)
    if dealer_model != "flow":
        oi = np.asarray(open_interest, dtype=np.float64)
        w_gex = w_gex * oi
        w_other = w_other * oi
    notional = multiplier * underlying_price  # USD per 1.00 of the greek per contract
    gex = w_gex * gamma * notional * underlying_price * PCT
    dex = w_other * delta * notional
    vex = w_other * vanna * notional * PCT
    chex = w_other * charm * notional / DAYS_PER_YEAR
    return Exposures(gex, dex, vex, chex)
