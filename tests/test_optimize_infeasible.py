"""Infeasible inputs end in an explanation (pre-checks, elastic re-solve), never a stack trace."""

from __future__ import annotations

import pandas as pd
import pytest
from test_optimize_fixtures import inputs, network, settings

from engine.optimize import CostCurve, solve
from engine.rules.risk_directives import MinReps

FIELD = {"id": "FIELD", "kind": "direct_field", "hours_scale": 100.0, "hours_per_call": 2.0}


def _coverage_case() -> tuple:  # type: ignore[type-arg]
    """One rep of 400 h (200 calls at 2 h) for a territory whose tier demands 300 calls."""
    net = network(
        [("A", 0.0, 1e6)], [FIELD],
        reps=[{"id": "R1", "channel": "FIELD", "home": "A", "territory": "A",
               "capacity_hours": 400.0}],
        accounts=[{"id": "a1", "territory": "A", "revenue_12m": 1e5}],
    )  # fmt: skip
    tiers = pd.DataFrame({"account": ["a1"], "tier": ["A"], "calls_per_quarter": [300.0],
                          "eligible_channels": [("direct_field",)]})  # fmt: skip
    return net, tiers


def test_hard_coverage_shortfall_is_named_with_numbers() -> None:
    net, tiers = _coverage_case()
    plan = solve(
        inputs(net, tiers=tiers), settings(coverage={"mode": "hard"}, max_hires_per_territory=0)
    )
    assert plan.status == "infeasible"
    checks = {f.check: f for f in plan.explanation.prechecks}
    assert checks["rep_capacity"].severity == "infeasible"
    assert "200 calls" in checks["rep_capacity"].message and "300" in checks["rep_capacity"].message
    (relaxed,) = plan.explanation.relaxations
    assert (relaxed.family, relaxed.key) == ("coverage", ("A",))
    assert relaxed.amount == pytest.approx(100.0)
    assert "100.0 demanded calls" in relaxed.message


def test_soft_coverage_charges_a_visible_penalty() -> None:
    """Soft mode: 100 calls unserved at 10 per call = 1 000 in cost_coverage_penalty."""
    net, tiers = _coverage_case()
    plan = solve(inputs(net, tiers=tiers),
                 settings(coverage={"mode": "soft", "penalty_per_call": 10.0},
                          max_hires_per_territory=0))  # fmt: skip
    assert plan.status == "optimal"
    assert plan.kpis["calls_unserved"] == pytest.approx(100.0)
    assert plan.kpis["cost_coverage_penalty"] == pytest.approx(1000.0)
    assert any(f.severity == "warning" for f in plan.explanation.prechecks)


def test_fixed_incentive_commitment_above_the_budget() -> None:
    """A plan that pays 5 000 even at zero revenue against a 1 000 incentive budget."""
    net = network(
        [("A", 0.0, 1e6)],
        [{"id": "WEB", "kind": "online", "marketing_scale": 1e4}],
        budgets={"incentives": 1000.0},
    )
    curve = CostCurve(points=((0.0, 5000.0), (1e5, 10_000.0)), convex=True, label="draw")
    plan = solve(inputs(net, curves={"WEB": curve}), settings())
    assert plan.status == "infeasible"
    assert plan.explanation.prechecks[0].check == "fixed_commitments"
    (relaxed,) = [r for r in plan.explanation.relaxations if r.key == ("incentives",)]
    assert relaxed.amount == pytest.approx(4000.0, abs=1.0)
    assert "overspent" in relaxed.message


def test_revenue_target_beyond_the_network() -> None:
    net = network([("A", 0.0, 1e6)], [{"id": "WEB", "kind": "online", "max_share": 0.1,
                                       "marketing_scale": 1e4}])  # fmt: skip
    plan = solve(inputs(net), settings(objective="min_cost", revenue_target=2e5))
    assert plan.status == "infeasible"
    assert "exceeds what the network can win" in plan.explanation.summary
    (relaxed,) = plan.explanation.relaxations
    assert relaxed.family == "revenue_target"
    assert relaxed.amount == pytest.approx(1e5, rel=1e-6)  # cap 0.1·1 M; the rest is missing


def test_min_reps_without_reachable_reps() -> None:
    net = network(
        [("A", 0.0, 1e6), ("B", 5.0, 1e6)], [FIELD],
        reps=[{"id": "R1", "channel": "FIELD", "home": "B", "territory": "B",
               "capacity_hours": 100.0}],
    )  # fmt: skip
    directive = MinReps("territory", "A", "cover_a", 2)
    plan = solve(
        inputs(net, directives=[directive]), settings(candidates=1, max_hires_per_territory=0)
    )
    assert plan.status == "infeasible"
    assert plan.explanation.prechecks[0].entities == ("A",)
    (relaxed,) = plan.explanation.relaxations
    assert relaxed.family == "min_reps" and relaxed.amount == pytest.approx(2.0)


def test_the_elastic_re_solve_never_places_open_headcount_twice() -> None:
    # one open rep (100 calls) for three territories demanding 100 calls each: the fallback plan
    # places it once and leaves 200 calls unserved (it used to relax "at most one territory")
    net = network(
        [("A", 0.0, 1e6), ("B", 1.0, 1e6), ("C", 2.0, 1e6)], [FIELD],
        reps=[{"id": "R1", "channel": "FIELD", "home": "A", "territory": "A",
               "capacity_hours": 200.0, "status": "open"}],
        accounts=[{"id": f"a{t}", "territory": t, "revenue_12m": 1.0} for t in "ABC"],
    )  # fmt: skip
    tiers = pd.DataFrame({"account": ["aA", "aB", "aC"], "tier": "T", "calls_per_quarter": 100.0,
                          "eligible_channels": [("direct_field",)] * 3})  # fmt: skip
    plan = solve(inputs(net, tiers=tiers), settings(coverage={"mode": "hard"}))
    assert plan.status == "infeasible"
    assert {r.family for r in plan.explanation.relaxations} == {"coverage"}
    assert sum(r.amount for r in plan.explanation.relaxations) == pytest.approx(200.0)
    revenue = plan.table("revenue")
    assert revenue["rep_hours"].sum() == pytest.approx(200.0)  # one rep's hours, once
    assert plan.kpis["calls_unserved"] == pytest.approx(200.0)
