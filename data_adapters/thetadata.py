"""ThetaData through the local Theta Terminal's REST API: v3 first, v2 as fallback (§2).

The terminal authenticates with ThetaData itself; requests carry no credentials.

v3 (``http://127.0.0.1:25503``, CSV, the default format; columns always read by name):
``/v3/option/snapshot/{quote,open_interest,ohlc,greeks/all}?symbol=ROOT&expiration=*``,
``/v3/index/snapshot/price?symbol=SPX`` and ``/v3/option/history/trade_quote``. Strikes are
dollars (``275.000``), expirations ``YYYY-MM-DD``, rights ``CALL``/``PUT``, timestamps ISO in
**New York time without offset** (converted to UTC). The v2 fallback lives in
:mod:`data_adapters.thetadata_v2` (strikes in 1/10 cent, ``ms_of_day`` New York time,
``Next-Page`` pagination).

HTTP statuses: 472 (no data) is an empty result, never an error; 571 (terminal starting)
and 429 are retried; 471 (permission), 476 (wrong IP) and 478 (invalid session) are
:class:`UpstreamAuthError` s; the other 47x/57x are clear :class:`DataSourceError` s. A
200 answer whose CSV lacks the columns asked for (a terminal's plain-text error) is an
:class:`UpstreamInvalidError` quoting the start of the body; v2 JSON errors in
``header.error_type`` are handled in :mod:`data_adapters.thetadata_v2`. With
``version=auto`` a v3 terminal that cannot be reached (connection refused) sends every
request to v2 from then on; both tries share one deadline.

Symbols pass :func:`data_adapters.symbols.check_symbol` before any request (``..``,
``SPY?x=1``, ``SPY#frag`` raise :class:`InvalidSymbolError`) and reach the terminal only as
encoded query values. Values of the wrong type are an :class:`UpstreamInvalidError`.

Chain: each root of the underlying (``SPX`` -> ``SPX`` and ``SPXW``) gets quote, open interest,
OHLC (``volume``, ``close`` as ``last``) and greeks (``implied_vol``, ``delta``, ``gamma``,
``underlying_price``), joined per contract. ``as_of`` is the latest quote time (kept as it is;
when no row carries one, the clock is only a fetch time: it becomes ``fetched_at`` and
``as_of`` is :func:`engine.settlement.quote_time` of it, the options' close of the last
session when read outside one); spot is the
index price for indices, else the greeks' ``underlying_price``. A greeks request refused for
the subscription tier (471) leaves IV and vendor greeks NaN (the engine solves IV).

Trades: ``trades(symbol, day)`` for an underlying (all its roots) or one OSI contract,
from ``trade_quote`` (each trade with the NBBO just before it): price per share, size in
contracts, ``condition`` the canonical name (:mod:`engine.flow.conditions`) of ThetaData's
code through :data:`data_adapters.thetadata_v2.THETADATA_CONDITIONS` (unknown codes:
``unknown``).

Settings (``GEX_THETADATA_<KEY>`` or ``[sources.thetadata]``):

``version``
    ``auto`` (default: v3, v2 when v3 is unreachable), ``v3`` or ``v2``.
``base_url``
    The terminal for the chosen version (defaults ``http://127.0.0.1:25503`` for v3,
    ``http://127.0.0.1:25510`` for v2); with ``auto`` it is the v3 URL.
``v2_base_url``
    The v2 terminal used by ``auto`` (default ``http://127.0.0.1:25510``).
``greeks``
    ``all`` (default) or ``none`` (skip the greeks request).
``max_dte``
    v3 only: expiries up to this many days ahead (default all).
``symbols``, ``rate``, ``div_yield``, ``timeout``, ``max_attempts``, ``max_pages``
    As for every source.
``deadline``, ``max_body_bytes``
    Total seconds for one snapshot or trades call (every request, retry and wait; default
    60) and the cap on each response body (default 64 MiB), see :mod:`data_adapters.http`.

This adapter reads the terminal's live snapshots: a past ``as_of`` raises
:class:`NoHistoryError`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Final, TypeVar

import polars as pl

from data_adapters._frames import (
    DEFAULT_SYMBOLS,
    HTTP_SETTING_KEYS,
    INDEX_SYMBOLS,
    OSI_RE,
    chain_frame,
    fetched_snapshot,
    http_config_from,
    normalize_symbol,
    number_setting,
    ny_datetime_expr,
    osi_expr,
    positive_or_nan,
    rates_from,
    roots_of,
    snapshot,
    symbols_setting,
    to_int,
)  # fmt: skip
from data_adapters.base import TRADES_SCHEMA
from data_adapters.errors import (
    DataSourceError,
    InvalidSymbolError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
)
from data_adapters.http import Deadline, HttpClient, HttpConfig, UnreachableError, with_limits
from data_adapters.settings import DEFAULT_DIV_YIELD, DEFAULT_RATE, Settings
from data_adapters.symbols import check_symbol
from data_adapters.thetadata_v2 import DEFAULT_V2_URL, V2Api, condition_expr
from engine.chain import ChainSnapshot

__all__ = [
    "DEFAULT_V3_URL",
    "SETTING_KEYS",
    "ThetaDataSource",
    "V3Api",
    "create",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_V3_URL: Final = "http://127.0.0.1:25503"
STATUS_NAMES: Final = {
    470: "general error", 471: "permission denied (subscription tier)", 472: "no data",
    473: "invalid parameters", 474: "terminal disconnected from ThetaData",
    475: "terminal parse error", 476: "wrong IP", 477: "page expired",
    478: "invalid session", 570: "request too large", 571: "terminal starting",
    572: "uncaught terminal error",
}  # fmt: skip
AUTH_STATUSES: Final = (471, 476, 478)
KEYS: Final = ["root", "expiration", "strike", "is_call"]
_PARSE_ERRORS: Final = (pl.exceptions.PolarsError,)


class V3Api:
    """Snapshot and history requests of the v3 terminal, as canonical-keyed frames."""

    version = "v3"

    def __init__(self, http: HttpClient, max_dte: int | None = None) -> None:
        self.http = http
        self.max_dte = max_dte

    def _csv(self, path: str, params: dict[str, Any], wanted: dict[str, str]) -> pl.DataFrame:
        """The CSV body as a frame of the ``wanted`` columns (name -> new name), as text."""
        response = self.http.get(path, {**params, "format": "csv"})
        text = "" if response is None else self.http.text(response, "CSV")
        if not text.strip():
            return pl.DataFrame(schema={new: pl.String for new in wanted.values()})
        try:
            raw = pl.read_csv(io.StringIO(text), infer_schema=False)
        except pl.exceptions.PolarsError as exc:
            first = " ".join(str(exc).split())[:200]
            raise self.http.invalid(f"GET {path}: unreadable CSV ({first})") from None
        missing = [name for name in wanted if name not in raw.columns]
        if missing:
            start = " ".join(text.strip().splitlines()[0].split())[:120]
            raise self.http.invalid(
                f"GET {path}: the CSV lacks column(s) {missing} (the body starts {start!r})"
            )
        return raw.select([pl.col(name).alias(new) for name, new in wanted.items()])

    def _keyed(self, req: str, root: str, wanted: dict[str, str]) -> pl.DataFrame:
        params: dict[str, Any] = {"symbol": root, "expiration": "*"}
        if self.max_dte:
            params["max_dte"] = self.max_dte
        cols = {"symbol": "root", "expiration": "expiration", "strike": "strike", "right": "right"}
        got = self._csv(f"/v3/option/snapshot/{req}", params, cols | wanted)
        return _keys(got).with_columns(
            pl.col(c).cast(pl.Float64, strict=False) for c in wanted.values() if c != "ts"
        )

    def quotes(self, root: str) -> pl.DataFrame:
        got = self._keyed("quote", root, {"bid": "bid", "ask": "ask", "timestamp": "ts"})
        return got.with_columns(ny_datetime_expr(pl.col("ts")).alias("ts"))

    def open_interest(self, root: str) -> pl.DataFrame:
        return self._keyed("open_interest", root, {"open_interest": "open_interest"})

    def ohlc(self, root: str) -> pl.DataFrame:
        return self._keyed("ohlc", root, {"volume": "volume", "close": "last"})

    def greeks(self, root: str) -> pl.DataFrame:
        wanted = {"implied_vol": "iv", "delta": "delta", "gamma": "gamma",
                  "underlying_price": "underlying_price"}  # fmt: skip
        return self._keyed("greeks/all", root, wanted)

    def index_price(self, symbol: str) -> tuple[float, datetime] | None:
        wanted = {"price": "price", "timestamp": "ts"}
        got = self._csv("/v3/index/snapshot/price", {"symbol": symbol}, wanted)
        got = got.select(
            pl.col("price").cast(pl.Float64, strict=False), ny_datetime_expr(pl.col("ts"))
        ).filter(pl.col("price") > 0)
        return None if got.is_empty() else (float(got["price"][-1]), got["ts"][-1])

    def trade_quote(self, root: str, day: date, contract: dict[str, Any] | None) -> pl.DataFrame:
        params: dict[str, Any] = {"symbol": root, "expiration": "*", "date": f"{day:%Y%m%d}"}
        if contract is not None:
            params |= {
                "expiration": f"{contract['expiration']:%Y%m%d}",
                "strike": f"{contract['strike']:.3f}",
                "right": "call" if contract["is_call"] else "put",
            }
        cols = {"symbol": "root", "expiration": "expiration", "strike": "strike", "right": "right",
                "trade_timestamp": "ts", "price": "price", "size": "size",
                "condition": "condition", "bid": "bid", "ask": "ask"}  # fmt: skip
        got = _keys(self._csv("/v3/option/history/trade_quote", params, cols))
        return got.select(
            osi_expr("root", "expiration", "is_call", "strike").alias("contract"),
            ny_datetime_expr(pl.col("ts")).alias("timestamp"),
            pl.col("price").cast(pl.Float64, strict=False),
            pl.col("size").cast(pl.Float64, strict=False).round(0).cast(pl.Int64).alias("size"),
            condition_expr(pl.col("condition")).alias("condition"),
            pl.col("bid").cast(pl.Float64, strict=False),
            pl.col("ask").cast(pl.Float64, strict=False),
        ).cast(TRADES_SCHEMA)  # type: ignore[arg-type]


def _keys(frame: pl.DataFrame) -> pl.DataFrame:
    """v3 text keys -> ``root, expiration (Date), strike (dollars), is_call``."""
    right = pl.col("right").str.strip_chars().str.to_uppercase()
    return frame.with_columns(
        pl.col("root").str.strip_chars(),
        pl.col("expiration").str.replace_all("-", "").str.strptime(pl.Date, "%Y%m%d", strict=False),
        pl.col("strike").cast(pl.Float64, strict=False),
        pl.when(right.is_in(["CALL", "C"])).then(True)
        .when(right.is_in(["PUT", "P"])).then(False).alias("is_call"),
    ).drop("right")  # fmt: skip


class ThetaDataSource:
    """Option chains and trades from a local Theta Terminal (see the module doc)."""

    name = "thetadata"

    def __init__(
        self,
        *,
        version: str = "auto",
        base_url: str | None = None,
        v2_base_url: str = DEFAULT_V2_URL,
        greeks: str = "all",
        max_dte: int | None = None,
        symbols: list[str] | None = None,
        rate: float = DEFAULT_RATE,
        div_yield: float = DEFAULT_DIV_YIELD,
        http: HttpConfig | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if version not in ("auto", "v3", "v2"):
            raise SourceConfigError("thetadata", f"version must be auto, v3 or v2, not {version!r}")
        if greeks not in ("all", "none"):
            raise SourceConfigError("thetadata", f"greeks must be 'all' or 'none', not {greeks!r}")
        default = DEFAULT_V2_URL if version == "v2" else DEFAULT_V3_URL
        self.urls = {"v3": base_url or default, "v2": v2_base_url}
        if version == "v2":
            self.urls["v2"] = base_url or v2_base_url
        self.version = version
        self.resolved: str | None = None if version == "auto" else version
        self.greeks = greeks
        self.max_dte = max_dte
        self._symbols = symbols
        self._rates = (float(rate), float(div_yield))
        self._http = http or HttpConfig()
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"ThetaDataSource(version={self.version!r}, urls={self.urls!r})"

    def symbols(self) -> list[str]:
        return list(self._symbols or DEFAULT_SYMBOLS)

    def _call(self, what: str, work: Callable[[V3Api | V2Api], T]) -> T:
        versions = [self.resolved] if self.resolved else ["v3", "v2"]
        deadline = Deadline(self._http.deadline, self._http.clock)  # one for both versions
        for version in versions:
            with HttpClient(
                "thetadata", self.urls[version], config=self._http, final_statuses=(570, 572),
                empty_statuses=(472,), auth_statuses=AUTH_STATUSES, status_names=STATUS_NAMES,
                deadline=deadline,
            ) as http:  # fmt: skip
                api = V3Api(http, self.max_dte) if version == "v3" else V2Api(http)
                try:
                    with http.parsing(f"thetadata {version} {what}", _PARSE_ERRORS):
                        result = work(api)
                except UnreachableError as exc:
                    if version == "v3" and len(versions) == 2:
                        log.warning("thetadata v3 unreachable (%s); trying v2", exc.message)
                        continue
                    raise UnreachableError(
                        "thetadata", f"{exc.message}; is the Theta Terminal running?"
                    ) from None
            self.resolved = version
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        if as_of is not None:
            raise NoHistoryError(
                "thetadata", "this adapter serves the terminal's live snapshot only"
            )
        wanted = check_symbol(normalize_symbol(symbol))
        frame, spot, stamp = self._call(f"{wanted} snapshot", lambda api: self._chain(api, wanted))
        if stamp is None:  # no quote time from the terminal: the clock is a fetch time
            return fetched_snapshot(wanted, self._clock(), spot, self.name, frame, self._rates)
        return snapshot(wanted, stamp, spot, self.name, frame, self._rates)

    def _greeks(self, api: V3Api | V2Api, root: str) -> pl.DataFrame | None:
        if self.greeks == "none":
            return None
        try:
            return api.greeks(root)
        except DataSourceError as exc:
            if exc.status != 471:
                raise
            log.warning("thetadata: greeks not in this subscription (%s); IV is solved", exc)
            return None

    def _chain(
        self, api: V3Api | V2Api, symbol: str
    ) -> tuple[pl.DataFrame, float, datetime | None]:
        parts = []
        for root in roots_of(symbol):
            legs = [api.quotes(root), api.open_interest(root), api.ohlc(root)]
            greeks = self._greeks(api, root)
            if greeks is not None:
                legs.append(greeks)
            merged = legs[0]
            for leg in legs[1:]:
                merged = merged.join(leg, on=KEYS, how="full", coalesce=True)
            parts.append(merged)
        merged = pl.concat(parts, how="diagonal_relaxed")
        if merged.is_empty():
            raise SymbolNotFoundError(
                "thetadata", f"no snapshot data for {symbol} (no such root, or no session today)"
            )
        spot_at = api.index_price(symbol) if symbol in INDEX_SYMBOLS else None
        spot = spot_at[0] if spot_at else None
        if spot is None and "underlying_price" in merged.columns:
            prices = merged["underlying_price"].filter(merged["underlying_price"] > 0)
            spot = float(prices.median()) if len(prices) else None  # type: ignore[arg-type]
        if spot is None:
            raise api.http.invalid(f"no spot for {symbol} (no index price or greeks)")
        stamps = merged["ts"].drop_nulls()
        stamp = stamps.max() if len(stamps) else None
        rows = merged.select(
            osi_expr("root", "expiration", "is_call", "strike").alias("contract"),
            *KEYS,
            to_int(pl.col("open_interest")).alias("open_interest"),
            to_int(pl.col("volume")).fill_null(0).alias("volume"),
            "bid",
            "ask",
            pl.when(pl.col("last") > 0).then(pl.col("last")).alias("last"),
            *(
                [
                    positive_or_nan(pl.col("iv")).alias("iv"),
                    pl.col("delta").alias("vendor_delta"),
                    positive_or_nan(pl.col("gamma")).alias("vendor_gamma"),
                ]
                if "iv" in merged.columns
                else []
            ),
        )
        return chain_frame(rows, spot=spot), spot, stamp  # type: ignore[return-value]

    def trades(self, symbol: str, day: date) -> pl.DataFrame:
        """The day's trades with the NBBO at each: an underlying (all roots) or a contract."""
        text = str(symbol).strip().upper()
        match = OSI_RE.match(text)
        if match:
            try:
                expiration = datetime.strptime(match["yymmdd"], "%y%m%d").date()
            except ValueError:
                raise InvalidSymbolError(
                    f"invalid option contract {ascii(symbol)[:40]}: no such expiry date"
                ) from None
            contract: dict[str, Any] | None = {
                "expiration": expiration,
                "strike": int(match["strike"]) / 1000.0,
                "is_call": match["cp"] == "C",
            }
            roots: tuple[str, ...] = (check_symbol(match["root"]),)
            text = "".join(match.group("root", "yymmdd", "cp", "strike"))
        else:
            contract, roots = None, roots_of(check_symbol(normalize_symbol(text)))
            text = roots[0]

        def work(api: V3Api | V2Api) -> pl.DataFrame:
            frames = [api.trade_quote(root, day, contract) for root in roots]
            return pl.concat(frames, how="vertical").sort("timestamp", "contract")

        return self._call(f"{text} trades", work)


SETTING_KEYS: Final = (
    "version",
    "base_url",
    "v2_base_url",
    "greeks",
    "max_dte",
    *HTTP_SETTING_KEYS,
)
"""The settings ``create`` reads (docs/configuration.md); ``gex --source-opt`` checks
against them."""


def create(settings: Settings) -> ThetaDataSource:
    """The ThetaData source from its settings (keys in the module doc)."""
    rate, div_yield = rates_from(settings)
    max_dte = number_setting(settings, "max_dte", None)
    return ThetaDataSource(
        version=str(settings.get("version", "auto")).lower(),
        base_url=settings.get("base_url", None),
        v2_base_url=str(settings.get("v2_base_url", DEFAULT_V2_URL)),
        greeks=str(settings.get("greeks", "all")).lower(),
        max_dte=int(max_dte) if max_dte else None,
        symbols=symbols_setting(settings),
        rate=rate,
        div_yield=div_yield,
        http=with_limits(settings, http_config_from(settings)),
    )
