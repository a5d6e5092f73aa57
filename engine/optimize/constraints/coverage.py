"""Coverage: call capacity of the reps in a territory ≥ the calls its tiers demand.

Call capacity = Σ_c (rep hours[t, c] + training boost[t, c]) / hours_per_call[c]. The aggregate
row lets any rep channel serve any call; where a territory's calls differ in which rep channels
their tiers allow (tier C: inside sales only), one row per subset of channels is added, which
together are exact (Hall's condition). A whole head counts for at most the
row's demand (coefficient tightening: valid for whole heads, and it stops the relaxation from
spreading a fraction of a rep over many territories).

Where a territory needs more than one head, each row also gets its mixed-integer rounding (MIR)
cuts, one per distinct head size δ below the demand (see :func:`mir_cut`): a territory demanding
2,400 calls from heads of 880 calls needs three heads or leaves 640 calls unserved, while the
relaxation takes 2.73 heads and serves all — on the demo that alone was 0.9 % of the bound.
"""

from __future__ import annotations

import itertools
import math

import pulp

from engine.optimize.prepare import at
from engine.optimize.registry import AllocationModel, Key

__all__ = ["call_capacity", "define_coverage", "define_workload", "fair_share_ratio", "mir_cut"]


def mir_cut(
    integer: list[float], continuous: list[float], demand: float, delta: float
) -> tuple[list[float], list[float], float] | None:
    """The MIR cut of ``Σ a_j x_j + Σ e_k y_k ≥ D`` (x_j ≥ 0 integer, y_k ≥ 0, a_j, e_k ≥ 0) scaled
    by ``δ``: ``Σ c_j x_j + Σ d_k y_k ≥ ⌈D/δ⌉`` with f = ⌈D/δ⌉ − D/δ,
    c_j = −⌊−a_j/δ⌋ − max(0, f_j − f)/(1 − f), f_j = −a_j/δ − ⌊−a_j/δ⌋, d_k = e_k / (δ(1 − f)).
    None when D/δ is integral (the cut is the row itself).
    """
    beta = demand / delta
    top = math.ceil(beta - 1e-9)
    f = top - beta
    if f < 1e-6 or f > 1 - 1e-6:
        return None
    coefficients = []
    for a in integer:
        g = -a / delta
        fj = g - math.floor(g)
        coefficients.append(-(math.floor(g) + max(0.0, fj - f) / (1 - f)))
    return coefficients, [e / (delta * (1 - f)) for e in continuous], float(top)


Capacity = dict[str, dict[str, list[tuple[pulp.LpVariable, float, bool]]]]


def call_capacity(
    model: AllocationModel, hours: dict[Key, list[tuple[pulp.LpVariable, float]]]
) -> Capacity:
    """Per territory and rep channel: ``(variable, calls per unit, is the training boost)`` —
    whole heads at their hours / hours per call, and the boost at 1 / hours per call."""
    per_call = model.data.channels["hours_per_call"]
    boost = model.family("boost")
    out: Capacity = {}
    for (territory, channel), terms in hours.items():
        rate = float(per_call.get(channel, float("nan")))
        if not rate > 0:
            continue
        row = out.setdefault(territory, {}).setdefault(channel, [])
        row += [(v, h / rate, False) for v, h in terms]
        if (territory, channel) in boost:
            row.append((boost[territory, channel], 1.0 / rate, True))
    return out


def define_coverage(
    model: AllocationModel, hours: dict[Key, list[tuple[pulp.LpVariable, float]]]
) -> None:
    """Per territory with demanded calls (soft: plus a penalised shortfall), one row per set C of
    the rep channels present: ``Σ_{c∈C} call capacity[t, c] + shortfall[t] ≥ calls[t] of tiers
    that only channels in C may serve``; and cuts.

    C = every present channel is the aggregate row (family ``coverage``); the proper subsets
    (``coverage_subset``) exist only where the territory's calls differ in the rep channels their
    tiers allow. By max-flow / min-cut (Hall's condition) the least shortfall with eligibility is
    the largest ``calls(⊆ C) − capacity(C)``, so the rows are exact without flow variables. Head
    coefficients are tightened to the row's calls. Training boost adds at most ``max_uplift`` of a
    cell's head hours, so ``Σ_j min(a_j·(1 + u), D)·head_j + shortfall ≥ D`` holds too
    (``coverage_heads``); it keeps a fraction of a head from covering a territory with tightened
    head calls plus an untightened boost. MIR cuts are taken from both.
    """
    if model.settings.coverage.mode == "off":
        return
    capacity = call_capacity(model, hours)
    kind_of = model.data.channels["kind"]
    shortfall = model.family("shortfall")
    territories = model.data.territories
    groups = {str(t): g for t, g in model.data.call_groups.groupby("territory", sort=True)}
    for territory in territories.index[territories["calls"] > 0]:
        place = str(territory)
        mine = capacity.get(place, {})
        present = sorted(mine)
        short = [(shortfall[place,], 1.0)] if (place,) in shortfall else []
        total = float(at(territories)[territory, "calls"])
        _rows(model, (place,), "coverage", [mine[c] for c in present], total, short)
        if place not in groups:
            continue
        needs = [
            (frozenset(c for c in present if str(kind_of[c]) in str(kinds).split("|")), float(v))
            for kinds, v in zip(groups[place]["kinds"], groups[place]["calls"], strict=True)
        ]
        for size in range(len(present)):  # proper subsets
            for chosen in itertools.combinations(present, size):
                calls = sum(v for allowed, v in needs if allowed <= set(chosen))
                if calls > 0:
                    key = (place, "|".join(chosen))
                    _rows(model, key, "coverage_subset", [mine[c] for c in chosen], calls, short)


