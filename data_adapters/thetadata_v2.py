"""ThetaData terminal v2 REST (legacy, ``http://127.0.0.1:25510``), ``docs/providers.md`` §2.1.

JSON envelope ``{"header": {"format": [...], "next_page": ...}, "response": [...]}``; columns
are always looked up by their ``header.format`` names, never by position. Bulk responses are
``[{"contract": {root, expiration, strike, right}, "ticks": [[row], ...]}]`` (very old
terminals send ``tick``); plain responses (index price) are ``[[row], ...]``. Units: strike
an int in **1/10 cent** (170000 = $170.00), expiration an int ``YYYYMMDD``, right ``C``/``P``,
time ``ms_of_day`` (ms after midnight **New York**) plus ``date`` ``YYYYMMDD``. Pages follow
``header.next_page`` (or the ``Next-Page`` response header); the string ``"null"`` means done.
HTTP 472 (no data) is an empty result. Every frame returned has the keys ``root,
expiration (Date), strike (dollars), is_call`` plus named value columns.

Errors inside a 200 body: ``header.error_type`` other than the string ``"null"`` is the
terminal's error (``header.error_msg`` its text). ``NO_DATA`` is an empty result like 472;
``PERMISSION``, ``WRONG_IP`` and ``INVALID_SESSION_ID`` are :class:`UpstreamAuthError` s;
``OS_LIMIT`` an :class:`UpstreamRateLimitedError`; any other a :class:`DataSourceError`
quoting both. A body of the wrong shape (no ``response`` list, a ``format`` that is not a
list of names, rows that are not lists) is an :class:`UpstreamInvalidError`; cells of the
wrong type (a string where a number belongs) become nulls, which the validator quarantines.

Trade conditions (v2 and v3 alike): ThetaData's own code in the ``condition`` column becomes
one name of the canonical vocabulary (:mod:`engine.flow.conditions`) through
:data:`THETADATA_CONDITIONS` (ThetaData's published trade-condition table, restricted to the
codes options trades carry); a code not in the table, or no code, is ``unknown``. The
``ext_condition1..4`` columns are not read.
"""

from __future__ import annotations

import math
from datetime import date
from types import MappingProxyType
from typing import Any, Final

import httpx
import polars as pl

from data_adapters._frames import osi_expr
from data_adapters.base import TRADES_SCHEMA
from data_adapters.errors import (
    DataSourceError,
    UpstreamAuthError,
    UpstreamRateLimitedError,
)
from data_adapters.http import HttpClient
from engine import NEW_YORK
from engine.flow.conditions import UNKNOWN

__all__ = ["THETADATA_CONDITIONS", "V2Api", "condition_expr"]

DEFAULT_V2_URL: Final = "http://127.0.0.1:25510"
_NULLS: Final = (None, "", "null")
_NO_DATA: Final = ("NO_DATA",)
_AUTH_ERRORS: Final = ("PERMISSION", "WRONG_IP", "INVALID_SESSION_ID", "INVALID_SESSION")
_RATE_ERRORS: Final = ("OS_LIMIT",)

