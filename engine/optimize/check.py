"""An independent checker: re-derive from a plan's tables and the inputs that every rule holds.

It does not use the model code: demanded calls, eligible potential, candidate territories and
response bounds are recomputed here from the dataset, the tier table and the directives. Returns
the violations found (an empty list means the plan is consistent). Numbers in the plan are rounded
to cents, so comparisons allow a small tolerance.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from engine.optimize.inputs import PlanningInputs
from engine.optimize.prepare import at, records
from engine.optimize.settings import OptimizeSettings
from engine.plan.model import Plan
from engine.rules.risk_directives import (
    CreditExposure,
    Exclude,
    HhiCeiling,
    MaxPartnerShare,
    MinReps,
)

__all__ = ["check_plan"]


def _over(value: float, limit: float, rel: float = 1e-6, abs_: float = 0.05) -> bool:
    return value > limit + abs_ + rel * abs(limit)


def _eligible_potential(
    inputs: PlanningInputs, held: dict[str, list[tuple[frozenset[str], float]]]
) -> dict[tuple[str, str], float]:
    """Per (territory, channel): the potential of the accounts whose tiers allow its kind (all of
    it where the territory has no accounts)."""
    dataset = inputs.network.dataset
    kinds = dataset.channels.set_index("id")["kind"].astype(str)
    out = {}
    for territory, potential in zip(
        dataset.territories["id"].astype(str), dataset.territories["potential"], strict=True
    ):
        for channel, kind in kinds.items():
            groups = held.get(territory)
            value = float(potential) if groups is None else sum(p for k, p in groups if kind in k)
            out[territory, str(channel)] = value
    return out


def _open_potential(
    inputs: PlanningInputs, held: dict[str, list[tuple[frozenset[str], float]]]
) -> dict[str, float]:
    """Per territory: its potential less the share of the accounts avoided."""
    dataset = inputs.network.dataset
    return {
        territory: float(potential) if territory not in held else sum(p for _, p in held[territory])
        for territory, potential in zip(
            dataset.territories["id"].astype(str), dataset.territories["potential"], strict=True
        )
    }


def _held_by_kinds(inputs: PlanningInputs) -> dict[str, list[tuple[frozenset[str], float]]]:
    """Per territory: (the channel kinds a group of accounts may buy through, the potential they
    hold), avoided accounts' potential held by none."""
    dataset = inputs.network.dataset
    accounts = dataset.accounts
    tiers = inputs.tiers.set_index("account")
    excluded = {d.entity_id for d in inputs.directives
                if isinstance(d, Exclude) and d.entity_kind == "account"}  # fmt: skip
    revenue: dict[str, float] = defaultdict(float)
    count: dict[str, float] = defaultdict(float)
    for territory, value in zip(accounts["territory"], accounts["revenue_12m"], strict=True):
        revenue[str(territory)] += float(value)
        count[str(territory)] += 1.0
    potential = dict(
        zip(dataset.territories["id"].astype(str), dataset.territories["potential"], strict=True)
    )
    held: dict[str, dict[frozenset[str], float]] = defaultdict(lambda: defaultdict(float))
    for account, territory, value in zip(
        accounts["id"], accounts["territory"], accounts["revenue_12m"], strict=True
    ):
        t = str(territory)
        if str(account) in excluded:
            continue
        share = float(value) / revenue[t] if revenue[t] > 0 else 1.0 / count[t]
        kinds = frozenset(at(tiers)[str(account), "eligible_channels"])
        held[t][kinds] += share * float(potential[t])
    return {t: list(groups.items()) for t, groups in held.items()}


def _call_groups(inputs: PlanningInputs) -> dict[str, dict[frozenset[str], float]]:
    """Per territory: calls demanded per set of rep kinds the account's tier allows."""
    accounts = inputs.network.dataset.accounts
    tiers = inputs.tiers.set_index("account")
    eligible = tiers.get("eligible_channels")
    demand = tiers["calls_per_quarter"].astype(float).to_dict()
    kinds = ("account", "territory")
    excluded = {d.entity_id for d in inputs.directives
                if isinstance(d, Exclude) and d.entity_kind in kinds}  # fmt: skip
    out: dict[str, dict[frozenset[str], float]] = defaultdict(lambda: defaultdict(float))
    for account, territory in zip(accounts["id"].astype(str), accounts["territory"], strict=True):
        if account in excluded or str(territory) in excluded or account not in tiers.index:
            continue
        calls = demand[account]
        if calls > 0:
            allowed = None if eligible is None else eligible.get(account)
            key = frozenset(allowed) if isinstance(allowed, tuple | list) else frozenset({"*"})
            out[str(territory)][key] += calls
    return out


