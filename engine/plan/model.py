"""The Plan: an immutable, typed record of one allocation solve, with a deterministic JSON form.

Determinism: :meth:`Plan.to_json` gives byte-identical text for the same inputs and settings —
keys sorted, table rows sorted by their key columns, floats rounded (money to cents, other numbers
to 6 decimals). Timings (build / load / solve seconds, node counts) live in ``timings`` and are left
out of the default JSON (``include_timings=True`` adds them); a solve that stops at its time limit
may of course return a different incumbent on a busier machine.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

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

Cell = str | float | int | bool | None


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Table(_Frozen):
    """A table as column names and row tuples; :meth:`frame` gives a fresh DataFrame copy."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def frame(self) -> pd.DataFrame:
        """The table as a new DataFrame (changing it never changes the plan)."""
        return pd.DataFrame(list(self.rows), columns=list(self.columns))

    def __len__(self) -> int:
        return len(self.rows)


class Binding(_Frozen):
    """A constraint line with its slack and shadow price (from the LP with integers fixed)."""

    family: str
    key: tuple[str, ...]
    rhs: float
    activity: float
    slack: float
    shadow_price: float | None = Field(
        None, description="Objective change per unit more right-hand side."
    )
    range_low: float | None = Field(
        None, description="Lowest rhs at which the price holds (None: no limit, or unknown)."
    )
    range_high: float | None = Field(
        None,
        description="Highest rhs at which the price holds (None: no limit, or unknown); a line "
        "with slack keeps its price 0 from its activity on.",
    )
    binding: bool


class Relaxation(_Frozen):
    """Where the elastic re-solve had to relax a constraint, and by how much."""

    family: str
    key: tuple[str, ...]
    amount: float
    message: str


class PrecheckFinding(_Frozen):
    """A pre-check result (see :mod:`engine.optimize.precheck`)."""

    check: str
    severity: str
    message: str
    entities: tuple[str, ...] = ()


class Explanation(_Frozen):
    """Why the plan looks as it does."""

    summary: str = ""
    lines: tuple[Binding, ...] = ()
    relaxations: tuple[Relaxation, ...] = ()
    prechecks: tuple[PrecheckFinding, ...] = ()
    notes: tuple[str, ...] = ()


class SolverSummary(_Frozen):
    """The deterministic part of the solver report."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    solver: str
    solver_version: str
    is_mip: bool
    num_variables: int
    num_constraints: int
    stop_reason: str | None = None
    message: str = ""
    heuristic_objective: float | None = None


class Provenance(_Frozen):
    """Where the plan came from."""

    scenario: str
    inputs_hash: str
    dataset_hash: str
    settings_hash: str  # of the optimizer settings, less the solver's threads and verbosity
    rule_versions: dict[str, str]
    seed: int
    package_version: str


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return 0.0 if value == 0 else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class Plan(_Frozen):
    """One allocation plan; see the module docstring for the JSON's determinism."""

    name: str
    status: str = Field(description="optimal, feasible, infeasible, unbounded, … (SolveStatus).")
    objective: str
    kpis: dict[str, float]
    tables: dict[str, Table]
    explanation: Explanation
    solver: SolverSummary
    provenance: Provenance
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        """True when the tables hold a feasible plan (optimal or feasible at a limit)."""
        return self.status in ("optimal", "feasible")

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` as a new DataFrame."""
        return self.tables[name].frame()

    def to_json(self, *, include_timings: bool = False) -> str:
        """Canonical JSON (sorted keys, rounded numbers); timings only when asked for."""
        data = self.model_dump(mode="json", exclude=None if include_timings else {"timings"})
        return json.dumps(_clean(data), sort_keys=True, indent=1, ensure_ascii=False) + "\n"
