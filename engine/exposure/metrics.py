"""The registry of dealer exposure metrics: the one place a metric is defined (docs/conventions.md).

Every exposure is ``p · greek · m · S^power · scale / divisor`` per contract, with ``p`` the dealer
position in contracts (:func:`engine.exposure.dealer.dealer_positions`), ``m`` the
multiplier and ``S`` the contract's underlying price. Columns (``call_x``, ``put_x``,
``net_x``), totals (``net_x``), the API's views, schemas and routes and the CLI's choices are
all derived from :data:`METRICS`; adding a metric means adding its row here, its greek to
:func:`engine.greeks.dealer_greeks` (kernel and twin) and its tests.

======  =========  ========================  ============================================
name    greek      formula                   unit
======  =========  ========================  ============================================
gex     gamma      ``p·Γ·m·S²·0.01``          USD of dealer delta change per 1 % move
dex     delta      ``p·Δ·m·S``                USD of delta the dealers hold through options
vex     vanna      ``p·vanna·m·S·0.01``       USD of dealer delta change per +1 vol point
chex    charm      ``p·charm·m·S/365``        USD of dealer delta change per calendar day
speed   speed      ``p·speed·m·S³·0.0001``    USD of GEX change per 1 % move (GEX per 1 %
                                              move of the gamma alone, S held in the scale)
vomma   vomma      ``p·vomma·m·0.0001``       USD of dealer vega change per +1 vol point
                                              (vega in USD per vol point)
======  =========  ========================  ============================================

``speed`` is the change of gamma exposure for a further 1 % move: with ``Γ' = dΓ/dS``,
``p·Γ'·(0.01·S)·m·S²·0.01``. Positive speed: GEX grows as spot rises. ``vomma`` is the change
of the dealers' vega (``p·vega·m·0.01`` USD per vol point) for a +1 vol point move: positive
vomma means the dealers' vega grows as implied vol rises (they are long convexity in vol).

``sentence`` is the metric's key in the analysis' ``interpretation`` (the sentence itself
is written by :mod:`engine.analysis.narrative`). ``wire`` marks the four metrics of the vendor API's own endpoints; ``speed`` and ``vomma``
are this engine's additions (their own endpoints, and extra keys in the summary).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import numpy as np

    from engine.typing import FloatArray

__all__ = ["BY_NAME", "METRICS", "NAMES", "Exposures", "Metric"]


@dataclass(frozen=True, slots=True)
class Metric:
    """One dealer exposure metric (see the module docstring)."""

    name: str
    greek: str
    title: str
    power: int
    scale: float
    unit: str
    description: str
    wire: bool
    sentence: str | None = None
    divisor: float = 1.0

    @property
    def net(self) -> str:
        """The total's and the per-strike net column's name (``net_gex``)."""
        return f"net_{self.name}"

    def columns(self) -> tuple[str, str, str]:
        """The per-strike columns: ``call_x``, ``put_x``, ``net_x``."""
        return f"call_{self.name}", f"put_{self.name}", self.net


METRICS: Final = (
    Metric(
        "gex", "gamma", "Gamma exposure", 2, 0.01, "USD per 1% move",
        "Dealer delta change for a 1 % move of the underlying", wire=True,
    ),
    Metric(
        "dex", "delta", "Delta exposure", 1, 1.0, "USD",
        "Delta the dealers hold through their options", wire=True,
    ),
    Metric(
        "vex", "vanna", "Vanna exposure", 1, 0.01, "USD per vol point",
        "Dealer delta change for a +1 point move of implied vol", wire=True, sentence="vanna",
    ),
    Metric(
        "chex", "charm", "Charm exposure", 1, 1.0, "USD per day",
        "Dealer delta change as one calendar day passes", wire=True, sentence="charm",
        divisor=365.0,
    ),
    Metric(
        "speed", "speed", "Speed exposure", 3, 1e-4, "USD of GEX per 1% move",
        "Change of gamma exposure for a further 1 % move of the underlying", wire=False,
        sentence="speed",
    ),
    Metric(
        "vomma", "vomma", "Vomma exposure", 0, 1e-4, "USD of vega per vol point",
        "Change of the dealers' vega (USD per vol point) for a +1 point move of implied vol",
        wire=False, sentence="vomma",
    ),
)  # fmt: skip
"""Every dealer exposure metric, in display order."""

NAMES: Final = tuple(m.name for m in METRICS)
BY_NAME: Final[Mapping[str, Metric]] = MappingProxyType({m.name: m for m in METRICS})


class Exposures(Mapping[str, "FloatArray"]):
    """Per-contract dealer exposures in USD, one array per metric of :data:`METRICS` (in its
    order); ``ex["gex"]`` or ``ex.gex``."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, FloatArray]) -> None:
        import numpy as np  # here, so that importing the registry stays cheap

        missing = [n for n in NAMES if n not in values]
        if missing:
            raise ValueError(f"exposures lack {missing}")
        self._values = {n: np.asarray(values[n], dtype=np.float64) for n in NAMES}

    def __getitem__(self, name: str) -> FloatArray:
        return self._values[name]

    def __getattr__(self, name: str) -> FloatArray:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)

    def masked(self, keep: np.ndarray) -> Exposures:
        """The exposures of the contracts where ``keep`` is true."""
        return Exposures({n: v[keep] for n, v in self._values.items()})
