"""The Databento source: chain snapshots at any instant the service holds, and trades.

See docs/databento.md for the requests, the choices (quote schemas, the underlying price,
``as_of=None``) and the settings.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import polars as pl

from data_adapters._frames import DEFAULT_SYMBOLS, INDEX_SYMBOLS, snapshot
from data_adapters.base import TRADES_SCHEMA
from data_adapters.databento import chain, records
from data_adapters.databento.client import BentoClient, Records
from data_adapters.databento.products import Contract, Product, parse_contract, product_for
from data_adapters.databento.windows import aware, ns, quote_end, trades_window, utc_midnight
from data_adapters.errors import SymbolNotFoundError, UpstreamInvalidError
from data_adapters.http import Deadline, HttpConfig
from data_adapters.settings import DEFAULT_DIV_YIELD, DEFAULT_RATE
from engine.chain import ChainSnapshot
from engine.flow.conditions import UNKNOWN

__all__ = ["DatabentoSource", "Datasets"]

log = logging.getLogger(__name__)

PROVIDER: Final = "databento"


@dataclass(frozen=True, slots=True)
class Datasets:
    """Which dataset and schema serve each part of a request (settings in docs/databento.md)."""

    opra: str = "OPRA.PILLAR"
    futures: str = "GLBX.MDP3"
    equities: str | None = None
    opra_quotes: str = "cbbo-1m"
    futures_quotes: str = "bbo-1m"
    equities_quotes: str = "bbo-1m"
    futures_trades: str = "tbbo"

    def of(self, product: Product | Contract) -> str:
        return self.futures if product.kind == "futures" else self.opra


@dataclass
class _Call:
    """One source call: its deadline and the notes that become snapshot warnings."""

    deadline: Deadline
    warnings: list[str] = field(default_factory=list)


class DatabentoSource:
    """OPRA equity/index options and CME options on futures from Databento's historical API."""

    name = "databento"

    def __init__(
        self,
        api_key: str,
        *,
        gateway: str = "https://hist.databento.com",
        datasets: Datasets | None = None,
        quote_window: float = 15.0,
        oi_lookback_days: int = 4,
        symbols: list[str] | None = None,
        rate: float = DEFAULT_RATE,
        div_yield: float = DEFAULT_DIV_YIELD,
        http: HttpConfig | None = None,
    ) -> None:
        self._client = BentoClient(api_key, gateway, http or HttpConfig())
        self.datasets = datasets or Datasets()
        self.quote_window = timedelta(minutes=float(quote_window))
        self.oi_lookback = timedelta(days=int(oi_lookback_days))
        self._symbols = symbols
        self._rates = (float(rate), float(div_yield))

    def __repr__(self) -> str:
        return f"DatabentoSource(gateway={self.gateway!r}, datasets={self.datasets!r})"

    @property
    def gateway(self) -> str:
        return self._client.gateway

    @property
    def http(self) -> HttpConfig:
        return self._client.config

    def symbols(self) -> list[str]:
        return list(self._symbols or (*DEFAULT_SYMBOLS, "ES=F", "NQ=F"))

    # -- requests ---------------------------------------------------------------------

    def _get(
        self,
        call: _Call,
        dataset: str,
        schema: str,
        symbols: tuple[str, ...],
        stype_in: str,
        start: datetime,
        end: datetime,
    ) -> Records:
        return self._client.get_range(
            call.deadline,
            dataset=dataset,
            schema=schema,
            symbols=symbols,
            stype_in=stype_in,
            start_ns=ns(start),
            end_ns=ns(end),
        )

    def _latest(self, call: _Call, dataset: str, schemas: tuple[str, ...]) -> datetime:
        """The end of what ``dataset`` holds now for every one of ``schemas``
        (``metadata.get_dataset_range``; the earliest of their ends)."""
        found = self._client.dataset_range(call.deadline, dataset)
        per_schema = found.get("schema")
        ends: list[Any] = []
        if isinstance(per_schema, Mapping):
            ends = [
                per_schema[s].get("end") for s in schemas if isinstance(per_schema.get(s), Mapping)
            ]
        if not ends:
            ends = [found.get("end")]
        stamps = [_iso(value, dataset) for value in ends]
        return min(stamps)

    def _definitions(
        self, call: _Call, dataset: str, product: Product, end: datetime
    ) -> pl.DataFrame:
        """The option definitions in force at ``end``: the day's replay (from 00:00 UTC),
        else the previous day's when the day has none yet."""
        start = utc_midnight(end)
        for begin in (start, start - timedelta(days=1)):
            got = self._get(call, dataset, "definition", product.parents, "parent", begin, end)
            defs = records.definitions(got.array)
            if not defs.is_empty():
                return defs
        raise SymbolNotFoundError(
            PROVIDER,
            f"no option definitions for {product.symbol} in {dataset} "
            f"({', '.join(product.parents)[:80]}) before {end:%Y-%m-%d %H:%M} UTC",
        )

    # -- snapshot ---------------------------------------------------------------------

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        product = product_for(symbol)
        dataset = self.datasets.of(product)
        call = _Call(self._client.deadline())
        quotes_schema = (
            self.datasets.futures_quotes if product.kind == "futures" else self.datasets.opra_quotes
        )
        if as_of is None:
            stamp = self._latest(call, dataset, ("definition", "statistics", quotes_schema))
        else:
            stamp = aware(as_of)
        end = quote_end(product.kind, product.symbol, stamp)
        defs = self._definitions(call, dataset, product, end)
        stats_from = utc_midnight(end) - self.oi_lookback
        oi_records = self._get(
            call, dataset, "statistics", product.parents, "parent", stats_from, end
        )
        oi = records.open_interest(oi_records.array)
        window = (end - self.quote_window, end)
        got = self._get(call, dataset, quotes_schema, product.parents, "parent", *window)
        quotes = records.quotes(got.array)
        if quotes.is_empty():
            raise SymbolNotFoundError(
                PROVIDER,
                f"no {quotes_schema} quotes for {product.symbol} in {dataset} in the "
                f"{self.quote_window.total_seconds() / 60:g} minutes before "
                f"{end:%Y-%m-%d %H:%M} UTC (market closed or a holiday?)",
            )
        if product.kind == "futures":
            return self._futures_chain(call, product, defs, oi, quotes, end)
        return self._opra_chain(call, product, defs, oi, quotes, end)

    def _opra_chain(
        self,
        call: _Call,
        product: Product,
        defs: pl.DataFrame,
        oi: pl.DataFrame,
        quotes: pl.DataFrame,
        end: datetime,
    ) -> ChainSnapshot:
        frame = chain.opra_rows(defs, oi, quotes)
        spot = self._equity_spot(call, product, end)
        if spot is None:
            implied = chain.parity_spot(frame, end, *self._rates)
            if implied is None:
                raise UpstreamInvalidError(
                    PROVIDER,
                    f"{product.symbol}: no expiry has two strikes quoted on both sides, so no "
                    "underlying price can be implied (set equities_dataset for stocks and ETFs)",
                )
            spot, how = implied
            log.info("databento %s: spot %.4f from %s", product.symbol, spot, how)
        frame = frame.with_columns(pl.lit(spot, dtype=pl.Float64).alias("underlying_price"))
        return snapshot(
            product.symbol, end, spot, self.name, frame, self._rates, warnings=call.warnings
        )

    def _equity_spot(self, call: _Call, product: Product, end: datetime) -> float | None:
        """The stock's or ETF's own mid from ``equities_dataset`` (None: not configured, an
        index, or no two-sided quote in the window, which is noted)."""
        dataset = self.datasets.equities
        if dataset is None or product.symbol in INDEX_SYMBOLS:
            return None
        schema = self.datasets.equities_quotes
        window = (end - self.quote_window, end)
        got = self._get(call, dataset, schema, (product.symbol,), "raw_symbol", *window)
        names = _names(got, {})
        found = chain.mids(records.quotes(got.array), names).get(product.symbol)
        if found is None:
            call.warnings.append(
                f"no two-sided {product.symbol} quote in {dataset} {schema} before "
                f"{end:%Y-%m-%d %H:%M} UTC; spot implied by put-call parity instead"
            )
        return found

    def _futures_chain(
        self,
        call: _Call,
        product: Product,
        defs: pl.DataFrame,
        oi: pl.DataFrame,
        quotes: pl.DataFrame,
        end: datetime,
    ) -> ChainSnapshot:
        futures = sorted(s for s in defs["underlying"].unique().to_list() if s)
        linked = {
            int(i): s
            for i, s in defs.select("underlying_id", "underlying").unique().iter_rows()
            if i and s
        }
        window = (end - self.quote_window, end)
        got = self._get(
            call, self.datasets.futures, self.datasets.futures_quotes, tuple(futures),
            "raw_symbol", *window,
        )  # fmt: skip
        prices = chain.mids(records.quotes(got.array), _names(got, linked))
        missing = [f for f in futures if f not in prices]
        if missing:
            call.warnings.append(
                f"no two-sided quote of the future(s) {', '.join(missing)[:120]} before "
                f"{end:%Y-%m-%d %H:%M} UTC; their options are quarantined"
            )
        front = _front_future(defs, prices)
        if front is None:
            raise SymbolNotFoundError(
                PROVIDER,
                f"{product.symbol}: no quote of any underlying future "
                f"({', '.join(futures)[:80]}) before {end:%Y-%m-%d %H:%M} UTC",
            )
        spot = prices[front]
        frame, aside = chain.futures_rows(defs, oi, quotes, product, prices, spot=spot)
        return snapshot(
            product.symbol, end, spot, self.name, frame, (self._rates[0], 0.0),
            set_aside=aside, warnings=call.warnings,
        )  # fmt: skip

    # -- trades -----------------------------------------------------------------------

    def trades(self, symbol: str, day: date) -> pl.DataFrame:
        """The day's trades with the top of book before each: an underlying (``SPY``,
        ``SPX``, ``ES=F``: every option of it) or one contract (``SPY241220C00600000``,
        ``ESZ4 C6000``). OPRA: the New York day; CME: the Globex session ending on ``day``
        (18:00 New York the evening before to 17:00)."""
        contract = parse_contract(symbol)
        target: Product | Contract = contract if contract is not None else product_for(symbol)
        dataset = self.datasets.of(target)
        start, end = trades_window(target.kind, day)
        schema = self.datasets.futures_trades if target.kind == "futures" else "tcbbo"
        call = _Call(self._client.deadline())
        book_events = schema == "mbp-1"
        if isinstance(target, Contract):  # every record is of the one contract asked for
            got = self._get(call, dataset, schema, (target.raw_symbol,), "raw_symbol", start, end)
            rows = records.trades(got.array, book_events=book_events).with_columns(
                pl.lit(target.contract, dtype=pl.String).alias("contract")
            )
            return _trades_frame(rows)
        defs = self._definitions(call, dataset, target, end)
        raw = pl.col("raw_symbol")
        contracts = defs.select(
            "instrument_id",
            (raw.str.replace_all(" ", "", literal=True) if target.kind == "opra" else raw).alias(
                "contract"
            ),
        )
        got = self._get(call, dataset, schema, target.parents, "parent", start, end)
        rows = records.trades(got.array, book_events=book_events)
        return _trades_frame(rows.join(contracts, on="instrument_id", how="left"))


