"""Live exposure from the day's trade tape: the service behind ``/v1/flow/*`` and ``gex flow``.

"Settled" numbers are the usual analysis of the source's snapshot (what ``/v1/exposure/*``
answers, from the same cache); "live" numbers are the same analysis — same preset, same
options, same quotes, so the same spot, implied vols and greeks — of that snapshot with its
``open_interest`` replaced by the **effective open interest** of the intraday OI simulator
(:mod:`engine.flow`, docs/flow.md). Flow never changes a settled number.

For a symbol, :meth:`FlowService.book` takes the service's snapshot (``as_of``), fetches the
trades of its session day — the New York date of ``as_of`` — from the source
(``trades(symbol, day)``, with ``until=as_of`` when the source takes it) and keeps those at
or before ``as_of``. A source without a trade tape is a :class:`NoTradesError` (HTTP 404
``no_trades``).

Incremental feeding
-------------------
One :class:`~engine.flow.FlowState` per (source, symbol, session day) is kept across
requests (at most :data:`MAX_STATES`, least recently used dropped) over the **whole**
chain: every row of the snapshot the simulator can track — the first row of each contract
id, with an expiration, a right, an open interest in [0, 10⁹] and a multiplier in
(0, 10⁶] — and, as the day goes on, every contract an earlier snapshot of the day listed
(strike lists move with spot). With it are kept the instant it has been fed up to (its
watermark) and how many trades of the tape were at or before it. A later request at
``as_of`` after the watermark fetches the tape again and feeds only the trades stamped after
the watermark (the simulator's incremental contract: the day is never replayed). The state
is rebuilt from the whole tape when the snapshot lists a contract it does not track yet (on
the union of both lists), or when the tape now holds a different number of trades at or
before the watermark (a print reported late with an older stamp). A request for an instant
before the watermark builds its own state and leaves the kept one alone. The settled open
interest always comes from the current snapshot, and the state does not depend on the OI
rule or the confidence: all three are applied per request.

Rounding
--------
A snapshot's ``open_interest`` is a whole number of contracts, so each contract's simulated
open interest is rounded to the nearest whole contract (halves to even, ``numpy.rint``)
*before* anything is summed, and its live open interest is ``max(0, rounded)`` — exactly
the figure the live analysis uses. Every integer of the wire is a sum of these per-contract
figures: ``intraday_oi_delta = Σ (rounded simulated − settled)``, ``simulated_oi =
official_oi + intraday_oi_delta``, ``effective_oi = Σ live``, ``total_abs_delta_contracts =
Σ |live − settled|``, and ``contracts_with_flow`` counts the contracts whose rounded delta is
not 0 (a single one-lot print at confidence 0.43 moves nothing). These totals cover every
tracked contract of the snapshot (expired and unpriced ones too); the analyses, only the
contracts they price.

Settings
--------
The OI rule (``vendor`` | ``net``) and the confidence (in (0, 1], default 0.43) come from
the request (``?rule=``, ``?confidence=``; ``gex flow --rule --confidence``), else from the
server's settings (:class:`FlowSettings`: ``GEX_FLOW_RULE``, ``GEX_FLOW_CONFIDENCE``), else
the simulator's defaults. ``dealer_model`` is ``street`` or ``short_all``: a ``flow``
dealer model needs a per-contract dealer inventory, which :func:`engine.analyze` does not
take (400 ``invalid_dealer_model``).

Caching: books, results and one-expiry analyses are cached in the analysis service's TTL
cache (same TTL and byte budget) and coalesced on its compute pool under its request
deadline, keyed by symbol, options, rule and confidence.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from api.config import ServerSettings
from api.service.analysis import AnalysisService, compact
from data_adapters.base import TRADES_SCHEMA
from data_adapters.errors import DataSourceError, UpstreamInvalidError
from data_adapters.symbols import check_symbol
from engine.analysis.single import Analysis, analyze
from engine.chain import OPEN_INTEREST_MAX, ChainSnapshot
from engine.errors import NoContractsError, OptionError, SchemaError
from engine.flow import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RULE,
    RULES,
    DealerPremium,
    FlowEstimate,
    FlowState,
    OiRule,
    dealer_premium,
    estimate,
)
from engine.flow.state import MAX_MULTIPLIER
from engine.settlement import NEW_YORK
from engine.typing import BoolArray, IntArray

__all__ = [
    "DEALER_MODELS",
    "DEFAULT_WINDOW_MINUTES",
    "MAX_STATES",
    "FlowBook",
    "FlowResult",
    "FlowService",
    "FlowSettings",
    "NoTradesError",
    "OiTotals",
    "session_day",
    "tracked_rows",
    "warm_up",
]

T = TypeVar("T")
_CHAIN_COLUMNS: Final = ("contract", "open_interest", "is_call", "multiplier", "expiration")
DEALER_MODELS: Final = ("street", "short_all", "flow")
"""Dealer models of the flow endpoints: ``flow`` signs the live exposures by the dealers' inventory
after the day's customer flow (:meth:`FlowBook.flow_positions`)."""
DEFAULT_WINDOW_MINUTES: Final = 60
"""Window of ``/v1/flow/options/{symbol}/dealer-premium`` without ``windowMinutes``."""
MAX_STATES: Final = 64
"""Simulator states kept (one per source, symbol and session day; least recently used out)."""


