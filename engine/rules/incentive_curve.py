"""Expected incentive cost as an exact piecewise-linear function of revenue, for the optimizer.

:func:`incentive_curve` turns a plan (for one payee with quota / baseline / target incentive, or
``n`` identical payees sharing a channel's revenue) into an :class:`IncentiveCurve`: breakpoints
``(revenue, cost)`` joined by straight lines, beyond the last point the last slope continues.

Representation of discontinuities (retroactive tiers, thresholds): a jump at revenue ``x`` is two
consecutive points with the same ``x`` — the cost just below ``x`` then the cost just above.
``right_continuous`` says which of the two is the cost *at* ``x`` (true under
``boundary: lower_inclusive``). Such a curve has ``continuous=False`` (and is neither convex nor
concave); :meth:`IncentiveCurve.convex_envelope` gives its greatest convex minorant, which tangent
cuts can model, while the exact step breakpoints need binaries or SOS2.

What the curve includes: tiers, threshold, attainment and payout caps, and a non-recoverable
draw (the guarantee ``max(draw, commission)``). Metric gates are assumed passed. Not a function of
revenue, hence excluded: SPIFFs, clawbacks, recoverable draws (repaid, so no cost in expectation)
and an MDF ``total_cap`` over several periods.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.errors import RuleError
from engine.rules.commission import tiered_commission
from engine.rules.incentives import MdfPlan, TieredPlan

__all__ = ["IncentiveCurve", "incentive_curve"]

Point = tuple[float, float]
_TOL = 1e-9


@dataclass(frozen=True)
class IncentiveCurve:
    """Piecewise-linear cost of revenue; see the module docstring for jumps and flags."""

    points: tuple[Point, ...]
    convex: bool
    concave: bool
    continuous: bool = True
    right_continuous: bool = True
    plan_id: str = ""
    payees: int = 1

    def slopes(self) -> tuple[float, ...]:
        """Slope of every segment between points with distinct revenue."""
        return tuple(
            (y1 - y0) / (x1 - x0)
            for (x0, y0), (x1, y1) in zip(self.points, self.points[1:], strict=False)
            if x1 > x0
        )

    def cost(self, revenue: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Cost at each revenue (negative revenue counts as zero)."""
        xs = np.array([p[0] for p in self.points])
        ys = np.array([p[1] for p in self.points])
        size = len(xs)
        values = np.maximum(np.atleast_1d(np.asarray(revenue, dtype=np.float64)), xs[0])
        last_at_or_below = np.searchsorted(xs, values, side="right") - 1
        first_at_or_above = np.minimum(np.searchsorted(xs, values, side="left"), size - 1)
        exact = xs[first_at_or_above] == values
        at = last_at_or_below if self.right_continuous else first_at_or_above
        start = np.minimum(last_at_or_below, size - 2)  # beyond the last point: extend
        x0, x1, y0, y1 = xs[start], xs[start + 1], ys[start], ys[start + 1]
        width = np.where(x1 > x0, x1 - x0, 1.0)
        between = y0 + (y1 - y0) * (values - x0) / width
        result: npt.NDArray[np.float64] = np.where(exact, ys[at], between)
        return result

    def convex_envelope(self) -> IncentiveCurve:
        """The greatest convex function below the curve on all revenue >= 0 (tangent-cut safe).

        It follows the lower hull of the points up to where a line with the final slope touches
        the curve, then continues along that line.
        """
        final = self.slopes()[-1]
        ordered = sorted(self.points)
        offsets = [y - final * x for x, y in ordered]
        touch = ordered[offsets.index(min(offsets))]
        hull: list[Point] = []
        for point in ordered:
            if point[0] > touch[0]:
                break
            if hull and hull[-1][0] == point[0]:
                continue  # same revenue, higher cost: not on the lower hull
            while len(hull) >= 2 and _cross(hull[-2], hull[-1], point) <= 0.0:
                hull.pop()
            hull.append(point)
        end = ordered[-1][0]
        if end > touch[0]:
            hull.append((end, touch[1] + final * (end - touch[0])))
        concave = len(hull) <= 2
        return IncentiveCurve(tuple(hull), True, concave, True, True, self.plan_id, self.payees)

    def to_frame(self) -> pd.DataFrame:
        """The breakpoints as a DataFrame (columns revenue, cost)."""
        return pd.DataFrame(self.points, columns=["revenue", "cost"])


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _flags(points: list[Point]) -> tuple[bool, bool, bool]:
    continuous = all(
        not (x0 == x1 and abs(y1 - y0) > _TOL * max(1.0, abs(y0)))
        for (x0, y0), (x1, y1) in itertools.pairwise(points)
    )
    slopes = [(y1 - y0) / (x1 - x0) for (x0, y0), (x1, y1) in itertools.pairwise(points) if x1 > x0]
    steps = np.diff(slopes) if len(slopes) > 1 else np.zeros(0)
    scale = max([1.0, *map(abs, slopes)])
    convex = continuous and bool(np.all(steps >= -_TOL * scale))
    concave = continuous and bool(np.all(steps <= _TOL * scale))
    return continuous, convex, concave


