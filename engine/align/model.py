"""The alignment MILP on PuLP: assignment, balance, objective and ε-limits, locks, flow contiguity.

Variables ``x[u, t] ∈ {0, 1}`` (unit u joins territory t) exist only for candidate pairs
(:func:`candidate_units`); each is kept in a typed registry keyed by ``(unit, territory)``
positions, never looked up by name. Objectives (Kalcsics & Ríos-Mercado, "Districting problems",
2019; Hess et al., 1965):

- compactness  = Σ_u Σ_t w_u · d(u, centre_t)^p · x[u, t]   (p = 1: p-median; p = 2: Hess' moment
  of inertia; ``w`` an activity, or 1 per unit for the plain distance sum);
- cut edges    = Σ_{(i,j) ∈ E} y_ij with y_ij ≥ x[i, t] − x[j, t] for every t (y_ij = 1 exactly when
  i and j belong to different territories);
- disruption   = Σ_u w_u · (1 − x[u, current(u)]).

One is minimised; the others may be bounded (ε-constraints).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import networkx as nx
import numpy as np
import pulp

from engine.align.inputs import AlignmentInputs

__all__ = [
    "AlignmentModel",
    "ModelSpec",
    "Objective",
    "assignment_cost",
    "build_model",
    "candidate_units",
    "cost_scale",
]

Objective = Literal["compactness", "cut_edges", "disruption"]


@dataclass(frozen=True)
class ModelSpec:
    """What to build: the objective, its weights, ε-limits and the contiguity method."""

    objective: Objective = "compactness"
    compactness_weight: np.ndarray | None = None  # per unit; None = 1
    disruption_weight: np.ndarray | None = None  # per unit; None = 1
    distance_power: int = 1
    max_compactness: float | None = None
    max_cut_edges: float | None = None
    max_disruption: float | None = None
    # "hybrid": SP start + exact bound (engine.align.hybrid); "sp": the SP restriction
    contiguity: Literal["hybrid", "sp", "cuts", "flow"] | None = "cuts"
    elastic: bool = False  # minimise the balance violation instead (infeasibility diagnosis)


@dataclass
class AlignmentModel:
    """A built model and its registries (mutable only by adding contiguity cuts)."""

    problem: pulp.LpProblem
    assign: dict[tuple[int, int], pulp.LpVariable]
    candidates: list[np.ndarray]  # per territory: sorted candidate unit positions
    centre: np.ndarray  # per territory: centre unit position
    cost: np.ndarray  # (units, territories) compactness coefficient (inf = not allowed)
    elastic: dict[tuple[int, str], pulp.LpVariable] = field(default_factory=dict)
    cuts_added: int = 0
    objective_scale: float = 1.0  # the MILP minimises objective / scale (compactness is scaled)
    separated: set[tuple[int, int, tuple[int, ...]]] = field(default_factory=set)  # cuts made

    def assignment_of(self, values: Mapping[pulp.LpVariable, float], num_units: int) -> np.ndarray:
        """Territory position per unit from given variable values (-1 when unassigned)."""
        result = np.full(num_units, -1, dtype=np.int64)
        for (unit, territory), variable in self.assign.items():
            if values.get(variable, 0.0) > 0.5:
                result[unit] = territory
        return result

    def assignment(self, num_units: int) -> np.ndarray:
        """Territory position per unit from the variables' values (-1 when unassigned)."""
        values = {variable: variable.varValue or 0.0 for variable in self.assign.values()}
        return self.assignment_of(values, num_units)

    def start_values(self, assignment: np.ndarray) -> dict[pulp.LpVariable, float]:
        """MIP start values for the assignment variables from a territory-per-unit array."""
        return {v: float(assignment[u] == t) for (u, t), v in self.assign.items()}


