"""Compatibility presets: named bundles of conventions, as data (docs/conventions.md).

A :class:`Preset` states every convention that makes one tool's numbers differ from another's,
so a result can be reproduced exactly and compared, and switching is a setting, never a fork:

=============  ===================================================================
gamma_source   ``model``: gamma from the engine's own pricing (docs/conventions.md);
               ``vendor``: the provider's ``vendor_gamma`` column
time_rule      ``exact_seconds``: ``T = (settlement − as_of) / (365 · 86400 s)``;
               ``busdays``: ``T = numpy.busday_count(file date, expiration) / year_days``
rates          ``snapshot``: the snapshot's rate and dividend yield (or implied forward);
               ``zero``: ``r = q = 0``
grid           where the gamma profile is evaluated (:class:`GridSpec`)
crossing       ``refined_nearest``: every sign change refined on the exact profile, the one
               nearest spot reported; ``first_interpolated``: the first sign change walking
               up the grid, linearly interpolated between its two grid levels
knobs          the preset's tunable values, each with a type, a default and bounds
=============  ===================================================================

:data:`PRESETS` holds ``native`` (everything docs/conventions.md describes; no knobs) and ``perfiliev``
(the widely copied open-source GEX script, see :mod:`engine.analysis.perfiliev`; knobs ``year_days``,
an int, default 262, and ``zero_dte_floor``, a bool, default true).

:func:`apply_overrides` resolves a preset's knob values from user input (query strings,
CLI flags, config files): values may arrive as strings (``year_days=252``,
``zero_dte_floor=false``) or already typed; unknown names and bad values raise
:class:`~engine.errors.ConfigurationError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

import numpy as np

from engine.analysis.perfiliev import script_numbers
from engine.errors import ConfigurationError
from engine.typing import FloatArray

__all__ = [
    "PRESETS",
    "GridSpec",
    "Knob",
    "KnobValue",
    "Preset",
    "ResolvedPreset",
    "apply_overrides",
    "get_preset",
]

KnobValue: TypeAlias = bool | int | float
Override: TypeAlias = Callable[..., dict[str, object]]
GammaSource: TypeAlias = Literal["model", "vendor"]
TimeRule: TypeAlias = Literal["exact_seconds", "busdays"]
Rates: TypeAlias = Literal["snapshot", "zero"]
Crossing: TypeAlias = Literal["refined_nearest", "first_interpolated"]
GridKind: TypeAlias = Literal["relative", "perfiliev"]

_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True, slots=True)
class GridSpec:
    """Hypothetical spot levels of the gamma profile, as fractions of spot.

    ``relative``: ``points`` evenly spaced levels over ``S·(1 ± h)`` for the first half-width
    ``h`` of ``half_widths``, widening to the next ones while no sign change is found.
    ``perfiliev``: ``numpy.linspace(lower·S, upper·S, points)``, both ends included, once.
    """

    kind: GridKind
    points: int
    half_widths: tuple[float, ...] = ()
    lower: float = 0.0
    upper: float = 0.0

    def levels(self, spot: float, attempt: int = 0) -> FloatArray:
        """The grid for ``spot``; ``attempt`` indexes ``half_widths`` for ``relative``."""
        if self.kind == "perfiliev":
            return np.linspace(self.lower * spot, self.upper * spot, self.points)
        h = self.half_widths[attempt]
        return np.linspace(spot * (1.0 - h), spot * (1.0 + h), self.points)


@dataclass(frozen=True, slots=True)
class Knob:
    """A tunable value of a preset: its type, default, bounds (inclusive) and meaning."""

    name: str
    kind: type[bool] | type[int] | type[float]
    default: KnobValue
    description: str
    minimum: float | None = None
    maximum: float | None = None

    def parse(self, raw: str | KnobValue) -> KnobValue:
        """The typed value of ``raw`` (a string or a value of the knob's type), bounds checked."""
        value = self._convert(raw)
        if self.kind is not bool:
            if self.minimum is not None and value < self.minimum:
                raise ConfigurationError(f"{self.name} must be >= {self.minimum:g}, got {raw!r}")
            if self.maximum is not None and value > self.maximum:
                raise ConfigurationError(f"{self.name} must be <= {self.maximum:g}, got {raw!r}")
        return value

    def _convert(self, raw: str | KnobValue) -> KnobValue:
        bad = ConfigurationError(
            f"{self.name} takes a {self.kind.__name__}, got {raw!r} ({type(raw).__name__})"
        )
        if self.kind is bool:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str):
                text = raw.strip().lower()
                if text in _TRUE:
                    return True
                if text in _FALSE:
                    return False
            raise bad
        if isinstance(raw, bool):
            raise bad
        if self.kind is int:
            if isinstance(raw, int):
                return raw
            if isinstance(raw, str):
                try:
                    return int(raw.strip(), 10)
                except ValueError:
                    raise bad from None
            raise bad
        if isinstance(raw, int | float):
            number = float(raw)
        elif isinstance(raw, str):
            try:
                number = float(raw.strip())
            except ValueError:
                raise bad from None
        else:
            raise bad
        if not math.isfinite(number):
            raise bad
        return number


