"""The allocation model's tightenings: each is checked to be valid (never cuts off a whole-head
plan) and to do what it is for (tighten the relaxation)."""

from __future__ import annotations

import itertools
import math

import pulp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_optimize_fixtures import inputs, network, settings

from engine.optimize.constraints.coverage import mir_cut
from engine.optimize.constraints.partners import partner_capacity
from engine.optimize.constraints.revenue import tangent_segments
from engine.optimize.model import build_model
from engine.rules.risk_directives import CreditExposure
from engine.solver import solve as run_solver


def test_mir_cut_by_hand() -> None:
    """2 400 calls from heads of 880: ``n + shortfall/640 ≥ 3``, i.e. two heads leave 640 calls
    unserved (f = 3 − 2 400/880 = 0.2727, δ(1 − f) = 640). A 195-call head (f_j = 0.7784)
    counts −⌊−0.2216⌋ − (0.7784 − 0.2727)/0.7273 = 0.3047 of an 880-call head."""
    coefficients, continuous, rhs = mir_cut([880.0, 195.0], [1.0], 2400.0, 880.0)  # type: ignore[misc]
    assert rhs == 3.0
    assert coefficients[0] == pytest.approx(1.0)
    f, fj = 3 - 2400 / 880, 1 - 195 / 880
    assert coefficients[1] == pytest.approx(1 - (fj - f) / (1 - f))
    assert continuous[0] == pytest.approx(1 / 640)
    assert mir_cut([100.0], [1.0], 300.0, 100.0) is None  # D/δ integral: the row itself


@given(
    heads=st.lists(st.floats(1.0, 900.0), min_size=1, max_size=3),
    demand=st.floats(1.0, 3000.0),
    delta_pick=st.integers(0, 2),
)
def test_mir_cut_holds_for_every_whole_head_plan(
    heads: list[float], demand: float, delta_pick: int
) -> None:
    """Brute force: for every head count 0..3 per head type, with the least shortfall the row
    allows, the cut holds."""
    delta = heads[delta_pick % len(heads)]
    cut = mir_cut(heads, [1.0], demand, delta)
    if cut is None:
        return
    coefficients, continuous, rhs = cut
    for counts in itertools.product(range(4), repeat=len(heads)):
        shortfall = max(0.0, demand - sum(a * n for a, n in zip(heads, counts, strict=True)))
        lhs = sum(c * n for c, n in zip(coefficients, counts, strict=True))
        assert lhs + continuous[0] * shortfall >= rhs - 1e-7


@given(y=st.floats(0.0, 12.0))
def test_tangent_segments_equal_the_tangent_envelope(y: float) -> None:
    """Filling the segments in order gives exactly min_k of the tangent lines at every effort."""
    points = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5]
    intercept, segments = tangent_segments(points)
    value, left = intercept, y
    for slope, length in segments:
        step = min(left, length)
        value += slope * step
        left -= step
    tangents = min(1 - math.exp(-p) * (1 + p) + math.exp(-p) * y for p in points)
    assert value == pytest.approx(tangents, abs=1e-12)
    assert [s for s, _ in segments] == sorted((s for s, _ in segments), reverse=True)


def _partner_model(directives):  # type: ignore[no-untyped-def]
    net = network(
        [("A", 0.0, 1e6)], [{"id": "DIST", "kind": "distributor", "margin": 0.3}],
        partners=[{"id": "P1", "channel": "DIST", "capacity": 400_000.0, "fixed_cost": 100_000.0}],
        coverage=[("P1", "A", None)],
    )  # fmt: skip
    return build_model(inputs(net, directives=directives), settings())


def test_credit_exposure_tightens_the_activation_rows() -> None:
    """P1 (capacity 400 k) with exposure capped at 200 k: its activation row uses 200 k, so the
    relaxation must open it whole to carry 200 k (without the tightening it opens it by half
    and pays half the fixed cost: 0.3·200 k − 50 k = 10 k, where the true optimum is 0)."""
    exposure = CreditExposure("partner", "P1", "r", factor=1.0, credit_limit=200_000.0)
    model = _partner_model([exposure])
    assert partner_capacity(model) == {"P1": 200_000.0}
    link = model.rows("volume_link")["P1", "A"]
    assert link[model.family("activate")["P1",]] == pytest.approx(-200_000.0)
    for variable in model.problem.variables():
        variable.cat = pulp.LpContinuous
    relaxed = run_solver(model.problem, settings().solver)
    assert relaxed.objective == pytest.approx(0.0, abs=1e-6)
