"""salesnet: a decision engine for sales network planning.

The public surface is re-exported here; everything else is internal.
"""

from __future__ import annotations

from engine.errors import DataError, DataIssue, RuleError, SalesnetError, ScenarioError, SolveError

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "DataIssue",
    "RuleError",
    "SalesnetError",
    "ScenarioError",
    "SolveError",
    "__version__",
]
