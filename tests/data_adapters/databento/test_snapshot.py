"""Databento chains end to end: the official client against a loopback gateway serving DBN."""

from __future__ import annotations

import base64
import math
from datetime import UTC, date, datetime

import databento_dbn as dbn
import polars as pl
import pytest
from databento.common import zstd

from data_adapters.databento import Datasets
from data_adapters.databento.windows import globex_quote_end
from data_adapters.errors import SymbolNotFoundError, UpstreamInvalidError
from engine.chain import SCHEMA, validate
from tests.data_adapters.databento.conftest import (
    AS_OF,
    ES_PARENTS,
    KEY,
    ServeFactory,
    es_replies,
    spx_replies,
    spy_replies,
)
from tests.data_adapters.databento.server import FIXTURES, dbn_reply
from tests.data_adapters.loopback import Reply

NS = 10**9


def ns(instant: datetime) -> str:
    return str(int(instant.timestamp()) * NS)


def row(frame: pl.DataFrame, contract: str) -> dict:
    return frame.filter(pl.col("contract") == contract).row(0, named=True)


def empty_stream(schema: dbn.Schema) -> Reply:
    """A valid DBN stream with a header and no records (nothing matched the request)."""
    metadata = dbn.Metadata(dataset="OPRA.PILLAR", start=0, end=1, stype_in=dbn.SType.PARENT,
                            stype_out=dbn.SType.INSTRUMENT_ID, schema=schema)  # fmt: skip
    return Reply(200, zstd.compress(bytes(metadata)), "application/octet-stream")


def test_spy_chain_end_to_end(serve: ServeFactory) -> None:
    served = serve(spy_replies())
    snap = served.source().snapshot("spy", as_of=AS_OF)
    defs, stats, quotes = served.gateway.requests
    for seen in (defs, stats, quotes):
        assert (seen.method, seen.path) == ("POST", "/v0/timeseries.get_range")
        assert seen.fields["dataset"] == "OPRA.PILLAR" and seen.fields["symbols"] == "SPY.OPT"
        assert seen.fields["stype_in"] == "parent" and seen.fields["stype_out"] == "instrument_id"
        assert (seen.fields["encoding"], seen.fields["compression"]) == ("dbn", "zstd")
        assert seen.fields["end"] == ns(AS_OF)  # exclusive end: the quote instant
        user, _, password = (
            base64.b64decode(seen.headers["authorization"][6:]).decode().partition(":")
        )
        assert (user, password) == (KEY, "")
    assert [s.fields["schema"] for s in (defs, stats, quotes)] == [
        "definition",
        "statistics",
        "cbbo-1m",
    ]
    assert defs.fields["start"] == ns(datetime(2024, 12, 18, tzinfo=UTC))  # the day's replay
    assert stats.fields["start"] == ns(datetime(2024, 12, 14, tzinfo=UTC))  # 4 days of OI
    assert quotes.fields["start"] == ns(datetime(2024, 12, 18, 19, 45, tzinfo=UTC))  # 15 min

    assert (snap.underlying, snap.source, snap.as_of) == ("SPY", "databento", AS_OF)
    assert snap.fetched_at is None and snap.warnings == ()
    # parity on the 0DTE expiry: F = K + e^{rT}(C - P) = 600.40 at every strike, and the
    # spot is F discounted over the hour left at 4 %
    growth = math.exp(0.04 * 3600 / (365 * 86400))
    forwards = sorted(k + d * growth for k, d in ((595, 5.40), (600, 0.40), (605, -4.60)))
    assert snap.spot == pytest.approx(forwards[1] / growth, abs=1e-9)
    frame = snap.frame
    assert dict(frame.schema) == dict(SCHEMA) and frame.height == 10  # the "D" one is gone
    call = row(frame, "SPY241218C00600000")
    assert (call["root"], call["expiration"], call["strike"], call["is_call"]) == (
        "SPY", date(2024, 12, 18), 600.0, True)  # fmt: skip
    assert (call["style"], call["model"], call["multiplier"]) == ("american", "bsm", 100.0)
    assert call["settlement"] == datetime(2024, 12, 18, 21, 0, tzinfo=UTC)
    assert (call["bid"], call["ask"], call["last"]) == (1.30, 1.34, 1.31)  # latest quote wins
    assert call["open_interest"] == 6003  # today's publication, not yesterday's (2003)
    assert call["underlying_price"] == snap.spot and call["volume"] == 0
    assert math.isnan(call["iv"]) and math.isnan(call["vendor_gamma"])
    one_sided = row(frame, "SPY250117P00600000")
    assert math.isnan(one_sided["bid"]) and one_sided["ask"] == 12.10
    assert one_sided["open_interest"] is None  # the latest OI record deleted it
    checked = validate(snap)
    assert checked.excluded == {"invalid_open_interest": 1}
    assert checked.contracts_used == 9


