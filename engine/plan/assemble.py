"""Read a solved :class:`~engine.optimize.registry.AllocationModel` into the Plan's KPIs and tables.

Everything is read through the registry (family → key tuple → variable); rows are sorted by their
keys and numbers rounded (money to cents, others to 6 decimals) so the plan JSON is deterministic.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pulp

from engine.optimize.constraints.coverage import fair_share_ratio
from engine.optimize.objective import COST_COMPONENTS
from engine.optimize.prepare import at
from engine.optimize.registry import AllocationModel
from engine.plan.model import Cell, Table

__all__ = ["kpis", "tables"]


def _v(variable: pulp.LpVariable | None) -> float:
    return 0.0 if variable is None else float(variable.varValue or 0.0)


def money(value: float) -> float:
    """Round to cents (and drop the sign of zero)."""
    out = round(float(value), 2)
    return 0.0 if out == 0 else out


def num(value: float) -> float:
    """Round to 6 decimals (and drop the sign of zero)."""
    out = round(float(value), 6)
    return 0.0 if out == 0 else out


def _table(columns: Sequence[str], rows: list[tuple[Cell, ...]]) -> Table:
    return Table(columns=tuple(columns), rows=tuple(sorted(rows, key=lambda r: tuple(map(str, r)))))


def component_costs(model: AllocationModel) -> dict[str, float]:
    """Each cost component at the solution (money)."""
    out = {}
    for component in COST_COMPONENTS:
        terms = model.costs.get(component, [])
        out[component] = sum(c * _v(v) for v, c in terms) + model.fixed_costs.get(component, 0.0)
    return out


def _cell_hours(model: AllocationModel) -> dict[tuple[str, str], float]:
    reps = model.data.reps
    hours: dict[tuple[str, str], float] = defaultdict(float)
    for (rep, territory), variable in model.family("assign").items():
        hours[territory, str(at(reps)[rep, "channel"])] += _v(variable) * float(
            at(reps)[rep, "capacity_hours"]
        )
    channels = model.data.channels
    for (territory, channel), variable in model.family("hire").items():
        hours[territory, channel] += _v(variable) * float(
            at(channels)[channel, "hire_capacity_hours"]
        )
    return hours


def _assignments(model: AllocationModel) -> Table:
    reps = model.data.reps
    candidates = model.data.candidates.set_index(["rep", "territory"])
    per_unit = model.settings.move_cost_per_unit
    placed: dict[str, str] = {}
    for (rep, where), variable in model.family("assign").items():
        if _v(variable) > 0.5:
            placed[rep] = where
    rows: list[tuple[Cell, ...]] = []
    row: Any
    for rep in reps.index:
        row = reps.loc[rep]
        territory: str | None = placed.get(rep)
        moved = territory is not None and territory != row["today"]
        distance = float(at(candidates)[(rep, territory), "distance"]) if territory else 0.0
        cost = per_unit * distance if moved and row["active"] else 0.0
        rows.append(
            (
                str(rep),
                str(row["channel"]),
                "active" if row["active"] else "open",
                str(row["home"]),
                str(row["today"]),
                territory or "",
                bool(moved),
                num(distance if moved else 0.0),
                money(cost),
                num(float(row["capacity_hours"]) if territory else 0.0),
            )
        )
    return _table(
        (
            "rep",
            "channel",
            "status",
            "home",
            "today",
            "territory",
            "moved",
            "distance",
            "move_cost",
            "hours",
        ),
        rows,
    )


def _revenue(model: AllocationModel, hours: dict[Any, float]) -> Table:
    cells = model.data.cells.set_index(["territory", "channel"])
    channels = model.data.channels
    boost, marketing = model.family("boost"), model.family("marketing")
    rows: list[tuple[Cell, ...]] = []
    for key, variable in model.family("revenue").items():
        revenue = _v(variable)
        effort = hours.get(key, 0.0) + _v(boost.get(key)) + _v(marketing.get(key))
        if revenue <= 1e-6 and effort <= 1e-6:
            continue
        margin = float(at(channels)[key[1], "margin"]) * revenue
        serve = float(at(channels)[key[1], "cost_to_serve"]) * revenue
        potential = float(at(cells)[key, "potential"])
        rows.append(
            (
                key[0],
                key[1],
                money(potential),
                money(potential * float(at(cells)[key, "max_share"])),
                money(revenue),
                money(margin),
                money(serve),
                money(margin - serve),
                num(hours.get(key, 0.0)),
                num(_v(boost.get(key))),
                money(_v(marketing.get(key))),
            )
        )
    return _table(
        (
            "territory",
            "channel",
            "eligible_potential",
            "revenue_cap",
            "revenue",
            "gross_margin",
            "cost_to_serve",
            "contribution",
            "rep_hours",
            "training_hours",
            "marketing",
        ),
        rows,
    )


def _least_unserved(calls: dict[str, float], capacity: dict[str, float], kinds: Any) -> float:
    """Calls left unserved when each channel makes only calls its tiers allow: by max-flow /
    min-cut, the largest (calls only the channels in C may make − their capacity) over sets C."""
    present = sorted(c for c, v in capacity.items() if v > 0)
    allowed = {g: frozenset(c for c in present if str(kinds[c]) in g.split("|")) for g in calls}
    worst = 0.0
    for size in range(len(present) + 1):
        for chosen in itertools.combinations(present, size):
            need = sum(v for g, v in calls.items() if allowed[g] <= set(chosen))
            worst = max(worst, need - sum(capacity[c] for c in chosen))
    return worst


def _coverage(model: AllocationModel, hours: dict[Any, float]) -> Table:
    per_call = model.data.channels["hours_per_call"]
    kinds = model.data.channels["kind"]
    boost = model.family("boost")
    capacity: dict[str, dict[str, float]] = defaultdict(dict)
    place: Any
    for (place, channel), value in hours.items():
        rate = float(per_call.get(channel, float("nan")))
        if rate > 0:
            capacity[place][channel] = (value + _v(boost.get((place, channel)))) / rate
    groups: dict[str, dict[str, float]] = defaultdict(dict)
    for place, kind_set, calls in model.data.call_groups.itertuples(index=False):
        groups[str(place)][str(kind_set)] = float(calls)
    territories = model.data.territories
    rows: list[tuple[Cell, ...]] = []
    for territory, demanded in territories["calls"].items():
        mine = capacity.get(str(territory), {})
        total = sum(mine.values())
        if demanded <= 0 and total <= 0:
            continue
        short = _least_unserved(groups.get(str(territory), {}), mine, kinds)
        rows.append(
            (
                str(territory),
                num(demanded),
                num(total),
                num(short),
                num(1.0 - short / float(demanded) if demanded > 0 else 1.0),
            )
        )
    return _table(("territory", "calls_demanded", "call_capacity", "shortfall", "covered"), rows)


def _partners(model: AllocationModel) -> tuple[Table, Table]:
    partners = model.data.partners
    activate = model.family("activate")
    volume: dict[str, float] = defaultdict(float)
    lanes: list[tuple[Cell, ...]] = []
    channel_of = partners["channel"]
    for (partner, territory), variable in model.family("volume").items():
        value = _v(variable)
        volume[partner] += value
        if value > 1e-6:
            lanes.append((partner, territory, str(channel_of[partner]), money(value)))
    rows: list[tuple[Cell, ...]] = []
    for partner in partners.index:
        active = _v(activate.get((str(partner),))) > 0.5
        capacity = float(at(partners)[partner, "capacity"])
        rows.append(
            (
                str(partner),
                str(channel_of[partner]),
                active,
                money(float(at(partners)[partner, "fixed_cost"]) if active else 0.0),
                money(capacity),
                money(volume[partner]),
                num(volume[partner] / capacity if capacity > 0 else 0.0),
            )
        )
    return (
        _table(
            ("partner", "channel", "active", "fixed_cost", "capacity", "volume", "utilisation"),
            rows,
        ),
        _table(("partner", "territory", "channel", "volume"), lanes),
    )


def _hires(model: AllocationModel) -> Table:
    channels = model.data.channels
    rows: list[tuple[Cell, ...]] = []
    for (territory, channel), variable in model.family("hire").items():
        heads = round(_v(variable))
        if heads > 0:
            rows.append(
                (
                    territory,
                    channel,
                    int(heads),
                    num(heads * float(at(channels)[channel, "hire_capacity_hours"])),
                    money(heads * float(at(channels)[channel, "hire_cost"])),
                )
            )
    return _table(("territory", "channel", "hires", "hours", "cost"), rows)


def _budgets(model: AllocationModel, costs: dict[str, float]) -> Table:
    spent = {"marketing": costs["marketing"], "incentives": costs["incentives"],
             "training": costs["training"], "hiring": costs["hiring"]}  # fmt: skip
    spent["total"] = sum(spent.values())
    rows: list[tuple[Cell, ...]] = []
    for category, amount in spent.items():
        budget = model.data.budgets.get(category)
        rows.append(
            (
                category,
                None if budget is None else money(budget),
                money(amount),
                None if budget is None else money(budget - amount),
            )
        )
    return _table(("category", "budget", "spent", "remaining"), rows)


def _incentives(model: AllocationModel) -> Table:
    totals = model.family("channel_revenue")
    incentive = model.family("incentive")
    rows: list[tuple[Cell, ...]] = []
    for channel, curve in sorted(model.data.curves.items()):
        revenue = _v(totals.get((channel,)))
        rows.append(
            (
                channel,
                curve.label,
                money(revenue),
                money(_v(incentive.get((channel,)))),
                money(curve.cost(revenue)),
                bool(curve.convex),
            )
        )
    return _table(("channel", "plan", "revenue", "modelled_cost", "exact_cost", "convex"), rows)


_RISK_COLUMNS = (
    "rule_id", "response", "entity_kind", "entity_id", "status", "why", "effect", "note",
)  # fmt: skip


def _risk(model: AllocationModel) -> Table:
    """Every response that fired — applied, superseded, recorded (accept) or skipped — with why
    (the rules' register); without one, the directives the plan applied."""
    register = model.data.risk_register
    rows: list[tuple[Cell, ...]] = []
    if register is not None:
        for record in register[list(_RISK_COLUMNS)].itertuples(index=False, name=None):
            rows.append(tuple("" if v is None else str(v) for v in record))
        return _table(_RISK_COLUMNS, rows)
    for d in model.data.directives:
        rows.append((d.rule_id, d.response, d.entity_kind, d.entity_id, "applied", "",
                     d.effect(), ""))  # fmt: skip
    return _table(_RISK_COLUMNS, rows)


def tables(model: AllocationModel) -> dict[str, Table]:
    """Every table of the plan."""
    hours = _cell_hours(model)
    partners, lanes = _partners(model)
    return {
        "assignments": _assignments(model),
        "hires": _hires(model),
        "budgets": _budgets(model, component_costs(model)),
        "partners": partners,
        "partner_volumes": lanes,
        "revenue": _revenue(model, hours),
        "coverage": _coverage(model, hours),
        "incentives": _incentives(model),
        "risk_register": _risk(model),
    }


def _imbalance(model: AllocationModel, coverage: Any) -> float:
    """Σ_t max(0, K·calls_t − call capacity_t): the workload goal's measure, for every plan."""
    if not len(coverage):
        return 0.0
    fair = fair_share_ratio(model) * coverage["calls_demanded"].to_numpy(dtype=float)
    return float((fair - coverage["call_capacity"].to_numpy(dtype=float)).clip(min=0.0).sum())


def kpis(model: AllocationModel, built: dict[str, Table]) -> dict[str, float]:
    """Headline numbers: revenue, margin, contribution and every cost, people, coverage."""
    costs = component_costs(model)
    revenue = sum(_v(v) for v, _ in model.revenue)
    margin = sum(c * _v(v) for v, c in model.margin)
    assignments = built["assignments"].frame()
    coverage = built["coverage"].frame()
    demanded = float(coverage["calls_demanded"].sum()) if len(coverage) else 0.0
    short = float(coverage["shortfall"].sum()) if len(coverage) else 0.0
    partners = built["partners"].frame()
    out = {
        "revenue": money(revenue),
        "gross_margin": money(margin),
        "contribution": money(margin - sum(costs.values())),
        **{f"cost_{name}": money(value) for name, value in costs.items()},
        "reps_placed": float((assignments["territory"] != "").sum()) if len(assignments) else 0.0,
        "reps_moved": float(assignments["moved"].sum()) if len(assignments) else 0.0,
        "hires": float(sum(r[2] for r in built["hires"].rows)),  # type: ignore[misc]
        "partners_active": float(partners["active"].sum()) if len(partners) else 0.0,
        "calls_demanded": num(demanded),
        "calls_unserved": num(short),
        "coverage": num(1.0 - short / demanded if demanded > 0 else 1.0),
        "workload_imbalance": num(_imbalance(model, coverage)),
    }
    return out
