"""Load a decision-table file: safe YAML -> pydantic model -> compiled :class:`RuleSet`.

:func:`load_rules` raises :class:`RuleError` (file, table, rule id, line) at the first problem;
:func:`compile_rules` collects every problem as :class:`Finding` for the checker.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ValidationError

from engine.errors import RuleError
from engine.rules.conditions import Condition, parse_condition
from engine.rules.expressions import parse_expression
from engine.rules.model import (
    CompiledInput,
    CompiledOutput,
    CompiledRule,
    CompiledTable,
    Finding,
    RuleSet,
)
from engine.rules.table_checks import (
    check_policy,
    check_value,
    file_findings,
    infer_input_type,
    infer_output_type,
    normalize_output,
)
from engine.rules.tables import DecisionTable, DecisionTableSet
from engine.yamlio import line_at, load_yaml, load_yaml_file

__all__ = ["compile_rules", "load_rules", "null_cell_message", "parse_rules"]


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Read, validate and compile a decision-table file; the first problem raises RuleError."""
    name = str(path)
    return _strict(load_yaml_file(path), name)


def parse_rules(text: str, *, file: str | None = None) -> RuleSet:
    """Like :func:`load_rules` for YAML text."""
    return _strict(load_yaml(text, file=file), file)


def _strict(raw: Any, file: str | None) -> RuleSet:
    ruleset, findings = compile_rules(raw, file=file)
    errors = [f for f in findings if f.severity == "error"]
    if errors or ruleset is None:
        first = errors[0]
        error = first.to_error()
        if len(errors) > 1:
            error = RuleError(
                f"{first.message} (and {len(errors) - 1} more problem(s); "
                "run `salesnet rules check` to list them)",
                file=first.file,
                rule_id=first.rule_id,
                line=first.line,
                table=first.table,
            )
        raise error
    return ruleset


def null_cell_message(column: str) -> str:
    """The warning for a ``when`` cell that YAML reads as null (``null``, ``~`` or nothing)."""
    return (
        f"`when` {column}: an unquoted null, ~ or empty cell is a YAML null and matches any "
        'value; write "-" for any value, or the quoted "null" for the DMN null test'
    )


def _rule_id_at(raw: Any, loc: Sequence[Any]) -> tuple[str | None, str | None]:
    """The table id and rule id a validation location falls in, read from the raw data."""
    table_id = rule_id = None
    node = raw
    for step, nxt in zip(loc, [*loc[1:], None], strict=True):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if (
            isinstance(node, dict)
            and nxt is not None
            and step != "rules"
            and isinstance(node.get("id"), str)
            and ("rules" in node or "hit_policy" in node or "inputs" in node)
        ):
            table_id = node["id"]
        if step == "rules" and isinstance(nxt, int):
            try:
                candidate = node[nxt].get("id")
            except (IndexError, AttributeError):
                candidate = None
            rule_id = candidate if isinstance(candidate, str) else None
    if (
        isinstance(raw, dict)
        and raw.get("kind") != "decision_tables"
        and isinstance(raw.get("id"), str)
    ):
        table_id = table_id or raw["id"]
    return table_id, rule_id


def compile_rules(raw: Any, *, file: str | None = None) -> tuple[RuleSet | None, list[Finding]]:
    """Validate and compile parsed YAML; returns the rule set (None if unusable) and findings."""
    findings: list[Finding] = []
    if not isinstance(raw, dict):
        findings.append(
            Finding(
                "error",
                "format",
                "a rule file must be a YAML mapping",
                file,
                line=getattr(raw, "line", None) or 1,
            )
        )
        return None, findings
    kind = raw.get("kind", "decision_table")
    model_type: Any = DecisionTableSet if kind == "decision_tables" else DecisionTable
    try:
        model = model_type.model_validate(raw)
    except ValidationError as exc:
        for item in exc.errors(include_url=False):
            loc = tuple(item["loc"])
            table_id, rule_id = _rule_id_at(raw, loc)
            where = ".".join(str(step) for step in loc) or "file"
            findings.append(
                Finding(
                    "error",
                    "schema",
                    f"{where}: {item['msg']}",
                    file,
                    table_id,
                    rule_id,
                    line_at(raw, loc),
                )
            )
        return None, findings
    prefix: tuple[str, ...] = ()
    test_prefix: tuple[str, ...] = ()
    if isinstance(model, DecisionTableSet):
        models, prefix = list(model.tables), ("tables",)
        tests, test_prefix = list(model.tests), ("tests",)
    else:
        models, tests = [model], []
    tables: list[CompiledTable] = []
    for index, table_model in enumerate(models):
        path = (*prefix, index) if prefix else ()
        tables.append(_compile_table(table_model, raw, path, file, findings))
    test_lines = tuple(line_at(raw, (*test_prefix, i)) for i in range(len(tests)))
    ruleset = RuleSet(
        tables=tuple(tables),
        file=file,
        id=getattr(model, "id", None),
        tests=tuple(tests),
        test_lines=test_lines,
    )
    findings.extend(file_findings(ruleset))
    return ruleset, findings


