"""Model settings: the objective, the knobs of each constraint family, and how to solve.

Everything the allocation model needs besides the data (:class:`~engine.optimize.inputs.
PlanningInputs`). Money is in the dataset's currency and per planning period.
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.solver import SolverSettings

__all__ = [
    "CoverageSettings",
    "ObjectiveKind",
    "OptimizeSettings",
    "SecondaryGoal",
    "TrainingSettings",
]

ObjectiveKind = Literal["contribution", "revenue", "min_cost"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CoverageSettings(_Model):
    """Service calls demanded by the tiers versus call capacity of the reps in a territory."""

    mode: Literal["hard", "soft", "off"] = Field(
        "soft", description="hard: must hold; soft: shortfall allowed at a penalty; off: ignored."
    )
    penalty_per_call: float = Field(
        150.0,
        ge=0,
        description="Cost of one demanded call left unserved (soft mode).",
    )


class TrainingSettings(_Model):
    """Training spend raises a channel's productive hours along a concave curve.

    Extra hours of channel c = base_hours_c · max_uplift · (1 − exp(−spend / (scale · reps_c))),
    where base_hours_c are the channel's active reps' hours; a territory gains at most
    ``max_uplift`` of its own rep hours.
    """

    max_uplift: float = Field(0.10, ge=0, le=1, description="Largest productivity gain (fraction).")
    spend_scale_per_rep: float = Field(
        2000.0, gt=0, description="Spend per rep that wins 63 % of max_uplift."
    )


class SecondaryGoal(_Model):
    """A second goal: disruption versus today, or balance of workload.

    ``disruption`` counts active reps placed away from today's territory. ``workload`` is the
    imbalance of call capacity against demand: with K = the active reps' call capacity over the
    calls demanded network-wide, a territory's fair share is K × its demanded calls, and the
    imbalance is Σ_t max(0, fair share_t − call capacity placed in t), in calls (half the L1
    distance from capacity proportional to demand, when all capacity serves demand).
    """

    goal: Literal["disruption", "workload"] = "disruption"
    mode: Literal["weighted", "lexicographic"] = Field(
        "weighted",
        description="weighted: primary − weight·secondary; lexicographic: the best secondary "
        "among plans within ``tolerance`` of the best primary value.",
    )
    weight: float = Field(
        1000.0,
        ge=0,
        description="Weighted mode: value of one avoided move (disruption) or of one call of "
        "workload imbalance (workload).",
    )
    tolerance: float = Field(
        0.001, ge=0, le=1, description="Relative loss of the primary goal allowed (lexicographic)."
    )


class OptimizeSettings(_Model):
    """How to build and solve the allocation model."""

    objective: ObjectiveKind = Field("contribution", description="The primary goal.")
    revenue_target: float | None = Field(
        None, ge=0, description="Revenue to reach (required by min_cost; optional floor otherwise)."
    )
    secondary: SecondaryGoal | None = Field(None, description="Optional secondary goal.")
    candidates: int = Field(
        12, ge=1, description="Candidate territories per rep: the k nearest to home (+ today's)."
    )
    move_cost_per_unit: float = Field(
        2000.0, ge=0, description="Cost of moving a rep per unit of network distance (hours, km…)."
    )
    max_hires_per_territory: int = Field(2, ge=0, description="New reps per territory × channel.")
    max_hires: dict[str, int] = Field(
        default_factory=dict, description="Headcount cap on new hires per rep channel id."
    )
    coverage: CoverageSettings = Field(default_factory=CoverageSettings)
    training: TrainingSettings | None = Field(default_factory=TrainingSettings)
    response_points: tuple[float, ...] = Field(
        (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5),
        description="Effort levels (in curve scales) where tangent cuts touch the response curve.",
    )
    head_cuts: Literal["all", "chord"] = Field(
        "all", description="Per-head response cuts: all tangent points, or the chord only."
    )
    heuristic: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Round-and-improve start from the LP relaxation (auto: with ≥ 200 "
        "rep-territory pairs); the MIP is skipped when it is within the gap of the LP bound.",
    )
    elastic_penalty: float = Field(
        1e6, gt=0, description="Penalty per unit of relaxation in the elastic re-solve."
    )
    solver: SolverSettings = Field(
        default_factory=lambda: SolverSettings(time_limit=60.0, mip_gap=0.005, threads=2)
    )

    @field_validator("max_hires")
    @classmethod
    def _caps_are_headcounts(cls, caps: dict[str, int]) -> dict[str, int]:
        negative = sorted(channel for channel, cap in caps.items() if cap < 0)
        if negative:
            raise ValueError(f"a cap is a headcount ≥ 0 (negative for {', '.join(negative)})")
        return caps

    @field_validator("response_points")
    @classmethod
    def _points_start_at_zero(cls, points: tuple[float, ...]) -> tuple[float, ...]:
        # tangents at these efforts bound the concave response from above: without one at 0
        # the model would earn revenue for no effort; unsorted or negative points are typos
        if not points or points[0] != 0:
            raise ValueError("the first point must be 0 (the tangent at no effort)")
        if any(not math.isfinite(p) for p in points) or any(
            b <= a for a, b in itertools.pairwise(points)
        ):
            raise ValueError("points must be finite and strictly increasing, e.g. [0, 0.5, 1, 2]")
        return points

    @model_validator(mode="after")
    def _min_cost_has_a_target(self) -> OptimizeSettings:
        if self.objective == "min_cost" and self.revenue_target is None:
            raise ValueError("objective min_cost needs a revenue_target (the revenue to reach)")
        return self
