"""Shadow prices and their ranges from the LP with the integers fixed at the plan's values.

The shared solve layer's :func:`engine.solver.fixed_lp_duals` gives duals but not ranging, so this
module runs the same fixed LP itself (bulk-loaded through :func:`engine.solver_matrix.
extract_matrix`) and asks HiGHS for ``getRanging()``: for each row, the right-hand-side interval
over which its shadow price holds. The variables' values are left untouched.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pulp

from engine.solver import new_highs
from engine.solver_matrix import extract_matrix

__all__ = ["RowSensitivity", "fixed_lp_sensitivity"]


@dataclass(frozen=True)
class RowSensitivity:
    """One row of the fixed LP: shadow price (objective change per unit of rhs), slack and range."""

    dual: float
    activity: float
    rhs: float
    slack: float
    range_low: float | None
    range_high: float | None


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) and abs(value) < 1e29 else None


def fixed_lp_sensitivity(
    problem: pulp.LpProblem, rows: Mapping[str, pulp.LpConstraint]
) -> dict[str, RowSensitivity] | None:
    """Sensitivity of the named ``rows``; None when highspy is missing or the LP fails."""
    try:
        import highspy
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    matrix = extract_matrix(problem)
    lower, upper = matrix.col_lower.copy(), matrix.col_upper.copy()
    positions = np.flatnonzero(matrix.integrality)
    fixed = np.round([float(matrix.variables[i].varValue or 0.0) for i in positions])
    lower[positions] = fixed
    upper[positions] = fixed
    lp = replace(matrix, col_lower=lower, col_upper=upper,
                 integrality=np.zeros_like(matrix.integrality))  # fmt: skip
    highs = new_highs(highspy)
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", 30.0)
    sense = highspy.ObjSense.kMaximize if lp.maximize else highspy.ObjSense.kMinimize
    highs.passModel(lp.num_cols, lp.num_rows, lp.num_nonzeros, int(highspy.MatrixFormat.kRowwise),
                    int(sense), lp.offset, lp.cost, lp.col_lower, lp.col_upper, lp.row_lower,
                    lp.row_upper, lp.row_start, lp.col_index, lp.value,
                    np.zeros(lp.num_cols, dtype=np.int32))  # fmt: skip
    highs.run()
    if str(highs.getModelStatus().name) != "kOptimal":
        return None
    solution = highs.getSolution()
    status, ranging = highs.getRanging()
    has_ranging = status == highspy.HighsStatus.kOk and ranging.valid
    index = {name: i for i, name in enumerate(lp.constraint_names)}
    out: dict[str, RowSensitivity] = {}
    for name in rows:
        i = index[name]
        dual = float(solution.row_dual[i])
        activity = float(solution.row_value[i])
        low, up = float(lp.row_lower[i]), float(lp.row_upper[i])
        rhs = up if math.isfinite(up) else low
        slack = (up - activity) if math.isfinite(up) else (activity - low)
        if slack > 1e-7 * max(1.0, abs(rhs)) and low != up:
            # not binding: its price (0) holds while the bound stays on the far side of the
            # activity (HiGHS' ranging of a basic row describes something else)
            range_low, range_high = (activity, None) if math.isfinite(up) else (None, activity)
        elif has_ranging:
            range_low = _finite(ranging.row_bound_dn.value_[i])
            range_high = _finite(ranging.row_bound_up.value_[i])
        else:
            range_low = range_high = None
        out[name] = RowSensitivity(dual, activity, rhs, slack, range_low, range_high)
    return out
