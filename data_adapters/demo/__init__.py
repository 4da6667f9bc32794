"""``demo``: a deterministic synthetic option market, the embedded default source.

The package, one concept per module:

``universe``  the named symbols and their parameters (levels, vols, strikes, schedules)
``sessions``  NYSE sessions and the trading day of an instant
``expiries``  expiry calendars and option roots (SPX/SPXW, NDX/NDXP, CME weeklies…)
``walk``      deterministic price paths (market factor, idiosyncratic part, intraday bridge)
``noise``     counter-based randomness keyed by what a number is for
``slices``    the (underlying, root, expiration) unit the chain builder vectorizes over
``grids``     strike grids, fine near the money and wider out
``pricing``   the smile, theoretical values and quotes
``chains``    open interest, volume, quotes and ids: the canonical frame
``named``     snapshots of the named symbols, with their deliberate bad rows
``market``    the market-scale universe (~6,000 underlyings, ~1.5 M contracts)
``prints``    a contract's day volume cut into timed prints (shared by volume and tape)
``trades``    the intraday tape with the NBBO at each trade (it sums to the volume)
``source``    :class:`DemoSource` and ``create(settings)``
"""

from __future__ import annotations

from data_adapters.demo.market import MarketFrame
from data_adapters.demo.source import SETTING_KEYS, DemoSource, create

__all__ = ["SETTING_KEYS", "DemoSource", "MarketFrame", "create"]
