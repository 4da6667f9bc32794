"""The priced-chain pipeline: forwards, IV sources, exclusions, exposure columns."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import pytest

from engine.errors import ConfigurationError, EmptySnapshotError
from engine.greeks import bsm
from engine.pricing.chain import price_chain
from tests.engine.chain_factory import AS_OF, row, snapshot

SPOT, RATE, Q = 4700.0, 0.05, 0.013
EXPIRY = date(2024, 2, 16)  # SPXW, PM settled 2024-02-16 21:00 UTC


def _priced_rows(forward_q: float, iv: float = 0.2) -> list[dict[str, object]]:
    """A parity-consistent chain priced with dividend yield ``forward_q`` and quotes ±0.05."""
    from engine.settlement import settlement_instant
    from engine.time import SECONDS_PER_YEAR

    t = (settlement_instant("SPXW", EXPIRY) - AS_OF).total_seconds() / SECONDS_PER_YEAR
    rows = []
    for k in np.arange(4400.0, 5001.0, 25.0):
        for call in (True, False):
            price = float(bsm(SPOT, k, t, RATE, forward_q, iv, call).price)
            rows.append(
                row(
                    contract=f"SPXW{k:.0f}{'C' if call else 'P'}",
                    expiration=EXPIRY,
                    strike=float(k),
                    is_call=call,
                    underlying_price=SPOT,
                    bid=price - 0.05,
                    ask=price + 0.05,
                    iv=float("nan"),
                    open_interest=1000,
                )
            )
    return rows


def test_implied_forward_recovers_the_dividend_yield() -> None:
    p = price_chain(snapshot(_priced_rows(0.02), rate=RATE, div_yield=0.0))
    fw = p.forwards.row(0, named=True)
    assert fw["method"] in ("parity", "parity_fit")
    assert fw["rate"] == pytest.approx(RATE, abs=1e-6)
    t = fw["t"]
    assert fw["forward"] == pytest.approx(SPOT * math.exp((RATE - 0.02) * t), rel=1e-8)
    carry = p.contracts["carry"].to_numpy()
    assert carry == pytest.approx(np.full(carry.size, RATE - 0.02), abs=1e-6)
    assert p.contracts["iv"].to_numpy() == pytest.approx(np.full(carry.size, 0.2), rel=1e-6)
    assert set(p.iv_sources) == {"quote_otm"}
    # one smile: call and put of a strike share the OTM quote's IV, so their gammas agree
    c = p.contracts
    for k in np.unique(c["strike"].to_numpy()):
        at = c.filter(pl.col("strike") == k)
        assert at["iv"].n_unique() == 1 and at["gamma"].n_unique() == 1


def test_carry_mode_uses_the_configured_yield() -> None:
    p = price_chain(snapshot(_priced_rows(0.02), rate=RATE, div_yield=Q), forward="carry")
    assert p.forwards["method"].to_list() == ["carry"]
    assert p.contracts["carry"].to_numpy() == pytest.approx(RATE - Q)


def test_vendor_iv_is_a_fallback_and_unpriceable_rows_are_counted() -> None:
    rows = [
        row(contract="A", iv=0.18, bid=0.0, ask=0.0),  # no usable quote: the vendor's IV
        row(
            contract="B",
            iv=float("nan"),
            bid=0.0,
            ask=0.0,
            strike=4800.0,
            expiration=date(2024, 3, 15),
        ),
    ]
    p = price_chain(snapshot(rows))
    assert p.contracts["contract"].to_list() == ["A"]
    assert p.contracts["iv_source"].to_list() == ["vendor_fallback"]
    assert p.contracts["iv"].to_list() == [0.18]
    quoted = price_chain(snapshot([row(contract="A", iv=0.99)]))
    assert quoted.contracts["iv_source"].to_list()[0].startswith("quote")  # quotes beat vendor
    assert quoted.contracts["iv"][0] != 0.99
    assert p.excluded == {"no_iv": 1}
    assert p.data_quality() == {"contracts_used": 1, "excluded": {"no_iv": 1}}


def test_no_priceable_contract_is_a_typed_error() -> None:
    with pytest.raises(EmptySnapshotError, match="implied volatility"):
        price_chain(snapshot([row(iv=float("nan"), bid=0.0, ask=0.0)]))


def test_exposure_columns_and_weights() -> None:
    p = price_chain(snapshot([row(contract="C", iv=0.2), row(contract="P", is_call=False, iv=0.2)]))
    c = p.contracts
    assert c["gex_weight"].to_list() == [100.0, -100.0] or sorted(c["gex_weight"].to_list()) == [
        -100.0,
        100.0,
    ]
    gamma = c["gamma"].to_numpy()
    expected = np.sign(c["gex_weight"].to_numpy()) * gamma * 100 * 100 * SPOT**2 * 0.01
    assert c["gex"].to_numpy() == pytest.approx(expected, rel=1e-14)
    short = price_chain(snapshot([row(contract="C", iv=0.2)]), dealer_model="short_all")
    assert short.contracts["gex"][0] < 0
    with pytest.raises(ConfigurationError):
        price_chain(snapshot([row()]), forward="magic")
    with pytest.raises(ConfigurationError):
        price_chain(snapshot([row()]), dealer_model="flow")


def test_black76_rows_price_on_their_future() -> None:
    rows = [
        row(
            contract="ESC",
            root="EW3",
            model="black76",
            multiplier=50.0,
            underlying_price=4750.0,
            iv=0.15,
        ),
        row(
            contract="ESP",
            root="EW3",
            model="black76",
            multiplier=50.0,
            underlying_price=4750.0,
            iv=0.15,
            is_call=False,
        ),
    ]
    p = price_chain(snapshot(rows))
    assert p.contracts["carry"].to_list() == [0.0, 0.0]
    assert p.contracts["forward"].to_list() == [4750.0, 4750.0]
    assert p.forwards["method"].to_list() == ["future"]
    assert p.forwards["forward"].to_list() == [4750.0]


def test_flow_positions_follow_the_used_frame_and_frames_build_on_read() -> None:
    """``dealer_position`` is given per row of ``validated.used`` (its order, not the
    file's); the priced frames are built only when read."""
    from engine.chain import validate
    from engine.chain.lazy import Deferred
    from engine.pricing.chain import price_validated

    rows = [
        row(contract="P", is_call=False, strike=4750.0, iv=0.2),
        row(contract="C", strike=4650.0, iv=0.2),
        row(contract="X", strike=4700.0, iv=0.2),
    ]
    v = validate(snapshot(rows))
    assert v.used["contract"].to_list() == ["C", "X", "P"]  # sorted by strike
    inventory = np.array([5.0, -7.0, 11.0])  # C, X, P
    p = price_validated(v, dealer_model="flow", dealer_position=inventory)
    assert isinstance(p.__dict__["_lazy_contracts"], Deferred)
    assert p.contracts["contract"].to_list() == ["C", "X", "P"]
    assert p.contracts["gex_weight"].to_list() == [5.0, -7.0, 11.0]
    assert not isinstance(p.__dict__["_lazy_contracts"], Deferred)
    street = price_validated(v).contracts
    # gamma per contract does not depend on the position; the exposure scales with it
    np.testing.assert_array_equal(p.contracts["gamma"].to_numpy(), street["gamma"].to_numpy())
    np.testing.assert_allclose(
        p.contracts["gex"].to_numpy(),
        street["gex"].to_numpy() / street["gex_weight"].to_numpy() * inventory,
        rtol=1e-14,
    )
    with pytest.raises(ConfigurationError, match="dealer_position"):
        price_validated(v, dealer_model="flow", dealer_position=np.ones(2))


def test_analyze_returns_the_priced_chain_of_price_chain() -> None:
    """``analyze`` works on arrays; its ``priced`` frames equal those of ``price_chain``."""
    from engine.analysis.single import analyze

    snap = snapshot(_priced_rows(0.02), rate=RATE, div_yield=0.0)
    a = analyze(snap)
    p = price_chain(snap)
    assert a.priced.contracts.equals(p.contracts)
    assert a.priced.forwards.equals(p.forwards)
    assert a.priced.excluded == p.excluded and a.priced.iv_sources == p.iv_sources
    assert a.priced.validated.used.equals(p.validated.used)
    total = float(a.priced.contracts["gex"].sum())
    assert a.net_gex == pytest.approx(total, rel=1e-12)
