"""Flow views: settled against live analyses -> the JSON of ``/v1/flow/*`` (docs/api.md,
"Flow endpoints"; docs/flow.md, "Endpoints").

"Settled" numbers come from the analysis of the source's snapshot, "live" numbers from the
same analysis on effective open interest (:mod:`api.service.flow`). Units as everywhere:
GEX in USD per 1 % move, DEX in USD, strikes and levels in the underlying's price units,
open interest and volumes in contracts, premium in USD.

The comparison (:func:`shift` and :func:`dealer_risk_block`):

- ``*_adjustment = live − settled``;
- ``*_pct_shift = adjustment / |settled|`` as a **fraction** (0.094 = 9.4 %); 0 when both
  are 0; null when settled is 0 and live is not (or either is null);
- ``flow_direction`` (:func:`flow_direction`), the first that applies: ``no_flow`` (no
  contract's open interest moved), ``regime_flip`` (net GEX changed sign, or is non-zero
  live from a zero settled value), ``neutral`` (|GEX pct shift| < 0.05), ``amplifying``
  (same sign, larger magnitude), ``dampening`` (same sign, smaller magnitude — a live value
  of exactly 0 included);
- ``description``: one sentence with the same numbers (:func:`describe`, money as
  :func:`usd`, the shift as :func:`pct_text`).

Pin risk (:func:`pin_risk_view`), on the live analysis of one expiry: the magnet is the
strike of the largest |net GEX| (ties: nearest spot, then the lower strike); four scores
0–100 — ``oi_score`` the share of the expiry's open interest within ±1 % of the magnet,
``gamma_score`` the same share of |net GEX|, ``proximity_score`` ``100·(1 − |distance|/1 %)``
(0 from 1 % away), ``time_score`` ``100·(1 − hours to the options' close on the expiration
day / 6.5)`` (0 from a full session away, or when that close is unknown) — and
``live_pin_risk`` their mean; every score rounded half up.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any, Final

import numpy as np
import polars as pl

from api.service.flow import FlowBook, FlowResult, OiTotals
from api.views._common import empty_quality, finite, iso_date, iso_utc, tail
from api.views.exposure import gex_view, metric_view
from api.views.zero_dte import no_zero_dte_view, zero_dte_view
from engine.analysis.single import Analysis
from engine.errors import CalendarError
from engine.exposure.metrics import BY_NAME
from engine.flow import DealerPremium
from engine.settlement import option_close

__all__ = [
    "DIRECTIONS",
    "NEUTRAL_BAND",
    "dealer_premium_view",
    "dealer_risk_block",
    "dealer_risk_view",
    "describe",
    "flow_dex_view",
    "flow_direction",
    "flow_gex_view",
    "flow_levels_view",
    "flow_live_view",
    "flow_no_zero_dte_view",
    "flow_oi_view",
    "flow_summary_view",
    "flow_zero_dte_view",
    "pct_text",
    "pin_risk",
    "pin_risk_view",
    "shift",
    "usd",
]

DIRECTIONS: Final = ("no_flow", "regime_flip", "neutral", "amplifying", "dampening")
NEUTRAL_BAND: Final = 0.05
"""|GEX pct shift| below this (a fraction) is ``neutral``."""
PIN_BAND: Final = 0.01
"""Half-width of the band around the magnet (fraction of the strike) of the pin scores."""
SESSION_HOURS: Final = 6.5


# -- the comparison ---------------------------------------------------------------------------


def shift(settled: float | None, live: float | None) -> tuple[float | None, float | None]:
    """``(live − settled, (live − settled) / |settled|)``; the fraction is 0 when both are
    0 and None when settled is 0 and live is not (everything None when either is)."""
    if settled is None or live is None:
        return None, None
    adjustment = finite(live - settled)
    if adjustment is None:
        return None, None
    if settled == 0.0:
        return adjustment, (0.0 if live == 0.0 else None)
    return adjustment, finite(adjustment / abs(settled))


def flow_direction(settled: float | None, live: float | None, moved: bool) -> str:
    """The label of a GEX shift (module docstring); ``moved``: some contract's open interest
    changed. Unknown numbers with some flow read ``neutral``."""
    if not moved:
        return "no_flow"
    if settled is None or live is None:
        return "neutral"
    if live != 0.0 and (settled == 0.0 or (settled > 0.0) != (live > 0.0)):
        return "regime_flip"
    _, pct = shift(settled, live)
    if pct is not None and abs(pct) < NEUTRAL_BAND:
        return "neutral"
    return "amplifying" if abs(live) > abs(settled) else "dampening"


def usd(value: float) -> str:
    """``$1.23B``, ``-$456.70M``, ``$12.00K``, ``$950`` (two decimals above a thousand)."""
    sign = "-" if value < 0 else ""
    size = abs(value)
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if size >= scale:
            return f"{sign}${size / scale:,.2f}{unit}"
    return f"{sign}${size:,.0f}"


def pct_text(fraction: float) -> str:
    """``+9.4%`` for 0.094."""
    return f"{fraction * 100:+.1f}%"


def _change(adjustment: float, pct: float | None) -> str:
    sign = "+" if adjustment >= 0 else ""
    moved = f"{sign}{usd(adjustment)}"
    if pct is None:
        return f"{moved}; no percentage: the settled net GEX is 0"
    return f"{moved}, {pct_text(pct)}"


def describe(direction: str, settled: float | None, live: float | None) -> str:
    """One sentence for a GEX shift, with the numbers of the view."""
    if direction == "no_flow":
        if settled is None:
            return "No contract's open interest has moved on today's tape."
        return (
            "No contract's open interest has moved on today's tape: live net GEX equals the "
            f"settled {usd(settled)} per 1% move."
        )
    adjustment, pct = shift(settled, live)
    if settled is None or live is None or adjustment is None:
        return "Today's flow moved open interest, but net GEX cannot be computed to compare."
    numbers = f"from {usd(settled)} settled to {usd(live)} live per 1% move"
    change = _change(adjustment, pct)
    if direction == "regime_flip":
        return f"Today's flow flips dealer gamma: net GEX goes {numbers} ({change})."
    if direction == "neutral":
        return (
            f"Today's flow barely moves dealer gamma: net GEX goes {numbers} ({change}), "
            f"within ±{NEUTRAL_BAND:.0%}."
        )
    verb = "amplifies" if direction == "amplifying" else "dampens"
    grows = "grows" if direction == "amplifying" else "shrinks"
    return f"Today's flow {verb} dealer gamma: net GEX {grows} {numbers} ({change})."


def dealer_risk_block(settled: Analysis, live: Analysis, totals: OiTotals) -> dict[str, Any]:
    """Settled against live net GEX and DEX, the adjustment, the shift, the label and the
    sentence (``FlowAdjustedDealerRisk``)."""
    gex_settled = finite(settled.exposures["net_gex"])
    gex_live = finite(live.exposures["net_gex"])
    dex_settled = finite(settled.exposures["net_dex"])
    dex_live = finite(live.exposures["net_dex"])
    gex_adjustment, gex_pct = shift(gex_settled, gex_live)
    dex_adjustment, dex_pct = shift(dex_settled, dex_live)
    direction = flow_direction(gex_settled, gex_live, totals.contracts_with_flow > 0)
    return {
        "settled_net_gex": gex_settled,
        "live_net_gex": gex_live,
        "flow_gex_adjustment": gex_adjustment,
        "flow_gex_pct_shift": gex_pct,
        "settled_net_dex": dex_settled,
        "live_net_dex": dex_live,
        "flow_dex_adjustment": dex_adjustment,
        "flow_dex_pct_shift": dex_pct,
        "total_abs_delta_contracts": totals.total_abs_delta_contracts,
        "flow_direction": direction,
        "description": describe(direction, gex_settled, gex_live),
    }


# -- heads ------------------------------------------------------------------------------------


def _head(r: FlowResult, a: Analysis) -> dict[str, Any]:
    """``symbol, as_of, underlying_price, expiry`` and **extra** ``dealer_model``,
    ``oi_rule``, ``oi_confidence``."""
    return {
        "symbol": a.symbol,
        "as_of": iso_utc(r.as_of),
        "underlying_price": finite(a.underlying_price),
        "expiry": iso_date(r.expiry),
        "dealer_model": r.dealer_model,
        "oi_rule": r.book.rule,
        "oi_confidence": r.book.confidence,
    }


def _oi_summary(t: OiTotals, confidence: float) -> dict[str, Any]:
    return {
        "official_oi": t.official_oi,
        "simulated_oi": t.simulated_oi,
        "intraday_oi_delta": t.intraday_oi_delta,
        "oi_delta_confidence": confidence,
        "effective_oi": t.effective_oi,
        "contracts_total": t.contracts_total,
        "contracts_with_flow": t.contracts_with_flow,
    }


# -- the views --------------------------------------------------------------------------------


def dealer_risk_view(r: FlowResult) -> dict[str, Any]:
    """``GET /v1/flow/dealer-risk/{symbol}``; **extra** ``oi``: the open-interest summary of
    ``/v1/flow/oi``."""
    return {
        **_head(r, r.live),
        **dealer_risk_block(r.settled, r.live, r.totals),
        "contracts_with_flow": r.totals.contracts_with_flow,
        "oi": _oi_summary(r.totals, r.book.confidence),
        **tail(r.live),
    }


def _oi_changes(r: FlowResult) -> dict[float, tuple[int, int]]:
    """Per strike: (call, put) live − settled open interest."""
    settled = {
        float(k): (int(c), int(p))
        for k, c, p in r.settled.strikes.select("strike", "call_oi", "put_oi").iter_rows()
    }
    return {
        float(k): (
            int(c) - settled.get(float(k), (0, 0))[0],
            int(p) - settled.get(float(k), (0, 0))[1],
        )
        for k, c, p in r.live.strikes.select("strike", "call_oi", "put_oi").iter_rows()
    }


def flow_gex_view(r: FlowResult) -> dict[str, Any]:
    """``GET /v1/flow/gex/{symbol}``: the GEX rows on effective open interest; each row's
    ``*_oi_change`` is the intraday change (live − settled open interest at that strike and
    side). **extra** ``settled_net_gex``."""
    body = gex_view(r.live)
    changes = _oi_changes(r)
    for row in body["strikes"]:
        row["call_oi_change"], row["put_oi_change"] = changes.get(float(row["strike"]), (0, 0))
    return {
        **_head(r, r.live),
        "live_net_gex": body["net_gex"],
        "live_net_gex_label": body["net_gex_label"],
        "live_gamma_flip": body["gamma_flip"],
        "gamma_flip_status": body["gamma_flip_status"],
        "settled_net_gex": finite(r.settled.exposures["net_gex"]),
        "strikes": body["strikes"],
        **tail(r.live),
    }


def flow_dex_view(r: FlowResult) -> dict[str, Any]:
    """``GET /v1/flow/dex/{symbol}``: the DEX rows on effective open interest; **extra**
    ``settled_net_dex``."""
    body = metric_view(r.live, BY_NAME["dex"])
    return {
        **_head(r, r.live),
        "live_net_dex": body["net_dex"],
        "settled_net_dex": finite(r.settled.exposures["net_dex"]),
        "strikes": body["strikes"],
        **tail(r.live),
    }


def flow_summary_view(r: FlowResult) -> dict[str, Any]:
    """``GET /v1/flow/summary/{symbol}``; **extra** ``settled_gex``, ``flow_gex_adjustment``,
    ``description``."""
    block = dealer_risk_block(r.settled, r.live, r.totals)
    return {
        **_head(r, r.live),
        "flow_direction": block["flow_direction"],
        "intraday_oi_delta": r.totals.intraday_oi_delta,
        "contracts_with_flow": r.totals.contracts_with_flow,
        "contracts_total": r.totals.contracts_total,
        "live_gex": block["live_net_gex"],
        "flow_gex_pct_shift": block["flow_gex_pct_shift"],
        "settled_gex": block["settled_net_gex"],
        "flow_gex_adjustment": block["flow_gex_adjustment"],
        "description": block["description"],
        **tail(r.live),
    }


def _levels(a: Analysis) -> dict[str, Any]:
    return {
        "gamma_flip": finite(a.gamma_flip),
        "gamma_flip_status": a.gamma_flip_status,
        "call_wall": finite(a.levels.call_wall),
        "put_wall": finite(a.levels.put_wall),
        "max_pain": finite(a.max_pain),
        "max_pain_expiration": iso_date(a.max_pain_expiration),
    }


def flow_levels_view(r: FlowResult) -> dict[str, Any]:
    """``GET /v1/flow/levels/{symbol}``: the live flip, walls and max pain (of the nearest
    expiry analysed); **extra** ``live_max_pain_expiration`` and the ``settled`` levels."""
    live = _levels(r.live)
    return {
        **_head(r, r.live),
        "live_gamma_flip": live["gamma_flip"],
        "gamma_flip_status": live["gamma_flip_status"],
        "live_call_wall": live["call_wall"],
        "live_put_wall": live["put_wall"],
        "live_max_pain": live["max_pain"],
        "live_max_pain_expiration": live["max_pain_expiration"],
        "settled": _levels(r.settled),
        **tail(r.live),
    }


def flow_oi_view(r: FlowResult) -> dict[str, Any]:
    """``GET /v1/flow/oi/{symbol}`` (no ``underlying_price``, as the vendor's): settled,
    simulated and effective open interest (rounded per contract, docs/flow.md) and
    ``oi_delta_confidence`` (the confidence of the OI rule); **extra** the rule, the
    customer volumes, the tape's trade counts (whole chain), its last trade and the share of
    counted volume that was classified."""
    t = r.totals
    state = r.book.state
    last = state.last_timestamp
    return {
        "symbol": r.live.symbol,
        "as_of": iso_utc(r.as_of),
        "expiry": iso_date(r.expiry),
        **_oi_summary(t, r.book.confidence),
        "oi_rule": r.book.rule,
        "oi_confidence": r.book.confidence,
        "session_day": iso_date(r.book.day),
        "contracts_with_trades": t.contracts_with_trades,
        "total_abs_delta_contracts": t.total_abs_delta_contracts,
        "customer_buy_volume": t.customer_buy_volume,
        "customer_sell_volume": t.customer_sell_volume,
        "customer_net_volume": t.customer_net_volume,
        "unclassified_volume": t.unclassified_volume,
        "classified_share": finite(t.classified_share),
        "trades": dict(state.counts._asdict()),
        "last_trade_at": None
        if last is None
        else iso_utc(datetime.fromtimestamp(last / 1e6, tz=UTC)),
        **tail(r.live),
    }


def _score(value: float) -> int:
    """0–100, rounded half up."""
    return math.floor(min(100.0, max(0.0, value)) + 0.5)


def _magnet(table: pl.DataFrame, spot: float) -> float | None:
    """Strike of the largest |net GEX| (ties: nearest spot, then the lower strike)."""
    if table.height == 0:
        return None
    strikes = table["strike"].to_numpy()
    gex = np.abs(table["net_gex"].cast(pl.Float64).fill_null(float("nan")).to_numpy())
    ok = np.isfinite(gex) & np.isfinite(strikes)
    if not ok.any() or np.nanmax(np.where(ok, gex, np.nan)) <= 0.0:
        return None
    best = np.flatnonzero(ok & (gex == np.nanmax(np.where(ok, gex, np.nan))))
    order = sorted(best, key=lambda i: (abs(strikes[i] - spot), strikes[i]))
    return float(strikes[order[0]])


def _hours_to_close(symbol: str, expiration: date, as_of: datetime) -> float | None:
    try:
        close = option_close(expiration, symbol)
    except CalendarError:
        return None
    return max(0.0, (close - as_of).total_seconds() / 3600.0)


def pin_risk(day: Analysis, expiration: date, as_of: datetime) -> dict[str, Any]:
    """The pin-risk numbers of the live analysis of one expiry (module docstring)."""
    table = day.strikes
    spot = day.underlying_price
    magnet = _magnet(table, spot)
    hours = _hours_to_close(day.symbol, expiration, as_of)
    time_score = 0 if hours is None else _score(100.0 * (1.0 - hours / SESSION_HOURS))
    oi_score = gamma_score = proximity = 0
    distance = None
    if magnet is not None:
        distance = finite((magnet / spot - 1.0) * 100.0)
        near = ((table["strike"] / magnet - 1.0).abs() <= PIN_BAND + 1e-12).to_numpy()
        oi = (table["call_oi"] + table["put_oi"]).to_numpy().astype(np.float64)
        gex = np.abs(np.nan_to_num(table["net_gex"].cast(pl.Float64).to_numpy()))
        if oi.sum() > 0:
            oi_score = _score(100.0 * oi[near].sum() / oi.sum())
        if gex.sum() > 0:
            gamma_score = _score(100.0 * gex[near].sum() / gex.sum())
        if distance is not None:
            proximity = _score(100.0 * (1.0 - abs(distance) / (PIN_BAND * 100.0)))
    scores = {
        "oi_score": oi_score,
        "proximity_score": proximity,
        "time_score": time_score,
        "gamma_score": gamma_score,
    }
    return {
        "live_pin_risk": _score(sum(scores.values()) / 4.0),
        "magnet_strike": magnet,
        "distance_to_magnet_pct": distance,
        "time_to_close_hours": finite(hours),
        "breakdown": scores,
    }


def pin_risk_view(r: FlowResult, day: Analysis, expiration: date) -> dict[str, Any]:
    """``GET /v1/flow/pin-risk/{symbol}``: pin risk of one expiry's live analysis (``day``;
    ``expiry``, else today's, else the nearest); **extra** ``expiration`` (the expiry
    analysed)."""
    return {
        **_head(r, day),
        **pin_risk(day, expiration, r.as_of),
        "expiration": iso_date(expiration),
        **tail(day),
    }


def flow_live_view(r: FlowResult, day: Analysis, expiration: date) -> dict[str, Any]:
    """``GET /v1/flow/live/{symbol}``: the open interest, live exposures and levels, the pin
    risk of ``day`` (one expiry: ``expiry``, else today's, else the nearest) and the
    dealer-risk block; **extra** ``pin_expiration``."""
    block = dealer_risk_block(r.settled, r.live, r.totals)
    oi = _oi_summary(r.totals, r.book.confidence)
    live = _levels(r.live)
    return {
        **_head(r, r.live),
        "contracts": oi.pop("contracts_total"),
        "contracts_with_flow": oi.pop("contracts_with_flow"),
        **oi,
        "live_gex": block["live_net_gex"],
        "live_gex_delta": block["live_net_dex"],
        "live_gamma_flip": live["gamma_flip"],
        "gamma_flip_status": live["gamma_flip_status"],
        "live_call_wall": live["call_wall"],
        "live_put_wall": live["put_wall"],
        "live_max_pain": live["max_pain"],
        "live_pin_risk": pin_risk(day, expiration, r.as_of)["live_pin_risk"],
        "pin_expiration": iso_date(expiration),
        "flow_adjusted_dealer_risk": block,
        **tail(r.live),
    }


def _book_quality(book: FlowBook, mask: np.ndarray) -> dict[str, Any]:
    """``data_quality`` of a view read off the simulator alone: the tracked contracts."""
    quality = empty_quality()
    quality["contracts_used"] = int(mask.sum())
    days, counts = np.unique(book.expirations[mask], return_counts=True)
    quality["contracts_per_expiry"] = {
        str(d): int(n) for d, n in zip(days.astype("datetime64[D]"), counts, strict=True)
    }
    untracked = int(book.rows.shape[0] - book.rows.sum())
    if untracked and bool(mask.all()):
        quality["excluded"] = {"untracked": untracked}
    quality["warnings"] = [str(w) for w in book.snapshot.warnings]
    return {"data_quality": quality}


def dealer_premium_view(
    book: FlowBook, premium: DealerPremium, expiry: date | None
) -> dict[str, Any]:
    """``GET /v1/flow/options/{symbol}/dealer-premium``: premium by side over the window
    ending at ``as_of`` (USD; a customer buy is a dealer write); **extra** the window's
    bounds, the customer side by call/put, the unclassified premium and the volumes."""
    p = premium
    return {
        "symbol": book.symbol,
        "as_of": iso_utc(book.as_of),
        "window_minutes": p.window_minutes,
        "expiry": iso_date(expiry),
        "dealer_buy_premium": p.dealer_buy_premium,
        "dealer_write_premium": p.dealer_write_premium,
        "net_dealer_premium": p.net_dealer_premium,
        "total_premium": p.total_premium,
        "trade_count": p.trade_count,
        "bucket_count": p.bucket_count,
        "window_start": iso_utc(datetime.fromtimestamp(p.window_start / 1e6, tz=UTC)),
        "window_end": iso_utc(datetime.fromtimestamp(p.window_end / 1e6, tz=UTC)),
        "customer_buy_premium": p.customer_buy_premium,
        "customer_sell_premium": p.customer_sell_premium,
        "net_customer_premium": p.net_customer_premium,
        "customer_buy_call_premium": p.customer_buy_call_premium,
        "customer_buy_put_premium": p.customer_buy_put_premium,
        "customer_sell_call_premium": p.customer_sell_call_premium,
        "customer_sell_put_premium": p.customer_sell_put_premium,
        "unclassified_premium": p.unclassified_premium,
        "customer_buy_volume": p.customer_buy_volume,
        "customer_sell_volume": p.customer_sell_volume,
        "unclassified_volume": p.unclassified_volume,
        "classified_count": p.classified_count,
        **_book_quality(book, book.mask(expiry)),
    }


def flow_zero_dte_view(
    full: FlowResult,
    settled_day: Analysis,
    live_day: Analysis,
    totals: OiTotals,
    strike_range: float = 0.03,
    expiry: date | None = None,
) -> dict[str, Any]:
    """``GET /v1/flow/zero-dte/snapshot/{symbol}``: the zero-dte view of the live analyses
    (``full``: the whole chain; ``live_day``: the expiry) plus ``flow_direction``, settled
    against live net GEX of that expiry; **extra** ``expiry`` (the one asked for, or null),
    ``oi_rule``, ``oi_confidence``."""
    block = dealer_risk_block(settled_day, live_day, totals)
    return {
        **zero_dte_view(full.live, live_day, strike_range),
        "expiry": iso_date(expiry),
        "oi_rule": full.book.rule,
        "oi_confidence": full.book.confidence,
        "flow_direction": {
            "label": block["flow_direction"],
            "settled_net_gex": block["settled_net_gex"],
            "live_net_gex": block["live_net_gex"],
            "flow_gex_adjustment": block["flow_gex_adjustment"],
            "flow_gex_pct_shift": block["flow_gex_pct_shift"],
            "contracts_with_flow": totals.contracts_with_flow,
            "total_abs_delta_contracts": totals.total_abs_delta_contracts,
            "description": block["description"],
        },
    }


def flow_no_zero_dte_view(full: FlowResult) -> dict[str, Any]:
    """``GET /v1/flow/zero-dte/snapshot/{symbol}`` when nothing expires today and no
    ``expiry`` was asked for."""
    return {
        **no_zero_dte_view(full.live),
        "expiry": None,
        "oi_rule": full.book.rule,
        "oi_confidence": full.book.confidence,
    }
