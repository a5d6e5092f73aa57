"""The decision-table file format: pydantic models (the single source of truth and JSON Schema).

A file holds one table (``kind: decision_table``) or several that chain (``kind: decision_tables``
with ``tables: [...]``; a table may use earlier tables' outputs as inputs)::

    kind: decision_table
    id: tiering
    hit_policy: first   # unique | any | priority | first | rule_order | output_order | collect
    aggregation: null            # with collect only: sum | count | min | max
    inputs:
      - {name: revenue_12m, type: number, min: 0}               # a data column; min/max: domain
      - {name: segment, type: string, values: [Enterprise, SMB]}  # values: the domain (gap checks)
      - {name: rfm, type: number, expression: "r + f + m"}       # a derived field
    outputs:
      - {name: tier, type: string, allowed: [A, B, C, D]}        # allowed: also the priority order
      - {name: calls_per_quarter, type: number}
      - {name: eligible_channels, type: list, allowed: [direct_field, inside, online]}
    default: {tier: D, calls_per_quarter: 0, eligible_channels: [online]}
    effective_from: 2026-01-01   # inclusive; effective_until is inclusive too
    rules:
      - id: A1
        when: {revenue_12m: ">= 1000000", segment: "Enterprise, Public"}
        then: {tier: A, calls_per_quarter: 6, eligible_channels: [direct_field, inside]}
    tests:
      - {input: {revenue_12m: 2000000, segment: Enterprise}, expect: {tier: A, tiering_rule: A1}}

``when`` cells use the condition grammar of :mod:`engine.rules.conditions` (DMN unary tests, with
FEEL's null semantics: ``!= 5`` and ``not("Gov")`` match null, ``< 5`` does not); quote cells that
start with ``>``, ``<``, ``[``, ``-`` or ``"`` in YAML. A column left out of ``when`` matches
anything. ``then`` values are literals checked against the output's type and ``allowed`` values;
an output left out of ``then`` is null. ``type`` may be omitted: it is then inferred from the
expression, the conditions or the output values. A rule is active when the as-of date lies in both
its own and its table's period (ends inclusive). Several tables may share an id when their periods
do not overlap; the one in effect is used (none in effect: no rule applies, so the default or null
results).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Aggregation",
    "DecisionTable",
    "DecisionTableSet",
    "HitPolicy",
    "InputColumn",
    "OutputColumn",
    "RuleRow",
    "RuleTest",
]

Scalar = str | float | bool | None
CellValue = Scalar | list[Scalar]
OutputValue = Scalar | list[Scalar]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=100)]
RuleId = Annotated[str, Field(min_length=1, max_length=100)]


class HitPolicy(StrEnum):
    """DMN 1.x hit policies."""

    UNIQUE = "unique"
    ANY = "any"
    PRIORITY = "priority"
    FIRST = "first"
    RULE_ORDER = "rule_order"
    OUTPUT_ORDER = "output_order"
    COLLECT = "collect"

    @property
    def single(self) -> bool:
        """True for the policies that return one rule's outputs."""
        return self in (HitPolicy.UNIQUE, HitPolicy.ANY, HitPolicy.PRIORITY, HitPolicy.FIRST)


class Aggregation(StrEnum):
    """Aggregations of the collect policy (DMN C+, C#, C<, C>)."""

    SUM = "sum"
    COUNT = "count"
    MIN = "min"
    MAX = "max"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputColumn(_Model):
    """An input of a table: a data column, an earlier table's output, or a derived field."""

    name: Name = Field(description="Column name the rules' `when` cells refer to.")
    type: Literal["number", "string", "boolean"] | None = Field(
        default=None,
        description="Value type (default: inferred from its expression or conditions).",
    )
    expression: str | None = Field(
        default=None,
        description="Derived field computed from other columns, e.g. `r + f + m`.",
        examples=["min(orders_12m / 4, 5) + (if last_order_days <= 90 then 3 else 1)"],
    )
    values: list[str | float | bool] | None = Field(
        default=None, description="The input's domain, used by the checker to find gaps."
    )
    min: float | None = Field(default=None, description="Smallest possible number (gap checks).")
    max: float | None = Field(default=None, description="Largest possible number (gap checks).")
    description: str | None = None


