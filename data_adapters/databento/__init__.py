"""Databento's historical API: OPRA equity/index options and CME options on futures
(docs/databento.md).

``snapshot(symbol, as_of=None)`` joins, for the chain in force at ``as_of``, the option
definitions (``definition``), the latest published open interest (``statistics``,
``stat_type`` 9) and the last top of book of each contract in the ``quote_window`` minutes
before the quote instant (``cbbo-1m`` at OPRA, ``bbo-1m`` at CME). ``as_of`` may be any past
instant the service holds; ``None`` asks the service how far its data reach
(``metadata.get_dataset_range``) and takes that end. The quote instant is ``as_of`` inside a
session, else the close before it (:func:`engine.settlement.quote_time` for OPRA, the Globex
week for CME). OPRA carries no underlying price: the spot is implied by put-call parity from
the chain's own quotes, or read from an equities dataset (setting ``equities_dataset``) for
stocks and ETFs. CME options (``ES=F``, ``NQ=F``) are Black-76 on their own future, whose mid
is each row's ``underlying_price``; the header spot is the front future.

``trades(symbol, day)`` gives every trade with the top of book before it: OPRA ``tcbbo``, CME
``tbbo`` (or ``mbp-1`` trades). Databento's records carry no trade condition: every
``condition`` is ``unknown``.

Settings (``GEX_DATABENTO_<KEY>`` or ``[sources.databento]``): ``api_key`` (or ``key``;
secret, required), ``gateway`` (or ``base_url``), ``opra_dataset``, ``futures_dataset``,
``equities_dataset``, ``opra_quotes_schema``, ``futures_quotes_schema``,
``equities_quotes_schema``, ``futures_trades_schema``, ``quote_window`` (minutes),
``oi_lookback_days``, and as for every source ``symbols``, ``rate``, ``div_yield``,
``timeout``, ``max_attempts``, ``deadline``, ``max_body_bytes`` (defaults and meaning in
docs/databento.md).
"""

from __future__ import annotations

import re
from typing import Final

from data_adapters._frames import (
    HTTP_SETTING_KEYS,
    http_config_from,
    number_setting,
    rates_from,
    symbols_setting,
)
from data_adapters.databento.checks import DEFAULT_GATEWAY, check_gateway, check_key
from data_adapters.databento.source import DatabentoSource, Datasets
from data_adapters.errors import SourceConfigError
from data_adapters.settings import Settings

__all__ = [
    "DEFAULT_GATEWAY",
    "SETTING_KEYS",
    "DatabentoSource",
    "Datasets",
    "create",
]

_DATASET_RE: Final = re.compile(r"^[A-Z0-9]{2,16}\.[A-Z0-9]{2,16}$")
_QUOTE_SCHEMAS: Final = {
    "opra_quotes_schema": ("cbbo-1m", ("cbbo-1m", "cbbo-1s", "cmbp-1")),
    "futures_quotes_schema": ("bbo-1m", ("bbo-1m", "bbo-1s", "mbp-1")),
    "equities_quotes_schema": ("bbo-1m", ("bbo-1m", "bbo-1s", "mbp-1")),
    "futures_trades_schema": ("tbbo", ("tbbo", "mbp-1")),
}
DEFAULT_TIMEOUT: Final = 60.0
"""Seconds per socket operation: a range request may wait on the service before it streams."""
DEFAULT_DEADLINE: Final = 300.0
"""Seconds for one snapshot or trades call (several range requests of whole chains)."""
DEFAULT_MAX_BODY_BYTES: Final = 512 * 2**20
"""Cap on each decompressed DBN stream (a day of an index's trades runs to hundreds of MiB)."""


def _dataset(settings: Settings, key: str, default: str | None) -> str | None:
    raw = settings.get(key, default)
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none")):
        return None
    text = str(raw).strip().upper()
    if not _DATASET_RE.match(text):
        raise SourceConfigError(
            "databento", f"setting {key!r} must be a dataset code such as OPRA.PILLAR"
        )
    return text


def _schema(settings: Settings, key: str) -> str:
    default, allowed = _QUOTE_SCHEMAS[key]
    text = str(settings.get(key, default)).strip().lower()
    if text not in allowed:
        raise SourceConfigError("databento", f"setting {key!r} must be one of {', '.join(allowed)}")
    return text


SETTING_KEYS: Final = (
    "api_key", "key", "gateway", "base_url", "opra_dataset", "futures_dataset",
    "equities_dataset", "opra_quotes_schema", "futures_quotes_schema",
    "equities_quotes_schema", "futures_trades_schema", "quote_window", "oi_lookback_days",
    *HTTP_SETTING_KEYS,
)  # fmt: skip
"""The settings ``create`` reads (docs/configuration.md); ``gex --source-opt`` checks
against them."""


def create(settings: Settings) -> DatabentoSource:
    """The Databento source from its settings (keys in the module doc)."""
    key = check_key(settings.get("api_key", None) or settings.get("key", None))
    gateway = check_gateway(
        settings.get("gateway", None) or settings.get("base_url", DEFAULT_GATEWAY)
    )
    opra = _dataset(settings, "opra_dataset", "OPRA.PILLAR")
    futures = _dataset(settings, "futures_dataset", "GLBX.MDP3")
    if opra is None or futures is None:
        raise SourceConfigError("databento", "opra_dataset and futures_dataset cannot be empty")
    datasets = Datasets(
        opra=opra,
        futures=futures,
        equities=_dataset(settings, "equities_dataset", None),
        opra_quotes=_schema(settings, "opra_quotes_schema"),
        futures_quotes=_schema(settings, "futures_quotes_schema"),
        equities_quotes=_schema(settings, "equities_quotes_schema"),
        futures_trades=_schema(settings, "futures_trades_schema"),
    )
    window = number_setting(settings, "quote_window", 15.0)
    lookback = number_setting(settings, "oi_lookback_days", 4.0)
    if window is None or not 0 < window <= 1440:
        raise SourceConfigError("databento", "setting 'quote_window' must be in (0, 1440] minutes")
    if lookback is None or not 0 <= lookback <= 30 or lookback != int(lookback):
        raise SourceConfigError("databento", "setting 'oi_lookback_days' must be a whole 0..30")
    rate, div_yield = rates_from(settings)
    http = http_config_from(
        settings,
        timeout=DEFAULT_TIMEOUT,
        deadline=DEFAULT_DEADLINE,
        max_body_bytes=DEFAULT_MAX_BODY_BYTES,
    )
    return DatabentoSource(
        key,
        gateway=gateway,
        datasets=datasets,
        quote_window=window,
        oi_lookback_days=int(lookback),
        symbols=symbols_setting(settings) if settings.get("symbols", None) is not None else None,
        rate=rate,
        div_yield=div_yield,
        http=http,
    )
