"""Fixed centres, fast: an SP-contiguous incumbent, then an exact bound (``hybrid``, ``sp``).

0. **Bound.** The LP relaxation of the model *without* contiguity on *all* candidate pairs: a lower
   bound valid for exact contiguity (and its reduced costs, for step 2).
1. **Incumbent**, with shortest-path contiguity rows (:mod:`engine.align.sp`) on each unit's
   ``nearest`` centres (widened to all centres if nothing is found): relax–round–fix (solve the
   LP, fix the units it assigns whole, solve the MILP on the rest and their neighbours), then a
   large-neighbourhood search (re-solve one territory with its nearest adjacent territories, the
   rest fixed, while it improves), then — for small models — the whole SP MILP warm-started.
   Every answer is polished by the solver-free local search (:mod:`engine.align.local`: moves
   and swaps across borders; an SP-preserving pass seeds the SP search, and for ``hybrid`` a pass
   keeping only exact contiguity follows). Every incumbent is re-checked (balance, locks, limits,
   contiguity) before it is kept; the region-growing heuristic's answer is offered too, and for
   cut edges or disruption (weak LPs) without it, the compactness SP model's answer (30 % of the
   time at most: compact territories have few cut edges). When the
   SP model's LP bound is not below the incumbent already known (``hybrid``), no SP-contiguous
   answer can improve it: the step is skipped and its time goes to the proof (straight-line
   distances on a sparse map put that bound 1–5 % above the LP bound without contiguity).
2. **Reduced-cost fixing.** With an incumbent of value UB, every pair (u, t) with
   ``z_LP + rc[u, t] > UB`` is dropped: no alignment better than UB can use it.
3. **Proof** (``hybrid`` only, while the gap exceeds ``mip_gap``). The MILP without contiguity on
   the remaining pairs, warm-started with the incumbent; if its answer is not contiguous, separator
   cuts (:func:`~engine.align.contiguity.add_separator_cuts`, valid for every contiguous alignment)
   are added — for that answer and every earlier improving answer of the round (HiGHS reports
   each), so fewer rounds restart the search — and it is solved again. Its dual bound is a lower
   bound for exact contiguity; a contiguous answer of it replaces the incumbent when better (and
   if that round stopped early, the time left goes to one last round). A scattered answer is also
   *repaired*: its cut-off pieces and the units a few borders around them are re-solved by the
   flow model, the rest kept — where the SP restriction is poor (straight-line distances on a
   sparse graph: 1.5 % above the bound on a Ríos-Mercado-style instance), these are the good
   incumbents, and each better one fixes more pairs by reduced cost for the rounds still to come.
   If the SP model has no answer at all, this step also runs for ``sp`` (to find one, or prove
   there is none). When step 1 found no SP-contiguous answer at all, the flow model (exact
   contiguity in one MILP) first gets 60 % of the time left.

The report's bound is the best of these valid lower bounds, so the gap is the gap to the exactly
contiguous optimum; the status is ``optimal`` only when that gap is within ``mip_gap``. With ``sp``
the answer is the SP search's (step 3 skipped when it found one), and the notes say so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

import networkx as nx
import numpy as np
import pulp

from engine.align.contiguity import (
    add_earlier_cuts,
    add_separator_cuts,
    cut_off_pieces,
    is_contiguous,
)
from engine.align.heuristic import heuristic_start
from engine.align.inputs import AlignmentInputs
from engine.align.local import local_search
from engine.align.model import (
    AlignmentModel,
    ModelSpec,
    assignment_cost,
    build_model,
    candidate_units,
)
from engine.align.sp import sp_candidates, sp_contiguous
from engine.solver import SolverSettings, solve
from engine.solver_status import SolverReport, SolveStatus, relative_gap

__all__ = ["relaxed_value", "solve_hybrid"]

_RC_SLACK = 1e-6  # relative safety margin of reduced-cost fixing (keeps a little more)
_ROUND_SHARE = 0.34  # share of the remaining time one proof round may use
_MIN_ROUND = 10.0  # seconds: below 2 × this, a round takes all that remains
_SMALL_SP_MODEL = 20_000  # candidate pairs up to which the whole SP MILP runs after the search
_FLOW_SHARE = 0.6  # share of the remaining time the flow model gets when SP found nothing
_COMPACT_SHARE = 0.3  # share of the time a compact start gets (cut edges, disruption)


def _components(graph: nx.Graph, centre: np.ndarray, keep: np.ndarray) -> list[np.ndarray]:
    """Per territory: the allowed units (``keep[:, t]``) connected to its centre through allowed
    units — a contiguous territory can use no others."""
    result = []
    for t, home in enumerate(centre.tolist()):
        members = np.flatnonzero(keep[:, t]).tolist()
        reachable = nx.node_connected_component(graph.subgraph(members), int(home))
        result.append(np.asarray(sorted(reachable), dtype=np.int64))
    return result


def relaxed_value(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    spec: ModelSpec,
    settings: SolverSettings,
) -> float:
    """The LP relaxation's value, without contiguity, of allocating to ``centre`` (inf when it
    has none): a quick measure of how good those centres can be."""
    candidates = candidate_units(inputs, graph, centre, distance, nearest=None)
    model = build_model(
        inputs, graph, centre, distance, candidates, replace(spec, contiguity="cuts")
    )
    value = _lp_bound(model, settings)[0]
    return math.inf if value is None else value


def _lp_bound(
    model: AlignmentModel, settings: SolverSettings
) -> tuple[float | None, dict[tuple[int, int], float] | None, SolverReport]:
    """The LP relaxation's value (in objective units) and reduced costs of the assignment pairs."""
    report = solve(model.problem, settings, relax=True)
    if report.status is not SolveStatus.OPTIMAL or report.objective is None:
        return None, None, report
    reduced = {key: v.dj for key, v in model.assign.items()}
    if any(value is None for value in reduced.values()):
        return report.objective * model.objective_scale, None, report
    return (
        report.objective * model.objective_scale,
        {key: float(value) * model.objective_scale for key, value in reduced.items()},
        report,
    )


