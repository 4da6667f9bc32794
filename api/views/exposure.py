"""Exposure views: Analysis -> the exact JSON objects of ``/v1/exposure/*`` (docs/api.md).

Units: each metric's own (:mod:`engine.exposure.metrics`: GEX in USD of dealer delta change
per 1 % move, DEX in USD, VEX in USD per vol point, CHEX in USD per day, speed in USD of GEX
per 1 % move, vomma in USD of vega per vol point); strikes and levels in the underlying's price
units; hedging shares signed (+ = dealers buy), ``notional_usd = |shares| · spot``.
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

from api.views._common import finite, head, hedging, iso_date, rows, tail
from engine.analysis.changes import strike_changes, top_strike_changes
from engine.analysis.narrative import gex_change_pct, gex_change_sentence, zero_dte_sentence
from engine.analysis.single import Analysis
from engine.exposure.metrics import BY_NAME, METRICS, Metric

__all__ = [
    "TOP_OI_CHANGES",
    "chex_view",
    "dex_view",
    "gex_view",
    "levels_view",
    "metric_view",
    "narrative_view",
    "profile_view",
    "summary_view",
    "vex_view",
]


FLOW_SENTENCE: Final = (
    "These numbers use the morning's settled open interest; the flow endpoints "
    "(/v1/flow/*, gex flow) estimate how the day's trades have moved it."
)
"""The narrative's ``flow`` sentence: the exposure endpoints never read trades."""

TOP_OI_CHANGES: Final = 10
"""Rows of the narrative's ``top_oi_changes``."""


def summary_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/exposure/summary/{symbol}``."""
    net = a.exposures
    return {
        **head(a),
        "gamma_flip": finite(a.gamma_flip),
        "gamma_flip_status": a.gamma_flip_status,
        "regime": a.regime,
        "exposures": {m.net: finite(net[m.net]) for m in METRICS},
        "interpretation": dict(a.interpretation),
        "hedging_estimate": hedging(a.hedging),
        "hedge_unit": a.hedge_unit,
        "hedge_flows": {
            name: {"direction": flow.direction, "notional_usd": finite(flow.notional_usd)}
            for name, flow in a.hedge_flows.items()
        },
        "zero_dte": {
            "net_gex": finite(a.zero_dte.net_gex),
            "pct_of_total_gex": finite(a.zero_dte.pct_of_total_gex),
            "expiration": iso_date(a.zero_dte.expiration),
        },
        **tail(a),
    }


def gex_view(a: Analysis, changes: pl.DataFrame | None = None) -> dict[str, Any]:
    """``GET /v1/exposure/gex/{symbol}``. ``changes`` are the per-contract open-interest
    changes of the contracts behind the rows against the prior session's snapshot
    (:func:`engine.analysis.changes.contract_changes`); each row's ``*_oi_change`` is their sum over
    that strike and side. Without a prior session (None) those fields are null."""
    table = rows(
        a.strikes,
        [
            "strike",
            "call_gex",
            "put_gex",
            "net_gex",
            "call_oi",
            "put_oi",
            "call_volume",
            "put_volume",
        ],
    )
    per_strike: dict[float, tuple[int, int]] = {}
    if changes is not None:
        per_strike = {float(k): (int(c), int(p)) for k, c, p in strike_changes(changes).iter_rows()}
    for row in table:
        if changes is None:
            row["call_oi_change"] = row["put_oi_change"] = None
            continue
        call, put = per_strike.get(float(row["strike"]), (0, 0))
        row["call_oi_change"], row["put_oi_change"] = call, put
    net = finite(a.exposures["net_gex"])
    return {
        **head(a),
        "gamma_flip": finite(a.gamma_flip),
        "gamma_flip_status": a.gamma_flip_status,
        "net_gex": net,
        "net_gex_label": "positive" if (net or 0.0) >= 0 else "negative",
        "strikes": table,
        **tail(a),
    }


def metric_view(a: Analysis, metric: Metric) -> dict[str, Any]:
    """``GET /v1/exposure/{metric}/{symbol}`` of every metric but GEX (whose view has open
    interest and volume, :func:`gex_view`): the net total, the metric's interpretation
    sentence when it has one, and ``call_x``/``put_x``/``net_x`` per strike."""
    view: dict[str, Any] = {**head(a), metric.net: finite(a.exposures[metric.net])}
    if metric.sentence is not None:
        view[f"{metric.name}_interpretation"] = a.interpretation[metric.sentence]
    view["strikes"] = rows(a.strikes, ["strike", *metric.columns()])
    return {**view, **tail(a)}


def dex_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/exposure/dex/{symbol}``."""
    return metric_view(a, BY_NAME["dex"])


