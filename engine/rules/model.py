"""Compiled, immutable decision tables (what evaluation and the checker work on) and findings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from engine.errors import RuleError
from engine.rules.conditions import Condition
from engine.rules.expressions import Expression
from engine.rules.tables import Aggregation, HitPolicy, RuleTest

__all__ = [
    "CompiledInput",
    "CompiledOutput",
    "CompiledRule",
    "CompiledTable",
    "Finding",
    "RuleSet",
    "active_rules",
    "in_effect",
]


def in_effect(start: dt.date | None, end: dt.date | None, as_of: dt.date) -> bool:
    """True when ``as_of`` lies in [start, end] (both inclusive, None = open)."""
    return (start is None or start <= as_of) and (end is None or as_of <= end)


def active_rules(table: CompiledTable, as_of: dt.date) -> list[CompiledRule]:
    """Rules in effect at ``as_of``: a table's own period applies to each of its rules."""
    if not in_effect(table.effective_from, table.effective_until, as_of):
        return []
    return [rule for rule in table.rules if rule.active(as_of)]


@dataclass(frozen=True)
class Finding:
    """One problem the loader or checker found; errors make a file unusable, warnings do not."""

    severity: Literal["error", "warning"]
    code: str
    message: str
    file: str | None = None
    table: str | None = None
    rule_id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<rules>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where, f"{self.severity}[{self.code}]"]
        if self.table is not None:
            parts.append(f"table {self.table!r}")
        if self.rule_id is not None:
            parts.append(f"rule {self.rule_id!r}")
        return (
            " ".join(parts[:2])
            + (" " + ", ".join(parts[2:]) if parts[2:] else "")
            + (": " + self.message)
        )

    def to_error(self) -> RuleError:
        """The finding as a RuleError."""
        return RuleError(
            self.message, file=self.file, rule_id=self.rule_id, line=self.line, table=self.table
        )


@dataclass(frozen=True)
class CompiledInput:
    name: str
    type: str
    expression: Expression | None = None
    values: tuple[object, ...] | None = None
    line: int | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class CompiledOutput:
    name: str
    type: str
    allowed: tuple[object, ...] | None = None
    line: int | None = None

    def rank(self, value: object) -> int:
        """Priority rank of a value (0 = highest); unknown values and null rank last."""
        if self.allowed is None or value is None:
            return len(self.allowed or ())
        try:
            return self.allowed.index(value)
        except ValueError:
            return len(self.allowed)


@dataclass(frozen=True)
class CompiledRule:
    id: str
    position: int
    conditions: tuple[Condition, ...]  # one per table input, "any" where the rule is silent
    outputs: tuple[object, ...]  # one per table output; lists as tuples
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    line: int | None = None

    def active(self, as_of: dt.date) -> bool:
        return in_effect(self.effective_from, self.effective_until, as_of)


@dataclass(frozen=True)
class CompiledTable:
    id: str
    hit_policy: HitPolicy
    inputs: tuple[CompiledInput, ...]
    outputs: tuple[CompiledOutput, ...]
    rules: tuple[CompiledRule, ...]
    aggregation: Aggregation | None = None
    default: tuple[object, ...] | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    tests: tuple[RuleTest, ...] = ()
    test_lines: tuple[int | None, ...] = ()
    file: str | None = None
    line: int | None = None

    @property
    def trace_column(self) -> str:
        """Name of the explanation column: the matched rule id(s) per row."""
        return f"{self.id}_rule"

    @property
    def needs(self) -> frozenset[str]:
        """Columns the table reads (plain inputs and the columns of derived inputs)."""
        names: set[str] = set()
        for item in self.inputs:
            if item.expression is None:
                names.add(item.name)
            else:
                names |= item.expression.columns
        return frozenset(names)

    @property
    def result_columns(self) -> tuple[str, ...]:
        return (*(o.name for o in self.outputs), self.trace_column)

    def error(self, message: str, *, rule_id: str | None = None) -> RuleError:
        line = self.line
        if rule_id is not None:
            line = next((r.line for r in self.rules if r.id == rule_id), line)
        return RuleError(message, file=self.file, table=self.id, rule_id=rule_id, line=line)


@dataclass(frozen=True)
class RuleSet:
    """The compiled tables of one file, in file order, plus the file-level tests."""

    tables: tuple[CompiledTable, ...]
    file: str | None = None
    id: str | None = None
    tests: tuple[RuleTest, ...] = ()
    test_lines: tuple[int | None, ...] = field(default=())
