"""Variable families of the allocation model, one small builder each.

=================  ======================  ==============================================
family             key                     meaning
=================  ======================  ==============================================
assign             (rep, territory)        binary: the rep works in the territory
hire               (territory, channel)    integer: new reps of a rep channel
marketing          (territory, channel)    marketing spend
effort             (territory, channel)    effort in curve scales (defined by a row)
segment            (territory, channel, j) effort on segment j of the tangent envelope
revenue            (territory, channel)    revenue won
boost              (territory, channel)    extra productive hours from training
training           (channel,)              training spend of a rep channel
uplift             (channel,)              extra hours that spend buys
activate           (partner,)              binary: the partner is active
volume             (partner, territory)    revenue the partner carries in the territory
channel_revenue    (channel,)              revenue of a channel over all territories
incentive          (channel,)              incentive cost of a channel
shortfall          (territory,)            demanded calls left unserved (soft coverage)
overload           (territory,)            calls of fair-share capacity missing (workload goal)
=================  ======================  ==============================================

``segment`` is made by the constraint builder that uses it
(:func:`~engine.optimize.constraints.revenue.define_response_cuts`).
"""

from __future__ import annotations

import numpy as np
import pulp

from engine.optimize.prepare import _PARTNER_KINDS, _REP_KINDS
from engine.optimize.registry import AllocationModel

__all__ = [
    "define_assignment",
    "define_cells",
    "define_hires",
    "define_incentives",
    "define_overload",
    "define_partners",
    "define_shortfall",
    "define_training",
]


def _keys(frame_a: np.ndarray, frame_b: np.ndarray) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in zip(frame_a, frame_b, strict=True)]


def define_assignment(model: AllocationModel) -> None:
    """``assign[r, t]`` over each rep's candidate territories."""
    candidates = model.data.candidates
    if candidates.empty:
        return
    model.add_variables(
        "assign",
        _keys(candidates["rep"].to_numpy(), candidates["territory"].to_numpy()),
        0,
        1,
        pulp.LpBinary,
    )


def define_hires(model: AllocationModel) -> None:
    """``hire[t, c]`` in cells of rep channels with a hire cost and hours."""
    cap = model.settings.max_hires_per_territory
    channels = model.data.channels
    cells = model.data.cells
    hirable = channels[
        channels["kind"].isin(_REP_KINDS)
        & channels["hire_cost"].notna()
        & (channels["hire_capacity_hours"].fillna(0) > 0)
        & channels["hours_scale"].notna()
    ].index
    chosen = cells[cells["channel"].isin(hirable)]
    if cap == 0 or chosen.empty:
        return
    keys = _keys(chosen["territory"].to_numpy(), chosen["channel"].to_numpy())
    model.add_variables("hire", keys, 0, cap, pulp.LpInteger)


def define_cells(model: AllocationModel) -> None:
    """``revenue``, ``effort`` and ``marketing`` per (territory, channel) cell.

    Revenue is bounded above by ``max_share × eligible potential``. Effort exists where the channel
    has a rep-hours or marketing response; partner channels earn through partner volume only.
    """
    cells = model.data.cells
    if cells.empty:
        return
    keys = _keys(cells["territory"].to_numpy(), cells["channel"].to_numpy())
    caps = (cells["potential"] * cells["max_share"]).to_numpy(float)
    hours = cells["kind"].isin(_REP_KINDS).to_numpy() & cells["hours_scale"].notna().to_numpy()
    market = (
        cells["marketing_scale"].notna().to_numpy() & ~cells["kind"].isin(_PARTNER_KINDS).to_numpy()
    )
    partner = cells["kind"].isin(_PARTNER_KINDS).to_numpy()
    lanes = {
        (t, c)
        for t, c in zip(model.data.lanes["territory"], model.data.lanes["channel"], strict=True)
    }
    earn = (hours | market) | (partner & np.array([k in lanes for k in keys], dtype=bool))
    model.add_variables(
        "revenue",
        [k for k, e in zip(keys, earn, strict=True) if e],
        0,
        [float(c) for c, e in zip(caps, earn, strict=True) if e],
    )
    model.add_variables("effort", [k for k, e in zip(keys, hours | market, strict=True) if e], 0)
    model.add_variables("marketing", [k for k, e in zip(keys, market, strict=True) if e], 0)


def define_training(model: AllocationModel) -> None:
    """``training[c]`` spend and ``uplift[c]`` hours per rep channel; ``boost[t, c]`` per cell."""
    if model.settings.training is None or model.settings.training.max_uplift == 0:
        return
    channels = model.data.rep_channels()
    active = model.data.reps[model.data.reps["active"]]
    trained = [c for c in channels if (active["channel"] == c).any()]
    if not trained:
        return
    model.add_variables("training", [(c,) for c in trained], 0)
    model.add_variables("uplift", [(c,) for c in trained], 0)
    effort = model.family("effort")
    cells = [key for key in effort if key[1] in trained]
    model.add_variables("boost", cells, 0)


def define_partners(model: AllocationModel) -> None:
    """``activate[p]`` and ``volume[p, t]`` on the partner's coverage lanes."""
    lanes = model.data.lanes
    if lanes.empty:
        return
    partners = sorted(set(lanes["partner"]))
    model.add_variables("activate", [(p,) for p in partners], 0, 1, pulp.LpBinary)
    keys = _keys(lanes["partner"].to_numpy(), lanes["territory"].to_numpy())
    model.add_variables("volume", keys, 0, [float(b) for b in lanes["bound"]])


def define_incentives(model: AllocationModel) -> None:
    """``channel_revenue[c]`` for every channel; ``incentive[c]`` where a cost curve is given."""
    channels = sorted({key[1] for key in model.family("revenue")})
    model.add_variables("channel_revenue", [(c,) for c in channels], 0)
    curves = model.data.curves
    model.add_variables("incentive", [(c,) for c in channels if c in curves], 0)


def define_shortfall(model: AllocationModel) -> None:
    """``shortfall[t]`` of demanded calls where coverage is soft."""
    if model.settings.coverage.mode != "soft":
        return
    territories = model.data.territories
    demanded = territories[territories["calls"] > 0]
    model.add_variables(
        "shortfall", [(str(t),) for t in demanded.index], 0, [float(v) for v in demanded["calls"]]
    )


def define_overload(model: AllocationModel) -> None:
    """``overload[t]`` where calls are demanded, for the workload secondary goal."""
    secondary = model.settings.secondary
    if secondary is None or secondary.goal != "workload":
        return
    territories = model.data.territories
    demanded = territories[territories["calls"] > 0]
    model.add_variables("overload", [(str(t),) for t in demanded.index], 0)
