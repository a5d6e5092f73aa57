"""Solve the alignment for fixed centres: heuristic start, MILP, contiguity cuts round by round.

(Methods ``hybrid`` — the default — and ``sp`` are solved by :mod:`engine.align.hybrid`; this module
runs ``flow`` and ``cuts``, and the elastic diagnosis.)

With ``contiguity="cuts"`` the MILP is solved, separator cuts are added for every territory piece
cut off from its centre, and the MILP is solved again (warm-started with the best contiguous
alignment known) until the answer is contiguous or the time is up. The bound of the last round is a
valid bound for the contiguous problem (each round is a relaxation of it). If time runs out with a
non-contiguous incumbent, the best contiguous alignment known (the heuristic's) is returned as
*feasible* with that bound — never a non-contiguous answer labelled optimal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import pulp

from engine.align.checker import objective_values
from engine.align.contiguity import (
    add_earlier_cuts,
    add_separator_cuts,
    is_contiguous,
)
from engine.align.heuristic import balance_violation, heuristic_start
from engine.align.inputs import AlignmentInputs
from engine.align.model import ModelSpec, assignment_cost, build_model, candidate_units
from engine.solver import SolverSettings, solve
from engine.solver_status import SolverReport, SolveStatus, relative_gap

__all__ = ["FixedCentreResult", "solve_fixed_centres"]

_LOOSE_GAP = 0.01


@dataclass(frozen=True, eq=False)
class FixedCentreResult:
    """Territory per unit (-1 when none), the solve report, notes, and the model's elastic slack."""

    assignment: np.ndarray
    report: SolverReport
    notes: tuple[str, ...]
    slack: dict[tuple[int, str], float]
    distance: np.ndarray


def _acceptable(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    assignment: np.ndarray,
    centre: np.ndarray,
    spec: ModelSpec,
    distance: np.ndarray,
) -> bool:
    """Does a heuristic assignment meet balance, locks, ε-limits (and contiguity if asked)?"""
    if (assignment < 0).any():
        return False
    loads = np.zeros((len(centre), inputs.activity.shape[1]))
    np.add.at(loads, assignment, inputs.activity)
    if balance_violation(inputs, loads) > 1e-9:
        return False
    if any(assignment[u] != r for u, r in inputs.locks.items()):
        return False
    if spec.contiguity and not is_contiguous(graph, assignment, centre):
        return False
    values = _values(inputs, graph, assignment, centre, spec, distance)
    limits = {
        "compactness": spec.max_compactness,
        "cut_edges": spec.max_cut_edges,
        "disruption": spec.max_disruption,
    }
    return all(
        limit is None or (values[key] is not None and values[key] <= limit + 1e-6)  # type: ignore[operator]
        for key, limit in limits.items()
    )


def _values(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    assignment: np.ndarray,
    centre: np.ndarray,
    spec: ModelSpec,
    distance: np.ndarray,
) -> dict[str, float | None]:
    """All three objective values of ``assignment`` under ``spec``'s weights and distances."""
    return objective_values(
        inputs,
        graph,
        assignment,
        centre,
        compactness_weight=spec.compactness_weight,
        disruption_weight=spec.disruption_weight,
        distance_power=spec.distance_power,
        distance=distance,
    )


def _objective(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    assignment: np.ndarray,
    centre: np.ndarray,
    spec: ModelSpec,
    distance: np.ndarray,
) -> float:
    values = _values(inputs, graph, assignment, centre, spec, distance)
    return float(values[spec.objective] or 0.0)


def _unscale(report: SolverReport, scale: float) -> SolverReport:
    if scale == 1.0:
        return report
    return replace(
        report,
        objective=None if report.objective is None else report.objective * scale,
        bound=None if report.bound is None else report.bound * scale,
    )


