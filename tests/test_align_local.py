"""The local search (engine.align.local): never worse, always balanced and contiguous."""

from __future__ import annotations

import itertools
import random
import time

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from engine.align import align
from engine.align.local import local_search
from engine.align.sp import sp_contiguous
from engine.solver import SolveStatus


def _contiguous(graph: nx.Graph, assignment: np.ndarray, centre: np.ndarray) -> bool:
    for t, home in enumerate(centre.tolist()):
        members = np.flatnonzero(assignment == t).tolist()
        if home not in members or not nx.is_connected(graph.subgraph(members)):
            return False
    return True


def _instance(seed: int) -> tuple[nx.Graph, np.ndarray, np.ndarray, np.ndarray, float, float]:
    rng = random.Random(seed)
    n = 8
    graph = nx.random_labeled_tree(n, seed=seed)
    graph.add_edges_from(
        (a, b) for a, b in ((rng.randrange(n), rng.randrange(n)) for _ in range(4)) if a != b
    )
    centre = np.asarray(sorted(rng.sample(range(n), 2 + seed % 2)), dtype=np.int64)
    work = np.asarray([[float(rng.randint(1, 4))] for _ in range(n)])
    mean = work.sum() / len(centre)
    distance = np.asarray(
        [[nx.shortest_path_length(graph, u, int(c)) for c in centre] for u in range(n)], float
    )
    return graph, centre, work, distance, 0.6 * mean, 1.4 * mean


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("sp", [False, True])
def test_local_search_keeps_feasibility_and_never_worsens(seed: int, sp: bool) -> None:
    graph, centre, work, distance, low, high = _instance(seed)
    cost = work[:, :1] * distance
    n, k = len(work), len(centre)
    feasible = []
    for combo in itertools.product(range(k), repeat=n):
        a = np.asarray(combo)
        loads = np.bincount(a, weights=work[:, 0], minlength=k)
        if (a[centre] != np.arange(k)).any() or (loads < low).any() or (loads > high).any():
            continue
        if _contiguous(graph, a, centre) and (not sp or sp_contiguous(graph, a, centre, distance)):
            feasible.append((float(cost[np.arange(n), a].sum()), combo))
    if not feasible:
        pytest.skip("no feasible alignment for this seed")
    feasible.sort()
    optimum, (worst, combo) = feasible[0][0], feasible[-1]
    start = np.asarray(combo)
    locks = {int(u): int(start[u]) for u in range(n)[:1] if u not in centre}
    args = (centre, cost, work, np.array([low]), np.array([high]), locks)
    deadline = time.perf_counter() + 10
    result = local_search(graph, start, *args, deadline, distance=distance if sp else None)
    again = local_search(graph, start, *args, deadline, distance=distance if sp else None)
    assert (result == again).all()  # deterministic
    value = float(cost[np.arange(n), result].sum())
    assert optimum - 1e-9 <= value <= worst + 1e-9
    loads = np.bincount(result, weights=work[:, 0], minlength=k)
    assert (loads >= low - 1e-9).all() and (loads <= high + 1e-9).all()
    assert (result[centre] == np.arange(k)).all()
    assert all(result[u] == t for u, t in locks.items())
    assert _contiguous(graph, result, centre)
    if sp:
        assert sp_contiguous(graph, result, centre, distance)


def test_swap_needed_when_single_moves_break_balance() -> None:
    # 2 x 3 grid, centres (0, 0) and (0, 2), three units each exactly: (1, 1) belongs with the
    # right-hand centre and (0, 1) with the left-hand one, but only a swap keeps 3 + 3
    grid = nx.grid_2d_graph(2, 3)
    index = {node: i for i, node in enumerate(sorted(grid.nodes))}
    graph = nx.relabel_nodes(grid, index)
    centre = np.array([index[(0, 0)], index[(0, 2)]])
    cost = np.zeros((6, 2))
    cost[index[(1, 1)], 0] = 5.0
    cost[index[(0, 1)], 1] = 5.0
    start = np.zeros(6, dtype=np.int64)
    start[[index[(0, 2)], index[(1, 2)], index[(0, 1)]]] = 1
    result = local_search(
        graph,
        start,
        centre,
        cost,
        np.ones((6, 1)),
        np.array([3.0]),
        np.array([3.0]),
        {},
        time.perf_counter() + 5,
    )
    assert result[index[(0, 1)]] == 0 and result[index[(1, 1)]] == 1


@pytest.mark.parametrize("seed", range(8))
def test_hybrid_with_the_polished_heuristic_start_finds_the_brute_force_optimum(seed: int) -> None:
    graph, centre, work, distance, low, high = _instance(seed)
    n, k = len(work), len(centre)
    best = None
    for combo in itertools.product(range(k), repeat=n):
        a = np.asarray(combo)
        loads = np.bincount(a, weights=work[:, 0], minlength=k)
        if (a[centre] != np.arange(k)).any() or (loads < low).any() or (loads > high).any():
            continue
        if _contiguous(graph, a, centre):
            value = float((work[:, 0] * distance[np.arange(n), a]).sum())
            best = value if best is None else min(best, value)
    if best is None:
        pytest.skip("no feasible alignment for this seed")
    names = [f"u{i}" for i in range(n)]
    units = pd.DataFrame({"unit": names, "work": work[:, 0]})
    edges = pd.DataFrame([(names[a], names[b]) for a, b in sorted(graph.edges)], columns=["a", "b"])
    centres = {f"R{t}": names[int(c)] for t, c in enumerate(centre)}
    result = align(units, edges, centres=centres, tolerance=0.4, heuristic=True)
    assert result.check.ok, result.check.problems
    assert result.objectives["compactness"] == pytest.approx(best)
    assert result.status is SolveStatus.OPTIMAL


def test_local_search_lowers_cut_edges_by_a_swap() -> None:
    # 2 × 4 grid, units r·4 + c, four per territory (tolerance 0), centres 0 and 7. The jagged
    # split A = {0, 1, 2, 4}, B = {3, 5, 6, 7} cuts 4 borders; swapping 2 and 5 gives the two
    # 2 × 2 halves, 2 cut borders. No single move keeps the balance.
    grid = nx.grid_2d_graph(2, 4)
    graph = nx.relabel_nodes(grid, {(r, c): 4 * r + c for r, c in grid.nodes})
    start = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    ones = np.ones((8, 1))
    result = local_search(
        graph, start, np.array([0, 7]), np.zeros((8, 2)), ones, np.array([4.0]),
        np.array([4.0]), {}, time.perf_counter() + 5, cut_edges=True,
    )  # fmt: skip
    assert result.tolist() == [0, 0, 1, 1, 0, 0, 1, 1]
    cut = sum(1 for a, b in graph.edges if result[a] != result[b])
    assert cut == 2
