"""Apply one module of a mapping to an export: source columns -> typed fields, misses reported.

The result is a frame with one column per field of the module (text, float, or datetime), plus
``_file`` and ``_row`` so later steps can report a record where the user will find it. Columns
of the file that no field uses are reported once each; unparsable cells and value-map misses are
reported per cell and become missing (the record itself is kept).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from engine.crm.mapping import DATE_FIELDS, FIELDS, NUMBER_FIELDS, CrmMapping, FieldSpec
from engine.crm.parse import blank_mask, map_values, parse_date, parse_number, strip_prefix
from engine.crm.report import ImportReport
from engine.crm.sources import Export, column_index
from engine.data.schema import Account, Partner, Rep, columns_of
from engine.errors import DataError, DataIssue

__all__ = ["extract"]

#: Schema columns whose range a field of each module kind must respect (e.g. satisfaction 0-10).
_SCHEMA = {
    kind: {spec.name: spec for spec in columns_of(model) if spec.kind in ("number", "integer")}
    for kind, model in (("accounts", Account), ("partners", Partner), ("users", Rep))
}
_SCHEMA["deals"] = {}


def _source_columns(export: Export, spec: FieldSpec, index: dict[str, str]) -> list[str]:
    found: list[str] = []
    for candidate in spec.candidates():
        column = index.get(candidate) or index.get(" ".join(candidate.split()).casefold())
        if column is not None and column not in found:
            found.append(column)
    return found


class _Origin:
    """The source column of each cell of a field: ``origin[mask]`` gives the names."""

    def __init__(self, columns: list[str], length: int) -> None:
        self.names = np.asarray(columns, dtype=object)
        self.codes = np.zeros(length, dtype=np.int16)

    def __getitem__(self, mask: np.ndarray) -> np.ndarray:
        return np.asarray(self.names[self.codes[mask]], dtype=object)


def _coalesce(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.Series, _Origin]:
    """First non-blank value over ``columns`` per row, and the column it came from."""
    text = frame[columns[0]].str.strip()
    origin = _Origin(columns, len(frame))
    for code, column in enumerate(columns[1:], start=1):
        empty = blank_mask(text)
        if not empty.any():
            break
        text = text.where(~empty, frame[column].str.strip())
        origin.codes[empty] = code
    return text.where(~blank_mask(text)), origin


def _parse_field(
    name: str,
    spec: FieldSpec,
    text: pd.Series,
    origin: _Origin,
    export: Export,
    mapping: CrmMapping,
    report: ImportReport,
    kind: str,
) -> pd.Series:
    if spec.strip_prefix:
        text = strip_prefix(text, spec.strip_prefix)
    if spec.values is not None:
        mapped, missed = map_values(text, mapping.value_maps[spec.values])
        report.add(
            export.file,
            export.rows[missed],
            origin[missed],
            text[missed].to_numpy(),
            f"{name}: not in value map {spec.values} (left empty)",
        )
        text = mapped
    if spec.type == "text":
        return text
    if spec.type == "date":
        values, bad = parse_date(text, timezone=mapping.timezone, date_format=spec.date_format)
        expected = "a date (ISO, yyyy-MM-dd HH:mm:ss or epoch ms)"
    else:
        values, bad = parse_number(text)
        expected = "a number"
        if spec.type == "integer":
            fractional = np.isfinite(values.to_numpy()) & (values.to_numpy() % 1 != 0)
            bad = bad | fractional
            values = values.where(~fractional)
            expected = "a whole number"
    report.add(
        export.file,
        export.rows[bad],
        origin[bad],
        text[bad].to_numpy(),
        f"{name}: expected {expected} (left empty)",
    )
    spec_of = _SCHEMA[kind].get(name)
    if spec_of is not None and spec.type != "date":
        numbers = values.to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            out = np.zeros(len(numbers), dtype=bool)
            if spec_of.ge is not None:
                out |= numbers < spec_of.ge
            if spec_of.gt is not None:
                out |= numbers <= spec_of.gt
            if spec_of.le is not None:
                out |= numbers > spec_of.le
        report.add(
            export.file,
            export.rows[out],
            origin[out],
            text[out].to_numpy(),
            f"{name}: expected {spec_of.expected()} (left empty)",
        )
        values = values.where(~out)
    return values


def _covered(column: str, used: set[str]) -> bool:
    """Whether a column is used, or is part of a used value: ``Owner.email`` of ``Owner`` (a
    flattened API object), or the option code ``province`` of the display value ``province__r``."""
    parent = column.split(".", 1)[0]
    return column in used or parent in used or f"{parent}__r" in used


def extract(
    export: Export, module_name: str, mapping: CrmMapping, report: ImportReport
) -> pd.DataFrame:
    """The fields of module ``module_name`` read from ``export`` (see the module docstring)."""
    module = mapping.modules[module_name]
    index = column_index(export.frame.columns)
    length = len(export.frame)
    columns: dict[str, pd.Series] = {}
    used: set[str] = set()
    specs = {**module.fields, **module.extra_columns}
    for name in FIELDS[module.kind]:
        if name not in specs:
            kind = "date" if name in DATE_FIELDS else "number" if name in NUMBER_FIELDS else "text"
            specs[name] = FieldSpec(type=kind)
    for name, spec in specs.items():
        sources = _source_columns(export, spec, index)
        used.update(sources)
        if not sources:
            empty = pd.Series(pd.array(pa.nulls(length, pa.string()), dtype="str"))
            if spec.type == "date":
                columns[name] = pd.Series(pd.NaT, index=range(length), dtype="datetime64[ns]")
            elif spec.type in ("number", "integer"):
                columns[name] = pd.Series(np.nan, index=range(length), dtype="float64")
            else:
                columns[name] = empty
            continue
        text, origin = _coalesce(export.frame, sources)
        columns[name] = _parse_field(name, spec, text, origin, export, mapping, report, module.kind)
    id_spec = module.fields["id"]
    if length and not _source_columns(export, id_spec, index) and id_spec.fallback is None:
        raise DataError(
            [
                DataIssue(
                    export.file,
                    f"an id column for module {module_name} (one of "
                    f"{', '.join(id_spec.candidates())})",
                    row=1,
                )
            ]
        )
    for name, spec in module.fields.items():
        if spec.fallback is not None:
            fill = columns[spec.fallback]
            columns[name] = columns[name].where(~columns[name].isna(), fill)
    unused = [str(column) for column in export.frame.columns if not _covered(str(column), used)]
    header = 1 if export.shape in ("csv", "xlsx") else None
    for column in unused:
        report.add(export.file, header, column, "", f"column not used by module {module_name}")
    frame = pd.DataFrame(columns, index=pd.RangeIndex(length))
    frame["_file"] = export.file
    frame["_row"] = export.rows
    return frame
