"""The Cboe "quote table" CSV (the "Download CSV" button on cboe.com's option-chain pages).

Layout (``../shared/data/README.md``):

- line 1, after optional blank lines: ``<name>,Last: <spot>,Change: <chg>``
- line 2: ``"Date: <when>",Bid: ..`` with wordings such as ``January 7, 2024 at 10:52 AM EST``,
  ``February 5 2022, 8:26 PM EST`` or ``July 12, 2022, 11:55 AM EDT``; trailing commas occur.
- line 3: the header, calls on the left of ``Strike`` and puts on its right:
  ``Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,
  Puts,Last Sale,...``; then one row per (expiry, strike), i.e. **two contracts per row**.

Columns are found by their header names, on each side of ``Strike``. The option symbol
(``SPXW240105C01200000``) gives root, expiry, right and strike (x1000); the root is kept, so
SPX and SPXW at one strike are two contracts. Units: prices in dollars (index points), IV
decimal, Delta/Gamma Cboe's per-share values where ``0`` means "not computed" (-> NaN), a
``Last Sale`` of 0 means no trade (-> NaN), volume and OI counts; spot is ``Last:``.

The date line is the **download** time (``EST`` is UTC-5, ``EDT`` UTC-4, a bare ``ET`` New
York time), not the time of the quotes: a table saved on Sunday holds Friday's close. It is
kept as ``fetched_at``; ``as_of`` is :func:`engine.settlement.quote_time` of it: the date
line itself inside a session of the underlying's options, else the options' close of the
last session before it (16:15 New York for SPX or SPY, 16:00 for a stock; 13:15 / 13:00 on
early closes).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from typing import Final

import polars as pl

from data_adapters._frames import (
    chain_frame,
    nonzero_or_nan,
    parse_osi_column,
    positive_or_nan,
    to_int,
    underlying_of_root,
)
from data_adapters.errors import DataSourceError
from engine.errors import CalendarError
from engine.settlement import NEW_YORK, quote_time

__all__ = ["CsvChain", "cboe_quote_time", "parse_quote_table"]

_MONTHS: Final = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_ZONES: Final = {
    "EST": timezone(timedelta(hours=-5)),
    "EDT": timezone(timedelta(hours=-4)),
    "CST": timezone(timedelta(hours=-6)),
    "CDT": timezone(timedelta(hours=-5)),
    "UTC": timezone.utc,  # noqa: UP017 - a value in a table of zones
    "GMT": timezone.utc,  # noqa: UP017
}
_DATE_RE: Final = re.compile(
    r"Date:\s*(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?\s+(?:at\s+)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?"
    r"\s*(?P<zone>[A-Z]{2,4})?"
)
_LAST_RE: Final = re.compile(r"Last:\s*(?P<value>[-+]?[\d,]*\.?\d+)")
_FIELDS: Final = {
    "Last Sale": "last",
    "Bid": "bid",
    "Ask": "ask",
    "Volume": "volume",
    "IV": "iv",
    "Delta": "delta",
    "Gamma": "gamma",
    "Open Interest": "oi",
}


class CsvChain:
    """A parsed quote table: the underlying (from the roots), ``as_of`` (the quote time,
    UTC), spot, frame, and ``fetched_at`` (the date line, UTC)."""

    __slots__ = ("as_of", "fetched_at", "frame", "spot", "underlying")

    def __init__(
        self,
        underlying: str,
        as_of: datetime,
        spot: float,
        frame: pl.DataFrame,
        fetched_at: datetime | None = None,
    ):
        self.underlying = underlying
        self.as_of = as_of
        self.spot = spot
        self.frame = frame
        self.fetched_at = fetched_at


def parse_date_line(line: str) -> datetime:
    """``"Date: January 7, 2024 at 10:52 AM EST"`` -> 2024-01-07 15:52 UTC."""
    m = _DATE_RE.search(line)
    month = _MONTHS.get(m.group("month")[:3].lower()) if m else None
    if m is None or month is None:
        raise DataSourceError("cboe", f"cannot read the date line {line.strip()[:80]!r}")
    hour = int(m.group("hour"))
    ampm = (m.group("ampm") or "").upper()
    if ampm and not 1 <= hour <= 12:
        raise DataSourceError("cboe", f"invalid hour in the date line {line.strip()[:80]!r}")
    if ampm:
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    zone_name = m.group("zone")
    zone = _ZONES.get(zone_name or "", NEW_YORK)
    if zone_name and zone_name not in _ZONES and zone_name != "ET":
        raise DataSourceError("cboe", f"unknown time zone {zone_name!r} in the date line")
    try:
        local = datetime(
            int(m.group("year")), month, int(m.group("day")), hour, int(m.group("minute")),
            int(m.group("second") or 0), tzinfo=zone,
        )  # fmt: skip
    except ValueError as exc:
        raise DataSourceError("cboe", f"invalid date line {line.strip()[:80]!r}: {exc}") from None
    return local.astimezone(timezone.utc)  # noqa: UP017


def _split_header(header: list[str]) -> tuple[dict[str, int], dict[str, int], int, int]:
    names = [h.strip() for h in header]
    try:
        strike_at = names.index("Strike")
        calls_at = names.index("Calls")
        puts_at = names.index("Puts", strike_at)
    except ValueError:
        raise DataSourceError(
            "cboe", "the CSV header lacks the Calls, Strike or Puts column"
        ) from None
    left = {_FIELDS[n]: i for i, n in enumerate(names[:strike_at]) if n in _FIELDS}
    right = {_FIELDS[n]: i for i, n in enumerate(names) if n in _FIELDS and i > puts_at}
    for side, cols in (("call", left), ("put", right)):
        missing = sorted(set(_FIELDS.values()) - set(cols))
        if missing:
            raise DataSourceError("cboe", f"the CSV header lacks {side} column(s) {missing}")
    return left, right, calls_at, puts_at


def _number(name: str) -> pl.Expr:
    return pl.col(name).str.replace_all(",", "").str.strip_chars().cast(pl.Float64, strict=False)


def _side(raw: pl.DataFrame, symbol_at: int, cols: dict[str, int]) -> pl.DataFrame:
    picked = raw.select(
        pl.col(f"c{symbol_at}").str.strip_chars().alias("contract"),
        *(_number(f"c{i}").alias(name) for name, i in cols.items()),
    )
    return picked.select(
        "contract",
        *parse_osi_column("contract"),
        pl.col("bid"),
        pl.col("ask"),
        pl.when(pl.col("last") > 0).then(pl.col("last")).alias("last"),
        positive_or_nan(pl.col("iv")).alias("iv"),
        nonzero_or_nan(pl.col("delta")).alias("vendor_delta"),
        positive_or_nan(pl.col("gamma")).alias("vendor_gamma"),
        to_int(pl.col("oi")).alias("open_interest"),
        to_int(pl.col("volume")).fill_null(0).alias("volume"),
    )


def parse_quote_table(data: bytes | str) -> CsvChain:
    """Parse a whole quote-table download; every row gives a call and a put row.

    ``as_of`` is the quote time of the date line, ``fetched_at`` the date line (module doc).

    Rows whose cells cannot be read keep their place with nulls, for the validator's
    quarantine; a file without its title, date or header line is a :class:`DataSourceError`.
    """
    text = data.decode("utf-8-sig", "replace") if isinstance(data, bytes) else data
    lines = text.splitlines()
    lead = [i for i, line in enumerate(lines) if line.strip()][:3]
    if len(lead) < 3:
        raise DataSourceError("cboe", "not a Cboe quote-table CSV: fewer than three lines")
    title, date_line, header_line = (lines[i] for i in lead)
    last = _LAST_RE.search(title)
    if last is None:
        raise DataSourceError("cboe", f"no 'Last:' price in the title line {title[:80]!r}")
    spot = float(last.group("value").replace(",", ""))
    stamp = parse_date_line(date_line)
    header = next(csv.reader([header_line]))
    left, right, calls_at, puts_at = _split_header(header)
    body = "\n".join(line for line in lines[lead[2] + 1 :] if line.strip())
    width = len(header)
    if body.strip():
        raw = pl.read_csv(
            io.StringIO(body),
            has_header=False,
            new_columns=[f"c{i}" for i in range(width)],
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    else:
        raw = pl.DataFrame(schema={f"c{i}": pl.String for i in range(width)})
    sides = pl.concat([_side(raw, calls_at, left), _side(raw, puts_at, right)], how="vertical")
    roots = sides["root"].drop_nulls()
    if roots.is_empty():
        raise DataSourceError("cboe", "the quote table holds no readable option symbol")
    underlying = underlying_of_root(str(roots[0]))
    frame = chain_frame(sides, spot=spot)
    return CsvChain(underlying, cboe_quote_time(stamp, underlying), spot, frame, fetched_at=stamp)


def cboe_quote_time(stamp: datetime, underlying: str) -> datetime:
    """:func:`engine.settlement.quote_time` of a Cboe stamp (a date line, a JSON timestamp);
    a stamp outside the calendar is a :class:`DataSourceError`."""
    try:
        return quote_time(stamp, underlying)
    except CalendarError as exc:
        raise DataSourceError("cboe", f"unusable stamp {stamp:%Y-%m-%d %H:%M} UTC: {exc}") from None
