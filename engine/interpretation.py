"""Plain-English sentences for the summary's ``interpretation`` and the narrative (DESIGN §5).

Every sentence is built from the numbers it is given and states them, so it can never say
something those numbers contradict: the wording is chosen from their signs, and the numbers
are printed with :func:`format_usd` (``$1.2B``, ``$-340.5M``) and, for prices, two decimals.

Conventions (DESIGN §5, street dealer model):

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
from typing import Final, Literal, TypeAlias

__all__ = [
    "Regime",
    "charm_sentence",
    "format_price",
    "format_usd",
    "gamma_sentence",
    "gex_change_pct",
    "gex_change_sentence",
    "interpretation",
    "regime_of",
    "vanna_sentence",
]

Regime: TypeAlias = Literal["positive_gamma", "negative_gamma", "unknown"]

_UNITS: Final = ((1.0, ""), (1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T"))


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def format_usd(value: float | None) -> str:
    """Compact USD: ``$1.2B``, ``$-340.5M``, ``$12.3K``, ``$512.40``, ``$0``; ``n/a`` if unknown.

    One decimal with a K/M/B/T suffix from a thousand up, two decimals below; the sign
    follows the ``$``. A non-zero value never prints as zero (tiny values use exponents).
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    if value == 0.0:
        return "$0"
    magnitude = abs(value)
    index = 0
    for i, (scale, _) in enumerate(_UNITS):
        if magnitude >= scale:
            index = i
    if magnitude < 1.0:
        text = f"{value:.2f}"
        if float(text) == 0.0:
            text = f"{value:.2e}"
        return f"${text}"
    while True:
        scale, suffix = _UNITS[index]
        text = f"{value / scale:.{2 if scale == 1.0 else 1}f}"
        if abs(float(text)) < 1000.0 or index == len(_UNITS) - 1:
            return f"${text}{suffix}"
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


def gamma_sentence(
    regime: Regime, net_gex: float | None, spot: float | None, gamma_flip: float | None
) -> str:
    """The gamma interpretation: the regime's hedging effect, then where the flip lies.

    The wording follows ``regime``; net GEX is quoted beside it, and when its sign differs
    from the regime (possible when the profile and the total use different gammas, as in the
    ``perfiliev`` preset) the sentence says so instead of implying agreement.
    """
    amount = format_usd(net_gex)
    if regime == "positive_gamma":
        agrees = _finite(net_gex) and net_gex is not None and net_gex > 0.0
        basis = f"net GEX {amount}" if agrees else f"profile at spot positive, net GEX {amount}"
        head = (
            f"Dealers are long gamma ({basis}), so their hedging dampens moves: "
            "they sell into rallies and buy into dips."
        )
    elif regime == "negative_gamma":
        agrees = _finite(net_gex) and net_gex is not None and net_gex < 0.0
        basis = f"net GEX {amount}" if agrees else f"profile at spot negative, net GEX {amount}"
        head = (
            f"Dealers are short gamma ({basis}), so their hedging amplifies moves: "
            "they sell into declines and buy into rallies."
        )
    else:
        head = (
            f"The gamma regime is undetermined (net GEX {amount}), "
            "so no hedging effect on moves can be inferred."
        )
    return head + _flip_clause(spot, gamma_flip)


def vanna_sentence(net_vex: float | None) -> str:
    """The vanna interpretation, by the sign of net VEX (USD of delta per +1 vol point)."""
    if not _finite(net_vex):
        return "Net VEX is unavailable, so no vanna hedging flow can be inferred."
    assert net_vex is not None
    amount = format_usd(net_vex)
    if net_vex > 0.0:
        return (
            f"Net VEX is {amount}: a +1 vol point raises dealer delta by {amount}, so to stay "
            "hedged dealers sell the underlying as implied volatility rises and buy it as "
            "implied volatility falls."
        )
    if net_vex < 0.0:
        return (
            f"Net VEX is {amount}: a +1 vol point lowers dealer delta by {format_usd(-net_vex)}, "
            "so to stay hedged dealers buy the underlying as implied volatility rises and sell "
            "it as implied volatility falls."
        )
    return (
        "Net VEX is $0: changes in implied volatility leave dealer delta unchanged, "
        "so they cause no vanna hedging flow."
    )


def charm_sentence(net_chex: float | None) -> str:
    """The charm interpretation, by the sign of net CHEX (USD of delta per calendar day)."""
    if not _finite(net_chex):
        return "Net CHEX is unavailable, so no charm hedging flow can be inferred."
    assert net_chex is not None
    amount = format_usd(net_chex)
    if net_chex > 0.0:
        return (
            f"Net CHEX is {amount} per day: as time passes dealer delta grows by {amount} a "
            "day, so dealers sell the underlying to stay hedged, a drag into expiration."
        )
    if net_chex < 0.0:
        return (
            f"Net CHEX is {amount} per day: as time passes dealer delta falls by "
            f"{format_usd(-net_chex)} a day, so dealers buy the underlying to stay hedged, "
            "a supportive drift into expiration."
        )
    return (
        "Net CHEX is $0 per day: the passage of time leaves dealer delta unchanged, "
        "so it causes no charm hedging flow."
    )


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
    net_gex: float | None,
    net_vex: float | None,
    net_chex: float | None,
    spot: float | None,
    gamma_flip: float | None,
) -> dict[str, str]:
    """The summary's ``interpretation`` object: ``{"gamma", "vanna", "charm"}``."""
    return {
        "gamma": gamma_sentence(regime, net_gex, spot, gamma_flip),
        "vanna": vanna_sentence(net_vex),
        "charm": charm_sentence(net_chex),
    }
