"""``solve(inputs, settings) -> Plan``: pre-checks, build, start heuristic, solve, explain.

Order: cheap pre-checks → build → round-and-improve start (when it pays: a model with rep
assignments; :mod:`engine.optimize.heuristic`) → HiGHS (or CBC) through :mod:`engine.solver`,
skipped when the start is already within the requested gap of the LP bound → lexicographic
secondary goal if asked → if infeasible, an elastic re-solve that names what had to be relaxed →
shadow prices from the LP with the integers fixed → the :class:`~engine.plan.model.Plan`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace

import pulp

from engine import __version__
from engine.optimize.heuristic import Start, round_and_improve
from engine.optimize.inputs import PlanningInputs
from engine.optimize.model import build_from_data
from engine.optimize.objective import define_objective, objective_terms, secondary_terms
from engine.optimize.precheck import Finding, precheck
from engine.optimize.prepare import prepare
from engine.optimize.registry import AllocationModel
from engine.optimize.settings import OptimizeSettings
from engine.plan import assemble, explain
from engine.plan.model import (
    Explanation,
    Plan,
    PrecheckFinding,
    Provenance,
    SolverSummary,
)
from engine.solver import SolverReport, SolverSettings, SolveStatus
from engine.solver import solve as run_solver
from engine.solver_status import relative_gap

__all__ = ["solve"]

_NO_SOLUTION = {
    SolveStatus.INFEASIBLE,
    SolveStatus.INFEASIBLE_OR_UNBOUNDED,
}


#: Share of the time limit the start heuristic may use (its LP must be solved within it).
_HEURISTIC_SHARE = 0.5


def _start(model: AllocationModel, settings: OptimizeSettings) -> Start | None:
    wanted = settings.heuristic == "on" or (
        settings.heuristic == "auto" and len(model.family("assign")) >= 200
    )
    if not wanted or settings.solver.solver != "highs":
        return None
    seconds = _HEURISTIC_SHARE * (settings.solver.time_limit or 120.0)
    return round_and_improve(model, settings.solver, seconds)


def _accept_start(model: AllocationModel, start: Start, settings: OptimizeSettings) -> SolverReport:
    """The start as the answer: it is within the requested gap of the LP relaxation's bound."""
    for variable, value in start.values.items():
        variable.varValue = value
    return SolverReport(
        status=SolveStatus.OPTIMAL,
        objective=start.objective,
        bound=start.bound,
        gap=relative_gap(start.objective, start.bound),
        solver="highs",
        solver_version=start.solver_version,
        is_mip=True,
        node_count=0,
        num_variables=len(start.values),
        num_constraints=model.problem.numConstraints(),
        message=(
            f"the heuristic plan is within {settings.solver.mip_gap:.2%} of the LP relaxation's "
            "bound: branch-and-bound was not needed"
        ),
    )


def _time_left(solver: SolverSettings, deadline: float | None, floor: float) -> SolverSettings:
    """``solver`` with the time to ``deadline`` (at least ``floor`` seconds) as its limit."""
    if deadline is None:
        return solver
    return solver.model_copy(update={"time_limit": max(floor, deadline - time.perf_counter())})


def _lexicographic(
    model: AllocationModel, report: SolverReport, deadline: float | None
) -> tuple[SolverReport, bool]:
    """The best secondary value among plans within ``tolerance`` of the primary optimum.

    The two stages share what is left of the time limit (the polish, an LP, gets at least a
    second). The report stays in the primary goal's terms: the returned plan's primary value,
    the first solve's bound and the gap between them (up to the tolerance plus the MIP gap);
    ``feasible`` when either stage stopped at its limit. The flag says whether the secondary
    stage's plan is the one returned.
    """
    secondary = model.settings.secondary
    if secondary is None or secondary.mode != "lexicographic" or report.objective is None:
        return report, False
    terms, constant, maximise = objective_terms(model)
    best = report.objective
    slack = secondary.tolerance * max(abs(best), 1.0)
    floor = best - slack if maximise else best + slack
    model.add_row(
        "primary_floor", ("primary",), terms, ">=" if maximise else "<=", floor - constant
    )
    start = {v: float(v.varValue or 0.0) for v in model.problem.variables()}
    model.problem.sense = pulp.LpMinimize
    model.problem.setObjective(pulp.LpAffineExpression(list(secondary_terms(model))))
    settings = _time_left(model.settings.solver, deadline, 1.0)
    second = run_solver(model.problem, settings, start=start)
    if not second.has_solution:  # keep the primary plan (values were overwritten: re-solve)
        return report, False
    polish = _polish(model, _time_left(model.settings.solver, deadline, 1.0))
    value = constant + sum(c * float(v.varValue or 0.0) for v, c in terms)
    stopped = second.status is not SolveStatus.OPTIMAL or polish.status is SolveStatus.FEASIBLE
    reported = replace(
        report,
        status=SolveStatus.FEASIBLE if stopped else report.status,
        objective=value,
        gap=relative_gap(value, report.bound),
        time_limit_hit=report.time_limit_hit or second.time_limit_hit or polish.time_limit_hit,
        solve_seconds=report.solve_seconds + second.solve_seconds + polish.solve_seconds,
        message=(
            f"lexicographic: the primary goal within {secondary.tolerance:.2%} of its best, then "
            f"the secondary goal {second.status.value}; primary solve {report.message}"
        ),
    )
    return reported, True


