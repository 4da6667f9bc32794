"""Readable rich tables for the ``gex`` command, drawn from the API views.

Every renderer takes the dicts that the HTTP endpoints answer (:mod:`api.views`), never the
:class:`~engine.analysis.single.Analysis` itself, so a table can only show what ``--json``
prints (``gex strikes`` also reads the levels endpoint's object, to mark the levels).
Numbers the engine could not compute (JSON ``null``) are shown as ``—``.

One vocabulary and one format everywhere:

- **Regime**: the API's own words, ``positive_gamma``, ``negative_gamma``, ``unknown``
  (green, red, yellow on a terminal).
- **Money**: ``$17.9B``, ``-$548.1M``, ``$12.3K``, ``$512.40``, ``$0``: one decimal with a
  K/M/B/T suffix from a thousand up, two below, the sign before the ``$`` (the narrative's
  format, :func:`engine.analysis.narrative.format_usd`).
- **No negative zero**: a number that rounds to zero prints without a sign (``0.0``,
  ``0.00%``, ``$0``).
- **Times**: New York time beside UTC (:func:`api.cli.console.when`).
- **Titles** are their own line above a table, wrapping at the terminal's width (a table's
  own title would wrap at the table's).

Units follow the README: GEX in USD per 1 % move, DEX in USD, VEX in USD per vol point,
CHEX in USD per day (each metric's unit: :mod:`engine.exposure.metrics`); levels in the
underlying's price units.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from api.cli.console import when

__all__ = [
    "LEVEL_MARKS",
    "MISSING",
    "expirations_table",
    "fixed",
    "heading",
    "level",
    "level_marks",
    "levels_tables",
    "money",
    "narrative_renderable",
    "number",
    "pct",
    "pick_strikes",
    "regime_text",
    "scan_table",
    "strikes_table",
    "summary_renderable",
    "zero_dte_renderable",
]

MISSING: Final = "—"
_MOVE: Final = re.compile(r"^spot_(down|up)_(\d+(?:_\d+)?)pct$")
_REGIME_STYLE: Final = {"positive_gamma": "green", "negative_gamma": "red"}
_MONEY_UNITS: Final = ((1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T"))


def _metrics() -> Sequence[Any]:
    from engine.exposure.metrics import METRICS

    return METRICS


def _unit(greek: str) -> str:
    """``USD per 1% move`` for ``gex`` (the metric registry's unit)."""
    return next(str(m.unit) for m in _metrics() if m.name == greek)


def _per(greek: str) -> str:
    """The unit after ``USD``: `` per 1% move`` (empty for DEX)."""
    return _unit(greek).removeprefix("USD")


def fixed(value: float, digits: int, sign: bool = False, grouped: bool = True) -> str:
    """``value`` with ``digits`` decimals (``+`` shown when ``sign``), never ``-0.0``."""
    spec = f"{'+' if sign else ''}{',' if grouped else ''}.{digits}f"
    text = format(value, spec)
    if float(text.replace(",", "")) == 0.0:
        text = format(0.0, f"{',' if grouped else ''}.{digits}f")
    return text


def number(value: float | None, digits: int = 2) -> str:
    """``5,730.20``; ``—`` for a missing value."""
    return MISSING if value is None else fixed(value, digits)


def level(value: float | None) -> str:
    """A price level compactly: no decimals from 1,000 up (``19,142``), else two."""
    if value is None:
        return MISSING
    return fixed(value, 0) if abs(value) >= 1000 else fixed(value, 2)


def money(value: float | None) -> str:
    """Compact signed USD (module docstring): ``$17.9B``, ``-$548.1M``, ``$512.40``."""
    if value is None or not math.isfinite(value):
        return MISSING
    size = abs(value)
    text, suffix = f"{size:,.2f}", ""
    for scale, unit in _MONEY_UNITS:
        if float(text.replace(",", "")) < 1000.0:
            break
        text, suffix = f"{size / scale:,.1f}", unit
    if float(text.replace(",", "")) == 0.0:
        return "$0"
    return f"{'-' if value < 0 else ''}${text}{suffix}"


def pct(value: float | None, digits: int = 2) -> str:
    """``+1.25%``, ``-0.71%``, ``0.00%``; ``—`` when missing."""
    return MISSING if value is None else fixed(value, digits, sign=True) + "%"


def _distance(target: float | None, spot: float | None) -> str:
    if target is None or spot is None or spot == 0:
        return ""
    return pct((target / spot - 1.0) * 100.0)


def regime_text(regime: str | None) -> Text:
    """The regime in the API's words, coloured."""
    label = regime or "unknown"
    return Text(label, style=_REGIME_STYLE.get(label, "yellow"))


def _move_label(name: str) -> str:
    match = _MOVE.match(name)
    if match is None:
        return name
    sign = "-" if match.group(1) == "down" else "+"
    return f"spot {sign}{match.group(2).replace('_', '.')}%"


def heading(view: Mapping[str, Any], what: str, context: str = "") -> Text:
    """``SPX summary · spot 5,734.87 · as of 2026-11-20 10:00 New York (15:00 UTC) — source
    demo, preset native``: one line above a table, wrapping at the terminal's width."""
    spot = number(view.get("underlying_price"))
    tail = f" — {context}" if context else ""
    return Text(
        f"{view['symbol']} {what} · spot {spot} · as of {when(view.get('as_of'))}{tail}",
        style="bold",
    )


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
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("Regime", regime_text(view.get("regime")))
    flip = view.get("gamma_flip")
    flip_text = number(flip)
    if flip is not None:
        flip_text += f" ({_distance(flip, spot)} from spot)"
    if view.get("gamma_flip_status") != "available":
        flip_text += f" [{view.get('gamma_flip_status')}]"
    table.add_row("Gamma flip", Text(flip_text))
    exposures = view.get("exposures") or {}
    for metric in _metrics():
        table.add_row(
            f"Net {metric.name.upper()}", money(exposures.get(metric.net)) + _per(metric.name)
        )
    unit = _HEDGE_UNIT_WORDS.get(view.get("hedge_unit") or "shares", "shares")
    for name, estimate in (view.get("hedging_estimate") or {}).items():
        shares = estimate.get("dealer_shares_to_trade")
        amount = MISSING if shares is None else fixed(abs(shares), 0)
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
        share_text = "" if share is None else f", {fixed(share, 1)}% of total"
        table.add_row(
            "0DTE",
            f"net GEX {money(zero.get('net_gex'))}{share_text} (expiration {zero['expiration']})",
        )
    table.add_row("Data", _quality(view))
    lines: list[RenderableType] = [heading(view, "summary", context), table]
    for name, sentence in (view.get("interpretation") or {}).items():
        lines.append(Text.assemble((f"{name.capitalize()}: ", "bold"), sentence))
    return Group(*lines)


LEVEL_MARKS: Final = {
    "call_wall": "call wall",
    "put_wall": "put wall",
    "max_positive_gamma": "max +gamma",
    "max_negative_gamma": "max -gamma",
    "highest_oi_strike": "highest OI",
    "zero_dte_magnet": "0DTE magnet",
}
"""Levels endpoint key -> the mark shown beside its strike (tables and charts)."""

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
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("level", style="bold")
    table.add_column("price", justify="right")
    table.add_column("vs spot", justify="right")
    for key, label in _LEVEL_NAMES.items():
        value = levels.get(key)
        table.add_row(label, number(value), _distance(value, spot))
    status = levels.get("gamma_flip_status")
    note = Text(f"gamma flip status: {status}", style="dim")
    return Group(heading(view, "levels", context), table, note)


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
    lines: list[RenderableType] = [heading(view, "narrative", context)]
    for key, label in _NARRATIVE_LABELS.items():
        sentence = str(narrative.get(key) or "")
        if not sentence:
            continue
        if sentence.lower().startswith(label.lower()):
            lines.append(Text(sentence))
        else:
            lines.append(Text.assemble((f"{label}: ", "bold"), sentence))
    return Group(*lines)


def level_marks(levels: Mapping[str, Any] | None) -> dict[float, list[str]]:
    """Strike -> the marks of the levels at it (:data:`LEVEL_MARKS`), in that order."""
    marks: dict[float, list[str]] = {}
    for key, label in LEVEL_MARKS.items():
        value = (levels or {}).get(key)
        if value is not None:
            marks.setdefault(float(value), []).append(label)
    return marks


def _flip_neighbours(strikes: Sequence[float], flip: float | None) -> list[float]:
    """The strikes just below and just above the flip (one of them when the flip is
    outside the strikes)."""
    if flip is None:
        return []
    below = [k for k in strikes if k <= flip]
    above = [k for k in strikes if k > flip]
    return [k for k in (max(below, default=None), min(above, default=None)) if k is not None]


def pick_strikes(
    rows: Sequence[Mapping[str, Any]],
    spot: float | None,
    limit: int,
    levels: Mapping[str, Any] | None = None,
) -> list[Mapping[str, Any]]:
    """The ``limit`` strikes nearest spot, plus — always — the strikes of the call and put
    walls, the highest open interest and the two around the gamma flip (``levels``: the
    levels endpoint's ``levels``), in strike order. ``limit <= 0`` keeps every row."""
    if limit <= 0:
        return list(rows)
    by_strike = {float(r["strike"]): r for r in rows}
    if spot is None:
        near = list(by_strike)[:limit]
    else:
        near = sorted(by_strike, key=lambda k: (abs(k - spot), k))[:limit]
    wanted = set(near)
    levels = levels or {}
    for key in ("call_wall", "put_wall", "highest_oi_strike"):
        if levels.get(key) is not None:
            wanted.add(float(levels[key]))
    wanted.update(_flip_neighbours(list(by_strike), levels.get("gamma_flip")))
    return [by_strike[k] for k in sorted(wanted) if k in by_strike]


def _cumulative(rows: Sequence[Mapping[str, Any]], greek: str) -> dict[float, float]:
    """Strike -> the sum of ``net_<greek>`` over every strike up to it."""
    running, out = 0.0, {}
    for row in sorted(rows, key=lambda r: r["strike"]):
        running += row.get(f"net_{greek}") or 0.0
        out[float(row["strike"])] = running
    return out


def _separator(label: str, width: int, style: str) -> list[Text | str]:
    return [Text(label, style=style), *[""] * (width - 1)]


def strikes_table(
    view: Mapping[str, Any],
    greek: str,
    limit: int,
    context: str = "",
    levels: Mapping[str, Any] | None = None,
    cumulative: bool = False,
) -> RenderableType:
    """The per-strike endpoint's rows for ``greek`` (see :func:`pick_strikes`), the levels
    marked beside their strikes, spot and the gamma flip as rows of their own, and with
    ``cumulative`` the running sum of the net column from the lowest strike."""
    spot = view.get("underlying_price")
    every = view.get("strikes") or []
    rows = pick_strikes(every, spot, limit, levels)
    marks = level_marks(levels)
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("strike", justify="right", style="bold")
    for side in ("call", "put", "net"):
        table.add_column(f"{side} {greek}", justify="right")
    if cumulative:
        table.add_column(f"cumulative net {greek}", justify="right")
    if greek == "gex":
        table.add_column("call OI", justify="right")
        table.add_column("put OI", justify="right")
    table.add_column("level")
    running = _cumulative(every, greek) if cumulative else {}
    lines: list[tuple[float, list[Text | str]]] = []
    width = len(table.columns)
    if spot is not None:
        lines.append((spot, _separator(f"spot {number(spot)}", width, "cyan")))
    flip = (levels or {}).get("gamma_flip")
    if flip is not None:
        lines.append((flip, _separator(f"flip {number(flip)}", width, "magenta")))
    for row in rows:
        strike = float(row["strike"])
        net = row.get(f"net_{greek}")
        cells: list[Text | str] = [
            number(strike),
            money(row.get(f"call_{greek}")),
            money(row.get(f"put_{greek}")),
            Text(money(net), style="green" if (net or 0.0) >= 0 else "red"),
        ]
        if cumulative:
            cells.append(money(running.get(strike)))
        if greek == "gex":
            cells += [fixed(row.get("call_oi") or 0, 0), fixed(row.get("put_oi") or 0, 0)]
        cells.append(Text(", ".join(marks.get(strike, [])), style="yellow"))
        lines.append((strike, cells))
    for _, cells in sorted(lines, key=lambda item: item[0]):
        table.add_row(*cells)
    net_total = view.get(f"net_{greek}")
    if limit <= 0:
        caption = f"{len(rows)} strikes"
    else:
        caption = (
            f"{len(rows)} of {len(every)} strikes: the {limit} nearest spot, and always the "
            "walls, the highest OI and the strikes around the flip"
        )
    title = heading(view, f"{greek.upper()} by strike ({_unit(greek)})", context)
    footer = Text(f"net {greek.upper()} {money(net_total)}{_per(greek)}", style="bold")
    return Group(title, table, Text(caption, style="dim"), footer)


def scan_table(rows: Sequence[Mapping[str, Any]], context: str = "", sort: str = "") -> Group:
    """Scan rows (already sorted) as one table."""
    order = {
        "net_gex": "largest |net GEX| first",
        "zero_dte": "largest 0DTE share first",
        "symbol": "by symbol",
    }.get(sort, "nearest gamma flip first")
    title = Text(f"Scan, {order}" + (f" — {context}" if context else ""), style="bold")
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
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
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        zero = row.get("zero_dte_pct")
        table.add_row(
            Text(row["symbol"], style="bold"),
            level(row.get("underlying_price")),
            regime_text(row.get("regime")),
            money(row.get("net_gex")),
            level(row.get("gamma_flip")),
            pct(row.get("distance_to_flip_pct")),
            level(row.get("call_wall")),
            level(row.get("put_wall")),
            MISSING if zero is None else fixed(zero, 1),
        )
    return Group(title, table)


def _dte(day: str, as_of: str | None) -> str:
    if as_of is None:
        return MISSING
    from api.cli.console import NEW_YORK, parse_instant

    today = parse_instant(as_of).astimezone(NEW_YORK).date()
    return str((date.fromisoformat(day) - today).days)


def expirations_table(view: Mapping[str, Any], context: str = "") -> RenderableType:
    """The options endpoint's object: one row per expiration (days to it, strikes, the
    forward and rate fitted per option root)."""
    as_of = view.get("as_of")
    table = Table(box=box.SIMPLE_HEAD)
    for name, justify in (
        ("expiration", "left"), ("DTE", "right"), ("strikes", "right"), ("lowest", "right"),
        ("highest", "right"), ("root", "left"), ("forward", "right"), ("rate", "right"),
        ("method", "left"),
    ):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for item in view.get("expirations") or []:
        strikes = item.get("strikes") or []
        fits = item.get("forwards") or [{}]
        for i, fit in enumerate(fits):
            first = i == 0
            rate = fit.get("rate")
            table.add_row(
                item["expiration"] if first else "",
                _dte(item["expiration"], as_of) if first else "",
                fixed(len(strikes), 0) if first else "",
                level(min(strikes)) if first and strikes else "",
                level(max(strikes)) if first and strikes else "",
                str(fit.get("root") or ""),
                number(fit.get("forward")),
                MISSING if rate is None else fixed(rate * 100.0, 2) + "%",
                str(fit.get("method") or ""),
            )
    title = Text(
        f"{view['symbol']} expirations · as of {when(as_of)}"
        + (f" — {context}" if context else ""),
        style="bold",
    )
    caption = Text(
        f"{view.get('expiration_count', 0)} expirations, "
        f"{fixed(view.get('total_contracts') or 0, 0)} usable contracts; DTE in calendar days "
        "from the New York date of as_of; forward and rate fitted by put-call parity",
        style="dim",
    )
    return Group(title, table, caption)


_ZERO_DTE_MOVES: Final = {"10bp": "0.1%", "25bp": "0.25%", "half_pct": "0.5%", "1pct": "1%"}


def _zero_dte_move(name: str) -> str:
    """``spot_up_half_pct`` -> ``spot +0.5%`` (the zero-dte endpoint's hedging keys)."""
    _, direction, size = [*name.split("_", 2), "", ""][:3]
    sign = "+" if direction == "up" else "-"
    return f"spot {sign}{_ZERO_DTE_MOVES.get(size, size)}"


def _pairs_table(pairs: Sequence[tuple[str, RenderableType | str]]) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column("field", style="bold")
    table.add_column("value")
    for name, value in pairs:
        table.add_row(name, value)
    return table


def zero_dte_renderable(view: Mapping[str, Any], context: str = "") -> RenderableType:
    """The zero-dte endpoint's object: regime, exposures, pin risk, hedging, levels, flow and
    the strikes near spot; or the message when nothing expires today."""
    if view.get("no_zero_dte"):
        nxt = view.get("next_zero_dte_expiry")
        return Group(
            heading(view, "0DTE", context),
            Text(str(view.get("message") or "")),
            Text(f"Next expiration: {nxt or MISSING} (gex zero-dte --expiration DATE)"),
        )
    spot = view.get("underlying_price")
    regime = view.get("regime") or {}
    exposures = view.get("exposures") or {}
    pin = view.get("pin_risk") or {}
    lv = view.get("levels") or {}
    flow = view.get("flow") or {}
    flip = regime.get("gamma_flip")
    pairs: list[tuple[str, RenderableType | str]] = [
        ("Regime", regime_text(regime.get("label"))),
        ("Gamma flip", f"{number(flip)} ({pct(regime.get('spot_to_flip_pct'))} from spot)"),
    ]
    for metric in _metrics():
        pairs.append(
            (f"Net {metric.name.upper()}", money(exposures.get(metric.net)) + _per(metric.name))
        )
    share = exposures.get("pct_of_total_gex")
    pairs += [
        (
            "Share of chain GEX",
            f"{MISSING if share is None else fixed(share, 1) + '%'} of "
            f"{money(exposures.get('total_chain_net_gex'))}",
        ),
        (
            "Pin magnet",
            f"{number(pin.get('magnet_strike'))} ({pct(pin.get('distance_to_magnet_pct'))}), "
            f"GEX {money(pin.get('magnet_gex'))}",
        ),
        ("Max pain", number(pin.get("max_pain"))),
        ("Call / put wall", f"{number(lv.get('call_wall'))} / {number(lv.get('put_wall'))}"),
        (
            "Volume calls / puts",
            f"{fixed(flow.get('call_volume') or 0, 0)} / {fixed(flow.get('put_volume') or 0, 0)}",
        ),
        ("Open interest calls / puts",
         f"{fixed(flow.get('call_oi') or 0, 0)} / {fixed(flow.get('put_oi') or 0, 0)}"),
    ]  # fmt: skip
    unit = _HEDGE_UNIT_WORDS.get(view.get("hedge_unit") or "shares", "shares")
    for name, estimate in (view.get("hedging") or {}).items():
        amount = estimate.get("dealer_shares_to_trade")
        label = _zero_dte_move(name)
        pairs.append(
            (
                f"Hedging, {label}",
                f"dealers {estimate.get('direction')} "
                f"{MISSING if amount is None else fixed(abs(amount), 0)} {unit} "
                f"({money(estimate.get('notional_usd'))})",
            )
        )
    strikes = Table(box=box.SIMPLE_HEAD)
    for name in ("strike", "vs spot", "net GEX", "GEX share", "call OI", "put OI", "volume"):
        strikes.add_column(name, justify="right")
    for row in view.get("strikes") or []:
        net = row.get("net_gex")
        share_pct = row.get("gex_share_pct")
        strikes.add_row(
            number(row.get("strike")),
            _distance(row.get("strike"), spot),
            Text(money(net), style="green" if (net or 0.0) >= 0 else "red"),
            MISSING if share_pct is None else fixed(share_pct, 1) + "%",
            fixed(row.get("call_oi") or 0, 0),
            fixed(row.get("put_oi") or 0, 0),
            fixed((row.get("call_volume") or 0) + (row.get("put_volume") or 0), 0),
        )
    return Group(
        heading(view, f"0DTE, expiration {view.get('expiration')}", context),
        _pairs_table(pairs),
        Text(str(regime.get("description") or "")),
        Text(str(pin.get("description") or "")),
        strikes,
    )
