"""The named symbols and their parameters."""

from __future__ import annotations

import pytest

from data_adapters.demo.universe import STANDARD, get

EXPECTED = [
    "SPX", "SPY", "QQQ", "IWM", "NDX", "AAPL", "NVDA", "TSLA", "AMZN", "META", "MSFT", "GOOGL",
    "ES=F", "NQ=F",
]  # fmt: skip


def test_the_named_universe() -> None:
    assert list(STANDARD) == EXPECTED
    assert get(" es=f ") is STANDARD["ES=F"]
    assert get("XYZ") is None


@pytest.mark.parametrize("spec", list(STANDARD.values()), ids=list(STANDARD))
def test_parameters_are_consistent(spec) -> None:  # type: ignore[no-untyped-def]
    s1, s2, s3 = spec.steps
    assert s2 % s1 == 0 and s3 % s2 == 0
    assert (spec.round_strike * 1000) % (s1 * 1000) == 0
    assert spec.driver in STANDARD and STANDARD[spec.driver].driver == spec.driver
    assert 0 < spec.atm_vol < 1 and 0 <= spec.div_yield < 0.05
    if spec.is_future:
        assert spec.model == "black76" and spec.tick == "cme" and spec.div_yield == 0.0
    else:
        assert spec.multiplier == 100.0 and spec.model == "bsm"


def test_futures_multipliers() -> None:
    assert STANDARD["ES=F"].multiplier == 50.0
    assert STANDARD["NQ=F"].multiplier == 20.0