@dataclass(frozen=True, slots=True)
class Preset:
    """A named bundle of conventions (see the module docstring)."""

    name: str
    description: str
    gamma_source: GammaSource
    time_rule: TimeRule
    rates: Rates
    grid: GridSpec
    crossing: Crossing
    knobs: Mapping[str, Knob] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    override: Override | None = field(default=None, hash=False)
    """The preset's behaviour beyond its conventions: called by :func:`engine.analysis.analyze`
    with the validator's frames, the snapshot, the options, the resolved knobs and the native
    results, it returns the results it replaces (``perfiliev``: GEX, profile, flip, regime,
    levels, 0DTE). None: the native results stand."""

    def defaults(self) -> dict[str, KnobValue]:
        """Every knob at its default value."""
        return {name: knob.default for name, knob in self.knobs.items()}


@dataclass(frozen=True, slots=True)
class ResolvedPreset:
    """A preset with a value for every knob (defaults, replaced by the overrides given)."""

    preset: Preset
    values: Mapping[str, KnobValue] = field(hash=False)

    def __getitem__(self, name: str) -> KnobValue:
        return self.values[name]


def _knobs(*knobs: Knob) -> Mapping[str, Knob]:
    return MappingProxyType({k.name: k for k in knobs})


PRESETS: Final[Mapping[str, Preset]] = MappingProxyType(
    {
        "native": Preset(
            name="native",
            description="The engine's own conventions (docs/conventions.md): model gamma, exact "
            "seconds to settlement over 365 days, snapshot rates, refined crossing nearest spot.",
            gamma_source="model",
            time_rule="exact_seconds",
            rates="snapshot",
            grid=GridSpec(kind="relative", points=201, half_widths=(0.20, 0.35, 0.50)),
            crossing="refined_nearest",
        ),
        "perfiliev": Preset(
            name="perfiliev",
            description="The widely copied open-source GEX script: vendor gamma for net GEX, "
            "business days over year_days, r = q = 0, 60 levels 0.8·S..1.2·S, first "
            "crossing linearly interpolated.",
            gamma_source="vendor",
            time_rule="busdays",
            rates="zero",
            grid=GridSpec(kind="perfiliev", points=60, lower=0.8, upper=1.2),
            crossing="first_interpolated",
            override=script_numbers,
            knobs=_knobs(
                Knob(
                    name="year_days",
                    kind=int,
                    default=262,
                    description="business days per year dividing the business-day count",
                    minimum=1,
                    maximum=366,
                ),
                Knob(
                    name="zero_dte_floor",
                    kind=bool,
                    default=True,
                    description="an expiry 0 business days away gets T = 1/year_days "
                    "(true) or is dropped from the profile (false)",
                ),
            ),
        ),
    }
)


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (case and surrounding spaces ignored)."""
    key = name.strip().lower()
    try:
        return PRESETS[key]
    except KeyError:
        raise ConfigurationError(
            f"unknown preset {name!r}; choose one of {sorted(PRESETS)}"
        ) from None


def apply_overrides(
    preset: Preset, overrides: Mapping[str, str | int | float | bool] | None = None
) -> ResolvedPreset:
    """The preset's knob values: defaults, replaced by ``overrides`` parsed to their types.

    Raises :class:`~engine.errors.ConfigurationError` for a name the preset has no knob for,
    a value that does not parse as the knob's type, or one outside its bounds.
    """
    values = preset.defaults()
    for name, raw in (overrides or {}).items():
        knob = preset.knobs.get(name)
        if knob is None:
            known = ", ".join(sorted(preset.knobs)) or "none"
            raise ConfigurationError(
                f"preset {preset.name!r} has no setting {name!r} (its settings: {known})"
            )
        values[name] = knob.parse(raw)
    return ResolvedPreset(preset=preset, values=MappingProxyType(values))
