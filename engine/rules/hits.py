"""DMN hit policies over rule masks (vectorised) and over matched rules (per record)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from engine.rules.model import CompiledRule, CompiledTable
from engine.rules.tables import Aggregation, HitPolicy

__all__ = [
    "VIOLATED",
    "PolicyViolated",
    "Violations",
    "aggregate",
    "aggregate_record",
    "collect_values",
    "first_true",
    "match_patterns",
    "priority_key",
    "result_order",
    "single_hit",
    "single_hit_record",
]


def priority_key(table: CompiledTable, rule: CompiledRule) -> tuple[int, ...]:
    """Priority of a rule's outputs: ranks in the ``allowed`` lists, first output first."""
    return tuple(
        output.rank(rule.outputs[k])
        for k, output in enumerate(table.outputs)
        if output.allowed and output.type != "list"
    )


def result_order(table: CompiledTable, rules: Sequence[CompiledRule]) -> list[int]:
    """Positions of ``rules`` in result order: priority order (stable) or rule order."""
    positions = list(range(len(rules)))
    if table.hit_policy in (HitPolicy.PRIORITY, HitPolicy.OUTPUT_ORDER):
        positions.sort(key=lambda k: (priority_key(table, rules[k]), k))
    return positions


Violations = Literal["raise", "null"]
VIOLATED = -2  # single_hit: the row violates the unique or any policy (violations="null")


class PolicyViolated(Exception):
    """A record violates the unique or any policy and ``violations="null"`` was asked for."""


_BLOCK = 16
# lowest set bit of every 16-bit pattern: the first matching rule of a block of 16 (-1: none)
_FIRST_BIT = np.concatenate(
    [[-1], np.frexp((np.arange(1, 1 << _BLOCK) & -np.arange(1, 1 << _BLOCK)).astype(float))[1] - 1]
).astype(np.int8)


def first_true(masks: np.ndarray) -> np.ndarray:
    """Index of the first true row per column of a (rules x rows) mask; -1 where none.

    Rules are packed 16 at a time into a bit pattern per row, and a lookup table gives the
    pattern's lowest set bit: a few passes over the rows, whatever the rule count.
    """
    rules, rows = masks.shape
    dtype = np.int8 if rules < 127 else np.int32
    chosen: np.ndarray = np.full(rows, -1, dtype=dtype)
    for start in range(0, rules, _BLOCK):
        key = np.zeros(rows, dtype=np.uint16)
        for offset, row in enumerate(masks[start : start + _BLOCK]):
            key |= row.view(np.uint8).astype(np.uint16) << np.uint16(offset)
        first = _FIRST_BIT[key]
        if start == 0:
            chosen[:] = first
        else:
            undecided = (chosen < 0) & (first >= 0)
            chosen[undecided] = first[undecided].astype(dtype) + start
    return chosen


def _row_label(index: pd.Index, row: int) -> str:
    return f"row {index[row]!r}" if not isinstance(index, pd.RangeIndex) else f"row {row}"


def _violated(
    table: CompiledTable,
    rules: Sequence[CompiledRule],
    masks: np.ndarray,
    index: pd.Index,
    bad: np.ndarray,
    violations: Violations,
    policy: str,
    what: str,
) -> np.ndarray:
    """The rows ``bad`` that break ``policy``: returned under ``violations="null"``, else a
    RuleError naming the first such row and its rules (``what`` fills in ``{row}``, ``{count}``)."""
    if violations == "null":
        return bad
    row = int(bad[0])
    ids = [rules[int(k)].id for k in np.flatnonzero(masks[:, row])]
    detail = what.format(row=_row_label(index, row), count=len(bad))
    raise table.error(
        f"hit policy {policy} violated: rules {', '.join(map(repr, ids))} {detail}",
        rule_id=ids[0],
    )


