"""Count mode solved exactly: the districting model, centres chosen by the model (Hess et al. 1965).

``x[u, c] = 1`` when unit u belongs to the territory centred on unit c; ``x[c, c] = 1`` opens c::

    Σ_c x[u, c] = 1                                   every unit in one territory
    Σ_c x[c, c] = k                                   k territories
    x[u, c] ≤ x[c, c]                                 only open centres take units
    lower_a · x[c, c] ≤ Σ_u a_u · x[u, c] ≤ upper_a · x[c, c]      balance, every activity a

Compactness Σ w_u · d(u, c)^p · x[u, c] is the p-median (p = 1) or Hess' moment of inertia (p = 2)
with the centres as decisions — the standard districting objective, so the optimum is over every
choice of centres, not a local optimum of location–allocation. Cut edges: ``y_e ≥ x[u, c] −
x[v, c]`` for each border e = (u, v) and centre c; when compactness plays no part the centre is
only a root, and the lowest unit of each territory is taken as its centre (no symmetric copies).

Contiguity (exact): ``x[u, c] ≤ Σ_{v ∈ N(u)} x[v, c]`` for u not adjacent to c (every path from u
to its centre leaves u through a neighbour; Validi, Buchanan & Lykhovyd 2022 call them length-one
a,b-separators), then the separator cuts of :mod:`engine.align.contiguity` for every piece cut off
from its centre, re-solving until the answer is contiguous. Every round solves a relaxation of the
contiguous problem, so its bound is valid and the final, contiguous answer is optimal for it. When
the rounds crawl (tight balance), small models get Shirabe's (2005) flow rows — each centre ships
one unit of flow to every unit it takes, along borders inside its territory — and the next round
is contiguous by construction.

The model has one column per (unit, centre) pair — n² — so :func:`solve_districting` is meant for
up to :data:`EXACT_UNITS` units; larger count-mode instances use location–allocation, which
:func:`relaxation_bound` (the LP relaxation without contiguity, up to :data:`BOUND_UNITS`) bounds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import networkx as nx
import numpy as np
import pulp

from engine.align.checker import objective_values
from engine.align.contiguity import cut_off_pieces, is_contiguous
from engine.align.distances import centre_distances
from engine.align.inputs import AlignmentInputs
from engine.align.model import ModelSpec, assignment_cost, cost_scale
from engine.solver import SolverSettings, solve
from engine.solver_status import SolverReport, SolveStatus, relative_gap

__all__ = [
    "BOUND_UNITS",
    "EXACT_UNITS",
    "DistrictingResult",
    "Relaxation",
    "relaxation_bound",
    "solve_districting",
]

#: Count mode solves the exact districting model up to this many units (n² columns).
EXACT_UNITS = 200
#: Beyond EXACT_UNITS, the model's LP relaxation still bounds location–allocation's answer up to
#: this many units (Texas, 254 counties: 31 s on 2 cores; a 400-unit grid: not solved in 60 s).
BOUND_UNITS = 300
#: Separator-cut rounds usually close in a few (long) rounds — West Virginia, Hess, ±0.5 %: 2;
#: South Carolina ±5 %: 3 — but crawl through many short ones when a tight balance lets every
#: relaxation scatter (Maine, Hess, ±0.5 %: 22 rounds, no contiguous answer in 60 s; with flows:
#: optimal in 13 s). After this many rounds, models with up to FLOW_ARCS flow arcs (2 × borders ×
#: candidate centres) get Shirabe's flow rows, and the next round is contiguous by construction.
_CUT_ROUNDS = 6
FLOW_ARCS = 40_000


@dataclass(frozen=True, eq=False)
class DistrictingResult:
    """Centres chosen (sorted unit positions), territory position per unit, report and notes."""

    centre: np.ndarray
    assignment: np.ndarray
    report: SolverReport
    notes: tuple[str, ...]


@dataclass
class _Model:
    problem: pulp.LpProblem
    x: dict[tuple[int, int], pulp.LpVariable]
    scale: float
    cuts: int = 0
    flows: bool = False
    flow_round: int = 0  # the first round solved with the flow rows
    separated: set[tuple[int, int, tuple[int, ...]]] = field(default_factory=set)  # cuts made


def _add_flows(model: _Model, graph: nx.Graph, first_round: int) -> None:
    """Shirabe's flow for every centre c: c sends one unit of flow to each unit it takes, along
    borders between units it takes — every answer is then contiguous (no more cut rounds)."""
    problem, x = model.problem, model.x
    members: dict[int, set[int]] = {}
    for u, c in x:
        if u != c:
            members.setdefault(c, set()).add(u)

    def row(terms: list[tuple[pulp.LpVariable, float]], sense: int, name: str) -> None:
        constraint = pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, 0)
        problem.addConstraint(constraint)

    for c, inside in sorted(members.items()):
        big = float(len(inside))
        arcs: dict[tuple[int, int], pulp.LpVariable] = {}
        for u in [c, *sorted(inside)]:
            for v in sorted(graph.neighbors(u)):
                if v in inside:  # nothing flows back into the centre
                    arcs[u, v] = problem.add_variable(f"f_{u}_{v}_{c}", 0, big)
        for u in sorted(inside):
            into = [(arcs[v, u], 1.0) for v in sorted(graph.neighbors(u)) if (v, u) in arcs]
            out = [(arcs[u, v], -1.0) for v in sorted(graph.neighbors(u)) if (u, v) in arcs]
            row([*into, *out, (x[u, c], -1.0)], pulp.LpConstraintEQ, f"flow_{u}_{c}")
        for (u, v), arc in arcs.items():
            row([(arc, 1.0), (x[v, c], -big)], pulp.LpConstraintLE, f"carry_{u}_{v}_{c}")
    model.flows, model.flow_round = True, first_round


def _flow_size(graph: nx.Graph, distance: np.ndarray) -> int:
    """Flow arcs the flow rows would add: both directions of every border, per centre."""
    return 2 * graph.number_of_edges() * int(np.isfinite(distance).any(axis=0).sum())


def _build(
    inputs: AlignmentInputs, graph: nx.Graph, distance: np.ndarray, spec: ModelSpec
) -> _Model:
    n = inputs.num_units
    problem = pulp.LpProblem("districting", pulp.LpMinimize)
    rooted = spec.objective != "compactness" and spec.max_compactness is None
    allowed = np.isfinite(distance)
    # a unit that, with the centre alone, already passes an upper bound never joins it: valid for
    # every answer, and it tightens the LP where units are lumpy (Texas: 30 pairs, bound +1.4 %)
    for a in range(inputs.activity.shape[1]):
        high = float(inputs.upper[a])
        if np.isfinite(high):
            size = inputs.activity[:, a]
            too_big = size[:, None] + size[None, :] > high + 1e-9 * max(1.0, abs(high))
            np.fill_diagonal(too_big, False)
            allowed &= ~too_big
    if rooted:  # the lowest unit of a territory is its centre
        allowed &= np.arange(n)[:, None] >= np.arange(n)[None, :]
    x: dict[tuple[int, int], pulp.LpVariable] = {}
    for c in range(n):
        for u in np.flatnonzero(allowed[:, c]).tolist():
            x[u, c] = problem.add_variable(f"x_{u}_{c}", 0, 1, pulp.LpBinary)
    by_unit: dict[int, list[pulp.LpVariable]] = {u: [] for u in range(n)}
    by_centre: dict[int, list[int]] = {c: [] for c in range(n)}
    for (u, c), variable in x.items():
        by_unit[u].append(variable)
        by_centre[c].append(u)

    def row(terms: list[tuple[pulp.LpVariable, float]], sense: int, name: str, rhs: float) -> None:
        expression = pulp.LpAffineExpression(terms)
        problem.addConstraint(pulp.LpConstraint(expression, sense, name, rhs))

    for u in range(n):
        row([(v, 1.0) for v in by_unit[u]], pulp.LpConstraintEQ, f"assign_{u}", 1)
    row([(x[c, c], 1.0) for c in range(n)], pulp.LpConstraintEQ, "count", inputs.count)
    mean = inputs.activity.sum(axis=0) / inputs.count
    for c in range(n):
        members = [u for u in by_centre[c] if u != c]
        for u in members:
            row([(x[u, c], 1.0), (x[c, c], -1.0)], pulp.LpConstraintLE, f"open_{u}_{c}", 0)
        for a in range(inputs.activity.shape[1]):
            scale = float(mean[a]) or 1.0
            terms = [(x[u, c], float(inputs.activity[u, a]) / scale) for u in members]
            own = float(inputs.activity[c, a]) / scale
            low, high = float(inputs.lower[a]) / scale, float(inputs.upper[a]) / scale
            if low > 0:  # one coefficient per variable: x[c, c] carries its own size − the bound
                row([*terms, (x[c, c], own - low)], pulp.LpConstraintGE, f"low_{a}_{c}", 0)
            if np.isfinite(high):
                row([*terms, (x[c, c], own - high)], pulp.LpConstraintLE, f"high_{a}_{c}", 0)
        if spec.contiguity is not None:
            for u in members:
                if graph.has_edge(u, c):
                    continue
                through = [(x[v, c], -1.0) for v in sorted(graph.neighbors(u)) if (v, c) in x]
                row([(x[u, c], 1.0), *through], pulp.LpConstraintLE, f"reach_{u}_{c}", 0)

    cost = assignment_cost(spec, n, distance)
    scale = cost_scale(cost, x)
    compact = pulp.LpAffineExpression([(v, float(cost[key]) / scale) for key, v in x.items()])
    cut = None
    if spec.objective == "cut_edges" or spec.max_cut_edges is not None:
        border = [problem.add_variable(f"y_{a}_{b}", 0, 1) for a, b in inputs.edges.tolist()]
        for (a, b), y in zip(inputs.edges.tolist(), border, strict=True):
            for c in range(n):
                for one, other in ((a, b), (b, a)):
                    if (one, c) in x:
                        terms = [(y, -1.0), (x[one, c], 1.0)]
                        if (other, c) in x:
                            terms.append((x[other, c], -1.0))
                        row(terms, pulp.LpConstraintLE, f"border_{one}_{other}_{c}", 0)
        cut = pulp.LpAffineExpression([(y, 1.0) for y in border])
    problem.setObjective(compact if spec.objective == "compactness" else cut)
    if spec.max_compactness is not None:
        limit = spec.max_compactness / scale
        row(list(compact.items()), pulp.LpConstraintLE, "limit_compactness", limit)
    if spec.max_cut_edges is not None and cut is not None:
        row(list(cut.items()), pulp.LpConstraintLE, "limit_cut_edges", spec.max_cut_edges)
    return _Model(problem, x, scale if spec.objective == "compactness" else 1.0)


def _read(
    model: _Model, num_units: int, values: dict[pulp.LpVariable, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(sorted centres, territory position per unit) from the variables' values (or ``values``)."""
    home = np.full(num_units, -1, dtype=np.int64)
    for (u, c), variable in model.x.items():
        value = variable.varValue if values is None else values.get(variable)
        if (value or 0.0) > 0.5:
            home[u] = c
    centre = np.unique(home[home >= 0])
    return centre, np.where(home >= 0, np.searchsorted(centre, home), -1)


