"""The Cboe "quote table" CSV (the "Download CSV" button on cboe.com's option-chain pages).

Layout (``docs/providers.md`` §3.2):

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

Reading, row by row (``docs/data-quality.md``):

- Numbers go through the adapters' one parser (:func:`data_adapters._frames.parse_number`):
  ``Last: 5.5765e2`` is 557.65, ``"1,204"`` is 1204.
- A row with a different number of cells than the header (trailing empty cells aside), or a
  cell that should hold a number and holds other text, is set aside as ``malformed_row`` (a
  short row: both its contracts; a bad cell: that side's contract) and counted by the
  validator. A contract whose root belongs to another underlying than the file's (the one
  most rows belong to) is set aside as ``foreign_underlying``.
- A file cut short is reported in ``CsvChain.warnings``: a last row with fewer cells than
  the header, or a last line without its newline that cannot be read, is set aside and gives
  ``"truncated: the last row (line N) has 12 of 22 cells"``; a last line without newline
  that reads fine still gives a warning, since every Cboe download ends with one.
- A file no row of which can be read, or a line the CSV reader rejects, is one
  :class:`DataSourceError` naming the line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Final

import polars as pl

from data_adapters._frames import (
    NUMBER_BODY,
    chain_frame,
    foreign_roots,
    majority_underlying,
    nonzero_or_nan,
    number_expr,
    parse_number,
    parse_osi_column,
    positive_or_nan,
    set_aside_frame,
    to_int,
    unreadable_expr,
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
_LAST_RE: Final = re.compile(r"Last:\s*(?P<value>" + NUMBER_BODY + ")")
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
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
    UTC), spot, frame, ``fetched_at`` (the date line, UTC), ``set_aside`` (rows set aside
    with a reason, or None) and ``warnings`` (a file that looks cut short)."""

    __slots__ = ("as_of", "fetched_at", "frame", "set_aside", "spot", "underlying", "warnings")

    def __init__(
        self,
        underlying: str,
        as_of: datetime,
        spot: float,
        frame: pl.DataFrame,
        fetched_at: datetime | None = None,
        set_aside: pl.DataFrame | None = None,
        warnings: tuple[str, ...] = (),
    ):
        self.underlying = underlying
        self.as_of = as_of
        self.spot = spot
        self.frame = frame
        self.fetched_at = fetched_at
        self.set_aside = set_aside
        self.warnings = warnings


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


def _cells(line: str, number: int) -> list[str]:
    """One physical line's cells (a quote never spans lines in a quote table)."""
    if '"' not in line:
        return line.split(",")
    try:
        return next(csv.reader([line]))
    except (csv.Error, StopIteration) as exc:
        raise DataSourceError("cboe", f"line {number}: unreadable CSV ({exc})") from None


def _side(raw: pl.DataFrame, symbol_at: int, cols: dict[str, int]) -> pl.DataFrame:
    picked = raw.select(
        pl.col(f"c{symbol_at}").str.strip_chars().alias("contract"),
        *(number_expr(pl.col(f"c{i}")).alias(name) for name, i in cols.items()),
        pl.any_horizontal(*(unreadable_expr(pl.col(f"c{i}")) for i in cols.values()))
        .or_(pl.col("short"))
        .alias("malformed"),
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
        "malformed",
    )


def _numbered_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank physical lines with their 1-based numbers."""
    return [(i + 1, line) for i, line in enumerate(_LINE_BREAK.split(text)) if line.strip()]


def _body(rows: Sequence[tuple[int, list[str]]], width: int, needed: Sequence[int]) -> pl.DataFrame:
    """The cells at ``needed`` of each row as String columns ``c<i>`` (missing cells null),
    plus ``short`` (the row has another number of cells than the header) and ``line``."""
    short = [len(cells) != width for _, cells in rows]
    missing: list[str | None] = [None] * width
    fitted = [cells if len(cells) == width else [*cells, *missing][:width] for _, cells in rows]
    columns = list(zip(*fitted, strict=True)) if fitted else [()] * width
    frame = pl.DataFrame(
        {f"c{i}": pl.Series(columns[i], dtype=pl.String) for i in needed},
    )
    return frame.with_columns(
        pl.Series("short", short, dtype=pl.Boolean),
        pl.Series("line", [n for n, _ in rows], dtype=pl.Int64),
    )


def _trim(cells: list[str], width: int) -> list[str]:
    """Drop trailing empty cells beyond the header's width (trailing commas)."""
    if len(cells) > width and not any(c.strip() for c in cells[width:]):
        return cells[:width]
    return cells