def _least_shortfall(
    groups: dict[frozenset[str], float], capacity: dict[str, float], kinds: dict[str, str]
) -> float:
    """Σ calls − max flow from channel capacity to the groups it may serve, by the min-cut
    formula: max over channel sets C of calls only C may serve − capacity(C)."""
    present = sorted(c for c, v in capacity.items() if v > 0)
    worst = 0.0
    for size in range(len(present) + 1):
        for chosen in itertools.combinations(present, size):
            inside = set(chosen)
            calls = sum(
                v
                for allowed, v in groups.items()
                if {c for c in present if "*" in allowed or kinds[c] in allowed} <= inside
            )
            worst = max(worst, calls - sum(capacity[c] for c in chosen))
    return worst


def check_plan(plan: Plan, inputs: PlanningInputs, settings: OptimizeSettings) -> list[str]:
    """Every violated rule of ``plan`` as a sentence (empty when all hold)."""
    if not plan.has_solution:
        return []
    dataset = inputs.network.dataset
    problems: list[str] = []
    channels = dataset.channels.set_index("id")
    reps = dataset.reps.set_index("id")
    assignments = plan.table("assignments")
    hires = plan.table("hires")
    revenue = plan.table("revenue")
    partners = plan.table("partners")
    volumes = plan.table("partner_volumes")
    budgets = plan.table("budgets").set_index("category")

    # budgets: re-derive spend per category from the tables
    spend = {
        "marketing": float(revenue["marketing"].sum()),
        "hiring": float(sum(int(h) * float(at(channels)[c, "hire_cost"])
                            for c, h in zip(hires["channel"], hires["hires"], strict=True))),
        "incentives": float(plan.table("incentives")["modelled_cost"].sum()),
        "training": float(at(budgets)["training", "spent"]),
    }  # fmt: skip
    spend["total"] = sum(spend.values())
    for category, amount in zip(
        dataset.budgets["category"], dataset.budgets["amount"], strict=True
    ):
        if _over(spend[str(category)], float(amount)):
            problems.append(f"budget {category}: spent {spend[str(category)]:,.2f} > {amount:,.2f}")

    # reps: active placed exactly once, among the candidates, hours add up
    near = inputs.network.nearest(sorted(set(reps["home"].astype(str))), k=settings.candidates)
    allowed = set(zip(near["source"], near["target"], strict=True))
    excluded_t = {d.entity_id for d in inputs.directives
                  if isinstance(d, Exclude) and d.entity_kind == "territory"}  # fmt: skip
    hours: dict[tuple[str, str], float] = defaultdict(float)
    heads: dict[str, float] = defaultdict(float)
    row: Any
    for rep, territory in zip(assignments["rep"], assignments["territory"], strict=True):
        row = reps.loc[rep]
        if territory == "":
            if row["status"] == "active":
                problems.append(f"active rep {rep} is not placed")
            continue
        today = row["territory"] if isinstance(row["territory"], str) else row["home"]
        if (row["home"], territory) not in allowed and territory != today:
            problems.append(f"rep {rep} placed in {territory}, not a candidate territory")
        if territory in excluded_t:
            problems.append(f"rep {rep} placed in excluded territory {territory}")
        hours[territory, str(row["channel"])] += float(row["capacity_hours"])
        heads[territory] += 1
    if assignments["rep"].duplicated().any():
        problems.append("a rep appears twice in the assignments")
    for territory, channel, count in zip(
        hires["territory"], hires["channel"], hires["hires"], strict=True
    ):
        if count > settings.max_hires_per_territory:
            problems.append(f"{count} hires in {territory} × {channel} exceed the cap")
        hours[territory, channel] += count * float(at(channels)[channel, "hire_capacity_hours"])
        heads[territory] += count
    for name, limit in settings.max_hires.items():
        if hires.loc[hires["channel"] == name, "hires"].sum() > limit:
            problems.append(f"hires of {name} exceed the headcount cap {limit}")
    for territory, channel, planned in zip(
        revenue["territory"], revenue["channel"], revenue["rep_hours"], strict=True
    ):
        if abs(planned - hours.get((territory, channel), 0.0)) > 1e-3:
            problems.append(f"rep hours in {territory} × {channel} do not add up")

    # revenue: eligibility, share caps, potential, response bound
    held = _held_by_kinds(inputs)  # the one pass over the accounts
    eligible = _eligible_potential(inputs, held)
    potential = _open_potential(inputs, held)
    points = sorted(set(settings.response_points))
    per_territory: dict[str, float] = defaultdict(float)
    for row in records(revenue):
        key = (str(row.territory), str(row.channel))
        channel = channels.loc[row.channel]
        cap = eligible.get(key, 0.0) * float(channel["max_share"])
        per_territory[row.territory] += row.revenue
        if _over(row.revenue, cap, 1e-6):
            problems.append(f"revenue {key} {row.revenue:,.2f} above eligible cap {cap:,.2f}")
        if row.territory in excluded_t and row.revenue > 0.05:
            problems.append(f"revenue in excluded territory {row.territory}")
        if channel["kind"] in ("distributor", "agent") or cap <= 0:
            continue
        effort = 0.0
        if not math.isnan(channel["hours_scale"]) and channel["kind"] in ("direct_field", "inside"):
            effort += (row.rep_hours + row.training_hours) / channel["hours_scale"]
        if not math.isnan(channel["marketing_scale"]):
            effort += row.marketing / channel["marketing_scale"]
        y = effort * 1e6 / eligible[key]
        bound = min(cap * (1 - math.exp(-p) * (1 + p - y)) for p in points)
        if _over(row.revenue, bound, 1e-5):
            problems.append(f"revenue {key} {row.revenue:,.2f} above its response {bound:,.2f}")
    for territory, total in per_territory.items():
        if _over(total, float(potential[territory])):
            problems.append(f"revenue of {territory} above its potential")
    # a set of channels earns at most what the accounts that may buy through one of them hold
    earning: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in records(revenue):  # by channel kind: the bound depends on kinds only
        if row.revenue > 1e-6:
            kind_of = str(channels.loc[row.channel, "kind"])
            earning[str(row.territory)][kind_of] += float(row.revenue)
    for territory, by_kind in earning.items():
        if territory not in held:
            continue  # no accounts: the territory's potential is open to every channel
        for size in range(1, len(by_kind) + 1):
            for sold in itertools.combinations(sorted(by_kind), size):
                bound = sum(p for allowed, p in held[territory] if allowed & set(sold))
                if _over(sum(by_kind[k] for k in sold), bound, 1e-6):
                    problems.append(
                        f"revenue of {territory} through {', '.join(sold)} channels above the "
                        f"potential of the accounts whose tiers allow them ({bound:,.2f})"
                    )

    # coverage: the least shortfall with eligibility, by max-flow / min-cut over channel sets
    coverage = plan.table("coverage").set_index("territory")
    if settings.coverage.mode != "off":
        per_call = channels["hours_per_call"]
        capacity: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        training = revenue.set_index(["territory", "channel"])["training_hours"].to_dict()
        for (territory, channel), value in hours.items():
            if per_call[channel] > 0:
                extra = training.get((territory, channel), 0.0)
                capacity[territory][channel] += (value + extra) / per_call[channel]
        kinds = {str(c): str(k) for c, k in channels["kind"].items()}
        for territory, groups in _call_groups(inputs).items():
            calls = sum(groups.values())
            reported = territory in coverage.index
            short = float(at(coverage)[territory, "shortfall"]) if reported else calls
            if settings.coverage.mode == "hard":
                short = 0.0
            least = _least_shortfall(groups, capacity.get(territory, {}), kinds)
            if _over(least, short, 1e-6, 1e-3):
                problems.append(
                    f"coverage of {territory}: {calls:.1f} calls demanded, at least {least:.1f} "
                    f"unserved with the reps placed, {short:.1f} reported"
                )

    # partners: coverage lanes, capacity, activation, per-lane bounds
    lanes = dataset.coverage
    lane_cap = {(str(p), str(t)): (np.inf if pd.isna(v) else float(v))
                for p, t, v in zip(lanes["partner"], lanes["territory"], lanes["max_volume"],
                                   strict=True)}  # fmt: skip
    active = dict(zip(partners["partner"], partners["active"], strict=True))
    totals: dict[str, float] = {
        str(p): float(v) for p, v in volumes.groupby("partner")["volume"].sum().items()
    }
    capacity_of = dataset.partners.set_index("id")["capacity"]
    for partner, territory, volume in zip(
        volumes["partner"], volumes["territory"], volumes["volume"], strict=True
    ):
        if (partner, territory) not in lane_cap:
            problems.append(f"partner {partner} carries volume in {territory} it does not cover")
        elif _over(volume, lane_cap[partner, territory]):
            problems.append(f"partner {partner} above its max volume in {territory}")
        if not active.get(partner, False):
            problems.append(f"inactive partner {partner} carries volume")
    for partner, total in totals.items():
        if _over(total, float(at(capacity_of)[partner])):
            problems.append(f"partner {partner} above capacity")
    problems += _directives(inputs, volumes, revenue, totals, heads)
    return problems


