"""The condition grammar shared by every rule kind (decision tables, incentives, risk responses).

A condition is one cell of a rule: a test on one column. Grammar (whitespace is free)::

    -  or empty or None        any value, null included
    >= 1e6   < 0.2   != 5       comparison with a number (=, !=, <, <=, >, >=)
    < "m"   >= "b"              comparison with quoted text (code-point order, as FEEL)
    5   = 5                     equality (number, text or true/false)
    [250000..1000000)           interval; [ ] closed ends, ( ) or ] [ open ends; a backwards
                                one ([10..1]) is empty, as in FEEL, and matches nothing
    ["a".."m")   ]"a".."m"[     interval of quoted text
    "East", "North"   1, 2, 3   a list: any item matches (items may be comparisons and intervals)
    East                        unquoted words are text too ("Mid-Market", Gov)
    not("Gov")  not(1, 2)       negation of a list or interval
    true   false                booleans
    null   not(null)            null test, non-null test

A YAML list (``[East, North]``) is a list of literal values; a YAML number or bool is an equality.

Null semantics follow DMN/FEEL. A cell is a unary test of the input ``?``: ``5`` means ``? = 5``,
``!= 5`` means ``? != 5``, ``< 5`` means ``? < 5``. For a null input (None, NaN, pd.NA, NaT, a
missing field) FEEL gives ``null = 5`` false, ``null = null`` true, ``null != 5`` true, and an
ordering comparison or interval (``< 5``, ``[1..5]``) null. A list is true when one item is true
(else null when one item is null, else false); ``not(...)`` negates true and false and leaves null
null; a rule matches only on true. So for null::

    -   null   != 5   != "Gov"   not("Gov")   not(5)   "Gov", null        match
    5   "Gov"  true   < 5   [1..5]   not(null)   not(< 5)   not([1..5])   not(null, 5)   no match

Text comparisons are exact and case-sensitive; text orders by Unicode code point (see
:mod:`engine.rules.text_ranges`). A text comparison or range needs quoted text: an unquoted word
there (``< Complex.aNumber``, ``[numB..numC]``) is a FEEL name, which cells cannot refer to, so
it is refused.

A compiled :class:`Condition` exposes its analytic form for the checker: numeric tests as a union of
:class:`Interval` (``intervals``), text and boolean tests as a value set (``values``,
``negated``) — or, for a text cell with a comparison or range, the whole matching set as a union of
:class:`~engine.rules.text_ranges.TextRange` (``text_ranges``) — and whether null matches
(``null``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from engine.errors import RuleError
from engine.rules._condition_parse import Atom, parse_cell_text
from engine.rules.text_ranges import TextRange, complement, point, union
from engine.rules.values import is_null, to_float_array, value_kind

__all__ = ["Condition", "Interval", "ValueType", "parse_condition"]

ValueType = Literal["number", "string", "boolean"]
Cell = str | int | float | bool | None | list[object]
_INF = math.inf


@dataclass(frozen=True, order=True)
class Interval:
    """A numeric interval; ``low``/``high`` may be infinite (then that end is open)."""

    low: float
    high: float
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, x: float) -> bool:
        """True when ``x`` lies in the interval (NaN never does)."""
        above = x >= self.low if self.low_closed else x > self.low
        below = x <= self.high if self.high_closed else x < self.high
        return bool(above and below)

    def is_empty(self) -> bool:
        """True when no number lies in the interval."""
        if self.low > self.high:
            return True
        return self.low == self.high and not (self.low_closed and self.high_closed)

    def intersect(self, other: Interval) -> Interval:
        """The intersection (possibly empty)."""
        if self.low > other.low or (self.low == other.low and not self.low_closed):
            low, low_closed = self.low, self.low_closed
        else:
            low, low_closed = other.low, other.low_closed
        if self.high < other.high or (self.high == other.high and not self.high_closed):
            high, high_closed = self.high, self.high_closed
        else:
            high, high_closed = other.high, other.high_closed
        return Interval(low, high, low_closed, high_closed)

    def __str__(self) -> str:
        if self.low == self.high:
            return f"= {_num(self.low)}"
        if self.low == -_INF and self.high == _INF:
            return "any number"
        if self.low == -_INF:
            return f"{'<=' if self.high_closed else '<'} {_num(self.high)}"
        if self.high == _INF:
            return f"{'>=' if self.low_closed else '>'} {_num(self.low)}"
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{_num(self.low)}..{_num(self.high)}{right}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else repr(float(x))


ALL_NUMBERS = Interval(-_INF, _INF, False, False)


def normalize_intervals(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """Sort, drop empty and merge overlapping or touching intervals into a disjoint union."""
    items = sorted(iv for iv in intervals if not iv.is_empty())
    merged: list[Interval] = []
    for iv in items:
        if merged:
            last = merged[-1]
            touches = iv.low < last.high or (
                iv.low == last.high and (iv.low_closed or last.high_closed)
            )
            if touches:
                # a union keeps a closed end from either side: [1..10] ∪ (1..5] = [1..10]
                low_closed = last.low_closed or (iv.low == last.low and iv.low_closed)
                high, high_closed = last.high, last.high_closed
                if iv.high > last.high:
                    high, high_closed = iv.high, iv.high_closed
                elif iv.high == last.high:
                    high_closed = last.high_closed or iv.high_closed
                merged[-1] = Interval(last.low, high, low_closed, high_closed)
                continue
        merged.append(iv)
    return tuple(merged)


def complement_intervals(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """The complement (within the real numbers) of a disjoint sorted union."""
    result: list[Interval] = []
    low, low_closed = -_INF, False
    for iv in normalize_intervals(intervals):
        result.append(Interval(low, iv.low, low_closed, not iv.low_closed))
        low, low_closed = iv.high, not iv.high_closed
    result.append(Interval(low, _INF, low_closed, False))
    return normalize_intervals(result)


@dataclass(frozen=True)
class Condition:
    """A compiled, immutable cell test on one column.

    ``value_type`` is None when the cell tests only for null/non-null/any. For numbers the matching
    values are ``intervals`` (a disjoint sorted union); for text and booleans they are ``values``,
    or everything except ``values`` when ``negated``; a text cell with a comparison or range
    (``< "m"``) has instead its whole matching set in ``text_ranges`` (and no ``values``).
    ``any_value``: every non-null value matches. ``null`` says whether a null value matches.
    ``empty_ranges``: the source of each empty range in the cell (``[10..1]``), and
    ``bare_words``: each unquoted word read as text (``East``), for the checker.
    """

    column: str
    source: str
    value_type: ValueType | None = None
    any_value: bool = False
    null: bool = False
    intervals: tuple[Interval, ...] = ()
    values: frozenset[object] = field(default_factory=frozenset)
    negated: bool = False
    text_ranges: tuple[TextRange, ...] = ()
    empty_ranges: tuple[str, ...] = field(default=(), compare=False, repr=False)
    bare_words: tuple[str, ...] = field(default=(), compare=False, repr=False)
    file: str | None = field(default=None, compare=False, repr=False)
    rule_id: str | None = field(default=None, compare=False, repr=False)
    line: int | None = field(default=None, compare=False, repr=False)

    @property
    def is_any(self) -> bool:
        """True for ``-``/empty: matches everything, null included."""
        return self.any_value and self.null

    def _error(self, message: str) -> RuleError:
        return RuleError(
            f"column {self.column!r}, condition {self.source!r}: {message}",
            file=self.file,
            rule_id=self.rule_id,
            line=self.line,
        )

    # -- per record ---------------------------------------------------------------------------
    def matches(self, value: object) -> bool:
        """Whether one value passes the test; agrees with :meth:`mask`."""
        if is_null(value):
            return self.null
        if self.any_value:
            return True
        if self.value_type is None:
            return False
        kind = value_kind(value)
        if kind != self.value_type:
            raise self._error(f"expects a {self.value_type} value, got {value!r}")
        if kind == "number":
            x = float(value)  # type: ignore[arg-type]
            return any(iv.contains(x) for iv in self.intervals)
        if kind == "boolean":
            return bool(value) in self.values
        text = str(value)
        if any(r.contains(text) for r in self.text_ranges):
            return True
        return (text in self.values) != self.negated

    @property
    def matches_nothing(self) -> bool:
        """True when no value, null included, passes (such as ``[10..1]`` or ``(5..5)``)."""
        return not (
            self.any_value
            or self.null
            or self.intervals
            or self.values
            or self.negated
            or self.text_ranges
        )

    # -- vectorised ---------------------------------------------------------------------------
    def mask(self, values: pd.Series) -> np.ndarray:
        """Boolean mask of the values passing the test (no per-row Python)."""
        n = len(values)
        if self.is_any:
            return np.ones(n, dtype=bool)
        if self.value_type is None:
            nulls = values.isna().to_numpy(dtype=bool)
            return nulls if self.null else ~nulls
        if self.value_type == "number":
            array = to_float_array(values, self._error)
            result = self.number_mask(array)
            if self.null:
                result |= np.isnan(array)
            return result
        if (
            isinstance(values.dtype, pd.CategoricalDtype)
            or values.dtype == object
            or (isinstance(values.dtype, pd.StringDtype) and self.value_type == "string")
        ):
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            lookup = np.fromiter((self.matches(v) for v in uniques), dtype=bool, count=len(uniques))
            lookup = np.append(lookup, self.null)  # code -1 (null) takes the last slot
            return lookup[codes]
        if self.value_type == "boolean" and pd.api.types.is_bool_dtype(values.dtype):
            nulls = values.isna().to_numpy(dtype=bool)
            array = values.to_numpy(dtype=bool, na_value=False)
            result = np.zeros(n, dtype=bool)
            for wanted in self.values:
                result |= array == wanted
            return np.where(nulls, self.null, result)
        if bool(values.isna().all()):  # an empty or all-null column fits any test
            return np.full(n, self.null, dtype=bool)
        raise self._error(f"expects {self.value_type} values, column has dtype {values.dtype}")

    def number_mask(self, array: np.ndarray) -> np.ndarray:
        """Mask over a float64 array (NaN = null, never matching the intervals)."""
        result: np.ndarray | None = None
        for iv in self.intervals:
            if iv.low == iv.high:
                part = array == iv.low
            else:
                part = None
                if iv.low != -_INF:
                    part = array >= iv.low if iv.low_closed else array > iv.low
                if iv.high != _INF:
                    upper = array <= iv.high if iv.high_closed else array < iv.high
                    part = upper if part is None else part & upper
                if part is None:
                    part = ~np.isnan(array)
            result = part if result is None else result | part
        return result if result is not None else np.zeros(len(array), dtype=bool)

    def __str__(self) -> str:
        return self.source


def null_matches(atoms: Sequence[Atom], negated: bool) -> bool:
    """Whether a null input passes a cell, by FEEL's three-valued logic.

    Each item of the list gives true, false or null (unknown) for a null input (see
    :class:`Atom`); the list is true when an item is true, else null when an item is null, else
    false. ``not(...)`` turns true into false, false into true and leaves null null. The input
    passes only when the result is true.
    """
    results = [atom.on_null for atom in atoms]
    union: bool | None = True if True in results else (None if None in results else False)
    if negated and union is not None:
        union = not union
    return union is True


def _from_atoms(
    atoms: Sequence[Atom], negated: bool, *, column: str, source: str, where: dict[str, Any]
) -> Condition:
    """Combine the atoms of one cell (a union, then negated) into a Condition."""

    def fail(message: str) -> RuleError:
        return RuleError(
            f"column {column!r}, condition {source!r}: {message}",
            file=where["file"],
            rule_id=where["rule_id"],
            line=where["line"],
        )

    null = null_matches(atoms, negated)
    typed = [a for a in atoms if a.kind != "null"]
    kinds = {a.kind for a in typed}
    empty = tuple(a.empty_range for a in atoms if a.empty_range is not None)
    bare = tuple(dict.fromkeys(str(v) for a in atoms if a.bare for v in a.values))
    common = dict(column=column, source=source, empty_ranges=empty, bare_words=bare, **where)
    if len(kinds) > 1:
        raise fail("mixes " + " and ".join(sorted(kinds)) + " values in one list")
    if not kinds:  # null or not(null)
        return Condition(any_value=negated, null=null, **common)
    kind = kinds.pop()
    if kind == "number":
        parts: list[Interval] = []
        for atom in typed:
            assert atom.interval is not None
            parts.extend(complement_intervals([atom.interval]) if atom.negated else [atom.interval])
        union = normalize_intervals(parts)
        if negated:
            union = complement_intervals(union)
        return Condition(
            value_type="number",
            intervals=union,
            null=null,
            **common,
        )
    if any(atom.text_range is not None for atom in typed):
        return Condition(
            value_type="string",
            text_ranges=_text_union(typed, negated),
            null=null,
            **common,
        )
    # text or boolean: a union of possibly negated value sets
    finite: set[object] = set()
    cofinite: set[object] | None = None  # everything except these
    for atom in typed:
        if atom.negated:
            cofinite = set(atom.values) if cofinite is None else cofinite & set(atom.values)
        else:
            finite |= set(atom.values)
    if cofinite is not None:
        values, is_neg = frozenset(cofinite - finite), True
    else:
        values, is_neg = frozenset(finite), False
    if negated:
        is_neg = not is_neg
    if kind == "boolean":
        if is_neg:
            values, is_neg = frozenset({True, False} - values), False
        return Condition(
            value_type="boolean",
            values=values,
            null=null,
            **common,
        )
    return Condition(
        value_type="string",
        values=values,
        negated=is_neg,
        null=null,
        **common,
    )


def _text_union(atoms: Sequence[Atom], negated: bool) -> tuple[TextRange, ...]:
    """The strings a text cell with a comparison or range accepts, as a disjoint union."""
    ranges: list[TextRange] = []
    for atom in atoms:
        if atom.text_range is not None:
            ranges.append(atom.text_range)
        else:
            points = [point(str(v)) for v in atom.values]
            ranges.extend(complement(points) if atom.negated else points)
    return complement(ranges) if negated else union(ranges)


def parse_condition(
    cell: Cell,
    *,
    column: str,
    file: str | None = None,
    rule_id: str | None = None,
    line: int | None = None,
) -> Condition:
    """Compile one cell into a :class:`Condition`; bad cells raise :class:`RuleError`."""
    where: dict[str, Any] = {"file": file, "rule_id": rule_id, "line": line}
    if cell is None:
        return Condition(column=column, source="-", any_value=True, null=True, **where)
    if isinstance(cell, bool):
        atoms = [Atom.boolean(cell)]
        return _from_atoms(atoms, False, column=column, source=str(cell).lower(), where=where)
    if isinstance(cell, int | float):
        if math.isnan(cell):
            raise RuleError(f"column {column!r}: NaN is not a condition", **where)
        atoms = [Atom.number(Interval(float(cell), float(cell)))]
        return _from_atoms(atoms, False, column=column, source=repr(cell), where=where)
    if isinstance(cell, list):
        atoms = []
        for item in cell:
            if item is None:
                atoms.append(Atom.null())
            elif isinstance(item, bool):
                atoms.append(Atom.boolean(item))
            elif isinstance(item, int | float) and not math.isnan(item):
                atoms.append(Atom.number(Interval(float(item), float(item))))
            elif isinstance(item, str):
                atoms.append(Atom.text(item))
            else:
                raise RuleError(
                    f"column {column!r}: list item {item!r} is not a number, text, bool or null",
                    **where,
                )
        if not atoms:
            raise RuleError(f"column {column!r}: an empty list matches nothing", **where)
        return _from_atoms(atoms, False, column=column, source=repr(list(cell)), where=where)
    if not isinstance(cell, str):
        raise RuleError(
            f"column {column!r}: a condition must be text, a number, a bool or a list, "
            f"got {type(cell).__name__}",
            **where,
        )
    text = cell.strip()
    if text in ("", "-"):
        return Condition(column=column, source=text or "-", any_value=True, null=True, **where)
    parsed = parse_cell_text(text, column=column, file=file, rule_id=rule_id, line=line)
    return _from_atoms(parsed.atoms, parsed.negated, column=column, source=text, where=where)
