"""Synthetic contract populations shared by the benchmarks (deterministic by seed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.typing import BoolArray, FloatArray

__all__ = ["Contracts", "realistic_contracts"]

MINUTE_YEARS = 60.0 / (365.0 * 86400.0)


@dataclass(frozen=True)
class Contracts:
    spot: FloatArray
    strike: FloatArray
    t: FloatArray
    rate: FloatArray
    carry: FloatArray
    vol: FloatArray
    is_call: BoolArray

    @property
    def size(self) -> int:
        return int(self.spot.shape[0])


def realistic_contracts(n: int, seed: int = 7, spot: float = 5000.0) -> Contracts:
    """Strikes lognormal around spot, T log-uniform 30 minutes to 2 years, vol 8–80 %, half calls."""
    rng = np.random.default_rng(seed)
    t = np.exp(rng.uniform(np.log(30 * MINUTE_YEARS), np.log(2.0), n))
    strike = spot * np.exp(rng.normal(0.0, 0.12, n) * np.sqrt(np.maximum(t, 0.02)) * 2.0)
    rate = np.full(n, 0.045)
    return Contracts(
        spot=np.full(n, spot),
        strike=np.round(strike / 5.0) * 5.0,
        t=t,
        rate=rate,
        carry=rate - 0.013,
        vol=rng.uniform(0.08, 0.80, n),
        is_call=rng.random(n) < 0.5,
    )