def test_spx_chain_has_both_roots(serve: ServeFactory) -> None:
    served = serve(spx_replies())
    snap = served.source().snapshot("^SPX", as_of=AS_OF)
    assert {s.fields["symbols"] for s in served.gateway.requests} == {"SPX.OPT,SPXW.OPT"}
    frame = snap.frame
    assert set(frame["root"]) == {"SPX", "SPXW"} and set(frame["style"]) == {"european"}
    am, pm = row(frame, "SPX250117C06000000"), row(frame, "SPXW250117C06000000")
    assert am["settlement"] == datetime(2025, 1, 17, 14, 30, tzinfo=UTC)  # AM monthly
    assert pm["settlement"] == datetime(2025, 1, 17, 21, 0, tzinfo=UTC)
    assert (am["open_interest"], pm["open_interest"]) == (22005, 22007)
    growth = math.exp(0.04 * 3600 / (365 * 86400))
    forward = ((6000 + 52.0 * growth) + (6050 + 2.0 * growth)) / 2  # median of two strikes
    assert snap.spot == pytest.approx(forward / growth, abs=1e-6)
    assert validate(snap).contracts_used == 8


def test_es_futures_options_are_black76_on_their_own_future(serve: ServeFactory) -> None:
    served = serve(es_replies())
    snap = served.source().snapshot("es=f", as_of=AS_OF)
    seen = served.gateway.requests
    assert [s.fields["dataset"] for s in seen] == ["GLBX.MDP3"] * 4
    assert [s.fields["schema"] for s in seen] == ["definition", "statistics", "bbo-1m", "bbo-1m"]
    assert seen[0].fields["symbols"] == ES_PARENTS and seen[0].fields["stype_in"] == "parent"
    futures = seen[3].fields
    assert (futures["symbols"], futures["stype_in"]) == ("ESH5,ESZ4", "raw_symbol")
    assert (snap.underlying, snap.as_of, snap.div_yield, snap.rate) == ("ES=F", AS_OF, 0.0, 0.04)
    assert snap.spot == 6050.125  # the front future ESZ4's mid
    frame = snap.frame
    assert set(frame["model"]) == {"black76"} and set(frame["multiplier"]) == {50.0}
    quarterly, daily, weekly = (row(frame, c) for c in ("ESZ4 C6000", "E3CZ4 C6050", "EW4Z4 C6100"))
    assert (quarterly["root"], quarterly["style"]) == ("ES", "american")
    assert quarterly["settlement"] == datetime(2024, 12, 20, 14, 30, tzinfo=UTC)  # 09:30 SOQ
    assert (daily["root"], daily["style"], daily["expiration"]) == (
        "E3C",
        "european",
        date(2024, 12, 18),
    )
    assert daily["settlement"] == datetime(2024, 12, 18, 21, 0, tzinfo=UTC)
    assert weekly["underlying_price"] == 6110.375  # EW4 exercises into ESH5
    assert quarterly["underlying_price"] == daily["underlying_price"] == 6050.125
    assert (quarterly["open_interest"], quarterly["bid"], quarterly["ask"]) == (6001, 55.25, 55.75)
    assert snap.set_aside is None
    assert validate(snap).contracts_used == 6


