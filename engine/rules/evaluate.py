"""Evaluate decision tables: vectorised over a DataFrame, or for one record (same answers).

Per table: one boolean mask per active rule (conditions are evaluated once per distinct cell and
input; text columns are factorised once), then the hit policy picks rules with whole-array
operations: first-true per row for unique/any/first/priority, one list per distinct match pattern
for rule_order/output_order/collect, masked sums and extrema for collect with an aggregation.

Results: one column per output plus ``<table>_rule``, the explanation — the matched rule id
(single-hit policies; null when nothing matched and the default or null was used) or the tuple of
matched ids in result order (multi-hit policies). Multi-hit outputs are tuples of values in that
order (DMN's list of results, one column per output); ``collect`` returns rule order, priority and
output_order sort by the outputs' ``allowed`` lists (DMN output values: the first output that has
them, then the next; ties keep rule order). With no match the outputs are the default (DMN
default output entries) or null, for every policy (so a multi-hit column holds the default value
itself, not a list, on such rows). Aggregated collect is FEEL's sum/count/min/max of the matched
outputs: count counts matched rules and is 0 without a match (``count([])``); sum, min and max
are null without a match or when a matched output is null; a default replaces the no-match
result. Effective dates: a rule is active when ``as_of`` lies in both its own and its table's
period (both ends inclusive).

A unique table where several rules match a row, or an any table whose matching rules disagree,
raises RuleError naming the table, the rules and the row; with ``violations="null"`` such rows
get null outputs (not the default) and a null trace instead, as DMN engines such as Drools
report a hit-policy error and return null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import RuleError
from engine.rules import hits
from engine.rules.columns import object_column, scalar_column, trace_column
from engine.rules.conditions import Condition
from engine.rules.hits import Violations
from engine.rules.model import CompiledRule, CompiledTable, RuleSet, active_rules
from engine.rules.ordering import tables_in_effect
from engine.rules.values import to_float_array

__all__ = ["evaluate", "evaluate_record", "evaluate_table", "evaluate_table_record"]


@contextmanager
def _located(table: CompiledTable) -> Iterator[None]:
    """Give a rule error raised while evaluating ``table`` the table's id, file and line."""
    try:
        yield
    except RuleError as exc:
        if exc.table is not None:
            raise
        raise RuleError(
            exc.message,
            file=exc.file or table.file,
            rule_id=exc.rule_id,
            line=exc.line or table.line,
            table=table.id,
        ) from None


def _tables(rules: RuleSet | CompiledTable, as_of: dt.date) -> tuple[CompiledTable, ...]:
    if isinstance(rules, CompiledTable):
        return (rules,)
    return tables_in_effect(rules, as_of)


def evaluate(
    rules: RuleSet | CompiledTable,
    data: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    violations: Violations = "raise",
) -> pd.DataFrame:
    """Evaluate every table (dependency order) over ``data``; returns outputs and traces.

    ``as_of`` (default today) selects table versions and rules in effect. ``data`` is not changed.
    ``violations``: a row that violates a unique or any policy raises RuleError (``"raise"``), or
    gets null outputs and a null trace (``"null"``, as Drools reports the error and returns null;
    the DMN TCK has no case for a violated policy).
    """
    as_of = as_of or dt.date.today()
    columns: dict[str, pd.Series] = {}
    results: dict[str, pd.Series] = {}
    for table in _tables(rules, as_of):
        produced = evaluate_table(table, data, as_of=as_of, extra=columns, violations=violations)
        for name in produced.columns:
            columns[name] = produced[name]
            results[name] = produced[name]
    return pd.DataFrame(results, index=data.index)


def evaluate_record(
    rules: RuleSet | CompiledTable,
    record: Mapping[str, object],
    *,
    as_of: dt.date | None = None,
    violations: Violations = "raise",
) -> dict[str, object]:
    """Evaluate every table for one record (missing fields are null); agrees with
    :func:`evaluate`: lists are tuples, numbers int or float."""
    as_of = as_of or dt.date.today()
    current = dict(record)
    results: dict[str, object] = {}
    for table in _tables(rules, as_of):
        produced = evaluate_table_record(table, current, as_of=as_of, violations=violations)
        current.update(produced)
        results.update(produced)
    return results


# -- vectorised -------------------------------------------------------------------------------


class _Input:
    """One table input over all rows, with its float or factorised form computed once."""

    def __init__(self, series: pd.Series) -> None:
        self.series = series
        self.floats: np.ndarray | None = None
        self.codes: tuple[np.ndarray, np.ndarray] | None = None
        self.cache: dict[Condition, np.ndarray] = {}

    def mask(self, condition: Condition) -> np.ndarray:
        cached = self.cache.get(condition)
        if cached is not None:
            return cached
        mask = self._mask(condition)
        self.cache[condition] = mask
        return mask

    def _mask(self, condition: Condition) -> np.ndarray:
        series = self.series
        if condition.value_type == "number":
            if self.floats is None:
                self.floats = to_float_array(series, condition._error)
            result = condition.number_mask(self.floats)
            return result | np.isnan(self.floats) if condition.null else result
        if condition.value_type == "string" and (
            series.dtype == object or isinstance(series.dtype, pd.StringDtype | pd.CategoricalDtype)
        ):
            if self.codes is None:
                codes, found = pd.factorize(series, use_na_sentinel=True)
                self.codes = (np.asarray(codes), np.asarray(found, dtype=object))
            codes, uniques = self.codes
            lookup = np.fromiter((condition.matches(v) for v in uniques), bool, len(uniques))
            return np.append(lookup, condition.null)[codes]
        return condition.mask(series)


