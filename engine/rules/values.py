"""Value kinds and null handling shared by conditions, expressions and tables."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import RuleError

__all__ = ["is_null", "to_float_array", "value_kind"]

_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal", "empty"}


def is_null(value: object) -> bool:
    """None, NaN, NaT and pd.NA are null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return False


def value_kind(value: object) -> str:
    """``number``, ``string``, ``boolean`` or ``other`` for one non-null value."""
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, int | float | np.integer | np.floating | Decimal | Fraction):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def to_float_array(values: pd.Series, error: Callable[[str], RuleError]) -> np.ndarray:
    """The values as float64 with NaN for null; a non-numeric column raises ``error(message)``."""
    dtype: Any = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        if not pd.api.types.is_numeric_dtype(categories.dtype) or pd.api.types.is_bool_dtype(
            categories.dtype
        ):
            raise error(f"expects numbers, column has {categories.dtype} categories")
        table = np.append(categories.to_numpy(dtype=np.float64), np.nan)
        return table[values.cat.codes.to_numpy()]
    if pd.api.types.is_bool_dtype(dtype):
        raise error(f"expects numbers, column has dtype {dtype}")
    if pd.api.types.is_numeric_dtype(dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    if dtype == np.dtype(object):
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in _NUMBER_KINDS:
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = next((v for v in values if not is_null(v) and value_kind(v) != "number"), None)
        raise error(f"expects numbers, column holds {bad!r}")
    if len(values) == int(values.isna().sum()):
        return np.full(len(values), np.nan)
    raise error(f"expects numbers, column has dtype {dtype}")
