"""Datasets: the schema (pydantic row models), loading, and validation."""

from engine.data.dataset import (
    MANIFEST_NAME,
    Dataset,
    DatasetManifest,
    dataset_from_frames,
    load_dataset,
)
from engine.data.schema import TABLES, BudgetCategory, ChannelKind

__all__ = [
    "MANIFEST_NAME",
    "TABLES",
    "BudgetCategory",
    "ChannelKind",
    "Dataset",
    "DatasetManifest",
    "dataset_from_frames",
    "load_dataset",
]
