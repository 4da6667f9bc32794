"""The ``files`` source: lossless Parquet/CSV round trips, history, atomic writes."""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_adapters import files
from data_adapters.demo import DemoSource
from data_adapters.errors import (
    DataSourceError,
    InvalidSymbolError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
    UpstreamInvalidError,
)
from data_adapters.files import FilesSource, create, default_root
from data_adapters.settings import Settings
from engine.chain import SCHEMA, ChainSnapshot
from engine.errors import SchemaError

AS_OF = datetime(2024, 6, 12, 17, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def spx() -> ChainSnapshot:
    return DemoSource(seed=5).snapshot("SPX", AS_OF)


def assert_same(a: ChainSnapshot, b: ChainSnapshot) -> None:
    """Header and frame equal, exactly: dtypes, nulls, NaN, -0.0 and float bits."""
    assert (a.underlying, a.as_of, a.source) == (b.underlying, b.as_of, b.source)
    assert a.fetched_at == b.fetched_at
    assert a.warnings == b.warnings
    for stamp in (a.as_of, a.fetched_at):
        assert stamp is None or stamp.tzinfo is UTC
    for name in ("spot", "rate", "div_yield"):
        x, y = getattr(a, name), getattr(b, name)
        assert type(x) is type(y) and (x == y or (math.isnan(x) and math.isnan(y)))
        assert math.copysign(1, x) == math.copysign(1, y)
    assert a.frame.schema == b.frame.schema and a.frame.height == b.frame.height
    for name in a.frame.columns:
        left, right = a.frame[name], b.frame[name]
        assert left.is_null().equals(right.is_null()), name
        if left.dtype == pl.Float64:
            bits = [s.fill_null(0.0).to_numpy().view(np.uint64) for s in (left, right)]
            assert np.array_equal(*bits), name
        else:
            assert left.equals(right), name


def test_demo_snapshot_round_trips(tmp_path: Path, spx: ChainSnapshot) -> None:
    store = FilesSource(tmp_path)
    for fmt in ("parquet", "csv"):
        path = store.write(spx, fmt=fmt)
        assert path == tmp_path / "SPX" / f"2024-06-12T17-30-00Z.{fmt}"
        assert_same(store.read(path), spx)
    assert path.read_text().startswith('#gex-snapshot {"version":1,"underlying":"SPX"')


_TEXT = st.one_of(st.none(), st.text(max_size=12))
_FLOAT = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from([0.0, -0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308]),
    st.floats(allow_nan=False),
)
_DATE = st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2200, 12, 31)))
_STAMP = st.one_of(
    st.none(),
    st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
)
_COLUMN = {
    pl.String: _TEXT,
    pl.Date: _DATE,
    pl.Float64: _FLOAT,
    pl.Boolean: st.one_of(st.none(), st.booleans()),
    pl.Int64: st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
}


@st.composite
def snapshots(draw: Any) -> ChainSnapshot:
    n = draw(st.integers(0, 6))
    data = {
        name: [draw(_STAMP if name == "settlement" else _COLUMN[dtype]) for _ in range(n)]  # type: ignore[index]
        for name, dtype in SCHEMA.items()
    }
    frame = pl.DataFrame(data, schema=dict(SCHEMA))
    return ChainSnapshot(
        underlying=draw(st.sampled_from(["SPX", "ES=F", "BRK/B", "spy", "^VIX"])),
        as_of=draw(
            st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
        ),
        spot=draw(st.floats(allow_nan=False)),
        source=draw(st.text(max_size=8)),
        frame=frame,
        rate=draw(st.floats(-1, 1)),
        div_yield=draw(st.sampled_from([0.0, -0.0, 0.013, 1e-300])),
        fetched_at=draw(
            st.one_of(
                st.none(),
                st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
            )
        ),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snap=snapshots(), fmt=st.sampled_from(files.FORMATS))