def _clip(points: list[Point], bound: float, *, upper: bool) -> list[Point]:
    """``min(f, bound)`` (upper) or ``max(f, bound)`` with the crossings inserted as breakpoints."""
    (x0, y0), (x1, y1) = points[-2], points[-1]
    slope = (y1 - y0) / (x1 - x0)
    if (slope > 0 and upper and y1 < bound) or (slope < 0 and not upper and y1 > bound):
        crossing = x1 + (bound - y1) / slope  # the bound is reached on the extension
        if math.isfinite(2.0 * crossing):
            points = [*points, (2.0 * crossing, y1 + slope * (2.0 * crossing - x1))]
    clipped: list[Point] = []
    for index, (x, y) in enumerate(points):
        if index:
            x0, y0 = points[index - 1]
            if x > x0 and (y0 - bound) * (y - bound) < 0:
                crossing = x0 + (bound - y0) * (x - x0) / (y - y0)
                clipped.append((crossing, bound))
        clipped.append((x, min(y, bound) if upper else max(y, bound)))
    merged = [p for i, p in enumerate(clipped) if i == 0 or p != clipped[i - 1]]
    return merged


def _tiered_points(
    plan: TieredPlan,
    quota: float | None,
    target_incentive: float | None,
    baseline: float | None,
    max_revenue: float | None,
) -> list[Point]:
    if plan.tier_basis == "attainment":
        unit = quota if quota is not None else plan.quota
        if unit is None:
            raise RuleError("the cost curve of an attainment plan needs a quota", rule_id=plan.id)
        to_revenue = float(unit)
        offset = 0.0
    elif plan.tier_basis == "growth":
        if baseline is None:
            raise RuleError("the cost curve of a growth plan needs a baseline", rule_id=plan.id)
        to_revenue, offset = float(baseline), 1.0
    else:
        to_revenue, offset = 1.0, 0.0
    marks = plan.marks()
    xs = sorted({0.0, *((m + offset) * to_revenue for m in marks if (m + offset) > 0)})
    end = max_revenue if max_revenue is not None else 2.0 * xs[-1] if xs[-1] > 0 else to_revenue
    if end <= xs[-1]:
        raise RuleError(f"max_revenue must exceed {xs[-1]:g}", rule_id=plan.id)
    xs.append(float(end))
    # The uncapped commission is linear between breakpoints: evaluate it at two inner points of
    # each interval and extend the line to both ends. Limits found this way do not depend on how
    # revenue / quota rounds exactly at a boundary.
    uncapped = plan.model_copy(update={"payout_cap": None, "payout_cap_target": None})
    kwargs = {"quota": quota, "target_incentive": target_incentive, "baseline": baseline}
    edges = np.array(xs)
    width = np.diff(edges)
    inner = np.concatenate([edges[:-1] + width / 3.0, edges[:-1] + 2.0 * width / 3.0])
    values = tiered_commission(uncapped, inner, **kwargs).commission
    first, second = values[: len(width)], values[len(width) :]
    slope = (second - first) / (width / 3.0)
    starts = first - slope * width / 3.0  # limit from the right at each left edge
    ends = second + slope * width / 3.0  # limit from the left at each right edge
    # exact values at the breakpoints under both conventions, used where they agree with the limits
    exact = {
        side: tiered_commission(
            uncapped.model_copy(update={"boundary": side}), edges, **kwargs
        ).commission
        for side in ("lower_inclusive", "upper_inclusive")
    }

    def snap(limit: float, value: float) -> float:
        return value if abs(limit - value) <= 1e-7 * max(1.0, abs(value)) else limit

    at_zero = float(exact[plan.boundary][0])
    points: list[Point] = [(0.0, at_zero)]
    for index, x in enumerate(xs[1:]):
        below = snap(float(ends[index]), float(exact["upper_inclusive"][index + 1]))
        above = below
        if index + 1 < len(starts):
            above = snap(float(starts[index + 1]), float(exact["lower_inclusive"][index + 1]))
        if abs(below - above) > _TOL * max(1.0, abs(above)):
            points += [(x, below), (x, above)]
        else:
            points.append((x, above if plan.boundary == "lower_inclusive" else below))
    if abs(float(starts[0]) - at_zero) > _TOL * max(1.0, abs(at_zero)):
        points.insert(1, (0.0, float(starts[0])))
    cap = math.inf if plan.payout_cap is None else plan.payout_cap
    if plan.payout_cap_target is not None:
        given = target_incentive if target_incentive is not None else plan.target_incentive
        if given is None:
            raise RuleError("payout_cap_target needs a target incentive", rule_id=plan.id)
        cap = min(cap, plan.payout_cap_target * given)
    if math.isfinite(cap):
        points = _clip(points, cap, upper=True)
    if plan.draw is not None and plan.draw.type == "non_recoverable":
        points = _clip(points, plan.draw.amount, upper=False)
    return points


