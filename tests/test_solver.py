"""The shared solve layer: statuses from the solver's real state, bulk load, starts, duals."""

from __future__ import annotations

import random

import pulp
import pytest

from engine.solver import SolverSettings, SolveStatus, StopReason, fixed_lp_duals, solve
from engine.solver_matrix import extract_matrix

SOLVERS = ["highs", "cbc"]


def _knapsack(sense: int = pulp.LpMaximize) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    weights, values = [3, 4, 5, 6, 7], [4, 5, 6, 8, 9]
    problem = pulp.LpProblem("knapsack", sense)
    items = [pulp.LpVariable(f"take_{i}", cat=pulp.LpBinary) for i in range(5)]
    sign = 1 if sense == pulp.LpMaximize else -1
    problem += pulp.lpSum(sign * v * x for v, x in zip(values, items, strict=True))
    problem += pulp.lpSum(w * x for w, x in zip(weights, items, strict=True)) <= 13, "capacity"
    return problem, items


def _tiny_lp() -> tuple[pulp.LpProblem, pulp.LpVariable, pulp.LpVariable]:
    # max a + b  s.t.  a + 2b <= 4,  3a + b <= 6  →  a = 1.6, b = 1.2, objective 2.8
    problem = pulp.LpProblem("tiny_lp", pulp.LpMaximize)
    a, b = pulp.LpVariable("a", 0), pulp.LpVariable("b", 0)
    problem += a + b
    problem += a + 2 * b <= 4, "first"
    problem += 3 * a + b <= 6, "second"
    return problem, a, b