def _add_cuts(model: _Model, graph: nx.Graph, centre: np.ndarray, assignment: np.ndarray) -> int:
    """Separator cuts for every piece of a territory that does not hold its centre."""
    added = 0
    for t, part, neighbours in cut_off_pieces(graph, assignment, centre):
        c = int(centre[t])
        inside = tuple(v for v in neighbours if (v, c) in model.x)
        through = [(model.x[v, c], -1.0) for v in inside]
        for u in part:
            if (c, u, inside) in model.separated:  # (an earlier answer's cut)
                continue
            model.separated.add((c, u, inside))
            expression = pulp.LpAffineExpression([(model.x[u, c], 1.0), *through])
            name = f"separator_{model.cuts}"
            model.problem.addConstraint(pulp.LpConstraint(expression, pulp.LpConstraintLE, name, 0))
            model.cuts += 1
            added += 1
    return added


def _value(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    spec: ModelSpec,
    distance: np.ndarray,
    centre: np.ndarray,
    assignment: np.ndarray,
) -> float:
    """The objective of an answer (centres, territory position per unit)."""
    values = objective_values(
        inputs,
        graph,
        assignment,
        centre,
        compactness_weight=spec.compactness_weight,
        distance_power=spec.distance_power,
        distance=distance[:, centre],
    )
    return float(values[spec.objective] or 0.0)