class OutputColumn(_Model):
    """An output of a table."""

    name: Name = Field(description="Output column name.")
    type: Literal["number", "string", "boolean", "list"] | None = Field(
        default=None,
        description="Value type; `list` is a list of strings or numbers (default: inferred).",
    )
    allowed: list[str | float | bool] | None = Field(
        default=None,
        description="Allowed values, in decreasing priority (used by priority and output_order).",
    )
    description: str | None = None


class RuleRow(_Model):
    """One rule: conditions on inputs (`when`) and output values (`then`)."""

    id: RuleId = Field(description="Rule id, unique in its table; reported as the explanation.")
    when: dict[str, CellValue] = Field(
        default_factory=dict,
        description="Condition per input, e.g. `'>= 1e6'`, `'[1..5)'`, `'East, North'`, `-`.",
    )
    then: dict[str, OutputValue] = Field(
        default_factory=dict, description="Output values; a missing output is null."
    )
    effective_from: dt.date | None = Field(default=None, description="First day in effect.")
    effective_until: dt.date | None = Field(default=None, description="Last day in effect.")
    description: str | None = None


class RuleTest(_Model):
    """An embedded test: evaluate `input` and compare the given `expect` keys."""

    name: str | None = None
    input: dict[str, Any] = Field(description="One record: column -> value (missing = null).")
    expect: dict[str, Any] = Field(
        description="Expected outputs; `<table>_rule` keys check the matched rule id(s)."
    )
    as_of: dt.date | None = Field(default=None, description="Evaluation date (default: today).")


class DecisionTable(_Model):
    """A DMN-style decision table."""

    kind: Literal["decision_table"] = "decision_table"
    id: Name = Field(description="Table id (matched-rule column is `<id>_rule`).")
    description: str | None = None
    hit_policy: HitPolicy = Field(default=HitPolicy.UNIQUE, description="DMN hit policy.")
    aggregation: Aggregation | None = Field(
        default=None, description="Aggregation for the collect policy (single output only)."
    )
    inputs: list[InputColumn] = Field(min_length=1)
    outputs: list[OutputColumn] = Field(min_length=1)
    default: dict[str, OutputValue] | None = Field(
        default=None, description="Outputs when no rule matches (else null)."
    )
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    rules: list[RuleRow] = Field(min_length=1)
    tests: list[RuleTest] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _dmn_spellings(cls, data: Any) -> Any:
        """Accept the DMN spellings of hit policies: ``UNIQUE``, ``RULE ORDER``, ``U``, ``C+`` …"""
        if not isinstance(data, dict) or not isinstance(data.get("hit_policy"), str):
            return data
        spelled = data["hit_policy"].strip().upper().replace("_", " ")
        if spelled in _DMN_POLICIES:
            data = {**data, "hit_policy": _DMN_POLICIES[spelled]}
        elif spelled[:1] == "C" and spelled[1:].strip() in _DMN_AGGREGATIONS:
            aggregation = _DMN_AGGREGATIONS[spelled[1:].strip()]
            if data.get("aggregation") not in (None, aggregation):
                return data  # a conflicting aggregation: validation names the policy
            data = {**data, "hit_policy": "collect", "aggregation": aggregation}
        if isinstance(data.get("aggregation"), str):
            word = data["aggregation"].strip().upper()
            data = {**data, "aggregation": _DMN_AGGREGATIONS.get(word, data["aggregation"])}
        return data


#: DMN names and single-letter abbreviations of the hit policies.
_DMN_POLICIES = {
    **{policy.value.upper().replace("_", " "): policy.value for policy in HitPolicy},
    "U": "unique", "A": "any", "P": "priority", "F": "first", "R": "rule_order",
    "O": "output_order", "C": "collect",
}  # fmt: skip
#: DMN names and symbols of the collect aggregations (C+, C#, C<, C>).
_DMN_AGGREGATIONS = {
    "SUM": "sum", "COUNT": "count", "MIN": "min", "MAX": "max",
    "+": "sum", "#": "count", "<": "min", ">": "max",
}  # fmt: skip


class DecisionTableSet(_Model):
    """Several decision tables evaluated in dependency order (outputs feed later inputs)."""

    kind: Literal["decision_tables"]
    id: Name | None = None
    description: str | None = None
    tables: list[DecisionTable] = Field(min_length=1)
    tests: list[RuleTest] = Field(
        default_factory=list, description="Tests of the whole chain (all tables)."
    )


RuleFileModel = DecisionTable | DecisionTableSet
