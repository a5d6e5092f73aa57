"""The allocation optimizer: reps, budget and partners across channels and territories.

Typical use::

    from engine.network import Network
    from engine.optimize import OptimizeSettings, planning_inputs, solve
    plan = solve(planning_inputs(Network.from_dataset(dataset), tiers, curves, directives))

Layout by pipeline stage: :mod:`~engine.optimize.inputs` (typed inputs), :mod:`~.prepare`
(derived tables), :mod:`~.variables`, :mod:`~.constraints` (one builder per family),
:mod:`~.objective`, :mod:`~.model` (the orchestrator), :mod:`~.heuristic` (MIP start),
:mod:`~.run` (solve → Plan), :mod:`~.check` (an independent checker of plans).
"""

from engine.optimize.check import check_plan
from engine.optimize.inputs import CostCurve, PlanningInputs, planning_inputs, tier_table
from engine.optimize.model import build_model
from engine.optimize.run import solve
from engine.optimize.settings import (
    CoverageSettings,
    OptimizeSettings,
    SecondaryGoal,
    TrainingSettings,
)

__all__ = [
    "CostCurve",
    "CoverageSettings",
    "OptimizeSettings",
    "PlanningInputs",
    "SecondaryGoal",
    "TrainingSettings",
    "build_model",
    "check_plan",
    "planning_inputs",
    "solve",
    "tier_table",
]