def _compile_table(
    model: DecisionTable,
    raw: Any,
    path: tuple[Any, ...],
    file: str | None,
    findings: list[Finding],
) -> CompiledTable:
    table_line = line_at(raw, (*path, "id"))

    def add(
        severity: Literal["error", "warning"],
        code: str,
        message: str,
        rule_id: str | None = None,
        line: int | None = None,
    ) -> None:
        findings.append(
            Finding(
                severity,
                code,
                message,
                file,
                model.id,
                rule_id,
                line if line is not None else table_line,
            )
        )

    inputs: list[CompiledInput] = []
    for i, spec in enumerate(model.inputs):
        line = line_at(raw, (*path, "inputs", i))
        expression = None
        kind = None
        if spec.expression is not None:
            try:
                expression = parse_expression(spec.expression, file=file, line=line)
                kind = expression.result_type({})
                if kind is not None and spec.type is not None and kind != spec.type:
                    add(
                        "error",
                        "type",
                        f"input {spec.name!r} is declared {spec.type} but its "
                        f"expression gives {kind}",
                        line=line,
                    )
            except RuleError as exc:
                add("error", "expression", exc.message, line=line)
        values = None
        if spec.values is not None:
            values = tuple(normalize_output(v) for v in spec.values)
        input_type, problem = infer_input_type(spec, model, kind)
        if problem:
            add("error", "type", problem, line=line)
        inputs.append(
            CompiledInput(spec.name, input_type, expression, values, line, spec.min, spec.max)
        )
    names = [i.name for i in inputs]
    for name in {n for n in names if names.count(n) > 1}:
        add("error", "duplicate", f"input {name!r} is declared twice")
    outputs = []
    for i, out in enumerate(model.outputs):
        allowed = tuple(normalize_output(v) for v in out.allowed) if out.allowed else None
        output_line = line_at(raw, (*path, "outputs", i))
        output_type, problem = infer_output_type(out, model)
        if problem:
            add("error", "type", problem, line=output_line)
        outputs.append(CompiledOutput(out.name, output_type, allowed, output_line))
    out_names = [o.name for o in outputs]
    for name in {n for n in out_names if out_names.count(n) > 1}:
        add("error", "duplicate", f"output {name!r} is declared twice")
    check_policy(model, outputs, add)

    rules: list[CompiledRule] = []
    seen: set[str] = set()
    for position, rule in enumerate(model.rules):
        rule_path = (*path, "rules", position)
        rule_line = line_at(raw, rule_path)
        if rule.id in seen:
            add("error", "duplicate", f"rule id {rule.id!r} is used twice", rule.id, rule_line)
        seen.add(rule.id)
        conditions: list[Condition] = []
        for item in inputs:
            cell_line = line_at(raw, (*rule_path, "when", item.name))
            try:
                condition = parse_condition(
                    rule.when.get(item.name),  # type: ignore[arg-type]
                    column=item.name,
                    file=file,
                    rule_id=rule.id,
                    line=cell_line,
                )
            except RuleError as exc:
                add("error", "syntax", exc.message, rule.id, cell_line)
                condition = parse_condition(None, column=item.name)
            if condition.value_type is not None and condition.value_type != item.type:
                add(
                    "error",
                    "type",
                    f"input {item.name!r} is {item.type} but condition "
                    f"{condition.source!r} tests {condition.value_type}",
                    rule.id,
                    cell_line,
                )
            conditions.append(condition)
        for column, cell in rule.when.items():
            if cell is None:
                add(
                    "warning",
                    "null-cell",
                    null_cell_message(column),
                    rule.id,
                    line_at(raw, (*rule_path, "when", column)),
                )
            if column not in names:
                add(
                    "error",
                    "unknown-column",
                    f"`when` names {column!r}, which is not an input (inputs: {', '.join(names)})",
                    rule.id,
                    line_at(raw, (*rule_path, "when", column)),
                )
        outputs_of_rule: list[object] = []
        for output in outputs:
            value = normalize_output(rule.then.get(output.name))
            problem = check_value(output, value)
            if problem:
                add(
                    "error",
                    "output",
                    problem,
                    rule.id,
                    line_at(raw, (*rule_path, "then", output.name)),
                )
            outputs_of_rule.append(value)
        for column in rule.then:
            if column not in out_names:
                add(
                    "error",
                    "unknown-column",
                    f"`then` names {column!r}, which is not an output",
                    rule.id,
                    line_at(raw, (*rule_path, "then", column)),
                )
        if (
            rule.effective_from
            and rule.effective_until
            and rule.effective_from > rule.effective_until
        ):
            add("error", "dates", "effective_from is after effective_until", rule.id, rule_line)
        rules.append(
            CompiledRule(
                rule.id,
                position,
                tuple(conditions),
                tuple(outputs_of_rule),
                rule.effective_from,
                rule.effective_until,
                rule_line,
            )
        )
    default = None
    if model.default is not None:
        default_line = line_at(raw, (*path, "default"))
        default = tuple(normalize_output(model.default.get(o.name)) for o in outputs)
        for output, value in zip(outputs, default, strict=True):
            problem = check_value(output, value)
            if problem:
                add("error", "output", f"default: {problem}", line=default_line)
        for column in model.default:
            if column not in out_names:
                add(
                    "error",
                    "unknown-column",
                    f"default names {column!r}, not an output",
                    line=default_line,
                )
    if (
        model.effective_from
        and model.effective_until
        and model.effective_from > model.effective_until
    ):
        add("error", "dates", "effective_from is after effective_until")
    return CompiledTable(
        id=model.id,
        hit_policy=model.hit_policy,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        rules=tuple(rules),
        aggregation=model.aggregation,
        default=default,
        effective_from=model.effective_from,
        effective_until=model.effective_until,
        tests=tuple(model.tests),
        test_lines=tuple(line_at(raw, (*path, "tests", i)) for i in range(len(model.tests))),
        file=file,
        line=table_line,
    )
