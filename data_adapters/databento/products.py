"""Which Databento dataset, parent symbols and contract spelling serve a symbol (docs/databento.md).

Equity and index options come from the OPRA dataset: the parents are the option roots of the
underlying (``SPY`` -> ``SPY.OPT``; ``SPX`` -> ``SPX.OPT`` and ``SPXW.OPT``), OPRA's raw symbols
are OSI with the root padded to six characters (``"SPY   241220C00600000"``), and the canonical
contract id is the same without the padding.

Options on futures come from CME Globex (``GLBX.MDP3``): ``ES=F`` and ``NQ=F`` (the symbols of
the demo market). CME lists each expiration under its own option root (the quarterlies under
the future's root, end-of-month, Friday weeklies and Monday-to-Thursday dailies under others),
so one symbol asks for every root's parent. The raw symbols (``ESZ4 C6000``, ``E3CZ4 P5900``)
are kept as the contract ids; the underlying future of each option comes from its definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from data_adapters._frames import OSI_RE, normalize_symbol, roots_of
from data_adapters.errors import InvalidSymbolError
from data_adapters.symbols import check_symbol

__all__ = [
    "CME_OPTION_RE",
    "FUTURES",
    "Contract",
    "FuturesProduct",
    "Product",
    "parse_contract",
    "product_for",
]

Kind = Literal["opra", "futures"]

CME_OPTION_RE: Final = re.compile(
    r"^(?P<root>[A-Z0-9]{1,6}?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{1,2}) "
    r"(?P<cp>[CP])(?P<strike>\d{1,7}(?:\.\d{1,6})?)$"
)
"""A CME option's raw symbol: root, month code, year digit(s), a space, ``C``/``P``, strike."""


@dataclass(frozen=True, slots=True)
class FuturesProduct:
    """A futures product whose options the source serves (CME contract facts)."""

    future_root: str
    option_roots: tuple[str, ...]
    multiplier: float


def _cme_roots(quarterly: str, eom: str, weekly: str, daily: str) -> tuple[str, ...]:
    weeklies = tuple(f"{weekly}{n}" for n in range(1, 5))
    dailies = tuple(f"{daily}{n}{day}" for day in "ABCD" for n in range(1, 6))
    return (quarterly, eom, *weeklies, *dailies)


FUTURES: Final = {
    "ES=F": FuturesProduct("ES", _cme_roots("ES", "EW", "EW", "E"), 50.0),
    "NQ=F": FuturesProduct("NQ", _cme_roots("NQ", "QNE", "QN", "Q"), 20.0),
}
"""``ES=F``/``NQ=F`` -> the future's root, every option root listed on it, the multiplier
($50 and $20 per index point)."""


@dataclass(frozen=True, slots=True)
class Product:
    """What one symbol asks of Databento."""

    symbol: str
    kind: Kind
    parents: tuple[str, ...]
    futures: FuturesProduct | None = None

    @property
    def model(self) -> str:
        return "black76" if self.kind == "futures" else "bsm"


def product_for(symbol: str) -> Product:
    """The dataset kind and parent symbols of an underlying (``SPY``, ``SPX``, ``ES=F``)."""
    wanted = check_symbol(normalize_symbol(symbol))
    futures = FUTURES.get(wanted)
    if futures is not None:
        return Product(wanted, "futures", tuple(f"{r}.OPT" for r in futures.option_roots), futures)
    if "=" in wanted or "/" in wanted:
        known = ", ".join(FUTURES)
        raise InvalidSymbolError(
            f"databento serves options on the futures {known} only, not {ascii(symbol)[:40]}"
        )
    return Product(wanted, "opra", tuple(f"{root}.OPT" for root in roots_of(wanted)))


@dataclass(frozen=True, slots=True)
class Contract:
    """One option contract asked for by ``trades``: its raw symbol at Databento and its
    canonical id."""

    kind: Kind
    raw_symbol: str
    contract: str
    underlying: str


def _osi_raw(text: str) -> Contract | None:
    match = OSI_RE.match(text.removeprefix("O:"))
    if not match:
        return None
    root, tail = match["root"], "".join(match.group("yymmdd", "cp", "strike"))
    if len(root) > 6:
        raise InvalidSymbolError(f"invalid option contract {ascii(text)[:40]}: root too long")
    check_symbol(root)
    return Contract("opra", f"{root:<6}{tail}", f"{root}{tail}", root)


def _cme_raw(text: str) -> Contract | None:
    match = CME_OPTION_RE.match(" ".join(text.split()))
    if not match:
        return None
    for symbol, product in FUTURES.items():
        if match["root"] in product.option_roots:
            raw = match.group(0)
            return Contract("futures", raw, raw, symbol)
    raise InvalidSymbolError(
        f"unknown CME option root {match['root']!r}: databento serves the options of "
        f"{', '.join(FUTURES)}"
    )


def parse_contract(text: object) -> Contract | None:
    """An OSI contract (``SPY241220C00600000``, ``O:`` allowed) or a CME option raw symbol
    (``ESZ4 C6000``) as a :class:`Contract`; ``None`` when ``text`` is neither (an
    underlying)."""
    if not isinstance(text, str):
        raise InvalidSymbolError(f"invalid symbol {ascii(text)[:40]}")
    upper = text.strip().upper()
    if len(upper) > 40:
        raise InvalidSymbolError(f"invalid symbol {ascii(text)[:40]}: too long")
    return _osi_raw(upper) or _cme_raw(upper)
