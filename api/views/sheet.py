"""More dealer-positioning views: the exposure sheet, the exposure term structure and the
weighted basket (``/v1/exposure/sheet|term-structure/{symbol}``, ``/v1/exposure/basket``;
docs/api.md).

The sheet and the term structure read per-contract data, so they take an analysis that
still carries its priced contracts (:func:`engine.analyze` itself, not the compact copy the
service caches); the basket takes one analysis per symbol. Units as everywhere
(:mod:`engine.exposure.metrics`): GEX in USD per 1 % move, DEX in USD, VEX in USD per vol
point, CHEX in USD per day; strikes in the underlying's units; ``None`` (JSON null) for
what cannot be computed.

Definitions (the SDK's ``ExposureSheetResponse``, ``ExposureTermStructureResponse``,
``ExposureBasketResponse``):

- ``dag`` (delta-adjusted gamma) per contract: ``|delta| · gex`` — the contract's dealer GEX
  weighted by how far in the money it is — summed per strike; ``net_dag`` over the chain.
  Always from the native greeks, whatever the preset.
- ``lis`` (line in the sand): the strike where ``|d²(net_gex)/dK²|`` is largest (three-point
  second derivative on the strike grid, uneven spacing allowed); ties nearest spot, then
  the lower strike. ``None`` with fewer than 3 strikes or when every second derivative is 0.
  ``magnitude`` is reserved and always 1.0.
- ``peaks``: strikes where ``|net_gex|`` is a local maximum (above its lower neighbour, not
  below its upper one; the ends compare with their one neighbour) with ``strength = |net_gex|
  / max |net_gex| >= 0.1``, strongest first; ``side`` is ``call_wall`` when ``net_gex >= 0``.
- ``is_opex``: the expiration is the monthly one — the third Friday, or the session before
  it when that Friday is an exchange holiday (NYSE calendar); ``is_triple_witching``: an
  OPEX in March, June, September or December. ``None`` on the sheet without an expiration.
- ``dte``: calendar days from the New York date of ``as_of`` to the expiration. Buckets
  ``0-7d``, ``8-30d``, ``31-60d``, ``61-180d``, ``180d+`` (inclusive bounds; the last one's
  upper bound is 2147483647); empty buckets are left out.
- ``pct_of_chain_gex``: ``|net_gex|`` of the expiry over ``Σ |net_gex|`` of every expiry, percent.
- basket: weights (default equal) are renormalised over the symbols that have data, so
  they sum to 1; ``aggregate`` is ``Σ wᵢ · net_xᵢ``; ``contribution_pct`` is
  ``|wᵢ · net_gexᵢ| / Σ |wⱼ · net_gexⱼ| · 100``; ``regime`` is the sign of the symbol's net GEX.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

import numpy as np
import polars as pl

from api.service.errors import ApiError
from api.views._common import finite, head, iso_date, iso_utc, rows, tail
from engine.analysis.options import restrict
from engine.analysis.single import Analysis
from engine.analysis.zero_dte import new_york_date
from engine.settlement import CALENDAR_RANGE, session_table

__all__ = [
    "DTE_BUCKETS",
    "PEAK_STRENGTH",
    "WIRE_METRICS",
    "basket_view",
    "dte_bucket",
    "is_opex",
    "is_triple_witching",
    "line_in_the_sand",
    "parse_weights",
    "peaks",
    "sheet_view",
    "term_structure_view",
]

WIRE_METRICS: Final = ("gex", "dex", "vex", "chex")
"""The metrics of the vendor's sheet, term structure and basket."""
INT_MAX: Final = 2_147_483_647
DTE_BUCKETS: Final = (
    ("0-7d", 0, 7),
    ("8-30d", 8, 30),
    ("31-60d", 31, 60),
    ("61-180d", 61, 180),
    ("180d+", 181, INT_MAX),
)
"""(name, first day, last day) of each DTE bucket, both ends included."""
PEAK_STRENGTH: Final = 0.1
"""Smallest ``|net_gex| / max |net_gex|`` of a listed peak."""


