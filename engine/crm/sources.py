"""Reading CRM export files (CSV, XLSX, API JSON) into text tables, and telling their module.

Every export becomes an :class:`Export`: a frame of text cells (blank = ``""`` or missing), the
row number of each record as the report shows it (spreadsheet rows for CSV/XLSX, header = row 1;
the 1-based record number for JSON), and the file's shape. API records are flattened: a lookup or
user object ``{"name", "id", ...}`` under ``Owner`` becomes columns ``Owner`` (its name),
``Owner.id``, ``Owner.email``, ...; a list of plain values (Fxiaoke person fields) is joined with
``;``. Which module a file belongs to is read from its columns (:func:`detect_module`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from engine.crm.mapping import CrmMapping
from engine.data.issues import IssueLog
from engine.data.read import empty_rows, read_table, record_rows
from engine.errors import DataError, DataIssue

__all__ = ["Export", "Shape", "column_index", "detect_module", "read_export", "records_export"]

Shape = Literal["csv", "xlsx", "zoho-api", "fxiaoke-api", "json"]

#: Keys of a lookup object whose value names it (Zoho users carry full_name).
_NAME_KEYS = ("name", "full_name", "display_name", "label")


@dataclass(frozen=True)
class Export:
    """One export file as text: ``frame`` (str cells), ``rows`` (report row of each record)."""

    file: str
    shape: Shape
    frame: pd.DataFrame
    rows: np.ndarray


def _normal(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def column_index(columns: pd.Index) -> dict[str, str]:
    """Normalised name (case and spacing ignored) -> actual column; exact names win."""
    index: dict[str, str] = {}
    for column in columns:
        index.setdefault(_normal(column), str(column))
    for column in columns:
        index[str(column)] = str(column)
    return index


def _tabular(
    frame: pd.DataFrame, file: str, shape: Shape, rows: Sequence[np.ndarray] = ()
) -> Export:
    """``rows``: each record's file row, as readers that skip blank lines count them (the first
    that fits the frame is used)."""
    frame = frame.rename(columns=lambda name: str(name).strip()).fillna("").astype("str")
    fits = [candidate for candidate in rows if len(candidate) == len(frame)]
    numbers = fits[0] if fits else np.arange(len(frame), dtype=np.int64) + 2
    empty = empty_rows(frame)
    if len(frame.columns) == 0:
        empty = np.ones(len(frame), dtype=bool)
    keep = ~empty
    return Export(file, shape, frame[keep].reset_index(drop=True), numbers[keep])


def _record_rows(path: Path) -> list[np.ndarray]:
    """Where blank lines shift the records: their file rows as Arrow's reader counts them (empty
    lines skipped) and as the fallback reader does (lines of spaces and empty cells skipped too)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    if not _BLANK_LINE.search(raw):
        return []
    text = raw.decode("utf-8-sig", errors="replace")
    arrow = record_rows(text, skip_empty_cells=False)
    return [np.asarray(arrow, dtype=np.int64), np.asarray(record_rows(text), dtype=np.int64)]


_BLANK_LINE = re.compile(rb"\n[ \t]*\r?\n")


