"""Definitions, open interest and quotes as the canonical chain (docs/databento.md).

OPRA rows: the contract id is the raw symbol without its padding (``SPY   241220C00600000``
-> ``SPY241220C00600000``), the root comes from it; the expiry is the New York date of the
definition's ``expiration``; strike and multiplier (``unit_of_measure_qty``, 100 when
undefined) are the definition's; the exercise style is the CFI code's third letter (``A``
American, ``E`` European), else the root's (:func:`data_adapters._frames.style_expr`);
model ``bsm``. The underlying price is the header spot.

CME rows: the contract id is the raw symbol (``E3CZ4 C6050``), the root its product code;
the multiplier is the future's (:data:`~data_adapters.databento.products.FUTURES`); the
style is the CFI code's, else American for the quarterly root and European for the others;
model ``black76`` priced on the option's own future (the definition's ``underlying``), whose
mid quote is the row's ``underlying_price``. Options on another product's future are set
aside as ``foreign_underlying``.

:func:`parity_spot` implies the spot of an OPRA chain from its own quotes, the way the engine
fits forwards (docs/conventions.md): on the nearest expiry with at least two strikes quoted
two-sided on both sides (bid > 0, ask > bid), the median of ``K + e^{rT}(C - P)`` over the
five strikes with the smallest ``|C - P|`` is the forward ``F``, and the spot is
``F e^{-(r - q)T}``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Final

import polars as pl

from data_adapters._frames import OSI_PATTERN, chain_frame, set_aside_frame, style_expr
from data_adapters.databento.products import CME_OPTION_RE, Product
from engine import NEW_YORK

__all__ = ["futures_rows", "mids", "opra_rows", "parity_spot"]

_NY: Final = NEW_YORK.key
_YEAR_S: Final = 365 * 86_400
_MIN_T: Final = 60 / _YEAR_S
_PAIRS: Final = 5
_MIN_PAIRS: Final = 2


def _expiration(ns: pl.Expr) -> pl.Expr:
    return (
        pl.from_epoch(ns, time_unit="ns")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(_NY)
        .dt.date()
    )


def _cfi_style() -> pl.Expr:
    letter = pl.col("cfi").str.slice(2, 1)
    return (
        pl.when(pl.col("cfi").str.len_chars() < 3)
        .then(None)
        .when(letter == "A")
        .then(pl.lit("american"))
        .when(letter == "E")
        .then(pl.lit("european"))
    )


def _joined(defs: pl.DataFrame, oi: pl.DataFrame, quotes: pl.DataFrame) -> pl.DataFrame:
    return defs.join(oi, on="instrument_id", how="left").join(
        quotes.select("instrument_id", "bid", "ask", "last"), on="instrument_id", how="left"
    )


def opra_rows(
    defs: pl.DataFrame, oi: pl.DataFrame, quotes: pl.DataFrame, *, spot: float = math.nan
) -> pl.DataFrame:
    """The canonical frame of OPRA definitions joined with open interest and quotes."""
    joined = _joined(defs, oi, quotes)
    contract = pl.col("raw_symbol").str.replace_all(" ", "", literal=True)
    rows = joined.with_columns(contract.alias("contract")).with_columns(
        pl.col("contract").str.extract(OSI_PATTERN, 1).alias("root")
    )
    rows = rows.select(
        "contract",
        "root",
        _expiration(pl.col("expiration_ns")).alias("expiration"),
        "strike",
        "is_call",
        pl.coalesce(_cfi_style(), style_expr(pl.col("root"))).alias("style"),
        pl.lit("bsm").alias("model"),
        pl.col("multiplier").fill_null(100.0),
        "open_interest",
        "bid",
        "ask",
        pl.when(pl.col("last") > 0).then(pl.col("last")).alias("last"),
    )
    return chain_frame(rows, spot=spot)


def futures_rows(
    defs: pl.DataFrame,
    oi: pl.DataFrame,
    quotes: pl.DataFrame,
    product: Product,
    futures: dict[str, float],
    *,
    spot: float,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The canonical frame of CME option definitions (each priced on its own future, whose
    mid is in ``futures``; ``spot`` is the header's), and the rows set aside as
    ``foreign_underlying``."""
    assert product.futures is not None
    spec = product.futures
    pattern = f"^{re.escape(spec.future_root)}[FGHJKMNQUVXZ][0-9]{{1,2}}$"
    joined = _joined(defs, oi, quotes).with_columns(
        pl.col("raw_symbol").str.extract(CME_OPTION_RE.pattern, 1).alias("_root")
    )
    prices = pl.DataFrame(
        {"underlying": list(futures), "underlying_price": list(futures.values())},
        schema={"underlying": pl.String, "underlying_price": pl.Float64},
    )
    root = pl.coalesce(pl.col("_root"), pl.col("asset"))
    rows = joined.join(prices, on="underlying", how="left").select(
        pl.col("raw_symbol").alias("contract"),
        root.alias("root"),
        _expiration(pl.col("expiration_ns")).alias("expiration"),
        "strike",
        "is_call",
        pl.coalesce(
            _cfi_style(),
            pl.when(root == spec.future_root)
            .then(pl.lit("american"))
            .otherwise(pl.lit("european")),
        ).alias("style"),
        pl.lit("black76").alias("model"),
        pl.lit(spec.multiplier).alias("multiplier"),
        pl.col("underlying_price").fill_null(math.nan),
        "open_interest",
        "bid",
        "ask",
        pl.when(pl.col("last") > 0).then(pl.col("last")).alias("last"),
        pl.col("underlying").str.contains(pattern).fill_null(False).alias("_ours"),
    )
    ours, foreign = rows.filter(pl.col("_ours")), rows.filter(~pl.col("_ours"))
    aside = set_aside_frame(
        foreign.drop("_ours"),
        pl.Series(["foreign_underlying"] * foreign.height, dtype=pl.String),
        spot=spot,
    )
    return chain_frame(ours.drop("_ours"), spot=spot), aside


