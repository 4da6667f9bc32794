"""``gex flow SYMBOL``: settled against live dealer exposure from the day's trade tape.

::

    gex flow SPX [--expiry 2026-11-20] [--rule vendor|net] [--confidence 0.43]
                 [--dealer-model street|short_all] [--source demo ...] [--json]

The body is exactly ``/v1/flow/dealer-risk/{symbol}`` (:func:`api.views.flow.dealer_risk_view`,
through the same :class:`~api.service.flow.FlowService`): settled and live net GEX and DEX,
the adjustment and its shift, the label and the sentence, and the open-interest summary
(``oi``). Without ``--json``: two rich tables, dealer risk and open interest. Rule and
confidence default to ``GEX_FLOW_RULE`` / ``GEX_FLOW_CONFIDENCE``, else ``vendor`` and 0.43
(docs/flow.md, "Endpoints"). A source without trades is an error (exit 1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from api.cli.options import (
    AsJson,
    File,
    Invocation,
    Preset,
    Source,
    SourceOpts,
    Symbol,
    check_date,
)
from api.cli.render import money, number
from api.config import ServerSettings
from api.service.flow import FlowService, FlowSettings
from api.views.flow import dealer_risk_view
from engine.flow import RULES

__all__ = ["dealer_risk_renderable", "flow_command", "register"]

RuleChoice = StrEnum("RuleChoice", {name: name for name in RULES})  # type: ignore[misc]
ModelChoice = StrEnum("ModelChoice", {"street": "street", "short_all": "short_all"})  # type: ignore[misc]
_STYLE = {"regime_flip": "bold red", "amplifying": "yellow", "dampening": "cyan"}


def _shift(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.2f}%"


def _count(value: int) -> str:
    return f"{value:,}"


def dealer_risk_renderable(view: Mapping[str, Any], context: str = "") -> RenderableType:
    """The dealer-risk body as a table of settled against live exposures, the label and its
    sentence, and a table of the open interest."""
    spot = number(view.get("underlying_price"))
    where = f" · expiry {view['expiry']}" if view.get("expiry") else ""
    tail = f" — {context}" if context else ""
    title = Text(f"{view['symbol']} flow · spot {spot} · as of {view['as_of']}{where}{tail}")
    risk = Table(box=box.SIMPLE_HEAVY)
    for name, justify in (("", "left"), ("settled", "right"), ("live", "right"),
                          ("adjustment", "right"), ("shift", "right")):  # fmt: skip
        risk.add_column(name, justify=justify)  # type: ignore[arg-type]
    for label, key in (("net GEX (per 1% move)", "gex"), ("net DEX", "dex")):
        risk.add_row(
            label,
            money(view[f"settled_net_{key}"]),
            money(view[f"live_net_{key}"]),
            money(view[f"flow_{key}_adjustment"]),
            _shift(view[f"flow_{key}_pct_shift"]),
        )
    direction = view["flow_direction"]
    verdict = Text.assemble((direction, _STYLE.get(direction, "green")), "  ", view["description"])
    oi = view["oi"]
    heading = Text(
        f"open interest · rule {view['oi_rule']}, confidence {oi['oi_delta_confidence']:g}"
    )
    table = Table(box=box.SIMPLE_HEAVY, show_header=False)
    table.add_column("what")
    table.add_column("contracts", justify="right")
    for label, value in (
        ("settled (official)", oi["official_oi"]),
        ("intraday delta", oi["intraday_oi_delta"]),
        ("simulated", oi["simulated_oi"]),
        ("effective (live)", oi["effective_oi"]),
        ("Σ |effective − settled|", view["total_abs_delta_contracts"]),
        ("contracts with flow", oi["contracts_with_flow"]),
        ("contracts tracked", oi["contracts_total"]),
    ):
        table.add_row(label, _count(value))
    return Group(title, risk, verdict, Text(""), heading, table)


def _check_confidence(value: float | None) -> float | None:
    if value is not None and not 0.0 < value <= 1.0:
        raise typer.BadParameter(f"must be in (0, 1], got {value:g}")
    return value


def flow_command(
    symbol: Symbol,
    expiry: Annotated[
        str | None, typer.Option("--expiry", metavar="DATE", help="Only this expiry (YYYY-MM-DD).")
    ] = None,
    rule: Annotated[
        RuleChoice | None,
        typer.Option(help="OI rule (default: $GEX_FLOW_RULE, else vendor)."),
    ] = None,
    confidence: Annotated[
        float | None,
        typer.Option(
            callback=_check_confidence,
            help="Share of classified volume taken as new OI (default: $GEX_FLOW_CONFIDENCE, "
            "else 0.43).",
        ),
    ] = None,
    dealer_model: Annotated[
        ModelChoice | None, typer.Option(help="Whose positions sign the exposures.")
    ] = None,
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = None,
    as_json: AsJson = False,
) -> None:
    """Settled vs live dealer GEX/DEX from today's trades, and the simulated open interest."""
    day = check_date(expiry, "--expiry")
    run = Invocation.create(
        source=source, file=file, source_opts=source_opt, preset=preset, sets=None,
        as_json=as_json,
    )  # fmt: skip
    flow = FlowService(run.service, FlowSettings.from_server(ServerSettings.load()))
    with run.busy(f"Reading {symbol}'s trades ({run.source})…"):
        result = flow.result(
            symbol,
            None if day is None else date.fromisoformat(day),
            None if dealer_model is None else dealer_model.value,
            None if rule is None else rule.value,
            confidence,
        )
    body = dealer_risk_view(result)
    if as_json:
        typer.echo(json.dumps(body, allow_nan=False, indent=2))
    else:
        Console(highlight=False).print(dealer_risk_renderable(body, run.context))


def register(app: typer.Typer) -> None:
    """Add ``flow`` to ``app``."""
    app.command("flow")(flow_command)
