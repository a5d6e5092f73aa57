"""Risk responses as data (``rules/risk.yaml``): when a condition holds on an entity, respond.

A rule names an entity kind (``partner``, ``territory``, ``channel``, ``account``), a ``when``
mapping column → condition cell (all must hold; the grammar of :mod:`engine.rules.conditions`), an
optional derived boolean ``expression`` (ANDed), and one response:

* ``avoid`` — the entity is excluded from the plan;
* ``transfer`` — a cost uplift: ``cost_rate`` × the entity's volume (+ ``fixed_cost`` per period),
  e.g. credit insurance or the cost of prepayment terms;
* ``mitigate`` — a constraint: ``max_partner_share`` (territory: no partner above the share of its
  revenue; channel: of the channel's revenue; partner: its share of each territory, or of the total
  with ``scope: total``), ``credit_exposure`` (partner: volume × payment_days / period_days ≤
  credit_limit × limit_factor), ``min_reps`` (territory), ``hhi_ceiling`` (territory or channel:
  Σ partner share² ≤ max_hhi, shares as fractions so HHI lies in (0, 1]);
* ``accept`` — recorded in the risk register only.

``response: avoid`` and ``response: accept`` may be written as plain words.
Compilation into directives and the register: :mod:`engine.rules.risk_register`.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from engine.errors import RuleError
from engine.rules._validation import rule_error_from
from engine.rules.conditions import Cell as ConditionCell
from engine.rules.conditions import Condition, parse_condition
from engine.rules.expressions import Expression, parse_expression
from engine.yamlio import line_at, load_yaml, load_yaml_file

__all__ = [
    "AcceptResponse",
    "AvoidResponse",
    "CreditExposureResponse",
    "EntityKind",
    "HhiCeilingResponse",
    "MaxPartnerShareResponse",
    "MinRepsResponse",
    "RiskFile",
    "RiskRule",
    "RiskTest",
    "TransferResponse",
    "check_unique_ids",
    "load_risk",
    "parse_risk",
    "parse_risk_text",
]

EntityKind = Literal["partner", "territory", "channel", "account"]
ENTITY_KINDS: tuple[EntityKind, ...] = ("partner", "territory", "channel", "account")
Cell = str | float | int | bool | None | list[str | float | int | bool]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AvoidResponse(_Model):
    """Exclude the entity from the plan."""

    type: Literal["avoid"]


class AcceptResponse(_Model):
    """Record the risk only."""

    type: Literal["accept"]


class TransferResponse(_Model):
    """A cost uplift on the entity's volume."""

    type: Literal["transfer"]
    instrument: Literal["credit_insurance", "prepayment", "guarantee", "hedge", "other"] = Field(
        description="How the risk is transferred (one directive per instrument; the highest "
        "cost wins when two rules give the same instrument)."
    )
    cost_rate: float = Field(
        0.0, ge=0, le=1, description="Cost as a fraction of volume (not on account rules)."
    )
    fixed_cost: float = Field(0.0, ge=0, description="Cost per period, independent of volume.")


class MaxPartnerShareResponse(_Model):
    """No single partner above ``max_share`` of the revenue in scope."""

    type: Literal["mitigate"]
    constraint: Literal["max_partner_share"]
    max_share: float = Field(gt=0, le=1, description="Largest share (0-1] of one partner.")
    scope: Literal["territory", "total"] = Field(
        "territory", description="For partner rules: share of each territory, or of the total."
    )


class CreditExposureResponse(_Model):
    """Receivables of a partner within its credit limit."""

    type: Literal["mitigate"]
    constraint: Literal["credit_exposure"]
    payment_days: float = Field(gt=0, description="Days the partner takes to pay (DSO).")
    period_days: float = Field(90.0, gt=0, description="Days in a planning period.")
    limit_factor: float = Field(1.0, gt=0, description="Share of credit_limit usable.")


class MinRepsResponse(_Model):
    """At least ``min_reps`` reps in the territory."""

    type: Literal["mitigate"]
    constraint: Literal["min_reps"]
    min_reps: int = Field(ge=1, description="Minimum reps assigned.")


class HhiCeilingResponse(_Model):
    """A ceiling on the concentration (HHI) of partner shares."""

    type: Literal["mitigate"]
    constraint: Literal["hhi_ceiling"]
    max_hhi: float = Field(gt=0, le=1, description="Ceiling on Σ share², shares as fractions.")


Mitigation = Annotated[
    MaxPartnerShareResponse | CreditExposureResponse | MinRepsResponse | HhiCeilingResponse,
    Field(discriminator="constraint"),
]
Response = Annotated[
    AvoidResponse | AcceptResponse | TransferResponse | Mitigation, Field(discriminator="type")
]

# which entity kinds each mitigation constraint applies to
ALLOWED: dict[str, tuple[EntityKind, ...]] = {
    "max_partner_share": ("territory", "partner", "channel"),
    "credit_exposure": ("partner",),
    "min_reps": ("territory",),
    "hhi_ceiling": ("territory", "channel"),
}


