"""Sentences never contradict the signs of their numbers; compact number formatting."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.analysis.narrative import (
    Regime,
    charm_sentence,
    format_price,
    format_usd,
    gamma_sentence,
    gex_change_pct,
    gex_change_sentence,
    interpretation,
    regime_of,
    vanna_sentence,
)

SIGNED = [1.234e9, -340.5e6, 0.0, None, float("nan")]


def _parse_usd(text: str) -> float:
    match = re.fullmatch(r"(-?)\$([0-9.e+-]+)([KMBT]?)", text)
    assert match, text
    scale = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}[match.group(3)]
    return float(match.group(1) + match.group(2)) * scale


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.2e9, "$1.2B"),
        (1.25e9, "$1.2B"),
        (-340.5e6, "-$340.5M"),
        (12_345.0, "$12.3K"),
        (512.4, "$512.40"),
        (-3.0, "-$3.00"),
        (0.0, "$0"),
        (-0.0, "$0"),
        (999.96e6, "$1.0B"),
        (999.999, "$1.0K"),
        (2.5e12, "$2.5T"),
        (4e15, "$4000.0T"),
        (0.001, "$1.00e-03"),
        (0.5, "$0.50"),
        (None, "n/a"),
        (float("nan"), "n/a"),
        (float("-inf"), "n/a"),
    ],
)
def test_format_usd(value: float | None, text: str) -> None:
    assert format_usd(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e16, max_value=1e16))
def test_format_usd_keeps_sign_and_magnitude(value: float) -> None:
    parsed = _parse_usd(format_usd(value))
    assert math.copysign(1.0, parsed) == math.copysign(1.0, value) or value == 0.0
    assert (parsed == 0.0) == (value == 0.0)
    assert parsed == pytest.approx(value, rel=0.06, abs=0.006)


def test_format_price() -> None:
    assert format_price(4950.0) == "4,950.00"
    assert format_price(1_234_567.891) == "1,234,567.89"


def test_regime_of() -> None:
    assert regime_of(1.0) == "positive_gamma"
    assert regime_of(-1e-300) == "negative_gamma"
    assert regime_of(0.0) == "unknown"
    assert regime_of(None) == "unknown"
    assert regime_of(float("nan")) == "unknown"


# ---------------------------------------------------------------------------- gamma

REGIMES: list[Regime] = ["positive_gamma", "negative_gamma", "unknown"]


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("net_gex", SIGNED)
@pytest.mark.parametrize("flip", [4900.0, 5100.0, 5000.0, 5000.001, None, float("nan")])
def test_gamma_sentence_claims(regime: Regime, net_gex: float | None, flip: float | None) -> None:
    spot = 5000.0
    text = gamma_sentence(regime, net_gex, spot, flip)
    lower = text.lower()
    assert format_usd(net_gex) in text
    if regime == "positive_gamma":
        assert "dampen" in lower and "amplif" not in lower
        assert "long gamma" in lower and "short gamma" not in lower
    elif regime == "negative_gamma":
        assert "amplif" in lower and "dampen" not in lower
        assert "short gamma" in lower and "long gamma" not in lower
    else:
        assert "dampen" not in lower and "amplif" not in lower
        assert "buy" not in lower and "sell" not in lower
    agrees = (
        net_gex is not None
        and math.isfinite(net_gex)
        and (
            (regime == "positive_gamma" and net_gex > 0)
            or (regime == "negative_gamma" and net_gex < 0)
        )
    )
    if regime != "unknown":
        # a disagreeing net GEX is named as such, never implied to match the regime
        assert ("profile at spot" in lower) == (not agrees)
    if flip is None or not math.isfinite(flip):
        assert "no gamma flip" in lower
        assert "above" not in lower and "below" not in lower
    elif flip > 5000.005:
        assert "above spot" in lower and "below" not in lower
        assert format_price(flip) in text and format_price(flip - spot) in text
    elif flip < 4999.995:
        assert "below spot" in lower and "above" not in lower
        assert f"{100 * (spot - flip) / spot:.2f}%" in text
    else:
        assert "at spot" in lower and "above" not in lower and "below" not in lower


@given(
    st.floats(1.0, 1e5),
    st.floats(0.5, 2e5),
    st.floats(-1e12, 1e12, allow_nan=False),
)
def test_gamma_flip_side_matches_numbers(spot: float, flip: float, net_gex: float) -> None:
    text = gamma_sentence(regime_of(net_gex), net_gex, spot, flip)
    if format_price(flip) == format_price(spot):
        assert "at spot" in text
    elif flip > spot:
        assert "above spot" in text and "below" not in text
    else:
        assert "below spot" in text and "above" not in text


# ---------------------------------------------------------------------------- vanna, charm


@pytest.mark.parametrize("net_vex", SIGNED)
def test_vanna_sentence_claims(net_vex: float | None) -> None:
    text = vanna_sentence(net_vex)
    lower = text.lower()
    if net_vex is None or math.isnan(net_vex):
        assert "unavailable" in lower and "buy" not in lower and "sell" not in lower
    elif net_vex > 0:
        assert "raises dealer delta" in lower
        assert "as implied volatility rises dealers sell the underlying" in lower
        assert "as it falls they buy" in lower
        assert lower.index("rises") < lower.index("falls")  # the IV-rising case first
        assert format_usd(net_vex) in text
    elif net_vex < 0:
        assert "lowers dealer delta" in lower
        assert "as implied volatility rises dealers buy the underlying" in lower
        assert "as it falls they sell" in lower
        assert format_usd(net_vex) in text and format_usd(-net_vex) in text
    else:
        assert "buy" not in lower and "sell" not in lower and "$0" in text


@pytest.mark.parametrize("net_chex", SIGNED)
def test_charm_sentence_claims(net_chex: float | None) -> None:
    text = charm_sentence(net_chex)
    lower = text.lower()
    if net_chex is None or math.isnan(net_chex):
        assert "unavailable" in lower and "buy" not in lower and "sell" not in lower
    elif net_chex > 0:
        assert "delta grows" in lower and "dealers sell" in lower and "buy" not in lower
        assert format_usd(net_chex) in text
    elif net_chex < 0:
        assert "delta falls" in lower and "dealers buy" in lower and "sell" not in lower
        assert "supportive" in lower
        assert format_usd(net_chex) in text and format_usd(-net_chex) in text
    else:
        assert "buy" not in lower and "sell" not in lower and "$0" in text


@given(st.floats(-1e13, 1e13, allow_nan=False))
def test_vanna_and_charm_words_follow_sign(value: float) -> None:
    vanna = vanna_sentence(value).lower()
    charm = charm_sentence(value).lower()
    if value > 0:
        assert "as implied volatility rises dealers sell the underlying" in vanna
        assert "dealers sell" in charm and "buy" not in charm
    elif value < 0:
        assert "as implied volatility rises dealers buy the underlying" in vanna
        assert "dealers buy" in charm and "sell" not in charm
    else:
        for text in (vanna, charm):
            assert "buy" not in text and "sell" not in text


# ---------------------------------------------------------------------------- GEX change


def test_gex_change_pct() -> None:
    assert gex_change_pct(1.2e9, 1.0e9) == pytest.approx(20.0)
    assert gex_change_pct(-0.5e9, -1.0e9) == pytest.approx(50.0)
    assert gex_change_pct(-1.5e9, 1.0e9) == pytest.approx(-250.0)
    assert gex_change_pct(1.0, 0.0) is None
    assert gex_change_pct(1.0, None) is None


def test_gex_change_no_prior() -> None:
    text = gex_change_sentence(1.2e9, None)
    assert "no prior session is stored" in text and "$1.2B" in text
    for word in ("rose", "fell", "unchanged"):
        assert word not in text


@pytest.mark.parametrize("now", [1.2e9, -0.4e9, 0.0])
@pytest.mark.parametrize("prior", [1.0e9, -1.0e9, 0.0, 1.2e9])
def test_gex_change_words_follow_sign(now: float, prior: float) -> None:
    text = gex_change_sentence(now, prior)
    change = now - prior
    if change > 0:
        assert "rose" in text and "fell" not in text
    elif change < 0:
        assert "fell" in text and "rose" not in text
    else:
        assert "unchanged" in text
    assert format_usd(now) in text
    pct = gex_change_pct(now, prior)
    if pct is not None and change != 0:
        assert f"({pct:+.1f}%)" in text
    if prior < 0 < now:
        assert "negative to positive" in text
    elif now < 0 < prior:
        assert "positive to negative" in text
    else:
        assert "flipping" not in text


def test_interpretation_object() -> None:
    totals = {"net_gex": -340.5e6, "net_vex": 2.0e8, "net_chex": -1.0e7, "net_speed": 3.0e7,
              "net_vomma": -2.5e6}  # fmt: skip
    result = interpretation("negative_gamma", totals, 5000.0, 5100.0)
    assert set(result) == {"gamma", "vanna", "charm", "speed", "vomma"}
    assert "each further 1% rise adds $30.0M of GEX" in result["speed"]
    assert "damps rallies more than selloffs" in result["speed"]
    assert "short vol convexity" in result["vomma"] and "$2.5M" in result["vomma"]
    assert "amplifies" in result["gamma"] and "above spot" in result["gamma"]
    assert "-$340.5M" in result["gamma"]
    assert "as implied volatility rises dealers sell the underlying" in result["vanna"]
    assert "dealers buy" in result["charm"]


# ---------------------------------------------------------------------------- hedge flows


def test_hedge_flow_is_minus_the_change_of_dealer_delta() -> None:
    from engine.analysis.narrative import HedgeFlow, hedge_flow, hedge_flows

    assert hedge_flow(2.5e9) == HedgeFlow("sell", 2.5e9)
    assert hedge_flow(-1.0e6) == HedgeFlow("buy", 1.0e6)
    assert hedge_flow(0.0) == HedgeFlow(None, 0.0)
    assert hedge_flow(float("nan")) == HedgeFlow(None, None)
    flows = hedge_flows(3.0, -4.0)
    assert flows == {"vol_up_1pt": HedgeFlow("sell", 3.0), "one_day": HedgeFlow("buy", 4.0)}


class _Est:
    def __init__(self, direction: str, notional: float) -> None:
        self.direction = direction
        self.notional_usd = notional


def test_gamma_sentence_when_a_one_percent_move_crosses_the_flip() -> None:
    """Long gamma, but the flip lies 0.5 % below spot: a 1 % drop ends where dealers are
    short gamma, and the estimate says they sell on both sides. The sentence must say so,
    never "buy into dips" beside spot_down_1pct: sell."""
    hedging = {-0.01: _Est("sell", 2.0e9), 0.01: _Est("sell", 5.0e9)}
    text = gamma_sentence("positive_gamma", 1.0e9, 5000.0, 4975.0, (4975.0,), hedging)
    assert "buy into dips" not in text
    assert "a 1 % drop crosses the gamma flip at 4,975.00, where dealers turn sellers" in text
    assert "sell $2.0B on that drop and sell $5.0B on a 1 % rise" in text
    # short gamma, the flip above spot: a rise crosses it and dealers turn buyers... of dips
    hedging = {-0.01: _Est("buy", 1.0e9), 0.01: _Est("buy", 3.0e9)}
    text = gamma_sentence("negative_gamma", -1.0e9, 5000.0, 5020.0, (5020.0,), hedging)
    assert "sell into declines" not in text
    assert "a 1 % rise crosses the gamma flip at 5,020.00, where dealers turn buyers" in text
    # no crossing inside the move, or sides that disagree: the regime's usual clause
    far = {-0.01: _Est("buy", 1.0), 0.01: _Est("sell", 1.0)}
    text = gamma_sentence("positive_gamma", 1.0e9, 5000.0, 4000.0, (4000.0,), far)
    assert "they sell into rallies and buy into dips" in text


def test_zero_dte_sentence_gives_both_amounts_when_signs_differ() -> None:
    from datetime import date

    from engine.analysis.narrative import zero_dte_sentence

    day = date(2024, 1, 5)
    assert zero_dte_sentence(None, 0.0, None, 1.0) == "Nothing expires today."
    same = zero_dte_sentence(day, 2.0e8, 20.0, 1.0e9)
    assert "long $200.0M" in same and "20.0% of total net GEX" in same
    opposite = zero_dte_sentence(day, -3.0e8, -30.0, 1.0e9)
    assert "short $300.0M" in opposite and "$1.0B for the whole chain" in opposite
    assert "% of total" not in opposite and "-$" not in opposite


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "unavailable"),
        (float("nan"), "unavailable"),
        (0.0, "does not change"),
        (-4.2e9, "damps selloffs more than rallies"),
    ],
)
def test_speed_sentence_cases(value: float | None, words: str) -> None:
    from engine.analysis.narrative import speed_sentence

    assert words in speed_sentence(value)


@pytest.mark.parametrize(
    ("value", "words"),
    [(None, "unavailable"), (0.0, "does not change"), (1.5e6, "long vol convexity")],
)
def test_vomma_sentence_cases(value: float | None, words: str) -> None:
    from engine.analysis.narrative import vomma_sentence

    assert words in vomma_sentence(value)