def single_hit(
    table: CompiledTable,
    rules: Sequence[CompiledRule],
    masks: np.ndarray,
    index: pd.Index,
    *,
    violations: Violations = "raise",
) -> np.ndarray:
    """Chosen rule position per row for unique, any, priority and first.

    -1: no rule matched; -2 (``violations="null"`` only): the unique or any policy is violated
    on that row, whose outputs are then null (not the default) as in DMN engines that report the
    violation and return null.
    """
    policy = table.hit_policy
    bad_rows: np.ndarray | None = None
    if policy == HitPolicy.PRIORITY:
        order = np.array(result_order(table, rules), dtype=np.int32)
        chosen = first_true(masks[order]) if len(order) else first_true(masks)
        if not len(order):
            return chosen
        return np.where(chosen >= 0, order[chosen], -1).astype(chosen.dtype)
    if policy == HitPolicy.UNIQUE and len(rules) > 1:
        counts = masks.sum(axis=0)
        bad = np.flatnonzero(counts > 1)
        if len(bad):
            bad_rows = _violated(
                table, rules, masks, index, bad, violations, "unique", "all match {row} "
                "({count} row(s) match several rules)",
            )  # fmt: skip
    if policy == HitPolicy.ANY and len(rules) > 1:
        signatures: dict[tuple[object, ...], int] = {}
        codes = np.array([signatures.setdefault(r.outputs, len(signatures)) for r in rules])
        if len(signatures) > 1:
            big = len(signatures)
            low = np.where(masks, codes[:, None], big).min(axis=0)
            high = np.where(masks, codes[:, None], -1).max(axis=0)
            bad = np.flatnonzero((high >= 0) & (low != high))
            if len(bad):
                bad_rows = _violated(
                    table, rules, masks, index, bad, violations, "any", "match {row} with "
                    "different outputs ({count} row(s))",
                )  # fmt: skip
    chosen = first_true(masks)
    if bad_rows is not None:
        chosen[bad_rows] = VIOLATED
    return chosen


def single_hit_record(
    table: CompiledTable,
    matched: Sequence[CompiledRule],
    record: Mapping[str, object],
    *,
    violations: Violations = "raise",
) -> CompiledRule | None:
    """The rule whose outputs a single-hit table returns for one record (None: no match).

    A violated unique or any policy raises RuleError, or with ``violations="null"`` raises
    :class:`PolicyViolated` for the caller to turn into null outputs.
    """
    if not matched:
        return None
    policy = table.hit_policy
    ids = ", ".join(repr(rule.id) for rule in matched)
    if policy == HitPolicy.UNIQUE and len(matched) > 1:
        if violations == "null":
            raise PolicyViolated
        raise table.error(
            f"hit policy unique violated: rules {ids} all match the record", rule_id=matched[0].id
        )
    if policy == HitPolicy.ANY and len({rule.outputs for rule in matched}) > 1:
        if violations == "null":
            raise PolicyViolated
        raise table.error(
            f"hit policy any violated: rules {ids} match the record with different outputs",
            rule_id=matched[0].id,
        )
    if policy == HitPolicy.PRIORITY:
        return min(matched, key=lambda rule: (priority_key(table, rule), rule.position))
    return matched[0]


