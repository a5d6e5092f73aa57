"""``align(...)``: the orchestrator — validate, pre-check, choose centres, solve, check, report."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from engine.align.centres import relocate_centres, seed_centres
from engine.align.checker import AlignmentCheck, check_alignment, objective_values
from engine.align.distances import centre_distances, unit_graph
from engine.align.districting import (
    BOUND_UNITS,
    EXACT_UNITS,
    DistrictingResult,
    relaxation_bound,
    solve_districting,
)
from engine.align.explain import AlignmentInfeasible, needed_tolerance, prechecks
from engine.align.hybrid import relaxed_value
from engine.align.inputs import AlignmentInputs, Bounds, Metric, Table, prepare_inputs
from engine.align.model import ModelSpec, Objective
from engine.align.search import FixedCentreResult, solve_fixed_centres
from engine.errors import SolveError
from engine.solver import SolverSettings
from engine.solver_status import SolverReport, SolveStatus, relative_gap

__all__ = ["UNIT_WEIGHT", "Alignment", "align"]

#: ``compactness_weight=UNIT_WEIGHT`` weighs every unit 1: compactness is the plain distance sum.
UNIT_WEIGHT = "unit"


@dataclass(frozen=True, eq=False)
class Alignment:
    """A territory alignment: who goes where, how good it is, and how it was found."""

    assignment: pd.DataFrame  # unit, rep, centre (sorted by unit)
    territories: pd.DataFrame  # per rep: centre, units, activity sums and bounds, pieces
    objective: Objective
    objectives: Mapping[str, float | None]  # compactness, cut_edges, disruption (checker values)
    report: SolverReport
    check: AlignmentCheck
    notes: tuple[str, ...]

    @property
    def status(self) -> SolveStatus:
        return self.report.status

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the tables)."""
        return {
            "objective": self.objective,
            "objectives": dict(self.objectives),
            "check": {"ok": self.check.ok, "problems": list(self.check.problems)},
            "solver": self.report.to_dict(),
            "notes": list(self.notes),
        }


def weights(inputs: AlignmentInputs, name: str | None) -> np.ndarray:
    """Per-unit weights: the named activity, the primary one (None) or 1 (``UNIT_WEIGHT``)."""
    if name is None:
        return inputs.activity[:, 0].copy()
    if name == UNIT_WEIGHT:
        return np.ones(inputs.num_units)
    if name not in inputs.activity_names:
        raise SolveError(
            f"weight {name!r} is not an activity (activities: {inputs.activity_names})"
        )
    return inputs.column(name).copy()


