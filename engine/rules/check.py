"""Static checker of decision-table files (``salesnet rules check``).

Besides every load-time problem (YAML, schema, condition syntax, type mismatches, unknown columns,
outputs outside ``allowed``, duplicate ids, cycles), it reports, analytically from the conditions
(not from sample data):

* ``overlap`` (error) — unique tables: two rules in effect at the same time whose conditions
  intersect on every input; any tables: the same, when their outputs differ;
* ``gap`` — input regions (numeric pieces between boundaries, within ``min``/``max``; declared
  ``values`` of text inputs; booleans) no rule covers. Error for single-hit tables without a
  default, warning otherwise (the default or null is used there);
* ``unreachable`` (warning) — first tables: a rule whose whole region earlier rules cover; any
  table: a rule whose conditions match nothing (e.g. a backwards range ``[10..1]``, empty in
  FEEL), or whose dates lie outside the table's; ``empty-range`` (warning) — an empty range inside
  a cell that matches through its other items (``[10..1], 20``) or is negated;
* ``unknown-column`` (error) — with ``columns`` (a dataset's column names), inputs that are
  neither data columns nor earlier tables' outputs; ``unknown-value`` (warning) — a text condition
  names a value outside the input's declared ``values``; ``input-reference`` (warning) — an
  unquoted word in a text condition names another input (DMN would read it as that input's value);
  ``name-reference`` (warning) — an unquoted dotted word (``Complex.aString``), a qualified name
  in DMN; ``null-cell`` (warning) — a ``when`` cell that YAML reads as null (unquoted ``null``,
  ``~`` or nothing), which means any value, where DMN's null test is the quoted ``"null"``.

Gap and shadow analysis runs once per period in which a different set of rules is in effect.

Incentive-plan and risk-response files (``kind: incentive_plans`` / ``risk_responses``) are
checked against their own schema instead: every schema problem, every SPIFF, gate and ``when``
condition and every risk expression that does not compile, and embedded examples naming a plan
the file lacks — each with file, line and plan or rule id.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from typing import Any, Literal, cast

import numpy as np
from pydantic import BaseModel, ValidationError

from engine.errors import RuleError
from engine.rules._validation import _data_loc, _rule_id
from engine.rules.conditions import Cell, Condition, parse_condition
from engine.rules.expressions import parse_expression
from engine.rules.incentives import IncentiveFile, TieredPlan, parse_incentives
from engine.rules.loader import compile_rules, null_cell_message
from engine.rules.model import CompiledRule, CompiledTable, Finding, RuleSet, in_effect
from engine.rules.regions import (
    Piece,
    cell_index,
    conditions_intersect,
    input_pieces,
    merged_regions,
    rule_cover,
)
from engine.rules.risk import RiskFile, check_unique_ids, parse_risk
from engine.rules.tables import HitPolicy
from engine.yamlio import line_at, load_yaml_file

__all__ = ["DECISION_KINDS", "PLAN_KINDS", "check_file", "check_plans_file", "check_ruleset"]

#: ``kind`` values of decision-table files (a file without ``kind`` is one decision table).
DECISION_KINDS = ("decision_table", "decision_tables")
#: ``kind`` values of the other rule files, and the command that uses each.
PLAN_KINDS = {
    "incentive_plans": "`salesnet payouts`",
    "risk_responses": "scenarios (`rules: risk:`) in `salesnet plan` and `salesnet batch`",
}

MAX_CELLS = 200_000
MAX_LISTED = 10


def check_file(
    path: str | os.PathLike[str], *, columns: Iterable[str] | None = None
) -> list[Finding]:
    """Every finding for one rule file, sorted by line."""
    name = str(path)
    try:
        raw = load_yaml_file(path)
    except RuleError as exc:
        return [Finding("error", "yaml", exc.message, name, line=exc.line)]
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if isinstance(kind, str) and kind in PLAN_KINDS:
        return _sorted(check_plans_file(raw, file=name))
    if isinstance(raw, dict) and "kind" in raw and kind not in DECISION_KINDS:
        known = ", ".join((*DECISION_KINDS, *PLAN_KINDS))
        message = f"kind: expected one of {known}; got {kind!r}"
        return [Finding("error", "schema", message, name, line=line_at(raw, ("kind",)))]
    ruleset, findings = compile_rules(raw, file=name)
    if ruleset is not None:
        broken = {f.table for f in findings if f.severity == "error"}
        findings.extend(check_ruleset(ruleset, columns=columns, skip=broken))
    return _sorted(findings)


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.line or 0, f.severity, f.code, f.message))


def check_plans_file(raw: dict[str, Any], *, file: str | None = None) -> list[Finding]:
    """Every problem of a loaded incentive-plan or risk-response file (by its ``kind``)."""
    kind = raw.get("kind")
    model: type[BaseModel] = IncentiveFile if kind == "incentive_plans" else RiskFile
    try:
        if model is RiskFile:
            check_unique_ids(raw, file)  # named at its line, which the model cannot
    except RuleError as exc:
        return [_error_finding(exc, "schema")]
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        return [_schema_finding(raw, item, file) for item in exc.errors(include_url=False)]
    if isinstance(parsed, IncentiveFile):
        findings = _incentive_findings(parsed, raw, file)
    else:
        assert isinstance(parsed, RiskFile)
        findings = _risk_findings(parsed, raw, file)
    if not findings:  # whatever else the loader itself refuses
        try:
            if isinstance(parsed, IncentiveFile):
                parse_incentives(raw, file=file)
            else:
                parse_risk(raw, file=file)
        except RuleError as exc:
            findings.append(_error_finding(exc, "schema"))
    return findings


def _schema_finding(raw: Any, item: Any, file: str | None) -> Finding:
    loc = _data_loc(raw, tuple(item["loc"]))
    where = ".".join(str(step) for step in loc) or "<file>"
    message = str(item["msg"]).removeprefix("Value error, ")
    return Finding(
        "error", "schema", f"{where}: {message}", file, None, _rule_id(raw, loc), line_at(raw, loc)
    )


def _error_finding(exc: RuleError, code: str) -> Finding:
    return Finding("error", code, exc.message, exc.file, exc.table, exc.rule_id, exc.line)


def _condition_problem(
    cell: object, *, column: str, file: str | None, rule_id: str, line: int | None
) -> list[Finding]:
    if cell is None:
        return [
            Finding("warning", "null-cell", null_cell_message(column), file, None, rule_id, line)
        ]
    try:
        condition = parse_condition(
            cast(Cell, cell), column=column, file=file, rule_id=rule_id, line=line
        )
    except RuleError as exc:
        return [_error_finding(exc, "syntax")]
    if condition.empty_ranges:
        message = f"rule {rule_id!r} has {_empty_ranges(condition)}"
        return [Finding("warning", "empty-range", message, file, None, rule_id, line)]
    return []


def _incentive_findings(plans: IncentiveFile, raw: Any, file: str | None) -> list[Finding]:
    findings: list[Finding] = []
    for p_index, plan in enumerate(plans.plans):
        if not isinstance(plan, TieredPlan):
            continue
        for s_index, spiff in enumerate(plan.spiffs):
            for column, cell in spiff.when.items():
                where = ("plans", p_index, "spiffs", s_index, "when", column)
                findings += _condition_problem(
                    cell, column=column, file=file, rule_id=spiff.id, line=line_at(raw, where)
                )
        for g_index, gate in enumerate(plan.gates):
            gate_line = line_at(raw, ("plans", p_index, "gates", g_index, "when"))
            findings += _condition_problem(
                gate.when, column=gate.metric, file=file, rule_id=plan.id, line=gate_line
            )
    known = [plan.id for plan in plans.plans]
    for t_index, test in enumerate(plans.tests):
        if test.input.plan not in known:
            findings.append(
                Finding(
                    "error",
                    "test",
                    f"tests.{t_index}: no plan {test.input.plan!r} (plans: {', '.join(known)})",
                    file,
                    line=line_at(raw, ("tests", t_index, "input", "plan")),
                )
            )
    return findings


def _risk_findings(rules: RiskFile, raw: Any, file: str | None) -> list[Finding]:
    findings: list[Finding] = []
    for index, rule in enumerate(rules.rules):
        for column, cell in rule.when.items():
            where = ("rules", index, "when", column)
            findings += _condition_problem(
                cell, column=column, file=file, rule_id=rule.id, line=line_at(raw, where)
            )
        if rule.expression is not None:
            line = line_at(raw, ("rules", index, "expression"))
            try:
                parse_expression(rule.expression, file=file, rule_id=rule.id, line=line)
            except RuleError as exc:
                findings.append(_error_finding(exc, "expression"))
    return findings


def check_ruleset(
    ruleset: RuleSet, *, columns: Iterable[str] | None = None, skip: Iterable[str | None] = ()
) -> list[Finding]:
    """Analytic findings for compiled tables (tables named in ``skip`` are left out)."""
    findings: list[Finding] = []
    skipped = set(skip)
    if columns is not None:
        findings.extend(_unknown_columns(ruleset, set(columns)))
    for table in ruleset.tables:
        if table.id in skipped:
            continue
        findings.extend(_values_outside_domain(table))
        findings.extend(_names_read_as_text(table))
        findings.extend(_overlaps(table))
        seen: set[str] = set()
        for rules in _periods(table):
            for finding in _coverage(table, rules):
                if finding.message not in seen:
                    seen.add(finding.message)
                    findings.append(finding)
    return findings


def _finding(
    table: CompiledTable,
    severity: Literal["error", "warning"],
    code: str,
    message: str,
    rule: CompiledRule | None = None,
) -> Finding:
    return Finding(
        severity,
        code,
        message,
        table.file,
        table.id,
        rule.id if rule else None,
        rule.line if rule else table.line,
    )


def _unknown_columns(ruleset: RuleSet, columns: set[str]) -> list[Finding]:
    produced = {o.name for t in ruleset.tables for o in t.outputs}
    findings = []
    for table in ruleset.tables:
        for item in table.inputs:
            needed = [item.name] if item.expression is None else sorted(item.expression.columns)
            for name in needed:
                if name not in columns and name not in produced:
                    findings.append(
                        Finding(
                            "error",
                            "unknown-column",
                            f"input {item.name!r} reads column {name!r}, which is not in the data",
                            table.file,
                            table.id,
                            line=item.line,
                        )
                    )
    return findings


def _values_outside_domain(table: CompiledTable) -> list[Finding]:
    findings = []
    for position, item in enumerate(table.inputs):
        if item.type != "string" or item.values is None:
            continue
        for rule in table.rules:
            condition = rule.conditions[position]
            listed = set(condition.values)
            if condition.text_ranges:  # single values were merged into the ranges as points
                listed = {r.low for r in condition.text_ranges if r.low is not None and r.is_point}
                if not condition.negated and not any(
                    condition.matches(value) for value in item.values
                ):
                    findings.append(
                        _finding(
                            table,
                            "warning",
                            "unknown-value",
                            f"{item.name}: {condition.source!r} matches none of the input's values",
                            rule,
                        )
                    )
            unknown = sorted(str(v) for v in listed if v not in item.values)
            if unknown:
                findings.append(
                    _finding(
                        table,
                        "warning",
                        "unknown-value",
                        f"{item.name}: {', '.join(map(repr, unknown))} not among "
                        "the input's values",
                        rule,
                    )
                )
    return findings


_QUALIFIED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


def _names_read_as_text(table: CompiledTable) -> list[Finding]:
    """Unquoted words in cells that DMN reads as names, not text: another input of the table
    (``> numB``, ``not(region2)``: that input's value) or a qualified name (``Complex.aString``:
    a variable's field). salesnet reads both as text."""
    names = {item.name for item in table.inputs}
    findings = []
    for position, item in enumerate(table.inputs):
        for rule in table.rules:
            for word in rule.conditions[position].bare_words:
                if word in names - {item.name}:
                    code, meaning = "input-reference", f"the value of input {word!r}"
                    hint = "cells cannot refer to other inputs"
                elif _QUALIFIED_NAME.fullmatch(word):
                    code, meaning = "name-reference", "a qualified name (a variable's field)"
                    hint = "cells cannot refer to variables"
                else:
                    continue
                findings.append(
                    _finding(
                        table,
                        "warning",
                        code,
                        f"{item.name}: the unquoted {word!r} is the text {word!r}, not "
                        f"{meaning} as in DMN ({hint}; quote it to mean the text)",
                        rule,
                    )
                )
    return findings


def _windows_meet(a: CompiledRule, b: CompiledRule) -> bool:
    start = max((d for d in (a.effective_from, b.effective_from) if d), default=None)
    end = min((d for d in (a.effective_until, b.effective_until) if d), default=None)
    return start is None or end is None or start <= end


def _overlaps(table: CompiledTable) -> list[Finding]:
    if table.hit_policy not in (HitPolicy.UNIQUE, HitPolicy.ANY):
        return []
    findings = []
    rules = table.rules
    for i, first in enumerate(rules):
        for second in rules[i + 1 :]:
            if table.hit_policy == HitPolicy.ANY and first.outputs == second.outputs:
                continue
            if not _windows_meet(first, second):
                continue
            if all(
                conditions_intersect(a, b)
                for a, b in zip(first.conditions, second.conditions, strict=True)
            ):
                what = "" if table.hit_policy == HitPolicy.UNIQUE else " with different outputs"
                findings.append(
                    _finding(
                        table,
                        "error",
                        "overlap",
                        f"rules {first.id!r} and {second.id!r} can both match{what} "
                        f"(hit policy {table.hit_policy.value}); "
                        f"e.g. {_witness(table, first, second)}",
                        second,
                    )
                )
    return findings


def _witness(table: CompiledTable, first: CompiledRule, second: CompiledRule) -> str:
    parts = []
    for item, a, b in zip(table.inputs, first.conditions, second.conditions, strict=True):
        if a.is_any and b.is_any:
            continue
        parts.append(
            f"{item.name} {b.source if a.is_any else a.source}"
            if a.is_any or b.is_any
            else f"{item.name} in both {a.source} and {b.source}"
        )
    return "; ".join(parts) or "any record"


def _periods(table: CompiledTable) -> list[list[CompiledRule]]:
    """The distinct sets of rules in effect over time (within the table's own period)."""
    dates: set[dt.date] = {dt.date.min}
    for rule in table.rules:
        if rule.effective_from:
            dates.add(rule.effective_from)
        if rule.effective_until and rule.effective_until < dt.date.max:
            dates.add(rule.effective_until + dt.timedelta(days=1))
    sets: list[list[CompiledRule]] = []
    for day in sorted(dates):
        if not in_effect(table.effective_from, table.effective_until, day) and (
            table.effective_from is None or day > table.effective_from
        ):
            continue
        day = max(day, table.effective_from or day)
        active = [rule for rule in table.rules if rule.active(day)]
        if active not in sets:
            sets.append(active)
    return sets


def _coverage(table: CompiledTable, rules: list[CompiledRule]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in table.rules:
        dead = [c for c in rule.conditions if c.matches_nothing]
        if dead:
            findings.append(
                _finding(
                    table,
                    "warning",
                    "unreachable",
                    f"rule {rule.id!r} can never fire: a condition matches nothing"
                    + "".join(f"; it has {_empty_ranges(c)}" for c in dead if c.empty_ranges),
                    rule,
                )
            )
        for condition in rule.conditions:
            if condition.empty_ranges and not condition.matches_nothing:
                findings.append(
                    _finding(
                        table,
                        "warning",
                        "empty-range",
                        f"rule {rule.id!r} has {_empty_ranges(condition)}",
                        rule,
                    )
                )
        if not _windows_meet_table(table, rule):
            findings.append(
                _finding(
                    table,
                    "warning",
                    "unreachable",
                    f"rule {rule.id!r} is never in effect while the table is",
                    rule,
                )
            )
    pieces = [
        input_pieces(item, [r.conditions[k] for r in table.rules])
        for k, item in enumerate(table.inputs)
    ]
    cells = int(np.prod([len(p) for p in pieces]))
    if cells > MAX_CELLS or any(len(p) == 0 for p in pieces):
        if cells > MAX_CELLS:
            findings.append(
                _finding(
                    table,
                    "warning",
                    "too-large",
                    f"{cells} input regions: gap and shadow analysis skipped",
                )
            )
        return findings
    cover = rule_cover(rules, pieces)
    covered = cover.any(axis=0) if len(rules) else np.zeros(cells, dtype=bool)
    gaps = [
        int(c)
        for c in np.flatnonzero(~covered)
        if not any(pieces[d][i].is_null for d, i in enumerate(cell_index(pieces, int(c))))
    ]
    if gaps:
        severity: Literal["error", "warning"] = (
            "error" if table.hit_policy.single and table.default is None else "warning"
        )
        regions = merged_regions(pieces, [int(c) for c in gaps])
        listed = [_describe(table, pieces, texts) for texts in regions[:MAX_LISTED]]
        more = f" and {len(regions) - MAX_LISTED} more" if len(regions) > MAX_LISTED else ""
        fallback = "the default applies" if table.default is not None else "outputs are null"
        findings.append(
            _finding(
                table,
                severity,
                "gap",
                f"no rule covers {len(regions)} input region(s) ({fallback}): "
                + "; ".join(listed)
                + more,
            )
        )
    if table.hit_policy == HitPolicy.FIRST:
        earlier = np.zeros(cells, dtype=bool)
        for k, rule in enumerate(rules):
            mine = cover[k]
            if mine.any() and not (mine & ~earlier).any():
                findings.append(
                    _finding(
                        table,
                        "warning",
                        "unreachable",
                        f"rule {rule.id!r} can never fire: earlier rules cover "
                        "all of its conditions (hit policy first)",
                        rule,
                    )
                )
            earlier |= mine
    return findings


def _empty_ranges(condition: Condition) -> str:
    """``an empty range in x: [10..1], which …``, to follow "rule 'r' has"."""
    ranges = ", ".join(condition.empty_ranges)
    what, verb = (
        ("empty ranges", "match")
        if len(condition.empty_ranges) > 1
        else ("an empty range", "matches")
    )
    return (
        f"{what} in {condition.column}: {ranges}, which {verb} no value "
        "(a FEEL range runs from low to high)"
    )


def _windows_meet_table(table: CompiledTable, rule: CompiledRule) -> bool:
    starts = [d for d in (rule.effective_from, table.effective_from) if d]
    ends = [d for d in (rule.effective_until, table.effective_until) if d]
    return not starts or not ends or max(starts) <= min(ends)


def _describe(table: CompiledTable, pieces: list[list[Piece]], texts: list[str]) -> str:
    parts = [
        f"{item.name} {text}"
        for item, dimension, text in zip(table.inputs, pieces, texts, strict=True)
        if len(dimension) > 1
    ]
    return " and ".join(parts) or "every record"