def candidate_units(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    *,
    nearest: int | None,
    keep: np.ndarray | None = None,
    contiguous: bool = True,
) -> list[np.ndarray]:
    """Units allowed in each territory.

    A unit may join a territory when its distance to the centre is finite, it is not another
    territory's centre or locked elsewhere, and — if ``nearest`` is set — the territory is among
    its ``nearest`` closest centres (or it is ``keep``'s territory for that unit, e.g. the heuristic
    start's). With ``contiguous`` each set is then cut to the component holding its centre (a
    unit reachable only through another territory's centre cannot join a contiguous territory).
    """
    territories = distance.shape[1]
    allowed = np.isfinite(distance)
    if nearest is not None and nearest < territories:
        order = np.argsort(distance, axis=1, kind="stable")[:, :nearest]
        near = np.zeros_like(allowed)
        np.put_along_axis(near, order, True, axis=1)
        allowed &= near
    if keep is not None:
        has = keep >= 0
        allowed[np.flatnonzero(has), keep[has]] = True
    centre_of = {int(c): t for t, c in enumerate(centre)}
    for unit, territory in centre_of.items():
        allowed[unit, :] = False
        allowed[unit, territory] = True
    for unit, rep in inputs.locks.items():
        if unit not in centre_of:
            allowed[unit, :] = False
            allowed[unit, rep] = True
    if not contiguous:
        return [np.flatnonzero(allowed[:, t]).astype(np.int64) for t in range(territories)]
    result = []
    for territory in range(territories):
        members = np.flatnonzero(allowed[:, territory])
        reachable = nx.node_connected_component(
            graph.subgraph(members.tolist()), int(centre[territory])
        )
        result.append(np.asarray(sorted(reachable), dtype=np.int64))
    return result


def assignment_cost(spec: ModelSpec, num_units: int, distance: np.ndarray) -> np.ndarray:
    """Compactness cost of each unit × centre pair: weight · distance^power, inf if unreachable."""
    weight = spec.compactness_weight if spec.compactness_weight is not None else np.ones(num_units)
    finite = np.isfinite(distance)
    reach = np.where(finite, distance, 0.0)
    return np.where(finite, weight[:, None] * reach**spec.distance_power, np.inf)


def _expression(
    pairs: Sequence[tuple[pulp.LpVariable, float]], constant: float = 0.0
) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(list(pairs), constant=constant)


def build_model(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    candidates: list[np.ndarray],
    spec: ModelSpec,
) -> AlignmentModel:
    """Build the alignment MILP for fixed centres (one territory per centre)."""
    problem = pulp.LpProblem("alignment", pulp.LpMinimize)
    territories = len(centre)
    assign: dict[tuple[int, int], pulp.LpVariable] = {}
    for t in range(territories):
        for u in candidates[t]:
            assign[int(u), t] = problem.add_variable(f"x_{u}_{t}", 0, 1, pulp.LpBinary)
    by_unit: dict[int, list[tuple[int, pulp.LpVariable]]] = {u: [] for u in range(inputs.num_units)}
    for (u, t), variable in assign.items():
        by_unit[u].append((t, variable))

    for u in range(inputs.num_units):
        problem.addConstraint(
            pulp.LpConstraint(
                _expression([(v, 1.0) for _, v in by_unit[u]]),
                pulp.LpConstraintEQ,
                f"assign_{u}",
                1,
            )
        )
    model = AlignmentModel(problem, assign, candidates, centre, cost=np.zeros(0))
    _balance(model, inputs, spec)

    model.cost = assignment_cost(spec, inputs.num_units, distance)
    scale = model.objective_scale = (
        cost_scale(model.cost, assign) if spec.objective == "compactness" else 1.0
    )
    compact = _expression([(v, float(model.cost[u, t]) / scale) for (u, t), v in assign.items()])
    cut = (
        _cut_edges(model, inputs, territories)
        if spec.objective == "cut_edges" or spec.max_cut_edges is not None
        else None
    )
    disrupt = _disruption(model, inputs, spec) if inputs.current is not None else None
    chosen = {"compactness": compact, "cut_edges": cut, "disruption": disrupt}[spec.objective]
    if chosen is None:
        raise ValueError(f"objective {spec.objective!r} needs its data (a current alignment)")
    if spec.elastic:
        problem.setObjective(_expression([(v, 1.0) for v in model.elastic.values()]))
    else:
        problem.setObjective(chosen)
    for name, expression, limit in (
        (
            "limit_compactness",
            compact,
            None if spec.max_compactness is None else spec.max_compactness / scale,
        ),
        ("limit_cut_edges", cut, spec.max_cut_edges),
        ("limit_disruption", disrupt, spec.max_disruption),
    ):
        if limit is not None and expression is not None:
            problem.addConstraint(pulp.LpConstraint(expression, pulp.LpConstraintLE, name, limit))
    if spec.contiguity == "flow":
        from engine.align.contiguity import add_flow_contiguity

        add_flow_contiguity(model, graph)
    elif spec.contiguity == "sp":
        from engine.align.sp import add_sp_contiguity

        add_sp_contiguity(model, graph, distance)
    return model


