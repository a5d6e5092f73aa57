"""Alignment tables from CSV files and results to files (atomically)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from engine.align.api import Alignment
from engine.atomic import write_text_atomic
from engine.data.read import record_rows
from engine.errors import DataError, DataIssue

__all__ = ["read_table", "write_alignment"]


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV file as strings (ids stay ids: "01001" keeps its zero); DataError when unreadable."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise DataError([DataIssue(str(path), "an existing CSV file")]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError([DataIssue(str(path), f"a readable CSV file ({error})")]) from None
    table.columns = [str(c).strip() for c in table.columns]
    text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    if "\n\n" in text or "\n\r\n" in text:  # blank lines are skipped but count as rows
        rows = record_rows(text)
        if len(rows) == len(table):
            table.attrs["rows"] = rows
    return table


def write_alignment(alignment: Alignment, directory: str | Path) -> list[Path]:
    """Write ``assignment.csv``, ``territories.csv`` and ``alignment.json``; return the paths."""
    out = Path(directory)
    paths = [out / "assignment.csv", out / "territories.csv", out / "alignment.json"]
    write_text_atomic(paths[0], alignment.assignment.to_csv(index=False, lineterminator="\n"))
    # sums of activities carry float noise (892.3200000000002): 15 significant digits
    territories = alignment.territories.to_csv(
        index=False, lineterminator="\n", float_format="%.15g"
    )
    write_text_atomic(paths[1], territories)
    write_text_atomic(paths[2], json.dumps(alignment.to_dict(), indent=2, sort_keys=True) + "\n")
    return paths
