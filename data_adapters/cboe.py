"""Cboe delayed quotes: the free JSON over HTTP or from a file, and the quote-table CSV file.

JSON (``docs/providers.md`` §3): ``GET {base_url}/{SYM}.json`` with
``base_url = https://cdn.cboe.com/api/global/delayed_quotes/options``; indices take a leading
underscore (``_SPX``, ``_NDX``, ``_RUT``, ``_VIX``, ``_XSP``), equities and ETFs do not. One
body holds the whole chain (about 15 minutes delayed); no auth, no pagination. Units and
traps handled here:

- ``timestamp`` (``YYYY-MM-DD HH:MM:SS``, no zone) is the generation time in **UTC**, a fetch
  time rather than a quote time (a body fetched on Sunday holds Friday's close): it becomes
  ``fetched_at``, and ``as_of`` is :func:`engine.settlement.quote_time` of it (the timestamp
  inside a session of the underlying's options, else their close of the last session before
  it: 16:15 New York for SPX or SPY, 16:00 for a stock). Spot is ``data.current_price``
  (index points or dollars).
- No expiry/strike fields: the ``option`` symbol is parsed with a regex anchored at the end
  (root, ``YYMMDD``, ``C``/``P``, strike x 1000 in 8 digits). The root is kept: SPX (AM-settled
  monthlies) and SPXW (PM-settled) are different contracts.
- ``iv: 0`` and ``gamma: 0`` (and ``delta: 0``) mean "not computed" -> NaN; ``iv`` is decimal.
- ``open_interest`` and ``volume`` are floats (``151.0``) -> Int64; OI is the previous close.
- ``last`` is ``last_trade_price`` when ``last_trade_time`` is set, else NaN.
- Numbers are read by the adapters' one parser (:func:`data_adapters._frames.parse_number`:
  JSON numbers, or numeric strings). An entry that is not an object, or holds a value of the
  wrong type (``"bid": "abc"``, an ``option`` that is not a string), is set aside as
  ``malformed_row``; a contract whose root belongs to another underlying than
  ``data.symbol`` as ``foreign_underlying``. Both are counted by the validator.
- A file nested too deeply for the JSON reader is a :class:`DataSourceError`.

The quote-table CSV download is read from a file by :mod:`data_adapters.cboe_csv`; its date
line is a download time too and gets the same treatment.

Settings (``GEX_CBOE_<KEY>`` or ``[sources.cboe]``):

``file``
    Path of a saved JSON body or quote-table CSV (format detected from the content); when
    absent the chain is fetched over HTTP.
``base_url``
    The delayed-quotes folder URL (default above).
``symbols``
    Comma-separated underlyings listed by ``symbols()`` in HTTP mode (default a few liquid
    ones; any optionable Cboe symbol can be asked for).
``rate``, ``div_yield``
    Continuous decimals for the snapshot header (defaults ``DEFAULT_RATE``,
    ``DEFAULT_DIV_YIELD``).
``timeout``, ``max_attempts``
    HTTP timeout in seconds and attempts per request (see :mod:`data_adapters.http`).

Cboe keeps no history: a past ``as_of`` raises :class:`NoHistoryError` (with a file, only the
file's own ``as_of``, or its ``fetched_at`` stamp, is accepted).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NamedTuple

import polars as pl

from data_adapters._frames import (
    DEFAULT_SYMBOLS,
    HTTP_SETTING_KEYS,
    INDEX_SYMBOLS,
    chain_frame,
    foreign_roots,
    http_config_from,
    majority_underlying,
    nonzero_or_nan,
    normalize_symbol,
    parse_number,
    parse_osi_column,
    positive_or_nan,
    rates_from,
    set_aside_frame,
    snapshot,
    symbols_setting,
    to_int,
)
from data_adapters.cboe_csv import cboe_quote_time, parse_quote_table
from data_adapters.errors import (
    DataSourceError,
    NoHistoryError,
    SymbolNotFoundError,
)
from data_adapters.http import HttpClient, HttpConfig
from data_adapters.settings import DEFAULT_DIV_YIELD, DEFAULT_RATE, Settings
from data_adapters.symbols import check_symbol, url_segment
from engine.chain import ChainSnapshot

__all__ = [
    "DEFAULT_BASE_URL",
    "SETTING_KEYS",
    "CboeSource",
    "create",
    "parse_delayed_quotes",
]

DEFAULT_BASE_URL: Final = "https://cdn.cboe.com/api/global/delayed_quotes/options"
USER_AGENT: Final = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36 gex-engine"
)
_JSON_NUMBERS: Final = (
    "bid", "ask", "iv", "open_interest", "volume", "delta", "gamma", "last_trade_price",
)  # fmt: skip
_JSON_SCHEMA: Final = {
    "option": pl.String,
    **dict.fromkeys(_JSON_NUMBERS, pl.Float64),
    "last_trade_time": pl.String,
    "malformed": pl.Boolean,
}


def cboe_path(symbol: str) -> str:
    """``SPX`` -> ``/_SPX.json``; ``SPY`` -> ``/SPY.json``. The symbol is checked against the
    grammar and percent-encoded as one path segment (:mod:`data_adapters.symbols`)."""
    name = check_symbol(symbol)
    segment = url_segment(name)
    return f"/_{segment}.json" if name in INDEX_SYMBOLS else f"/{segment}.json"


def _number(value: Any) -> float | None:
    try:
        return parse_number(value)
    except ValueError:
        return None


class Parsed(NamedTuple):
    """A parsed body or file: both instants UTC; ``set_aside`` and ``warnings`` as in
    :class:`~engine.chain.ChainSnapshot`."""

    underlying: str
    as_of: datetime
    fetched_at: datetime
    spot: float
    frame: pl.DataFrame
    set_aside: pl.DataFrame | None = None
    warnings: tuple[str, ...] = ()


def _json_columns(options: Sequence[Any]) -> dict[str, list[Any]]:
    """The entries' fields as columns, and ``malformed`` (an entry of the wrong shape)."""
    cols: dict[str, list[Any]] = {name: [] for name in _JSON_SCHEMA}
    for entry in options:
        malformed = not isinstance(entry, dict)
        item: dict[str, Any] = entry if isinstance(entry, dict) else {}
        for name in ("option", "last_trade_time"):
            text = item.get(name)
            if text is not None and not isinstance(text, str):
                text, malformed = None, True
            cols[name].append(text)
        for name in _JSON_NUMBERS:
            try:
                value = parse_number(item.get(name))
            except ValueError:
                value, malformed = None, True
            cols[name].append(value)
        cols["malformed"].append(malformed)
    return cols