def _polish(model: AllocationModel, settings: SolverSettings) -> SolverReport:
    """With the secondary plan's integers fixed, re-maximise the primary goal (its report).

    The secondary objective does not value revenue, so the secondary solve may leave revenue
    below what the plan's effort earns (revenue ≤ response is only tight when something pushes
    revenue up); the primary goal, re-solved over the continuous decisions, puts it back.
    """
    integers = [v for v in model.problem.variables() if v.cat == pulp.LpInteger]
    saved = [(v, v.lowBound, v.upBound) for v in integers]
    values = {v: float(v.varValue or 0.0) for v in model.problem.variables()}
    define_objective(model)
    try:
        for variable in integers:
            variable.lowBound = variable.upBound = round(values[variable])
        polished = run_solver(model.problem, settings, start=values)
    finally:
        for variable, low, up in saved:
            variable.lowBound, variable.upBound = low, up
    if not polished.has_solution:  # keep the secondary solve's values
        for variable, value in values.items():
            variable.varValue = value
    return polished


#: A start this close to the LP bound leaves HiGHS' root sub-MIP searches little to find.
_GOOD_START = 0.02
_ROOT_SEARCHES = ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
                  "mip_heuristic_run_root_reduced_cost")  # fmt: skip


def _remaining(settings: OptimizeSettings, spent: float, start: Start | None) -> SolverSettings:
    """The solver settings for the MIP after the start heuristic: its time taken off the limit,
    and — after a start within 2 % of the LP bound — HiGHS' root sub-MIP searches off (on the demo
    they spent 6 s looking for a better plan before the first branch; the gap then closed at the
    first node), unless the settings name those options themselves."""
    solver = settings.solver
    limit = solver.time_limit
    if limit is not None and spent > 0:
        solver = solver.model_copy(update={"time_limit": max(0.5, limit - spent)})
    gap = None if start is None else relative_gap(start.objective, start.bound)
    if gap is not None and gap <= _GOOD_START:
        options = {k: False for k in _ROOT_SEARCHES} | dict(solver.highs_options)
        solver = solver.model_copy(update={"highs_options": options})
    return solver


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _summary(report: SolverReport, heuristic: float | None) -> SolverSummary:
    return SolverSummary(
        status=report.status.value,
        objective=None if report.objective is None else round(report.objective, 2),
        bound=None if report.bound is None else round(report.bound, 2),
        gap=None if report.gap is None else round(report.gap, 6),
        solver=report.solver, solver_version=report.solver_version, is_mip=report.is_mip,
        num_variables=report.num_variables, num_constraints=report.num_constraints,
        stop_reason=None if report.stop_reason is None else report.stop_reason.value,
        message=report.message.split(";")[0],
        heuristic_objective=None if heuristic is None else round(heuristic, 2),
    )  # fmt: skip


def _notes(model: AllocationModel) -> list[str]:
    notes = []
    for channel, curve in sorted(model.data.curves.items()):
        if not curve.convex and curve.treatment == "exact":
            notes.append(
                f"incentive plan {curve.label or channel} ({channel}) is not convex: the model "
                "follows it exactly, one binary per piece of its cost curve"
            )
        elif not curve.convex:
            how = (
                "its greatest convex minorant (optimistic)"
                if curve.treatment == "envelope"
                else "a straight line above it (conservative)"
            )
            notes.append(
                f"incentive plan {curve.label or channel} ({channel}) is not convex: the model "
                f"uses {how}; the incentives table shows the exact cost beside it"
            )
    return notes


