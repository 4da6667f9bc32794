"""Open-interest changes against a prior snapshot: per contract, per strike, the largest.

Pure functions on polars frames (no I/O, no clock); the caller brings the two chains.

A contract is identified by :data:`KEY` — ``(root, expiration, strike, is_call)`` — rather
than by its ``contract`` text, so that chains from two providers (OCC symbols with or
without a prefix) still match. Conventions decided here:

- The changes are those of the contracts present *now* (the rows of ``now``): a contract
  absent from the prior chain counts as 0 there; a contract that was in the prior chain
  and is gone now (expired, delisted) adds nothing. So a per-strike change is
  ``Σ (OI now − OI before)`` over exactly the contracts behind that strike's ``call_oi`` /
  ``put_oi`` (:func:`analysed_contracts` gives them for an analysis).
- The prior chain is read as the provider sent it: when it lists a contract twice the first
  row counts (the validator's rule for duplicates); a missing open interest counts as 0.
  Quarantined prior rows still count: a bad quote does not make the published open
  interest wrong.
- Changes are integers (contracts). "Largest" means largest ``|oi_change|``; ties are
  broken by strike (ascending), then calls before puts, then expiration (ascending), so
  every ordering is deterministic. Contracts (or strikes) whose open interest did not
  change are left out of the "largest" lists.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from engine.analysis.options import restrict
from engine.analysis.single import Analysis

__all__ = [
    "CHANGE_COLUMNS",
    "CONTRACT_COLUMNS",
    "KEY",
    "analysed_contracts",
    "contract_changes",
    "prior_open_interest",
    "strike_changes",
    "top_contract_changes",
    "top_strike_changes",
    "total_changes",
]

KEY: Final = ("root", "expiration", "strike", "is_call")
"""The columns that identify one contract across snapshots."""
CONTRACT_COLUMNS: Final = (*KEY, "open_interest", "volume")
"""What :func:`contract_changes` reads of the current chain (``volume`` is passed through)."""
CHANGE_COLUMNS: Final = (*KEY, "open_interest", "prior_oi", "oi_change", "volume")
"""Columns of :func:`contract_changes`."""


def analysed_contracts(a: Analysis) -> pl.DataFrame:
    """The priced contracts behind the strike rows of ``a``: its ``expiration`` and
    ``min_oi`` filters applied exactly as :func:`engine.analyze` applies them. Needs the
    :data:`CONTRACT_COLUMNS` of ``a.priced.contracts``."""
    return restrict(a.priced.contracts, a.options)


def prior_open_interest(prior: pl.DataFrame) -> pl.DataFrame:
    """``KEY`` + ``prior_oi`` (Int64) of a prior chain: one row per contract (the first),
    a missing open interest as 0."""
    return (
        prior.select(*KEY, pl.col("open_interest").cast(pl.Int64).fill_null(0).alias("prior_oi"))
        .unique(subset=list(KEY), keep="first", maintain_order=True)
        .sort(list(KEY))
    )


def contract_changes(now: pl.DataFrame, prior: pl.DataFrame) -> pl.DataFrame:
    """One row per row of ``now`` (its order kept), :data:`CHANGE_COLUMNS`:
    ``open_interest`` now, ``prior_oi`` (0 for a contract the prior chain lacks) and
    ``oi_change = open_interest − prior_oi`` (Int64), ``volume`` now (Int64, null as 0).

    ``now`` needs :data:`CONTRACT_COLUMNS`; ``prior`` needs ``KEY`` and ``open_interest``
    (a whole chain, or :func:`prior_open_interest` of one: ``prior_oi`` is then used)."""
    before = prior if "prior_oi" in prior.columns else prior_open_interest(prior)
    current = now.select(
        *KEY,
        pl.col("open_interest").cast(pl.Int64).fill_null(0),
        pl.col("volume").cast(pl.Int64).fill_null(0),
    )
    joined = current.join(
        before.select(*KEY, "prior_oi"), on=list(KEY), how="left", maintain_order="left"
    )
    return joined.with_columns(pl.col("prior_oi").fill_null(0)).select(
        *KEY,
        "open_interest",
        "prior_oi",
        (pl.col("open_interest") - pl.col("prior_oi")).alias("oi_change"),
        "volume",
    )


def strike_changes(changes: pl.DataFrame) -> pl.DataFrame:
    """Per strike, ascending: ``strike``, ``call_oi_change``, ``put_oi_change`` (Int64; 0
    for a side without contracts), summed over every expiration in ``changes``."""
    return (
        changes.group_by("strike")
        .agg(
            pl.col("oi_change").filter(pl.col("is_call")).sum().alias("call_oi_change"),
            pl.col("oi_change").filter(~pl.col("is_call")).sum().alias("put_oi_change"),
        )
        .with_columns(pl.col("call_oi_change", "put_oi_change").cast(pl.Int64))
        .sort("strike")
    )


def _largest(frame: pl.DataFrame, n: int, order: list[str], descending: list[bool]) -> pl.DataFrame:
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    return (
        frame.filter(pl.col("oi_change") != 0)
        .with_columns(pl.col("oi_change").abs().alias("_size"))
        .sort(["_size", *order], descending=[True, *descending])
        .head(n)
        .drop("_size")
    )


def top_strike_changes(changes: pl.DataFrame, n: int = 10) -> pl.DataFrame:
    """The ``n`` largest changes per (strike, side), summed over expirations: ``strike``,
    ``is_call``, ``oi_change``, ``volume`` (Int64), largest ``|oi_change|`` first."""
    per_side = changes.group_by("strike", "is_call").agg(
        pl.col("oi_change").sum().cast(pl.Int64), pl.col("volume").sum().cast(pl.Int64)
    )
    return _largest(per_side, n, ["strike", "is_call"], [False, True]).select(
        "strike", "is_call", "oi_change", "volume"
    )


def top_contract_changes(changes: pl.DataFrame, n: int = 20) -> pl.DataFrame:
    """The ``n`` contracts with the largest ``|oi_change|``: :data:`CHANGE_COLUMNS`."""
    return _largest(
        changes.select(CHANGE_COLUMNS),
        n,
        ["strike", "is_call", "expiration", "root"],
        [False, True, False, False],
    )


def total_changes(changes: pl.DataFrame) -> tuple[int, int]:
    """``(Σ call oi_change, Σ put oi_change)`` over ``changes``."""
    calls = changes.filter(pl.col("is_call"))["oi_change"].sum()
    puts = changes.filter(~pl.col("is_call"))["oi_change"].sum()
    return int(calls or 0), int(puts or 0)
