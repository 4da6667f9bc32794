"""Parsing of analyze() options: types from strings, bounds, the split from preset knobs."""

from __future__ import annotations

from datetime import date

import pytest

from engine.analysis.options import OPTION_NAMES, AnalysisOptions, parse_options
from engine.errors import ConfigurationError


def test_defaults() -> None:
    options, rest = parse_options({})
    assert options == AnalysisOptions()
    assert rest == {}


def test_strings_are_parsed() -> None:
    options, rest = parse_options(
        {
            "expiration": "2024-01-19",
            "min_oi": "100",
            "grid_widths": "0.1, 0.2",
            "hedge_moves": "0.005,0.01",
            "dealer_model": "SHORT_ALL",
            "profile": "ex_0dte",
            "year_days": "252",
        }
    )
    assert options.expiration == date(2024, 1, 19)
    assert options.min_oi == 100
    assert options.grid_widths == (0.1, 0.2)
    assert options.hedge_moves == (0.005, 0.01)
    assert options.dealer_model == "short_all"
    assert options.profile == "ex_0dte"
    assert rest == {"year_days": "252"}


@pytest.mark.parametrize(
    "bad",
    [
        {"expiration": "19/01/2024"},
        {"min_oi": "lots"},
        {"min_oi": True},
        {"min_oi": -5},
        {"grid_points": 2},
        {"grid_widths": "0,0.2"},
        {"hedge_moves": "1.5"},
        {"profile": "weekly"},
        {"forward": "guess"},
    ],
)
def test_bad_values_are_configuration_errors(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        parse_options(bad)


def test_option_names_cover_the_dataclass() -> None:
    assert set(OPTION_NAMES) == set(AnalysisOptions.__dataclass_fields__)


@pytest.mark.parametrize("raw", ["2026-W51-5", "20261218", "2026-12-18T00:00", "2026-1-8"])
def test_dates_are_strictly_yyyy_mm_dd(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="YYYY-MM-DD"):
        parse_options({"expiration": raw})