def align(
    units: pd.DataFrame,
    adjacency: pd.DataFrame,
    *,
    centres: Table | None = None,
    count: int | None = None,
    distances: pd.DataFrame | None = None,
    current: Table | None = None,
    locks: Table | None = None,
    activities: Sequence[str] | None = None,
    tolerance: float | Mapping[str, float] = 0.05,
    bounds: Mapping[str, Bounds] | None = None,
    objective: Objective = "compactness",
    compactness_weight: str | None = None,
    disruption_weight: str | None = UNIT_WEIGHT,
    distance_power: Literal[1, 2] = 1,
    max_compactness: float | None = None,
    max_cut_edges: float | None = None,
    max_disruption: float | None = None,
    contiguity: bool = True,
    contiguity_method: Literal["hybrid", "sp", "cuts", "flow"] = "hybrid",
    candidates: int | Literal["auto"] | None = "auto",
    heuristic: bool | None = None,
    settings: SolverSettings | None = None,
    names: Mapping[str, str] | None = None,
    metric: Metric = "graph",
) -> Alignment:
    """Assign units to reps: contiguous, balanced within ±``tolerance``, best by ``objective``.

    ``centres`` (``rep, unit`` table or ``{rep: unit}``) fixes each rep's home; ``count`` instead
    asks for that many territories with centres chosen by the model: exactly (the districting
    model of :mod:`engine.align.districting`) up to ``EXACT_UNITS`` units, else by
    location–allocation (:mod:`engine.align.centres`; reported feasible, a local optimum).
    ``compactness_weight`` names the activity that weighs each unit's distance (default: the first
    activity; :data:`UNIT_WEIGHT` for the plain distance sum); ``disruption_weight`` likewise for
    disruption (default: 1 per unit moved). ``candidates`` limits each unit to its nearest centres
    ("auto": all when units × reps ≤ 20 000, else 12). The heuristic start runs for more than 100
    units unless ``heuristic`` says otherwise.

    ``metric``: distances along shared borders (``graph``, the default: km between neighbouring
    centroids, or hops without coordinates) or straight-line between centroids (``straight``:
    great-circle km from lat/lon, else Euclidean from x/y — the Hess and territory-design papers'
    convention); a ``distances`` table replaces both. ``distance_power`` 2 squares distances
    (Hess's moment of inertia).

    ``contiguity_method``: ``"hybrid"`` (default; exact) finds an incumbent with shortest-path
    contiguity rows, then bounds it with the LP and the MILP without contiguity plus separator cuts
    on the pairs that reduced-cost fixing keeps (:mod:`engine.align.hybrid`; ``candidates`` prunes
    only the incumbent search there); ``"sp"`` returns the SP model's answer — contiguous, but
    optimal only among SP-contiguous territories; its bound and gap are for exact contiguity;
    ``"flow"`` and ``"cuts"`` are the plain exact formulations (see
    ``benchmarks/bench_align.py --compare``). Raises
    :class:`DataError` for bad tables and :class:`AlignmentInfeasible` with the reasons when no
    alignment exists.
    """
    settings = settings or SolverSettings()
    started = time.perf_counter()
    inputs = prepare_inputs(
        units,
        adjacency,
        centres=centres,
        count=count,
        distances=distances,
        current=current,
        locks=locks,
        activities=activities,
        tolerance=tolerance,
        bounds=bounds,
        names=names,
        metric=metric,
    )
    if objective == "disruption" and inputs.current is None:
        raise SolveError("objective 'disruption' needs the current alignment")
    graph = unit_graph(inputs)
    reasons = prechecks(inputs, graph, contiguity=contiguity)
    if reasons:
        raise AlignmentInfeasible(reasons)
    spec = ModelSpec(
        objective=objective,
        compactness_weight=weights(inputs, compactness_weight),
        disruption_weight=weights(inputs, disruption_weight),
        distance_power=distance_power,
        max_compactness=max_compactness,
        max_cut_edges=max_cut_edges,
        max_disruption=max_disruption,
        contiguity=contiguity_method if contiguity else None,
    )
    territories = inputs.count
    nearest = (
        (None if inputs.num_units * territories <= 20_000 else 12)
        if candidates == "auto"
        else candidates
    )
    use_heuristic = inputs.num_units > 100 if heuristic is None else heuristic
    notes: list[str] = list(inputs.warnings)
    if activities is None:
        notes.append(
            f"balanced activities: {', '.join(inputs.activity_names)} (every numeric column of the "
            "units; name them to choose)"
        )
    if inputs.centre is not None:
        centre = inputs.centre
        distance = centre_distances(inputs, graph, centre.tolist())
        result = solve_fixed_centres(
            inputs,
            graph,
            centre,
            distance,
            spec,
            settings,
            nearest=nearest,
            use_heuristic=use_heuristic,
        )
    else:
        counted = time.perf_counter()
        centre, result = _count_mode(inputs, graph, spec, settings, nearest, use_heuristic, notes)
        result = _whole_run(result, time.perf_counter() - counted)
    notes.extend(result.notes)
    if not result.report.has_solution:
        _explain_failure(inputs, graph, centre, result, spec, settings, nearest)
    return _finish(inputs, graph, centre, result, spec, notes, started)


def _time_left(settings: SolverSettings, started: float) -> float:
    """Seconds of the time limit (an hour without one) left since ``started``."""
    return (settings.time_limit or 3600.0) - (time.perf_counter() - started)


def _whole_run(result: FixedCentreResult, seconds: float) -> FixedCentreResult:
    """Count mode runs several models (exact rounds, LP, allocation rounds): its report's solve
    time is the whole run's, less the last model's build and load, so ``total_seconds`` is the
    wall time spent choosing centres and allocating."""
    report = result.report
    solve = max(report.solve_seconds, seconds - report.build_seconds - report.load_seconds)
    return replace(result, report=replace(report, solve_seconds=solve))