def _start(
    model: _Model, centre: np.ndarray, assignment: np.ndarray
) -> dict[pulp.LpVariable, float]:
    """MIP start values of the assignment columns for an answer."""
    home = centre[assignment]
    return {variable: float(home[u] == c) for (u, c), variable in model.x.items()}


class Relaxation(NamedTuple):
    """The districting model's LP relaxation: its value and each unit's opening ``x[c, c]``."""

    bound: float
    opening: np.ndarray


def relaxation_bound(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    spec: ModelSpec,
    settings: SolverSettings,
    *,
    distance: np.ndarray | None = None,
) -> Relaxation | None:
    """The districting model's LP relaxation without contiguity: a lower bound on the objective
    over every choice of centres (contiguity only raises it), with how far it opens each unit as
    a centre — or None when the LP is not solved within ``settings.time_limit`` (building the
    model counts)."""
    started = time.perf_counter()
    if distance is None:
        distance = centre_distances(inputs, graph, range(inputs.num_units))
    model = _build(inputs, graph, distance, replace(spec, contiguity=None))
    limit = settings.time_limit
    if limit is not None:
        limit -= time.perf_counter() - started
        if limit <= 0:
            return None
    report = solve(model.problem, settings.model_copy(update={"time_limit": limit}), relax=True)
    if report.status is not SolveStatus.OPTIMAL or report.objective is None:
        return None
    opening = np.array([model.x[c, c].varValue or 0.0 for c in range(inputs.num_units)])
    return Relaxation(report.objective * model.scale, opening)


