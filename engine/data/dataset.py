"""A validated dataset: the manifest, typed tables, and the warnings found while loading.

A dataset is a folder with ``dataset.yaml`` and one CSV or Parquet file per table, or the same
tables handed over as DataFrames (:func:`dataset_from_frames`). Either way every table is checked
against the schema and against the others, and all problems are reported together in one
:class:`~engine.errors.DataError`. The caller's frames are never modified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.data.columns import coerce_table
from engine.data.integrity import check_integrity
from engine.data.issues import IssueLog
from engine.data.read import read_table
from engine.data.schema import TABLES, columns_of
from engine.errors import DataError, DataIssue, RuleError
from engine.yamlio import line_at, load_yaml

__all__ = ["MANIFEST_NAME", "Dataset", "DatasetManifest", "dataset_from_frames", "load_dataset"]

MANIFEST_NAME = "dataset.yaml"


class DatasetManifest(BaseModel):
    """``dataset.yaml``: what the dataset is and which file holds which table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Dataset name.", examples=["demo-midwest"])
    version: str = Field("1", description="Version label of the data.")
    currency: str = Field("USD", description="Currency of every money column (ISO 4217).")
    period: str = Field(description="The planning period flows refer to.", examples=["2027-Q1"])
    description: str = Field("", description="Free text.")
    tables: dict[str, str] = Field(
        default_factory=dict,
        description="Table name → file (relative to dataset.yaml). A table not listed is read "
        "from `<table>.parquet` or `<table>.csv` when such a file exists.",
    )


def _empty(table: str) -> pd.DataFrame:
    log = IssueLog()
    names = [spec.name for spec in columns_of(TABLES[table].model)]
    return coerce_table(pd.DataFrame({name: [] for name in names}), TABLES[table], table, log)