def test_a_future_without_quotes_quarantines_its_options(serve: ServeFactory) -> None:
    replies = es_replies()
    replies["GLBX.MDP3|bbo-1m|ESH5,ESZ4"] = Reply(  # only ESZ4 quoted
        200,
        _only_records(FIXTURES / "glbx_futures_bbo-1m.dbn.zst", keep=1),
        "application/octet-stream",
    )
    snap = serve(replies).source().snapshot("ES=F", as_of=AS_OF)
    assert snap.warnings and "ESH5" in snap.warnings[0]
    assert validate(snap).excluded == {"invalid_underlying_price": 2}


def _only_records(path, keep: int) -> bytes:
    """The stream at ``path`` keeping its metadata and first ``keep`` records."""
    body = zstd.decompress(path.read_bytes())
    decoder = dbn.DBNDecoder()
    decoder.write(body)
    metadata, *records = decoder.decode()
    return zstd.compress(bytes(metadata) + b"".join(bytes(r) for r in records[:keep]))


def test_spot_from_an_equities_dataset(serve: ServeFactory) -> None:
    replies = spy_replies() | {"EQUS.MINI|bbo-1m|SPY": dbn_reply("equs_spy_bbo-1m")}
    served = serve(replies)
    snap = served.source(datasets=Datasets(equities="EQUS.MINI")).snapshot("SPY", as_of=AS_OF)
    equities = served.gateway.requests[-1].fields
    assert (equities["symbols"], equities["stype_in"], equities["schema"]) == (
        "SPY",
        "raw_symbol",
        "bbo-1m",
    )
    assert snap.spot == pytest.approx(600.40) and snap.warnings == ()
    assert set(snap.frame["underlying_price"]) == {snap.spot}


def test_equities_dataset_without_a_quote_falls_back_to_parity(serve: ServeFactory) -> None:
    replies = spy_replies() | {"EQUS.MINI|bbo-1m|SPY": empty_stream(dbn.Schema.BBO_1M)}
    snap = serve(replies).source(datasets=Datasets(equities="EQUS.MINI")).snapshot("SPY", AS_OF)
    assert snap.spot == pytest.approx(600.40, abs=0.01)
    assert "put-call parity" in snap.warnings[0]


def test_indices_never_ask_the_equities_dataset(serve: ServeFactory) -> None:
    served = serve(spx_replies())
    served.source(datasets=Datasets(equities="EQUS.MINI")).snapshot("SPX", AS_OF)
    assert "EQUS.MINI" not in {s.fields["dataset"] for s in served.gateway.requests}


def test_latest_takes_the_end_of_the_dataset(serve: ServeFactory) -> None:
    body = (FIXTURES / "opra_dataset_range.json").read_bytes()
    served = serve(spy_replies() | {"range|OPRA.PILLAR": Reply(200, body)})
    snap = served.source().snapshot("SPY")
    first = served.gateway.requests[0]
    assert (first.method, first.path) == ("GET", "/v0/metadata.get_dataset_range")
    assert first.fields == {"dataset": "OPRA.PILLAR"} and "authorization" in first.headers
    # the earliest end among definition (20:10), statistics (20:05) and cbbo-1m (20:00)
    assert snap.as_of == AS_OF
    assert served.gateway.requests[-1].fields["end"] == ns(AS_OF)


def test_a_past_instant_before_the_open_reads_the_close_before_it(serve: ServeFactory) -> None:
    served = serve(spy_replies())
    morning = datetime(2024, 12, 18, 13, 0, tzinfo=UTC)  # 08:00 New York
    snap = served.source().snapshot("SPY", as_of=morning)
    close = datetime(2024, 12, 17, 21, 15, tzinfo=UTC)  # the day before, 16:15 (SPY closes late)
    assert snap.as_of == close
    assert {s.fields["end"] for s in served.gateway.requests} == {ns(close)}
    assert served.gateway.requests[0].fields["start"] == ns(datetime(2024, 12, 17, tzinfo=UTC))


