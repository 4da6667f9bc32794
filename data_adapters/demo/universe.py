"""The demo's named symbols and the parameters that shape their synthetic markets.

Levels, vols, skews, dividend yields, strike increments and listing schedules are chosen to
look like the real products around 2025 (SPX near 6,000, NDX near 21,000, SPY ≈ SPX/10).
Every price is in the underlying's own units (index points or dollars); vols and yields are
continuous annual decimals.

Price paths (see :mod:`data_adapters.demo.walk`): a symbol whose ``driver`` is itself has its
own path ``level · exp(beta · M + X)`` (``M`` the market factor, ``X`` its idiosyncratic
part); a symbol driven by another is ``level × the driver's price`` (SPY follows SPX with
``level`` 0.0998). Futures (``ES=F``, ``NQ=F``) follow their index and add the carry to the
quarterly future their options exercise into.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = ["STANDARD", "Schedule", "Underlying", "get"]

Family = Literal["equity", "spx", "ndx", "es", "nq"]
TickScheme = Literal["index", "penny", "cme"]


@dataclass(frozen=True, slots=True)
class Schedule:
    """Which expiries are listed (counted from the trading day, see ``expiries``).

    ``dailies``: number of upcoming sessions with a daily expiry, restricted to the weekdays
    in ``daily_weekdays`` (0 = Monday). ``weeklies``: upcoming Friday expiries. ``monthlies``:
    upcoming third-Friday expiries. ``quarterlies``: quarter-end expiries (the last session of
    March/June/September/December; for CME families the quarterly third Friday).
    ``eoms``: end-of-month expiries. ``leaps``: that many third Fridays of ``leaps_months``
    beyond the last monthly (or the start, without monthlies).
    """

    dailies: int = 0
    daily_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    weeklies: int = 0
    monthlies: int = 0
    quarterlies: int = 0
    eoms: int = 0
    leaps: int = 0
    leaps_months: tuple[int, ...] = (1,)


@dataclass(frozen=True, slots=True)
class Underlying:
    """One named symbol of the demo market.

    ``steps`` are the strike increments (near, mid, far from the money), each a multiple of
    the previous one; ``round_strike`` is the increment whose multiples draw extra open
    interest; ``oi_scale`` the open interest of a typical near-the-money monthly strike;
    ``wing`` and ``skew`` shape the smile (see ``pricing``).
    """

    symbol: str
    family: Family
    driver: str
    level: float
    beta: float
    idio_vol: float
    atm_vol: float
    wing: float
    skew: float
    div_yield: float
    steps: tuple[float, float, float]
    round_strike: float
    tick: TickScheme
    oi_scale: float
    schedule: Schedule
    multiplier: float = 100.0
    model: Literal["bsm", "black76"] = "bsm"

    @property
    def is_future(self) -> bool:
        return self.model == "black76"


_INDEX_DAILY = Schedule(
    dailies=10, weeklies=8, monthlies=12, quarterlies=8, leaps=4, leaps_months=(12,)
)
_ETF_DAILY = Schedule(
    dailies=10, weeklies=8, monthlies=12, quarterlies=6, leaps=3, leaps_months=(1, 12)
)
_MWF = Schedule(
    dailies=8,
    daily_weekdays=(0, 2, 4),
    weeklies=6,
    monthlies=9,
    quarterlies=4,
    leaps=3,
    leaps_months=(1, 12),
)
_SINGLE = Schedule(weeklies=6, monthlies=8, leaps=3, leaps_months=(1, 6))
_CME = Schedule(dailies=10, weeklies=6, quarterlies=5, eoms=4)


_u = Underlying
_EQ: Final = {"family": "equity", "tick": "penny", "schedule": _SINGLE}

_SPECS: Final = (
    _u("SPX", "spx", "SPX", 6000.0, beta=1.0, idio_vol=0.0, atm_vol=0.15, wing=0.08,
       skew=0.13, div_yield=0.013, steps=(5.0, 25.0, 100.0), round_strike=100.0,
       tick="index", oi_scale=1500.0, schedule=_INDEX_DAILY),
    _u("SPY", "equity", "SPX", 0.0998, beta=1.0, idio_vol=0.0, atm_vol=0.15, wing=0.08,
       skew=0.12, div_yield=0.013, steps=(1.0, 5.0, 10.0), round_strike=10.0,
       tick="penny", oi_scale=3600.0, schedule=_ETF_DAILY),
    _u("QQQ", "equity", "NDX", 0.02435, beta=1.0, idio_vol=0.0, atm_vol=0.19, wing=0.08,
       skew=0.10, div_yield=0.006, steps=(1.0, 5.0, 10.0), round_strike=10.0,
       tick="penny", oi_scale=1700.0, schedule=_ETF_DAILY),
    _u("IWM", "equity", "IWM", 225.0, beta=1.1, idio_vol=0.10, atm_vol=0.21, wing=0.08,
       skew=0.08, div_yield=0.012, steps=(1.0, 5.0, 10.0), round_strike=10.0,
       tick="penny", oi_scale=3000.0, schedule=_MWF),
    _u("NDX", "ndx", "NDX", 21000.0, beta=1.15, idio_vol=0.07, atm_vol=0.19, wing=0.08,
       skew=0.11, div_yield=0.007, steps=(25.0, 50.0, 250.0), round_strike=500.0,
       tick="index", oi_scale=100.0, schedule=_MWF),
    _u("AAPL", beta=1.1, idio_vol=0.20, atm_vol=0.25, wing=0.10, skew=0.05,
       div_yield=0.005, steps=(2.5, 5.0, 10.0), round_strike=10.0, oi_scale=4000.0,
       driver="AAPL", level=230.0, **_EQ),
    _u("NVDA", beta=1.6, idio_vol=0.40, atm_vol=0.50, wing=0.10, skew=0.03,
       div_yield=0.0003, steps=(1.0, 5.0, 10.0), round_strike=10.0, oi_scale=8000.0,
       driver="NVDA", level=140.0, **_EQ),
    _u("TSLA", beta=1.8, idio_vol=0.50, atm_vol=0.60, wing=0.10, skew=0.01,
       div_yield=0.0, steps=(2.5, 5.0, 10.0), round_strike=50.0, oi_scale=2200.0,
       driver="TSLA", level=350.0, **_EQ),
    _u("AMZN", beta=1.2, idio_vol=0.25, atm_vol=0.32, wing=0.10, skew=0.04,
       div_yield=0.0, steps=(2.5, 5.0, 10.0), round_strike=10.0, oi_scale=2600.0,
       driver="AMZN", level=220.0, **_EQ),
    _u("META", beta=1.3, idio_vol=0.30, atm_vol=0.35, wing=0.10, skew=0.04,
       div_yield=0.003, steps=(5.0, 10.0, 20.0), round_strike=50.0, oi_scale=1900.0,
       driver="META", level=600.0, **_EQ),
    _u("MSFT", beta=1.0, idio_vol=0.18, atm_vol=0.24, wing=0.10, skew=0.05,
       div_yield=0.008, steps=(2.5, 5.0, 10.0), round_strike=50.0, oi_scale=2700.0,
       driver="MSFT", level=430.0, **_EQ),
    _u("GOOGL", beta=1.1, idio_vol=0.24, atm_vol=0.30, wing=0.10, skew=0.05,
       div_yield=0.005, steps=(2.5, 5.0, 10.0), round_strike=10.0, oi_scale=2500.0,
       driver="GOOGL", level=180.0, **_EQ),
    _u("ES=F", "es", "SPX", 1.0, beta=1.0, idio_vol=0.0, atm_vol=0.15, wing=0.08,
       skew=0.13, div_yield=0.0, steps=(5.0, 25.0, 100.0), round_strike=100.0, tick="cme",
       oi_scale=1300.0, schedule=_CME, multiplier=50.0,
       model="black76"),
    _u("NQ=F", "nq", "NDX", 1.0, beta=1.0, idio_vol=0.0, atm_vol=0.19, wing=0.08,
       skew=0.11, div_yield=0.0, steps=(25.0, 50.0, 250.0), round_strike=500.0, tick="cme",
       oi_scale=230.0, schedule=_CME, multiplier=20.0,
       model="black76"),
)  # fmt: skip

STANDARD: Final = MappingProxyType({spec.symbol: spec for spec in _SPECS})
"""Symbol -> :class:`Underlying`, in listing order."""


def get(symbol: str) -> Underlying | None:
    """The named symbol (case-insensitive), or None."""
    return STANDARD.get(symbol.strip().upper())