# -- calendar -------------------------------------------------------------------------------
@functools.cache
def _sessions() -> frozenset[date]:
    return frozenset(session_table().days.astype(date).tolist())


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def is_opex(day: date) -> bool:
    """Whether ``day`` is its month's standard (monthly) expiration: the third Friday, or the
    last session before it when that Friday is an exchange holiday."""
    friday = _third_friday(day.year, day.month)
    if day == friday:
        return True
    if not CALENDAR_RANGE[0] <= friday <= CALENDAR_RANGE[1]:
        return False
    sessions = _sessions()
    if friday in sessions or day > friday:
        return False
    probe = friday - timedelta(days=1)
    while probe not in sessions and probe > day:
        probe -= timedelta(days=1)
    return probe == day and day in sessions


def is_triple_witching(day: date) -> bool:
    """A monthly expiration in March, June, September or December."""
    return day.month % 3 == 0 and is_opex(day)


def dte_bucket(dte: int) -> tuple[str, int, int]:
    """The bucket of :data:`DTE_BUCKETS` holding ``dte`` (negative counts as 0)."""
    for bucket in DTE_BUCKETS:
        if bucket[1] <= max(dte, 0) <= bucket[2]:
            return bucket
    return DTE_BUCKETS[-1]


# -- sheet ----------------------------------------------------------------------------------
def _nearest(strikes: np.ndarray, candidates: np.ndarray, spot: float) -> float:
    """Among ``strikes[candidates]``: nearest spot, then the lower strike."""
    tied = strikes[candidates]
    distance = np.abs(tied - spot)
    return float(tied[distance == distance.min()].min())