def parse_delayed_quotes(body: Any) -> Parsed:
    """``(underlying, as_of, fetched_at, spot, canonical frame)`` from a delayed-quotes body.

    ``fetched_at`` is the body's ``timestamp`` (UTC), ``as_of`` its quote time
    (:func:`engine.settlement.quote_time`).

    An empty chain raises :class:`SymbolNotFoundError`; a body of the wrong shape, without
    timestamp or spot, or none of whose options belongs to ``data.symbol``, raises
    :class:`DataSourceError`. Entries of the wrong shape and options of another underlying
    are set aside (module doc).
    """
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("options"), list):
        raise DataSourceError("cboe", "unexpected delayed-quotes body: no data.options list")
    raw_symbol = data.get("symbol") or body.get("symbol") or ""
    if not isinstance(raw_symbol, str):
        raise DataSourceError("cboe", "unexpected delayed-quotes body: data.symbol is not text")
    underlying = normalize_symbol(raw_symbol)
    options = data["options"]
    if not options:
        raise SymbolNotFoundError("cboe", f"the chain of {underlying or '?'} is empty")
    try:
        as_of = datetime.strptime(str(body.get("timestamp")), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise DataSourceError(
            "cboe", f"unreadable timestamp {body.get('timestamp')!r} in the body"
        ) from None
    spot = _number(data.get("current_price")) or _number(data.get("close"))
    if spot is None or not spot > 0:
        raise DataSourceError("cboe", f"no underlying price (current_price) for {underlying}")
    raw = pl.DataFrame(_json_columns(options), schema=_JSON_SCHEMA)
    parsed = raw.select(
        pl.col("option").str.strip_chars().alias("contract"),
        *parse_osi_column("option"),
        "bid",
        "ask",
        pl.when(pl.col("last_trade_time").is_not_null() & (pl.col("last_trade_price") > 0))
        .then(pl.col("last_trade_price"))
        .alias("last"),
        positive_or_nan(pl.col("iv")).alias("iv"),
        nonzero_or_nan(pl.col("delta")).alias("vendor_delta"),
        positive_or_nan(pl.col("gamma")).alias("vendor_gamma"),
        to_int(pl.col("open_interest")).alias("open_interest"),
        to_int(pl.col("volume")).fill_null(0).alias("volume"),
        "malformed",
    )
    roots = parsed.filter(~pl.col("malformed"))["root"].drop_nulls().to_list()
    if not underlying:
        underlying = majority_underlying(roots) or "?"
    foreign = sorted(foreign_roots(roots, underlying))
    if roots and len(foreign) == len(set(roots)):
        raise DataSourceError(
            "cboe", f"no option of the body belongs to {underlying}: roots {', '.join(foreign[:5])}"
        )
    tagged = parsed.with_columns(
        pl.when(pl.col("malformed"))
        .then(pl.lit("malformed_row"))
        .when(pl.col("root").is_in(foreign))
        .then(pl.lit("foreign_underlying"))
        .alias("reason")
    ).drop("malformed")
    kept = tagged.filter(pl.col("reason").is_null()).drop("reason")
    aside = tagged.filter(pl.col("reason").is_not_null())
    stamp = as_of.replace(tzinfo=UTC)
    return Parsed(
        underlying,
        cboe_quote_time(stamp, underlying),
        stamp,
        spot,
        chain_frame(kept, spot=spot),
        set_aside_frame(aside.drop("reason"), aside["reason"], spot=spot) if aside.height else None,
    )


class CboeSource:
    """Cboe delayed quotes over HTTP, or one saved JSON/CSV file (see the module doc)."""

    name = "cboe"

    def __init__(
        self,
        *,
        file: str | Path | None = None,
        base_url: str = DEFAULT_BASE_URL,
        symbols: list[str] | None = None,
        rate: float = DEFAULT_RATE,
        div_yield: float = DEFAULT_DIV_YIELD,
        http: HttpConfig | None = None,
    ) -> None:
        self.file = Path(file).expanduser() if file else None
        self.base_url = base_url.rstrip("/")
        self._symbols = symbols
        self._rates = (float(rate), float(div_yield))
        self._http = http or HttpConfig()

    def __repr__(self) -> str:
        where = f"file={str(self.file)!r}" if self.file else f"base_url={self.base_url!r}"
        return f"CboeSource({where})"

    def symbols(self) -> list[str]:
        if self.file is not None:
            return [self._read_file()[0]]
        return list(self._symbols or DEFAULT_SYMBOLS)

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        wanted = normalize_symbol(symbol)
        if self.file is not None:
            parsed = self._read_file()
            underlying, quoted, stamp = parsed.underlying, parsed.as_of, parsed.fetched_at
            if wanted != underlying:
                raise SymbolNotFoundError(
                    "cboe", f"the file {self.file.name} holds {underlying}, not {wanted}"
                )
            if as_of is not None and as_of not in (quoted, stamp):
                raise NoHistoryError(
                    "cboe",
                    f"the file {self.file.name} holds only the chain as of {quoted:%Y-%m-%d %H:%M:%S} UTC",
                )
        else:
            if as_of is not None:
                raise NoHistoryError(
                    "cboe", "Cboe delayed quotes keep no history: only the latest chain"
                )
            parsed = self._fetch(wanted)
            underlying, quoted, stamp = parsed.underlying, parsed.as_of, parsed.fetched_at
        if underlying != wanted:  # the quote time follows the symbol asked for
            quoted = cboe_quote_time(stamp, wanted)
        return snapshot(
            wanted, quoted, parsed.spot, self.name, parsed.frame, self._rates,
            fetched_at=stamp, set_aside=parsed.set_aside, warnings=parsed.warnings,
        )  # fmt: skip

    def _fetch(self, symbol: str) -> Parsed:
        with HttpClient(
            "cboe",
            self.base_url,
            config=self._http,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        ) as http:
            try:
                response = http.get(self.base_url + cboe_path(symbol))
            except DataSourceError as exc:
                if exc.status == 403:  # the CDN answers 403 for symbols it does not have
                    raise SymbolNotFoundError(
                        "cboe", f"no delayed quotes for {symbol} ({exc.message})", 403
                    ) from None
                raise
            assert response is not None  # no empty statuses are configured for Cboe
            return parse_delayed_quotes(http.json(response))

    def _read_file(self) -> Parsed:
        assert self.file is not None
        try:
            data = self.file.read_bytes()
        except OSError as exc:
            raise DataSourceError("cboe", f"cannot read {self.file}: {exc.strerror}") from None
        if data.lstrip()[:1] == b"{":
            try:
                body = json.loads(data)
            except (ValueError, UnicodeDecodeError) as exc:
                raise DataSourceError(
                    "cboe", f"{self.file.name}: invalid JSON ({exc}); truncated file?"
                ) from None
            except RecursionError:
                raise DataSourceError(
                    "cboe", f"{self.file.name}: JSON nested too deeply to read"
                ) from None
            return parse_delayed_quotes(body)
        chain = parse_quote_table(data)
        assert chain.fetched_at is not None  # the date line is always read
        return Parsed(
            chain.underlying, chain.as_of, chain.fetched_at, chain.spot, chain.frame,
            chain.set_aside, chain.warnings,
        )  # fmt: skip


SETTING_KEYS: Final = ("file", "base_url", *HTTP_SETTING_KEYS)
"""The settings ``create`` reads (docs/configuration.md); ``gex --source-opt`` checks
against them."""


def create(settings: Settings) -> CboeSource:
    """The Cboe source from its settings (keys in the module doc)."""
    rate, div_yield = rates_from(settings)
    return CboeSource(
        file=settings.get("file", None),
        base_url=str(settings.get("base_url", DEFAULT_BASE_URL)),
        symbols=symbols_setting(settings),
        rate=rate,
        div_yield=div_yield,
        http=http_config_from(settings),
    )
