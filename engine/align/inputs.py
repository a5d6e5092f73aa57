"""Alignment inputs: tables in, one validated, index-based :class:`AlignmentInputs` out.

Tables (pandas DataFrames, or CSV files via :mod:`engine.align.io`):

- units: ``unit`` (id), optional ``lat``/``lon`` (degrees), one numeric column per activity;
- adjacency: ``a, b`` (unit ids; each border once, either order);
- centres: ``rep, unit`` (the rep's home unit) — or a territory count instead;
- distances (optional): ``unit, rep, distance`` (long form); pairs missing from it are not allowed;
  in count mode ``unit, centre, distance`` with a unit id as centre (any unit may become one);
- current (optional): ``unit, rep``; locks (optional): ``unit, rep``.

Every problem is reported as a :class:`DataIssue` naming the table, the spreadsheet row (header =
row 1), the column, the bad value and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from engine.errors import DataError, DataIssue
from engine.network import great_circle_km

__all__ = ["AlignmentInputs", "Bounds", "Metric", "prepare_inputs"]

#: How unit-to-centre distances are measured when no distance table is given.
Metric = Literal["graph", "straight"]

#: Explicit balance bounds per rep for one activity: (lower, upper).
Bounds = tuple[float, float]
_COORDINATES = ("lat", "lon", "x", "y")


@dataclass(frozen=True, eq=False)
class AlignmentInputs:
    """Validated alignment data; units and reps are referred to by position (sorted ids)."""

    units: tuple[str, ...]
    activity_names: tuple[str, ...]
    activity: np.ndarray  # (units, activities), float, >= 0
    edges: np.ndarray  # (borders, 2) unit positions, a < b, unique, sorted
    lat: np.ndarray | None
    lon: np.ndarray | None
    count: int  # number of territories
    reps: tuple[str, ...] | None  # None: centres to be chosen (count mode)
    centre: np.ndarray | None  # (reps,) unit position of each rep's home
    lower: np.ndarray  # (activities,) balance lower bound per territory
    upper: np.ndarray  # (activities,) balance upper bound per territory
    distance_table: np.ndarray | None = None  # (units, reps or units in count mode); inf = barred
    current: np.ndarray | None = None  # (units,) rep position today, -1 = none
    locks: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[str, ...] = ()  # what was accepted but ignored (self borders)

    @property
    def num_units(self) -> int:
        return len(self.units)

    @property
    def primary(self) -> str:
        return self.activity_names[0]

    def column(self, activity: str) -> np.ndarray:
        """The values of one activity per unit."""
        return self.activity[:, self.activity_names.index(activity)]


class _Issues:
    def __init__(self) -> None:
        self.items: list[DataIssue] = []
        self.warnings: list[str] = []

    def add(
        self,
        file: str,
        expected: str,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.items.append(DataIssue(file, expected, row, column, value))

    def raise_if_any(self) -> None:
        if self.items:
            raise DataError(self.items[:20], omitted=max(0, len(self.items) - 20))


def _require_columns(
    issues: _Issues, table: pd.DataFrame, name: str, columns: Sequence[str]
) -> bool:
    missing = [c for c in columns if c not in table.columns]
    for column in missing:
        issues.add(name, f"a column {column!r} (columns found: {list(table.columns)})", 1, column)
    return not missing


def _numbers(
    issues: _Issues, table: pd.DataFrame, name: str, column: str, *, minimum: float | None = 0.0
) -> np.ndarray:
    raw = table[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if minimum is not None:
        bad |= values < minimum
    expected = "a finite number" + (f" >= {minimum:g}" if minimum is not None else "")
    for position in np.flatnonzero(bad)[:20]:
        issues.add(name, expected, _row(table, position), column, raw.iloc[position])
    return values


def _row(table: pd.DataFrame, position: int) -> int:
    """The spreadsheet row of data record ``position`` (``attrs["rows"]``: blank lines counted)."""
    rows = table.attrs.get("rows")
    if rows is None or not 0 <= int(position) < len(rows):
        return int(position) + 2
    return int(rows[position])


def _ids(table: pd.DataFrame, column: str) -> pd.Series:
    return table[column].astype(str).str.strip()


def _lookup(
    issues: _Issues,
    table: pd.DataFrame,
    name: str,
    column: str,
    known: Mapping[str, int],
    what: str,
) -> np.ndarray:
    ids = _ids(table, column)
    positions = ids.map(known)
    for row in np.flatnonzero(positions.isna().to_numpy())[:20]:
        issues.add(name, f"a known {what} id", _row(table, row), column, ids.iloc[row])
    return positions.fillna(-1).to_numpy(dtype=np.int64)


def _unit_table(
    issues: _Issues, units: pd.DataFrame, name: str, activities: Sequence[str] | None
) -> tuple[list[str], list[str], np.ndarray, np.ndarray | None, np.ndarray | None]:
    if not _require_columns(issues, units, name, ["unit"]):
        issues.raise_if_any()
    if activities:
        _require_columns(issues, units, name, list(activities))
        names = list(activities)
    else:
        # an activity is a column whose cells are numbers; one with mostly numbers is one with
        # typos (reported cell by cell below), not a text column to leave out
        names = []
        for c in units.columns:
            if c == "unit" or c in _COORDINATES:
                continue
            given = units[c].notna()
            numeric = pd.to_numeric(units[c], errors="coerce").notna()
            if given.any() and numeric.sum() >= max(1, 0.5 * given.sum()):
                names.append(c)
        if not names:
            issues.add(name, "at least one numeric activity column besides 'unit', 'lat', 'lon'")
    issues.raise_if_any()
    ids = _ids(units, "unit")
    duplicated = ids.duplicated()
    for row in np.flatnonzero(duplicated.to_numpy())[:20]:
        issues.add(name, "a unique unit id", _row(units, row), "unit", ids.iloc[row])
    for row in np.flatnonzero((ids == "").to_numpy())[:20]:
        issues.add(name, "a non-empty unit id", _row(units, row), "unit", "")
    activity = np.column_stack([_numbers(issues, units, name, c) for c in names])
    lat = lon = None
    if "lat" in units.columns and "lon" in units.columns:
        lat = _numbers(issues, units, name, "lat", minimum=-90.0)
        lon = _numbers(issues, units, name, "lon", minimum=-180.0)
    issues.raise_if_any()
    order = np.argsort(ids.to_numpy(), kind="stable")
    sorted_ids = [str(ids.iloc[i]) for i in order]
    return (
        sorted_ids,
        names,
        activity[order],
        None if lat is None else lat[order],
        None if lon is None else lon[order],
    )


def _edges(
    issues: _Issues, adjacency: pd.DataFrame, name: str, known: Mapping[str, int]
) -> np.ndarray:
    if not _require_columns(issues, adjacency, name, ["a", "b"]):
        return np.zeros((0, 2), dtype=np.int64)
    a = _lookup(issues, adjacency, name, "a", known, "unit")
    b = _lookup(issues, adjacency, name, "b", known, "unit")
    loops = np.flatnonzero((a == b) & (a >= 0))
    if len(loops):  # the Census county file lists every county as its own neighbour
        rows = ", ".join(str(_row(adjacency, row)) for row in loops[:10].tolist())
        more = f" and {len(loops) - 10} more" if len(loops) > 10 else ""
        issues.warnings.append(f"{name}: borders of a unit with itself ignored (rows {rows}{more})")
    keep = (a >= 0) & (b >= 0) & (a != b)
    pairs = np.sort(np.column_stack([a[keep], b[keep]]), axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else np.zeros((0, 2), dtype=np.int64)


def _centre_distances(
    issues: _Issues, table: pd.DataFrame, name: str, known_units: Mapping[str, int]
) -> np.ndarray | None:
    """Count mode: ``unit, centre, distance`` (centre = a unit id) as a (units, units) table."""
    if not _require_columns(issues, table, name, ["unit", "centre", "distance"]):
        return None
    unit_pos = _lookup(issues, table, name, "unit", known_units, "unit")
    centre_pos = _lookup(issues, table, name, "centre", known_units, "unit")
    values = _numbers(issues, table, name, "distance")
    keys = pd.Series(list(zip(unit_pos, centre_pos, strict=True)))
    for row in np.flatnonzero(keys.duplicated().to_numpy() & (unit_pos >= 0))[:20]:
        unit = table["unit"].iloc[row]
        issues.add(name, "each (unit, centre) pair once", _row(table, row), "unit", unit)
    result = np.full((len(known_units), len(known_units)), np.inf)
    ok = (unit_pos >= 0) & (centre_pos >= 0)
    result[unit_pos[ok], centre_pos[ok]] = values[ok]
    np.fill_diagonal(result, 0.0)
    return result


def _tolerances(
    issues: _Issues, names: Sequence[str], tolerance: float | Mapping[str, float]
) -> np.ndarray:
    if isinstance(tolerance, Mapping):
        for key in sorted(set(tolerance) - set(names)):
            issues.add("<tolerance>", f"an activity name ({list(names)})", value=key)
        values = [float(tolerance.get(n, 0.05)) for n in names]
    else:
        values = [float(tolerance)] * len(names)
    for name, value in zip(names, values, strict=True):
        if not (math.isfinite(value) and value >= 0):
            issues.add(
                "<tolerance>", "a tolerance >= 0 (0.05 means ±5 %)", column=name, value=value
            )
    return np.asarray(values)


def _straight(
    issues: _Issues,
    units: pd.DataFrame,
    name: str,
    order: np.ndarray,
    centre: np.ndarray | None,
) -> np.ndarray | None:
    """Straight-line distances from every unit to every centre (or unit, in count mode)."""
    if "lat" in units.columns and "lon" in units.columns:
        lat = _numbers(issues, units, name, "lat", minimum=-90.0)[order]
        lon = _numbers(issues, units, name, "lon", minimum=-180.0)[order]
        issues.raise_if_any()
        to = np.arange(len(lat)) if centre is None else centre
        return great_circle_km(lat[:, None], lon[:, None], lat[None, to], lon[None, to])
    if "x" in units.columns and "y" in units.columns:
        x = _numbers(issues, units, name, "x", minimum=None)[order]
        y = _numbers(issues, units, name, "y", minimum=None)[order]
        issues.raise_if_any()
        to = np.arange(len(x)) if centre is None else centre
        return np.hypot(x[:, None] - x[None, to], y[:, None] - y[None, to])
    issues.add(name, "'lat' and 'lon' (or 'x' and 'y') columns for straight-line distances")
    return None


#: A table, or for centres, the current alignment and locks a mapping ({rep: unit}, {unit: rep}).
Table = pd.DataFrame | Mapping[str, str]


def _frame(table: Table | None, value_column: str, key_column: str = "unit") -> pd.DataFrame | None:
    if table is None or isinstance(table, pd.DataFrame):
        return table
    keys = sorted(table)
    return pd.DataFrame({key_column: keys, value_column: [table[k] for k in keys]})


def prepare_inputs(
    units: pd.DataFrame,
    adjacency: pd.DataFrame,
    *,
    centres: Table | None = None,
    count: int | None = None,
    distances: pd.DataFrame | None = None,
    current: Table | None = None,
    locks: Table | None = None,
    activities: Sequence[str] | None = None,
    tolerance: float | Mapping[str, float] = 0.05,
    bounds: Mapping[str, Bounds] | None = None,
    names: Mapping[str, str] | None = None,
    metric: Metric = "graph",
) -> AlignmentInputs:
    """Validate the tables and return index-based inputs (raises :class:`DataError`).

    ``centres`` is a ``rep, unit`` table or ``{rep: unit}``; ``current`` and ``locks`` are
    ``unit, rep`` tables or ``{unit: rep}``.

    ``metric``: ``graph`` — shortest paths along shared borders (km between centroids with
    ``lat``/``lon``, else hops) — or ``straight`` — straight-line distance between centroids
    (great-circle km from ``lat``/``lon``, else Euclidean from ``x``/``y``), as in the Hess and
    commercial territory-design models; it becomes the distance table.

    ``names`` maps table kinds (``units``, ``adjacency``, ``centres``, ``distances``, ``current``,
    ``locks``) to the file names used in messages. The balance band per territory for an activity
    is ``[(1 − τ)·mean, (1 + τ)·mean]`` with ``mean = total / territories``, unless ``bounds``
    gives it explicitly.
    """
    centres = _frame(centres, "unit", "rep")
    current, locks = _frame(current, "rep"), _frame(locks, "rep")
    label = {
        key: f"<{key}>"
        for key in ("units", "adjacency", "centres", "distances", "current", "locks")
    }
    label.update(names or {})
    issues = _Issues()
    unit_ids, activity_names, activity, lat, lon = _unit_table(
        issues, units, label["units"], activities
    )
    known_units = {unit: position for position, unit in enumerate(unit_ids)}
    edges = _edges(issues, adjacency, label["adjacency"], known_units)

    reps: tuple[str, ...] | None = None
    centre = None
    if (centres is None) == (count is None):
        issues.add(label["centres"], "either rep centres or a territory count (exactly one)")
        issues.raise_if_any()
    if centres is not None:
        if _require_columns(issues, centres, label["centres"], ["rep", "unit"]):
            rep_ids = _ids(centres, "rep")
            if centres.empty:
                issues.add(label["centres"], "at least one row (rep, unit)")
            for row in np.flatnonzero((rep_ids == "").to_numpy())[:20]:
                issues.add(label["centres"], "a non-empty rep id", _row(centres, row), "rep", "")
            for row in np.flatnonzero(rep_ids.duplicated().to_numpy())[:20]:
                where = _row(centres, row)
                issues.add(label["centres"], "one centre per rep", where, "rep", rep_ids.iloc[row])
            homes = _lookup(issues, centres, label["centres"], "unit", known_units, "unit")
            for row in np.flatnonzero(pd.Series(homes).duplicated().to_numpy() & (homes >= 0))[:20]:
                issues.add(
                    label["centres"],
                    "a different home unit for every rep",
                    _row(centres, row),
                    "unit",
                    centres["unit"].iloc[row],
                )
            order = np.argsort(rep_ids.to_numpy(), kind="stable")
            reps = tuple(str(rep_ids.iloc[i]) for i in order)
            centre = homes[order]
        territory_count = len(reps or ())
    else:
        territory_count = int(count or 0)
        if not 1 <= territory_count <= len(unit_ids):
            issues.add("<count>", f"a territory count between 1 and {len(unit_ids)}", value=count)
        for table, key in ((current, "current"), (locks, "locks")):
            if table is not None:
                issues.add(label[key], "rep centres (this table names reps, a count does not)")
    issues.raise_if_any()
    known_reps = {rep: position for position, rep in enumerate(reps or ())}

    def rep_column(table: pd.DataFrame, key: str) -> tuple[np.ndarray, np.ndarray]:
        if not _require_columns(issues, table, label[key], ["unit", "rep"]):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        unit_pos = _lookup(issues, table, label[key], "unit", known_units, "unit")
        rep_pos = _lookup(issues, table, label[key], "rep", known_reps, "rep")
        keys = (
            pd.Series(unit_pos)
            if key != "distances"
            else pd.Series(list(zip(unit_pos, rep_pos, strict=True)))
        )
        what = "each unit at most once" if key != "distances" else "each (unit, rep) pair once"
        for row in np.flatnonzero(keys.duplicated().to_numpy() & (unit_pos >= 0))[:20]:
            issues.add(label[key], what, _row(table, row), "unit", table["unit"].iloc[row])
        return unit_pos, rep_pos

    table_out = None
    if distances is not None and reps is not None:
        unit_pos, rep_pos = rep_column(distances, "distances")
        if "distance" in distances.columns:
            values = _numbers(issues, distances, label["distances"], "distance")
            table_out = np.full((len(unit_ids), len(reps)), np.inf)
            ok = (unit_pos >= 0) & (rep_pos >= 0)
            table_out[unit_pos[ok], rep_pos[ok]] = values[ok]
        else:
            _require_columns(issues, distances, label["distances"], ["distance"])
    if distances is not None and reps is None:
        table_out = _centre_distances(issues, distances, label["distances"], known_units)
    if metric == "straight":
        if distances is not None:
            issues.add(label["distances"], "a distance table or metric 'straight', not both")
        else:
            issues.raise_if_any()
            order = np.argsort(_ids(units, "unit").to_numpy(), kind="stable")
            table_out = _straight(issues, units, label["units"], order, centre)
    elif metric != "graph":
        issues.add("<metric>", "'graph' or 'straight'", value=metric)
    current_out = None
    if current is not None:
        unit_pos, rep_pos = rep_column(current, "current")
        current_out = np.full(len(unit_ids), -1, dtype=np.int64)
        ok = (unit_pos >= 0) & (rep_pos >= 0)
        current_out[unit_pos[ok]] = rep_pos[ok]
    lock_map: dict[int, int] = {}
    if locks is not None:
        unit_pos, rep_pos = rep_column(locks, "locks")
        lock_map = {
            int(u): int(r) for u, r in zip(unit_pos, rep_pos, strict=True) if u >= 0 and r >= 0
        }
    if centre is not None:
        for rep, home in enumerate(centre):
            if lock_map.get(int(home), rep) != rep:
                issues.add(
                    label["locks"],
                    f"no lock of the home unit of rep {reps[rep]!r} to another rep",  # type: ignore[index]
                    column="unit",
                    value=unit_ids[home],
                )

    taus = _tolerances(issues, activity_names, tolerance)
    issues.raise_if_any()
    mean = activity.sum(axis=0) / max(territory_count, 1)
    lower, upper = (1 - taus) * mean, (1 + taus) * mean
    for key, (low, high) in sorted((bounds or {}).items()):
        if key not in activity_names:
            issues.add("<bounds>", f"an activity name ({activity_names})", value=key)
        elif not (0 <= low <= high):
            issues.add("<bounds>", "bounds 0 <= lower <= upper", column=key, value=(low, high))
        else:
            lower[activity_names.index(key)], upper[activity_names.index(key)] = low, high
    issues.raise_if_any()
    return AlignmentInputs(
        units=tuple(unit_ids),
        activity_names=tuple(activity_names),
        activity=activity,
        edges=edges,
        lat=lat,
        lon=lon,
        count=territory_count,
        reps=reps,
        centre=centre,
        lower=lower,
        upper=upper,
        distance_table=table_out,
        current=current_out,
        locks=MappingProxyType(lock_map),
        warnings=tuple(issues.warnings),
    )
