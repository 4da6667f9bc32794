"""Readable rich tables for the ``gex`` command, drawn from the API views.

Every renderer takes the dict that the HTTP endpoint answers (:mod:`api.views`), never the
:class:`~engine.analysis.single.Analysis` itself, so a table can only show what ``--json`` prints.
Numbers the engine could not compute (JSON ``null``) are shown as ``—``.

Units follow the README: GEX in USD per 1 % move, DEX in USD, VEX in USD per vol point,
CHEX in USD per day; levels in the underlying's price units.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from engine.exposure.metrics import METRICS

__all__ = [
    "GREEK_UNITS",
    "NEAR_SPOT",
    "level",
    "levels_tables",
    "money",
    "narrative_renderable",
    "number",
    "pick_strikes",
    "scan_table",
    "strikes_table",
    "summary_renderable",
]

MISSING: Final = "—"
GREEK_UNITS: Final = {m.name: m.unit for m in METRICS}
"""The unit of each metric's table (:mod:`engine.exposure.metrics`)."""
_PER: Final = {m.name: m.unit.removeprefix("USD") for m in METRICS}
NEAR_SPOT: Final = 0.10
"""Half-width (fraction of spot) of the window ``gex strikes`` picks its rows from."""

_REGIME_STYLE: Final = {"positive_gamma": "green", "negative_gamma": "red"}
_MOVE: Final = re.compile(r"^spot_(down|up)_(\d+(?:_\d+)?)pct$")


def number(value: float | None, digits: int = 2) -> str:
    """``5,730.20``; ``—`` for a missing value."""
    return MISSING if value is None else f"{value:,.{digits}f}"


def level(value: float | None) -> str:
    """A price level compactly: no decimals from 1,000 up (``19,142``), else two."""
    if value is None:
        return MISSING
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"


def money(value: float | None) -> str:
    """Compact signed USD: ``$20.22B``, ``-$1.13B``, ``$512.3K``; ``—`` when missing."""
    if value is None:
        return MISSING
    sign = "-" if value < 0 else ""
    size = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= scale:
            return f"{sign}${size / scale:,.2f}{suffix}"
    return f"{sign}${size:,.2f}"


def _pct(value: float | None, digits: int = 2) -> str:
    return MISSING if value is None else f"{value:+.{digits}f}%"


def _distance(level: float | None, spot: float | None) -> str:
    if level is None or spot is None or spot == 0:
        return ""
    return _pct((level / spot - 1.0) * 100.0)


def _regime(regime: str, short: bool = False) -> Text:
    label = regime.removesuffix("_gamma") if short else regime
    return Text(label, style=_REGIME_STYLE.get(regime, "yellow"))


def _move_label(name: str) -> str:
    match = _MOVE.match(name)
    if match is None:
        return name
    sign = "-" if match.group(1) == "down" else "+"
    return f"spot {sign}{match.group(2).replace('_', '.')}%"


def _title(view: Mapping[str, Any], what: str, context: str) -> str:
    spot = number(view.get("underlying_price"))
    tail = f" — {context}" if context else ""
    return f"{view['symbol']} {what} · spot {spot} · as of {view['as_of']}{tail}"


def _quality(view: Mapping[str, Any]) -> str:
    quality = view.get("data_quality") or {}
    excluded = quality.get("excluded") or {}
    parts = ", ".join(f"{reason} {count:,}" for reason, count in sorted(excluded.items()))
    used = quality.get("contracts_used")
    text = f"{used:,} contracts used" if isinstance(used, int) else "contracts used unknown"
    return text + (f"; excluded: {parts}" if parts else "")


_HEDGE_UNIT_WORDS: Final = {
    "shares": "shares",
    "index_units": "index units",
    "contracts": "futures contracts",
}