def vex_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/exposure/vex/{symbol}``."""
    return metric_view(a, BY_NAME["vex"])


def chex_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/exposure/chex/{symbol}``."""
    return metric_view(a, BY_NAME["chex"])


def levels_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/exposure/levels/{symbol}``."""
    lv = a.levels
    return {
        **head(a),
        "levels": {
            "gamma_flip": finite(a.gamma_flip),
            "gamma_flip_status": a.gamma_flip_status,
            "max_positive_gamma": finite(lv.max_positive_gamma),
            "max_negative_gamma": finite(lv.max_negative_gamma),
            "call_wall": finite(lv.call_wall),
            "put_wall": finite(lv.put_wall),
            "highest_oi_strike": finite(lv.highest_oi_strike),
            "zero_dte_magnet": finite(lv.zero_dte_magnet),
        },
        **tail(a),
    }


def profile_view(a: Analysis) -> dict[str, Any]:
    """**extra** ``GET /v1/exposure/profile/{symbol}``: the gamma profile for charts."""
    return {
        **head(a),
        "levels": [finite(x) for x in a.profile_levels.tolist()],
        "net_gex": [finite(x) for x in a.profile_values.tolist()],
        "crossings": [finite(x) for x in a.crossings],
        "gamma_flip": finite(a.gamma_flip),
        "gamma_flip_status": a.gamma_flip_status,
        **tail(a),
    }


def _sentence_levels(a: Analysis) -> str:
    lv = a.levels
    parts = []
    if lv.call_wall is not None:
        parts.append(f"call wall {lv.call_wall:,.2f}")
    if lv.put_wall is not None:
        parts.append(f"put wall {lv.put_wall:,.2f}")
    if a.gamma_flip is not None:
        parts.append(f"gamma flip {a.gamma_flip:,.2f}")
    if not parts:
        return "No key level stands out in this chain."
    return "Key levels: " + ", ".join(parts) + f"; spot {a.underlying_price:,.2f}."


def _zero_dte_sentence(a: Analysis) -> str:
    z = a.zero_dte
    return zero_dte_sentence(z.expiration, z.net_gex, z.pct_of_total_gex, a.exposures["net_gex"])


def top_oi_changes_view(changes: pl.DataFrame | None, n: int = TOP_OI_CHANGES) -> list[Any]:
    """``[{strike, type: "C"|"P", oi_change, volume}]``: the ``n`` largest changes per strike
    and side (summed over expirations), largest ``|oi_change|`` first; empty without."""
    if changes is None:
        return []
    return [
        {"strike": finite(strike), "type": "C" if is_call else "P", "oi_change": int(change),
         "volume": int(volume)}
        for strike, is_call, change, volume in top_strike_changes(changes, n).iter_rows()
    ]  # fmt: skip


def narrative_view(
    a: Analysis,
    prior_net_gex: float | None = None,
    changes: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """``GET /v1/exposure/narrative/{symbol}``; ``prior_net_gex`` is the prior session's net
    GEX under the same options and ``changes`` the per-contract open-interest changes
    against it, when a snapshot history is stored (None: the change fields are null and
    ``top_oi_changes`` is empty)."""
    net = a.exposures["net_gex"]
    change_pct = gex_change_pct(net, prior_net_gex)
    regime_text = a.interpretation["gamma"]
    outlook = (
        "Expect dampened, mean-reverting moves while dealers stay long gamma."
        if a.regime == "positive_gamma"
        else "Expect amplified, trending moves while dealers stay short gamma."
        if a.regime == "negative_gamma"
        else "Dealer gamma is balanced; no hedging bias either way."
    )
    return {
        **head(a),
        "narrative": {
            "regime": regime_text,
            "gex_change": gex_change_sentence(net, prior_net_gex),
            "key_levels": _sentence_levels(a),
            "flow": FLOW_SENTENCE,
            "vanna": a.interpretation["vanna"],
            "charm": a.interpretation["charm"],
            "zero_dte": _zero_dte_sentence(a),
            "outlook": outlook,
            "data": {
                "net_gex": finite(net),
                "net_gex_prior": finite(prior_net_gex),
                "net_gex_change_pct": finite(change_pct),
                "vix": None,
                "gamma_flip": finite(a.gamma_flip),
                "gamma_flip_status": a.gamma_flip_status,
                "call_wall": finite(a.levels.call_wall),
                "put_wall": finite(a.levels.put_wall),
                "regime": a.regime,
                "zero_dte_pct": finite(a.zero_dte.pct_of_total_gex),
                "top_oi_changes": top_oi_changes_view(changes),
            },
        },
        **tail(a),
    }
