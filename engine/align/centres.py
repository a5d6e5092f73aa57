"""Count mode beyond the exact model's size: location–allocation (Hess et al., 1965).

(Up to ``engine.align.districting.EXACT_UNITS`` units count mode is solved exactly there.)

1. **Seed** (deterministic): the first centre is the unit with the largest primary activity (ties:
   smallest id); each next one is the unit farthest (by graph distance, weighted by √activity) from
   the centres chosen so far — spread over the map like k-means++ without the randomness.
2. **Allocate**: solve the alignment MILP for these centres (balance, contiguity, objective).
3. **Locate**: move every centre to its territory's weighted 1-median (the member unit minimising
   Σ w·d to the other members, distances inside the territory).
4. Repeat 2–3 until the centres stop changing (or the iteration or time budget is spent).

The answer is a local optimum of the location–allocation problem, so it is reported as feasible:
a bound over every choice of centres comes only from the exact model.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from engine.align.distances import centre_distances
from engine.align.inputs import AlignmentInputs

__all__ = ["relocate_centres", "seed_centres"]


def seed_centres(inputs: AlignmentInputs, graph: nx.Graph, count: int) -> np.ndarray:
    """``count`` spread-out centres (see the module docstring)."""
    primary = inputs.activity[:, 0]
    first = int(np.lexsort((np.arange(inputs.num_units), -primary))[0])
    chosen = [first]
    nearest = centre_distances_single(inputs, graph, first)
    weight = np.sqrt(np.maximum(primary, 0)) + 1e-9
    while len(chosen) < count:
        score = np.where(np.isfinite(nearest), nearest, 1e18) * weight
        score[chosen] = -1
        nxt = int(np.argmax(score))
        chosen.append(nxt)
        nearest = np.minimum(nearest, centre_distances_single(inputs, graph, nxt))
    return np.asarray(sorted(chosen), dtype=np.int64)


def centre_distances_single(inputs: AlignmentInputs, graph: nx.Graph, source: int) -> np.ndarray:
    """Graph distance from one unit to every unit."""
    return centre_distances(inputs, graph, [source])[:, 0]


def relocate_centres(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    assignment: np.ndarray,
    weight: np.ndarray,
    centre: np.ndarray,
) -> np.ndarray:
    """Each territory's weighted 1-median among its members (current centre kept on ties)."""
    result = centre.copy()
    for t in range(len(centre)):
        members = np.flatnonzero(assignment == t).tolist()
        if not members:
            continue
        sub = graph.subgraph(members)
        best_unit, best_cost = int(centre[t]), np.inf
        for unit in sorted(members):
            if inputs.distance_table is not None:  # count mode with a unit × centre table
                column = inputs.distance_table[members, unit]
                if not np.isfinite(column).all():
                    continue
                cost = float(np.dot(weight[members], column))
            else:
                lengths = nx.single_source_dijkstra_path_length(sub, unit, weight="length")
                if len(lengths) < len(members):
                    continue
                cost = sum(weight[v] * d for v, d in lengths.items())
            if cost < best_cost - 1e-9 or (abs(cost - best_cost) <= 1e-9 and unit == centre[t]):
                best_unit, best_cost = unit, cost
        result[t] = best_unit
    return result
