"""The optimizer's incentive cost curve: exact breakpoints, flags, envelope, and properties."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import RuleError
from engine.rules.commission import plan_payout
from engine.rules.incentive_curve import incentive_curve
from engine.rules.incentives import MdfPlan, TieredPlan

TWO_TIERS = [{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "rate": 0.10}]


def plan(**fields: Any) -> TieredPlan:
    base: dict[str, Any] = {"kind": "commission", "id": "p", "method": "marginal",
                            "quota": 100_000, "tiers": TWO_TIERS}  # fmt: skip
    return TieredPlan.model_validate({**base, **fields})


def test_marginal_curve_is_exact_and_convex() -> None:
    # breakpoints: (0, 0), (quota 100 000, 5 000), then slope 10 %: (200 000, 15 000)
    curve = incentive_curve(plan())
    assert curve.points == ((0.0, 0.0), (100_000.0, 5_000.0), (200_000.0, 15_000.0))
    assert curve.convex and not curve.concave and curve.continuous
    assert curve.slopes() == pytest.approx((0.05, 0.10))
    # beyond the last point the last slope continues: 300 000 → 25 000
    assert curve.cost([300_000])[0] == pytest.approx(25_000)


def test_payout_cap_makes_a_concave_kink() -> None:
    # single 10 % tier capped at 8 000: kink at 80 000
    curve = incentive_curve(plan(tiers=[{"from": 0, "rate": 0.1}], payout_cap=8_000))
    assert curve.points == ((0.0, 0.0), (80_000.0, 8_000.0), (100_000.0, 8_000.0))
    assert curve.concave and not curve.convex


def test_retroactive_curve_has_a_jump_and_a_convex_envelope() -> None:
    # straight 5 % below quota, 10 % from quota: at 100 000 the cost jumps from 5 000 to 10 000.
    curve = incentive_curve(plan(method="retroactive"))
    assert curve.points == (
        (0.0, 0.0),
        (100_000.0, 5_000.0),
        (100_000.0, 10_000.0),
        (200_000.0, 20_000.0),
    )
    assert not curve.continuous and not curve.convex and curve.right_continuous
    assert curve.cost([100_000, 99_999.99])[0] == pytest.approx(10_000)
    assert curve.cost([99_999.99])[0] == pytest.approx(4_999.9995)
    # envelope: (0, 0) → (100 000, 5 000), then the final slope 10 %: valid for all revenue
    envelope = curve.convex_envelope()
    assert envelope.points == ((0.0, 0.0), (100_000.0, 5_000.0), (200_000.0, 15_000.0))
    assert envelope.convex and envelope.continuous
    left = incentive_curve(plan(method="retroactive", boundary="upper_inclusive"))
    assert not left.right_continuous
    assert left.cost([100_000])[0] == pytest.approx(5_000)


def test_threshold_and_non_recoverable_draw_in_the_curve() -> None:
    # threshold 50 %: 0 until 50 000, then 2 500 (5 % from zero); a guarantee of 1 000 lifts the
    # floor: max(1 000, commission).
    curve = incentive_curve(plan(threshold=0.5, draw={"type": "non_recoverable", "amount": 1000}))
    assert curve.points[:4] == ((0.0, 1000.0), (50_000.0, 1000.0), (50_000.0, 2500.0),
                                (100_000.0, 5000.0))  # fmt: skip
    recoverable = incentive_curve(plan(draw={"type": "recoverable", "amount": 1000}))
    assert recoverable.points[0] == (0.0, 0.0)


def test_channel_aggregate_scales_both_axes() -> None:
    # 10 reps with quota 100 000 each, the channel's revenue spread evenly
    curve = incentive_curve(plan(), payees=10)
    assert curve.points[1] == (1_000_000.0, 50_000.0)
    assert curve.payees == 10


def test_growth_and_mdf_curves() -> None:
    growth = plan(
        kind="rebate",
        tier_basis="growth",
        quota=None,
        tiers=[{"from": 0.05, "to": 0.15, "rate": 0.02}, {"from": 0.15, "rate": 0.04}],
    )
    curve = incentive_curve(growth, baseline=500_000)
    assert np.allclose(curve.points[:3], ((0, 0), (525_000, 0), (575_000, 1_000)), atol=1e-6)
    with pytest.raises(RuleError, match="baseline"):
        incentive_curve(growth)
    mdf = MdfPlan(kind="mdf", id="m", rate=0.02, cap=25_000)
    assert incentive_curve(mdf).points == ((0.0, 0.0), (1_250_000.0, 25_000.0),
                                           (2_500_000.0, 25_000.0))  # fmt: skip


# --- properties ---------------------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> TieredPlan:
    # bounds on a 1/16 grid and whole quotas, so revenue / quota lands exactly on a boundary
    count = draw(st.integers(1, 4))
    grid = st.integers(1, 48).map(lambda k: k / 16)
    cuts = sorted(draw(st.lists(grid, min_size=count, max_size=count, unique=True)))
    lowers = [0.0, *cuts[: count - 1]] if draw(st.booleans()) else cuts
    # rates in basis points, as plans state them (a 1e-88 rate would only test float underflow)
    basis_points = st.integers(0, 3000).map(lambda k: k / 10_000)
    rates = draw(st.lists(basis_points, min_size=count, max_size=count))
    tiers = [
        {"from": low, "to": lowers[i + 1] if i + 1 < count else None, "rate": rate}
        for i, (low, rate) in enumerate(zip(lowers, rates, strict=True))
    ]
    fields: dict[str, Any] = {
        "tiers": tiers,
        "method": draw(st.sampled_from(["marginal", "retroactive"])),
        "boundary": draw(st.sampled_from(["lower_inclusive", "upper_inclusive"])),
        "quota": float(draw(st.integers(1_000, 1_000_000))),
    }
    if draw(st.booleans()):
        fields["threshold"] = draw(st.integers(0, 32)) / 16
    if draw(st.booleans()):
        fields["attainment_cap"] = lowers[0] + draw(st.integers(1, 48)) / 16
    if draw(st.booleans()):
        fields["payout_cap"] = draw(st.floats(10.0, 1e5))
    return plan(**fields)


@settings(max_examples=150, deadline=None)
@given(
    plans(),
    st.lists(
        st.floats(0.0, 5.0) | st.integers(0, 80).map(lambda k: k / 16), min_size=1, max_size=20
    ),
)
def test_curve_agrees_with_the_payout_function(
    tiered: TieredPlan, attainments: list[float]
) -> None:
    curve = incentive_curve(tiered)
    quota = tiered.quota or 1.0
    revenues = np.array(attainments) * quota
    # include the exact breakpoints, where the boundary convention matters
    revenues = np.concatenate([revenues, [x for x, _ in curve.points]])
    expected = [plan_payout(tiered, r) for r in revenues]
    assert np.allclose(curve.cost(revenues), expected, rtol=1e-9, atol=1e-6)


@settings(max_examples=150, deadline=None)
@given(plans(), st.floats(0.0, 5.0), st.floats(1e-6, 0.5))
def test_marginal_payout_is_continuous_and_non_decreasing(
    tiered: TieredPlan, attainment: float, step: float
) -> None:
    marginal = tiered.model_copy(update={"method": "marginal", "threshold": None})
    quota = marginal.quota or 1.0
    low, high = attainment * quota, (attainment + step) * quota
    lower, upper = plan_payout(marginal, low), plan_payout(marginal, high)
    assert upper >= lower - 1e-9
    assert upper - lower <= max(marginal.tier_rates()) * (high - low) + 1e-6  # Lipschitz


@settings(max_examples=100, deadline=None)
@given(plans(), st.lists(st.floats(0.0, 10.0), min_size=3, max_size=12))
def test_convex_envelope_lies_below_and_flags_hold(
    tiered: TieredPlan, attainments: list[float]
) -> None:
    curve = incentive_curve(tiered)
    envelope = curve.convex_envelope()
    revenues = np.array(sorted(attainments)) * (tiered.quota or 1.0)
    assert np.all(envelope.cost(revenues) <= curve.cost(revenues) + 1e-6)
    assert all(
        b >= a - 1e-9 for a, b in zip(envelope.slopes(), envelope.slopes()[1:], strict=False)
    )
    if curve.convex:
        x0, x1 = revenues[0], revenues[-1]
        mid = curve.cost([(x0 + x1) / 2])[0]
        assert mid <= (curve.cost([x0])[0] + curve.cost([x1])[0]) / 2 + 1e-6
