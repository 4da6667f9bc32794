"""Polygon.io / Massive.com REST (the same API under two hosts), ``docs/providers.md`` §1.

Chain: ``GET /v3/snapshot/options/{asset}`` with ``limit=250``, an expiry window and a strike
band, following ``next_url`` (an absolute URL with an opaque cursor and no key: it is
re-requested by path and query on the configured base URL, and the key is attached again,
as a Bearer header or an ``apiKey`` query parameter). ``asset`` is ``I:SPX`` for indices
(spot in ``underlying_asset.value``) and ``SPY`` for equities/ETFs (``underlying_asset.price``).
When a strike band is set, one ``limit=1`` request first reads the spot.

Fields -> canonical: ``details.{ticker, expiration_date, strike_price (dollars),
contract_type, exercise_style, shares_per_contract}``; root parsed from the ticker (``O:``
dropped, regex anchored at the end; the underlying when the ticker is malformed);
``last_quote.{bid,ask}``; ``last_trade.price`` (``{}`` when no trade -> NaN);
``day.volume`` (``{}`` -> 0); ``open_interest`` (previous close); ``implied_volatility``
decimal; ``greeks.{delta,gamma}`` -> vendor greeks (gamma per $1). ``as_of`` is the latest
``underlying_asset.last_updated`` (else ``last_quote.last_updated``; ns epoch UTC), a quote
time kept as it is. When the body carries neither, the clock is only a fetch time: it becomes
``fetched_at`` and ``as_of`` is :func:`engine.settlement.quote_time` of it (the clock inside
a session of the underlying's options, else their close of the last session before it).

Trades (:meth:`PolygonSource.trades`) take an option contract: ``/v3/trades/{ticker}`` and
``/v3/quotes/{ticker}`` for the New York day, paged, then an as-of join attaches the last
quote with ``sip_timestamp <=`` each trade's (Polygon's trades carry no NBBO). ``price`` is
per share, ``size`` in contracts, ``condition`` one name of the canonical vocabulary
(:mod:`engine.flow.conditions`) from Polygon's option condition ids
(:data:`POLYGON_CONDITIONS`, the list of ``/v3/reference/conditions?asset_class=options``): a
trade without ids is ``regular``, ids not in the table are ``unknown``, a trade whose
``correction`` indicator is set is ``corrected``, and of several ids the first name in
:data:`CONDITION_PRECEDENCE` wins (an ISO auto-execution, ``[219, 209]``, is an
``intermarket_sweep``).

Settings (``GEX_POLYGON_<KEY>`` or ``[sources.polygon]``):

``api_key`` (secret, required)
    Never logged nor put in errors.
``base_url``
    ``https://api.massive.com`` (default) or ``https://api.polygon.io``.
``auth``
    ``header`` (``Authorization: Bearer``, default) or ``query`` (``apiKey=``).
``max_dte``
    Expiries up to this many calendar days ahead (default 60; 0 = all).
``strike_band``
    Strikes within this fraction of spot (default 0.25 = +/-25 %; 0 = all).
``symbols``, ``rate``, ``div_yield``, ``timeout``, ``max_attempts``, ``max_pages``
    As for every source (see :mod:`data_adapters._frames`).
``deadline``, ``max_body_bytes``
    Total seconds for one snapshot or trades call (every page, retry and wait; default
    60) and the cap on each response body (default 64 MiB), see :mod:`data_adapters.http`.

Polygon's snapshot is live only: a past ``as_of`` raises :class:`NoHistoryError`.

Symbols pass :func:`data_adapters.symbols.check_symbol` and enter paths only as encoded
segments (:func:`~data_adapters.symbols.url_segment`): ``..``, ``SPY?x=1`` or ``SPY#frag``
raise :class:`InvalidSymbolError` before any request. A body whose ``status`` is not
``OK``/``DELAYED`` is the provider's error, never "symbol not found": ``NOT_AUTHORIZED`` (or
a text about the key, the plan or an entitlement) is an :class:`UpstreamAuthError`, a text
about the request rate an :class:`UpstreamRateLimitedError`, ``NOT_FOUND`` a
:class:`SymbolNotFoundError`, anything else a :class:`DataSourceError` quoting the status and
text. Values of the wrong type are an :class:`UpstreamInvalidError`. Every request of one
snapshot or trades call shares one deadline (:mod:`data_adapters.http`; settings
``deadline`` and ``max_body_bytes``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Final

import httpx
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
    rates_from,
    snapshot,
    symbols_setting,
    to_int,
)
from data_adapters.base import TRADES_SCHEMA
from data_adapters.errors import (
    DataSourceError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
    UpstreamAuthError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
)
from data_adapters.http import HttpClient, HttpConfig, with_limits
from data_adapters.settings import DEFAULT_DIV_YIELD, DEFAULT_RATE, Settings
from data_adapters.symbols import check_symbol, url_segment
from engine.chain import ChainSnapshot
from engine.flow.conditions import UNKNOWN
from engine.settlement import NEW_YORK

__all__ = [
    "CONDITION_PRECEDENCE",
    "DEFAULT_BASE_URL",
    "POLYGON_CONDITIONS",
    "SETTING_KEYS",
    "PolygonSource",
    "create",
]

DEFAULT_BASE_URL: Final = "https://api.massive.com"
_OK_STATUSES: Final = ("OK", "DELAYED")
_PAGE: Final = 250
_TICKS_PAGE: Final = 50_000
_NS_MAX: Final = 4_102_444_800 * 10**9  # 2100-01-01: a later "ns epoch" is not a time
_PARSE_ERRORS: Final = (pl.exceptions.PolarsError,)
_RATE_WORDS: Final = ("exceeded the maximum requests", "rate limit", "too many requests")
_AUTH_WORDS: Final = ("api key", "not entitled", "not authorized", "unauthorized", "your plan",
                      "upgrade your plan", "entitlement")  # fmt: skip

POLYGON_CONDITIONS: Final = MappingProxyType({
    201: "cancelled",          # Canceled
    202: "out_of_sequence",    # Late and Out Of Sequence
    203: "cancelled",          # Last and Canceled
    204: "late",               # Late
    205: "cancelled",          # Opening Trade and Canceled
    206: "out_of_sequence",    # Opening Trade, Late, and Out Of Sequence
    207: "cancelled",          # Only Trade and Canceled
    208: "late",               # Opening Trade and Late
    209: "auto_execution",     # Automatic Execution
    210: "reopening",          # Reopening Trade
    219: "intermarket_sweep",  # Intermarket Sweep Order
    227: "single_leg_auction",  # Single Leg Auction Non ISO
    228: "single_leg_auction",  # Single Leg Auction ISO
    229: "single_leg_cross",   # Single Leg Cross Non ISO
    230: "single_leg_cross",   # Single Leg Cross ISO
    231: "single_leg_floor",   # Single Leg Floor Trade
    232: "multi_leg",          # Multi Leg auto-electronic trade
    233: "multi_leg_auction",  # Multi Leg Auction
    234: "multi_leg_cross",    # Multi Leg Cross
    235: "multi_leg_floor",    # Multi Leg floor trade
    236: "multi_leg",          # Multi Leg auto-electronic trade against single leg(s)
    237: "stock_option",       # Stock Options Auction
    238: "multi_leg_auction",  # Multi Leg Auction against single leg(s)
    239: "multi_leg_floor",    # Multi Leg floor trade against single leg(s)
    240: "stock_option",       # Stock Options auto-electronic trade
    241: "stock_option",       # Stock Options Cross
    242: "stock_option",       # Stock Options floor trade
    243: "stock_option",       # Stock Options auto-electronic trade against single leg(s)
    244: "stock_option",       # Stock Options Auction against single leg(s)
    245: "stock_option",       # Stock Options floor trade against single leg(s)
    246: "multi_leg_floor",    # Multi Leg Floor Trade of Proprietary Products
    248: "regular",            # Extended Hours Trade
})  # fmt: skip
"""Polygon option condition id -> canonical condition (:mod:`engine.flow.conditions`). 247
(multilateral compression of proprietary products) has no canonical name: ``unknown``."""

CONDITION_PRECEDENCE: Final = (
    "cancelled", "corrected", "out_of_sequence", "late", "multi_leg_auction", "multi_leg_cross",
    "multi_leg_floor", "multi_leg", "stock_option", "single_leg_auction", "single_leg_cross",
    "single_leg_floor", "intermarket_sweep", "opening", "reopening", "auto_execution", "regular",
    UNKNOWN,
)  # fmt: skip
"""Of a trade's several conditions, the first of this order names it: a print excluded by
default wins, then the most specific way the trade happened."""
_RANK: Final = {name: i for i, name in enumerate(CONDITION_PRECEDENCE)}


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ns_of_day(day: date) -> tuple[int, int]:
    start = datetime.combine(day, time(0), tzinfo=NEW_YORK)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=NEW_YORK)
    return int(start.timestamp()) * 10**9, int(end.timestamp()) * 10**9


class PolygonSource:
    """Polygon/Massive chain snapshots and per-contract trades with the NBBO."""

    name = "polygon"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        auth: str = "header",
        max_dte: int | None = 60,
        strike_band: float | None = 0.25,
        symbols: list[str] | None = None,
        rate: float = DEFAULT_RATE,
        div_yield: float = DEFAULT_DIV_YIELD,
        http: HttpConfig | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not api_key:
            raise SourceConfigError("polygon", "an API key is required (GEX_POLYGON_API_KEY)")
        if auth not in ("header", "query"):
            raise SourceConfigError("polygon", f"auth must be 'header' or 'query', not {auth!r}")
        self._key = str(api_key)
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.max_dte = max_dte or None
        self.strike_band = strike_band or None
        self._symbols = symbols
        self._rates = (float(rate), float(div_yield))
        self._http = http or HttpConfig()
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"PolygonSource(base_url={self.base_url!r}, auth={self.auth!r})"

    def _client(self) -> HttpClient:
        secret = {"headers": {"Authorization": f"Bearer {self._key}"}}
        if self.auth == "query":
            secret = {"params": {"apiKey": self._key}}
        return HttpClient(
            "polygon",
            self.base_url,
            config=self._http,
            headers={"Accept": "application/json"},
            secret_headers=secret.get("headers"),
            secret_params=secret.get("params"),
        )

    def symbols(self) -> list[str]:
        return list(self._symbols or DEFAULT_SYMBOLS)

    # -- chain ----------------------------------------------------------------------------

    def _results(self, http: HttpClient, path: str, params: dict[str, Any]) -> list[dict]:
        def parse(response: httpx.Response) -> dict[str, Any]:
            return _page(http, path, response)

        def next_page(_: httpx.Response, body: dict[str, Any]) -> str | None:
            link = body.get("next_url")
            return link if isinstance(link, str) and link else None

        pages = http.paginate(path, params, parse, next_page)
        return [r for page in pages for r in page.get("results") or [] if isinstance(r, dict)]

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        if as_of is not None:
            raise NoHistoryError("polygon", "the options chain snapshot is live only")
        wanted = check_symbol(normalize_symbol(symbol))
        prefix = "I:" if wanted in INDEX_SYMBOLS else ""
        path = f"/v3/snapshot/options/{prefix}{url_segment(wanted)}"
        today = self._clock().astimezone(NEW_YORK).date()
        params: dict[str, Any] = {"limit": _PAGE, "expiration_date.gte": today.isoformat()}
        if self.max_dte:
            params["expiration_date.lte"] = (today + timedelta(days=self.max_dte)).isoformat()
        with self._client() as http:
            if self.strike_band:
                response = http.get(path, {**params, "limit": 1})
                probe = [] if response is None else _page(http, path, response).get("results")
                if not probe:
                    raise SymbolNotFoundError("polygon", f"no options for {wanted}")
                spot = _spot(probe)
                if spot is None:
                    raise http.invalid(f"GET {path}: no underlying price in the {wanted} snapshot")
                params["strike_price.gte"] = round(spot * (1 - self.strike_band), 4)
                params["strike_price.lte"] = round(spot * (1 + self.strike_band), 4)
            results = self._results(http, path, params)
            if not results:
                raise SymbolNotFoundError("polygon", f"the chain of {wanted} is empty")
            spot = _spot(results)
            if spot is None:
                raise http.invalid(f"GET {path}: no underlying price in the {wanted} snapshot")
            with http.parsing(f"GET {path}", _PARSE_ERRORS):
                stamp = _as_of(results)
                rows = pl.DataFrame([_row(r, wanted) for r in results], schema=_ROW)
                rows = rows.with_columns(
                    pl.col("expiration").str.strptime(pl.Date, "%Y-%m-%d", strict=False),
                    to_int(pl.col("open_interest")),
                    to_int(pl.col("volume")).fill_null(0),
                )
                frame = chain_frame(rows, spot=spot)
        if stamp is None:  # no quote time in the body: the clock is a fetch time
            return fetched_snapshot(wanted, self._clock(), spot, self.name, frame, self._rates)
        return snapshot(wanted, stamp, spot, self.name, frame, self._rates)

    # -- trades ---------------------------------------------------------------------------

    def trades(self, symbol: str, day: date) -> pl.DataFrame:
        """Trades of one option contract (``O:SPY251219C00650000``) on ``day`` with the NBBO."""
        match = OSI_RE.match(str(symbol).strip().upper().removeprefix("O:"))
        if not match:
            raise DataSourceError(
                "polygon",
                f"trades need an option contract such as O:SPY251219C00650000, not {ascii(symbol)[:40]}",
            )
        contract = check_symbol("".join(match.group("root", "yymmdd", "cp", "strike")))
        ticker = f"O:{url_segment(contract)}"
        start, end = _ns_of_day(day)
        params = {"timestamp.gte": start, "timestamp.lt": end, "order": "asc",
                  "sort": "timestamp", "limit": _TICKS_PAGE}  # fmt: skip
        with self._client() as http:
            trades = self._results(http, f"/v3/trades/{ticker}", params)
            quotes = self._results(http, f"/v3/quotes/{ticker}", params) if trades else []
            with http.parsing(f"GET /v3/trades/{ticker}", _PARSE_ERRORS):
                return _join_trades(contract, trades, quotes)


def _page(http: HttpClient, path: str, response: httpx.Response) -> dict[str, Any]:
    """One page's body, checked: a JSON object whose ``status`` is OK and ``results`` a list."""
    body = http.json(response)
    if not isinstance(body, dict):
        raise http.invalid(f"GET {path}: unexpected body (not a JSON object)")
    if body.get("status") not in _OK_STATUSES:
        raise _status_failure(http, path, body, response.status_code)
    results = body.get("results")
    if results is not None and not isinstance(results, list):
        raise http.invalid(f"GET {path}: 'results' is not a list")
    return body


