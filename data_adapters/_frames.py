"""Shared helpers that turn provider columns into the canonical chain (engine/chain/ SCHEMA).

Conventions every adapter follows through these helpers:

- Symbols are upper-case underlyings (``SPX``, ``SPY``); :func:`normalize_symbol` strips the
  vendor decorations ``_`` (Cboe), ``^`` and ``$`` (index quotes) and ``I:`` (Polygon).
- An option root is not the underlying: ``SPX``/``SPXW`` both belong to ``SPX``
  (:data:`ROOTS_OF`). Roots of cash-settled index options are European (:data:`EUROPEAN_ROOTS`),
  everything else American. The model is ``bsm`` and ``underlying_price`` the spot.
- Contract ids are OSI without padding: root, ``YYMMDD``, ``C``/``P``, strike x 1000 in 8
  digits (``SPXW240105C04700000``); :data:`OSI_PATTERN` parses them anchored at the end.
- Missing numbers are null (identifiers: strike, right, expiry, open interest) so the
  validator quarantines the row with a reason, or NaN (quotes, IV, vendor greeks).
- Numbers in text (CSV cells, a title line, JSON strings, settings) are read by one parser:
  :func:`parse_number` for one value, :func:`number_expr` / :func:`unreadable_expr` for a
  column, both by :data:`NUMBER_PATTERN`: an optional sign, digits with optional ``,``
  thousands groups (``1,204``), an optional fraction, an optional exponent (``5.5765e2``),
  or ``inf``/``infinity``/``nan``. Blank text is missing; other text is *unreadable*, which
  an adapter reports (the row is set aside as ``malformed_row``), never silently NaN.
- ``settlement`` always comes from :func:`engine.settlement.with_settlement`.
- ``as_of`` is when the quotes were made. A stamp that is only a download or fetch time
  (a file's date line, a body's generation time, the clock) goes through
  :func:`fetched_snapshot`: ``as_of = quote_time(stamp, underlying)`` (the stamp inside a
  session, else the options' close of the last session before it) and ``fetched_at`` the
  stamp itself. A provider's own per-quote timestamp is already a quote time and is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import polars as pl

from data_adapters.errors import SourceConfigError
from data_adapters.http import HttpConfig, with_limits
from data_adapters.settings import DEFAULT_DIV_YIELD, DEFAULT_RATE, Settings
from engine import NEW_YORK
from engine.chain import RATE_BOUND, SCHEMA, ChainSnapshot
from engine.settlement import quote_time, with_settlement

HTTP_SETTING_KEYS: Final = (
    "rate", "div_yield", "symbols", "timeout", "max_attempts", "max_pages", "deadline",
    "max_body_bytes",
)  # fmt: skip
"""The settings every HTTP source reads (rates, symbols and the client's limits)."""

OSI_PATTERN: Final = r"^(?P<root>[A-Z0-9.]+?)\s*(?P<yymmdd>\d{6})(?P<cp>[CP])(?P<strike>\d{8})$"
OSI_RE: Final = re.compile(OSI_PATTERN)

ROOTS_OF: Final[Mapping[str, tuple[str, ...]]] = {
    "SPX": ("SPX", "SPXW"),
    "NDX": ("NDX", "NDXP"),
    "RUT": ("RUT", "RUTW"),
    "VIX": ("VIX", "VIXW"),
    "XSP": ("XSP",),
    "XND": ("XND",),
    "MRUT": ("MRUT",),
    "DJX": ("DJX",),
    "XEO": ("XEO",),
}
"""Cash-settled index underlyings -> their option roots (queried root by root)."""

INDEX_SYMBOLS: Final = frozenset(ROOTS_OF)
"""Underlyings that are indices: Cboe ``_SPX``, Polygon ``I:SPX``, ThetaData index price."""

EUROPEAN_ROOTS: Final = frozenset(r for roots in ROOTS_OF.values() for r in roots) | {"SPXPM"}
"""Option roots with European exercise (cash-settled index options)."""

_UNDERLYING_OF_ROOT: Final = {r: u for u, roots in ROOTS_OF.items() for r in roots}

DEFAULT_SYMBOLS: Final = ("SPX", "NDX", "RUT", "XSP", "SPY", "QQQ", "IWM", "DIA")
"""Well-known optionable underlyings, listed when a source cannot enumerate its own."""


NUMBER_BODY: Final = (
    r"[-+]?(?:(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
    r"|(?i:inf(?:inity)?|nan))"
)
"""A number as the adapters read it (unanchored, for searching inside a line)."""
NUMBER_PATTERN: Final = f"^(?:{NUMBER_BODY})$"
"""A whole cell that is a number (after stripping blanks)."""
_NUMBER_RE: Final = re.compile(NUMBER_PATTERN)


def parse_number(value: object) -> float | None:
    """One number from a text cell, a JSON value or a setting; ``None`` when missing.

    Missing: ``None``, or text that is blank. A Python ``int`` or ``float`` is taken as it is
    (an integer too large for a float is ``±inf``); text must match :data:`NUMBER_PATTERN`
    (thousands commas are dropped: ``"1,204"`` -> 1204.0, ``"5.5765e2"`` -> 557.65).
    Anything else (other text, ``bool``, lists, objects) raises :class:`ValueError`.
    """
    if value is None:
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _NUMBER_RE.match(text) is None:
            raise ValueError(f"not a number: {text[:40]!r}")
        return float(text.replace(",", ""))
    raise ValueError(f"not a number: a {type(value).__name__}")


def number_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`parse_number` over a String column: Float64, null when missing or unreadable."""
    text = expr.str.strip_chars()
    return pl.when(text.str.contains(NUMBER_PATTERN)).then(
        text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
    )


def unreadable_expr(expr: pl.Expr) -> pl.Expr:
    """True where a String column holds text that is neither blank nor a number."""
    text = expr.str.strip_chars()
    return ((text.str.len_bytes() > 0) & ~text.str.contains(NUMBER_PATTERN)).fill_null(False)


def normalize_symbol(symbol: str) -> str:
    """``"_spx"``, ``"^SPX"``, ``"I:SPX"``, ``" spx "`` -> ``"SPX"``."""
    text = str(symbol).strip().upper()
    if text.startswith("I:"):
        text = text[2:]
    return text.lstrip("_^$")


def underlying_of_root(root: str) -> str:
    """``SPXW`` -> ``SPX``; ``AAPL1`` (adjusted) -> ``AAPL``; other roots are their own."""
    root = root.upper()
    if root in _UNDERLYING_OF_ROOT:
        return _UNDERLYING_OF_ROOT[root]
    stripped = root.rstrip("0123456789")
    return stripped or root


def _alnum(symbol: str) -> str:
    return "".join(ch for ch in symbol.upper() if ch.isalnum())


def foreign_roots(roots: Sequence[str | None], underlying: str) -> set[str]:
    """The roots among ``roots`` that belong to another underlying than ``underlying``
    (:func:`underlying_of_root`, compared on letters and digits: ``BRKB`` is ``BRK.B``'s)."""
    want = _alnum(underlying)
    return {r for r in set(roots) if r is not None and _alnum(underlying_of_root(r)) != want}


def majority_underlying(roots: Sequence[str | None]) -> str | None:
    """The underlying most of ``roots`` belong to (ties: the first met); None without roots."""
    counts: dict[str, int] = {}
    for root in roots:
        if root is not None:
            name = underlying_of_root(root)
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def set_aside_frame(frame: pl.DataFrame, reasons: pl.Series, *, spot: float) -> pl.DataFrame:
    """Rows a source sets aside (``ChainSnapshot.set_aside``): :func:`chain_frame` of what
    could be read, plus ``reason`` (one of ``engine.chain.SOURCE_REASONS``)."""
    return chain_frame(frame, spot=spot).with_columns(reasons.cast(pl.String).alias("reason"))


def roots_of(symbol: str) -> tuple[str, ...]:
    """The option roots to query for an underlying."""
    return ROOTS_OF.get(symbol, (symbol,))


def style_expr(root: pl.Expr) -> pl.Expr:
    """``european`` for cash-settled index roots, ``american`` otherwise, null without root."""
    return (
        pl.when(root.is_null())
        .then(None)
        .when(root.is_in(sorted(EUROPEAN_ROOTS)))
        .then(pl.lit("european"))
        .otherwise(pl.lit("american"))
    )


def osi_symbol(root: str, expiration: date, is_call: bool, strike: float) -> str:
    """The unpadded OSI id of a contract (strike in dollars)."""
    cp = "C" if is_call else "P"
    return f"{root}{expiration:%y%m%d}{cp}{round(strike * 1000):08d}"


def osi_expr(root: str, expiration: str, is_call: str, strike: str) -> pl.Expr:
    """Vectorized :func:`osi_symbol` over four columns (null when any part is null)."""
    return pl.concat_str(
        pl.col(root),
        pl.col(expiration).dt.strftime("%y%m%d"),
        pl.when(pl.col(is_call)).then(pl.lit("C")).when(~pl.col(is_call)).then(pl.lit("P")),
        (pl.col(strike) * 1000).round(0).cast(pl.Int64).cast(pl.String).str.zfill(8),
    )


def parse_osi_column(name: str) -> list[pl.Expr]:
    """``root``, ``expiration``, ``strike``, ``is_call`` parsed from an OSI symbol column.

    Symbols that do not match give nulls, which the validator quarantines.
    """
    parts = pl.col(name).str.strip_chars().str.extract_groups(OSI_PATTERN)
    cp = parts.struct.field("cp")
    return [
        parts.struct.field("root").alias("root"),
        parts.struct.field("yymmdd")
        .str.strptime(pl.Date, "%y%m%d", strict=False)
        .alias("expiration"),
        (parts.struct.field("strike").cast(pl.Int64, strict=False) / 1000.0).alias("strike"),
        pl.when(cp == "C").then(True).when(cp == "P").then(False).alias("is_call"),
    ]


def to_int(expr: pl.Expr) -> pl.Expr:
    """A float count (Cboe's ``151.0``) to Int64, rounding; non-finite values become null."""
    value = expr.cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value.round(0)).cast(pl.Int64, strict=False)


def positive_or_nan(expr: pl.Expr) -> pl.Expr:
    """Vendor IV or gamma where ``0`` (or less, or null) means "not computed" -> NaN."""
    value = expr.cast(pl.Float64, strict=False)
    return pl.when(value > 0).then(value).otherwise(float("nan"))


def nonzero_or_nan(expr: pl.Expr) -> pl.Expr:
    """Vendor delta where exactly ``0`` (or null) means "not computed" -> NaN."""
    value = expr.cast(pl.Float64, strict=False)
    return pl.when(value.is_not_null() & (value != 0)).then(value).otherwise(float("nan"))


_FLOAT_NAN = ("bid", "ask", "last", "iv", "vendor_delta", "vendor_gamma")


def chain_frame(frame: pl.DataFrame, *, spot: float, multiplier: float = 100.0) -> pl.DataFrame:
    """Complete a frame of canonical columns into the exact SCHEMA, settlement included.

    ``frame`` must hold ``contract, root, expiration, strike, is_call``; the other columns
    are optional: ``style`` (from the root), ``model`` (``bsm``), ``multiplier``,
    ``underlying_price`` (``spot``), ``open_interest`` (null: quarantined), ``volume`` (0),
    quotes, IV and vendor greeks (NaN).
    """
    defaults: dict[str, pl.Expr] = {
        "style": style_expr(pl.col("root")),
        "model": pl.lit("bsm"),
        "multiplier": pl.lit(multiplier),
        "underlying_price": pl.lit(spot),
        "open_interest": pl.lit(None, dtype=pl.Int64),
        "volume": pl.lit(0, dtype=pl.Int64),
        **{name: pl.lit(float("nan")) for name in _FLOAT_NAN},
    }
    out = frame.with_columns(
        [expr.alias(name) for name, expr in defaults.items() if name not in frame.columns]
    )
    out = out.with_columns(
        [
            pl.col(name).cast(dtype, strict=False)
            for name, dtype in SCHEMA.items()
            if name in out.columns
        ]
    ).with_columns(
        pl.col("volume").fill_null(0),
        *(pl.col(name).fill_null(float("nan")) for name in _FLOAT_NAN),
    )
    out = out.with_columns(pl.lit(None, dtype=SCHEMA["settlement"]).alias("settlement"))
    return with_settlement(out.select(list(SCHEMA)))


def snapshot(
    underlying: str,
    as_of: datetime,
    spot: float,
    source: str,
    frame: pl.DataFrame,
    rates: tuple[float, float],
    *,
    fetched_at: datetime | None = None,
    set_aside: pl.DataFrame | None = None,
    warnings: Sequence[str] = (),
) -> ChainSnapshot:
    """The header plus frame, ``as_of`` and ``fetched_at`` normalized to UTC; ``set_aside``
    and ``warnings`` as in :class:`~engine.chain.ChainSnapshot` (empty set-aside -> None)."""
    return ChainSnapshot(
        underlying=underlying,
        as_of=as_of.astimezone(UTC),
        spot=float(spot),
        source=source,
        frame=frame,
        rate=rates[0],
        div_yield=rates[1],
        fetched_at=None if fetched_at is None else fetched_at.astimezone(UTC),
        set_aside=set_aside if set_aside is not None and set_aside.height else None,
        warnings=tuple(warnings),
    )


def fetched_snapshot(
    underlying: str,
    stamp: datetime,
    spot: float,
    source: str,
    frame: pl.DataFrame,
    rates: tuple[float, float],
) -> ChainSnapshot:
    """:func:`snapshot` for a download/fetch ``stamp``: ``as_of`` is its quote time.

    ``as_of = quote_time(stamp, underlying)`` and ``fetched_at = stamp`` (both UTC).
    """
    return snapshot(
        underlying, quote_time(stamp, underlying), spot, source, frame, rates, fetched_at=stamp
    )


def ny_datetime_expr(expr: pl.Expr) -> pl.Expr:
    """ISO date-times in New York local time without offset -> Datetime(us, UTC)."""
    naive = expr.str.strip_chars().str.to_datetime(time_unit="us", strict=False)
    return naive.dt.replace_time_zone(
        NEW_YORK.key, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


# -- settings -----------------------------------------------------------------------------


def _float_setting(settings: Settings, key: str, default: float) -> float:
    raw = settings.get(key, default)
    try:
        value = parse_number(raw)
    except ValueError:
        value = None
    if value is None:
        raise SourceConfigError(settings.source, f"setting {key!r} must be a number")
    if not math.isfinite(value):
        raise SourceConfigError(settings.source, f"setting {key!r} must be finite")
    return value


def rates_from(settings: Settings) -> tuple[float, float]:
    """``(rate, div_yield)`` from the settings, continuous decimals within ±``RATE_BOUND``
    (``engine.chain``: beyond it the validator refuses the header anyway)."""
    rates = (
        _float_setting(settings, "rate", DEFAULT_RATE),
        _float_setting(settings, "div_yield", DEFAULT_DIV_YIELD),
    )
    for key, value in zip(("rate", "div_yield"), rates, strict=True):
        if abs(value) > RATE_BOUND:
            raise SourceConfigError(
                settings.source,
                f"setting {key!r} must be a continuous decimal within ±{RATE_BOUND:g} "
                f"(0.04 = 4 %), not {value:g}",
            )
    return rates


def number_setting(settings: Settings, key: str, default: float | None) -> float | None:
    """An optional numeric setting (``None`` when absent and no default)."""
    if default is None and settings.get(key, None) is None:
        return None
    return _float_setting(settings, key, default if default is not None else 0.0)


def http_config_from(settings: Settings, **overrides: Any) -> HttpConfig:
    """``timeout`` (s), ``max_attempts``, ``max_pages``, ``deadline`` (s) and
    ``max_body_bytes`` settings over the defaults (every HTTP source reads them)."""
    base = HttpConfig(**overrides)
    timeout = _float_setting(settings, "timeout", base.timeout)
    attempts = int(_float_setting(settings, "max_attempts", base.max_attempts))
    pages = int(_float_setting(settings, "max_pages", base.max_pages))
    if timeout <= 0 or attempts < 1 or pages < 1:
        raise SourceConfigError(
            settings.source, "timeout must be > 0, max_attempts and max_pages >= 1"
        )
    return with_limits(
        settings,
        HttpConfig(
            **{**overrides, "timeout": timeout, "max_attempts": attempts, "max_pages": pages}
        ),
    )


def symbols_setting(settings: Settings) -> list[str]:
    """``symbols`` setting (comma-separated or a list) or :data:`DEFAULT_SYMBOLS`."""
    raw = settings.get("symbols", None)
    if raw is None:
        return list(DEFAULT_SYMBOLS)
    items: Sequence[Any] = raw.split(",") if isinstance(raw, str) else raw
    return [normalize_symbol(s) for s in items if str(s).strip()]
