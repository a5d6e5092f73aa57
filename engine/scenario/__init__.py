"""Scenarios: what-if files with extends, overrides and sweeps, resolved to hashed inputs."""

from engine.scenario.load import ScenarioSpec, load_scenario
from engine.scenario.model import Override, ScenarioFile, SweepParameter
from engine.scenario.resolve import ResolvedScenario, expand_sweep, resolve, resolve_file

__all__ = [
    "Override",
    "ResolvedScenario",
    "ScenarioFile",
    "ScenarioSpec",
    "SweepParameter",
    "expand_sweep",
    "load_scenario",
    "resolve",
    "resolve_file",
]