def test_any_canonical_frame_round_trips_losslessly(snap: ChainSnapshot, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = FilesSource(root)
        path = store.write(snap, fmt=fmt)
        assert_same(store.read(path), snap)
        assert_same(store.snapshot(snap.underlying), snap)


def test_fetched_at_round_trips(tmp_path: Path, spx: ChainSnapshot) -> None:
    store = FilesSource(tmp_path)
    fetched = datetime(2024, 6, 15, 10, 52, 7, 123456, tzinfo=timezone(timedelta(hours=-4)))
    stamped = replace(spx, fetched_at=fetched)
    for fmt in ("parquet", "csv"):
        back = store.read(store.write(stamped, fmt=fmt))
        assert back.fetched_at == fetched and back.fetched_at.tzinfo is UTC  # same instant, UTC
        assert back.fetched_at == datetime(2024, 6, 15, 14, 52, 7, 123456, tzinfo=UTC)
        assert back.as_of == AS_OF
    first = (tmp_path / "SPX" / "2024-06-12T17-30-00Z.csv").read_text().partition("\n")[0]
    header = json.loads(first.removeprefix(files.CSV_MARKER))
    assert header["version"] == 1 and header["fetched_at"] == "2024-06-15T14:52:07.123456+00:00"
    with pytest.raises(DataSourceError, match="fetched_at must be timezone-aware"):
        store.write(replace(spx, fetched_at=datetime(2024, 6, 15, 10, 52)))


def test_headers_without_fetched_at_still_read(tmp_path: Path, spx: ChainSnapshot) -> None:
    store = FilesSource(tmp_path, fmt="csv")
    path = store.write(spx)  # no fetched_at: no key, the header of before the field
    first, _, body = path.read_text().partition("\n")
    assert "fetched_at" not in first and store.read(path).fetched_at is None
    old = {"version": 1, "underlying": "SPX", "as_of": "2024-06-12T17:30:00.000000+00:00",
           "spot": 5000.0, "source": "demo", "rate": 0.04, "div_yield": 0.0}  # fmt: skip
    path.write_text(f"{files.CSV_MARKER}{json.dumps(old)}\n{body}")
    back = store.read(path)
    assert back.fetched_at is None and back.as_of == AS_OF and back.spot == 5000.0
    path.write_text(f"{files.CSV_MARKER}{json.dumps(old | {'fetched_at': 'noon'})}\n{body}")
    with pytest.raises(DataSourceError, match="corrupt"):
        store.read(path)


def test_latest_at_or_before(tmp_path: Path, spx: ChainSnapshot) -> None:
    store = FilesSource(tmp_path)
    stamps = [AS_OF + timedelta(minutes=m) for m in (0, 15, 30)]
    for i, stamp in enumerate(stamps):
        store.write(ChainSnapshot("SPX", stamp, 5000.0 + i, "demo", spx.frame.head(4)))
    assert store.history("spx") == stamps
    assert store.snapshot("SPX").spot == 5002.0
    assert store.snapshot("SPX", stamps[1]).spot == 5001.0  # at
    assert store.snapshot("SPX", stamps[1] + timedelta(minutes=5)).spot == 5001.0  # before
    assert store.snapshot("SPX", stamps[2] + timedelta(days=3)).spot == 5002.0
    with pytest.raises(SymbolNotFoundError, match="at or before"):
        store.snapshot("SPX", stamps[0] - timedelta(microseconds=1))
    with pytest.raises(DataSourceError, match="timezone-aware"):
        store.snapshot("SPX", datetime(2024, 6, 12, 18))


def test_parquet_wins_at_the_same_instant_and_microseconds_name_files(
    tmp_path: Path, spx: ChainSnapshot
) -> None:
    store = FilesSource(tmp_path, fmt="csv")
    small = spx.frame.head(2)
    store.write(ChainSnapshot("SPX", AS_OF, 1.0, "csv", small))
    store.write(ChainSnapshot("SPX", AS_OF, 2.0, "parquet", small), fmt="parquet")
    assert store.snapshot("SPX").source == "parquet"
    odd = AS_OF + timedelta(microseconds=250)
    path = store.write(ChainSnapshot("SPX", odd, 3.0, "csv", small))
    assert path.name == "2024-06-12T17-30-00.000250Z.csv"
    assert store.snapshot("SPX").as_of == odd


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, spx: ChainSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesSource(tmp_path)
    first = store.write(ChainSnapshot("SPX", AS_OF, 1.0, "demo", spx.frame.head(3)))
    before = first.read_bytes()

    def broken(*args: object) -> None:
        raise OSError("disk full")

    for target in ("replace", "fsync"):
        with monkeypatch.context() as m:
            m.setattr(os, target, broken)
            with pytest.raises(DataSourceError, match="disk full"):
                store.write(ChainSnapshot("SPX", AS_OF, 2.0, "demo", spx.frame.head(5)))
            with pytest.raises(DataSourceError):
                store.write(
                    ChainSnapshot("SPX", AS_OF + timedelta(hours=1), 2.0, "demo", spx.frame)
                )
        assert sorted(p.name for p in (tmp_path / "SPX").iterdir()) == [first.name]
        assert first.read_bytes() == before
    assert store.snapshot("SPX").spot == 1.0


def test_write_rejects_what_is_not_canonical(tmp_path: Path, spx: ChainSnapshot) -> None:
    store = FilesSource(tmp_path)
    with pytest.raises(SchemaError, match="missing"):
        store.write(ChainSnapshot("SPX", AS_OF, 1.0, "x", spx.frame.drop("iv")))
    with pytest.raises(SchemaError, match="dtype"):
        store.write(
            ChainSnapshot(
                "SPX", AS_OF, 1.0, "x", spx.frame.with_columns(pl.col("strike").cast(pl.String))
            )
        )
    with pytest.raises(DataSourceError, match="timezone-aware"):
        store.write(ChainSnapshot("SPX", datetime(2024, 1, 1), 1.0, "x", spx.frame))
    with pytest.raises(SourceConfigError):
        store.write(spx, fmt="xlsx")
    widened = spx.frame.head(3).with_columns(
        pl.col("open_interest").cast(pl.Int32), pl.col("bid").cast(pl.Float32)
    )
    path = store.write(ChainSnapshot("SPX", AS_OF, 1.0, "x", widened))
    assert store.read(path).frame.schema == pl.Schema(dict(SCHEMA))
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "SPX").iterdir())


