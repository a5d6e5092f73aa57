"""Tiny hand-made networks for the optimizer tests (imported by the other test_optimize files)."""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd

from engine.data.dataset import dataset_from_frames
from engine.network import Network
from engine.optimize import OptimizeSettings
from engine.optimize.inputs import PlanningInputs, planning_inputs
from engine.solver import SolverSettings

CHANNEL_DEFAULTS: dict[str, Any] = {
    "name": "", "margin": 0.5, "cost_to_serve": 0.0, "hours_per_call": None, "max_share": 0.5,
    "hours_scale": None, "marketing_scale": None, "hire_cost": None, "hire_capacity_hours": None,
}  # fmt: skip


def network(
    territories: list[tuple[str, float, float]],
    channels: list[dict[str, Any]],
    reps: list[dict[str, Any]] | None = None,
    partners: list[dict[str, Any]] | None = None,
    coverage: list[tuple[str, str, float | None]] | None = None,
    budgets: dict[str, float] | None = None,
    accounts: list[dict[str, Any]] | None = None,
) -> Network:
    """A network on a line: territories (id, x, potential), borders between neighbours."""
    frames = {
        "territories": pd.DataFrame(
            [{"id": t, "region": "R", "potential": p, "x": x, "y": 0.0} for t, x, p in territories]
        ),
        "adjacency": pd.DataFrame(
            [{"a": a[0], "b": b[0]} for a, b in itertools.pairwise(territories)],
            columns=["a", "b"],
        ),
        "channels": pd.DataFrame([{**CHANNEL_DEFAULTS, **c} for c in channels]),
        "accounts": pd.DataFrame(accounts or [], columns=["id", "territory", "revenue_12m"])
        if not accounts
        else pd.DataFrame(accounts),
        "reps": pd.DataFrame(
            [{"cost": 0.0, "quota": 0.0, "status": "active", **r} for r in reps or []],
            columns=[
                "id",
                "channel",
                "home",
                "territory",
                "capacity_hours",
                "cost",
                "quota",
                "status",
            ],
        ),
        "budgets": pd.DataFrame(
            [{"category": k, "amount": v} for k, v in (budgets or {}).items()],
            columns=["category", "amount"],
        ),
    }
    if partners:
        frames["partners"] = pd.DataFrame([{"fixed_cost": 0.0, **p} for p in partners])
        frames["coverage"] = pd.DataFrame(
            [{"partner": p, "territory": t, "max_volume": v} for p, t, v in coverage or []],
            columns=["partner", "territory", "max_volume"],
        ).astype({"max_volume": float})
    return Network.from_dataset(dataset_from_frames(frames))


def settings(**changes: Any) -> OptimizeSettings:
    """Exact settings for tiny models: no training, coverage off, proven optimality."""
    base: dict[str, Any] = {
        "training": None,
        "coverage": {"mode": "off"},
        "heuristic": "off",
        "solver": SolverSettings(time_limit=30, mip_gap=1e-9, threads=1),
    }
    base.update(changes)
    return OptimizeSettings.model_validate(base)


def inputs(net: Network, **kwargs: Any) -> PlanningInputs:
    """Planning inputs with the given tiers / curves / directives."""
    return planning_inputs(net, **kwargs)