class NoTradesError(DataSourceError):
    """The source serves no trade tape, so today's open interest cannot be estimated."""


def session_day(as_of: datetime) -> date:
    """The session day of an instant: its New York date (a weekend or a holiday has no
    session, so no trades)."""
    return as_of.astimezone(NEW_YORK).date()


@functools.cache
def warm_up() -> None:
    """Load (or compile) the simulator's kernels once per process: a two-contract chain, two
    trades, an estimate and a premium window (the HTTP server runs it at start)."""
    day = date(2025, 6, 2)
    at = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
    chain = pl.DataFrame(
        {"contract": ["WARMC", "WARMP"], "open_interest": [10, 10], "is_call": [True, False],
         "multiplier": [100.0, 100.0], "expiration": [day, day]}
    )  # fmt: skip
    trades = pl.DataFrame(
        {"contract": ["WARMC", "WARMP"], "timestamp": [at, at], "price": [1.2, 0.9],
         "size": [3, 2], "condition": ["regular", "regular"], "bid": [1.0, 0.9],
         "ask": [1.2, 1.1]},
        schema=TRADES_SCHEMA,
    )  # fmt: skip
    state = FlowState.from_chain(chain).feed(trades)
    estimate(state)
    dealer_premium(state, at, 60, groups=[0])
    state.index.lookup(chain["contract"])


# -- settings -------------------------------------------------------------------------------


def _rule(raw: object) -> OiRule:
    text = str(raw).strip().lower()
    if text not in RULES:
        raise OptionError("rule", f"rule must be one of {', '.join(RULES)}, got {raw!r}")
    return "net" if text == "net" else "vendor"


def _confidence(raw: object) -> float:
    bad = OptionError("confidence", f"confidence must be a number in (0, 1], got {raw!r}")
    if isinstance(raw, bool):
        raise bad
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad from None
    if not 0.0 < value <= 1.0:  # NaN fails too
        raise bad
    return value


