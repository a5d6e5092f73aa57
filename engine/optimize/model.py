"""The one orchestrator: prepare the data, then call every builder in pipeline order."""

from __future__ import annotations

import pulp

from engine.optimize import objective, variables
from engine.optimize.constraints import budget, coverage, partners, people, revenue, risk
from engine.optimize.inputs import PlanningInputs
from engine.optimize.prepare import ModelData, prepare
from engine.optimize.registry import AllocationModel
from engine.optimize.settings import OptimizeSettings

__all__ = ["build_from_data", "build_model"]


def build_from_data(
    data: ModelData, settings: OptimizeSettings, *, elastic: bool = False
) -> AllocationModel:
    """Build the allocation model from prepared data (``elastic``: relaxable rows get slacks)."""
    model = AllocationModel(
        data=data, settings=settings, problem=pulp.LpProblem("allocation"), elastic=elastic
    )
    variables.define_assignment(model)
    variables.define_hires(model)
    variables.define_cells(model)
    variables.define_training(model)
    variables.define_partners(model)
    variables.define_incentives(model)
    variables.define_shortfall(model)
    variables.define_overload(model)

    hours = people.rep_hours(model)
    people.define_assignment_rows(model)
    people.define_hire_caps(model)
    people.define_training_rows(model, hours)
    revenue.define_effort(model, hours)
    revenue.define_response_cuts(model)
    revenue.define_head_cuts(model, hours)
    revenue.define_territory_potential(model)
    revenue.define_channel_eligibility(model)
    partners.define_volume_links(model)
    partners.define_partner_capacity(model)
    partners.define_partner_revenue(model)
    coverage.define_coverage(model, hours)
    coverage.define_workload(model, hours)
    budget.define_channel_revenue(model)
    budget.define_incentive_cuts(model)
    budget.define_budgets(model)
    risk.define_partner_share(model)
    risk.define_credit_exposure(model)
    risk.define_min_reps(model)
    risk.define_hhi(model)

    objective.define_costs(model)
    objective.define_revenue_target(model)
    objective.define_objective(model)
    return model


def build_model(
    inputs: PlanningInputs, settings: OptimizeSettings | None = None, *, elastic: bool = False
) -> AllocationModel:
    """Prepare ``inputs`` and build the allocation model."""
    settings = settings or OptimizeSettings()
    return build_from_data(prepare(inputs, settings), settings, elastic=elastic)
