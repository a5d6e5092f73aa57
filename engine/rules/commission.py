"""The tier arithmetic of a :class:`~engine.rules.incentives.TieredPlan`, vectorised over payees.

Everything else (payouts on actuals, the optimizer's cost curve, embedded tests) calls
:func:`tiered_commission`, so the semantics documented in :mod:`engine.rules.incentives` live in one
place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.errors import RuleError
from engine.rules.incentives import TieredPlan

__all__ = ["TierOutcome", "plan_payout", "tiered_commission"]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

#: A measure this close (relative) to a tier boundary, threshold or cap is on it: sums of cents
#: and ratios such as 411 068.80 / 513 836 are not exact in binary (0.7999999999999999), and a
#: rounding error must not decide the tier.
BOUNDARY_TOLERANCE = 1e-9


def _snap_to_marks(measure: FloatArray, marks: list[float]) -> FloatArray:
    """``measure`` with every value within :data:`BOUNDARY_TOLERANCE` of a mark set onto it."""
    snapped = measure.copy()
    for mark in marks:
        close = np.abs(snapped - mark) <= BOUNDARY_TOLERANCE * max(1.0, abs(mark))
        snapped[close] = mark
    return snapped


@dataclass(frozen=True)
class TierOutcome:
    """Per payee: measure, tier reached, the amount of every tier, gate and cap results."""

    measure: FloatArray  # before caps (attainment, volume or growth), set onto a mark within 1e-9
    counted: FloatArray  # the measure after the attainment cap and a finite last tier
    scale: FloatArray  # currency of base per unit of measure (quota, 1, baseline or TI)
    tier_index: npt.NDArray[np.int64]  # tier reached, -1 below the first tier
    bases: FloatArray  # (payees, tiers): base each tier's rate applies to
    rates: FloatArray  # (payees, tiers): rate applied (a reached retroactive tier's below it)
    amounts: FloatArray  # (payees, tiers): base × rate (before gate and payout cap)
    bonuses: FloatArray  # (payees, tiers): fixed amounts for tiers reached (before gate and cap)
    gate_passed: npt.NDArray[np.bool_]
    attainment_capped: npt.NDArray[np.bool_]
    payout_capped: npt.NDArray[np.bool_]
    payout_cap: FloatArray  # the cap per payee (inf where none)
    commission: FloatArray  # after gate and payout cap


def _array(value: ArrayLike | None, size: int, name: str, plan: TieredPlan) -> FloatArray:
    if value is None:
        raise RuleError(f"plan needs a {name} (in the plan or the targets table)", rule_id=plan.id)
    array = np.broadcast_to(np.asarray(value, dtype=np.float64), (size,)).copy()
    return array


def measure_and_scale(
    plan: TieredPlan,
    revenue: FloatArray,
    *,
    quota: ArrayLike | None = None,
    target_incentive: ArrayLike | None = None,
    baseline: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """The plan's measure of ``revenue`` and the currency per unit of measure the rates apply to."""
    size = revenue.shape[0]
    if plan.tier_basis == "attainment":
        quotas = _array(quota if quota is not None else plan.quota, size, "quota", plan)
        measure = revenue / quotas
        scale = quotas
    elif plan.tier_basis == "growth":
        baselines = _array(baseline, size, "baseline", plan)
        measure = revenue / baselines - 1.0
        scale = baselines
    else:
        measure = revenue.copy()
        scale = np.ones(size)
    if plan.rate_basis == "target_incentive":
        given = target_incentive if target_incentive is not None else plan.target_incentive
        scale = _array(given, size, "target_incentive", plan)
    return measure, scale


