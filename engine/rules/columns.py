"""Build typed result columns from per-rule values and a chosen rule index per row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.rules.model import CompiledOutput

__all__ = ["object_column", "scalar_column", "trace_column"]


def _object_array(values: Sequence[object]) -> np.ndarray:
    table = np.empty(len(values), dtype=object)
    for position, value in enumerate(values):
        table[position] = value
    return table


def _categories(values: Sequence[object], allowed: Sequence[object] | None) -> list[object]:
    categories: list[object] = [v for v in allowed or () if isinstance(v, str)]
    for value in values:
        if value is not None and value not in categories:
            categories.append(value)
    return categories


def scalar_column(
    output: CompiledOutput, values: Sequence[object], index: np.ndarray, row_index: pd.Index
) -> pd.Series:
    """Output column for single-hit results.

    ``values`` holds one value per rule plus, last, the value when nothing matched (default or
    None); ``index`` is the chosen position per row, -1 for no match (negative positions count
    from the end). Text becomes a categorical
    (categories: the allowed values, then others in rule order), whole numbers int64 (Int64 when
    null occurs), other numbers float64, booleans bool (boolean when null occurs), lists tuples.
    """
    used = values
    if output.type == "string":
        categories = _categories(values, output.allowed)
        lookup = {value: code for code, value in enumerate(categories)}
        code_of = np.array([lookup.get(v, -1) if v is not None else -1 for v in values], np.int32)
        codes = code_of[index]
        return pd.Series(
            pd.Categorical.from_codes(codes, categories=pd.Index(categories)),
            index=row_index,
            name=output.name,
        )
    if output.type == "list":
        table = _object_array(values)
        return pd.Series(table[index], index=row_index, name=output.name, dtype=object)
    has_null = any(v is None for v in used)
    if output.type == "boolean":
        table = np.array([bool(v) if v is not None else False for v in values], dtype=bool)
        result = table[index]
        if not has_null:
            return pd.Series(result, index=row_index, name=output.name, dtype=bool)
        nulls = np.array([v is None for v in values], dtype=bool)[index]
        return pd.Series(pd.arrays.BooleanArray(result, nulls), index=row_index, name=output.name)
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in used if v is not None)
    numbers = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)  # type: ignore[arg-type]
    result = numbers[index]
    if whole and not has_null:
        return pd.Series(result.astype(np.int64), index=row_index, name=output.name)
    if whole:
        nulls = np.isnan(result)
        ints = np.where(nulls, 0, result).astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(ints, nulls), index=row_index, name=output.name)
    return pd.Series(result, index=row_index, name=output.name, dtype=np.float64)


def trace_column(
    name: str, rule_ids: Sequence[str], index: np.ndarray, row_index: pd.Index
) -> pd.Series:
    """Matched rule id per row as a categorical (null where no rule was chosen: index < 0)."""
    codes = np.maximum(np.asarray(index), -1)
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=pd.Index(list(rule_ids))),
        index=row_index,
        name=name,
    )


def object_column(
    name: str, per_pattern: Sequence[object], inverse: np.ndarray, row_index: pd.Index
) -> pd.Series:
    """Object column (tuples or scalars) from one value per distinct match pattern."""
    table = _object_array(per_pattern)
    return pd.Series(table[inverse], index=row_index, name=name, dtype=object)