def test_missing_and_corrupt(tmp_path: Path, spx: ChainSnapshot) -> None:
    store = FilesSource(tmp_path)
    with pytest.raises(SymbolNotFoundError):
        store.snapshot("SPX")
    folder = tmp_path / "SPX"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a snapshot")
    with pytest.raises(SymbolNotFoundError):
        store.snapshot("SPX")
    bad = [
        ("2024-01-01T00-00-00Z.parquet", b"PAR1 garbage"),
        ("2024-01-02T00-00-00Z.csv", b"contract,root\nx,y\n"),
        ("2024-01-03T00-00-00Z.csv", b'#gex-snapshot {"version":1}\ncontract\nx\n'),
        ("2024-01-04T00-00-00Z.csv", b"#gex-snapshot not json\n"),
    ]
    for name, payload in bad:
        (folder / name).write_bytes(payload)
        with pytest.raises(DataSourceError, match="corrupt") as info:
            store.snapshot("SPX")
        assert not isinstance(info.value, SymbolNotFoundError)
    plain = folder / "2024-01-05T00-00-00Z.parquet"
    spx.frame.head(2).write_parquet(plain)  # canonical columns but no header
    with pytest.raises(DataSourceError, match=r"gex\.snapshot"):
        store.snapshot("SPX")


def test_symbols_and_directory_names(tmp_path: Path, spx: ChainSnapshot) -> None:
    store = FilesSource(tmp_path)
    assert store.symbols() == []
    for symbol in ("ES=F", "BRK/B", "spy"):
        store.write(ChainSnapshot(symbol, AS_OF, 1.0, "x", spx.frame.head(2)))
    (tmp_path / "EMPTY").mkdir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["BRK%2FB", "EMPTY", "ES%3DF", "SPY"]
    assert store.symbols() == ["BRK/B", "ES=F", "SPY"]
    assert store.snapshot("brk/b").underlying == "BRK/B"
    for bad in ("..", "SPY?x=1", "é" * 32, "X" * 25, ""):
        with pytest.raises(InvalidSymbolError):
            store.snapshot(bad)
    (tmp_path / "not a symbol").mkdir()
    assert store.symbols() == ["BRK/B", "ES=F", "SPY"]


def test_a_non_ascii_symbol_is_refused_before_the_disk(tmp_path: Path, spx: ChainSnapshot) -> None:
    """32 non-ASCII characters used to reach the file system ("file name too long": HTTP
    500); now every entry point refuses the symbol first and leaves the disk alone."""
    root = tmp_path / "store"
    store = FilesSource(root)
    symbol = "\u00e9" * 32
    for call in (
        lambda: store.snapshot(symbol),
        lambda: store.history(symbol),
        lambda: store.write(replace(spx, underlying=symbol)),
    ):
        with pytest.raises(InvalidSymbolError, match="invalid symbol"):
            call()
    assert not root.exists()