@dataclass(frozen=True, slots=True)
class FlowSettings:
    """The server's defaults of the OI rule and the confidence (module docstring)."""

    rule: OiRule = DEFAULT_RULE
    confidence: float = DEFAULT_CONFIDENCE

    @classmethod
    def from_server(cls, server: ServerSettings) -> FlowSettings:
        """The server settings' ``flow_rule`` and ``flow_confidence`` (``GEX_FLOW_RULE``,
        ``GEX_FLOW_CONFIDENCE``, ``[server]`` in the config file; docs/configuration.md),
        validated by the one settings model."""
        return cls(_rule(server.flow_rule), float(server.flow_confidence))

    def resolve(
        self, rule: str | None = None, confidence: float | None = None
    ) -> tuple[OiRule, float]:
        """A request's rule and confidence, its own or these defaults (``OptionError`` →
        400 ``invalid_rule`` / ``invalid_confidence``)."""
        return (
            self.rule if rule is None else _rule(rule),
            self.confidence if confidence is None else _confidence(confidence),
        )


def check_dealer_model(raw: str | None) -> str:
    """``street`` (default), ``short_all`` or ``flow``; ``OptionError`` otherwise (400
    ``invalid_dealer_model``)."""
    value = "street" if raw is None else str(raw).strip().lower()
    if value not in DEALER_MODELS:
        raise OptionError(
            "dealer_model", f"dealer_model must be one of {', '.join(DEALER_MODELS)}, got {raw!r}"
        )
    return value


# -- the book: one snapshot with its day's trades ---------------------------------------------


def tracked_rows(frame: pl.DataFrame) -> BoolArray:
    """Rows of a chain frame the simulator tracks: the first row of each contract id, with
    an expiration, a right, an open interest in [0, 10⁹] and a multiplier in (0, 10⁶]."""
    c = pl.col
    usable = (
        c("contract").is_not_null()
        & (c("contract") != "")
        & c("expiration").is_not_null()
        & c("is_call").is_not_null()
        & c("open_interest").is_between(0, OPEN_INTEREST_MAX)
        & c("multiplier").is_finite()
        & (c("multiplier") > 0)
        & (c("multiplier") <= MAX_MULTIPLIER)
    ).fill_null(False)
    mask = frame.select((usable & c("contract").is_first_distinct()).alias("_keep"))["_keep"]
    return np.asarray(mask.to_numpy(), dtype=np.bool_)


class OiTotals(NamedTuple):
    """Open interest over the tracked contracts of the chain or of one expiry, on the rounded
    per-contract figures (module docstring, "Rounding"); volumes are contracts."""

    contracts_total: int
    contracts_with_flow: int
    contracts_with_trades: int
    official_oi: int
    simulated_oi: int
    effective_oi: int
    intraday_oi_delta: int
    total_abs_delta_contracts: int
    customer_buy_volume: int
    customer_sell_volume: int
    customer_net_volume: int
    unclassified_volume: int
    classified_share: float | None


