"""Tiny allocation models whose optimum is derived by hand (derivations in the docstrings)."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_optimize_fixtures import inputs, network, settings

from engine.optimize import CostCurve, SecondaryGoal, check_plan, solve
from engine.optimize.constraints.revenue import head_cut_applies
from engine.rules.risk_directives import CreditExposure, Exclude

FIELD = {"id": "FIELD", "kind": "direct_field", "hours_scale": 100.0}
WEB = {"id": "WEB", "kind": "online", "margin": 0.4, "max_share": 0.1, "marketing_scale": 10_000.0}
DIST = {"id": "DIST", "kind": "distributor", "margin": 0.3}


def _rep_network():  # type: ignore[no-untyped-def]
    return network(
        [("A", 0.0, 1e6), ("B", 1.0, 4e6)], [FIELD],
        reps=[{"id": "R1", "channel": "FIELD", "home": "A", "territory": "A",
               "capacity_hours": 100.0}],
    )  # fmt: skip


def test_rep_moves_where_the_response_pays_more() -> None:
    """One rep (100 h) at home in A (potential 1 M) or moved 1 unit to B (4 M); margin 0.5,
    max_share 0.5, 100 h per 1 M win 63 %. In A: y = 100/100 = 1, revenue 0.5 M·(1 − e⁻¹) =
    316 060.28, contribution 158 030.14. In B: y = 100/(100·4) = 0.25, revenue 2 M·(1 − e^−0.25) =
    442 398.43, contribution 221 199.22 − move 1 000 = 220 199.22 (both y are tangent points, so the
    linearisation is exact there). Optimum: move to B."""
    net, s = _rep_network(), settings(move_cost_per_unit=1000.0)
    plan = solve(inputs(net), s)
    assert plan.status == "optimal"
    expected = 0.5 * 2e6 * (1 - math.exp(-0.25)) - 1000
    assert plan.kpis["contribution"] == pytest.approx(expected, abs=0.02)
    row = plan.table("assignments").iloc[0]
    assert (row["territory"], bool(row["moved"])) == ("B", True)
    assert check_plan(plan, inputs(net), s) == []


def test_lexicographic_disruption_keeps_the_rep_home() -> None:
    """Same network; staying in A gives 158 030.14, within 50 % of the best 220 199.22, so the
    fewest-moves plan among those keeps the rep at home (0 moves)."""
    s = settings(
        move_cost_per_unit=1000.0, secondary=SecondaryGoal(mode="lexicographic", tolerance=0.5)
    )
    plan = solve(inputs(_rep_network()), s)
    assert plan.kpis["reps_moved"] == 0
    stay = 0.25e6 * (1 - math.exp(-1))
    assert plan.kpis["contribution"] == pytest.approx(stay, abs=0.02)
    # the report speaks of the plan returned: its contribution, the primary bound, their gap
    best = 0.5 * 2e6 * (1 - math.exp(-0.25)) - 1000
    assert plan.status == "optimal"
    assert plan.solver.objective == pytest.approx(stay, abs=0.02)
    assert plan.solver.bound == pytest.approx(best, abs=0.02)
    assert plan.solver.gap == pytest.approx((best - stay) / stay, abs=1e-5)  # HiGHS: / objective
    assert "the least disruption among plans within 50.00% of the best" in (
        plan.explanation.summary
    )


def _partner_network():  # type: ignore[no-untyped-def]
    return network(
        [("A", 0.0, 1e6)], [DIST],
        partners=[{"id": "P1", "channel": "DIST", "capacity": 400_000.0, "fixed_cost": 100_000.0},
                  {"id": "P2", "channel": "DIST", "capacity": 300_000.0, "fixed_cost": 50_000.0}],
        coverage=[("P1", "A", None), ("P2", "A", None)],
    )  # fmt: skip


def test_partner_fixed_charge_choice() -> None:
    """Cap 0.5·1 M = 500 k revenue at margin 0.3. P1 alone: 0.3·400 k − 100 k = 20 k; P2 alone:
    0.3·300 k − 50 k = 40 k; both: 0.3·500 k − 150 k = 0; none: 0. Optimum: P2 alone, 40 000."""
    net, s = _partner_network(), settings()
    plan = solve(inputs(net), s)
    assert plan.kpis["contribution"] == pytest.approx(40_000, abs=0.02)
    partners = plan.table("partners").set_index("partner")
    assert list(partners["active"]) == [False, True]
    assert check_plan(plan, inputs(net), s) == []


def test_avoid_and_credit_exposure_directives() -> None:
    """P2 excluded: P1 alone gives 20 000. With P1's exposure capped at 200 k as well:
    0.3·200 k − 100 k = −40 k < 0, so no partner is activated and contribution is 0."""
    net, s = _partner_network(), settings()
    avoid = Exclude("partner", "P2", "r1")
    plan = solve(inputs(net, directives=[avoid]), s)
    assert plan.kpis["contribution"] == pytest.approx(20_000, abs=0.02)
    exposure = CreditExposure("partner", "P1", "r2", factor=1.0, credit_limit=200_000.0)
    plan = solve(inputs(net, directives=[avoid, exposure]), s)
    assert plan.kpis["contribution"] == pytest.approx(0.0, abs=0.02)
    assert plan.kpis["partners_active"] == 0


def _web_network(budget: float = 5000.0):  # type: ignore[no-untyped-def]
    return network([("A", 0.0, 1e6)], [WEB], budgets={"marketing": budget})


def test_marketing_budget_binds_with_its_shadow_price() -> None:
    """Revenue 100 k·(1 − e^{−m/10 000}) at margin 0.4: marginal value 4·e^{−m/10 000} − 1 > 0 up
    to m = 13 863, so the 5 000 budget binds. y = 0.5 is a tangent point: revenue 39 346.93,
    contribution 0.4·39 346.93 − 5 000 = 10 738.77; shadow price 4·e^{−0.5} − 1 = 1.4261."""
    net, s = _web_network(), settings()
    plan = solve(inputs(net), s)
    revenue = 1e5 * (1 - math.exp(-0.5))
    assert plan.kpis["revenue"] == pytest.approx(revenue, abs=0.02)
    assert plan.kpis["contribution"] == pytest.approx(0.4 * revenue - 5000, abs=0.02)
    line = next(b for b in plan.explanation.lines if b.key == ("marketing",))
    assert line.binding and line.shadow_price == pytest.approx(4 * math.exp(-0.5) - 1, abs=1e-4)
    assert line.range_low is not None and line.range_high is not None
    assert line.range_low <= 5000 <= line.range_high


def test_a_line_with_slack_keeps_price_zero_from_its_activity_on() -> None:
    # 50 000 of marketing, 13 863 worth spending (see above): the price 0 holds from the
    # activity upward, a range that holds the budget (HiGHS' basic-row ranging did not)
    plan = solve(inputs(_web_network(50_000.0)), settings())
    line = next(b for b in plan.explanation.lines if b.key == ("marketing",))
    assert not line.binding and line.shadow_price == pytest.approx(0, abs=1e-9)
    assert line.range_low == pytest.approx(line.activity) and line.range_high is None
    assert line.activity < 50_000


def test_convex_incentive_curve_is_charged() -> None:
    """As above plus a convex incentive curve of 5 % up to 100 k: incentives 0.05·39 346.93 =
    1 967.35 (the marginal value 0.35·4e^{−y}·… stays > 1 at m = 5 000, the budget still binds):
    contribution 10 738.77 − 1 967.35 = 8 771.42."""
    curve = CostCurve(points=((0.0, 0.0), (1e5, 5e3), (2e5, 15e3)), convex=True, label="web")
    net, s = _web_network(), settings()
    plan = solve(inputs(net, curves={"WEB": curve}), s)
    revenue = 1e5 * (1 - math.exp(-0.5))
    assert plan.kpis["cost_incentives"] == pytest.approx(0.05 * revenue, abs=0.02)
    assert plan.kpis["contribution"] == pytest.approx(0.35 * revenue - 5000, abs=0.02)


def test_min_cost_for_a_revenue_target() -> None:
    """Target 39 346.93 = f(5 000): the cheapest plan spends exactly 5 000 on marketing."""
    target = 1e5 * (1 - math.exp(-0.5))
    net, s = _web_network(1e6), settings(objective="min_cost", revenue_target=target)
    plan = solve(inputs(net), s)
    assert plan.status == "optimal"
    assert plan.kpis["cost_marketing"] == pytest.approx(5000, abs=0.05)


def test_max_revenue_spends_the_budget() -> None:
    """Maximising revenue spends the whole 5 000 marketing budget: revenue 39 346.93."""
    net, s = _web_network(), settings(objective="revenue")
    plan = solve(inputs(net), s)
    assert plan.kpis["revenue"] == pytest.approx(1e5 * (1 - math.exp(-0.5)), abs=0.02)


def test_no_budget_lines_is_still_bounded() -> None:
    """Without any budget line marketing is unlimited, but every revenue is capped by
    max_share·potential and every cost is ≥ 0, so the model is bounded: optimum at
    4·e^{−y} = 1 up to the tangent linearisation (y ≈ ln 4 = 1.386, contribution ≈ 16 137)."""
    net = network([("A", 0.0, 1e6)], [WEB])
    plan = solve(inputs(net), settings())
    assert plan.status == "optimal"
    best = 0.4 * 1e5 * (1 - 0.25) - 1e4 * math.log(4)
    assert plan.kpis["contribution"] == pytest.approx(best, rel=0.02)
    assert plan.kpis["contribution"] >= best - 1.0  # tangents over-estimate, never under


def test_non_convex_curve_stand_ins() -> None:
    """A threshold plan: nothing below 100, then 10 % retroactive (a jump from 0 to 10 at 100).
    Conservative stand-in: the line at the steepest average rate, 0.1·x (= 10 at 100, 20 at 200),
    never below the true cost; envelope: the greatest convex minorant, never above it."""
    points = ((0.0, 0.0), (100.0, 0.0), (100.0, 10.0), (200.0, 20.0))
    curve = CostCurve(points=points, convex=False, envelope=((0.0, 0.0), (200.0, 20.0)))
    assert curve.modelled() == ((0.0, 0.0), (200.0, 20.0))
    for x in (0.0, 50.0, 99.0, 100.0, 150.0, 300.0):
        assert curve.cost(x, exact=False) >= curve.cost(x) - 1e-9
    capped = CostCurve(points=((0.0, 0.0), (100.0, 5.0), (300.0, 5.0)), convex=False,
                       envelope=((0.0, 0.0), (300.0, 0.0)), treatment="envelope")  # fmt: skip
    assert capped.cost(200.0, exact=False) == 0.0 <= capped.cost(200.0)


@given(
    efforts=st.lists(st.floats(0.01, 6.0), min_size=1, max_size=4),
    extra=st.floats(0.0, 8.0),
    point=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5]),
)
def test_head_cuts_never_cut_off_the_true_response(
    efforts: list[float], extra: float, point: float
) -> None:
    """Where :func:`head_cut_applies`, b_k + e^{−y_k}·u + Σ_h (g(y_h) − b_k) ≥ g(Σ_h y_h + u) for
    every subset of heads present (g = 1 − e^{−y}); the cut is exact-safe for whole heads."""
    if not head_cut_applies(efforts, point):
        return
    base = 1 - math.exp(-point) * (1 + point)
    for size in range(len(efforts) + 1):
        for present in itertools.combinations(efforts, size):
            bound = (
                base + math.exp(-point) * extra + sum((1 - math.exp(-y)) - base for y in present)
            )
            assert bound >= (1 - math.exp(-(sum(present) + extra))) - 1e-9


def _workload_case():  # type: ignore[no-untyped-def]
    field = {**FIELD, "hours_per_call": 2.0}
    reps = [{"id": f"R{i}", "channel": "FIELD", "home": "A", "territory": "A",
             "capacity_hours": 200.0} for i in range(3)]  # fmt: skip
    net = network(
        [("A", 0.0, 1e6), ("B", 1.0, 1e6)], [field], reps=reps,
        accounts=[{"id": "a", "territory": "A", "revenue_12m": 1.0},
                  {"id": "b", "territory": "B", "revenue_12m": 1.0}],
    )  # fmt: skip
    tiers = pd.DataFrame({"account": ["a", "b"], "tier": ["T", "T"],
                          "calls_per_quarter": [100.0, 300.0],
                          "eligible_channels": [("direct_field",), ("direct_field",)]})  # fmt: skip
    return inputs(net, tiers=tiers)


def test_workload_goal_spreads_capacity_in_proportion_to_demand() -> None:
    """Three reps of 100 calls (200 h, 2 h per call), A demands 100 calls and B 300: K = 300/400,
    fair shares 75 and 225. Placements (A, B): (3, 0) → imbalance 225; (2, 1) → 125; (1, 2) →
    max(0, 225 − 200) = 25; (0, 3) → 75. With a weight of 1 M per call the imbalance decides:
    one rep in A, two in B, imbalance 25 — the KPI reports the same measure."""
    goal = SecondaryGoal(goal="workload", weight=1e6)
    plan = solve(_workload_case(), settings(secondary=goal, move_cost_per_unit=0.0))
    assert plan.status == "optimal"
    placed = plan.table("assignments")["territory"].value_counts().to_dict()
    assert placed == {"A": 1, "B": 2}
    assert plan.kpis["workload_imbalance"] == pytest.approx(25.0, abs=1e-6)


def test_workload_kpi_without_the_goal() -> None:
    """Without the goal, the same measure is reported for whatever plan the primary picks."""
    plan = solve(_workload_case(), settings(move_cost_per_unit=0.0))
    placed = plan.table("assignments")["territory"].value_counts().to_dict()
    fair = {"A": 75.0, "B": 225.0}
    expected = sum(max(0.0, fair[t] - 100.0 * placed.get(t, 0)) for t in fair)
    assert plan.kpis["workload_imbalance"] == pytest.approx(expected, abs=1e-6)


def test_workload_goal_lexicographic() -> None:
    """Lexicographic with a 100 % tolerance: every plan with contribution ≥ 0 qualifies, and the
    least imbalanced one (25 calls) is chosen."""
    goal = SecondaryGoal(goal="workload", mode="lexicographic", tolerance=1.0)
    plan = solve(_workload_case(), settings(secondary=goal, move_cost_per_unit=0.0))
    assert plan.kpis["workload_imbalance"] == pytest.approx(25.0, abs=1e-6)


@pytest.mark.parametrize("case", ["rep", "partner"])
def test_cbc_fallback_end_to_end(case: str) -> None:
    """The same hand-derived optima through CBC (PuLP's bundled binary): a rep moving to B
    (220 199.22) and the fixed-charge partner choice (40 000); the plan passes the checker."""
    from engine.solver import SolverSettings

    cbc = SolverSettings(solver="cbc", time_limit=30, mip_gap=1e-9, threads=1)
    if case == "rep":
        net, s = _rep_network(), settings(move_cost_per_unit=1000.0, solver=cbc)
        expected = 0.5 * 2e6 * (1 - math.exp(-0.25)) - 1000
    else:
        net, s = _partner_network(), settings(solver=cbc)
        expected = 40_000.0
    plan = solve(inputs(net), s)
    assert plan.status == "optimal" and plan.solver.solver == "cbc"
    assert plan.kpis["contribution"] == pytest.approx(expected, abs=0.05)
    assert check_plan(plan, inputs(net), s) == []


def _eligibility_case(channel: str):  # type: ignore[no-untyped-def]
    channels = [
        {**FIELD, "hours_per_call": 2.0},
        {"id": "INSIDE", "kind": "inside", "hours_scale": 100.0, "hours_per_call": 2.0},
    ]
    reps = [{"id": "R1", "channel": channel, "home": "A", "territory": "A",
             "capacity_hours": 400.0}]  # fmt: skip
    net = network(
        [("A", 0.0, 1e6)], channels, reps=reps,
        accounts=[{"id": "x", "territory": "A", "revenue_12m": 1.0},
                  {"id": "y", "territory": "A", "revenue_12m": 1.0}],
    )  # fmt: skip
    eligible = [("inside",), ("direct_field", "inside")]
    tiers = pd.DataFrame(
        {"account": ["x", "y"], "tier": ["C", "B"], "calls_per_quarter": [100.0, 100.0],
         "eligible_channels": eligible}
    )  # fmt: skip
    return inputs(net, tiers=tiers)


@pytest.mark.parametrize(("channel", "unserved"), [("FIELD", 100.0), ("INSIDE", 0.0)])
def test_coverage_respects_channel_eligibility(channel: str, unserved: float) -> None:
    """One rep of 200 calls (400 h, 2 h per call) in A, which demands 100 calls of a tier only
    inside sales may serve and 100 calls of a tier both may serve. A field rep covers 200 calls in
    aggregate but may make only the second 100: 100 unserved; an inside rep serves all."""
    s = settings(coverage={"mode": "soft", "penalty_per_call": 10.0}, max_hires_per_territory=0)
    plan = solve(_eligibility_case(channel), s)
    assert plan.status == "optimal"
    assert plan.kpis["calls_unserved"] == pytest.approx(unserved, abs=1e-6)
    assert check_plan(plan, _eligibility_case(channel), s) == []


def _retroactive(right_continuous: bool = True) -> CostCurve:
    """5 % of all revenue below 30 000, 10 % of all revenue from 30 000 on (a retroactive jump)."""
    return CostCurve(
        points=((0.0, 0.0), (3e4, 1500.0), (3e4, 3000.0), (6e4, 6000.0)),
        convex=False, label="retro", treatment="exact", right_continuous=right_continuous,
    )  # fmt: skip


def test_exact_incentive_treatment_stops_short_of_a_threshold() -> None:
    """WEB: revenue ≤ 100 k·(1 − e^{−m/10 000}) under the tangent envelope, margin 0.4, budget
    5 000. Spending it all: y = 0.5 (a tangent point), revenue 39 346.93 at 10 %: contribution
    0.4·39 346.93 − 5 000 − 3 934.69 = 6 804.08. Staying below 30 000 (the 0.25 tangent,
    2 650 + 77 880·y, carries revenue there): y = (R − 2 650)/77 880 and contribution
    0.35·R − 10 000·y rises with R, so R = 30 000 − 0.01 (the threshold belongs to the 10 %
    tier): 0.35·R − 10 000·(R − 2 650)/77 880 ≈ 6 988.2 — the better plan, at the exact cost."""
    net, s = _web_network(), settings()
    plan = solve(inputs(net, curves={"WEB": _retroactive()}), s)
    assert plan.status == "optimal"
    r = 3e4 - 0.01
    tangent = 1e5 * (1 - math.exp(-0.25) * 1.25), 1e5 * math.exp(-0.25)
    expected = 0.35 * r - 1e4 * (r - tangent[0]) / tangent[1]
    assert plan.kpis["contribution"] == pytest.approx(expected, abs=0.05)
    row = plan.table("incentives").iloc[0]
    assert row["modelled_cost"] == pytest.approx(row["exact_cost"], abs=0.01)
    assert check_plan(plan, inputs(net, curves={"WEB": _retroactive()}), s) == []


def test_exact_pieces_follow_the_boundary_convention() -> None:
    """At the threshold itself the cost is the upper tier's when the curve is right-continuous,
    the lower tier's otherwise; the pieces leave the threshold to that side only."""
    upper, lower = _retroactive(True), _retroactive(False)
    assert upper.cost(3e4) == 3000.0 and lower.cost(3e4) == 1500.0
    assert [p[:2] for p in upper.pieces(1e5)] == [(0.0, 3e4 - 0.01), (3e4, 6e4), (6e4, 1e5)]
    assert [p[:2] for p in lower.pieces(1e5)] == [(0.0, 3e4), (3e4 + 0.01, 6e4), (6e4, 1e5)]


def test_exact_incentive_pieces_with_the_start_heuristic() -> None:
    """The start heuristic picks the piece that holds the channel's revenue and switches pieces
    as trials; the proven optimum is the same as without it."""
    net = _web_network()
    cold = solve(inputs(net, curves={"WEB": _retroactive()}), settings())
    warm_settings = settings(heuristic="on")
    warm = solve(inputs(net, curves={"WEB": _retroactive()}), warm_settings)
    assert warm.status == "optimal"
    assert warm.kpis["contribution"] == pytest.approx(cold.kpis["contribution"], abs=0.05)
    assert check_plan(warm, inputs(net, curves={"WEB": _retroactive()}), warm_settings) == []


def test_lexicographic_stages_share_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # the secondary solve and the polish get what is left of the limit, not a fresh one each
    import engine.optimize.run as run

    limits: list[float | None] = []

    def recording(problem, settings, **kwargs):  # type: ignore[no-untyped-def]
        limits.append(settings.time_limit)
        return solve_with_highs(problem, settings, **kwargs)

    solve_with_highs = run.run_solver
    monkeypatch.setattr(run, "run_solver", recording)
    goal = SecondaryGoal(mode="lexicographic", tolerance=0.5)
    plan = solve(inputs(_rep_network()), settings(move_cost_per_unit=1000.0, secondary=goal))
    assert plan.status == "optimal"
    assert len(limits) == 3  # primary, secondary, polish
    assert all(limit is not None for limit in limits)
    assert 30 >= limits[0] > limits[1] > limits[2]  # type: ignore[operator]


def test_the_thread_count_is_not_part_of_the_plan() -> None:
    # a batch caps solver threads to share the cores: its plan.json must equal `salesnet plan`'s
    from engine.solver import SolverSettings

    one, two = (
        settings(solver=SolverSettings(time_limit=30, mip_gap=1e-9, threads=threads))
        for threads in (1, 2)
    )
    plans = [solve(inputs(_rep_network()), s) for s in (one, two)]
    assert plans[0].to_json() == plans[1].to_json()
    other = settings(solver=SolverSettings(time_limit=31, mip_gap=1e-9, threads=1))
    assert solve(inputs(_rep_network()), other).provenance.settings_hash != (
        plans[0].provenance.settings_hash
    )


@pytest.mark.parametrize(
    ("avoided", "eligible"), [((), 1e6), (("big",), 1e5), (("big", "small"), 0.0)]
)
def test_an_avoided_account_takes_its_share_of_potential_with_it(
    avoided: tuple[str, ...], eligible: float
) -> None:
    """Territory A (potential 1 M) holds two accounts, 900 k and 100 k of last year's revenue, both
    online; avoiding the big one leaves 10 % of the potential on offer, avoiding both nothing (it
    used to hand the avoided share to the accounts left: avoiding customers raised revenue)."""
    net = network(
        [("A", 0.0, 1e6)], [WEB], budgets={"marketing": 1e6},
        accounts=[{"id": "big", "territory": "A", "revenue_12m": 9e5},
                  {"id": "small", "territory": "A", "revenue_12m": 1e5}],
    )  # fmt: skip
    tiers = pd.DataFrame({"account": ["big", "small"], "tier": "D", "calls_per_quarter": 0.0,
                          "eligible_channels": [("online",), ("online",)]})  # fmt: skip
    avoid = [Exclude("account", account, f"avoid_{account}") for account in avoided]
    planning, s = inputs(net, tiers=tiers, directives=avoid), settings()
    plan = solve(planning, s)
    assert plan.status == "optimal" and check_plan(plan, planning, s) == []
    revenue = plan.table("revenue")
    on_offer = float(revenue["eligible_potential"].sum()) if len(revenue) else 0.0
    assert on_offer == pytest.approx(eligible)
    assert plan.kpis["revenue"] <= 0.1 * eligible + 1e-6  # WEB's max share of what is on offer


def test_the_plan_lists_every_response_that_fired_with_its_status() -> None:
    # the plan's register had only the applied directives: an accept rule showed nowhere
    from engine.rules.risk import parse_risk_text
    from engine.rules.risk_register import compile_risk

    net = network(
        [("A", 0.0, 1e6)], [DIST],
        partners=[{"id": p, "channel": "DIST", "capacity": 4e5, "fixed_cost": 0.0}
                  for p in ("P1", "P2")],
        coverage=[("P1", "A", None), ("P2", "A", None)],
    )  # fmt: skip
    text = """kind: risk_responses
rules:
  - {id: note_p1, entity: partner, when: {id: '"P1"'}, response: accept}
  - {id: drop_p1, entity: partner, when: {id: '"P1"'}, response: avoid}
  - {id: share_p1, entity: partner, when: {id: '"P1"'},
     response: {type: mitigate, constraint: max_partner_share, max_share: 0.5}}
"""
    risk = compile_risk(parse_risk_text(text, file="r.yaml"), partners=net.dataset.partners)
    planning = inputs(net, directives=risk.directives, risk_register=risk.register)
    register = solve(planning, settings()).table("risk_register").set_index("rule_id")
    assert register["status"].to_dict() == {
        "note_p1": "recorded", "drop_p1": "applied", "share_p1": "superseded",
    }  # fmt: skip
    assert register.loc["share_p1", "note"] == "entity avoided by rule drop_p1"
    assert register.loc["note_p1", "why"] == 'id=P1 ("P1")'


@pytest.mark.parametrize("second_kind", ["agent", "distributor"])
def test_a_tier_s_potential_does_not_leak_to_channels_it_may_not_use(second_kind: str) -> None:
    """Tier A (500 k, direct channels only; no reps here) and tier D (500 k, partners) in one
    territory; a distributor and an agent (or a second distributor channel), each allowed tier
    D's 500 k. Channel by channel both caps hold at 500 k each, yet together they may only reach
    tier D's 500 k: contribution 0.3 · 500 k = 150 000 (it was 300 000, tier A's potential sold
    through partners)."""
    agent = {"id": "AGENT", "kind": second_kind, "margin": 0.3}
    net = network(
        [("A", 0.0, 1e6)], [DIST, agent],
        partners=[{"id": "P1", "channel": "DIST", "capacity": 1e6, "fixed_cost": 0.0},
                  {"id": "P2", "channel": "AGENT", "capacity": 1e6, "fixed_cost": 0.0}],
        coverage=[("P1", "A", None), ("P2", "A", None)],
        accounts=[{"id": "a", "territory": "A", "revenue_12m": 5e5},
                  {"id": "d", "territory": "A", "revenue_12m": 5e5}],
    )  # fmt: skip
    tiers = pd.DataFrame({"account": ["a", "d"], "tier": ["A", "D"], "calls_per_quarter": 0.0,
                          "eligible_channels": [("direct_field", "inside"),
                                                ("online", "distributor", "agent")]})  # fmt: skip
    planning, s = inputs(net, tiers=tiers), settings()
    plan = solve(planning, s)
    assert plan.kpis["revenue"] == pytest.approx(5e5, abs=0.01)
    assert plan.kpis["contribution"] == pytest.approx(1.5e5, abs=0.01)
    assert check_plan(plan, planning, s) == []
