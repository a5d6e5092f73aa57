"""Reading one table file (CSV or Parquet) into a raw DataFrame, with located errors.

CSV is read as UTF-8 text, with or without a byte-order mark, every cell as a string (ids keep
their leading zeros; types are checked afterwards, column by column). Parquet keeps its own types.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.issues import IssueLog

__all__ = ["empty_rows", "read_table", "record_rows"]

_LINE = re.compile(r"line (\d+)")


def _parse_csv(raw: bytes, label: str, log: IssueLog) -> pd.DataFrame | None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = raw[: error.start].count(b"\n") + 1
        snippet = raw[max(error.start - 10, 0) : error.end + 10]
        log.error(label, "UTF-8 text (save the file as UTF-8)", row=row, value=snippet)
        return None
    if not text.strip():
        log.error(label, "a header row naming the columns (the file is empty)")
        return None
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=False
        )
    except pd.errors.ParserError as error:
        found = _LINE.search(str(error))
        log.error(
            label,
            f"well-formed CSV ({str(error).strip()})",
            row=int(found.group(1)) if found else None,
        )
        return None
    end = text.find("\n")
    header = next(csv.reader([text if end < 0 else text[:end].rstrip("\r")]), [])
    named = [name for name in header if name.strip()]
    if len(header) == len(frame.columns) and len(set(named)) < len(named):
        # pandas renames a repeated "x" to "x.1": undo that (empty names keep "Unnamed: n")
        pairs = zip(header, frame.columns, strict=True)
        frame.columns = pd.Index([name if name.strip() else column for name, column in pairs])
    if len(frame.columns) == 1 and ";" in str(frame.columns[0]):
        log.error(label, "comma-separated values (this file looks separated by ';')", row=1)
        return None
    empty = np.zeros(len(frame), dtype=bool)
    if _COMMAS_ONLY.search(text):  # rows of empty cells (",,,," as spreadsheets export them)
        empty = empty_rows(frame)
    if empty.any():  # skipped
        frame = frame[~empty].reset_index(drop=True)
    if empty.any() or _BLANK_LINE.search(text):  # skipped lines still count as rows
        rows = record_rows(text)
        if len(rows) == len(frame):
            log.lines[label] = rows
    return frame


def empty_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose cells (text) are all empty or spaces."""
    return (frame.apply(lambda column: column.str.strip() == "")).all(axis=1).to_numpy()


#: A line with nothing but spaces, which the CSV reader skips.
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")
#: A line of separators only: a row of empty cells.
_COMMAS_ONLY = re.compile(r"\n[ \t]*,[ \t,]*(\r?\n|$)")


def record_rows(text: str, *, skip_empty_cells: bool = True) -> list[int]:
    """The spreadsheet row of every data record (blank lines counted, the header dropped).
    Lines of spaces and records of empty cells are skipped as records, as this module's reader
    skips them; ``skip_empty_cells=False``: only empty lines, as Arrow's CSV reader does."""
    reader = csv.reader(io.StringIO(text))
    if skip_empty_cells:
        rows = [n for n, record in enumerate(reader, start=1) if "".join(record).strip()]
    else:
        rows = [n for n, record in enumerate(reader, start=1) if record]
    return rows[1:]


def read_table(path: Path, label: str, log: IssueLog) -> pd.DataFrame | None:
    """Read ``path`` (``.csv``, ``.csv.gz`` or ``.parquet``); ``None`` when it can't be read.

    ``label`` is the name used in messages (usually the path as the user gave it).
    """
    if not path.is_file():
        log.error(label, "an existing file")
        return None
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        try:
            return pd.read_parquet(path)
        except Exception as error:  # pyarrow raises many types for a bad file
            log.error(label, f"a readable Parquet file ({type(error).__name__}: {error})")
            return None
    try:
        if name.endswith(".csv.gz"):
            return _parse_csv(gzip.decompress(path.read_bytes()), label, log)
        if name.endswith(".csv"):
            return _parse_csv(path.read_bytes(), label, log)
    except (OSError, EOFError, zlib.error) as error:
        log.error(label, f"a readable file ({type(error).__name__}: {error})")
        return None
    log.error(label, "a .csv or .parquet file")
    return None
