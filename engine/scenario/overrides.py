"""Applying a scenario's overrides to a dataset: select rows by condition, then change them.

Selectors use the rules' condition grammar per column (ANDed). A selector matching no row is an
error (it is almost always a typo). Dropping rows also drops the rows that reference them
(a partner's coverage, a rep's or account's actuals); territories and channels cannot be dropped —
set their potential or shares to zero instead. The result is validated again as a whole dataset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from engine.data.dataset import Dataset, dataset_from_frames
from engine.errors import DataError, RuleError, ScenarioError
from engine.rules.conditions import parse_condition
from engine.scenario.model import Cell, Override

__all__ = ["apply_change", "apply_overrides", "select_rows"]

#: Dropping rows of a table also drops rows of these (table, column) that reference them.
_CASCADE = {
    "partners": (("coverage", "partner"), ("actuals", "partner")),
    "reps": (("actuals", "rep"),),
    "accounts": (("actuals", "account"),),
}
_UNDROPPABLE = {"territories", "channels"}


_ID_LIKE = re.compile(r"^[0-9][0-9A-Za-z_.-]*$")


def _is_text(values: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(values) or values.dtype == object)


def _as_text_literal(cell: Cell) -> Cell:
    """In a text column ``09001`` or ``9001`` means that text (a FIPS code, an id), not a number."""
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f'"{cell}"'
    if isinstance(cell, str) and _ID_LIKE.match(cell.strip()):
        return f'"{cell.strip()}"'
    return cell


def select_rows(
    frame: pd.DataFrame, where: Mapping[str, Cell], *, file: str, key: str
) -> np.ndarray:
    """Boolean mask of the rows of ``frame`` matching every condition in ``where``."""
    mask = np.ones(len(frame), dtype=bool)
    for column, cell in where.items():
        if column not in frame.columns:
            known = ", ".join(map(str, frame.columns))
            raise ScenarioError(
                f"no column {column!r} (columns: {known})", file=file, key=f"{key}.where.{column}"
            )
        if _is_text(frame[column]):
            cell = _as_text_literal(cell)
        try:
            condition = parse_condition(cast(Any, cell), column=column, file=file)
            mask &= condition.mask(frame[column])
        except RuleError as error:
            raise ScenarioError(error.message, file=file, key=f"{key}.where.{column}") from None
    return mask


def apply_change(
    frame: pd.DataFrame,
    mask: np.ndarray,
    action: str,
    changes: Mapping[str, Any],
    *,
    file: str,
    key: str,
) -> pd.DataFrame:
    """A copy of ``frame`` with ``action`` (set / scale / add) applied to the selected rows."""
    out = frame.copy()
    for column, value in changes.items():
        if column not in out.columns:
            raise ScenarioError(
                f"no column {column!r} to {action}", file=file, key=f"{key}.{action}.{column}"
            )
        numeric = pd.api.types.is_numeric_dtype(out[column])
        if action == "set":
            if numeric and isinstance(value, str):
                value = _number(value, value)  # YAML reads 1e6 as text
            if numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
                message = f"column {column!r} holds numbers; got {value!r}"
                raise ScenarioError(message, file=file, key=f"{key}.set.{column}")
            out[column] = out[column].where(~mask, value)
            continue
        if not numeric:
            raise ScenarioError(
                f"cannot {action} text column {column!r}", file=file, key=f"{key}.{action}.{column}"
            )
        numbers = out[column].astype("float64")
        numbers = numbers.where(~mask, numbers * value if action == "scale" else numbers + value)
        out[column] = numbers
    return out


def _number(text: str, fallback: Any) -> Any:
    try:
        return float(text)
    except ValueError:
        return fallback


def _drop(
    frames: dict[str, pd.DataFrame], table: str, mask: np.ndarray, *, file: str, key: str
) -> None:
    if table in _UNDROPPABLE:
        raise ScenarioError(
            f"{table} cannot be dropped; set their potential or shares to 0 instead",
            file=file,
            key=f"{key}.drop",
        )
    gone = set(frames[table].loc[mask, "id"]) if "id" in frames[table].columns else set()
    frames[table] = frames[table].loc[~mask].reset_index(drop=True)
    for other, column in _CASCADE.get(table, ()):
        if other in frames:
            keep = ~frames[other][column].isin(gone)
            frames[other] = frames[other].loc[keep].reset_index(drop=True)


def apply_overrides(
    dataset: Dataset, overrides: Iterable[tuple[str, int | str, Override]], *, scenario: str
) -> Dataset:
    """A new dataset with every override applied in order; ``dataset`` is not changed."""
    listed = list(overrides)
    frames = _applied(dataset, listed)
    if frames is None:
        return dataset
    try:
        return dataset_from_frames(frames, dataset.manifest)
    except DataError as error:
        problems = "; ".join(str(issue) for issue in error.issues)
        if error.omitted:
            problems += f"; … and {error.omitted} more"
        # the first override after which the data no longer validates (only on this path)
        for count in range(1, len(listed) + 1):
            partial = _applied(dataset, listed[:count])
            try:
                if partial is not None:
                    dataset_from_frames(partial, dataset.manifest)
            except DataError:
                file, index, _ = listed[count - 1]
                key = index if isinstance(index, str) else f"overrides[{index}]"
                raise ScenarioError(
                    f"this override leaves the dataset invalid: {problems}", file=file, key=key
                ) from None
        raise ScenarioError(
            f"the overrides leave the dataset invalid: {error}", file=scenario, key="overrides"
        ) from None


def _applied(
    dataset: Dataset, overrides: list[tuple[str, int | str, Override]]
) -> dict[str, pd.DataFrame] | None:
    """The tables with ``overrides`` applied in order (None when they change nothing)."""
    frames = {name: frame.copy(deep=False) for name, frame in dataset.frames.items()}
    changed = False
    for file, index, override in overrides:
        key = index if isinstance(index, str) else f"overrides[{index}]"
        if override.table not in frames:
            raise ScenarioError(
                f"the dataset has no {override.table} table", file=file, key=f"{key}.table"
            )
        frame = frames[override.table]
        mask = select_rows(frame, override.where, file=file, key=key)
        if not mask.any():
            raise ScenarioError(
                f"the selector matches no row of {override.table}", file=file, key=f"{key}.where"
            )
        changed = True
        if override.drop:
            _drop(frames, override.table, mask, file=file, key=key)
            continue
        for action in ("set", "scale", "add"):
            changes = getattr(override, action)
            if changes is not None:
                frames[override.table] = apply_change(
                    frame, mask, action, changes, file=file, key=key
                )
    return frames if changed else None
