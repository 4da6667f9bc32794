"""Array aliases and literal types shared by the engine."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "BoolArray",
    "DealerModel",
    "FloatArray",
    "IntArray",
    "Model",
    "Right",
    "Style",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
ArrayLike: TypeAlias = npt.ArrayLike

Model: TypeAlias = Literal["bsm", "black76"]
Style: TypeAlias = Literal["european", "american"]
Right: TypeAlias = Literal["call", "put"]
DealerModel: TypeAlias = Literal["street", "short_all", "flow"]