def incentive_curve(
    plan: TieredPlan | MdfPlan,
    *,
    quota: float | None = None,
    target_incentive: float | None = None,
    baseline: float | None = None,
    payees: int = 1,
    max_revenue: float | None = None,
) -> IncentiveCurve:
    """The plan's cost per period as a function of revenue (of ``payees`` identical payees).

    ``quota`` / ``target_incentive`` / ``baseline`` are per payee (default: the plan's own);
    ``max_revenue`` (per payee) is where the last explicit point lies (default: twice the last
    breakpoint); the curve extends beyond it with its last slope.
    """
    if payees < 1:
        raise RuleError(f"payees must be at least 1, got {payees}", rule_id=plan.id)
    if isinstance(plan, MdfPlan):
        end = max_revenue if max_revenue is not None else 1.0
        points: list[Point] = [(0.0, 0.0)]
        if plan.cap is not None and plan.rate > 0:
            knee = plan.cap / plan.rate
            end = max_revenue if max_revenue is not None else 2.0 * knee
            points.append((knee, plan.cap))
        points.append(
            (end, plan.rate * end if plan.cap is None else min(plan.rate * end, plan.cap))
        )
        points = sorted(set(points))
        right_continuous = True
    else:
        if plan.tiers_per == "deal":
            raise RuleError(
                "a plan tiered per deal has no cost curve of period revenue (its cost depends on "
                "deal sizes)",
                rule_id=plan.id,
            )
        points = _tiered_points(plan, quota, target_incentive, baseline, max_revenue)
        right_continuous = plan.boundary == "lower_inclusive"
    scaled = [(x * payees, y * payees) for x, y in points]
    continuous, convex, concave = _flags(scaled)
    return IncentiveCurve(
        tuple(scaled), convex, concave, continuous, right_continuous, plan.id, payees
    )
