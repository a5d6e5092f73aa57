"""Load-time checks of decision tables that need more than the schema: output values against
their type and ``allowed`` list, hit-policy requirements, and file-wide rules (table versions whose
periods overlap, outputs produced twice, cycles between tables)."""

from __future__ import annotations

import math
from typing import Any

from engine.errors import RuleError
from engine.rules.conditions import parse_condition
from engine.rules.model import CompiledOutput, CompiledTable, Finding, RuleSet
from engine.rules.ordering import dependency_order
from engine.rules.tables import Aggregation, DecisionTable, HitPolicy, InputColumn, OutputColumn

__all__ = [
    "check_policy",
    "check_value",
    "file_findings",
    "infer_input_type",
    "infer_output_type",
    "normalize_output",
]


def normalize_output(value: object) -> object:
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    if isinstance(value, list):
        return tuple(normalize_output(item) for item in value)
    return value


def check_value(output: CompiledOutput, value: object) -> str | None:
    """Why ``value`` does not fit ``output`` (None if it does)."""
    if value is None:
        return None
    if output.type == "list":
        if not isinstance(value, tuple):
            return f"output {output.name!r} expects a list, got {value!r}"
        items = value
    else:
        if isinstance(value, tuple):
            return f"output {output.name!r} expects a {output.type}, got a list"
        items = (value,)
    for item in items:
        if output.type == "number" and (
            isinstance(item, bool) or not isinstance(item, int | float)
        ):
            return f"output {output.name!r} expects a number, got {item!r}"
        if output.type == "string" and not isinstance(item, str):
            return f"output {output.name!r} expects text, got {item!r}"
        if output.type == "boolean" and not isinstance(item, bool):
            return f"output {output.name!r} expects true or false, got {item!r}"
        if output.allowed is not None and item not in output.allowed:
            allowed = ", ".join(map(str, output.allowed))
            return f"output {output.name!r}: {item!r} is not one of the allowed values ({allowed})"
    return None


def check_policy(model: DecisionTable, outputs: list[CompiledOutput], add: Any) -> None:
    policy, aggregation = model.hit_policy, model.aggregation
    if aggregation is not None and policy != HitPolicy.COLLECT:
        add("error", "policy", f"aggregation {aggregation.value!r} needs hit_policy collect")
    if aggregation is not None and len(outputs) != 1:
        add("error", "policy", "an aggregated collect table must have exactly one output")
    if (
        aggregation in (Aggregation.SUM, Aggregation.MIN, Aggregation.MAX)
        and outputs
        and any(o.type != "number" for o in outputs)
    ):
        add("error", "policy", f"aggregation {aggregation.value!r} needs a number output")
    if policy in (HitPolicy.PRIORITY, HitPolicy.OUTPUT_ORDER) and not any(
        o.allowed and o.type != "list" for o in outputs
    ):
        add(
            "error",
            "policy",
            f"hit policy {policy.value!r} needs an output with `allowed` "
            "values (their order is the priority)",
        )


def file_findings(ruleset: RuleSet) -> list[Finding]:
    findings: list[Finding] = []
    by_id: dict[str, list[CompiledTable]] = {}
    for table in ruleset.tables:
        by_id.setdefault(table.id, []).append(table)
    for table_id, versions in by_id.items():
        for i, first in enumerate(versions):
            for second in versions[i + 1 :]:
                start = (
                    max(
                        d
                        for d in (first.effective_from, second.effective_from, None)
                        if d is not None
                    )
                    if (first.effective_from or second.effective_from)
                    else None
                )
                ends = [d for d in (first.effective_until, second.effective_until) if d is not None]
                end = min(ends) if ends else None
                if start is None or end is None or start <= end:
                    findings.append(
                        Finding(
                            "error",
                            "duplicate",
                            f"table id {table_id!r} is used by tables whose "
                            "effective periods overlap",
                            ruleset.file,
                            table_id,
                            line=second.line,
                        )
                    )
    owners: dict[str, str] = {}
    for table in ruleset.tables:
        for name in table.result_columns:
            owner = owners.setdefault(name, table.id)
            if owner != table.id:
                findings.append(
                    Finding(
                        "error",
                        "duplicate",
                        f"output {name!r} is produced by tables {owner!r} and {table.id!r}",
                        ruleset.file,
                        table.id,
                        line=table.line,
                    )
                )
    try:
        dependency_order(ruleset.tables)
    except RuleError as exc:
        findings.append(
            Finding("error", "cycle", exc.message, ruleset.file, exc.table, line=exc.line)
        )
    return findings


def _one_kind(kinds: set[str], what: str) -> tuple[str, str | None]:
    if len(kinds) > 1:
        return "string", f"{what} mixes {' and '.join(sorted(kinds))} values; declare its type"
    return (kinds.pop() if kinds else "string"), None


def infer_input_type(
    spec: InputColumn, model: DecisionTable, expression_type: str | None
) -> tuple[str, str | None]:
    """An input's declared type, else its expression's, else its conditions'; and a problem."""
    if spec.type is not None:
        return spec.type, None
    if expression_type is not None:
        return expression_type, None
    if spec.expression is not None:
        return "number", None
    kinds: set[str] = set()
    for rule in model.rules:
        try:
            condition = parse_condition(rule.when.get(spec.name), column=spec.name)  # type: ignore[arg-type]
        except RuleError:
            continue  # reported with its rule and line when the rule is compiled
        if condition.value_type is not None:
            kinds.add(condition.value_type)
    return _one_kind(kinds, f"input {spec.name!r}")


def infer_output_type(spec: OutputColumn, model: DecisionTable) -> tuple[str, str | None]:
    """An output's declared type, else the type of its values; and a problem."""
    if spec.type is not None:
        return spec.type, None
    values = [rule.then.get(spec.name) for rule in model.rules]
    if model.default is not None:
        values.append(model.default.get(spec.name))
    kinds: set[str] = set()
    for value in values:
        if isinstance(value, list):
            kinds.add("list")
        elif isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, int | float):
            kinds.add("number")
        elif isinstance(value, str):
            kinds.add("string")
    return _one_kind(kinds, f"output {spec.name!r}")