THETADATA_CONDITIONS: Final = MappingProxyType({
    0: "regular",              # REGULAR
    2: "out_of_sequence",      # OUT_OF_SEQ
    5: "late",                 # OPEN_REPORT_LATE
    6: "out_of_sequence",      # OPEN_REPORT_OUT_OF_SEQ
    7: "opening",              # OPEN_REPORT_IN_SEQ
    13: "late",                # SOLD_LAST (late report)
    15: "late",                # BUNCHED_SOLD (bunched, reported late)
    18: "auto_execution",      # AUTO_EXECUTION
    21: "reopening",           # REOPEN (after a halt)
    35: "multi_leg",           # SPREAD
    36: "multi_leg",           # STRADDLE
    37: "stock_option",        # BUY_WRITE (the option leg of a covered call)
    38: "multi_leg",           # COMBO
    40: "cancelled",           # CANC
    41: "cancelled",           # CANC_LAST
    42: "cancelled",           # CANC_OPEN
    43: "cancelled",           # CANC_ONLY
    44: "cancelled",           # CANC_STPD
    55: "regular",             # STOPPED_REGULAR
    56: "late",                # STOPPED_SOLD_LAST
    57: "out_of_sequence",     # STOPPED_OUT_OF_SEQ
    62: "opening",             # OPEN_REPORT
    65: "out_of_sequence",     # OUT_OF_SEQ_PRE_MKT
    95: "intermarket_sweep",   # INTERMARKET_SWEEP
    97: "reopening",           # REOPENING
    105: "stock_option",       # STOCK_OPTION / CONTINGENT_TRADE
    106: "regular",            # STOPPED_IM (stopped, no trade-through)
    117: "corrected",          # CORRECTED_LAST
    118: "regular",            # OPRA_EXT_HOURS
    124: "stock_option",       # QUALIFIED_CONTINGENT_TRADE
    125: "single_leg_auction",  # SINGLE_LEG_AUCTION_NON_ISO
    126: "single_leg_auction",  # SINGLE_LEG_AUCTION_ISO
    127: "single_leg_cross",   # SINGLE_LEG_CROSS_NON_ISO
    128: "single_leg_cross",   # SINGLE_LEG_CROSS_ISO
    129: "single_leg_floor",   # SINGLE_LEG_FLOOR_TRADE
    130: "multi_leg",          # MULTI_LEG_AUTOELEC_TRADE
    131: "multi_leg_auction",  # MULTI_LEG_AUCTION
    132: "multi_leg_cross",    # MULTI_LEG_CROSS
    133: "multi_leg_floor",    # MULTI_LEG_FLOOR_TRADE
    134: "multi_leg",          # ML_AUTO_ELEC_TRADE_AGSL (against single legs)
    135: "stock_option",       # STOCK_OPTIONS_AUCTION
    136: "multi_leg_auction",  # ML_AUCTION_AGSL
    137: "multi_leg_floor",    # ML_FLOOR_TRADE_AGSL
    138: "stock_option",       # STK_OPT_AUTO_ELEC_TRADE
    139: "stock_option",       # STOCK_OPTIONS_CROSS
    140: "stock_option",       # STOCK_OPTIONS_FLOOR_TRADE
    141: "stock_option",       # STK_OPT_AE_TRD_AGSL
    142: "stock_option",       # STK_OPT_AUCTION_AGSL
    143: "stock_option",       # STK_OPT_FLOOR_TRADE_AGSL
    144: "multi_leg_floor",    # ML_FLOOR_TRADE_OF_PP (proprietary products)
    145: "regular",            # BID_AGGRESSOR
    146: "regular",            # ASK_AGGRESSOR
    148: "regular",            # EXTENDED_HOURS_TRADE
})  # fmt: skip
"""ThetaData trade condition code -> canonical condition (:mod:`engine.flow.conditions`)."""


def condition_expr(code: pl.Expr) -> pl.Expr:
    """A column of ThetaData condition codes (numbers or their text) -> canonical names."""
    value = code.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    number = pl.when(value == value.round(0)).then(value).cast(pl.Int64, strict=False)
    return number.replace_strict(
        dict(THETADATA_CONDITIONS), default=UNKNOWN, return_dtype=pl.String
    ).fill_null(UNKNOWN)