def _input_series(
    table: CompiledTable, data: pd.DataFrame, extra: Mapping[str, pd.Series], name: str
) -> pd.Series:
    if name in extra:
        return extra[name]
    if name in data.columns:
        return data[name]
    raise table.error(f"column {name!r} is missing from the data")


def _rule_masks(
    table: CompiledTable,
    rules: list[CompiledRule],
    data: pd.DataFrame,
    extra: Mapping[str, pd.Series],
) -> np.ndarray:
    length = len(data)
    prepared: list[_Input | None] = []
    for item in table.inputs:
        if all(rule.conditions[len(prepared)].is_any for rule in rules):
            prepared.append(None)
            continue
        if item.expression is None:
            series = _input_series(table, data, extra, item.name)
        else:
            frame = pd.DataFrame(
                {c: _input_series(table, data, extra, c) for c in sorted(item.expression.columns)},
                index=data.index,
            )
            series = item.expression.evaluate(frame)
        prepared.append(_Input(series))
    masks = np.ones((len(rules), length), dtype=bool)
    for k, rule in enumerate(rules):
        row = masks[k]
        for condition, column in zip(rule.conditions, prepared, strict=True):
            if column is not None and not condition.is_any:
                row &= column.mask(condition)
    return masks


def evaluate_table(
    table: CompiledTable,
    data: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    extra: Mapping[str, pd.Series] | None = None,
    violations: Violations = "raise",
) -> pd.DataFrame:
    """Evaluate one table; ``extra`` supplies columns (earlier tables' outputs) over ``data``'s.

    ``violations`` as in :func:`evaluate`."""
    as_of = as_of or dt.date.today()
    rules = active_rules(table, as_of)
    with _located(table):
        masks = _rule_masks(table, rules, data, extra or {})
    index = data.index
    policy = table.hit_policy
    ids = [rule.id for rule in rules]
    result: dict[str, pd.Series] = {}
    if policy.single:
        chosen = hits.single_hit(table, rules, masks, index, violations=violations)
        default = table.default or (None,) * len(table.outputs)
        # position -1 takes the last value (no match: the default), -2 the one before it (a
        # violated policy: null); that slot exists only when a row needs it
        violated = bool((chosen == hits.VIOLATED).any()) if violations == "null" else False
        for k, output in enumerate(table.outputs):
            values = [rule.outputs[k] for rule in rules] + [None] * violated + [default[k]]
            result[output.name] = scalar_column(output, values, chosen, index)
        result[table.trace_column] = trace_column(table.trace_column, ids, chosen, index)
        return pd.DataFrame(result, index=index)
    order = hits.result_order(table, rules)
    patterns, inverse = hits.match_patterns(masks[order])
    ordered = [rules[k] for k in order]
    traces = [tuple(ordered[j].id for j in np.flatnonzero(p)) for p in patterns]
    if table.aggregation is not None:
        output = table.outputs[0]
        result[output.name] = hits.aggregate(table, rules, masks, index)
    else:
        for k, output in enumerate(table.outputs):
            per_pattern = [
                hits.collect_values(table, k, [ordered[j] for j in np.flatnonzero(p)])
                for p in patterns
            ]
            result[output.name] = object_column(output.name, per_pattern, inverse, index)
    result[table.trace_column] = object_column(table.trace_column, traces, inverse, index)
    return pd.DataFrame(result, index=index)


# -- per record -------------------------------------------------------------------------------


def evaluate_table_record(
    table: CompiledTable,
    record: Mapping[str, object],
    *,
    as_of: dt.date | None = None,
    violations: Violations = "raise",
) -> dict[str, object]:
    """Evaluate one table for one record; the same semantics as :func:`evaluate_table`."""
    as_of = as_of or dt.date.today()
    rules = active_rules(table, as_of)
    values: list[object] = []
    for position, item in enumerate(table.inputs):
        if all(rule.conditions[position].is_any for rule in rules):
            values.append(None)
        elif item.expression is not None:
            values.append(item.expression.evaluate_record(record))
        else:
            values.append(record.get(item.name))
    with _located(table):
        matched = [
            rule
            for rule in rules
            if all(c.is_any or c.matches(v) for c, v in zip(rule.conditions, values, strict=True))
        ]
    policy = table.hit_policy
    default = table.default or (None,) * len(table.outputs)
    result: dict[str, Any] = {}
    if policy.single:
        try:
            rule = hits.single_hit_record(table, matched, record, violations=violations)
        except hits.PolicyViolated:
            result = {output.name: None for output in table.outputs}
            result[table.trace_column] = None
            return result
        for k, output in enumerate(table.outputs):
            result[output.name] = rule.outputs[k] if rule is not None else default[k]
        result[table.trace_column] = rule.id if rule is not None else None
        return result
    order = hits.result_order(table, rules)
    hit = {rule.position for rule in matched}
    ordered = [rules[k] for k in order if rules[k].position in hit]
    if table.aggregation is not None:
        result[table.outputs[0].name] = hits.aggregate_record(table, ordered)
    else:
        for k, output in enumerate(table.outputs):
            result[output.name] = hits.collect_values(table, k, ordered)
    result[table.trace_column] = tuple(rule.id for rule in ordered)
    return result