def test_a_weekend_instant_reads_globex_friday_close(serve: ServeFactory) -> None:
    served = serve(es_replies())
    snap = served.source().snapshot("ES=F", as_of=datetime(2024, 12, 22, 15, 0, tzinfo=UTC))
    close = datetime(2024, 12, 20, 22, 0, tzinfo=UTC)  # Friday 17:00 New York
    assert snap.as_of == close
    assert {s.fields["end"] for s in served.gateway.requests} == {ns(close)}


def test_a_naive_as_of_is_utc(serve: ServeFactory) -> None:
    snap = serve(spy_replies()).source().snapshot("SPY", as_of=AS_OF.replace(tzinfo=None))
    assert snap.as_of == AS_OF


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2024, 12, 18, 20, 0, tzinfo=UTC), datetime(2024, 12, 18, 20, 0, tzinfo=UTC)),
        # Wednesday 17:30 New York: the daily halt -> 17:00
        (datetime(2024, 12, 18, 22, 30, tzinfo=UTC), datetime(2024, 12, 18, 22, 0, tzinfo=UTC)),
        # Saturday, and Sunday before 18:00 -> Friday 17:00
        (datetime(2024, 12, 21, 12, 0, tzinfo=UTC), datetime(2024, 12, 20, 22, 0, tzinfo=UTC)),
        (datetime(2024, 12, 22, 22, 59, tzinfo=UTC), datetime(2024, 12, 20, 22, 0, tzinfo=UTC)),
        # Sunday 18:00 New York: open again
        (datetime(2024, 12, 22, 23, 0, tzinfo=UTC), datetime(2024, 12, 22, 23, 0, tzinfo=UTC)),
        # Friday 17:00 exactly is closed
        (datetime(2024, 12, 20, 22, 0, tzinfo=UTC), datetime(2024, 12, 20, 22, 0, tzinfo=UTC)),
    ],
)
def test_globex_quote_end(local: datetime, expected: datetime) -> None:
    assert globex_quote_end(local) == expected


def test_no_quotes_in_the_window_is_symbol_not_found(serve: ServeFactory) -> None:
    replies = spy_replies() | {"OPRA.PILLAR|cbbo-1m|SPY.OPT": empty_stream(dbn.Schema.CBBO_1M)}
    with pytest.raises(SymbolNotFoundError, match="no cbbo-1m quotes for SPY") as info:
        serve(replies).source().snapshot("SPY", AS_OF)
    assert KEY not in str(info.value)


def test_no_definitions_looks_one_day_back_then_gives_up(serve: ServeFactory) -> None:
    replies = {"OPRA.PILLAR|definition|QQQ.OPT": empty_stream(dbn.Schema.DEFINITION)}
    served = serve(replies)
    with pytest.raises(SymbolNotFoundError, match="no option definitions for QQQ"):
        served.source().snapshot("QQQ", AS_OF)
    starts = [s.fields["start"] for s in served.gateway.requests]
    assert starts == [
        ns(datetime(2024, 12, 18, tzinfo=UTC)),
        ns(datetime(2024, 12, 17, tzinfo=UTC)),
    ]


def test_unknown_underlying_is_symbol_not_found(serve: ServeFactory) -> None:
    served = serve({})  # the gateway answers 422 "None of the symbols could be resolved"
    with pytest.raises(SymbolNotFoundError, match="could be resolved") as info:
        served.source().snapshot("ZZZZ", AS_OF)
    assert info.value.status == 422 and len(served.gateway.requests) == 1


def test_a_chain_without_two_sided_pairs_has_no_spot(serve: ServeFactory) -> None:
    replies = spy_replies()
    replies["OPRA.PILLAR|cbbo-1m|SPY.OPT"] = Reply(
        200,
        _only_records(FIXTURES / "opra_spy_cbbo-1m.dbn.zst", keep=1),
        "application/octet-stream",
    )
    with pytest.raises(UpstreamInvalidError, match="equities_dataset"):
        serve(replies).source().snapshot("SPY", AS_OF)
