"""Heuristic start: balanced multi-source region growing, then contiguity-preserving local moves.

1. **Grow.** Every territory starts from its centre (and its locked units). Repeatedly the
   territory with the smallest load of the primary activity takes the unassigned neighbouring unit
   closest to its centre (a multi-source BFS/Dijkstra, balanced on the primary activity), until
   every reachable unit is taken.
2. **Improve.** Boundary units move to a neighbouring territory when the move keeps the donor
   connected, keeps locks and centres in place, and lowers the total balance violation (over all
   activities, relative to the mean) — or keeps it at zero and lowers compactness.

The result is contiguous by construction and usually within the balance band; it is handed to
HiGHS as a MIP start and bounds the answer when the MILP is stopped early.
"""

from __future__ import annotations

import heapq
import time

import networkx as nx
import numpy as np

from engine.align.inputs import AlignmentInputs

__all__ = ["balance_violation", "grow_regions", "heuristic_start", "improve"]


def balance_violation(inputs: AlignmentInputs, loads: np.ndarray) -> float:
    """Σ over territories and activities of the distance outside the band, in units of the mean."""
    mean = np.maximum(inputs.activity.sum(axis=0) / max(len(loads), 1), 1e-12)
    over = np.maximum(loads - inputs.upper, 0) + np.maximum(inputs.lower - loads, 0)
    return float((over / mean).sum())


def grow_regions(
    inputs: AlignmentInputs, graph: nx.Graph, centre: np.ndarray, cost: np.ndarray
) -> np.ndarray:
    """Territory per unit by balanced region growing from the centres (and locked units)."""
    territories = len(centre)
    assignment = np.full(inputs.num_units, -1, dtype=np.int64)
    load = np.zeros(territories)
    primary = inputs.activity[:, 0]
    frontier: list[list[tuple[float, int]]] = [[] for _ in range(territories)]

    def take(unit: int, territory: int) -> None:
        assignment[unit] = territory
        load[territory] += primary[unit]
        for neighbour in sorted(graph.neighbors(unit)):
            if assignment[neighbour] < 0 and np.isfinite(cost[neighbour, territory]):
                heapq.heappush(frontier[territory], (float(cost[neighbour, territory]), neighbour))

    for territory, unit in enumerate(centre.tolist()):
        take(unit, territory)
    for unit, territory in sorted(inputs.locks.items()):
        if assignment[unit] < 0:
            take(unit, territory)
    queue = [(float(load[t]), t) for t in range(territories)]
    heapq.heapify(queue)
    while queue:
        _, territory = heapq.heappop(queue)
        heap = frontier[territory]
        while heap and assignment[heap[0][1]] >= 0:
            heapq.heappop(heap)
        if not heap:
            continue  # this territory cannot grow any more
        _, unit = heapq.heappop(heap)
        take(unit, territory)
        heapq.heappush(queue, (float(load[territory]), territory))
    left = np.flatnonzero(assignment < 0)
    for (
        unit
    ) in left.tolist():  # unreachable from every allowed centre: nearest finite, else lightest
        finite = np.flatnonzero(np.isfinite(cost[unit]))
        assignment[unit] = (
            int(finite[np.argmin(cost[unit, finite])]) if len(finite) else int(np.argmin(load))
        )
    return assignment


def _stays_connected(graph: nx.Graph, assignment: np.ndarray, unit: int, territory: int) -> bool:
    """True when ``territory`` minus ``unit`` is still connected (BFS among its members)."""
    neighbours = [v for v in graph.neighbors(unit) if assignment[v] == territory]
    if len(neighbours) <= 1:
        return True
    seen = {neighbours[0]}
    stack = [neighbours[0]]
    targets = set(neighbours)
    while stack and not targets <= seen:
        current = stack.pop()
        for v in graph.neighbors(current):
            if v != unit and v not in seen and assignment[v] == territory:
                seen.add(v)
                stack.append(v)
    return targets <= seen


def improve(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    cost: np.ndarray,
    assignment: np.ndarray,
    *,
    time_limit: float = 5.0,
    max_passes: int = 200,
) -> np.ndarray:
    """Local moves of boundary units (see the module docstring); returns a new array."""
    assignment = assignment.copy()
    territories = len(centre)
    fixed = {int(c) for c in centre} | set(inputs.locks)
    loads = np.zeros((territories, inputs.activity.shape[1]))
    np.add.at(loads, assignment, inputs.activity)
    violation = balance_violation(inputs, loads)
    mean = np.maximum(inputs.activity.sum(axis=0) / max(territories, 1), 1e-12)
    deadline = time.perf_counter() + time_limit
    for _ in range(max_passes):
        moved = False
        for unit in range(inputs.num_units):
            if unit in fixed or time.perf_counter() > deadline:
                continue
            donor = int(assignment[unit])
            options = sorted({int(assignment[v]) for v in graph.neighbors(unit)} - {donor})
            best: tuple[float, float, int] | None = None
            for target in options:
                if not np.isfinite(cost[unit, target]):
                    continue
                trial = loads.copy()
                trial[donor] -= inputs.activity[unit]
                trial[target] += inputs.activity[unit]
                new_violation = balance_violation(
                    inputs, trial[[donor, target]]
                ) - balance_violation(inputs, loads[[donor, target]])
                delta_cost = float(cost[unit, target] - cost[unit, donor])
                # spreading load from heavier to lighter territories (Σ load² falls) lets chains
                # of moves carry an excess across territories that are already full
                share = inputs.activity[unit] / mean
                spread = float(np.sum(share * (share + (loads[target] - loads[donor]) / mean)))
                if violation > 1e-9:
                    better = new_violation < -1e-9 or (
                        abs(new_violation) <= 1e-12 and spread < -1e-9
                    )
                    key = (new_violation, spread)
                else:
                    better = abs(new_violation) <= 1e-12 and delta_cost < -1e-9
                    key = (new_violation, delta_cost)
                if better and (best is None or key < best[:2]):
                    best = (key[0], key[1], target)
            if best is None or not _stays_connected(graph, assignment, unit, donor):
                continue
            target = best[2]
            loads[donor] -= inputs.activity[unit]
            loads[target] += inputs.activity[unit]
            assignment[unit] = target
            violation = balance_violation(inputs, loads)
            moved = True
        if not moved or time.perf_counter() > deadline:
            break
    return assignment


def heuristic_start(
    inputs: AlignmentInputs,
    graph: nx.Graph,
    centre: np.ndarray,
    distance: np.ndarray,
    cost: np.ndarray,
    *,
    time_limit: float = 5.0,
) -> np.ndarray:
    """Grow balanced regions from the centres (by distance), then improve them by local moves
    (by ``cost``, the compactness coefficient)."""
    grown = grow_regions(inputs, graph, centre, distance)
    return improve(inputs, graph, centre, cost, grown, time_limit=time_limit)
