"""A PuLP problem as numpy arrays (CSR matrix, bounds, costs), ready to hand to a solver in bulk.

PuLP's own HiGHS route adds one column and one row at a time; at 200k+ variables that dominates the
load. Here the constraints are walked once, index arrays are built, and the whole matrix is passed
to HiGHS with a single ``passModel`` call.

Columns are numbered in order of first appearance (objective, then constraints in the order they
were added, then variables registered only with the problem), which is deterministic for a
deterministic builder; no variable name is ever parsed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pulp

__all__ = ["MatrixModel", "extract_matrix"]

_INF = math.inf


@dataclass(frozen=True, eq=False)
class MatrixModel:
    """A linear (mixed-integer) problem in row-wise sparse form; sense as in the source problem."""

    variables: tuple[pulp.LpVariable, ...]
    constraints: tuple[pulp.LpConstraint, ...]
    constraint_names: tuple[str, ...]
    maximize: bool
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray  # bool per column
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_start: np.ndarray  # int32, length num_rows + 1
    col_index: np.ndarray  # int32, length nnz
    value: np.ndarray  # float64, length nnz

    @property
    def num_cols(self) -> int:
        return len(self.variables)

    @property
    def num_rows(self) -> int:
        return len(self.constraints)

    @property
    def num_nonzeros(self) -> int:
        return int(self.value.size)

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    def column_of(self) -> dict[pulp.LpVariable, int]:
        """Map each variable to its column index."""
        return {variable: position for position, variable in enumerate(self.variables)}


def _bound(value: float | None, default: float) -> float:
    return default if value is None else float(value)


def extract_matrix(problem: pulp.LpProblem) -> MatrixModel:
    """Walk ``problem`` once and return its matrix, bounds and costs as numpy arrays."""
    column: dict[pulp.LpVariable, int] = {}
    variables: list[pulp.LpVariable] = []

    def col(variable: pulp.LpVariable) -> int:
        position = column.get(variable)
        if position is None:
            position = column[variable] = len(variables)
            variables.append(variable)
        return position

    objective = problem.objective if problem.objective is not None else pulp.LpAffineExpression()
    cost_pairs = [
        (col(variable), float(coefficient)) for variable, coefficient in objective.items()
    ]

    constraints = list(problem._constraints.values())
    names = tuple(problem._constraints.keys())
    row_lengths = np.zeros(len(constraints) + 1, dtype=np.int64)
    index_parts: list[int] = []
    value_parts: list[float] = []
    row_lower = np.empty(len(constraints))
    row_upper = np.empty(len(constraints))
    for row, constraint in enumerate(constraints):
        expression = constraint.expr
        index_parts.extend(map(col, expression.keys()))
        value_parts.extend(expression.values())
        row_lengths[row + 1] = len(expression)
        lower, upper = constraint.getLb(), constraint.getUb()
        row_lower[row] = _bound(lower, -_INF)
        row_upper[row] = _bound(upper, _INF)
    for variable in problem._variables:
        col(variable)

    index = np.asarray(index_parts, dtype=np.int32)
    value = np.asarray(value_parts, dtype=np.float64)
    row_start = np.cumsum(row_lengths)
    keep = value != 0.0
    if not keep.all():  # drop explicit zeros, re-deriving the row starts
        row_of = np.repeat(np.arange(len(constraints)), np.diff(row_start))
        index, value = index[keep], value[keep]
        counts = np.bincount(row_of[keep], minlength=len(constraints))
        row_start = np.concatenate([[0], np.cumsum(counts)])

    cost = np.zeros(len(variables))
    for position, coefficient in cost_pairs:
        cost[position] += coefficient
    col_lower = np.fromiter(
        (_bound(v.lowBound, -_INF) for v in variables), dtype=np.float64, count=len(variables)
    )
    col_upper = np.fromiter(
        (_bound(v.upBound, _INF) for v in variables), dtype=np.float64, count=len(variables)
    )
    integrality = np.fromiter(
        (v.cat == pulp.LpInteger for v in variables), dtype=bool, count=len(variables)
    )
    return MatrixModel(
        variables=tuple(variables),
        constraints=tuple(constraints),
        constraint_names=names,
        maximize=problem.sense == pulp.LpMaximize,
        cost=cost,
        offset=float(objective.constant),
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integrality,
        row_lower=row_lower,
        row_upper=row_upper,
        row_start=row_start.astype(np.int32),
        col_index=index,
        value=value,
    )
