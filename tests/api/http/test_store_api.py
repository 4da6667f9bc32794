"""The product with time: a server process started with ``--store`` over two stored sessions.

SPX and SPY are stored at the Thursday and Friday closes (``two_sessions``, written by
``gex ingest`` from the demo market with a frozen clock). The server runs the demo market
frozen at the Friday close and that store. Checked against numbers computed here, from the
two stored chains and ``engine.analyze`` alone:

- ``/gex`` rows: ``*_oi_change`` = Σ (OI Friday − OI Thursday) per strike and side over
  the contracts behind each row (a contract absent on Thursday counts 0), with and
  without the ``expiration``/``min_oi`` filters, now and ``?at=`` the Friday close;
- the narrative: the prior net GEX (the stored summary; recomputed for another dealer
  model), the change in percent and in words, the largest changes per strike and side;
- the official SDK's ``exposure_oi_diff`` (totals and the largest per-contract changes);
- ``?at=`` over HTTP equals ``--at`` in the CLI (``--json``) for the same stored instants;
- ``/history`` and the errors of ``?at=``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from flashalpha import FlashAlpha
from typer.testing import CliRunner

from api.cli.app import app
from data_adapters.store import SnapshotStore
from engine.analysis.narrative import gex_change_sentence
from engine.analysis.single import Analysis, analyze
from engine.chain import ChainSnapshot
from tests.api.conftest import FRIDAY_CLOSE, KEY, KEYS_ENV, THURSDAY_CLOSE, iso
from tests.api.live import ServerProcess

Key = tuple[str, date, float, bool]


@pytest.fixture(scope="module")
def store_server(two_sessions: Path) -> Iterator[ServerProcess]:
    with ServerProcess(
        env=KEYS_ENV,
        source="demo",
        source_settings={"clock": iso(FRIDAY_CLOSE)},
        store=str(two_sessions),
        ttl=3600.0,
    ) as server:
        yield server


@pytest.fixture(scope="module")
def http(store_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=store_server.base_url, headers={"X-Api-Key": KEY}, timeout=120.0
    ) as client:
        yield client


@pytest.fixture(scope="module")
def store(two_sessions: Path) -> SnapshotStore:
    return SnapshotStore(two_sessions)


def chains(store: SnapshotStore, symbol: str) -> tuple[ChainSnapshot, ChainSnapshot]:
    """(Friday, Thursday) as stored."""
    return store.snapshot(symbol, FRIDAY_CLOSE), store.snapshot(symbol, THURSDAY_CLOSE)


def prior_oi(chain: ChainSnapshot) -> dict[Key, int]:
    """Open interest per contract of a stored chain (the first row of a listed-twice one)."""
    out: dict[Key, int] = {}
    for row in chain.frame.iter_rows(named=True):
        key = (row["root"], row["expiration"], row["strike"], row["is_call"])
        out.setdefault(key, row["open_interest"] or 0)
    return out


def behind_rows(a: Analysis) -> pl.DataFrame:
    """The priced contracts behind the strike rows of a full analysis."""
    contracts = a.priced.contracts
    if a.options.expiration is not None:
        contracts = contracts.filter(pl.col("expiration") == a.options.expiration)
    return contracts.filter(pl.col("strike").is_in(a.strikes["strike"].implode()))


def per_contract(a: Analysis, before: ChainSnapshot) -> list[dict[str, Any]]:
    old = prior_oi(before)
    out = []
    for row in behind_rows(a).iter_rows(named=True):
        key = (row["root"], row["expiration"], row["strike"], row["is_call"])
        prior = old.get(key, 0)
        out.append({**row, "prior_oi": prior, "oi_change": row["open_interest"] - prior})
    return out


def per_strike_side(rows: list[dict[str, Any]]) -> dict[tuple[float, bool], list[int]]:
    """(strike, is_call) -> [Σ oi_change, Σ volume, Σ open_interest]."""
    out: dict[tuple[float, bool], list[int]] = {}
    for r in rows:
        acc = out.setdefault((r["strike"], r["is_call"]), [0, 0, 0])
        acc[0] += r["oi_change"]
        acc[1] += r["volume"]
        acc[2] += r["open_interest"]
    return out


def check_gex_rows(body: dict[str, Any], expected: dict[tuple[float, bool], list[int]]) -> None:
    assert body["strikes"]
    changed = 0
    for row in body["strikes"]:
        call = expected.get((row["strike"], True), [0, 0, 0])
        put = expected.get((row["strike"], False), [0, 0, 0])
        assert (row["call_oi"], row["put_oi"]) == (call[2], put[2])  # the same contracts
        assert (row["call_oi_change"], row["put_oi_change"]) == (call[0], put[0]), row
        changed += row["call_oi_change"] != 0 or row["put_oi_change"] != 0
    assert changed > 10  # the demo's open interest moves between sessions


@pytest.mark.parametrize("symbol", ["SPX", "SPY"])
@pytest.mark.parametrize("at", [None, FRIDAY_CLOSE])
def test_gex_oi_changes_are_the_difference_of_the_stored_chains(
    http: httpx.Client, store: SnapshotStore, symbol: str, at: Any
) -> None:
    now, before = chains(store, symbol)
    params = {} if at is None else {"at": iso(at)}
    body = http.get(f"/v1/exposure/gex/{symbol}", params=params).json()
    assert body["as_of"] == iso(FRIDAY_CLOSE)
    check_gex_rows(body, per_strike_side(per_contract(analyze(now), before)))


@pytest.mark.parametrize("symbol", ["SPX", "SPY"])
def test_filters_apply_to_the_oi_changes_as_to_the_rows(
    http: httpx.Client, store: SnapshotStore, symbol: str
) -> None:
    now, before = chains(store, symbol)
    expiration = sorted(set(now.frame["expiration"].to_list()))[3]
    a = analyze(now, expiration=expiration, min_oi=2000)
    params = {"expiration": expiration.isoformat(), "min_oi": 2000}
    body = http.get(f"/v1/exposure/gex/{symbol}", params=params).json()
    assert [r["strike"] for r in body["strikes"]] == a.strikes["strike"].to_list()
    expected = per_strike_side(per_contract(a, before))
    for row in body["strikes"]:
        call = expected.get((row["strike"], True), [0, 0, 0])
        put = expected.get((row["strike"], False), [0, 0, 0])
        assert (row["call_oi_change"], row["put_oi_change"]) == (call[0], put[0])


def top_changes(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    sides = per_strike_side(rows)
    ranked = sorted(
        ((k, v) for k, v in sides.items() if v[0] != 0),
        key=lambda kv: (-abs(kv[1][0]), kv[0][0], not kv[0][1]),
    )
    return [
        {"strike": strike, "type": "C" if call else "P", "oi_change": change, "volume": volume}
        for (strike, call), (change, volume, _) in ranked[:n]
    ]


@pytest.mark.parametrize("symbol", ["SPX", "SPY"])
def test_the_narrative_tells_the_real_change(
    http: httpx.Client, store: SnapshotStore, symbol: str
) -> None:
    now, before = chains(store, symbol)
    a = analyze(now)
    prior = store.history(symbol, THURSDAY_CLOSE, THURSDAY_CLOSE)["net_gex"][0]
    body = http.get(f"/v1/exposure/narrative/{symbol}").json()
    data = body["narrative"]["data"]
    assert body["as_of"] == iso(FRIDAY_CLOSE)
    assert data["net_gex"] == a.net_gex and data["net_gex_prior"] == prior
    assert data["net_gex_change_pct"] == pytest.approx((a.net_gex - prior) / abs(prior) * 100)
    assert body["narrative"]["gex_change"] == gex_change_sentence(a.net_gex, prior)
    assert "prior session" in body["narrative"]["gex_change"]
    assert data["top_oi_changes"] == top_changes(per_contract(a, before), 10)
    assert len(data["top_oi_changes"]) == 10


def test_the_prior_is_recomputed_under_another_dealer_model(
    http: httpx.Client, store: SnapshotStore
) -> None:
    now, before = chains(store, "SPX")
    body = http.get("/v1/exposure/narrative/SPX", params={"dealer_model": "short_all"}).json()
    data = body["narrative"]["data"]
    assert data["net_gex"] == analyze(now, dealer_model="short_all").net_gex
    assert data["net_gex_prior"] == analyze(before, dealer_model="short_all").net_gex
    stored = store.history("SPX", THURSDAY_CLOSE, THURSDAY_CLOSE)["net_gex"][0]
    assert data["net_gex_prior"] != stored


def test_without_a_prior_session_the_changes_stay_null(http: httpx.Client) -> None:
    body = http.get("/v1/exposure/gex/SPX", params={"at": iso(THURSDAY_CLOSE)}).json()
    assert body["as_of"] == iso(THURSDAY_CLOSE)
    assert {(r["call_oi_change"], r["put_oi_change"]) for r in body["strikes"]} == {(None, None)}
    story = http.get("/v1/exposure/narrative/QQQ").json()["narrative"]  # QQQ is not stored
    assert story["data"]["net_gex_prior"] is None and story["data"]["top_oi_changes"] == []
    assert "no prior session is stored" in story["gex_change"]


@pytest.fixture(scope="module")
def fa(store_server: ServerProcess) -> Iterator[FlashAlpha]:
    client = FlashAlpha(KEY, base_url=store_server.base_url, timeout=120)
    yield client
    client._session.close()


@pytest.mark.parametrize("symbol", ["SPX", "SPY"])
def test_the_official_sdk_reads_the_oi_diff(
    fa: FlashAlpha, store: SnapshotStore, symbol: str
) -> None:
    now, before = chains(store, symbol)
    rows = per_contract(analyze(now), before)
    body = fa.exposure_oi_diff(symbol, top_n=7)
    assert body["symbol"] == symbol and body["as_of"] == iso(FRIDAY_CLOSE)
    assert body["prior_snapshot_available"] is True
    assert body["prior_as_of"] == iso(THURSDAY_CLOSE)
    assert body["total_call_oi_change"] == sum(r["oi_change"] for r in rows if r["is_call"])
    assert body["total_put_oi_change"] == sum(r["oi_change"] for r in rows if not r["is_call"])
    ranked = sorted(
        (r for r in rows if r["oi_change"] != 0),
        key=lambda r: (-abs(r["oi_change"]), r["strike"], not r["is_call"], r["expiration"]),
    )
    assert body["top_oi_changes"] == [
        {
            "strike": r["strike"],
            "type": "C" if r["is_call"] else "P",
            "expiry": r["expiration"].isoformat(),
            "today_oi": r["open_interest"],
            "prior_oi": r["prior_oi"],
            "oi_change": r["oi_change"],
        }
        for r in ranked[:7]
    ]


def test_the_sdk_oi_diff_without_a_prior(fa: FlashAlpha, live_server: ServerProcess) -> None:
    missing = fa.exposure_oi_diff("QQQ")  # not stored
    assert missing["prior_snapshot_available"] is False and missing["top_oi_changes"] == []
    assert missing["total_call_oi_change"] == 0 == missing["total_put_oi_change"]
    assert "QQQ" in missing["message"]
    plain = FlashAlpha(KEY, base_url=live_server.base_url, timeout=120)
    try:
        body = plain.exposure_oi_diff("SPX", top_n=3)
    finally:
        plain._session.close()
    assert body["prior_snapshot_available"] is False and "--store" in body["message"]


CLI_CASES = [
    (["summary", "SPX"], "/v1/exposure/summary/SPX"),
    (["levels", "SPY"], "/v1/exposure/levels/SPY"),
    (["narrative", "SPX"], "/v1/exposure/narrative/SPX"),
    (["narrative", "SPY"], "/v1/exposure/narrative/SPY"),
    (["strikes", "SPX", "--greek", "gex"], "/v1/exposure/gex/SPX"),
    (["strikes", "SPY", "--greek", "vex"], "/v1/exposure/vex/SPY"),
    (["oi-diff", "SPY", "--top", "5"], "/v1/exposure/oi-diff/SPY?topN=5"),
]


@pytest.mark.parametrize(("args", "path"), CLI_CASES)
@pytest.mark.parametrize("at", [FRIDAY_CLOSE + timedelta(hours=3), THURSDAY_CLOSE])
def test_at_over_http_equals_at_in_the_cli(
    http: httpx.Client, two_sessions: Path, args: list[str], path: str, at: Any
) -> None:
    joiner = "&" if "?" in path else "?"
    response = http.get(f"{path}{joiner}at={iso(at)}")
    assert response.status_code == 200, response.text
    result = CliRunner().invoke(
        app, [*args, "--at", iso(at), "--store", str(two_sessions), "--json"]
    )
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    assert cli == response.json()
    assert cli["as_of"] == iso(FRIDAY_CLOSE if at > FRIDAY_CLOSE else THURSDAY_CLOSE)


def test_at_before_the_first_snapshot_and_malformed_instants(http: httpx.Client) -> None:
    early = http.get("/v1/exposure/summary/SPX", params={"at": "2026-11-18T21:15:00Z"})
    assert early.status_code == 404 and early.json()["error"] == "no_snapshot"
    assert "2026-11-19T21:15:00" in early.json()["message"]  # names the first stored
    for bad in ("2026-11-20", "2026-11-20T21:15:00", "yesterday", "2026-13-01T00:00:00Z"):
        response = http.get("/v1/exposure/levels/SPX", params={"at": bad})
        assert response.status_code == 400, bad
        assert response.json()["error"] == "invalid_at"
    outside = http.get("/v1/exposure/gex/SPX", params={"at": "1850-01-01T00:00:00Z"})
    assert outside.status_code == 404 and outside.json()["error"] == "no_snapshot"
    never = http.get("/v1/exposure/summary/IWM", params={"at": iso(FRIDAY_CLOSE)})
    assert never.status_code == 404 and never.json()["error"] == "symbol_not_found"


def test_at_on_a_source_with_history(live_server: ServerProcess) -> None:
    """Without a store, ``?at=`` asks the source: the demo market is history too."""
    with httpx.Client(base_url=live_server.base_url, headers={"X-Api-Key": KEY}) as client:
        body = client.get("/v1/exposure/summary/SPY", params={"at": iso(THURSDAY_CLOSE)}).json()
        assert body["as_of"] == iso(THURSDAY_CLOSE)
        gone = client.get("/v1/exposure/history/SPY")
        assert gone.status_code == 404 and gone.json()["error"] == "no_snapshot"


def test_history_is_the_stored_series_newest_last(http: httpx.Client, store: SnapshotStore) -> None:
    body = http.get("/v1/exposure/history/SPX", params={"days": 2}).json()
    assert (body["from"], body["to"], body["count"]) == ("2026-11-19", "2026-11-20", 2)
    assert [r["as_of"] for r in body["history"]] == [iso(THURSDAY_CLOSE), iso(FRIDAY_CLOSE)]
    assert body["as_of"] == iso(FRIDAY_CLOSE)
    stored = store.history("SPX")
    assert [r["net_gex"] for r in body["history"]] == stored["net_gex"].to_list()
    assert [r["underlying_price"] for r in body["history"]] == stored["spot"].to_list()
    default = http.get("/v1/exposure/history/SPX").json()  # 30 days back from the newest
    assert default["count"] == 2 and default["from"] == "2026-10-22"
    friday = http.get("/v1/exposure/history/SPX", params={"from": "2026-11-20"}).json()
    assert [r["date"] for r in friday["history"]] == ["2026-11-20"]
    thursday = http.get("/v1/exposure/history/SPX", params={"to": "2026-11-19", "days": 1})
    assert [r["date"] for r in thursday.json()["history"]] == ["2026-11-19"]
    backwards = http.get(
        "/v1/exposure/history/SPX", params={"from": "2026-11-21", "to": "2026-11-20"}
    )
    assert backwards.json()["count"] == 0 and backwards.json()["as_of"] is None
    unknown = http.get("/v1/exposure/history/QQQ")
    assert unknown.status_code == 404 and unknown.json()["error"] == "symbol_not_found"
    bad = http.get("/v1/exposure/history/SPX", params={"from": "2026-02-30"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_from"
