"""``import_crm``: CRM exports -> tables merged into a dataset folder, validated, with a report.

The dataset folder supplies everything a CRM does not hold (territories, adjacency, channels,
budgets, ...; e.g. a copy of the demo). The import replaces its accounts and reps, its partners
and coverage when partners are imported, and its actuals (won deals in the window; dropped when
no deals are imported, since they would refer to replaced ids). The merged dataset is validated
before anything is written; the report is written in any case. Same files in, same bytes out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml
from pydantic import ValidationError

from engine.crm.convert import Conversion, convert
from engine.crm.mapping import CrmMapping, load_mapping, load_preset
from engine.crm.report import ImportReport
from engine.crm.sources import Export, detect_module, read_export
from engine.crm.territory import TerritoryLookup, load_lookup
from engine.data.dataset import (
    MANIFEST_NAME,
    Dataset,
    DatasetManifest,
    dataset_from_frames,
    load_dataset,
)
from engine.data.issues import IssueLog
from engine.data.read import read_table
from engine.data.schema import TABLES
from engine.data.write import write_dataset
from engine.errors import DataError, DataIssue

__all__ = ["REPORT_NAME", "ImportResult", "import_crm", "resolve_mapping"]

REPORT_NAME = "import_report.csv"

#: Tables an import always replaces (or drops): not read from the dataset folder.
_REPLACED = ("accounts", "reps", "actuals")
#: Tables an import needs from the dataset folder.
_NEEDED = ("territories", "adjacency", "channels", "budgets")


@dataclass(frozen=True)
class ImportResult:
    """The validated dataset, the report (file, row, column, value, why) and what happened."""

    dataset: Dataset
    report: pd.DataFrame
    conversion: Conversion
    report_path: Path
    files: tuple[tuple[str, str, str, int], ...]  # file, module, shape, records


def resolve_mapping(preset: str | None, mapping: str | os.PathLike[str] | None) -> CrmMapping:
    """The preset, a mapping file, or the file merged over the preset."""
    if mapping is not None:
        return load_mapping(mapping, preset=preset)
    if preset is None:
        raise DataError([DataIssue(None, "a preset (zoho-crm or fxiaoke) or a mapping file")])
    return load_preset(preset)


def _exports(
    files: Sequence[str | os.PathLike[str]], mapping: CrmMapping
) -> list[tuple[Export, str]]:
    found = []
    for item in files:
        text = str(item)
        module, equals, rest = text.partition("=")
        if equals and not Path(text).exists():
            if module not in mapping.modules:
                raise DataError(
                    [
                        DataIssue(
                            text,
                            f"an existing file, or MODULE=FILE with MODULE among "
                            f"{', '.join(mapping.modules)}",
                            value=module,
                        )
                    ]
                )
            export = read_export(rest)
        else:
            module, export = "", read_export(text)
        found.append((export, module or detect_module(export, mapping)))
    return sorted(found, key=lambda pair: (pair[0].file, pair[1]))


def _base(folder: Path) -> tuple[DatasetManifest, dict[str, pd.DataFrame], str]:
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise DataError(
            [
                DataIssue(
                    str(folder),
                    f"a dataset folder with {MANIFEST_NAME} and the "
                    f"tables {', '.join(_NEEDED)} (copy a dataset, e.g. the demo, "
                    "and import into the copy)",
                )
            ]
        )
    try:
        manifest = DatasetManifest.model_validate(
            yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        )
    except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as error:
        raise DataError([DataIssue(str(path), f"a valid dataset manifest ({error})")]) from None
    log = IssueLog()
    frames: dict[str, pd.DataFrame] = {}
    fmt = "csv"
    for table in TABLES:
        if table in _REPLACED:
            continue
        name = manifest.tables.get(table)
        candidates = [name] if name else [f"{table}.parquet", f"{table}.csv", f"{table}.csv.gz"]
        file = next((folder / c for c in candidates if (folder / c).is_file()), None)
        if file is None:
            if table in _NEEDED:
                log.error(str(folder), f"a {table} table ({table}.csv or {table}.parquet)")
            continue
        if table == "territories" and file.suffix == ".parquet":
            fmt = "parquet"
        frame = read_table(file, str(file), log)
        if frame is not None:
            frames[table] = frame
    log.raise_if_errors()
    return manifest, frames, fmt


def _relabel(error: DataError, labels: Mapping[str, str]) -> DataError:
    issues = [dataclasses.replace(i, file=labels.get(i.file or "", i.file)) for i in error.issues]
    return DataError(issues, omitted=error.omitted)


def import_crm(
    files: Sequence[str | os.PathLike[str]],
    *,
    into: str | os.PathLike[str],
    preset: str | None = None,
    mapping: str | os.PathLike[str] | CrmMapping | None = None,
    territories: str | os.PathLike[str] | None = None,
    window_months: int = 12,
    as_of: str | dt.date | pd.Timestamp | None = None,
    report_path: str | os.PathLike[str] | None = None,
) -> ImportResult:
    """Import CRM export ``files`` into the dataset folder ``into`` (see the module docstring).

    A file may be given as ``MODULE=PATH`` to name its module instead of detecting it.
    ``territories`` is a lookup CSV (see :mod:`engine.crm.territory`). Raises
    :class:`DataError` when an input is unreadable or the merged dataset does not validate.
    """
    folder = Path(into)
    rules = mapping if isinstance(mapping, CrmMapping) else resolve_mapping(preset, mapping)
    manifest, base, fmt = _base(folder)
    exports = _exports(files, rules)
    lookup: TerritoryLookup | None = None
    if territories is not None:
        lookup = load_lookup(territories, base["territories"]["id"].astype("str").str.strip())
    report = ImportReport()
    stamp = pd.Timestamp(as_of) if as_of is not None else None
    out_report = Path(report_path) if report_path is not None else folder / REPORT_NAME
    try:
        conversion = convert(
            exports,
            rules,
            base["territories"],
            base["channels"],
            lookup=lookup,
            window_months=window_months,
            as_of=stamp,
            report=report,
            label=str(folder / (manifest.tables.get("channels") or "channels.csv")),
        )
    finally:  # the report says what went wrong, whatever happens next
        report.write(out_report)
    frames = {name: frame for name, frame in base.items() if name not in conversion.drop}
    frames.update(conversion.tables)
    labels = {f"<{name}>": f"{folder / name} (from the dataset folder)" for name in base}
    labels.update({f"<{name}>": f"{name} (imported)" for name in conversion.tables})
    try:
        merged = dataset_from_frames(frames, manifest)
    except DataError as error:
        raise _relabel(error, labels) from None
    write_dataset(merged, folder, fmt="parquet" if fmt == "parquet" else "csv")
    for table in conversion.drop:
        for suffix in (".csv", ".parquet", ".csv.gz"):
            (folder / f"{table}{suffix}").unlink(missing_ok=True)
    dataset = load_dataset(folder)
    listing = tuple(
        (export.file, module, export.shape, len(export.frame)) for export, module in exports
    )
    return ImportResult(dataset, report.frame(), conversion, out_report, listing)
