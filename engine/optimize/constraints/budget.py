"""Money: channel revenue totals, incentive cost by epigraph cuts, and the budget lines."""

from __future__ import annotations

from collections import defaultdict

import pulp

from engine.optimize.registry import AllocationModel

__all__ = ["define_budgets", "define_channel_revenue", "define_incentive_cuts"]


def define_channel_revenue(model: AllocationModel) -> None:
    """channel_revenue[c] = Σ_t revenue[t, c]."""
    by_channel: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (_, channel), variable in model.family("revenue").items():
        by_channel[channel].append((variable, 1.0))
    for (channel,), total in model.family("channel_revenue").items():
        model.add_row(
            "channel_revenue",
            (channel,),
            [(total, 1.0), *[(v, -1.0) for v, _ in by_channel[channel]]],
            "==",
            0.0,
        )


def define_incentive_cuts(model: AllocationModel) -> None:
    """incentive[c] ≥ y0 + slope·(channel_revenue[c] − x0) for every segment of the convex curve.

    A non-convex plan (thresholds, retroactive tiers, caps) is modelled by a convex stand-in
    (:meth:`~engine.optimize.inputs.CostCurve.modelled`; the plan reports the exact cost beside
    it), or — treatment ``exact`` — by its pieces with one binary each (:func:`_exact_cost`).
    """
    totals = model.family("channel_revenue")
    for (channel,), cost in model.family("incentive").items():
        curve = model.data.curves[channel]
        if not curve.convex and curve.treatment == "exact":
            _exact_cost(model, channel, cost, totals[channel,])
            continue
        for index, (x0, y0, slope) in enumerate(curve.segments()):
            model.add_row(
                "incentive_cut",
                (channel, str(index)),
                [(cost, 1.0), (totals[channel,], -slope)],
                ">=",
                y0 - slope * x0,
            )


def _hire_spend(model: AllocationModel) -> list[tuple[pulp.LpVariable, float]]:
    cost = model.data.channels["hire_cost"]
    return [(v, float(cost[c])) for (_, c), v in model.family("hire").items()]


def define_budgets(model: AllocationModel) -> None:
    """Σ spend of a category ≤ its budget line; the four together ≤ ``total``."""
    spend = {
        "marketing": [(v, 1.0) for v in model.family("marketing").values()],
        "incentives": [(v, 1.0) for v in model.family("incentive").values()],
        "training": [(v, 1.0) for v in model.family("training").values()],
        "hiring": _hire_spend(model),
    }
    budgets = model.data.budgets
    for category, terms in spend.items():
        if category in budgets and terms:
            model.add_row("budget", (category,), terms, "<=", budgets[category])
    if "total" in budgets:
        every = [term for terms in spend.values() for term in terms]
        if every:
            model.add_row("budget", ("total",), every, "<=", budgets["total"])


def _exact_cost(
    model: AllocationModel, channel: str, cost: pulp.LpVariable, total: pulp.LpVariable
) -> None:
    """incentive = Σ_k (a_k·z_k + b_k·w_k), revenue = Σ_k w_k, low_k·z_k ≤ w_k ≤ high_k·z_k,
    Σ_k z_k = 1 (z binary): the piece the channel's revenue falls in sets its cost exactly."""
    top = sum(
        float(v.upBound or 0.0) for (_, c), v in model.family("revenue").items() if c == channel
    )
    pieces = model.data.curves[channel].pieces(top)
    keys = [(channel, str(k)) for k in range(len(pieces))]
    choose = model.add_variables("incentive_piece", keys, 0, 1, pulp.LpBinary)
    part = model.add_variables("incentive_part", keys, 0)
    for key, (low, high, _, _) in zip(keys, pieces, strict=True):
        model.add_row("incentive_low", key, [(part[key], 1.0), (choose[key], -low)], ">=", 0.0)
        model.add_row("incentive_high", key, [(part[key], 1.0), (choose[key], -high)], "<=", 0.0)
    model.add_row("incentive_choice", (channel,), [(choose[k], 1.0) for k in keys], "==", 1.0)
    model.add_row(
        "incentive_revenue", (channel,), [(total, 1.0), *[(part[k], -1.0) for k in keys]], "==", 0.0
    )
    terms = [(cost, 1.0)]
    for key, (_, _, intercept, slope) in zip(keys, pieces, strict=True):
        terms += [(choose[key], -intercept), (part[key], -slope)]
    model.add_row("incentive_exact", (channel,), terms, "==", 0.0)