def solve_districting(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    spec: ModelSpec,
    settings: SolverSettings,
    *,
    distance: np.ndarray | None = None,
) -> DistrictingResult:
    """Solve the count-mode problem exactly (see the module docstring)."""
    started = time.perf_counter()
    time_limit = settings.time_limit or float("inf")
    if distance is None:
        distance = centre_distances(inputs, graph, range(inputs.num_units))
    flow_ok = spec.contiguity is not None and _flow_size(graph, distance) <= FLOW_ARCS
    model = _build(inputs, graph, distance, spec)
    if flow_ok and _CUT_ROUNDS <= 0:
        _add_flows(model, graph, 1)
    build_seconds = time.perf_counter() - started
    report = SolverReport(status=SolveStatus.ERROR)
    centre = np.zeros(0, dtype=np.int64)
    assignment = np.full(inputs.num_units, -1, dtype=np.int64)
    rounds = 0
    load = solve_seconds = 0.0
    contiguous = False
    best_bound: float | None = None  # every round relaxes the problem: its bound is valid
    kept: tuple[float, np.ndarray, np.ndarray] | None = None  # best contiguous earlier answer
    while True:
        remaining = time_limit - (time.perf_counter() - started)
        # HiGHS 1.16 was seen to stall past its time limit in a root restart on this model
        options = {"mip_allow_restart": False, **settings.highs_options}
        round_settings = settings.model_copy(
            update={"time_limit": max(remaining, 0.5), "highs_options": options}
        )
        improving: list[dict[pulp.LpVariable, float]] = []  # the round's answers
        start = None if kept is None else _start(model, kept[1], kept[2])
        report = solve(model.problem, round_settings, start=start, on_solution=improving.append)
        rounds += 1
        load += report.load_seconds
        solve_seconds += report.solve_seconds
        if report.bound is not None and math.isfinite(report.bound):
            best_bound = report.bound if best_bound is None else max(best_bound, report.bound)
        if not report.has_solution:
            break
        centre, assignment = _read(model, inputs.num_units)
        contiguous = spec.contiguity is None or is_contiguous(graph, assignment, centre)
        if contiguous or time.perf_counter() - started >= time_limit:
            break
        _add_cuts(model, graph, centre, assignment)
        for answer in improving:  # its earlier answers: scattered ones cut all at once, and
            found_centre, found = _read(model, inputs.num_units, answer)  # the best contiguous
            if (found < 0).any() or len(found_centre) != inputs.count:  # one kept: it starts
                continue  # the next rounds, and answers if time runs out
            if not is_contiguous(graph, found, found_centre):
                _add_cuts(model, graph, found_centre, found)
                continue
            value = _value(inputs, graph, spec, distance, found_centre, found)
            if kept is None or value < kept[0]:
                kept = (value, found_centre, found)
        if flow_ok and not model.flows and rounds >= _CUT_ROUNDS:
            _add_flows(model, graph, rounds + 1)  # cut rounds crawl: contiguity in one MILP
    scale = model.scale
    bound = None if best_bound is None else best_bound * scale
    if report.has_solution and not contiguous and kept is not None:  # out of time: the best
        centre, assignment, contiguous = kept[1], kept[2], True  # contiguous answer seen
        report = replace(report, status=SolveStatus.FEASIBLE, time_limit_hit=True)
    if report.has_solution and not contiguous:  # out of time while still cutting
        report = replace(
            report,
            status=SolveStatus.TIME_LIMIT_NO_SOLUTION,
            objective=None,
            gap=None,
            bound=bound,
            time_limit_hit=True,
        )
        assignment = np.full(inputs.num_units, -1, dtype=np.int64)
    elif report.has_solution:
        objective = _value(inputs, graph, spec, distance, centre, assignment)
        if kept is not None and kept[0] < objective:  # (a time-limited last round)
            objective, centre, assignment = kept
            report = replace(report, status=SolveStatus.FEASIBLE, time_limit_hit=True)
        if bound is not None:
            bound = min(bound, objective)
        report = replace(
            report, objective=objective, bound=bound, gap=relative_gap(objective, bound)
        )
    else:
        report = replace(report, bound=bound)
    report = replace(
        report, build_seconds=build_seconds, load_seconds=load, solve_seconds=solve_seconds
    )
    how = f"length-one separators and {model.cuts} separator cuts in {rounds} solve round(s)"
    if model.flows:
        how += (
            f", Shirabe's flow ({_flow_size(graph, distance)} arcs) from round {model.flow_round}"
        )
    what = (
        "cut edges; each territory rooted at its lowest unit"
        if spec.objective == "cut_edges"
        else "p-median"
        if spec.distance_power == 1
        else "Hess moment-of-inertia"
    )
    notes = [
        f"count mode: exact districting model ({what}; centres chosen by the model among all "
        f"{inputs.num_units} units), {len(model.x)} assignment pairs"
        + (f"; contiguity: {how}" if spec.contiguity is not None else "")
    ]
    return DistrictingResult(centre, assignment, report, tuple(notes))
