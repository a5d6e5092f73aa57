"""Report writers: a self-contained HTML page and an Excel workbook planners can open.

Both take the same neutral input — a title, KPIs, named tables and (for HTML) ready SVG charts —
so plans, comparisons and batch summaries share them. Files are written atomically.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from engine.atomic import atomic_path, write_text_atomic

__all__ = ["Report", "write_excel", "write_html"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem}th{background:#f4f4f4;position:sticky;top:0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.kpis{display:flex;flex-wrap:wrap;gap:.75rem}
.kpi{border:1px solid #ddd;border-radius:6px;padding:.5rem .75rem;min-width:9rem}
.kpi b{display:block;font-size:1.1rem}.kpi span{font-size:.8rem;color:#555}
.chart{max-width:100%;height:auto;font-family:inherit}
.note{color:#555;font-size:.85rem}
"""


@dataclass(frozen=True)
class Report:
    """What a report shows. ``charts`` are (caption, svg) pairs; tables keep their order."""

    title: str
    kpis: Mapping[str, object]
    tables: Mapping[str, pd.DataFrame]
    charts: Sequence[tuple[str, str]] = ()
    notes: Sequence[str] = field(default_factory=tuple)


def _format(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"
    return str(value)


def _html_table(frame: pd.DataFrame, limit: int) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.head(limit).itertuples(index=False, name=None):
        cells = []
        for value in values:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            css = ' class="n"' if numeric else ""
            cells.append(f"<td{css}>{html.escape(_format(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="note">{len(frame) - limit:,} more rows in the CSV/Excel output.</p>'
        if len(frame) > limit
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def write_html(report: Report, path: str | Path, *, rows_per_table: int = 200) -> Path:
    """Write ``report`` as one self-contained HTML file (inline CSS and SVG, no scripts)."""
    kpis = "".join(
        f'<div class="kpi"><b>{html.escape(_format(v))}</b><span>{html.escape(str(k))}</span></div>'
        for k, v in report.kpis.items()
    )
    body = [f"<h1>{html.escape(report.title)}</h1>", f'<div class="kpis">{kpis}</div>']
    body += [f'<p class="note">{html.escape(note)}</p>' for note in report.notes]
    for caption, svg in report.charts:
        body.append(f"<h2>{html.escape(caption)}</h2>{svg}")
    for name, frame in report.tables.items():
        body.append(f"<h2>{html.escape(name)}</h2>{_html_table(frame, rows_per_table)}")
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
    write_text_atomic(path, page)
    return Path(path)


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "sheet"
    candidate, index = base, 2
    while candidate.lower() in used:
        suffix = f"~{index}"
        candidate, index = base[: 31 - len(suffix)] + suffix, index + 1
    used.add(candidate.lower())
    return candidate


def write_excel(report: Report, path: str | Path) -> Path:
    """Write ``report`` as an .xlsx workbook: KPI summary first, then one sheet per table.

    Numbers keep their type with a thousands format; headers are bold and frozen; columns are
    sized to their content.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    summary = book.active
    used: set[str] = set()
    summary.title = _sheet_name("Summary", used)
    _append(summary, [report.title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([])
    summary.append(["KPI", "value"])
    for key, value in report.kpis.items():
        _append(summary, [str(key), value])
    for note in report.notes:
        _append(summary, [note])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F2F2F2")
    for cell in summary[3]:
        cell.font, cell.fill = bold, fill
    summary.column_dimensions["A"].width = 40
    summary.column_dimensions["B"].width = 20
    for row in summary.iter_rows(min_row=4, min_col=2, max_col=2):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
    for name, frame in report.tables.items():
        sheet = book.create_sheet(_sheet_name(name, used))
        _append(sheet, [str(c) for c in frame.columns])
        for values in frame.itertuples(index=False, name=None):
            _append(sheet, list(values))
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        sheet.freeze_panes = "A2"
        for index, column in enumerate(frame.columns, start=1):
            letter = get_column_letter(index)
            width = max([len(str(column))] + [len(_format(v)) for v in frame[column].head(500)])
            sheet.column_dimensions[letter].width = min(max(width + 2, 8), 50)
            if pd.api.types.is_float_dtype(frame[column]):
                for cell in sheet[letter][1:]:
                    cell.number_format = "#,##0.00"
            elif pd.api.types.is_integer_dtype(frame[column]):
                for cell in sheet[letter][1:]:
                    cell.number_format = "#,##0"
    with atomic_path(path) as tmp:
        book.save(tmp)
    return Path(path)


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(cast(Any, value)))
    except (TypeError, ValueError):
        return False


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar → Python
    if isinstance(value, int | float | bool):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", str(value))  # control characters are not valid XML


def _append(sheet: Any, values: list[object]) -> None:
    """Append a row; text stays text even when it starts with ``=`` (never a formula)."""
    row = [None if _missing(v) else _plain(v) for v in values]
    sheet.append(row)
    if any(isinstance(v, str) and v.startswith("=") for v in row):  # openpyxl reads a formula
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":
                cell.data_type = "s"
