"""Plain-English sentences for the summary's ``interpretation`` and the narrative (docs/conventions.md).

Every sentence is built from the numbers it is given and states them, so it can never say
something those numbers contradict: the wording is chosen from their signs, and the numbers
are printed with :func:`format_usd` (``$1.2B``, ``-$340.5M``) and, for prices, two decimals.

Conventions (``docs/conventions.md``; every exposure is the dealer's own, under any dealer
model; dealers hedge against their option delta, so hedge flow = −(change of dealer delta)):

- net GEX: USD of dealer delta change per 1 % move. Positive → dealers are long gamma and
  their hedging dampens moves (they sell rallies, buy dips); negative → short gamma, their
  hedging amplifies moves (they sell declines, buy rallies). The regime comes from the sign
  of the gamma profile at spot (:func:`regime_of`).
- net VEX: USD of dealer delta change per +1 vol point. With net VEX > 0 a rise in implied
  volatility raises dealer delta, so to stay hedged dealers sell the underlying as IV rises
  and buy it as IV falls; with net VEX < 0 the reverse.
- net CHEX: USD of dealer delta change per calendar day (time running forward). Positive →
  dealer delta grows as time passes, so dealers sell to re-hedge (a drag); negative → they
  buy (a supportive drift).
- The GEX change against the prior session: ``(net − prior) / |prior| · 100`` percent.

No sentence contains "buy"/"sell" or "dampen"/"amplif" when the driving number is zero or
unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Final, Literal, NamedTuple, Protocol, TypeAlias

from engine.exposure.metrics import BY_NAME

__all__ = [
    "METRIC_SENTENCES",
    "HedgeFlow",
    "Regime",
    "charm_sentence",
    "format_price",
    "format_usd",
    "gamma_sentence",
    "gex_change_pct",
    "gex_change_sentence",
    "hedge_flow",
    "hedge_flows",
    "interpretation",
    "regime_of",
    "speed_sentence",
    "vanna_sentence",
    "vomma_sentence",
    "zero_dte_sentence",
]

Regime: TypeAlias = Literal["positive_gamma", "negative_gamma", "unknown"]
Direction: TypeAlias = Literal["buy", "sell"]


class HedgeFlow(NamedTuple):
    """What dealers trade to stay hedged: ``direction`` (None when nothing), USD notional."""

    direction: Direction | None
    notional_usd: float | None


def hedge_flow(dealer_delta_change: float | None) -> HedgeFlow:
    """Dealers hedge against their option delta: a rise of dealer delta by ``x`` USD means
    they sell ``x`` (hedge flow = −change). ``None`` direction for 0 or an unknown value."""
    if not _finite(dealer_delta_change):
        return HedgeFlow(None, None)
    assert dealer_delta_change is not None
    if dealer_delta_change == 0.0:
        return HedgeFlow(None, 0.0)
    return HedgeFlow("sell" if dealer_delta_change > 0.0 else "buy", abs(dealer_delta_change))


def hedge_flows(net_vex: float | None, net_chex: float | None) -> dict[str, HedgeFlow]:
    """The summary's ``hedge_flows``: ``vol_up_1pt`` (IV +1 point: dealer delta changes by
    net VEX) and ``one_day`` (a calendar day passes: it changes by net CHEX)."""
    return {"vol_up_1pt": hedge_flow(net_vex), "one_day": hedge_flow(net_chex)}


_UNITS: Final = ((1.0, ""), (1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T"))


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def format_usd(value: float | None) -> str:
    """Compact USD: ``$1.2B``, ``-$340.5M``, ``$12.3K``, ``$512.40``, ``$0``; ``n/a`` if unknown.

    One decimal with a K/M/B/T suffix from a thousand up, two decimals below; the sign comes
    before the ``$``. A non-zero value never prints as zero (tiny values use exponents), and
    nothing prints as ``-$0``.
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    if value == 0.0:
        return "$0"
    sign = "-" if value < 0.0 else ""
    magnitude = abs(value)
    index = 0
    for i, (scale, _) in enumerate(_UNITS):
        if magnitude >= scale:
            index = i
    if magnitude < 1.0:
        text = f"{magnitude:.2f}"
        if float(text) == 0.0:
            text = f"{magnitude:.2e}"
        return f"{sign}${text}"
    while True:
        scale, suffix = _UNITS[index]
        text = f"{magnitude / scale:.{2 if scale == 1.0 else 1}f}"
        if float(text) < 1000.0 or index == len(_UNITS) - 1:
            return f"{sign}${text}{suffix}"
        index += 1