def _directives(
    inputs: PlanningInputs,
    volumes: pd.DataFrame,
    revenue: pd.DataFrame,
    totals: dict[str, float],
    heads: dict[str, float],
) -> list[str]:
    problems: list[str] = []
    by_territory = revenue.groupby("territory")["revenue"].sum().to_dict()
    by_channel = revenue.groupby("channel")["revenue"].sum().to_dict()
    grand = float(revenue["revenue"].sum())
    partner_channel = inputs.network.dataset.partners.set_index("id")["channel"].to_dict()
    for d in inputs.directives:
        if isinstance(d, Exclude):
            if d.entity_kind == "partner" and totals.get(d.entity_id, 0.0) > 0.05:
                problems.append(f"excluded partner {d.entity_id} carries volume")
            if d.entity_kind == "channel" and by_channel.get(d.entity_id, 0.0) > 0.05:
                problems.append(f"excluded channel {d.entity_id} earns revenue")
        elif isinstance(d, CreditExposure):
            if _over(totals.get(d.entity_id, 0.0), d.max_volume):
                problems.append(f"partner {d.entity_id} above its credit exposure")
        elif isinstance(d, MinReps):
            if heads.get(d.entity_id, 0.0) < d.min_reps:
                problems.append(f"territory {d.entity_id} has fewer than {d.min_reps} reps")
        elif isinstance(d, MaxPartnerShare):
            for row in records(volumes):
                in_scope = (d.entity_kind == "territory" and row.territory == d.entity_id) or (
                    d.entity_kind == "partner" and d.scope != "total" and row.partner == d.entity_id
                )
                limit = d.max_share * by_territory.get(row.territory, 0.0)
                if in_scope and _over(row.volume, limit):
                    problems.append(f"partner {row.partner} share of {row.territory} too high")
            total_scope = d.entity_kind == "partner" and d.scope == "total"
            if total_scope and _over(totals.get(d.entity_id, 0.0), d.max_share * grand):
                problems.append(f"partner {d.entity_id} share of the total too high")
            if d.entity_kind == "channel":
                for partner, total in totals.items():
                    if partner_channel[partner] == d.entity_id and _over(
                        total, d.max_share * by_channel.get(d.entity_id, 0.0)
                    ):
                        problems.append(f"partner {partner} share of {d.entity_id} too high")
        elif isinstance(d, HhiCeiling):
            if d.entity_kind == "territory":
                scope = volumes[volumes["territory"] == d.entity_id].groupby("partner")["volume"]
            else:
                mine = volumes["partner"].map(partner_channel) == d.entity_id
                scope = volumes[mine].groupby("partner")["volume"]
            shares = scope.sum()
            if shares.sum() > 0:
                hhi = float(((shares / shares.sum()) ** 2).sum())
                if hhi > d.max_hhi + 1e-6:
                    problems.append(f"HHI of {d.entity_kind} {d.entity_id} is {hhi:.4f}")
    return problems
