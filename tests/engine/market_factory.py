"""Build small markets (one frame, per-underlying offsets and headers) for market tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from engine.analysis.market import MarketAnalysis
from engine.analysis.single import Analysis
from engine.chain import ChainSnapshot
from engine.exposure.metrics import METRICS
from tests.engine import chain_factory as cf


@dataclass(frozen=True)
class Market:
    """The arguments of :func:`analyze_market`, and one snapshot per underlying."""

    frame: pl.DataFrame
    offsets: np.ndarray
    symbols: tuple[str, ...]
    spots: np.ndarray
    div_yields: np.ndarray
    as_of: datetime
    rate: float

    def args(self) -> tuple[Any, ...]:
        return (
            self.frame,
            self.offsets,
            self.symbols,
            self.spots,
            self.div_yields,
            self.as_of,
            self.rate,
        )

    def snapshot(self, i: int) -> ChainSnapshot:
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return ChainSnapshot(
            underlying=self.symbols[i],
            as_of=self.as_of,
            spot=float(self.spots[i]),
            source="test",
            frame=self.frame.slice(a, b - a),
            rate=self.rate,
            div_yield=float(self.div_yields[i]),
        )

    def __len__(self) -> int:
        return len(self.symbols)


def sub_market(m: Any, picks: list[int]) -> Market:
    """The underlyings ``picks`` of a demo ``MarketFrame``, as a market of their own."""
    parts = [m.frame.slice(int(m.offsets[i]), int(m.offsets[i + 1] - m.offsets[i])) for i in picks]
    heights = [p.height for p in parts]
    return Market(
        frame=pl.concat(parts),
        offsets=np.concatenate([[0], np.cumsum(heights)]).astype(np.int64),
        symbols=tuple(m.symbols[i] for i in picks),
        spots=np.asarray(m.spots)[picks],
        div_yields=np.asarray(m.div_yields)[picks],
        as_of=m.as_of,
        rate=m.rate,
    )


def market_of(chains: list[tuple[str, float, float, pl.DataFrame]], rate: float = 0.05) -> Market:
    """A market from (symbol, spot, div_yield, frame) chains."""
    heights = [f.height for *_, f in chains]
    return Market(
        frame=pl.concat([f for *_, f in chains]),
        offsets=np.concatenate([[0], np.cumsum(heights)]).astype(np.int64),
        symbols=tuple(c[0] for c in chains),
        spots=np.array([c[1] for c in chains], dtype=np.float64),
        div_yields=np.array([c[2] for c in chains], dtype=np.float64),
        as_of=cf.AS_OF,
        rate=rate,
    )


def rows(res: MarketAnalysis) -> Iterator[dict[str, Any]]:
    return res.frame.iter_rows(named=True)


def crossings_of(res: MarketAnalysis, i: int) -> np.ndarray:
    return res.crossings.filter(pl.col("underlying") == i)["level"].to_numpy()


def assert_matches(res: MarketAnalysis, singles: list[Analysis], rtol: float = 1e-9) -> None:
    """Every per-underlying number of ``res`` equals the single-chain analysis."""
    for i, (row, a) in enumerate(zip(rows(res), singles, strict=True)):
        spot = a.underlying_price
        assert row["symbol"] == a.symbol and row["status"] == "ok"
        assert row["spot"] == spot
        for name in (m.net for m in METRICS):
            # relative to the value; a rounding floor relative to the gross for cancellations
            gross = float(a.priced.contracts[name.removeprefix("net_")].abs().sum())
            want = a.exposures[name]
            assert row[name] == pytest.approx(want, rel=rtol, abs=1e-13 * gross), (i, name)
        assert row["regime"] == a.regime, i
        assert row["gamma_flip_status"] == a.gamma_flip_status, i
        assert row["n_crossings"] == len(a.crossings), i
        np.testing.assert_allclose(crossings_of(res, i), a.crossings, rtol=0, atol=1e-6 * spot)
        if a.gamma_flip is None:
            assert row["gamma_flip"] is None
        else:
            assert abs(row["gamma_flip"] - a.gamma_flip) <= 1e-6 * spot, i
        assert row["call_wall"] == a.levels.call_wall, i
        assert row["put_wall"] == a.levels.put_wall, i
        scale = max(abs(a.exposures["net_gex"]), abs(a.zero_dte.net_gex))
        assert abs(row["zero_dte_net_gex"] - a.zero_dte.net_gex) <= rtol * scale, i
        if a.zero_dte.pct_of_total_gex is None:
            assert row["zero_dte_pct"] is None
        else:
            assert row["zero_dte_pct"] == pytest.approx(
                a.zero_dte.pct_of_total_gex, rel=1e-9, abs=1e-9
            )
        quality = a.data_quality
        assert row["contracts_used"] == quality["contracts_used"], i
        assert row["contracts_excluded"] == sum(quality["excluded"].values()), i  # type: ignore[attr-defined]
        mine = res.excluded.filter(pl.col("underlying") == i)
        assert dict(zip(mine["reason"], mine["count"], strict=True)) == dict(quality["excluded"]), i  # type: ignore[call-overload]


# --- equality with engine.analyze -----------------------------------------------------


def sub_result(res: MarketAnalysis, picks: list[int]) -> MarketAnalysis:
    """The rows ``picks`` of a result, renumbered as their own market."""
    remap = {old: new for new, old in enumerate(picks)}

    def take(frame: pl.DataFrame) -> pl.DataFrame:
        kept = frame.filter(pl.col("underlying").is_in(picks))
        return kept.with_columns(pl.col("underlying").replace_strict(remap))

    return MarketAnalysis(
        as_of=res.as_of,
        frame=res.frame[picks],
        strikes=take(res.strikes),
        crossings=take(res.crossings),
        excluded=take(res.excluded),
        iv_sources=take(res.iv_sources),
        timings=res.timings,
    )