def _count_mode(
    inputs: AlignmentInputs,
    graph: Any,
    spec: ModelSpec,
    settings: SolverSettings,
    nearest: int | None,
    use_heuristic: bool,
    notes: list[str],
) -> tuple[np.ndarray, FixedCentreResult]:
    """Count mode: the exact districting model up to ``EXACT_UNITS`` units, else (or when it
    finds no contiguous answer in time) location–allocation, reported as feasible — never as
    optimal, since its centres are only a local optimum — bounded by the exact model's rounds or,
    up to ``BOUND_UNITS``, its LP relaxation."""
    started = time.perf_counter()
    bound: float | None = None
    seed: np.ndarray | None = None
    if inputs.num_units <= EXACT_UNITS:
        distance = centre_distances(inputs, graph, range(inputs.num_units))
        # 60 % of the time (40 % for cut edges or disruption, whose fallback is the compactness
        # model): if it ends without a contiguous answer, the fallbacks have the rest
        part = 0.6 if spec.objective == "compactness" else 0.4
        share = settings.model_copy(update={"time_limit": part * (settings.time_limit or 3600.0)})
        exact = solve_districting(inputs, graph, spec, share, distance=distance)
        if exact.report.status is not SolveStatus.TIME_LIMIT_NO_SOLUTION:
            # no answer (infeasible, error): the explanation is sought at spread centres
            centre = (
                exact.centre
                if exact.report.has_solution
                else seed_centres(inputs, graph, inputs.count)
            )
            result = FixedCentreResult(
                exact.assignment, exact.report, exact.notes, {}, distance[:, centre]
            )
            left = _time_left(settings, started)
            if exact.report.status is SolveStatus.FEASIBLE and left > 1.0:
                result = _reallocate(inputs, graph, centre, result, spec, settings, left, nearest)
            return centre, result
        bound = exact.report.bound
        if len(exact.centre) == inputs.count:  # its last, scattered answer: good centres
            seed = exact.centre
        notes.extend(exact.notes)
        notes.append("the exact districting model found no contiguous answer in time")
        if spec.objective != "compactness":
            found = _compact_proxy(
                inputs,
                graph,
                distance,
                exact,
                spec,
                settings,
                started,
                notes,
                nearest,
                use_heuristic,
            )
            if found is not None:
                return found
    else:
        bound, seed = _relaxation_start(inputs, graph, spec, settings, notes)
    source = (
        "the exact model's last, scattered answer"
        if inputs.num_units <= EXACT_UNITS
        else f"the LP relaxation's {inputs.count} most-open units"
    )
    # from the exact model's last, scattered answer (Alabama), the LP relaxation's most-open
    # centres (Texas) or spread centres (Kansas), whichever looks better; the other too if time
    # is left; the better answer is kept
    rest = settings.model_copy(update={"time_limit": max(_time_left(settings, started), 1.0)})
    starts = (
        [None]
        if seed is None
        else _by_allocation_lp(inputs, graph, spec, rest, seed, source, notes)
    )
    best: tuple[np.ndarray, FixedCentreResult] | None = None
    for number, start in enumerate(starts):
        left = _time_left(settings, started)
        if best is not None and left <= 2.0:
            break
        if number:
            notes.append("time is left: location–allocation from the other start too")
        found = _locate_allocate(
            inputs,
            graph,
            spec,
            settings.model_copy(update={"time_limit": max(left, 1.0)}),
            nearest,
            use_heuristic,
            notes,
            start,
            source,
        )
        if best is None or _better(found[1].report, best[1].report):
            best = found
            if number:
                notes.append("its plan is better: kept")
    assert best is not None
    centre, result = best
    if not result.report.has_solution:
        return centre, result
    objective = result.report.objective
    if bound is not None and objective is not None:
        bound = min(bound, objective)  # (a bound a rounding error above the answer it bounds)
    report = replace(
        result.report,
        status=SolveStatus.FEASIBLE,
        bound=bound,
        gap=relative_gap(objective, bound),
    )
    if bound is None and inputs.num_units <= EXACT_UNITS:
        notes.append(
            "no bound over all centre choices (the exact model reached none in time): "
            "status feasible"
        )
    return centre, replace(result, report=report)


