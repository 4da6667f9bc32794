"""The flow service on hand-made chains and tapes: settings, tracked rows, rounding, the live
snapshot, incremental feeding and its cache, and the errors.

``toy_snapshot`` is a six-contract chain (one expiry, strikes 95/100/105) quoted from
Black-Scholes at 25 % vol; ``toy_tape`` prints on its quotes (at the ask: a customer buy, at
the bid: a sell, at the midpoint: unclassified); ``ToySource`` serves them, its snapshot
taken at ``now`` (settable) and its tape counted (``fetches``). The route and CLI tests
reuse them.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from api.config import ServerConfigError, ServerSettings
from api.service.analysis import AnalysisService
from api.service.errors import error_for
from api.service.flow import (
    FlowService,
    FlowSettings,
    NoTradesError,
    check_dealer_model,
    session_day,
    tracked_rows,
)
from data_adapters.base import TRADES_SCHEMA
from data_adapters.errors import SymbolNotFoundError, UpstreamInvalidError
from engine.analysis.single import analyze
from engine.chain import SCHEMA, ChainSnapshot
from engine.errors import NoContractsError, OptionError
from engine.flow import FlowState

AS_OF = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 New York
EXPIRY = date(2026, 12, 18)
SETTLEMENT = datetime(2026, 12, 18, 21, 0, tzinfo=UTC)
CALL = "TOY261218C00100"
PUT = "TOY261218P00100"


def _bsm(spot: float, strike: float, t: float, iv: float, call: bool, r: float = 0.04) -> float:
    def n(x: float) -> float:
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

    d1 = (math.log(spot / strike) + (r + iv * iv / 2.0) * t) / (iv * math.sqrt(t))
    d2 = d1 - iv * math.sqrt(t)
    if call:
        return spot * n(d1) - strike * math.exp(-r * t) * n(d2)
    return strike * math.exp(-r * t) * n(-d2) - spot * n(-d1)


def toy_snapshot(
    call_oi: int = 1000,
    put_oi: int = 800,
    strikes: tuple[float, ...] = (95.0, 100.0, 105.0),
    as_of: datetime = AS_OF,
) -> ChainSnapshot:
    """One expiry (2026-12-18) of calls and puts at ``strikes`` around spot 100."""
    rows: dict[str, list[Any]] = {name: [] for name in SCHEMA}
    t = (SETTLEMENT - AS_OF).total_seconds() / (365.0 * 86400.0)
    for strike in strikes:
        for call in (True, False):
            price = _bsm(100.0, strike, t, 0.25, call)
            values = {
                "contract": f"TOY261218{'C' if call else 'P'}{int(strike):05d}",
                "root": "TOY", "expiration": EXPIRY, "settlement": SETTLEMENT,
                "strike": strike, "is_call": call, "style": "european", "model": "bsm",
                "multiplier": 100.0, "underlying_price": 100.0,
                "open_interest": call_oi if call else put_oi, "volume": 0,
                "bid": round(price * 0.98, 2), "ask": round(price * 1.02, 2),
                "last": float("nan"), "iv": 0.25, "vendor_delta": float("nan"),
                "vendor_gamma": float("nan"),
            }  # fmt: skip
            for name, value in values.items():
                rows[name].append(value)
    frame = pl.DataFrame(rows, schema=dict(SCHEMA))
    return ChainSnapshot("TOY", as_of, 100.0, "toy", frame, rate=0.04)


def toy_tape(
    snapshot: ChainSnapshot,
    prints: list[tuple[str, int, str]],
    start: datetime = AS_OF - timedelta(minutes=30),
    step: timedelta = timedelta(seconds=1),
) -> pl.DataFrame:
    """``(contract, size, "buy" | "sell" | "mid")`` prints on ``snapshot``'s quotes, one per
    ``step`` from ``start``."""
    quotes = {row["contract"]: row for row in snapshot.frame.iter_rows(named=True)}
    rows = []
    for i, (contract, size, side) in enumerate(prints):
        q = quotes[contract]
        price = {"buy": q["ask"], "sell": q["bid"], "mid": (q["bid"] + q["ask"]) / 2.0}[side]
        rows.append({"contract": contract, "timestamp": start + i * step, "price": price,
                     "size": size, "condition": "regular", "bid": q["bid"], "ask": q["ask"]})  # fmt: skip
    return pl.DataFrame(rows, schema=TRADES_SCHEMA)


class ToySource:
    """Serves one hand-made snapshot (taken at ``now``) and one tape (``fetches`` counted)."""

    name = "toy"

    def __init__(self, snapshot: ChainSnapshot, tape: pl.DataFrame | None = None) -> None:
        self.snap = snapshot
        self.tape = tape if tape is not None else toy_tape(snapshot, [])
        self.now = snapshot.as_of
        self.fetches = 0

    def symbols(self) -> list[str]:
        return ["TOY"]

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        if symbol.upper() != "TOY":
            raise SymbolNotFoundError(self.name, f"unknown symbol {symbol!r}")
        return dataclasses.replace(self.snap, as_of=as_of or self.now)

    def trades(self, symbol: str, day: date) -> pl.DataFrame:
        self.fetches += 1
        return self.tape


class NoTapeSource(ToySource):
    """A source of chains only."""

    trades = None  # type: ignore[assignment]


def flow_of(source: Any, ttl: float = 60.0, **settings: Any) -> FlowService:
    service = AnalysisService(source, source_name=source.name, ttl=ttl)
    return FlowService(service, FlowSettings(**settings))


# -- settings -----------------------------------------------------------------------------------


def test_settings_come_from_the_server_settings_model() -> None:
    """``GEX_FLOW_RULE`` / ``GEX_FLOW_CONFIDENCE`` (or ``[server]`` keys) through the one
    settings model, else the defaults; bad values fail when the settings load."""

    def load(env: dict[str, str], **overrides: object) -> FlowSettings:
        return FlowSettings.from_server(ServerSettings.load(environ=env, config={}, **overrides))

    assert load({}) == FlowSettings("vendor", 0.43)
    env = {"GEX_FLOW_RULE": " NET ", "GEX_FLOW_CONFIDENCE": "0.5"}
    assert load(env) == FlowSettings("net", 0.5)
    assert load(env, flow_rule="vendor") == FlowSettings("vendor", 0.5)
    assert load({"GEX_FLOW_RULE": "  "}) == FlowSettings()
    assert FlowSettings.from_server(
        ServerSettings.load(environ={}, config={"server": {"flow_confidence": 0.3}})
    ) == FlowSettings("vendor", 0.3)
    with pytest.raises(ServerConfigError, match="GEX_FLOW_RULE"):
        load({"GEX_FLOW_RULE": "gross"})
    for bad in ("0", "1.5", "nan", "x"):
        with pytest.raises(ServerConfigError, match="GEX_FLOW_CONFIDENCE"):
            load({"GEX_FLOW_CONFIDENCE": bad})


def test_a_request_overrides_the_settings_and_bad_values_name_their_parameter() -> None:
    settings = FlowSettings("net", 0.5)
    assert settings.resolve() == ("net", 0.5)
    assert settings.resolve("vendor", 1.0) == ("vendor", 1.0)
    with pytest.raises(OptionError) as rule:
        settings.resolve("gross")
    assert rule.value.parameter == "rule"
    for bad in (0.0, -0.1, 1.01, float("nan"), True):
        with pytest.raises(OptionError) as confidence:
            settings.resolve(None, bad)  # type: ignore[arg-type]
        assert confidence.value.parameter == "confidence"
    assert check_dealer_model(None) == "street" and check_dealer_model(" SHORT_ALL") == "short_all"
    assert check_dealer_model("flow") == "flow"
    for bad in ("long_all", "dealers"):
        with pytest.raises(OptionError) as model:
            check_dealer_model(bad)
        assert model.value.parameter == "dealer_model"
        assert error_for(model.value, "TOY").body()["error"] == "invalid_dealer_model"  # type: ignore[union-attr]


# -- the chain the simulator tracks ---------------------------------------------------------------


def test_the_simulator_tracks_the_first_usable_row_of_each_contract() -> None:
    frame = toy_snapshot().frame
    bad = pl.concat([
        frame.head(1),  # a duplicate id: only its first row
        frame.slice(1, 1).with_columns(pl.lit(-1, dtype=pl.Int64).alias("open_interest"),
                                       pl.lit("TOYBAD1").alias("contract")),
        frame.slice(1, 1).with_columns(pl.lit(0.0).alias("multiplier"),
                                       pl.lit("TOYBAD2").alias("contract")),
        frame.slice(1, 1).with_columns(pl.lit(None, dtype=pl.String).alias("contract")),
        frame.slice(1, 1).with_columns(pl.lit(None, dtype=pl.Boolean).alias("is_call"),
                                       pl.lit("TOYBAD3").alias("contract")),
    ])  # fmt: skip
    rows = tracked_rows(pl.concat([frame, bad]))
    assert rows.tolist() == [True] * 6 + [False] * 5


def test_session_day_is_the_new_york_date() -> None:
    assert session_day(datetime(2026, 11, 19, 3, 0, tzinfo=UTC)) == date(2026, 11, 18)
    assert session_day(AS_OF) == date(2026, 11, 18)


# -- rounding and totals --------------------------------------------------------------------------


def test_live_open_interest_is_rounded_per_contract_and_the_totals_add_up() -> None:
    snap = toy_snapshot()
    prints = [(CALL, 1, "buy"), (PUT, 3, "sell"), ("TOY261218C00095", 5, "buy"),
              ("TOY261218C00105", 7, "mid")]  # fmt: skip
    flow = flow_of(ToySource(snap, toy_tape(snap, prints)))
    book = flow.book("TOY")
    ids = snap.frame["contract"].to_list()
    delta = dict(zip(ids, (book.simulated - book.official).tolist(), strict=True))
    # 0.43 x 1 = 0.43 -> 0; 0.43 x 3 = 1.29 -> 1; 0.43 x 5 = 2.15 -> 2; the midpoint adds nothing
    assert delta == {CALL: 0, PUT: 1, "TOY261218C00095": 2, "TOY261218C00105": 0,
                     "TOY261218P00095": 0, "TOY261218P00105": 0}  # fmt: skip
    t = book.totals()
    assert t.official_oi == 3 * 1000 + 3 * 800
    assert t.intraday_oi_delta == 3 and t.simulated_oi == t.official_oi + 3
    assert t.effective_oi == t.simulated_oi and t.total_abs_delta_contracts == 3
    assert (t.contracts_total, t.contracts_with_flow, t.contracts_with_trades) == (6, 2, 4)
    assert (t.customer_buy_volume, t.customer_sell_volume, t.unclassified_volume) == (6, 3, 7)
    assert t.customer_net_volume == 3 and t.classified_share == pytest.approx(9 / 16)
    assert book.totals(EXPIRY) == t
    with pytest.raises(NoContractsError, match="2026-12-19"):
        book.totals(date(2026, 12, 19))


def test_the_net_rule_can_lower_open_interest_but_never_below_zero() -> None:
    snap = toy_snapshot(call_oi=10, put_oi=10)
    flow = flow_of(ToySource(snap, toy_tape(snap, [(CALL, 100, "sell"), (PUT, 10, "buy")])))
    book = flow.book("TOY", "net", 1.0)
    by_id = dict(zip(snap.frame["contract"].to_list(), book.live_oi.tolist(), strict=True))
    assert by_id[CALL] == 0 and by_id[PUT] == 20
    t = book.totals()
    assert t.intraday_oi_delta == -100 + 10 and t.simulated_oi == t.official_oi - 90
    assert t.effective_oi == t.official_oi - 10 + 10
    assert t.total_abs_delta_contracts == 10 + 10 and t.contracts_with_flow == 2
    vendor = flow.book("TOY", "vendor", 1.0).totals()
    assert vendor.intraday_oi_delta == 110 and vendor.effective_oi == vendor.simulated_oi


def test_the_live_analysis_changes_open_interest_only() -> None:
    snap = toy_snapshot()
    flow = flow_of(ToySource(snap, toy_tape(snap, [(CALL, 500, "buy"), (PUT, 200, "sell")])))
    book = flow.book("TOY")
    live = book.live_snapshot()
    assert live.as_of == snap.as_of and live.spot == snap.spot
    assert live.frame.drop("open_interest").equals(snap.frame.drop("open_interest"))
    oi = dict(
        zip(live.frame["contract"].to_list(), live.frame["open_interest"].to_list(), strict=True)
    )
    assert oi[CALL] == 1000 + 215 and oi[PUT] == 800 + 86
    settled, moved = analyze(snap), analyze(live)
    assert moved.underlying_price == settled.underlying_price
    assert moved.strikes["strike"].to_list() == settled.strikes["strike"].to_list()
    for side in ("call", "put"):  # one contract per strike and side: the same greeks
        for metric in ("gex", "dex", "vex", "chex"):
            ratio = (
                moved.strikes[f"{side}_{metric}"] / settled.strikes[f"{side}_{metric}"]
            ).to_numpy()
            oi = (moved.strikes[f"{side}_oi"] / settled.strikes[f"{side}_oi"]).to_numpy()
            assert np.allclose(ratio, oi, rtol=1e-12), (side, metric)


def test_settled_is_the_services_own_analysis_and_live_the_same_options() -> None:
    snap = toy_snapshot()
    flow = flow_of(ToySource(snap, toy_tape(snap, [(CALL, 500, "buy")])))
    result = flow.result("toy", EXPIRY, "short_all")
    assert result.settled is flow.service.analysis(
        "TOY", expiration=EXPIRY, dealer_model="short_all"
    )
    assert (
        result.live.options.dealer_model == "short_all" and result.live.options.expiration == EXPIRY
    )
    assert result.live.as_of == result.settled.as_of == snap.as_of
    assert flow.result("TOY", EXPIRY, "short_all") is result  # cached
    flowed = flow.result("TOY", dealer_model="flow")
    book = flowed.book
    frame = book.snapshot.frame
    oi = frame["open_interest"].to_numpy().astype(float)
    street = np.where(frame["is_call"].to_numpy(), oi, -oi)
    inventory = book.flow_positions()
    tracked = np.flatnonzero(book.rows)
    net = np.asarray(book.estimate.customer_net, dtype=float)[book.positions]
    np.testing.assert_array_equal(inventory[tracked], street[tracked] - net)
    untracked = np.setdiff1d(np.arange(frame.height), tracked)
    np.testing.assert_array_equal(inventory[untracked], street[untracked])
    assert net.any()  # the toy tape moves the book
    assert flowed.settled.exposures == flow.result("TOY").settled.exposures  # street book
    want = analyze(book.snapshot, dealer_model="flow", dealer_position=inventory)
    for name, value in want.exposures.items():
        assert flowed.live.exposures[name] == pytest.approx(value, rel=1e-12, abs=1e-6), name
    with pytest.raises(NoContractsError):
        flow.result("TOY", date(2026, 12, 19))


# -- incremental feeding --------------------------------------------------------------------------


def _same_state(a: FlowState, b: FlowState) -> bool:
    return (
        np.array_equal(a.per_contract, b.per_contract)
        and np.array_equal(a.code_counts, b.code_counts)
        and np.array_equal(a.minute_keys, b.minute_keys)
        and np.array_equal(a.minute_table, b.minute_table)
    )


def test_later_requests_feed_only_the_new_trades() -> None:
    snap = toy_snapshot()
    sides = ["buy", "sell", "mid"]
    prints = [(CALL if i % 2 else PUT, 1 + i % 7, sides[i % 3]) for i in range(120)]
    tape = toy_tape(snap, prints, start=AS_OF - timedelta(minutes=60), step=timedelta(minutes=1))
    source = ToySource(snap, tape)
    flow = flow_of(source, ttl=0.0)  # every request reads the snapshot again
    rows = tracked_rows(snap.frame)
    for minutes in (-40, -25, -25, 10, 59):
        source.now = AS_OF + timedelta(minutes=minutes)
        state = flow.state("TOY", source.snapshot("TOY"), rows)
        cut = tape.filter(pl.col("timestamp") <= source.now)
        assert _same_state(state, FlowState.from_chain(snap.frame).feed(cut))
    assert (flow.builds, flow.feeds, source.fetches) == (1, 3, 4)  # the repeated instant: nothing

    # an earlier instant gets its own state and leaves the kept one alone
    source.now = AS_OF - timedelta(minutes=50)
    early = flow.state("TOY", source.snapshot("TOY"), rows)
    assert early.counts.trades_seen == 11 and flow.builds == 2
    source.now = AS_OF + timedelta(minutes=59)
    assert flow.state("TOY", source.snapshot("TOY"), rows).counts.trades_seen == 120
    assert flow.builds == 2

    # a print reported late, stamped before the watermark: the state is rebuilt, exactly
    late = toy_tape(snap, [(CALL, 9, "buy")], start=AS_OF - timedelta(minutes=59, seconds=30))
    source.tape = pl.concat([tape, late])
    source.now = AS_OF + timedelta(minutes=70)
    state = flow.state("TOY", source.snapshot("TOY"), rows)
    assert flow.builds == 3 and state.counts.trades_seen == 121
    assert _same_state(state, FlowState.from_chain(snap.frame).feed(source.tape))


def test_a_contract_listed_later_joins_the_tracked_chain() -> None:
    early = toy_snapshot(strikes=(95.0, 100.0))
    later = toy_snapshot(strikes=(100.0, 105.0))
    prints = [("TOY261218C00095", 10, "buy"), ("TOY261218C00105", 20, "buy"), (CALL, 30, "sell")]
    tape = toy_tape(later, prints[1:])
    tape = pl.concat([toy_tape(early, prints[:1], start=AS_OF - timedelta(hours=1)), tape])
    source = ToySource(early, tape)
    flow = flow_of(source, ttl=0.0)
    first = flow.book("TOY")
    assert first.totals().customer_buy_volume == 10 and first.state.counts.unmatched_contract == 1
    source.snap = later
    source.now = AS_OF + timedelta(minutes=1)
    book = flow.book("TOY")
    assert flow.builds == 2 and len(book.state) == 6  # 95, 100 and 105: the day's union
    ids = book.state.contracts.gather(book.positions).to_list()
    assert ids == later.frame["contract"].to_list()
    t = book.totals()
    assert (t.contracts_total, t.customer_buy_volume, t.customer_sell_volume) == (4, 20, 30)
    assert book.state.counts.unmatched_contract == 0
    assert book.premium(120).customer_buy_volume == 30  # the 95 call traded today too


def test_states_are_kept_per_symbol_and_day_and_bounded() -> None:
    snap = toy_snapshot()
    source = ToySource(snap, toy_tape(snap, [(CALL, 5, "buy")]))
    flow = FlowService(AnalysisService(source, ttl=0.0), max_states=2)
    rows = tracked_rows(snap.frame)
    for day in range(4):
        source.now = AS_OF + timedelta(days=day)
        flow.state("TOY", source.snapshot("TOY"), rows)
    assert flow.builds == 4 and len(flow._states) == 2


# -- errors -------------------------------------------------------------------------------------


def test_a_source_without_trades_is_a_clear_404() -> None:
    flow = flow_of(NoTapeSource(toy_snapshot()))
    with pytest.raises(NoTradesError) as caught:
        flow.book("TOY")
    api = error_for(caught.value, "TOY")
    assert api is not None and (api.status, api.code) == (404, "no_trades")
    assert api.message.startswith("The toy source serves no trade tape")


def test_an_unusable_tape_is_an_upstream_error() -> None:
    snap = toy_snapshot()
    for tape in (
        toy_tape(snap, [(CALL, 1, "buy")]).drop("timestamp"),
        toy_tape(snap, [(CALL, 1, "buy")]).with_columns(pl.lit("x").alias("timestamp")),
        toy_tape(snap, [(CALL, 1, "buy")]).drop("bid"),
    ):
        with pytest.raises(UpstreamInvalidError):
            flow_of(ToySource(snap, tape)).book("TOY")


def test_premium_windows_and_expiry() -> None:
    snap = toy_snapshot()
    tape = toy_tape(
        snap, [(CALL, 10, "buy"), (PUT, 4, "sell")], start=AS_OF - timedelta(minutes=90)
    )
    book = flow_of(ToySource(snap, tape)).book("TOY")
    assert book.premium(60).trade_count == 0
    whole = book.premium(120, EXPIRY)
    assert whole.trade_count == 2 and whole.dealer_write_premium == pytest.approx(
        10 * 100 * snap.frame.filter(pl.col("contract") == CALL)["ask"][0]
    )
    with pytest.raises(NoContractsError):
        book.premium(60, date(2026, 12, 19))