def _relaxed_values(
    model: AlignmentModel, settings: SolverSettings, num_units: int
) -> tuple[np.ndarray, float] | None:
    """x values of the LP relaxation as a (units, territories) array and its value (in objective
    units), or None if not solved."""
    report = solve(model.problem, settings, relax=True)
    if report.status is not SolveStatus.OPTIMAL or report.objective is None:
        return None
    values = np.zeros((num_units, len(model.centre)))
    for (u, t), variable in model.assign.items():
        values[u, t] = variable.varValue or 0.0
    return values, report.objective * model.objective_scale


def _restricted(allowed: list[np.ndarray], fixed: np.ndarray, num_units: int) -> np.ndarray:
    """(units, territories) mask: units with ``fixed[u] >= 0`` keep only that territory."""
    mask = np.zeros((num_units, len(allowed)), dtype=bool)
    for t, members in enumerate(allowed):
        mask[members, t] = True
    pinned = np.flatnonzero(fixed >= 0)
    mask[pinned, :] = False
    mask[pinned, fixed[pinned]] = True
    return mask


def _within(graph: nx.Graph, units: Iterable[int], radius: int) -> list[int]:
    """``units`` and every unit at most ``radius`` borders from one of them, sorted."""
    near = set(units)
    frontier = set(near)
    for _ in range(radius):
        frontier = {v for u in frontier for v in graph.neighbors(u)} - near
        near |= frontier
    return sorted(near)


def _covers_all(candidates: list[np.ndarray], num_units: int) -> bool:
    """Whether every unit is a candidate of some territory."""
    covered = np.zeros(num_units, dtype=bool)
    for members in candidates:
        covered[members] = True
    return bool(covered.all())