def cost_scale(cost: np.ndarray, assign: dict[tuple[int, int], pulp.LpVariable]) -> float:
    """A power of ten near the median positive coefficient (keeps HiGHS' numerics in range)."""
    values = np.asarray([cost[u, t] for u, t in assign])
    positive = values[np.isfinite(values) & (values > 0)]
    if not len(positive):
        return 1.0
    return float(10.0 ** np.floor(np.log10(np.median(positive))))


def _balance(model: AlignmentModel, inputs: AlignmentInputs, spec: ModelSpec) -> None:
    """lower_a ≤ Σ_u a_u · x[u, t] ≤ upper_a for each activity a and territory t."""
    totals = inputs.activity.sum(axis=0)
    mean = totals / max(len(model.centre), 1)
    for a, name in enumerate(inputs.activity_names):
        low, high = float(inputs.lower[a]), float(inputs.upper[a])
        if spec.elastic:
            model.elastic[a, "low"] = model.problem.add_variable(f"short_{a}", 0, None)
            model.elastic[a, "high"] = model.problem.add_variable(f"excess_{a}", 0, None)
        scale = float(mean[a]) or 1.0  # rows in units of the mean: coefficients near 1/size
        for t, members in enumerate(model.candidates):
            terms = [
                (model.assign[int(u), t], float(inputs.activity[u, a]) / scale)
                for u in members
                if inputs.activity[u, a]
            ]
            if spec.elastic:
                low_terms = [*terms, (model.elastic[a, "low"], 1.0)]
                high_terms = [*terms, (model.elastic[a, "high"], -1.0)]
            else:
                low_terms = high_terms = terms
            if low > 0:
                model.problem.addConstraint(
                    pulp.LpConstraint(
                        _expression(low_terms),
                        pulp.LpConstraintGE,
                        f"balance_low_{a}_{t}",
                        low / scale,
                    )
                )
            if high < totals[a]:
                model.problem.addConstraint(
                    pulp.LpConstraint(
                        _expression(high_terms),
                        pulp.LpConstraintLE,
                        f"balance_high_{a}_{t}",
                        high / scale,
                    )
                )
        del name


def _cut_edges(
    model: AlignmentModel, inputs: AlignmentInputs, territories: int
) -> pulp.LpAffineExpression:
    """y_ij ≥ x[i, t] − x[j, t] for every t (one direction suffices: one territory per unit)."""
    terms = []
    for e, (i, j) in enumerate(inputs.edges.tolist()):
        cut = model.problem.add_variable(f"cut_{e}", 0, 1)
        terms.append((cut, 1.0))
        for t in range(territories):
            xi, xj = model.assign.get((i, t)), model.assign.get((j, t))
            if xi is None:
                continue
            pairs = [(cut, 1.0), (xi, -1.0)] + ([(xj, 1.0)] if xj is not None else [])
            model.problem.addConstraint(
                pulp.LpConstraint(_expression(pairs), pulp.LpConstraintGE, f"cutdef_{e}_{t}", 0)
            )
    return _expression(terms)


def _disruption(
    model: AlignmentModel, inputs: AlignmentInputs, spec: ModelSpec
) -> pulp.LpAffineExpression:
    """Σ_u w_u · (1 − x[u, current(u)]) over units with a current rep."""
    assert inputs.current is not None
    weight = (
        spec.disruption_weight if spec.disruption_weight is not None else np.ones(inputs.num_units)
    )
    constant = 0.0
    terms = []
    for u, rep in enumerate(inputs.current.tolist()):
        if rep < 0 or not weight[u]:
            continue
        constant += float(weight[u])
        variable = model.assign.get((u, rep))
        if variable is not None:
            terms.append((variable, -float(weight[u])))
    return _expression(terms, constant)