def _read_csv(path: Path, file: str) -> pd.DataFrame:
    """Every cell as text; a BOM is dropped. Arrow's multi-threaded reader first; on any problem
    (not UTF-8, malformed, empty) the dataset reader, which says where the problem is."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], engine="pyarrow")
    except Exception:  # pyarrow raises several types; the fallback reader explains
        log = IssueLog()
        frame = read_table(path, file, log)
        log.raise_if_errors()
        assert frame is not None  # read_table logged why otherwise
        return frame


def _read_xlsx(path: Path, file: str) -> Export:
    try:
        frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    except ImportError:
        raise DataError([DataIssue(file, "openpyxl installed to read .xlsx files")]) from None
    except Exception as error:  # openpyxl raises many types for a bad workbook
        raise DataError(
            [DataIssue(file, f"a readable .xlsx workbook ({type(error).__name__}: {error})")]
        ) from None
    return _tabular(frame, file, "xlsx")


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _object_name(value: dict[str, Any]) -> str:
    for key in _NAME_KEYS:
        if value.get(key) not in (None, ""):
            return _scalar(value[key])
    return _scalar(value.get("id"))


def _flatten(record: dict[str, Any]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat[key] = _object_name(value)
            for sub, item in value.items():
                flat[f"{key}.{sub}"] = _scalar(item)
        elif isinstance(value, list):
            objects = [item for item in value if isinstance(item, dict)]
            if objects and len(objects) == len(value):
                flat[key] = ";".join(_object_name(item) for item in objects)
                flat[f"{key}.id"] = ";".join(_scalar(item.get("id")) for item in objects)
            else:
                flat[key] = ";".join(_scalar(item) for item in value)
        else:
            flat[key] = _scalar(value)
    return flat


def records_export(records: list[Any], file: str, shape: Shape) -> Export:
    """An export from API records (a list of JSON objects)."""
    bad = [index for index, record in enumerate(records) if not isinstance(record, dict)]
    if bad:
        raise DataError(
            [DataIssue(file, "a JSON object per record", row=bad[0] + 1, value=records[bad[0]])]
        )
    flat = [_flatten(record) for record in records]
    columns: dict[str, None] = {}
    for record in flat:
        columns.update(dict.fromkeys(record))
    frame = pd.DataFrame.from_records(flat, columns=list(columns)).fillna("").astype("str")
    return Export(file, shape, frame, np.arange(len(records), dtype=np.int64) + 1)


def _read_json(path: Path, file: str) -> Export:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError([DataIssue(file, "UTF-8 text (save the file as UTF-8)")]) from None
    except json.JSONDecodeError as error:
        raise DataError([DataIssue(file, f"valid JSON ({error.msg})", row=error.lineno)]) from None
    if isinstance(data, list):
        return records_export(data, file, "json")
    if isinstance(data, dict) and "errorCode" in data:
        if data.get("errorCode") != 0:
            message = data.get("errorMessage") or data.get("errorDescription") or ""
            raise DataError(
                [
                    DataIssue(
                        file,
                        f"a successful Fxiaoke query (errorCode 0) {message}".strip(),
                        column="errorCode",
                        value=data.get("errorCode"),
                    )
                ]
            )
        body = data.get("data")
        if isinstance(body, dict) and isinstance(body.get("dataList"), list):
            return records_export(body["dataList"], file, "fxiaoke-api")
    if isinstance(data, dict):
        for key in ("data", "users"):
            if isinstance(data.get(key), list):
                return records_export(data[key], file, "zoho-api")
    raise DataError(
        [
            DataIssue(
                file,
                'CRM API records: {"data": [...]} (Zoho), {"users": [...]} (Zoho '
                'users) or {"errorCode": 0, "data": {"dataList": [...]}} (Fxiaoke)',
            )
        ]
    )


def read_export(path: str | Path, *, label: str | None = None) -> Export:
    """Read one export file; its shape is told by the suffix and, for JSON, by its keys."""
    source = Path(path)
    file = label or str(path)
    if not source.is_file():
        raise DataError([DataIssue(file, "an existing export file")])
    suffix = source.name.lower()
    if suffix.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(source, file)
    if suffix.endswith(".json"):
        return _read_json(source, file)
    if suffix.endswith((".csv", ".csv.gz")):
        return _tabular(_read_csv(source, file), file, "csv", _record_rows(source))
    raise DataError([DataIssue(file, "a .csv, .xlsx or .json export", value=source.suffix)])


def _present(export: Export, index: dict[str, str], token: str) -> bool:
    name, equals, wanted = token.partition("=")
    column = index.get(name) or index.get(_normal(name))
    if column is None:
        return False
    return not equals or bool((export.frame[column].str.strip() == wanted).any())


def detect_module(export: Export, mapping: CrmMapping) -> str:
    """The first module (in mapping order) one of whose ``detect`` column sets the file has."""
    index = column_index(export.frame.columns)
    for name, module in mapping.modules.items():
        if any(all(_present(export, index, token) for token in group) for group in module.detect):
            return name
    shown = ", ".join(list(export.frame.columns)[:8])
    raise DataError(
        [
            DataIssue(
                export.file,
                f"columns of a {mapping.name} module among "
                f"{', '.join(mapping.modules)} (name it: MODULE=FILE)",
                row=1,
                value=shown,
            )
        ]
    )
