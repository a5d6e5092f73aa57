"""Derived fields: a small arithmetic language, parsed to a whitelisted AST, evaluated column-wise.

Operators ``+ - * /``, unary ``-``, comparisons ``= != < <= > >=`` (``==``/``<>`` accepted),
``and or not``, ``if c then a else b``, functions ``min(a, b, ...)``, ``max(...)``, ``abs(x)``,
``round(x)`` / ``round(x, digits)`` (half away from zero, ``digits`` a literal integer), literals
(numbers, ``"text"``, ``true``, ``false``, ``null``) and column names. Example::

    rfm = min(orders_12m / 4, 5) + (if last_order_days <= 90 then 3 else 1)

Null semantics (the same per record and per column):

* arithmetic and functions propagate null: ``null + 1`` is null, ``max(1, null)`` is null;
* division by zero gives null (never inf, never an error);
* a comparison involving null is false (``!=`` too);
* in a boolean position (and, or, not, if) null counts as false, so ``not null`` is true;
* a field missing from a record counts as null.

Type errors (``"a" + 1``, ``revenue and true``) raise :class:`RuleError`;
:meth:`Expression.result_type` finds them before evaluation when the column types are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import RuleError
from engine.rules._expression_eval import Vector, column_vector, evaluate_node, evaluate_scalar
from engine.rules._expression_parse import (
    Binary,
    Call,
    Column,
    Conditional,
    Literal,
    Node,
    Unary,
    parse_tree,
)
from engine.rules.values import is_null

__all__ = ["Expression", "parse_expression"]

_ARITH = {"+", "-", "*", "/"}
_ORDER = {"<", "<=", ">", ">="}


def _columns(node: Node) -> frozenset[str]:
    if isinstance(node, Column):
        return frozenset({node.name})
    if isinstance(node, Unary):
        return _columns(node.operand)
    if isinstance(node, Binary):
        return _columns(node.left) | _columns(node.right)
    if isinstance(node, Call):
        return frozenset().union(*(_columns(arg) for arg in node.args))
    if isinstance(node, Conditional):
        return _columns(node.condition) | _columns(node.then) | _columns(node.otherwise)
    return frozenset()


@dataclass(frozen=True)
class Expression:
    """A compiled derived-field expression."""

    source: str
    tree: Node = field(repr=False)
    columns: frozenset[str]
    file: str | None = field(default=None, compare=False, repr=False)
    rule_id: str | None = field(default=None, compare=False, repr=False)
    line: int | None = field(default=None, compare=False, repr=False)

    def _error(self, message: str) -> RuleError:
        return RuleError(
            f"expression {self.source!r}: {message}",
            file=self.file,
            rule_id=self.rule_id,
            line=self.line,
        )

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """Evaluate over every row of ``frame`` at once; numbers come back as float64 (NaN = null),
        booleans as bool, text as object (None = null)."""
        missing = sorted(self.columns - set(map(str, frame.columns)))
        if missing:
            raise self._error(f"unknown column(s) {', '.join(missing)}")
        length = len(frame)
        vectors = {name: column_vector(frame[name], self._error) for name in self.columns}
        result = evaluate_node(self.tree, vectors, length, self._error)
        return _to_series(result, frame.index)

    def evaluate_record(self, record: Mapping[str, object]) -> object:
        """Evaluate for one record (a missing field is null); agrees with :meth:`evaluate`.

        Returns a float, bool, str or None.
        """
        return evaluate_scalar(self.tree, record, self._error)

    def result_type(self, column_types: Mapping[str, str]) -> str | None:
        """Static type (``number``, ``string``, ``boolean``; None if unknown or null).

        Raises :class:`RuleError` for operations that can never be valid with these column types.
        """
        return _infer(self.tree, column_types, self._error)

    def __str__(self) -> str:
        return self.source


def _to_series(vector: Vector, index: pd.Index) -> pd.Series:
    if vector.kind == "boolean":
        return pd.Series(vector.values & ~vector.nulls, index=index, dtype=bool)
    if vector.kind == "string":
        values = vector.values.copy()
        values[vector.nulls] = None
        return pd.Series(values, index=index, dtype=object)
    if vector.kind != "number":
        return pd.Series(np.full(len(index), np.nan), index=index, dtype=np.float64)
    numbers = np.asarray(vector.values, dtype=np.float64)
    return pd.Series(np.where(vector.nulls, np.nan, numbers), index=index, dtype=np.float64)


def _infer(node: Node, types: Mapping[str, str], fail: Callable[[str], RuleError]) -> str | None:
    error = fail

    def check(kind: str | None, wanted: str, what: str) -> None:
        if kind is not None and kind != wanted:
            raise fail(f"{what} needs {wanted}, got {kind}")

    if isinstance(node, Literal):
        if node.value is None:
            return None
        if isinstance(node.value, bool):
            return "boolean"
        return "number" if isinstance(node.value, float) else "string"
    if isinstance(node, Column):
        return types.get(node.name)
    if isinstance(node, Unary):
        kind = _infer(node.operand, types, error)
        check(kind, "boolean" if node.op == "not" else "number", f"'{node.op}'")
        return "boolean" if node.op == "not" else "number"
    if isinstance(node, Binary):
        left, right = _infer(node.left, types, error), _infer(node.right, types, error)
        if node.op in _ARITH:
            check(left, "number", f"'{node.op}'")
            check(right, "number", f"'{node.op}'")
            return "number"
        if node.op in ("and", "or"):
            check(left, "boolean", f"'{node.op}'")
            check(right, "boolean", f"'{node.op}'")
            return "boolean"
        if left is not None and right is not None and left != right:
            raise fail(f"cannot compare {left} with {right}")
        if node.op in _ORDER:
            check(left or right, "number", f"'{node.op}'")
        return "boolean"
    if isinstance(node, Call):
        for arg in node.args:
            check(_infer(arg, types, error), "number", f"{node.function}()")
        if node.function == "round" and len(node.args) == 2:
            digits = node.args[1]
            if not (
                isinstance(digits, Literal)
                and isinstance(digits.value, float)
                and digits.value.is_integer()
            ):
                raise fail("round() digits must be a literal whole number")
        return "number"
    condition = _infer(node.condition, types, error)
    check(condition, "boolean", "'if'")
    then, otherwise = _infer(node.then, types, error), _infer(node.otherwise, types, error)
    if then is not None and otherwise is not None and then != otherwise:
        raise fail(f"'then' gives {then} but 'else' gives {otherwise}")
    return then or otherwise


def parse_expression(
    text: str, *, file: str | None = None, rule_id: str | None = None, line: int | None = None
) -> Expression:
    """Compile ``text``; syntax errors and static type errors on literals raise RuleError."""
    tree = parse_tree(text, file=file, rule_id=rule_id, line=line)
    expression = Expression(
        source=text.strip(),
        tree=tree,
        columns=_columns(tree),
        file=file,
        rule_id=rule_id,
        line=line,
    )
    expression.result_type({})  # catches type errors among literals and operators
    return expression


def is_true(value: object) -> bool:
    """Boolean position semantics for one value: null counts as false."""
    return False if is_null(value) else bool(value)
