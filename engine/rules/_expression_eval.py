"""Evaluation of expression trees: column-wise (numpy) and per record (Python), same semantics."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import RuleError
from engine.rules._expression_parse import Binary, Call, Column, Literal, Node, Unary
from engine.rules.values import is_null, value_kind

__all__ = ["Vector", "column_vector", "evaluate_node", "evaluate_scalar"]

Fail = Callable[[str], RuleError]
_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Vector:
    """A column of values of one kind (number, string, boolean or null) with a null mask."""

    kind: str
    values: np.ndarray
    nulls: np.ndarray


def column_vector(series: pd.Series, fail: Fail) -> Vector:
    """Convert a DataFrame column to a Vector, deciding its kind from the dtype."""
    dtype: Any = series.dtype
    nulls = series.isna().to_numpy(dtype=bool)
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return Vector("boolean", series.to_numpy(dtype=bool, na_value=False), nulls)
    if pd.api.types.is_numeric_dtype(dtype):
        return Vector("number", series.to_numpy(dtype=np.float64, na_value=np.nan), nulls)
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "empty":
        return Vector("null", np.zeros(len(series)), np.ones(len(series), dtype=bool))
    if kind == "string":
        return Vector(
            "string", np.asarray(series.astype(object).where(~series.isna(), None)), nulls
        )
    if kind in _NUMBER_KINDS:
        return Vector("number", series.to_numpy(dtype=np.float64, na_value=np.nan), nulls)
    if kind == "boolean":
        return Vector("boolean", series.fillna(False).to_numpy(dtype=bool), nulls)
    raise fail(f"column {series.name!r} holds {kind} values, not numbers, text or booleans")


def _need(vector: Vector, kind: str, what: str, fail: Fail) -> None:
    if vector.kind not in (kind, "null"):
        raise fail(f"{what} needs {kind}, got {vector.kind}")


def _truth(vector: Vector, what: str, fail: Fail) -> np.ndarray:
    _need(vector, "boolean", what, fail)
    if vector.kind == "null":
        return np.zeros(len(vector.nulls), dtype=bool)
    return vector.values & ~vector.nulls


def _round(values: Any, digits: int) -> Any:
    scale = 10.0**digits
    return np.sign(values) * np.floor(np.abs(values) * scale + 0.5) / scale


def _digits(node: Node, fail: Fail) -> int:
    if isinstance(node, Literal) and isinstance(node.value, float) and node.value.is_integer():
        return int(node.value)
    raise fail("round() digits must be a literal whole number")


def _arith(op: str, left: Any, right: Any) -> Any:
    with np.errstate(all="ignore"):
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        return left / np.where(right == 0, 1.0, right)


def evaluate_node(node: Node, columns: Mapping[str, Vector], length: int, fail: Fail) -> Vector:
    """Evaluate ``node`` for ``length`` rows."""

    def ev(child: Node) -> Vector:
        return evaluate_node(child, columns, length, fail)

    if isinstance(node, Literal):
        value = node.value
        if value is None:
            return Vector("null", np.zeros(length), np.ones(length, dtype=bool))
        kind = value_kind(value)
        dtype: Any = object if kind == "string" else (bool if kind == "boolean" else np.float64)
        return Vector(kind, np.full(length, value, dtype=dtype), np.zeros(length, dtype=bool))
    if isinstance(node, Column):
        return columns[node.name]
    if isinstance(node, Unary):
        operand = ev(node.operand)
        if node.op == "not":
            return Vector("boolean", ~_truth(operand, "'not'", fail), np.zeros(length, dtype=bool))
        _need(operand, "number", "'-'", fail)
        return Vector("number", -operand.values.astype(np.float64), operand.nulls)
    if isinstance(node, Binary):
        left, right = ev(node.left), ev(node.right)
        if node.op in ("and", "or"):
            a, b = _truth(left, f"'{node.op}'", fail), _truth(right, f"'{node.op}'", fail)
            return Vector("boolean", a & b if node.op == "and" else a | b, np.zeros(length, bool))
        if node.op in _COMPARE:
            either_null = left.nulls | right.nulls
            if "null" in (left.kind, right.kind):
                return Vector("boolean", np.zeros(length, bool), np.zeros(length, bool))
            if left.kind != right.kind:
                raise fail(f"cannot compare {left.kind} with {right.kind}")
            if left.kind != "number" and node.op not in ("=", "!="):
                raise fail(f"'{node.op}' needs numbers, got {left.kind}")
            result = np.asarray(_COMPARE[node.op](left.values, right.values), dtype=bool)
            return Vector("boolean", result & ~either_null, np.zeros(length, bool))
        _need(left, "number", f"'{node.op}'", fail)
        _need(right, "number", f"'{node.op}'", fail)
        nulls = left.nulls | right.nulls
        if node.op == "/":
            nulls = nulls | (right.values == 0)
        values = _arith(node.op, left.values.astype(np.float64), right.values.astype(np.float64))
        nulls = nulls | np.isnan(values)
        return Vector("number", values, nulls)
    if isinstance(node, Call):
        if node.function == "round":
            digits = _digits(node.args[1], fail) if len(node.args) == 2 else 0
            arg = ev(node.args[0])
            _need(arg, "number", "round()", fail)
            with np.errstate(all="ignore"):
                values = _round(arg.values.astype(np.float64), digits)
            return Vector("number", values, arg.nulls | np.isnan(values))
        args = [ev(arg) for arg in node.args]
        for arg in args:
            _need(arg, "number", f"{node.function}()", fail)
        nulls = np.zeros(length, dtype=bool)
        for arg in args:
            nulls = nulls | arg.nulls
        stacked = [arg.values.astype(np.float64) for arg in args]
        if node.function == "abs":
            values = np.abs(stacked[0])
        else:
            reduce = np.minimum if node.function == "min" else np.maximum
            values = stacked[0]
            for more in stacked[1:]:
                values = reduce(values, more)
        return Vector("number", values, nulls)
    condition = _truth(ev(node.condition), "'if'", fail)
    then, otherwise = ev(node.then), ev(node.otherwise)
    kinds = {then.kind, otherwise.kind} - {"null"}
    if len(kinds) > 1:
        raise fail(f"'then' gives {then.kind} but 'else' gives {otherwise.kind}")
    kind = kinds.pop() if kinds else "null"
    filler = {"number": 0.0, "string": None, "boolean": False, "null": 0.0}[kind]

    def values_of(vector: Vector) -> np.ndarray:
        if vector.kind == "null":
            return np.full(length, filler, dtype=object if kind == "string" else None)
        return vector.values

    values = np.where(condition, values_of(then), values_of(otherwise))
    if kind == "string":
        values = values.astype(object)
    return Vector(kind, values, np.where(condition, then.nulls, otherwise.nulls))


# -- per record -------------------------------------------------------------------------------


def _scalar_kind(value: object, fail: Fail) -> str:
    if is_null(value):
        return "null"
    kind = value_kind(value)
    if kind == "other":
        raise fail(f"cannot use value {value!r} of type {type(value).__name__}")
    return kind


def _as_value(value: object, fail: Fail) -> object:
    kind = _scalar_kind(value, fail)
    if kind == "null":
        return None
    if kind == "number":
        return float(value)  # type: ignore[arg-type]
    if kind == "boolean":
        return bool(value)
    return value


def _check(value: object, kind: str, what: str, fail: Fail) -> None:
    actual = _scalar_kind(value, fail)
    if actual not in (kind, "null"):
        raise fail(f"{what} needs {kind}, got {actual}")


def _is_true(value: object, what: str, fail: Fail) -> bool:
    _check(value, "boolean", what, fail)
    return bool(value) if value is not None else False


def evaluate_scalar(node: Node, record: Mapping[str, object], fail: Fail) -> object:
    """Evaluate ``node`` for one record; float, bool, str or None."""

    def ev(child: Node) -> object:
        return evaluate_scalar(child, record, fail)

    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Column):
        return _as_value(record.get(node.name), fail)
    if isinstance(node, Unary):
        operand = ev(node.operand)
        if node.op == "not":
            return not _is_true(operand, "'not'", fail)
        _check(operand, "number", "'-'", fail)
        return None if operand is None else -float(operand)  # type: ignore[arg-type]
    if isinstance(node, Binary):
        left, right = ev(node.left), ev(node.right)
        if node.op in ("and", "or"):
            a, b = _is_true(left, f"'{node.op}'", fail), _is_true(right, f"'{node.op}'", fail)
            return (a and b) if node.op == "and" else (a or b)
        if node.op in _COMPARE:
            if left is None or right is None:
                return False
            lk, rk = _scalar_kind(left, fail), _scalar_kind(right, fail)
            if lk != rk:
                raise fail(f"cannot compare {lk} with {rk}")
            if lk != "number" and node.op not in ("=", "!="):
                raise fail(f"'{node.op}' needs numbers, got {lk}")
            return bool(_COMPARE[node.op](left, right))
        _check(left, "number", f"'{node.op}'", fail)
        _check(right, "number", f"'{node.op}'", fail)
        if left is None or right is None or (node.op == "/" and right == 0):
            return None
        result = float(_arith(node.op, np.float64(left), np.float64(right)))  # type: ignore[arg-type]
        return None if result != result else result
    if isinstance(node, Call):
        if node.function == "round":
            digits = _digits(node.args[1], fail) if len(node.args) == 2 else 0
            value = ev(node.args[0])
            _check(value, "number", "round()", fail)
            if value is None:
                return None
            with np.errstate(all="ignore"):
                result = float(_round(np.float64(value), digits))  # type: ignore[arg-type]
            return None if result != result else result
        args = [ev(arg) for arg in node.args]
        for arg in args:
            _check(arg, "number", f"{node.function}()", fail)
        if any(arg is None for arg in args):
            return None
        numbers = [float(arg) for arg in args]  # type: ignore[arg-type]
        if node.function == "abs":
            return abs(numbers[0])
        result = numbers[0]
        for more in numbers[1:]:
            result = float(
                np.minimum(result, more) if node.function == "min" else np.maximum(result, more)
            )
        return result
    condition = _is_true(ev(node.condition), "'if'", fail)
    then, otherwise = ev(node.then), ev(node.otherwise)
    kinds = {_scalar_kind(then, fail), _scalar_kind(otherwise, fail)} - {"null"}
    if len(kinds) > 1:
        raise fail(f"'then' gives {sorted(kinds)[0]} but 'else' gives {sorted(kinds)[1]}")
    return then if condition else otherwise