def tiered_commission(
    plan: TieredPlan,
    revenue: ArrayLike,
    *,
    quota: ArrayLike | None = None,
    target_incentive: ArrayLike | None = None,
    baseline: ArrayLike | None = None,
    gates_passed: ArrayLike | None = None,
) -> TierOutcome:
    """Commission of each payee for one period's credited ``revenue`` (arrays broadcast).

    ``quota``, ``target_incentive`` and ``baseline`` default to the plan's own values;
    ``gates_passed`` is the result of the plan's metric gates (default: all passed).
    """
    revenue_array = np.atleast_1d(np.asarray(revenue, dtype=np.float64))
    size = revenue_array.shape[0]
    measure, scale = measure_and_scale(
        plan, revenue_array, quota=quota, target_incentive=target_incentive, baseline=baseline
    )
    on_marks = _snap_to_marks(measure, plan.marks())  # decides tiers and gates; amounts: measure
    lowers = np.array([tier.lower for tier in plan.tiers])
    uppers = np.array([np.inf if t.upper is None else t.upper for t in plan.tiers])
    rates = np.array(plan.tier_rates())
    limit = uppers[-1] if plan.attainment_cap is None else min(uppers[-1], plan.attainment_cap)
    counted = np.minimum(measure, limit)
    attainment_capped = on_marks > limit
    side: str = "right" if plan.boundary == "lower_inclusive" else "left"
    position = np.minimum(on_marks, limit)
    tier_index = np.searchsorted(lowers, position, side=side).astype(np.int64) - 1  # type: ignore[call-overload]
    payee_rates = np.broadcast_to(rates, (size, len(rates)))
    if plan.method == "marginal":
        portions = np.clip(counted[:, None] - lowers[None, :], 0.0, (uppers - lowers)[None, :])
        flagged = np.array([tier.retroactive for tier in plan.tiers])
        if flagged.any():  # the highest retroactive tier reached sets the rate of all below it
            levels = np.arange(len(rates))
            reached = np.where(
                flagged[None, :] & (levels[None, :] <= tier_index[:, None]), levels, -1
            ).max(axis=1)
            below = levels[None, :] < reached[:, None]
            top = np.maximum(reached, 0)
            payee_rates = np.where(below, rates[top][:, None], rates[None, :])
    else:
        portions = np.zeros((size, len(plan.tiers)))
        reached = tier_index >= 0
        portions[np.flatnonzero(reached), tier_index[reached]] = counted[reached] - plan.floor
    bases = portions * scale[:, None]
    amounts = bases * payee_rates
    bonus = np.array(plan.tier_bonuses())
    levels, top = np.arange(len(plan.tiers))[None, :], tier_index[:, None]
    reached_tiers = levels == top if plan.method == "retroactive" else levels <= top
    bonuses = np.where(reached_tiers, bonus[None, :], 0.0)
    gate = np.ones(size, dtype=bool)
    if plan.threshold is not None:
        lower_inclusive = plan.boundary == "lower_inclusive"
        gate = on_marks >= plan.threshold if lower_inclusive else on_marks > plan.threshold
    if gates_passed is not None:
        gate = gate & np.broadcast_to(np.asarray(gates_passed, dtype=bool), (size,))
    total = np.where(gate, amounts.sum(axis=1) + bonuses.sum(axis=1), 0.0)
    cap = np.full(size, np.inf if plan.payout_cap is None else plan.payout_cap)
    if plan.payout_cap_target is not None:
        given = target_incentive if target_incentive is not None else plan.target_incentive
        cap = np.minimum(
            cap, plan.payout_cap_target * _array(given, size, "target_incentive", plan)
        )
    payout_capped = total > cap
    total = np.minimum(total, cap)
    return TierOutcome(
        measure=on_marks,
        counted=counted,
        scale=scale,
        tier_index=tier_index,
        bases=bases,
        rates=np.asarray(payee_rates, dtype=np.float64),
        amounts=amounts,
        bonuses=bonuses,
        gate_passed=gate,
        attainment_capped=attainment_capped,
        payout_capped=payout_capped,
        payout_cap=cap,
        commission=total,
    )


def plan_payout(
    plan: TieredPlan,
    revenue: float,
    *,
    quota: float | None = None,
    target_incentive: float | None = None,
    baseline: float | None = None,
    gates_passed: bool = True,
) -> float:
    """Tiered commission of one payee for one period (after gates and caps)."""
    outcome = tiered_commission(
        plan,
        [revenue],
        quota=quota,
        target_incentive=target_incentive,
        baseline=baseline,
        gates_passed=gates_passed,
    )
    return float(outcome.commission[0])