def _sub_solve(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    mask: np.ndarray,
    spec: ModelSpec,
    settings: SolverSettings,
    start: np.ndarray | None,
) -> np.ndarray | None:
    """The SP model on the pairs in ``mask``; the assignment, or None (infeasible / no answer)."""
    candidates = sp_candidates(graph, centre, distance, _components(graph, centre, mask))
    if not _covers_all(candidates, inputs.num_units):
        return None
    model = build_model(inputs, graph, centre, distance, candidates, spec)
    usable = start is not None and all((u, t) in model.assign for u, t in enumerate(start))
    report = solve(
        model.problem,
        settings,
        start=model.start_values(start) if usable and start is not None else None,
    )
    if not report.has_solution:
        return None
    return model.assignment(inputs.num_units)


def _round_and_fix(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    candidates: list[np.ndarray],
    spec: ModelSpec,
    settings: SolverSettings,
    deadline: float,
    cutoff: float = math.inf,
) -> tuple[np.ndarray | None, str, float]:
    """Relax–round–fix on the SP model: solve its LP, fix the units the LP assigns whole, solve
    the small MILP on the rest (widening the free set by graph hops when it is infeasible). Also
    returns the LP's value — a bound on every SP-contiguous answer (-inf if not solved); when it
    reaches ``cutoff`` no rounding is tried."""
    model = build_model(inputs, graph, centre, distance, candidates, spec)
    relaxed = _relaxed_values(
        model,
        settings.model_copy(update={"time_limit": max(1.0, deadline - time.perf_counter())}),
        inputs.num_units,
    )
    if relaxed is None:
        return None, "LP not solved", -math.inf
    values, bound = relaxed
    if bound >= cutoff:
        return None, "LP bound at the cutoff", bound
    whole = values.max(axis=1) >= 1 - 1e-6
    fixed = np.where(whole, values.argmax(axis=1), -1)
    free = np.flatnonzero(~whole)
    rounded = values.argmax(axis=1)
    for radius, tight in ((1, True), (2, True), (4, True), (1, False), (2, False), (4, False)):
        left = deadline - time.perf_counter()
        if left <= 1.0:
            break
        near = _within(graph, free.tolist(), radius)
        pinned = fixed.copy()
        pinned[near] = -1
        for t, home in enumerate(centre.tolist()):
            pinned[home] = t
        mask = _restricted(candidates, pinned, inputs.num_units)
        if tight:  # free units may join a territory the LP uses for them or a neighbour
            nearby = values > 1e-6
            for u in near:
                nearby[u, [rounded[v] for v in graph.neighbors(u)]] = True
            loose = pinned < 0
            mask[loose] &= nearby[loose]
        found = _sub_solve(
            inputs,
            graph,
            centre,
            distance,
            mask,
            spec,
            settings.model_copy(update={"time_limit": max(1.0, min(left, 20.0))}),
            None,
        )
        if found is not None:
            return found, f"{len(free)} fractional units, {len(near)} freed", bound
    return None, f"{len(free)} fractional units, no rounding found", bound


def _repair(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    allowed: list[np.ndarray],
    spec: ModelSpec,
    settings: SolverSettings,
    assignment: np.ndarray,
    deadline: float,
) -> np.ndarray | None:
    """A contiguous alignment near ``assignment`` (a proof round's answer, not contiguous): its
    cut-off pieces and the units within a few borders of them are freed — each may join its own
    territory or a neighbour's — the rest stays, and the flow model (exact contiguity) re-solves
    the freed units (freeing more when that is infeasible). None when none is found in time."""
    pieces = [u for _, part, _ in cut_off_pieces(graph, assignment, centre) for u in part]
    if not pieces:
        return None
    for radius in (1, 2, 4):
        left = deadline - time.perf_counter()
        if left <= 1.0:
            break
        near = _within(graph, pieces, radius)
        pinned = assignment.copy()
        pinned[near] = -1
        pinned[centre] = np.arange(len(centre))
        mask = _restricted(allowed, pinned, inputs.num_units)
        nearby = np.zeros_like(mask)
        for u in near:
            nearby[u, [assignment[v] for v in (u, *graph.neighbors(u))]] = True
        loose = pinned < 0
        mask[loose] &= nearby[loose]
        candidates = _components(graph, centre, mask)
        if not _covers_all(candidates, inputs.num_units):
            continue
        model = build_model(
            inputs, graph, centre, distance, candidates, replace(spec, contiguity="flow")
        )
        report = solve(
            model.problem, settings.model_copy(update={"time_limit": max(1.0, min(left, 20.0))})
        )
        if report.has_solution:
            return model.assignment(inputs.num_units)
    return None