def _status_failure(
    http: HttpClient, path: str, body: dict[str, Any], code: int
) -> DataSourceError:
    """The provider's own error (``status`` not OK) as a typed error quoting its text."""
    status = body.get("status")
    shown = status if isinstance(status, str) else repr(status)
    texts = [body.get(k) for k in ("error", "message")]
    detail = " ".join(" ".join(t.split()) for t in texts if isinstance(t, str) and t.strip())
    message = f"GET {path}: the provider answered status {shown[:40]}" + (
        f": {detail[:300]}" if detail else ""
    )
    lowered = detail.lower()
    if any(word in lowered for word in _RATE_WORDS):
        return http.error(message, code, UpstreamRateLimitedError)
    if status == "NOT_AUTHORIZED" or any(word in lowered for word in _AUTH_WORDS):
        return http.error(message, code, UpstreamAuthError)
    if status == "NOT_FOUND":
        return http.error(message, code, SymbolNotFoundError)
    if not isinstance(status, str):
        return http.error(message, code, UpstreamInvalidError)
    return http.error(message, code)


_ROW: Final = {
    "contract": pl.String, "root": pl.String, "expiration": pl.String, "strike": pl.Float64,
    "is_call": pl.Boolean, "style": pl.String, "multiplier": pl.Float64,
    "open_interest": pl.Float64, "volume": pl.Float64, "bid": pl.Float64, "ask": pl.Float64,
    "last": pl.Float64, "iv": pl.Float64, "vendor_delta": pl.Float64, "vendor_gamma": pl.Float64,
}  # fmt: skip


