"""From validated rows to priced contracts: time, forwards, implied vols and one smile per expiry.

=========================  ================================================================
module                     what it holds
=========================  ================================================================
``engine.pricing.rows``    :func:`price_rows`: the one pricing implementation (any number
                           of underlyings)
``engine.pricing.kernels`` its compiled loops
``engine.pricing.forward`` the put-call parity fit of forward and discount factor
``engine.pricing.smile``   one smile per expiry (OTM, ITM, vendor, interpolation)
``engine.pricing.chain``   :func:`price_chain` of one snapshot
=========================  ================================================================
"""

from __future__ import annotations

from engine.pricing.chain import FORWARD_MODES, PricedChain, price_chain, price_validated

__all__ = ["FORWARD_MODES", "PricedChain", "price_chain", "price_validated"]
