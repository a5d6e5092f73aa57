"""The one family of errors salesnet raises on purpose.

Every error a user can cause by bad input is a :class:`SalesnetError`. Each subclass carries the
location it concerns as fields (file, row, column, rule id, YAML line, scenario key), so that
callers can act on them without parsing messages, and ``str(error)`` is a message a planner can
read.
The CLI prints ``str(error)`` and exits 1; it never shows a traceback for these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DataError",
    "DataIssue",
    "OutputError",
    "RuleError",
    "SalesnetError",
    "ScenarioError",
    "SolveError",
]


class SalesnetError(Exception):
    """Root of every error salesnet raises on purpose."""


def _show_value(value: Any) -> str:
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:
        value = value.item()  # np.float64(nan) → nan
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class DataIssue:
    """One problem in a dataset table.

    ``row`` is the row as a spreadsheet shows it: the header is row 1, the first data row is row 2
    (for Parquet and DataFrames too, so the numbers agree whichever format the table came in).
    """

    file: str | None
    expected: str
    row: int | None = None
    column: str | None = None
    value: Any = None

    def __str__(self) -> str:
        where = [self.file or "<table>"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where) + ": "
        if self.value is not None:
            text += f"got {_show_value(self.value)}, "
        return text + f"expected {self.expected}"


class DataError(SalesnetError):
    """A dataset is invalid; ``issues`` lists every problem found (up to a limit)."""

    def __init__(self, issues: Sequence[DataIssue], *, omitted: int = 0) -> None:
        self.issues: tuple[DataIssue, ...] = tuple(issues)
        self.omitted = omitted
        lines = [str(issue) for issue in self.issues]
        if omitted:
            lines.append(f"... and {omitted} more problem(s) not shown")
        count = len(self.issues) + omitted
        header = f"invalid dataset: {count} problem(s)"
        super().__init__(header + "\n  " + "\n  ".join(lines) if lines else header)


class RuleError(SalesnetError):
    """A rule file is invalid or a rule cannot be evaluated."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        rule_id: str | None = None,
        line: int | None = None,
        table: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.rule_id = rule_id
        self.line = line
        self.table = table
        where = [file or "<rules>"]
        if line is not None:
            where[0] += f":{line}"
        if table is not None:
            where.append(f"table {table!r}")
        if rule_id is not None:
            where.append(f"rule {rule_id!r}")
        super().__init__(", ".join(where) + ": " + message)


class ScenarioError(SalesnetError):
    """A scenario file is invalid or cannot be resolved."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.key = key
        self.line = line
        where = file or "<scenario>"
        if line is not None:
            where += f":{line}"
        if key is not None:
            where += f", key {key!r}"
        super().__init__(f"{where}: {message}")


class SolveError(SalesnetError):
    """A model could not be built or solved (bad settings, solver failure)."""

    def __init__(self, message: str, *, scenario: str | None = None) -> None:
        self.message = message
        self.scenario = scenario
        super().__init__(f"scenario {scenario!r}: {message}" if scenario else message)


class OutputError(SalesnetError):
    """Outputs cannot go where they were asked to (a dataset folder, an input file, no access)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")
