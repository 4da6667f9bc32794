"""Intraday open interest from the classified trades: the ``vendor`` and ``net`` rules.

A public tape has no open/close flag, so the share of a day's volume that opened new
positions is a statistical guess, ``confidence`` (default 0.43). Per contract, with ``B`` and
``S`` the contracts customers bought and sold today (:class:`engine.flow.state.FlowState`):

- ``vendor`` (the default; the vendor's documented rule): every classified trade adds
  ``confidence × size`` contracts of new open interest, buys and sells alike —
  ``intraday_oi_delta = confidence · (B + S)``, never negative;
- ``net``: ``intraday_oi_delta = confidence · (B − S)`` (``= confidence · customer_net``).

Then ``simulated_oi = official_oi + intraday_oi_delta`` (unclamped) and
``effective_oi = max(0, simulated_oi)``, the OI the live analytics use. Unclassified prints
(at the midpoint, or without a valid quote) add nothing under either rule. ``customer_net =
B − S`` (contracts) is what the ``flow`` dealer model subtracts from the settled street
position. The deltas are computed from the integer counters, so they do not depend on how
the tape was split into batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.errors import ConfigurationError
from engine.flow import _backend
from engine.flow._math import PC_MAX
from engine.flow.classify import TradeCounts
from engine.flow.state import FlowState
from engine.typing import FloatArray, IntArray

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_RULE",
    "RULES",
    "FlowEstimate",
    "FlowTotals",
    "OiRule",
    "check_rule",
    "estimate",
]

OiRule: TypeAlias = Literal["vendor", "net"]
RULES: Final = ("vendor", "net")
DEFAULT_RULE: Final[OiRule] = "vendor"
DEFAULT_CONFIDENCE: Final = 0.43


def check_rule(rule: str, confidence: float) -> tuple[OiRule, float]:
    """The rule and confidence, validated (``ConfigurationError``: an unknown rule, or a
    confidence outside (0, 1])."""
    name: OiRule
    if rule == "vendor":
        name = "vendor"
    elif rule == "net":
        name = "net"
    else:
        raise ConfigurationError(f"unknown OI rule {rule!r}; expected one of {list(RULES)}")
    if isinstance(confidence, bool):
        raise ConfigurationError("confidence must be a number in (0, 1]")
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"confidence must be a number in (0, 1], got {confidence!r}"
        ) from None
    if not 0.0 < c <= 1.0:  # NaN fails too
        raise ConfigurationError(f"confidence must be in (0, 1], got {confidence!r}")
    return name, c


class FlowTotals(NamedTuple):
    """Aggregates over the chain (or a subset of its contracts).

    Identities: ``intraday_oi_delta = Σ delta`` (never ``effective − official``),
    ``simulated_oi = official_oi + intraday_oi_delta`` (up to float rounding),
    ``total_abs_delta_contracts = Σ |effective − official|``, ``contracts_with_flow =
    #(delta ≠ 0)``, ``customer_net_volume = customer_buy_volume − customer_sell_volume``.
    ``classified_share`` = classified / counted volume (``None`` with no volume) — a
    measure of tape coverage. Volumes are contracts, ``*_trades`` are prints.
    """

    contracts_total: int
    contracts_with_flow: int
    contracts_with_trades: int
    official_oi: int
    simulated_oi: float
    effective_oi: float
    intraday_oi_delta: float
    total_abs_delta_contracts: float
    customer_buy_volume: int
    customer_sell_volume: int
    customer_net_volume: int
    unclassified_volume: int
    customer_buy_trades: int
    customer_sell_trades: int
    unclassified_trades: int
    largest_print: int
    classified_share: float | None


@dataclass(frozen=True, eq=False)
class FlowEstimate:
    """Per-contract intraday OI under one rule (arrays in the order of ``contracts``).

    ``counts`` are the trade outcomes of the whole tape (they include trades of no
    contract, so they are not restricted by :meth:`totals`' mask).
    """

    rule: OiRule
    confidence: float
    state: FlowState
    intraday_oi_delta: FloatArray
    simulated_oi: FloatArray
    effective_oi: FloatArray

    @property
    def contracts(self) -> pl.Series:
        return self.state.contracts

    @property
    def official_oi(self) -> IntArray:
        return self.state.official_oi

    @property
    def customer_buys(self) -> IntArray:
        return self.state.customer_buys

    @property
    def customer_sells(self) -> IntArray:
        return self.state.customer_sells

    @property
    def customer_net(self) -> IntArray:
        """``customer_buys − customer_sells`` per contract."""
        return self.state.customer_net

    @property
    def unclassified_volume(self) -> IntArray:
        return self.state.unclassified_volume

    @property
    def counts(self) -> TradeCounts:
        return self.state.counts

    @property
    def last_timestamp(self) -> int | None:
        """Largest trade timestamp fed (µs since the epoch, UTC), ``None`` before any."""
        return self.state.last_timestamp

    def totals(self, mask: npt.ArrayLike | None = None) -> FlowTotals:
        """Aggregates over every contract, or those where the boolean ``mask`` is True
        (e.g. one expiration)."""
        pc = self.state.per_contract
        delta, sim, eff = self.intraday_oi_delta, self.simulated_oi, self.effective_oi
        official = self.state.official_oi
        if mask is not None:
            m = np.asarray(mask, dtype=np.bool_)
            if m.shape != delta.shape:
                raise ValueError(f"mask has shape {m.shape}, expected {delta.shape}")
            pc, delta, sim, eff, official = pc[m], delta[m], sim[m], eff[m], official[m]
        sums = [int(x) for x in pc.sum(axis=0)]
        buy, sell, mid = sums[0], sums[1], sums[2]
        volume = buy + sell + mid
        return FlowTotals(
            contracts_total=int(delta.shape[0]),
            contracts_with_flow=int(np.count_nonzero(delta)),
            contracts_with_trades=int(np.count_nonzero(pc[:, 3:6].sum(axis=1))),
            official_oi=int(official.sum()),
            simulated_oi=float(sim.sum()),
            effective_oi=float(eff.sum()),
            intraday_oi_delta=float(delta.sum()),
            total_abs_delta_contracts=float(np.abs(eff - official).sum()),
            customer_buy_volume=buy,
            customer_sell_volume=sell,
            customer_net_volume=buy - sell,
            unclassified_volume=mid,
            customer_buy_trades=sums[3],
            customer_sell_trades=sums[4],
            unclassified_trades=sums[5],
            largest_print=int(pc[:, PC_MAX].max()) if pc.shape[0] else 0,
            classified_share=(buy + sell) / volume if volume else None,
        )


def estimate(
    state: FlowState, *, rule: str = DEFAULT_RULE, confidence: float = DEFAULT_CONFIDENCE
) -> FlowEstimate:
    """Per-contract intraday OI delta, simulated and effective OI of ``state`` under ``rule``."""
    name, c = check_rule(rule, confidence)
    n = len(state)
    delta = np.empty(n)
    simulated = np.empty(n)
    effective = np.empty(n)
    if n:
        _backend.estimate(
            state.official_oi,
            np.ascontiguousarray(state.customer_buys),
            np.ascontiguousarray(state.customer_sells),
            c,
            name == "net",
            delta,
            simulated,
            effective,
        )
    for a in (delta, simulated, effective):
        a.setflags(write=False)
    return FlowEstimate(name, c, state, delta, simulated, effective)