def test_stores_written_before_keep_reading(tmp_path: Path, spx: ChainSnapshot) -> None:
    """Folders named by the old rule (``=`` and ``^`` kept) are read with the new ones."""
    store = FilesSource(tmp_path)
    small = spx.frame.head(2)
    old = store.write(ChainSnapshot("ES=F", AS_OF, 1.0, "old", small))
    legacy = tmp_path / "ES=F"
    old.parent.rename(legacy)
    (tmp_path / "^VIX").mkdir()
    store.write(ChainSnapshot("^VIX", AS_OF, 3.0, "new", small))  # goes to %5EVIX
    os.replace(tmp_path / "%5EVIX" / old.name, tmp_path / "^VIX" / old.name)
    assert store.symbols() == ["ES=F", "^VIX"]
    assert store.snapshot("es=f").source == "old"
    later = AS_OF + timedelta(hours=1)
    path = store.write(ChainSnapshot("ES=F", later, 2.0, "new", small))
    assert path.parent.name == "ES%3DF"
    assert store.history("ES=F") == [AS_OF, later]
    assert store.snapshot("ES=F").source == "new"
    assert store.snapshot("ES=F", AS_OF).source == "old"
    store.write(ChainSnapshot("ES=F", AS_OF, 4.0, "replaced", small))  # same instant: new wins
    assert store.snapshot("ES=F", AS_OF).source == "replaced"
    assert store.symbols() == ["ES=F", "^VIX"]
    assert store.snapshot("^VIX").spot == 3.0


def test_a_stored_instant_without_offset_is_an_error(tmp_path: Path, spx: ChainSnapshot) -> None:
    """A header ``as_of`` without a time zone used to be read in the machine's local time."""
    store = FilesSource(tmp_path, fmt="csv")
    path = store.write(replace(spx, fetched_at=AS_OF))
    first, _, body = path.read_text().partition("\n")
    header = json.loads(first.removeprefix(files.CSV_MARKER))
    for key, value in (("as_of", "2024-06-12T17:30:00"), ("fetched_at", "2024-06-12T17:30:00"),
                       ("as_of", 1718213400), ("warnings", "cut")):  # fmt: skip
        path.write_text(f"{files.CSV_MARKER}{json.dumps(header | {key: value})}\n{body}")
        with pytest.raises(DataSourceError, match="corrupt") as info:
            store.read(path)
        assert key in str(info.value)
    path.write_text(
        f"{files.CSV_MARKER}{json.dumps(header | {'as_of': '2024-06-12T13:30:00-04:00'})}\n{body}"
    )
    assert store.read(path).as_of == AS_OF


def test_warnings_round_trip(tmp_path: Path, spx: ChainSnapshot) -> None:
    store = FilesSource(tmp_path)
    warned = replace(spx, warnings=("truncated: the last row (line 9) has 3 of 22 cells",))
    for fmt in files.FORMATS:
        back = store.read(store.write(warned, fmt=fmt))
        assert back.warnings == warned.warnings and back.set_aside is None
    csv_first = (tmp_path / "SPX" / "2024-06-12T17-30-00Z.csv").read_text().partition("\n")[0]
    assert '"warnings":["truncated' in csv_first


def dead_pid() -> int:
    """A process id that does not exist on this host."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


@pytest.mark.skipif(os.name != "posix", reason="process liveness is checked on POSIX only")
def test_leftover_temp_files_are_cleaned_and_never_listed(
    tmp_path: Path, spx: ChainSnapshot
) -> None:
    store = FilesSource(tmp_path)
    store.write(ChainSnapshot("SPX", AS_OF, 1.0, "x", spx.frame.head(2)))
    folder = tmp_path / "SPX"
    host = files._host()
    name = "2024-06-13T00-00-00Z.parquet"
    killed = folder / f".{name}.{dead_pid()}@{host}.{'a' * 32}.tmp"
    running = folder / f".{name}.{os.getppid()}@{host}.{'b' * 32}.tmp"  # a live writer
    elsewhere = folder / f".{name}.{dead_pid()}@{host}x.{'c' * 32}.tmp"  # another host's
    old_style = folder / f".{name}.{dead_pid()}.{'d' * 32}.tmp"  # written before the host
    ancient = folder / f".{name}.{os.getppid()}@other.{'e' * 32}.tmp"
    for path in (killed, running, elsewhere, old_style, ancient):
        path.write_bytes(b"half a file")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(ancient, (two_hours_ago, two_hours_ago))
    assert store.history("SPX") == [AS_OF]  # never listed; opening the folder cleans it
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(
        [running.name, elsewhere.name, old_style.name, "2024-06-12T17-30-00Z.parquet"]
    )
    only_tmp = tmp_path / "QQQ"
    only_tmp.mkdir()
    (only_tmp / killed.name).write_bytes(b"half")
    (only_tmp / running.name).write_bytes(b"half")
    assert store.symbols() == ["SPX"]  # a folder holding only temp files lists nothing
    assert sorted(p.name for p in only_tmp.iterdir()) == [running.name]
    with pytest.raises(SymbolNotFoundError):
        store.snapshot("QQQ")
    (folder / killed.name).write_bytes(b"half")
    store.write(ChainSnapshot("SPX", AS_OF + timedelta(hours=1), 1.0, "x", spx.frame.head(2)))
    assert not (folder / killed.name).exists()  # a write cleans its folder too


def test_create_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_root() == tmp_path / "xdg" / "gex" / "snapshots"
    assert create(Settings("files", environ={}, config={})).root == default_root()
    env = Settings(
        "files", environ={"GEX_FILES_ROOT": str(tmp_path), "GEX_FILES_FORMAT": "CSV"}, config={}
    )
    store = create(env)
    assert (store.root, store.fmt, store.name) == (tmp_path, "csv", "files")
    with pytest.raises(SourceConfigError):
        create(Settings("files", overrides={"format": "json"}, environ={}, config={}))


# -- trades ------------------------------------------------------------------------------------

TAPE_DAY = date(2026, 1, 16)


@pytest.fixture(scope="module")
def iwm_tape() -> pl.DataFrame:
    """Every 100th print of IWM's demo tape (a few thousand prints)."""
    return DemoSource(seed=3).trades("IWM", TAPE_DAY).gather_every(100)


