"""Every exception the engine raises, in one tree.

::

    GexError                         base of everything raised on purpose by gex-engine
    ├── SnapshotError                a ChainSnapshot cannot be used at all
    │   ├── EmptySnapshotError       no rows, or no row survived validation
    │   ├── InvalidSpotError         the header's spot is missing, non-finite or <= 0
    │   ├── SchemaError              a column is missing or has the wrong dtype
    │   └── InvalidHeaderError       another header field is wrong (naive as_of, bad rate…)
    ├── NoContractsError             the analysis filters (expiration, min_oi) leave no contract
    ├── CalendarError                a settlement instant cannot be determined
    └── ConfigurationError           an unknown option, preset or setting value
        └── OptionError              one named option of the analysis has a bad value

Rows that are merely bad (negative strike, crossed quote, expired…) never raise: they are
quarantined with a reason and counted (see :mod:`engine.chain`). Numerical kernels never
raise either: an input they cannot price gives NaN plus, where it applies, a reason code.
"""

from __future__ import annotations

__all__ = [
    "CalendarError",
    "ConfigurationError",
    "EmptySnapshotError",
    "GexError",
    "InvalidHeaderError",
    "InvalidSpotError",
    "NoContractsError",
    "OptionError",
    "SchemaError",
    "SnapshotError",
]


class GexError(Exception):
    """Base class of every exception raised on purpose by gex-engine."""


class SnapshotError(GexError, ValueError):
    """A ChainSnapshot cannot be used at all."""


class EmptySnapshotError(SnapshotError):
    """The snapshot has no rows, or none survived validation."""


class InvalidSpotError(SnapshotError):
    """The snapshot's spot is missing, non-finite or not positive."""


class SchemaError(SnapshotError):
    """A column is missing or has the wrong dtype."""


class InvalidHeaderError(SnapshotError):
    """A header field other than spot is invalid (naive ``as_of``, non-finite rate…)."""


class NoContractsError(GexError, LookupError):
    """The analysis filters (an ``expiration``, ``min_oi``) leave no contract to analyse."""


class CalendarError(GexError, ValueError):
    """A settlement instant cannot be determined (unknown calendar, date out of range)."""


class ConfigurationError(GexError, ValueError):
    """An unknown option, preset or invalid setting value."""


class OptionError(ConfigurationError):
    """One named option of the analysis (``parameter``: ``min_oi``, ``expiration`` …) has a
    value it cannot take; the API answers ``invalid_<parameter>``."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
