"""``SnapshotStore`` and ``StoreWriter``: exact round trips, point-in-time reads,
idempotency, prior_session across weekends and holidays, history, listing, the source."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from data_adapters import NoHistoryError, Source, SymbolNotFoundError, get_source
from data_adapters.files import FilesSource
from data_adapters.store import (
    HISTORY_SCHEMA,
    SnapshotStore,
    StoreError,
    ingest,
    make_record,
    resolve_root,
)
from engine.analysis.single import analyze
from engine.chain import ChainSnapshot, validate
from tests.data_adapters.store.conftest import (
    FRI,
    FRI_AM,
    THU,
    TUE,
    WED_AM,
    assert_same,
    demo_snapshot,
    tree,
)


def _odd(snapshot: ChainSnapshot) -> ChainSnapshot:
    """The snapshot with the values a lossy format loses: NaN, null, -0.0, '' and extremes."""
    n = snapshot.frame.height
    frame = snapshot.frame.with_columns(
        pl.when(pl.int_range(n) % 7 == 0)
        .then(float("nan"))
        .when(pl.int_range(n) % 7 == 1)
        .then(None)
        .otherwise(pl.col("iv"))
        .alias("iv"),
        pl.when(pl.int_range(n) % 5 == 0).then(-0.0).otherwise(pl.col("bid")).alias("bid"),
        pl.when(pl.int_range(n) == 3).then(pl.lit("")).otherwise(pl.col("style")).alias("style"),
        pl.when(pl.int_range(n) == 4).then(5e-324).otherwise(pl.col("last")).alias("last"),
    )
    return replace(
        snapshot,
        frame=frame,
        spot=snapshot.spot + 1e-9,
        fetched_at=datetime(2026, 1, 17, 15, 4, 5, 123456, tzinfo=UTC),
    )


def test_round_trip_is_exact(store: SnapshotStore) -> None:
    original = _odd(demo_snapshot("SPX", FRI))
    with store.writer() as w:
        assert w.put(original) == "written"
    back = store.snapshot("SPX", FRI)
    assert_same(back, original)
    assert back.fetched_at == datetime(2026, 1, 17, 15, 4, 5, 123456, tzinfo=UTC)
    # the data file is a files-format snapshot too (same header, same lossless frame)
    (item,) = store.list("SPX")
    assert_same(FilesSource(store.root).read(item.path), original)
    assert item.path.parent == store.root / "symbol=SPX" / "date=2026-01-16"
    assert item.path.name.startswith("2026-01-16T21-00-00Z.") and item.rows == original.frame.height


def test_the_quarantine_is_rederived_exactly(store: SnapshotStore) -> None:
    original = _odd(demo_snapshot("SPX", FRI))
    with store.writer() as w:
        w.put(original)
    expected = validate(original)
    assert store.quarantine("SPX").equals(expected.quarantine)
    (item,) = store.list()
    assert item.summary["quarantine"] == expected.excluded
    assert item.summary["quarantined"] == expected.quarantine.height > 0


def test_the_summary_is_the_native_analysis(store: SnapshotStore) -> None:
    snap = demo_snapshot("SPY", FRI)
    with store.writer() as w:
        w.put(snap)
    a = analyze(snap)
    row = store.history("SPY").row(0, named=True)
    assert row["status"] == "ok" and row["regime"] == a.regime
    for name in ("net_gex", "net_dex", "net_vex", "net_chex"):
        assert row[name] == a.exposures[name]  # exact: floats round-trip through JSON
    assert row["gamma_flip"] == a.gamma_flip and row["spot"] == snap.spot
    assert (row["call_wall"], row["put_wall"]) == (a.levels.call_wall, a.levels.put_wall)
    assert row["contracts_used"] == a.data_quality["contracts_used"]
    assert row["contracts"] == snap.frame.height and row["as_of"] == FRI


def test_an_unanalysable_snapshot_is_stored_with_its_error(store: SnapshotStore) -> None:
    snap = demo_snapshot("IWM", FRI)
    dead = replace(snap, as_of=snap.as_of + timedelta(days=3650))  # every contract expired
    with store.writer() as w:
        w.put(dead)
    row = store.history("IWM").row(0, named=True)
    assert row["status"].startswith("EmptySnapshotError") and row["net_gex"] is None
    assert row["quarantined"] is None and row["contracts"] == snap.frame.height
    assert_same(store.snapshot("IWM"), dead)


def test_point_in_time_reads(store: SnapshotStore) -> None:
    with store.writer() as w:
        for t in (THU, FRI_AM, FRI, TUE):
            w.put(demo_snapshot("IWM", t))
    assert store.snapshot("IWM").as_of == TUE
    assert store.snapshot("IWM", FRI).as_of == FRI
    assert store.snapshot("IWM", FRI - timedelta(microseconds=1)).as_of == FRI_AM
    assert store.snapshot("IWM", datetime(2026, 1, 19, 12, tzinfo=UTC)).as_of == FRI
    later = datetime(2026, 6, 1, tzinfo=UTC).astimezone(UTC)
    assert store.snapshot("iwm", later).as_of == TUE
    assert_same(store.snapshot("IWM", FRI_AM), demo_snapshot("IWM", FRI_AM))
    with pytest.raises(NoHistoryError, match=r"the first stored is at 2026-01-15T21:00:00\+00:00"):
        store.snapshot("IWM", THU - timedelta(seconds=1))
    with pytest.raises(SymbolNotFoundError):
        store.snapshot("QQQ")
    with pytest.raises(StoreError, match="timezone-aware"):
        store.snapshot("IWM", datetime(2026, 1, 16))
    assert store.find("IWM", FRI).summary["spot"] == demo_snapshot("IWM", FRI).spot


def test_writes_are_idempotent(store: SnapshotStore) -> None:
    snap = demo_snapshot("AAPL", FRI)
    with store.writer() as w:
        assert w.put_many([snap, snap]) == ["written", "skipped"]
    before = tree(store.root)
    with store.writer() as w:
        assert w.put(snap) == "skipped"
        other = replace(snap, fetched_at=FRI + timedelta(hours=1))
        assert w.put(other) == "skipped"  # the stored one is kept
        assert w.put(make_record(snap), replace=True) == "skipped"  # identical: nothing to do
    assert tree(store.root) == before
    with store.writer() as w:
        assert w.put(other, replace=True) == "replaced"
    assert_same(store.snapshot("AAPL"), other)
    assert len(list((store.root / "symbol=AAPL" / "date=2026-01-16").iterdir())) == 2
    assert store.verify().ok


class _Counting:
    name = "counting"

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime | None]] = []

    def symbols(self) -> list[str]:
        return ["AAPL", "IWM"]

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        self.calls.append((symbol, as_of))
        if symbol == "IWM" and as_of == FRI:
            raise SymbolNotFoundError("counting", "IWM is not listed that day")
        assert as_of is not None
        return demo_snapshot(symbol, as_of)


def test_ingest_is_idempotent_and_reports_failures(store: SnapshotStore) -> None:
    source = _Counting()
    first = ingest(store, source, ["AAPL", "iwm"], [FRI, THU])
    assert (first.written, first.skipped, first.replaced) == (3, 0, 0)
    (failure,) = first.failures
    assert (failure.symbol, failure.when) == ("IWM", FRI) and "not listed" in failure.error
    assert source.calls == [("AAPL", THU), ("IWM", THU), ("AAPL", FRI), ("IWM", FRI)]
    before = tree(store.root)
    again = ingest(store, source, ["AAPL", "IWM"], [FRI, THU])
    assert (again.written, again.skipped, len(again.failures)) == (0, 3, 1)
    assert source.calls[4:] == [("IWM", FRI)]  # stored instants are not fetched again
    assert tree(store.root) == before
    with store.writer() as w:
        assert ingest(w, source, ["AAPL"], [FRI], replace=True).skipped == 1
        assert not w.closed
    with pytest.raises(StoreError, match="timezone-aware"):
        ingest(store, source, ["AAPL"], [datetime(2026, 1, 16)])


def test_prior_session_across_a_weekend_and_a_holiday(store: SnapshotStore) -> None:
    sunday_night = datetime(2026, 1, 18, 23, 0, tzinfo=UTC)  # ES=F trades Sunday evening
    with store.writer() as w:
        for t in (THU, FRI_AM, FRI, TUE, WED_AM):
            w.put(demo_snapshot("IWM", t))
        for t in (FRI, sunday_night, TUE):
            w.put(demo_snapshot("ES=F", t))

    def prior(symbol: str, at: datetime) -> datetime | None:
        snap = store.prior_session(symbol, at)
        return None if snap is None else snap.as_of

    # Tuesday after the Monday holiday: the previous session is Friday, its last snapshot
    assert prior("IWM", TUE) == FRI
    assert prior("IWM", datetime(2026, 1, 20, 14, 0, tzinfo=UTC)) == FRI  # before the open
    assert prior("IWM", WED_AM) == TUE
    # weekend and holiday instants belong to Friday's session: the one before is Thursday
    for at in (
        datetime(2026, 1, 17, 18, tzinfo=UTC),
        datetime(2026, 1, 19, 18, tzinfo=UTC),
        FRI_AM,
    ):
        assert prior("IWM", at) == THU
    assert prior("IWM", THU) is None  # nothing stored from Wednesday the 14th
    # a snapshot taken on the weekend belongs to Friday's session, the latest of it
    assert prior("ES=F", TUE) == sunday_night
    assert_same(store.prior_session("IWM", TUE), demo_snapshot("IWM", FRI))  # type: ignore[arg-type]
    with pytest.raises(SymbolNotFoundError):
        store.prior_session("QQQ", TUE)


def test_history(store: SnapshotStore) -> None:
    stamps = (WED_AM, THU, FRI_AM, TUE, FRI)
    with store.writer() as w:
        for t in stamps:
            w.put(demo_snapshot("IWM", t))
        w.put(demo_snapshot("AAPL", FRI))
    full = store.history("IWM")
    assert full.schema == HISTORY_SCHEMA
    assert full["as_of"].to_list() == sorted(stamps)  # newest last
    assert full["symbol"].unique().to_list() == ["IWM"]
    assert full["date"].to_list() == [
        date(2026, 1, 15),
        date(2026, 1, 16),
        date(2026, 1, 16),
        date(2026, 1, 20),
        date(2026, 1, 21),
    ]
    assert store.history("IWM", FRI_AM, TUE)["as_of"].to_list() == [FRI_AM, FRI, TUE]
    assert store.history("IWM", start=FRI_AM + timedelta(seconds=1))["as_of"].to_list() == [
        FRI,
        TUE,
        WED_AM,
    ]
    by_day = store.history("IWM", date(2026, 1, 16), date(2026, 1, 20))
    assert by_day["as_of"].to_list() == [FRI_AM, FRI, TUE]
    empty = store.history("IWM", date(2026, 1, 17), date(2026, 1, 19))
    assert empty.height == 0 and empty.schema == HISTORY_SCHEMA
    for row in full.iter_rows(named=True):
        assert row["spot"] == demo_snapshot("IWM", row["as_of"]).spot
        assert math.isfinite(row["net_gex"]) and row["status"] == "ok"
    with pytest.raises(SymbolNotFoundError):
        store.history("QQQ")


def test_list_and_symbols(store: SnapshotStore) -> None:
    assert store.symbols() == [] and store.list() == [] and not store.exists()
    with store.writer() as w:
        w.put_many([demo_snapshot("IWM", FRI), demo_snapshot("ES=F", THU)])
        w.put(demo_snapshot("IWM", THU))
    assert store.symbols() == ["ES=F", "IWM"]
    listed = store.list()
    assert [(i.symbol, i.as_of) for i in listed] == [("ES=F", THU), ("IWM", THU), ("IWM", FRI)]
    assert listed[0].path.parent.parent.name == "symbol=ES%3DF"
    assert [i.as_of for i in store.list("iwm")] == [THU, FRI]
    assert store.list("QQQ") == []
    assert_same(store.read(listed[2]), demo_snapshot("IWM", FRI))
    assert sum(i.bytes for i in listed) == store.verify().bytes


def test_it_is_a_registered_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = get_source("store", root=str(tmp_path / "a"))
    assert isinstance(src, Source) and isinstance(src, SnapshotStore) and src.name == "store"
    assert src.root == tmp_path / "a" and repr(src) == f"SnapshotStore(root={str(src.root)!r})"
    monkeypatch.setenv("GEX_STORE", str(tmp_path / "b"))
    assert get_source("store").root == tmp_path / "b"  # type: ignore[attr-defined]
    monkeypatch.setenv("GEX_STORE_ROOT", str(tmp_path / "c"))  # the setting beats GEX_STORE
    assert get_source("store").root == tmp_path / "c"  # type: ignore[attr-defined]


def test_root_resolution() -> None:
    assert resolve_root("/data/x", {"GEX_STORE": "/y"}) == Path("/data/x")
    assert resolve_root(None, {"GEX_STORE": "/y", "XDG_DATA_HOME": "/z"}) == Path("/y")
    assert resolve_root(None, {"XDG_DATA_HOME": "/z"}) == Path("/z/gex-engine/store")
    home = Path("~").expanduser()
    assert resolve_root(None, {}) == home / ".local" / "share" / "gex-engine" / "store"
    assert resolve_root("", {"GEX_STORE": ""}) == home / ".local" / "share" / "gex-engine" / "store"


def test_a_newer_schema_is_refused(store: SnapshotStore) -> None:
    with store.writer() as w:
        w.put(demo_snapshot("IWM", FRI))
    (store.root / "_store.json").write_text('{"format": "gex-engine-store", "schema": 2}')
    with pytest.raises(StoreError, match="store schema 2; this gex-engine reads schema 1"):
        store.snapshot("IWM")
    with pytest.raises(StoreError, match="schema 2"):
        store.writer()
    (store.root / "_store.json").write_text("[]")
    with pytest.raises(StoreError, match="not a gex-engine store"):
        store.symbols()


def test_a_closed_writer_refuses_writes(store: SnapshotStore) -> None:
    w = store.writer()
    w.close()
    w.close()
    assert w.closed and "closed=True" in repr(w)
    with pytest.raises(StoreError, match="closed"):
        w.put(demo_snapshot("IWM", FRI))
    with pytest.raises(StoreError, match="timezone-aware"):
        make_record(replace(demo_snapshot("IWM", FRI), as_of=datetime(2026, 1, 16)))
