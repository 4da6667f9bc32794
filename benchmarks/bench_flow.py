"""Intraday OI simulator on an SPX-like session tape against a polars group-by implementation.

Workload: a chain of 23,000 contracts (46 expirations × 250 strikes × call/put around a
spot of 5000, most strikes 5 points apart) and a session tape of 300,000 trades, generated
vectorized with a fixed seed: contracts drawn near the money and in the short expirations,
timestamps spread over 6.5 hours, NBBO quotes on a 0.05 grid, prints at the ask, at the bid,
inside and at the midpoint; 2 % of prints carry an excluded condition, 0.5 % a contract not
in the chain, 0.05 % a zero size and 0.3 % no bid. Unit of work: one trade.

Subjects (:mod:`engine.flow`):

- ``from frame, at once`` — ``FlowState.from_chain`` (the contract hash table), ``feed``
  of the whole tape as a polars frame (ids → positions, conditions, classification, counters,
  minute table) and ``estimate`` (vendor rule);
- ``from frame, 10k batches`` — the same tape fed as 30 frames of 10,000 trades (each feed
  copies the counters so the previous state stays valid), then ``estimate``;
- ``from Tape, ...`` — the same with the tape already converted to arrays (``to_tape``
  outside the timing): the kernels' share.

Baseline, timed in the same run: the same classification (micro-dollar grid, the same
branches) and per-contract sums written as one polars query — a left join of the trades on
the chain, a ``when/then`` code column, a ``group_by`` of the counted prints per contract
and per code — then the vendor rule in NumPy. The results are checked equal. The "at once" subjects are
also compared with a second baseline that, like the state, builds the minute premium table
(one more polars ``group_by`` by minute, expiration, side and right).

The frame subjects are bound by polars' string work (hashing the contract ids, checking
each hit against its id, the condition set membership); the tape subjects are the kernels'
share. Batched feeding pays a fixed cost per batch: a copy of the per-contract counters (so
the previous state stays valid) and the polars calls of one frame conversion.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from benchmarks.harness import Row, best_time
from engine._jit import set_threads
from engine.flow import EXCLUDED_BY_DEFAULT, FlowEstimate, FlowState, Tape, estimate
from engine.flow.conditions import INCLUDED_BY_DEFAULT

__all__ = ["polars_simulate", "run", "session_chain", "session_tape"]

SPOT = 5000.0
CONFIDENCE = 0.43
BATCH = 10_000
_notes: list[str] = []


def session_chain(n_exp: int = 46, n_strikes: int = 250) -> pl.DataFrame:
    """An SPX-like chain: ``n_exp`` expirations × ``n_strikes`` strikes × call/put."""
    rng = np.random.default_rng(3)
    first = date(2025, 3, 3)
    exp_days = np.concatenate([np.arange(10), 10 + 7 * np.arange(n_exp - 10)])
    steps = np.where(exp_days < 10, 5.0, np.where(exp_days < 120, 10.0, 25.0))
    e = np.repeat(np.arange(n_exp), 2 * n_strikes)
    j = np.tile(np.repeat(np.arange(n_strikes), 2), n_exp)
    call = np.tile(np.array([True, False]), n_exp * n_strikes)
    strike = SPOT + steps[e] * (j - n_strikes // 2)
    expiration = pl.Series([first + timedelta(days=int(d)) for d in exp_days])[e]
    frame = pl.DataFrame(
        {
            "expiration": expiration,
            "strike": strike,
            "is_call": call,
            "open_interest": rng.integers(0, 20_000, e.size),
            "multiplier": np.full(e.size, 100.0),
        }
    )
    contract = pl.format(
        "SPXW{}{}{}",
        pl.col("expiration").dt.strftime("%y%m%d"),
        pl.when(pl.col("is_call")).then(pl.lit("C")).otherwise(pl.lit("P")),
        (pl.col("strike") * 1000).cast(pl.Int64).cast(pl.String).str.zfill(8),
    )
    return frame.with_columns(contract=contract).select(
        "contract", "expiration", "strike", "is_call", "open_interest", "multiplier"
    )


def session_tape(chain: pl.DataFrame, n: int = 300_000, seed: int = 5) -> pl.DataFrame:
    """``n`` trades of one session on ``chain`` (``TRADES_SCHEMA``), sorted by time."""
    rng = np.random.default_rng(seed)
    strike = chain["strike"].to_numpy()
    call = chain["is_call"].to_numpy()
    exp = (chain["expiration"].rank("dense") - 1).to_numpy().astype(np.float64)
    moneyness = np.log(strike / SPOT)
    weight = np.exp(-np.abs(moneyness) / 0.02) * np.exp(-exp / 4.0) + 1e-6
    pick = rng.choice(strike.size, size=n, p=weight / weight.sum())
    tte = (exp[pick] + 0.3) / 252.0
    intrinsic = np.where(call[pick], SPOT - strike[pick], strike[pick] - SPOT).clip(0.0)
    value = intrinsic + 0.4 * SPOT * 0.15 * np.sqrt(tte) * np.exp(
        -(moneyness[pick] ** 2) / (0.02 * tte + 1e-4)
    )
    value = np.maximum(value, 0.05)
    spread = np.maximum(0.05, np.round(0.03 * value / 0.05) * 0.05)
    bid = np.round((value - spread / 2) / 0.05) * 0.05
    bid = np.maximum(bid, 0.0)
    ask = bid + spread
    u = rng.random(n)
    inside = bid + spread * rng.uniform(0.1, 0.9, n)
    price = np.select(
        [u < 0.35, u < 0.70, u < 0.80],
        [ask, bid, (bid + ask) / 2],
        inside,
    )
    price = np.where(price <= 0.0, 0.05, np.round(price, 2))
    size = 1 + rng.geometric(0.35, n) + np.where(rng.random(n) < 0.01, rng.integers(50, 2000, n), 0)
    size[rng.random(n) < 0.0005] = 0
    bid[rng.random(n) < 0.003] = np.nan
    regular = np.array(sorted(INCLUDED_BY_DEFAULT - {"unknown"}))
    excluded = np.array(sorted(EXCLUDED_BY_DEFAULT))
    condition = np.where(
        rng.random(n) < 0.02,
        excluded[rng.integers(0, excluded.size, n)],
        regular[rng.integers(0, regular.size, n)],
    )
    contract = chain["contract"].gather(pick)
    stray = rng.random(n) < 0.005
    contract = pl.select(
        pl.when(pl.lit(pl.Series(stray))).then(pl.lit("SPXW990101C09999000")).otherwise(contract)
    ).to_series()
    start = np.datetime64("2025-03-03T14:30:00", "us")
    micros = np.sort(rng.integers(0, int(6.5 * 3600e6), n))
    stamps = pl.Series("timestamp", start + micros.astype("timedelta64[us]"))
    return pl.DataFrame(
        {
            "contract": contract,
            "timestamp": stamps.dt.replace_time_zone("UTC"),
            "price": price,
            "size": size.astype(np.int64),
            "condition": condition,
            "bid": bid,
            "ask": ask,
        }
    )


def polars_simulate(
    chain: pl.DataFrame, trades: pl.DataFrame, minutes: bool = False
) -> tuple[np.ndarray, ...]:
    """Baseline: per-contract buys, sells, unclassified volume, the vendor delta and
    effective OI, and the trades per code, as one polars query plus NumPy; with
    ``minutes`` also the premium, contracts and prints per (minute, expiration, side, right)
    — the minute table the state keeps for premium windows."""
    ch = chain.select("contract", "multiplier", "is_call", "expiration").with_row_index("idx")
    t = trades.join(ch, on="contract", how="left")

    def q(c: str) -> pl.Expr:
        return (pl.col(c) * 1e6 + 0.5).floor()

    qp, qb, qa = q("price"), q("bid"), q("ask")
    invalid = (
        pl.col("timestamp").is_null()
        | (pl.col("size") <= 0)
        | (pl.col("size") > 1_000_000_000)
        | ~pl.col("price").is_finite()
        | (pl.col("price") <= 0.0)
        | (pl.col("price") > 1e9)
        | (qp <= 0)
        | (qp * pl.col("size") * pl.col("multiplier") > 1e16)
    )
    no_quote = (
        ~pl.col("bid").is_finite()
        | ~pl.col("ask").is_finite()
        | (pl.col("bid") < 0.0)
        | (pl.col("ask") > 1e9)
        | (qa <= qb)
    )
    side = 2 * qp - qb - qa
    code = (
        pl.when(pl.col("condition").is_in(list(EXCLUDED_BY_DEFAULT)).fill_null(False)).then(0)
        .when(pl.col("idx").is_null()).then(1)
        .when(invalid.fill_null(True)).then(2)
        .when(no_quote.fill_null(True)).then(3)
        .when(qp >= qa).then(5)
        .when(qp <= qb).then(6)
        .when(side > 0).then(5)
        .when(side < 0).then(6)
        .otherwise(4)
    )  # fmt: skip
    if minutes:
        table = (
            t.with_columns(code.alias("code"))
            .filter(pl.col("code") >= 3)
            .group_by(
                pl.col("timestamp").dt.truncate("1m"),
                "expiration",
                pl.col("code").clip(4, 6),
                "is_call",
            )
            .agg(
                premium=(qp * pl.col("size") * pl.col("multiplier")).sum(),
                size=pl.col("size").sum(),
                prints=pl.len(),
            )
        )
        assert table.height > 0
    t = t.select("idx", "size", code.alias("code"))
    per_code = t.group_by("code").len()
    per = (
        t.filter(pl.col("code") >= 3)
        .group_by("idx")
        .agg(
            buys=pl.col("size").filter(pl.col("code") == 5).sum(),
            sells=pl.col("size").filter(pl.col("code") == 6).sum(),
            mid=pl.col("size").filter(pl.col("code") <= 4).sum(),
        )
    )
    n = chain.height
    idx = per["idx"].to_numpy()
    buys, sells, mid = (np.zeros(n, dtype=np.int64) for _ in range(3))
    buys[idx], sells[idx], mid[idx] = per["buys"], per["sells"], per["mid"]
    counts = np.zeros(7, dtype=np.int64)
    counts[per_code["code"].to_numpy()] = per_code["len"].to_numpy()
    delta = CONFIDENCE * (buys + sells)
    effective = np.maximum(0.0, chain["open_interest"].to_numpy() + delta)
    return buys, sells, mid, delta, effective, counts


def _at_once(chain: pl.DataFrame, trades: pl.DataFrame) -> FlowEstimate:
    return estimate(FlowState.from_chain(chain).feed(trades), confidence=CONFIDENCE)


def _batched(chain: pl.DataFrame, batches: list[pl.DataFrame]) -> FlowEstimate:
    state = FlowState.from_chain(chain)
    for b in batches:
        state = state.feed(b)
    return estimate(state, confidence=CONFIDENCE)


def run(quick: bool = False) -> list[Row]:
    chain = session_chain(n_exp=12 if quick else 46)
    n = 40_000 if quick else 300_000
    trades = session_tape(chain, n)
    batches = [trades.slice(i, BATCH) for i in range(0, n, BATCH)]
    start = FlowState.from_chain(chain)
    tape = start.tape(trades)
    tapes = [tape.slice(i, i + BATCH) for i in range(0, n, BATCH)]

    est = _at_once(chain, trades)
    base = polars_simulate(chain, trades)
    state_b = start
    for t in tapes:
        state_b = state_b.feed(t)
    same = (
        np.array_equal(est.customer_buys, base[0])
        and np.array_equal(est.customer_sells, base[1])
        and np.array_equal(est.unclassified_volume, base[2])
        and np.array_equal(est.state.code_counts, base[5])
        and np.array_equal(est.intraday_oi_delta, base[3])
        and np.array_equal(state_b.per_contract, est.state.per_contract)
        and np.array_equal(state_b.minute_table, est.state.minute_table)
    )
    counts = est.counts
    _notes[:] = [
        f"{n} trades on {chain.height} contracts ({len(batches)} batches of {BATCH}); "
        f"results equal to the baseline and across splits: {same}",
        f"trades: {counts.customer_buys} buys, {counts.customer_sells} sells, "
        f"{counts.unclassified} unclassified, {counts.excluded_condition} excluded, "
        f"{counts.unmatched_contract} unmatched, {counts.invalid} invalid",
    ]
    base_s = best_time(lambda: polars_simulate(chain, trades), repeat=5)
    base_name = "polars join + group_by"
    full_s = best_time(lambda: polars_simulate(chain, trades, minutes=True), repeat=5)
    full_name = "polars, + minute premium table"
    rows = []
    all_threads = set_threads(None)
    try:
        for threads in sorted({1, all_threads}):
            set_threads(threads)
            cases = {
                "from frame, at once": lambda: _at_once(chain, trades),
                "from frame, 10k batches": lambda: _batched(chain, batches),
                "from Tape, at once": lambda: estimate(start.feed(tape)),
                "from Tape, 10k batches": lambda: _batched_tapes(start, tapes),
            }
            for name, fn in cases.items():
                took = best_time(fn, repeat=5)
                rows.append(Row("OI simulator", name, base_name, threads, n, "trade", took, base_s))
                if "at once" in name:  # the same work as the state: with the minute table
                    same = f"{name} (same work)"
                    rows.append(
                        Row("OI simulator", same, full_name, threads, n, "trade", took, full_s)
                    )
    finally:
        set_threads(all_threads)
    return rows


def _batched_tapes(start: FlowState, tapes: list[Tape]) -> FlowEstimate:
    state = start
    for t in tapes:
        state = state.feed(t)
    return estimate(state, confidence=CONFIDENCE)


def notes() -> list[str]:
    return list(_notes)