def _trades_frame(joined: pl.DataFrame) -> pl.DataFrame:
    """Trades with their ``contract`` as :data:`TRADES_SCHEMA`; the condition is ``unknown``
    (docs/databento.md: Databento's records carry no trade condition)."""
    unnamed = joined.filter(pl.col("contract").is_null()).height
    if unnamed:
        log.warning("databento: %d trade(s) of instruments without a definition dropped", unnamed)
    out = joined.filter(pl.col("contract").is_not_null() & pl.col("price").is_not_null()).select(
        "contract",
        pl.from_epoch(pl.col("ts_ns"), time_unit="ns")
        .dt.replace_time_zone("UTC")
        .dt.cast_time_unit("us")
        .alias("timestamp"),
        "price",
        "size",
        pl.lit(UNKNOWN).alias("condition"),
        "bid",
        "ask",
    )
    return out.cast(TRADES_SCHEMA).sort("timestamp", "contract", maintain_order=True)  # type: ignore[arg-type]


def _names(got: Records, linked: Mapping[int, str]) -> pl.DataFrame:
    """``instrument_id -> symbol`` from a request's mappings, else from ``linked``."""
    table = {**linked, **got.ids_of()}
    return pl.DataFrame(
        {"instrument_id": list(table), "symbol": list(table.values())},
        schema={"instrument_id": pl.Int64, "symbol": pl.String},
    )


def _front_future(defs: pl.DataFrame, prices: Mapping[str, float]) -> str | None:
    """The future (with a price) that the earliest-expiring options exercise into."""
    ranked = (
        defs.filter(
            pl.col("underlying").is_in(list(prices)) & pl.col("expiration_ns").is_not_null()
        )
        .group_by("underlying")
        .agg(pl.col("expiration_ns").min().alias("first"))
        .sort("first", "underlying")
    )
    return None if ranked.is_empty() else str(ranked["underlying"][0])


def _iso(value: Any, dataset: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise UpstreamInvalidError(PROVIDER, f"{dataset} dataset range: no end in the answer")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UpstreamInvalidError(
            PROVIDER, f"{dataset} dataset range: unreadable end {value[:40]!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not math.isfinite(parsed.timestamp()):
        raise UpstreamInvalidError(PROVIDER, f"{dataset} dataset range: unreadable end")
    return parsed.astimezone(UTC)
