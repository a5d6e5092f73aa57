"""The shared solve layer: a PuLP problem in, values written back, a :class:`SolverReport` out.

Every optimisation model in salesnet builds a ``pulp.LpProblem`` and calls :func:`solve`. With the
default ``solver="highs"`` the problem's matrix is extracted once as numpy arrays
(:mod:`engine.solver_matrix`) and handed to HiGHS in one ``passModel`` call, solved in-process, and
the column values (and, for an LP, row duals) are written back into the PuLP variables and
constraints (``var.varValue``, ``constraint.pi``) so the builder reads results the usual way.
``solver="cbc"`` — or a missing ``highspy`` — goes through PuLP's ``PULP_CBC_CMD`` instead.

The status always comes from the solver's own state (:mod:`engine.solver_status`). HiGHS checks its
clock between rounds of root cuts and may overshoot ``time_limit`` by a few seconds; callers that
must finish by a deadline should leave that margin.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from types import ModuleType
from typing import Any, Literal

import numpy as np
import pulp
from pydantic import BaseModel, ConfigDict, Field

from engine.errors import SolveError
from engine.solver_matrix import MatrixModel, extract_matrix
from engine.solver_status import SolverReport, SolveStatus, StopReason, relative_gap

__all__ = [
    "SolveStatus",
    "SolverReport",
    "SolverSettings",
    "StopReason",
    "fixed_lp_duals",
    "highs_available",
    "solve",
]


class SolverSettings(BaseModel):
    """How to solve: solver, limits, tolerance, threads, seed, output and an optional start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    solver: Literal["highs", "cbc"] = Field(
        default="highs", description="HiGHS in-process (default) or CBC through PuLP."
    )
    time_limit: float | None = Field(
        default=60.0, gt=0, description="Wall-clock seconds; HiGHS may overshoot by a few seconds."
    )
    mip_gap: float = Field(default=1e-4, ge=0, description="Relative MIP gap at which to stop.")
    threads: int | None = Field(
        default=None, ge=1, description="Solver threads (None: solver default)."
    )
    random_seed: int = Field(
        default=0, ge=0, description="Solver random seed, for reproducible runs."
    )
    verbose: bool = Field(default=False, description="Show the solver log.")
    node_limit: int | None = Field(default=None, ge=0, description="Branch-and-bound node limit.")
    mip_start: dict[str, float] | None = Field(
        default=None, description="Start values by variable name (partial starts allowed)."
    )
    highs_options: dict[str, bool | int | float | str] = Field(
        default_factory=dict, description="Further raw HiGHS options, passed through unchanged."
    )


def _import_highspy() -> ModuleType | None:
    try:
        import highspy
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return highspy


def highs_available() -> bool:
    """True when ``highspy`` can be imported (otherwise :func:`solve` falls back to CBC)."""
    return _import_highspy() is not None


