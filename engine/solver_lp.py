"""An LP relaxation held in HiGHS and re-solved warm after column-bound changes.

Heuristics that round a relaxation and then try many small changes (fix this rep there, open that
partner) need an LP re-solve per trial. Through :func:`engine.solver.solve` each trial would
rebuild the matrix and solve cold; here the matrix is passed once and each re-solve starts from the
previous basis (a few hundred dual simplex iterations on the demo: ≈ 20 ms).
"""

from __future__ import annotations

import numpy as np
import pulp

from engine.solver import SolverSettings, _import_highspy, _new_highs, _pass_matrix
from engine.solver_matrix import MatrixModel, extract_matrix

__all__ = ["LpSession"]


class LpSession:
    """The LP relaxation of ``problem`` (every integer variable continuous) in one HiGHS instance.

    Raises :class:`RuntimeError` when HiGHS is not available or rejects the model; callers treat
    that as "no heuristic".
    """

    def __init__(self, problem: pulp.LpProblem, settings: SolverSettings) -> None:
        highspy = _import_highspy()
        if highspy is None:
            raise RuntimeError("highspy is not installed")
        self.matrix: MatrixModel = extract_matrix(problem)
        self.column = self.matrix.column_of()
        quiet = settings.model_copy(update={"verbose": False, "time_limit": None})
        self._highs = _new_highs(highspy, quiet)
        if not _pass_matrix(highspy, self._highs, self.matrix, relax=True):
            raise RuntimeError("HiGHS rejected the model")
        self.version = (
            f"{self._highs.versionMajor()}.{self._highs.versionMinor()}."
            f"{self._highs.versionPatch()}"
        )

    def run(self, seconds: float, *, cold: bool = False) -> float | None:
        """Solve (warm from the last basis) within ``seconds``; the objective, or None when the
        LP is not solved to optimality (infeasible, or out of time).

        ``cold``: the first solve, with HiGHS' parallel dual simplex (PAMI) on the threads the
        settings give — 21 s instead of 29 s for the national LP on 2 threads, with the same
        iterations and solution as the serial one (checked run to run); warm re-solves are short
        and stay serial."""
        self._highs.setOptionValue("simplex_strategy", 2 if cold else 1)
        # HiGHS' time limit counts the instance's run time over all its solves
        spent = float(self._highs.getRunTime())
        self._highs.setOptionValue("time_limit", spent + max(0.01, float(seconds)))
        self._highs.run()
        if self._highs.getModelStatus().name != "kOptimal":
            return None
        return float(self._highs.getInfo().objective_function_value)

    def values(self) -> np.ndarray:
        """Column values of the last solve."""
        return np.asarray(self._highs.getSolution().col_value, dtype=float)

    def set_bounds(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds of ``columns``."""
        columns = np.asarray(columns, dtype=np.int32)
        if columns.size == 0:
            return
        self._highs.changeColsBounds(
            len(columns), columns, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        )

    def fix(self, values: dict[int, float]) -> None:
        """Fix columns at values."""
        columns = np.fromiter(sorted(values), dtype=np.int32, count=len(values))
        fixed = np.array([values[c] for c in columns], dtype=float)
        self.set_bounds(columns, fixed, fixed)
