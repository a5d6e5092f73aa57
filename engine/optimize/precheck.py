"""Cheap checks before solving: obvious infeasibilities, named with numbers and entities.

Each returns :class:`Finding` records; ``severity="infeasible"`` means the model cannot be feasible
as stated (the solve goes straight to the elastic re-solve), ``"warning"`` that something will fall
short (e.g. calls that soft coverage will leave unserved).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.optimize.prepare import _PARTNER_KINDS, ModelData, at
from engine.optimize.settings import OptimizeSettings
from engine.rules.risk_directives import MinReps

__all__ = ["Finding", "precheck"]


@dataclass(frozen=True)
class Finding:
    """One pre-check result."""

    check: str
    severity: str  # "infeasible" or "warning"
    message: str
    entities: tuple[str, ...] = ()


def _capacity(data: ModelData, settings: OptimizeSettings) -> list[Finding]:
    demanded = float(data.territories["calls"].sum())
    if demanded <= 0 or settings.coverage.mode == "off":
        return []
    channels = data.channels
    per_call = channels["hours_per_call"]
    reps = data.reps
    rate = per_call.reindex(reps["channel"]).to_numpy(float)
    calls = float((reps["capacity_hours"].to_numpy(float) / rate).sum()) if len(reps) else 0.0
    hiring = data.budgets.get("hiring", data.budgets.get("total", math.inf))
    extra = 0.0  # the most calls new hires can add: the best channel takes the whole budget
    for channel in data.rep_channels():
        cost = float(at(channels)[channel, "hire_cost"] or 0)
        hours = float(at(channels)[channel, "hire_capacity_hours"] or 0)
        if hours > 0 and per_call[channel] > 0:
            heads = settings.max_hires.get(
                channel, len(data.territories) * settings.max_hires_per_territory
            )
            if cost > 0 and math.isfinite(hiring):
                heads = min(heads, int(hiring // cost))
            extra = max(extra, heads * hours / float(per_call[channel]))
    calls += extra
    if settings.training is not None:  # training can add at most max_uplift of the hours
        calls *= 1.0 + settings.training.max_uplift
    if calls >= demanded:
        return []
    severity = "infeasible" if settings.coverage.mode == "hard" else "warning"
    return [
        Finding(
            "rep_capacity",
            severity,
            f"the reps (and hires the budget allows) can make at most {calls:,.0f} calls; "
            f"the tiers demand {demanded:,.0f}",
        )
    ]


def _unreachable(data: ModelData, settings: OptimizeSettings) -> list[Finding]:
    out: list[Finding] = []
    reps = data.reps
    placed = set(data.candidates["rep"])
    lost = sorted(r for r in reps.index[reps["active"]] if r not in placed)
    if lost:
        out.append(
            Finding(
                "rep_candidates",
                "infeasible",
                f"{len(lost)} active rep(s) have no territory they may work in "
                "(every candidate excluded)",
                tuple(lost),
            )
        )
    if settings.coverage.mode == "hard":
        reachable = set(data.candidates["territory"])
        if settings.max_hires_per_territory > 0:
            reachable |= set(data.cells["territory"])
        needy = data.territories.index[data.territories["calls"] > 0]
        bare = sorted(str(t) for t in needy if t not in reachable)
        if bare:
            out.append(
                Finding(
                    "coverage_reach",
                    "infeasible",
                    f"{len(bare)} territories demand calls but no rep can reach them",
                    tuple(bare),
                )
            )
    for d in data.directives:
        if isinstance(d, MinReps):
            heads = int((data.candidates["territory"] == d.entity_id).sum())
            cells = data.cells
            hirable = cells[
                (cells["territory"] == d.entity_id) & cells["channel"].isin(data.rep_channels())
            ]
            heads += settings.max_hires_per_territory * len(hirable)
            if heads < d.min_reps:
                out.append(
                    Finding(
                        "min_reps",
                        "infeasible",
                        f"territory {d.entity_id} needs {d.min_reps} reps, at most "
                        f"{heads} can be placed there",
                        (d.entity_id,),
                    )
                )
    return out


def _money(data: ModelData, settings: OptimizeSettings) -> list[Finding]:
    out: list[Finding] = []
    floor = sum(curve.cost(0.0, exact=False) for curve in data.curves.values())
    for category in ("incentives", "total"):
        budget = data.budgets.get(category)
        if budget is not None and floor > budget + 1e-6:
            out.append(
                Finding(
                    "fixed_commitments",
                    "infeasible",
                    f"incentive plans cost {floor:,.0f} even at zero revenue; the "
                    f"{category} budget is {budget:,.0f}",
                    (category,),
                )
            )
    target = settings.revenue_target
    if target is not None:
        cells = data.cells
        caps = cells["potential"] * cells["max_share"]
        partner = cells["kind"].isin(_PARTNER_KINDS).to_numpy()
        own = float(caps[~partner].sum())
        partners = float(data.partners["capacity"].sum())
        reachable = own + min(partners, float(caps[partner].sum()))
        if target > reachable:
            out.append(
                Finding(
                    "revenue_target",
                    "infeasible",
                    f"the revenue target {target:,.0f} exceeds what the network can "
                    f"win: {own:,.0f} by own channels + {reachable - own:,.0f} "
                    f"by the {len(data.partners)} available partners",
                )
            )
    return out


def precheck(data: ModelData, settings: OptimizeSettings) -> list[Finding]:
    """Every cheap check, in a stable order."""
    return [*_unreachable(data, settings), *_capacity(data, settings), *_money(data, settings)]
