"""Local search on a contiguous, balanced alignment: single moves and swaps across borders.

A *move* hands a border unit u from territory a to a neighbouring territory b; a *swap* exchanges a
border unit of a with one of b at once (needed when heavy units leave no room in the balance band
for a single move). A step is taken only when it lowers the compactness cost (or the number of cut
edges), keeps every activity
of both territories within its band, moves no centre or locked unit, and leaves both territories
contiguous (checked by a search from the centre). Passes repeat, in a fixed order (so the result is
deterministic), until no step improves or the deadline is reached. Fast (no solver), so it polishes
every incumbent before the MILP-based neighbourhoods run.

With ``distance`` given, steps must also keep the alignment *SP-contiguous* (every member has a
neighbour in its territory strictly closer to the centre; :mod:`engine.align.sp`), so the result
can seed the SP neighbourhoods and MILP.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import networkx as nx
import numpy as np

__all__ = ["local_search"]

_EPS = 1e-9


def _connected_without(
    graph: nx.Graph, members: set[int], home: int, removed: int, added: int | None
) -> bool:
    """Is ``members − {removed} (+ {added})`` connected through ``home``?"""
    inside = set(members)
    inside.discard(removed)
    if added is not None:
        inside.add(added)
    seen = {home}
    stack = [home]
    while stack:
        u = stack.pop()
        for v in graph.neighbors(u):
            if v in inside and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(inside)


def _sp_ok(
    graph: nx.Graph, result: np.ndarray, centre: np.ndarray, distance: np.ndarray, units: set[int]
) -> bool:
    """Does every unit in ``units`` have a strictly closer neighbour in its territory?"""
    for u in units:
        t = int(result[u])
        if u == int(centre[t]):
            continue
        if not any(result[v] == t and distance[v, t] < distance[u, t] for v in graph.neighbors(u)):
            return False
    return True


def local_search(
    graph: nx.Graph,
    assignment: np.ndarray,
    centre: np.ndarray,
    cost: np.ndarray,
    activity: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    locks: Mapping[int, int],
    deadline: float,
    distance: np.ndarray | None = None,
    cut_edges: bool = False,
) -> np.ndarray:
    """An improved copy of ``assignment`` (contiguous and balanced if it was); see the module.

    With ``cut_edges`` a step must lower the number of cut edges instead of the compactness cost
    (``cost`` then only marks the pairs allowed, by being finite).
    """
    result = assignment.copy()
    territories = len(centre)
    fixed = set(centre.tolist()) | set(locks)
    members = [set(np.flatnonzero(result == t).tolist()) for t in range(territories)]
    loads = np.zeros((territories, activity.shape[1]))
    np.add.at(loads, result, activity)
    tol = 1e-9 * np.maximum(1.0, np.abs(upper))

    def fits(t: int, delta: np.ndarray) -> bool:
        new = loads[t] + delta
        return bool(np.all(new >= lower - tol) and np.all(new <= upper + tol))

    def apply(u: int, a: int, b: int) -> None:
        members[a].discard(u)
        members[b].add(u)
        loads[a] -= activity[u]
        loads[b] += activity[u]
        result[u] = b

    def connected(a: int, removed: int, added: int | None) -> bool:
        if distance is not None:
            return True  # checked by ``keeps_sp`` after the step
        return _connected_without(graph, members[a], int(centre[a]), removed, added)

    def keeps_sp(moved: list[tuple[int, int, int]]) -> bool:
        """Apply ``moved`` (unit, from, to); keep it if SP-contiguity holds, else undo it."""
        for u, a, b in moved:
            apply(u, a, b)
        if distance is None:
            return True
        touched = {w for u, _, _ in moved for w in (u, *graph.neighbors(u))}
        if _sp_ok(graph, result, centre, distance, touched):
            return True
        for u, a, b in reversed(moved):
            apply(u, b, a)
        return False

    def move_gain(u: int, a: int, b: int) -> float:
        if not cut_edges:
            return float(cost[u, a] - cost[u, b])
        here = sum(1 for v in graph.neighbors(u) if result[v] == a)
        there = sum(1 for v in graph.neighbors(u) if result[v] == b)
        return float(there - here)  # borders that stop being cut minus those that start

    def swap_gain(u: int, a: int, v: int, b: int) -> float:
        gain = move_gain(u, a, b) + move_gain(v, b, a)
        if cut_edges and graph.has_edge(u, v):
            gain -= 2.0  # u–v is counted as mended by both moves, yet stays cut
        return gain

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for u in range(len(result)):
            if u in fixed:
                continue
            a = int(result[u])
            targets = sorted({int(result[v]) for v in graph.neighbors(u)} - {a})
            for b in targets:
                if not np.isfinite(cost[u, b]):
                    continue
                gain = move_gain(u, a, b)
                scale = 1.0 if cut_edges else max(1.0, abs(cost[u, a]))
                # single move
                if (
                    gain > _EPS * scale
                    and fits(a, -activity[u])
                    and fits(b, activity[u])
                    and connected(a, u, None)
                    and keeps_sp([(u, a, b)])
                ):
                    improved = True
                    break
                # swap with a unit v of b next to a
                done = False
                for v in sorted(
                    {int(v) for w in members[a] for v in graph.neighbors(w)} & members[b]
                ):
                    if v in fixed or not np.isfinite(cost[v, a]):
                        continue
                    total = swap_gain(u, a, v, b)
                    if total <= _EPS * scale:
                        continue
                    shift = activity[u] - activity[v]
                    if not (fits(a, -shift) and fits(b, shift)):
                        continue
                    if not (connected(a, u, v) and connected(b, v, u)):
                        continue
                    if not keeps_sp([(u, a, b), (v, b, a)]):
                        continue
                    improved = done = True
                    break
                if done:
                    break
            if time.perf_counter() >= deadline:
                break
    return result