def match_patterns(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct columns of a (rules x rows) mask: (patterns x rules) and each row's pattern."""
    count, rows = masks.shape
    if count == 0 or rows == 0:
        return np.zeros((1, count), dtype=bool), np.zeros(rows, dtype=np.intp)
    packed = np.packbits(masks, axis=0)
    if packed.shape[0] <= 8:
        key = np.zeros(rows, dtype=np.uint64)
        for byte in range(packed.shape[0]):
            key |= packed[byte].astype(np.uint64) << np.uint64(8 * byte)
        codes, _ = pd.factorize(key)
        inverse = np.asarray(codes, dtype=np.intp)
        # codes number patterns in order of first appearance: a new code is a new running max
        is_first = np.empty(rows, dtype=bool)
        is_first[0] = True
        is_first[1:] = inverse[1:] > np.maximum.accumulate(inverse)[:-1]
        first = np.flatnonzero(is_first)
    else:
        _, first, inverse = np.unique(packed.T, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    return masks[:, first].T.copy(), inverse


def collect_values(table: CompiledTable, k: int, ordered: Sequence[CompiledRule]) -> object:
    """Output ``k`` of a multi-hit table for one match list (already in result order)."""
    if not ordered:
        return table.default[k] if table.default is not None else None
    return tuple(rule.outputs[k] for rule in ordered)


def _whole(table: CompiledTable) -> bool:
    values = [rule.outputs[0] for rule in table.rules]
    if table.default is not None:
        values.append(table.default[0])
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values if v is not None)


def no_match_aggregate(table: CompiledTable) -> object:
    """An aggregated collect's result when no rule matches: the default, else 0 for count
    (FEEL ``count([])``) and null for sum, min and max."""
    if table.default is not None:
        return table.default[0]
    return 0 if table.aggregation == Aggregation.COUNT else None


def aggregate(
    table: CompiledTable, rules: Sequence[CompiledRule], masks: np.ndarray, index: pd.Index
) -> pd.Series:
    """collect + sum/count/min/max per row (see :func:`aggregate_record`)."""
    name = table.outputs[0].name
    rows = len(index)
    default = no_match_aggregate(table)
    matched = masks.any(axis=0) if len(rules) else np.zeros(rows, dtype=bool)
    if table.aggregation == Aggregation.COUNT:
        values = masks.sum(axis=0).astype(np.float64) if len(rules) else np.zeros(rows)
        whole = True
    else:
        whole = _whole(table)
        numbers = [rule.outputs[0] for rule in rules]
        poisoned = np.zeros(rows, dtype=bool)  # a matched rule's output is null
        if table.aggregation == Aggregation.SUM:
            values = np.zeros(rows)
        else:
            start = np.inf if table.aggregation == Aggregation.MIN else -np.inf
            values = np.full(rows, start)
        for k, value in enumerate(numbers):
            hit = masks[k]
            if value is None:
                np.logical_or(poisoned, hit, out=poisoned)
                continue
            number = float(value)  # type: ignore[arg-type]
            if table.aggregation == Aggregation.SUM:  # added in rule order, as per record
                np.add(values, number, out=values, where=hit)
            elif table.aggregation == Aggregation.MIN:
                np.minimum(values, number, out=values, where=hit)
            else:
                np.maximum(values, number, out=values, where=hit)
        values = np.where(poisoned, np.nan, values)
    fallback = np.nan if default is None else float(default)  # type: ignore[arg-type]
    values = np.where(matched, values, fallback)
    if whole and default is not None and not isinstance(default, int):
        whole = False
    if whole:
        nulls = np.isnan(values)
        ints = np.where(nulls, 0, values).astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(ints, nulls), index=index, name=name)
    return pd.Series(values, index=index, name=name, dtype=np.float64)


def aggregate_record(table: CompiledTable, ordered: Sequence[CompiledRule]) -> object:
    """collect + sum/count/min/max for one record's matched rules (in rule order).

    DMN C+, C<, C>, C# are FEEL's sum, min, max and count of the matched rules' outputs: count
    counts matched rules (a null output included); sum, min and max are null when a matched
    output is null. No match: the default, else 0 for count and null for the others.
    """
    default = no_match_aggregate(table)
    if not ordered:
        return default
    if table.aggregation == Aggregation.COUNT:
        return len(ordered)
    numbers = [rule.outputs[0] for rule in ordered]
    if any(value is None for value in numbers):
        return None
    total = 0.0
    if table.aggregation == Aggregation.SUM:
        for value in numbers:
            total = total + float(value)  # type: ignore[arg-type]
    elif table.aggregation == Aggregation.MIN:
        total = min(float(v) for v in numbers)  # type: ignore[arg-type]
    else:
        total = max(float(v) for v in numbers)  # type: ignore[arg-type]
    whole = _whole(table) and (default is None or isinstance(default, int))
    return int(total) if whole else total