def _relaxation_start(
    inputs: AlignmentInputs,
    graph: Any,
    spec: ModelSpec,
    settings: SolverSettings,
    notes: list[str],
) -> tuple[float | None, np.ndarray | None]:
    """Beyond the exact model's size, for compactness: the districting model's LP relaxation
    (half the time at most) bounds every choice of centres, and the k units it opens most are
    where location–allocation may start (Texas: 3.30e9, from spread centres 3.51e9). The
    cut-edge LP is near zero: not tried. (bound, centres), each None when there is none."""
    why = f"more than {EXACT_UNITS} units"
    if spec.objective != "compactness":
        why += f", objective {spec.objective}"
    elif inputs.num_units > BOUND_UNITS:
        why += f", the LP relaxation is not tried beyond {BOUND_UNITS}"
    else:
        share = 0.5 * (settings.time_limit or 3600.0)
        relaxed = relaxation_bound(
            inputs, graph, spec, settings.model_copy(update={"time_limit": share})
        )
        if relaxed is not None:
            notes.append(
                f"bound: the districting model's LP relaxation over all {inputs.num_units} "
                f"centre choices, without contiguity: {relaxed.bound:.10g}"
            )
            opened = np.argsort(-relaxed.opening, kind="stable")[: inputs.count]
            return relaxed.bound, np.sort(opened)
        why += f", the LP relaxation unsolved in {share:.0f} s"
    notes.append(f"no bound over all centre choices ({why}): status feasible")
    return None, None


def _by_allocation_lp(
    inputs: AlignmentInputs,
    graph: Any,
    spec: ModelSpec,
    settings: SolverSettings,
    seed: np.ndarray,
    source: str,
    notes: list[str],
) -> list[np.ndarray | None]:
    """``seed`` and spread centres (None), the one whose allocation LP (no contiguity) is lower
    first — where location–allocation starts."""
    spread = np.sort(seed_centres(inputs, graph, inputs.count))
    quick = settings.model_copy(update={"time_limit": max(1.0, 0.05 * (settings.time_limit or 60))})
    values = [
        relaxed_value(inputs, graph, c, centre_distances(inputs, graph, c.tolist()), spec, quick)
        for c in (np.sort(seed), spread)
    ]
    notes.append(
        f"allocation LP at the centres of {source} {values[0]:.6g}, at spread centres "
        f"{values[1]:.6g}: location–allocation starts from the lower"
    )
    return [seed, None] if values[0] <= values[1] else [None, seed]


def _better(report: SolverReport, than: SolverReport) -> bool:
    """True when ``report`` has an answer and ``than`` none or a worse one."""
    if not report.has_solution or report.objective is None:
        return False
    return not than.has_solution or than.objective is None or report.objective < than.objective


