"""CBC through PuLP's ``PULP_CBC_CMD``: the fallback solver, with its status mapped honestly.

CBC runs as a subprocess on an MPS file, so "load" (writing the file) is inside ``solve_seconds``
here. The status comes from CBC's result line (PuLP's ``sol_status``: a run stopped at its time
limit with an incumbent is *feasible*, not optimal) and the bound, gap and node count from CBC's
log.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pulp

from engine.solver_status import SolverReport, SolveStatus, StopReason, relative_gap

if TYPE_CHECKING:
    from engine.solver import SolverSettings

__all__ = ["solve_cbc"]

_NUMBER = r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|inf|infinity))"


def _log_value(log: str, label: str) -> float | None:
    match = re.search(rf"^{label}:\s+{_NUMBER}", log, flags=re.MULTILINE | re.IGNORECASE)
    return float(match.group(1)) if match else None


def _stop_reason(log: str) -> StopReason | None:
    match = re.search(r"^Result - (.*)$", log, flags=re.MULTILINE)
    text = match.group(1).lower() if match else ""
    if "time" in text:
        return StopReason.TIME_LIMIT
    if "node" in text:
        return StopReason.NODE_LIMIT
    if "iteration" in text:
        return StopReason.ITERATION_LIMIT
    if "stopped" in text:
        return StopReason.UNKNOWN
    return None


def _status(problem: pulp.LpProblem, stop: StopReason | None) -> SolveStatus:
    solution = problem.sol_status
    if solution == pulp.LpSolutionOptimal and stop is None:
        return SolveStatus.OPTIMAL
    if solution in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionOptimal):
        return SolveStatus.FEASIBLE
    if solution == pulp.LpSolutionUnbounded or problem.status == pulp.LpStatusUnbounded:
        return SolveStatus.UNBOUNDED
    if solution == pulp.LpSolutionInfeasible or problem.status == pulp.LpStatusInfeasible:
        return SolveStatus.INFEASIBLE
    if problem.status == pulp.LpStatusNotSolved:
        return SolveStatus.TIME_LIMIT_NO_SOLUTION
    return SolveStatus.ERROR


def _command(settings: SolverSettings, warm: bool, log_path: Path) -> pulp.LpSolver:
    return pulp.PULP_CBC_CMD(
        msg=False,
        timeLimit=settings.time_limit,
        gapRel=settings.mip_gap,
        threads=settings.threads,
        warmStart=warm,
        maxNodes=settings.node_limit,
        logPath=str(log_path),
        options=[f"randomCbcSeed {settings.random_seed + 1}"],
    )


def solve_cbc(
    problem: pulp.LpProblem,
    settings: SolverSettings,
    start: Mapping[pulp.LpVariable, float] | None = None,
) -> SolverReport:
    """Solve ``problem`` with CBC (values written back by PuLP); return an honest report."""
    variables = problem.variables()
    is_mip = any(v.cat == pulp.LpInteger for v in variables)
    warm = bool(start or settings.mip_start) and is_mip
    if warm:
        by_name = {v.name: v for v in variables}
        for name, value in (settings.mip_start or {}).items():
            if name in by_name:
                by_name[name].varValue = value
        for variable, value in (start or {}).items():
            variable.varValue = value
    handle, log_name = tempfile.mkstemp(prefix="salesnet-cbc-", suffix=".log")
    os.close(handle)
    log_path = Path(log_name)
    with warnings.catch_warnings():  # PuLP 3.3 deprecates the bundled CBC; it is our fallback
        warnings.simplefilter("ignore", DeprecationWarning)
        command = _command(settings, warm, log_path)
    base = SolverReport(
        status=SolveStatus.ERROR,
        solver="cbc",
        solver_version="",
        is_mip=is_mip,
        num_variables=len(variables),
        num_constraints=len(problem._constraints),
    )
    started = time.perf_counter()
    try:
        problem.solve(command)
    except pulp.PulpSolverError as error:
        log_path.unlink(missing_ok=True)
        return SolverReport(**{**base.__dict__, "message": f"CBC failed: {error}"})
    solve_seconds = time.perf_counter() - started
    log = log_path.read_text(errors="replace")
    log_path.unlink(missing_ok=True)
    if settings.verbose:
        print(log)
    version = re.search(r"Version:\s*(\S+)", log)
    stop = _stop_reason(log)
    status = _status(problem, stop)
    objective = pulp.value(problem.objective) if status.has_solution else None
    objective = float(objective) if objective is not None else None
    bound: float | None = None
    if status is SolveStatus.OPTIMAL:
        bound = objective
    elif status.has_solution and is_mip:
        raw = _log_value(log, "Lower bound")
        if raw is not None and objective is not None:
            # CBC minimises internally; for a maximisation its "lower bound" is the negated bound
            bound = -raw if problem.sense == pulp.LpMaximize and raw < -objective + 1e-9 else raw
    nodes = _log_value(log, "Enumerated nodes")
    duals = None
    if status.has_solution and not is_mip:
        duals = {name: float(c.pi or 0.0) for name, c in problem._constraints.items()}
    return SolverReport(
        **{
            **base.__dict__,
            "status": status,
            "objective": objective,
            "bound": bound,
            "gap": relative_gap(objective, bound),
            "solve_seconds": solve_seconds,
            "solver_version": version.group(1) if version else "",
            "time_limit_hit": stop is StopReason.TIME_LIMIT,
            "stop_reason": None if status is SolveStatus.OPTIMAL else stop,
            "node_count": int(nodes) if nodes is not None and is_mip else None,
            "duals": duals,
        }
    )
