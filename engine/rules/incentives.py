"""Incentive plans as data: tiered commission, rebates, MDF accrual (``rules/incentives.yaml``).

A plan file is validated into the pydantic models below; the models are the single source of the
file's JSON Schema. The semantics (documented once, here):

* **Measure** a tiered plan counts, per payee and period (``tier_basis``):
  ``attainment`` = credited revenue / quota; ``volume`` = credited revenue (currency);
  ``growth`` = revenue / baseline - 1 (a baseline per payee, e.g. last year's purchases).
* **Tiers** are contiguous ``[from, to)`` ranges of the measure; only the last may be open.
  Under ``boundary: lower_inclusive`` (the default) a measure exactly on a boundary belongs to the
  tier that *starts* there (100 % attainment is in the tier starting at 100 %);
  ``upper_inclusive`` gives it to the tier that *ends* there. Nothing is paid on the part of the
  measure below the first tier; a finite last ``to`` caps the measure.
* **Method**: ``marginal`` (graduated, like tax brackets) pays each tier's rate on the part of
  the measure inside that tier; ``retroactive`` (straight) pays the rate of the tier reached on
  everything from zero. The boundary convention changes only retroactive amounts (and which tier
  is named).
* **Rates** (``rate_basis``): ``revenue`` = a commission rate, a fraction of the revenue in the
  tier; ``target_incentive`` = a payout-curve slope, a fraction of the target incentive per unit
  of attainment (rate 1.0 on ``[0, 1)`` pays 100 % of the target incentive at 100 % attainment;
  2.0 above quota is a 2× accelerator). A tier gives ``rate`` or ``multiplier`` × the plan's
  ``base_rate`` (> 1 an accelerator, < 1 a decelerator).
* A measure within 1e-9 (relative) of a boundary, threshold or cap is on it: money sums and
  ratios are not exact in binary floating point, and rounding noise must not decide the tier.
* Money: payouts are rounded half up (commercial rounding) to ``money_decimals`` (default 2) per
  payee, period and line — the tiered commission, each SPIFF, the clawbacks, an accrual — and
  what is paid and owed is the sum of those rounded lines. Embedded examples and the optimizer's
  cost curve use the unrounded amounts.
* A tier marked ``retroactive`` in a marginal plan pays, once reached, its rate on everything
  below it too (the lower tiers' rates are replaced): retroactive up to that tier, marginal above
  it — a plan that pays base rate on all deals once 50 % is reached, and an accelerator only on
  what lies above quota.
* ``tiers_per: deal`` tiers every deal row on its own (its credit, or credit / quota) and sums
  the amounts; the threshold applies to each deal, metric gates and the payout cap to the
  payee's period.
* **Bonus** (a fixed amount for reaching a tier: milestone or step payouts): a retroactive plan
  pays the reached tier's bonus; a marginal plan the bonus of every tier reached. Bonuses count
  as tiered commission (gates and the payout cap apply).
* Order of application: attainment cap (measure counted up to it) → threshold and metric gates (on
  the uncapped measure; nothing is paid unless all pass; the threshold follows the boundary
  convention) → tiers → payout cap (on the tiered commission only) → SPIFFs → clawbacks → draw.
"""

from __future__ import annotations

import math
import os
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from engine.errors import RuleError
from engine.rules._validation import rule_error_from
from engine.rules.conditions import Cell as ConditionCell
from engine.rules.conditions import Condition, parse_condition
from engine.yamlio import line_at, load_yaml, load_yaml_file

__all__ = [
    "Clawback",
    "Draw",
    "IncentiveFile",
    "MdfPlan",
    "MetricGate",
    "Plan",
    "PlanTest",
    "PlanTestExpect",
    "PlanTestInput",
    "Spiff",
    "Tier",
    "TieredPlan",
    "load_incentives",
    "parse_incentives",
    "parse_incentives_text",
]

