"""The row rules: the compiled pass and its interpreted twin, and the frame's NumPy views."""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from engine.chain import REASONS, validate
from engine.chain.columns import NAT, frame_columns
from engine.chain.rules import row_reasons
from tests.engine.chain_factory import AS_OF, frame, row, snapshot


def _messy_rows() -> list[dict[str, object]]:
    return [
        row(contract="A"),
        row(contract=None),
        row(contract="B", is_call=None),
        row(contract="C", strike=math.nan),
        row(contract="D", expiration=None),
        row(contract="E", underlying_price=0.0),
        row(contract="F", multiplier=2e6),
        row(contract="G", model="heston"),
        row(contract="H", style=None),
        row(contract="I", open_interest=None),
        row(contract="J", bid=-1.0),
        row(contract="K", iv=500.0),
        row(contract="A"),  # a duplicate
        row(contract="L", expiration=date(2024, 1, 4)),  # expired
        row(contract="M", iv=math.nan, bid=5.0, ask=4.0),  # crossed, no IV
        row(contract="N", iv=math.nan, bid=math.nan, ask=4.0),  # NaN bid above the ask
        row(contract="O", iv=math.nan, bid=None, ask=4.0),  # a null bid is never crossed
    ]


def test_kernel_and_twin_give_the_validators_reasons(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    f = frame(_messy_rows())
    c = frame_columns(f)
    offsets = np.array([0, f.height])
    compiled = row_reasons(c, offsets, np.array([4700.0]), AS_OF)
    monkeypatch.setenv("GEX_ENGINE_PURE_PYTHON", "1")
    twin = row_reasons(c, offsets, np.array([4700.0]), AS_OF)
    np.testing.assert_array_equal(compiled, twin)
    names = [None if k < 0 else REASONS[k] for k in compiled]
    assert names == [
        None, "missing_contract", "unknown_right", "invalid_strike", "invalid_expiration",
        "invalid_underlying_price", "invalid_multiplier", "unknown_model", "unknown_style",
        "invalid_open_interest", "invalid_price", "implausible_iv", "duplicate_contract",
        "expired", "crossed_quote", "crossed_quote", None,
    ]  # fmt: skip
    v = validate(snapshot(_messy_rows()))
    assert v.quarantine["reason"].to_list() == [n for n in names if n is not None]
    assert v.used["contract"].to_list() == ["A", "O"]


def test_frame_columns_keep_nulls_apart() -> None:
    f = frame([row(), row(contract="B", bid=None, expiration=None, is_call=None)])
    c = frame_columns(f)
    assert c.bid_null.tolist() == [False, True] and math.isnan(c.bid[1])
    assert c.call_null.tolist() == [False, True] and not c.is_call[1]
    assert c.expiration[1] == NAT and c.settlement[1] == NAT
    assert c.bsm.all() and c.european.all() and not c.black76.any()
