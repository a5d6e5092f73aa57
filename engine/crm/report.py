"""The import report: every row and value of an export that did not make it into the dataset as is.

One line per finding — ``file, row, column, value, why`` — where ``row`` is the row a spreadsheet
shows (header = row 1) for CSV/XLSX and the 1-based record number for JSON. Findings are added
as whole arrays (thousands of bad cells cost one call) and sorted on output, so the report is
deterministic whatever order the import found them in.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from engine.atomic import atomic_path
from engine.errors import DataIssue

__all__ = ["REPORT_COLUMNS", "ImportReport"]

REPORT_COLUMNS = ("file", "row", "column", "value", "why")


class ImportReport:
    """Collects findings; :meth:`frame` returns them sorted."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(
        self,
        file: str | np.ndarray | pd.Series,
        rows: Any,
        column: str | np.ndarray | pd.Series | None,
        values: Any,
        why: str | np.ndarray | pd.Series,
    ) -> None:
        """Record findings; any argument may be one value or an array (all arrays one length)."""
        arrays = {"file": file, "row": rows, "column": column, "value": values, "why": why}
        length = max(
            (len(item) for item in arrays.values() if isinstance(item, np.ndarray | pd.Series)),
            default=1,
        )
        if length == 0:
            return
        part = {
            name: (
                np.asarray(item, dtype=object)
                if isinstance(item, np.ndarray | pd.Series)
                else np.full(length, item, dtype=object)
            )
            for name, item in arrays.items()
        }
        self._parts.append(pd.DataFrame(part))

    def __len__(self) -> int:
        return sum(len(part) for part in self._parts)

    def frame(self) -> pd.DataFrame:
        """All findings sorted by file, row, column, why and value."""
        if not self._parts:
            return pd.DataFrame({name: pd.Series([], dtype="str") for name in REPORT_COLUMNS})
        frame = pd.concat(self._parts, ignore_index=True)
        frame["row"] = pd.to_numeric(frame["row"], errors="coerce").astype("Int64")
        for name in ("file", "column", "value", "why"):
            column = frame[name]
            frame[name] = column.where(column.notna(), "").astype("str")
        frame = frame.sort_values(
            ["file", "row", "column", "why", "value"], na_position="first", kind="stable"
        )
        return frame.loc[:, list(REPORT_COLUMNS)].reset_index(drop=True)

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the report as UTF-8 CSV (atomically)."""
        with atomic_path(path) as tmp:
            self.frame().to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")

    def issues(self, limit: int = 25) -> list[DataIssue]:
        """The first ``limit`` findings as :class:`DataIssue` (for messages)."""
        issues = []
        for record in self.frame().head(limit).to_dict("records"):
            row = record["row"]
            issues.append(
                DataIssue(
                    str(record["file"]),
                    str(record["why"]),
                    row=None if pd.isna(row) else int(row),
                    column=str(record["column"]) or None,
                    value=str(record["value"]) or None,
                )
            )
        return issues
