"""From rule files to the optimizer's typed inputs: tiers, incentive cost curves, risk directives.

The arrow "evaluate rules" of the data flow: the tiering tables run over the accounts, each rep or
partner channel gets the cost curve of its incentive plan, and the risk rules compile into
directives; each rule file's content hash goes into the plan's provenance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Literal, Protocol

from engine.data.dataset import Dataset
from engine.errors import ScenarioError
from engine.network import Network
from engine.optimize.inputs import (
    PlanningInputs,
    curve_from_incentive,
    planning_inputs,
    tier_table,
)

__all__ = ["RuleFileRefs", "rule_inputs"]


def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class RuleFileRefs(Protocol):
    """What :func:`rule_inputs` reads from a scenario's ``rules`` section."""

    @property
    def tiering(self) -> str | None: ...
    @property
    def incentives(self) -> str | None: ...
    @property
    def risk(self) -> str | None: ...
    @property
    def incentive_plans(self) -> dict[str, str]: ...
    @property
    def incentive_treatment(self) -> Literal["conservative", "envelope", "exact"]: ...


def rule_inputs(
    dataset: Dataset, rules: RuleFileRefs, folder: Path, as_of: dt.date
) -> PlanningInputs:
    """Run the rule files (paths relative to ``folder``) on ``dataset``: the model's inputs.

    ``rules.incentive_treatment`` picks how non-convex incentive plans are modelled (see
    :class:`~engine.optimize.inputs.CostCurve`).
    """
    treatment = rules.incentive_treatment
    from engine.rules import evaluate, load_rules
    from engine.rules.incentive_curve import incentive_curve
    from engine.rules.incentives import MdfPlan, load_incentives
    from engine.rules.risk import load_risk
    from engine.rules.risk_register import compile_for_dataset

    network = Network.from_dataset(dataset)
    versions: dict[str, str] = {}
    accounts = dataset.accounts
    tiers = None
    if rules.tiering:
        path = folder / rules.tiering
        evaluated = evaluate(load_rules(path), accounts, as_of=as_of)
        tiers = tier_table(accounts, evaluated)
        versions["tiering"] = _version(path)
    curves = {}
    if rules.incentive_plans and not rules.incentives:
        raise ScenarioError("incentive_plans needs an incentives file", key="rules.incentives")
    if rules.incentives:
        path = folder / rules.incentives
        plans = {plan.id: plan for plan in load_incentives(path).plans}
        versions["incentives"] = _version(path)
        reps, partners = dataset.reps, dataset.partners
        for channel, plan_id in sorted(rules.incentive_plans.items()):
            if plan_id not in plans:
                raise ScenarioError(f"no incentive plan {plan_id!r}", key="rules.incentive_plans")
            plan = plans[plan_id]
            mine = reps[reps["channel"] == channel]
            payees = len(mine) or int((partners["channel"] == channel).sum())
            if payees == 0:
                raise ScenarioError(
                    f"channel {channel!r} has no reps or partners to pay",
                    key="rules.incentive_plans",
                )
            quota = float(mine["quota"].mean()) if len(mine) and mine["quota"].mean() > 0 else None
            kwargs = {} if isinstance(plan, MdfPlan) else {"quota": quota}
            curves[channel] = curve_from_incentive(
                incentive_curve(plan, payees=payees, **kwargs), treatment
            )
    directives: tuple = ()
    register = None
    if rules.risk:
        path = folder / rules.risk
        risk = compile_for_dataset(load_risk(path), dataset)
        directives, register = risk.directives, risk.register
        versions["risk"] = _version(path)
    return planning_inputs(network, tiers, curves, directives, versions, register)