Cell = str | float | int | bool | None | list[str | float | int | bool]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tier(_Model):
    """One tier: a ``[from, to)`` range of the measure and its rate."""

    id: str | None = Field(None, description="Name shown in explanations (default t1, t2, ...).")
    lower: float = Field(alias="from", description="Lower bound of the tier, in tier_basis units.")
    upper: float | None = Field(
        None, alias="to", description="Upper bound; omit on the last tier for 'and above'."
    )
    rate: float | None = Field(None, ge=0, description="Rate (see the plan's rate_basis).")
    multiplier: float | None = Field(
        None, ge=0, description="Rate as a multiple of the plan's base_rate (accelerator > 1)."
    )
    retroactive: bool = Field(
        False,
        description="In a marginal plan: once the measure reaches this tier, everything below "
        "it is paid at this tier's rate too (retroactive up to here, marginal above).",
    )
    bonus: float | None = Field(
        None,
        ge=0,
        description="Fixed amount for reaching the tier (a milestone or step payout): "
        "retroactive plans pay the reached tier's bonus, marginal plans every reached tier's.",
    )

    @model_validator(mode="after")
    def _one_rate(self) -> Tier:
        if self.rate is not None and self.multiplier is not None:
            raise ValueError("give one of 'rate' or 'multiplier', not both")
        if self.rate is None and self.multiplier is None and self.bonus is None:
            raise ValueError("give 'rate', 'multiplier' or 'bonus'")
        if not math.isfinite(self.lower) or (self.upper is not None and self.upper <= self.lower):
            raise ValueError(f"tier range [{self.lower}, {self.upper}) is empty or not finite")
        return self


class MetricGate(_Model):
    """A gate on another metric of the payee (a column of the targets table)."""

    metric: str = Field(description="Column of the targets table, e.g. new_logos or margin_pct.")
    when: Cell = Field(description="Condition cell the metric must meet, e.g. '>= 3'.")


class Spiff(_Model):
    """A bonus per deal that meets a condition on deal columns (split like the deal's credit)."""

    id: str = Field(description="SPIFF id shown in explanations.")
    when: dict[str, Cell] = Field(
        default_factory=dict, description="Deal column → condition cell; all must hold."
    )
    amount: float | None = Field(None, ge=0, description="Fixed bonus per qualifying deal.")
    per: str | None = Field(
        None,
        description="Actuals column the amount is paid per (units sold, seats): amount × its "
        "value on each qualifying row.",
    )
    rate: float | None = Field(None, ge=0, description="Bonus as a fraction of the deal credit.")
    max_per_period: float | None = Field(None, gt=0, description="Cap per payee and period.")
    periods: list[str] | None = Field(None, description="Periods it runs in (default: all).")

    @model_validator(mode="after")
    def _one_amount(self) -> Spiff:
        if (self.amount is None) == (self.rate is None):
            raise ValueError("give exactly one of 'amount' or 'rate'")
        if self.per is not None and self.amount is None:
            raise ValueError("'per' goes with 'amount' (a fixed amount per unit)")
        return self


class Draw(_Model):
    """An advance per period: recoverable (repaid from later earnings) or not (a guarantee)."""

    type: Literal["recoverable", "non_recoverable"] = Field(
        description="recoverable: the top-up is owed and recovered from later excess earnings; "
        "non_recoverable: a guaranteed minimum, the top-up is forgiven."
    )
    amount: float = Field(gt=0, description="Draw (minimum payment) per period.")
    max_periods: int | None = Field(
        None, ge=1, description="Draw paid only in the payee's first N periods (default: all)."
    )


class Clawback(_Model):
    """Commission (and SPIFFs) on a deal cancelled within ``days`` of closing is reversed."""

    days: int = Field(ge=0, description="Window from the deal's date to its cancelled_on date.")
    method: Literal["recompute", "average"] = Field(
        "recompute",
        description="recompute: reverse what the deal added (the credit period's commission "
        "with the deal minus without it); average: the deal's credit × the credit period's "
        "effective rate (commission ÷ revenue).",
    )


