"""Plans side by side: KPIs with deltas against the first, key allocations, inputs that differ.

Each plan is a column labelled with its name (or a label of the caller's); a label that repeats an
earlier one — the same scenario from two runs, before and after — gets ``#2``, ``#3``, …
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from engine.data.dataset import Dataset
from engine.plan.model import Plan
from engine.scenario import ResolvedScenario

__all__ = ["Comparison", "compare", "unique_labels"]

#: The tables' own columns: a plan label may not take one of them.
_TABLE_COLUMNS = ("kpi", "what", "by", "input")


@dataclass(frozen=True)
class Comparison:
    """``names``: each plan's column label, in order. ``kpis``: one row per KPI, a column per
    plan, then ``Δ <plan>`` and ``Δ% <plan>`` columns against the first plan. ``allocations``:
    headcount by region, revenue by channel, budget spent by category. ``inputs``: one row per
    input that differs between the scenarios."""

    names: tuple[str, ...]
    kpis: pd.DataFrame
    allocations: pd.DataFrame
    inputs: pd.DataFrame


def unique_labels(names: Sequence[str]) -> list[str]:
    """``names`` made distinct, in order: a name that repeats an earlier label or would clash
    with a column of the tables (kpi, what, by, input, ``Δ <label>``, ``Δ% <label>``) becomes
    ``name#2``, ``name#3``, …"""
    taken = set(_TABLE_COLUMNS)
    labels = []
    for name in names:
        label, copy = name, 1
        while {label, f"Δ {label}", f"Δ% {label}"} & taken:
            copy += 1
            label = f"{name}#{copy}"
        taken |= {label, f"Δ {label}", f"Δ% {label}"}
        labels.append(label)
    return labels


def _kpis(plans: Sequence[Plan], names: Sequence[str]) -> pd.DataFrame:
    keys = sorted({key for plan in plans for key in plan.kpis})  # as plan.json has them
    frame = pd.DataFrame(
        {
            name: [plan.kpis.get(key) for key in keys]
            for name, plan in zip(names, plans, strict=True)
        },
        index=pd.Index(keys, name="kpi"),
    ).astype("float64")
    base = frame[names[0]]
    for name in names[1:]:
        frame[f"Δ {name}"] = frame[name] - base
        frame[f"Δ% {name}"] = (frame[name] - base) / base.abs().where(base != 0) * 100
    status = pd.DataFrame([[plan.status for plan in plans]], columns=list(names), index=["status"])
    return pd.concat([status.astype(object), frame.astype(object)]).reset_index(names="kpi")


def _allocation_rows(plan: Plan, regions: Mapping[str, str]) -> dict[tuple[str, str], float]:
    rows: dict[tuple[str, str], float] = {}
    if "assignments" in plan.tables:
        placed = plan.table("assignments")["territory"].map(regions).value_counts()
        for region, count in placed.items():
            rows[("reps placed", str(region))] = float(count)
    if "hires" in plan.tables:
        hires = plan.table("hires")
        for region, count in hires.groupby(hires["territory"].map(regions))["hires"].sum().items():
            rows[("new hires", str(region))] = float(count)
    if "revenue" in plan.tables:
        for channel, value in plan.table("revenue").groupby("channel")["revenue"].sum().items():
            rows[("revenue", str(channel))] = float(value)
    if "budgets" in plan.tables:
        for category, spent in plan.table("budgets").set_index("category")["spent"].items():
            rows[("budget spent", str(category))] = float(spent)
    return rows


def _allocations(
    plans: Sequence[Plan], names: Sequence[str], regions: Mapping[str, str]
) -> pd.DataFrame:
    columns = {
        name: _allocation_rows(plan, regions) for name, plan in zip(names, plans, strict=True)
    }
    keys = sorted({key for rows in columns.values() for key in rows})
    frame = pd.DataFrame(
        {name: [rows.get(key, 0.0) for key in keys] for name, rows in columns.items()},
        index=pd.MultiIndex.from_tuples(keys, names=["what", "by"]) if keys else None,
    )
    return frame.reset_index()


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for key in sorted(value):
            _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], out)
    else:
        out[prefix] = json.dumps(value, sort_keys=True, default=str)


def _describe(resolved: ResolvedScenario) -> dict[str, str]:
    spec = resolved.spec
    described: dict[str, str] = {}
    _flatten("optimize", spec.optimize.model_dump(mode="json"), described)
    _flatten("rules", dict(resolved.rule_hashes), described)
    _flatten("incentive_plans", spec.rules.incentive_plans, described)
    described["as_of"] = str(spec.as_of)
    described["dataset"] = resolved.dataset.content_hash[:12]
    for index, (_, _, override) in enumerate(spec.overrides):
        described[f"overrides[{index}]"] = json.dumps(
            override.model_dump(mode="json", exclude_defaults=True), sort_keys=True
        )
    return described


def _inputs(scenarios: Sequence[ResolvedScenario], names: Sequence[str]) -> pd.DataFrame:
    described = [_describe(item) for item in scenarios]
    keys = sorted({key for item in described for key in item})
    rows = [
        [key, *[item.get(key, "") for item in described]]
        for key in keys
        if len({item.get(key, "") for item in described}) > 1
    ]
    return pd.DataFrame(rows, columns=["input", *names])


def compare(
    plans: Sequence[Plan],
    *,
    dataset: Dataset | None = None,
    scenarios: Sequence[ResolvedScenario] = (),
    labels: Sequence[str] | None = None,
) -> Comparison:
    """Compare ``plans`` (the first is the reference for deltas).

    ``dataset`` gives territory → region for the allocation table (default: the first scenario's
    dataset); ``scenarios`` (same order as ``plans``) tell which inputs differ. ``labels`` (same
    order) head the plans' columns, by default the plans' names; repeats are told apart by
    :func:`unique_labels` (``baseline``, ``baseline#2``), so a plan can be compared with another
    run of the same scenario.
    """
    if not plans:
        raise ValueError("compare() needs at least one plan")
    if labels is not None and len(labels) != len(plans):
        raise ValueError(f"compare() got {len(labels)} labels for {len(plans)} plans")
    if scenarios and len(scenarios) != len(plans):
        raise ValueError(f"compare() got {len(scenarios)} scenarios for {len(plans)} plans")
    names = unique_labels([plan.name for plan in plans] if labels is None else labels)
    dataset = dataset or (scenarios[0].dataset if scenarios else None)
    regions: Mapping[str, str] = {}
    if dataset is not None:
        territories = dataset.territories
        regions = dict(zip(territories["id"], territories["region"], strict=True))
    inputs = _inputs(scenarios, names) if scenarios else pd.DataFrame(columns=["input", *names])
    kpis, allocations = _kpis(plans, names), _allocations(plans, names, regions)
    return Comparison(tuple(names), kpis, allocations, inputs)
