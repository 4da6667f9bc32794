"""The zero-dte view: ``GET /v1/exposure/zero-dte/{symbol}`` (docs/api.md), vendor field names.

The field names are those of the vendor's SDK (``flashalpha.types.ZeroDteResponse``); we
send the blocks the engine computes — ``regime``, ``exposures``, ``pin_risk``, ``hedging``,
``levels``, ``flow``, ``strikes`` — and leave out ``expected_move``, ``decay``,
``vol_context``, ``liquidity`` and ``metadata`` (clients read keys they know). **extra**:
``no_zero_dte`` is present in both shapes (false when an expiry is analysed).

Units: GEX USD per 1 % move, DEX USD, VEX USD per vol point, CHEX USD per day; every
``*_pct`` is percent (``-0.5`` = half a percent below spot); distances are signed
(+ = above spot). Hedging keys: ``spot_up_10bp`` … ``spot_down_1pct`` for ±0.1 %, ±0.25 %,
±0.5 % (``half_pct``) and ±1 %.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from api.views._common import finite, head, hedge_view, iso_date, move_name, rows, tail
from engine.analysis.levels import zero_dte_magnet
from engine.analysis.single import Analysis
from engine.analysis.zero_dte import new_york_date
from engine.exposure.metrics import METRICS

__all__ = ["ZERO_DTE_MOVES", "no_zero_dte_view", "zero_dte_view"]

ZERO_DTE_MOVES: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01)
"""Spot moves of the zero-dte ``hedging`` block (fractions), named as the vendor does."""
_ZERO_DTE_NAMES = {0.001: "10bp", 0.0025: "25bp", 0.005: "half_pct", 0.01: "1pct"}


def _pct(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole == 0:
        return None
    return finite(100.0 * part / whole)


def _from_spot(level: float | None, spot: float) -> float | None:
    """Signed distance of ``level`` from spot, percent of spot (+ = above)."""
    return None if level is None else finite((level / spot - 1.0) * 100.0)


def no_zero_dte_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/exposure/zero-dte/{symbol}`` when nothing expires today (New York date of
    ``as_of``): ``next_zero_dte_expiry`` is the nearest listed expiration."""
    today = iso_date(new_york_date(a.as_of))
    return {
        **head(a),
        "expiration": None,
        "no_zero_dte": True,
        "message": f"No {a.symbol} options expire today ({today}).",
        "next_zero_dte_expiry": iso_date(a.expirations[0]) if a.expirations else None,
        **tail(a),
    }


def _zero_dte_strikes(day: Analysis, strike_range: float) -> list[dict[str, Any]]:
    table = day.strikes
    spot = day.underlying_price
    gex_total = float(table["net_gex"].abs().sum())
    oi_total = float((table["call_oi"] + table["put_oi"]).sum())
    volume_total = float((table["call_volume"] + table["put_volume"]).sum())
    near = table.filter(((pl.col("strike") / spot - 1.0).abs()) <= strike_range + 1e-12)
    out = rows(near, list(table.columns))
    for row in out:
        row["distance_from_spot_pct"] = _from_spot(row["strike"], spot)
        net = row["net_gex"]
        row["gex_share_pct"] = _pct(None if net is None else abs(net), gex_total)
        row["oi_share_pct"] = _pct(row["call_oi"] + row["put_oi"], oi_total)
        row["volume_share_pct"] = _pct(row["call_volume"] + row["put_volume"], volume_total)
    return out


def _flow(table: pl.DataFrame) -> dict[str, Any]:
    call_v, put_v = int(table["call_volume"].sum()), int(table["put_volume"].sum())
    call_oi, put_oi = int(table["call_oi"].sum()), int(table["put_oi"].sum())
    return {
        "call_volume": call_v,
        "put_volume": put_v,
        "total_volume": call_v + put_v,
        "net_call_minus_put_volume": call_v - put_v,
        "call_oi": call_oi,
        "put_oi": put_oi,
        "total_oi": call_oi + put_oi,
        "pc_ratio_volume": finite(put_v / call_v) if call_v else None,
        "pc_ratio_oi": finite(put_oi / call_oi) if call_oi else None,
        "volume_to_oi_ratio": finite((call_v + put_v) / (call_oi + put_oi))
        if call_oi + put_oi
        else None,
    }


