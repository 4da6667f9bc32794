"""The demo's ``clock`` setting: a frozen "now" for reproducible servers and tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from data_adapters import get_source
from data_adapters.demo import DemoSource, create
from data_adapters.errors import SourceConfigError
from data_adapters.settings import Settings

CLOCK = "2026-11-20T15:00:00Z"
AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
FRI = datetime(2026, 1, 16, 21, 0, tzinfo=UTC)


def _settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    return Settings("demo", overrides=overrides, environ=environ or {}, config={})


def test_the_clock_freezes_now() -> None:
    src = create(_settings(clock=CLOCK))
    assert src.clock == AT and "clock='2026-11-20T15:00:00+00:00'" in repr(src)
    snap = src.snapshot("SPY")
    assert snap.as_of == AT
    assert snap.frame.equals(DemoSource().snapshot("SPY", AT).frame)
    assert src.snapshot("SPY", FRI).as_of == FRI  # an explicit as_of still wins
    assert DemoSource(universe="market", market_size=20, clock=AT).market().as_of == AT


def test_the_clock_from_the_environment_config_and_keywords(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = create(_settings({"GEX_DEMO_CLOCK": "2026-11-20T10:00:00-05:00"}))
    assert env.clock == AT and env.clock.tzinfo is UTC
    cfg = Settings("demo", environ={}, config={"sources": {"demo": {"clock": CLOCK}}})
    assert create(cfg).clock == AT
    assert create(_settings(clock=AT.astimezone(timezone(timedelta(hours=1))))).clock == AT
    assert create(_settings()).clock is None and create(_settings(clock="  ")).clock is None
    monkeypatch.setenv("GEX_CONFIG", "/dev/null")
    monkeypatch.setenv("GEX_DEMO_CLOCK", CLOCK)
    assert get_source("demo").snapshot("IWM").as_of == AT  # type: ignore[attr-defined]
    assert get_source("demo", clock="2026-11-23T15:00:00Z").clock != AT  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value",
    ["tomorrow", "2026-11-20T15:00:00", "2026-13-01T00:00:00Z", 12, "1980-01-02T15:00:00Z"],
)
def test_an_invalid_clock_is_a_config_error(value: object) -> None:
    with pytest.raises(SourceConfigError, match="clock"):
        create(_settings(clock=value))
    with pytest.raises(SourceConfigError, match="clock"):
        DemoSource(clock=datetime(2026, 11, 20, 15))