def _rows(
    model: AllocationModel,
    key: Key,
    family: str,
    channels: list[list[tuple[pulp.LpVariable, float, bool]]],
    calls: float,
    short: list[tuple[pulp.LpVariable, float]],
) -> None:
    """One coverage row over ``channels`` (their capacity terms) and its cuts."""
    terms = [(v, a if boost else min(a, calls)) for row in channels for v, a, boost in row] + short
    model.add_row(family, key, terms, ">=", calls)
    if model.elastic:  # an elastic row has a slack the cuts do not know of
        return
    source = "" if family == "coverage" else "subset"
    _coverage_mir(model, key, terms, calls, source)
    if not any(boost for row in channels for _, _, boost in row):
        return
    uplift = model.settings.training.max_uplift if model.settings.training else 0.0
    whole = list(short)
    for row in channels:
        grow = 1 + uplift if any(boost for _, _, boost in row) else 1.0
        whole += [(v, min(a * grow, calls)) for v, a, boost in row if not boost]
    model.add_row("coverage_heads", key, whole, ">=", calls)
    _coverage_mir(model, key, whole, calls, f"{source}heads" if source else "heads")


def _coverage_mir(
    model: AllocationModel,
    key: Key,
    terms: list[tuple[pulp.LpVariable, float]],
    calls: float,
    source: str,
) -> None:
    """MIR cuts of one coverage row, one per distinct head size smaller than the demand."""
    heads = [(v, a) for v, a in terms if v.cat == pulp.LpInteger]
    rest = [(v, e) for v, e in terms if v.cat != pulp.LpInteger]
    for delta in sorted({round(a, 9) for _, a in heads if 0 < a < calls}):
        cut = mir_cut([a for _, a in heads], [e for _, e in rest], calls, delta)
        if cut is None:
            continue
        coefficients, scaled, rhs = cut
        pairs = [(v, c) for (v, _), c in zip(heads, coefficients, strict=True) if c != 0]
        pairs += [(v, d) for (v, _), d in zip(rest, scaled, strict=True)]
        model.add_row("coverage_mir", (*key, source, f"{delta:g}"), pairs, ">=", rhs)


def fair_share_ratio(model: AllocationModel) -> float:
    """K: the active reps' call capacity per demanded call, network-wide (0 without demand)."""
    per_call = model.data.channels["hours_per_call"]
    reps = model.data.reps[model.data.reps["active"]]
    rates = per_call.reindex(reps["channel"]).to_numpy(dtype=float)
    usable = rates > 0
    supply = float((reps["capacity_hours"].to_numpy(dtype=float)[usable] / rates[usable]).sum())
    calls = model.data.territories["calls"]
    demand = float(calls[calls > 0].sum())
    return supply / demand if demand > 0 else 0.0


def define_workload(
    model: AllocationModel, hours: dict[Key, list[tuple[pulp.LpVariable, float]]]
) -> None:
    """``overload[t] ≥ K·calls[t] − call capacity[t]`` for the workload secondary goal.

    K = the active reps' call capacity / the calls demanded (see
    :class:`~engine.optimize.settings.SecondaryGoal`); capacity counts whole heads at their full
    calls and training boost, as the plan's coverage table does.
    """
    overload = model.family("overload")
    if not overload:
        return
    calls = model.data.territories["calls"]
    ratio = fair_share_ratio(model)
    capacity = call_capacity(model, hours)
    for (territory,), variable in overload.items():
        terms = [(v, a) for row in capacity.get(territory, {}).values() for v, a, _ in row]
        model.add_row(
            "workload",
            (territory,),
            [(variable, 1.0), *terms],
            ">=",
            ratio * float(calls[territory]),
        )