@dataclass(frozen=True, eq=False)
class FlowBook:
    """One snapshot and the simulator fed with its session day's trades up to its ``as_of``,
    estimated under one rule and confidence. Per-contract arrays follow the tracked rows of
    ``snapshot.frame`` (``rows``), in frame order; ``positions`` are their places in the
    simulator's contract list (which may track more contracts: the day's union)."""

    symbol: str
    snapshot: ChainSnapshot
    day: date
    rows: BoolArray
    positions: IntArray
    expirations: np.ndarray
    estimate: FlowEstimate
    official: IntArray
    simulated: IntArray
    live_oi: IntArray

    @property
    def as_of(self) -> datetime:
        return self.snapshot.as_of

    @property
    def state(self) -> FlowState:
        return self.estimate.state

    @property
    def rule(self) -> str:
        return self.estimate.rule

    @property
    def confidence(self) -> float:
        return self.estimate.confidence

    def mask(self, expiry: date | None) -> BoolArray:
        """Tracked contracts of ``expiry`` (every one for None); ``NoContractsError`` when
        none expires then."""
        if expiry is None:
            return np.ones(self.expirations.shape[0], dtype=np.bool_)
        mask = self.expirations == np.datetime64(expiry, "D")
        if not mask.any():
            raise NoContractsError(f"{self.symbol}: no contract for expiration {expiry}")
        return np.asarray(mask, dtype=np.bool_)

    def totals(self, expiry: date | None = None) -> OiTotals:
        """:class:`OiTotals` of the chain or of one expiry."""
        m = self.mask(expiry)
        official = self.official[m]
        simulated = self.simulated[m]
        live = self.live_oi[m]
        delta = simulated - official
        at = self.positions[m]
        state = self.state
        buys = int(state.customer_buys[at].sum())
        sells = int(state.customer_sells[at].sum())
        unclassified = int(state.unclassified_volume[at].sum())
        volume = buys + sells + unclassified
        return OiTotals(
            contracts_total=int(m.sum()),
            contracts_with_flow=int(np.count_nonzero(delta)),
            contracts_with_trades=int(np.count_nonzero(state.prints[at])),
            official_oi=int(official.sum()),
            simulated_oi=int(simulated.sum()),
            effective_oi=int(live.sum()),
            intraday_oi_delta=int(delta.sum()),
            total_abs_delta_contracts=int(np.abs(live - official).sum()),
            customer_buy_volume=buys,
            customer_sell_volume=sells,
            customer_net_volume=buys - sells,
            unclassified_volume=unclassified,
            classified_share=(buys + sells) / volume if volume else None,
        )

    def flow_positions(self) -> npt.NDArray[np.float64]:
        """The ``flow`` dealer model's inventory per row of ``snapshot.frame`` (contracts, + =
        dealers long): the settled street position (calls +OI, puts −OI) minus the
        customers' net buying of the day (buys − sells) on the tracked rows."""
        frame = self.snapshot.frame
        oi = frame["open_interest"].fill_null(0).to_numpy().astype(np.float64)
        position = np.where(frame["is_call"].fill_null(False).to_numpy(), oi, -oi)
        net = np.asarray(self.estimate.customer_net, dtype=np.float64)[self.positions]
        position[np.flatnonzero(self.rows)] -= net
        return position

    def live_snapshot(self) -> ChainSnapshot:
        """The snapshot with each tracked row's ``open_interest`` replaced by its live open
        interest (untracked rows keep theirs)."""
        frame = self.snapshot.frame
        oi = frame["open_interest"].clone().scatter(np.flatnonzero(self.rows), self.live_oi)
        return dataclasses.replace(self.snapshot, frame=frame.with_columns(oi))

    def premium(self, window_minutes: int, expiry: date | None = None) -> DealerPremium:
        """Premium by side over the ``window_minutes`` minutes ending at ``as_of``, over the
        chain or one expiry (:func:`engine.flow.dealer_premium`)."""
        groups = None
        if expiry is not None:
            self.mask(expiry)  # NoContractsError when nothing expires then
            labels = self.state.group_labels or ()
            groups = [i for i, label in enumerate(labels) if label == expiry]
        return dealer_premium(self.state, self.as_of, window_minutes, groups=groups)


@dataclass(frozen=True, eq=False)
class FlowResult:
    """Settled and live analyses of one book under one expiry filter and dealer model, and
    the open-interest totals behind them."""

    book: FlowBook
    expiry: date | None
    dealer_model: str
    settled: Analysis
    live: Analysis
    totals: OiTotals

    @property
    def symbol(self) -> str:
        return self.book.symbol

    @property
    def as_of(self) -> datetime:
        return self.book.as_of


@dataclass
class _Fed:
    """A kept simulator state: the contracts it tracks (``chain``: the union of what the
    day's snapshots listed) and how far it has been fed."""

    chain: pl.DataFrame
    state: FlowState
    watermark: datetime
    fed: int


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_us(moment: datetime) -> int:
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)


