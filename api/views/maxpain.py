"""The max pain view: ``GET /v1/maxpain/{symbol}?expiration=`` (docs/api.md, the SDK's
``MaxPainResponse``).

Max pain counts every usable contract (IV or not: the payout needs open interest only) of
the scope: the requested expiration, else the whole chain. At a settlement price ``P`` the
holders' payout is ``call_pain(P) = Σ_calls OI·m·max(0, P − K)`` and ``put_pain(P) = Σ_puts
OI·m·max(0, K − P)`` (USD, ``m`` the multiplier); ``pain_curve`` gives both at every strike
of the scope and ``max_pain_strike`` is :func:`engine.analysis.levels.max_pain` of the scope,
the strike where their sum is smallest (ties: the lower strike) — the same number as the
0DTE view's ``pin_risk.max_pain`` for one expiry.

- ``expiration``: the requested one, else the nearest expiration analysed;
  ``max_pain_by_expiration`` (only without ``expiration``): per expiration its own max pain,
  ``dte`` (calendar days from the New York date of ``as_of``) and open interest.
- ``distance``: ``absolute = |spot − max pain|``, ``percent`` of spot, ``direction``
  ``above`` / ``below`` / ``at`` (spot against max pain). ``signal``: ``bullish`` when spot
  is at least 5 % below max pain, ``bearish`` at least 5 % above, else ``neutral``.
- ``dealer_alignment``: the flip and walls of the same scope's analysis; ``converging`` when
  max pain lies between the walls within 1 % of spot from the flip, ``moderate`` between the
  walls farther from it (or without a flip), ``diverging`` outside them, ``unknown``
  without max pain or walls.
- ``expected_move``: the at-the-money straddle of ``expiration`` — the strike nearest spot
  (ties: lower) quoted on both sides, each side's mid ``(bid + ask) / 2`` (averaged over
  the roots quoting it) — its price, the mean implied vol of the two sides in percent, and
  whether ``|spot − max pain|`` is within the straddle.
- ``pin_probability`` is ``None``: this server has no model behind such a probability.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import numpy as np
import polars as pl

from api.views._common import finite, head, iso_date, tail
from engine.analysis.levels import max_pain
from engine.analysis.single import Analysis
from engine.analysis.zero_dte import new_york_date

__all__ = ["FLIP_NEAR_PCT", "SIGNAL_PCT", "max_pain_view", "pain_curve"]

SIGNAL_PCT: Final = 5.0
"""Distance from max pain, percent of spot, beyond which ``signal`` is not neutral."""
FLIP_NEAR_PCT: Final = 1.0
"""Max pain within this percent of spot from the flip is ``converging`` (between the walls)."""


def _weights(frame: pl.DataFrame) -> np.ndarray:
    """Open interest × multiplier per contract; missing, negative or non-finite -> 0."""
    oi = frame["open_interest"].cast(pl.Float64).fill_null(0.0).to_numpy()
    m = frame["multiplier"].cast(pl.Float64).fill_null(0.0).to_numpy()
    w = oi * m
    return np.where(np.isfinite(w) & (oi >= 0.0) & (m >= 0.0), w, 0.0)


def pain_curve(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct finite strikes ascending, call pain, put pain at each), USD, of the
    contracts in ``frame`` (columns ``strike``, ``is_call``, ``open_interest``,
    ``multiplier``)."""
    k = frame["strike"].cast(pl.Float64).to_numpy()
    keep = np.isfinite(k)
    k = k[keep]
    calls = frame["is_call"].to_numpy()[keep]
    w = _weights(frame)[keep]
    grid, where = np.unique(k, return_inverse=True)
    call_w = np.bincount(where, weights=np.where(calls, w, 0.0), minlength=grid.size)
    put_w = np.bincount(where, weights=np.where(calls, 0.0, w), minlength=grid.size)
    gap = grid[:, None] - grid[None, :]  # [settlement j, strike i]
    call_pain = (np.maximum(gap, 0.0) * call_w[None, :]).sum(axis=1)
    put_pain = (np.maximum(-gap, 0.0) * put_w[None, :]).sum(axis=1)
    return grid, call_pain, put_pain