def test_trades_from_parquet_and_csv(tmp_path: Path, iwm_tape: pl.DataFrame) -> None:
    from data_adapters.base import TRADES_SCHEMA

    folder = tmp_path / "IWM" / "trades"
    folder.mkdir(parents=True)
    iwm_tape.reverse().select(reversed(iwm_tape.columns)).write_parquet(
        folder / f"{TAPE_DAY}.parquet"
    )
    source = FilesSource(tmp_path)
    back = source.trades("IWM", TAPE_DAY)
    assert back.schema == pl.Schema(TRADES_SCHEMA) and back["timestamp"].is_sorted()
    assert back.sort("timestamp", "contract", "price").equals(
        iwm_tape.sort("timestamp", "contract", "price")
    )
    noon = datetime(2026, 1, 16, 17, 0, tzinfo=UTC)
    cut = source.trades("IWM", TAPE_DAY, until=noon)
    assert 0 < cut.height < back.height and cut["timestamp"].max() <= noon  # type: ignore[operator]
    # CSV, with ISO instants (an offset other than UTC too)
    day2 = date(2026, 1, 15)
    ny = iwm_tape.head(50).with_columns(
        pl.col("timestamp").dt.convert_time_zone("America/New_York").dt.to_string("%+")
    )
    ny.write_csv(folder / f"{day2}.csv")
    csv = source.trades("IWM", day2)
    assert csv.schema == pl.Schema(TRADES_SCHEMA)
    assert csv.equals(iwm_tape.head(50).sort("timestamp", maintain_order=True))
    with pytest.raises(NoHistoryError, match="2026-01-14"):
        source.trades("IWM", date(2026, 1, 14))
    with pytest.raises(SymbolNotFoundError):
        source.trades("SPY", TAPE_DAY)


def test_trades_with_a_bad_schema_name_the_file(tmp_path: Path, iwm_tape: pl.DataFrame) -> None:
    folder = tmp_path / "IWM" / "trades"
    folder.mkdir(parents=True)
    bad = folder / f"{TAPE_DAY}.parquet"
    iwm_tape.drop("bid").write_parquet(bad)
    source = FilesSource(tmp_path)
    with pytest.raises(UpstreamInvalidError, match=r"2026-01-16\.parquet.*missing \['bid'\]"):
        source.trades("IWM", TAPE_DAY)
    iwm_tape.with_columns(pl.col("size").cast(pl.String)).write_parquet(bad)
    with pytest.raises(UpstreamInvalidError, match="'size' has dtype"):
        source.trades("IWM", TAPE_DAY)
    iwm_tape.with_columns(pl.col("timestamp").dt.replace_time_zone(None)).write_parquet(bad)
    with pytest.raises(UpstreamInvalidError, match="'timestamp'"):
        source.trades("IWM", TAPE_DAY)
    bad.unlink()
    naive = folder / f"{TAPE_DAY}.csv"
    iwm_tape.head(3).with_columns(
        pl.col("timestamp").dt.replace_time_zone(None).dt.to_string("%Y-%m-%dT%H:%M:%S")
    ).write_csv(naive)
    with pytest.raises(UpstreamInvalidError, match=r"2026-01-16\.csv.*UTC offset"):
        source.trades("IWM", TAPE_DAY)
    # the snapshots of the folder are unaffected by its trades/ subfolder
    assert source.symbols() == []
