"""Random tiny instances: every plan passes the independent checker, and the MIP optimum equals
the best of all binary assignments enumerated by brute force (each solved as an LP)."""

from __future__ import annotations

import itertools
from typing import Any

import pulp
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from test_optimize_fixtures import inputs, network, settings

from engine.optimize import TrainingSettings, check_plan, solve
from engine.optimize.model import build_model
from engine.optimize.registry import CUT_FAMILIES
from engine.rules.risk_directives import (
    CreditExposure,
    Exclude,
    HhiCeiling,
    MaxPartnerShare,
    MinReps,
)
from engine.solver import SolverSettings
from engine.solver import solve as run_solver

TERRITORIES = ["A", "B", "C"]


@st.composite
def instances(draw: Any) -> dict[str, Any]:
    """2–3 territories, 1–2 field reps, 0–2 distributors, a web channel, random budgets."""
    count = draw(st.integers(2, 3))
    names = TERRITORIES[:count]
    potentials = [draw(st.sampled_from([2e5, 5e5, 1e6, 3e6])) for _ in names]
    reps = [
        {"id": f"R{i}", "channel": "FIELD", "home": draw(st.sampled_from(names)),
         "territory": None, "capacity_hours": draw(st.sampled_from([100.0, 300.0])),
         "cost": 1000.0, "status": draw(st.sampled_from(["active", "active", "open"]))}
        for i in range(draw(st.integers(1, 2)))
    ]  # fmt: skip
    partners = [
        {"id": f"P{i}", "channel": "DIST", "capacity": draw(st.sampled_from([1e5, 3e5, 8e5])),
         "fixed_cost": draw(st.sampled_from([0.0, 2e4, 6e4]))}
        for i in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    coverage = [(p["id"], t, None) for p in partners for t in names if draw(st.booleans())]
    accounts = [
        {"id": f"a{t}{j}", "territory": t, "revenue_12m": draw(st.sampled_from([1e3, 5e4]))}
        for t in names for j in range(2)
    ]  # fmt: skip
    tiers = [(a["id"], draw(st.sampled_from(["A", "C", "D"]))) for a in accounts]
    budgets = {"marketing": draw(st.sampled_from([0.0, 5e3, 5e4])), "total": 1e6}
    directives: list[Any] = []
    if partners and draw(st.booleans()):
        directives.append(Exclude("partner", partners[0]["id"], "x"))
    if partners and draw(st.booleans()):
        directives.append(CreditExposure("partner", partners[-1]["id"], "c", 1.0, 1.5e5))
    if draw(st.booleans()):
        directives.append(MaxPartnerShare("territory", names[0], "s", 0.6, "territory"))
    if draw(st.booleans()):
        directives.append(HhiCeiling("territory", names[-1], "h", 0.7))
    if draw(st.booleans()):
        directives.append(MinReps("territory", names[0], "m", 1))
    return {
        "names": names,
        "potentials": potentials,
        "reps": reps,
        "partners": partners,
        "coverage": coverage,
        "accounts": accounts,
        "tiers": tiers,
        "budgets": budgets,
        "directives": directives,
        "coverage_mode": draw(st.sampled_from(["off", "soft"])),
        "calls": draw(st.sampled_from([6.0, 60.0, 150.0])),  # 150: several heads per territory
        "training": draw(st.booleans()),
    }


def _build(case: dict[str, Any]) -> tuple[Any, Any]:
    import pandas as pd

    field = {
        "id": "FIELD",
        "kind": "direct_field",
        "hours_scale": 150.0,
        "hours_per_call": 2.0,
        "marketing_scale": 40_000.0,
        "hire_cost": 30_000.0,
        "hire_capacity_hours": 200.0,
    }
    web = {
        "id": "WEB",
        "kind": "online",
        "margin": 0.3,
        "max_share": 0.1,
        "marketing_scale": 20_000.0,
    }
    channels = [field, web] + ([{"id": "DIST", "kind": "distributor", "margin": 0.25}]
                               if case["partners"] else [])  # fmt: skip
    net = network(
        [(t, float(i), p) for i, (t, p) in enumerate(zip(case["names"], case["potentials"],
                                                          strict=True))],
        channels, reps=case["reps"], partners=case["partners"], coverage=case["coverage"],
        budgets=case["budgets"], accounts=case["accounts"],
    )  # fmt: skip
    calls = {"A": case.get("calls", 6.0), "C": 2.0, "D": 0.0}  # C: inside only, no such reps here
    eligible = {"A": ("direct_field", "inside"), "C": ("inside", "distributor"),
                "D": ("online", "distributor", "agent")}  # fmt: skip
    tiers = pd.DataFrame({
        "account": [a for a, _ in case["tiers"]], "tier": [t for _, t in case["tiers"]],
        "calls_per_quarter": [calls[t] for _, t in case["tiers"]],
        "eligible_channels": [eligible[t] for _, t in case["tiers"]],
    })  # fmt: skip
    planning = inputs(net, tiers=tiers, directives=case["directives"])
    tuned = settings(
        max_hires_per_territory=1,
        candidates=2,
        coverage={"mode": case["coverage_mode"], "penalty_per_call": 50.0},
        training=TrainingSettings() if case.get("training") else None,
    )
    return planning, tuned


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_plan_passes_the_independent_checker(case: dict[str, Any]) -> None:
    planning, tuned = _build(case)
    plan = solve(planning, tuned)
    if plan.status == "infeasible":  # e.g. min_reps where no rep can reach: explained
        assert plan.explanation.relaxations and plan.explanation.prechecks
        return
    assert plan.status == "optimal", plan.explanation.summary
    assert check_plan(plan, planning, tuned) == []


def _brute_force(planning: Any, tuned: Any) -> float:
    """Best objective over every value of the integer variables, each solved as an LP."""
    model = build_model(planning, tuned)
    for family in CUT_FAMILIES:  # valid inequalities must not change the optimum: made slack
        for constraint in model.rows(family).values():
            assert constraint.sense == pulp.LpConstraintGE
            constraint.constant = 1e9
    integers = [v for v in model.problem.variables() if v.cat == "Integer"]
    domains = [range(int(v.lowBound), int(v.upBound) + 1) for v in integers]
    best = float("-inf")
    quick = SolverSettings(time_limit=10, mip_gap=0.0, threads=1)
    for values in itertools.product(*domains):
        for variable, value in zip(integers, values, strict=True):
            variable.lowBound = variable.upBound = value
        report = run_solver(model.problem, quick)
        if report.has_solution and report.objective is not None:
            best = max(best, report.objective)
    return best


@hyp_settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_mip_matches_brute_force(case: dict[str, Any]) -> None:
    planning, tuned = _build(case)
    model = build_model(planning, tuned)
    if sum(v.cat == "Integer" for v in model.problem.variables()) > 7:
        return  # keep the enumeration small
    plan = solve(planning, tuned)
    best = _brute_force(planning, tuned)
    if best == float("-inf"):
        assert plan.status == "infeasible"
        assert plan.explanation.relaxations or plan.explanation.prechecks
    else:
        assert plan.solver.objective == pytest.approx(best, rel=1e-6, abs=0.05)


def test_coverage_cuts_change_no_optimum_where_they_apply() -> None:
    """A fixed case where the coverage cuts exist (300 calls in A against heads of 50 and 100
    calls, training on): the MIP with them equals the brute force without them."""
    rep = {"channel": "FIELD", "home": "A", "territory": None, "capacity_hours": 100.0,
           "cost": 1000.0, "status": "active"}  # fmt: skip
    reps = [{"id": f"R{i}", **rep} for i in range(2)]
    accounts = [{"id": f"a{t}{j}", "territory": t, "revenue_12m": 5e4}
                for t in ("A", "B") for j in range(2)]  # fmt: skip
    case = {
        "names": ["A", "B"], "potentials": [1e6, 5e5], "reps": reps, "partners": [],
        "coverage": [], "accounts": accounts, "tiers": [(a["id"], "A") for a in accounts],
        "budgets": {"marketing": 5e3, "total": 1e6}, "directives": [], "coverage_mode": "soft",
        "calls": 150.0, "training": True,
    }  # fmt: skip
    planning, tuned = _build(case)
    model = build_model(planning, tuned)
    assert model.rows("coverage_mir") and model.rows("coverage_heads")
    plan = solve(planning, tuned)
    assert plan.solver.objective == pytest.approx(_brute_force(planning, tuned), rel=1e-6, abs=0.05)
