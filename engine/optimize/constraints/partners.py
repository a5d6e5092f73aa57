"""Partners: activation with the strong per-lane bound, capacity, channel revenue from volume.

The activation rows use the tightest bound the model implies, not just the data's: a partner's
capacity is also capped by a credit-exposure directive, and a lane by a territory-scoped
partner-share directive (s × the territory's revenue cap). A ``volume ≤ bound · activate`` row with
a loose bound lets the relaxation open a partner by a fraction and pay a fraction of its fixed
cost — on the demo, half the fixed cost of every partner whose credit limit halves its capacity.
"""

from __future__ import annotations

from collections import defaultdict

import pulp

from engine.optimize.registry import AllocationModel
from engine.rules.risk_directives import CreditExposure, MaxPartnerShare

__all__ = [
    "define_partner_capacity",
    "define_partner_revenue",
    "define_volume_links",
    "partner_capacity",
]


def partner_capacity(model: AllocationModel) -> dict[str, float]:
    """Per partner: its capacity, or the volume its credit-exposure directives allow if lower."""
    capacity = {str(p): float(c) for p, c in model.data.partners["capacity"].items()}
    for d in model.data.directives:
        if isinstance(d, CreditExposure) and d.entity_id in capacity:
            capacity[d.entity_id] = min(capacity[d.entity_id], max(d.max_volume, 0.0))
    return capacity


def _lane_bounds(model: AllocationModel) -> dict[tuple[str, str], float]:
    """Per lane: min(lane bound, partner capacity, share cap × the territory's revenue cap)."""
    capacity = partner_capacity(model)
    territory_cap: dict[str, float] = defaultdict(float)
    for (territory, _), variable in model.family("revenue").items():
        territory_cap[territory] += float(variable.upBound or 0.0)
    potential = model.data.territories["potential"]
    share: dict[tuple[str, str], float] = {}
    for d in model.data.directives:
        if not isinstance(d, MaxPartnerShare) or d.scope == "total":
            continue
        if d.entity_kind in ("territory", "partner"):
            share[d.entity_kind, d.entity_id] = min(
                share.get((d.entity_kind, d.entity_id), 1.0), d.max_share
            )
    bounds = {}
    for (partner, territory), volume in model.family("volume").items():
        bound = min(float(volume.upBound or 0.0), capacity[partner])
        cap = min(territory_cap[territory], float(potential[territory]))
        s = min(share.get(("territory", territory), 1.0), share.get(("partner", partner), 1.0))
        bounds[partner, territory] = max(0.0, min(bound, s * cap))
    return bounds


def define_volume_links(model: AllocationModel) -> None:
    """volume[p, t] ≤ bound[p, t] · activate[p] (the strong facility-location form)."""
    activate = model.family("activate")
    bounds = _lane_bounds(model)
    for (partner, territory), volume in model.family("volume").items():
        bound = bounds[partner, territory]
        model.add_row(
            "volume_link",
            (partner, territory),
            [(volume, 1.0), (activate[partner,], -bound)],
            "<=",
            0.0,
        )


def define_partner_capacity(model: AllocationModel) -> None:
    """Σ_t volume[p, t] ≤ capacity[p] · activate[p] (only where the lane bounds can exceed it)."""
    by_partner: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    reach: dict[str, float] = defaultdict(float)
    for (partner, _), volume in model.family("volume").items():
        by_partner[partner].append((volume, 1.0))
        reach[partner] += float(volume.upBound or 0.0)
    capacity = partner_capacity(model)
    for partner in sorted(by_partner):
        limit = capacity[partner]
        if reach[partner] > limit * (1 + 1e-9):
            model.add_row(
                "partner_capacity",
                (partner,),
                [*by_partner[partner], (model.family("activate")[partner,], -limit)],
                "<=",
                0.0,
            )


def define_partner_revenue(model: AllocationModel) -> None:
    """revenue[t, c] = Σ_p volume[p, t] over the channel's partners (partner channels only)."""
    lanes = model.data.lanes
    by_cell: dict[tuple[str, str], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    volume = model.family("volume")
    for partner, territory, channel in zip(
        lanes["partner"], lanes["territory"], lanes["channel"], strict=True
    ):
        by_cell[territory, channel].append((volume[partner, territory], 1.0))
    revenue = model.family("revenue")
    for key in sorted(by_cell):
        model.add_row(
            "partner_revenue",
            key,
            [(revenue[key], 1.0), *[(v, -c) for v, c in by_cell[key]]],
            "==",
            0.0,
        )