def _room(upper: float, lp_value: float) -> float:
    """The reduced cost beyond which a pair cannot be in an alignment better than ``upper``."""
    return upper - lp_value + _RC_SLACK * max(1.0, abs(upper))


def _fix_by_reduced_cost(
    model: AlignmentModel,
    reduced: dict[tuple[int, int], float],
    room: float,
    incumbent: np.ndarray,
) -> int:
    """Bound to 0 every pair of ``model`` (but the incumbent's) whose LP reduced cost exceeds
    ``room`` (:func:`_room`): no better alignment uses it. Returns how many."""
    fixed = 0
    for (u, t), variable in model.assign.items():
        if reduced.get((u, t), 0.0) > room and incumbent[u] != t and variable.upBound != 0:
            variable.upBound = 0
            fixed += 1
    return fixed


def _territory_neighbours(
    graph: nx.Graph, assignment: np.ndarray, territories: int
) -> list[set[int]]:
    result: list[set[int]] = [set() for _ in range(territories)]
    for a, b in graph.edges():
        ta, tb = int(assignment[a]), int(assignment[b])
        if ta != tb:
            result[ta].add(tb)
            result[tb].add(ta)
    return result


def _neighbourhood_search(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    candidates: list[np.ndarray],
    spec: ModelSpec,
    settings: SolverSettings,
    incumbent: np.ndarray,
    value: float,
    deadline: float,
    target: float,
    objective: Callable[[np.ndarray], float],
    group_size: int = 3,
) -> tuple[np.ndarray, float, int, int]:
    """Large-neighbourhood search: re-solve one territory and its neighbours at a time (SP model,
    the rest fixed) while it improves; stops at ``target`` or the deadline."""
    territories = len(centre)
    improved_rounds = 0
    stale = 0
    tried = 0
    order = list(range(territories))
    while time.perf_counter() < deadline and value > target and stale < territories:
        t = order.pop(0)
        order.append(t)
        adjacent = sorted(
            _territory_neighbours(graph, incumbent, territories)[t],
            key=lambda r: (distance[centre[r], t], r),
        )
        group = {t, *adjacent[:group_size]}
        pinned = np.where(np.isin(incumbent, sorted(group)), -1, incumbent)
        mask = _restricted(candidates, pinned, inputs.num_units)
        outside = np.asarray(sorted(set(range(territories)) - group), dtype=np.int64)
        free = np.flatnonzero(pinned < 0)
        mask[np.ix_(free, outside)] = False
        left = deadline - time.perf_counter()
        if left <= 0.5:
            break
        tried += 1
        found = _sub_solve(
            inputs,
            graph,
            centre,
            distance,
            mask,
            spec,
            settings.model_copy(update={"time_limit": max(0.5, min(left, 5.0)), "mip_gap": 1e-5}),
            incumbent,
        )
        if found is not None:
            new = objective(found)
            if new < value - 1e-9 * max(1.0, abs(value)):
                incumbent, value = found, new
                improved_rounds += 1
                stale = 0
                continue
        stale += 1
    return incumbent, value, improved_rounds, tried


