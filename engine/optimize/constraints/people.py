"""Reps: one territory per active rep, open headcount at most once, hire caps, training."""

from __future__ import annotations

import math
from collections import defaultdict

import pulp

from engine.optimize.prepare import at
from engine.optimize.registry import AllocationModel, Key

__all__ = ["define_assignment_rows", "define_hire_caps", "define_training_rows", "rep_hours"]

#: Spend levels (in multiples of the curve scale) where training tangent cuts touch.
_TRAINING_POINTS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)


def rep_hours(model: AllocationModel) -> dict[Key, list[tuple[pulp.LpVariable, float]]]:
    """Per (territory, channel): the hour terms of assigned reps and of hires."""
    terms: dict[Key, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    reps = model.data.reps
    for (rep, territory), variable in model.family("assign").items():
        channel = str(at(reps)[rep, "channel"])
        terms[territory, channel].append((variable, float(at(reps)[rep, "capacity_hours"])))
    channels = model.data.channels
    for (territory, channel), variable in model.family("hire").items():
        hours = float(at(channels)[channel, "hire_capacity_hours"])
        terms[territory, channel].append((variable, hours))
    return dict(terms)


def define_assignment_rows(model: AllocationModel) -> None:
    """Σ_t assign[r, t] = 1 for an active rep, ≤ 1 for open headcount (filled or not)."""
    by_rep: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (rep, _), variable in model.family("assign").items():
        by_rep[rep].append((variable, 1.0))
    active = model.data.reps["active"]
    for rep in sorted(by_rep):
        model.add_row("assign", (rep,), by_rep[rep], "==" if active[rep] else "<=", 1.0)


def define_hire_caps(model: AllocationModel) -> None:
    """Σ_t hire[t, c] ≤ max_hires[c] (headcount cap per rep channel)."""
    caps = model.settings.max_hires
    by_channel: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (_, channel), variable in model.family("hire").items():
        by_channel[channel].append((variable, 1.0))
    for channel in sorted(set(caps) & set(by_channel)):
        model.add_row("hire_cap", (channel,), by_channel[channel], "<=", float(caps[channel]))


def define_training_rows(
    model: AllocationModel, hours: dict[Key, list[tuple[pulp.LpVariable, float]]]
) -> None:
    """Concave training response by tangent cuts, and where the extra hours may land.

    uplift[c] ≤ base_c·u·(1 − exp(−s/S)) with S = scale·reps_c, cut at s_k:
    uplift − base·u·e^{−s_k/S}/S · s ≤ base·u·(1 − e^{−s_k/S}(1 + s_k/S));
    Σ_t boost[t, c] ≤ uplift[c];  boost[t, c] ≤ u · rep hours[t, c].
    """
    training = model.settings.training
    spend = model.family("training")
    if training is None or not spend:
        return
    reps = model.data.reps[model.data.reps["active"]]
    boosts: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (territory, channel), boost in model.family("boost").items():
        boosts[channel].append((boost, 1.0))
        terms = [(v, -training.max_uplift * h) for v, h in hours.get((territory, channel), [])]
        model.add_row("boost_cap", (territory, channel), [(boost, 1.0), *terms], "<=", 0.0)
    for (channel,), spend_var in spend.items():
        mine = reps[reps["channel"] == channel]
        base = float(mine["capacity_hours"].sum()) * training.max_uplift
        scale = training.spend_scale_per_rep * len(mine)
        uplift = model.family("uplift")[channel,]
        for point in _TRAINING_POINTS:
            decay = math.exp(-point)
            model.add_row(
                "training_response",
                (channel, f"{point:g}"),
                [(uplift, 1.0), (spend_var, -base * decay / scale)],
                "<=",
                base * (1.0 - decay * (1.0 + point)),
            )
        model.add_row("uplift_use", (channel,), [*boosts[channel], (uplift, -1.0)], "<=", 0.0)