def _number(value: Any) -> float | None:
    """A cell meant to be a number: ints and floats pass, anything else is null."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _header(body: dict[str, Any]) -> dict[str, Any]:
    header = body.get("header")
    return header if isinstance(header, dict) else {}


def _next_page(response: httpx.Response, body: Any) -> str | None:
    link = _header(body).get("next_page") if isinstance(body, dict) else None
    if link in _NULLS:
        link = response.headers.get("next-page")
    return None if link in _NULLS or not isinstance(link, str) else link


def _ny_instant(date_col: str, ms_col: str) -> pl.Expr:
    day = pl.col(date_col).cast(pl.Int64, strict=False).cast(pl.String)
    midnight = day.str.strptime(pl.Datetime("us"), "%Y%m%d", strict=False)
    local = midnight + pl.duration(milliseconds=pl.col(ms_col).cast(pl.Int64, strict=False))
    return local.dt.replace_time_zone(
        NEW_YORK.key, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


class V2Api:
    """Snapshot and history requests of the v2 terminal, as canonical-keyed frames."""

    version = "v2"

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _rows(self, path: str, params: dict[str, Any], wanted: dict[str, str]) -> pl.DataFrame:
        """All pages of ``path`` as a frame: contract keys + ``wanted`` (format name -> column)."""

        def parse(response: httpx.Response) -> Any:
            body = self.http.json(response)
            if isinstance(body, dict):
                self._check_error(path, body, response.status_code)
            if not isinstance(body, dict) or not isinstance(body.get("response"), list):
                raise self.http.invalid(f"GET {path}: unexpected body (no response list)")
            return body

        records: list[dict[str, Any]] = []
        for body in self.http.paginate(path, params, parse, _next_page):
            fmt = _header(body).get("format") or []
            if not isinstance(fmt, list) or not all(isinstance(name, str) for name in fmt):
                raise self.http.invalid(f"GET {path}: header.format is not a list of names")
            index: dict[str, int] = {}
            for i, name in enumerate(fmt):
                index.setdefault(name, i)
            missing = [name for name in wanted if name not in index]
            if missing and body["response"]:
                raise self.http.invalid(f"GET {path}: header.format lacks {missing}")
            for item in body["response"]:
                contract: dict[str, Any] = {}
                rows: Any = [item]
                if isinstance(item, dict):
                    found = item.get("contract")
                    contract = found if isinstance(found, dict) else {}
                    rows = item.get("ticks", item.get("tick")) or []
                    if not isinstance(rows, list):
                        raise self.http.invalid(f"GET {path}: ticks are not a list")
                    if rows and not isinstance(rows[0], list):
                        rows = [rows]
                for row in rows:
                    if not isinstance(row, list):
                        continue
                    rec: dict[str, Any] = {
                        col: _number(row[index[name]]) if index[name] < len(row) else None
                        for name, col in wanted.items()
                    }
                    root, right = contract.get("root"), contract.get("right")
                    rec.update(
                        root=root if isinstance(root, str) else None,
                        exp=_number(contract.get("expiration")),
                        strike_raw=_number(contract.get("strike")),
                        right=right if isinstance(right, str) else None,
                    )
                    records.append(rec)
        schema = {c: pl.Float64 for c in wanted.values()} | {
            "root": pl.String, "exp": pl.Float64, "strike_raw": pl.Float64, "right": pl.String,
        }  # fmt: skip
        frame = pl.DataFrame(records, schema=schema, strict=False)
        exp = pl.col("exp").cast(pl.Int64, strict=False).cast(pl.String)
        return frame.with_columns(
            exp.str.strptime(pl.Date, "%Y%m%d", strict=False).alias("expiration"),
            (pl.col("strike_raw") / 1000.0).alias("strike"),
            pl.col("right").str.to_uppercase().str.slice(0, 1).replace_strict(
                {"C": True, "P": False}, default=None, return_dtype=pl.Boolean
            ).alias("is_call"),
        ).drop("exp", "strike_raw", "right")  # fmt: skip

    def _check_error(self, path: str, body: dict[str, Any], status: int) -> None:
        """Raise the terminal's error of a 200 body (``header.error_type``), if any; a
        ``NO_DATA`` error empties the body's ``response`` instead."""
        header = _header(body)
        kind, text = header.get("error_type"), header.get("error_msg")
        if kind in _NULLS:
            return
        kind = str(kind).strip().upper()[:40]
        if kind in _NO_DATA:
            body["response"] = []
            return
        detail = " ".join(str(text).split())[:300] if text not in _NULLS else ""
        message = f"GET {path}: terminal error {kind}" + (f": {detail}" if detail else "")
        cls: type[DataSourceError] = DataSourceError
        if kind in _AUTH_ERRORS:
            cls = UpstreamAuthError
        elif kind in _RATE_ERRORS:
            cls = UpstreamRateLimitedError
        raise self.http.error(message, status, cls)

    def _bulk(self, req: str, root: str, wanted: dict[str, str]) -> pl.DataFrame:
        return self._rows(f"/v2/bulk_snapshot/option/{req}", {"root": root, "exp": 0}, wanted)

    def quotes(self, root: str) -> pl.DataFrame:
        got = self._bulk(
            "quote", root, {"bid": "bid", "ask": "ask", "ms_of_day": "ms", "date": "d"}
        )
        return got.with_columns(_ny_instant("d", "ms").alias("ts")).drop("ms", "d")

    def open_interest(self, root: str) -> pl.DataFrame:
        return self._bulk("open_interest", root, {"open_interest": "open_interest"})

    def ohlc(self, root: str) -> pl.DataFrame:
        return self._bulk("ohlc", root, {"volume": "volume", "close": "last"})

    def greeks(self, root: str) -> pl.DataFrame:
        first = self._bulk(
            "greeks", root,
            {"delta": "delta", "implied_vol": "iv", "underlying_price": "underlying_price"},
        )  # fmt: skip
        second = self._bulk("greeks_second_order", root, {"gamma": "gamma"})
        keys = ["root", "expiration", "strike", "is_call"]
        return first.join(second, on=keys, how="full", coalesce=True)

    def index_price(self, symbol: str) -> tuple[float, Any] | None:
        got = self._rows("/v2/snapshot/index/price", {"root": symbol},
                         {"price": "price", "ms_of_day": "ms", "date": "d"})  # fmt: skip
        got = got.with_columns(_ny_instant("d", "ms").alias("ts")).filter(pl.col("price") > 0)
        if got.is_empty():
            return None
        return float(got["price"][-1]), got["ts"][-1]

    def trade_quote(self, root: str, day: date, contract: dict[str, Any] | None) -> pl.DataFrame:
        ymd = f"{day:%Y%m%d}"
        params: dict[str, Any] = {"root": root, "exp": 0, "start_date": ymd, "end_date": ymd}
        path = "/v2/bulk_hist/option/trade_quote"
        if contract is not None:
            path = "/v2/hist/option/trade_quote"
            params |= {
                "exp": f"{contract['expiration']:%Y%m%d}",
                "strike": round(contract["strike"] * 1000),
                "right": "C" if contract["is_call"] else "P",
            }
        wanted = {"ms_of_day": "ms", "date": "d", "price": "price", "size": "size",
                  "condition": "condition", "bid": "bid", "ask": "ask"}  # fmt: skip
        got = self._rows(path, params, wanted)
        if contract is not None:
            got = got.with_columns(
                pl.lit(root).alias("root"),
                pl.lit(contract["expiration"]).alias("expiration"),
                pl.lit(contract["strike"]).alias("strike"),
                pl.lit(contract["is_call"]).alias("is_call"),
            )
        if got.is_empty():
            return pl.DataFrame(schema=TRADES_SCHEMA)
        out = got.select(
            osi_expr("root", "expiration", "is_call", "strike").alias("contract"),
            _ny_instant("d", "ms").alias("timestamp"),
            "price",
            pl.col("size").round(0).cast(pl.Int64, strict=False).alias("size"),
            condition_expr(pl.col("condition")).alias("condition"),
            "bid",
            "ask",
        )
        return out.cast(TRADES_SCHEMA).sort("timestamp", "contract")  # type: ignore[arg-type]