class TieredPlan(_Model):
    """A commission plan (reps) or rebate plan (partners) on tiers of a measure."""

    kind: Literal["commission", "rebate"] = Field(description="commission or rebate.")
    id: str = Field(description="Plan id.")
    description: str = ""
    payee: str = Field("rep", description="Actuals column naming who is paid (rep, partner).")
    tier_basis: Literal["attainment", "volume", "growth"] = Field(
        "attainment", description="Measure the tiers are on: attainment, volume or growth."
    )
    method: Literal["marginal", "retroactive"] = Field(
        description="marginal: each tier's rate on the part inside it; retroactive: the reached "
        "tier's rate on everything from zero."
    )
    boundary: Literal["lower_inclusive", "upper_inclusive"] = Field(
        "lower_inclusive", description="Which tier owns an exact boundary (and threshold)."
    )
    rate_basis: Literal["revenue", "target_incentive"] = Field(
        "revenue",
        description="revenue: rate = fraction of revenue; target_incentive: rate = "
        "fraction of the target incentive per unit of attainment.",
    )
    base_rate: float | None = Field(None, ge=0, description="Rate that tier multipliers scale.")
    quota: float | None = Field(None, gt=0, description="Quota when the targets table has none.")
    target_incentive: float | None = Field(
        None, gt=0, description="Target incentive when the targets table has none."
    )
    tiers: list[Tier] = Field(min_length=1, description="Contiguous tiers, in order.")
    threshold: float | None = Field(
        None, description="Gate: nothing is paid while the measure is below it."
    )
    gates: list[MetricGate] = Field(default_factory=list, description="Gates on other metrics.")
    attainment_cap: float | None = Field(
        None, description="Measure counted up to this value (tier_basis units)."
    )
    payout_cap: float | None = Field(
        None, gt=0, description="Max tiered commission per period (per window when accumulating)."
    )
    payout_cap_target: float | None = Field(
        None,
        gt=0,
        description="Max tiered commission per period as a multiple of the payee's target "
        "incentive (2.0: 200 % of it); with payout_cap too, the lower one.",
    )
    pay_on: Literal["total", "growth"] = Field(
        "total",
        description="Growth plans: a retroactive rate applies to all purchases (total) or only "
        "to the growth over the baseline.",
    )
    tiers_per: Literal["period", "deal"] = Field(
        "period",
        description="period: tiers on each payee's period total; deal: each deal row tiered on "
        "its own (Oracle's 'processed individually'), then summed; gates and the payout cap "
        "apply to the payee's period.",
    )
    accumulate: Literal["period", "quarter", "year"] = Field(
        "period",
        description="period: each period is tiered on its own; quarter or year: tiers, threshold "
        "and caps apply to the revenue accumulated since the window began (quarter- or "
        "year-to-date) and each period pays the cumulative commission minus what earlier "
        "periods of the window earned.",
    )
    spiffs: list[Spiff] = Field(default_factory=list, description="Per-deal bonuses.")
    draw: Draw | None = Field(None, description="Draw against commission.")
    clawback: Clawback | None = Field(None, description="Reversal of cancelled deals.")

    @model_validator(mode="after")
    def _consistent(self) -> TieredPlan:
        for index, tier in enumerate(self.tiers):
            if index + 1 < len(self.tiers):
                following = self.tiers[index + 1]
                if tier.upper is None or tier.upper != following.lower:
                    hint = ""
                    if tier.upper is not None and tier.upper < following.lower:
                        hint = (
                            f"; tiers are [from, to): a table written '… to {tier.upper:g}, "
                            f"from {following.lower:g} …' is 'to: {following.lower:g}' here"
                        )
                    raise ValueError(
                        f"tiers must be contiguous: tier {index + 1} ends at {tier.upper}, "
                        f"tier {index + 2} starts at {following.lower}{hint}"
                    )
            if tier.multiplier is not None and self.base_rate is None:
                raise ValueError("a tier gives 'multiplier' but the plan has no 'base_rate'")
        floor = -1.0 if self.tier_basis == "growth" else 0.0
        if self.tiers[0].lower < floor:
            raise ValueError(f"the first tier starts below {floor} ({self.tier_basis} basis)")
        if self.rate_basis == "target_incentive" and self.tier_basis != "attainment":
            raise ValueError("rate_basis target_incentive needs tier_basis attainment")
        if self.method == "retroactive" and any(t.retroactive for t in self.tiers):
            raise ValueError(
                "'retroactive' on a tier is for marginal plans (all tiers already are)"
            )
        if self.tiers_per == "deal" and (
            self.accumulate != "period" or self.tier_basis == "growth"
        ):
            raise ValueError("tiers_per deal goes with accumulate period and a volume or "
                             "attainment basis")  # fmt: skip
        if self.pay_on == "growth" and self.tier_basis != "growth":
            raise ValueError("pay_on growth needs tier_basis growth")
        if self.attainment_cap is not None and self.attainment_cap <= self.tiers[0].lower:
            raise ValueError("attainment_cap must lie above the first tier's start")
        ids = [spiff.id for spiff in self.spiffs]
        if len(set(ids)) != len(ids):
            raise ValueError("SPIFF ids must be unique within a plan")
        return self

    @property
    def floor(self) -> float:
        """Where a retroactive base starts: 0, or -1 for growth tiers paid on all purchases (the
        measure at zero revenue); 0 for growth tiers paid on the growth only."""
        return -1.0 if self.tier_basis == "growth" and self.pay_on == "total" else 0.0

    def marks(self) -> list[float]:
        """Every value of the measure where the payout may change course: tier bounds, the
        threshold and the attainment cap."""
        marks = [t.lower for t in self.tiers] + [t.upper for t in self.tiers if t.upper is not None]
        return marks + [m for m in (self.threshold, self.attainment_cap) if m is not None]

    def tier_ids(self) -> list[str]:
        """Tier names, defaulting to t1, t2, ..."""
        return [tier.id or f"t{index + 1}" for index, tier in enumerate(self.tiers)]

    def tier_rates(self) -> list[float]:
        """Resolved rate of every tier (0 for a bonus-only tier)."""
        base = self.base_rate or 0.0
        return [t.rate if t.rate is not None else base * (t.multiplier or 0.0) for t in self.tiers]

    def tier_bonuses(self) -> list[float]:
        """Fixed amount for reaching each tier (0 where none)."""
        return [tier.bonus or 0.0 for tier in self.tiers]


