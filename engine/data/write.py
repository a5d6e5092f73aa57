"""Writing a dataset back to a folder (CSV or Parquet plus ``dataset.yaml``), atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml

from engine.atomic import atomic_path, write_text_atomic
from engine.data.dataset import MANIFEST_NAME, Dataset

__all__ = ["write_dataset"]


def write_dataset(
    dataset: Dataset, folder: str | Path, *, fmt: Literal["csv", "parquet"] = "csv"
) -> Path:
    """Write every table of ``dataset`` to ``folder`` and a manifest naming the files.

    Output is deterministic: the same dataset gives the same bytes. Returns the manifest path.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for name in sorted(dataset.frames):
        frame = dataset.frames[name]
        file = f"{name}.{fmt}"
        with atomic_path(out / file) as tmp:
            if fmt == "csv":
                frame.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
            else:
                frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
        files[name] = file
    manifest = dataset.manifest.model_dump()
    manifest["tables"] = files
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    write_text_atomic(out / MANIFEST_NAME, text)
    return out / MANIFEST_NAME
