"""The Plan: immutable result of an allocation solve, its tables, explanation and writers."""

from engine.plan.model import (
    Binding,
    Explanation,
    Plan,
    PrecheckFinding,
    Provenance,
    Relaxation,
    SolverSummary,
    Table,
)

__all__ = [
    "Binding",
    "Explanation",
    "Plan",
    "PrecheckFinding",
    "Provenance",
    "Relaxation",
    "SolverSummary",
    "Table",
]
