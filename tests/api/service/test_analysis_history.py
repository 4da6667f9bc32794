"""The service with a snapshot store: ``at``, the prior session, OI changes, what is cached."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from api.service.analysis import CACHED_CONTRACT_COLUMNS, HISTORY_CONTRACT_COLUMNS, AnalysisService
from api.service.cache import estimate_size
from data_adapters import get_source
from data_adapters.errors import NoHistoryError
from data_adapters.store import SnapshotStore
from engine.errors import ConfigurationError
from tests.api.conftest import FRIDAY_CLOSE, THURSDAY_CLOSE


@pytest.fixture(scope="module")
def aware(two_sessions: Path) -> AnalysisService:
    demo = get_source("demo", clock=FRIDAY_CLOSE.isoformat())
    return AnalysisService(demo, ttl=3600.0, history=SnapshotStore(two_sessions))


def test_instants_that_resolve_to_one_snapshot_share_one_analysis(
    aware: AnalysisService,
) -> None:
    first = aware.analysis("SPY", at=FRIDAY_CLOSE + timedelta(hours=1))
    before = aware.computations
    second = aware.analysis("SPY", at=FRIDAY_CLOSE + timedelta(hours=2))
    assert second is first and aware.computations == before
    assert first.as_of == FRIDAY_CLOSE
    thursday = aware.analysis("SPY", at=FRIDAY_CLOSE - timedelta(minutes=1))
    assert thursday.as_of == THURSDAY_CLOSE and aware.computations == before + 1


def test_the_prior_session_and_its_summary(aware: AnalysisService, two_sessions: Path) -> None:
    prior = aware.prior("SPX", FRIDAY_CLOSE)
    assert prior is not None and prior.as_of == THURSDAY_CLOSE
    stored = SnapshotStore(two_sessions).history("SPX", THURSDAY_CLOSE, THURSDAY_CLOSE)
    assert prior.summary_net_gex == stored["net_gex"][0]
    assert aware.prior("SPX", FRIDAY_CLOSE) is prior  # cached
    assert aware.prior("SPX", THURSDAY_CLOSE) is None  # nothing stored the session before
    assert aware.prior("QQQ", FRIDAY_CLOSE) is None  # never stored
    assert aware.prior_net_gex("SPX", FRIDAY_CLOSE) == prior.summary_net_gex
    assert aware.prior_net_gex("SPX", FRIDAY_CLOSE, "perfiliev") != prior.summary_net_gex


def test_store_aware_analyses_keep_the_contracts_of_their_rows(aware: AnalysisService) -> None:
    plain = AnalysisService(get_source("demo", clock=FRIDAY_CLOSE.isoformat()), ttl=3600.0)
    slim = plain.analysis("SPX")
    kept = aware.analysis("SPX")
    assert tuple(slim.priced.contracts.columns) == CACHED_CONTRACT_COLUMNS
    assert (
        tuple(kept.priced.contracts.columns) == CACHED_CONTRACT_COLUMNS + HISTORY_CONTRACT_COLUMNS
    )
    extra = estimate_size(kept) - estimate_size(slim)
    assert 0 < extra < 2_000_000  # the cost of OI changes, per cached SPX analysis
    assert plain.prior("SPX", FRIDAY_CLOSE) is None and plain.oi_changes(slim) is None
    changes = aware.oi_changes(kept)
    assert changes is not None and changes.height == kept.data_quality["contracts_used"]


def test_a_store_source_is_its_own_history(two_sessions: Path) -> None:
    service = AnalysisService.from_source_name("store", root=str(two_sessions), ttl=60.0)
    assert service.store_aware and service.history is service.source
    a = service.analysis("SPY")
    assert a.as_of == FRIDAY_CLOSE and service.oi_changes(a) is not None


def test_instants_are_checked(aware: AnalysisService) -> None:
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        aware.analysis("SPY", at=datetime(2026, 11, 20, 21, 15))
    with pytest.raises(NoHistoryError, match="outside the session calendar"):
        aware.snapshot("SPY", datetime(1800, 1, 1, tzinfo=FRIDAY_CLOSE.tzinfo))
    with pytest.raises(NoHistoryError, match="the first stored"):
        aware.snapshot("SPY", THURSDAY_CLOSE - timedelta(seconds=1))
    no_store = AnalysisService(get_source("demo"), ttl=0.0)
    with pytest.raises(NoHistoryError, match="--store"):
        no_store.history_rows("SPY", None, None, None)
