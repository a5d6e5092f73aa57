"""The round-and-improve start: feasible, bounded by its LP, and never changing the optimum."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from test_optimize_properties import _build, instances

from engine.optimize import check_plan, solve
from engine.optimize.heuristic import round_and_improve
from engine.optimize.model import build_model
from engine.solver import SolverSettings


@hyp_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_start_is_feasible_and_leaves_the_optimum_alone(case: dict[str, Any]) -> None:
    planning, tuned = _build(case)
    exact = solve(planning, tuned)
    if exact.status != "optimal":
        return
    model = build_model(planning, tuned)
    start = round_and_improve(model, tuned.solver, 10.0)
    if start is None:  # rounding can fail (e.g. min_reps out of reach): the MIP then runs cold
        return
    assert start.objective <= start.bound + 1e-6 * max(1.0, abs(start.bound))
    # the plan's objective is rounded to cents
    assert start.objective <= exact.solver.objective + 0.01 + 1e-6 * max(1.0, abs(start.bound))
    seeded = solve(planning, tuned.model_copy(update={"heuristic": "on"}))
    assert seeded.status == "optimal"
    assert seeded.solver.objective == pytest.approx(exact.solver.objective, rel=1e-6, abs=0.05)
    assert check_plan(seeded, planning, tuned) == []


@hyp_settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_a_start_within_the_gap_is_the_answer(case: dict[str, Any]) -> None:
    """With a gap wide enough, the start is returned without branch-and-bound: its report says so,
    its gap is to the LP bound, and the plan passes the independent checker."""
    planning, tuned = _build(case)
    loose = tuned.model_copy(
        update={"heuristic": "on", "solver": SolverSettings(time_limit=30, mip_gap=0.9, threads=1)}
    )
    plan = solve(planning, loose)
    if "branch-and-bound was not needed" not in plan.solver.message:
        return  # no start (rounding failed) or the start was worse than 90 %: the MIP ran
    assert plan.status == "optimal"
    assert plan.solver.gap is not None and plan.solver.gap <= 0.9
    assert plan.solver.bound is not None and plan.solver.objective is not None
    assert plan.solver.objective <= plan.solver.bound + 1e-6 * max(1.0, abs(plan.solver.bound))
    assert check_plan(plan, planning, loose) == []