def solve_fixed_centres(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    spec: ModelSpec,
    settings: SolverSettings,
    *,
    nearest: int | None,
    use_heuristic: bool,
    initial: tuple[np.ndarray, str] | None = None,
) -> FixedCentreResult:
    """Heuristic start (optional), candidate pruning, MILP with contiguity; see the module doc.

    ``hybrid`` and ``sp`` contiguity go to :func:`engine.align.hybrid.solve_hybrid` (the elastic
    diagnosis of either uses the flow model). ``initial``: an alignment to start from and where
    it came from (the MIP start when it is within the limits).
    """
    if spec.contiguity in ("hybrid", "sp"):
        if spec.elastic:
            spec = replace(spec, contiguity="flow")
        else:
            from engine.align.hybrid import solve_hybrid

            found, outcome, remarks = solve_hybrid(
                inputs,
                graph,
                centre,
                distance,
                spec,
                settings,
                nearest=nearest,
                use_heuristic=use_heuristic,
                prove=spec.contiguity == "hybrid",
                initial=initial,
            )
            return FixedCentreResult(found, outcome, tuple(remarks), {}, distance)
    started = time.perf_counter()
    time_limit = settings.time_limit or float("inf")
    notes: list[str] = []
    cost = assignment_cost(spec, inputs.num_units, distance)
    best: np.ndarray | None = None
    keep = None
    if use_heuristic and not spec.elastic:
        heuristic = heuristic_start(
            inputs, graph, centre, distance, cost, time_limit=min(10.0, 0.1 * time_limit)
        )
        keep = heuristic
        if _acceptable(inputs, graph, heuristic, centre, spec, distance):
            best = heuristic
            notes.append(
                "heuristic start used: balanced region growing + local moves "
                f"(objective {_objective(inputs, graph, heuristic, centre, spec, distance):.6g}), "
                "passed to HiGHS as a MIP start"
            )
        else:
            notes.append("heuristic start computed but not within the limits; MILP started cold")
    if initial is not None and _acceptable(inputs, graph, initial[0], centre, spec, distance):
        value = _objective(inputs, graph, initial[0], centre, spec, distance)
        if best is None or value < _objective(inputs, graph, best, centre, spec, distance):
            best = keep = initial[0]
            notes.append(f"start from {initial[1]} (objective {value:.6g}), a MIP start")
    candidates = candidate_units(
        inputs,
        graph,
        centre,
        distance,
        nearest=nearest,
        keep=keep,
        contiguous=spec.contiguity is not None,
    )
    if nearest is not None and nearest < len(centre):
        notes.append(f"candidate reps per unit pruned to the {nearest} nearest centres")
    build_started = time.perf_counter()
    model = build_model(inputs, graph, centre, distance, candidates, spec)
    build_seconds = time.perf_counter() - build_started
    rounds = 0
    total_solve = total_load = 0.0
    report = SolverReport(status=SolveStatus.ERROR)
    assignment = np.full(inputs.num_units, -1, dtype=np.int64)
    # lazy cuts: rounds run at a loose gap until the answer is contiguous, then at the asked gap
    loose = spec.contiguity == "cuts" and settings.mip_gap < _LOOSE_GAP
    while True:
        remaining = time_limit - (time.perf_counter() - started)
        gap = _LOOSE_GAP if loose else settings.mip_gap
        round_settings = settings.model_copy(
            update={"time_limit": max(remaining, 1.0), "mip_gap": gap}
        )
        start = model.start_values(best) if best is not None else None
        improving: list[dict[pulp.LpVariable, float]] = []  # the round's answers
        report = _unscale(
            solve(
                model.problem,
                round_settings,
                start=start,
                build_seconds=build_seconds,
                on_solution=improving.append if spec.contiguity == "cuts" else None,
            ),
            model.objective_scale,
        )
        rounds += 1
        total_solve += report.solve_seconds
        total_load += report.load_seconds
        if not report.has_solution:
            break
        assignment = model.assignment(inputs.num_units)
        if spec.contiguity != "cuts":
            break
        if add_separator_cuts(model, graph, assignment) == 0:
            if not loose:
                break
            loose = False  # contiguous at the loose gap: one more round at the asked gap
            best = assignment
        if time.perf_counter() - started >= time_limit:
            report = replace(report, status=SolveStatus.FEASIBLE, time_limit_hit=True)
            assignment = np.full(inputs.num_units, -1, dtype=np.int64)
            break
        add_earlier_cuts(
            model, graph, [model.assignment_of(v, inputs.num_units) for v in improving]
        )
    if spec.contiguity == "cuts":
        notes.append(f"contiguity: {model.cuts_added} separator cuts in {rounds} solve round(s)")
    report = replace(
        report, build_seconds=build_seconds, solve_seconds=total_solve, load_seconds=total_load
    )
    if report.has_solution and (assignment < 0).any():  # stopped while still cutting
        if best is None:
            report = replace(
                report, status=SolveStatus.TIME_LIMIT_NO_SOLUTION, objective=None, gap=None
            )
        else:
            objective = _objective(inputs, graph, best, centre, spec, distance)
            report = replace(report, objective=objective, gap=relative_gap(objective, report.bound))
            assignment = best
            notes.append("time limit hit before the cuts closed; returning the heuristic alignment")
    elif (
        not report.has_solution
        and best is not None
        and report.status in (SolveStatus.TIME_LIMIT_NO_SOLUTION,)
    ):
        objective = _objective(inputs, graph, best, centre, spec, distance)
        report = replace(report, status=SolveStatus.FEASIBLE, objective=objective)
        assignment = best
        notes.append("the MILP found no solution in time; returning the heuristic alignment")
    if nearest is not None and nearest < len(centre):
        left = time_limit - (time.perf_counter() - started)
        if report.status is SolveStatus.INFEASIBLE and not spec.elastic and left > 1.0:
            # infeasible among the nearest centres only: the full problem decides
            full = solve_fixed_centres(
                inputs,
                graph,
                centre,
                distance,
                spec,
                settings.model_copy(update={"time_limit": left}),
                nearest=None,
                use_heuristic=False,
            )
            remark = f"no alignment among each unit's {nearest} nearest centres: all pairs solved"
            return replace(full, notes=(*notes, remark, *full.notes))
        report, pruned_note = _pruned(report, nearest)
        if pruned_note:
            notes.append(pruned_note)
    slack = {key: float(v.varValue or 0.0) for key, v in model.elastic.items()}
    return FixedCentreResult(assignment, report, tuple(notes), slack, distance)


def _pruned(report: SolverReport, nearest: int) -> tuple[SolverReport, str]:
    """The report of a model on pruned candidate pairs, as a claim about the full problem: an
    optimum or bound among the ``nearest`` centres per unit proves nothing beyond them, and no
    answer among them does not make the full problem infeasible."""
    if report.status is SolveStatus.OPTIMAL or (report.has_solution and report.bound is not None):
        return replace(report, status=SolveStatus.FEASIBLE, bound=None, gap=None), (
            f"optimal at best among each unit's {nearest} nearest centres: no bound for the full "
            "problem (method 'hybrid' gives one)"
        )
    if report.status in (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED):
        return replace(report, status=SolveStatus.TIME_LIMIT_NO_SOLUTION), (
            f"no alignment among each unit's {nearest} nearest centres, and no time left for all "
            "pairs"
        )
    return report, ""