def format_price(value: float) -> str:
    """A price or strike with thousands separators and two decimals (``4,950.00``)."""
    return f"{value:,.2f}"


def regime_of(value: float | None) -> Regime:
    """``positive_gamma`` / ``negative_gamma`` by the sign; ``unknown`` for 0 or no value."""
    if not _finite(value):
        return "unknown"
    assert value is not None
    if value > 0.0:
        return "positive_gamma"
    if value < 0.0:
        return "negative_gamma"
    return "unknown"


def _flip_clause(spot: float | None, gamma_flip: float | None) -> str:
    if not _finite(gamma_flip):
        return " No gamma flip was found in the scanned range."
    assert gamma_flip is not None
    flip = format_price(gamma_flip)
    if not _finite(spot) or spot == 0.0:
        return f" The gamma flip is at {flip}."
    assert spot is not None
    if flip == format_price(spot):
        return f" The gamma flip is at spot ({flip})."
    side = "above" if gamma_flip > spot else "below"
    points = abs(gamma_flip - spot)
    pct = 100.0 * points / abs(spot)
    return (
        f" The gamma flip is at {flip}, {format_price(points)} points ({pct:.2f}%) "
        f"{side} spot {format_price(spot)}."
    )


class _Hedge(Protocol):
    """The fields of :class:`engine.analysis.hedging.HedgeEstimate` a sentence reads."""

    @property
    def direction(self) -> str: ...

    @property
    def notional_usd(self) -> float: ...


def _move_clause(
    regime: Regime,
    spot: float | None,
    crossings: Sequence[float],
    hedging: Mapping[float, _Hedge] | None,
    move: float,
) -> str | None:
    """The hedging clause when a ±``move`` spot move crosses a flip and the two sides of the
    estimate point the same way (``None`` otherwise: the regime's clause holds)."""
    if not hedging or not _finite(spot) or regime == "unknown":
        return None
    assert spot is not None
    down, up = hedging.get(-move), hedging.get(move)
    if down is None or up is None or down.direction != up.direction:
        return None
    pct = f"{100.0 * move:g} %"
    lo, hi = spot * (1.0 - move), spot * (1.0 + move)
    below = [c for c in crossings if lo <= c < spot]
    above = [c for c in crossings if spot < c <= hi]
    usual_down = "buy" if regime == "positive_gamma" else "sell"
    if down.direction != usual_down and below:
        side, flip, other, other_est = "drop", max(below), "rise", up
        est = down
    elif above:
        side, flip, other, other_est = "rise", min(above), "drop", down
        est = up
    else:
        return None
    turn = "sellers" if est.direction == "sell" else "buyers"
    return (
        f"but a {pct} {side} crosses the gamma flip at {format_price(flip)}, where dealers "
        f"turn {turn}: they would {est.direction} {format_usd(est.notional_usd)} on that "
        f"{side} and {other_est.direction} {format_usd(other_est.notional_usd)} on a {pct} "
        f"{other}."
    )


def gamma_sentence(
    regime: Regime,
    net_gex: float | None,
    spot: float | None,
    gamma_flip: float | None,
    crossings: Sequence[float] = (),
    hedging: Mapping[float, _Hedge] | None = None,
    move: float = 0.01,
) -> str:
    """The gamma interpretation: the regime's hedging effect, then where the flip lies.

    The wording follows ``regime``; net GEX is quoted beside it, and when its sign differs
    from the regime (possible when the profile and the total use different gammas, as in the
    ``perfiliev`` preset) the sentence says so instead of implying agreement. When a
    ±``move`` spot move crosses a flip (one of ``crossings``) and both sides of the
    ``hedging`` estimate (keys ``±move``) point the same way, the sentence says so with the
    estimate's numbers instead of the regime's usual "buy dips, sell rallies".
    """
    amount = format_usd(net_gex)
    crossing = _move_clause(regime, spot, crossings, hedging, move)
    if regime == "positive_gamma":
        agrees = _finite(net_gex) and net_gex is not None and net_gex > 0.0
        basis = f"net GEX {amount}" if agrees else f"profile at spot positive, net GEX {amount}"
        usual = "they sell into rallies and buy into dips."
        head = f"Dealers are long gamma ({basis}), so their hedging dampens moves: "
    elif regime == "negative_gamma":
        agrees = _finite(net_gex) and net_gex is not None and net_gex < 0.0
        basis = f"net GEX {amount}" if agrees else f"profile at spot negative, net GEX {amount}"
        usual = "they sell into declines and buy into rallies."
        head = f"Dealers are short gamma ({basis}), so their hedging amplifies moves: "
    else:
        return (
            f"The gamma regime is undetermined (net GEX {amount}), "
            "so no hedging effect on moves can be inferred." + _flip_clause(spot, gamma_flip)
        )
    if crossing is not None:
        head = head.replace("moves: ", "moves near spot, ")
        return head + crossing + _flip_clause(spot, gamma_flip)
    return head + usual + _flip_clause(spot, gamma_flip)


