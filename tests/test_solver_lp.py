"""LpSession: the LP relaxation held in HiGHS, re-solved warm after bound changes."""

from __future__ import annotations

import pulp
import pytest

from engine.solver import SolverSettings
from engine.solver_lp import LpSession


def _problem() -> tuple[pulp.LpProblem, pulp.LpVariable, pulp.LpVariable]:
    """max 3x + 2y  s.t.  x + y ≤ 4,  x + 3y ≤ 6,  x ≤ 3  (x integer, y continuous)."""
    problem = pulp.LpProblem("tiny", pulp.LpMaximize)
    x = pulp.LpVariable("x", 0, 3, cat=pulp.LpInteger)
    y = pulp.LpVariable("y", 0)
    problem += 3 * x + 2 * y
    problem += x + y <= 4
    problem += x + 3 * y <= 6
    return problem, x, y


def test_relaxation_then_warm_re_solves() -> None:
    """LP optimum x = 3, y = 1 (value 11); x fixed at 1: y = 5/3 (value 3 + 10/3); x fixed
    at 2 and y capped by a bound change: 6 + 2·4/3; an impossible bound gives None."""
    problem, x, y = _problem()
    session = LpSession(problem, SolverSettings(threads=1))
    assert session.run(10, cold=True) == pytest.approx(11.0)
    column = session.column
    assert session.values()[column[x]] == pytest.approx(3.0)
    session.fix({column[x]: 1.0})
    assert session.run(10) == pytest.approx(3 + 10 / 3)
    session.fix({column[x]: 2.0})
    assert session.run(10) == pytest.approx(6 + 2 * 4 / 3)
    session.fix({column[y]: 5.0})  # x + y ≤ 4 with x = 2
    assert session.run(10) is None


def test_each_re_solve_gets_its_own_seconds() -> None:
    """HiGHS counts ``time_limit`` over all solves of an instance; each re-solve's limit is set
    past the time already spent, so that it gets the seconds it is given."""
    problem, x, _ = _problem()
    session = LpSession(problem, SolverSettings(threads=1))
    highs = session._highs
    column = session.column[x]
    for step in range(50):
        session.fix({column: float(step % 4)})
        spent = float(highs.getRunTime())
        assert session.run(0.5) is not None
        limit = highs.getOptionValue("time_limit")
        limit = limit[-1] if isinstance(limit, tuple) else limit  # (status, value) in highspy 1.16
        assert float(limit) >= spent + 0.5 - 1e-9