def _start_vector(
    matrix: MatrixModel,
    settings: SolverSettings,
    start: Mapping[pulp.LpVariable, float] | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Column indices and values of the MIP start (settings by name, then ``start`` by variable)."""
    values: dict[int, float] = {}
    if settings.mip_start:
        by_name = {variable.name: position for position, variable in enumerate(matrix.variables)}
        unknown = sorted(set(settings.mip_start) - set(by_name))
        if unknown:
            raise SolveError(f"mip_start names unknown variables: {unknown[:5]}")
        values.update({by_name[name]: value for name, value in settings.mip_start.items()})
    if start:
        column = matrix.column_of()
        values.update({column[v]: value for v, value in start.items() if v in column})
    if not values:
        return None
    order = sorted(values)
    return np.asarray(order, dtype=np.int32), np.asarray([values[i] for i in order])


def new_highs(highspy: ModuleType) -> Any:
    """A ``Highs`` instance, without HiGHS' banner.

    HiGHS prints "Running HiGHS ..." to the C-level stdout when the first instance of a process
    is created, whatever its options; that would corrupt output a user pipes (plan summaries,
    JSON) and clutter every batch job's log. The banner is discarded (the version is in every
    solver report; ``verbose`` still shows HiGHS' log).
    """
    sys.stdout.flush()
    saved = os.dup(1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(quiet, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(quiet)


def _new_highs(highspy: ModuleType, settings: SolverSettings) -> Any:
    # HiGHS sizes one global thread pool per process at its first solve; a later solve asking
    # for another thread count then fails ("Not Set"). Reset it: solves in a process run one at
    # a time (batch workers are processes).
    reset = getattr(highspy.Highs, "resetGlobalScheduler", None)
    if reset is not None:
        reset(True)
    highs = new_highs(highspy)
    highs.setOptionValue("output_flag", settings.verbose)
    if settings.time_limit is not None:
        highs.setOptionValue("time_limit", float(settings.time_limit))
    highs.setOptionValue("mip_rel_gap", float(settings.mip_gap))
    highs.setOptionValue("random_seed", int(settings.random_seed))
    if settings.threads is not None:
        highs.setOptionValue("threads", int(settings.threads))
    if settings.node_limit is not None:
        highs.setOptionValue("mip_max_nodes", int(settings.node_limit))
    for key, value in sorted(settings.highs_options.items()):
        highs.setOptionValue(key, value)
    return highs


def _pass_matrix(highspy: ModuleType, highs: Any, matrix: MatrixModel, *, relax: bool) -> bool:
    # kContinuous = 0, kInteger = 1; always one entry per column (an empty array is misread)
    integrality = matrix.integrality.astype(np.int32)
    if relax:
        integrality[:] = 0
    sense = highspy.ObjSense.kMaximize if matrix.maximize else highspy.ObjSense.kMinimize
    status = highs.passModel(
        matrix.num_cols,
        matrix.num_rows,
        matrix.num_nonzeros,
        int(highspy.MatrixFormat.kRowwise),
        int(sense),
        matrix.offset,
        matrix.cost,
        matrix.col_lower,
        matrix.col_upper,
        matrix.row_lower,
        matrix.row_upper,
        matrix.row_start,
        matrix.col_index,
        matrix.value,
        integrality,
    )
    return bool(status != highspy.HighsStatus.kError)


_LIMITS = {
    "kTimeLimit": StopReason.TIME_LIMIT,
    "kIterationLimit": StopReason.ITERATION_LIMIT,
    "kSolutionLimit": StopReason.SOLUTION_LIMIT,
    "kObjectiveBound": StopReason.OBJECTIVE_LIMIT,
    "kObjectiveTarget": StopReason.OBJECTIVE_LIMIT,
    "kInterrupt": StopReason.INTERRUPT,
    "kHighsInterrupt": StopReason.INTERRUPT,
    "kMemoryLimit": StopReason.MEMORY_LIMIT,
    "kUnknown": StopReason.UNKNOWN,
}


def _stop(name: str, settings: SolverSettings) -> StopReason:
    """HiGHS reports its node limit as a solution limit; say which one it was."""
    if name == "kSolutionLimit" and settings.node_limit is not None:
        return StopReason.NODE_LIMIT
    return _LIMITS[name]


def _run_plain(highspy: ModuleType, matrix: MatrixModel, *, relax: bool, zero_cost: bool) -> str:
    """Solve a variant without presolve (to tell infeasible from unbounded); model status name."""
    highs = new_highs(highspy)
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("presolve", "off")
    highs.setOptionValue("time_limit", 30.0)
    variant = replace(matrix, cost=np.zeros_like(matrix.cost)) if zero_cost else matrix
    if not _pass_matrix(highspy, highs, variant, relax=relax):
        return "kLoadError"
    highs.run()
    return str(highs.getModelStatus().name)


def _disambiguate(highspy: ModuleType, matrix: MatrixModel) -> SolveStatus:
    """Turn HiGHS' "unbounded or infeasible" (from presolve) into a definite answer if possible."""
    relaxed = _run_plain(highspy, matrix, relax=True, zero_cost=False)
    if relaxed == "kInfeasible":
        return SolveStatus.INFEASIBLE
    if relaxed == "kUnbounded" and not matrix.is_mip:
        return SolveStatus.UNBOUNDED
    if relaxed == "kUnbounded":  # a feasible MIP with an unbounded relaxation is unbounded
        feasible = _run_plain(highspy, matrix, relax=False, zero_cost=True)
        if feasible == "kOptimal":
            return SolveStatus.UNBOUNDED
        if feasible == "kInfeasible":
            return SolveStatus.INFEASIBLE
    return SolveStatus.INFEASIBLE_OR_UNBOUNDED


def _solve_highs(
    highspy: ModuleType,
    matrix: MatrixModel,
    settings: SolverSettings,
    start: Mapping[pulp.LpVariable, float] | None,
    *,
    load_seconds: float,
    relax: bool = False,
    on_solution: Callable[[np.ndarray], None] | None = None,
) -> tuple[SolverReport, Any]:
    started = time.perf_counter()
    highs = _new_highs(highspy, settings)
    base = SolverReport(
        status=SolveStatus.ERROR,
        solver="highs",
        solver_version=f"{highs.versionMajor()}.{highs.versionMinor()}.{highs.versionPatch()}",
        is_mip=matrix.is_mip and not relax,
        num_variables=matrix.num_cols,
        num_constraints=matrix.num_rows,
    )
    if not _pass_matrix(highspy, highs, matrix, relax=relax):
        return replace(base, message="HiGHS rejected the model (passModel error)"), highs
    initial = _start_vector(matrix, settings, start) if base.is_mip else None
    if initial is not None:
        highs.setSolution(len(initial[0]), initial[0], initial[1])
    answers: list[np.ndarray] = []  # improving answers, copied in HiGHS's callback
    failures: list[BaseException] = []
    channel = getattr(highs, "cbMipImprovingSolution", None)  # highspy's callback API
    if on_solution is not None and base.is_mip and channel is not None:

        def keep(event: Any) -> None:
            try:  # HiGHS would swallow an exception here: keep it for after the run
                answers.append(np.array(event.data_out.mip_solution, dtype=float))
            except BaseException as error:  # re-raised after the run
                failures.append(error)

        channel.subscribe(keep)
    load_seconds += time.perf_counter() - started

    started = time.perf_counter()
    highs.run()
    solve_seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    if on_solution is not None:
        for answer in answers:
            on_solution(answer)

    model_status = highs.getModelStatus()
    name = str(model_status.name)
    info = highs.getInfo()
    has_primal = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    report = replace(
        base,
        load_seconds=load_seconds,
        solve_seconds=solve_seconds,
        time_limit_hit=name == "kTimeLimit",
        node_count=int(info.mip_node_count) if base.is_mip else None,
        message=highs.modelStatusToString(model_status),
    )
    if name == "kModelEmpty":
        return replace(
            report, status=SolveStatus.OPTIMAL, objective=matrix.offset, bound=matrix.offset, gap=0
        ), highs
    if name == "kOptimal" or (name in _LIMITS and has_primal):
        objective = float(info.objective_function_value)
        if base.is_mip:
            bound: float | None = float(info.mip_dual_bound)
        else:
            bound = objective if name == "kOptimal" else None
        if bound is not None and not math.isfinite(bound):
            bound = None
        gap = relative_gap(objective, bound)
        # stopped at a limit with the gap already within the requested one (HiGHS looks at its
        # clock inside root heuristics, before its gap test): optimal in the requested sense,
        # the stop reason kept
        closed = base.is_mip and gap is not None and gap <= settings.mip_gap
        status = SolveStatus.OPTIMAL if name == "kOptimal" or closed else SolveStatus.FEASIBLE
        return replace(
            report,
            status=status,
            objective=objective,
            bound=bound,
            gap=gap,
            stop_reason=None if name == "kOptimal" else _stop(name, settings),
        ), highs
    if name in _LIMITS:
        return replace(
            report, status=SolveStatus.TIME_LIMIT_NO_SOLUTION, stop_reason=_stop(name, settings)
        ), highs
    if name == "kInfeasible":
        return replace(report, status=SolveStatus.INFEASIBLE), highs
    if name == "kUnbounded":
        return replace(report, status=SolveStatus.UNBOUNDED), highs
    if name == "kUnboundedOrInfeasible":
        return replace(report, status=_disambiguate(highspy, matrix)), highs
    return report, highs


def _write_back(matrix: MatrixModel, highs: Any, report: SolverReport) -> SolverReport:
    """Copy values (and LP duals) into the PuLP objects; return the report with duals attached."""
    if not report.has_solution:
        return report
    solution = highs.getSolution()
    for variable, value in zip(matrix.variables, solution.col_value, strict=True):
        variable.varValue = float(value)
    if report.is_mip or not solution.dual_valid:
        return report
    row_dual = [float(value) for value in solution.row_dual]
    for constraint, dual, activity in zip(
        matrix.constraints, row_dual, solution.row_value, strict=True
    ):
        constraint.pi = dual
        constraint.slack = -constraint.constant - float(activity)
    for variable, reduced in zip(matrix.variables, solution.col_dual, strict=True):
        variable.dj = float(reduced)
    return replace(report, duals=dict(zip(matrix.constraint_names, row_dual, strict=True)))


def solve(
    problem: pulp.LpProblem,
    settings: SolverSettings | None = None,
    *,
    start: Mapping[pulp.LpVariable, float] | None = None,
    build_seconds: float = 0.0,
    on_solution: Callable[[dict[pulp.LpVariable, float]], None] | None = None,
    relax: bool = False,
) -> SolverReport:
    """Solve ``problem``; write values into its variables; return an honest report.

    ``start`` gives MIP start values by variable (partial starts allowed; HiGHS completes them);
    ``settings.mip_start`` does the same by name. ``on_solution`` receives each improving MIP
    answer HiGHS found, as values by variable, in order, once the solve is over (HiGHS only: the
    CBC fallback never calls it).
    ``build_seconds`` is the caller's model-building time, carried into the report. A problem
    that cannot be solved is reported through the status (infeasible, unbounded, error …), not
    raised; :class:`SolveError` is raised only for bad settings. ``relax`` solves the LP
    relaxation instead (every integer variable continuous; no start; the problem's variables keep
    their kinds): an LP's report, with duals.
    """
    settings = settings or SolverSettings()
    if relax:
        start, on_solution = None, None
        settings = settings.model_copy(update={"mip_start": None})
    highspy = _import_highspy() if settings.solver == "highs" else None
    if highspy is None:
        from engine.solver_cbc import solve_cbc

        with _continuous(problem) if relax else nullcontext():
            report = solve_cbc(problem, settings, start)
        if settings.solver == "highs":
            report = replace(report, message=report.message + " (highspy missing: used CBC)")
        return replace(report, build_seconds=build_seconds)
    started = time.perf_counter()
    matrix = extract_matrix(problem)
    extract_seconds = time.perf_counter() - started
    relay = None
    if on_solution is not None:

        def relay(values: np.ndarray) -> None:
            on_solution(dict(zip(matrix.variables, values.tolist(), strict=True)))

    report, highs = _solve_highs(
        highspy,
        matrix,
        settings,
        start,
        load_seconds=extract_seconds,
        relax=relax,
        on_solution=relay,
    )
    report = _write_back(matrix, highs, report)
    return replace(report, build_seconds=build_seconds)


@contextmanager
def _continuous(problem: pulp.LpProblem) -> Iterator[None]:
    """The problem's integer variables continuous for the block (the CBC path of ``relax``)."""
    integer = [v for v in problem.variables() if v.cat == pulp.LpInteger]
    for variable in integer:
        variable.cat = pulp.LpContinuous
    try:
        yield
    finally:
        for variable in integer:
            variable.cat = pulp.LpInteger


def fixed_lp_duals(problem: pulp.LpProblem, settings: SolverSettings | None = None) -> SolverReport:
    """Shadow prices of a solved MIP: fix every integer variable at its (rounded) value, solve the
    remaining LP, and return its report with ``duals`` (also written to ``constraint.pi``).

    The variables must hold a solution (from :func:`solve`); their values are re-written from the
    fixed LP, which has the same integer part and an optimal continuous part.
    """
    settings = settings or SolverSettings()
    highspy = _import_highspy()
    if highspy is None:
        raise SolveError("fixed_lp_duals needs highspy (HiGHS)")
    started = time.perf_counter()
    matrix = extract_matrix(problem)
    missing = [
        v.name
        for v, is_int in zip(matrix.variables, matrix.integrality, strict=True)
        if is_int and v.varValue is None
    ]
    if missing:
        raise SolveError(f"fixed_lp_duals: integer variables without a value: {missing[:5]}")
    lower, upper = matrix.col_lower.copy(), matrix.col_upper.copy()
    positions = np.flatnonzero(matrix.integrality)
    fixed = np.round([float(matrix.variables[i].varValue) for i in positions])
    lower[positions] = fixed
    upper[positions] = fixed
    fixed_matrix = replace(
        matrix, col_lower=lower, col_upper=upper, integrality=np.zeros_like(matrix.integrality)
    )
    report, highs = _solve_highs(
        highspy,
        fixed_matrix,
        settings,
        None,
        load_seconds=time.perf_counter() - started,
        relax=True,
    )
    return _write_back(fixed_matrix, highs, report)