def vanna_sentence(net_vex: float | None) -> str:
    """The vanna interpretation, IV-rising case first, with the direction of
    :func:`hedge_flow` of net VEX (USD of dealer delta per +1 vol point)."""
    flow = hedge_flow(net_vex)
    if flow.notional_usd is None:
        return "Net VEX is unavailable, so no vanna hedging flow can be inferred."
    if flow.direction is None:
        return (
            "Net VEX is $0: changes in implied volatility leave dealer delta unchanged, "
            "so they cause no vanna hedging flow."
        )
    amount = format_usd(net_vex)
    moved = "raises" if flow.direction == "sell" else "lowers"
    other = "buy" if flow.direction == "sell" else "sell"
    return (
        f"Net VEX is {amount}: a +1 vol point {moved} dealer delta by "
        f"{format_usd(flow.notional_usd)}, so as implied volatility rises dealers "
        f"{flow.direction} the underlying to stay hedged, and as it falls they {other}."
    )


def charm_sentence(net_chex: float | None) -> str:
    """The charm interpretation, passing-day case first, with the direction of
    :func:`hedge_flow` of net CHEX (USD of dealer delta per calendar day)."""
    flow = hedge_flow(net_chex)
    if flow.notional_usd is None:
        return "Net CHEX is unavailable, so no charm hedging flow can be inferred."
    if flow.direction is None:
        return (
            "Net CHEX is $0 per day: the passage of time leaves dealer delta unchanged, "
            "so it causes no charm hedging flow."
        )
    amount = format_usd(net_chex)
    moved = "grows" if flow.direction == "sell" else "falls"
    effect = "a drag" if flow.direction == "sell" else "a supportive drift"
    return (
        f"Net CHEX is {amount} per day: as a day passes dealer delta {moved} by "
        f"{format_usd(flow.notional_usd)}, so dealers {flow.direction} the underlying to stay "
        f"hedged, {effect} into expiration."
    )


def speed_sentence(net_speed: float | None) -> str:
    """The speed interpretation: how dealer gamma exposure changes with price (net speed
    exposure, USD of GEX per further 1 % move; :mod:`engine.exposure.metrics`)."""
    if not _finite(net_speed):
        return (
            "Net speed exposure is unavailable, so the drift of dealer gamma with price is unknown."
        )
    assert net_speed is not None
    if net_speed == 0.0:
        return "Net speed exposure is $0: dealer gamma exposure does not change as price moves."
    amount = format_usd(abs(net_speed))
    if net_speed > 0.0:
        return (
            f"Net speed exposure is {format_usd(net_speed)}: each further 1% rise adds {amount} "
            f"of GEX and each 1% fall removes it, so dealer hedging damps rallies more than "
            f"selloffs."
        )
    return (
        f"Net speed exposure is {format_usd(net_speed)}: each further 1% rise removes {amount} "
        f"of GEX and each 1% fall adds it, so dealer hedging damps selloffs more than rallies."
    )


def vomma_sentence(net_vomma: float | None) -> str:
    """The vomma interpretation: how the dealers' vega changes with implied vol (net vomma
    exposure, USD of vega per vol point per +1 vol point; :mod:`engine.exposure.metrics`)."""
    if not _finite(net_vomma):
        return "Net vomma exposure is unavailable, so the dealers' vol convexity is unknown."
    assert net_vomma is not None
    if net_vomma == 0.0:
        return (
            "Net vomma exposure is $0: the dealers' vega does not change with implied volatility."
        )
    amount = format_usd(abs(net_vomma))
    if net_vomma > 0.0:
        return (
            f"Net vomma exposure is {format_usd(net_vomma)}: dealers are long vol convexity; each "
            f"+1 vol point adds {amount} per vol point to their vega, so a volatility spike "
            f"leaves them longer volatility."
        )
    return (
        f"Net vomma exposure is {format_usd(net_vomma)}: dealers are short vol convexity; each "
        f"+1 vol point takes {amount} per vol point off their vega, so a volatility spike "
        f"leaves them shorter volatility."
    )