class FlowService:
    """Books, settled/live results and one-expiry analyses over an
    :class:`~api.service.analysis.AnalysisService` (module docstring)."""

    def __init__(
        self,
        service: AnalysisService,
        settings: FlowSettings | None = None,
        *,
        max_states: int = MAX_STATES,
    ) -> None:
        self.service = service
        self.settings = settings or FlowSettings()
        self.max_states = max_states
        self._states: OrderedDict[Hashable, _Fed] = OrderedDict()
        self._guard = threading.Lock()
        self._locks: dict[Hashable, threading.Lock] = {}
        self.builds = 0  # states built from a whole tape
        self.feeds = 0  # incremental feeds of a kept state

    # -- the simulator state -------------------------------------------------------------
    @contextmanager
    def _state_lock(self, key: Hashable) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield

    def _tape(self, symbol: str, day: date, as_of: datetime) -> pl.DataFrame:
        """The source's trades of ``day`` stamped at or before ``as_of``."""
        source = self.service.source
        name = self.service.source_name
        fetch = getattr(source, "trades", None)
        if not callable(fetch):
            raise NoTradesError(
                name,
                f"the {name} source serves no trade tape, so today's open interest cannot "
                "be estimated (live flow needs a source with trades: demo, thetadata, "
                "databento, or stored tapes in a store or files)",
            )
        try:
            takes_until = "until" in inspect.signature(fetch).parameters
        except (TypeError, ValueError):
            takes_until = False
        try:
            frame = fetch(symbol, day, until=as_of) if takes_until else fetch(symbol, day)
        except NotImplementedError:
            raise NoTradesError(name, f"the {name} source serves no trade tape") from None
        if not isinstance(frame, pl.DataFrame) or "timestamp" not in frame.columns:
            raise UpstreamInvalidError(name, "the trade tape has no timestamp column")
        if not isinstance(frame.schema["timestamp"], pl.Datetime):
            raise UpstreamInvalidError(name, "the trade tape's timestamps are not datetimes")
        return frame.filter(pl.col("timestamp").dt.epoch("us") <= _epoch_us(as_of))

    def _feed(self, state: FlowState, trades: pl.DataFrame) -> FlowState:
        try:
            return state.feed(trades)
        except SchemaError as exc:
            raise UpstreamInvalidError(self.service.source_name, f"the trade tape: {exc}") from None

    def state(self, symbol: str, snapshot: ChainSnapshot, rows: BoolArray) -> FlowState:
        """The simulator over (at least) the tracked ``rows`` of ``snapshot``, fed with its
        session day's trades up to its ``as_of`` (incremental: see the module docstring)."""
        sym = check_symbol(symbol)
        as_of = snapshot.as_of.astimezone(UTC)
        day = session_day(as_of)
        chain = snapshot.frame.filter(pl.Series(rows)).select(_CHAIN_COLUMNS)
        key = (self.service.source_name, sym, day)
        with self._state_lock(key):
            with self._guard:
                kept = self._states.get(key)
                if kept is not None:
                    self._states.move_to_end(key)
            if kept is not None and kept.watermark > as_of:  # an earlier instant: its own
                self.builds += 1
                return self._feed(FlowState.from_chain(chain), self._tape(sym, day, as_of))
            new = chain
            if kept is not None:
                new = chain.filter(~pl.col("contract").is_in(kept.chain["contract"].implode()))
            if kept is not None and new.height == 0 and kept.watermark == as_of:
                return kept.state
            tape = self._tape(sym, day, as_of)
            if kept is not None and new.height == 0:
                stamps = tape["timestamp"].dt.epoch("us")
                mark = _epoch_us(kept.watermark)
                if int((stamps <= mark).sum()) == kept.fed:
                    state = self._feed(kept.state, tape.filter(stamps > mark))
                    self.feeds += 1
                    self._keep(key, _Fed(kept.chain, state, as_of, tape.height))
                    return state
            union = chain if kept is None else pl.concat([kept.chain, new])
            state = self._feed(FlowState.from_chain(union), tape)
            self.builds += 1
            self._keep(key, _Fed(union, state, as_of, tape.height))
            return state

    def _keep(self, key: Hashable, fed: _Fed) -> None:
        with self._guard:
            self._states[key] = fed
            self._states.move_to_end(key)
            while len(self._states) > self.max_states:
                old, _ = self._states.popitem(last=False)
                self._locks.pop(old, None)

    # -- books, results, one-expiry analyses ---------------------------------------------
    def _key(self, kind: str, symbol: str, *parts: object) -> Hashable:
        return (kind, self.service.source_name, check_symbol(symbol), *parts)

    def book(
        self, symbol: str, rule: str | None = None, confidence: float | None = None
    ) -> FlowBook:
        """The service's current snapshot of ``symbol`` with its day's trades, estimated
        under ``rule`` and ``confidence`` (defaults: :attr:`settings`); cached for the TTL."""
        name, c = self.settings.resolve(rule, confidence)
        sym = check_symbol(symbol)
        return self.service._cached(
            self._key("flow_book", sym, name, c), lambda: self._book(sym, name, c)
        )

    def _book(self, symbol: str, rule: str, confidence: float) -> FlowBook:
        snapshot = self.service.snapshot(symbol)
        rows = tracked_rows(snapshot.frame)
        state = self.state(symbol, snapshot, rows)
        est = estimate(state, rule=rule, confidence=confidence)
        keep = pl.Series(rows)
        positions = state.index.lookup(snapshot.frame["contract"].filter(keep))
        if positions.shape[0] and positions.min() < 0:  # the state tracks every row: never
            raise RuntimeError(f"{symbol}: the flow state does not track every contract")
        official = snapshot.frame["open_interest"].filter(keep).to_numpy().astype(np.int64)
        simulated = np.rint(official + est.intraday_oi_delta[positions]).astype(np.int64)
        expirations = snapshot.frame["expiration"].filter(keep).to_numpy().astype("datetime64[D]")
        return FlowBook(
            symbol=symbol,
            snapshot=snapshot,
            day=session_day(snapshot.as_of),
            rows=rows,
            positions=positions,
            expirations=expirations,
            estimate=est,
            official=official,
            simulated=simulated,
            live_oi=np.maximum(simulated, 0),
        )

    def _settled(self, book: FlowBook, options: dict[str, Any]) -> Analysis:
        """The usual analysis of the book's snapshot: the service's own cached one when it
        caches (and read that snapshot), else computed here (no second fetch). Under the
        ``flow`` model no trade has moved the book yet: the settled inventory is the street
        position, so the settled numbers are the street ones."""
        clean = {k: v for k, v in options.items() if v is not None}
        if clean.get("dealer_model") == "flow":
            clean["dealer_model"] = "street"
        if self.service.ttl > 0:
            a = self.service.analysis(book.symbol, **clean)
            if a.as_of == book.as_of:
                return a
        return compact(analyze(book.snapshot, self.service.preset, **clean))

    def _live(self, book: FlowBook, options: dict[str, Any]) -> Analysis:
        """The live analysis: effective open interest under ``street``/``short_all``; under
        ``flow`` the dealers' inventory after the day's customer flow
        (:meth:`FlowBook.flow_positions`) on the snapshot's own open interest."""
        clean = {k: v for k, v in options.items() if v is not None}
        if clean.get("dealer_model") == "flow":
            return compact(
                analyze(
                    book.snapshot, self.service.preset, dealer_position=book.flow_positions(),
                    **clean,
                )
            )  # fmt: skip
        return compact(analyze(book.live_snapshot(), self.service.preset, **clean))

    def _result_key(
        self,
        symbol: str,
        expiry: date | None,
        dealer_model: str | None,
        rule: str | None,
        confidence: float | None,
    ) -> tuple[Hashable, tuple[Any, ...]]:
        name, c = self.settings.resolve(rule, confidence)
        model = check_dealer_model(dealer_model)
        key = self._key("flow", symbol, self.service.preset, expiry, model, name, c)
        return key, (symbol, expiry, model, name, c)

    def result(
        self,
        symbol: str,
        expiry: date | None = None,
        dealer_model: str | None = None,
        rule: str | None = None,
        confidence: float | None = None,
    ) -> FlowResult:
        """Settled and live analyses of ``symbol`` (one ``expiry``, or the whole chain)."""
        key, args = self._result_key(symbol, expiry, dealer_model, rule, confidence)
        return self.service._cached(key, lambda: self._result(*args))

    def _result(
        self, symbol: str, expiry: date | None, model: str, rule: str, confidence: float
    ) -> FlowResult:
        book = self.book(symbol, rule, confidence)
        totals = book.totals(expiry)
        options = {"expiration": expiry, "dealer_model": model}
        return FlowResult(
            book=book,
            expiry=expiry,
            dealer_model=model,
            settled=self._settled(book, options),
            live=self._live(book, options),
            totals=totals,
        )

    def _day_options(
        self, result: FlowResult, expiration: date, hedge_moves: tuple[float, ...] | None
    ) -> dict[str, Any]:
        return {
            "expiration": expiration,
            "hedge_moves": hedge_moves,
            "dealer_model": result.dealer_model,
        }

    def _day_key(
        self, kind: str, result: FlowResult, expiration: date, hedge_moves: tuple[float, ...] | None
    ) -> Hashable:
        book = result.book
        return self._key(kind, book.symbol, self.service.preset, expiration, hedge_moves,
                         result.dealer_model, book.rule, book.confidence, book.as_of)  # fmt: skip

    def live_day(
        self, result: FlowResult, expiration: date, hedge_moves: tuple[float, ...] | None = None
    ) -> Analysis:
        """The live analysis of one expiry of ``result``'s book (with ``hedge_moves``)."""
        key = self._day_key("flow_live_day", result, expiration, hedge_moves)
        options = self._day_options(result, expiration, hedge_moves)
        return self.service._cached(key, lambda: self._live(result.book, options))

    def settled_day(
        self, result: FlowResult, expiration: date, hedge_moves: tuple[float, ...] | None = None
    ) -> Analysis:
        """The settled analysis of one expiry of ``result``'s snapshot (the service's own
        cached analysis when it read that snapshot)."""
        options = self._day_options(result, expiration, hedge_moves)
        key = self._day_key("flow_settled_day", result, expiration, hedge_moves)
        return self.service._cached(key, lambda: self._settled(result.book, options))

    # -- on the event loop (the service's pool, coalesced, under the request deadline) ---
    async def _run(self, key: Hashable, work: Callable[[], T]) -> T:
        return await self.service._coalesced(key, work)

    async def book_async(
        self, symbol: str, rule: str | None = None, confidence: float | None = None
    ) -> FlowBook:
        name, c = self.settings.resolve(rule, confidence)
        key = self._key("flow_book", symbol, name, c)
        return await self._run(key, lambda: self.book(symbol, name, c))

    async def result_async(
        self,
        symbol: str,
        expiry: date | None = None,
        dealer_model: str | None = None,
        rule: str | None = None,
        confidence: float | None = None,
    ) -> FlowResult:
        key, args = self._result_key(symbol, expiry, dealer_model, rule, confidence)
        return await self._run(key, lambda: self.result(*args))

    async def live_day_async(
        self, result: FlowResult, expiration: date, hedge_moves: tuple[float, ...] | None = None
    ) -> Analysis:
        key = self._day_key("flow_live_day", result, expiration, hedge_moves)
        return await self._run(key, lambda: self.live_day(result, expiration, hedge_moves))

    async def settled_day_async(
        self, result: FlowResult, expiration: date, hedge_moves: tuple[float, ...] | None = None
    ) -> Analysis:
        key = self._day_key("flow_settled_day", result, expiration, hedge_moves)
        return await self._run(key, lambda: self.settled_day(result, expiration, hedge_moves))
