"""Run the ``tests: [{input, expect}]`` embedded in incentive-plan and risk-response files.

Each example gives a :class:`~engine.rules.testing.TestOutcome` (the type ``salesnet rules test``
prints for decision tables too); a failing one says what was expected and what came out, with the
file and the example's YAML line. :func:`run_file_tests` dispatches on the file's ``kind``.

Incentive examples: ``input`` = plan id, revenue and optionally quota, target_incentive, baseline,
gates_passed; ``expect`` = any of payout (tiered commission after gates and caps; MDF: accrual after
the per-period cap), tier (id reached), measure. Risk examples: ``input`` = entity kind and one
record (missing columns are null); ``expect`` = ids of the rules that ``fired`` and of those
``applied`` after conflict resolution.
"""

from __future__ import annotations

import math
import os
from typing import Any

import pandas as pd

from engine.errors import RuleError
from engine.rules.commission import tiered_commission
from engine.rules.incentives import IncentiveFile, PlanTest, TieredPlan, parse_incentives
from engine.rules.risk import RiskFile, RiskTest, parse_risk
from engine.rules.risk_register import compile_risk
from engine.rules.testing import TestOutcome
from engine.yamlio import load_yaml_file

__all__ = ["FILE_KINDS", "run_file_tests", "run_incentive_tests", "run_risk_tests"]

FILE_KINDS = ("incentive_plans", "risk_responses")

_MONEY_TOL = 0.005


def _close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=_MONEY_TOL)


def _incentive_case(incentives: IncentiveFile, case: PlanTest) -> list[str]:
    plan = incentives.plan(case.input.plan)
    if not isinstance(plan, TieredPlan):
        accrual = max(case.input.revenue, 0.0) * plan.rate
        got_payout = accrual if plan.cap is None else min(accrual, plan.cap)
        got_tier, got_measure = None, case.input.revenue
    else:
        outcome = tiered_commission(
            plan,
            [case.input.revenue],
            quota=case.input.quota,
            target_incentive=case.input.target_incentive,
            baseline=case.input.baseline,
            gates_passed=case.input.gates_passed,
        )
        index = int(outcome.tier_index[0])
        got_payout = float(outcome.commission[0])
        got_tier = plan.tier_ids()[index] if index >= 0 else None
        got_measure = float(outcome.measure[0])
    problems = []
    expect = case.expect
    if expect.payout is not None and not _close(got_payout, expect.payout):
        problems.append(f"payout: expected {expect.payout:g}, got {got_payout:g}")
    if expect.tier is not None and got_tier != expect.tier:
        problems.append(f"tier: expected {expect.tier!r}, got {got_tier!r}")
    if expect.measure is not None and not math.isclose(got_measure, expect.measure, abs_tol=1e-9):
        problems.append(f"measure: expected {expect.measure:g}, got {got_measure:g}")
    return problems


def run_incentive_tests(incentives: IncentiveFile) -> list[TestOutcome]:
    """Run every embedded example of an incentives file."""
    results = []
    for index, case in enumerate(incentives.tests):
        try:
            problems = _incentive_case(incentives, case)
        except RuleError as error:
            problems = [error.message]
        name = case.name or f"test {index + 1}: {case.input.plan} at {case.input.revenue:g}"
        line = incentives.line("tests", str(index))
        results.append(
            TestOutcome(name, not problems, "; ".join(problems), incentives.file, None, line)
        )
    return results


def _risk_case(rules: RiskFile, case: RiskTest) -> list[str]:
    kind = case.input.entity
    record = {"id": "example", **case.input.record}
    for rule in rules.rules:
        if rule.entity == kind:
            for column in rule.when:
                record.setdefault(column, None)
            expression = rules.expression(rule)
            for column in expression.columns if expression is not None else ():
                record.setdefault(column, None)
    frame = pd.DataFrame([record])
    plan = compile_risk(rules, **{f"{kind}s" if kind != "territory" else "territories": frame})
    fired = sorted(plan.register["rule_id"].tolist())
    applied = sorted(plan.register.loc[plan.register["status"] == "applied", "rule_id"].tolist())
    problems = []
    if case.expect.fired is not None and fired != sorted(case.expect.fired):
        problems.append(f"fired: expected {sorted(case.expect.fired)}, got {fired}")
    if case.expect.applied is not None and applied != sorted(case.expect.applied):
        problems.append(f"applied: expected {sorted(case.expect.applied)}, got {applied}")
    return problems


def run_risk_tests(rules: RiskFile) -> list[TestOutcome]:
    """Run every embedded example of a risk-response file."""
    results = []
    for index, case in enumerate(rules.tests):
        try:
            problems = _risk_case(rules, case)
        except RuleError as error:
            problems = [error.message]
        name = case.name or f"test {index + 1}: {case.input.entity}"
        line = rules.line("tests", str(index))
        results.append(TestOutcome(name, not problems, "; ".join(problems), rules.file, None, line))
    return results


def run_file_tests(path: str | os.PathLike[str]) -> list[TestOutcome]:
    """Load an incentive-plan or risk-response file (by its ``kind``) and run its examples."""
    name = str(path)
    data: Any = load_yaml_file(path)
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind == "incentive_plans":
        return run_incentive_tests(parse_incentives(data, file=name))
    if kind == "risk_responses":
        return run_risk_tests(parse_risk(data, file=name))
    raise RuleError(f"kind must be one of {', '.join(FILE_KINDS)}, got {kind!r}", file=name, line=1)