def summary_renderable(view: Mapping[str, Any], context: str = "") -> RenderableType:
    """The summary endpoint's object as a two-column table plus the interpretation."""
    spot = view.get("underlying_price")
    table = Table(title=_title(view, "summary", context), show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("Regime", _regime(view["regime"]))
    flip = view.get("gamma_flip")
    flip_text = number(flip)
    if flip is not None:
        flip_text += f" ({_distance(flip, spot)} from spot)"
    if view.get("gamma_flip_status") != "available":
        flip_text += f" [{view.get('gamma_flip_status')}]"
    table.add_row("Gamma flip", Text(flip_text))
    exposures = view.get("exposures") or {}
    for greek, per in _PER.items():
        table.add_row(f"Net {greek.upper()}", money(exposures.get(f"net_{greek}")) + per)
    unit = _HEDGE_UNIT_WORDS.get(view.get("hedge_unit") or "shares", "shares")
    for name, estimate in (view.get("hedging_estimate") or {}).items():
        shares = estimate.get("dealer_shares_to_trade")
        amount = MISSING if shares is None else f"{abs(shares):,.0f}"
        table.add_row(
            f"Hedging, {_move_label(name)}",
            f"dealers {estimate.get('direction')} {amount} {unit} "
            f"({money(estimate.get('notional_usd'))})",
        )
    for name, label in (("vol_up_1pt", "IV +1 pt"), ("one_day", "one day passes")):
        flow = (view.get("hedge_flows") or {}).get(name)
        if flow is not None:
            what = "no flow" if flow.get("direction") is None else f"dealers {flow['direction']}"
            table.add_row(f"Flow, {label}", f"{what} ({money(flow.get('notional_usd'))})")
    zero = view.get("zero_dte") or {}
    if zero.get("expiration") is None:
        table.add_row("0DTE", "nothing expires today")
    else:
        share = zero.get("pct_of_total_gex")
        share_text = "" if share is None else f", {share:.1f}% of total"
        table.add_row(
            "0DTE",
            f"net GEX {money(zero.get('net_gex'))}{share_text} (expiration {zero['expiration']})",
        )
    table.add_row("Data", _quality(view))
    lines: list[RenderableType] = [table]
    for name, sentence in (view.get("interpretation") or {}).items():
        lines.append(Text.assemble((f"{name.capitalize()}: ", "bold"), sentence))
    return Group(*lines)


_LEVEL_NAMES: Final = {
    "gamma_flip": "Gamma flip",
    "max_positive_gamma": "Max positive gamma",
    "max_negative_gamma": "Max negative gamma",
    "call_wall": "Call wall",
    "put_wall": "Put wall",
    "highest_oi_strike": "Highest OI strike",
    "zero_dte_magnet": "0DTE magnet",
}


def levels_tables(view: Mapping[str, Any], context: str = "") -> RenderableType:
    """The levels endpoint's object: each level with its distance from spot."""
    spot = view.get("underlying_price")
    levels = view.get("levels") or {}
    table = Table(title=_title(view, "levels", context), title_justify="left")
    table.add_column("level", style="bold")
    table.add_column("price", justify="right")
    table.add_column("vs spot", justify="right")
    for key, label in _LEVEL_NAMES.items():
        value = levels.get(key)
        table.add_row(label, number(value), _distance(value, spot))
    status = levels.get("gamma_flip_status")
    note = Text(f"gamma flip status: {status}", style="dim")
    return Group(table, note)


_NARRATIVE_LABELS: Final = {
    "regime": "Regime",
    "gex_change": "GEX change",
    "key_levels": "Key levels",
    "flow": "Flow",
    "vanna": "Vanna",
    "charm": "Charm",
    "zero_dte": "0DTE",
    "outlook": "Outlook",
}


def narrative_renderable(view: Mapping[str, Any], context: str = "") -> RenderableType:
    """The narrative endpoint's sentences, one labelled paragraph each (no label when the
    sentence already starts with it)."""
    narrative = view.get("narrative") or {}
    lines: list[RenderableType] = [Text(_title(view, "narrative", context), style="bold")]
    for key, label in _NARRATIVE_LABELS.items():
        sentence = str(narrative.get(key) or "")
        if not sentence:
            continue
        if sentence.lower().startswith(label.lower()):
            lines.append(Text(sentence))
        else:
            lines.append(Text.assemble((f"{label}: ", "bold"), sentence))
    return Group(*lines)


def pick_strikes(
    rows: Sequence[Mapping[str, Any]], greek: str, spot: float | None, limit: int
) -> list[Mapping[str, Any]]:
    """The ``limit`` rows with the largest ``|net_<greek>|`` among strikes within
    :data:`NEAR_SPOT` of spot (all strikes when none is that near), in strike order.
    ``limit <= 0`` keeps every row."""
    if limit <= 0:
        return list(rows)
    near = rows
    if spot:
        near = [r for r in rows if abs(r["strike"] / spot - 1.0) <= NEAR_SPOT] or rows
    ranked = sorted(near, key=lambda r: abs(r.get(f"net_{greek}") or 0.0), reverse=True)
    return sorted(ranked[:limit], key=lambda r: r["strike"])


def strikes_table(
    view: Mapping[str, Any], greek: str, limit: int, context: str = ""
) -> RenderableType:
    """The per-strike endpoint's rows for ``greek`` (see :func:`pick_strikes`)."""
    spot = view.get("underlying_price")
    rows = pick_strikes(view.get("strikes") or [], greek, spot, limit)
    total = len(view.get("strikes") or [])
    table = Table(
        title=_title(view, f"{greek.upper()} by strike ({GREEK_UNITS[greek]})", context),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption=f"{len(rows)} of {total} strikes"
        + ("" if limit <= 0 else f"; largest |net| within ±{NEAR_SPOT:.0%} of spot"),
    )
    table.add_column("strike", justify="right", style="bold")
    for side in ("call", "put", "net"):
        table.add_column(f"{side} {greek}", justify="right")
    if greek == "gex":
        table.add_column("call OI", justify="right")
        table.add_column("put OI", justify="right")
    marked = spot is None
    for row in rows:
        if not marked and row["strike"] >= spot:  # type: ignore[operator]
            table.add_row(
                Text(f"spot {number(spot)}", style="cyan"), *[""] * (len(table.columns) - 1)
            )
            marked = True
        net = row.get(f"net_{greek}")
        cells: list[str | Text] = [
            number(row["strike"]),
            money(row.get(f"call_{greek}")),
            money(row.get(f"put_{greek}")),
            Text(money(net), style="green" if (net or 0.0) >= 0 else "red"),
        ]
        if greek == "gex":
            cells += [f"{row.get('call_oi') or 0:,}", f"{row.get('put_oi') or 0:,}"]
        table.add_row(*cells)
    net_total = view.get(f"net_{greek}")
    footer = Text(f"net {greek.upper()} {money(net_total)}{_PER[greek]}", style="bold")
    return Group(table, footer)


def scan_table(rows: Sequence[Mapping[str, Any]], context: str = "") -> RenderableType:
    """Scan rows (already sorted by |distance to flip|) as one table."""
    table = Table(
        title="Scan, nearest gamma flip first" + (f" — {context}" if context else ""),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
    )
    for name, justify in (
        ("symbol", "left"),
        ("spot", "right"),
        ("regime", "left"),
        ("net GEX", "right"),
        ("flip", "right"),
        ("to flip", "right"),
        ("call wall", "right"),
        ("put wall", "right"),
        ("0DTE %", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        zero = row.get("zero_dte_pct")
        table.add_row(
            Text(row["symbol"], style="bold"),
            level(row.get("underlying_price")),
            _regime(row["regime"], short=True),
            money(row.get("net_gex")),
            level(row.get("gamma_flip")),
            _pct(row.get("distance_to_flip_pct")),
            level(row.get("call_wall")),
            level(row.get("put_wall")),
            MISSING if zero is None else f"{zero:.1f}",
        )
    return table
