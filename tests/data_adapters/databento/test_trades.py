"""Databento trades with the top of book before each: OPRA tcbbo, CME tbbo / mbp-1."""

from __future__ import annotations

from datetime import UTC, date, datetime

import databento_dbn as dbn
import pytest
from databento.common import zstd

from data_adapters.base import TRADES_SCHEMA
from data_adapters.databento import Datasets
from data_adapters.databento.products import parse_contract
from data_adapters.errors import InvalidSymbolError
from engine.flow.conditions import CONDITIONS
from tests.data_adapters.databento.conftest import ES_PARENTS, ServeFactory, es_replies, spy_replies
from tests.data_adapters.databento.server import dbn_reply
from tests.data_adapters.loopback import Reply

DAY = date(2024, 12, 18)
NS = 10**9


def ns(instant: datetime) -> str:
    return str(int(instant.timestamp()) * NS)


def test_trades_of_an_underlying(serve: ServeFactory) -> None:
    served = serve(spy_replies())
    trades = served.source().trades("SPY", DAY)
    defs, ticks = served.gateway.requests
    assert (defs.fields["schema"], ticks.fields["schema"]) == ("definition", "tcbbo")
    assert ticks.fields["start"] == ns(datetime(2024, 12, 18, 5, tzinfo=UTC))  # 00:00 New York
    assert ticks.fields["end"] == ns(datetime(2024, 12, 19, 5, tzinfo=UTC))
    assert defs.fields["end"] == ticks.fields["end"]
    assert dict(trades.schema) == TRADES_SCHEMA
    assert trades.height == 3  # the print of an instrument without a definition is dropped
    assert trades.row(0, named=True) == {
        "contract": "SPY241218C00600000",
        "timestamp": datetime(2024, 12, 18, 14, 30, 1, tzinfo=UTC),
        "price": 1.95, "size": 3, "condition": "unknown", "bid": 1.90, "ask": 2.00,
    }  # fmt: skip
    assert trades["contract"].to_list() == [
        "SPY241218C00600000", "SPY241218P00600000", "SPY241218C00600000"]  # fmt: skip
    assert set(trades["condition"]) <= set(CONDITIONS)


def test_trades_of_one_contract_ask_by_raw_symbol(serve: ServeFactory) -> None:
    raw = "SPY   241218C00600000"
    served = serve({f"OPRA.PILLAR|tcbbo|{raw}": dbn_reply("opra_spy_contract_tcbbo")})
    trades = served.source().trades("O:SPY241218C00600000", DAY)
    (seen,) = served.gateway.requests
    assert (seen.fields["symbols"], seen.fields["stype_in"]) == (raw, "raw_symbol")
    assert trades["contract"].to_list() == ["SPY241218C00600000"] * 2
    assert trades["price"].to_list() == [1.95, 1.33] and trades["ask"].to_list() == [2.00, 1.34]


def test_es_trades_cover_the_globex_session(serve: ServeFactory) -> None:
    served = serve(es_replies())
    trades = served.source().trades("ES=F", DAY)
    ticks = served.gateway.requests[-1].fields
    assert (ticks["schema"], ticks["symbols"], ticks["dataset"]) == (
        "tbbo",
        ES_PARENTS,
        "GLBX.MDP3",
    )
    assert ticks["start"] == ns(datetime(2024, 12, 17, 23, tzinfo=UTC))  # 18:00 New York
    assert ticks["end"] == ns(datetime(2024, 12, 18, 22, tzinfo=UTC))  # 17:00 New York
    assert trades["contract"].to_list() == ["E3CZ4 C6050", "ESZ4 C6000"]
    assert trades["bid"].to_list() == [11.75, 52.25] and trades["size"].to_list() == [2, 5]
    assert set(trades["condition"]) == {"unknown"}


def test_mbp1_keeps_only_the_trades(serve: ServeFactory) -> None:
    replies = es_replies()
    body = zstd.decompress(dbn_reply("glbx_es_tbbo").data)
    decoder = dbn.DBNDecoder()
    decoder.write(body)
    metadata, *records = decoder.decode()
    book = dbn.MBP1Msg(
        publisher_id=1, instrument_id=3001, ts_event=records[0].ts_event + 1, price=52 * NS,
        size=7, action=dbn.Action.ADD, side=dbn.Side.BID, depth=0,
        ts_recv=records[0].ts_recv + 1,
        levels=dbn.BidAskPair(bid_px=52 * NS, ask_px=53 * NS, bid_sz=7, ask_sz=1),
    )  # fmt: skip
    stream = bytes(metadata) + b"".join(bytes(r) for r in (records[0], book, records[1]))
    replies[f"GLBX.MDP3|mbp-1|{ES_PARENTS}"] = Reply(
        200, zstd.compress(stream), "application/octet-stream"
    )
    source = serve(replies).source(datasets=Datasets(futures_trades="mbp-1"))
    trades = source.trades("ES=F", DAY)
    assert trades.height == 2 and trades["price"].to_list() == [12.0, 52.5]


def test_trades_of_one_cme_contract(serve: ServeFactory) -> None:
    served = serve({"GLBX.MDP3|tbbo|ESZ4 C6000": dbn_reply("glbx_es_tbbo")})
    trades = served.source().trades("esz4  c6000", DAY)
    assert served.gateway.requests[0].fields["stype_in"] == "raw_symbol"
    assert set(trades["contract"]) == {"ESZ4 C6000"}


def test_no_trades_is_an_empty_frame(serve: ServeFactory) -> None:
    metadata = dbn.Metadata(dataset="OPRA.PILLAR", start=0, end=1, stype_in=dbn.SType.RAW_SYMBOL,
                            stype_out=dbn.SType.INSTRUMENT_ID, schema=dbn.Schema.TCBBO)  # fmt: skip
    empty = Reply(200, zstd.compress(bytes(metadata)))
    served = serve({"OPRA.PILLAR|tcbbo|SPY   241218P00600000": empty})
    trades = served.source().trades("SPY241218P00600000", DAY)
    assert trades.is_empty() and dict(trades.schema) == TRADES_SCHEMA


@pytest.mark.parametrize(
    ("text", "raw", "contract"),
    [
        ("SPY241218C00600000", "SPY   241218C00600000", "SPY241218C00600000"),
        ("o:spxw241218p06000000", "SPXW  241218P06000000", "SPXW241218P06000000"),
        ("E3CZ4 P6050", "E3CZ4 P6050", "E3CZ4 P6050"),
        ("QNEZ4 C21000", "QNEZ4 C21000", "QNEZ4 C21000"),
        ("SPY", None, None),
        ("ES=F", None, None),
    ],
)
def test_contract_spellings(text: str, raw: str | None, contract: str | None) -> None:
    found = parse_contract(text)
    assert (found.raw_symbol, found.contract) == (raw, contract) if found else raw is None


@pytest.mark.parametrize(
    "symbol", ["CL=F", "ZZZZZZZ241218C00600000", "XYZZ4 C100", "SPY?x=1", ".."]
)
def test_bad_symbols_never_reach_the_gateway(serve: ServeFactory, symbol: str) -> None:
    served = serve({})
    with pytest.raises(InvalidSymbolError):
        served.source().trades(symbol, DAY)
    assert served.gateway.requests == []