def _headline(
    status: SolveStatus,
    findings: list[Finding],
    relaxed: int,
    settings: OptimizeSettings,
    lexicographic: bool = False,
) -> str:
    secondary = settings.secondary
    if status is SolveStatus.OPTIMAL and secondary is not None and lexicographic:
        goal = {"workload": "workload imbalance"}.get(secondary.goal, secondary.goal)
        return (
            f"optimal plan found: the least {goal} among plans within "
            f"{secondary.tolerance:.2%} of the best {settings.objective} (and the requested gap)"
        )
    if status is SolveStatus.OPTIMAL:
        return "optimal plan found (within the requested gap)"
    if status is SolveStatus.FEASIBLE:
        return "a feasible plan; the solver stopped at its limit before proving it optimal"
    if status is SolveStatus.UNBOUNDED:
        return (
            "the objective is unbounded: some spend earns without limit — check the "
            "response curves (max_share) and the budget lines"
        )
    if status in _NO_SOLUTION:
        blocking = [f.message for f in findings if f.severity == "infeasible"]
        head = "no plan satisfies every constraint"
        if blocking:
            head += ": " + "; ".join(blocking)
        return head + (
            f"; the elastic re-solve relaxed {relaxed} line(s), listed below" if relaxed else ""
        )
    return f"the solve ended without a plan ({status.value})"


def solve(
    inputs: PlanningInputs, settings: OptimizeSettings | None = None, *, name: str = "plan"
) -> Plan:
    """Build, solve and explain the allocation plan for ``inputs``."""
    settings = settings or OptimizeSettings()
    started = time.perf_counter()
    data = prepare(inputs, settings)
    findings = precheck(data, settings)
    model = build_from_data(data, settings)
    build_seconds = time.perf_counter() - started
    timings = {"build_seconds": build_seconds}

    blocked = any(f.severity == "infeasible" for f in findings)
    limit = settings.solver.time_limit  # shared by every solve below, from here on
    deadline = None if limit is None else time.perf_counter() + limit
    heuristic_value = None
    lexicographic = False  # whether the plan is the lexicographic secondary stage's
    report = SolverReport(status=SolveStatus.INFEASIBLE, message="pre-check: infeasible")
    if not blocked:
        started = time.perf_counter()
        start = _start(model, settings)
        timings["heuristic_seconds"] = time.perf_counter() - started
        heuristic_value = None if start is None else start.objective
        gap = None if start is None else relative_gap(start.objective, start.bound)
        if start is not None and gap is not None and gap <= settings.solver.mip_gap:
            report = replace(_accept_start(model, start, settings), build_seconds=build_seconds)
        else:
            report = run_solver(
                model.problem,
                _remaining(settings, timings["heuristic_seconds"], start),
                start=None if start is None else start.values,
                build_seconds=build_seconds,
            )
        if report.has_solution:
            report, lexicographic = _lexicographic(model, report, deadline)
    relaxed = 0
    final = model
    if report.status in _NO_SOLUTION:
        elastic = build_from_data(data, settings, elastic=True)
        # the explanation needs an answer: at least a tenth of the limit even when it is spent
        floor = 0.1 * limit if limit is not None else 0.0
        second = run_solver(elastic.problem, _time_left(settings.solver, deadline, floor))
        timings["elastic_seconds"] = second.solve_seconds
        if second.has_solution:
            final = elastic
            relaxed = len(explain.relaxations(elastic))
        if blocked:
            report = replace(
                report,
                solver=second.solver,
                solver_version=second.solver_version,
                is_mip=second.is_mip,
                num_variables=second.num_variables,
                num_constraints=second.num_constraints,
            )
    timings.update(
        load_seconds=report.load_seconds,
        solve_seconds=report.solve_seconds,
        nodes=float(report.node_count or 0),
    )
    solved = report.has_solution or final is not model
    tables = assemble.tables(final) if solved else {}
    kpis = assemble.kpis(final, tables) if solved else {}
    explanation = Explanation(
        summary=_headline(report.status, findings, relaxed, settings, lexicographic),
        lines=explain.lines(final) if solved else (),
        relaxations=explain.relaxations(final) if final is not model else (),
        prechecks=tuple(
            PrecheckFinding(
                check=f.check, severity=f.severity, message=f.message, entities=f.entities
            )
            for f in findings
        ),
        notes=tuple(_notes(model)),
    )
    provenance = Provenance(
        scenario=name, inputs_hash=inputs.content_hash(),
        dataset_hash=inputs.network.dataset.content_hash,
        # how many threads and how much log: how the solve ran, not what it solved (a batch
        # caps threads to share the cores; its plans stay byte-identical to `salesnet plan`'s)
        settings_hash=_hash(settings.model_dump_json(exclude={"solver": {"threads", "verbose"}})),
        rule_versions=dict(inputs.rule_versions), seed=settings.solver.random_seed,
        package_version=__version__,
    )  # fmt: skip
    return Plan(
        name=name, status=report.status.value, objective=settings.objective, kpis=kpis,
        tables=tables, explanation=explanation, solver=_summary(report, heuristic_value),
        provenance=provenance, timings={k: round(v, 4) for k, v in timings.items()},
    )  # fmt: skip
