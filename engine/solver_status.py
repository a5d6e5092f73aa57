"""Solve outcomes as salesnet's own enum and one small, frozen result record.

Every optimisation model in salesnet reports through :class:`SolverReport`. The status is always
derived from the solver's real state (HiGHS model status and primal solution status, or CBC's
result line), never from PuLP's status string: PuLP calls a HiGHS run that stopped at its time
limit with an incumbent "Optimal".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = ["SolveStatus", "SolverReport", "StopReason", "relative_gap"]


class SolveStatus(StrEnum):
    """What a solve established, in salesnet's words."""

    #: Proven optimal (for a MIP: within the requested relative gap, see ``SolverReport.gap``).
    OPTIMAL = "optimal"
    #: Stopped at a limit (time, nodes, iterations …) with a feasible solution; carries a gap.
    FEASIBLE = "feasible"
    #: Proven infeasible: no assignment satisfies every constraint.
    INFEASIBLE = "infeasible"
    #: Proven unbounded: feasible, and the objective improves without limit.
    UNBOUNDED = "unbounded"
    #: The solver proved "infeasible or unbounded" and a follow-up check could not tell which.
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    #: Stopped at a limit (see ``SolverReport.stop_reason``) before any feasible solution was found.
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    #: The solver failed (load error, numerical trouble, solver crash).
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """True when variable values are a feasible solution (optimal or feasible)."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


class StopReason(StrEnum):
    """Why a solver stopped before proving optimality."""

    TIME_LIMIT = "time_limit"
    NODE_LIMIT = "node_limit"
    ITERATION_LIMIT = "iteration_limit"
    SOLUTION_LIMIT = "solution_limit"
    OBJECTIVE_LIMIT = "objective_limit"
    INTERRUPT = "interrupt"
    MEMORY_LIMIT = "memory_limit"
    UNKNOWN = "unknown"


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective − bound| / max(|objective|, 1e-9)`` — 0.0 when both agree, None when unknown.

    This is HiGHS' definition (relative to the incumbent), used for CBC too so that gaps compare.
    """
    if objective is None or bound is None:
        return None
    difference = abs(objective - bound)
    if difference <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return difference / max(abs(objective), 1e-9)


@dataclass(frozen=True)
class SolverReport:
    """The outcome of one solve; immutable.

    ``objective`` is the incumbent's objective value in the problem's own sense (None without a
    solution); ``bound`` the best proven bound on the optimum (the dual bound; equal to the
    objective for an optimal LP); ``gap`` the relative gap between the two (HiGHS' definition, see
    :func:`relative_gap`). Times are wall-clock seconds: ``build`` is measured by the caller (model
    builder), ``load`` covers extracting the matrix and handing it to the solver, ``solve`` the
    solver run itself. HiGHS may overshoot ``time_limit`` by a few seconds (it checks the clock
    between rounds of root cuts), so ``solve_seconds`` can exceed the limit. ``duals`` maps
    constraint names to shadow prices (change of the objective per unit increase of the
    right-hand side); filled for LPs only (for a MIP see :func:`engine.solver.fixed_lp_duals`).
    """

    status: SolveStatus
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    build_seconds: float = 0.0
    load_seconds: float = 0.0
    solve_seconds: float = 0.0
    solver: str = "highs"
    solver_version: str = ""
    time_limit_hit: bool = False
    stop_reason: StopReason | None = None
    node_count: int | None = None
    is_mip: bool = False
    num_variables: int = 0
    num_constraints: int = 0
    message: str = ""
    duals: Mapping[str, float] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.duals is not None and not isinstance(self.duals, MappingProxyType):
            object.__setattr__(self, "duals", MappingProxyType(dict(self.duals)))

    @property
    def has_solution(self) -> bool:
        """True when the problem's variables hold a feasible solution."""
        return self.status.has_solution

    @property
    def total_seconds(self) -> float:
        """Build + load + solve seconds."""
        return self.build_seconds + self.load_seconds + self.solve_seconds

    def summary(self) -> str:
        """One line for a planner: status, objective, bound, gap and time."""
        parts = [self.status.value]
        if self.objective is not None:
            parts.append(f"objective {self.objective:.6g}")
        if self.bound is not None:
            parts.append(f"bound {self.bound:.6g}")
        if self.gap is not None:
            parts.append(f"gap {100 * self.gap:.2f}%")
        if self.stop_reason is not None:
            parts.append(f"stopped: {self.stop_reason.value}")
        parts.append(f"{self.total_seconds:.2f}s ({self.solver} {self.solver_version})".strip())
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (enums as strings, duals as a plain sorted dict)."""
        data = {item.name: getattr(self, item.name) for item in fields(self)}
        data["status"] = self.status.value
        data["stop_reason"] = self.stop_reason.value if self.stop_reason else None
        if self.duals is not None:
            data["duals"] = {name: self.duals[name] for name in sorted(self.duals)}
        else:
            data["duals"] = None
        return data
