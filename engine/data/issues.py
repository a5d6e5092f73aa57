"""Collects data problems up to a limit, so a file's errors are reported together."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engine.errors import DataError, DataIssue

__all__ = ["IssueLog", "spreadsheet_row"]

#: Problems listed per table before the rest are only counted.
MAX_ISSUES_PER_TABLE = 25


def spreadsheet_row(position: int) -> int:
    """The row a spreadsheet shows for 0-based data row ``position`` (the header is row 1)."""
    return int(position) + 2


class IssueLog:
    """Errors and warnings of one validation run, capped per table."""

    def __init__(self, limit: int = MAX_ISSUES_PER_TABLE) -> None:
        self.limit = limit
        self.errors: list[DataIssue] = []
        self.warnings: list[DataIssue] = []
        self.omitted = 0
        self._per_file: dict[str | None, int] = {}
        #: per file, the spreadsheet row of each data record, where blank lines shift them
        self.lines: dict[str | None, list[int]] = {}

    def row_of(self, file: str | None, position: int) -> int:
        """The spreadsheet row of ``file``'s 0-based data record ``position``."""
        lines = self.lines.get(file)
        if lines is None or not 0 <= int(position) < len(lines):
            return spreadsheet_row(position)
        return lines[int(position)]

    def error(
        self,
        file: str | None,
        expected: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        """Record an error (counted only, once the file has ``limit`` of them)."""
        count = self._per_file.get(file, 0)
        self._per_file[file] = count + 1
        if count >= self.limit:
            self.omitted += 1
            return
        self.errors.append(DataIssue(file, expected, row=row, column=column, value=value))

    def warn(self, file: str | None, expected: str, *, column: str | None = None) -> None:
        """Record a warning: reported, but the data is usable."""
        self.warnings.append(DataIssue(file, expected, column=column))

    def rows(
        self,
        file: str | None,
        bad: np.ndarray | pd.Series,
        values: pd.Series,
        *,
        column: str,
        expected: str,
    ) -> None:
        """Record one error per row where ``bad`` holds (0-based positions from ``values``)."""
        positions = np.flatnonzero(np.asarray(bad, dtype=bool))
        listed = positions[: self.room(file)]
        for position in listed:
            value = values.iloc[position]
            self.error(file, expected, row=self.row_of(file, position), column=column, value=value)
        self.skip(file, positions.size - listed.size)

    def room(self, file: str | None) -> int:
        """How many more errors of ``file`` will be listed."""
        return max(self.limit - self._per_file.get(file, 0), 0)

    def skip(self, file: str | None, count: int) -> None:
        """Count ``count`` errors of ``file`` that are not listed."""
        if count > 0:
            self._per_file[file] = self._per_file.get(file, 0) + count
            self.omitted += count

    def raise_if_errors(self) -> None:
        """Raise one :class:`DataError` holding every error recorded."""
        if self.errors or self.omitted:
            raise DataError(self.errors, omitted=self.omitted)
