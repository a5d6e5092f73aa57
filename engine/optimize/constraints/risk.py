"""Risk directives as constraints (``avoid`` is applied in :mod:`engine.optimize.prepare`,
``transfer`` in :mod:`engine.optimize.objective`).

* MaxPartnerShare — territory: volume[p, t] ≤ s · Σ_c revenue[t, c]; partner: the same on each of
  its lanes (scope ``total``: Σ_t volume[p, t] ≤ s · total revenue); channel: each partner's total
  ≤ s · channel revenue.
* CreditExposure — Σ_t volume[p, t] ≤ credit_limit / factor.
* MinReps — Σ_r assign[r, t] + Σ_c hire[t, c] ≥ min_reps.
* HhiCeiling — linearised conservatively: every partner's share of the partner revenue in scope ≤
  max_hhi, which implies Σ share² ≤ max share · Σ share ≤ max_hhi.
"""

from __future__ import annotations

from collections import defaultdict

import pulp

from engine.optimize.registry import AllocationModel
from engine.rules.risk_directives import CreditExposure, HhiCeiling, MaxPartnerShare, MinReps

__all__ = ["define_credit_exposure", "define_hhi", "define_min_reps", "define_partner_share"]

Terms = list[tuple[pulp.LpVariable, float]]


def _partner_volume(model: AllocationModel) -> dict[str, Terms]:
    out: dict[str, Terms] = defaultdict(list)
    for (partner, _), variable in model.family("volume").items():
        out[partner].append((variable, 1.0))
    return out


def _territory_revenue(model: AllocationModel) -> dict[str, Terms]:
    out: dict[str, Terms] = defaultdict(list)
    for (territory, _), variable in model.family("revenue").items():
        out[territory].append((variable, 1.0))
    return out


def _scaled(terms: Terms, factor: float) -> Terms:
    return [(v, -factor * c) for v, c in terms]


def define_partner_share(model: AllocationModel) -> None:
    """MaxPartnerShare directives."""
    directives = [d for d in model.data.directives if isinstance(d, MaxPartnerShare)]
    if not directives:
        return
    volume = model.family("volume")
    by_territory = _territory_revenue(model)
    by_partner = _partner_volume(model)
    totals = model.family("channel_revenue")
    partners = model.data.partners
    for d in directives:
        tag = (d.rule_id, d.entity_kind, d.entity_id)
        if d.entity_kind == "territory":
            lanes = [(p, t) for p, t in volume if t == d.entity_id]
        elif d.entity_kind == "partner" and d.scope != "total":
            lanes = [(p, t) for p, t in volume if p == d.entity_id]
        elif d.entity_kind == "partner":
            every = [(v, 1.0) for v in totals.values()]
            model.add_row(
                "partner_share",
                (*tag, "total"),
                [*by_partner[d.entity_id], *_scaled(every, d.max_share)],
                "<=",
                0.0,
            )
            continue
        else:  # channel
            channel_total = totals.get((d.entity_id,))
            for partner in partners.index[partners["channel"] == d.entity_id]:
                if channel_total is not None and by_partner.get(partner):
                    model.add_row(
                        "partner_share",
                        (*tag, str(partner)),
                        [*by_partner[partner], (channel_total, -d.max_share)],
                        "<=",
                        0.0,
                    )
            continue
        for partner, territory in lanes:
            model.add_row(
                "partner_share",
                (*tag, partner, territory),
                [(volume[partner, territory], 1.0), *_scaled(by_territory[territory], d.max_share)],
                "<=",
                0.0,
            )


def define_credit_exposure(model: AllocationModel) -> None:
    """CreditExposure directives: Σ_t volume[p, t] ≤ credit_limit / factor."""
    by_partner = _partner_volume(model)
    for d in model.data.directives:
        if isinstance(d, CreditExposure) and by_partner.get(d.entity_id):
            model.add_row(
                "credit_exposure",
                (d.rule_id, d.entity_id),
                by_partner[d.entity_id],
                "<=",
                d.max_volume,
            )


def define_min_reps(model: AllocationModel) -> None:
    """MinReps directives: reps assigned + hired in the territory ≥ min_reps."""
    directives = [d for d in model.data.directives if isinstance(d, MinReps)]
    if not directives:
        return
    heads: dict[str, Terms] = defaultdict(list)
    for (_, territory), variable in model.family("assign").items():
        heads[territory].append((variable, 1.0))
    for (territory, _), variable in model.family("hire").items():
        heads[territory].append((variable, 1.0))
    for d in directives:
        model.add_row(
            "min_reps",
            (d.rule_id, d.entity_id),
            heads.get(d.entity_id, []),
            ">=",
            float(d.min_reps),
        )


def define_hhi(model: AllocationModel) -> None:
    """HhiCeiling directives, conservatively linearised (see the module docstring)."""
    directives = [d for d in model.data.directives if isinstance(d, HhiCeiling)]
    if not directives:
        return
    volume = model.family("volume")
    by_partner = _partner_volume(model)
    partners = model.data.partners
    for d in directives:
        tag = (d.rule_id, d.entity_kind, d.entity_id)
        if d.entity_kind == "territory":
            lanes = [(p, t) for p, t in volume if t == d.entity_id]
            scope = [(volume[key], 1.0) for key in lanes]
            for partner, territory in lanes:
                model.add_row(
                    "hhi",
                    (*tag, partner),
                    [(volume[partner, territory], 1.0), *_scaled(scope, d.max_hhi)],
                    "<=",
                    0.0,
                )
        elif d.entity_kind == "channel":
            members = [str(p) for p in partners.index[partners["channel"] == d.entity_id]]
            scope = [term for p in members for term in by_partner.get(p, [])]
            for partner in members:
                if by_partner.get(partner):
                    model.add_row(
                        "hhi",
                        (*tag, partner),
                        [*by_partner[partner], *_scaled(scope, d.max_hhi)],
                        "<=",
                        0.0,
                    )
