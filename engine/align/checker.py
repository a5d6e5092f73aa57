"""Independent checker of an alignment — no solver: coverage, balance, contiguity, objectives.

Used by the tests on every solution, by :func:`engine.align.align` for its metrics, and by
``salesnet align check``. Distances are recomputed here from the inputs (networkx Dijkstra from each
centre), not read from a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import networkx as nx
import numpy as np
import pandas as pd

from engine.align.distances import centre_distances, unit_graph
from engine.align.inputs import AlignmentInputs

__all__ = ["AlignmentCheck", "check_alignment", "objective_values"]


@dataclass(frozen=True, eq=False)
class AlignmentCheck:
    """The verdict on one alignment: ``ok``, the problems found, per-territory table, objectives."""

    ok: bool
    problems: tuple[str, ...]
    territories: (
        pd.DataFrame
    )  # rep, centre, units, <activity>, <activity>_low/_high/_ok, components
    objectives: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))


def objective_values(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    assignment: np.ndarray,
    centre: np.ndarray | None,
    *,
    compactness_weight: np.ndarray | None = None,
    disruption_weight: np.ndarray | None = None,
    distance_power: int = 1,
    distance: np.ndarray | None = None,
) -> dict[str, float | None]:
    """compactness, cut_edges and disruption of an assignment (territory position per unit)."""
    a, b = inputs.edges[:, 0], inputs.edges[:, 1]
    values: dict[str, float | None] = {
        "cut_edges": float(np.count_nonzero(assignment[a] != assignment[b])),
        "compactness": None,
        "disruption": None,
    }
    if centre is not None and (assignment >= 0).all():
        if distance is None:
            distance = centre_distances(inputs, graph, centre.tolist())
        weight = np.ones(inputs.num_units) if compactness_weight is None else compactness_weight
        own = distance[np.arange(inputs.num_units), assignment]
        values["compactness"] = float(np.sum(weight * own**distance_power))
    if inputs.current is not None:
        weight = np.ones(inputs.num_units) if disruption_weight is None else disruption_weight
        moved = (inputs.current >= 0) & (inputs.current != assignment)
        values["disruption"] = float(weight[moved].sum())
    return values


def _positions(
    inputs: AlignmentInputs, assignment: pd.DataFrame, problems: list[str]
) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Territory position per unit, territory labels, centre per territory (or None)."""
    for column in ("unit", "rep"):
        if column not in assignment.columns:
            problems.append(f"assignment has no {column!r} column")
            return np.full(inputs.num_units, -1), [], None
    units = assignment["unit"].astype(str).str.strip()
    reps = assignment["rep"].astype(str).str.strip()
    known = {unit: position for position, unit in enumerate(inputs.units)}
    for unit in sorted(set(units[units.duplicated()])):
        problems.append(f"unit {unit!r} is assigned more than once")
    for unit in sorted(set(units) - set(known)):
        problems.append(f"unit {unit!r} is not in the units table")
    labels = list(inputs.reps) if inputs.reps is not None else sorted(set(reps))
    index = {rep: position for position, rep in enumerate(labels)}
    for rep in sorted(set(reps) - set(index)):
        problems.append(f"rep {rep!r} is not one of the reps")
    result = np.full(inputs.num_units, -1, dtype=np.int64)
    for unit, rep in zip(units, reps, strict=True):
        if unit in known and rep in index:
            result[known[unit]] = index[rep]
    missing = [inputs.units[u] for u in np.flatnonzero(result < 0)]
    if missing:
        problems.append(f"{len(missing)} unit(s) not assigned, e.g. {missing[:5]}")
    centre = inputs.centre
    if "centre" in assignment.columns:
        named = pd.DataFrame({"rep": reps, "centre": assignment["centre"].astype(str).str.strip()})
        named = named[named["rep"].isin(list(index))].drop_duplicates()
        given: dict[str, str] = {}
        for key, group in named.groupby("rep", sort=True):
            label = str(key)
            if len(group) > 1:
                listed = ", ".join(repr(c) for c in sorted(group["centre"]))
                problems.append(f"rep {label!r} has more than one centre ({listed})")
            given[label] = str(group["centre"].iloc[0])
        for rep, unit in sorted(given.items()):
            if unit not in known:
                problems.append(f"rep {rep!r}: centre {unit!r} is not in the units table")
            elif centre is not None and known[unit] != centre[index[rep]]:
                home = inputs.units[centre[index[rep]]]
                problems.append(f"rep {rep!r}: centre {unit!r}, but the centres give {home!r}")
        if centre is None and all(given.get(rep) in known for rep in labels):
            centre = np.asarray([known[given[rep]] for rep in labels], dtype=np.int64)
    return result, labels, centre


def check_alignment(
    inputs: AlignmentInputs,
    assignment: pd.DataFrame,
    *,
    contiguity: bool = True,
    compactness_weight: np.ndarray | None = None,
    disruption_weight: np.ndarray | None = None,
    distance_power: int = 1,
    graph: nx.Graph | None = None,
    tolerance_abs: float = 1e-6,
) -> AlignmentCheck:
    """Verify ``assignment`` (columns ``unit, rep``, optional ``centre``) against ``inputs``."""
    problems: list[str] = []
    graph = graph if graph is not None else unit_graph(inputs)
    position, labels, centre = _positions(inputs, assignment, problems)
    territories = len(labels)
    if inputs.reps is None and territories != inputs.count:
        problems.append(f"{territories} territories, expected {inputs.count}")
    loads = np.zeros((territories, len(inputs.activity_names)))
    assigned = position >= 0
    np.add.at(loads, position[assigned], inputs.activity[assigned])
    table = pd.DataFrame({"rep": labels})
    table["centre"] = [inputs.units[c] for c in centre] if centre is not None else None
    table["units"] = np.bincount(position[assigned], minlength=territories)
    for a, name in enumerate(inputs.activity_names):
        low, high = float(inputs.lower[a]), float(inputs.upper[a])
        slack = tolerance_abs * max(1.0, high)
        inside = (loads[:, a] >= low - slack) & (loads[:, a] <= high + slack)
        table[name] = loads[:, a]
        table[f"{name}_low"], table[f"{name}_high"], table[f"{name}_ok"] = low, high, inside
        for t in np.flatnonzero(~inside).tolist():
            problems.append(
                f"rep {labels[t]!r}: {name} {loads[t, a]:.6g} outside [{low:.6g}, {high:.6g}]"
            )
    components = []
    for t, label in enumerate(labels):
        members = np.flatnonzero(position == t).tolist()
        count = nx.number_connected_components(graph.subgraph(members)) if members else 0
        components.append(count)
        if contiguity and count > 1:
            problems.append(f"rep {label!r} is not contiguous ({count} pieces)")
        if centre is not None and position[centre[t]] != t:
            problems.append(
                f"rep {label!r} does not contain its centre {inputs.units[centre[t]]!r}"
            )
    table["components"] = components
    for unit, rep in sorted(inputs.locks.items()):
        if position[unit] != rep:
            problems.append(f"locked unit {inputs.units[unit]!r} is not with its rep")
    objectives = objective_values(
        inputs,
        graph,
        position,
        centre,
        compactness_weight=compactness_weight,
        disruption_weight=disruption_weight,
        distance_power=distance_power,
    )
    return AlignmentCheck(
        ok=not problems,
        problems=tuple(problems),
        territories=table,
        objectives=MappingProxyType(objectives),
    )