def _max_pain(frame: pl.DataFrame) -> float | None:
    return max_pain(
        frame["strike"].cast(pl.Float64).to_numpy(),
        frame["is_call"].to_numpy(),
        frame["open_interest"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        frame["multiplier"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
    )


def _total_oi(frame: pl.DataFrame) -> int:
    return int(frame["open_interest"].fill_null(0).clip(lower_bound=0).sum())


def _oi_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    grouped = (
        frame.with_columns(
            pl.col("open_interest").fill_null(0).clip(lower_bound=0),
            pl.col("volume").fill_null(0).clip(lower_bound=0),
        )
        .group_by("strike")
        .agg(
            pl.col("open_interest").filter(pl.col("is_call")).sum().alias("call_oi"),
            pl.col("open_interest").filter(~pl.col("is_call")).sum().alias("put_oi"),
            pl.col("volume").filter(pl.col("is_call")).sum().alias("call_volume"),
            pl.col("volume").filter(~pl.col("is_call")).sum().alias("put_volume"),
        )
        .sort("strike")
    )
    return [
        {"strike": finite(r["strike"]), "call_oi": int(r["call_oi"]), "put_oi": int(r["put_oi"]),
         "total_oi": int(r["call_oi"]) + int(r["put_oi"]), "call_volume": int(r["call_volume"]),
         "put_volume": int(r["put_volume"])}
        for r in grouped.iter_rows(named=True)
        if finite(r["strike"]) is not None
    ]  # fmt: skip


def _distance(spot: float, pain: float | None) -> dict[str, Any]:
    if pain is None or not spot > 0.0:
        return {"absolute": None, "percent": None, "direction": None}
    gap = spot - pain
    direction = "at" if abs(gap) <= 1e-9 * spot else ("above" if gap > 0 else "below")
    return {"absolute": finite(abs(gap)), "percent": finite(abs(gap) / spot * 100.0),
            "direction": direction}  # fmt: skip


def _signal(spot: float, pain: float | None) -> str | None:
    if pain is None or not spot > 0.0:
        return None
    pct = (spot - pain) / spot * 100.0
    if pct <= -SIGNAL_PCT:
        return "bullish"
    if pct >= SIGNAL_PCT:
        return "bearish"
    return "neutral"


def _alignment(a: Analysis, pain: float | None) -> dict[str, Any]:
    flip = finite(a.gamma_flip)
    call_wall, put_wall = finite(a.levels.call_wall), finite(a.levels.put_wall)
    spot = a.underlying_price
    if pain is None or call_wall is None or put_wall is None:
        label = "unknown"
        text = "Max pain or a wall is missing: no alignment to read."
    elif min(call_wall, put_wall) <= pain <= max(call_wall, put_wall):
        near = flip is not None and abs(pain - flip) <= FLIP_NEAR_PCT / 100.0 * spot
        label = "converging" if near else "moderate"
        text = (
            f"Max pain {pain:,.2f} lies between the put wall {put_wall:,.2f} and the call wall "
            f"{call_wall:,.2f}"
            + (
                f" and near the gamma flip {flip:,.2f}: dealer hedging supports a pin."
                if near
                else ", away from the gamma flip: a moderate pin setup."
            )
        )
    else:
        label = "diverging"
        text = (
            f"Max pain {pain:,.2f} lies outside the walls ({put_wall:,.2f} to "
            f"{call_wall:,.2f}): dealer hedging pushes spot away from it."
        )
    return {
        "alignment": label,
        "description": text,
        "gamma_flip": flip,
        "gamma_flip_status": a.gamma_flip_status,
        "call_wall": call_wall,
        "put_wall": put_wall,
    }


def _expected_move(contracts: pl.DataFrame, spot: float, pain: float | None) -> dict[str, Any]:
    quoted = (
        contracts.filter(
            pl.col("bid").is_finite()
            & pl.col("ask").is_finite()
            & (pl.col("bid") >= 0.0)
            & (pl.col("ask") >= pl.col("bid"))
            & (pl.col("ask") > 0.0)
        )
        .group_by("strike", "is_call")
        .agg(((pl.col("bid") + pl.col("ask")) / 2.0).mean().alias("mid"), pl.col("iv").mean())
    )
    both = (
        quoted.group_by("strike")
        .agg(pl.col("mid").sum(), pl.col("iv").mean(), pl.len().alias("sides"))
        .filter(pl.col("sides") == 2)
    )
    if both.height == 0:
        return {"straddle_price": None, "atm_iv": None, "max_pain_within_expected_range": None}
    k = both["strike"].to_numpy()
    distance = np.abs(k - spot)
    at = float(k[distance == distance.min()].min())
    row = both.filter(pl.col("strike") == at).row(0, named=True)
    straddle = finite(row["mid"])
    within = None if straddle is None or pain is None else bool(abs(spot - pain) <= straddle)
    iv = finite(row["iv"])
    return {
        "straddle_price": straddle,
        "atm_iv": None if iv is None else finite(iv * 100.0),
        "max_pain_within_expected_range": within,
    }


def max_pain_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/maxpain/{symbol}`` (module docstring). ``a`` must carry its chain (an
    :func:`engine.analyze` result): its ``expiration`` option is the scope."""
    used = a.priced.validated.used
    day = a.options.expiration
    scope = used if day is None else used.filter(pl.col("expiration") == day)
    spot = a.underlying_price
    pain = _max_pain(scope)
    grid, call_pain, put_pain = pain_curve(scope)
    front: date | None = day if day is not None else (a.expirations[0] if a.expirations else None)
    calls_oi = _total_oi(scope.filter(pl.col("is_call")))
    puts_oi = _total_oi(scope.filter(~pl.col("is_call")))
    by_expiration = None
    if day is None:
        today = new_york_date(a.as_of)
        by_expiration = [
            {"expiration": iso_date(expiry), "max_pain_strike": finite(_max_pain(part)),
             "dte": (expiry - today).days, "total_oi": _total_oi(part)}
            for (expiry,), part in sorted(used.group_by("expiration"), key=lambda g: g[0])
        ]  # fmt: skip
    priced = a.priced.contracts
    front_contracts = priced.filter(pl.col("expiration") == front) if front else priced.clear()
    return {
        **head(a),
        "max_pain_strike": finite(pain),
        "distance": _distance(spot, pain),
        "signal": _signal(spot, pain),
        "expiration": iso_date(front),
        "put_call_oi_ratio": finite(puts_oi / calls_oi) if calls_oi > 0 else None,
        "pain_curve": [
            {
                "strike": finite(k),
                "call_pain": finite(c),
                "put_pain": finite(p),
                "total_pain": finite(c + p),
            }
            for k, c, p in zip(grid.tolist(), call_pain.tolist(), put_pain.tolist(), strict=True)
        ],
        "oi_by_strike": _oi_rows(scope),
        "max_pain_by_expiration": by_expiration,
        "dealer_alignment": _alignment(a, pain),
        "regime": a.regime,
        "expected_move": _expected_move(front_contracts, spot, pain),
        "pin_probability": None,
        **tail(a),
    }
