"""Partners: activation with the strong per-lane bound, capacity, channel revenue from volume."""

from __future__ import annotations

from collections import defaultdict

import pulp

from engine.optimize.registry import AllocationModel

__all__ = ["define_partner_capacity", "define_partner_revenue", "define_volume_links"]


def define_volume_links(model: AllocationModel) -> None:
    """volume[p, t] ≤ bound[p, t] · activate[p] (the strong facility-location form)."""
    activate = model.family("activate")
    for (partner, territory), volume in model.family("volume").items():
        bound = float(volume.upBound or 0.0)
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
    capacity = model.data.partners["capacity"]
    for partner in sorted(by_partner):
        limit = float(capacity[partner])
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