def _compact_proxy(
    inputs: AlignmentInputs,
    graph: Any,
    distance: np.ndarray,
    exact: DistrictingResult,
    spec: ModelSpec,
    settings: SolverSettings,
    started: float,
    notes: list[str],
    nearest: int | None,
    use_heuristic: bool,
) -> tuple[np.ndarray, FixedCentreResult] | None:
    """Cut edges or disruption without any exact answer (tight balance): compact districts have
    few cut edges. They come from the compactness districting model — a far tighter LP — or, when
    it finds none in its time, from location–allocation for compactness (from that model's last,
    scattered answer; allocations by the SP model, unproven: only a start is sought). Their
    centres, fixed, are then re-allocated for the real objective, starting from the compact plan.
    Feasible, with the exact model's bound; None when no compact plan is found."""
    left = _time_left(settings, started)
    if left <= 1.0:
        return None
    proxy_spec = replace(spec, objective="compactness")
    proxy_settings = settings.model_copy(update={"time_limit": 0.4 * left})
    proxy = solve_districting(inputs, graph, proxy_spec, proxy_settings, distance=distance)
    if proxy.report.has_solution:
        centre, plan, remarks, base = proxy.centre, proxy.assignment, proxy.notes, proxy.report
        source = "the compactness districting model's plan"
    else:
        notes.append("the compactness model found no contiguous answer either")
        left = _time_left(settings, started)
        if left <= 2.0:
            return None
        seed = proxy.centre if len(proxy.centre) == inputs.count else None
        quick = proxy_spec if spec.contiguity is None else replace(proxy_spec, contiguity="sp")
        centre, found = _locate_allocate(
            inputs,
            graph,
            quick,
            settings.model_copy(update={"time_limit": 0.5 * left}),
            nearest,
            use_heuristic,
            notes,
            seed,
            "the compactness model's last, scattered answer",
        )
        if not found.report.has_solution:
            return None
        plan, remarks, base = found.assignment, (), found.report
        source = "location–allocation's compact plan"
    values = objective_values(
        inputs,
        graph,
        plan,
        centre,
        compactness_weight=spec.compactness_weight,
        disruption_weight=spec.disruption_weight,
        distance_power=spec.distance_power,
        distance=distance[:, centre],
    )
    objective = float(values[spec.objective] or 0.0)
    bound = exact.report.bound
    report = replace(
        base,
        status=SolveStatus.FEASIBLE,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
    )
    note = f"start from {source} ({spec.objective} {objective:.6g})"
    result = FixedCentreResult(plan, report, (*remarks, note), {}, distance[:, centre])
    left = _time_left(settings, started)
    if left > 1.0:
        result = _reallocate(inputs, graph, centre, result, spec, settings, left, None)
    return centre, result


def _reallocate(
    inputs: AlignmentInputs,
    graph: Any,
    centre: np.ndarray,
    exact: FixedCentreResult,
    spec: ModelSpec,
    settings: SolverSettings,
    left: float,
    nearest: int | None,
) -> FixedCentreResult:
    """The time the exact model left: its centres, fixed, re-allocated (kept when better; the
    bound stays the exact model's, valid over every choice of centres)."""
    fixed = solve_fixed_centres(
        inputs,
        graph,
        centre,
        exact.distance,
        spec,
        settings.model_copy(update={"time_limit": left}),
        nearest=nearest,
        use_heuristic=False,
        initial=(exact.assignment, "the plan re-allocated"),
    )
    before, after = exact.report.objective, fixed.report.objective
    if not fixed.report.has_solution or before is None or after is None or after >= before:
        return exact
    bound = exact.report.bound
    report = replace(
        exact.report,
        objective=after,
        gap=relative_gap(after, bound),
        solve_seconds=exact.report.solve_seconds + fixed.report.solve_seconds,
    )
    note = f"its centres, fixed, re-allocated for {spec.objective} in the time left: "
    note += f"{before:.6g} → {after:.6g}"
    return replace(exact, assignment=fixed.assignment, report=report, notes=(*exact.notes, note))


def _locate_allocate(
    inputs: AlignmentInputs,
    graph: Any,
    spec: ModelSpec,
    settings: SolverSettings,
    nearest: int | None,
    use_heuristic: bool,
    notes: list[str],
    seed: np.ndarray | None = None,
    seed_source: str = "the exact model's last, scattered answer",
) -> tuple[np.ndarray, FixedCentreResult]:
    """Count mode: Hess' iteration of allocation (MILP) and location (1-median) steps, from
    ``seed`` centres (found in ``seed_source``) or, without them, centres spread over the map."""
    deadline = time.perf_counter() + (settings.time_limit or 3600.0)
    centre = seed_centres(inputs, graph, inputs.count) if seed is None else np.sort(seed)
    weight = (
        spec.compactness_weight
        if spec.compactness_weight is not None
        else np.ones(inputs.num_units)
    )
    seen: set[tuple[int, ...]] = set()
    best: tuple[np.ndarray, FixedCentreResult] | None = None
    for iteration in range(8):
        remaining = deadline - time.perf_counter()
        if remaining <= 0 and best is not None:
            break
        # the first allocation must find an answer: it gets most of the time, later ones half
        per_round = max(1.0, remaining * (0.6 if iteration == 0 else 0.5))
        distance = centre_distances(inputs, graph, centre.tolist())
        result = solve_fixed_centres(
            inputs,
            graph,
            centre,
            distance,
            spec,
            settings.model_copy(update={"time_limit": per_round}),
            nearest=nearest,
            use_heuristic=use_heuristic,
        )
        if not result.report.has_solution:
            break
        if best is None or (result.report.objective or 0) < (best[1].report.objective or 0) - 1e-9:
            best = (centre, result)
        seen.add(tuple(centre.tolist()))
        moved = np.sort(relocate_centres(inputs, graph, result.assignment, weight, centre))
        if tuple(moved.tolist()) in seen:
            break
        centre = moved
    if best is None:
        return centre, result
    notes.append(
        "count mode: centres chosen by location–allocation (Hess et al. 1965) from "
        + ("a spread seed" if seed is None else seed_source)
        + f", {len(seen)} allocation round(s); a local optimum, "
        + f"{spec.objective} {best[1].report.objective:.6g}"
    )
    return best


