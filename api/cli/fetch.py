"""One analysis for a command, said out loud: the spinner names it, a fetch over the network is
announced on stderr (``gex: fetching SPX from the network: Cboe delayed quotes at
cdn.cboe.com …``), a failed fetch of a network source carries a hint (``--file`` for Cboe),
and an ``--expiration`` that matches no contract is answered with the nearest expirations
that do.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Final

from api.cli.console import busy
from api.cli.errors import CommandError, error_line
from api.cli.sources import failure_hint, fetch_notice
from engine.errors import NoContractsError

if TYPE_CHECKING:
    from api.cli.options import Invocation
    from engine.analysis.single import Analysis

__all__ = ["NEAREST", "analysed", "nearest_expirations"]

NEAREST: Final = 4
"""How many valid expirations a bad ``--expiration`` lists."""
_FILTERS: Final = ("expiration", "min_oi")


def nearest_expirations(days: tuple[date, ...], wanted: date, n: int = NEAREST) -> list[date]:
    """The ``n`` expirations closest to ``wanted`` (ties: the earlier), in date order."""
    ranked = sorted(days, key=lambda d: (abs((d - wanted).days), d))
    return sorted(ranked[:n])


def _no_such_expiration(run: Invocation, symbol: str, options: Mapping[str, object]) -> str | None:
    """The message for an ``expiration`` that no contract has (None: it exists, and the
    filters left nothing of it)."""
    wanted = date.fromisoformat(str(options["expiration"]))
    rest = {k: v for k, v in options.items() if k not in _FILTERS}
    whole = run.service.analysis(symbol, run.preset, at=run.at, **rest)
    if wanted in whole.expirations:
        return None
    listed = ", ".join(d.isoformat() for d in nearest_expirations(whole.expirations, wanted))
    return (
        f"{whole.symbol}: no contract expires {wanted.isoformat()}; the nearest expirations "
        f"are {listed or 'none'} (gex expirations {whole.symbol} lists them all)"
    )


def analysed(run: Invocation, symbol: str, extra: Mapping[str, object]) -> Analysis:
    """The analysis of ``symbol`` under ``run`` plus ``extra`` options (module docstring)."""
    from data_adapters.errors import (
        DataSourceError,
        NoHistoryError,
        SourceConfigError,
        SymbolNotFoundError,
    )

    source = getattr(run.service, "source", None)
    notice = None if run.at is not None else fetch_notice(run.source, source, symbol.upper())
    if notice is not None:
        error_line(notice, prefix="gex")
    busy.start(f"Analysing {symbol.upper()} ({run.source})…")
    options = {**run.options, **extra}
    try:
        return run.compute(symbol, **extra)
    except NoContractsError:
        if options.get("expiration") is None:
            raise
        message = _no_such_expiration(run, symbol, options)
        if message is None:
            raise
        raise NoContractsError(message) from None
    except (SymbolNotFoundError, NoHistoryError, SourceConfigError):
        raise
    except DataSourceError as exc:
        hint = failure_hint(run.source, source)
        if hint is None:
            raise
        raise CommandError(f"{exc}; {hint}") from None