def line_in_the_sand(
    strike: Sequence[float], net_gex: Sequence[float], spot: float
) -> float | None:
    """The strike of the largest ``|d²(net_gex)/dK²|`` (module docstring), or None."""
    k = np.asarray(strike, dtype=np.float64)
    g = np.nan_to_num(np.asarray(net_gex, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if k.size < 3:
        return None
    left = np.diff(g[:-1]) / np.diff(k[:-1])
    right = np.diff(g[1:]) / np.diff(k[1:])
    with np.errstate(all="ignore"):
        second = np.abs(2.0 * (right - left) / (k[2:] - k[:-2]))
    second = np.where(np.isfinite(second), second, 0.0)
    top = second.max()
    if not top > 0.0:
        return None
    return _nearest(k[1:-1], second == top, spot)


def peaks(strike: Sequence[float], net_gex: Sequence[float]) -> list[dict[str, Any]]:
    """Local maxima of ``|net_gex|`` with strength >= :data:`PEAK_STRENGTH`, strongest first
    (module docstring)."""
    k = np.asarray(strike, dtype=np.float64)
    g = np.nan_to_num(np.asarray(net_gex, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    size = np.abs(g)
    if size.size == 0 or not size.max() > 0.0:
        return []
    below = np.concatenate(([-np.inf], size[:-1]))
    above = np.concatenate((size[1:], [-np.inf]))
    strength = size / size.max()
    chosen = np.flatnonzero((size > below) & (size >= above) & (strength >= PEAK_STRENGTH))
    order = sorted(chosen.tolist(), key=lambda i: (-strength[i], k[i]))
    return [
        {"strike": finite(k[i]), "net_gex": finite(g[i]), "strength": finite(strength[i]),
         "side": "call_wall" if g[i] >= 0.0 else "put_wall"}
        for i in order
    ]  # fmt: skip


def _sums(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys ascending, the sum of ``values`` per key), summed in row order — the
    same bits on every run (a parallel group-by may add in any order)."""
    grid, where = np.unique(keys, return_inverse=True)
    return grid, np.bincount(where, weights=values, minlength=grid.size)


def _analysed(a: Analysis) -> pl.DataFrame:
    """The priced contracts behind the analysis's numbers (its expiration and min_oi)."""
    return restrict(a.priced.contracts, a.options)


def sheet_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/exposure/sheet/{symbol}``: every wire metric per strike with DAG and open
    interest, the chain totals, the line in the sand, the gamma peaks and the OPEX flags.
    ``a`` must carry its priced contracts (an :func:`engine.analyze` result)."""
    contracts = _analysed(a)
    per_contract = np.abs(contracts["delta"].to_numpy()) * contracts["gex"].to_numpy()
    grid, per_strike = _sums(contracts["strike"].to_numpy(), per_contract)
    dag = pl.DataFrame({"strike": grid.astype(np.float64), "dag": per_strike})
    columns = ["strike"]
    for name in WIRE_METRICS:
        columns += [f"call_{name}", f"put_{name}", f"net_{name}"]
    table = a.strikes.select([*columns, "call_oi", "put_oi"]).join(dag, on="strike", how="left")
    strikes = rows(table, [*columns, "dag", "call_oi", "put_oi"])
    strike = [row["strike"] for row in strikes]
    net = [row["net_gex"] for row in strikes]
    lis = line_in_the_sand(strike, [v if v is not None else 0.0 for v in net], a.underlying_price)
    day = a.options.expiration
    return {
        **head(a),
        "expiration": iso_date(day),
        "is_opex": None if day is None else is_opex(day),
        "is_triple_witching": None if day is None else is_triple_witching(day),
        "totals": {
            **{f"net_{m}": finite(a.exposures[f"net_{m}"]) for m in WIRE_METRICS},
            "net_dag": finite(math.fsum(per_contract.tolist())),
        },
        "lis": None if lis is None else {"strike": lis, "magnitude": 1.0},
        "peaks": peaks(strike, [v if v is not None else 0.0 for v in net]),
        "strikes": strikes,
        **tail(a),
    }


# -- term structure -------------------------------------------------------------------------
def _share(part: float | None, whole: float) -> float | None:
    if part is None or not whole > 0.0:
        return None
    return finite(abs(part) / whole * 100.0)


def term_structure_view(
    a: Analysis, per_expiry: Mapping[date, Mapping[str, float]] | None = None
) -> dict[str, Any]:
    """``GET /v1/exposure/term-structure/{symbol}``: net exposures per expiry and per DTE
    bucket. The per-expiry numbers are the sums of the analysed contracts' exposures (what
    ``?expiration=`` of each endpoint answers under the native preset), or ``per_expiry``
    (expiration -> ``{net_gex, ...}``) where a preset computes its own (the route passes the
    analysis of each expiry). ``a`` must carry its priced contracts."""
    contracts = _analysed(a)
    days = contracts["expiration"].to_physical().to_numpy()
    grid, counts_per_day = _sums(days, np.ones(days.size))
    sums = {m: _sums(days, contracts[m].to_numpy())[1] for m in WIRE_METRICS}
    today = new_york_date(a.as_of)
    expiries: list[dict[str, Any]] = []
    counts: list[int] = []
    for i, number in enumerate(grid.tolist()):
        day = date(1970, 1, 1) + timedelta(days=int(number))
        own = {f"net_{m}": float(sums[m][i]) for m in WIRE_METRICS}
        numbers = per_expiry.get(day, own) if per_expiry is not None else own
        expiries.append({
            "expiration": iso_date(day),
            "dte": (day - today).days,
            "is_opex": is_opex(day),
            "is_triple_witching": is_triple_witching(day),
            **{f"net_{m}": finite(numbers[f"net_{m}"]) for m in WIRE_METRICS},
        })  # fmt: skip
        counts.append(int(counts_per_day[i]))
    whole = math.fsum(abs(e["net_gex"]) for e in expiries if e["net_gex"] is not None)
    for expiry in expiries:
        expiry["pct_of_chain_gex"] = _share(expiry["net_gex"], whole)
    buckets = []
    for name, first, last in DTE_BUCKETS:
        members = [
            (e, n) for e, n in zip(expiries, counts, strict=True) if dte_bucket(e["dte"])[0] == name
        ]
        if not members:
            continue
        buckets.append({
            "bucket": name,
            "dte_range": [first, last],
            **{f"net_{m}": finite(math.fsum(e[f"net_{m}"] or 0.0 for e, _ in members))
               for m in WIRE_METRICS},
            "contract_count": sum(n for _, n in members),
        })  # fmt: skip
    return {**head(a), "by_dte_bucket": buckets, "by_expiry": expiries, **tail(a)}


# -- basket ---------------------------------------------------------------------------------
def parse_weights(raw: str | None, symbols: Sequence[str]) -> dict[str, float]:
    """``weights=`` paired with the ``symbols=`` as given (``symbols`` upper-cased, in order,
    repeats included) -> symbol -> weight, the weights of a repeated symbol added up;
    without ``weights`` each distinct symbol weighs 1. A count that differs from the
    symbols', or a weight that is not a finite number >= 0, is 400 ``invalid_weights``."""
    if raw is None:
        return dict.fromkeys(symbols, 1.0)
    parts = raw.split(",")
    if len(parts) != len(symbols):
        raise ApiError(400, "invalid_weights",
                       f"weights has {len(parts)} values for {len(symbols)} symbols.")  # fmt: skip
    weights: dict[str, float] = {}
    for symbol, text in zip(symbols, parts, strict=True):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0.0:
            raise ApiError(400, "invalid_weights",
                           f"weights must be finite numbers >= 0, not {text[:32]!r}.")  # fmt: skip
        weights[symbol] = weights.get(symbol, 0.0) + value
    return weights


def basket_view(
    analyses: Sequence[tuple[Analysis, float]],
    missing: Sequence[str] = (),
    errors: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """``GET /v1/exposure/basket``: ``analyses`` are (analysis, weight as asked) of the
    symbols that have data, in the order asked; ``missing`` the symbols dropped and
    ``errors`` why (**extra**: ``{symbol, error, message}``). Weights are renormalised over
    ``analyses``; a total weight of 0 is 400 ``invalid_weights``."""
    total = math.fsum(w for _, w in analyses)
    if not total > 0.0:
        raise ApiError(400, "invalid_weights",
                       "the weights of the symbols with data add up to 0.")  # fmt: skip
    members = [(a, w / total) for a, w in analyses]
    weighted = [abs(w * a.exposures["net_gex"]) for a, w in members]
    whole = math.fsum(x for x in weighted if math.isfinite(x))
    constituents = []
    for (a, w), size in zip(members, weighted, strict=True):
        net = {f"net_{m}": finite(a.exposures[f"net_{m}"]) for m in WIRE_METRICS}
        gex = net["net_gex"]
        constituents.append({
            "symbol": a.symbol,
            "weight": finite(w),
            "underlying_price": finite(a.underlying_price),
            **net,
            "contribution_pct": _share(size, whole),
            "regime": None if gex is None else ("positive_gamma" if gex >= 0 else "negative_gamma"),
            "as_of": iso_utc(a.as_of),
        })  # fmt: skip
    aggregate = {
        f"net_{m}": finite(math.fsum(w * a.exposures[f"net_{m}"] for a, w in members))
        for m in WIRE_METRICS
    }
    qualities = [tail(a)["data_quality"] for a, _ in members]
    sums: dict[str, dict[str, int]] = {}
    for part in ("excluded", "filtered_out", "iv_sources", "preset_excluded"):
        counts: dict[str, int] = {}
        for quality in qualities:
            for reason, n in quality[part].items():
                counts[reason] = counts.get(reason, 0) + int(n)
        sums[part] = counts
    return {
        "as_of": max(c["as_of"] for c in constituents),
        "dealer_model": members[0][0].options.dealer_model,
        "constituent_count": len(constituents),
        "missing_symbols": list(missing),
        "aggregate": aggregate,
        "constituents": constituents,
        "errors": [dict(e) for e in errors],
        "data_quality": {
            "contracts_used": sum(q["contracts_used"] for q in qualities),
            **sums,
            "contracts_per_expiry": {},
            "warnings": [
                f"{a.symbol}: {w}"
                for (a, _), q in zip(members, qualities, strict=True)
                for w in q["warnings"]
            ],
        },
    }
