"""Relax–round–fix: a quick feasible plan to hand HiGHS as a MIP start.

1. Solve the LP relaxation (every integer variable continuous).
2. Round: each rep to the candidate territory it holds most of (open headcount only if it is at
   least half filled), hires down to whole heads, partners on where the relaxation opens them by at
   least ``partner_threshold``.
3. Fix the rounded rep assignments and hires (to the nearest head, else down) and solve the rest
   as a MIP (partner activation, time-limited); its values are the start.
The problem is restored afterwards; it returns None when any step fails (the MIP then runs cold).
"""

from __future__ import annotations

import math
from collections import defaultdict

import pulp

from engine.optimize.registry import AllocationModel
from engine.solver import SolverSettings, solve

__all__ = ["relax_round_fix"]


def _rounded(
    model: AllocationModel, partner_threshold: float, hire_round: float
) -> dict[pulp.LpVariable, float]:
    values: dict[pulp.LpVariable, float] = {}
    best: dict[str, tuple[float, pulp.LpVariable]] = {}
    share: dict[str, float] = defaultdict(float)
    for (rep, _), variable in model.family("assign").items():
        value = float(variable.varValue or 0.0)
        share[rep] += value
        values[variable] = 0.0
        if rep not in best or value > best[rep][0] + 1e-9:
            best[rep] = (value, variable)
    active = model.data.reps["active"]
    for rep, (_, variable) in best.items():
        if active[rep] or share[rep] >= 0.5:
            values[variable] = 1.0
    for variable in model.family("hire").values():
        values[variable] = float(math.floor(float(variable.varValue or 0.0) + hire_round))
    for variable in model.family("activate").values():
        values[variable] = 1.0 if float(variable.varValue or 0.0) >= partner_threshold else 0.0
    return values


def relax_round_fix(
    model: AllocationModel,
    settings: SolverSettings,
    *,
    partner_threshold: float = 0.2,
    share: float = 0.25,
) -> tuple[dict[pulp.LpVariable, float], float] | None:
    """A MIP start ``(values, objective)`` for ``model``, or None.

    The MIP of step 3 gets ``share`` of the time limit and a gap of at least 1 %.
    """
    integers = [v for v in model.problem.variables() if v.cat == pulp.LpInteger]
    saved = [(v, v.cat, v.lowBound, v.upBound) for v in integers]
    quick = settings.model_copy(update={"mip_start": None, "verbose": False})
    try:
        for variable in integers:
            variable.cat = pulp.LpContinuous
        relaxed = solve(model.problem, quick)
        if not relaxed.has_solution:
            return None
        for variable, cat, _, _ in saved:
            variable.cat = cat
        limit = settings.time_limit or 60.0
        repair = quick.model_copy(
            update={"time_limit": max(0.5, share * limit), "mip_gap": max(settings.mip_gap, 0.01)}
        )
        fixing = set(model.family("assign").values()) | set(model.family("hire").values())
        repaired = None
        for hire_round in (0.5, 1e-6):  # hires to the nearest head; if that breaks a line, down
            fixed = _rounded(model, partner_threshold, hire_round)
            for variable, value in fixed.items():
                if variable in fixing:
                    variable.lowBound = variable.upBound = value
            repaired = solve(model.problem, repair)
            if repaired.has_solution:
                break
        if repaired is None or not repaired.has_solution or repaired.objective is None:
            return None
        start = {v: float(v.varValue or 0.0) for v in model.problem.variables()}
        return start, float(repaired.objective)
    finally:
        for variable, cat, low, up in saved:
            variable.cat, variable.lowBound, variable.upBound = cat, low, up