def parse_quote_table(data: bytes | str) -> CsvChain:
    """Parse a whole quote-table download; every row gives a call and a put row.

    ``as_of`` is the quote time of the date line, ``fetched_at`` the date line (module doc).

    Rows that cannot be read are set aside (``malformed_row``), rows of another underlying
    too (``foreign_underlying``), and a cut file is reported in ``warnings`` (module doc); a
    file without its title, date or header line, or none of whose rows can be read, is a
    :class:`DataSourceError` naming the line.
    """
    text = data.decode("utf-8-sig", "replace") if isinstance(data, bytes) else data
    lines = _numbered_lines(text)
    if len(lines) < 3:
        raise DataSourceError("cboe", "not a Cboe quote-table CSV: fewer than three lines")
    (title_at, title), (date_at, date_line), (header_at, header_line) = lines[:3]
    last = _LAST_RE.search(title)
    if last is None:
        raise DataSourceError(
            "cboe", f"line {title_at}: no 'Last:' price in the title line {title[:80]!r}"
        )
    spot = parse_number(last.group("value"))
    if spot is None or not 0 < spot < float("inf"):
        raise DataSourceError(
            "cboe", f"line {title_at}: the 'Last:' price {last.group('value')!r} is not positive"
        )
    try:
        stamp = parse_date_line(date_line)
    except DataSourceError as exc:
        raise DataSourceError("cboe", f"line {date_at}: {exc.message}") from None
    try:
        left, right, calls_at, puts_at = _split_header(_cells(header_line, header_at))
    except DataSourceError as exc:
        raise DataSourceError("cboe", f"line {header_at}: {exc.message}") from None
    width = len(_cells(header_line, header_at))
    rows = [(n, _trim(_cells(line, n), width)) for n, line in lines[3:]]
    needed = sorted({calls_at, puts_at, *left.values(), *right.values()})
    raw = _body(rows, width, needed)
    sides = pl.concat([_side(raw, calls_at, left), _side(raw, puts_at, right)], how="vertical")
    if rows and bool(raw["short"].all()):
        n, cells = rows[0]
        raise DataSourceError(
            "cboe",
            f"line {n}: a row of {len(cells)} cells under a header of {width}; no row of the "
            "quote table can be read",
        )
    warnings = _truncation(rows, width, sides, ends_with_newline=text.endswith(("\n", "\r")))
    if any(w.startswith("truncated") for w in warnings):  # both contracts of the cut line
        sides = sides.with_columns(
            ((pl.int_range(pl.len()) % len(rows) == len(rows) - 1) | pl.col("malformed")).alias(
                "malformed"
            )
        )
    roots = sides.filter(~pl.col("malformed"))["root"].drop_nulls()
    if roots.is_empty():
        bad = raw["line"].filter(
            sides["malformed"].head(len(rows)) | sides["malformed"].tail(len(rows))
        )
        where = f"line {bad[0]}: " if len(bad) else ""
        raise DataSourceError("cboe", f"{where}the quote table holds no readable option symbol")
    underlying = majority_underlying(roots.to_list())
    assert underlying is not None
    foreign = sorted(foreign_roots(roots.unique().to_list(), underlying))
    reason = (
        pl.when(pl.col("malformed"))
        .then(pl.lit("malformed_row"))
        .when(pl.col("root").is_in(foreign))
        .then(pl.lit("foreign_underlying"))
        .alias("reason")
    )
    tagged = sides.with_columns(reason).drop("malformed")
    kept = tagged.filter(pl.col("reason").is_null()).drop("reason")
    aside = tagged.filter(pl.col("reason").is_not_null())
    frame = chain_frame(kept, spot=spot)
    set_aside = (
        set_aside_frame(aside.drop("reason"), aside["reason"], spot=spot) if aside.height else None
    )
    return CsvChain(
        underlying,
        cboe_quote_time(stamp, underlying),
        spot,
        frame,
        fetched_at=stamp,
        set_aside=set_aside,
        warnings=warnings,
    )


def _truncation(
    rows: Sequence[tuple[int, list[str]]],
    width: int,
    sides: pl.DataFrame,
    *,
    ends_with_newline: bool,
) -> tuple[str, ...]:
    """Warnings that the file was cut: a short last row, or a last line without newline."""
    if not rows:
        return ()
    n, cells = rows[-1]
    if len(cells) < width:
        return (f"truncated: the last row (line {n}) has {len(cells)} of {width} cells",)
    if ends_with_newline or len(cells) > width:  # too many cells: malformed, not cut
        return ()
    last = len(rows) - 1
    unreadable = bool(sides["malformed"][last]) or bool(sides["malformed"][last + len(rows)])
    if unreadable:
        return (f"truncated: the last row (line {n}) ends without a newline and cannot be read",)
    return (
        f"possibly truncated: the file ends without a newline, so its last row (line {n}) "
        "may be cut short",
    )


def cboe_quote_time(stamp: datetime, underlying: str) -> datetime:
    """:func:`engine.settlement.quote_time` of a Cboe stamp (a date line, a JSON timestamp);
    a stamp outside the calendar is a :class:`DataSourceError`."""
    try:
        return quote_time(stamp, underlying)
    except CalendarError as exc:
        raise DataSourceError("cboe", f"unusable stamp {stamp:%Y-%m-%d %H:%M} UTC: {exc}") from None
