"""salesnet: a decision engine for sales network planning.

The public surface, importable from ``engine``::

    import engine
    (scenario,) = engine.resolve(engine.load_scenario("scenarios/baseline.yaml"))
    plan = engine.solve(scenario)                      # a frozen Plan: kpis, tables, explanation
    plan.table("assignments")                          # a pandas DataFrame
    engine.compare([plan, other]).kpis                 # side by side with deltas
    engine.run_batch(["scenarios/marketing-sweep.yaml"], "out/sweep", workers=2)

Everything is imported on first use, so ``import engine`` stays fast for the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from engine.errors import DataError, DataIssue, RuleError, SalesnetError, ScenarioError, SolveError

__version__ = "0.1.0"

_LAZY = {
    "load_dataset": ("engine.data", "load_dataset"),
    "dataset_from_frames": ("engine.data", "dataset_from_frames"),
    "load_demo": ("engine.demo", "load_demo"),
    "Network": ("engine.network", "Network"),
    "load_rules": ("engine.rules", "load_rules"),
    "evaluate": ("engine.rules", "evaluate"),
    "load_scenario": ("engine.scenario", "load_scenario"),
    "resolve": ("engine.scenario.resolve", "resolve"),
    "resolve_file": ("engine.scenario.resolve", "resolve_file"),
    "solve": ("engine.pipeline", "solve_scenario"),
    "plan_scenario": ("engine.pipeline", "plan_scenario"),
    "write_outputs": ("engine.pipeline", "write_outputs"),
    "compare": ("engine.comparison", "compare"),
    "run_batch": ("engine.pipeline", "run_scenarios"),
    "Plan": ("engine.plan", "Plan"),
}

if TYPE_CHECKING:
    from engine.comparison import compare
    from engine.data import dataset_from_frames, load_dataset
    from engine.demo import load_demo
    from engine.network import Network
    from engine.pipeline import plan_scenario, write_outputs
    from engine.pipeline import run_scenarios as run_batch
    from engine.pipeline import solve_scenario as solve
    from engine.plan import Plan
    from engine.rules import evaluate, load_rules
    from engine.scenario.load import load_scenario
    from engine.scenario.resolve import resolve, resolve_file


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


__all__ = [
    "DataError",
    "DataIssue",
    "Network",
    "Plan",
    "RuleError",
    "SalesnetError",
    "ScenarioError",
    "SolveError",
    "__version__",
    "compare",
    "dataset_from_frames",
    "evaluate",
    "load_dataset",
    "load_demo",
    "load_rules",
    "load_scenario",
    "plan_scenario",
    "resolve",
    "resolve_file",
    "run_batch",
    "solve",
    "write_outputs",
]