def _spot(results: list[Any]) -> float | None:
    for r in results:
        asset = _obj(_obj(r).get("underlying_asset"))
        value = _num(asset.get("price"))
        value = value if value is not None else _num(asset.get("value"))
        if value is not None and value > 0:
            return value
    return None


def _as_of(results: list[dict]) -> datetime | None:
    def stamp(value: Any) -> float | None:
        ns = _num(value)
        return ns if ns is not None and 0 < ns < _NS_MAX else None

    found = [
        s for r in results if (s := stamp(_obj(r.get("underlying_asset")).get("last_updated")))
    ]
    if not found:
        found = [s for r in results if (s := stamp(_obj(r.get("last_quote")).get("last_updated")))]
    if not found:
        return None
    ns = int(max(found))
    return datetime.fromtimestamp(ns // 10**9, UTC) + timedelta(microseconds=ns % 10**9 // 1000)


def _row(r: dict[str, Any], underlying: str) -> dict[str, Any]:
    details, quote = _obj(r.get("details")), _obj(r.get("last_quote"))
    greeks, day = _obj(r.get("greeks")), _obj(r.get("day"))
    ticker = details.get("ticker")
    contract = ticker.removeprefix("O:") if isinstance(ticker, str) and ticker else None
    match = OSI_RE.match(contract) if contract else None
    kind = details.get("contract_type")
    oi = _num(r.get("open_interest"))
    return {
        "contract": contract,
        "root": match.group("root") if match else underlying,
        "expiration": _text(details.get("expiration_date")),
        "strike": _num(details.get("strike_price")),
        "is_call": {"call": True, "put": False}.get(kind) if isinstance(kind, str) else None,
        "style": _text(details.get("exercise_style")),
        "multiplier": _num(details.get("shares_per_contract")),
        "open_interest": oi,
        "volume": _num(day.get("volume")) or 0.0,
        "bid": _num(quote.get("bid")),
        "ask": _num(quote.get("ask")),
        "last": _num(_obj(r.get("last_trade")).get("price")),
        "iv": _num(r.get("implied_volatility")),
        "vendor_delta": _num(greeks.get("delta")),
        "vendor_gamma": _num(greeks.get("gamma")),
    }


def _ticks(rows: list[dict], columns: dict[str, str]) -> pl.DataFrame:
    data = {out: [_num(r.get(key)) for r in rows] for out, key in columns.items()}
    return pl.DataFrame(data, schema={name: pl.Float64 for name in columns})


def _condition(trade: dict[str, Any]) -> str:
    """The canonical condition of one Polygon trade (module doc)."""
    codes = trade.get("conditions")
    if codes is None or codes == []:
        names = {"regular"}
    elif isinstance(codes, list):
        names = {POLYGON_CONDITIONS.get(c, UNKNOWN) if type(c) is int else UNKNOWN for c in codes}
    else:
        names = {UNKNOWN}
    correction = trade.get("correction")
    if type(correction) is int and correction > 0:
        names.add("corrected")
    return min(names, key=_RANK.__getitem__)


def _join_trades(contract: str, trades: list[dict], quotes: list[dict]) -> pl.DataFrame:
    if not trades:
        return pl.DataFrame(schema=TRADES_SCHEMA)
    conditions = [_condition(t) for t in trades]
    tr = _ticks(trades, {"ns": "sip_timestamp", "price": "price", "size": "size"}).with_columns(
        pl.Series("condition", conditions, dtype=pl.String),
        pl.col("ns").cast(pl.Int64),
    )
    qt = _ticks(quotes, {"ns": "sip_timestamp", "bid": "bid_price", "ask": "ask_price"})
    qt = qt.with_columns(pl.col("ns").cast(pl.Int64)).drop_nulls("ns").sort("ns")
    joined = tr.drop_nulls("ns").sort("ns").join_asof(qt, on="ns", strategy="backward")
    out = joined.select(
        pl.lit(contract).alias("contract"),
        pl.from_epoch(pl.col("ns"), time_unit="ns").dt.replace_time_zone("UTC").alias("timestamp"),
        "price",
        pl.col("size").round(0).cast(pl.Int64).alias("size"),
        "condition",
        "bid",
        "ask",
    )
    return out.cast(TRADES_SCHEMA)  # type: ignore[arg-type]


SETTING_KEYS: Final = ("api_key", "base_url", "auth", "max_dte", "strike_band", *HTTP_SETTING_KEYS)
"""The settings ``create`` reads (docs/configuration.md); ``gex --source-opt`` checks
against them."""


def create(settings: Settings) -> PolygonSource:
    """The Polygon/Massive source from its settings (keys in the module doc)."""
    rate, div_yield = rates_from(settings)
    max_dte = number_setting(settings, "max_dte", 60)
    band = number_setting(settings, "strike_band", 0.25)
    if (max_dte is not None and max_dte < 0) or (band is not None and not 0 <= band < 1):
        raise SourceConfigError("polygon", "max_dte must be >= 0 and strike_band in [0, 1)")
    return PolygonSource(
        str(settings.get("api_key")),
        base_url=str(settings.get("base_url", DEFAULT_BASE_URL)),
        auth=str(settings.get("auth", "header")).lower(),
        max_dte=int(max_dte) if max_dte is not None else None,
        strike_band=band,
        symbols=symbols_setting(settings),
        rate=rate,
        div_yield=div_yield,
        http=with_limits(settings, http_config_from(settings)),
    )
