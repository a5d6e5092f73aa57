"""The plan's explanation: budget and capacity lines with slack and shadow price, relaxations."""

from __future__ import annotations

from engine.optimize.constraints.partners import partner_capacity
from engine.optimize.registry import AllocationModel
from engine.optimize.sensitivity import fixed_lp_sensitivity
from engine.plan.assemble import money, num
from engine.plan.model import Binding, Relaxation

__all__ = ["EXPLAINED_FAMILIES", "lines", "relaxations"]

#: Constraint families whose lines the explanation reports (budget and capacity lines).
EXPLAINED_FAMILIES = ("budget", "partner_capacity", "hire_cap", "credit_exposure", "min_reps",
                      "revenue_target", "uplift_use", "potential")  # fmt: skip

_UNITS = {
    "budget": "money",
    "partner_capacity": "revenue",
    "hire_cap": "heads",
    "credit_exposure": "revenue",
    "min_reps": "reps",
    "revenue_target": "revenue",
    "coverage": "calls",
    "assign": "reps",
    "uplift_use": "hours",
    "potential": "revenue",
}


def lines(model: AllocationModel, *, with_prices: bool = True) -> tuple[Binding, ...]:
    """Each budget / capacity line: rhs, activity, slack, and (LP with integers fixed) its price.

    Only binding lines of the large families (partner capacity, potential) are listed; every
    budget, headcount, credit, min-reps and target line is.
    """
    rows = {}
    for family in EXPLAINED_FAMILIES:
        for key, constraint in model.rows(family).items():
            rows[constraint.name] = (family, key, constraint)
    if not rows:
        return ()
    sensitivity = (
        fixed_lp_sensitivity(model.problem, {n: c for n, (_, _, c) in rows.items()})
        if with_prices
        else None
    )
    out: list[Binding] = []
    for name, (family, key, constraint) in rows.items():
        activity = float(constraint.valueOrDefault()) - float(constraint.constant)
        rhs = -float(constraint.constant)
        shift = 0.0
        if family == "partner_capacity":  # capacity·activate moves to the rhs (integers fixed)
            active = model.family("activate")[key]
            if float(active.varValue or 0.0) < 0.5:
                continue
            shift = partner_capacity(model)[key[0]]
            rhs, activity = rhs + shift, activity + shift
        slack = rhs - activity if constraint.sense <= 0 else activity - rhs
        binding = abs(slack) <= 1e-6 * max(1.0, abs(rhs))
        if family in ("partner_capacity", "potential", "uplift_use") and not binding:
            continue
        item = sensitivity.get(name) if sensitivity else None
        price = None if item is None else num(item.dual)
        scale = money if _UNITS[family] in ("money", "revenue") else num
        out.append(Binding(
            family=family, key=key, rhs=scale(rhs), activity=scale(activity + 0.0),
            slack=scale(slack), shadow_price=price,
            range_low=None if item is None or item.range_low is None
            else scale(item.range_low + shift),
            range_high=None if item is None or item.range_high is None
            else scale(item.range_high + shift),
            binding=binding,
        ))  # fmt: skip
    return tuple(sorted(out, key=lambda b: (b.family, b.key)))


def relaxations(model: AllocationModel) -> tuple[Relaxation, ...]:
    """The elastic slacks that had to be used: which family, where, by how much."""
    out: list[Relaxation] = []
    for (family, key), slack in model.slacks.items():
        amount = float(slack.varValue or 0.0)
        if amount <= 1e-6:
            continue
        unit = _UNITS.get(family, "units")
        where = " ".join(key)
        message = {
            "budget": f"budget {where} overspent by {amount:,.2f}",
            "coverage": f"territory {where}: {amount:,.1f} demanded calls cannot be served",
            "min_reps": f"{where}: {amount:,.1f} rep(s) short of the minimum",
            "revenue_target": f"revenue target missed by {amount:,.2f}",
            "hire_cap": f"hiring cap of {where} exceeded by {amount:,.1f}",
            "assign": f"rep {where} cannot be placed",
        }.get(family, f"{family} {where} relaxed by {amount:,.4g} {unit}")
        out.append(Relaxation(family=family, key=key, amount=num(amount), message=message))
    return tuple(sorted(out, key=lambda r: (r.family, r.key)))