def mids(quotes: pl.DataFrame, names: pl.DataFrame) -> dict[str, float]:
    """``symbol -> mid`` of two-sided quotes (``bid > 0``, ``ask >= bid``); ``names`` maps
    ``instrument_id`` to ``symbol``."""
    two_sided = (pl.col("bid") > 0) & (pl.col("ask") >= pl.col("bid"))
    found = (
        quotes.join(names, on="instrument_id", how="inner")
        .filter(two_sided.fill_null(False) & pl.col("ask").is_finite())
        .select("symbol", ((pl.col("bid") + pl.col("ask")) / 2).alias("mid"))
    )
    return dict(zip(found["symbol"].to_list(), found["mid"].to_list(), strict=True))


def parity_spot(
    frame: pl.DataFrame, as_of: datetime, rate: float, div_yield: float
) -> tuple[float, str] | None:
    """``(spot, description)`` implied by put-call parity on the nearest expiry that allows
    it (module doc), or ``None`` when no expiry has two strikes quoted on both sides."""
    two_sided = (
        (pl.col("bid") > 0) & (pl.col("ask") > pl.col("bid")) & pl.col("ask").is_finite()
    ).fill_null(False)
    at = pl.lit(as_of.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))
    usable = frame.filter(
        two_sided & (pl.col("settlement") > at) & pl.col("strike").is_not_null()
    ).with_columns(((pl.col("bid") + pl.col("ask")) / 2).alias("mid"))
    keys = ["root", "expiration", "settlement", "strike"]
    calls = usable.filter(pl.col("is_call")).select(*keys, pl.col("mid").alias("c"))
    puts = usable.filter(~pl.col("is_call")).select(*keys, pl.col("mid").alias("p"))
    pairs = calls.join(puts, on=keys, how="inner", nulls_equal=False)
    if pairs.is_empty():
        return None
    groups = pairs.partition_by(["settlement", "root"], as_dict=False, maintain_order=False)
    for group in sorted(groups, key=lambda g: (g["settlement"][0], g["root"][0])):
        if group.height < _MIN_PAIRS:
            continue
        settle = group["settlement"][0]
        t = max((settle - as_of.astimezone(UTC)).total_seconds() / _YEAR_S, _MIN_T)
        nearest = group.with_columns((pl.col("c") - pl.col("p")).alias("d")).sort(
            pl.col("d").abs(), "strike"
        )
        nearest = nearest.head(_PAIRS)
        forwards = nearest["strike"] + nearest["d"] * math.exp(rate * t)
        forward = float(forwards.median())  # type: ignore[arg-type]
        if not (math.isfinite(forward) and forward > 0):
            continue
        spot = forward * math.exp(-(rate - div_yield) * t)
        day = group["expiration"][0]
        return spot, f"put-call parity on {group['root'][0]} {day} ({nearest.height} strikes)"
    return None