class MdfPlan(_Model):
    """Market-development-fund accrual: a share of partner purchases, with caps."""

    kind: Literal["mdf"] = Field(description="mdf.")
    id: str = Field(description="Plan id.")
    description: str = ""
    payee: str = Field("partner", description="Actuals column naming the partner.")
    rate: float = Field(ge=0, le=1, description="Accrual as a fraction of purchases.")
    cap: float | None = Field(None, gt=0, description="Max accrual per partner and period.")
    total_cap: float | None = Field(
        None, gt=0, description="Max accrual per partner over all periods (cumulative)."
    )


Plan = Annotated[TieredPlan | MdfPlan, Field(discriminator="kind")]


class PlanTestInput(_Model):
    """One payee-period for an embedded example."""

    plan: str = Field(description="Plan id.")
    revenue: float = Field(description="Revenue credited in the period.")
    quota: float | None = Field(None, gt=0, description="Quota (default: the plan's).")
    target_incentive: float | None = Field(None, gt=0, description="Target incentive.")
    baseline: float | None = Field(None, gt=0, description="Baseline, for growth tiers.")
    gates_passed: bool = Field(True, description="Whether the metric gates pass.")


class PlanTestExpect(_Model):
    """What the example expects (any subset)."""

    payout: float | None = Field(None, description="Tiered commission after gates and caps.")
    tier: str | None = Field(None, description="Id of the tier reached.")
    measure: float | None = Field(None, description="Attainment, volume or growth.")


class PlanTest(_Model):
    """An embedded example: one payee-period of a plan and what it must give."""

    name: str | None = Field(None, description="Label shown when the example fails.")
    input: PlanTestInput
    expect: PlanTestExpect


