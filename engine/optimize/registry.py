"""The model under construction and its typed registry back to entities.

Every variable and constraint is filed under a family name and a key tuple of entity ids
(``("R0007", "17031")``); results are read through the registry, never by parsing names. Names are
stable (family + positions in sorted id order) so the same inputs give the same LP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulp

from engine.optimize.prepare import ModelData
from engine.optimize.settings import OptimizeSettings

__all__ = ["CUT_FAMILIES", "ELASTIC_FAMILIES", "AllocationModel", "Key", "Pairs", "Sense"]

Key = tuple[str, ...]
Pairs = Sequence[tuple[pulp.LpVariable, float]]
Sense = Literal["<=", ">=", "=="]
_SENSE = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}

#: Valid inequalities: implied by the other rows for whole heads, only tighter in the relaxation
#: (the brute-force tests solve without them to check that they cut off no plan). ``head_cut``
#: rows are not among them: at whole heads they are exact where the tangents over-estimate.
CUT_FAMILIES = ("coverage_heads", "coverage_mir")

#: Families an elastic re-solve may relax (each row gets a penalised slack). ``assign`` only
#: downwards — an active rep left unplaced; no rep is ever placed twice (see ``add_row``).
ELASTIC_FAMILIES = ("budget", "coverage", "coverage_subset", "min_reps", "revenue_target",
                    "hire_cap", "assign")  # fmt: skip


@dataclass
class AllocationModel:
    """A PuLP problem plus its registry (filled by the builders in :mod:`engine.optimize`)."""

    data: ModelData
    settings: OptimizeSettings
    problem: pulp.LpProblem
    elastic: bool = False
    variables: dict[str, dict[Key, pulp.LpVariable]] = field(default_factory=dict)
    constraints: dict[str, dict[Key, pulp.LpConstraint]] = field(default_factory=dict)
    slacks: dict[tuple[str, Key], pulp.LpVariable] = field(default_factory=dict)
    costs: dict[str, list[tuple[pulp.LpVariable, float]]] = field(default_factory=dict)
    fixed_costs: dict[str, float] = field(default_factory=dict)
    margin: list[tuple[pulp.LpVariable, float]] = field(default_factory=list)
    revenue: list[tuple[pulp.LpVariable, float]] = field(default_factory=list)
    _counter: dict[str, int] = field(default_factory=dict)

    def family(self, name: str) -> dict[Key, pulp.LpVariable]:
        """The variables of one family (empty when the family was not built)."""
        return self.variables.get(name, {})

    def rows(self, name: str) -> dict[Key, pulp.LpConstraint]:
        """The constraints of one family (empty when the family was not built)."""
        return self.constraints.get(name, {})

    def _name(self, family: str) -> str:
        index = self._counter.get(family, 0)
        self._counter[family] = index + 1
        return f"{family}_{index}"

    def add_variables(
        self,
        family: str,
        keys: Iterable[Key],
        low: float | None = 0.0,
        up: float | Sequence[float | None] | None = None,
        cat: str = pulp.LpContinuous,
    ) -> dict[Key, pulp.LpVariable]:
        """Create one variable per key (``up`` a scalar or one bound per key)."""
        keys = list(keys)
        bounds = up if isinstance(up, Sequence) else [up] * len(keys)
        made = self.variables.setdefault(family, {})
        for key, bound in zip(keys, bounds, strict=True):
            made[key] = self.problem.add_variable(self._name(family), low, bound, cat)
        return made

    def add_row(
        self, family: str, key: Key, pairs: Pairs, sense: Sense, rhs: float
    ) -> pulp.LpConstraint:
        """Add ``Σ coef·var (sense) rhs``; in an elastic model a relaxable family gets a slack."""
        terms = list(pairs)
        # open headcount's "at most one territory" (assign, <=) is not a policy line to relax
        if self.elastic and family in ELASTIC_FAMILIES and (family, sense) != ("assign", "<="):
            slack = self.problem.add_variable(self._name(f"slack_{family}"), 0, None)
            self.slacks[family, key] = slack
            if sense == "<=":
                terms.append((slack, -1.0))
            elif sense == ">=":
                terms.append((slack, 1.0))
            else:  # equality: relax downwards only (e.g. a rep left unassigned)
                terms.append((slack, 1.0))
        merged: dict[pulp.LpVariable, float] = {}
        for variable, coefficient in terms:
            merged[variable] = merged.get(variable, 0.0) + coefficient
        name = self._name(family)
        constraint = pulp.LpConstraint(
            pulp.LpAffineExpression(list(merged.items())), _SENSE[sense], name=name, rhs=float(rhs)
        )
        self.problem.addConstraint(constraint, name)
        self.constraints.setdefault(family, {})[key] = constraint
        return constraint

    def add_cost(self, component: str, pairs: Pairs) -> None:
        """File cost terms (objective coefficients, in money) under a KPI component."""
        self.costs.setdefault(component, []).extend(pairs)
