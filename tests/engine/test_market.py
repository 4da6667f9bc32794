"""Whole-market analysis: every per-underlying number equals ``engine.analyze`` on that
underlying alone; quarantine and header errors per underlying; kernels agree with their twins."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from data_adapters import get_source
from engine._jit import PURE_PYTHON_ENV, set_threads
from engine.analysis import Analysis, analyze
from engine.chain import ChainSnapshot, validate
from engine.errors import (
    ConfigurationError,
    EmptySnapshotError,
    InvalidHeaderError,
    InvalidSpotError,
)
from engine.market import STAGES, SUMMARY_COLUMNS, MarketAnalysis, analyze_market
from engine.market_kernels import (
    pick_strikes_kernel,
    pick_strikes_twin,
    segment_profile_kernel,
    segment_profile_twin,
    strike_sums_kernel,
    strike_sums_twin,
    work_items,
)
from engine.market_pricing import _fill_smile, price_market, strike_segments
from engine.market_pricing_kernels import (
    best_quotes_kernel,
    best_quotes_twin,
    interpolate_gaps_kernel,
    interpolate_gaps_twin,
    parity_medians_kernel,
    parity_medians_twin,
    segment_max_kernel,
    segment_max_twin,
)
from engine.market_rows import market_rows
from engine.market_segments import (
    argsort_within,
    argsort_within_kernel,
    argsort_within_twin,
    duplicated_within_kernel,
    duplicated_within_twin,
)
from engine.pricing import price_validated
from engine.smile import fill_smile
from tests.engine import chain_factory as cf

AS_OF = datetime(2024, 3, 15, 15, 0, tzinfo=UTC)  # third Friday, 11:00 New York: 0DTE + expired
SIZE = 700  # named symbols, then synthetic stocks of all three listing tiers


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


@pytest.fixture(scope="module")
def demo() -> Any:
    return get_source("demo", universe="market", market_size=SIZE).market(AS_OF)


@pytest.fixture(scope="module")
def market(demo: Any) -> Market:
    # named chains; synthetic stocks with negative gamma, several crossings, no crossing;
    # small chains of the last listing tier
    picks = [*range(14), 22, 35, 52, 66, 84, 233, 416, 676, 677, 697, 698, 699]
    return sub_market(demo, picks)


@pytest.fixture(scope="module")
def result(market: Market) -> MarketAnalysis:
    return analyze_market(*market.args())


@pytest.fixture(scope="module")
def singles(market: Market) -> list[Analysis]:
    return [analyze(market.snapshot(i)) for i in range(len(market))]


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
        for name in ("net_gex", "net_dex", "net_vex", "net_chex"):
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


def test_every_underlying_matches_analyze(result: MarketAnalysis, singles: list[Analysis]) -> None:
    assert result.frame.columns == list(SUMMARY_COLUMNS)
    assert result.frame.height == len(singles)
    assert_matches(result, singles)
    statuses = set(result.frame["gamma_flip_status"])
    regimes = set(result.frame["regime"])
    assert statuses == {"available", "no_boundary"}
    assert regimes == {"positive_gamma", "negative_gamma"}
    assert result.frame["n_crossings"].max() >= 3  # type: ignore[operator]
    assert (result.frame["zero_dte_net_gex"] != 0).any()  # the fixture has 0DTE contracts


def test_strike_tables_match(result: MarketAnalysis, singles: list[Analysis]) -> None:
    for i, a in enumerate(singles):
        mine = result.strikes.filter(pl.col("underlying") == i)
        theirs = a.strikes
        np.testing.assert_array_equal(mine["strike"].to_numpy(), theirs["strike"].to_numpy())
        for col in ("call_gex", "put_gex", "net_gex", "net_dex", "net_vex", "net_chex"):
            want = theirs[col].to_numpy()
            got = mine[col].to_numpy()
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max())


def test_priced_contracts_match_engine_pricing(market: Market) -> None:
    """t, forward, carry and the filled IV of every contract equal ``engine.pricing``."""
    r = market_rows(*market.args())
    p = price_market(r, market.spots, market.div_yields, market.as_of, market.rate)
    contract = market.frame["contract"].to_numpy()[r.rows[p.keep]]
    for i in range(len(market)):
        priced = price_validated(validate(market.snapshot(i))).contracts
        sel = p.uid == i
        mine = pl.DataFrame(
            {"contract": contract[sel], "t": p.t[sel], "forward": p.forward[sel],
             "carry": p.carry[sel], "iv": p.iv[sel]}
        )  # fmt: skip
        joined = priced.select("contract", "t", "forward", "carry", "iv").join(
            mine, on="contract", how="full", suffix="_m"
        )
        assert joined.height == priced.height == mine.height, i
        for col in ("t", "forward", "carry", "iv"):
            np.testing.assert_allclose(
                joined[f"{col}_m"].to_numpy(), joined[col].to_numpy(), rtol=1e-14, atol=0
            )


@pytest.mark.parametrize(
    ("dealer_model", "forward"), [("short_all", "implied"), ("street", "carry")]
)
def test_other_settings_match(market: Market, dealer_model: str, forward: str) -> None:
    picks = [0, 5, 12, 14, 20, 25]
    res = analyze_market(*market.args(), dealer_model=dealer_model, forward=forward)
    kw = {"dealer_model": dealer_model, "forward": forward}
    singles = [analyze(market.snapshot(i), **kw) for i in picks]
    for i, a in zip(picks, singles, strict=True):
        row = res.frame.row(i, named=True)
        assert row["net_gex"] == pytest.approx(a.exposures["net_gex"], rel=1e-9)
        assert row["net_dex"] == pytest.approx(a.exposures["net_dex"], rel=1e-9)
        assert row["regime"] == a.regime
        assert (row["gamma_flip"] is None) == (a.gamma_flip is None)
        if a.gamma_flip is not None:
            assert abs(row["gamma_flip"] - a.gamma_flip) <= 1e-6 * a.underlying_price
        assert (row["call_wall"], row["put_wall"]) == (a.levels.call_wall, a.levels.put_wall)


def test_grid_options_match(market: Market) -> None:
    sub = sub_market(market, [1, 15, 22])
    kw = {"grid_points": 61, "grid_widths": (0.05, 0.12)}
    res = analyze_market(*sub.args(), **kw)  # type: ignore[arg-type]
    assert_matches(res, [analyze(sub.snapshot(i), **kw) for i in range(len(sub))])  # type: ignore[arg-type]


def test_threads_do_not_change_results(market: Market, result: MarketAnalysis) -> None:
    all_threads = set_threads(None)
    try:
        set_threads(1)
        one = analyze_market(*market.args())
    finally:
        set_threads(all_threads)
    assert one.frame.equals(result.frame)
    assert one.crossings.equals(result.crossings)
    assert one.strikes.equals(result.strikes)


def test_timings_cover_every_stage(result: MarketAnalysis) -> None:
    assert tuple(result.timings) == STAGES
    assert all(v >= 0.0 for v in result.timings.values())
    assert result.seconds == pytest.approx(sum(result.timings.values()))
    assert result.row("spx")["symbol"] == "SPX"
    with pytest.raises(KeyError):
        result.row("NOPE")


# --- small hand-made markets ---------------------------------------------------------


def call_only_chain(root: str, spot: float) -> pl.DataFrame:
    """Calls only: street GEX is positive at every level, so the profile never crosses zero."""
    rows = [
        cf.row(
            contract=f"{root}240119C{int(k * 1000):08d}", root=root, strike=k, is_call=True,
            underlying_price=spot, style="american", iv=0.2 + 0.001 * j, bid=1.0, ask=1.1,
        )
        for j, k in enumerate(np.arange(0.8 * spot, 1.2 * spot + 1e-9, 0.05 * spot))
    ]  # fmt: skip
    return cf.frame(rows)


def two_sided_chain(root: str, spot: float, **overrides: Any) -> list[dict[str, Any]]:
    out = []
    for j, k in enumerate(np.arange(0.85 * spot, 1.15 * spot + 1e-9, 0.05 * spot)):
        for call in (True, False):
            right = "C" if call else "P"
            intrinsic = max(0.0, (spot - k) if call else (k - spot))
            fields = {
                "contract": f"{root}240119{right}{int(k * 1000):08d}", "root": root,
                "strike": k, "is_call": call, "underlying_price": spot, "style": "american",
                "iv": 0.25, "bid": intrinsic + 1.0, "ask": intrinsic + 1.2,
                "open_interest": 100 + 37 * j + (50 if call else 0),
            }  # fmt: skip
            out.append(cf.row(**{**fields, **overrides})
            )  # fmt: skip
    return out


def test_no_sign_change_reports_no_boundary() -> None:
    m = market_of([("CALLS", 100.0, 0.0, call_only_chain("CALLS", 100.0))])
    res = analyze_market(*m.args())
    row = res.frame.row(0, named=True)
    a = analyze(m.snapshot(0))
    assert a.gamma_flip_status == "no_boundary" and a.gamma_flip is None
    assert row["gamma_flip_status"] == "no_boundary"
    assert row["gamma_flip"] is None and row["n_crossings"] == 0
    assert row["regime"] == a.regime == "positive_gamma"
    assert res.crossings.height == 0
    assert_matches(res, [a])


def test_quarantine_and_header_errors_per_underlying() -> None:
    good = two_sided_chain("AAA", 100.0)
    dup_across = two_sided_chain("BBB", 100.0)  # ids of its own ...
    dup_across[0]["contract"] = good[0]["contract"]  # ... but one equals AAA's: not a duplicate
    bad = two_sided_chain("CCC", 50.0)
    bad[1]["contract"] = bad[0]["contract"]  # duplicate within the chain
    bad[2]["strike"] = -5.0
    bad[3]["bid"], bad[3]["ask"], bad[3]["iv"] = 2.0, 1.0, float("nan")  # crossed, no IV
    bad[4]["bid"], bad[4]["ask"] = 2.0, 1.0  # crossed but with IV: kept
    bad[5]["model"] = "heston"
    bad[6]["contract"] = None
    bad[7]["last"] = -1.0
    bad[8]["open_interest"] = None
    bad[9]["expiration"] = date(2024, 1, 4)  # settled yesterday: expired
    bad[10]["contract"] = bad[9]["contract"]  # duplicate of an expired row: duplicate first
    no_iv = two_sided_chain("DDD", 80.0, iv=float("nan"), bid=0.0, ask=0.5)
    quarantined = two_sided_chain("EEE", 80.0, multiplier=0.0)
    frames = {
        "AAA": cf.frame(good), "BBB": cf.frame(dup_across),
        "CCC": cf.frame(bad),
        "DDD": cf.frame(no_iv), "EEE": cf.frame(quarantined),
    }  # fmt: skip
    chains = [
        ("AAA", 100.0, 0.01, frames["AAA"]),
        ("BBB", 100.0, 0.0, frames["BBB"]),
        ("CCC", 50.0, 0.02, frames["CCC"]),
        ("BADSPOT", float("nan"), 0.0, frames["AAA"]),
        ("BADDIV", 100.0, float("inf"), frames["AAA"]),
        ("", 100.0, 0.0, frames["AAA"]),
        ("EMPTY", 100.0, 0.0, cf.frame([])),
        ("DDD", 80.0, 0.0, frames["DDD"]),
        ("EEE", 80.0, 0.0, frames["EEE"]),
    ]
    m = market_of(chains)
    res = analyze_market(*m.args())
    status = res.frame["status"].to_list()
    assert status == [
        "ok", "ok", "ok", "invalid_spot", "invalid_header", "invalid_header", "empty", "no_iv", "empty",
    ]  # fmt: skip
    expected_errors = {
        3: InvalidSpotError, 4: InvalidHeaderError, 5: InvalidHeaderError,
        6: EmptySnapshotError, 7: EmptySnapshotError, 8: EmptySnapshotError,
    }  # fmt: skip
    for i, error in expected_errors.items():
        with pytest.raises(error):
            analyze(m.snapshot(i))
        row = res.frame.row(i, named=True)
        assert row["net_gex"] is None and row["regime"] is None and row["gamma_flip"] is None
        assert row["contracts_used"] == 0
        assert row["contracts_excluded"] == int(m.offsets[i + 1] - m.offsets[i])
    assert_matches(sub_result(res, [0, 1, 2]), [analyze(m.snapshot(i)) for i in range(3)])
    for i in (7, 8):
        theirs = {"invalid_multiplier": len(quarantined)} if i == 8 else {"no_iv": len(no_iv)}
        mine = res.excluded.filter(pl.col("underlying") == i)
        assert dict(zip(mine["reason"], mine["count"], strict=True)) == theirs
    ccc = res.excluded.filter(pl.col("symbol") == "CCC")
    assert dict(zip(ccc["reason"], ccc["count"], strict=True)) == validate(m.snapshot(2)).excluded
    assert set(ccc["reason"]) >= {
        "duplicate_contract",
        "invalid_strike",
        "crossed_quote",
        "expired",
    }


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
        timings=res.timings,
    )


def test_market_level_errors() -> None:
    m = market_of([("AAA", 100.0, 0.0, cf.frame(two_sided_chain("AAA", 100.0)))])
    args = list(m.args())
    for name, value in (
        ("dealer_model", "flow"),
        ("dealer_model", "nope"),
        ("forward", "nope"),
        ("grid_points", 1),
        ("grid_widths", (0.2, 1.5)),
        ("grid_widths", ()),
        ("tol", 0.0),
    ):
        with pytest.raises(ConfigurationError):
            analyze_market(*args, **{name: value})  # type: ignore[arg-type]
    naive = args.copy()
    naive[5] = datetime(2024, 1, 5, 15, 0)
    bad_offsets = args.copy()
    bad_offsets[1] = np.array([0, 3])
    bad_rate = args.copy()
    bad_rate[6] = math.inf
    short_spots = args.copy()
    short_spots[3] = np.array([])
    for broken in (naive, bad_offsets, bad_rate, short_spots):
        with pytest.raises(InvalidHeaderError):
            analyze_market(*broken)


# --- twins ---------------------------------------------------------------------------


def test_pure_python_twins_give_the_same_market(
    market: Market, result: MarketAnalysis, monkeypatch: pytest.MonkeyPatch
) -> None:
    picks = [21, 23, 25]  # small synthetic chains keep the pure-Python run short
    monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    twin = analyze_market(*sub_market(market, picks).args())
    monkeypatch.delenv(PURE_PYTHON_ENV)
    compiled = sub_result(result, picks)
    for a, b in zip(rows(twin), rows(compiled), strict=True):
        for name in ("net_gex", "net_dex", "net_vex", "net_chex", "zero_dte_net_gex"):
            assert a[name] == pytest.approx(b[name], rel=1e-12, abs=1e-300)
        assert (a["call_wall"], a["put_wall"], a["regime"]) == (
            b["call_wall"],
            b["put_wall"],
            b["regime"],
        )
        assert a["n_crossings"] == b["n_crossings"]
        if b["gamma_flip"] is not None:
            assert a["gamma_flip"] == pytest.approx(b["gamma_flip"], rel=1e-9)
    np.testing.assert_allclose(
        twin.crossings["level"].to_numpy(), compiled.crossings["level"].to_numpy(), rtol=1e-9
    )


def test_profile_kernel_matches_twin() -> None:
    rng = np.random.default_rng(3)
    n = 1500
    shift = rng.normal(0.0, 0.3, n)
    inv_vst = np.exp(rng.uniform(-1.0, 4.0, n))
    coef = rng.normal(0.0, 1e6, n)
    lo = np.array([0, 0, 700, 1500, 300], dtype=np.int64)  # overlapping, empty, > BLOCK
    hi = np.array([700, 5, 1500, 1500, 1300], dtype=np.int64)
    x = rng.uniform(0.6, 1.4, (5, 13))
    lnx = np.log(x)
    items = work_items(lo, hi)
    assert (items[2] - items[1] <= 256).all() and items[3][-1] == items[0].size
    out_k, out_t = np.zeros((5, 13)), np.zeros((5, 13))
    segment_profile_kernel(*items, lnx, x, shift, inv_vst, coef, out_k)
    segment_profile_twin(*items, lnx, x, shift, inv_vst, coef, out_t)
    gross = np.abs(coef).sum()
    np.testing.assert_allclose(out_k, out_t, rtol=0, atol=1e-14 * gross)
    assert (out_k[3] == 0).all()
    direct = x[0] * (
        coef[:700, None] * np.exp(-0.5 * ((lnx[0] + shift[:700, None]) * inv_vst[:700, None]) ** 2)
    ).sum(0)
    np.testing.assert_allclose(out_k[0], direct, rtol=0, atol=1e-13 * gross)


def test_level_and_sort_kernels_match_twins() -> None:
    rng = np.random.default_rng(5)
    n = 400
    starts = np.array([0, 10, 10, 150, 399], dtype=np.int64)
    stops = np.array([10, 10, 150, 399, 400], dtype=np.int64)
    strike = np.round(rng.uniform(90, 110, n))  # many equal strikes
    score = np.where(rng.random(n) < 0.2, 0.0, np.round(rng.normal(0, 3, n)))  # ties and zeros
    score[5] = np.nan
    spot = np.array([100.0, 100.0, 99.5, 104.0, 100.0])
    out_k, out_t = np.empty(5), np.empty(5)
    pick_strikes_kernel(starts, stops, strike, score, spot, out_k)
    pick_strikes_twin(starts, stops, strike, score, spot, out_t)
    np.testing.assert_array_equal(out_k, out_t)
    assert np.isnan(out_k[1])

    keys = rng.integers(0, 60, n)
    dk, dt = np.zeros(n, bool), np.zeros(n, bool)
    duplicated_within_kernel(starts, stops, keys, dk)
    duplicated_within_twin(starts, stops, keys, dt)
    np.testing.assert_array_equal(dk, dt)
    assert dk.any() and not dk.all()

    key_int = rng.integers(0, 4, n)
    pk, pt = np.arange(n), np.arange(n)
    argsort_within_kernel(starts, stops, key_int, strike, pk)
    argsort_within_twin(starts, stops, key_int, strike, pt)
    np.testing.assert_array_equal(pk, pt)
    pre = argsort_within(starts, stops, key_int[pk], strike[pk])
    np.testing.assert_array_equal(pre, np.arange(n))  # sorted input: identity
    constant = argsort_within(starts, stops, np.zeros(n, np.int64), strike)
    for a, b in zip(starts, stops, strict=True):
        np.testing.assert_array_equal(constant[a:b], a + np.argsort(strike[a:b], kind="stable"))

    bounds = np.append(np.flatnonzero(np.r_[True, np.diff(strike[pk]) != 0]), n).astype(np.int64)
    cols = [rng.normal(0, 1e5, n) for _ in range(4)]
    calls = rng.random(n) < 0.5
    sk, st = np.zeros((5, bounds.size - 1)), np.zeros((5, bounds.size - 1))
    strike_sums_kernel(bounds, pk, calls, *cols, sk)
    strike_sums_twin(bounds, pk, calls, *cols, st)
    np.testing.assert_allclose(sk, st, rtol=1e-15, atol=0)


def test_pricing_kernels_match_twins() -> None:
    rng = np.random.default_rng(9)
    n = 300
    perm = rng.permutation(n).astype(np.int64)
    bounds = np.unique(np.r_[0, rng.integers(0, n, 60), n]).astype(np.int64)
    calls = rng.random(n) < 0.5
    spread = np.where(rng.random(n) < 0.3, np.nan, np.round(rng.uniform(0.05, 0.5, n), 2))
    S = bounds.size - 1
    bk = (np.empty(S, np.int64), np.empty(S, np.int64))
    bt = (np.empty(S, np.int64), np.empty(S, np.int64))
    best_quotes_kernel(bounds, perm, calls, spread, *bk)
    best_quotes_twin(bounds, perm, calls, spread, *bt)
    np.testing.assert_array_equal(bk[0], bt[0])
    np.testing.assert_array_equal(bk[1], bt[1])

    values = np.where(rng.random(n) < 0.4, np.nan, rng.normal(0, 1, n))
    mk, mt = np.empty(S), np.empty(S)
    segment_max_kernel(bounds, perm, values, mk)
    segment_max_twin(bounds, perm, values, mt)
    np.testing.assert_array_equal(mk, mt)

    distance = np.round(rng.uniform(0, 3, n), 0)  # many ties
    forward = rng.normal(100, 1, n)
    for n_strikes, min_pairs in ((5, 2), (4, 1), (1, 1), (6, 3)):
        out_k, used_k = np.empty(S), np.empty(S, np.int64)
        out_t, used_t = np.empty(S), np.empty(S, np.int64)
        parity_medians_kernel(bounds, distance, forward, n_strikes, min_pairs, out_k, used_k)
        parity_medians_twin(bounds, distance, forward, n_strikes, min_pairs, out_t, used_t)
        np.testing.assert_array_equal(out_k, out_t)
        np.testing.assert_array_equal(used_k, used_t)

    knot_x = np.sort(rng.normal(0, 0.2, 40))
    knot_w = rng.uniform(0.01, 0.1, 40)
    lo = np.array([0, 0, 5, 5, 10, 10, 10, 39, 20, 20], dtype=np.int64)
    hi = np.array([0, 1, 15, 15, 30, 30, 30, 40, 25, 25], dtype=np.int64)
    x = np.array([0.0, 3.0, knot_x[9], knot_x[5], -5.0, 5.0, 0.01, 1.0, knot_x[22], knot_x[24]])
    wk, wt = np.empty(10), np.empty(10)
    ok, ot = np.empty(10, bool), np.empty(10, bool)
    interpolate_gaps_kernel(x, lo, hi, knot_x, knot_w, wk, ok)
    interpolate_gaps_twin(x, lo, hi, knot_x, knot_w, wt, ot)
    np.testing.assert_array_equal(wk, wt)
    np.testing.assert_array_equal(ok, ot)
    assert np.isnan(wk[0]) and ok[4] and ok[5] and not ok[2]


def test_batched_smile_equals_fill_smile() -> None:
    """The market's smile fill equals ``engine.smile.fill_smile`` on groups of all kinds."""
    rng = np.random.default_rng(21)
    n = 2000
    group = rng.integers(0, 40, n)
    F = np.where(group % 7 == 0, np.nan, 100.0 * np.exp(0.01 * group))
    K = np.round(rng.uniform(60, 140, n), 0)
    call = rng.random(n) < 0.5
    T = (1 + group) / 200.0
    iv = np.where(rng.random(n) < 0.35, np.nan, rng.uniform(0.1, 0.6, n))
    vendor = np.isfinite(iv) & (rng.random(n) < 0.5)
    starts, stops = np.array([0], np.int64), np.array([n], np.int64)
    perm, bounds, seg = strike_segments(starts, stops, group.astype(np.int64), K)
    mine = _fill_smile(group.astype(np.int64), perm, bounds, seg, K, call, F, T, iv, vendor)
    theirs = fill_smile(group, K, call, F, T, iv, vendor)
    np.testing.assert_array_equal(mine[1], theirs.source)
    np.testing.assert_allclose(mine[0], theirs.iv, rtol=1e-15, atol=0)
    assert len(set(theirs.source.tolist())) >= 5
