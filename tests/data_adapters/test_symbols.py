"""The one symbol grammar: accepted symbols, refused ones, safe URL segments and folders."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data_adapters.errors import DataSourceError, InvalidSymbolError
from data_adapters.symbols import MAX_LENGTH, check_symbol, folder_name, url_segment

GOOD = ["SPX", "spy", "BRK.B", "ES=F", "^VIX", "BF/B", "RDS-A", "X" * MAX_LENGTH, " qqq "]
BAD = ["", "..", ".", ".SPY", "SPY?x=1", "SPY#frag", "SPY\r\nX", "ÄÖÜ", "A" * 25, "S P",
       "SPY%", "SPY\x00", "-SPY", "/SPY", "=F"]  # fmt: skip
ALLOWED = re.compile(r"[A-Za-z0-9^][A-Za-z0-9.=^/\-]{0,23}")


@pytest.mark.parametrize("symbol", GOOD)
def test_accepted_symbols_come_back_upper_case(symbol: str) -> None:
    assert check_symbol(symbol) == symbol.strip().upper()


@pytest.mark.parametrize("symbol", BAD)
def test_refused_symbols_are_typed_errors_quoting_them_safely(symbol: str) -> None:
    with pytest.raises(InvalidSymbolError) as info:
        check_symbol(symbol)
    message = str(info.value)
    assert isinstance(info.value, DataSourceError)
    assert message.isascii() and "\r" not in message and "\n" not in message


def test_segments_and_folders_are_single_safe_names() -> None:
    assert url_segment("ES=F") == "ES%3DF"
    assert folder_name("BF/B") == "BF%2FB"
    assert url_segment("^vix") == "%5EVIX"
    with pytest.raises(InvalidSymbolError):
        folder_name("..")


@given(st.text(max_size=40))
def test_any_text_is_either_a_grammatical_symbol_or_a_typed_error(text: str) -> None:
    try:
        symbol = check_symbol(text)
    except InvalidSymbolError:
        assert not ALLOWED.fullmatch(text.strip()) or set(text.strip()) <= {"."}
        return
    assert ALLOWED.fullmatch(symbol) and symbol == symbol.upper()
    for name in (folder_name(symbol), url_segment(symbol)):
        assert "/" not in name and name not in (".", "..") and name.isascii()
        assert unquote(name) == symbol  # reversible
