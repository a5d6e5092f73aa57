"""Coverage: call capacity of the reps in a territory ≥ the calls its tiers demand.

Call capacity = Σ_c (rep hours[t, c] + training boost[t, c]) / hours_per_call[c]. Aggregate: any
rep channel may serve any demanded call (tier-level channel eligibility of calls is not split).
A whole head counts for at most the territory's demand (coefficient tightening: valid for whole
heads, and it stops the relaxation from spreading a fraction of a rep over many territories).
"""

from __future__ import annotations

import pulp

from engine.optimize.prepare import at
from engine.optimize.registry import AllocationModel, Key

__all__ = ["define_coverage"]


def define_coverage(
    model: AllocationModel, hours: dict[Key, list[tuple[pulp.LpVariable, float]]]
) -> None:
    """One row per territory with demanded calls (soft: plus a penalised shortfall)."""
    mode = model.settings.coverage.mode
    if mode == "off":
        return
    per_call = model.data.channels["hours_per_call"]
    boost = model.family("boost")
    shortfall = model.family("shortfall")
    territories = model.data.territories
    by_territory: dict[str, list[tuple[pulp.LpVariable, float]]] = {}
    demand = territories["calls"].to_dict()
    for (territory, channel), terms in hours.items():
        rate = float(per_call.get(channel, float("nan")))
        if not rate > 0:
            continue
        row = by_territory.setdefault(territory, [])
        cap = float(demand.get(territory, 0.0))
        row += [(v, min(h / rate, cap)) for v, h in terms]
        if (territory, channel) in boost:
            row.append((boost[territory, channel], 1.0 / rate))
    for territory in territories.index[territories["calls"] > 0]:
        key = (str(territory),)
        terms = list(by_territory.get(str(territory), []))
        if key in shortfall:
            terms.append((shortfall[key], 1.0))
        model.add_row("coverage", key, terms, ">=", float(at(territories)[territory, "calls"]))