METRIC_SENTENCES: Final[Mapping[str, Callable[[float | None], str]]] = MappingProxyType(
    {
        "vex": vanna_sentence,
        "chex": charm_sentence,
        "speed": speed_sentence,
        "vomma": vomma_sentence,
    }
)
"""The interpretation sentence of each metric that has one (by metric name); its key in
``interpretation`` is the metric's ``sentence`` (:mod:`engine.exposure.metrics`)."""


def zero_dte_sentence(
    expiration: object, net_gex_0dte: float | None, pct: float | None, net_gex_total: float | None
) -> str:
    """The narrative's 0DTE sentence. When the same-day and chain totals differ in sign a
    percentage would read as nonsense, so both amounts are given instead."""
    if expiration is None:
        return "Nothing expires today."
    if not _finite(net_gex_0dte):
        return "Same-day options are listed, but their gamma exposure is unavailable."
    assert net_gex_0dte is not None
    side = "long" if net_gex_0dte >= 0 else "short"
    head = f"Same-day options leave dealers {side} {format_usd(abs(net_gex_0dte))} of gamma per 1% move"
    total = net_gex_total if _finite(net_gex_total) else None
    if (
        total is not None
        and total != 0.0
        and net_gex_0dte != 0.0
        and (total > 0) != (net_gex_0dte > 0)
    ):
        return (
            f"{head}, against {format_usd(total)} for the whole chain: the same-day gamma "
            "runs opposite to the rest of the chain."
        )
    if pct is None or not _finite(pct):
        return head + "."
    return f"{head}, {abs(pct):.1f}% of total net GEX."


def gex_change_pct(net_gex: float | None, prior: float | None) -> float | None:
    """``(net − prior) / |prior| · 100``; ``None`` without a prior, or for a zero prior."""
    if not (_finite(net_gex) and _finite(prior)) or prior == 0.0:
        return None
    assert net_gex is not None and prior is not None
    return (net_gex - prior) / abs(prior) * 100.0


def gex_change_sentence(net_gex: float | None, prior: float | None) -> str:
    """The narrative's ``gex_change``: net GEX against the prior session's value."""
    now = format_usd(net_gex)
    if prior is None:
        return f"Net GEX is {now}; no prior session is stored, so no change can be computed."
    if not (_finite(net_gex) and _finite(prior)):
        return f"Net GEX is {now} against {format_usd(prior)} in the prior session."
    assert net_gex is not None
    change = net_gex - prior
    if change == 0.0:
        return f"Net GEX is unchanged from the prior session at {now}."
    verb = "rose" if change > 0.0 else "fell"
    pct = gex_change_pct(net_gex, prior)
    pct_text = f" ({pct:+.1f}%)" if pct is not None else ""
    sentence = (
        f"Net GEX {verb} by {format_usd(abs(change))}{pct_text} to {now} "
        f"from {format_usd(prior)} in the prior session"
    )
    if prior < 0.0 < net_gex:
        sentence += ", flipping from negative to positive gamma"
    elif net_gex < 0.0 < prior:
        sentence += ", flipping from positive to negative gamma"
    return sentence + "."


def interpretation(
    regime: Regime,
    totals: Mapping[str, float],
    spot: float | None,
    gamma_flip: float | None,
    crossings: Sequence[float] = (),
    hedging: Mapping[float, _Hedge] | None = None,
) -> dict[str, str]:
    """The summary's ``interpretation`` object: ``gamma`` (the regime sentence), then one
    sentence per metric with one (``vanna``, ``charm``, ``speed``, ``vomma``), from the
    totals ``net_x`` of :func:`engine.exposure.strikes.totals`."""
    out = {
        "gamma": gamma_sentence(regime, totals.get("net_gex"), spot, gamma_flip, crossings, hedging)
    }
    for name, sentence in METRIC_SENTENCES.items():
        metric = BY_NAME[name]
        assert metric.sentence is not None
        out[metric.sentence] = sentence(totals.get(metric.net))
    return out