def _market_split(
    items: int = 40, rows: int = 4, seed: int = 1
) -> tuple[pulp.LpProblem, list[pulp.LpVariable], list[int]]:
    """A market-split instance (Cornuéjols–Dawande) with a planted solution: hard for any MIP."""
    rng = random.Random(seed)
    weights = [[rng.randint(0, 99) for _ in range(items)] for _ in range(rows)]
    planted = [rng.randint(0, 1) for _ in range(items)]
    cost = [rng.randint(1, 20) for _ in range(items)]
    problem = pulp.LpProblem("market_split", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x_{j:03d}", cat=pulp.LpBinary) for j in range(items)]
    problem += pulp.lpSum(c * v for c, v in zip(cost, x, strict=True))
    for i in range(rows):
        total = sum(w * p for w, p in zip(weights[i], planted, strict=True))
        problem += (
            pulp.lpSum(w * v for w, v in zip(weights[i], x, strict=True)) == total,
            f"row_{i}",
        )
    return problem, x, planted


@pytest.mark.parametrize("solver", SOLVERS)
def test_mip_known_optimum(solver: str) -> None:
    problem, items = _knapsack()
    report = solve(problem, SolverSettings(solver=solver))
    assert report.status is SolveStatus.OPTIMAL
    assert report.objective == pytest.approx(17)
    assert report.bound == pytest.approx(17)
    assert report.gap == pytest.approx(0, abs=1e-6)
    assert [round(x.varValue) for x in items] == [1, 1, 0, 1, 0]
    assert report.is_mip and report.solver == solver


@pytest.mark.parametrize("solver", SOLVERS)
def test_relax_solves_the_lp_relaxation_and_keeps_the_variables_integer(solver: str) -> None:
    problem, items = _knapsack()
    report = solve(problem, SolverSettings(solver=solver), start={items[1]: 1}, relax=True)
    # by ratio: items 0 and 3 whole (weight 9, value 12), 4/7 of item 4 (ratio 9/7): 120/7
    assert report.status is SolveStatus.OPTIMAL and not report.is_mip
    assert report.objective == pytest.approx(120 / 7)
    assert [x.varValue for x in items] == pytest.approx([1, 0, 0, 1, 4 / 7])
    assert report.duals is not None and report.duals["capacity"] == pytest.approx(9 / 7)
    assert all(x.cat == pulp.LpInteger for x in items)
    assert solve(problem, SolverSettings(solver=solver)).objective == pytest.approx(17)


@pytest.mark.parametrize("solver", SOLVERS)
def test_minimise_sense(solver: str) -> None:
    problem, _ = _knapsack(pulp.LpMinimize)
    report = solve(problem, SolverSettings(solver=solver))
    assert report.status is SolveStatus.OPTIMAL
    assert report.objective == pytest.approx(-17)


@pytest.mark.parametrize("solver", SOLVERS)
def test_lp_values_and_duals_by_hand(solver: str) -> None:
    problem, a, b = _tiny_lp()
    report = solve(problem, SolverSettings(solver=solver))
    assert report.status is SolveStatus.OPTIMAL and not report.is_mip
    assert (a.varValue, b.varValue) == (pytest.approx(1.6), pytest.approx(1.2))
    assert report.objective == pytest.approx(2.8)
    # y1 + 3 y2 = 1 and 2 y1 + y2 = 1  →  y = (0.4, 0.2): objective gain per unit of right-hand side
    assert report.duals is not None
    assert report.duals["first"] == pytest.approx(0.4)
    assert report.duals["second"] == pytest.approx(0.2)
    assert problem.get_constraint_by_name("first").pi == pytest.approx(0.4)


def test_dual_sign_for_minimisation() -> None:
    problem = pulp.LpProblem("min", pulp.LpMinimize)
    x = pulp.LpVariable("x")
    problem += 3 * x
    problem += x >= 2, "floor"
    report = solve(problem)
    assert report.duals is not None and report.duals["floor"] == pytest.approx(3)


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible(solver: str) -> None:
    problem = pulp.LpProblem("infeasible", pulp.LpMinimize)
    x = pulp.LpVariable("x", 0, cat=pulp.LpInteger)
    problem += x
    problem += x >= 3, "low"
    problem += x <= 2, "high"
    report = solve(problem, SolverSettings(solver=solver))
    assert report.status is SolveStatus.INFEASIBLE
    assert report.objective is None and not report.has_solution


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("integer", [False, True])
def test_unbounded(solver: str, integer: bool) -> None:
    problem = pulp.LpProblem("unbounded", pulp.LpMaximize)
    cat = pulp.LpInteger if integer else pulp.LpContinuous
    a, b = pulp.LpVariable("a", 0, cat=cat), pulp.LpVariable("b", 0)
    problem += a + b
    problem += a - b <= 2, "spread"
    report = solve(problem, SolverSettings(solver=solver))
    assert report.status is SolveStatus.UNBOUNDED


def test_time_limit_is_feasible_with_gap_not_optimal() -> None:
    problem, x, planted = _market_split()
    report = solve(
        problem, SolverSettings(time_limit=0.2), start=dict(zip(x, planted, strict=True))
    )
    assert report.status is SolveStatus.FEASIBLE
    assert report.time_limit_hit and report.stop_reason is StopReason.TIME_LIMIT
    assert report.gap is not None and report.gap > 0.01
    assert report.bound is not None and report.bound < report.objective
    # PuLP would have called this "Optimal"; the package status says what really happened
    assert problem.status != pulp.LpStatusOptimal or report.status is not SolveStatus.OPTIMAL


def test_limit_without_solution() -> None:
    problem, _, _ = _market_split()
    settings = SolverSettings(node_limit=1, highs_options={"mip_heuristic_effort": 0.0})
    report = solve(problem, settings)
    assert report.status is SolveStatus.TIME_LIMIT_NO_SOLUTION
    assert report.stop_reason is StopReason.NODE_LIMIT


@pytest.mark.parametrize("by_name", [False, True])
def test_mip_start_accepted(by_name: bool) -> None:
    problem, x, planted = _market_split()
    start = dict(zip(x, planted, strict=True))
    options = {"mip_heuristic_effort": 0.0}
    if by_name:
        settings = SolverSettings(
            node_limit=1, highs_options=options, mip_start={v.name: s for v, s in start.items()}
        )
        report = solve(problem, settings)
    else:
        report = solve(problem, SolverSettings(node_limit=1, highs_options=options), start=start)
    # without the start the same settings find nothing (test_limit_without_solution)
    assert report.status is SolveStatus.FEASIBLE
    assert report.objective is not None
    assert report.objective <= pulp.value(problem.objective) + 1e-6


def test_cbc_time_limit_status_is_honest() -> None:
    problem, x, planted = _market_split()
    settings = SolverSettings(solver="cbc", time_limit=0.5)
    report = solve(problem, settings, start=dict(zip(x, planted, strict=True)))
    assert report.status is SolveStatus.FEASIBLE
    assert report.stop_reason is StopReason.TIME_LIMIT and report.time_limit_hit
    assert problem.status == pulp.LpStatusOptimal  # what PuLP claims


def _facility_location(seed: int) -> pulp.LpProblem:
    rng = random.Random(seed)
    sites, customers = range(6), range(15)
    problem = pulp.LpProblem("facility", pulp.LpMinimize)
    open_ = {s: pulp.LpVariable(f"open_{s}", cat=pulp.LpBinary) for s in sites}
    serve = {(s, c): pulp.LpVariable(f"serve_{s}_{c}", 0, 1) for s in sites for c in customers}
    fixed = {s: rng.randint(20, 60) for s in sites}
    cost = {key: rng.randint(1, 30) for key in serve}
    problem += pulp.lpSum(fixed[s] * open_[s] for s in sites) + pulp.lpSum(
        cost[k] * v for k, v in serve.items()
    )
    for c in customers:
        problem += pulp.lpSum(serve[s, c] for s in sites) == 1, f"demand_{c}"
    for s in sites:
        problem += pulp.lpSum(serve[s, c] for c in customers) <= 6 * open_[s], f"capacity_{s}"
    return problem


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bulk_load_matches_pulp_highs_route(seed: int) -> None:
    ours = _facility_location(seed)
    report = solve(ours, SolverSettings(mip_gap=0))
    theirs = _facility_location(seed)
    theirs.solve(pulp.HiGHS(msg=False, gapRel=0))
    assert report.status is SolveStatus.OPTIMAL
    assert report.objective == pytest.approx(pulp.value(theirs.objective))
    assert pulp.value(ours.objective) == pytest.approx(report.objective)


def test_extract_matrix_drops_zeros_and_keeps_order() -> None:
    problem = pulp.LpProblem("m", pulp.LpMinimize)
    x, y, z = (pulp.LpVariable(name, 0, 5) for name in ("x", "y", "z"))
    problem += 2 * x + 3 * z + 1
    problem += x + 0 * y + z >= 1, "r0"
    problem += y - z == 2, "r1"
    matrix = extract_matrix(problem)
    assert [v.name for v in matrix.variables] == ["x", "z", "y"]
    assert matrix.row_start.tolist() == [0, 2, 4]
    assert matrix.offset == 1 and matrix.cost.tolist() == [2, 3, 0]
    assert matrix.row_lower.tolist() == [1, 2] and matrix.row_upper[1] == 2


def test_fixed_lp_duals() -> None:
    problem = _facility_location(1)
    solve(problem, SolverSettings(mip_gap=0))
    mip_objective = pulp.value(problem.objective)
    report = fixed_lp_duals(problem)
    assert report.status is SolveStatus.OPTIMAL and not report.is_mip
    assert report.objective == pytest.approx(mip_objective)
    assert report.duals is not None and set(report.duals) == {c.name for c in problem.constraints()}
    # serving a customer costs at least its cheapest open assignment: demand duals are positive
    assert all(report.duals[f"demand_{c}"] > 0 for c in range(15))


def test_report_is_frozen_and_serialisable() -> None:
    problem, _, _ = _tiny_lp()
    report = solve(problem, build_seconds=0.5)
    assert report.build_seconds == 0.5 and report.total_seconds >= 0.5
    data = report.to_dict()
    assert data["status"] == "optimal" and data["stop_reason"] is None
    assert data["duals"] == {"first": pytest.approx(0.4), "second": pytest.approx(0.2)}
    with pytest.raises(AttributeError):
        report.status = SolveStatus.ERROR  # type: ignore[misc]
    assert "optimal" in report.summary()


def test_empty_problem() -> None:
    problem = pulp.LpProblem("empty", pulp.LpMinimize)
    problem += pulp.LpAffineExpression(constant=4.0)
    report = solve(problem)
    assert report.status is SolveStatus.OPTIMAL and report.objective == 4.0


def test_improving_answers_are_reported_whole_and_feasible() -> None:
    # every improving MIP answer HiGHS finds reaches on_solution as values for all variables, in
    # the original model's space (presolve on): feasible, better each time, the last the final
    rng = random.Random(3)
    problem = pulp.LpProblem("two_knapsacks", pulp.LpMaximize)
    items = [pulp.LpVariable(f"take_{i}", cat=pulp.LpBinary) for i in range(40)]
    values = [rng.randint(10, 60) for _ in items]
    problem += pulp.lpSum(v * x for v, x in zip(values, items, strict=True))
    rows = [[rng.randint(5, 40) for _ in items] for _ in range(2)]
    for row, weights in enumerate(rows):
        problem += pulp.lpSum(w * x for w, x in zip(weights, items, strict=True)) <= 300, f"c{row}"
    answers: list[dict[pulp.LpVariable, float]] = []
    report = solve(problem, SolverSettings(mip_gap=0.0, threads=1), on_solution=answers.append)
    assert report.status is SolveStatus.OPTIMAL and answers
    found = []
    for answer in answers:
        assert set(answer) == set(items)
        assert all(abs(value - round(value)) < 1e-6 for value in answer.values())
        for weights in rows:
            assert sum(w * answer[x] for w, x in zip(weights, items, strict=True)) <= 300 + 1e-6
        found.append(sum(v * answer[x] for v, x in zip(values, items, strict=True)))
    assert found == sorted(found)
    assert found[-1] == pytest.approx(report.objective)


def test_a_failing_on_solution_raises_instead_of_turning_into_a_solver_error() -> None:
    problem, items = _knapsack()

    def fail(answer: dict[pulp.LpVariable, float]) -> None:
        raise RuntimeError("caller's bug")

    with pytest.raises(RuntimeError, match="caller's bug"):
        solve(problem, SolverSettings(), start={x: 0.0 for x in items}, on_solution=fail)


def _multi_knapsack() -> pulp.LpProblem:
    rng = random.Random(3)
    problem = pulp.LpProblem("multi_knapsack", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i:02d}", cat=pulp.LpBinary) for i in range(60)]
    problem += pulp.lpSum(rng.randint(10, 60) * v for v in x)
    for _ in range(3):
        weights = [rng.randint(10, 60) for _ in x]
        problem += pulp.lpSum(w * v for w, v in zip(weights, x, strict=True)) <= sum(weights) // 3
    return problem


@pytest.mark.parametrize(("mip_gap", "expected"), [(0.05, "optimal"), (1e-4, "feasible")])
def test_a_limit_hit_with_the_gap_already_closed_is_optimal(
    monkeypatch: pytest.MonkeyPatch, mip_gap: float, expected: str
) -> None:
    # HiGHS can stop on its clock inside a root heuristic with its gap already within the
    # requested one: that is optimal in the requested sense (the stop reason is kept)
    import engine.solver as solver

    class TimedOut:
        def __init__(self, highs: object) -> None:
            self._highs = highs

        def __getattr__(self, name: str) -> object:
            return getattr(self._highs, name)

        def getModelStatus(self) -> object:
            return type("Status", (), {"name": "kTimeLimit"})()

        def modelStatusToString(self, status: object) -> str:
            return "Time limit reached"

    real = solver.new_highs
    monkeypatch.setattr(solver, "new_highs", lambda highspy: TimedOut(real(highspy)))
    # one improving answer, then stop: 1066 against a bound of 1078 (a 1.1 % gap)
    settings = SolverSettings(mip_gap=mip_gap, highs_options={"mip_max_improving_sols": 1})
    report = solve(_multi_knapsack(), settings)
    assert report.status.value == expected
    assert report.gap is not None and 0.005 < report.gap < 0.05
    assert report.stop_reason is StopReason.TIME_LIMIT and report.time_limit_hit
