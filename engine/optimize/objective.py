"""Cost components and the objective (contribution, revenue, or cost for a revenue target).

contribution = Σ margin·revenue − cost to serve − people − hiring − marketing − training
− incentives − partner fixed costs − moves − risk transfer − coverage penalty.
"""

from __future__ import annotations

from collections import defaultdict

import pulp

from engine.optimize.prepare import at
from engine.optimize.registry import AllocationModel

__all__ = [
    "COST_COMPONENTS",
    "define_costs",
    "define_objective",
    "define_revenue_target",
    "disruption_terms",
    "objective_terms",
    "secondary_terms",
]

COST_COMPONENTS = ("cost_to_serve", "people", "hiring", "marketing", "training", "incentives",
                   "partner_fixed", "moves", "risk_transfer", "coverage_penalty")  # fmt: skip

#: Weight of costs when maximising revenue (a tie-break: no spend that buys no revenue).
_TIE_BREAK = 1e-6

Terms = list[tuple[pulp.LpVariable, float]]


def _uplifts(model: AllocationModel) -> tuple[Terms, float]:
    terms: Terms = []
    constant = 0.0
    volume: dict[str, Terms] = defaultdict(list)
    for (partner, _), variable in model.family("volume").items():
        volume[partner].append((variable, 1.0))
    by_territory: dict[str, Terms] = defaultdict(list)
    for (territory, _), variable in model.family("revenue").items():
        by_territory[territory].append((variable, 1.0))
    totals = model.family("channel_revenue")
    activate = model.family("activate")
    for d in model.data.uplifts:
        if d.entity_kind == "partner":
            terms += [(v, d.cost_rate) for v, _ in volume.get(d.entity_id, [])]
            if d.fixed_cost and (d.entity_id,) in activate:
                terms.append((activate[d.entity_id,], d.fixed_cost))
            continue
        if d.entity_kind == "territory":
            terms += [(v, d.cost_rate) for v, _ in by_territory.get(d.entity_id, [])]
        elif d.entity_kind == "channel" and (d.entity_id,) in totals:
            terms.append((totals[d.entity_id,], d.cost_rate))
        constant += d.fixed_cost
    return terms, constant


def define_costs(model: AllocationModel) -> None:
    """File every cost component (terms and constants) and the margin / revenue terms."""
    channels = model.data.channels
    for (_, channel), variable in model.family("revenue").items():
        model.margin.append((variable, float(at(channels)[channel, "margin"])))
        model.revenue.append((variable, 1.0))
        model.add_cost("cost_to_serve", [(variable, float(at(channels)[channel, "cost_to_serve"]))])
    reps = model.data.reps
    per_unit = model.settings.move_cost_per_unit
    candidates = model.data.candidates.set_index(["rep", "territory"])
    distance = candidates["distance"].to_dict()
    moved = candidates["moved"].to_dict()
    for key, variable in model.family("assign").items():
        rep = key[0]
        if not at(reps)[rep, "active"]:
            model.add_cost("people", [(variable, float(at(reps)[rep, "cost"]))])
        elif moved[key] and per_unit:
            model.add_cost("moves", [(variable, per_unit * float(distance[key]))])
    active_cost = float(reps.loc[reps["active"], "cost"].sum())
    model.fixed_costs["people"] = active_cost
    hire_cost = channels["hire_cost"]
    model.add_cost(
        "hiring", [(v, float(hire_cost[c])) for (_, c), v in model.family("hire").items()]
    )
    for family, component in (
        ("marketing", "marketing"),
        ("training", "training"),
        ("incentive", "incentives"),
    ):
        model.add_cost(component, [(v, 1.0) for v in model.family(family).values()])
    fixed = model.data.partners["fixed_cost"]
    model.add_cost(
        "partner_fixed", [(v, float(fixed[p])) for (p,), v in model.family("activate").items()]
    )
    terms, constant = _uplifts(model)
    model.add_cost("risk_transfer", terms)
    model.fixed_costs["risk_transfer"] = constant
    penalty = model.settings.coverage.penalty_per_call
    model.add_cost("coverage_penalty", [(v, penalty) for v in model.family("shortfall").values()])


def disruption_terms(model: AllocationModel) -> Terms:
    """One per active rep placed away from today's territory."""
    moved = model.data.candidates.set_index(["rep", "territory"])["moved"].to_dict()
    active = model.data.reps["active"]
    return [(v, 1.0) for key, v in model.family("assign").items() if moved[key] and active[key[0]]]


def secondary_terms(model: AllocationModel) -> Terms:
    """The secondary goal to minimise: moves, or calls of workload imbalance."""
    secondary = model.settings.secondary
    if secondary is not None and secondary.goal == "workload":
        return [(v, 1.0) for v in model.family("overload").values()]
    return disruption_terms(model)


def objective_terms(model: AllocationModel) -> tuple[Terms, float, bool]:
    """The primary objective as (terms, constant, maximise)."""
    cost_terms = [t for c in COST_COMPONENTS for t in model.costs.get(c, [])]
    cost_constant = sum(model.fixed_costs.values())
    kind = model.settings.objective
    if kind == "contribution":
        return [*model.margin, *[(v, -c) for v, c in cost_terms]], -cost_constant, True
    if kind == "revenue":
        penalty = model.costs.get("coverage_penalty", [])
        other = [
            t for c in COST_COMPONENTS if c != "coverage_penalty" for t in model.costs.get(c, [])
        ]
        terms = [
            *model.revenue,
            *[(v, -c) for v, c in penalty],
            *[(v, -_TIE_BREAK * c) for v, c in other],
        ]
        return terms, -_TIE_BREAK * cost_constant, True
    return cost_terms, cost_constant, False


def define_revenue_target(model: AllocationModel) -> None:
    """Σ revenue ≥ revenue_target (required by min_cost; a floor for the other objectives)."""
    target = model.settings.revenue_target
    if target is not None:
        model.add_row("revenue_target", ("total",), model.revenue, ">=", target)


def define_objective(model: AllocationModel) -> None:
    """Set the objective: primary, weighted secondary, and the elastic penalty."""
    terms, constant, maximise = objective_terms(model)
    sign = -1.0 if maximise else 1.0
    secondary = model.settings.secondary
    if secondary is not None and secondary.mode == "weighted" and secondary.weight:
        terms = [*terms, *[(v, sign * secondary.weight * c) for v, c in secondary_terms(model)]]
    if model.slacks:
        penalty = model.settings.elastic_penalty
        terms = [*terms, *[(v, sign * penalty) for v in model.slacks.values()]]
    merged: dict[pulp.LpVariable, float] = {}
    for variable, coefficient in terms:
        merged[variable] = merged.get(variable, 0.0) + coefficient
    model.problem.sense = pulp.LpMaximize if maximise else pulp.LpMinimize
    model.problem.setObjective(pulp.LpAffineExpression(list(merged.items()), constant=constant))