class RiskRule(_Model):
    """One risk rule: entity kind, condition, response."""

    id: str = Field(description="Rule id, shown in the risk register.")
    entity: EntityKind = Field(description="partner, territory, channel or account.")
    description: str = Field("", description="What the risk is.")
    when: dict[str, Cell] = Field(
        default_factory=dict, description="Column → condition cell; all must hold."
    )
    expression: str | None = Field(
        None, description="Derived boolean, e.g. 'capacity > 3 * credit_limit' (ANDed)."
    )
    response: Response = Field(description="avoid, transfer, mitigate or accept.")

    @model_validator(mode="before")
    @classmethod
    def _word_response(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("response"), str):
            data = {**data, "response": {"type": data["response"]}}
        return data

    @model_validator(mode="after")
    def _allowed(self) -> RiskRule:
        constraint = getattr(self.response, "constraint", None)
        if constraint is not None and self.entity not in ALLOWED[constraint]:
            kinds = ", ".join(ALLOWED[constraint])
            raise ValueError(f"{constraint} applies to {kinds} rules, not {self.entity}")
        response = self.response
        charged = isinstance(response, TransferResponse) and response.cost_rate > 0
        if charged and self.entity == "account":  # it would be recorded and never charged
            raise ValueError(
                "a transfer on an account takes fixed_cost only: the plan has no volume per "
                "account (cost_rate is for partner, territory and channel rules)"
            )
        total = isinstance(response, MaxPartnerShareResponse) and response.scope == "total"
        if total and self.entity != "partner":
            raise ValueError("scope: total is for partner rules")
        return self


class RiskTestInput(_Model):
    """One entity record for an embedded example."""

    entity: EntityKind
    record: dict[str, Any] = Field(description="Column values; missing columns are null.")


class RiskTestExpect(_Model):
    """Rule ids expected to fire and to be applied (after conflict resolution)."""

    fired: list[str] | None = Field(None, description="Ids of every rule that matched.")
    applied: list[str] | None = Field(None, description="Ids whose response is applied.")


class RiskTest(_Model):
    """An embedded example."""

    name: str | None = None
    input: RiskTestInput
    expect: RiskTestExpect


class RiskFile(_Model):
    """A file of risk-response rules."""

    version: Literal[1] = 1
    kind: Literal["risk_responses"] = Field(description="File kind: risk_responses.")
    description: str = ""
    rules: list[RiskRule] = Field(min_length=1, description="The rules, in priority order.")
    tests: list[RiskTest] = Field(default_factory=list, description="Embedded examples.")
    _file: str | None = PrivateAttr(None)
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> RiskFile:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule id(s): {', '.join(duplicates)}")
        return self

    @property
    def file(self) -> str | None:
        """The file the rules were read from, if any."""
        return self._file

    def line(self, *key: str) -> int | None:
        """YAML line of a rule (``rule_id``), one of its ``when`` columns, or a test (index)."""
        return self._lines.get(key) or (self._lines.get(key[:1]) if key else None)

    def conditions(self, rule: RiskRule) -> list[Condition]:
        """The compiled ``when`` conditions of a rule."""
        return [
            parse_condition(
                cast(ConditionCell, cell),
                column=column,
                file=self._file,
                rule_id=rule.id,
                line=self.line(rule.id, "when", column),
            )
            for column, cell in rule.when.items()
        ]

    def expression(self, rule: RiskRule) -> Expression | None:
        """The compiled derived expression of a rule, if any."""
        if rule.expression is None:
            return None
        return parse_expression(
            rule.expression,
            file=self._file,
            rule_id=rule.id,
            line=self.line(rule.id, "expression"),
        )

    def rule_error(self, message: str, rule: RiskRule, *key: str) -> RuleError:
        """A RuleError located at a rule (or one of its keys) of this file."""
        return RuleError(message, file=self._file, rule_id=rule.id, line=self.line(rule.id, *key))


def parse_risk(data: Any, *, file: str | None = None) -> RiskFile:
    """Validate loaded YAML data (from :func:`engine.yamlio.load_yaml`); compile every condition."""
    if not isinstance(data, dict):
        raise RuleError("a risk file must be a mapping with 'rules'", file=file, line=1)
    check_unique_ids(data, file)
    try:
        parsed = RiskFile.model_validate(data)
    except ValidationError as error:
        raise rule_error_from(error, data, file) from None
    parsed._file = file
    for index, rule in enumerate(parsed.rules):
        parsed._lines[(rule.id,)] = line_at(data, ("rules", index)) or 0
        for key in ("when", "expression"):
            parsed._lines[(rule.id, key)] = line_at(data, ("rules", index, key)) or 0
        for column in rule.when:
            where = ("rules", index, "when", column)
            parsed._lines[(rule.id, "when", column)] = line_at(data, where) or 0
        parsed.conditions(rule)
        parsed.expression(rule)
    for index in range(len(parsed.tests)):
        parsed._lines[("tests", str(index))] = line_at(data, ("tests", index)) or 0
    return parsed


def check_unique_ids(data: dict[str, Any], file: str | None) -> None:
    """A repeated rule id, named at the line of its second rule (the model's own check has no
    lines)."""
    rules = data.get("rules")
    first: dict[str, int] = {}
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if not isinstance(rule_id, str):
            continue
        line = line_at(data, ("rules", index)) or 0
        if rule_id in first:
            raise RuleError(
                f"rule id {rule_id!r} is used twice (first at line {first[rule_id]})",
                file=file,
                rule_id=rule_id,
                line=line,
            )
        first[rule_id] = line


def load_risk(path: str | os.PathLike[str]) -> RiskFile:
    """Read and validate a risk-response YAML file."""
    return parse_risk(load_yaml_file(path), file=str(path))


def parse_risk_text(text: str, *, file: str | None = None) -> RiskFile:
    """Parse and validate YAML text (``file`` only names it in errors)."""
    return parse_risk(load_yaml(text, file=file), file=file)