def solve_hybrid(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    spec: ModelSpec,
    settings: SolverSettings,
    *,
    nearest: int | None,
    use_heuristic: bool,
    prove: bool,
    initial: tuple[np.ndarray, str] | None = None,
) -> tuple[np.ndarray, SolverReport, list[str]]:
    """Assignment (-1 everywhere when none), an honest report and notes; see the module doc.

    ``initial``: an alignment to start from and where it came from (it is polished by local
    search and kept unless something better is found)."""
    from engine.align.search import _acceptable, _objective

    started = time.perf_counter()
    limit = settings.time_limit or math.inf
    territories = len(centre)
    notes: list[str] = []
    incumbent: np.ndarray | None = None
    upper = math.inf
    solve_seconds = load_seconds = build_seconds = 0.0
    last = SolverReport(status=SolveStatus.ERROR)

    def remaining() -> float:
        return limit - (time.perf_counter() - started)

    def offer(assignment: np.ndarray, source: str) -> None:
        nonlocal incumbent, upper
        if not _acceptable(inputs, graph, assignment, centre, spec, distance):
            return
        value = _objective(inputs, graph, assignment, centre, spec, distance)
        if value < upper - 1e-9 * max(1.0, abs(upper) if math.isfinite(upper) else 1.0):
            incumbent, upper = assignment.copy(), value
            notes.append(f"incumbent from {source}: {value:.10g}")

    cost = assignment_cost(spec, inputs.num_units, distance)

    def polish(assignment: np.ndarray, source: str) -> np.ndarray | None:
        """Offer ``assignment`` and its local-search improvements (compactness or cut edges):
        first keeping SP-contiguity (that one is returned, to seed the SP search; None if the
        input is not SP-contiguous), then (``hybrid`` only) keeping exact contiguity."""
        offer(assignment, source)
        if spec.objective not in ("compactness", "cut_edges") or not _acceptable(
            inputs, graph, assignment, centre, spec, distance
        ):
            return None
        seed = None
        step = max(0.5, min(10.0, 0.05 * limit))
        args = (centre, cost, inputs.activity, inputs.lower, inputs.upper, inputs.locks)
        cut = spec.objective == "cut_edges"
        if sp_contiguous(graph, assignment, centre, distance):
            seed = local_search(
                graph, assignment, *args, time.perf_counter() + step, distance, cut_edges=cut
            )
            offer(seed, f"SP local search after {source}")
        if prove:  # ``sp`` answers stay SP-contiguous
            better = local_search(
                graph,
                assignment if seed is None else seed,
                *args,
                time.perf_counter() + step,
                cut_edges=cut,
            )
            offer(better, f"local search after {source}")
        return seed

    start: np.ndarray | None = None  # the SP search's first plan (SP-contiguous)

    def begin_from(given: np.ndarray, source: str) -> None:
        """Polish a plan found outside the SP search; it may start that search."""
        nonlocal start
        seed = polish(given, source)
        seed = given if seed is None else seed
        if (
            sp_contiguous(graph, seed, centre, distance)
            and _acceptable(inputs, graph, seed, centre, spec, distance)
            and (
                start is None
                or _objective(inputs, graph, seed, centre, spec, distance)
                < _objective(inputs, graph, start, centre, spec, distance)
            )
        ):
            start = seed

    if use_heuristic:
        grown = heuristic_start(
            inputs, graph, centre, distance, cost, time_limit=min(10.0, 0.05 * limit)
        )
        begin_from(grown, "the region-growing heuristic")
    if initial is not None:
        begin_from(*initial)
    if incumbent is None and spec.objective != "compactness" and not spec.elastic:
        # cut edges and disruption have weak LPs (at a tight balance the SP search below may
        # find nothing): compact territories, found fast by the SP model, are a good start
        compact, outcome, _ = solve_hybrid(
            inputs,
            graph,
            centre,
            distance,
            replace(spec, objective="compactness"),
            settings.model_copy(update={"time_limit": max(1.0, _COMPACT_SHARE * remaining())}),
            nearest=nearest,
            use_heuristic=False,
            prove=False,
        )
        if outcome.has_solution:
            begin_from(compact, "the compact start (SP model, compactness)")
        else:
            notes.append(f"compact start: none ({outcome.status.value})")

    # 0. the LP bound on all pairs (no contiguity): valid for exact contiguity
    lower = -math.inf
    proven_infeasible = False
    relax_spec = replace(spec, contiguity="cuts")  # "cuts": no contiguity rows in the build
    began = time.perf_counter()
    full = candidate_units(inputs, graph, centre, distance, nearest=None)
    model = build_model(inputs, graph, centre, distance, full, relax_spec)
    build_seconds += time.perf_counter() - began
    value, reduced, report = _lp_bound(
        model, settings.model_copy(update={"time_limit": max(1.0, remaining())})
    )
    solve_seconds += report.solve_seconds
    load_seconds += report.load_seconds
    pairs = len(model.assign)
    if report.status is SolveStatus.INFEASIBLE:
        proven_infeasible = True
    if value is not None:
        lower = value
        notes.append(f"LP bound without contiguity, all {pairs} pairs: {value:.10g}")
    finite_bound = math.isfinite(lower) and settings.mip_gap < 1
    target = lower / (1 - settings.mip_gap) if finite_bound else -math.inf

    # 1. the SP-contiguous incumbent: relax-round-fix, neighbourhood search, the SP MILP
    sp_spec = replace(spec, contiguity="sp")
    stage_end = started + limit * (0.5 if prove else 0.85)
    widths = [nearest] if nearest is None or nearest >= territories else [nearest, None]
    sp_status = "not run"

    def value_of(assignment: np.ndarray) -> float:
        return _objective(inputs, graph, assignment, centre, spec, distance)

    for width in widths if not proven_infeasible else []:
        if time.perf_counter() >= stage_end:
            break
        began = time.perf_counter()
        candidates = sp_candidates(
            graph,
            centre,
            distance,
            candidate_units(inputs, graph, centre, distance, nearest=width, keep=start),
        )
        build_seconds += time.perf_counter() - began
        began = time.perf_counter()
        # with an incumbent, an SP model whose LP bound is not below it cannot improve on it
        cutoff = upper * (1 - settings.mip_gap) if prove else math.inf
        found, how, sp_bound = _round_and_fix(
            inputs, graph, centre, distance, candidates, sp_spec, settings, stage_end, cutoff
        )
        if sp_bound >= cutoff:
            sp_status = (
                f"its LP bound {sp_bound:.10g} is not below the incumbent: no SP-contiguous "
                "answer can improve it, so the time goes to the exact proof"
            )
            continue  # (a wider candidate set has a lower bound: it is tried if there is one)
        sp_status = f"relax-round-fix: {how}, {time.perf_counter() - began:.1f} s"
        if found is not None and is_contiguous(graph, found, centre):
            seed = polish(found, "SP relax-round-fix")
            seed = found if seed is None else seed
            if (
                sp_contiguous(graph, seed, centre, distance)
                and _acceptable(inputs, graph, seed, centre, spec, distance)
                and (start is None or value_of(seed) < value_of(start))
            ):
                start = seed  # the neighbourhoods below need an SP-contiguous start
        if incumbent is not None and sp_contiguous(graph, incumbent, centre, distance):
            start = incumbent
        if start is None:
            continue  # widen
        began = time.perf_counter()
        # a small SP MILP is worth its own time after the neighbourhoods; a large one is not
        small = sum(len(members) for members in candidates) <= _SMALL_SP_MODEL
        lns_end = began + 0.5 * (stage_end - began) if small else stage_end
        improved, _, moves, tried = _neighbourhood_search(
            inputs,
            graph,
            centre,
            distance,
            candidates,
            sp_spec,
            settings,
            start,
            value_of(start),
            lns_end,
            target,
            value_of,
        )
        sp_status += (
            f"; neighbourhood search: {moves} improvement(s) in {tried} sub-MILPs, "
            f"{time.perf_counter() - began:.1f} s"
        )
        if is_contiguous(graph, improved, centre):
            polish(improved, "SP neighbourhood search")
        if upper > target and time.perf_counter() < stage_end - 1.0 and incumbent is not None:
            began = time.perf_counter()
            sp_model = build_model(inputs, graph, centre, distance, candidates, sp_spec)
            build_seconds += time.perf_counter() - began
            seed = incumbent if sp_contiguous(graph, incumbent, centre, distance) else improved
            usable = all((u, t) in sp_model.assign for u, t in enumerate(seed))
            report = solve(
                sp_model.problem,
                settings.model_copy(
                    update={"time_limit": max(1.0, stage_end - time.perf_counter())}
                ),
                start=sp_model.start_values(seed) if usable else None,
            )
            solve_seconds += report.solve_seconds
            load_seconds += report.load_seconds
            last = report
            if report.has_solution:
                found = sp_model.assignment(inputs.num_units)
                if is_contiguous(graph, found, centre):
                    polish(found, "the SP-contiguity MILP")
                sp_status += f"; SP MILP {report.status.value}"
                if report.gap is not None:
                    sp_status += f", gap {100 * report.gap:.3g} % within the SP restriction"
        if width is not None:
            sp_status += f" ({width} nearest centres per unit)"
        break
    notes.append(f"SP-contiguity model (Validi et al. 2022): {sp_status}")
    if not prove:
        notes.append(
            "method 'sp': the answer is optimal at best among SP-contiguous territories (each unit "
            "joined through a neighbour closer to the centre); bound and gap are for exact "
            "contiguity"
        )

    # 1b. no SP-contiguous answer at all (a distance table unlike the graph, or an SP restriction
    # with no balanced answer): the flow model holds exact contiguity in one MILP — it finds an
    # answer or proves there is none, where separator-cut rounds may chase scattered relaxations
    if incumbent is None and prove and not proven_infeasible and remaining() > 1.0:
        began = time.perf_counter()
        flow = build_model(inputs, graph, centre, distance, full, replace(spec, contiguity="flow"))
        build_seconds += time.perf_counter() - began
        report = solve(
            flow.problem,
            settings.model_copy(update={"time_limit": max(1.0, _FLOW_SHARE * remaining())}),
        )
        solve_seconds += report.solve_seconds
        load_seconds += report.load_seconds
        last = report
        proven_infeasible = report.status is SolveStatus.INFEASIBLE
        if report.has_solution:
            if report.bound is not None:
                lower = max(lower, report.bound * flow.objective_scale)
            offer(flow.assignment(inputs.num_units), "the flow model")
        notes.append(f"no SP-contiguous answer: flow model {report.status.value}")

    # 2. reduced-cost fixing against the incumbent
    rounds = 0

    def unfinished() -> bool:
        if incumbent is None:
            return True
        if not prove:
            return False
        gap = relative_gap(upper, lower) if math.isfinite(lower) else None
        return gap is None or gap > settings.mip_gap

    if remaining() > 1.0 and not proven_infeasible and unfinished():
        if prove and incumbent is not None and reduced is not None and math.isfinite(upper):
            keep = np.zeros((inputs.num_units, territories), dtype=bool)
            room = _room(upper, value or 0.0)
            for (u, t), rc in reduced.items():
                keep[u, t] = rc <= room
            keep[np.arange(inputs.num_units), incumbent] = True
            began = time.perf_counter()
            model = build_model(
                inputs, graph, centre, distance, _components(graph, centre, keep), relax_spec
            )
            build_seconds += time.perf_counter() - began
            notes.append(
                f"reduced-cost fixing against the incumbent kept {len(model.assign)} of {pairs} "
                "pairs (no better alignment uses the others)"
            )

        # 3. the proof: MILP without contiguity + separator cuts, warm-started
        whole = False
        dropped = 0  # pairs fixed to 0 as repaired incumbents lower the room of step 2
        while not proven_infeasible and remaining() > 1.0 and unfinished():
            rounds += 1
            # capped rounds: cuts accumulate (and contiguous answers appear) before time is out
            capped = not whole and remaining() >= 2 * _MIN_ROUND
            share = _ROUND_SHARE * remaining() if capped else remaining()
            improving: list[dict[pulp.LpVariable, float]] = []  # the round's answers
            report = solve(
                model.problem,
                settings.model_copy(update={"time_limit": max(1.0, share)}),
                start=model.start_values(incumbent) if incumbent is not None else None,
                on_solution=improving.append,
            )
            solve_seconds += report.solve_seconds
            load_seconds += report.load_seconds
            last = report
            if report.status is SolveStatus.INFEASIBLE:
                # (with an incumbent this cannot happen but numerically; claim nothing then)
                proven_infeasible = incumbent is None
                break
            if report.bound is not None and report.has_solution:
                lower = max(lower, report.bound * model.objective_scale)
            if not report.has_solution:
                break
            assignment = model.assignment(inputs.num_units)
            earlier = [model.assignment_of(values, inputs.num_units) for values in improving]
            for found in earlier[:-1]:  # each beat the incumbent it started from: if contiguous,
                offer(found, f"an earlier answer of the exact model (round {rounds})")  # keep it
            if is_contiguous(graph, assignment, centre):
                offer(assignment, f"the exact model (round {rounds})")
                if whole or report.status is SolveStatus.OPTIMAL:
                    break
                whole = True  # stopped early with nothing to cut: the time left goes to one round
                add_earlier_cuts(model, graph, earlier)
                continue
            if remaining() > 2.0:  # its answer, made contiguous, may beat the incumbent
                repaired = _repair(
                    inputs,
                    graph,
                    centre,
                    distance,
                    full,
                    spec,
                    settings,
                    assignment,
                    time.perf_counter() + min(20.0, 0.5 * remaining()),
                )
                if repaired is not None and is_contiguous(graph, repaired, centre):
                    polish(repaired, f"the repaired answer of round {rounds}")
                    if reduced is not None and incumbent is not None:
                        dropped += _fix_by_reduced_cost(
                            model, reduced, _room(upper, value or 0.0), incumbent
                        )
            if add_separator_cuts(model, graph, assignment) == 0:
                break
            add_earlier_cuts(model, graph, earlier)
        if rounds:
            notes.append(
                f"exact bound: MILP without contiguity, {model.cuts_added} separator cuts in "
                f"{rounds} round(s)"
                + (f"; {dropped} more pairs fixed by the better incumbents" if dropped else "")
            )

    # sub-solves (rounding, neighbourhoods) are counted as solve time
    elapsed = time.perf_counter() - started
    solve_seconds = max(solve_seconds, elapsed - build_seconds - load_seconds)
    if incumbent is None:
        status = SolveStatus.INFEASIBLE if proven_infeasible else SolveStatus.TIME_LIMIT_NO_SOLUTION
        report = replace(
            last,
            status=status,
            objective=None,
            bound=None,
            gap=None,
            build_seconds=build_seconds,
            solve_seconds=solve_seconds,
            load_seconds=load_seconds,
        )
        return np.full(inputs.num_units, -1, dtype=np.int64), report, notes
    bound = min(lower, upper) if math.isfinite(lower) else None
    gap = relative_gap(upper, bound)
    optimal = gap is not None and gap <= settings.mip_gap + 1e-12
    report = replace(
        last,
        status=SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE,
        objective=upper,
        bound=bound,
        gap=gap,
        time_limit_hit=not optimal and remaining() <= 1.0,
        stop_reason=None if optimal else last.stop_reason,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        load_seconds=load_seconds,
    )
    return incumbent, report, notes
