"""Presets as data: registry, conventions, typed knob overrides and their errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.analysis.presets import PRESETS, GridSpec, Knob, Preset, apply_overrides, get_preset
from engine.errors import ConfigurationError


def test_registry_names() -> None:
    assert set(PRESETS) == {"native", "perfiliev"}
    for name, preset in PRESETS.items():
        assert preset.name == name
        assert get_preset(name) is preset
    assert get_preset("  PerFiliev ") is PRESETS["perfiliev"]


def test_unknown_preset() -> None:
    with pytest.raises(ConfigurationError, match="unknown preset"):
        get_preset("squeeze")


def test_native_conventions() -> None:
    native = get_preset("native")
    assert native.gamma_source == "model"
    assert native.time_rule == "exact_seconds"
    assert native.rates == "snapshot"
    assert native.crossing == "refined_nearest"
    assert native.grid == GridSpec(kind="relative", points=201, half_widths=(0.20, 0.35, 0.50))
    assert dict(native.knobs) == {}
    assert apply_overrides(native).values == {}


def test_perfiliev_conventions() -> None:
    p = get_preset("perfiliev")
    assert (p.gamma_source, p.time_rule, p.rates, p.crossing) == (
        "vendor",
        "busdays",
        "zero",
        "first_interpolated",
    )
    assert p.defaults() == {"year_days": 262, "zero_dte_floor": True}
    assert p.knobs["year_days"].kind is int
    assert p.knobs["zero_dte_floor"].kind is bool


def test_grid_levels() -> None:
    spot = 4712.3
    perfiliev = get_preset("perfiliev").grid.levels(spot)
    np.testing.assert_array_equal(perfiliev, np.linspace(0.8 * spot, 1.2 * spot, 60))
    assert perfiliev[0] == 0.8 * spot and perfiliev[-1] == 1.2 * spot
    native = get_preset("native").grid
    for attempt, h in enumerate((0.20, 0.35, 0.50)):
        levels = native.levels(spot, attempt)
        assert levels.size == 201
        assert levels[0] == pytest.approx(spot * (1 - h)) and levels[-1] == pytest.approx(
            spot * (1 + h)
        )
        assert levels[100] == pytest.approx(spot)


def test_presets_are_frozen_and_hashable() -> None:
    p = get_preset("perfiliev")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.knobs["x"] = p.knobs["year_days"]  # type: ignore[index]
    assert hash(p) == hash(get_preset("perfiliev"))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, {"year_days": 262, "zero_dte_floor": True}),
        ({"year_days": "252"}, {"year_days": 252, "zero_dte_floor": True}),
        ({"year_days": " 365 "}, {"year_days": 365, "zero_dte_floor": True}),
        ({"year_days": 252}, {"year_days": 252, "zero_dte_floor": True}),
        ({"zero_dte_floor": "false"}, {"year_days": 262, "zero_dte_floor": False}),
        ({"zero_dte_floor": "FALSE"}, {"year_days": 262, "zero_dte_floor": False}),
        ({"zero_dte_floor": "0"}, {"year_days": 262, "zero_dte_floor": False}),
        ({"zero_dte_floor": "yes"}, {"year_days": 262, "zero_dte_floor": True}),
        ({"zero_dte_floor": False}, {"year_days": 262, "zero_dte_floor": False}),
        (
            {"year_days": "250", "zero_dte_floor": "off"},
            {"year_days": 250, "zero_dte_floor": False},
        ),
    ],
)
def test_overrides_parse(
    overrides: dict[str, str | int | bool], expected: dict[str, int | bool]
) -> None:
    resolved = apply_overrides(get_preset("perfiliev"), overrides)
    assert dict(resolved.values) == expected
    for name, value in expected.items():
        assert resolved[name] == value
        assert type(resolved[name]) is type(value)
    assert resolved.preset is get_preset("perfiliev")


@pytest.mark.parametrize(
    "overrides",
    [
        {"year_dayz": "252"},
        {"grid_points": 60},
        {"year_days": "252.5"},
        {"year_days": "abc"},
        {"year_days": ""},
        {"year_days": 252.0},
        {"year_days": True},
        {"year_days": "0"},
        {"year_days": -5},
        {"year_days": "1000"},
        {"zero_dte_floor": "maybe"},
        {"zero_dte_floor": 1},
        {"zero_dte_floor": 0.0},
    ],
)
def test_bad_overrides_raise(overrides: dict[str, str | int | float | bool]) -> None:
    with pytest.raises(ConfigurationError):
        apply_overrides(get_preset("perfiliev"), overrides)


def test_unknown_knob_message_lists_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="year_days, zero_dte_floor"):
        apply_overrides(get_preset("perfiliev"), {"nope": "1"})
    with pytest.raises(ConfigurationError, match="none"):
        apply_overrides(get_preset("native"), {"year_days": "252"})


def test_overrides_do_not_mutate_the_preset() -> None:
    p = get_preset("perfiliev")
    apply_overrides(p, {"year_days": "252"})
    assert p.defaults()["year_days"] == 262


def test_float_knob_parsing() -> None:
    knob = Knob("width", float, 0.2, "a float knob", minimum=0.0, maximum=1.0)
    assert knob.parse("0.35") == 0.35
    assert knob.parse(1) == 1.0 and isinstance(knob.parse(1), float)
    assert knob.parse(0.5) == 0.5
    for bad in ("nan", "inf", "x", True, "1.5", -0.1):
        with pytest.raises(ConfigurationError):
            knob.parse(bad)


def test_a_new_preset_is_data() -> None:
    custom = Preset(
        name="custom",
        description="perfiliev with 252-day years",
        gamma_source="vendor",
        time_rule="busdays",
        rates="zero",
        grid=get_preset("perfiliev").grid,
        crossing="first_interpolated",
        knobs=get_preset("perfiliev").knobs,
    )
    assert apply_overrides(custom, {"year_days": "252"})["year_days"] == 252
