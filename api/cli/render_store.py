"""Readable output of the store commands (``ingest``, ``backfill``, ``store``, ``history``,
``oi-diff``) and of the narrative's open-interest changes.

Like :mod:`api.cli.render`, the tables are drawn from the JSON the commands print with
``--json`` (the endpoint's body, or the listing's objects), so a table never shows
something the JSON lacks, and they follow its conventions: missing numbers are ``—``, the
regime is the API's word (``positive_gamma``), times are New York time beside UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from api.cli.console import NEW_YORK, parse_instant, when
from api.cli.render import MISSING, level, money, number, regime_text

__all__ = [
    "history_table",
    "instant",
    "listing_json",
    "listing_table",
    "oi_changes_table",
    "oi_diff_table",
    "stored_line",
]


def instant(moment: datetime | None) -> str:
    """``2026-11-20T21:15:00Z`` (microseconds kept when present); ``—`` when missing."""
    if moment is None:
        return MISSING
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def stored_line(symbol: str, status: str, as_of: datetime | None, note: str = "") -> str:
    """``written  SPX  2026-11-20T21:15:00Z`` (one line per snapshot)."""
    tail = f"  {note}" if note else ""
    return f"{status:<8} {symbol:<8} {instant(as_of)}{tail}"


def listing_json(items: Sequence[Any]) -> list[dict[str, Any]]:
    """``gex store list --json``: one object per stored snapshot (``StoredSnapshot``)."""
    out = []
    for item in items:
        summary = item.summary
        out.append(
            {
                "symbol": item.symbol,
                "as_of": instant(item.as_of),
                "date": item.day.isoformat(),
                "rows": item.rows,
                "bytes": item.bytes,
                "sha256": item.sha256,
                "path": str(item.path),
                "status": summary.get("status"),
                "source": summary.get("source"),
                "underlying_price": summary.get("spot"),
                "net_gex": summary.get("net_gex"),
                "gamma_flip": summary.get("gamma_flip"),
                "regime": summary.get("regime"),
            }
        )
    return out


def _short_instant(text: str) -> str:
    """``2026-11-20T21:15:00Z`` -> ``2026-11-20 21:15:00`` (the column says UTC)."""
    return text.replace("T", " ").removesuffix("Z")


def _new_york(text: str) -> str:
    """``2026-11-20T21:15:00Z`` -> ``2026-11-20 16:15:00`` (the column says New York)."""
    try:
        return parse_instant(text).astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def listing_table(rows: Sequence[Mapping[str, Any]], root: str) -> RenderableType:
    """The objects of :func:`listing_json` as one table."""
    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 1), pad_edge=False, show_edge=False,
        caption=f"{len(rows)} snapshot(s), {sum(r['bytes'] for r in rows):,} bytes",
    )  # fmt: skip
    for name, justify in (
        ("symbol", "left"), ("as of (New York)", "left"), ("UTC", "left"),
        ("contracts", "right"), ("spot", "right"), ("net GEX", "right"), ("flip", "right"),
        ("regime", "left"), ("status", "left"),
    ):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            Text(r["symbol"], style="bold"), _new_york(r["as_of"]), _short_instant(r["as_of"]),
            f"{r['rows']:,}", level(r["underlying_price"]), money(r["net_gex"]),
            level(r["gamma_flip"]), regime_text(r.get("regime")), str(r["status"]),
        )  # fmt: skip
    return Group(Text(f"Snapshot store {root}", style="bold"), table)


def history_table(view: Mapping[str, Any]) -> RenderableType:
    """The history endpoint's rows, oldest first."""
    rows = view.get("history") or []
    table = Table(
        box=box.SIMPLE_HEAD, caption=f"{len(rows)} snapshot(s)",
        padding=(0, 1), pad_edge=False, show_edge=False,
    )  # fmt: skip
    for name in ("as of (New York)", "UTC", "spot", "net GEX", "flip", "call", "put", "regime"):
        justify = "left" if name in ("as of (New York)", "UTC", "regime") else "right"
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for r in rows:
        state = regime_text(r.get("regime")) if r.get("status") == "ok" else str(r["status"])
        table.add_row(
            _new_york(r["as_of"]), _short_instant(r["as_of"]), level(r.get("underlying_price")),
            money(r.get("net_gex")), level(r.get("gamma_flip")), level(r.get("call_wall")),
            level(r.get("put_wall")), state,
        )  # fmt: skip
    title = f"{view['symbol']} stored history {view['from']} … {view['to']}"
    return Group(Text(title, style="bold"), table)


def _change(value: int) -> Text:
    return Text(f"{value:+,}", style="green" if value > 0 else "red" if value < 0 else "")


def oi_diff_table(view: Mapping[str, Any]) -> RenderableType:
    """The oi-diff endpoint's object: totals and the largest per-contract changes."""
    head = Text(
        f"{view['symbol']} open-interest changes · spot {number(view.get('underlying_price'))} "
        f"· as of {when(view.get('as_of'))}",
        style="bold",
    )
    if not view.get("prior_snapshot_available"):
        return Group(head, Text(str(view.get("message") or "No prior session is stored.")))
    totals = Text(
        f"against {when(view.get('prior_as_of'))}: calls {view['total_call_oi_change']:+,}, "
        f"puts {view['total_put_oi_change']:+,}"
    )
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("expiry", "strike", "type", "OI now", "OI before", "change"):
        table.add_column(name, justify="left" if name in ("expiry", "type") else "right")
    for r in view.get("top_oi_changes") or []:
        table.add_row(
            r["expiry"], number(r["strike"]), r["type"], f"{r['today_oi']:,}",
            f"{r['prior_oi']:,}", _change(r["oi_change"]),
        )  # fmt: skip
    return Group(head, totals, table)


def oi_changes_table(view: Mapping[str, Any]) -> RenderableType | None:
    """The narrative's ``top_oi_changes`` (per strike and side), or None when empty."""
    rows = ((view.get("narrative") or {}).get("data") or {}).get("top_oi_changes") or []
    if not rows:
        return None
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("strike", "type", "change", "volume"):
        table.add_column(name, justify="left" if name == "type" else "right")
    for r in rows:
        table.add_row(number(r["strike"]), r["type"], _change(r["oi_change"]), f"{r['volume']:,}")
    return Group(Text("Largest open-interest changes", style="bold"), table)