class IncentiveFile(_Model):
    """A file of incentive plans."""

    version: Literal[1] = 1
    kind: Literal["incentive_plans"] = Field(description="File kind: incentive_plans.")
    description: str = ""
    period: Literal["month", "quarter", "year"] = Field(
        "quarter", description="Period length used to label deals that give a date, not a period."
    )
    money_decimals: int | None = Field(
        2,
        ge=0,
        le=6,
        description="Payout amounts (commission, each SPIFF, clawbacks, accruals, what is paid and "
        "owed) are rounded half up to this many decimals, per payee and period; null keeps full "
        "precision.",
    )
    plans: list[Plan] = Field(min_length=1, description="The plans.")
    tests: list[PlanTest] = Field(default_factory=list, description="Embedded examples.")
    _file: str | None = PrivateAttr(None)
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> IncentiveFile:
        ids = [plan.id for plan in self.plans]
        duplicates = sorted({plan_id for plan_id in ids if ids.count(plan_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate plan id(s): {', '.join(duplicates)}")
        return self

    def plan(self, plan_id: str) -> TieredPlan | MdfPlan:
        """The plan with this id (RuleError naming the known ids if absent)."""
        for plan in self.plans:
            if plan.id == plan_id:
                return plan
        known = ", ".join(plan.id for plan in self.plans)
        raise RuleError(f"no plan {plan_id!r} (plans: {known})", file=self._file)

    @property
    def file(self) -> str | None:
        """The file the plans were read from, if any."""
        return self._file

    def line(self, *key: str) -> int | None:
        """YAML line of a plan (``plan_id``), SPIFF (``plan_id, spiff_id``) or gate."""
        return self._lines.get(key)

    def spiff_conditions(self, plan: TieredPlan, spiff: Spiff) -> list[Condition]:
        """The compiled conditions of a SPIFF (RuleError with file, SPIFF id and line)."""
        return [
            parse_condition(
                cast(ConditionCell, cell),
                column=column,
                file=self._file,
                rule_id=spiff.id,
                line=self.line(plan.id, spiff.id, column) or self.line(plan.id, spiff.id),
            )
            for column, cell in spiff.when.items()
        ]

    def gate_condition(self, plan: TieredPlan, gate: MetricGate) -> Condition:
        """The compiled condition of a metric gate."""
        line = self.line(plan.id, "gates") or self.line(plan.id)
        return parse_condition(
            cast(ConditionCell, gate.when),
            column=gate.metric,
            file=self._file,
            rule_id=plan.id,
            line=line,
        )

    def rule_error(self, message: str, rule_id: str, *key: str) -> RuleError:
        """A RuleError about ``rule_id`` (a plan or SPIFF), at the YAML line of ``key``."""
        line = self.line(*key) if key else None
        return RuleError(message, file=self._file, rule_id=rule_id, line=line)


def parse_incentives(data: Any, *, file: str | None = None) -> IncentiveFile:
    """Validate already-loaded YAML data (from :func:`engine.yamlio.load_yaml`)."""
    if not isinstance(data, dict):
        raise RuleError("an incentives file must be a mapping with 'plans'", file=file, line=1)
    try:
        parsed = IncentiveFile.model_validate(data)
    except ValidationError as error:
        raise rule_error_from(error, data, file) from None
    _record_lines(parsed, data, file)
    return parsed


def load_incentives(path: str | os.PathLike[str]) -> IncentiveFile:
    """Read, validate and check an incentives YAML file."""
    return parse_incentives(load_yaml_file(path), file=str(path))


def _record_lines(parsed: IncentiveFile, data: Any, file: str | None) -> None:
    """Remember where each plan, SPIFF and gate is, then compile every condition once."""
    parsed._file = file
    for p_index, plan in enumerate(parsed.plans):
        parsed._lines[(plan.id,)] = line_at(data, ("plans", p_index, "id")) or 0
        if not isinstance(plan, TieredPlan):
            continue
        for s_index, spiff in enumerate(plan.spiffs):
            line = line_at(data, ("plans", p_index, "spiffs", s_index))
            parsed._lines[(plan.id, spiff.id)] = line or 0
            for column in spiff.when:
                where = ("plans", p_index, "spiffs", s_index, "when", column)
                parsed._lines[(plan.id, spiff.id, column)] = line_at(data, where) or 0
            parsed.spiff_conditions(plan, spiff)
        if plan.gates:
            parsed._lines[(plan.id, "gates")] = line_at(data, ("plans", p_index, "gates")) or 0
            for gate in plan.gates:
                parsed.gate_condition(plan, gate)
    for index in range(len(parsed.tests)):
        parsed._lines[("tests", str(index))] = line_at(data, ("tests", index)) or 0


def parse_incentives_text(text: str, *, file: str | None = None) -> IncentiveFile:
    """Parse and validate YAML text (``file`` only names it in errors)."""
    return parse_incentives(load_yaml(text, file=file), file=file)
