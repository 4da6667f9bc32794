"""Chain snapshots of the demo's named symbols (SPX, SPY, …, ES=F, NQ=F).

A snapshot at ``as_of`` lists every expiry of the symbol's schedule (``expiries``) from the
trading day of ``as_of`` whose settlement instant (``engine.settlement``) is after ``as_of``,
priced off the symbol's path (``walk``) at ``as_of`` and the vol regime of the day.

Futures: options on ``ES=F``/``NQ=F`` are Black-76 on the quarterly future they exercise
into, whose price is the index times ``e^{(r - q)τ}`` (``q`` the index's dividend yield,
``τ`` to the future's expiry); the header's ``spot`` is the front quarterly future and its
``div_yield`` 0. Their strike grid and open-interest centre (``reference``) take the carry at
the session's open, so a contract's listing, open interest and volume for the day do not
move within the day.

``volume`` is the day's tape (its counted prints) up to ``as_of`` (``chains``, ``prints``,
``trades``).

Bad rows besides those of ``chains`` (both documented, both quarantined by the validator):
two ``expired`` rows (the at-the-money call and put of the symbol's most recent expiry that
has already settled, quoted as they last were), and one ``duplicate_contract`` (a copy of
one row appended at the end).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from data_adapters.demo import walk
from data_adapters.demo.chains import BadRows, build
from data_adapters.demo.expiries import KINDS, Expiry, future_expiry_for, listed
from data_adapters.demo.noise import key, uniforms
from data_adapters.demo.pricing import TICK_SCHEMES
from data_adapters.demo.sessions import TradingDay, to_us, trading_day
from data_adapters.demo.slices import Slices, years
from data_adapters.demo.universe import STANDARD, Underlying
from engine.chain import ChainSnapshot
from engine.settlement import settlement_instant

__all__ = ["SOURCE", "index_level", "slices_for", "snapshot"]

SOURCE = "demo"
_PROBE_DAYS = 10


def index_level(
    spec: Underlying, seed: int, day: TradingDay, fractions: np.ndarray
) -> tuple[float, np.ndarray]:
    """(previous close, prices at ``fractions`` of the session) of the symbol's own price
    (for futures: of their index)."""
    driver = STANDARD[spec.driver]
    ratio = 1.0 if driver is spec or spec.is_future else spec.level
    p = walk.path(
        seed,
        np.array([key("demo.path", seed, driver.symbol)], dtype=np.uint64),
        np.array([driver.level]),
        np.array([driver.beta]),
        np.array([driver.idio_vol]),
        day,
        fractions,
    )
    return float(p.prev_close[0]) * ratio, p.spots[0] * ratio


def _settle_us(spec: Underlying, e: Expiry) -> int:
    return to_us(settlement_instant(e.root, e.expiration, spec.model))


def _futures_carry(
    spec: Underlying, expiries: list[Expiry], as_of_us: int, rate: float
) -> np.ndarray:
    """``e^{(r - q)τ}`` per expiry (1 for non-futures): index level -> futures price."""
    if not spec.is_future:
        return np.ones(len(expiries))
    q = STANDARD[spec.driver].div_yield
    root = "ES" if spec.family == "es" else "NQ"
    taus = [
        max(
            0.0,
            (to_us(settlement_instant(root, future_expiry_for(e.expiration), "black76")) - as_of_us)
            / 1e6,
        )
        / (365 * 86400)
        for e in expiries
    ]
    return np.exp((rate - q) * np.array(taus))


def slices_for(
    spec: Underlying, seed: int, expiries: list[Expiry], as_of_us: int, day: TradingDay, rate: float
) -> tuple[Slices, float, float]:
    """(slices of ``expiries``, the symbol's price at ``as_of``, its previous close)."""
    prev, spots = index_level(spec, seed, day, np.array([day.elapsed]))
    spot = float(spots[0])
    carry = _futures_carry(spec, expiries, as_of_us, rate)
    opening_carry = _futures_carry(spec, expiries, day.open_us, rate)
    regime = walk.regime(seed, day.index)
    n = len(expiries)
    ones = np.ones(n)
    slices = Slices(
        owner=np.zeros(n, dtype=np.int64),
        key=np.array(
            [
                key("demo.slice", seed, spec.symbol, e.root, e.expiration.toordinal())
                for e in expiries
            ],
            dtype=np.uint64,
        ),
        root=np.array([e.root for e in expiries], dtype=np.str_),
        style=np.array([e.style for e in expiries], dtype=np.str_),
        model=np.array([spec.model] * n, dtype=np.str_),
        osi=np.full(n, not spec.is_future),
        expiration=np.array([e.expiration for e in expiries], dtype="datetime64[D]"),
        settlement_us=np.array([_settle_us(spec, e) for e in expiries], dtype=np.int64),
        kind=np.array([KINDS.index(e.kind) for e in expiries], dtype=np.int8),
        multiplier=ones * spec.multiplier,
        underlying=spot * carry,
        reference=prev * opening_carry,
        q=ones * (rate if spec.is_future else spec.div_yield),
        atm_short=ones * spec.atm_vol * regime**1.3,
        atm_long=ones * spec.atm_vol * 1.08 * regime**0.35,
        wing=ones * spec.wing,
        skew=ones * spec.skew,
        grid_vol=ones * spec.atm_vol,
        steps_milli=np.tile(np.round(np.array(spec.steps) * 1000).astype(np.int64), (n, 1)),
        round_milli=np.full(n, round(spec.round_strike * 1000), dtype=np.int64),
        width=ones,
        oi_scale=ones * spec.oi_scale,
        scheme=np.full(n, TICK_SCHEMES.index(spec.tick), dtype=np.int8),
    )
    return slices, spot, prev


def _front_future(
    spec: Underlying, spot: float, as_of_us: int, rate: float, start: datetime
) -> float:
    root = "ES" if spec.family == "es" else "NQ"
    day = start.date()
    while True:
        expiry = future_expiry_for(day)
        settle = to_us(settlement_instant(root, expiry, "black76"))
        if settle > as_of_us:
            tau = years(np.array([settle]), as_of_us)[0]
            return spot * float(np.exp((rate - STANDARD[spec.driver].div_yield) * tau))
        day = expiry + timedelta(days=1)


def _expired_rows(
    spec: Underlying, seed: int, as_of_us: int, day: TradingDay, rate: float
) -> pl.DataFrame | None:
    probe = [
        e
        for e in listed(spec, day.day - timedelta(days=_PROBE_DAYS))
        if _settle_us(spec, e) <= as_of_us
    ]
    if not probe:
        return None
    last = max(probe, key=lambda e: (_settle_us(spec, e), e.root))
    slices, _, _ = slices_for(spec, seed, [last], as_of_us, day, rate)
    frame = build(slices, as_of_us, day, rate, BadRows(crossed=0.0, missing_iv=0.0))
    distance = (pl.col("strike") - pl.col("underlying_price")).abs()
    atm = (
        frame.with_columns(distance.alias("_d"))
        .sort("_d", "is_call")
        .unique("is_call", keep="first", maintain_order=True)
    )
    return atm.drop("_d").sort("is_call", descending=True)


def snapshot(spec: Underlying, seed: int, as_of: datetime, rate: float) -> ChainSnapshot:
    """The demo chain of a named symbol at ``as_of`` (tz-aware). ValueError outside the
    calendar range the demo serves."""
    day = trading_day(as_of)
    as_of_us = to_us(as_of)
    expiries = [e for e in listed(spec, day.day) if _settle_us(spec, e) > as_of_us]
    slices, spot, _ = slices_for(spec, seed, expiries, as_of_us, day, rate)
    frame = build(slices, as_of_us, day, rate)
    expired = _expired_rows(spec, seed, as_of_us, day, rate)
    pick = int(
        uniforms(key("demo.duplicate", seed, spec.symbol, day.day.toordinal()))[0] * frame.height
    )
    parts = [frame] + ([expired] if expired is not None else []) + [frame.slice(pick, 1)]
    header_spot = _front_future(spec, spot, as_of_us, rate, as_of) if spec.is_future else spot
    return ChainSnapshot(
        underlying=spec.symbol,
        as_of=as_of,
        spot=float(header_spot),
        source=SOURCE,
        frame=pl.concat(parts, how="vertical"),
        rate=float(rate),
        div_yield=0.0 if spec.is_future else spec.div_yield,
    )
