"""The one symbol grammar, checked at every edge (HTTP path and query, CLI, MCP, adapters).

A symbol is 1 to :data:`MAX_LENGTH` characters of ASCII letters, digits and ``.``, ``=``,
``^``, ``/``, ``-``, starting with a letter, digit or ``^`` (``SPX``, ``BRK.B``, ``ES=F``,
``^VIX``, ``BF/B``). Symbols are case-insensitive on input and upper-case on output.
Anything else — ``..``, ``SPY?x=1``, ``SPY#frag``, control characters, non-ASCII — is an
:class:`InvalidSymbolError` before any provider or file is touched. Adapters that build
URLs or file names from a symbol use :func:`url_segment` and :func:`folder_name`, never
string concatenation of the raw text.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

from data_adapters.errors import InvalidSymbolError

__all__ = [
    "MAX_LENGTH",
    "SYMBOL_PATTERN",
    "InvalidSymbolError",
    "check_symbol",
    "folder_name",
    "url_segment",
]

MAX_LENGTH: Final = 24
SYMBOL_PATTERN: Final = r"^[A-Za-z0-9^][A-Za-z0-9.=^/\-]{0,23}$"
_SYMBOL_RE: Final = re.compile(SYMBOL_PATTERN)
_ONLY_DOTS: Final = re.compile(r"^[.]+$")


def check_symbol(symbol: object) -> str:
    """The symbol upper-cased, or :class:`InvalidSymbolError` (the message quotes it safely)."""
    text = symbol.strip() if isinstance(symbol, str) else None
    if text is None or not _SYMBOL_RE.fullmatch(text) or _ONLY_DOTS.fullmatch(text):
        shown = ascii(symbol)[:40]
        raise InvalidSymbolError(
            f"invalid symbol {shown}: use 1-{MAX_LENGTH} ASCII letters, digits or . = ^ / - "
            "(e.g. SPX, BRK.B, ES=F, ^VIX)"
        )
    return text.upper()


def url_segment(symbol: str) -> str:
    """A checked symbol as one URL path segment (``/`` and ``^`` percent-encoded)."""
    return quote(check_symbol(symbol), safe="")


def folder_name(symbol: str) -> str:
    """A checked symbol as a safe, reversible folder name (``ES=F`` -> ``ES%3DF``,
    ``BF/B`` -> ``BF%2FB``): no separators, no dot names, bounded length."""
    return quote(check_symbol(symbol), safe="")