def _pin_risk(day: Analysis) -> dict[str, Any]:
    spot = day.underlying_price
    table = day.strikes
    magnet = finite(zero_dte_magnet(table, spot))
    magnet_gex = None
    if magnet is not None:
        magnet_gex = finite(float(table.filter(pl.col("strike") == magnet)["net_gex"].sum()))
    oi = (table["call_oi"] + table["put_oi"]).sort(descending=True)
    top3 = _pct(float(oi.head(3).sum()), float(oi.sum()))
    distance = _from_spot(magnet, spot)
    if magnet is None:
        text = "No strike of this expiry carries gamma; there is no pin magnet."
    else:
        text = f"The largest same-day gamma sits at {magnet:,.2f} ({distance:+.2f}% from spot)"
        text += "." if day.max_pain is None else f"; max pain is {day.max_pain:,.2f}."
    return {
        "magnet_strike": magnet,
        "magnet_gex": magnet_gex,
        "distance_to_magnet_pct": distance,
        "max_pain": finite(day.max_pain),
        "oi_concentration_top3_pct": top3,
        "description": text,
    }


def zero_dte_view(full: Analysis, day: Analysis, strike_range: float = 0.03) -> dict[str, Any]:
    """``GET /v1/exposure/zero-dte/{symbol}`` for one expiry.

    ``full`` is the analysis of the whole chain; ``day`` the analysis restricted to the
    expiry (``expiration=...``) with ``hedge_moves=ZERO_DTE_MOVES``. ``regime``, ``pin_risk``,
    ``levels``, ``flow`` and ``strikes`` describe that expiry's contracts alone;
    ``exposures.pct_of_total_gex`` is its share (percent) of the whole chain's net GEX.
    ``strike_range`` (fraction of spot) bounds the ``strikes`` rows only.
    """
    spot = day.underlying_price
    flip = finite(day.gamma_flip)
    lv = day.levels
    net = {m.net: finite(day.exposures[m.net]) for m in METRICS}
    total = finite(full.exposures["net_gex"])
    hedging = {}
    for move, estimate in sorted(day.hedging.items(), key=lambda m: (abs(m[0]), m[0] < 0)):
        name = _ZERO_DTE_NAMES.get(abs(move))
        key = move_name(move) if name is None else f"spot_{'down' if move < 0 else 'up'}_{name}"
        hedging[key] = hedge_view(estimate)
    return {
        **head(day),
        "expiration": iso_date(day.expirations[0]),
        "no_zero_dte": False,
        "regime": {
            "label": day.regime,
            "description": day.interpretation["gamma"],
            "gamma_flip": flip,
            "gamma_flip_status": day.gamma_flip_status,
            "spot_vs_flip": None if flip is None else ("above" if spot >= flip else "below"),
            "spot_to_flip_pct": _from_spot(flip, spot),
            "distance_to_flip_dollars": None if flip is None else finite(flip - spot),
        },
        "exposures": {
            **net,
            "pct_of_total_gex": _pct(net["net_gex"], total),
            "total_chain_net_gex": total,
        },
        "pin_risk": _pin_risk(day),
        "hedging": hedging,
        "hedge_unit": day.hedge_unit,
        "levels": {
            "call_wall": finite(lv.call_wall),
            "put_wall": finite(lv.put_wall),
            "max_positive_gamma": finite(lv.max_positive_gamma),
            "max_negative_gamma": finite(lv.max_negative_gamma),
            "highest_oi_strike": finite(lv.highest_oi_strike),
            "distance_to_call_wall_pct": _from_spot(finite(lv.call_wall), spot),
            "distance_to_put_wall_pct": _from_spot(finite(lv.put_wall), spot),
        },
        "flow": _flow(day.strikes),
        "strikes": _zero_dte_strikes(day, strike_range),
        **tail(day),
    }