def _explain_failure(
    inputs: AlignmentInputs,
    graph: Any,
    centre: np.ndarray,
    result: FixedCentreResult,
    spec: ModelSpec,
    settings: SolverSettings,
    nearest: int | None,
) -> None:
    status = result.report.status
    if status is SolveStatus.TIME_LIMIT_NO_SOLUTION:
        raise SolveError(
            "no alignment found within the time limit "
            f"({settings.time_limit:g} s); allow more time or loosen the tolerance"
        )
    if status not in (SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED):
        raise SolveError(f"the solver failed: {result.report.message or status.value}")
    elastic = solve_fixed_centres(  # on all pairs: pruning would overstate what is needed
        inputs,
        graph,
        centre,
        result.distance,
        replace(spec, elastic=True),
        settings,
        nearest=None,
        use_heuristic=False,
    )
    if not elastic.report.has_solution:
        limits = [
            n
            for n, v in (
                ("compactness", spec.max_compactness),
                ("cut edges", spec.max_cut_edges),
                ("disruption", spec.max_disruption),
            )
            if v is not None
        ]
        extra = f" and the limits on {', '.join(limits)}" if limits else ""
        raise AlignmentInfeasible(
            [f"no alignment exists with any balance tolerance: contiguity, locks{extra} conflict"]
        )
    needed = needed_tolerance(inputs, elastic.slack)
    reasons = []
    for a, name in enumerate(inputs.activity_names):
        if elastic.slack.get((a, "low"), 0) + elastic.slack.get((a, "high"), 0) > 1e-7:
            reasons.append(
                f"{name}: cannot keep every territory within the band; the elastic re-solve needs "
                f"a tolerance of about ±{100 * needed[name]:.1f} % of the mean"
            )
    if not reasons:
        reasons.append("infeasible only in combination with the limits (ε-constraints) or locks")
    raise AlignmentInfeasible(reasons, {n: needed[n] for n in sorted(needed)})


def _finish(
    inputs: AlignmentInputs,
    graph: Any,
    centre: np.ndarray,
    result: FixedCentreResult,
    spec: ModelSpec,
    notes: list[str],
    started: float,
) -> Alignment:
    labels = list(inputs.reps) if inputs.reps is not None else [inputs.units[c] for c in centre]
    assignment = pd.DataFrame(
        {
            "unit": list(inputs.units),
            "rep": [labels[t] for t in result.assignment],
            "centre": [inputs.units[centre[t]] for t in result.assignment],
        }
    )
    check = check_alignment(
        inputs,
        assignment,
        contiguity=spec.contiguity is not None,
        compactness_weight=spec.compactness_weight,
        disruption_weight=spec.disruption_weight,
        distance_power=spec.distance_power,
        graph=graph,
    )
    if not check.ok:
        notes.append("CHECK FAILED: " + "; ".join(check.problems))
    notes.append(f"total wall time {time.perf_counter() - started:.2f} s")
    return Alignment(
        assignment=assignment,
        territories=check.territories,
        objective=spec.objective,
        objectives=check.objectives,
        report=result.report,
        check=check,
        notes=tuple(notes),
    )