@dataclass(frozen=True)
class Dataset:
    """A validated dataset. Tables come back as copies: changing one never changes the dataset."""

    manifest: DatasetManifest
    frames: Mapping[str, pd.DataFrame]
    source: str | None = None
    warnings: tuple[DataIssue, ...] = field(default=())

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` (an empty, typed frame for an optional table the dataset lacks)."""
        if name not in TABLES:
            raise KeyError(f"unknown table {name!r}; tables are {', '.join(TABLES)}")
        frame = self.frames.get(name)
        return _empty(name) if frame is None else frame.copy(deep=False)

    def has(self, name: str) -> bool:
        """Whether the dataset holds table ``name``."""
        return name in self.frames

    @property
    def territories(self) -> pd.DataFrame:
        return self.table("territories")

    @property
    def adjacency(self) -> pd.DataFrame:
        return self.table("adjacency")

    @property
    def channels(self) -> pd.DataFrame:
        return self.table("channels")

    @property
    def accounts(self) -> pd.DataFrame:
        return self.table("accounts")

    @property
    def reps(self) -> pd.DataFrame:
        return self.table("reps")

    @property
    def partners(self) -> pd.DataFrame:
        return self.table("partners")

    @property
    def coverage(self) -> pd.DataFrame:
        return self.table("coverage")

    @property
    def budgets(self) -> pd.DataFrame:
        return self.table("budgets")

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 over the manifest and every table's values (order-sensitive).

        Where the tables are stored (file names, CSV or Parquet) does not change the hash.
        """
        digest = hashlib.sha256(self.manifest.model_dump_json(exclude={"tables"}).encode())
        for name in sorted(self.frames):
            frame = self.frames[name]
            digest.update(name.encode())
            digest.update(",".join(map(str, frame.columns)).encode())
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return digest.hexdigest()


def _at(label: str, line: int | None) -> str:
    return f"{label}:{line}" if line is not None else label


def _manifest(path: Path, log: IssueLog) -> DatasetManifest | None:
    """Read ``dataset.yaml`` with the project's strict YAML loader (duplicate keys, unsafe tags
    and alias bombs are refused); problems name the file and line."""
    label = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        log.error(label, f"a {MANIFEST_NAME} manifest in the dataset folder")
        return None
    except OSError as error:
        log.error(label, f"a readable file ({error.strerror or error})")
        return None
    try:
        data = load_yaml(raw.removeprefix(b"\xef\xbb\xbf"), file=label)
    except RuleError as error:
        problem = error.message.removeprefix("invalid YAML: ")
        log.error(_at(label, error.line), f"valid UTF-8 YAML ({problem})")
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        log.error(label, "a mapping with name, period and tables", value=data)
        return None
    try:
        return DatasetManifest.model_validate(data)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            loc = tuple(item["loc"])
            key = ".".join(map(str, loc))
            where = _at(label, line_at(data, loc))
            if item["type"] == "missing":
                log.error(where, "a value (the key is required)", column=key)
            elif item["type"] == "extra_forbidden":
                keys = ", ".join(DatasetManifest.model_fields)
                log.error(where, f"one of the keys {keys}", column=key)
            else:
                log.error(where, item["msg"], column=key, value=item.get("input"))
        return None


def _table_file(folder: Path, manifest: DatasetManifest, table: str) -> Path | None:
    if table in manifest.tables:
        return folder / manifest.tables[table]
    for suffix in (".parquet", ".csv", ".csv.gz"):
        candidate = folder / f"{table}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def load_dataset(path: str | Path) -> Dataset:
    """Load and validate the dataset in folder ``path`` (or the folder of a ``dataset.yaml``)."""
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    log = IssueLog()
    if not folder.is_dir():
        raise DataError([DataIssue(str(path), "a dataset folder holding dataset.yaml")])
    manifest = _manifest(folder / MANIFEST_NAME, log)
    if manifest is None:  # _manifest logged why
        raise DataError(log.errors)
    for table in manifest.tables:
        if table not in TABLES:
            log.error(
                str(folder / MANIFEST_NAME),
                f"a table name among {', '.join(TABLES)}",
                column=f"tables.{table}",
                value=table,
            )
    raw: dict[str, pd.DataFrame | None] = {}
    labels: dict[str, str] = {}
    for table, spec in TABLES.items():
        file = _table_file(folder, manifest, table)
        if file is None:
            if spec.required:
                log.error(str(folder), f"a {table} table ({table}.csv or {table}.parquet)")
            continue
        labels[table] = str(file)
        raw[table] = read_table(file, labels[table], log)
    return _validate(manifest, raw, labels, log, str(folder))


def dataset_from_frames(
    frames: Mapping[str, pd.DataFrame], manifest: DatasetManifest | Mapping[str, Any] | None = None
) -> Dataset:
    """Validate tables handed over as DataFrames (they are not modified)."""
    log = IssueLog()
    if manifest is None:
        manifest = DatasetManifest(name="in-memory", period="period")
    elif not isinstance(manifest, DatasetManifest):
        manifest = DatasetManifest.model_validate(dict(manifest))
    raw: dict[str, pd.DataFrame | None] = {}
    labels: dict[str, str] = {}
    for table, frame in frames.items():
        if table not in TABLES:
            log.error(f"<{table}>", f"a table name among {', '.join(TABLES)}")
            continue
        raw[table] = frame.reset_index(drop=True)
        labels[table] = f"<{table}>"
    for table, spec in TABLES.items():
        if spec.required and table not in frames:
            log.error(f"<{table}>", f"a {table} table")
    return _validate(manifest, raw, labels, log, None)


def _validate(
    manifest: DatasetManifest,
    raw: Mapping[str, pd.DataFrame | None],
    labels: dict[str, str],
    log: IssueLog,
    source: str | None,
) -> Dataset:
    typed: dict[str, pd.DataFrame] = {}
    for table, frame in raw.items():
        if frame is not None:
            typed[table] = coerce_table(frame, TABLES[table], labels[table], log)
    log.raise_if_errors()
    check_integrity(typed, labels, log)
    log.raise_if_errors()
    return Dataset(
        manifest=manifest,
        frames=MappingProxyType(typed),
        source=source,
        warnings=tuple(log.warnings),
    )
